// keepalived's tracking arithmetic as a pure function: what an instance's tracked interfaces, scripts and
// files make of its priority and whether they fault it, from a view of their states, so that the rules
// are tested without sockets, timers or child processes (the daemon feeds it, control/trackers.cc).
#pragma once

#include "conf/model.h"
#include "control/track_file.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace control {

// The states the instances track, as the daemon last saw them.
struct TrackStates {
    const std::map<std::string, bool>& link_up;        // interface -> up and running
    const std::map<std::string, bool>& script_ok;      // vrrp_script name -> current result
    const std::map<std::string, int64_t>& file_value;  // track_file name -> last value; absent: not watched
};

// What the instance's own interface gives it: a VRRP socket (absent for an interface that does not exist,
// with dynamic_interfaces) and a source address for its adverts.
struct Transport {
    bool socket = true;
    bool source = true;
};

struct Tracking {
    int delta = 0;       // added to the configured priority (the engine clamps it)
    bool fault = false;  // the instance belongs in FAULT
    // keepalived's "entering FAULT state (…)" lines, logged for an instance that starts in FAULT.
    std::vector<std::string> fault_lines;
    bool operator==(const Tracking&) const = default;
};

// keepalived's rules: a positive weight adds while the tracked thing is up/succeeding, a negative one
// subtracts while it is down/failing, no weight (or 0) means FAULT while it is down; reverse turns up into
// down. Its own interface down (unless dont_track_primary), no socket or no source address faults it. A
// track_file adds value × weight (track_file_effect). A sync group's scripts and files count for each
// member (a member's own reference to the same file wins); weighted references in a sync group without
// sync_group_tracking_weight were dropped when the config was read (conf/validate.cc).
Tracking track_instance(const conf::Config& cfg, const conf::VrrpInstance& vi, Transport transport, const TrackStates& states);

// A track_file reference's weight and direction: its own, else the track_file's (noreverse overrides the
// file's `reverse`). nullopt when no track_file has that name.
struct FileRef {
    int weight = 0;
    bool reverse = false;
};
std::optional<FileRef> resolve_file_ref(const conf::Config& cfg, const conf::TrackRef& ref);

} // namespace control

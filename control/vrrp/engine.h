// All VRRP instances of one config: receives raw adverts, checks them (vrrp::check, a counter per drop
// reason), drives each instance's state machine and its sync group, and hands the resulting actions
// to an Io. Clock injected, no sockets: kernel mode, DPDK and XDP each supply an Io, tests a recorder.
#pragma once

#include "conf/model.h"
#include "control/vrrp/fsm.h"
#include "control/vrrp/packet.h"

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vrrp {

// Carries out an engine's decisions. Indexes are the instance's position in Engine::instances().
class Io {
public:
    virtual ~Io() = default;
    virtual void send_advert(size_t inst, const Advert& advert) = 0;  // to the group or each unicast peer
    virtual void set_vips(size_t inst, bool own) = 0;
    virtual void send_garp(size_t inst, int count) = 0;
    virtual void state_changed(size_t inst, State from, State to) = 0;  // notify scripts, metrics
    virtual void log(std::string_view line) = 0;
};

struct Member {
    const conf::VrrpInstance* config;
    std::unique_ptr<Instance> fsm;
    Expect expect;
    Advert advert;       // template: priority filled in per send
    Counters counters;
    SyncGroup* group = nullptr;
    bool adopted = false;
    // keepalived's per-instance statistics (SIGUSR2).
    uint64_t adverts_sent = 0;
    uint64_t became_master = 0;
    uint64_t released_master = 0;
    uint64_t priority_zero_received = 0;
    uint64_t priority_zero_sent = 0;
};

class Engine {
public:
    // `primary_of` gives each instance's source address (unicast_src_ip, else the interface's primary).
    Engine(const conf::Config& cfg, Io& io, const std::function<conf::Ip(const conf::VrrpInstance&)>& primary_of);

    void start(Time now);
    // Reload: takes over the state machines of `old`'s instances that `same` says are unchanged (they
    // keep their state, timers and VIPs); `old` stops the rest (priority 0, VIPs released). Call
    // before start(), which then starts only the instances not adopted.
    void adopt(Engine& old, const std::function<bool(const conf::VrrpInstance&, const conf::VrrpInstance&)>& same, Time now);
    // An IPv4 packet (IP header first) read from the VRRP socket of `ifname`.
    void receive(Time now, const std::string& ifname, std::span<const uint8_t> packet);
    void on_timer(Time now);
    Time deadline() const;
    void set_tracking(size_t inst, int weight_sum, bool fault, Time now);
    void set_primary(size_t inst, const conf::Ip& ip) { _members[inst].fsm->set_primary(ip); }
    void stop(Time now);
    void stop_instance(size_t inst, Time now);

    const std::vector<Member>& instances() const { return _members; }
    // Adverts that matched no instance on their interface (unknown VRID) or failed to decode.
    const Counters& unmatched() const { return _unmatched; }
    // The statistics as text, one block per instance (what SIGUSR2 writes).
    std::string stats() const;

private:
    // Carries out `out` (produced by instance `inst`); when it changed state by itself, the other
    // members of its sync group follow, each with its own outputs.
    void apply(size_t inst, Outputs& out, Time now, bool following = false);
    void set_gate(Member& m);
    void learn_on_link(Member& m, const Received& r);

    Io& _io;
    std::vector<Member> _members;
    std::vector<std::unique_ptr<SyncGroup>> _groups;
    Counters _unmatched;
};

} // namespace vrrp

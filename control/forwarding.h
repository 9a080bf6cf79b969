// What control tells the dataplane to forward: builds one fwd::Snapshot from the running config, the
// checkers' health and the VIPs of the instances that are MASTER, numbers it, logs what it cannot
// serve (once per change), and hands it to the Dataplane. Keeps the running snapshot when a build
// fails (a bad reload or a health change never costs the forwarding that runs).
#pragma once

#include "conf/model.h"
#include "control/dataplane.h"
#include "dataplane/fwd/health.h"

#include <cstdint>
#include <span>
#include <string>

namespace control {

class Forwarding {
public:
    /// Builds and applies a snapshot to `dp` (nothing for a dataplane that does not forward).
    /// False when it was not built (logged; the dataplane keeps the last one).
    bool publish(Dataplane& dp, const conf::Config& cfg, std::span<const fwd::VirtualServerHealth> health,
                 std::span<const conf::Ip> owned);

    uint64_t generation() const { return _generation; }

private:
    uint64_t _generation = 0;
    std::string _last_skipped;
};

} // namespace control

// The one health view that control hands the snapshot builder: what the checkers (control/check)
// decide for each virtual server of the config, in config order. Plain data, no Asio: the checkers
// fill it, the builder and every dataplane read it.
#pragma once

#include <cstdint>
#include <vector>

namespace fwd {

/// One real server as the forwarding snapshot should hold it.
struct RealServerHealth {
    uint32_t weight = 0;  ///< effective weight to publish (0 while inhibited)
    bool up = true;       ///< in the pool at all (false: out of service; its slot and flows stay)
};

/// One virtual server: its real servers in the config's order, the sorry server and the quorum.
/// While `sorry` is true every real server is out of the pool (or at weight 0 with inhibit_on_failure),
/// as keepalived removes the remaining alive servers when it brings the sorry server in.
struct VirtualServerHealth {
    std::vector<RealServerHealth> rs;
    bool sorry = false;  ///< the sorry_server is in service (appended last, it takes the new flows)
    bool quorum = true;
};

/// By virtual server, in config order; empty: every real server as configured.
using Health = std::vector<VirtualServerHealth>;

}  // namespace fwd

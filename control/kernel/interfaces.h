// Which kernel interfaces a forwarding dataplane takes for a keepalived.conf: those its VRRP
// instances and VIPs name, those the routes to its real servers (and sorry servers) leave by (a NAT
// node with a plain static address on its backend segment and no VRRP instance there must work
// unmodified), and those the operator adds (--interface). Shared by the DPDK and XDP nodes.
#pragma once

#include "conf/model.h"
#include "control/kernel/netlink.h"

#include <string>
#include <vector>

namespace kernel {

struct TakenInterface {
    std::string name;
    std::string why;  // "vrrp_instance VI_1", "route to real server 10.1.0.2", "--interface": for the log
};

/// In the order first met: instances, their VIPs' `dev`, real servers' routes, `extra`. A real server
/// with no route, or one through loopback or an interface the kernel does not have, adds nothing.
std::vector<TakenInterface> interfaces_to_take(const conf::Config& cfg, Netlink& nl, const std::vector<std::string>& extra);

}  // namespace kernel

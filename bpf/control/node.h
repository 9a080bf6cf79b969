// vipd's XDP node: control::Dataplane on the XDP program. The kernel keeps every interface, its
// addresses and routes; the program is attached to each interface taken (those the config names and
// those the routes to its real servers leave by) and forwards DR, NAT and TUN traffic in the driver.
//
//   wire ──► XDP program ──► forward / ARP reply / solicit                ──► wire (XDP_TX, redirect)
//                        └─► XDP_PASS: VRRP, ARP replies, the node's own traffic ──► kernel stack
//   kernel: VRRP on raw sockets (kernel::VrrpIo), GARPs on packet sockets, the VIPs this node owns on
//           a TAP of vipd's (vx-IFNAME), so ping to a VIP and local services bound to it work
//   control: ARP frames seen on a packet socket per interface and the kernel's neighbour table ──► MACs
//
// Crash safety: the program is attached through a bpf_link that only this process holds (not
// pinned), and the TAPs are vipd's open descriptors; when vipd dies by any signal the kernel detaches
// the program and deletes the TAPs with the VIPs on them, so nothing answers for a VIP and the backup
// takes over. Nothing is moved off the interfaces, so there is nothing to put back.
#pragma once

#include "control/dataplane.h"

#include <memory>
#include <string>
#include <vector>

namespace xdp {

struct NodeOptions {
    std::vector<std::string> interfaces;  // taken besides those the config names or routes to
    std::string mode = "native";          // native | generic (the kernel's skb path: slower, any driver)
    bool replace = false;                 // detach another XDP program found on an interface (default: refuse)
    uint32_t flows = 0;                   // flow-table entries; 0: the program's default
    bool per_cpu_flows = false;           // each CPU its own flow tables (LoadOptions::per_cpu_flows)
    uint32_t kernel_pps = 200000;         // frames a second per CPU passed to the kernel as to_exception; 0: all
    uint32_t arp_reachable_ms = 30000;    // next hops' MACs unconfirmed this long are probed, then forgotten
    uint32_t new_flow_rate = 0;           // new flows a second per CPU, the rest dropped (new_flow_rate); 0: all
};

std::unique_ptr<control::Dataplane> make_xdp(const NodeOptions& opts);

}  // namespace xdp

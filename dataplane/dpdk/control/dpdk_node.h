// vipd's DPDK node: control::Dataplane on DPDK. It takes the kernel interfaces a keepalived.conf names
// (through net_af_xdp or net_af_packet; a PCI NIC through a port map), gives each a TAP (net_tap)
// that carries the interface's addresses and routes into the kernel while DPDK holds the wire, starts
// the forwarding lcores, and runs the exception path and the VRRP hand-over on the control thread.
//
//   wire ──► lcore: pkt::process ──► forward / ARP reply                       ──► wire
//                                └─► to_control ring: VRRP → vrrp::Engine; ARP → neighbours, → TAP
//                                └─► to_exception ring ──► control: TAP TX ──► kernel stack
//   kernel ──► TAP RX (control) ─┐
//   VRRP adverts, GARPs (control)┴─► from_control ring ──► lcore 0 TX ──► wire
//
// The control thread polls the rings and the TAPs (poll(), from its event loop every millisecond),
// so nothing but the lcores busy-waits. When vipd dies, the TAPs (and the addresses and VIPs on them)
// go with it: the node answers nothing for a VIP, and keepalived's stale-VIP-after-SIGKILL problem
// cannot happen. The interface's own addresses are saved in /run/vipd/ and put back at a clean exit,
// by the guardian process when vipd dies any other way (guardian.h), or at the next start.
#pragma once

#include "control/dataplane.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace node {

struct DpdkOptions {
    std::string pmd = "af_xdp";   // how a kernel interface is taken: af_xdp | af_packet
    // ifname=PCI address (e.g. ens33=0000:03:00.0): that interface of the config is this NIC (bound
    // to vfio-pci, so no kernel interface exists); its TAP takes the interface's name.
    std::vector<std::pair<std::string, std::string>> port_map;
    std::vector<std::string> interfaces;  // taken besides the config's instance interfaces
    std::vector<std::string> eal;         // extra EAL arguments, appended
    uint16_t lcores = 1;                  // forwarding lcores (CPUs 1 … lcores; the control thread floats)
    std::string hugepages = "auto";       // yes | no | auto (hugepages when enough are free)
    uint32_t mbufs = 8191;                // mbufs per lcore
    uint32_t flows = 1u << 18;            // flow-table entries per lcore
    uint32_t idle_sleep_us = 50;          // an idle lcore sleeps this long (0: busy-poll, for benchmarks)
    uint32_t arp_reachable_ms = 30000;    // next hops' MACs unconfirmed this long are probed, then forgotten
    uint32_t new_flow_rate = 0;           // new flows a second per lcore, the rest dropped (new_flow_rate); 0: all
    std::string state_dir = "/run/vipd";  // saved addresses and routes of the interfaces held
    bool console_log = false;             // the guardian logs where vipd does (-l: stderr)
};

std::unique_ptr<control::Dataplane> make_dpdk(const DpdkOptions& opts);

}  // namespace node

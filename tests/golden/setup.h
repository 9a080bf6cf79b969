// The golden network (the addresses every golden fixture and the tests around them use, named once)
// and the one function that turns a configuration and a node into a forwarding table, so that a
// change in how tables are built is made in one place for the unit tests, the DPDK tests and the
// bench alike.
#pragma once

#include "dataplane/fwd/table.h"
#include "tests/golden/builder.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace conf {
struct Config;
}

namespace golden {

// The link 10.0.0.0/24 on the node's port 0, and what lies beyond it.
inline constexpr Mac port_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};    // the node's port
inline constexpr Mac peer_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x02};    // the VRRP peer
inline constexpr Mac web1_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x11};
inline constexpr Mac web2_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x12};
inline constexpr Mac web3_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x13};    // not among the node's neighbours
inline constexpr Mac client_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x50};
inline constexpr Mac gw_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe};
inline constexpr Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr Mac zero_mac{};
inline constexpr Mac vrrp_mcast{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};  // 224.0.0.18's (RFC 5798 §5.1.1)

inline constexpr uint32_t gateway = ip(10, 0, 0, 1);
inline constexpr uint32_t node_ip = ip(10, 0, 0, 2);
inline constexpr uint32_t node_ip2 = ip(10, 0, 0, 9);  // a secondary address of the node's own
inline constexpr uint32_t peer_ip = ip(10, 0, 0, 3);
inline constexpr uint32_t web1 = ip(10, 0, 0, 11);
inline constexpr uint32_t web2 = ip(10, 0, 0, 12);
inline constexpr uint32_t web3 = ip(10, 0, 0, 13);
inline constexpr uint32_t client = ip(10, 0, 0, 50);
inline constexpr uint32_t vip = ip(10, 0, 0, 100);         // VI_1's: this node is its MASTER
inline constexpr uint32_t vip_backup = ip(10, 0, 0, 101);  // VI_2's: this node is its BACKUP
inline constexpr uint32_t far_client = ip(192, 0, 2, 7);   // behind the gateway
inline constexpr uint32_t unrouted = ip(198, 51, 100, 9);  // no route

/// A node as the forwarding table sees it: one addressed port (at TableOptions::port) and `ports`
/// in all (the others without an address, as a DPDK node lists its exception TAP); networks routed
/// via one gateway; the VIPs owned now; the neighbours whose MACs are known. Host order throughout.
struct Node {
    Mac port_mac{};
    uint32_t port_ip = 0;
    uint8_t prefix = 24;                                    // the port's connected network
    uint16_t mtu = 1500;
    uint16_t ports = 1;
    uint32_t gateway = 0;                                   // the next hop of `via_gateway`
    std::vector<std::pair<uint32_t, uint8_t>> via_gateway;  // networks (address, prefix)
    std::vector<uint32_t> owned;
    std::vector<std::pair<uint32_t, Mac>> neighbours;
    std::vector<uint32_t> local;  // the node's addresses besides the port's (a secondary)
};

/// The node the golden fixtures assume: port 0 is 10.0.0.2/24 with MTU 1500, a second port has no
/// address, 192.0.2.0/24 is routed via 10.0.0.1 and there is no default route (198.51.100.0/24 has
/// no route); it owns 10.0.0.100 and knows web1's, web2's, the client's and the gateway's MACs.
Node node();

/// Where the node's addressed port sits among the dataplane's ports (the DPDK ring port's id) and
/// how much per-lcore state the table may assume.
struct TableOptions {
    uint16_t port = 0;
    uint32_t max_services = 32;
    uint32_t max_backends = 16;
    uint64_t generation = 0;
};

/// What the dataplane knows of `node` besides the config (its ports, routes, owned VIPs, neighbours),
/// for a runner that writes them itself (the XDP program's maps).
fwd::Inputs inputs(const Node& node, const TableOptions& options = {});

/// The forwarding table of `config` on `node`: the one place the tests and the bench build one.
fwd::BuildResult build_table(const conf::Config& config, const Node& node, const TableOptions& options = {});

}  // namespace golden

// The forwarding table: everything an lcore needs to decide a packet's fate (services and their
// backends, the VIPs and which of them this node owns, each port's own MAC and IP), built by the
// control thread from a conf::Config and published whole through fwd::Publisher (publisher.h).
//
// Immutable once built: the control thread builds a new Table beside the published one, publishes
// it, and frees the old one after an RCU grace period. Every field is therefore
// `dataplane: ro, control: built once`; nothing here is written after build(). The lcores' mutable
// state (flow tables, scheduler cursors and counts) lives in their own per-lcore structs
// (dataplane/pkt/process.h), indexed by service position.
//
// Plain C++ (no DPDK types): the unit tests and the XDP loader can build one without an EAL.
#pragma once

#include "conf/model.h"
#include "dataplane/fwd/sched/sched.h"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fwd {

using Mac = std::array<uint8_t, 6>;

/// This node's address on one DPDK port.
struct Port {
    Mac mac{};
    uint32_t ip = 0;      // network order; 0: none
    uint8_t prefix = 0;   // length of the connected network of `ip` (0: no connected route)
    uint16_t mtu = 1500;  // IP MTU: TUN encapsulation beyond it is refused (ICMP, or too_big)
};

/// A static route (the kernel's routes of the interfaces DPDK took over, e.g. the default route).
struct Route {
    uint32_t dst = 0;      // network order
    uint8_t prefix = 0;    // 0: default route
    uint16_t port = 0;
    uint32_t gateway = 0;  // network order; 0: on-link
};

/// Where a packet to some address leaves: the port, and the MAC of the next hop on it.
struct NextHop {
    uint32_t ip = 0;  // network order: the gateway, or the destination itself when on-link
    uint16_t port = 0;
    bool routed = false;     // a route (connected or static) matched
    bool mac_known = false;  // `mac` is the next hop's, from the neighbour table
    Mac mac{};
};

struct Backend {
    uint32_t ip = 0;    // network order
    uint16_t port = 0;  // network order
    NextHop hop;        // resolved at build: for DR the backend itself (on-link), for NAT/TUN by route
    uint32_t weight = 0;
};

struct Service {
    uint32_t vip = 0;    // network order
    uint16_t port = 0;   // network order
    uint8_t proto = 0;   // IPPROTO_TCP / IPPROTO_UDP
    conf::LbKind kind = conf::LbKind::dr;
    uint32_t persist_s = 0;         // persistence_timeout in seconds; 0: no client affinity
    uint32_t persist_mask = ~0u;    // persistence_granularity as a network-order netmask
    std::vector<Backend> backends;  // keepalived's order; positions index sched and flow entries
    sched::Service sched;
};

struct Vip {
    uint32_t addr = 0;   // network order
    bool owned = false;  // this node answers ARP for it (VRRP MASTER of an instance holding it)
};

/// A NAT backend address (ip, port, protocol) and the services it serves: how a reply from it finds
/// the VIP:port to put back. Most backends serve one service; a few may serve several VIPs.
struct NatReply {
    static constexpr uint32_t max_services = 4;  // more are refused at build (listed in `skipped`)
    uint32_t ip = 0;    // network order
    uint16_t port = 0;  // network order
    uint8_t proto = 0;
    uint8_t count = 0;
    std::array<uint32_t, max_services> service{};  // service positions, in config order
};

/// What the health checkers say about one real server (control/check): the weight to publish and
/// whether it is in service. A server out of service keeps its position (its flows end as IPVS's do).
struct RealServerHealth {
    uint32_t weight = 0;
    bool up = true;
};
/// Per virtual server, in config order: its real servers (config order) and whether its sorry_server
/// is in service (then the real servers take no new flows and the sorry server, appended last, does).
struct VirtualServerHealth {
    std::vector<RealServerHealth> real;
    bool sorry = false;
};

/// What the control plane knows beside the config: its ports, the VRRP outcome and its neighbours.
struct Inputs {
    std::vector<Port> ports;                             // indexed by DPDK port id
    std::vector<Route> routes;                           // besides the ports' connected networks
    std::vector<uint32_t> owned;                         // VIPs owned now (network order)
    std::vector<std::pair<uint32_t, Mac>> neighbours;    // ARP-resolved MACs (network-order IPs)
    std::vector<VirtualServerHealth> health;             // by virtual server; empty: all as configured
    std::vector<uint32_t> local;    // every address of the node itself (network order): the kernel's traffic
    uint32_t max_services = 256;    // what the lcores' per-service state has room for
    uint32_t max_backends = 256;    // per service, likewise
    uint64_t generation = 0;        // the caller's version number, for logs and tests
};

class Table;

struct BuildResult {
    std::unique_ptr<const Table> table;
    std::string error;                  // set when table is null
    std::vector<std::string> skipped;   // virtual servers not served by this dataplane yet (why)
};

class Table {
public:
    /// Control thread only (allocates, may throw std::bad_alloc). IPv4 virtual servers by address
    /// with TCP or UDP are served; fwmark/group/IPv6/SCTP ones are listed in `skipped`.
    static BuildResult build(const conf::Config& config, const Inputs& in);

    /// Hot path: the service for a destination (all network order), or nullptr; `index` receives
    /// its position, the key of the lcores' per-service state.
    const Service* find_service(uint32_t vip, uint8_t proto, uint16_t port, uint32_t* index) const noexcept;
    /// Hot path: the VIP entry for an address, or nullptr.
    const Vip* find_vip(uint32_t addr) const noexcept;
    /// Hot path: this node's port, or nullptr for an unknown port id.
    const Port* port(uint16_t id) const noexcept { return id < _ports.size() ? &_ports[id] : nullptr; }
    /// Hot path: the NAT services a reply from (ip, port, proto) may belong to, or nullptr.
    const NatReply* find_nat_reply(uint32_t ip, uint16_t port, uint8_t proto) const noexcept;
    /// Hot path: where a packet to `dst` leaves (longest-prefix match over the connected networks and
    /// the routes, then the neighbour table). `routed` false: no route.
    NextHop next_hop(uint32_t dst) const noexcept;
    /// Hot path: the MAC of an on-link neighbour, or nullptr.
    const Mac* neighbour(uint32_t ip) const noexcept;
    bool has_nat() const noexcept { return !_nat.empty(); }
    /// Slow path: `addr` is one of the node's own addresses (the ports' and Inputs::local): what is
    /// sent to it belongs to the kernel (health checks' answers, ssh), never to a NAT translation.
    bool is_local(uint32_t addr) const noexcept
    {
        for (const uint32_t a : _local) {
            if (a == addr) {
                return true;
            }
        }
        return false;
    }

    std::span<const Service> services() const noexcept { return _services; }
    std::span<const Vip> vips() const noexcept { return _vips; }
    uint64_t generation() const noexcept { return _generation; }

private:
    Table() = default;

    struct RouteEntry {
        uint32_t net = 0;   // network order, masked
        uint32_t mask = 0;  // network order
        uint16_t port = 0;
        uint32_t gateway = 0;
    };

    std::vector<Port> _ports;
    std::vector<Service> _services;
    std::vector<Vip> _vips;
    std::vector<RouteEntry> _routes;  // longest prefix first: a linear scan finds the best match
    std::vector<std::pair<uint32_t, Mac>> _neighbours;
    std::vector<NatReply> _nat;
    std::vector<uint32_t> _local;
    std::vector<uint32_t> _neighbour_slots;
    std::vector<uint32_t> _nat_slots;
    // Open addressing, linear probing, power-of-two sizes, at most half full; slots hold index + 1.
    std::vector<uint32_t> _service_slots;
    std::vector<uint32_t> _vip_slots;
    uint64_t _generation = 0;
};

}  // namespace fwd

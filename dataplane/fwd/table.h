// A dataplane's forwarding table: the dataplane-neutral fwd::Snapshot (services, backends, VIPs and
// their ownership, the NAT reply index) joined with what only the dataplane knows — its ports' MACs
// and addresses, the routes of the interfaces it took, the neighbours it learned — into the next hop
// of every backend. The DPDK node publishes it whole to its lcores through fwd::Publisher; the XDP
// loader writes it into the program's maps (bpf/control). A "port" is the dataplane's own number for
// an interface: DPDK's port id, or the XDP node's index of the interfaces it took.
//
// Immutable once built: the control thread builds a new Table beside the published one, publishes
// it, and frees the old one after an RCU grace period. Every field is therefore
// `dataplane: ro, control: built once`. The lcores' mutable state (flow tables, scheduler cursors
// and counts) lives in their own per-lcore structs (pkt/process.h), indexed by service position.
//
// Plain C++ (no dataplane's types): the unit tests build one without an EAL or a BPF program.
#pragma once

#include "dataplane/fwd/health.h"
#include "dataplane/fwd/open_index.h"
#include "dataplane/fwd/snapshot.h"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace conf {
struct Config;
}

namespace fwd {

using Mac = std::array<uint8_t, 6>;

/// This node's address on one of the dataplane's ports.
struct Port {
    Mac mac{};
    uint32_t ip = 0;      // network order; 0: none
    uint8_t prefix = 0;   // length of the connected network of `ip` (0: no connected route)
    uint16_t mtu = 1500;  // IP MTU: TUN encapsulation beyond it is refused (ICMP, or too_big)
};

/// A static route (the kernel's routes of the interfaces the dataplane took over, e.g. the default route).
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

/// What the dataplane's node knows beside the snapshot: its ports, routes and neighbours.
struct Links {
    std::vector<Port> ports;                           // indexed by the dataplane's port number
    std::vector<Route> routes;                         // besides the ports' connected networks
    std::vector<std::pair<uint32_t, Mac>> neighbours;  // ARP-resolved MACs (network-order IPs)
    std::vector<uint32_t> local;  // every address of the node itself (network order): the kernel's traffic
};

/// Everything at once, for the tests and the bench: the snapshot's inputs and the links.
struct Inputs {
    std::vector<Port> ports;
    std::vector<Route> routes;
    std::vector<uint32_t> owned;                       // VIPs owned now (network order)
    std::vector<std::pair<uint32_t, Mac>> neighbours;
    std::vector<VirtualServerHealth> health;           // by virtual server; empty: all as configured
    std::vector<uint32_t> local;
    uint32_t max_services = 256;  // what the lcores' per-service state has room for
    uint32_t max_backends = 256;  // per service, likewise
    uint64_t generation = 0;      // the caller's version number, for logs and tests
};

class Table;

struct BuildResult {
    std::unique_ptr<const Table> table;
    std::string error;                  // set when table is null
    std::vector<std::string> skipped;   // virtual servers not served by this dataplane yet (why)
};

class Table {
public:
    /// Control thread only (allocates, may throw std::bad_alloc): joins `snapshot` with `links`.
    static BuildResult build(std::shared_ptr<const Snapshot> snapshot, const Links& links);
    /// Control thread only: fwd::build_snapshot of `config` with `in`'s health and owned VIPs, joined
    /// with `in`'s links (the tests' and the bench's one call).
    static BuildResult build(const conf::Config& config, const Inputs& in);

    /// Hot path: the service for a destination (all network order), or nullptr; `index` receives
    /// its position, the key of the lcores' per-service state.
    const Service* find_service(uint32_t vip, uint8_t proto, uint16_t port, uint32_t* index) const noexcept
    {
        return _snapshot->find_service(vip, proto, port, index);
    }
    /// Hot path: the VIP entry for an address, or nullptr.
    const Vip* find_vip(uint32_t addr) const noexcept { return _snapshot->find_vip(addr); }
    /// Hot path: this node's port, or nullptr for an unknown port id.
    const Port* port(uint16_t id) const noexcept { return id < _ports.size() ? &_ports[id] : nullptr; }
    /// Hot path: the NAT services a reply from (ip, port, proto) may belong to, or nullptr.
    const NatReply* find_nat_reply(uint32_t ip, uint16_t port, uint8_t proto) const noexcept
    {
        return _snapshot->find_nat_reply(ip, port, proto);
    }
    /// Hot path: where backend `backend` of service `service` is sent (resolved at build: for DR the
    /// backend itself, on-link; for NAT and TUN by route).
    const NextHop& hop(uint32_t service, uint32_t backend) const noexcept { return _hops[_hop_base[service] + backend]; }
    /// Hot path: where a packet to `dst` leaves (longest-prefix match over the connected networks and
    /// the routes, then the neighbour table). `routed` false: no route.
    NextHop next_hop(uint32_t dst) const noexcept;
    /// Hot path: the MAC of an on-link neighbour, or nullptr.
    const Mac* neighbour(uint32_t ip) const noexcept;
    bool has_nat() const noexcept { return _snapshot->has_nat(); }
    bool vrid_ours(uint8_t vrid) const noexcept { return _snapshot->vrid_ours(vrid); }
    /// Slow path: `addr` is one of the node's own addresses (the ports' and Links::local): what is
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

    /// A route as the lookups hold it: a masked network, longest prefix first.
    struct RouteEntry {
        uint32_t net = 0;   // network order, masked
        uint32_t mask = 0;  // network order
        uint16_t port = 0;
        uint32_t gateway = 0;
    };
    /// Slow path, for a dataplane that copies the table into its own form (the XDP maps).
    std::span<const Port> ports() const noexcept { return _ports; }
    std::span<const RouteEntry> routes() const noexcept { return _routes; }
    std::span<const std::pair<uint32_t, Mac>> neighbours() const noexcept { return _neighbours; }
    std::span<const uint32_t> local() const noexcept { return _local; }

    std::span<const Service> services() const noexcept { return _snapshot->services(); }
    std::span<const Vip> vips() const noexcept { return _snapshot->vips(); }
    const Snapshot& snapshot() const noexcept { return *_snapshot; }
    uint64_t generation() const noexcept { return _snapshot->generation(); }

private:
    Table() = default;

    std::shared_ptr<const Snapshot> _snapshot;  // never null
    std::vector<Port> _ports;
    std::vector<RouteEntry> _routes;  // longest prefix first: a linear scan finds the best match
    std::vector<std::pair<uint32_t, Mac>> _neighbours;
    OpenIndex _neighbour_index;
    std::vector<uint32_t> _local;
    std::vector<NextHop> _hops;       // every service's backends, in order
    std::vector<uint32_t> _hop_base;  // by service position: its first entry in _hops
};

}  // namespace fwd

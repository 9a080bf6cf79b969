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
#include "dataplane/sched/sched.h"

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
    uint32_t ip = 0;  // network order; 0: none
};

struct Backend {
    uint32_t ip = 0;    // network order
    uint16_t port = 0;  // network order
    Mac mac{};          // the next hop for DR: valid when mac_known
    bool mac_known = false;
    uint32_t weight = 0;
};

struct Service {
    uint32_t vip = 0;    // network order
    uint16_t port = 0;   // network order
    uint8_t proto = 0;   // IPPROTO_TCP / IPPROTO_UDP
    conf::LbKind kind = conf::LbKind::dr;
    std::vector<Backend> backends;  // keepalived's order; positions index sched and flow entries
    sched::Service sched;
};

struct Vip {
    uint32_t addr = 0;   // network order
    bool owned = false;  // this node answers ARP for it (VRRP MASTER of an instance holding it)
};

/// What the control plane knows beside the config: its ports, the VRRP outcome and its neighbours.
struct Inputs {
    std::vector<Port> ports;                             // indexed by DPDK port id
    std::vector<uint32_t> owned;                         // VIPs owned now (network order)
    std::vector<std::pair<uint32_t, Mac>> neighbours;    // resolved backend MACs (network-order IPs)
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

    std::span<const Service> services() const noexcept { return _services; }
    std::span<const Vip> vips() const noexcept { return _vips; }
    uint64_t generation() const noexcept { return _generation; }

private:
    Table() = default;

    std::vector<Port> _ports;
    std::vector<Service> _services;
    std::vector<Vip> _vips;
    // Open addressing, linear probing, power-of-two sizes, at most half full; slots hold index + 1.
    std::vector<uint32_t> _service_slots;
    std::vector<uint32_t> _vip_slots;
    uint64_t _generation = 0;
};

}  // namespace fwd

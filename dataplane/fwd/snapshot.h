// The dataplane-neutral forwarding snapshot: what control decided every dataplane must do, built
// by fwd::build_snapshot (build.h) from the config, the checkers' health and the VIPs this node owns
// now, and applied whole by each dataplane (control::Dataplane::apply): DPDK joins it with its
// ports, routes and next hops into the lcores' fwd::Table and publishes that by RCU; XDP diffs it
// into maps; kernel mode has nothing to forward.
//
// Immutable once built and shared (std::shared_ptr<const Snapshot>): `dataplane: ro, control: built
// once`. Services and backends carry stable keys (address, port, protocol), so a dataplane that
// diffs two snapshots (XDP) finds what changed by key, not by position. Plain C++ on the schedulers
// alone: this header does not know conf/ (only the builder does), so the packet paths that read it
// pull in no config model.
#pragma once

#include "dataplane/fwd/open_index.h"
#include "dataplane/fwd/sched/sched.h"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace fwd {

/// What a dataplane has room for (the DPDK lcores size their per-service state by it; XDP its maps).
struct Limits {
    uint32_t max_services = 256;
    uint32_t max_backends = 256;  // per service, the sorry server included
};

/// The forwarding methods served (keepalived's lb_kind).
enum class Kind : uint8_t { dr, nat, tun };

/// A real server of a service. Positions (keepalived's order, the sorry server last) index the
/// schedulers' state and the dataplanes' flow entries.
struct Backend {
    uint32_t ip = 0;      // network order
    uint16_t port = 0;    // network order
    uint32_t weight = 0;  // as published: the checkers' weight, 0 quiesced
    bool available = true;  // takes new flows (checker up, not displaced by the sorry server)
    uint64_t key() const noexcept { return (static_cast<uint64_t>(ip) << 16) | port; }
};

struct Service {
    uint32_t vip = 0;   // network order
    uint16_t port = 0;  // network order
    uint8_t proto = 0;  // IPPROTO_TCP / IPPROTO_UDP
    Kind kind = Kind::dr;
    uint32_t persist_s = 0;       // persistence_timeout in seconds; 0: no client affinity
    uint32_t persist_mask = ~0u;  // persistence_granularity as a network-order netmask
    uint32_t virtual_server = 0;  // its position in conf::Config::virtual_servers (for logs, counters)
    std::vector<Backend> backends;
    sched::Service sched;  // the scheduler's tables (Maglev's included), built from `backends`
    uint64_t key() const noexcept { return (static_cast<uint64_t>(vip) << 32) | (uint64_t{port} << 8) | proto; }
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

class Snapshot {
public:
    /// Hot path: the service for a destination (all network order), or nullptr; `index` receives
    /// its position, the key of the dataplanes' per-service state.
    const Service* find_service(uint32_t vip, uint8_t proto, uint16_t port, uint32_t* index) const noexcept;
    /// Hot path: the VIP entry for an address, or nullptr.
    const Vip* find_vip(uint32_t addr) const noexcept;
    /// Hot path: the NAT services a reply from (ip, port, proto) may belong to, or nullptr.
    const NatReply* find_nat_reply(uint32_t ip, uint16_t port, uint8_t proto) const noexcept;
    bool has_nat() const noexcept { return !_nat.empty(); }
    /// Hot path: a VRRP instance of the config has this virtual_router_id (any interface, any
    /// family): its adverts are control's; those of other VRIDs are another cluster's or junk.
    bool vrid_ours(uint8_t vrid) const noexcept { return ((_vrids[vrid >> 6] >> (vrid & 63)) & 1) != 0; }
    /// The VRIDs of the config, as a 256-bit set (bit v of word v / 64).
    const std::array<uint64_t, 4>& vrids() const noexcept { return _vrids; }

    std::span<const Service> services() const noexcept { return _services; }
    std::span<const Vip> vips() const noexcept { return _vips; }
    std::span<const NatReply> nat_replies() const noexcept { return _nat; }
    /// Virtual servers of the config that no dataplane serves yet, each with why.
    std::span<const std::string> skipped() const noexcept { return _skipped; }
    /// The builder's version number (one per build), for logs and tests.
    uint64_t generation() const noexcept { return _generation; }

private:
    friend class SnapshotBuilder;

    std::vector<Service> _services;
    std::vector<Vip> _vips;
    std::vector<NatReply> _nat;
    std::vector<std::string> _skipped;
    std::array<uint64_t, 4> _vrids{};
    OpenIndex _service_index;
    OpenIndex _vip_index;
    OpenIndex _nat_index;
    uint64_t _generation = 0;
};

/// The hashes of the snapshot's indexes (one multiply, Fibonacci hashing, and a fold).
inline uint32_t service_hash(uint32_t vip, uint8_t proto, uint16_t port) noexcept
{
    const uint32_t h = (vip ^ ((static_cast<uint32_t>(port) << 16) | proto)) * 0x9E3779B1U;
    return h ^ (h >> 16);
}
inline uint32_t nat_hash(uint32_t ip, uint16_t port, uint8_t proto) noexcept
{
    return sched::mix32(ip ^ sched::mix32((static_cast<uint32_t>(port) << 8) | proto) ^ 0x9e3779b9u);
}

inline const Service* Snapshot::find_service(uint32_t vip, uint8_t proto, uint16_t port, uint32_t* index) const noexcept
{
    const int64_t p = _service_index.find(std::span<const Service>(_services), service_hash(vip, proto, port),
                                          [&](const Service& s) { return s.vip == vip && s.port == port && s.proto == proto; });
    if (p < 0) {
        return nullptr;
    }
    *index = static_cast<uint32_t>(p);
    return &_services[static_cast<size_t>(p)];
}

inline const Vip* Snapshot::find_vip(uint32_t addr) const noexcept
{
    const int64_t p = _vip_index.find(std::span<const Vip>(_vips), sched::mix32(addr), [&](const Vip& v) { return v.addr == addr; });
    return p < 0 ? nullptr : &_vips[static_cast<size_t>(p)];
}

inline const NatReply* Snapshot::find_nat_reply(uint32_t ip, uint16_t port, uint8_t proto) const noexcept
{
    const int64_t p = _nat_index.find(std::span<const NatReply>(_nat), nat_hash(ip, port, proto), [&](const NatReply& n) {
        return n.ip == ip && n.port == port && n.proto == proto;
    });
    return p < 0 ? nullptr : &_nat[static_cast<size_t>(p)];
}

}  // namespace fwd

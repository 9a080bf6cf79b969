// Builds fwd::Table from the config and the control plane's knowledge, and serves its lookups.
#include "dataplane/dpdk/datapath/table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace fwd {
namespace {

uint32_t v4(const conf::Ip& ip) noexcept
{
    uint32_t a = 0;
    std::memcpy(&a, ip.bytes.data(), 4);  // bytes are network order already
    return a;
}

std::string where(const conf::VirtualServer& vs)
{
    return "virtual_server at line " + std::to_string(vs.loc.line);
}

// One multiply (Fibonacci hashing) and a shift: the slots take the high bits' entropy down.
uint32_t service_hash(uint32_t vip, uint8_t proto, uint16_t port) noexcept
{
    const uint32_t h = (vip ^ ((static_cast<uint32_t>(port) << 16) | proto)) * 0x9E3779B1U;
    return h ^ (h >> 16);
}

std::vector<uint32_t> make_slots(size_t n)
{
    return std::vector<uint32_t>(std::bit_ceil(std::max<size_t>(2 * n, 2)), 0);
}

uint32_t nat_hash(uint32_t ip, uint16_t port, uint8_t proto) noexcept
{
    return sched::mix32(ip ^ sched::mix32((static_cast<uint32_t>(port) << 8) | proto) ^ 0x9e3779b9u);
}

uint32_t mask_of(uint8_t prefix) noexcept
{
    const uint32_t host = prefix == 0 ? 0 : ~uint32_t{0} << (32 - std::min<uint8_t>(prefix, 32));
    return __builtin_bswap32(host);
}

void place(std::vector<uint32_t>& slots, uint32_t hash, uint32_t index)
{
    const auto mask = static_cast<uint32_t>(slots.size() - 1);
    for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
        if (slots[i] == 0) {
            slots[i] = index + 1;
            return;
        }
    }
}

// The open-addressing index of `items` (built once, when the vector is complete).
template <class T, class Hash>
std::vector<uint32_t> index_of(const std::vector<T>& items, Hash hash)
{
    std::vector<uint32_t> slots = make_slots(items.size());
    for (uint32_t i = 0; i < items.size(); ++i) {
        place(slots, hash(items[i]), i);
    }
    return slots;
}

uint64_t service_key(uint32_t vip, uint8_t proto, uint16_t port) noexcept
{
    return (uint64_t{vip} << 32) | (uint64_t{port} << 8) | proto;
}

}  // namespace

BuildResult Table::build(const conf::Config& config, const Inputs& in)
{
    BuildResult r;
    std::unique_ptr<Table> t(new Table());
    t->_ports = in.ports;
    t->_generation = in.generation;

    // Routes: each port's connected network, then the given ones; longest prefix first (stable, so
    // a connected network wins over a static route of the same length).
    for (uint16_t id = 0; id < in.ports.size(); ++id) {
        const Port& p = in.ports[id];
        if (p.ip != 0 && p.prefix != 0) {
            const uint32_t m = mask_of(p.prefix);
            t->_routes.push_back({.net = p.ip & m, .mask = m, .port = id, .gateway = 0});
        }
    }
    t->_local = in.local;
    for (const Port& p : in.ports) {
        if (p.ip != 0 && std::find(t->_local.begin(), t->_local.end(), p.ip) == t->_local.end()) {
            t->_local.push_back(p.ip);
        }
    }
    for (const Route& rt : in.routes) {
        if (rt.port >= in.ports.size()) {
            r.error = "a route names port " + std::to_string(rt.port) + ", which does not exist";
            return r;
        }
        const uint32_t m = mask_of(rt.prefix);
        t->_routes.push_back({.net = rt.dst & m, .mask = m, .port = rt.port, .gateway = rt.gateway});
    }
    std::stable_sort(t->_routes.begin(), t->_routes.end(), [](const RouteEntry& a, const RouteEntry& b) {
        return std::popcount(a.mask) > std::popcount(b.mask);
    });
    // Every vector is filled first (duplicates found with these maps) and indexed once at the end:
    // a config of 10,000 virtual servers builds in linear time, which matters as every health-check
    // change republishes. The neighbours are indexed now: next_hop() below reads them.
    std::unordered_set<uint32_t> seen_neighbours;
    for (const auto& n : in.neighbours) {
        if (seen_neighbours.insert(n.first).second) {
            t->_neighbours.push_back(n);
        }
    }
    t->_neighbour_slots = index_of(t->_neighbours, [](const auto& n) { return sched::mix32(n.first); });
    std::unordered_set<uint32_t> seen_vips;
    std::unordered_set<uint64_t> seen_services;
    std::unordered_map<uint64_t, uint32_t> nat_index;  // service_key(ip, proto, port) → _nat position

    auto add_vip = [&](uint32_t a) {
        if (!seen_vips.insert(a).second) {
            return;
        }
        const bool owned = std::find(in.owned.begin(), in.owned.end(), a) != in.owned.end();
        t->_vips.push_back({.addr = a, .owned = owned});
    };
    for (const auto& inst : config.instances) {
        for (const auto& v : inst.vips) {
            if (v.addr.is_v4()) {
                add_vip(v4(v.addr));
            }
        }
    }

    for (size_t vsi = 0; vsi < config.virtual_servers.size(); ++vsi) {
        const auto& vs = config.virtual_servers[vsi];
        const VirtualServerHealth* health = vsi < in.health.size() ? &in.health[vsi] : nullptr;
        if (vs.by != conf::VirtualServer::By::address || !vs.addr.is_v4()) {
            r.skipped.push_back(where(vs) + ": only IPv4 virtual servers by address are served");
            continue;
        }
        if (vs.protocol == conf::Protocol::sctp) {
            r.skipped.push_back(where(vs) + ": SCTP is not served");
            continue;
        }
        if (t->_services.size() >= in.max_services) {
            r.error = "more than " + std::to_string(in.max_services) + " virtual servers";
            return r;
        }
        if (vs.real_servers.size() + (vs.sorry_server ? 1 : 0) > in.max_backends) {
            r.error = where(vs) + ": more than " + std::to_string(in.max_backends) + " real servers";
            return r;
        }
        std::vector<Backend> backends;
        std::vector<sched::Backend> sb;
        const bool sorry = health != nullptr && health->sorry && vs.sorry_server.has_value();
        auto add_backend = [&](const conf::RealServer& rs, uint32_t weight, bool available) {
            if (!rs.addr.is_v4()) {
                return;  // a mixed-family service: keepalived refuses it at validation
            }
            // keepalived's real_server port may be omitted (0): the virtual server's port.
            const uint16_t port = rs.port != 0 ? rs.port : vs.port;
            Backend b{.ip = v4(rs.addr),
                      .port = static_cast<uint16_t>((port >> 8) | (port << 8)),
                      .hop = {},
                      .weight = std::min<uint32_t>(weight, sched::max_weight)};
            b.hop = t->next_hop(b.ip);
            if (!b.hop.routed && in.ports.size() == 1) {
                // One port and no route: the backend is taken as on-link, as a flat lab LAN is.
                b.hop.routed = true;
                b.hop.port = 0;
                b.hop.ip = b.ip;
            }
            if (vs.kind == conf::LbKind::dr && b.hop.routed && b.hop.ip != b.ip) {
                // DR rewrites only the MAC: the real server must share the link (IPVS's ip_vs_dr_xmit
                // sends to the real server's address as the next hop), whatever the routes say.
                b.hop.ip = b.ip;
            }
            if (b.hop.routed) {
                const Mac* mac = t->neighbour(b.hop.ip);
                b.hop.mac_known = mac != nullptr;
                b.hop.mac = mac != nullptr ? *mac : Mac{};
            }
            sb.push_back({.key = (static_cast<uint64_t>(b.ip) << 16) | b.port, .weight = b.weight, .available = available});
            backends.push_back(b);
        };
        for (size_t i = 0; i < vs.real_servers.size(); ++i) {
            const auto& rs = vs.real_servers[i];
            const auto configured = static_cast<uint32_t>(std::clamp<int>(rs.weight, 0, sched::max_weight));
            const RealServerHealth h = health != nullptr && i < health->real.size() ? health->real[i]
                                                                                     : RealServerHealth{configured, true};
            add_backend(rs, h.weight, h.up && !sorry);
        }
        if (sorry) {
            add_backend(*vs.sorry_server, std::max(1, vs.sorry_server->weight), true);
        }
        auto built = sched::Service::build(static_cast<sched::Algo>(vs.algo), sb);
        if (!built) {
            r.error = where(vs) + ": " + built.error;
            return r;
        }
        Service s{.vip = v4(vs.addr),
                  .port = static_cast<uint16_t>((vs.port >> 8) | (vs.port << 8)),
                  .proto = static_cast<uint8_t>(vs.protocol == conf::Protocol::tcp ? 6 : 17),
                  .kind = vs.kind,
                  .persist_s = vs.persistence_timeout_s,
                  .persist_mask = vs.persistence_granularity ? v4(*vs.persistence_granularity) : ~0u,
                  .backends = std::move(backends),
                  .sched = std::move(*built.service)};
        if (!seen_services.insert(service_key(s.vip, s.proto, s.port)).second) {
            r.skipped.push_back(where(vs) + ": duplicate virtual server");
            continue;
        }
        add_vip(s.vip);
        if (s.kind == conf::LbKind::nat) {
            const auto si = static_cast<uint32_t>(t->_services.size());
            for (const Backend& b : s.backends) {
                const auto [it, fresh] =
                    nat_index.try_emplace(service_key(b.ip, s.proto, b.port), static_cast<uint32_t>(t->_nat.size()));
                if (fresh) {
                    t->_nat.push_back({.ip = b.ip, .port = b.port, .proto = s.proto, .count = 0, .service = {}});
                }
                NatReply* nr = &t->_nat[it->second];
                if (nr->count == NatReply::max_services) {
                    r.skipped.push_back(where(vs) + ": a real server serves more than " +
                                        std::to_string(NatReply::max_services) +
                                        " NAT services; its replies for this one are not translated");
                    continue;
                }
                if (nr->count == 0 || nr->service[nr->count - 1] != si) {
                    nr->service[nr->count++] = si;
                }
            }
        }
        t->_services.push_back(std::move(s));
    }
    t->_vip_slots = index_of(t->_vips, [](const Vip& v) { return sched::mix32(v.addr); });
    t->_service_slots = index_of(t->_services, [](const Service& x) { return service_hash(x.vip, x.proto, x.port); });
    t->_nat_slots = index_of(t->_nat, [](const NatReply& x) { return nat_hash(x.ip, x.port, x.proto); });
    r.table = std::move(t);
    return r;
}

const Service* Table::find_service(uint32_t vip, uint8_t proto, uint16_t port, uint32_t* index) const noexcept
{
    if (_service_slots.empty()) {
        return nullptr;
    }
    const auto mask = static_cast<uint32_t>(_service_slots.size() - 1);
    for (uint32_t i = service_hash(vip, proto, port) & mask;; i = (i + 1) & mask) {
        const uint32_t v = _service_slots[i];
        if (v == 0) {
            return nullptr;
        }
        const Service& s = _services[v - 1];
        if (s.vip == vip && s.port == port && s.proto == proto) {
            *index = v - 1;
            return &s;
        }
    }
}

const NatReply* Table::find_nat_reply(uint32_t ip, uint16_t port, uint8_t proto) const noexcept
{
    if (_nat_slots.empty()) {
        return nullptr;
    }
    const auto mask = static_cast<uint32_t>(_nat_slots.size() - 1);
    for (uint32_t i = nat_hash(ip, port, proto) & mask;; i = (i + 1) & mask) {
        const uint32_t v = _nat_slots[i];
        if (v == 0) {
            return nullptr;
        }
        const NatReply& n = _nat[v - 1];
        if (n.ip == ip && n.port == port && n.proto == proto) {
            return &n;
        }
    }
}

const Mac* Table::neighbour(uint32_t ip) const noexcept
{
    if (_neighbour_slots.empty()) {
        return nullptr;
    }
    const auto mask = static_cast<uint32_t>(_neighbour_slots.size() - 1);
    for (uint32_t i = sched::mix32(ip) & mask;; i = (i + 1) & mask) {
        const uint32_t v = _neighbour_slots[i];
        if (v == 0) {
            return nullptr;
        }
        if (_neighbours[v - 1].first == ip) {
            return &_neighbours[v - 1].second;
        }
    }
}

NextHop Table::next_hop(uint32_t dst) const noexcept
{
    NextHop h;
    for (const RouteEntry& rt : _routes) {
        if ((dst & rt.mask) == rt.net) {
            h.ip = rt.gateway != 0 ? rt.gateway : dst;
            h.port = rt.port;
            h.routed = true;
            if (const Mac* mac = neighbour(h.ip)) {
                h.mac = *mac;
                h.mac_known = true;
            }
            return h;
        }
    }
    return h;
}

const Vip* Table::find_vip(uint32_t addr) const noexcept
{
    if (_vip_slots.empty()) {
        return nullptr;
    }
    const auto mask = static_cast<uint32_t>(_vip_slots.size() - 1);
    for (uint32_t i = sched::mix32(addr) & mask;; i = (i + 1) & mask) {
        const uint32_t v = _vip_slots[i];
        if (v == 0) {
            return nullptr;
        }
        if (_vips[v - 1].addr == addr) {
            return &_vips[v - 1];
        }
    }
}

}  // namespace fwd

// Joins fwd::Snapshot with a dataplane's ports, routes and neighbours, and serves the lookups.
#include "dataplane/fwd/table.h"

#include "dataplane/fwd/build.h"
#include "dataplane/wire/checksum.h"

#include <algorithm>
#include <bit>
#include <unordered_set>

namespace fwd {
namespace {

uint32_t mask_of(uint8_t prefix) noexcept
{
    const uint32_t host = prefix == 0 ? 0 : ~uint32_t{0} << (32 - std::min<uint8_t>(prefix, 32));
    return wire::net32(host);
}

}  // namespace

BuildResult Table::build(const conf::Config& config, const Inputs& in)
{
    auto s = build_snapshot(config, {.health = in.health,
                                      .owned = in.owned,
                                      .limits = {.max_services = in.max_services, .max_backends = in.max_backends},
                                      .generation = in.generation});
    if (!s) {
        return {.table = nullptr, .error = s.error(), .skipped = {}};
    }
    return build(std::move(s).value(),
                 {.ports = in.ports, .routes = in.routes, .neighbours = in.neighbours, .local = in.local});
}

BuildResult Table::build(std::shared_ptr<const Snapshot> snapshot, const Links& in)
{
    BuildResult r;
    std::unique_ptr<Table> t(new Table());
    r.skipped.assign(snapshot->skipped().begin(), snapshot->skipped().end());
    t->_ports = in.ports;

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
    std::unordered_set<uint32_t> seen;
    for (const auto& n : in.neighbours) {
        if (seen.insert(n.first).second) {
            t->_neighbours.push_back(n);
        }
    }
    t->_neighbour_index = OpenIndex::of(std::span<const std::pair<uint32_t, Mac>>(t->_neighbours),
                                        [](const auto& n) { return sched::mix32(n.first); });

    // Every backend's next hop, resolved now so the lcores never route a flow's packet.
    for (const Service& s : snapshot->services()) {
        t->_hop_base.push_back(static_cast<uint32_t>(t->_hops.size()));
        for (const Backend& b : s.backends) {
            NextHop hop = t->next_hop(b.ip);
            if (!hop.routed && in.ports.size() == 1) {
                // One port and no route: the backend is taken as on-link, as a flat lab LAN is.
                hop.routed = true;
                hop.port = 0;
                hop.ip = b.ip;
            }
            if (s.kind == Kind::dr && hop.routed && hop.ip != b.ip) {
                // DR rewrites only the MAC: the real server must share the link (IPVS's ip_vs_dr_xmit
                // sends to the real server's address as the next hop), whatever the routes say.
                hop.ip = b.ip;
            }
            if (hop.routed) {
                const Mac* mac = t->neighbour(hop.ip);
                hop.mac_known = mac != nullptr;
                hop.mac = mac != nullptr ? *mac : Mac{};
            }
            t->_hops.push_back(hop);
        }
    }
    t->_snapshot = std::move(snapshot);
    r.table = std::move(t);
    return r;
}

const Mac* Table::neighbour(uint32_t ip) const noexcept
{
    const auto items = std::span<const std::pair<uint32_t, Mac>>(_neighbours);
    const int64_t p = _neighbour_index.find(items, sched::mix32(ip), [&](const auto& n) { return n.first == ip; });
    return p < 0 ? nullptr : &_neighbours[static_cast<size_t>(p)].second;
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

}  // namespace fwd

// The diff from a forwarding table to the XDP program's maps, in the order that keeps every service
// whole for the packets running meanwhile (sync.h).
#include "bpf/control/sync.h"

#include "dataplane/wire/checksum.h"

#include <bit>
#include <cstring>
#include <set>
#include <thread>

namespace xdp {
namespace {

template <typename T>
bool same(const T& a, const T& b)
{
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

bool same(const std::vector<vipd_backend>& a, const std::vector<vipd_backend>& b)
{
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(vipd_backend)) == 0);
}

// Which map writes an apply does, and the first that failed.
struct Log {
    SyncResult& r;
    bool operator()(std::string err)
    {
        ++r.writes;
        if (!err.empty() && r.error.empty()) {
            r.error = std::move(err);
        }
        return r.error.empty();
    }
};

}  // namespace

MapSync::MapSync(MapWriter& writer, std::vector<uint32_t> ifindex, std::vector<uint8_t> port_flags)
    : _w(writer), _ifindex(std::move(ifindex)), _port_flags(std::move(port_flags))
{
    _port_flags.resize(_ifindex.size());
}

std::string MapSync::write_service(uint32_t id, const ServiceKey& key, Written next, SyncResult& r)
{
    Position& pos = _positions[id];
    // The bank no record points at now: a fresh position starts in bank 0.
    const uint32_t bank = pos.used ? (pos.bank + 1) % VIPD_BANKS : 0;
    if (pos.used) {
        const auto since = std::chrono::steady_clock::now() - pos.flipped;
        if (since < bank_grace) {
            std::this_thread::sleep_for(bank_grace - since);
        }
    }
    Log log{r};
    for (uint32_t b = 0; b < next.backends.size(); ++b) {
        if (!log(_w.backend(id, bank, b, next.backends[b]))) {
            return r.error;
        }
    }
    if (!next.table.empty() && !log(_w.table(id, bank, next.table))) {
        return r.error;
    }
    next.record.bank = bank;
    // A new key here: flows scheduled from the position's last record stop taking the fast path.
    uint32_t gen = pos.gen;
    if (!pos.used || pos.key != key) {
        gen = gen + 1 != 0 ? gen + 1 : 1;
    }
    next.record.gen = gen;
    const vipd_service_key k{.vip = std::get<0>(key), .port = std::get<1>(key), .proto = std::get<2>(key), .pad = 0};
    if (!log(_w.service(k, next.record))) {
        return r.error;
    }
    // The record first: a packet that reads the new word finds the new record on the slow path too.
    _w.service_hot(id, vipd_hot_word(gen, next.record.kind, static_cast<uint8_t>(bank),
                                     static_cast<uint16_t>(next.record.backends)));
    ++r.writes;
    pos = {.bank = bank, .used = true, .flipped = std::chrono::steady_clock::now(), .key = key, .gen = gen, .hot = true};
    ++r.services_written;
    _services[key] = std::move(next);
    return {};
}

SyncResult MapSync::apply(const fwd::Table& t)
{
    SyncResult r;
    Log log{r};
    auto ifindex_of = [&](uint16_t port) -> uint32_t { return port < _ifindex.size() ? _ifindex[port] : 0; };
    if (t.ports().size() > _ifindex.size()) {
        r.error = "the table has " + std::to_string(t.ports().size()) + " ports, the XDP node " +
                  std::to_string(_ifindex.size()) + " interfaces";
        return r;
    }

    // The node's interfaces, routes and neighbours: what next hops and NAT replies are resolved by.
    std::map<uint32_t, vipd_port> ports;
    for (uint16_t p = 0; p < t.ports().size(); ++p) {
        const fwd::Port& port = t.ports()[p];
        vipd_port rec{};
        std::memcpy(rec.mac, port.mac.data(), 6);
        rec.mtu = port.mtu;
        rec.ip = port.ip;
        rec.ifindex = ifindex_of(p);
        rec.flags = _port_flags[p];
        for (const auto& [other, _] : ports) {
            if (vipd_port_slot(other) == vipd_port_slot(rec.ifindex)) {
                r.error = "interfaces " + std::to_string(other) + " and " + std::to_string(rec.ifindex) +
                          " share a slot of the XDP port map (ifindex modulo " + std::to_string(VIPD_PORT_SLOTS) + ")";
                return r;
            }
        }
        ports[rec.ifindex] = rec;
    }
    std::map<std::pair<uint32_t, uint8_t>, vipd_route> routes;
    for (const fwd::Table::RouteEntry& rt : t.routes()) {
        // Longest prefix first: the first entry for a network wins, as in Table::next_hop.
        routes.try_emplace({rt.net, static_cast<uint8_t>(std::popcount(rt.mask))},
                           vipd_route{.gateway = rt.gateway, .ifindex = ifindex_of(rt.port)});
    }
    std::map<uint32_t, std::array<uint8_t, 6>> neighbours(t.neighbours().begin(), t.neighbours().end());
    // The VRIDs whose adverts go on to the kernel: each one that changed (all the first time).
    const std::array<uint64_t, 4>& vrids = t.snapshot().vrids();
    for (unsigned v = 0; v < 256; ++v) {
        const bool ours = ((vrids[v >> 6] >> (v & 63)) & 1) != 0;
        const bool was = ((_vrids[v >> 6] >> (v & 63)) & 1) != 0;
        if ((ours != was || !_ready) && !log(_w.vrid(static_cast<uint8_t>(v), ours))) {
            return r;
        }
    }
    _vrids = vrids;
    for (const auto& [ifindex, rec] : ports) {
        if (auto it = _ports.find(ifindex); (it == _ports.end() || !same(it->second, rec)) && !log(_w.port(ifindex, rec))) {
            return r;
        }
    }
    for (const auto& [key, rec] : routes) {
        if (auto it = _routes.find(key); (it == _routes.end() || !same(it->second, rec)) &&
                                         !log(_w.route(key.first, key.second, rec))) {
            return r;
        }
    }
    for (const auto& [ip, mac] : neighbours) {
        vipd_neighbour rec{};
        std::memcpy(rec.mac, mac.data(), 6);
        if (auto it = _neighbours.find(ip); (it == _neighbours.end() || it->second != mac) && !log(_w.neighbour(ip, rec))) {
            return r;
        }
    }

    // Services: new or changed ones into their other bank, then their record.
    std::map<ServiceKey, vipd_nat_reply> nat;  // as fwd::Snapshot files NAT replies: config order
    std::set<ServiceKey> present;
    const auto services = t.services();
    for (uint32_t si = 0; si < services.size() && si < VIPD_MAX_SERVICES; ++si) {
        const fwd::Service& s = services[si];
        const ServiceKey key{s.vip, s.port, s.proto};
        ServiceRecord rec = service_record(si, static_cast<uint8_t>(s.kind), s.sched, s.persist_s, s.persist_mask);
        if (!rec.error.empty()) {
            const uint32_t a = wire::net32(s.vip);
            r.skipped.push_back({.vip = s.vip, .port = s.port, .proto = s.proto, .virtual_server = s.virtual_server,
                                 .why = std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
                                        std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff) + ":" +
                                        std::to_string(wire::net16(s.port)) + (s.proto == 6 ? "/tcp: " : "/udp: ") +
                                        rec.error});
            continue;
        }
        present.insert(key);
        Written next{.record = rec.record, .backends = {}, .table = {}};
        for (uint32_t b = 0; b < s.backends.size(); ++b) {
            const fwd::Backend& be = s.backends[b];
            const fwd::NextHop& hop = t.hop(si, b);
            vipd_backend bk{};
            bk.ip = be.ip;
            bk.port = be.port;
            bk.hop_flags = static_cast<uint8_t>((hop.routed ? VIPD_HOP_ROUTED : 0) | (hop.mac_known ? VIPD_HOP_MAC_KNOWN : 0));
            bk.weight = s.sched.effective_weight(b);
            bk.hop_ip = hop.ip;
            bk.ifindex = ifindex_of(hop.port);
            std::memcpy(bk.mac, hop.mac.data(), 6);
            next.backends.push_back(bk);
        }
        if (rec.record.table_size != 0) {
            next.table.assign(s.sched.table().begin(), s.sched.table().end());
        }
        if (s.kind == fwd::Kind::nat) {
            for (const fwd::Backend& be : s.backends) {
                vipd_nat_reply& nr = nat[{be.ip, be.port, s.proto}];
                if (nr.count < VIPD_NAT_SERVICES) {
                    nr.service[nr.count++] = {.id = si, .vip = s.vip, .port = s.port, .pad = 0,
                                              .backends = static_cast<uint32_t>(s.backends.size())};
                }
            }
        }
        const auto it = _services.find(key);
        if (it != _services.end()) {
            next.record.bank = it->second.record.bank;  // compared without them: write_service() sets them
            next.record.gen = it->second.record.gen;
        }
        const bool unchanged = it != _services.end() && same(it->second.record, next.record) &&
                               same(it->second.backends, next.backends) && it->second.table == next.table &&
                               _positions[si].used;
        if (unchanged) {
            continue;
        }
        if (!write_service(si, key, std::move(next), r).empty()) {
            return r;
        }
    }
    for (auto& [key, w] : _services) {
        (void)w;
        if (present.count(key) == 0) {
            const vipd_service_key k{.vip = std::get<0>(key), .port = std::get<1>(key), .proto = std::get<2>(key), .pad = 0};
            if (!log(_w.remove_service(k))) {
                return r;
            }
        }
    }
    std::erase_if(_services, [&](const auto& kv) { return present.count(kv.first) == 0; });
    // A position whose key is gone, or has moved to another position, stops the fast path: its
    // flows find their service on the slow path (where the key's new position reschedules them).
    for (uint32_t id = 0; id < VIPD_MAX_SERVICES; ++id) {
        Position& pos = _positions[id];
        if (!pos.hot) {
            continue;
        }
        const auto it = _services.find(pos.key);
        if (it == _services.end() || it->second.record.id != id) {
            _w.service_hot(id, 0);
            pos.hot = false;
            ++r.writes;
        }
    }
    // The VIP filter of the services now written: words that gained a bit, and those that lost one.
    std::array<uint64_t, VIPD_VIP_FILTER_WORDS> filter{};
    for (const auto& [key, w] : _services) {
        (void)w;
        const uint32_t bit = vipd_vip_filter_bit(std::get<0>(key));
        filter[(bit >> 6) % VIPD_VIP_FILTER_WORDS] |= uint64_t{1} << (bit & 63);
    }
    for (uint32_t i = 0; i < VIPD_VIP_FILTER_WORDS; ++i) {
        if (filter[i] != _vip_filter[i]) {
            _w.vip_filter(i, filter[i]);
            ++r.writes;
        }
    }
    _vip_filter = filter;
    for (const auto& [key, rec] : nat) {
        const vipd_nat_key k{.ip = std::get<0>(key), .port = std::get<1>(key), .proto = std::get<2>(key), .pad = 0};
        if (auto it = _nat.find(key); (it == _nat.end() || !same(it->second, rec)) && !log(_w.nat_reply(k, rec))) {
            return r;
        }
    }

    // Addresses last when added (a VIP is owned once its services are whole), and removals after.
    std::map<uint32_t, uint32_t> addrs;
    for (const uint32_t a : t.local()) {
        addrs[a] |= VIPD_ADDR_LOCAL;
    }
    for (const fwd::Vip& v : t.vips()) {
        addrs[v.addr] |= VIPD_ADDR_VIP | (v.owned ? VIPD_ADDR_OWNED : 0);
    }
    for (const auto& [a, flags] : addrs) {
        if (auto it = _addrs.find(a); (it == _addrs.end() || it->second != flags) && !log(_w.addr(a, flags))) {
            return r;
        }
    }
    auto remove_stale = [&](auto& written, const auto& now, auto remove) {
        for (const auto& kv : written) {
            if (now.count(kv.first) == 0 && !log(remove(kv.first))) {
                return false;
            }
        }
        written = now;
        return true;
    };
    const bool removed =
        remove_stale(_addrs, addrs, [&](uint32_t a) { return _w.addr(a, 0); }) &&
        remove_stale(_nat, nat, [&](const ServiceKey& k) {
            return _w.remove_nat_reply({.ip = std::get<0>(k), .port = std::get<1>(k), .proto = std::get<2>(k), .pad = 0});
        }) &&
        remove_stale(_neighbours, neighbours, [&](uint32_t ip) { return _w.remove_neighbour(ip); }) &&
        remove_stale(_routes, routes, [&](const auto& k) { return _w.remove_route(k.first, k.second); }) &&
        remove_stale(_ports, ports, [&](uint32_t ifindex) { return _w.remove_port(ifindex); });
    if (!removed) {
        return r;
    }
    if (!_ready) {
        if (!log(_w.config(true))) {
            return r;
        }
        _ready = true;
    }
    return r;
}

}  // namespace xdp

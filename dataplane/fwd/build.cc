// Builds fwd::Snapshot from the config, the checkers' health and the VIPs owned now.
#include "dataplane/fwd/build.h"

#include "dataplane/wire/checksum.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace fwd {

uint32_t ipv4_of(const conf::Ip& ip) noexcept
{
    uint32_t a = 0;
    if (ip.is_v4()) {
        std::memcpy(&a, ip.bytes.data(), 4);  // bytes are network order already
    }
    return a;
}

namespace {

std::string where(const conf::VirtualServer& vs)
{
    return "virtual_server at line " + std::to_string(vs.loc.line);
}

Kind kind_of(conf::LbKind k) noexcept
{
    switch (k) {
    case conf::LbKind::nat: return Kind::nat;
    case conf::LbKind::tun: return Kind::tun;
    case conf::LbKind::dr: break;
    }
    return Kind::dr;
}

}  // namespace

// The friend of Snapshot that fills it.
class SnapshotBuilder {
public:
    static vipd::Result<std::shared_ptr<const Snapshot>> build(const conf::Config& config, const SnapshotInputs& in);
};

vipd::Result<std::shared_ptr<const Snapshot>> build_snapshot(const conf::Config& config, const SnapshotInputs& in)
{
    return SnapshotBuilder::build(config, in);
}

vipd::Result<std::shared_ptr<const Snapshot>> SnapshotBuilder::build(const conf::Config& config, const SnapshotInputs& in)
{
    auto s = std::make_shared<Snapshot>();
    s->_generation = in.generation;
    // Every vector is filled first (duplicates found with these sets) and indexed once at the end:
    // a config of 10,000 virtual servers builds in linear time, which matters as every health-check
    // change republishes.
    std::unordered_set<uint32_t> seen_vips;
    std::unordered_set<uint64_t> seen_services;
    std::unordered_map<uint64_t, uint32_t> nat_position;  // (ip, proto, port) → _nat position

    auto add_vip = [&](uint32_t a) {
        if (!seen_vips.insert(a).second) {
            return;
        }
        const bool owned = std::find(in.owned.begin(), in.owned.end(), a) != in.owned.end();
        s->_vips.push_back({.addr = a, .owned = owned});
    };
    for (const auto& inst : config.instances) {
        if (inst.vrid >= 1 && inst.vrid <= 255) {
            s->_vrids[static_cast<unsigned>(inst.vrid) >> 6] |= uint64_t{1} << (inst.vrid & 63);
        }
        for (const auto& v : inst.vips) {
            if (v.addr.is_v4()) {
                add_vip(ipv4_of(v.addr));
            }
        }
    }

    for (size_t vsi = 0; vsi < config.virtual_servers.size(); ++vsi) {
        const auto& vs = config.virtual_servers[vsi];
        const VirtualServerHealth* health = vsi < in.health.size() ? &in.health[vsi] : nullptr;
        if (vs.by != conf::VirtualServer::By::address || !vs.addr.is_v4()) {
            s->_skipped.push_back(where(vs) + ": only IPv4 virtual servers by address are served");
            continue;
        }
        if (vs.protocol == conf::Protocol::sctp) {
            s->_skipped.push_back(where(vs) + ": SCTP is not served");
            continue;
        }
        if (s->_services.size() >= in.limits.max_services) {
            return vipd::fail("more than " + std::to_string(in.limits.max_services) + " virtual servers");
        }
        if (vs.real_servers.size() + (vs.sorry_server ? 1 : 0) > in.limits.max_backends) {
            return vipd::fail(where(vs) + ": more than " + std::to_string(in.limits.max_backends) + " real servers");
        }
        std::vector<Backend> backends;
        const bool sorry = health != nullptr && health->sorry && vs.sorry_server.has_value();
        auto add_backend = [&](const conf::RealServer& rs, uint32_t weight, bool available) {
            if (!rs.addr.is_v4()) {
                return;  // a mixed-family service: keepalived refuses it at validation
            }
            // keepalived's real_server port may be omitted (0): the virtual server's port.
            backends.push_back({.ip = ipv4_of(rs.addr),
                                .port = wire::net16(rs.port != 0 ? rs.port : vs.port),
                                .weight = std::min<uint32_t>(weight, sched::max_weight),
                                .available = available});
        };
        for (size_t i = 0; i < vs.real_servers.size(); ++i) {
            const auto& rs = vs.real_servers[i];
            const auto configured = static_cast<uint32_t>(std::clamp<int>(rs.weight, 0, sched::max_weight));
            const RealServerHealth h =
                health != nullptr && i < health->rs.size() ? health->rs[i] : RealServerHealth{configured, true};
            add_backend(rs, h.weight, h.up && !sorry);
        }
        if (sorry) {
            add_backend(*vs.sorry_server, std::max(1, vs.sorry_server->weight), true);
        }
        std::vector<sched::Backend> sb;
        sb.reserve(backends.size());
        for (const Backend& b : backends) {
            sb.push_back({.key = b.key(), .weight = b.weight, .available = b.available});
        }
        auto built = sched::Service::build(static_cast<sched::Algo>(vs.algo), sb);
        if (!built) {
            return vipd::fail(where(vs) + ": " + built.error);
        }
        Service svc{.vip = ipv4_of(vs.addr),
                    .port = wire::net16(vs.port),
                    .proto = static_cast<uint8_t>(vs.protocol == conf::Protocol::tcp ? 6 : 17),
                    .kind = kind_of(vs.kind),
                    .persist_s = vs.persistence_timeout_s,
                    .persist_mask = vs.persistence_granularity ? ipv4_of(*vs.persistence_granularity) : ~0u,
                    .virtual_server = static_cast<uint32_t>(vsi),
                    .backends = std::move(backends),
                    .sched = std::move(*built.service)};
        if (!seen_services.insert(svc.key()).second) {
            s->_skipped.push_back(where(vs) + ": duplicate virtual server");
            continue;
        }
        add_vip(svc.vip);
        if (svc.kind == Kind::nat) {
            const auto si = static_cast<uint32_t>(s->_services.size());
            for (const Backend& b : svc.backends) {
                const uint64_t key = (static_cast<uint64_t>(b.ip) << 32) | (uint64_t{b.port} << 8) | svc.proto;
                const auto [it, fresh] = nat_position.try_emplace(key, static_cast<uint32_t>(s->_nat.size()));
                if (fresh) {
                    s->_nat.push_back({.ip = b.ip, .port = b.port, .proto = svc.proto, .count = 0, .service = {}});
                }
                NatReply* nr = &s->_nat[it->second];
                if (nr->count == NatReply::max_services) {
                    s->_skipped.push_back(where(vs) + ": a real server serves more than " +
                                          std::to_string(NatReply::max_services) +
                                          " NAT services; its replies for this one are not translated");
                    continue;
                }
                if (nr->count == 0 || nr->service[nr->count - 1] != si) {
                    nr->service[nr->count++] = si;
                }
            }
        }
        s->_services.push_back(std::move(svc));
    }
    s->_vip_index = OpenIndex::of(std::span<const Vip>(s->_vips), [](const Vip& v) { return sched::mix32(v.addr); });
    s->_service_index = OpenIndex::of(std::span<const Service>(s->_services),
                                      [](const Service& x) { return service_hash(x.vip, x.proto, x.port); });
    s->_nat_index = OpenIndex::of(std::span<const NatReply>(s->_nat),
                                  [](const NatReply& x) { return nat_hash(x.ip, x.port, x.proto); });
    return std::shared_ptr<const Snapshot>(std::move(s));
}

}  // namespace fwd

// Builds fwd::Table from the config and the control plane's knowledge, and serves its lookups.
#include "dataplane/fwd/table.h"

#include <algorithm>
#include <bit>
#include <cstring>

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

uint32_t service_hash(uint32_t vip, uint8_t proto, uint16_t port) noexcept
{
    return sched::mix32(vip ^ sched::mix32((static_cast<uint32_t>(port) << 8) | proto));
}

std::vector<uint32_t> make_slots(size_t n)
{
    return std::vector<uint32_t>(std::bit_ceil(std::max<size_t>(2 * n, 2)), 0);
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

}  // namespace

BuildResult Table::build(const conf::Config& config, const Inputs& in)
{
    BuildResult r;
    std::unique_ptr<Table> t(new Table());
    t->_ports = in.ports;
    t->_generation = in.generation;

    auto add_vip = [&](uint32_t a) {
        if (t->find_vip(a) != nullptr) {
            return;
        }
        const bool owned = std::find(in.owned.begin(), in.owned.end(), a) != in.owned.end();
        t->_vips.push_back({.addr = a, .owned = owned});
        // Rebuild as we go: VIP counts are small and this is the control thread.
        t->_vip_slots = make_slots(t->_vips.size());
        for (uint32_t i = 0; i < t->_vips.size(); ++i) {
            place(t->_vip_slots, sched::mix32(t->_vips[i].addr), i);
        }
    };
    for (const auto& inst : config.instances) {
        for (const auto& v : inst.vips) {
            if (v.addr.is_v4()) {
                add_vip(v4(v.addr));
            }
        }
    }

    for (const auto& vs : config.virtual_servers) {
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
        if (vs.real_servers.size() > in.max_backends) {
            r.error = where(vs) + ": more than " + std::to_string(in.max_backends) + " real servers";
            return r;
        }
        std::vector<Backend> backends;
        std::vector<sched::Backend> sb;
        for (const auto& rs : vs.real_servers) {
            if (!rs.addr.is_v4()) {
                continue;  // a mixed-family service: keepalived refuses it at validation
            }
            Backend b{.ip = v4(rs.addr),
                      .port = static_cast<uint16_t>((rs.port >> 8) | (rs.port << 8)),
                      .mac = {},
                      .mac_known = false,
                      .weight = static_cast<uint32_t>(std::clamp<int>(rs.weight, 0, sched::max_weight))};
            for (const auto& [ip, mac] : in.neighbours) {
                if (ip == b.ip) {
                    b.mac = mac;
                    b.mac_known = true;
                }
            }
            sb.push_back({.key = (static_cast<uint64_t>(b.ip) << 16) | b.port, .weight = b.weight});
            backends.push_back(b);
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
                  .backends = std::move(backends),
                  .sched = std::move(*built.service)};
        uint32_t dup = 0;
        if (t->find_service(s.vip, s.proto, s.port, &dup) != nullptr) {
            r.skipped.push_back(where(vs) + ": duplicate virtual server");
            continue;
        }
        add_vip(s.vip);
        t->_services.push_back(std::move(s));
        t->_service_slots = make_slots(t->_services.size());
        for (uint32_t i = 0; i < t->_services.size(); ++i) {
            const Service& x = t->_services[i];
            place(t->_service_slots, service_hash(x.vip, x.proto, x.port), i);
        }
    }
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

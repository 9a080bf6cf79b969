// The interfaces a forwarding dataplane takes (interfaces.h).
#include "control/kernel/interfaces.h"

#include <fmt/format.h>

#include <algorithm>

namespace kernel {

std::vector<TakenInterface> interfaces_to_take(const conf::Config& cfg, Netlink& nl, const std::vector<std::string>& extra)
{
    std::vector<TakenInterface> out;
    auto want = [&](const std::string& n, std::string why) {
        if (!n.empty() && std::none_of(out.begin(), out.end(), [&](const TakenInterface& t) { return t.name == n; })) {
            out.push_back({n, std::move(why)});
        }
    };
    for (const auto& vi : cfg.instances) {
        want(vi.interface, fmt::format("vrrp_instance {}", vi.name));
        for (const auto* list : {&vi.vips, &vi.excluded_vips}) {
            for (const auto& vip : *list) {
                want(vip.dev, fmt::format("a VIP of vrrp_instance {}", vi.name));
            }
        }
    }
    auto route_of = [&](const conf::RealServer& rs, const char* what) {
        if (!rs.addr.is_v4()) {
            return;
        }
        const auto r = nl.route_to(rs.addr);
        if (!r) {
            return;
        }
        const auto link = nl.link(r->ifindex);
        if (!link || link->name == "lo") {
            return;
        }
        want(link->name, fmt::format("the route to {} {}", what, rs.addr.str()));
    };
    for (const auto& vs : cfg.virtual_servers) {
        for (const auto& rs : vs.real_servers) {
            route_of(rs, "real server");
        }
        if (vs.sorry_server) {
            route_of(*vs.sorry_server, "sorry server");
        }
    }
    for (const auto& n : extra) {
        want(n, "--interface");
    }
    return out;
}

}  // namespace kernel

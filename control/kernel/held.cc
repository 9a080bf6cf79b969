// An interface's IPv4 addresses and routes as a forwarding node takes them (see held.h).
#include "control/kernel/held.h"

#include <linux/rtnetlink.h>

#include <algorithm>
#include <exception>

namespace kernel {

std::unique_ptr<Netlink> open_netlink(std::string& error)
{
    try {
        return std::make_unique<Netlink>();
    } catch (const std::exception& e) {
        error = "netlink: " + std::string(e.what());
        return nullptr;
    }
}

void HeldIpv4::read(Netlink& nl, int ifindex)
{
    addrs.clear();
    routes.clear();
    for (const auto& [ip, prefix] : nl.addresses(ifindex)) {
        if (ip.is_v4()) {
            addrs.emplace_back(ip, prefix);
        }
    }
    for (const auto& r : nl.routes4(ifindex)) {
        if (r.protocol != RTPROT_KERNEL) {
            routes.push_back(r);
        }
    }
}

void HeldIpv4::add_port(fwd::Links& in, uint16_t port, const fwd::Mac& mac, unsigned mtu) const
{
    fwd::Port& p = in.ports[port];
    p.mac = mac;
    if (!addrs.empty()) {
        p.ip = fwd::ipv4_of(addrs.front().first);
        p.prefix = addrs.front().second;
    }
    p.mtu = static_cast<uint16_t>(std::min(mtu, 65535u));
    for (const auto& [ip, prefix] : addrs) {
        in.local.push_back(fwd::ipv4_of(ip));
    }
    for (const auto& r : routes) {
        in.routes.push_back(
            {.dst = fwd::ipv4_of(r.dst), .prefix = r.prefix, .port = port, .gateway = r.gateway ? fwd::ipv4_of(*r.gateway) : 0});
    }
}

}  // namespace kernel

// What a forwarding node (DPDK or XDP) keeps of each interface it takes: its IPv4 addresses and the
// routes through it besides the connected ones, read once at take; and the neighbours worth learning,
// from those and a snapshot. Both nodes' control threads; kernel mode holds nothing.
#pragma once

#include "control/kernel/netlink.h"
#include "dataplane/fwd/build.h"
#include "dataplane/fwd/neighbours.h"
#include "dataplane/fwd/snapshot.h"

#include <arpa/inet.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kernel {

struct HeldIpv4 {
    std::vector<std::pair<conf::Ip, uint8_t>> addrs;  // its IPv4 addresses
    std::vector<Route4> routes;                       // routes through it besides the connected ones

    /// Reads both from the kernel (a connected network's RTPROT_KERNEL route comes and goes with its
    /// address: not kept).
    void read(Netlink& nl, int ifindex);
    /// Files the interface into `in` as table port `port` (in.ports must have room for it): its MAC,
    /// first address and MTU as the port's, every address as the node's own, its routes through it.
    void add_port(fwd::Links& in, uint16_t port, const fwd::Mac& mac, unsigned mtu) const;
};

/// The netlink socket a forwarding node starts with, or nullptr with `error` saying why.
std::unique_ptr<Netlink> open_netlink(std::string& error);

/// The held interface of that name, or nullptr.
template <class Held>
const Held* held_named(const std::vector<Held>& held, const std::string& ifname)
{
    for (const Held& h : held) {
        if (h.ifname == ifname) {
            return &h;
        }
    }
    return nullptr;
}

/// The held interface a neighbour `ip` (network order) is reached on: the one whose connected network
/// holds it, else the one with a route through it as gateway; nullptr when none.
template <class Held>
const Held* held_for(const std::vector<Held>& held, uint32_t ip)
{
    for (const Held& h : held) {
        for (const auto& [addr, prefix] : h.addrs) {
            const uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
            if (((ntohl(fwd::ipv4_of(addr)) ^ ntohl(ip)) & mask) == 0) {
                return &h;
            }
        }
    }
    for (const Held& h : held) {
        for (const Route4& r : h.routes) {
            if (r.gateway && fwd::ipv4_of(*r.gateway) == ip) {
                return &h;
            }
        }
    }
    return nullptr;
}

/// The neighbours worth learning from any ARP: the snapshot's backends and the held routes'
/// gateways; the held addresses make a reply to our own requests recognisable. What `old` learned
/// stays known. `locktime` in the unit of the node's clock (fwd::Neighbours).
template <class Held>
fwd::Neighbours wanted_neighbours(const fwd::Snapshot& s, const std::vector<Held>& held, const fwd::Neighbours& old,
                                  uint64_t locktime)
{
    fwd::Neighbours n(locktime);
    for (const fwd::Service& svc : s.services()) {
        for (const fwd::Backend& b : svc.backends) {
            n.want(b.ip);
        }
    }
    for (const HeldIpv4& h : held) {
        for (const Route4& r : h.routes) {
            if (r.gateway) {
                n.want(fwd::ipv4_of(*r.gateway));
            }
        }
        for (const auto& [ip, prefix] : h.addrs) {
            n.ours(fwd::ipv4_of(ip));
        }
    }
    n.adopt(old);
    return n;
}

}  // namespace kernel

// What the packet path's files share (process.cc: classify, ARP, serve, NAT replies; icmp.cc: the
// ICMP errors sent and relayed): the results and the steps both take. Internal to pkt/.
#pragma once

#include "dataplane/dpdk/datapath/pkt/process.h"
#include "dataplane/wire/checksum.h"
#include "dataplane/wire/headers.h"

namespace pkt::detail {

constexpr Result drop(DropReason r) noexcept { return {.verdict = Verdict::drop, .reason = r}; }
constexpr Result verdict(Verdict v, uint16_t port = 0) noexcept
{
    return {.verdict = v, .reason = DropReason::none, .port = port};
}

/// The frame out to `hop` (its MAC known), or an ARP request for it in its place (one a second).
Result to_next_hop(const fwd::Table& table, LcoreState& lc, Frame& f, const fwd::NextHop& hop, uint64_t now) noexcept;
/// A packet of (service, backend) counted, `bytes` its IP length, `out` for backend → client.
void count_backend(LcoreState& lc, uint32_t si, uint32_t b, uint32_t bytes, bool out) noexcept;
/// IPIP to `be` through `hop`; over the MTU with DF, fragmentation needed where `may_answer`.
Result tunnel(const fwd::Table& table, LcoreState& lc, Frame& f, wire::Ipv4Hdr* ip, uint32_t total, const fwd::Backend& be,
              const fwd::NextHop& hop, bool may_answer, uint64_t now) noexcept;

/// A packet without ports of its own (an ICMP error about a flow, a later fragment) on to real
/// server `b` of service `svc` (position `si`), counted: DR as it is, NAT with the destination address
/// rewritten and `nat_rewrite(backend)` for what else the caller rewrites, TUN in IPIP (never
/// answered with fragmentation needed). TTL − 1 on every path.
template <class NatRewrite>
Result to_real_server(const fwd::Table& table, LcoreState& lc, Frame& f, wire::Ipv4Hdr* ip, uint32_t total,
                      const fwd::Service& svc, uint32_t si, uint32_t b, uint64_t now, NatRewrite&& nat_rewrite) noexcept
{
    const fwd::Backend& be = svc.backends[b];
    const fwd::NextHop& hop = table.hop(si, b);
    count_backend(lc, si, b, total, false);
    switch (svc.kind) {
    case fwd::Kind::dr:
        wire::ip_decrease_ttl(ip);
        return to_next_hop(table, lc, f, hop, now);
    case fwd::Kind::nat: {
        const uint32_t old_dst = ip->dst;
        ip->dst = be.ip;
        ip->checksum = wire::csum_replace32(ip->checksum, old_dst, be.ip);
        nat_rewrite(be);
        wire::ip_decrease_ttl(ip);
        return to_next_hop(table, lc, f, hop, now);
    }
    case fwd::Kind::tun:
        return tunnel(table, lc, f, ip, total, be, hop, false, now);
    }
    return drop(DropReason::kind_unsupported);
}

/// An ICMP error about the packet in `f` back to its sender from `src` (rate-limited).
Result icmp_error(const fwd::Table& table, LcoreState& lc, Frame& f, uint8_t type, uint8_t code, uint16_t mtu,
                  uint32_t src, uint64_t now) noexcept;
/// Fragmentation needed for the packet in `f`, reporting the room left on a port of `port_mtu`.
Result frag_needed(const fwd::Table& table, LcoreState& lc, Frame& f, uint32_t port_mtu, uint64_t now) noexcept;
/// ICMP to a VIP: an error about a flow of ours on to its real server; anything else the kernel's.
Result icmp_to_vip(const fwd::Table& table, LcoreState& lc, Frame& f, wire::Ipv4Hdr* ip, uint32_t hlen, uint32_t total,
                   uint64_t now) noexcept;
/// ICMP from a NAT real server's side to a client: an error about a flow of ours back as from the VIP.
Result icmp_from_backend(const fwd::Table& table, LcoreState& lc, Frame& f, wire::Ipv4Hdr* ip, uint32_t hlen,
                         uint32_t total, uint64_t now) noexcept;

/// The fragment cache (frag.cc). A first fragment's outcome `to` (VIPD_FRAG_*), kept for the later
/// fragments of its datagram: the service position and port, the flow's real server, and for a
/// NAT reply the VIP it leaves from.
void remember_fragment(LcoreState& lc, const wire::Ipv4Hdr* ip, uint8_t to, uint32_t si, uint32_t backend,
                       uint16_t port, uint32_t vip, uint64_t now) noexcept;
/// A later fragment (offset ≠ 0) of TCP or UDP: where its first fragment went, in `r`. False where it
/// is neither to a VIP nor a NAT reply's: the caller decides it as any other packet for the node.
bool later_fragment(const fwd::Table& table, LcoreState& lc, Frame& f, wire::Ipv4Hdr* ip, uint32_t total, uint64_t now,
                    Result& r) noexcept;

}  // namespace pkt::detail

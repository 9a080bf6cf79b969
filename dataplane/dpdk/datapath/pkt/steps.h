// What the packet path's files share (process.cc: classify, ARP, serve, NAT replies; icmp.cc: the
// ICMP errors sent and relayed): the results and the steps both take. Internal to pkt/.
#pragma once

#include "dataplane/dpdk/datapath/pkt/process.h"
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

}  // namespace pkt::detail

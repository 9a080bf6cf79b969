// ICMP on the packet path: the errors the node sends itself (time exceeded, fragmentation needed for
// TUN), rate-limited as the kernel's, and the errors about balanced flows that it relays, as IPVS's
// ip_vs_in_icmp() and ip_vs_out_icmp(). The XDP program mirrors it in bpf/datapath/lib/icmp.h and
// icmp_relay.h.
#include "dataplane/dpdk/datapath/pkt/steps.h"

#include "dataplane/dpdk/datapath/flow/hash.h"
#include "dataplane/wire/headers.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace pkt::detail {

using namespace wire;

namespace {

// The kernel's ICMP rate limit (icmp_msgs_per_sec 1000, icmp_msgs_burst 50), per lcore: false when
// no token is left.
bool icmp_allowed(LcoreState& lc, uint64_t now) noexcept
{
    const uint64_t per_token = std::max<uint64_t>(lc.hz / 1000, 1);
    // The refill time advances by the whole tokens earned only: packets closer together than a
    // token's time must not discard the part of one they have accumulated (a flood would then
    // never earn a token back).
    if (now > lc.icmp_refilled) {
        const uint64_t earned = (now - lc.icmp_refilled) / per_token;
        lc.icmp_tokens = std::min<uint64_t>(50, lc.icmp_tokens + earned);
        lc.icmp_refilled += earned * per_token;
    }
    if (lc.icmp_tokens == 0) {
        return false;
    }
    --lc.icmp_tokens;
    return true;
}

}  // namespace

// An ICMP error (RFC 792) about the IP packet in `f`, back to its sender from `src`: the original
// header and 8 bytes of its data follow the new headers. Built in place; the frame grows into its
// headroom when the error is longer than the packet (a small segment's: 42 + 28 bytes from a
// 54-byte frame), and the quote shrinks to what the frame and its headroom hold, never below the
// original's 20-byte header and 8 bytes (else nothing is sent: too_big).
Result icmp_error(const fwd::Table& table, LcoreState& lc, Frame& f, uint8_t type, uint8_t code, uint16_t mtu,
                  uint32_t src, uint64_t now) noexcept
{
    if (!icmp_allowed(lc, now)) {
        return drop(DropReason::icmp_rate_limited);
    }
    const fwd::Port* p = table.port(f.port);
    if (p == nullptr) {
        return drop(DropReason::no_route);
    }
    constexpr uint32_t head = sizeof(EthHdr) + sizeof(Ipv4Hdr) + sizeof(IcmpHdr);
    const auto* orig = reinterpret_cast<const Ipv4Hdr*>(f.data + sizeof(EthHdr));
    const uint32_t avail = f.len + f.headroom;
    if (avail < head + sizeof(Ipv4Hdr) + 8) {
        return drop(DropReason::too_big);
    }
    const uint32_t quoted = std::min({orig->ihl() * 4u + 8, uint32_t{net16(orig->total_length)},
                                      f.len - static_cast<uint32_t>(sizeof(EthHdr)), avail - head});
    if (quoted < sizeof(Ipv4Hdr) + 8) {
        return drop(DropReason::too_big);
    }
    const uint32_t client = orig->src;
    std::array<uint8_t, 6> client_mac{};
    std::memcpy(client_mac.data(), f.data + 6, 6);
    const uint32_t grow = head + quoted > f.len ? head + quoted - f.len : 0;
    uint8_t* const out = f.data - grow;
    std::memmove(out + head, f.data + sizeof(EthHdr), quoted);
    f.data = out;
    f.headroom -= grow;
    f.len = head + quoted;

    auto* eth = reinterpret_cast<EthHdr*>(out);
    std::memcpy(eth->dst, client_mac.data(), 6);
    std::memcpy(eth->src, p->mac.data(), 6);
    const uint16_t ipv4_type = net16(ethertype_ipv4);
    std::memcpy(out + 12, &ipv4_type, 2);
    auto* ip = reinterpret_cast<Ipv4Hdr*>(out + sizeof(EthHdr));
    ip->version_ihl = 0x45;
    ip->tos = 0xc0;  // IPTOS_PREC_INTERNETCONTROL, as the kernel's icmp_send()
    ip->total_length = net16(static_cast<uint16_t>(sizeof(Ipv4Hdr) + sizeof(IcmpHdr) + quoted));
    ip->id = net16(lc.ip_id++);
    ip->frag = 0;
    ip->ttl = 64;
    ip->proto = ipproto_icmp;
    ip->checksum = 0;
    ip->src = src;
    ip->dst = client;
    ip->checksum = net16(checksum(ip, sizeof(Ipv4Hdr)));
    auto* icmp = reinterpret_cast<IcmpHdr*>(ip + 1);
    icmp->type = type;
    icmp->code = code;
    icmp->checksum = 0;
    icmp->unused = 0;
    icmp->mtu = net16(mtu);
    icmp->checksum = net16(checksum(icmp, sizeof(IcmpHdr) + quoted));
    return verdict(Verdict::reply, f.port);
}

// ICMP destination unreachable, fragmentation needed (RFC 792, RFC 1191 §4) back to the sender of
// the IP packet in `f`, as kernel IPVS sends when a tunnelled packet with DF would exceed the MTU
// of the out port (`port_mtu`), reporting the room left after the outer header. A port whose room
// is under 68 bytes (RFC 791: every hop passes 68) has no path MTU to report: nothing is sent.
Result frag_needed(const fwd::Table& table, LcoreState& lc, Frame& f, uint32_t port_mtu, uint64_t now) noexcept
{
    if (port_mtu < 68 + sizeof(Ipv4Hdr)) {
        return drop(DropReason::too_big);
    }
    const fwd::Port* p = table.port(f.port);
    const uint32_t vip = reinterpret_cast<const Ipv4Hdr*>(f.data + sizeof(EthHdr))->dst;
    // The node's address on the port, else the VIP.
    const uint32_t src = p != nullptr && p->ip != 0 ? p->ip : vip;
    return icmp_error(table, lc, f, icmp_dest_unreach, icmp_frag_needed,
                      static_cast<uint16_t>(std::min<uint32_t>(port_mtu - sizeof(Ipv4Hdr), 0xffff)), src, now);
}

namespace {

// The quoted datagram's source and destination ports, read and written at any alignment (packed, as
// the headers are: a frame need not start on an even address).
struct __attribute__((packed)) QuotedPorts {
    uint16_t src;
    uint16_t dst;
};
// An ICMP error (RFC 792: destination unreachable, source quench, time exceeded, parameter problem)
// and the datagram it is about, as quoted after it: its IP header and at least the 8 bytes that
// hold TCP's or UDP's ports (a later fragment has none).
struct IcmpAbout {
    IcmpHdr* icmp = nullptr;
    Ipv4Hdr* inner = nullptr;
    QuotedPorts* ports = nullptr;
};
bool icmp_error_about(Ipv4Hdr* ip, uint32_t hlen, uint32_t total, IcmpAbout& a) noexcept
{
    if (total < hlen + sizeof(IcmpHdr) + sizeof(Ipv4Hdr) + 8) {
        return false;
    }
    auto* icmp = reinterpret_cast<IcmpHdr*>(reinterpret_cast<uint8_t*>(ip) + hlen);
    if (icmp->type != 3 && icmp->type != 4 && icmp->type != 11 && icmp->type != 12) {
        return false;
    }
    auto* inner = reinterpret_cast<Ipv4Hdr*>(icmp + 1);
    const uint32_t ihl = inner->ihl() * 4u;
    if (inner->version() != 4 || ihl < sizeof(Ipv4Hdr) || total < hlen + sizeof(IcmpHdr) + ihl + 8 ||
        (inner->proto != ipproto_tcp && inner->proto != ipproto_udp) || (net16(inner->frag) & 0x1fff) != 0) {
        return false;
    }
    a = {.icmp = icmp, .inner = inner, .ports = reinterpret_cast<QuotedPorts*>(reinterpret_cast<uint8_t*>(inner) + ihl)};
    return true;
}

// The quoted datagram's source (`source`) or destination address and port become `to_addr`,
// `to_port`: its header checksum, and the ICMP checksum over all three, incrementally (the quoted L4
// checksum stays, as IPVS leaves it: no receiver checks a quote's).
void icmp_rewrite_quote(IcmpAbout& a, bool source, uint32_t to_addr, uint16_t to_port) noexcept
{
    const uint32_t old_addr = source ? a.inner->src : a.inner->dst;
    const uint16_t old_port = source ? a.ports->src : a.ports->dst;
    const uint16_t old_check = a.inner->checksum;
    (source ? a.inner->src : a.inner->dst) = to_addr;
    (source ? a.ports->src : a.ports->dst) = to_port;
    a.inner->checksum = csum_replace32(a.inner->checksum, old_addr, to_addr);
    uint16_t c = csum_replace32(a.icmp->checksum, old_addr, to_addr);
    c = csum_replace16(c, old_check, a.inner->checksum);
    a.icmp->checksum = csum_replace16(c, old_port, to_port);
}

}  // namespace

// An ICMP error to a VIP about a datagram a real server sent from VIP:port in a flow of ours (a
// router on the way to the client reporting fragmentation needed, a host unreachable): on to that
// real server as the flow's packets go, as IPVS's ip_vs_in_icmp() — DR as it is, TUN in IPIP, NAT
// with the outer destination and the quoted source translated to the real server. Path MTU
// discovery works through the balancer. About no flow of ours: the kernel's, as before.
Result icmp_to_vip(const fwd::Table& table, LcoreState& lc, Frame& f, Ipv4Hdr* ip, uint32_t hlen, uint32_t total,
                   uint64_t now) noexcept
{
    IcmpAbout a;
    if (!icmp_error_about(ip, hlen, total, a) || a.inner->src != ip->dst) {
        return verdict(Verdict::to_exception);
    }
    uint32_t si = 0;
    const fwd::Service* svc = table.find_service(a.inner->src, a.inner->proto, a.ports->src, &si);
    if (svc == nullptr) {
        return verdict(Verdict::to_exception);
    }
    const flow::Key4 key{.src = a.inner->dst, .dst = a.inner->src, .sport = a.ports->dst, .dport = a.ports->src,
                         .proto = a.inner->proto};
    const uint16_t owner = lc.steering != nullptr ? lc.steering->owner(key) : lc.self;
    if (owner != lc.self) {
        return {.verdict = Verdict::redirect, .reason = DropReason::none, .port = 0, .lcore = owner, .hop = 0};
    }
    const flow::Entry* e = lc.flows.lookup(key, lc.flows.hash(key), now);
    if (e == nullptr || e->service != si || e->backend >= svc->backends.size()) {
        return verdict(Verdict::to_exception);
    }
    if (ip->ttl <= 1) {
        return drop(DropReason::ttl_exceeded);  // nothing is sent about an ICMP error
    }
    return to_real_server(table, lc, f, ip, total, *svc, si, e->backend, now,
                          [&](const fwd::Backend& be) { icmp_rewrite_quote(a, true, be.ip, be.port); });
}

// An ICMP error from a NAT real server (or a router behind it) to a client about a datagram the
// client sent through a flow of ours (after DNAT: client → real server): back to the client as from
// VIP:port, as IPVS's ip_vs_out_icmp(): the outer source and the quoted destination translated.
// About no flow of ours: the kernel's, as before (never translated statelessly).
Result icmp_from_backend(const fwd::Table& table, LcoreState& lc, Frame& f, Ipv4Hdr* ip, uint32_t hlen, uint32_t total,
                         uint64_t now) noexcept
{
    IcmpAbout a;
    if (!icmp_error_about(ip, hlen, total, a) || a.inner->src != ip->dst) {
        return verdict(Verdict::to_exception);
    }
    const fwd::NatReply* nr = table.find_nat_reply(a.inner->dst, a.ports->dst, a.inner->proto);
    if (nr == nullptr) {
        return verdict(Verdict::to_exception);
    }
    const auto services = table.services();
    const flow::Entry* e = nullptr;
    uint32_t si = UINT32_MAX;
    for (uint32_t i = f.hop; i < nr->count; ++i) {
        const uint32_t cand = nr->service[i];
        const fwd::Service& svc = services[cand];
        const flow::Key4 key{.src = a.inner->src, .dst = svc.vip, .sport = a.ports->src, .dport = svc.port,
                             .proto = a.inner->proto};
        const uint16_t owner = lc.steering != nullptr ? lc.steering->owner(key) : lc.self;
        if (owner != lc.self) {
            return {.verdict = Verdict::redirect, .reason = DropReason::none, .port = 0, .lcore = owner,
                    .hop = static_cast<uint8_t>(i)};
        }
        const flow::Entry* c = lc.flows.lookup(key, lc.flows.hash(key), now);
        if (c != nullptr && c->service == cand && c->backend < svc.backends.size() &&
            svc.backends[c->backend].ip == a.inner->dst && svc.backends[c->backend].port == a.ports->dst) {
            e = c;
            si = cand;
            break;
        }
    }
    if (e == nullptr) {
        return verdict(Verdict::to_exception);
    }
    if (ip->ttl <= 1) {
        return drop(DropReason::ttl_exceeded);
    }
    const fwd::Service& svc = services[si];
    const uint32_t old_src = ip->src;
    ip->src = svc.vip;
    ip->checksum = csum_replace32(ip->checksum, old_src, svc.vip);
    icmp_rewrite_quote(a, false, svc.vip, svc.port);
    ip_decrease_ttl(ip);
    count_backend(lc, si, e->backend, total, true);
    return to_next_hop(table, lc, f, table.next_hop(ip->dst), now);
}

}  // namespace pkt::detail

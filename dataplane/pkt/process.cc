// Classify, ARP responder and DR rewrite: the body of the lcore loop, one frame at a time.
#include "dataplane/pkt/process.h"

#include "dataplane/flow/hash.h"
#include "dataplane/pkt/headers.h"

#include <cstring>

namespace pkt {

LcoreState::LcoreState(const Limits& limits, const flow::Timeouts& timeouts) : flows(limits.flows, timeouts)
{
    sched.reserve(limits.services);
    for (uint32_t i = 0; i < limits.services; ++i) {
        sched.emplace_back(limits.backends);
    }
}

namespace {

constexpr Result drop(DropReason r) noexcept { return {.verdict = Verdict::drop, .reason = r}; }
constexpr Result verdict(Verdict v) noexcept { return {.verdict = v, .reason = DropReason::none}; }

Result arp(const fwd::Table& table, uint8_t* frame, uint32_t len, uint16_t port) noexcept
{
    if (len < sizeof(EthHdr) + sizeof(ArpHdr)) {
        return drop(DropReason::arp_truncated);
    }
    auto* eth = reinterpret_cast<EthHdr*>(frame);
    auto* a = reinterpret_cast<ArpHdr*>(frame + sizeof(EthHdr));
    // RFC 826 "Packet Reception": only Ethernet hardware and IPv4 protocol addresses are ours.
    if (a->htype != net16(1) || a->ptype != net16(ethertype_ipv4) || a->hlen != 6 || a->plen != 4) {
        return drop(DropReason::arp_unsupported);
    }
    if (a->op != net16(arp_op_request) || a->spa == a->tpa) {
        // Replies and gratuitous ARP: the kernel learns neighbours (backend MACs) from them, and a
        // GARP for a VIP we hold is a conflict the control plane must hear about.
        return verdict(Verdict::to_exception);
    }
    const fwd::Port* p = table.port(port);
    const fwd::Vip* vip = table.find_vip(a->tpa);
    const bool ours = p != nullptr && p->ip != 0 && a->tpa == p->ip;
    if (!ours) {
        if (vip == nullptr) {
            return drop(DropReason::arp_not_ours);
        }
        if (!vip->owned) {
            return drop(DropReason::arp_vip_not_owned);
        }
    }
    if (p == nullptr) {
        return drop(DropReason::arp_not_ours);
    }
    // RFC 826: swap sender and target, put our hardware address as sender, opcode reply.
    std::memcpy(eth->dst, a->sha, 6);
    std::memcpy(eth->src, p->mac.data(), 6);
    a->op = net16(arp_op_reply);
    std::memcpy(a->tha, a->sha, 6);
    const uint32_t asked = a->tpa;
    a->tpa = a->spa;
    std::memcpy(a->sha, p->mac.data(), 6);
    a->spa = asked;
    return verdict(Verdict::reply);
}

Result ipv4(const fwd::Table& table, LcoreState& lc, uint8_t* frame, uint32_t len, uint16_t port,
            uint64_t now) noexcept
{
    if (len < sizeof(EthHdr) + sizeof(Ipv4Hdr)) {
        return drop(DropReason::ip_truncated);
    }
    auto* ip = reinterpret_cast<Ipv4Hdr*>(frame + sizeof(EthHdr));
    // RFC 791 §3.1 / RFC 1122 §3.2.1.1: version 4 only.
    if (ip->version() != 4) {
        return drop(DropReason::ip_bad_version);
    }
    // RFC 791 §3.1: IHL counts 32-bit words, minimum 5.
    const uint32_t hlen = ip->ihl() * 4u;
    if (hlen < sizeof(Ipv4Hdr)) {
        return drop(DropReason::ip_bad_ihl);
    }
    const uint32_t l3len = len - static_cast<uint32_t>(sizeof(EthHdr));
    if (l3len < hlen) {
        return drop(DropReason::ip_truncated);
    }
    // RFC 1122 §3.2.1.2: total length covers the header; the frame may be longer (Ethernet padding).
    const uint32_t total = net16(ip->total_length);
    if (total < hlen) {
        return drop(DropReason::ip_bad_length);
    }
    if (total > l3len) {
        return drop(DropReason::ip_truncated);
    }
    // RFC 1122 §3.2.1.2: a datagram whose header checksum fails is silently discarded.
    if (csum_fold(csum_add(0, ip, hlen)) != 0xffff) {
        return drop(DropReason::ip_bad_checksum);
    }
    // VRRP (RFC 5798 §5.1.1.4): every advert goes to the control thread, which validates it
    // (§7.1: TTL 255, version, VRID, auth…) and runs the state machine.
    if (ip->proto == ipproto_vrrp) {
        return verdict(Verdict::to_control);
    }
    const fwd::Vip* vip = table.find_vip(ip->dst);
    if (vip == nullptr) {
        return verdict(Verdict::to_exception);  // the node's own traffic: the kernel's stack
    }
    if (ip->proto != ipproto_tcp && ip->proto != ipproto_udp) {
        return verdict(Verdict::to_exception);  // ICMP to a VIP: the kernel answers, as with keepalived
    }
    if (ip->is_fragment()) {
        return drop(DropReason::ip_fragment);
    }
    const uint8_t* l4 = reinterpret_cast<const uint8_t*>(ip) + hlen;
    const uint32_t l4len = total - hlen;
    uint8_t tcp_flags = 0;
    if (ip->proto == ipproto_tcp) {
        // RFC 9293 §3.1: data offset ≥ 5 words, the header within the datagram.
        if (l4len < sizeof(TcpHdr)) {
            return drop(DropReason::l4_truncated);
        }
        const auto* th = reinterpret_cast<const TcpHdr*>(l4);
        if (th->doff() < 5 || th->doff() * 4u > l4len) {
            return drop(DropReason::l4_truncated);
        }
        tcp_flags = th->flags;
    } else if (l4len < sizeof(UdpHdr)) {  // RFC 768
        return drop(DropReason::l4_truncated);
    }
    uint16_t sport = 0;
    uint16_t dport = 0;
    std::memcpy(&sport, l4, 2);
    std::memcpy(&dport, l4 + 2, 2);

    uint32_t si = 0;
    const fwd::Service* svc = table.find_service(ip->dst, ip->proto, dport, &si);
    if (svc == nullptr) {
        // A VIP port with no virtual service: with keepalived the VIP sits on an interface and the
        // kernel answers (RST, port unreachable, or a local listener); the exception path does that.
        return verdict(Verdict::to_exception);
    }
    if (svc->kind != conf::LbKind::dr) {
        return drop(DropReason::kind_unsupported);
    }
    // IPVS decrements the TTL on every forwarded packet, DR included: ip_vs_dr_xmit() →
    // __ip_vs_get_out_rt() → decrement_ttl() (net/netfilter/ipvs/ip_vs_xmit.c, since Linux 4.2),
    // which drops TTL ≤ 1 (with ICMP time exceeded, not sent here yet). Checked before scheduling so
    // a dying packet costs no flow state.
    if (ip->ttl <= 1) {
        return drop(DropReason::ttl_exceeded);
    }
    if (si >= lc.sched.size()) {
        return drop(DropReason::no_backend);  // the table outgrew the lcore's limits: a control bug
    }

    const flow::Key4 key{.src = ip->src, .dst = ip->dst, .sport = sport, .dport = dport, .proto = ip->proto};
    const uint32_t hash = flow::hash_v4(key);
    flow::Entry* e = lc.flows.lookup(key, hash, now);
    // A flow made for another service position (the table was republished with services moved)
    // is rescheduled rather than sent to a backend of the wrong service.
    if (e != nullptr && e->service == si && e->backend < svc->backends.size()) {
        if (ip->proto == ipproto_tcp) {
            lc.flows.update_tcp(e, tcp_flags, now);
        }
    } else {
        // Scheduled on any packet of an unknown flow, not only a SYN (IPVS's sloppy_tcp): after a
        // failover or republish an established flow lands on the same backend with mh.
        const int32_t b = sched::pick(svc->sched, lc.sched[si], hash, net32(ip->src));
        if (b < 0) {
            return drop(DropReason::no_backend);
        }
        e = lc.flows.insert(key, hash, now, si, static_cast<uint32_t>(b), tcp_flags);
    }
    const fwd::Backend& be = svc->backends[e->backend];
    const fwd::Port* p = table.port(port);
    if (!be.mac_known || p == nullptr) {
        return drop(DropReason::backend_unresolved);
    }
    // DR: the IP packet is untouched but for the TTL; only the link layer points at the backend.
    auto* eth = reinterpret_cast<EthHdr*>(frame);
    std::memcpy(eth->dst, be.mac.data(), 6);
    std::memcpy(eth->src, p->mac.data(), 6);
    ip_decrease_ttl(ip);
    return verdict(Verdict::forward);
}

}  // namespace

Result process(const fwd::Table& table, LcoreState& lc, uint8_t* frame, uint32_t len, uint16_t port,
               uint64_t now) noexcept
{
    if (len < sizeof(EthHdr)) {
        return drop(DropReason::eth_truncated);
    }
    uint16_t type = 0;
    std::memcpy(&type, frame + 12, 2);
    if (type == net16(ethertype_ipv4)) {
        return ipv4(table, lc, frame, len, port, now);
    }
    if (type == net16(ethertype_arp)) {
        return arp(table, frame, len, port);
    }
    return verdict(Verdict::to_exception);  // IPv6, VLAN tags, LLDP…: the kernel for now
}

}  // namespace pkt

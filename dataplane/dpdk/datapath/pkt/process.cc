// Classify, ARP responder, DR / NAT / TUN rewrite and NAT reply translation: the body of the lcore
// loop, one frame at a time.
#include "dataplane/dpdk/datapath/pkt/process.h"

#include "dataplane/dpdk/datapath/pkt/steps.h"

#include "dataplane/dpdk/datapath/flow/hash.h"
#include "dataplane/fwd/sched/hashes.h"
#include "dataplane/wire/headers.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace pkt {

using namespace wire;  // the frame formats this file parses and rewrites

namespace {

// The flow table calls this for every flow that ends (expiry, eviction, reset): the lc schedulers'
// per-backend counts stay exact without a scan.
void flow_ended(void* ctx, const flow::Entry& e) noexcept
{
    auto* lc = static_cast<LcoreState*>(ctx);
    if (e.service < lc->sched.size()) {
        sched::on_flow_end(lc->sched[e.service], static_cast<int32_t>(e.backend), flow::is_active(e.state));
    }
}

}  // namespace

Steering::Steering(uint16_t n, std::span<const uint8_t> rss_key, uint16_t reta_size)
    : lcores(n), reta(std::bit_ceil(std::max<uint16_t>(reta_size, 1))), toeplitz(rss_key)
{
    // DPDK's default redirection table: entry j → queue j mod queues.
    for (size_t j = 0; j < reta.size(); ++j) {
        reta[j] = static_cast<uint16_t>(n == 0 ? 0 : j % n);
    }
}

LcoreState::LcoreState(const Limits& limits, const flow::Timeouts& timeouts, uint16_t self_id,
                       const Steering* steer)
    : flows(limits.flows, timeouts),
      persist(std::max<uint32_t>(limits.persist, 1)),
      backend_counters(size_t{limits.services} * limits.backends),
      backend_connections(size_t{limits.services} * limits.backends),
      self(self_id),
      steering(steer),
      backends_per_service(limits.backends),
      hz(std::max<uint64_t>(limits.hz, 1)),
      new_flow_per_token(limits.new_flows_per_s == 0 ? 0 : std::max<uint64_t>(hz / limits.new_flows_per_s, 1)),
      new_flow_burst(limits.new_flows_per_s == 0 ? 0 : vipd_new_flow_burst(limits.new_flows_per_s)),
      fragments(VIPD_FRAG_SLOTS)
{
    sched.reserve(limits.services);
    for (uint32_t i = 0; i < limits.services; ++i) {
        sched.emplace_back(limits.backends);
    }
    flows.set_end_hook(&flow_ended, this);
}

namespace {

using namespace detail;

Result arp(const fwd::Table& table, Frame& f) noexcept
{
    if (f.len < sizeof(EthHdr) + sizeof(ArpHdr)) {
        return drop(DropReason::arp_truncated);
    }
    auto* eth = reinterpret_cast<EthHdr*>(f.data);
    auto* a = reinterpret_cast<ArpHdr*>(f.data + sizeof(EthHdr));
    // RFC 826 "Packet Reception": only Ethernet hardware and IPv4 protocol addresses are ours.
    if (a->htype != net16(1) || a->ptype != net16(ethertype_ipv4) || a->hlen != 6 || a->plen != 4) {
        return drop(DropReason::arp_unsupported);
    }
    // A multicast or broadcast sender hardware address is no station's: answering it would broadcast
    // the reply, and learning it would point a neighbour at every port of the segment.
    if ((a->sha[0] & 1) != 0) {
        return drop(DropReason::arp_bad_sender);
    }
    if (a->op != net16(arp_op_request) || a->spa == a->tpa) {
        // Replies and gratuitous ARP: the control thread learns neighbours (backend and gateway MACs)
        // from them, hears of a conflict for a VIP we hold, and passes them on to the kernel.
        return verdict(Verdict::to_control);
    }
    const fwd::Port* p = table.port(f.port);
    const fwd::Vip* vip = table.find_vip(a->tpa);
    const bool ours = p != nullptr && p->ip != 0 && a->tpa == p->ip;
    if (!ours) {
        if (vip == nullptr) {
            // Another address of the node's own (a secondary, such as a NAT gateway kept as a static
            // address): the kernel holds it and answers by its own rules (arp_ignore, the interface).
            return table.is_local(a->tpa) ? verdict(Verdict::to_exception) : drop(DropReason::arp_not_ours);
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
    return verdict(Verdict::reply, f.port);
}

// Sends the frame on to `hop`, or, when the hop's MAC is unknown, turns it into an ARP request for
// the hop (at most one per hop per second per lcore; the others are dropped and counted).
Result send_to_hop(const fwd::Table& table, LcoreState& lc, Frame& f, const fwd::NextHop& hop, uint64_t now) noexcept
{
    const fwd::Port* p = table.port(hop.port);
    if (!hop.routed || p == nullptr) {
        return drop(DropReason::no_route);
    }
    auto* eth = reinterpret_cast<EthHdr*>(f.data);
    if (hop.mac_known) [[likely]] {
        std::memcpy(eth->dst, hop.mac.data(), 6);
        std::memcpy(eth->src, p->mac.data(), 6);
        return verdict(Verdict::forward, hop.port);
    }
    LcoreState::Solicited& s = lc.solicited[sched::mix32(hop.ip) & (lc.solicited.size() - 1)];
    if (s.ip == hop.ip && s.at != 0 && now >= s.at && now - s.at < lc.hz) {
        return drop(DropReason::backend_unresolved);
    }
    s.ip = hop.ip;
    s.at = now == 0 ? 1 : now;
    // Who has hop.ip? tell our port address. Every IPv4 frame that gets here holds at least
    // 14 + 20 + 8 bytes, the size of the request.
    write_arp_request(f.data, p->mac.data(), p->ip, hop.ip);
    f.len = arp_request_len;
    return verdict(Verdict::solicit, hop.port);
}


// A source no packet to a virtual service may come from (RFC 1812 §5.3.7, the kernel's martian
// sources in ip_route_input_slow()): 0/8, 127/8, 224/4 and the limited broadcast; and the node's
// own addresses, VIPs included, which only a spoofer (or a loop) sends from. Network order.
bool martian_source(const fwd::Table& table, uint32_t src) noexcept
{
    const uint32_t h = net32(src);
    const uint32_t first = h >> 24;
    if (first == 0 || first == 127 || (first & 0xf0) == 0xe0 || h == 0xffffffff) {
        return true;
    }
    return table.find_vip(src) != nullptr || table.is_local(src);
}

// IP options (RFC 791 §3.1): a source-routed packet (loose or strict, LSRR/SSRR) is not forwarded,
// as the kernel's accept_source_route 0 (its default) drops it; options whose lengths do not add up
// are dropped as the kernel's ip_options_compile() does.
DropReason check_options(const Ipv4Hdr* ip, uint32_t hlen) noexcept
{
    const auto* o = reinterpret_cast<const uint8_t*>(ip) + sizeof(Ipv4Hdr);
    const uint32_t n = hlen - static_cast<uint32_t>(sizeof(Ipv4Hdr));
    for (uint32_t i = 0; i < n;) {
        const uint8_t type = o[i];
        if (type == 0) {  // end of option list
            break;
        }
        if (type == 1) {  // no operation
            ++i;
            continue;
        }
        if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i) {
            return DropReason::ip_bad_options;
        }
        if (type == 131 || type == 137) {  // LSRR, SSRR
            return DropReason::ip_source_route;
        }
        i += o[i + 1];
    }
    return DropReason::none;
}

// The L4 ports and TCP flags of an unfragmented TCP/UDP datagram, or the reason it is cut short.
struct L4 {
    uint8_t* hdr;
    uint16_t sport;
    uint16_t dport;
    uint8_t tcp_flags;
    DropReason error;
};

L4 parse_l4(Ipv4Hdr* ip, uint32_t hlen, uint32_t total) noexcept
{
    L4 l{.hdr = reinterpret_cast<uint8_t*>(ip) + hlen, .sport = 0, .dport = 0, .tcp_flags = 0,
         .error = DropReason::none};
    const uint32_t l4len = total - hlen;
    if (ip->proto == ipproto_tcp) {
        // RFC 9293 §3.1: data offset ≥ 5 words, the header within the datagram.
        if (l4len < sizeof(TcpHdr)) {
            l.error = DropReason::l4_truncated;
            return l;
        }
        const auto* th = reinterpret_cast<const TcpHdr*>(l.hdr);
        if (th->doff() < 5 || th->doff() * 4u > l4len) {
            l.error = DropReason::l4_truncated;
            return l;
        }
        l.tcp_flags = th->flags;
    } else if (l4len < sizeof(UdpHdr)) {  // RFC 768
        l.error = DropReason::l4_truncated;
        return l;
    }
    std::memcpy(&l.sport, l.hdr, 2);
    std::memcpy(&l.dport, l.hdr + 2, 2);
    return l;
}

// The L4 checksum field after an address word and a port changed (RFC 1624, incrementally; the
// pseudo-header holds the address). UDP's 0 means "no checksum" and stays 0; a computed 0 is sent
// as 0xffff (RFC 768).
void l4_rewrite(uint8_t proto, uint8_t* l4, uint32_t old_addr, uint32_t new_addr, uint16_t* port_field,
                uint16_t new_port) noexcept
{
    uint16_t* csum_field = reinterpret_cast<uint16_t*>(l4 + (proto == ipproto_tcp ? 16 : 6));
    uint16_t csum = 0;
    std::memcpy(&csum, csum_field, 2);
    uint16_t old_port = 0;
    std::memcpy(&old_port, port_field, 2);
    std::memcpy(port_field, &new_port, 2);
    if (proto == ipproto_udp && csum == 0) {
        return;
    }
    csum = csum_replace32(csum, old_addr, new_addr);
    csum = csum_replace16(csum, old_port, new_port);
    if (proto == ipproto_udp && csum == 0) {
        csum = 0xffff;
    }
    std::memcpy(csum_field, &csum, 2);
}

void count_connection(LcoreState& lc, uint32_t si, uint32_t b) noexcept
{
    const size_t i = size_t{si} * lc.backends_per_service + b;
    if (i < lc.backend_connections.size()) {
        Counters::bump(lc.backend_connections[i]);
    }
}

void count_packet(LcoreState& lc, uint32_t si, uint32_t b, uint32_t bytes, bool out) noexcept
{
    const size_t i = size_t{si} * lc.backends_per_service + b;
    if (i >= lc.backend_counters.size()) {
        return;
    }
    BackendCounters& c = lc.backend_counters[i];
    Counters::bump(out ? c.packets_out : c.packets_in);
    Counters::bump(out ? c.bytes_out : c.bytes_in, bytes);
}


// Advances a flow's TCP state; a flow that enters or leaves ESTABLISHED moves between the backend's
// active and inactive counts, as IPVS's set_tcp_state().
void advance(LcoreState& lc, flow::Entry* e, uint8_t tcp_flags, uint64_t now, flow::Dir dir) noexcept
{
    const bool was = flow::is_active(e->state);
    lc.flows.update_tcp(e, tcp_flags, now, dir);
    const bool is = flow::is_active(e->state);
    if (was != is && e->service < lc.sched.size()) {
        sched::on_flow_state(lc.sched[e->service], static_cast<int32_t>(e->backend), is);
    }
}

Result serve(const fwd::Table& table, LcoreState& lc, Frame& f, Ipv4Hdr* ip, const L4& l4, const fwd::Service& service,
             uint32_t si, uint32_t total, uint64_t now) noexcept;

// Schedulers that give a packet of an established connection the backend its SYN got without any
// flow state (as long as the backends do not change): sh by the client address, mh by the tuple.
constexpr bool stateless_sched(sched::Algo a) noexcept { return a == sched::Algo::sh || a == sched::Algo::mh; }

// A reply from a NAT backend (src = backend ip:port): back to VIP:port, from the lcore owning its flow.
Result nat_reply(const fwd::Table& table, LcoreState& lc, Frame& f, Ipv4Hdr* ip, const L4& l4,
                 const fwd::NatReply& nr, uint64_t now) noexcept
{
    // Not to a VIP: the kernel's forwarding would drop it and answer time exceeded itself; here it
    // is dropped (the backend's kernel is the one to tell).
    if (ip->ttl <= 1) {
        return drop(DropReason::ttl_exceeded);
    }
    const auto services = table.services();
    flow::Entry* e = nullptr;
    uint32_t si = UINT32_MAX;
    for (uint32_t i = f.hop; i < nr.count; ++i) {
        const uint32_t cand = nr.service[i];
        const fwd::Service& svc = services[cand];
        const flow::Key4 key{.src = ip->dst, .dst = svc.vip, .sport = l4.dport, .dport = svc.port, .proto = ip->proto};
        const uint16_t owner = lc.steering != nullptr ? lc.steering->owner(key) : lc.self;
        if (owner != lc.self) {
            return {.verdict = Verdict::redirect, .reason = DropReason::none, .port = 0, .lcore = owner,
                    .hop = static_cast<uint8_t>(i)};
        }
        flow::Entry* c = lc.flows.lookup(key, lc.flows.hash(key), now);
        if (c != nullptr && c->service == cand && c->backend < svc.backends.size() &&
            svc.backends[c->backend].ip == ip->src && svc.backends[c->backend].port == l4.sport) {
            e = c;
            si = cand;
            break;
        }
    }
    if (e == nullptr) {
        // No flow: not translated. A stateless translation made any host that can spoof a backend's
        // address (on any port: clients and backends often share one) send as VIP:port to anyone,
        // forged answers and RSTs included. IPVS translates only for a connection too: ip_vs_out()
        // lets a packet with none go on untranslated (or answers port unreachable, nat_icmp_send).
        // The flows of a NAT service across a failover need flow sync from the old master.
        return drop(DropReason::nat_no_flow);
    }
    const fwd::Service& svc = services[si];
    const uint32_t total = net16(ip->total_length);
    if (ip->is_fragment()) [[unlikely]] {
        remember_fragment(lc, ip, VIPD_FRAG_REPLY, si, e->backend, svc.port, svc.vip, now);  // before the SNAT
    }

    // SNAT back to the VIP: source address and port, the IP checksum and the L4 checksum (whose
    // pseudo-header holds the address), all incrementally.
    const uint32_t old_src = ip->src;
    ip->src = svc.vip;
    ip->checksum = csum_replace32(ip->checksum, old_src, svc.vip);
    l4_rewrite(ip->proto, l4.hdr, old_src, svc.vip, reinterpret_cast<uint16_t*>(l4.hdr), svc.port);
    ip_decrease_ttl(ip);
    if (ip->proto == ipproto_tcp) {
        advance(lc, e, l4.tcp_flags, now, flow::Dir::output);
    }
    flow::FlowTable::confirm_if_active(e);
    count_packet(lc, si, e->backend, total, true);
    return send_to_hop(table, lc, f, table.next_hop(ip->dst), now);
}

Result ipv4(const fwd::Table& table, LcoreState& lc, Frame& f, uint64_t now) noexcept
{
    if (f.len < sizeof(EthHdr) + sizeof(Ipv4Hdr)) {
        return drop(DropReason::ip_truncated);
    }
    auto* ip = reinterpret_cast<Ipv4Hdr*>(f.data + sizeof(EthHdr));
    // RFC 791 §3.1 / RFC 1122 §3.2.1.1: version 4 only.
    if (ip->version() != 4) {
        return drop(DropReason::ip_bad_version);
    }
    // RFC 791 §3.1: IHL counts 32-bit words, minimum 5.
    const uint32_t hlen = ip->ihl() * 4u;
    if (hlen < sizeof(Ipv4Hdr)) {
        return drop(DropReason::ip_bad_ihl);
    }
    const uint32_t l3len = f.len - static_cast<uint32_t>(sizeof(EthHdr));
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
    if (!ipv4_checksum_ok(ip, hlen)) {
        return drop(DropReason::ip_bad_checksum);
    }
    if (hlen > sizeof(Ipv4Hdr)) [[unlikely]] {
        if (const DropReason r = check_options(ip, hlen); r != DropReason::none) {
            return drop(r);
        }
    }
    // VRRP (RFC 5798 §5.1.1.4): adverts for the node's VRIDs go to the control thread, which
    // validates the rest (§7.1: version, checksum, addresses, auth…) and runs the state machine. What
    // cannot be for it stops here, so that a flood of it never reaches control's ring: a header cut
    // short, a multicast advert that crossed a router (§7.1: TTL 255; a unicast peer may be routed,
    // control judges those), another cluster's VRID.
    if (ip->proto == ipproto_vrrp) {
        if (total < hlen + 8) {
            return drop(DropReason::vrrp_truncated);
        }
        if ((net32(ip->dst) >> 28) == 0xe && ip->ttl != 255) {
            return drop(DropReason::vrrp_bad_ttl);
        }
        if (!table.vrid_ours(reinterpret_cast<const uint8_t*>(ip)[hlen + 1])) {
            return drop(DropReason::vrrp_foreign_vrid);
        }
        return verdict(Verdict::to_vrrp);
    }
    const bool l4_proto = ip->proto == ipproto_tcp || ip->proto == ipproto_udp;
    // A later fragment carries no ports: it follows its first fragment, by the fragment cache.
    const bool later = l4_proto && (net16(ip->frag) & ip_frag_offset) != 0;
    if (later) [[unlikely]] {
        if (Result r{}; later_fragment(table, lc, f, ip, total, now, r)) {
            return r;
        }
    }
    // The ports are there: a whole datagram, or a first fragment (decided as the datagram is).
    const bool whole = l4_proto && !later;
    // The fast path first: a TCP/UDP datagram to a virtual service (one lookup).
    L4 l4{};
    if (whole) [[likely]] {
        l4 = parse_l4(ip, hlen, total);
        uint32_t si = 0;
        if (l4.error == DropReason::none) [[likely]] {
            if (const fwd::Service* svc = table.find_service(ip->dst, ip->proto, l4.dport, &si)) [[likely]] {
                return serve(table, lc, f, ip, l4, *svc, si, total, now);
            }
        }
    }
    if (table.find_vip(ip->dst) == nullptr) {
        // Not to a VIP: a NAT backend's reply to a client, or the node's own traffic (the kernel's).
        if (whole && table.has_nat() && total >= hlen + 4 && !table.is_local(ip->dst)) {
            uint16_t sport = 0;
            std::memcpy(&sport, reinterpret_cast<const uint8_t*>(ip) + hlen, 2);
            if (const fwd::NatReply* nr = table.find_nat_reply(ip->src, sport, ip->proto)) {
                return l4.error != DropReason::none ? drop(l4.error) : nat_reply(table, lc, f, ip, l4, *nr, now);
            }
        }
        if (table.is_local(ip->dst)) {
            return verdict(Verdict::to_local);  // the node's own traffic: the checkers' replies among it
        }
        if (ip->proto == ipproto_icmp && !ip->is_fragment() && table.has_nat()) {
            return icmp_from_backend(table, lc, f, ip, hlen, total, now);
        }
        return verdict(Verdict::to_exception);
    }
    if (ip->proto == ipproto_icmp && !ip->is_fragment()) {
        return icmp_to_vip(table, lc, f, ip, hlen, total, now);  // an echo or one about no flow: the kernel's
    }
    if (!l4_proto) {
        return verdict(Verdict::to_exception);  // any other protocol to a VIP: the kernel answers, as with keepalived
    }
    if (l4.error != DropReason::none) {
        return drop(l4.error);
    }
    // A VIP port with no virtual service: with keepalived the VIP sits on an interface and the kernel
    // answers (RST, port unreachable, or a local listener); the exception path does that, and takes
    // a first fragment's later ones too.
    if (ip->is_fragment()) [[unlikely]] {
        remember_fragment(lc, ip, VIPD_FRAG_KERNEL, 0, 0, 0, 0, now);
    }
    return verdict(Verdict::to_exception);
}

// IPIP (RFC 2003) to backend `be`, outer source our port's address. Over the MTU with DF: ICMP
// fragmentation needed with the room left, as ip_vs_tunnel_xmit() (where `may_answer`: never about an
// ICMP error, RFC 1122 §3.2.2); without DF the kernel would fragment the outer packet, which this
// fast path does not do.
Result encapsulate(const fwd::Table& table, LcoreState& lc, Frame& f, Ipv4Hdr* ip, uint32_t total, const fwd::Backend& be,
              const fwd::NextHop& hop, bool may_answer, uint64_t now) noexcept
{
    const fwd::Port* out = table.port(hop.port);
    if (!hop.routed || out == nullptr) {
        return drop(DropReason::no_route);
    }
    if (total + sizeof(Ipv4Hdr) > out->mtu) {
        if (may_answer && (net16(ip->frag) & ip_flag_df) != 0) {
            return frag_needed(table, lc, f, out->mtu, now);
        }
        return drop(DropReason::too_big);
    }
    if (f.headroom < sizeof(Ipv4Hdr)) {
        return drop(DropReason::too_big);
    }
    ip_decrease_ttl(ip);
    const Ipv4Hdr inner = *ip;
    f.data -= sizeof(Ipv4Hdr);
    f.headroom -= static_cast<uint32_t>(sizeof(Ipv4Hdr));
    f.len += static_cast<uint32_t>(sizeof(Ipv4Hdr));
    // The Ethernet header moves to the front; the outer IP header fills the gap.
    std::memmove(f.data, f.data + sizeof(Ipv4Hdr), sizeof(EthHdr));
    auto* outer = reinterpret_cast<Ipv4Hdr*>(f.data + sizeof(EthHdr));
    outer->version_ihl = 0x45;
    outer->tos = inner.tos;
    outer->total_length = net16(static_cast<uint16_t>(total + sizeof(Ipv4Hdr)));
    outer->id = inner.id;  // unique per client already; DF is copied, so most are atomic (RFC 6864)
    outer->frag = inner.frag & net16(ip_flag_df);
    outer->ttl = inner.ttl;
    outer->proto = ipproto_ipip;
    outer->checksum = 0;
    outer->src = out->ip;
    outer->dst = be.ip;
    outer->checksum = net16(checksum(outer, sizeof(Ipv4Hdr)));
    return send_to_hop(table, lc, f, hop, now);
}


namespace {

// The new-flow bound (Limits::new_flows_per_s): true when this lcore may make one more flow at `now`.
// The XDP program's vipd_bucket_take() on vipd_cpu.new_flow_*, step for step: the refill advances by
// whole tokens only, so a flood closer together than a token's time still earns tokens back.
bool new_flow_allowed(LcoreState& lc, uint64_t now) noexcept
{
    const uint64_t per = lc.new_flow_per_token;
    if (per == 0) {
        return true;
    }
    if (now > lc.new_flow_refilled) {
        const uint64_t earned = (now - lc.new_flow_refilled) / per;
        lc.new_flow_spent = earned >= lc.new_flow_spent ? 0 : lc.new_flow_spent - earned;
        lc.new_flow_refilled += earned * per;
    }
    if (lc.new_flow_spent >= lc.new_flow_burst) {
        return false;
    }
    ++lc.new_flow_spent;
    return true;
}

}  // namespace

// A packet to virtual service `svc` (position `si`): find or make its flow, then DR, NAT or TUN.
Result serve(const fwd::Table& table, LcoreState& lc, Frame& f, Ipv4Hdr* ip, const L4& l4, const fwd::Service& service,
             uint32_t si, uint32_t total, uint64_t now) noexcept
{
    const fwd::Service* const svc = &service;
    // IPVS decrements the TTL on every forwarded packet, whatever the method: ip_vs_*_xmit() →
    // __ip_vs_get_out_rt() → decrement_ttl() (net/netfilter/ipvs/ip_vs_xmit.c, since Linux 4.2),
    // which drops TTL ≤ 1 with icmp_send(ICMP_TIME_EXCEEDED, ICMP_EXC_TTL). The skb still has its
    // input route, local (the VIP is the director's address), so icmp_send() answers from the
    // packet's destination: the VIP. Rate-limited as the kernel's ICMP, and never to a martian
    // source. Checked before scheduling so a dying packet costs no flow state.
    if (ip->ttl <= 1) [[unlikely]] {
        if (martian_source(table, ip->src)) {
            return drop(DropReason::martian_source);
        }
        return icmp_error(table, lc, f, icmp_time_exceeded, 0, 0, ip->dst, now);
    }
    if (si >= lc.sched.size()) {
        return drop(DropReason::no_backend);  // the table outgrew the lcore's limits: a control bug
    }
    const bool nat = svc->kind == fwd::Kind::nat;
    const flow::Dir dir = nat ? flow::Dir::input : flow::Dir::input_only;

    const flow::Key4 key{.src = ip->src, .dst = ip->dst, .sport = l4.sport, .dport = l4.dport, .proto = ip->proto};
    const uint32_t hash = lc.flows.hash(key);
    flow::Entry* e = lc.flows.lookup(key, hash, now);
    // A flow made for another service position (the table was republished with services moved)
    // is rescheduled rather than sent to a backend of the wrong service.
    if (e != nullptr && e->service == si && e->backend < svc->backends.size()) [[likely]] {
        // An ESTABLISHED flow stays so on anything but SYN, FIN or RST (every table's ack row); the
        // lookup already refreshed it.
        if (ip->proto == ipproto_tcp &&
            (e->state != flow::State::established || (l4.tcp_flags & (flow::tcp_syn | flow::tcp_fin | flow::tcp_rst)) != 0)) {
            advance(lc, e, l4.tcp_flags, now, dir);
        }
        flow::FlowTable::confirm_if_active(e);
    } else {
        if (e == nullptr) {
            // A new flow, from its first packet.
            if (martian_source(table, ip->src)) {
                return drop(DropReason::martian_source);
            }
            // IPVS's tcp_conn_schedule() (ip_vs_proto_tcp.c) schedules a TCP connection on a SYN
            // without RST only ("No !th->ack check to allow scheduling on SYN+ACK for Active FTP"),
            // unless sloppy_tcp is set. Any other segment for no connection "continues traversal as
            // normal" (ip_vs_try_to_schedule(), NF_ACCEPT) into the local stack, which holds the VIP
            // and answers it with a RST. Here it is dropped instead: a spoofed ACK flood makes no
            // flow, no RST and no load on the exception path. mh and sh choose the same backend for
            // the same packet without state (the tuple's Maglev entry; the client's bucket), so there a
            // mid-flow segment (after a failover, an expiry) is scheduled as with sloppy_tcp, RST
            // excepted as there.
            if (ip->proto == ipproto_tcp && ((l4.tcp_flags & flow::tcp_rst) != 0 ||
                                             ((l4.tcp_flags & flow::tcp_syn) == 0 && !stateless_sched(svc->sched.algo())))) {
                return drop(DropReason::tcp_no_flow);
            }
            // The new-flow bound: a connection opened (a SYN, a new UDP flow) past this lcore's rate
            // is dropped, before it costs a flow, a scheduler's choice or a backend's answer (a SYN
            // flood). A mid-flow segment that mh or sh schedule is a connection that exists (moved
            // here by a failover): it does not pay.
            if ((ip->proto != ipproto_tcp || (l4.tcp_flags & flow::tcp_syn) != 0) && !new_flow_allowed(lc, now)) {
                return drop(DropReason::new_flow_rate);
            }
        }
        int32_t b = -1;
        flow::PersistEntry* pe = nullptr;
        const flow::State first = flow::FlowTable::first_state(ip->proto, l4.tcp_flags, dir);
        if (svc->persist_s != 0) {
            // Client affinity (IPVS persistence templates): the client network's last backend, while
            // it still takes new flows.
            pe = lc.persist.lookup(ip->src, svc->persist_mask, si, now);
            if (pe != nullptr && pe->backend < svc->backends.size() && svc->sched.effective_weight(pe->backend) != 0) {
                b = static_cast<int32_t>(pe->backend);
                sched::on_flow_start(lc.sched[si], b, flow::is_active(first));
            }
        }
        if (b < 0) {
            b = sched::pick(svc->sched, lc.sched[si], hash, net32(ip->src), flow::is_active(first));
            if (b < 0) {
                return drop(DropReason::no_backend);
            }
            if (svc->persist_s != 0) {
                lc.persist.insert(ip->src, svc->persist_mask, si, static_cast<uint32_t>(b), svc->persist_s * lc.hz, now);
            }
        }
        // The lookup above missed: a new flow, unconfirmed until a second packet finds it active. Or it
        // found a flow of another service position (the table was republished), replaced here as
        // confirmed as it was.
        e = e == nullptr ? lc.flows.insert_absent(key, hash, now, si, static_cast<uint32_t>(b), first, 0, false)
                         : lc.flows.insert(key, hash, now, si, static_cast<uint32_t>(b), l4.tcp_flags, 0, dir,
                                           e->confirmed != 0);
        count_connection(lc, si, e->backend);
    }
    const fwd::Backend& be = svc->backends[e->backend];
    const fwd::NextHop& hop = table.hop(si, e->backend);
    count_packet(lc, si, e->backend, total, false);
    if (ip->is_fragment()) [[unlikely]] {
        remember_fragment(lc, ip, VIPD_FRAG_SERVICE, si, e->backend, svc->port, 0, now);  // the first: its flow's
    }

    switch (svc->kind) {
    case fwd::Kind::dr:
        // DR: the IP packet is untouched but for the TTL; only the link layer points at the backend.
        ip_decrease_ttl(ip);
        return send_to_hop(table, lc, f, hop, now);
    case fwd::Kind::nat: {
        // DNAT to the backend: destination address and port, IP and L4 checksums incrementally.
        const uint32_t old_dst = ip->dst;
        ip->dst = be.ip;
        ip->checksum = csum_replace32(ip->checksum, old_dst, be.ip);
        l4_rewrite(ip->proto, l4.hdr, old_dst, be.ip, reinterpret_cast<uint16_t*>(l4.hdr + 2), be.port);
        ip_decrease_ttl(ip);
        return send_to_hop(table, lc, f, hop, now);
    }
    case fwd::Kind::tun:
        return encapsulate(table, lc, f, ip, total, be, hop, true, now);
    }
    return drop(DropReason::kind_unsupported);
}

}  // namespace

void prefetch_flows(LcoreState& lc, const Frame* frames, uint32_t n) noexcept
{
    uint32_t hashes[flow::FlowTable::burst_max];
    uint32_t k = 0;
    for (uint32_t i = 0; i < n && k < flow::FlowTable::burst_max; ++i) {
        const Frame& f = frames[i];
        if (f.len < sizeof(EthHdr) + sizeof(Ipv4Hdr) + 4 || f.data[12] != 0x08 || f.data[13] != 0x00) {
            continue;
        }
        const auto* ip = reinterpret_cast<const Ipv4Hdr*>(f.data + sizeof(EthHdr));
        const uint32_t hlen = ip->ihl() * 4u;
        if ((ip->proto != ipproto_tcp && ip->proto != ipproto_udp) || ip->is_fragment() || hlen < sizeof(Ipv4Hdr) ||
            f.len < sizeof(EthHdr) + hlen + 4) {
            continue;
        }
        flow::Key4 key{.src = ip->src, .dst = ip->dst, .sport = 0, .dport = 0, .proto = ip->proto};
        std::memcpy(&key.sport, f.data + sizeof(EthHdr) + hlen, 2);
        std::memcpy(&key.dport, f.data + sizeof(EthHdr) + hlen + 2, 2);
        hashes[k++] = lc.flows.hash(key);
    }
    lc.flows.prefetch_burst(hashes, k);
}

Result process(const fwd::Table& table, LcoreState& lc, Frame& f, uint64_t now) noexcept
{
    if (f.len < sizeof(EthHdr)) {
        return drop(DropReason::eth_truncated);
    }
    // A unicast frame for another station is not ours to forward: a switch flooding a MAC it has
    // not learned (or has forgotten after a failover) would otherwise have two nodes forward it.
    if ((f.data[0] & 1) == 0) [[likely]] {
        const fwd::Port* p = table.port(f.port);
        if (p != nullptr && std::memcmp(f.data, p->mac.data(), 6) != 0) [[unlikely]] {
            return drop(DropReason::other_host);
        }
    }
    uint16_t type = 0;
    std::memcpy(&type, f.data + 12, 2);
    if (type == net16(ethertype_ipv4)) {
        return ipv4(table, lc, f, now);
    }
    if (type == net16(ethertype_arp)) {
        return arp(table, f);
    }
    return verdict(Verdict::to_exception);  // IPv6, VLAN tags, LLDP…: the kernel for now
}

// What icmp.cc takes of these steps (the cold path's calls; the hot path inlines its own).
namespace detail {

Result to_next_hop(const fwd::Table& table, LcoreState& lc, Frame& f, const fwd::NextHop& hop, uint64_t now) noexcept
{
    return send_to_hop(table, lc, f, hop, now);
}
void count_backend(LcoreState& lc, uint32_t si, uint32_t b, uint32_t bytes, bool out) noexcept
{
    count_packet(lc, si, b, bytes, out);
}
Result tunnel(const fwd::Table& table, LcoreState& lc, Frame& f, Ipv4Hdr* ip, uint32_t total, const fwd::Backend& be,
              const fwd::NextHop& hop, bool may_answer, uint64_t now) noexcept
{
    return encapsulate(table, lc, f, ip, total, be, hop, may_answer, now);
}

}  // namespace detail

}  // namespace pkt

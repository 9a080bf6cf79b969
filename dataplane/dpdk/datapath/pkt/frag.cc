// IPv4 fragments to a VIP (review M4), without reassembly: the first fragment carries the ports and
// is decided as a whole datagram is (its flow, its real server); the later ones, which carry none,
// follow it by the fragment cache, keyed by addresses, IP id and protocol, an entry living 2 s. A later
// fragment that arrives before its first (or after its entry expired, or was taken by another
// datagram's first fragment) has nothing to follow: dropped, ip_fragment. The XDP program does the
// same in bpf/datapath/lib/frag.h.
//
// IPVS sees reassembled datagrams (netfilter's defrag runs before it): a real server there receives
// one datagram, here the fragments it reassembles itself, as with any router on the way. Per lcore:
// RSS hashes every fragment of a datagram on its addresses alone, so the lcore of the first fragment
// sees the rest; a NAT reply whose flow another lcore owns is redirected there whole, but its later
// fragments are not (they go to the kernel, as every NAT reply fragment did before).
#include "dataplane/dpdk/datapath/pkt/steps.h"

#include "dataplane/fwd/sched/hashes.h"
#include "dataplane/wire/checksum.h"

namespace pkt::detail {

using namespace wire;

namespace {

const LcoreState::Fragment* find_fragment(const LcoreState& lc, const Ipv4Hdr* ip, uint64_t now) noexcept
{
    const LcoreState::Fragment& s = lc.fragments[vipd_frag_slot(ip->src, ip->dst, ip->id, ip->proto)];
    if (s.to != 0 && s.src == ip->src && s.dst == ip->dst && s.id == ip->id && s.proto == ip->proto && now < s.expires) {
        return &s;
    }
    return nullptr;
}

// A later fragment of a NAT real server's reply: its source back to the VIP (no ports to rewrite:
// the first fragment carried them and the L4 checksum), while the entry's service still has it.
bool reply_fragment(const fwd::Table& table, LcoreState& lc, Frame& f, Ipv4Hdr* ip, uint32_t total,
                    const LcoreState::Fragment& c, uint64_t now, Result& r) noexcept
{
    uint32_t si = 0;
    const fwd::Service* svc = table.find_service(c.vip, ip->proto, c.port, &si);
    if (svc == nullptr || si != c.service || c.backend >= svc->backends.size() || svc->backends[c.backend].ip != ip->src) {
        return false;
    }
    if (ip->ttl <= 1) {
        r = drop(DropReason::ttl_exceeded);
        return true;
    }
    const uint32_t old_src = ip->src;
    ip->src = c.vip;
    ip->checksum = csum_replace32(ip->checksum, old_src, c.vip);
    ip_decrease_ttl(ip);
    count_backend(lc, si, c.backend, total, true);
    r = to_next_hop(table, lc, f, table.next_hop(ip->dst), now);
    return true;
}

}  // namespace

void remember_fragment(LcoreState& lc, const Ipv4Hdr* ip, uint8_t to, uint32_t si, uint32_t backend, uint16_t port,
                       uint32_t vip, uint64_t now) noexcept
{
    lc.fragments[vipd_frag_slot(ip->src, ip->dst, ip->id, ip->proto)] = {
        .src = ip->src, .dst = ip->dst, .id = ip->id, .proto = ip->proto, .to = to, .port = port,
        .backend = static_cast<uint16_t>(backend), .service = si, .vip = vip,
        .expires = now + VIPD_FRAG_TIMEOUT_S * lc.hz};
}

bool later_fragment(const fwd::Table& table, LcoreState& lc, Frame& f, Ipv4Hdr* ip, uint32_t total, uint64_t now,
                    Result& r) noexcept
{
    const LcoreState::Fragment* c = find_fragment(lc, ip, now);
    const bool to_vip = table.find_vip(ip->dst) != nullptr;
    if (!to_vip) {
        return c != nullptr && c->to == VIPD_FRAG_REPLY && reply_fragment(table, lc, f, ip, total, *c, now, r);
    }
    if (c == nullptr || c->to == VIPD_FRAG_REPLY) {
        r = drop(DropReason::ip_fragment);  // its first fragment not seen here: nothing to follow
        return true;
    }
    if (c->to == VIPD_FRAG_KERNEL) {
        r = verdict(Verdict::to_exception);
        return true;
    }
    uint32_t si = 0;
    const fwd::Service* svc = table.find_service(ip->dst, ip->proto, c->port, &si);
    if (svc == nullptr || si != c->service || c->backend >= svc->backends.size()) {
        r = drop(DropReason::ip_fragment);  // the service changed since the first fragment
        return true;
    }
    // No ICMP error about a fragment other than the first (RFC 1122 §3.2.2): the first got it.
    if (ip->ttl <= 1) {
        r = drop(DropReason::ttl_exceeded);
        return true;
    }
    r = to_real_server(table, lc, f, ip, total, *svc, si, c->backend, now, [](const fwd::Backend&) {});
    return true;
}

}  // namespace pkt::detail

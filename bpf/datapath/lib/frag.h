/* IPv4 fragments, as dataplane/dpdk/datapath/pkt/frag.cc: the first fragment (it carries the ports)
 * is decided as a whole datagram is and leaves its outcome in vipd_frags (by vipd_frag_slot(), for
 * VIPD_FRAG_TIMEOUT_S); the later ones follow it there, to the same real server (DR, TUN, NAT with
 * only the address rewritten), to the kernel, or, for a NAT real server's reply, back from the VIP.
 * A later fragment to a VIP with no entry to follow: dropped, ip_fragment.
 *
 * One array for every CPU (on veth the program runs on the sender's CPU; a NIC's RSS hashes a
 * datagram's fragments on its addresses alone): a lookup racing another CPU's write of the same slot
 * may read a mix, which the key check and the service's position and backend count bound. */
#ifndef VIPD_BPF_FRAG_H
#define VIPD_BPF_FRAG_H

#include "bpf/datapath/lib/classify.h"
#include "bpf/datapath/lib/dr.h"
#include "bpf/datapath/lib/tun.h"

static __always_inline void vipd_frag_remember(const struct vipd_pkt *p, const struct iphdr *ip, __u8 to,
                                               __u32 service, __u32 backend, __u16 port, __u32 vip)
{
    __u32 slot = vipd_frag_slot(ip->saddr, ip->daddr, ip->id, ip->protocol);
    struct vipd_frag *s = bpf_map_lookup_elem(&vipd_frags, &slot);
    if (s == 0) {
        return;
    }
    s->src = ip->saddr;
    s->dst = ip->daddr;
    s->id = ip->id;
    s->proto = ip->protocol;
    s->to = to;
    s->port = port;
    s->backend = (__u16)backend;
    s->service = service;
    s->vip = vip;
    s->expires = p->now + (__u64)VIPD_FRAG_TIMEOUT_S * VIPD_NS_PER_S;
}

/* A later fragment of a NAT real server's reply: its source back to the VIP while the entry's service
 * still has that real server. Returns 0 (not handled) otherwise. */
static __always_inline int vipd_reply_fragment(struct xdp_md *ctx, struct vipd_pkt *p, struct iphdr *ip,
                                               __u32 total, const struct vipd_frag *c, struct vipd_result *r)
{
    const __u32 vip = c->vip;
    const __u32 backend = c->backend;
    const struct vipd_service *svc = vipd_find_service(vip, ip->protocol, c->port);
    if (svc == 0 || svc->id != c->service || backend >= svc->backends || svc->id >= VIPD_MAX_SERVICES) {
        return 0;
    }
    const __u32 id = svc->id;
    __u32 bkey = vipd_backend_index(id, svc->bank, backend);
    const struct vipd_backend *be = bpf_map_lookup_elem(&vipd_backends, &bkey);
    if (be == 0 || be->ip != ip->saddr) {
        return 0;
    }
    if (ip->ttl <= 1) {
        *r = vipd_drop(VIPD_DROP_ttl_exceeded);
        return 1;
    }
    const __u32 old_src = ip->saddr;
    ip->saddr = vip;
    ip->check = vipd_csum_replace32(ip->check, old_src, vip);
    vipd_ip_decrease_ttl(ip);
    vipd_count_backend(id, backend, total, 1);
    struct vipd_hop hop = {};
    vipd_route_hop(ip->daddr, &hop);
    *r = vipd_to_next_hop(ctx, p, &hop);
    return 1;
}

/* A later fragment (offset != 0) of TCP or UDP: where its first fragment went, in `r`. Returns 0 where
 * it is neither to a VIP nor a NAT reply's: the caller decides it as any packet for the node. */
static __always_inline int vipd_later_fragment(struct xdp_md *ctx, struct vipd_pkt *p, const struct vipd_ip *v,
                                               struct vipd_result *r)
{
    struct iphdr *ip = v->ip;
    __u32 slot = vipd_frag_slot(ip->saddr, ip->daddr, ip->id, ip->protocol);
    const struct vipd_frag *c = bpf_map_lookup_elem(&vipd_frags, &slot);
    if (c != 0 && !(c->to != 0 && c->src == ip->saddr && c->dst == ip->daddr && c->id == ip->id &&
                    c->proto == ip->protocol && p->now < c->expires)) {
        c = 0;
    }
    const struct vipd_addr *dst = vipd_find_addr(ip->daddr);
    if (dst == 0 || (dst->flags & VIPD_ADDR_VIP) == 0) {
        return c != 0 && c->to == VIPD_FRAG_REPLY && vipd_reply_fragment(ctx, p, ip, v->total, c, r);
    }
    if (c == 0 || c->to == VIPD_FRAG_REPLY) {
        *r = vipd_drop(VIPD_DROP_ip_fragment);  /* its first fragment not seen here: nothing to follow */
        return 1;
    }
    if (c->to == VIPD_FRAG_KERNEL) {
        *r = vipd_verdict(VIPD_VERDICT_to_exception, 0);
        return 1;
    }
    const __u32 backend = c->backend;
    const struct vipd_service *svc = vipd_find_service(ip->daddr, ip->protocol, c->port);
    if (svc == 0 || svc->id != c->service || backend >= svc->backends || svc->id >= VIPD_MAX_SERVICES) {
        *r = vipd_drop(VIPD_DROP_ip_fragment);  /* the service changed since the first fragment */
        return 1;
    }
    /* No ICMP error about a fragment other than the first (RFC 1122 3.2.2): the first got it. */
    if (ip->ttl <= 1) {
        *r = vipd_drop(VIPD_DROP_ttl_exceeded);
        return 1;
    }
    const __u32 id = svc->id;
    __u32 bkey = vipd_backend_index(id, svc->bank, backend);
    const struct vipd_backend *be = bpf_map_lookup_elem(&vipd_backends, &bkey);
    if (be == 0) {
        *r = vipd_drop(VIPD_DROP_no_backend);
        return 1;
    }
    vipd_count_backend(id, backend, v->total, 0);
    if (svc->kind == VIPD_KIND_DR) {
        *r = vipd_dr(ctx, p, ip, be);
    } else if (svc->kind == VIPD_KIND_NAT) {
        struct vipd_hop hop = {};
        vipd_backend_hop(be, &hop);
        const __u32 old_dst = ip->daddr;
        ip->daddr = be->ip;
        ip->check = vipd_csum_replace32(ip->check, old_dst, be->ip);
        vipd_ip_decrease_ttl(ip);
        *r = vipd_to_next_hop(ctx, p, &hop);
    } else if (svc->kind == VIPD_KIND_TUN) {
        *r = vipd_tun(p, ip, v->total, be, 0);
    } else {
        *r = vipd_drop(VIPD_DROP_kind_unsupported);
    }
    return 1;
}

#endif /* VIPD_BPF_FRAG_H */

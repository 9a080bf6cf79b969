/* NAT (keepalived lb_kind NAT) both ways, as serve()'s NAT case and nat_reply() in
 * dataplane/dpdk/datapath/pkt/process.cc: DNAT to the backend on the way in; on the way back the
 * backend's reply is translated only for a flow this node has (never statelessly), its source put
 * back to VIP:port. Checksums are updated incrementally (RFC 1624). One flow table serves every CPU,
 * so a reply needs no steering to the CPU that saw the flow's first packet. */
#ifndef VIPD_BPF_NAT_H
#define VIPD_BPF_NAT_H

#include "bpf/datapath/lib/flow.h"
#include "bpf/datapath/lib/frag.h"
#include "bpf/datapath/lib/hop.h"

/* l4_rewrite(): the port at `port_off` (0 source, 2 destination) set, and the L4 checksum after an
 * address word and that port changed. UDP's 0 ("no checksum") stays 0; a computed 0 is sent as
 * 0xffff (RFC 768). */
static __always_inline void vipd_l4_rewrite(struct vipd_pkt *p, __u8 proto, void *l4, __u32 old_addr, __u32 new_addr,
                                            __u32 port_off, __u16 new_port)
{
    /* parse_l4() found the whole header; checked again for the verifier. */
    if (l4 + 8 > p->data_end || (proto == IPPROTO_TCP && l4 + 20 > p->data_end)) {
        return;
    }
    __u16 *portf = l4 + (port_off & 2);
    __u16 *csumf = l4 + (proto == IPPROTO_TCP ? 16 : 6);
    if ((void *)(csumf + 1) > p->data_end) {
        return;
    }
    __u16 old_port = *portf;
    *portf = new_port;
    __u16 csum = *csumf;
    if (proto == IPPROTO_UDP && csum == 0) {
        return;
    }
    csum = vipd_csum_replace32(csum, old_addr, new_addr);
    csum = vipd_csum_replace16(csum, old_port, new_port);
    if (proto == IPPROTO_UDP && csum == 0) {
        csum = 0xffff;
    }
    *csumf = csum;
}

/* DNAT to the backend: destination address and port, IP and L4 checksums, TTL. */
static __always_inline struct vipd_result vipd_dnat(struct xdp_md *ctx, struct vipd_pkt *p, struct iphdr *ip,
                                                    const struct vipd_l4 *l4, const struct vipd_backend *be)
{
    struct vipd_hop hop = {};
    vipd_backend_hop(be, &hop);
    const __u32 old_dst = ip->daddr;
    ip->daddr = be->ip;
    ip->check = vipd_csum_replace32(ip->check, old_dst, be->ip);
    vipd_l4_rewrite(p, ip->protocol, l4->hdr, old_dst, be->ip, 2, be->port);
    vipd_ip_decrease_ttl(ip);
    return vipd_to_next_hop(ctx, p, &hop);
}

/* bpf_loop's state for finding a NAT reply's flow among the services its backend serves: one
 * callback verified once, not an unrolled copy per candidate. */
struct vipd_nat_find {
    const struct vipd_config *cfg;
    const struct vipd_nat_reply *nr;
    __u64 now;
    __u32 client;        /* the reply's destination, the flow's source */
    __u32 backend;       /* the reply's source */
    __u16 client_port;
    __u16 backend_port;
    __u8 proto;
    __u8 tcp_flags;
    __u8 icmp;           /* for an ICMP error about the flow: its state stays, it is not confirmed */
    __u8 pad;
    /* Found (the verifier gives the caller no pointer the callback stored: the flow's state is
     * advanced here, and the rest is scalars). */
    __u32 found;
    __u32 vip;
    __u16 vport;
    __u16 pad2;
    __u32 service;
    __u32 position;      /* the flow's backend position */
};

static long vipd_nat_find_step(__u32 i, void *ctx)
{
    struct vipd_nat_find *f = ctx;
    if (i >= VIPD_NAT_SERVICES || i >= f->nr->count) {
        return 1;
    }
    /* A mask the verifier sees on the index register (clang, knowing the bound, would drop it). */
    __u32 k = i;
    asm volatile("" : "+r"(k));
    k &= VIPD_NAT_SERVICES - 1;
    const struct vipd_nat_candidate *c = &f->nr->service[k];
    struct vipd_flow_key key = {.src = f->client, .dst = c->vip, .sport = f->client_port, .dport = c->port,
                                .proto = f->proto};
    const __u32 hash = vipd_flow_table_hash(&key);
    struct vipd_flow *e = vipd_flow_lookup(f->cfg, &key, hash, f->now);
    if (e != 0 && e->service == c->id && e->backend < c->backends && e->backend_ip == f->backend &&
        e->backend_port == f->backend_port) {
        f->found = 1;
        f->vip = c->vip;
        f->vport = c->port;
        f->service = c->id;
        f->position = e->backend;
        if (f->icmp) {
            return 1;
        }
        if (f->proto == IPPROTO_TCP) {
            vipd_flow_set_state(e, vipd_next_state(f->cfg, e->state, f->tcp_flags, VIPD_DIR_OUTPUT));
            e->last_seen = f->now;
        }
        vipd_confirm_if_active(&key, hash, e);
        return 1;
    }
    return 0;
}

/* A reply from a NAT backend (source = backend address:port): back to VIP:port for the flow it
 * belongs to, tried over the services that backend serves in config order. */
static __always_inline struct vipd_result vipd_nat_reply(struct xdp_md *ctx, struct vipd_pkt *p,
                                                         const struct vipd_config *cfg, struct iphdr *ip,
                                                         const struct vipd_l4 *l4, const struct vipd_nat_reply *nr)
{
    /* Not to a VIP: the kernel's forwarding would answer time exceeded; the backend's kernel may. */
    if (ip->ttl <= 1) {
        return vipd_drop(VIPD_DROP_ttl_exceeded);
    }
    struct vipd_nat_find f = {.cfg = cfg, .nr = nr, .now = p->now, .client = ip->daddr, .backend = ip->saddr,
                              .client_port = l4->dport, .backend_port = l4->sport, .proto = ip->protocol,
                              .tcp_flags = l4->tcp_flags};
    bpf_loop(VIPD_NAT_SERVICES, vipd_nat_find_step, &f, 0);
    const __u32 vip = f.vip;
    const __u16 vport = f.vport;
    if (!f.found) {
        /* No flow: not translated, as IPVS's ip_vs_out() (a stateless translation would let anyone
         * who can spoof a backend's address send as VIP:port). */
        return vipd_drop(VIPD_DROP_nat_no_flow);
    }
    const __u32 total = bpf_ntohs(ip->tot_len);
    if (vipd_is_fragment(ip)) {
        vipd_frag_remember(p, ip, VIPD_FRAG_REPLY, f.service, f.position, vport, vip);  /* before the SNAT */
    }
    const __u32 old_src = ip->saddr;
    ip->saddr = vip;
    ip->check = vipd_csum_replace32(ip->check, old_src, vip);
    vipd_l4_rewrite(p, ip->protocol, l4->hdr, old_src, vip, 0, vport);
    vipd_ip_decrease_ttl(ip);
    vipd_count_backend(f.service, f.position, total, 1);
    struct vipd_hop hop = {};
    vipd_route_hop(ip->daddr, &hop);
    return vipd_to_next_hop(ctx, p, &hop);
}

#endif /* VIPD_BPF_NAT_H */

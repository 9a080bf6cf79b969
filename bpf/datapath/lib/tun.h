/* IPIP tunnelling (keepalived lb_kind TUN, RFC 2003), as serve()'s TUN case in
 * dataplane/dpdk/datapath/pkt/process.cc and the kernel's ip_vs_tunnel_xmit(): an outer header from
 * the out port's address to the backend, TOS, id and DF copied from the inner one; over the MTU with
 * DF, ICMP fragmentation needed (where `may_answer`: never about an ICMP error); without DF,
 * too_big (no fragmenting here). */
#ifndef VIPD_BPF_TUN_H
#define VIPD_BPF_TUN_H

#include "bpf/datapath/lib/hop.h"
#include "bpf/datapath/lib/icmp.h"

#define VIPD_IPPROTO_IPIP 4
#define VIPD_IP_DF 0x4000
#define VIPD_IP_OFFSET 0x1fff  /* the fragment offset, in 8-byte units */

static __always_inline struct vipd_result vipd_tun(struct vipd_pkt *p, struct iphdr *ip, __u32 total,
                                                   const struct vipd_backend *be, int may_answer)
{
    struct vipd_hop hop = {};
    vipd_backend_hop(be, &hop);
    __u32 ifindex = hop.ifindex;
    const struct vipd_port *out = vipd_port_of(ifindex);
    if ((hop.flags & VIPD_HOP_ROUTED) == 0 || out == 0) {
        return vipd_drop(VIPD_DROP_no_route);
    }
    if (total + sizeof(struct iphdr) > out->mtu) {
        if (may_answer && (bpf_ntohs(ip->frag_off) & VIPD_IP_DF)) {
            return vipd_frag_needed(p, out->mtu, ip->daddr);
        }
        return vipd_drop(VIPD_DROP_too_big);
    }
    vipd_ip_decrease_ttl(ip);
    const struct iphdr inner = *ip;
    struct ethhdr eth;
    __builtin_memcpy(&eth, p->data, sizeof(eth));
    if (bpf_xdp_adjust_head(p->ctx, -(int)sizeof(struct iphdr)) != 0) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    vipd_reload(p);
    /* The Ethernet header moves to the front; the outer IP header fills the gap. */
    struct ethhdr *e = p->data;
    struct iphdr *outer = p->data + sizeof(struct ethhdr);
    if ((void *)(outer + 1) > p->data_end) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    __builtin_memcpy(e, &eth, sizeof(eth));
    *(__u8 *)outer = 0x45;  /* version 4, IHL 5 */
    outer->tos = inner.tos;
    outer->tot_len = bpf_htons((__u16)(total + sizeof(struct iphdr)));
    outer->id = inner.id;  /* unique per client already; DF is copied, so most are atomic (RFC 6864) */
    outer->frag_off = inner.frag_off & bpf_htons(VIPD_IP_DF);
    outer->ttl = inner.ttl;
    outer->protocol = VIPD_IPPROTO_IPIP;
    outer->check = 0;
    outer->saddr = out->ip;
    outer->daddr = be->ip;
    outer->check = (__u16)~vipd_csum_fold(vipd_sum16(outer, sizeof(struct iphdr) / 2));
    return vipd_to_next_hop(p->ctx, p, &hop);
}

#endif /* VIPD_BPF_TUN_H */

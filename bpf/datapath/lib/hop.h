/* Sending a frame on to its next hop, as to_next_hop() in dataplane/dpdk/datapath/pkt/process.cc:
 * the MACs rewritten when the next hop's is known; otherwise the frame becomes an ARP request for it
 * (at most one per next hop per second per CPU, the others dropped as backend_unresolved). Never
 * bpf_fib_lookup or the kernel's forwarding: control resolved the next hop into the backend record. */
#ifndef VIPD_BPF_HOP_H
#define VIPD_BPF_HOP_H

#include "bpf/datapath/lib/arp.h"
#include "bpf/datapath/lib/hash.h"

#define VIPD_NS_PER_S 1000000000ULL

/* Where a frame goes next: the next hop's address, interface and, when known, MAC (fwd::NextHop). */
struct vipd_hop {
    __u32 ip;
    __u32 ifindex;
    __u8 flags;       /* VIPD_HOP_* */
    __u8 mac[6];
};

static __always_inline void vipd_backend_hop(const struct vipd_backend *be, struct vipd_hop *h)
{
    h->ip = be->hop_ip;
    h->ifindex = be->ifindex;
    h->flags = be->hop_flags;
    __builtin_memcpy(h->mac, be->mac, 6);
}

/* fwd::Table::next_hop(): the longest prefix over the connected networks and the routes, then the
 * neighbour table for the gateway's (or the on-link destination's) MAC. */
static __always_inline void vipd_route_hop(__u32 dst, struct vipd_hop *h)
{
    struct vipd_route_key k = {.prefixlen = 32, .addr = dst};
    const struct vipd_route *r = bpf_map_lookup_elem(&vipd_routes, &k);
    __builtin_memset(h, 0, sizeof(*h));
    if (r == 0) {
        return;
    }
    h->ip = r->gateway != 0 ? r->gateway : dst;
    h->ifindex = r->ifindex;
    h->flags = VIPD_HOP_ROUTED;
    __u32 ip = h->ip;
    const struct vipd_neighbour *n = bpf_map_lookup_elem(&vipd_neighbours, &ip);
    if (n != 0) {
        __builtin_memcpy(h->mac, n->mac, 6);
        h->flags |= VIPD_HOP_MAC_KNOWN;
    }
}

static __always_inline struct vipd_result vipd_to_next_hop(struct xdp_md *ctx, struct vipd_pkt *p,
                                                           const struct vipd_hop *be)
{
    __u32 ifindex = be->ifindex;
    const struct vipd_port *out = vipd_port_of(ifindex);
    if ((be->flags & VIPD_HOP_ROUTED) == 0 || out == 0) {
        return vipd_drop(VIPD_DROP_no_route);
    }
    struct ethhdr *eth = p->data;
    if ((void *)(eth + 1) > p->data_end) {
        return vipd_drop(VIPD_DROP_eth_truncated);
    }
    if (be->flags & VIPD_HOP_MAC_KNOWN) {
        __builtin_memcpy(eth->h_dest, be->mac, 6);
        __builtin_memcpy(eth->h_source, out->mac, 6);
        return vipd_verdict(VIPD_VERDICT_forward, ifindex);
    }
    __u32 hop_ip = be->ip;
    __u32 slot = vipd_mix32(hop_ip) & (VIPD_SOLICITED - 1);
    struct vipd_solicited *s = bpf_map_lookup_elem(&vipd_solicited, &slot);
    if (s == 0) {
        return vipd_drop(VIPD_DROP_backend_unresolved);
    }
    __u64 now = p->now;
    if (s->ip == hop_ip && s->at != 0 && now >= s->at && now - s->at < VIPD_NS_PER_S) {
        return vipd_drop(VIPD_DROP_backend_unresolved);
    }
    s->ip = hop_ip;
    s->at = now == 0 ? 1 : now;
    /* Who has hop_ip? tell our port address: 42 bytes, which every IPv4 TCP/UDP frame here holds. */
    struct vipd_arp *a = p->data + sizeof(struct ethhdr);
    if ((void *)(a + 1) > p->data_end) {
        return vipd_drop(VIPD_DROP_backend_unresolved);
    }
    __builtin_memset(eth->h_dest, 0xff, 6);
    __builtin_memcpy(eth->h_source, out->mac, 6);
    eth->h_proto = bpf_htons(ETH_P_ARP);
    a->htype = bpf_htons(ARPHRD_ETHER);
    a->ptype = bpf_htons(ETH_P_IP);
    a->hlen = 6;
    a->plen = 4;
    a->op = bpf_htons(ARPOP_REQUEST);
    __builtin_memcpy(a->sha, out->mac, 6);
    a->spa = out->ip;
    __builtin_memset(a->tha, 0, 6);
    a->tpa = hop_ip;
    int shrink = (int)(sizeof(struct ethhdr) + sizeof(struct vipd_arp)) - (int)p->len;
    if (shrink != 0 && bpf_xdp_adjust_tail(ctx, shrink) != 0) {
        return vipd_drop(VIPD_DROP_backend_unresolved);
    }
    return vipd_verdict(VIPD_VERDICT_solicit, ifindex);
}

#endif /* VIPD_BPF_HOP_H */

/* ICMP errors about balanced flows, as icmp_to_vip() and icmp_from_backend() in
 * dataplane/dpdk/datapath/pkt/process.cc and IPVS's ip_vs_in_icmp()/ip_vs_out_icmp(): an error to a
 * VIP about a datagram a real server sent from VIP:port goes on to that real server (DR as it is,
 * TUN in IPIP, NAT with the outer destination and the quoted source translated); a NAT real
 * server's error about a client's datagram goes back to the client as from VIP:port. About no flow
 * of ours: XDP_PASS, the kernel's, as before. */
#ifndef VIPD_BPF_ICMP_RELAY_H
#define VIPD_BPF_ICMP_RELAY_H

#include "bpf/datapath/lib/dr.h"
#include "bpf/datapath/lib/nat.h"
#include "bpf/datapath/lib/tun.h"

/* An ICMP error's header (RFC 792), as wire::IcmpHdr. */
struct vipd_icmp_hdr {
    __u8 type;
    __u8 code;
    __u16 checksum;
    __u32 rest;
};

/* icmp_error_about(): an ICMP error (destination unreachable, source quench, time exceeded,
 * parameter problem) and the datagram it quotes: its IP header and the 8 bytes holding TCP's or
 * UDP's ports (a later fragment has none). */
struct vipd_icmp_about {
    struct vipd_icmp_hdr *icmp;
    struct iphdr *inner;
    __u16 *ports;   /* the quoted datagram's source and destination ports */
};

static __always_inline int vipd_icmp_error_about(struct vipd_pkt *p, const struct vipd_ip *v, struct vipd_icmp_about *a)
{
    if (v->total < v->hlen + 8 + 20 + 8) {
        return 0;
    }
    struct vipd_icmp_hdr *icmp = (void *)v->ip + (v->hlen & 63);
    struct iphdr *inner = (void *)(icmp + 1);
    if ((void *)(inner + 1) > p->data_end) {
        return 0;
    }
    const __u8 type = icmp->type;
    if (type != 3 && type != 4 && type != 11 && type != 12) {
        return 0;
    }
    const __u32 ihl = (__u32)inner->ihl * 4;
    if (inner->version != 4 || ihl < 20 || v->total < v->hlen + 8 + ihl + 8 ||
        (inner->protocol != IPPROTO_TCP && inner->protocol != IPPROTO_UDP) ||
        (bpf_ntohs(inner->frag_off) & 0x1fff) != 0) {
        return 0;
    }
    __u16 *ports = (void *)inner + (ihl & 63);
    if ((void *)(ports + 2) > p->data_end) {
        return 0;
    }
    a->icmp = icmp;
    a->inner = inner;
    a->ports = ports;
    return 1;
}

/* icmp_rewrite_quote(): the quoted source (`source`) or destination address and port become
 * `to_addr`, `to_port`; the quote's header checksum and the ICMP checksum incrementally (the quote's
 * L4 checksum stays, as IPVS leaves it). */
static __always_inline void vipd_icmp_rewrite_quote(struct vipd_pkt *p, struct vipd_icmp_about *a, int source,
                                                    __u32 to_addr, __u16 to_port)
{
    struct iphdr *inner = a->inner;
    __u16 *ports = a->ports;
    struct vipd_icmp_hdr *icmp = a->icmp;
    if ((void *)(inner + 1) > p->data_end || (void *)(ports + 2) > p->data_end || (void *)(icmp + 1) > p->data_end) {
        return;
    }
    const __u32 old_addr = source ? inner->saddr : inner->daddr;
    const __u16 old_port = ports[source ? 0 : 1];
    const __u16 old_check = inner->check;
    if (source) {
        inner->saddr = to_addr;
        ports[0] = to_port;
    } else {
        inner->daddr = to_addr;
        ports[1] = to_port;
    }
    inner->check = vipd_csum_replace32(inner->check, old_addr, to_addr);
    __u16 c = vipd_csum_replace32(icmp->checksum, old_addr, to_addr);
    c = vipd_csum_replace16(c, old_check, inner->check);
    icmp->checksum = vipd_csum_replace16(c, old_port, to_port);
}

static __always_inline struct vipd_result vipd_icmp_to_vip(struct xdp_md *ctx, struct vipd_pkt *p,
                                                           const struct vipd_config *cfg, const struct vipd_ip *v)
{
    struct vipd_icmp_about a = {};
    struct iphdr *ip = v->ip;
    if (!vipd_icmp_error_about(p, v, &a) || a.inner->saddr != ip->daddr) {
        return vipd_verdict(VIPD_VERDICT_to_exception, 0);
    }
    const struct vipd_service *svc = vipd_find_service(a.inner->saddr, a.inner->protocol, a.ports[0]);
    if (svc == 0) {
        return vipd_verdict(VIPD_VERDICT_to_exception, 0);
    }
    const __u32 id = svc->id;
    struct vipd_flow_key key = {.src = a.inner->daddr, .dst = a.inner->saddr, .sport = a.ports[1], .dport = a.ports[0],
                                .proto = a.inner->protocol};
    const struct vipd_flow *e = vipd_flow_lookup(cfg, &key, vipd_flow_table_hash(&key), p->now);
    if (e == 0 || e->service != id || e->backend >= svc->backends || id >= VIPD_MAX_SERVICES) {
        return vipd_verdict(VIPD_VERDICT_to_exception, 0);
    }
    if (ip->ttl <= 1) {
        return vipd_drop(VIPD_DROP_ttl_exceeded);  /* nothing is sent about an ICMP error */
    }
    const __u32 backend = e->backend;
    __u32 bkey = vipd_backend_index(id, svc->bank, backend);
    const struct vipd_backend *be = bpf_map_lookup_elem(&vipd_backends, &bkey);
    if (be == 0) {
        return vipd_drop(VIPD_DROP_no_backend);
    }
    vipd_count_backend(id, backend, v->total, 0);
    if (svc->kind == VIPD_KIND_NAT) {
        struct vipd_hop hop = {};
        vipd_backend_hop(be, &hop);
        const __u32 old_dst = ip->daddr;
        ip->daddr = be->ip;
        ip->check = vipd_csum_replace32(ip->check, old_dst, be->ip);
        vipd_icmp_rewrite_quote(p, &a, 1, be->ip, be->port);
        vipd_ip_decrease_ttl(ip);
        return vipd_to_next_hop(ctx, p, &hop);
    }
    if (svc->kind == VIPD_KIND_TUN) {
        return vipd_tun(p, ip, v->total, be, 0);
    }
    if (svc->kind == VIPD_KIND_DR) {
        return vipd_dr(ctx, p, ip, be);
    }
    return vipd_drop(VIPD_DROP_kind_unsupported);
}

static __always_inline struct vipd_result vipd_icmp_from_backend(struct xdp_md *ctx, struct vipd_pkt *p,
                                                                 const struct vipd_config *cfg, const struct vipd_ip *v)
{
    struct vipd_icmp_about a = {};
    struct iphdr *ip = v->ip;
    if (!vipd_icmp_error_about(p, v, &a) || a.inner->saddr != ip->daddr) {
        return vipd_verdict(VIPD_VERDICT_to_exception, 0);
    }
    struct vipd_nat_key nk = {.ip = a.inner->daddr, .port = a.ports[1], .proto = a.inner->protocol, .pad = 0};
    const struct vipd_nat_reply *nr = bpf_map_lookup_elem(&vipd_nat, &nk);
    if (nr == 0) {
        return vipd_verdict(VIPD_VERDICT_to_exception, 0);
    }
    struct vipd_nat_find f = {.cfg = cfg, .nr = nr, .now = p->now, .client = a.inner->saddr, .backend = a.inner->daddr,
                              .client_port = a.ports[0], .backend_port = a.ports[1], .proto = a.inner->protocol,
                              .tcp_flags = 0, .icmp = 1};
    bpf_loop(VIPD_NAT_SERVICES, vipd_nat_find_step, &f, 0);
    if (!f.found) {
        return vipd_verdict(VIPD_VERDICT_to_exception, 0);
    }
    if (ip->ttl <= 1) {
        return vipd_drop(VIPD_DROP_ttl_exceeded);
    }
    const __u32 vip = f.vip;
    const __u32 old_src = ip->saddr;
    ip->saddr = vip;
    ip->check = vipd_csum_replace32(ip->check, old_src, vip);
    vipd_icmp_rewrite_quote(p, &a, 0, vip, f.vport);
    vipd_ip_decrease_ttl(ip);
    vipd_count_backend(f.service, f.position, v->total, 1);
    struct vipd_hop hop = {};
    vipd_route_hop(ip->daddr, &hop);
    return vipd_to_next_hop(ctx, p, &hop);
}

#endif /* VIPD_BPF_ICMP_RELAY_H */

/* vipd's XDP program: the entry point that reads a frame's bounds and the node's port, then decides
 * it as pkt::process() does (dataplane/dpdk/datapath/pkt/process.cc), feature by feature in lib/:
 * parse (Ethernet/IPv4/L4 validation), arp (the responder), classify (services, VIPs, martians),
 * serve + sched + flow (the flow table and the schedulers), dr (MAC rewrite), hop (next hops and
 * ARP solicitation), drop (verdicts, counters and the XDP action). */
#include "bpf/datapath/lib/arp.h"
#include "bpf/datapath/lib/frag.h"
#include "bpf/datapath/lib/icmp_relay.h"
#include "bpf/datapath/lib/serve.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline struct vipd_result vipd_ipv4(struct xdp_md *ctx, struct vipd_pkt *p,
                                                    const struct vipd_config *cfg)
{
    struct vipd_ip v = {};
    enum vipd_drop_reason r = vipd_ipv4_validate(p, &v);
    if (r != VIPD_DROP_none) {
        return vipd_drop(r);
    }
    struct iphdr *ip = v.ip;
    /* VRRP adverts for the node's VRIDs: the kernel's VRRP socket (control) validates the rest and
     * runs the state machine. What cannot be for it stops here, before the socket sees it, as in
     * pkt::ipv4(): a header cut short, a multicast advert with a TTL other than 255, another VRID. */
    if (ip->protocol == VIPD_IPPROTO_VRRP) {
        const __u8 *vrrp = (const __u8 *)ip + (v.hlen & 63);
        if (v.total < v.hlen + 8 || (const void *)(vrrp + 2) > p->data_end) {
            return vipd_drop(VIPD_DROP_vrrp_truncated);
        }
        if ((bpf_ntohl(ip->daddr) >> 28) == 0xe && ip->ttl != 255) {
            return vipd_drop(VIPD_DROP_vrrp_bad_ttl);
        }
        __u32 vrid = vrrp[1];
        const __u32 *ours = bpf_map_lookup_elem(&vipd_vrids, &vrid);
        if (ours == 0 || *ours == 0) {
            return vipd_drop(VIPD_DROP_vrrp_foreign_vrid);
        }
        return vipd_verdict(VIPD_VERDICT_to_vrrp, 0);
    }
    const int l4_proto = ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP;
    /* A later fragment carries no ports: it follows its first fragment, by the fragment cache. */
    const int later = l4_proto && (bpf_ntohs(ip->frag_off) & VIPD_IP_OFFSET) != 0;
    if (later) {
        struct vipd_result r = {};
        if (vipd_later_fragment(ctx, p, &v, &r)) {
            return r;
        }
    }
    /* The ports are there: a whole datagram, or a first fragment (decided as the datagram is). */
    const int whole = l4_proto && !later;
    struct vipd_l4 l4 = {.error = VIPD_DROP_none};
    if (whole) {
        l4 = vipd_parse_l4(p, &v);
        if (l4.error == VIPD_DROP_none) {
            const struct vipd_service *svc = vipd_find_service(ip->daddr, ip->protocol, l4.dport);
            if (svc != 0) {
                return vipd_serve(ctx, p, cfg, &v, &l4, svc);
            }
        }
    }
    const struct vipd_addr *dst = vipd_find_addr(ip->daddr);
    if (dst == 0 || (dst->flags & VIPD_ADDR_VIP) == 0) {
        /* Not to a VIP: a NAT backend's reply to a client, or the node's own traffic (the kernel's). */
        if (whole && v.total >= v.hlen + 4 && (dst == 0 || (dst->flags & VIPD_ADDR_LOCAL) == 0)) {
            const __u16 *sport = (void *)ip + (v.hlen & 63);
            if ((void *)(sport + 1) > p->data_end) {
                return vipd_drop(VIPD_DROP_l4_truncated);
            }
            struct vipd_nat_key nk = {.ip = ip->saddr, .port = *sport, .proto = ip->protocol, .pad = 0};
            const struct vipd_nat_reply *nr = bpf_map_lookup_elem(&vipd_nat, &nk);
            if (nr != 0) {
                if (l4.error != VIPD_DROP_none) {
                    return vipd_drop(l4.error);
                }
                return vipd_nat_reply(ctx, p, cfg, ip, &l4, nr);
            }
        }
        if (dst != 0 && (dst->flags & VIPD_ADDR_LOCAL) != 0) {
            return vipd_verdict(VIPD_VERDICT_to_local, 0);  /* the node's own traffic */
        }
        if (ip->protocol == IPPROTO_ICMP && !vipd_is_fragment(ip)) {
            return vipd_icmp_from_backend(ctx, p, cfg, &v);
        }
        return vipd_verdict(VIPD_VERDICT_to_exception, 0);
    }
    if (ip->protocol == IPPROTO_ICMP && !vipd_is_fragment(ip)) {
        return vipd_icmp_to_vip(ctx, p, cfg, &v);  /* an echo, or an error about no flow: the kernel's */
    }
    if (!l4_proto) {
        return vipd_verdict(VIPD_VERDICT_to_exception, 0);  /* any other protocol to a VIP: the kernel answers */
    }
    if (l4.error != VIPD_DROP_none) {
        return vipd_drop(l4.error);
    }
    /* A VIP port with no virtual service: the kernel answers, as with keepalived, and takes a first
     * fragment's later ones too. */
    if (vipd_is_fragment(ip)) {
        vipd_frag_remember(p, ip, VIPD_FRAG_KERNEL, 0, 0, 0, 0);
    }
    return vipd_verdict(VIPD_VERDICT_to_exception, 0);
}

static __always_inline struct vipd_result vipd_process(struct xdp_md *ctx, struct vipd_pkt *p)
{
    __u32 zero = 0;
    const struct vipd_config *cfg = bpf_map_lookup_elem(&vipd_config, &zero);
    /* Nothing written yet: the kernel keeps everything (XDP mode shares the NIC with it). */
    if (cfg == 0 || (cfg->flags & VIPD_CONFIG_READY) == 0) {
        return vipd_verdict(VIPD_VERDICT_to_exception, 0);
    }
    /* The coarse clock (a jiffy, the kernel's own ICMP rate limit's granularity) costs no TSC read; flows
     * and templates live for seconds. */
    p->now = vipd_test_clock ? cfg->test_now_ns : bpf_ktime_get_coarse_ns();
    struct ethhdr *eth = p->data;
    if ((void *)(eth + 1) > p->data_end) {
        return vipd_drop(VIPD_DROP_eth_truncated);
    }
    if (vipd_other_host(eth, p->port)) {
        return vipd_drop(VIPD_DROP_other_host);
    }
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        return vipd_ipv4(ctx, p, cfg);
    }
    if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
        return vipd_arp(p);
    }
    return vipd_verdict(VIPD_VERDICT_to_exception, 0);  /* IPv6, VLAN tags, LLDP…: the kernel */
}

/* A frame's bounds and the node's port it came in on. */
static __always_inline struct vipd_pkt vipd_pkt_of(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    const __u32 ifindex = ctx->ingress_ifindex;
    struct vipd_pkt p = {
        .ctx = ctx,
        .data = data,
        .data_end = data_end,
        .len = (__u32)(data_end - data),
        .ifindex = ifindex,
        .port = vipd_port_of(ifindex),
        .now = 0,
    };
    return p;
}

/* The exception path's bound (vipd_config.kernel_*, DPDK's exception ring): 1 when this CPU may pass
 * one more frame to the kernel as to_exception at `now`. Unbounded before the first table (the
 * kernel keeps everything then). */
static __always_inline int vipd_kernel_allowed(__u64 now)
{
    __u32 zero = 0;
    const struct vipd_config *cfg = bpf_map_lookup_elem(&vipd_config, &zero);
    struct vipd_cpu *c = bpf_map_lookup_elem(&vipd_cpu, &zero);
    if (cfg == 0 || c == 0 || (cfg->flags & VIPD_CONFIG_READY) == 0 || now == 0) {
        return 1;
    }
    const __u64 per = cfg->kernel_ns_per_token;
    if (per == 0) {
        return 1;
    }
    return vipd_bucket_take(&c->kernel_spent, &c->kernel_refilled, now, per, cfg->kernel_burst);
}

/* The decided frame: its outcome recorded for the tests, its counters and its XDP action. A frame
 * for the kernel over this CPU's rate is counted as decided and dropped as exception_ring_full, as
 * DPDK's lcore drops what its full exception ring refuses: a flood to a VIP's closed port then
 * costs the kernel's stack no more than the rate, and the forwarder keeps up with the rest. */
static __always_inline int vipd_done(struct xdp_md *ctx, const struct vipd_pkt *p, struct vipd_result r)
{
    if (vipd_test_clock) {
        vipd_test_last = r;
    }
    if (r.verdict == VIPD_VERDICT_to_exception && !vipd_kernel_allowed(p->now)) {
        vipd_bump(&vipd_verdicts, r.verdict);
        vipd_bump(&vipd_drops, VIPD_DROP_exception_ring_full);
        return XDP_DROP;
    }
    return vipd_finish(ctx, p->port, r);
}

/* The whole program: every packet that the entry's fast path leaves. */
SEC("xdp")
int vipd_xdp_full(struct xdp_md *ctx)
{
    struct vipd_pkt p = vipd_pkt_of(ctx);
    return vipd_done(ctx, &p, vipd_process(ctx, &p));
}

#include "bpf/datapath/lib/known.h"

/* The entry, attached to the interfaces: a known flow's packet decided by known.h, anything else by
 * the whole program. */
SEC("xdp")
int vipd_xdp(struct xdp_md *ctx)
{
    struct vipd_pkt p = vipd_pkt_of(ctx);
    struct vipd_result r;
    if (vipd_known(ctx, &p, &r)) {
        return vipd_done(ctx, &p, r);
    }
    bpf_tail_call(ctx, &vipd_progs, VIPD_PROG_FULL);
    /* Only before the loader has filled vipd_progs (never once attached): the kernel's, as before
     * the first table. */
    return vipd_done(ctx, &p, vipd_verdict(VIPD_VERDICT_to_exception, 0));
}

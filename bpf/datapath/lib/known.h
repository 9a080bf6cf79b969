/* The flow-hit fast path: vipd's entry program decides here the packets of known flows, the bulk of
 * what a load balancer forwards, and tail-calls the whole program (lb.bpf.c, vipd_xdp_full) for
 * everything else. It decides a packet only where the whole program would reach the flow hit of
 * vipd_serve() with the same flow and decide it the same way: a whole TCP or UDP datagram that
 * passes the same validation, of a confirmed flow in a state it keeps (ESTABLISHED without SYN, FIN
 * or RST; UDP), whose service position still holds the record the flow was scheduled from
 * (vipd_service_hot's gen, lb_structs.h). It reads that one word instead of looking the service up,
 * and changes nothing before it has decided: anything else goes on to the whole program untouched.
 * A program of its own, so that the verifier walks it apart from the whole program's paths. */
#ifndef VIPD_BPF_KNOWN_H
#define VIPD_BPF_KNOWN_H

#include "bpf/datapath/lib/serve.h"

static __always_inline int vipd_known(struct xdp_md *ctx, struct vipd_pkt *p, struct vipd_result *out)
{
    __u32 zero = 0;
    const struct vipd_config *cfg = bpf_map_lookup_elem(&vipd_config, &zero);
    if (cfg == 0 || (cfg->flags & VIPD_CONFIG_READY) == 0) {
        return 0;
    }
    struct ethhdr *eth = p->data;
    if ((void *)(eth + 1) > p->data_end || eth->h_proto != bpf_htons(ETH_P_IP) || (eth->h_dest[0] & 1) != 0 ||
        vipd_other_host(eth, p->port)) {
        return 0;
    }
    struct vipd_ip v = {};
    if (vipd_ipv4_validate(p, &v) != VIPD_DROP_none) {
        return 0;
    }
    struct iphdr *ip = v.ip;
    if ((ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP) || vipd_is_fragment(ip) || ip->ttl <= 1) {
        return 0;
    }
    const __u32 bit = vipd_vip_filter_bit(ip->daddr);
    if (((vipd_vip_filter[(bit >> 6) & (VIPD_VIP_FILTER_WORDS - 1)] >> (bit & 63)) & 1) == 0) {
        return 0;  /* not to a VIP with a service: no flow of ours */
    }
    const struct vipd_l4 l4 = vipd_parse_l4(p, &v);
    /* A SYN, FIN or RST changes its flow's state (or makes one): the whole program's. */
    if (l4.error != VIPD_DROP_none || (l4.tcp_flags & (VIPD_TCP_SYN | VIPD_TCP_FIN | VIPD_TCP_RST)) != 0) {
        return 0;
    }
    struct vipd_flow_key key = {.src = ip->saddr, .dst = ip->daddr, .sport = l4.sport, .dport = l4.dport,
                                .proto = ip->protocol};
    struct vipd_flow *e = vipd_flow_find(&key, vipd_flow_table_hash(&key));
    if (e == 0) {
        return 0;
    }
    p->now = vipd_test_clock ? cfg->test_now_ns : bpf_ktime_get_coarse_ns();
    const __u8 keeps = ip->protocol == IPPROTO_TCP ? VIPD_STATE_ESTABLISHED : VIPD_STATE_UDP;
    if (e->state != keeps || e->confirmed == 0 || vipd_flow_expired(cfg, e, p->now)) {
        return 0;
    }
    const __u32 id = e->service;
    if (id >= VIPD_MAX_SERVICES) {
        return 0;
    }
    /* One aligned load: the word control last stored whole (MapWriter::service_hot). */
    const __u64 hot = *(volatile const __u64 *)&vipd_service_hot[id];
    const __u32 kind = vipd_hot_kind(hot);
    if (e->gen == 0 || vipd_hot_gen(hot) != e->gen || e->backend >= vipd_hot_backends(hot) || kind > VIPD_KIND_TUN) {
        return 0;
    }
    __u32 bkey = vipd_backend_index(id, vipd_hot_bank(hot), e->backend);
    const struct vipd_backend *be = bpf_map_lookup_elem(&vipd_backends, &bkey);
    if (be == 0) {
        return 0;
    }
    e->last_seen = p->now;
    vipd_count_backend(id, e->backend, v.total, 0);
    *out = vipd_send(ctx, p, &v, &l4, kind, be);
    return 1;
}

#endif /* VIPD_BPF_KNOWN_H */

/* node_bench's traffic, as its XDP programs (xdp_fwd.bpf.c, xdp_sink.bpf.c) recognise it: an
 * Ethernet/IPv4 frame without options carrying UDP to port 9. Anything else is not the bench's. */
#ifndef VIPD_BENCH_XDP_UDP9_H
#define VIPD_BENCH_XDP_UDP9_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* The frame's Ethernet header when it is the bench's UDP :9, else NULL. */
static __always_inline struct ethhdr *udp9(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    struct udphdr *udp = (void *)(ip + 1);
    if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP ||
        ip->ihl != 5 || udp->dest != bpf_htons(9)) {
        return 0;
    }
    return eth;
}

#endif /* VIPD_BENCH_XDP_UDP9_H */

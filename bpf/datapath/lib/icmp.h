/* ICMP errors built in place (RFC 792), as icmp_error() and frag_needed() in
 * dataplane/dpdk/datapath/pkt/process.cc: time exceeded from the VIP for a dying packet to a
 * service, fragmentation needed (RFC 1191) for a tunnelled packet over the MTU with DF. Quoting the
 * original header and 8 bytes of its data; the frame grows into the headroom or shrinks to fit; a
 * per-CPU token bucket at the kernel's icmp_msgs_per_sec 1000 and icmp_msgs_burst 50. */
#ifndef VIPD_BPF_ICMP_H
#define VIPD_BPF_ICMP_H

#include "bpf/datapath/lib/parse.h"

#define VIPD_ICMP_HEAD (sizeof(struct ethhdr) + sizeof(struct iphdr) + 8)
#define VIPD_ICMP_QUOTE_MAX 68  /* a 60-byte header and 8 bytes of data */

/* Each CPU's copy of the quoted bytes while the frame is reshaped: in a map, not on the stack, whose
 * 512 bytes this function shares with the whole program's frame. Program-internal: control never
 * reads it. */
struct vipd_icmp_scratch {
    __u8 quote[VIPD_ICMP_QUOTE_MAX];
};
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vipd_icmp_scratch);
} vipd_icmp_scratch SEC(".maps");

/* Points the frame's bounds at the buffer again after bpf_xdp_adjust_head/tail moved them. */
static __always_inline void vipd_reload(struct vipd_pkt *p)
{
    p->data = (void *)(long)p->ctx->data;
    p->data_end = (void *)(long)p->ctx->data_end;
    p->len = (__u32)(p->data_end - p->data);
}

static __always_inline __u32 vipd_sum16(const void *data, __u32 words)
{
    const __u16 *w = data;
    __u32 sum = 0;
#pragma clang loop unroll(full)
    for (__u32 i = 0; i < VIPD_ICMP_QUOTE_MAX / 2; i++) {
        if (i < words) {
            sum += w[i];
        }
    }
    return sum;
}

static __always_inline struct vipd_result vipd_icmp_build(struct vipd_pkt *p, __u8 type, __u8 code, __u16 mtu, __u32 src)
{
    __u32 zero = 0;
    struct vipd_cpu *cpu = bpf_map_lookup_elem(&vipd_cpu, &zero);
    if (cpu == 0 ||
        !vipd_bucket_take(&cpu->icmp_spent, &cpu->icmp_refilled, p->now, VIPD_ICMP_NS_PER_TOKEN, VIPD_ICMP_BURST)) {
        return vipd_drop(VIPD_DROP_icmp_rate_limited);
    }
    const struct vipd_port *port = p->port;
    if (port == 0) {
        return vipd_drop(VIPD_DROP_no_route);
    }
    struct ethhdr *eth = p->data;
    struct iphdr *orig = p->data + sizeof(struct ethhdr);
    if ((void *)(orig + 1) > p->data_end) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    __u32 quoted = orig->ihl * 4u + 8;
    const __u32 total = bpf_ntohs(orig->tot_len);
    quoted = total < quoted ? total : quoted;
    quoted = p->len - sizeof(struct ethhdr) < quoted ? p->len - sizeof(struct ethhdr) : quoted;
    if (quoted < sizeof(struct iphdr) + 8 || quoted > VIPD_ICMP_QUOTE_MAX) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    struct vipd_icmp_scratch *scratch = bpf_map_lookup_elem(&vipd_icmp_scratch, &zero);
    if (scratch == 0) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    __u8 *quote = scratch->quote;
    __builtin_memset(quote, 0, VIPD_ICMP_QUOTE_MAX);
    if (bpf_xdp_load_bytes(p->ctx, sizeof(struct ethhdr), quote, quoted) != 0) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    const __u32 client = orig->saddr;
    __u8 client_mac[6];
    __builtin_memcpy(client_mac, eth->h_source, 6);
    const int delta = (int)(VIPD_ICMP_HEAD + quoted) - (int)p->len;
    if (delta > 0 && bpf_xdp_adjust_head(p->ctx, -delta) != 0) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    if (delta < 0 && bpf_xdp_adjust_tail(p->ctx, delta) != 0) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    vipd_reload(p);
    eth = p->data;
    struct iphdr *ip = p->data + sizeof(struct ethhdr);
    __u8 *icmp = (__u8 *)(ip + 1);
    if ((void *)(icmp + 8) > p->data_end) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    __builtin_memcpy(eth->h_dest, client_mac, 6);
    __builtin_memcpy(eth->h_source, port->mac, 6);
    eth->h_proto = bpf_htons(ETH_P_IP);
    *(__u8 *)ip = 0x45;  /* version 4, IHL 5 */
    ip->tos = 0xc0;  /* IPTOS_PREC_INTERNETCONTROL, as the kernel's icmp_send() */
    ip->tot_len = bpf_htons((__u16)(sizeof(struct iphdr) + 8 + quoted));
    ip->id = bpf_htons(cpu->ip_id);
    cpu->ip_id++;
    ip->frag_off = 0;
    ip->ttl = 64;
    ip->protocol = IPPROTO_ICMP;
    ip->check = 0;
    ip->saddr = src;
    ip->daddr = client;
    ip->check = (__u16)~vipd_csum_fold(vipd_sum16(ip, sizeof(struct iphdr) / 2));
    /* type, code, checksum, unused, next-hop MTU (RFC 1191 §4), summed as they lie in memory */
    icmp[0] = type;
    icmp[1] = code;
    *(__u16 *)(icmp + 2) = 0;
    *(__u16 *)(icmp + 4) = 0;
    *(__u16 *)(icmp + 6) = bpf_htons(mtu);
    __u32 sum = vipd_sum16(icmp, 4) + vipd_sum16(quote, (quoted + 1) / 2);
    *(__u16 *)(icmp + 2) = (__u16)~vipd_csum_fold(sum);
    if (bpf_xdp_store_bytes(p->ctx, VIPD_ICMP_HEAD, quote, quoted) != 0) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    return vipd_verdict(VIPD_VERDICT_reply, p->ifindex);
}

/* The ICMP error as a global function: the verifier checks it once, on its own, instead of once per
 * way the program reaches it (inlined, the program exceeded the verifier's million instructions).
 * Global functions take the context and scalars only, so the frame is found again from ctx, and the
 * result comes back packed: verdict | reason << 8. */
__noinline int vipd_icmp_error_global(struct xdp_md *ctx, __u32 type_code_mtu, __u32 src, __u64 now)
{
    if (ctx == 0) {
        return VIPD_VERDICT_drop | (VIPD_DROP_no_route << 8);
    }
    struct vipd_pkt p = {.ctx = ctx, .ifindex = ctx->ingress_ifindex, .now = now};
    vipd_reload(&p);
    __u32 ifindex = p.ifindex;
    p.port = vipd_port_of(ifindex);
    const struct vipd_result r =
        vipd_icmp_build(&p, (__u8)type_code_mtu, (__u8)(type_code_mtu >> 8), (__u16)(type_code_mtu >> 16), src);
    return r.verdict | (r.reason << 8);
}

static __always_inline struct vipd_result vipd_icmp_error(struct vipd_pkt *p, __u8 type, __u8 code, __u16 mtu, __u32 src)
{
    const int packed = vipd_icmp_error_global(p->ctx, type | (code << 8) | ((__u32)mtu << 16), src, p->now);
    struct vipd_result r = {.verdict = (__u8)packed, .reason = (__u8)(packed >> 8), .ifindex = p->ifindex};
    /* The frame moved: the caller sends it as it is now, and reads nothing else from it. */
    vipd_reload(p);
    return r;
}

/* Destination unreachable, fragmentation needed, reporting the room after the outer header; a port
 * with less than 68 bytes of room (RFC 791's minimum) has no path MTU to report. */
static __always_inline struct vipd_result vipd_frag_needed(struct vipd_pkt *p, __u32 port_mtu, __u32 vip)
{
    if (port_mtu < 68 + sizeof(struct iphdr)) {
        return vipd_drop(VIPD_DROP_too_big);
    }
    const __u32 src = p->port != 0 && p->port->ip != 0 ? p->port->ip : vip;
    __u32 room = port_mtu - sizeof(struct iphdr);
    return vipd_icmp_error(p, 3, 4, (__u16)(room > 0xffff ? 0xffff : room), src);
}

#endif /* VIPD_BPF_ICMP_H */

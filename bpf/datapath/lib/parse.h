/* Ethernet, IPv4 and TCP/UDP validation with the C++ packet path's drop reasons (pkt::process,
 * ipv4, check_options and parse_l4 in dataplane/dpdk/datapath/pkt/process.cc), and the Internet
 * checksum helpers of dataplane/wire/headers.h. Every packet access is bounds-checked against
 * data_end, also where the lengths checked before already imply it: the verifier cannot know that. */
#ifndef VIPD_BPF_PARSE_H
#define VIPD_BPF_PARSE_H

#include "bpf/datapath/lib/drop.h"

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#define VIPD_IPPROTO_VRRP 112  /* RFC 5798 §5.1.1.4 */
#define VIPD_TCP_FIN 0x01
#define VIPD_TCP_SYN 0x02
#define VIPD_TCP_RST 0x04
#define VIPD_TCP_ACK 0x10

/* A frame being decided: its bounds, where it came in, and the node's port there (NULL: none). */
struct vipd_pkt {
    struct xdp_md *ctx;
    void *data;
    void *data_end;
    __u32 len;
    __u32 ifindex;
    const struct vipd_port *port;
    __u64 now;                 /* bpf_ktime_get_coarse_ns(), read once */
};

/* The parsed IPv4 header of a frame that passed ipv4_validate(). */
struct vipd_ip {
    struct iphdr *ip;
    __u32 hlen;
    __u32 total;               /* host order */
};

/* The ports and TCP flags of an unfragmented TCP/UDP datagram, or why it is cut short. */
struct vipd_l4 {
    void *hdr;
    __u16 sport;               /* network order */
    __u16 dport;
    __u8 tcp_flags;
    __u8 error;                /* enum vipd_drop_reason, VIPD_DROP_none when whole */
};

static __always_inline __u16 vipd_csum_fold(__u32 sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)sum;
}

/* RFC 1624 eqn. 3 for a 16-bit field (values as stored, network order): wire/headers.h
 * csum_replace16 in the byte order the packet holds. */
static __always_inline __u16 vipd_csum_replace16(__u16 csum, __u16 old_w, __u16 new_w)
{
    __u32 s = (__u16)~csum;
    s += (__u16)~old_w;
    s += new_w;
    return (__u16)~vipd_csum_fold(s);
}

/* RFC 1624 eqn. 3 for a 32-bit field (an address), as wire/headers.h csum_replace32. */
static __always_inline __u16 vipd_csum_replace32(__u16 csum, __u32 old_w, __u32 new_w)
{
    __u32 s = (__u16)~csum;
    s += (__u16)~(__u16)old_w;
    s += (__u16)~(__u16)(old_w >> 16);
    s += (__u16)new_w;
    s += (__u16)(new_w >> 16);
    return (__u16)~vipd_csum_fold(s);
}

/* The kernel's ip_decrease_ttl() (as wire/headers.h): TTL − 1, checksum + 0x0100 with the carry. */
static __always_inline void vipd_ip_decrease_ttl(struct iphdr *ip)
{
    __u32 check = ip->check;
    check += bpf_htons(0x0100);
    ip->check = (__u16)(check + (check >= 0xffff));
    ip->ttl--;
}

/* RFC 1071: the header sums to 0xffff. `hlen` is 20..60 and the header lies within the frame. */
static __always_inline int vipd_ipv4_checksum_ok(struct iphdr *ip, __u32 hlen, void *data_end)
{
    __u16 *w = (__u16 *)ip;
    __u32 sum = 0;
#pragma clang loop unroll(full)
    for (__u32 i = 0; i < 30; i++) {
        if (i * 2 < hlen) {
            if ((void *)(w + i + 1) > data_end) {
                return 0;
            }
            sum += w[i];
        }
    }
    return vipd_csum_fold(sum) == 0xffff;
}

/* IP options (RFC 791 §3.1) as check_options(): source routes and options whose lengths do not
 * add up are dropped; anything else passes. The options are copied to the stack and walked by
 * bpf_loop, whose callback the verifier checks once: an open-coded loop made it walk the rest of
 * the program once per path through the options. */
struct vipd_opts {
    __u8 buf[64];   /* the options, zero beyond n */
    __u32 n;        /* their length, 1..40 */
    __u32 i;        /* the next option's offset */
    __u32 result;   /* enum vipd_drop_reason */
};

static long vipd_option_step(__u32 k, void *ctx)
{
    struct vipd_opts *o = ctx;
    (void)k;
    __u32 i = o->i;
    __u32 n = o->n;
    if (i >= n || n > 40) {
        return 1;
    }
    __u8 type = o->buf[i & 63];
    if (type == 0) {  /* end of option list */
        return 1;
    }
    if (type == 1) {  /* no operation */
        o->i = i + 1;
        return 0;
    }
    __u8 olen = o->buf[(i + 1) & 63];
    if (i + 1 >= n || olen < 2 || olen > n - i) {
        o->result = VIPD_DROP_ip_bad_options;
        return 1;
    }
    if (type == 131 || type == 137) {  /* LSRR, SSRR */
        o->result = VIPD_DROP_ip_source_route;
        return 1;
    }
    o->i = i + olen;
    return 0;
}

static __always_inline enum vipd_drop_reason vipd_check_options(struct xdp_md *ctx, __u32 hlen)
{
    struct vipd_opts o = {.n = hlen - sizeof(struct iphdr), .i = 0, .result = VIPD_DROP_none};
    __u32 n = o.n;
    if (n == 0 || n > 40) {
        return VIPD_DROP_ip_bad_options;
    }
    if (bpf_xdp_load_bytes(ctx, sizeof(struct ethhdr) + sizeof(struct iphdr), o.buf, n) != 0) {
        return VIPD_DROP_ip_truncated;
    }
    bpf_loop(40, vipd_option_step, &o, 0);
    return (enum vipd_drop_reason)o.result;
}

/* RFC 791 §3.1 / RFC 1122 §3.2.1: version, IHL, lengths, checksum, options, in process.cc's order. */
static __always_inline enum vipd_drop_reason vipd_ipv4_validate(struct vipd_pkt *p, struct vipd_ip *out)
{
    if (p->len < sizeof(struct ethhdr) + sizeof(struct iphdr)) {
        return VIPD_DROP_ip_truncated;
    }
    struct iphdr *ip = p->data + sizeof(struct ethhdr);
    if ((void *)(ip + 1) > p->data_end) {
        return VIPD_DROP_ip_truncated;
    }
    if (ip->version != 4) {
        return VIPD_DROP_ip_bad_version;
    }
    __u32 hlen = (__u32)ip->ihl * 4;
    if (hlen < sizeof(struct iphdr)) {
        return VIPD_DROP_ip_bad_ihl;
    }
    __u32 l3len = p->len - sizeof(struct ethhdr);
    if (l3len < hlen) {
        return VIPD_DROP_ip_truncated;
    }
    /* The total length covers the header; the frame may be longer (Ethernet padding). */
    __u32 total = bpf_ntohs(ip->tot_len);
    if (total < hlen) {
        return VIPD_DROP_ip_bad_length;
    }
    if (total > l3len) {
        return VIPD_DROP_ip_truncated;
    }
    if (!vipd_ipv4_checksum_ok(ip, hlen, p->data_end)) {
        return VIPD_DROP_ip_bad_checksum;
    }
    if (hlen > sizeof(struct iphdr)) {
        enum vipd_drop_reason r = vipd_check_options(p->ctx, hlen);
        if (r != VIPD_DROP_none) {
            return r;
        }
    }
    out->ip = ip;
    out->hlen = hlen;
    out->total = total;
    return VIPD_DROP_none;
}

/* A unicast frame for another station than the node's port (a flooding switch): not ours to forward.
 * Without a port record the node has no MAC to compare, and none is foreign. */
static __always_inline int vipd_other_host(const struct ethhdr *eth, const struct vipd_port *port)
{
    return (eth->h_dest[0] & 1) == 0 && port != 0 &&
           (*(const __u32 *)&eth->h_dest[0] != *(const __u32 *)&port->mac[0] ||
            *(const __u16 *)&eth->h_dest[4] != *(const __u16 *)&port->mac[4]);
}

static __always_inline int vipd_is_fragment(const struct iphdr *ip)
{
    return (bpf_ntohs(ip->frag_off) & 0x3fff) != 0;
}

/* parse_l4(): ports and flags, or l4_truncated (RFC 9293 §3.1 data offset, RFC 768 length). */
static __always_inline struct vipd_l4 vipd_parse_l4(struct vipd_pkt *p, const struct vipd_ip *v)
{
    struct vipd_l4 l = {.error = VIPD_DROP_l4_truncated};
    __u32 hlen = v->hlen & 63;
    void *hdr = (void *)v->ip + hlen;
    __u32 l4len = v->total - v->hlen;
    l.hdr = hdr;
    if (v->ip->protocol == IPPROTO_TCP) {
        struct tcphdr *th = hdr;
        if (l4len < sizeof(struct tcphdr) || (void *)(th + 1) > p->data_end) {
            return l;
        }
        if (th->doff < 5 || th->doff * 4u > l4len) {
            return l;
        }
        l.tcp_flags = ((__u8 *)th)[13];
        l.sport = th->source;
        l.dport = th->dest;
    } else {
        struct udphdr *uh = hdr;
        if (l4len < sizeof(struct udphdr) || (void *)(uh + 1) > p->data_end) {
            return l;
        }
        l.sport = uh->source;
        l.dport = uh->dest;
    }
    l.error = VIPD_DROP_none;
    return l;
}

#endif /* VIPD_BPF_PARSE_H */

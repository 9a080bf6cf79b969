/* xdp_gen's program: every frame that BPF_PROG_RUN hands it in live-frames mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES) gets its headers written again from the template that userspace put
 * in `tmpl`, then leaves by XDP_TX, out of the interface named as its ingress. The rewrite is
 * needed: a live frame's page is recycled without being reset, so whatever a receiver changed in it
 * (a forwarder's MAC rewrite, a NAT) would otherwise come back in the next frames.
 *
 * Per frame, on top of the template:
 *   flows > 1      (UDP, TCP) the source port cycles through `flows` values from the template's;
 *   random_src     (UDP, TCP) the low `random_src` bits of the source address, the whole source
 *                  port and TCP's sequence number are random (bpf_get_prandom_u32): a flood from
 *                  spoofed sources;
 *   kind VRRP      the VRID cycles over 1..255, skipping `skip_vrid` (the node's own): junk adverts;
 *   rate_pps       a token bucket (on bpf_ktime_get_ns, 64 frames deep) lets that many frames a
 *                  second out by XDP_TX: a frame waits for its token, spinning on the clock (bpf_loop) for
 *                  up to GEN_SPIN reads (about 0.1 ms: smooth down to some 10 k frames a second), and is
 *                  dropped (XDP_DROP, recycled at once) if none came. Pacing within BPF_PROG_RUN, whose
 *                  fixed cost per call (tens of ms) rules out small paced calls.
 * Every frame sent is counted in `sent` (per CPU), which userspace reads for its rates.
 * Checksums: the IPv4 header's is summed again whenever a field under it changed; TCP's (over the
 * pseudo-header and a 20-byte header, no payload) and VRRP's likewise; UDP's is 0 (none, as IPv4
 * allows). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define GEN_TMPL 54 /* the longest template: Ethernet 14 + IPv4 20 + TCP 20, or + VRRP v2 20 */
#define GEN_UDP 0
#define GEN_TCP 1
#define GEN_VRRP 2

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load. Writable data (.bss), not .rodata: the copy below reads it through a
 * plain pointer, which the compiler would fold to the initializer of a const array. */
unsigned char tmpl[GEN_TMPL];
const volatile __u32 tmpl_len = 42;
const volatile __u32 kind = GEN_UDP;
const volatile __u32 flows = 1;
const volatile __u16 sport = 1024;
const volatile __u32 random_src = 0; /* bits of the source address made random; 0: none */
const volatile __u32 skip_vrid = 0;
const volatile __u64 rate_pps = 0; /* 0: every frame goes */

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} next_flow SEC(".maps");

struct gen_state {
    __u64 sent;    /* frames sent by XDP_TX */
    __u64 last_ns; /* the token bucket's last refill */
    __u64 credit;  /* its tokens, in frame-nanoseconds (one frame: 1e9) */
};
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct gen_state);
} state SEC(".maps");

#define GEN_FRAME 1000000000ull
#define GEN_BURST (64 * GEN_FRAME)
#define GEN_SPIN 4096

/* The one's-complement sum of `words` 16-bit words at p (network order as read), folded; the
 * caller inverts it. Bounded: the verifier sees the constant trip count. */
static __always_inline __u32 gen_sum(const unsigned char *p, int words, __u32 sum)
{
#pragma unroll
    for (int i = 0; i < words; i++) {
        sum += (__u32)p[2 * i] << 8 | p[2 * i + 1];
    }
    return sum;
}
static __always_inline __u16 gen_fold(__u32 sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)~sum;
}
/* One look at the clock for the token bucket (bpf_loop's callback): 1 (stop) once a token is there. */
struct gen_spin {
    struct gen_state *st; /* bpf_loop's context must be on the stack: the map value is reached from it */
};
static long gen_refill(__u32 index __attribute__((unused)), void *ctx)
{
    struct gen_state *st = ((struct gen_spin *)ctx)->st;
    __u64 now = bpf_ktime_get_ns();
    if (st->last_ns == 0) {
        st->last_ns = now;
    }
    st->credit += (now - st->last_ns) * rate_pps;
    st->last_ns = now;
    if (st->credit > GEN_BURST) {
        st->credit = GEN_BURST;
    }
    return st->credit >= GEN_FRAME;
}
static __always_inline void gen_put16(unsigned char *p, __u16 v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
    unsigned char *data = (void *)(long)ctx->data;
    unsigned char *end = (void *)(long)ctx->data_end;
    if (data + GEN_TMPL > end) {
        return XDP_ABORTED;
    }
    __u32 zero = 0;
    struct gen_state *st = bpf_map_lookup_elem(&state, &zero);
    if (!st) {
        return XDP_ABORTED;
    }
    if (rate_pps) {
        struct gen_spin spin = {.st = st};
        bpf_loop(GEN_SPIN, gen_refill, &spin, 0);
        if (st->credit < GEN_FRAME) {
            return XDP_DROP;
        }
        st->credit -= GEN_FRAME;
    }
    st->sent++;
    __builtin_memcpy(data, tmpl, GEN_TMPL);
    unsigned char *ip = data + 14;
    unsigned char *l4 = ip + 20;
    int ip_changed = 0;
    if (kind == GEN_VRRP) {
        __u32 *n = bpf_map_lookup_elem(&next_flow, &zero);
        if (n) {
            __u32 vrid = 1 + *n % 255;
            if (vrid == skip_vrid) {
                vrid = vrid % 255 + 1;
            }
            *n = *n + 1;
            l4[1] = (unsigned char)vrid;
            l4[6] = 0;
            l4[7] = 0;
            gen_put16(l4 + 6, gen_fold(gen_sum(l4, 10, 0))); /* VRRP v2: 8 + one address + 8 auth */
        }
    } else {
        __u16 port = sport;
        if (random_src) {
            __u32 r = bpf_get_prandom_u32();
            __u32 mask = random_src >= 32 ? 0xffffffff : (1u << random_src) - 1;
            __u32 src = ((__u32)ip[12] << 24 | (__u32)ip[13] << 16 | (__u32)ip[14] << 8 | ip[15]) & ~mask;
            src |= r & mask;
            ip[12] = (unsigned char)(src >> 24);
            ip[13] = (unsigned char)(src >> 16);
            ip[14] = (unsigned char)(src >> 8);
            ip[15] = (unsigned char)src;
            port = (__u16)(bpf_get_prandom_u32() | 1024);
            ip_changed = 1;
            if (kind == GEN_TCP) {
                __u32 seq = bpf_get_prandom_u32();
                __builtin_memcpy(l4 + 4, &seq, 4);
            }
        } else if (flows > 1) {
            __u32 *n = bpf_map_lookup_elem(&next_flow, &zero);
            if (n) {
                port = (__u16)(sport + *n);
                *n = *n + 1 == flows ? 0 : *n + 1;
            }
        }
        gen_put16(l4, port); /* the source port: UDP's and TCP's first field */
        if (kind == GEN_TCP) {
            l4[16] = 0;
            l4[17] = 0;
            __u32 sum = gen_sum(ip + 12, 4, 0) + 6 + 20; /* pseudo-header: addresses, protocol, length */
            gen_put16(l4 + 16, gen_fold(gen_sum(l4, 10, sum)));
        }
    }
    if (ip_changed) {
        ip[10] = 0;
        ip[11] = 0;
        gen_put16(ip + 10, gen_fold(gen_sum(ip, 10, 0)));
    }
    return XDP_TX;
}

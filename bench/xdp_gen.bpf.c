/* xdp_gen's program: every frame that BPF_PROG_RUN hands it in live-frames mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES) gets its headers written again from the template that userspace put
 * in `tmpl`, then leaves by XDP_TX, out of the interface named as its ingress. The rewrite is
 * needed: a live frame's page is recycled without being reset, so whatever a receiver changed in it
 * (a forwarder's MAC rewrite, a NAT) would otherwise come back in the next frames. With `flows` > 1
 * the UDP source port cycles through `flows` values from the template's (UDP checksum 0: nothing to
 * fix up). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define GEN_HDR 42 /* Ethernet 14 + IPv4 20 + UDP 8 */

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load. Writable data (.bss), not .rodata: the copy below reads it through a
 * plain pointer, which the compiler would fold to the initializer of a const array. */
unsigned char tmpl[GEN_HDR];
const volatile __u32 flows = 1;
const volatile __u16 sport = 1024;

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} next_flow SEC(".maps");

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
    unsigned char *data = (void *)(long)ctx->data;
    unsigned char *end = (void *)(long)ctx->data_end;
    if (data + GEN_HDR > end) {
        return XDP_ABORTED;
    }
    __builtin_memcpy(data, tmpl, GEN_HDR);
    if (flows > 1) {
        __u32 zero = 0;
        __u32 *n = bpf_map_lookup_elem(&next_flow, &zero);
        if (n) {
            __u16 port = (__u16)(sport + *n);
            *n = *n + 1 == flows ? 0 : *n + 1;
            data[34] = (unsigned char)(port >> 8); /* UDP source port */
            data[35] = (unsigned char)port;
        }
    }
    return XDP_TX;
}

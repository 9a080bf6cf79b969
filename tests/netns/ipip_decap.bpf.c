/* A backend's IPIP decapsulation for the node tests' lb_kind TUN (the kernel here has no ipip module):
 * an IPv4-in-IPv4 frame loses its outer header and goes on to the kernel as the inner packet, to the
 * VIP that the backend holds on lo (as a TUN real server does on its tunl0). Every decapsulated frame
 * is counted in `decapped` (one slot), which the test reads with bpftool. Anything else passes. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} decapped SEC(".maps");

SEC("xdp")
int ipip_decap(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *outer = (void *)(eth + 1);
    if ((void *)(outer + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || outer->protocol != IPPROTO_IPIP ||
        outer->ihl != 5) {
        return XDP_PASS;
    }
    struct iphdr *inner = (void *)(outer + 1);
    if ((void *)(inner + 1) > end || inner->version != 4) {
        return XDP_DROP;
    }
    struct ethhdr copy;
    __builtin_memcpy(&copy, eth, sizeof(copy));
    if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct iphdr)) != 0) {
        return XDP_DROP;
    }
    data = (void *)(long)ctx->data;
    end = (void *)(long)ctx->data_end;
    eth = data;
    if ((void *)(eth + 1) > end) {
        return XDP_DROP;
    }
    __builtin_memcpy(eth, &copy, sizeof(copy));
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&decapped, &zero);
    if (n) {
        __sync_fetch_and_add(n, 1);
    }
    return XDP_PASS;
}

/* node_bench's XDP ceiling: the least an XDP forwarder can do on the LB's path. UDP to port 9 gets
 * the next hop's MAC (FWD_DST_MAC) and the out interface's (FWD_SRC_MAC) and is redirected to
 * FWD_IFINDEX; everything else goes to the kernel. No parsing beyond what the bounds checks need,
 * no table, no TTL: vipd's DR does all of that on top of this. Built by bench/node_bench.sh with the
 * lab's MACs and ifindex as -D definitions (clang -target bpf), attached with `ip link ... xdpdrv`. */
#include "xdp_udp9.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_fwd(struct xdp_md *ctx)
{
    struct ethhdr *eth = udp9(ctx);
    if (eth == 0) {
        return XDP_PASS;
    }
    const unsigned char dst[ETH_ALEN] = FWD_DST_MAC;
    const unsigned char src[ETH_ALEN] = FWD_SRC_MAC;
    __builtin_memcpy(eth->h_dest, dst, ETH_ALEN);
    __builtin_memcpy(eth->h_source, src, ETH_ALEN);
    return bpf_redirect(FWD_IFINDEX, 0);
}

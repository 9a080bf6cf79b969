/* node_bench's sink: UDP to port 9 (the bench's traffic) is dropped at the driver hook, where the
 * veth counts it (ethtool -S: rx_queue_N_xdp_drops); everything else (ARP, VRRP, the TCP of the
 * connection rounds) goes on to the kernel. On a receiving veth it also gives the interface the
 * NAPI that frames sent to it by XDP (the generator's XDP_TX, a forwarder's redirect) need. */
#include "xdp_udp9.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
    return udp9(ctx) != 0 ? XDP_DROP : XDP_PASS;
}

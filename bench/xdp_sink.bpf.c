/* node_bench's sink: UDP to port 9 (the bench's traffic) is dropped at the driver hook, where the
 * veth counts it (ethtool -S: rx_queue_N_xdp_drops); everything else (ARP, VRRP, the TCP of the
 * connection rounds) goes on to the kernel. On a receiving veth it also gives the interface the
 * NAPI that frames sent to it by XDP (the generator's XDP_TX, a forwarder's redirect) need. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    struct udphdr *udp = (void *)(ip + 1);
    if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP ||
        ip->ihl != 5 || udp->dest != bpf_htons(9)) {
        return XDP_PASS;
    }
    return XDP_DROP;
}

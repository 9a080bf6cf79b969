/* dp_bench --dataplane=xdp's harness: BPF_PROG_RUN with `repeat` runs one frame again and again, and
 * every run sees what the last one rewrote (DR's MACs and TTL, NAT's address). bench_restore first
 * writes the frame back from the template, gives it the next flow's client address and port (a fresh
 * one per run with new_flows), then tail-calls the program under test: vipd's, or bench_bare (XDP_TX
 * at once), whose time in the same run is the harness's floor. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define BENCH_FRAME 60

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} bench_next SEC(".maps");

const volatile __u32 bench_flows = 65536;  /* distinct flows of the hit case */
const volatile __u32 bench_new_flows = 0;  /* 1: a client never seen before on every run */
__u8 bench_template[BENCH_FRAME] = {};
/* Runs so far on each CPU: with --lcores N each CPU walks its own flows (no flow is on two CPUs, as
 * with RSS), from its own clients. */
#define BENCH_CPUS 64
__u64 bench_runs[BENCH_CPUS] = {};

SEC("xdp")
int bench_restore(struct xdp_md *ctx)
{
    /* TUN grew the last run's frame at its head (IPIP): give the bytes back first. */
    const long grown = (long)ctx->data_end - (long)ctx->data - BENCH_FRAME;
    if (grown != 0 && bpf_xdp_adjust_head(ctx, (int)grown) != 0) {
        return XDP_ABORTED;
    }
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    if (data + BENCH_FRAME > end) {
        return XDP_ABORTED;
    }
    __builtin_memcpy(data, bench_template, BENCH_FRAME);
    const __u32 cpu = bpf_get_smp_processor_id() & (BENCH_CPUS - 1);
    const __u64 n = bench_runs[cpu]++;
    const __u32 t = bench_new_flows ? (__u32)n : (__u32)(n % bench_flows);
    struct iphdr *ip = data + sizeof(struct ethhdr);
    /* Client 10.128.(t / 60000).0 + 4 × cpu + …, port 1024 + t % 60000, as the DPDK bench's lanes;
     * new flows from 64.0.0.0/10 upwards, 2^22 for each of the first 16 CPUs. */
    ip->saddr = bpf_htonl(bench_new_flows ? 0x40000000u | (cpu & 15) << 22 | (t & 0x3fffffu)
                                          : 0x0a800000u + 4 * cpu + t / 60000);
    __u16 *sport = (void *)(ip + 1);
    *sport = bpf_htons((__u16)(1024 + t % 60000));
    ip->check = 0;
    __u32 sum = 0;
    const __u16 *w = (const __u16 *)ip;
#pragma clang loop unroll(full)
    for (int i = 0; i < 10; i++) {
        sum += w[i];
    }
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    ip->check = (__u16)~sum;
    bpf_tail_call(ctx, &bench_next, 0);
    return XDP_ABORTED;
}

SEC("xdp")
int bench_bare(struct xdp_md *ctx)
{
    (void)ctx;
    return XDP_TX;
}

/* The XDP program's maps: their types and sizes, with the records of bpf/lb_structs.h. One place so
 * the loader's skeleton names (skel->maps.vipd_*) and the program's uses agree. */
#ifndef VIPD_BPF_MAPS_H
#define VIPD_BPF_MAPS_H

#include "bpf/lb_structs.h"
#include "dataplane/fwd/sched/hashes.h"
#include "dataplane/fwd/verdicts.h"

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The node's address on each interface, by vipd_port_slot(ifindex). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, VIPD_PORT_SLOTS);
    __type(key, __u32);
    __type(value, struct vipd_port);
} vipd_ports SEC(".maps");

/* The port record of `ifindex`, or NULL when the node has none there. */
static __always_inline const struct vipd_port *vipd_port_of(__u32 ifindex)
{
    __u32 slot = vipd_port_slot(ifindex);
    const struct vipd_port *p = bpf_map_lookup_elem(&vipd_ports, &slot);
    return p != 0 && p->ifindex == ifindex && ifindex != 0 ? p : 0;
}

/* Where redirected frames leave: each port's interface at its vipd_port_slot(ifindex), as
 * vipd_ports. A devmap redirect is flushed in bulk at the end of the NAPI poll, with the frames of
 * the same poll for the same interface. */
struct {
    __uint(type, BPF_MAP_TYPE_DEVMAP);
    __uint(max_entries, VIPD_PORT_SLOTS);
    __type(key, __u32);
    __type(value, __u32);
} vipd_tx_ports SEC(".maps");

/* The VRIDs of the node's VRRP instances (fwd::Snapshot::vrid_ours): 1 at a virtual_router_id that
 * an instance has. One word each, so that adding or removing one is one atomic element write. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u32);
} vipd_vrids SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VIPD_MAX_SERVICES);
    __type(key, struct vipd_service_key);
    __type(value, struct vipd_service);
} vipd_services SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, VIPD_MAX_SERVICES * VIPD_BANKS * VIPD_MAX_BACKENDS);
    __type(key, __u32);
    __type(value, struct vipd_backend);
} vipd_backends SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VIPD_MAX_ADDRS);
    __type(key, __u32);
    __type(value, struct vipd_addr);
} vipd_addrs SEC(".maps");

/* A service's sh buckets or Maglev table: one inner array of one vipd_table per service. */
struct vipd_table_inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    /* By size: clang emits only a forward declaration of a struct reached through this pointer
     * alone, and libbpf cannot size that. */
    __uint(value_size, sizeof(struct vipd_table));
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, VIPD_MAX_SERVICES * VIPD_BANKS);
    __type(key, __u32);
    __array(values, struct vipd_table_inner);
} vipd_tables SEC(".maps");

/* Flows of every CPU in one table: on veth the program runs on the sender's CPU and a NAT reply may
 * arrive on any, so per-CPU tables would reschedule mid-flow. A table of the program's own rather
 * than an LRU hash: a bucket of VIPD_FLOW_WAYS ways by the flow hash (lb_structs.h), four ways a
 * flow asked (two flows a bucket at the figure asked), so that a lookup is one line read when it
 * misses and two when it hits, and an insert takes no lock but its bucket's and pops no LRU list.
 *
 * The keep ranks of the lcore table (flow_table.h) in every bucket: a flow starts unconfirmed and
 * is confirmed in place when a later packet finds it active. A new flow takes a free way, else
 * replaces an unconfirmed one (the bucket's cursor turns over them), else an expired one, else the
 * least recently seen (counted apart: vipd_cpu.flows_evicted_confirmed). So a flood of new keys
 * (SYNs from spoofed sources) replaces itself and evicts a confirmed flow only from a bucket of
 * eight live confirmed ones, which a table within its size almost never has. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, VIPD_MAX_FLOWS * 4 / VIPD_FLOW_WAYS);  /* buckets; the loader sizes it */
    /* Not to be mapped (the kernel refuses to map a value with a lock): the kernel lays the values of
     * a mmapable array from a page boundary, those of a plain one 56 bytes into a line (6.18), where every
     * bucket's header straddled two lines. */
    __uint(map_flags, BPF_F_MMAPABLE);
    __type(key, __u32);
    __type(value, struct vipd_flow_bucket);
} vipd_flows SEC(".maps");

/* The option of per-CPU flow tables (LoadOptions::per_cpu_flows, vipd --xdp-flow-tables=per-cpu):
 * each CPU its own table, as each DPDK lcore has its own, for NICs whose RSS keeps a flow and its
 * replies on one CPU. No bucket is then shared between CPUs, but a packet that arrives on another
 * CPU than its flow's first finds no flow there. The loader makes one inner table per possible CPU
 * and puts it at the CPU's index (of one bucket for a CPU offline at load, whose flows are then
 * forwarded unkept); vipd_flows is then left at one bucket. */
struct vipd_flows_inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_INNER_MAP | BPF_F_MMAPABLE);  /* sizes differ by CPU; lines as vipd_flows */
    __uint(max_entries, 1);  /* each CPU's is sized by the loader */
    __type(key, __u32);
    __type(value, struct vipd_flow_bucket);
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);  /* the possible CPUs, set by the loader */
    __type(key, __u32);
    __array(values, struct vipd_flows_inner);
} vipd_flows_cpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, VIPD_MAX_PERSIST);
    __type(key, struct vipd_persist_key);
    __type(value, struct vipd_persist);
} vipd_persist SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vipd_config);
} vipd_config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, VIPD_MAX_SERVICES);
    __type(key, __u32);
    __type(value, struct vipd_sched_state);
} vipd_sched SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, VIPD_SOLICITED);
    __type(key, __u32);
    __type(value, struct vipd_solicited);
} vipd_solicited SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, VIPD_FRAG_SLOTS);
    __type(key, __u32);
    __type(value, struct vipd_frag);
} vipd_frags SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, VIPD_MAX_ROUTES);
    __uint(map_flags, BPF_F_NO_PREALLOC);  /* LPM tries require it */
    __type(key, struct vipd_route_key);
    __type(value, struct vipd_route);
} vipd_routes SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VIPD_MAX_NEIGHBOURS);
    __type(key, __u32);
    __type(value, struct vipd_neighbour);
} vipd_neighbours SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, VIPD_MAX_NAT);
    __type(key, struct vipd_nat_key);
    __type(value, struct vipd_nat_reply);
} vipd_nat SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vipd_cpu);
} vipd_cpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, VIPD_MAX_SERVICES * VIPD_MAX_BACKENDS);
    __type(key, __u32);
    __type(value, struct vipd_backend_stats);
} vipd_backend_stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, VIPD_MAX_SERVICES * VIPD_MAX_BACKENDS);
    __type(key, __u32);
    __type(value, struct vipd_counts);
} vipd_counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, VIPD_VERDICT_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} vipd_verdicts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, VIPD_DROP_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} vipd_drops SEC(".maps");

/* The whole program, which the entry program (the flow-hit fast path, known.h) tail-calls for every
 * packet it does not decide itself, at VIPD_PROG_FULL: filled by the loader before it returns. */
struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} vipd_progs SEC(".maps");

/* Set by the loader before load (LoadOptions::test_clock): time is vipd_config.test_now_ns, so the
 * tests run the golden fixtures on their clock. Read-only data: in production the verifier removes
 * the branch. */
const volatile __u32 vipd_test_clock = 0;
/* Set by the loader before load (LoadOptions::per_cpu_flows): the flow table is this CPU's of
 * vipd_flows_cpu, not the shared vipd_flows. Read-only data as vipd_test_clock: the verifier walks
 * only the table chosen. */
const volatile __u32 vipd_flows_per_cpu = 0;
/* Set by the loader before load: the flow table's buckets - 1 (a power of two - 1), and the secret
 * seed of the hash that picks a flow's bucket (random at each load, as the kernel's hash maps seed
 * theirs and IPVS its connection hash: nobody can choose keys that share a bucket, review L1). */
const volatile __u32 vipd_flow_bucket_mask = VIPD_MAX_FLOWS * 4 / VIPD_FLOW_WAYS - 1;
const volatile __u64 vipd_flow_seed = 0;
/* With vipd_test_clock: the last frame's outcome, which the tests read from the mmapped .bss without
 * a system call (the per-CPU counters cost one lookup per CPU and counter). */
struct vipd_result vipd_test_last = {};

/* The fast path's words (lb_structs.h): in the .bss, which control mmaps and writes word by word. */
__u64 vipd_service_hot[VIPD_MAX_SERVICES] = {};
__u64 vipd_vip_filter[VIPD_VIP_FILTER_WORDS] = {};

#endif /* VIPD_BPF_MAPS_H */

/* The hashes the program must reproduce bit for bit: flow::hash_v4 (the flow hash that sh-port and
 * mh-port schedule by, dataplane/dpdk/datapath/flow/hash.h) and sched::mix32 / sched::sh_bucket,
 * defined once in dataplane/fwd/sched/hashes.h for both. The bpf suite checks them against the C++
 * on random inputs. */
#ifndef VIPD_BPF_HASH_H
#define VIPD_BPF_HASH_H

#include "bpf/lb_structs.h"
#include "dataplane/fwd/sched/hashes.h" /* vipd_mix32, vipd_sh_bucket: one definition, C++'s too */

/* flow::hash_v4_keyed. Addresses and ports as the header holds them (network order), read as native
 * words, exactly as the C++ Key4 holds them. */
static __always_inline __u32 vipd_flow_hash_keyed(const struct vipd_flow_key *k, __u64 seed)
{
    __u64 h = ((__u64)k->src << 32 | k->dst) ^ 0x9E3779B97F4A7C15ULL ^ seed;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= ((__u64)k->sport << 24 | (__u64)k->dport << 8 | k->proto) ^ (h >> 31) ^ (seed << 29 | seed >> 35);
    h *= 0x94D049BB133111EBULL;
    h ^= h >> 29;
    return (__u32)(h >> 32) ^ (__u32)h;
}

/* flow::hash_v4: seed 0, what sh-port and mh-port schedule by (the same on every node). */
static __always_inline __u32 vipd_flow_hash(const struct vipd_flow_key *k)
{
    return vipd_flow_hash_keyed(k, 0);
}

#endif /* VIPD_BPF_HASH_H */

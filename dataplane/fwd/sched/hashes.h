/* The hashes both dataplanes compute, in ONE header that the C++ model (sched.h) and the XDP
 * program (bpf/datapath/lib/hash.h) include: sh and mh pick the same entry, and a next hop the same
 * solicitation slot, on both dataplanes bit for bit. Plain C on <linux/types.h>: clang -target bpf
 * compiles it as it is; in C++ the functions are constexpr.
 */
#ifndef VIPD_DATAPLANE_FWD_SCHED_HASHES_H
#define VIPD_DATAPLANE_FWD_SCHED_HASHES_H

#include <linux/types.h>

#ifdef __cplusplus
#define VIPD_HASH_FN constexpr inline
#else
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define VIPD_HASH_FN static __always_inline
#endif

/* murmur3's fmix32: spreads sequential client addresses over the Maglev table. */
VIPD_HASH_FN __u32 vipd_mix32(__u32 h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* The kernel's hash_32(val, 8) (GOLDEN_RATIO_32), which ip_vs_sh_hashkey applies to the address. */
VIPD_HASH_FN __u32 vipd_sh_bucket(__u32 v)
{
    return (v * 0x61C88647u) >> 24;
}

#undef VIPD_HASH_FN

#endif /* VIPD_DATAPLANE_FWD_SCHED_HASHES_H */

/* The hashes both dataplanes compute, in ONE header that the C++ packet path (sched.h, pkt/frag.cc)
 * and the XDP program (bpf/datapath/lib/hash.h, frag.h) include: sh and mh pick the same entry, a
 * next hop the same solicitation slot and a fragment the same slot of the fragment cache, on both
 * dataplanes bit for bit. Plain C on <linux/types.h>: clang -target bpf compiles it as it is; in C++
 * the functions are constexpr.
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

/* The new-flow bound (vipd --new-flow-rate: pkt::Limits::new_flows_per_s, vipd_config.new_flow_*): a
 * token bucket per CPU (lcore) of `per_s` flows a second, of which this many may be banked, a
 * hundredth of a second's worth (a page's burst of connections), at least 8. */
VIPD_HASH_FN __u64 vipd_new_flow_burst(__u32 per_s)
{
    return per_s / 100 > 8 ? per_s / 100 : 8;
}

/* The fragment cache (pkt/frag.cc, bpf/datapath/lib/frag.h): what the first fragment of a datagram
 * to a VIP (or of a NAT reply) was given, for its later fragments, which carry no ports. Direct-mapped:
 * a first fragment takes its slot, an entry lives VIPD_FRAG_TIMEOUT_S (the kernel holds a datagram
 * in reassembly for 30 s; the fragments of one normally arrive within milliseconds). */
#define VIPD_FRAG_SLOTS 4096
#define VIPD_FRAG_TIMEOUT_S 2
/* What the first fragment was given, and the later ones follow. 0: an empty slot. */
#define VIPD_FRAG_SERVICE 1 /* to a virtual service: on to the flow's real server */
#define VIPD_FRAG_KERNEL 2  /* to a VIP port with no virtual service: the kernel's, as the first */
#define VIPD_FRAG_REPLY 3   /* a NAT real server's reply: back to the client from the VIP */

/* The slot of a datagram's fragments: its addresses, IP id (as read: network order) and protocol. */
VIPD_HASH_FN __u32 vipd_frag_slot(__u32 src, __u32 dst, __u16 id, __u8 proto)
{
    return vipd_mix32(src ^ vipd_mix32(dst ^ ((__u32)id << 8 | proto))) & (VIPD_FRAG_SLOTS - 1);
}

#undef VIPD_HASH_FN

#endif /* VIPD_DATAPLANE_FWD_SCHED_HASHES_H */

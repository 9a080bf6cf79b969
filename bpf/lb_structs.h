/* The records of the XDP program's maps, in ONE fixed-width header that the BPF program (clang
 * -target bpf, C) and the loader (C++) both include, so a field added on one side exists on the
 * other; every size is asserted here, which both compilers check.
 *
 * Addresses and ports are network order, as read from the headers (the C++ packet path's
 * convention too); counts, weights and times are host order. Plain C on <linux/types.h> (and
 * <linux/bpf.h> for the lock type) only.
 */
#ifndef VIPD_BPF_LB_STRUCTS_H
#define VIPD_BPF_LB_STRUCTS_H

#include <linux/bpf.h>  /* struct bpf_spin_lock */
#include <linux/types.h>

#ifdef __cplusplus
#define VIPD_ASSERT_SIZE(type, size) static_assert(sizeof(type) == (size), #type " changed size")
#else
#define VIPD_ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " changed size")
#endif

/* Limits: the maps' sizes. Services and backends per service match pkt::Limits' defaults. */
#define VIPD_MAX_PORTS 64
#define VIPD_PORT_SLOTS 1024      /* vipd_ports is an array by ifindex modulo this: no hash per frame */
#define VIPD_MAX_SERVICES 256
#define VIPD_MAX_BACKENDS 256
#define VIPD_MAX_ADDRS 4096
#define VIPD_MAX_FLOWS 65536      /* default; the loader may resize before load */
#define VIPD_TABLE_SIZE 65537     /* sched::maglev_sizes[0]: the Maglev M every mh service must use */
#define VIPD_SH_SIZE 256          /* sched::sh_table_size */
#define VIPD_SOLICITED 64         /* per-CPU slots remembering recent ARP requests for next hops */
/* Each service has two banks of backends and tables: control writes the one no service record
 * points at, then flips the record's `bank` in one write, so a packet sees the old service or the
 * new one, never a mix (MapSync, bpf/control/sync.h). */
#define VIPD_BANKS 2

/* Forwarding methods (fwd::Kind's order) and schedulers (sched::Algo's order): the loader asserts
 * both against the C++ enums. */
#define VIPD_KIND_DR 0
#define VIPD_KIND_NAT 1
#define VIPD_KIND_TUN 2

#define VIPD_ALGO_RR 0
#define VIPD_ALGO_WRR 1
#define VIPD_ALGO_LC 2
#define VIPD_ALGO_WLC 3
#define VIPD_ALGO_LBLC 4
#define VIPD_ALGO_LBLCR 5
#define VIPD_ALGO_DH 6
#define VIPD_ALGO_SH 7
#define VIPD_ALGO_MH 8
#define VIPD_ALGO_SED 9
#define VIPD_ALGO_NQ 10
#define VIPD_ALGO_FO 11
#define VIPD_ALGO_OVF 12

/* The node's own address on an interface: map vipd_ports, an array indexed by vipd_port_slot(ifindex)
 * whose record names its ifindex (a slot of another interface reads as none; control refuses two
 * interfaces in one slot). */
struct vipd_port {
    __u8 mac[6];
    __u16 mtu;       /* IP MTU (TUN refuses beyond it) */
    __u32 ip;        /* 0: none */
    __u32 ifindex;
    __u8 flags;      /* VIPD_PORT_* */
    __u8 pad[3];
};
VIPD_ASSERT_SIZE(struct vipd_port, 20);
/* A frame sent back out the interface it came in on leaves by bpf_redirect, not XDP_TX. Set on veth:
 * its XDP_TX queues the frame on the peer and schedules the peer's NAPI only when the peer has an
 * XDP program of its own; with the peer's GRO alone the frame waits for the next frame that the
 * interface's own stack sends (a second, with nothing but VRRP adverts), while a redirect flushes
 * (ndo_xdp_xmit with XDP_XMIT_FLUSH). Native NICs keep XDP_TX, the cheaper path. */
#define VIPD_PORT_TX_REDIRECT 1
static inline __u32 vipd_port_slot(__u32 ifindex)
{
    return ifindex & (VIPD_PORT_SLOTS - 1);
}

/* Map vipd_services: one virtual service by (VIP, port, protocol). */
struct vipd_service_key {
    __u32 vip;
    __u16 port;
    __u8 proto;      /* IPPROTO_TCP / IPPROTO_UDP */
    __u8 pad;        /* always 0: hash keys compare every byte */
};
VIPD_ASSERT_SIZE(struct vipd_service_key, 8);

#define VIPD_SVC_SH_PORT 0x01  /* sh hashes the flow, not the client address */
#define VIPD_SVC_MH_PORT 0x02  /* mh likewise */

struct vipd_service {
    __u32 id;         /* the service's position: indexes backends, scheduler state and tables */
    __u8 kind;        /* VIPD_KIND_* */
    __u8 algo;        /* VIPD_ALGO_* */
    __u8 flags;       /* VIPD_SVC_* */
    __u8 pad0;
    __u32 backends;   /* positions [0, backends) of vipd_backends[id * VIPD_MAX_BACKENDS + pos] */
    __u32 table_size; /* sh: VIPD_SH_SIZE, mh: VIPD_TABLE_SIZE, others 0 (vipd_tables[id] unused) */
    __s32 wrr_gcd;    /* wrr: IPVS mark->di */
    __s32 wrr_max;    /* wrr: IPVS mark->mw (0: no backend may take a flow) */
    __s32 fixed;      /* fo: the backend chosen at build, -1 none */
    __u32 persist_s;  /* persistence_timeout in seconds; 0: no client affinity */
    __u32 persist_mask; /* persistence_granularity as a network-order netmask */
    __u32 bank;       /* which of the service's VIPD_BANKS banks its backends and table are in */
    __u32 gen;        /* the position's generation: MapSync adds 1 whenever another key takes it */
};
VIPD_ASSERT_SIZE(struct vipd_service, 44);

/* The flow-hit fast path (serve.h): what a packet of a known flow needs of its service, one word per
 * position in the program's .bss (vipd_service_hot), read without a map lookup. Control writes it
 * after the service record with one aligned 8-byte store (the .bss is mmapped), so a packet reads
 * the old word or the new, never a mix. `gen` ties it to the key the position holds: a flow
 * remembers the generation of the record it was scheduled from, and only a word of that generation
 * stands in for the record; 0 (never a record's) stops the fast path at that position. */
static inline __u64 vipd_hot_word(__u32 gen, __u8 kind, __u8 bank, __u16 backends)
{
    return (__u64)gen | (__u64)kind << 32 | (__u64)bank << 40 | (__u64)backends << 48;
}
static inline __u32 vipd_hot_gen(__u64 w) { return (__u32)w; }
static inline __u32 vipd_hot_kind(__u64 w) { return (__u32)(w >> 32) & 0xff; }
static inline __u32 vipd_hot_bank(__u64 w) { return (__u32)(w >> 40) & 0xff; }
static inline __u32 vipd_hot_backends(__u64 w) { return (__u32)(w >> 48); }

/* Map vipd_progs: PROG_ARRAY, where the entry program finds the whole one (maps.h). */
#define VIPD_PROG_FULL 0

/* The VIPs that have a service, as a 4096-bit filter in the .bss (vipd_vip_filter): the fast path
 * looks a flow up first only where a packet's destination may be one, so the node's own and the NAT
 * replies' traffic pays no flow lookup for it. A bit left set costs a lookup, one missing the fast
 * path: either way the packet is decided as without the filter. */
#define VIPD_VIP_FILTER_WORDS 64
static inline __u32 vipd_vip_filter_bit(__u32 vip)
{
    return (vip * 2654435761u) >> 20;  /* 12 bits: word bit >> 6, bit bit & 63 */
}

/* The vipd_backends index of backend `pos` of service `id` in `bank`; vipd_tables' is id's and bank's. */
static inline __u32 vipd_backend_index(__u32 id, __u32 bank, __u32 pos)
{
    return (id * VIPD_BANKS + (bank & (VIPD_BANKS - 1))) * VIPD_MAX_BACKENDS + (pos & (VIPD_MAX_BACKENDS - 1));
}
static inline __u32 vipd_table_index(__u32 id, __u32 bank)
{
    return id * VIPD_BANKS + (bank & (VIPD_BANKS - 1));
}

#define VIPD_HOP_ROUTED 0x01     /* a route (connected or static) matched */
#define VIPD_HOP_MAC_KNOWN 0x02  /* mac is the next hop's */

/* Map vipd_backends: ARRAY [VIPD_MAX_SERVICES * VIPD_BANKS * VIPD_MAX_BACKENDS], by vipd_backend_index. */
struct vipd_backend {
    __u32 ip;
    __u16 port;
    __u8 hop_flags;   /* VIPD_HOP_* */
    __u8 pad0;
    __u32 weight;     /* effective: 0 when quiesced or down (sched::Service::effective_weight) */
    __u32 hop_ip;     /* the next hop: the backend itself on-link, else the gateway */
    __u32 ifindex;    /* the interface the next hop is on */
    __u8 mac[6];      /* the next hop's MAC when VIPD_HOP_MAC_KNOWN */
    __u8 pad1[2];
};
VIPD_ASSERT_SIZE(struct vipd_backend, 28);

/* Map vipd_addrs: every address the program must know, VIPs and the node's own. */
#define VIPD_ADDR_VIP 0x01    /* a VIP of some VRRP instance (fwd::Table::find_vip) */
#define VIPD_ADDR_OWNED 0x02  /* ... that this node owns now: ARP is answered for it */
#define VIPD_ADDR_LOCAL 0x04  /* one of the node's own addresses (fwd::Table::is_local) */
struct vipd_addr {
    __u32 flags;
};
VIPD_ASSERT_SIZE(struct vipd_addr, 4);

/* Map vipd_tables: ARRAY_OF_MAPS [VIPD_MAX_SERVICES * VIPD_BANKS] by vipd_table_index, each inner map an ARRAY of one vipd_table:
 * the sh buckets (first VIPD_SH_SIZE entries) or the Maglev table, backend positions, -1 none.
 * Written whole into a fresh inner map and swapped in by one outer write: never half built. */
struct vipd_table {
    __s16 entry[VIPD_TABLE_SIZE];
    __s16 pad;
};
VIPD_ASSERT_SIZE(struct vipd_table, 131076);

/* Map vipd_flows: the flow table, an ARRAY of VIPD_FLOW_WAYS-way buckets shared by all CPUs (a flow
 * and its reply may be seen on any); see maps.h and flow.h. */
struct vipd_flow_key {
    __u32 src;
    __u32 dst;
    __u16 sport;
    __u16 dport;
    __u8 proto;
    __u8 pad[3];      /* always 0 */
};
VIPD_ASSERT_SIZE(struct vipd_flow_key, 16);

struct vipd_flow {
    __u32 service;    /* the service position it was scheduled for */
    __u32 backend;    /* the backend position */
    __u64 last_seen;  /* bpf_ktime_get_ns() */
    __u8 state;       /* flow::State */
    __u8 confirmed;   /* flow::Entry::confirmed */
    __u16 backend_port; /* the backend's address and port when scheduled: a NAT reply is translated */
    __u32 backend_ip;   /* only from the backend its flow went to (no backend map read, any bank) */
    __u32 gen;          /* its service record's gen when scheduled (the fast path's check) */
    __u32 pad;
};
VIPD_ASSERT_SIZE(struct vipd_flow, 32);

/* A bucket of the flow table: a header line (the writers' lock, a tag per way, which ways hold
 * confirmed flows, the cursor that picks the next unconfirmed way to reuse) and the ways. A lookup
 * reads the header, and a way's line only where its tag matches: a miss reads one line. */
#define VIPD_FLOW_WAYS 8
struct vipd_flow_way {
    struct vipd_flow_key key;
    struct vipd_flow flow;
};
VIPD_ASSERT_SIZE(struct vipd_flow_way, 48);
struct vipd_flow_bucket {
    struct bpf_spin_lock lock;      /* taken by writers only: readers never wait */
    __u8 confirmed;                 /* bit w: way w holds a confirmed flow */
    __u8 cursor;                    /* the way an unconfirmed flow is next replaced from */
    __u8 pad0[2];
    __u32 tag[VIPD_FLOW_WAYS];      /* the flow hash | 1 of way w's key; 0: way w is free */
    __u8 pad1[24];
    struct vipd_flow_way way[VIPD_FLOW_WAYS];
};
VIPD_ASSERT_SIZE(struct vipd_flow_bucket, 64 + 48 * VIPD_FLOW_WAYS);

/* Map vipd_persist: LRU_HASH, client affinity (persistence_timeout, IPVS's templates): the backend a
 * client network last got for a service (flow::PersistTable). Shared by the CPUs, as the flows. */
#define VIPD_MAX_PERSIST 16384
struct vipd_persist_key {
    __u32 client;     /* client address & persistence_granularity, network order */
    __u32 service;    /* the service position */
};
VIPD_ASSERT_SIZE(struct vipd_persist_key, 8);
struct vipd_persist {
    __u32 backend;
    __u32 pad;
    __u64 last_seen;
    __u64 timeout_ns; /* the service's persistence_timeout */
};
VIPD_ASSERT_SIZE(struct vipd_persist, 24);

/* Map vipd_config: one entry, written by the loader before any service. */
#define VIPD_STATES 12              /* flow::state_count */
#define VIPD_TIMEOUTS 13            /* the states' timeouts, then the unconfirmed one */
#define VIPD_STATE_ESTABLISHED 1    /* flow::State::established */
#define VIPD_STATE_UDP 6            /* flow::State::udp */
#define VIPD_STATE_NONE 0
#define VIPD_DIR_INPUT 0            /* flow::Dir */
#define VIPD_DIR_OUTPUT 1
#define VIPD_DIR_INPUT_ONLY 2
#define VIPD_CONFIG_READY 0x01      /* a table has been written: serve; without it everything passes */
struct vipd_config {
    __u64 timeout_ns[VIPD_TIMEOUTS];          /* by flow::State, then flow::unconfirmed_class */
    __u8 tcp_next[3][4][VIPD_STATES];         /* flow::next_state by [Dir][syn, fin, ack, rst][State] */
    __u32 flags;                              /* VIPD_CONFIG_* */
    __u32 pad;
    __u64 test_now_ns;                        /* the clock, when loaded with LoadOptions::test_clock */
    /* The exception path's bound (DPDK's exception ring, here a per-CPU token bucket): frames passed
     * to the kernel as to_exception, one token each, a token every kernel_ns_per_token, at most
     * kernel_burst banked; 0: no bound. The node's own traffic (to_local) and VRRP never pay. */
    __u64 kernel_ns_per_token;
    __u64 kernel_burst;
    /* The new-flow bound (vipd --new-flow-rate, pkt::Limits::new_flows_per_s): a SYN or a new UDP
     * flow takes a token of this CPU's bucket (mid-flow segments that mh and sh schedule do not), a
     * token every new_flow_ns_per_token, at most new_flow_burst banked (vipd_new_flow_burst()), else
     * it is dropped as new_flow_rate; 0: none. */
    __u64 new_flow_ns_per_token;
    __u64 new_flow_burst;
};
VIPD_ASSERT_SIZE(struct vipd_config, 296);

/* Map vipd_sched: PERCPU_ARRAY [VIPD_MAX_SERVICES], each CPU's cursors (an lcore's, in DPDK). */
struct vipd_sched_state {
    __s32 rr_pos1;    /* the position rr picked last, plus one (0: none yet, as the zeroed map) */
    __s32 wrr_pos1;   /* wrr: the cursor plus one (0: the list head) */
    __s32 wrr_cw;     /* wrr: the current weight (0: not started) */
    __u32 gen;        /* reserved */
};
VIPD_ASSERT_SIZE(struct vipd_sched_state, 16);

/* Map vipd_solicited: PERCPU_ARRAY [VIPD_SOLICITED], the last ARP request per next-hop slot. */
struct vipd_solicited {
    __u32 ip;
    __u32 pad;
    __u64 at;         /* bpf_ktime_get_ns(); 0 never */
};
VIPD_ASSERT_SIZE(struct vipd_solicited, 16);

/* Map vipd_frags: ARRAY [VIPD_FRAG_SLOTS] (dataplane/fwd/sched/hashes.h), shared by every CPU: what
 * a datagram's first fragment was given, for its later fragments (LcoreState::Fragment's fields). */
struct vipd_frag {
    __u32 src;        /* the datagram's addresses, IP id and protocol (network order) */
    __u32 dst;
    __u16 id;
    __u8 proto;
    __u8 to;          /* VIPD_FRAG_*; 0: empty */
    __u16 port;       /* the virtual service's port (network order) */
    __u16 backend;    /* the flow's backend position */
    __u32 service;    /* the service's position (vipd_service.id) */
    __u32 vip;        /* VIPD_FRAG_REPLY: the reply's source becomes this */
    __u64 expires;    /* ns */
};
VIPD_ASSERT_SIZE(struct vipd_frag, 32);

/* Map vipd_routes: LPM_TRIE, the ports' connected networks and the static routes (fwd::Route), for
 * where a NAT reply to a client leaves. */
#define VIPD_MAX_ROUTES 1024
struct vipd_route_key {
    __u32 prefixlen;  /* LPM trie keys start with the prefix length */
    __u32 addr;       /* network order */
};
VIPD_ASSERT_SIZE(struct vipd_route_key, 8);
struct vipd_route {
    __u32 gateway;    /* 0: on-link, the destination is the next hop */
    __u32 ifindex;
};
VIPD_ASSERT_SIZE(struct vipd_route, 8);

/* Map vipd_neighbours: the MACs control resolved (the neighbour table), by IPv4 address. */
#define VIPD_MAX_NEIGHBOURS 4096
struct vipd_neighbour {
    __u8 mac[6];
    __u8 pad[2];
};
VIPD_ASSERT_SIZE(struct vipd_neighbour, 8);

/* Map vipd_nat: a NAT backend (address, port, protocol) and the services a reply from it may belong
 * to, in config order (fwd::NatReply). */
#define VIPD_MAX_NAT 4096
#define VIPD_NAT_SERVICES 4   /* fwd::NatReply::max_services */
struct vipd_nat_key {
    __u32 ip;
    __u16 port;
    __u8 proto;
    __u8 pad;         /* always 0 */
};
VIPD_ASSERT_SIZE(struct vipd_nat_key, 8);
struct vipd_nat_candidate {
    __u32 id;         /* the service position */
    __u32 vip;        /* its VIP and port: the reply's new source, and its flow's key */
    __u16 port;
    __u16 pad;
    __u32 backends;   /* its backend count (a flow's backend must be below it) */
};
VIPD_ASSERT_SIZE(struct vipd_nat_candidate, 16);
struct vipd_nat_reply {
    __u32 count;
    __u32 pad;
    struct vipd_nat_candidate service[VIPD_NAT_SERVICES];
};
VIPD_ASSERT_SIZE(struct vipd_nat_reply, 72);

/* Map vipd_cpu: PERCPU_ARRAY [1], what each CPU keeps for the ICMP errors it sends (an lcore's). */
#define VIPD_ICMP_BURST 50                  /* the kernel's icmp_msgs_burst */
#define VIPD_ICMP_NS_PER_TOKEN 1000000ULL   /* icmp_msgs_per_sec 1000 */
struct vipd_cpu {
    __u64 icmp_spent;     /* tokens taken from the bucket of VIPD_ICMP_BURST (0: full, as the zeroed map) */
    __u64 icmp_refilled;  /* the time the bucket was last refilled up to */
    __u16 ip_id;          /* the IP id of the next ICMP error */
    __u8 pad[6];
    __u64 kernel_spent;     /* tokens taken from the kernel's bucket (vipd_config.kernel_burst; 0: full) */
    __u64 kernel_refilled;  /* the time that bucket was last refilled up to */
    __u64 flows_evicted;    /* live unconfirmed flows a new flow replaced (the lcore table's evictions) */
    __u64 flows_evicted_confirmed; /* live confirmed flows replaced: a bucket of them only (table too small) */
    __u64 new_flow_spent;     /* tokens taken from the new-flow bucket (vipd_config.new_flow_burst; 0: full) */
    __u64 new_flow_refilled;  /* the time that bucket was last refilled up to */
};
VIPD_ASSERT_SIZE(struct vipd_cpu, 72);

/* Map vipd_backend_stats: PERCPU_ARRAY [VIPD_MAX_SERVICES * VIPD_MAX_BACKENDS] by service position
 * and backend position, as pkt::BackendCounters (ipvsadm --stats): client→backend "in", and for NAT
 * backend→client "out"; bytes are IP lengths; connections are flows scheduled. */
struct vipd_backend_stats {
    __u64 packets_in;
    __u64 bytes_in;
    __u64 packets_out;
    __u64 bytes_out;
    __u64 connections;  /* flows scheduled to it (ipvsadm's Conns) */
};
VIPD_ASSERT_SIZE(struct vipd_backend_stats, 40);

/* Map vipd_counts: PERCPU_ARRAY [VIPD_MAX_SERVICES * VIPD_MAX_BACKENDS] by service and backend
 * position, each CPU's flows per backend (an lcore's sched::FlowCounts): what lc, wlc, sed, nq and ovf
 * choose by. Kept on every flow's start, change between active and inactive, and end where the
 * program sees it end (expiry found by a lookup, a flow replaced, evicted or its expired way
 * reused). */
struct vipd_counts {
    __u32 active;
    __u32 inactive;
};
VIPD_ASSERT_SIZE(struct vipd_counts, 8);

/* A frame's outcome inside the program (drop.h), and the .bss record of the last one in test mode
 * (vipd_test_last, read by xdp::Program::last()). */
struct vipd_result {
    __u8 verdict;     /* enum vipd_verdict */
    __u8 reason;      /* enum vipd_drop_reason, for VIPD_VERDICT_drop */
    __u16 pad;
    __u32 ifindex;    /* forward, reply, solicit: the interface to send on */
};
VIPD_ASSERT_SIZE(struct vipd_result, 8);

/* Maps vipd_verdicts and vipd_drops: PERCPU_ARRAY of __u64 indexed by enum vipd_verdict and enum
 * vipd_drop_reason (dataplane/fwd/verdicts.h), summed over CPUs by control. */

#endif /* VIPD_BPF_LB_STRUCTS_H */

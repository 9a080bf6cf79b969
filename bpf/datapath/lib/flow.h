/* Flows in a table of the program's own (maps.h: buckets of VIPD_FLOW_WAYS ways, shared by the CPUs
 * or one per CPU as an option) with IPVS's TCP states and timeouts, as flow::FlowTable
 * (dataplane/fwd/flow_state.h): the state machine and the timeouts are not restated here but copied
 * by the loader from flow::next_state and flow::Timeouts into vipd_config, so both dataplanes run the
 * same table. Expired flows read as absent, as the C++ lookup's.
 *
 * Concurrency. Readers take no lock: a lookup compares a way's tag, then its key, and returns a
 * pointer into the bucket; a packet's changes to its own flow (state, time, gen) are plain stores, as
 * they were into an LRU hash's value. Writers (a new flow, an expired one cleared, a confirmation)
 * take the bucket's bpf_spin_lock, so two CPUs never claim one way, and clear a way's tag before its
 * key and flow are rewritten and set it after. A reader racing the replacement of the very way it
 * reads (only ever an unconfirmed or expired flow's) may still see a torn flow for that one packet:
 * the price of lock-free hits, as DPDK's lock-free rte_hash readers pay with a version check.
 *
 * The bucket walks are global functions (verified once, not at every call site; their results are
 * numbers the caller bounds): a pointer into one of eight ways, chosen by branches, would have the
 * verifier walk the rest of the program once per way. */
#ifndef VIPD_BPF_FLOW_H
#define VIPD_BPF_FLOW_H

#include "bpf/datapath/lib/hash.h"
#include "bpf/datapath/lib/parse.h"

static __always_inline __u8 vipd_next_state(const struct vipd_config *cfg, __u8 state, __u8 tcp_flags, __u32 dir)
{
    __u32 row;
    if (tcp_flags & VIPD_TCP_RST) {
        row = 3;
    } else if (tcp_flags & VIPD_TCP_SYN) {
        row = 0;
    } else if (tcp_flags & VIPD_TCP_FIN) {
        row = 1;
    } else if (tcp_flags & VIPD_TCP_ACK) {
        row = 2;
    } else {
        return state;
    }
    if (state >= VIPD_STATES || dir > VIPD_DIR_INPUT_ONLY) {
        return state;
    }
    return cfg->tcp_next[dir][row][state];
}

static __always_inline __u8 vipd_first_state(const struct vipd_config *cfg, __u8 proto, __u8 tcp_flags, __u32 dir)
{
    return proto == IPPROTO_TCP ? vipd_next_state(cfg, VIPD_STATE_NONE, tcp_flags, dir) : VIPD_STATE_UDP;
}

static __always_inline int vipd_is_active(__u8 state)
{
    return state == VIPD_STATE_ESTABLISHED || state == VIPD_STATE_UDP;
}

/* This CPU's flow counts of backend `pos` of service `id` (sched::on_flow_start/state/end). */
static __always_inline struct vipd_counts *vipd_counts_of(__u32 id, __u32 pos)
{
    __u32 key = (id & (VIPD_MAX_SERVICES - 1)) * VIPD_MAX_BACKENDS + (pos & (VIPD_MAX_BACKENDS - 1));
    return bpf_map_lookup_elem(&vipd_counts, &key);
}

/* 1 when x is not 0, without a branch (each branch doubles what the verifier walks). */
static __always_inline __u32 vipd_nonzero(__u32 x)
{
    return (x | -x) >> 31;
}

/* Adds `add` (0 or 1) to the active or inactive count of (id, pos), and takes `sub` (0 or 1) from the
 * other kind's or the same: sched::on_flow_start, on_flow_state and on_flow_end in one, saturating
 * at 0 as they do, and branch-free. */
static __always_inline void vipd_count(__u32 id, __u32 pos, __u32 add_active, __u32 add_inactive, __u32 sub_active,
                                       __u32 sub_inactive)
{
    struct vipd_counts *c = vipd_counts_of(id, pos);
    if (c) {
        c->active = c->active - (sub_active & vipd_nonzero(c->active)) + add_active;
        c->inactive = c->inactive - (sub_inactive & vipd_nonzero(c->inactive)) + add_inactive;
    }
}

/* Active states (IPVS counts ESTABLISHED and non-TCP flows as active connections), branch-free. */
static __always_inline __u32 vipd_active_bit(__u32 state)
{
    return ((1u << VIPD_STATE_ESTABLISHED | 1u << VIPD_STATE_UDP) >> (state & 15)) & 1;
}

/* A flow's state moves it between active and inactive (sched::on_flow_state). */
static __always_inline void vipd_flow_set_state(struct vipd_flow *e, __u8 state)
{
    const __u32 was = vipd_active_bit(e->state);
    const __u32 is = vipd_active_bit(state);
    const __u32 moved = was ^ is;
    e->state = state;
    vipd_count(e->service, e->backend, moved & is, moved & was, moved & was, moved & is);
}

/* flow::Entry::expired(): the state's timeout, capped by the unconfirmed one until confirmed. */
static __always_inline int vipd_flow_expired(const struct vipd_config *cfg, const struct vipd_flow *e, __u64 now)
{
    __u32 st = e->state;
    if (st >= VIPD_STATES) {
        return 1;
    }
    __u64 t = cfg->timeout_ns[st];
    if (e->confirmed == 0 && cfg->timeout_ns[VIPD_STATES] < t) {
        t = cfg->timeout_ns[VIPD_STATES];
    }
    return now >= e->last_seen && now - e->last_seen >= t;  /* flow::aged_out() */
}

/* The flow table: the shared one, or with vipd_flows_per_cpu this CPU's. NULL only if the loader
 * made none for this CPU (it makes one for every possible CPU). */
static __always_inline void *vipd_flow_table(void)
{
    if (vipd_flows_per_cpu) {
        __u32 cpu = bpf_get_smp_processor_id();
        return bpf_map_lookup_elem(&vipd_flows_cpu, &cpu);
    }
    return (void *)&vipd_flows;
}

/* The hash that places `key` in the table: keyed with the load's secret seed (maps.h), unlike the
 * schedulers' vipd_flow_hash. Every `hash` below is this one. */
static __always_inline __u32 vipd_flow_table_hash(const struct vipd_flow_key *key)
{
    return vipd_flow_hash_keyed(key, vipd_flow_seed);
}

/* The bucket of a flow hash (NULL past a table smaller than the mask: an offline CPU's). */
static __always_inline struct vipd_flow_bucket *vipd_flow_bucket(__u32 hash)
{
    void *table = vipd_flow_table();
    if (table == 0) {
        return 0;
    }
    __u32 index = hash & vipd_flow_bucket_mask;
    return bpf_map_lookup_elem(table, &index);
}

static __always_inline __u32 vipd_flow_tag(__u32 hash)
{
    return hash | 1;
}

static __always_inline int vipd_key_equal(const struct vipd_flow_key *a, const struct vipd_flow_key *b)
{
    return a->src == b->src && a->dst == b->dst && a->sport == b->sport && a->dport == b->dport &&
           a->proto == b->proto;
}

/* The way of `key` in its bucket, or -1. */
__noinline int vipd_flow_seek(const struct vipd_flow_key *key, __u32 hash)
{
    const struct vipd_flow_bucket *b = vipd_flow_bucket(hash);
    if (b == 0 || key == 0) {
        return -1;
    }
    const __u32 tag = vipd_flow_tag(hash);
#pragma unroll
    for (int w = 0; w < VIPD_FLOW_WAYS; ++w) {
        if (b->tag[w] == tag && vipd_key_equal(&b->way[w].key, key)) {
            return w;
        }
    }
    return -1;
}

/* Frees the way that holds `key` (an expired flow a lookup found): 1 when this call freed it, so
 * its end is counted once however many CPUs found it expired. The way is found again under the
 * lock (a number passed from the lookup would cost the caller's frame a register it lacks). */
__noinline int vipd_flow_release(const struct vipd_flow_key *key, __u32 hash)
{
    struct vipd_flow_bucket *b = vipd_flow_bucket(hash);
    if (b == 0 || key == 0) {
        return 0;
    }
    int freed = 0;
    bpf_spin_lock(&b->lock);
#pragma unroll
    for (__u32 w = 0; w < VIPD_FLOW_WAYS; ++w) {
        if (b->tag[w] == (hash | 1) && vipd_key_equal(&b->way[w].key, key)) {
            b->tag[w] = 0;
            b->confirmed &= ~(1u << w);
            freed = 1;
        }
    }
    bpf_spin_unlock(&b->lock);
    return freed;
}

/* Marks the way that holds `key` confirmed. */
__noinline int vipd_flow_mark_confirmed(const struct vipd_flow_key *key, __u32 hash)
{
    struct vipd_flow_bucket *b = vipd_flow_bucket(hash);
    if (b == 0 || key == 0) {
        return 0;
    }
    int marked = 0;
    bpf_spin_lock(&b->lock);
#pragma unroll
    for (__u32 w = 0; w < VIPD_FLOW_WAYS; ++w) {
        if (b->tag[w] == (hash | 1) && vipd_key_equal(&b->way[w].key, key)) {
            b->way[w].flow.confirmed = 1;
            b->confirmed |= 1u << w;
            marked = 1;
        }
    }
    bpf_spin_unlock(&b->lock);
    return marked;
}

/* What vipd_flow_claim() did. */
#define VIPD_CLAIM_NONE 0      /* no bucket (an offline CPU's table): the flow is not kept */
#define VIPD_CLAIM_FREE 1      /* a free way */
#define VIPD_CLAIM_SAME 2      /* the way that held this key (a flow rescheduled) */
#define VIPD_CLAIM_EVICTED 3   /* a live unconfirmed flow replaced */
#define VIPD_CLAIM_EXPIRED 4   /* an expired flow's way */
#define VIPD_CLAIM_EVICTED_CONFIRMED 5  /* every way live and confirmed: the least recently seen */

/* The number a writer returns for the flow it pushed out, whose end the caller counts: whether it
 * was active in bit 4, its service position in bits 8-15, its backend position in bits 16-23 (the
 * outcome in bits 0-3). Numbers, not a record on the caller's stack: the frames of a call chain
 * must stay within 512 bytes together. */
static __always_inline __u32 vipd_flow_ended(const struct vipd_flow *e)
{
    return vipd_active_bit(e->state) << 4 | (e->service & 0xff) << 8 | (e->backend & 0xff) << 16;
}

/* Writes flow `f` of `key` into its bucket, in place of (the lcore table's insert: its keep ranks,
 * unconfirmed first): the way that holds the key already, a free way, the unconfirmed way the
 * cursor points at or after, an expired flow's way, or at last the least recently seen flow's. */
__noinline int vipd_flow_claim(const struct vipd_flow_key *key, __u32 hash, const struct vipd_flow *f,
                               const struct vipd_config *cfg, __u64 now)
{
    struct vipd_flow_bucket *b = vipd_flow_bucket(hash);
    if (b == 0 || key == 0 || f == 0 || cfg == 0) {
        return VIPD_CLAIM_NONE;
    }
    bpf_spin_lock(&b->lock);
    /* The way that holds the key, else the first free one, as outcome << 4 | way (one register:
     * this frame must stay small). */
    __u32 pick = VIPD_CLAIM_NONE << 4;
#pragma unroll
    for (__u32 w = 0; w < VIPD_FLOW_WAYS; ++w) {
        if (b->tag[w] == (hash | 1) && vipd_key_equal(&b->way[w].key, key)) {
            pick = VIPD_CLAIM_SAME << 4 | w;
        } else if (b->tag[w] == 0 && pick == VIPD_CLAIM_NONE << 4) {
            pick = VIPD_CLAIM_FREE << 4 | w;
        }
    }
    if (pick == VIPD_CLAIM_NONE << 4) {
        const __u32 unconfirmed = (~(__u32)b->confirmed) & ((1u << VIPD_FLOW_WAYS) - 1);
        if (unconfirmed != 0) {
            /* The first unconfirmed way at or after the cursor; the cursor then moves past it. */
            const __u32 c = b->cursor & (VIPD_FLOW_WAYS - 1);
            const __u32 turned =
                (unconfirmed >> c | unconfirmed << (VIPD_FLOW_WAYS - c)) & ((1u << VIPD_FLOW_WAYS) - 1);
            __u32 k = VIPD_FLOW_WAYS - 1;
#pragma unroll
            for (__u32 i = VIPD_FLOW_WAYS - 1; i > 0; --i) {
                if (turned & (1u << (i - 1))) {
                    k = i - 1;
                }
            }
            pick = VIPD_CLAIM_EVICTED << 4 | ((c + k) & (VIPD_FLOW_WAYS - 1));
            b->cursor = (__u8)((c + k + 1) & (VIPD_FLOW_WAYS - 1));
        } else {
            /* Every way confirmed: the first expired, else the least recently seen (the table is
             * too small for its live flows: counted apart, so an operator sees it). */
            __u64 oldest = ~0ULL;
            __u32 old = 0;
#pragma unroll
            for (__u32 w = 0; w < VIPD_FLOW_WAYS; ++w) {
                if (b->way[w].flow.last_seen < oldest) {
                    oldest = b->way[w].flow.last_seen;
                    old = w;
                }
            }
            pick = VIPD_CLAIM_EVICTED_CONFIRMED << 4 | old;
        }
        const __u32 w = pick & (VIPD_FLOW_WAYS - 1);
        if (vipd_flow_expired(cfg, &b->way[w].flow, now)) {
            pick = VIPD_CLAIM_EXPIRED << 4 | w;
        }
    }
    const __u32 w = pick & (VIPD_FLOW_WAYS - 1);
    struct vipd_flow_way *slot = &b->way[w];
    pick = (pick >> 4) | vipd_flow_ended(&slot->flow);
    /* The tag goes first and comes back last: a reader never matches a half-written key. */
    b->tag[w] = 0;
    asm volatile("" ::: "memory");
    slot->key = *key;
    slot->flow = *f;
    b->confirmed = (b->confirmed & ~(1u << w)) | (f->confirmed ? 1u << w : 0);
    asm volatile("" ::: "memory");
    b->tag[w] = hash | 1;
    bpf_spin_unlock(&b->lock);
    return (int)pick;
}

/* The flow of `key` as it is (expired or not), NULL when there is none. */
static __always_inline struct vipd_flow *vipd_flow_find(const struct vipd_flow_key *key, __u32 hash)
{
    const int w = vipd_flow_seek(key, hash);
    if (w < 0 || w >= VIPD_FLOW_WAYS) {
        return 0;
    }
    struct vipd_flow_bucket *b = vipd_flow_bucket(hash);
    if (b == 0) {
        return 0;
    }
    return &b->way[(__u32)w & (VIPD_FLOW_WAYS - 1)].flow;
}

/* The live flow of `key`, refreshed to `now`; NULL when there is none or it has expired (then it
 * ends: its way is freed and its flow count taken back, as the lcore table's lazy expiry). */
static __always_inline struct vipd_flow *vipd_flow_lookup(const struct vipd_config *cfg,
                                                          const struct vipd_flow_key *key, __u32 hash, __u64 now)
{
    struct vipd_flow *e = vipd_flow_find(key, hash);
    if (e == 0) {
        return 0;
    }
    if (vipd_flow_expired(cfg, e, now)) {
        const __u32 active = vipd_active_bit(e->state);
        const __u32 service = e->service;
        const __u32 backend = e->backend;
        if (vipd_flow_release(key, hash)) {
            vipd_count(service, backend, 0, 0, active, active ^ 1);
        }
        return 0;
    }
    e->last_seen = now;
    return e;
}

/* FlowTable::confirm_if_active(): an unconfirmed flow that a packet finds active is confirmed, in
 * its way (the bucket's mask of confirmed ways with it, under the lock). */
static __always_inline void vipd_confirm_if_active(const struct vipd_flow_key *key, __u32 hash, struct vipd_flow *e)
{
    if (e->confirmed == 0 && vipd_is_active(e->state)) {
        vipd_flow_mark_confirmed(key, hash);
    }
}

/* A flow written whole (scheduled, or rescheduled for another service position, whose end the
 * caller counted). A flow it pushes out ends here: its count is taken back, and a live one is
 * counted as evicted in this CPU's vipd_cpu. A global function too: one call from the caller's
 * frame, with nothing of its to keep across it. */
__noinline int vipd_flow_write(const struct vipd_config *cfg, const struct vipd_flow_key *key, __u32 hash,
                               const struct vipd_flow *f, __u64 now)
{
    const __u32 claimed = (__u32)vipd_flow_claim(key, hash, f, cfg, now);
    const __u32 outcome = claimed & 15;
    if (outcome >= VIPD_CLAIM_EVICTED) {
        const __u32 was = (claimed >> 4) & 1;
        vipd_count((claimed >> 8) & 0xff, (claimed >> 16) & 0xff, 0, 0, was, was ^ 1);
    }
    if (outcome == VIPD_CLAIM_EVICTED || outcome == VIPD_CLAIM_EVICTED_CONFIRMED) {
        __u32 zero = 0;
        struct vipd_cpu *c = bpf_map_lookup_elem(&vipd_cpu, &zero);
        if (c) {
            c->flows_evicted += outcome == VIPD_CLAIM_EVICTED;
            c->flows_evicted_confirmed += outcome == VIPD_CLAIM_EVICTED_CONFIRMED;
        }
    }
    return (int)outcome;
}

#endif /* VIPD_BPF_FLOW_H */

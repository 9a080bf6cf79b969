/* Flows in LRU hashes (shared by the CPUs, or one per CPU as an option: maps.h) with IPVS's TCP
 * states and timeouts, as flow::FlowTable (dataplane/fwd/flow_state.h): the state machine and the
 * timeouts are not restated here but copied by the loader from flow::next_state and flow::Timeouts
 * into vipd_config, so both dataplanes run the same table. Expired flows read as absent, as the C++
 * lookup's. */
#ifndef VIPD_BPF_FLOW_H
#define VIPD_BPF_FLOW_H

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

/* The flow tiers (maps.h): a flow found in vipd_flows_new is unconfirmed. */
#define VIPD_TIER_KEPT 0
#define VIPD_TIER_NEW 1

/* The map of a tier: the shared one, or with vipd_flows_per_cpu this CPU's. NULL only if the loader
 * made none for this CPU (it makes one for every possible CPU). */
static __always_inline void *vipd_tier_map(__u32 tier)
{
    if (vipd_flows_per_cpu) {
        __u32 cpu = bpf_get_smp_processor_id();
        return tier == VIPD_TIER_KEPT ? bpf_map_lookup_elem(&vipd_flows_cpu, &cpu)
                                      : bpf_map_lookup_elem(&vipd_flows_new_cpu, &cpu);
    }
    return tier == VIPD_TIER_KEPT ? (void *)&vipd_flows : (void *)&vipd_flows_new;
}

/* The live flow of `key` in one tier, refreshed to `now`; NULL when there is none or it has expired
 * (then it ends: its flow count is taken back, as the lcore table's lazy expiry). */
static __always_inline struct vipd_flow *vipd_flow_in(void *tier, const struct vipd_config *cfg,
                                                      const struct vipd_flow_key *key, __u64 now)
{
    struct vipd_flow *e = bpf_map_lookup_elem(tier, key);
    if (e == 0) {
        return 0;
    }
    if (vipd_flow_expired(cfg, e, now)) {
        const __u32 active = vipd_active_bit(e->state);
        vipd_count(e->service, e->backend, 0, 0, active, active ^ 1);
        bpf_map_delete_elem(tier, key);
        return 0;
    }
    e->last_seen = now;
    return e;
}

/* The live flow of `key`: the confirmed tier first (where a flow hit almost always ends), then the
 * new one; `*tier` says which. */
static __always_inline struct vipd_flow *vipd_flow_lookup(const struct vipd_config *cfg, const struct vipd_flow_key *key,
                                                          __u64 now, __u32 *tier)
{
    *tier = VIPD_TIER_KEPT;
    void *kept = vipd_tier_map(VIPD_TIER_KEPT);
    void *fresh = vipd_tier_map(VIPD_TIER_NEW);
    if (kept == 0 || fresh == 0) {
        return 0;
    }
    struct vipd_flow *e = vipd_flow_in(kept, cfg, key, now);
    if (e == 0) {
        *tier = VIPD_TIER_NEW;
        e = vipd_flow_in(fresh, cfg, key, now);
    }
    return e;
}

/* FlowTable::confirm_if_active(): a flow of the new tier that a packet finds active moves to the
 * kept one (copied, then deleted from the new: another CPU may find it in either meanwhile, never in
 * neither). `e` is not to be used after it. */
static __always_inline void vipd_confirm_if_active(const struct vipd_flow_key *key, struct vipd_flow *e, __u32 tier)
{
    if (e->confirmed == 0 && vipd_is_active(e->state)) {
        e->confirmed = 1;
        void *kept = vipd_tier_map(VIPD_TIER_KEPT);
        void *fresh = vipd_tier_map(VIPD_TIER_NEW);
        if (tier == VIPD_TIER_NEW && kept != 0 && fresh != 0) {
            bpf_map_update_elem(kept, key, e, BPF_ANY);
            bpf_map_delete_elem(fresh, key);
        }
    }
}

/* A flow written whole (scheduled, or rescheduled for another service position): an unconfirmed one
 * into the new tier, a confirmed one (a rescheduled flow keeps that) into the kept. */
static __always_inline void vipd_flow_write(const struct vipd_flow_key *key, const struct vipd_flow *f)
{
    void *tier = vipd_tier_map(f->confirmed ? VIPD_TIER_KEPT : VIPD_TIER_NEW);
    if (tier != 0) {
        bpf_map_update_elem(tier, key, f, BPF_ANY);
    }
}

#endif /* VIPD_BPF_FLOW_H */

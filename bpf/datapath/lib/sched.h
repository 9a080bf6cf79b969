/* The schedulers the program runs for a new flow, as sched::pick() (dataplane/fwd/sched/sched.cc):
 * rr and wrr with per-CPU cursors (an lcore's, in DPDK), fo from the choice made at build, sh and mh
 * from the tables control copies out of sched::Service::table() byte for byte, and the flow-count
 * schedulers (lc, wlc, sed, nq, ovf) over each CPU's counts (vipd_counts, an lcore's FlowCounts). */
#ifndef VIPD_BPF_SCHED_H
#define VIPD_BPF_SCHED_H

#include "bpf/datapath/lib/flow.h"
#include "bpf/datapath/lib/hash.h"
#include "bpf/datapath/lib/maps.h"

/* bpf_loop's state for one scan of a service's backends. */
struct vipd_scan {
    __u32 base;   /* the service's first vipd_backends index (its bank's) */
    __u32 n;      /* its backend count */
    __s32 cur;    /* rr: the position looked at last; wrr: the first position to look at */
    __s32 cw;     /* wrr: the weight a backend must reach */
    __s32 found;  /* the position chosen, -1 none */
};

static __always_inline __u32 vipd_weight(__u32 base, __u32 pos)
{
    __u32 key = base + pos;
    const struct vipd_backend *b = bpf_map_lookup_elem(&vipd_backends, &key);
    return b ? b->weight : 0;
}

/* ip_vs_rr_schedule(): the next backend after the last one picked, with weight > 0. */
static long vipd_rr_step(__u32 k, void *ctx)
{
    struct vipd_scan *s = ctx;
    (void)k;  /* the position advances from the cursor, wrapping */
    __s32 i = s->cur + 1;
    if (i < 0 || i >= (__s32)s->n) {
        i = 0;
    }
    s->cur = i;
    if (vipd_weight(s->base, (__u32)i & (VIPD_MAX_BACKENDS - 1)) != 0) {
        s->found = i;
        return 1;
    }
    return 0;
}

/* ip_vs_wrr_schedule()'s walk: the first backend from `cur` on whose weight reaches cw. */
static long vipd_wrr_step(__u32 k, void *ctx)
{
    struct vipd_scan *s = ctx;
    __u32 i = (__u32)s->cur + k;
    if (i >= s->n) {
        return 1;
    }
    if (vipd_weight(s->base, i & (VIPD_MAX_BACKENDS - 1)) >= (__u32)s->cw) {
        s->found = (__s32)i;
        return 1;
    }
    return 0;
}

/* bpf_loop's state for one scan of the flow-count schedulers (sched.cc's pick_lc and the rest). */
struct vipd_least {
    __u32 base;    /* the service's first vipd_backends index (its bank's) */
    __u32 id;      /* the service position: its vipd_counts */
    __u32 n;
    __u32 algo;
    __s32 best;    /* the position chosen so far, -1 none */
    __u64 loh;     /* its overhead */
    __u64 lw;      /* its weight */
};

/* ip_vs_dest_conn_overhead() and the sed/nq expected delay (sched.cc's conn_overhead, sed_overhead). */
static __always_inline __u64 vipd_overhead(__u32 algo, const struct vipd_counts *c)
{
    if (algo == VIPD_ALGO_LC || algo == VIPD_ALGO_WLC) {
        return ((__u64)c->active << 8) + c->inactive;
    }
    return (__u64)c->active + 1;
}

static long vipd_least_step(__u32 i, void *ctx)
{
    struct vipd_least *s = ctx;
    if (i >= s->n) {
        return 1;
    }
    const __u64 w = vipd_weight(s->base, i & (VIPD_MAX_BACKENDS - 1));
    const struct vipd_counts *c = vipd_counts_of(s->id, i);
    if (w == 0 || c == 0) {
        return 0;
    }
    if (s->algo == VIPD_ALGO_OVF) {
        /* ip_vs_ovf_schedule(): the heaviest whose active flows do not pass its weight. */
        if (w > s->lw && c->active <= w) {
            s->best = (__s32)i;
            s->lw = w;
        }
        return 0;
    }
    const __u64 doh = vipd_overhead(s->algo, c);
    if (s->algo == VIPD_ALGO_NQ && doh == 1) {
        s->best = (__s32)i;  /* ip_vs_nq_schedule(): the first idle backend at once */
        return 1;
    }
    int better;
    if (s->best < 0) {
        better = 1;
    } else if (s->algo == VIPD_ALGO_LC) {
        better = doh < s->loh;  /* least overhead, first in order on ties */
    } else {
        better = s->loh * w > doh * s->lw;  /* least overhead per weight, without a division */
    }
    if (better) {
        s->best = (__s32)i;
        s->loh = doh;
        s->lw = w;
    }
    return 0;
}

static __always_inline __s32 vipd_table_entry(const struct vipd_service *svc, __u32 index)
{
    __u32 key = vipd_table_index(svc->id, svc->bank);
    void *inner = bpf_map_lookup_elem(&vipd_tables, &key);
    if (inner == 0) {
        return -1;
    }
    __u32 zero = 0;
    const struct vipd_table *t = bpf_map_lookup_elem(inner, &zero);
    /* The compiler knows a remainder's bound and drops the check; the verifier does not know it. */
    asm volatile("" : "+r"(index));
    if (t == 0 || index >= VIPD_TABLE_SIZE) {
        return -1;
    }
    return t->entry[index];
}

/* The backend position for a new flow, or -1 (no_backend). `flow_hash` is flow::hash_v4 of the
 * tuple, `client` the client address in host order (sched::pick's arguments). A global function: the
 * verifier checks it once, not once for every path that reaches it (the schedulers' loops would
 * otherwise multiply past its limit). */
__attribute__((noinline)) __s32 vipd_pick(const struct vipd_service *svc, __u32 flow_hash, __u32 client)
{
    if (svc == 0) {
        return -1;
    }
    __u32 id = svc->id;
    __u32 n = svc->backends;
    if (id >= VIPD_MAX_SERVICES || n > VIPD_MAX_BACKENDS) {
        return -1;
    }
    struct vipd_scan s = {.base = vipd_backend_index(id, svc->bank, 0), .n = n, .cur = -1, .cw = 0, .found = -1};
    switch (svc->algo) {
    case VIPD_ALGO_RR: {
        struct vipd_sched_state *st = bpf_map_lookup_elem(&vipd_sched, &id);
        if (st == 0) {
            return -1;
        }
        s.cur = st->rr_pos1 - 1;
        bpf_loop(n, vipd_rr_step, &s, 0);
        if (s.found >= 0) {
            st->rr_pos1 = s.found + 1;
        }
        return s.found;
    }
    case VIPD_ALGO_WRR: {
        /* Walk on from the cursor for a backend whose weight reaches cw; at the end of the list
         * lower cw by the gcd (back to the max below 1) and start from the head. The max-weight
         * backend passes every cw, so one wrap finds one. */
        struct vipd_sched_state *st = bpf_map_lookup_elem(&vipd_sched, &id);
        __s32 mw = svc->wrr_max;
        if (st == 0 || mw <= 0) {
            return -1;
        }
        __s32 pos = st->wrr_pos1 - 1;
        __s32 cw = st->wrr_cw;
        if (cw <= 0 || cw > mw || pos >= (__s32)n) {
            pos = -1;
            cw = mw;
        }
        s.cur = pos + 1;
        s.cw = cw;
        bpf_loop(n, vipd_wrr_step, &s, 0);
        if (s.found < 0) {
            cw -= svc->wrr_gcd;
            cw = cw <= 0 ? mw : cw;
            s.cur = 0;
            s.cw = cw;
            bpf_loop(n, vipd_wrr_step, &s, 0);
        }
        if (s.found >= 0) {
            st->wrr_pos1 = s.found + 1;
            st->wrr_cw = cw;
        }
        return s.found;
    }
    case VIPD_ALGO_LC:
    case VIPD_ALGO_WLC:
    case VIPD_ALGO_SED:
    case VIPD_ALGO_NQ:
    case VIPD_ALGO_OVF: {
        struct vipd_least l = {.base = s.base, .id = id, .n = n, .algo = svc->algo, .best = -1, .loh = 0, .lw = 0};
        bpf_loop(n, vipd_least_step, &l, 0);
        return l.best;
    }
    case VIPD_ALGO_FO:
        return svc->fixed;
    case VIPD_ALGO_SH:
        return vipd_table_entry(svc, vipd_sh_bucket((svc->flags & VIPD_SVC_SH_PORT) ? flow_hash : client));
    case VIPD_ALGO_MH:
        return vipd_table_entry(svc, vipd_mix32((svc->flags & VIPD_SVC_MH_PORT) ? flow_hash : client) % VIPD_TABLE_SIZE);
    default:
        return -1;
    }
}

/* Schedulers that find a mid-flow packet's backend again without state (sh by the client, mh by the
 * tuple): process.cc's stateless_sched(). */
static __always_inline int vipd_stateless_sched(__u8 algo)
{
    return algo == VIPD_ALGO_SH || algo == VIPD_ALGO_MH;
}

#endif /* VIPD_BPF_SCHED_H */

/* The outcome of a frame (dataplane/fwd/verdicts.h's verdict and drop reason, and where it goes),
 * its per-CPU counters, and the XDP action it becomes: the counterpart of pkt::Result and of the
 * lcore loop's counting. */
#ifndef VIPD_BPF_DROP_H
#define VIPD_BPF_DROP_H

#include "bpf/datapath/lib/maps.h"

/* struct vipd_result (bpf/lb_structs.h): the test mode's record of the last frame is one too. */

static __always_inline struct vipd_result vipd_drop(enum vipd_drop_reason r)
{
    struct vipd_result res = {.verdict = VIPD_VERDICT_drop, .reason = (__u8)r};
    return res;
}

static __always_inline struct vipd_result vipd_verdict(enum vipd_verdict v, __u32 ifindex)
{
    struct vipd_result res = {.verdict = (__u8)v, .reason = VIPD_DROP_none, .ifindex = ifindex};
    return res;
}

/* A per-CPU token bucket (the ICMP errors' rate, the exception path's): one token every `per` ns,
 * at most `burst` banked, `*spent` 0 a full bucket (as a zeroed map). Takes a token and returns 1,
 * or returns 0 when none is left. The refill advances by whole tokens only, so a flood closer
 * together than a token's time still earns tokens back (icmp_allowed() in the C++ path). */
static __always_inline int vipd_bucket_take(__u64 *spent, __u64 *refilled, __u64 now, __u64 per, __u64 burst)
{
    if (now > *refilled) {
        const __u64 earned = (now - *refilled) / per;
        *spent = earned >= *spent ? 0 : *spent - earned;
        *refilled += earned * per;
    }
    if (*spent >= burst) {
        return 0;
    }
    *spent += 1;
    return 1;
}

static __always_inline void vipd_bump(void *map, __u32 index)
{
    __u64 *c = bpf_map_lookup_elem(map, &index);
    if (c) {
        *c += 1;
    }
}

/* count_connection(): a flow scheduled to (service, backend). */
static __always_inline void vipd_count_connection(__u32 service, __u32 backend)
{
    __u32 key = service * VIPD_MAX_BACKENDS + (backend & (VIPD_MAX_BACKENDS - 1));
    struct vipd_backend_stats *s = bpf_map_lookup_elem(&vipd_backend_stats, &key);
    if (s != 0) {
        s->connections += 1;
    }
}

/* count_backend(): a packet of a flow of (service, backend), `bytes` its IP length. */
static __always_inline void vipd_count_backend(__u32 service, __u32 backend, __u32 bytes, int out)
{
    __u32 key = service * VIPD_MAX_BACKENDS + (backend & (VIPD_MAX_BACKENDS - 1));
    struct vipd_backend_stats *s = bpf_map_lookup_elem(&vipd_backend_stats, &key);
    if (s == 0) {
        return;
    }
    if (out) {
        s->packets_out += 1;
        s->bytes_out += bytes;
    } else {
        s->packets_in += 1;
        s->bytes_in += bytes;
    }
}

/* Counts the outcome and turns it into an XDP action: sent frames go back out the interface they
 * came in on (XDP_TX, or a redirect where the port says VIPD_PORT_TX_REDIRECT) or to another (a
 * redirect through the devmap vipd_tx_ports); what is for the control thread (VRRP, ARP to learn from) or the kernel's stack is
 * XDP_PASS, since in XDP mode the kernel holds both. `in` is the port the frame came in on (0: none). */
static __always_inline int vipd_finish(struct xdp_md *ctx, const struct vipd_port *in, struct vipd_result r)
{
    vipd_bump(&vipd_verdicts, r.verdict);
    switch (r.verdict) {
    case VIPD_VERDICT_forward:
    case VIPD_VERDICT_reply:
    case VIPD_VERDICT_solicit:
        if (r.ifindex == ctx->ingress_ifindex && (in == 0 || (in->flags & VIPD_PORT_TX_REDIRECT) == 0)) {
            return XDP_TX;
        }
        {
            /* Through the devmap; an interface it lacks (control could not add it) by its ifindex. */
            const long act = bpf_redirect_map(&vipd_tx_ports, vipd_port_slot(r.ifindex), 0);
            return act == XDP_REDIRECT ? XDP_REDIRECT : bpf_redirect(r.ifindex, 0);
        }
    case VIPD_VERDICT_to_vrrp:
    case VIPD_VERDICT_to_local:
    case VIPD_VERDICT_to_control:
    case VIPD_VERDICT_to_exception:
        return XDP_PASS;
    default:
        vipd_bump(&vipd_drops, r.reason);
        return XDP_DROP;
    }
}

#endif /* VIPD_BPF_DROP_H */

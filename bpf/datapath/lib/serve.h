/* A packet to a virtual service: find or make its flow, then forward it by the service's method, as
 * serve() in dataplane/dpdk/datapath/pkt/process.cc: flows start at SYN (tcp_no_flow otherwise,
 * unless sh or mh find the backend without state), never from a martian source, and a flow made for
 * another service position is rescheduled. */
#ifndef VIPD_BPF_SERVE_H
#define VIPD_BPF_SERVE_H

#include "bpf/datapath/lib/dr.h"
#include "bpf/datapath/lib/flow.h"
#include "bpf/datapath/lib/frag.h"
#include "bpf/datapath/lib/nat.h"
#include "bpf/datapath/lib/tun.h"
#include "bpf/datapath/lib/sched.h"

/* A packet of a flow to backend record `be`, out by its service's method (`kind`, VIPD_KIND_*). */
static __always_inline struct vipd_result vipd_send(struct xdp_md *ctx, struct vipd_pkt *p, const struct vipd_ip *v,
                                                    const struct vipd_l4 *l4, __u32 kind,
                                                    const struct vipd_backend *be)
{
    if (kind == VIPD_KIND_NAT) {
        return vipd_dnat(ctx, p, v->ip, l4, be);
    }
    if (kind == VIPD_KIND_TUN) {
        return vipd_tun(p, v->ip, v->total, be, 1);
    }
    return vipd_dr(ctx, p, v->ip, be);
}

/* The new-flow bound (vipd_config.new_flow_*, new_flow_allowed() in the C++ path): 1 when this CPU
 * may make one more flow at `now`; always without a bound. */
static __always_inline int vipd_new_flow_allowed(const struct vipd_config *cfg, __u64 now)
{
    const __u64 per = cfg->new_flow_ns_per_token;
    if (per == 0) {
        return 1;
    }
    __u32 zero = 0;
    struct vipd_cpu *c = bpf_map_lookup_elem(&vipd_cpu, &zero);
    if (c == 0) {
        return 1;
    }
    return vipd_bucket_take(&c->new_flow_spent, &c->new_flow_refilled, now, per, cfg->new_flow_burst);
}

static __always_inline struct vipd_result vipd_serve(struct xdp_md *ctx, struct vipd_pkt *p,
                                                     const struct vipd_config *cfg, const struct vipd_ip *v,
                                                     const struct vipd_l4 *l4, const struct vipd_service *svc)
{
    struct iphdr *ip = v->ip;
    if (ip->ttl <= 1) {
        if (vipd_martian_source(ip->saddr)) {
            return vipd_drop(VIPD_DROP_martian_source);
        }
        /* IPVS's decrement_ttl(): ICMP time exceeded, from the packet's destination (the VIP). */
        return vipd_icmp_error(p, 11, 0, 0, ip->daddr);
    }
    __u32 id = svc->id;
    if (id >= VIPD_MAX_SERVICES) {
        return vipd_drop(VIPD_DROP_no_backend);
    }
    if (svc->kind != VIPD_KIND_DR && svc->kind != VIPD_KIND_NAT && svc->kind != VIPD_KIND_TUN) {
        return vipd_drop(VIPD_DROP_kind_unsupported);
    }
    const __u32 dir = svc->kind == VIPD_KIND_NAT ? VIPD_DIR_INPUT : VIPD_DIR_INPUT_ONLY;
    const __u8 proto = ip->protocol;
    const __u8 flags = l4->tcp_flags;
    struct vipd_flow_key key = {.src = ip->saddr, .dst = ip->daddr, .sport = l4->sport, .dport = l4->dport,
                                .proto = proto};
    const __u32 hash = vipd_flow_hash(&key);
    const __u32 place = vipd_flow_table_hash(&key);
    struct vipd_flow *e = vipd_flow_lookup(cfg, &key, place, p->now);
    __u32 backend;
    int scheduled = 0;  /* a new flow, or one made for another service position, is written below */
    if (e != 0 && e->service == id && e->backend < svc->backends) {
        /* An ESTABLISHED flow stays so on anything but SYN, FIN or RST; the lookup refreshed it. */
        if (proto == IPPROTO_TCP &&
            (e->state != VIPD_STATE_ESTABLISHED || (flags & (VIPD_TCP_SYN | VIPD_TCP_FIN | VIPD_TCP_RST)) != 0)) {
            vipd_flow_set_state(e, vipd_next_state(cfg, e->state, flags, dir));
            e->last_seen = p->now;
        }
        backend = e->backend;
        e->gen = svc->gen;  /* scheduled under an older record: the fast path (known.h) takes it again */
        vipd_confirm_if_active(&key, place, e);
    } else {
        if (e == 0) {
            if (vipd_martian_source(ip->saddr)) {
                return vipd_drop(VIPD_DROP_martian_source);
            }
            /* IPVS's tcp_conn_schedule(): a connection starts at a SYN without RST; mh and sh find a
             * mid-flow segment's backend without state (as with sloppy_tcp), RST excepted. */
            if (proto == IPPROTO_TCP &&
                ((flags & VIPD_TCP_RST) != 0 || ((flags & VIPD_TCP_SYN) == 0 && !vipd_stateless_sched(svc->algo)))) {
                return vipd_drop(VIPD_DROP_tcp_no_flow);
            }
            /* The new-flow bound: a connection opened (a SYN, a new UDP flow) past this CPU's rate is
             * dropped, before it costs a flow, a scheduler's choice or a backend's answer (a SYN
             * flood). A mid-flow segment that mh or sh schedule is a connection that exists (moved
             * here by a failover): it does not pay. */
            if ((proto != IPPROTO_TCP || (flags & VIPD_TCP_SYN) != 0) && !vipd_new_flow_allowed(cfg, p->now)) {
                return vipd_drop(VIPD_DROP_new_flow_rate);
            }
        }
        __s32 b = -1;
        struct vipd_persist_key pk = {.client = ip->saddr & svc->persist_mask, .service = id};
        if (svc->persist_s != 0) {
            /* Client affinity: the client network's last backend, while it still takes new flows. */
            struct vipd_persist *pe = bpf_map_lookup_elem(&vipd_persist, &pk);
            if (pe != 0 && p->now >= pe->last_seen && p->now - pe->last_seen >= pe->timeout_ns) {
                bpf_map_delete_elem(&vipd_persist, &pk);
                pe = 0;
            }
            if (pe != 0) {
                pe->last_seen = p->now;
                if (pe->backend < svc->backends &&
                    vipd_weight(vipd_backend_index(id, svc->bank, 0), pe->backend & (VIPD_MAX_BACKENDS - 1)) != 0) {
                    b = (__s32)pe->backend;
                }
            }
        }
        if (b < 0) {
            b = vipd_pick(svc, hash, bpf_ntohl(ip->saddr));
            if (b < 0 || (__u32)b >= svc->backends) {
                return vipd_drop(VIPD_DROP_no_backend);
            }
            if (svc->persist_s != 0) {
                struct vipd_persist np = {.backend = (__u32)b, .last_seen = p->now,
                                          .timeout_ns = (__u64)svc->persist_s * VIPD_NS_PER_S};
                bpf_map_update_elem(&vipd_persist, &pk, &np, BPF_ANY);
            }
        }
        /* The counts, as sched::pick() and on_flow_start() keep them; a flow replaced (made for
         * another service position) ends, as the lcore table's insert ends it. */
        const __u32 active = vipd_active_bit(vipd_first_state(cfg, proto, flags, dir));
        vipd_count(id, (__u32)b, active, active ^ 1, 0, 0);
        if (e != 0) {
            const __u32 was = vipd_active_bit(e->state);
            vipd_count(e->service, e->backend, 0, 0, was, was ^ 1);
        }
        backend = (__u32)b;
        scheduled = 1;
    }
    __u32 bkey = vipd_backend_index(id, svc->bank, backend);
    const struct vipd_backend *be = bpf_map_lookup_elem(&vipd_backends, &bkey);
    if (be == 0) {
        return vipd_drop(VIPD_DROP_no_backend);
    }
    if (scheduled) {
        /* New: unconfirmed until a second packet finds it active. Replacing a flow of another
         * service position: confirmed as it was. */
        struct vipd_flow nf = {.service = id, .backend = backend, .last_seen = p->now,
                               .state = vipd_first_state(cfg, proto, flags, dir),
                               .confirmed = e != 0 ? e->confirmed : 0,
                               .backend_port = be->port, .backend_ip = be->ip, .gen = svc->gen, .pad = 0};
        vipd_flow_write(cfg, &key, place, &nf, p->now);
        vipd_count_connection(id, backend);
    }
    vipd_count_backend(id, backend, v->total, 0);
    if (vipd_is_fragment(ip)) {
        vipd_frag_remember(p, ip, VIPD_FRAG_SERVICE, id, backend, l4->dport, 0);  /* the first: its flow's */
    }
    return vipd_send(ctx, p, v, l4, svc->kind, be);
}

#endif /* VIPD_BPF_SERVE_H */

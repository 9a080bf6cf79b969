/* Direct routing (keepalived lb_kind DR), as the DR case of serve() in
 * dataplane/dpdk/datapath/pkt/process.cc: the IP packet is untouched but for the TTL (IPVS
 * decrements it in DR too); only the link layer points at the backend. */
#ifndef VIPD_BPF_DR_H
#define VIPD_BPF_DR_H

#include "bpf/datapath/lib/hop.h"

static __always_inline struct vipd_result vipd_dr(struct xdp_md *ctx, struct vipd_pkt *p, struct iphdr *ip,
                                                  const struct vipd_backend *be)
{
    struct vipd_hop hop = {};
    vipd_backend_hop(be, &hop);
    vipd_ip_decrease_ttl(ip);
    return vipd_to_next_hop(ctx, p, &hop);
}

#endif /* VIPD_BPF_DR_H */

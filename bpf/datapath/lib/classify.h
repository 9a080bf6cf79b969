/* Lookups that decide whose a packet is, as fwd::Table's find_service, find_vip and is_local and
 * process.cc's martian_source(): the virtual service of a destination, the VIPs and the node's own
 * addresses (one map, flags), and the sources no new flow may come from. */
#ifndef VIPD_BPF_CLASSIFY_H
#define VIPD_BPF_CLASSIFY_H

#include "bpf/datapath/lib/parse.h"

static __always_inline const struct vipd_addr *vipd_find_addr(__u32 addr)
{
    return bpf_map_lookup_elem(&vipd_addrs, &addr);
}

static __always_inline const struct vipd_service *vipd_find_service(__u32 vip, __u8 proto, __u16 port)
{
    struct vipd_service_key k = {.vip = vip, .port = port, .proto = proto, .pad = 0};
    return bpf_map_lookup_elem(&vipd_services, &k);
}

/* RFC 1812 §5.3.7 (ip_route_input_slow()'s martians): 0/8, 127/8, 224/4, the limited broadcast,
 * and the node's own addresses, VIPs included, which only a spoofer or a loop sends from. */
static __always_inline int vipd_martian_source(__u32 src)
{
    __u32 h = bpf_ntohl(src);
    __u32 first = h >> 24;
    if (first == 0 || first == 127 || (first & 0xf0) == 0xe0 || h == 0xffffffff) {
        return 1;
    }
    const struct vipd_addr *a = vipd_find_addr(src);
    return a != 0 && (a->flags & (VIPD_ADDR_VIP | VIPD_ADDR_LOCAL)) != 0;
}

#endif /* VIPD_BPF_CLASSIFY_H */

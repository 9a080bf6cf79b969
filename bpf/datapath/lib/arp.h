/* The ARP responder (RFC 826), as arp() in dataplane/dpdk/datapath/pkt/process.cc: requests for the
 * node's port address or a VIP this node owns are answered in place (XDP_TX); a VIP owned by the
 * peer gets no answer; another address of the node's own goes to the kernel; replies and gratuitous ARP go to the kernel, where control learns from them. */
#ifndef VIPD_BPF_ARP_H
#define VIPD_BPF_ARP_H

#include "bpf/datapath/lib/classify.h"

/* <linux/if_arp.h> pulls in libc headers; its three constants are RFC 826's. */
#define ARPHRD_ETHER 1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

/* RFC 826 specialised to Ethernet/IPv4: <linux/if_arp.h>'s struct arphdr stops before the
 * addresses, so the whole layout is spelled out (packed: spa and tpa are not 4-byte aligned). */
struct vipd_arp {
    __u16 htype;
    __u16 ptype;
    __u8 hlen;
    __u8 plen;
    __u16 op;
    __u8 sha[6];
    __u32 spa;
    __u8 tha[6];
    __u32 tpa;
} __attribute__((packed));
_Static_assert(sizeof(struct vipd_arp) == 28, "ARP layout");

static __always_inline struct vipd_result vipd_arp(struct vipd_pkt *p)
{
    if (p->len < sizeof(struct ethhdr) + sizeof(struct vipd_arp)) {
        return vipd_drop(VIPD_DROP_arp_truncated);
    }
    struct ethhdr *eth = p->data;
    struct vipd_arp *a = p->data + sizeof(struct ethhdr);
    if ((void *)(a + 1) > p->data_end) {
        return vipd_drop(VIPD_DROP_arp_truncated);
    }
    if (a->htype != bpf_htons(ARPHRD_ETHER) || a->ptype != bpf_htons(ETH_P_IP) || a->hlen != 6 || a->plen != 4) {
        return vipd_drop(VIPD_DROP_arp_unsupported);
    }
    /* A group sender address is no station's: answering would broadcast, learning would mislead. */
    if ((a->sha[0] & 1) != 0) {
        return vipd_drop(VIPD_DROP_arp_bad_sender);
    }
    if (a->op != bpf_htons(ARPOP_REQUEST) || a->spa == a->tpa) {
        return vipd_verdict(VIPD_VERDICT_to_control, 0);
    }
    const struct vipd_port *port = p->port;
    __u32 tpa = a->tpa;
    int ours = port != 0 && port->ip != 0 && tpa == port->ip;
    if (!ours) {
        const struct vipd_addr *addr = vipd_find_addr(tpa);
        if (addr != 0 && (addr->flags & (VIPD_ADDR_VIP | VIPD_ADDR_LOCAL)) == VIPD_ADDR_LOCAL) {
            /* Another address of the node's own: the kernel answers by its own rules. */
            return vipd_verdict(VIPD_VERDICT_to_exception, 0);
        }
        if (addr == 0 || (addr->flags & VIPD_ADDR_VIP) == 0) {
            return vipd_drop(VIPD_DROP_arp_not_ours);
        }
        if ((addr->flags & VIPD_ADDR_OWNED) == 0) {
            return vipd_drop(VIPD_DROP_arp_vip_not_owned);
        }
    }
    if (port == 0) {
        return vipd_drop(VIPD_DROP_arp_not_ours);
    }
    /* Swap sender and target, our hardware address as the sender, opcode reply. */
    __builtin_memcpy(eth->h_dest, a->sha, 6);
    __builtin_memcpy(eth->h_source, port->mac, 6);
    a->op = bpf_htons(ARPOP_REPLY);
    __builtin_memcpy(a->tha, a->sha, 6);
    a->tpa = a->spa;
    __builtin_memcpy(a->sha, port->mac, 6);
    a->spa = tpa;
    return vipd_verdict(VIPD_VERDICT_reply, p->ifindex);
}

#endif /* VIPD_BPF_ARP_H */

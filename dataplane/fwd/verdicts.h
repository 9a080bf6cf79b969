/* The one list of the packet path's verdicts and drop reasons, shared by every dataplane: the DPDK
 * lcores (C++, dataplane/dpdk/datapath/pkt/verdict.h makes enums and to_string of it), the XDP program
 * (BPF C, which counts drops by the same numbers) and the golden fixtures that both must pass. A
 * reason added here exists everywhere at once: its counter, its name in the statistics and metrics.
 *
 * Plain C, no includes: clang -target bpf compiles it as it is. Append only (the numbers index
 * per-CPU counter arrays on both sides and the names are API: counters and metrics print them).
 *
 * X(name, why): `why` is the one-line meaning, for documentation and --help style listings.
 */
#ifndef VIPD_DATAPLANE_FWD_VERDICTS_H
#define VIPD_DATAPLANE_FWD_VERDICTS_H

/* What the packet path does with a frame. XDP maps forward/reply/solicit to XDP_TX or a redirect,
 * to_vrrp, to_control, to_exception and to_local to XDP_PASS (the kernel has the VRRP socket and the
 * stack), drop to XDP_DROP; redirect is DPDK's hand-over between lcores and never an XDP outcome.
 * DPDK gives to_vrrp a ring of its own, which control drains first: no flood of ARP or of the
 * kernel's traffic delays an advert; and to_local (what is addressed to the node itself: the health
 * checkers' replies) one drained before the exception ring, so a flood to a VIP's closed port or of
 * IPv6 junk cannot starve the checkers and take every real server down. */
#define VIPD_VERDICTS(X)                                                                               \
    X(forward, "rewritten in place, sent out (DR: to the backend's MAC)")                                \
    X(reply, "rewritten in place into an answer (ARP reply, ICMP error), sent out the port it came in")  \
    X(to_control, "for the control thread: ARP replies and gratuitous ARPs to learn from")               \
    X(to_exception, "for the kernel's stack: not ours to handle here")                                   \
    X(drop, "dropped; the drop reason says why")                                                         \
    X(redirect, "DPDK only: handed to the lcore that owns its flow (a NAT reply RSS put elsewhere)")     \
    X(solicit, "next hop's MAC unknown: rewritten into an ARP request for it and sent; the packet is lost") \
    X(to_vrrp, "for the control thread's VRRP engine: an advert for one of the node's VRIDs (its own path)") \
    X(to_local, "for the kernel's stack, to one of the node's own addresses (health-check replies, ssh): its own path")

#define VIPD_DROP_REASONS(X)                                                                                \
    X(none, "not dropped")                                                                                  \
    X(eth_truncated, "shorter than an Ethernet header")                                                     \
    X(arp_truncated, "shorter than an Ethernet/IPv4 ARP packet (RFC 826)")                                  \
    X(arp_unsupported, "hardware/protocol type or lengths other than Ethernet/IPv4")                        \
    X(arp_not_ours, "request for an address that is neither ours nor a VIP")                                \
    X(arp_vip_not_owned, "request for a VIP this node does not own now (VRRP backup)")                      \
    X(ip_truncated, "the frame ends before the IPv4 header or the total length")                            \
    X(ip_bad_version, "version field is not 4 (RFC 791 3.1)")                                               \
    X(ip_bad_ihl, "IHL < 5 (RFC 791 3.1)")                                                                  \
    X(ip_bad_length, "total length shorter than the header (RFC 1122 3.2.1.2)")                             \
    X(ip_bad_checksum, "header checksum fails (RFC 1122 3.2.1.2: silently discard)")                        \
    X(ip_fragment, "a later fragment to a VIP whose first was not seen (or expired): no flow to follow")    \
    X(ttl_exceeded, "TTL <= 1 on a NAT reply or a later fragment (else ICMP time exceeded, from the VIP)")  \
    X(l4_truncated, "TCP/UDP header cut short, or TCP data offset < 5 (RFC 9293 3.1)")                      \
    X(kind_unsupported, "service forwarding method not implemented (none today: DR, NAT and TUN are)")      \
    X(no_backend, "the scheduler found no backend that may take a new flow")                                \
    X(backend_unresolved, "the next hop's MAC is unknown and an ARP request for it went out recently")      \
    X(no_table, "no forwarding table published yet")                                                        \
    X(control_ring_full, "the ring to the control thread is full")                                          \
    X(exception_ring_full, "the exception path is full: DPDK's ring to it, XDP's per-CPU rate to the kernel") \
    X(tx_full, "the port's TX queue did not take the frame")                                                \
    X(no_route, "no route to the destination of a NAT reply or a TUN backend")                              \
    X(nat_no_flow, "a NAT reply whose flow no lcore has: never translated without one (IPVS)")              \
    X(redirect_ring_full, "the ring to the lcore that owns the flow is full")                               \
    X(too_big, "over the out port's MTU without DF: the fast path does not fragment")                       \
    X(icmp_rate_limited, "would have sent an ICMP error (frag-needed, time exceeded), over the rate limit") \
    X(other_host, "unicast to another MAC (promiscuous mode, a flooding switch): PACKET_OTHERHOST")         \
    X(tcp_no_flow, "a TCP segment other than a SYN for no flow, to a service whose scheduler needs it")     \
    X(martian_source, "a new flow from 0/8, 127/8, 224/4, broadcast or our own addresses (RFC 1812 5.3.7)") \
    X(ip_source_route, "IP options with loose or strict source routing (accept_source_route 0)")            \
    X(ip_bad_options, "IP options whose lengths do not add up (ip_options_compile())")                      \
    X(arp_bad_sender, "ARP with a multicast or broadcast sender hardware address")                          \
    X(vrrp_truncated, "VRRP shorter than its fixed header (RFC 5798 5.1: 8 bytes)")                         \
    X(vrrp_bad_ttl, "VRRP to a multicast group with a TTL other than 255 (RFC 5798 7.1)")                   \
    X(vrrp_foreign_vrid, "VRRP for a virtual_router_id no instance of this node has")                       \
    X(vrrp_ring_full, "the ring of VRRP adverts to the control thread is full")                             \
    X(local_ring_full, "the ring of the node's own traffic to the kernel is full")                          \
    X(new_flow_rate, "a SYN or a new UDP flow over this CPU's (lcore's) bound: vipd --new-flow-rate")

/* C enums (the BPF program's names): VIPD_VERDICT_forward …, VIPD_DROP_none …, and the counts. */
#define VIPD_ENUM_VERDICT_(name, why) VIPD_VERDICT_##name,
#define VIPD_ENUM_DROP_(name, why) VIPD_DROP_##name,
enum vipd_verdict { VIPD_VERDICTS(VIPD_ENUM_VERDICT_) VIPD_VERDICT_COUNT };
enum vipd_drop_reason { VIPD_DROP_REASONS(VIPD_ENUM_DROP_) VIPD_DROP_COUNT };
#undef VIPD_ENUM_VERDICT_
#undef VIPD_ENUM_DROP_

#endif /* VIPD_DATAPLANE_FWD_VERDICTS_H */

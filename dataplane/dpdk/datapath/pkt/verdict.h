// The verdicts and drop reasons of the packet path, in plain C++: the DPDK lcores count by them and the
// golden fixtures (which the XDP dataplane will pass too) name them, so both dataplanes share one list.
#pragma once

#include <cstdint>
#include <string_view>

namespace pkt {

/// What the lcore does with a frame.
enum class Verdict : uint8_t {
    forward,       // rewritten in place, sent out (DR: to the backend's MAC)
    reply,         // rewritten in place into an answer (ARP reply, ICMP error), sent out the port it came in on
    to_control,    // handed to the control thread: VRRP adverts; ARP replies and gratuitous ARPs, from which
                   // it learns neighbours (and which it passes on to the kernel)
    to_exception,  // handed to the kernel's stack (the exception TAP): not ours to handle here
    drop,          // freed; `DropReason` says why
    redirect,      // handed to the lcore that owns its flow (a NAT reply RSS put elsewhere)
    solicit,       // its next hop's MAC is unknown: the frame was rewritten into an ARP request for it
                   // and sent; the packet itself is lost (the sender retransmits, as through a router)
};
inline constexpr unsigned verdict_count = 7;

/// Why a frame was dropped. Every value has a per-lcore counter; append only (the names are API:
/// counters and metrics print them).
enum class DropReason : uint8_t {
    none = 0,
    eth_truncated,       // shorter than an Ethernet header
    arp_truncated,       // shorter than an Ethernet/IPv4 ARP packet (RFC 826)
    arp_unsupported,     // hardware/protocol type or lengths other than Ethernet/IPv4
    arp_not_ours,        // request for an address that is neither ours nor a VIP
    arp_vip_not_owned,   // request for a VIP this node does not own now (VRRP backup)
    ip_truncated,        // the frame ends before the IPv4 header or the total length
    ip_bad_version,      // version field is not 4 (RFC 791 §3.1)
    ip_bad_ihl,          // IHL < 5 (RFC 791 §3.1)
    ip_bad_length,       // total length shorter than the header (RFC 1122 §3.2.1.2)
    ip_bad_checksum,     // header checksum fails (RFC 1122 §3.2.1.2: silently discard)
    ip_fragment,         // a fragment to a virtual service (no reassembly on the fast path)
    ttl_exceeded,        // TTL ≤ 1 on a NAT reply to forward (to a VIP: ICMP time exceeded instead)
    l4_truncated,        // TCP/UDP header cut short, or TCP data offset < 5 (RFC 9293 §3.1)
    kind_unsupported,    // service forwarding method not implemented (none today: DR, NAT and TUN are)
    no_backend,          // the scheduler found no backend that may take a new flow
    backend_unresolved,  // the next hop's MAC is unknown and an ARP request for it went out recently
    no_table,            // no forwarding table published yet
    control_ring_full,   // the ring to the control thread is full
    exception_ring_full, // the ring to the exception path is full
    tx_full,             // the port's TX queue did not take the frame
    no_route,            // no route to the destination of a NAT reply or a TUN backend
    nat_no_flow,         // a NAT reply whose flow no lcore has: never translated without one (IPVS)
    redirect_ring_full,  // the ring to the lcore that owns the flow is full
    too_big,             // over the out port's MTU without DF: the fast path does not fragment
    icmp_rate_limited,   // would have sent an ICMP error (frag-needed, time exceeded), over the rate limit
    other_host,          // unicast to another MAC (seen in promiscuous mode or flooded by a switch):
                         // the kernel's PACKET_OTHERHOST, which it drops before IP
    tcp_no_flow,         // a TCP segment other than a SYN for no flow, to a service whose scheduler
                         // needs the flow (all but mh, sh); an RST for no flow to any (IPVS without
                         // sloppy_tcp: a connection starts at SYN)
    martian_source,      // a new flow from 0/8, 127/8, 224/4, 255.255.255.255 or the node's own
                         // addresses and VIPs (RFC 1812 §5.3.7)
    ip_source_route,     // IP options with loose or strict source routing (accept_source_route 0)
    ip_bad_options,      // IP options whose lengths do not add up (ip_options_compile())
    arp_bad_sender,      // ARP with a multicast or broadcast sender hardware address
};
inline constexpr unsigned drop_reason_count = 32;

constexpr std::string_view to_string(Verdict v) noexcept
{
    switch (v) {
    case Verdict::forward: return "forward";
    case Verdict::reply: return "reply";
    case Verdict::to_control: return "to_control";
    case Verdict::to_exception: return "to_exception";
    case Verdict::drop: return "drop";
    case Verdict::redirect: return "redirect";
    case Verdict::solicit: return "solicit";
    }
    return "?";
}

constexpr std::string_view to_string(DropReason r) noexcept
{
    switch (r) {
    case DropReason::none: return "none";
    case DropReason::eth_truncated: return "eth_truncated";
    case DropReason::arp_truncated: return "arp_truncated";
    case DropReason::arp_unsupported: return "arp_unsupported";
    case DropReason::arp_not_ours: return "arp_not_ours";
    case DropReason::arp_vip_not_owned: return "arp_vip_not_owned";
    case DropReason::ip_truncated: return "ip_truncated";
    case DropReason::ip_bad_version: return "ip_bad_version";
    case DropReason::ip_bad_ihl: return "ip_bad_ihl";
    case DropReason::ip_bad_length: return "ip_bad_length";
    case DropReason::ip_bad_checksum: return "ip_bad_checksum";
    case DropReason::ip_fragment: return "ip_fragment";
    case DropReason::ttl_exceeded: return "ttl_exceeded";
    case DropReason::l4_truncated: return "l4_truncated";
    case DropReason::kind_unsupported: return "kind_unsupported";
    case DropReason::no_backend: return "no_backend";
    case DropReason::backend_unresolved: return "backend_unresolved";
    case DropReason::no_table: return "no_table";
    case DropReason::control_ring_full: return "control_ring_full";
    case DropReason::exception_ring_full: return "exception_ring_full";
    case DropReason::tx_full: return "tx_full";
    case DropReason::no_route: return "no_route";
    case DropReason::nat_no_flow: return "nat_no_flow";
    case DropReason::redirect_ring_full: return "redirect_ring_full";
    case DropReason::too_big: return "too_big";
    case DropReason::icmp_rate_limited: return "icmp_rate_limited";
    case DropReason::other_host: return "other_host";
    case DropReason::tcp_no_flow: return "tcp_no_flow";
    case DropReason::martian_source: return "martian_source";
    case DropReason::ip_source_route: return "ip_source_route";
    case DropReason::ip_bad_options: return "ip_bad_options";
    case DropReason::arp_bad_sender: return "arp_bad_sender";
    }
    return "?";
}

/// The outcome of processing one frame.
struct Result {
    Verdict verdict = Verdict::drop;
    DropReason reason = DropReason::none;  // set when verdict is drop
    uint16_t port = 0;   // forward, reply, solicit: the port to send on
    uint16_t lcore = 0;  // redirect: the lcore to hand it to
    uint8_t hop = 0;     // redirect: the reply candidate that lcore tries first (see Frame::hop)
};

}  // namespace pkt

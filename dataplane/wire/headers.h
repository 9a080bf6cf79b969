// Packed overlays of the headers the packet paths parse, with their sizes asserted (checksum.h has
// the Internet checksum and byte order). Callers check the length before overlaying; multi-byte
// fields are network order. The packet path overlays in place (the frames are its own buffers,
// alignment 1 by `packed`); the VRRP codec (control/vrrp/packet.cc) copies into its own overlays
// with memcpy instead, as it parses from sockets' buffers it does not own.
#pragma once

#include "dataplane/wire/checksum.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wire {

inline constexpr uint16_t ethertype_ipv4 = 0x0800;
inline constexpr uint16_t ethertype_arp = 0x0806;
inline constexpr uint8_t ipproto_icmp = 1;
inline constexpr uint8_t ipproto_ipip = 4;    // RFC 2003 IP in IP
inline constexpr uint8_t ipproto_tcp = 6;
inline constexpr uint8_t ipproto_udp = 17;
inline constexpr uint8_t ipproto_vrrp = 112;  // RFC 5798 §5.1.1.4


struct __attribute__((packed)) EthHdr {
    uint8_t dst[6];
    uint8_t src[6];
    uint16_t type;
};
static_assert(sizeof(EthHdr) == 14);

// RFC 826, specialised to Ethernet hardware and IPv4 protocol addresses.
struct __attribute__((packed)) ArpHdr {
    uint16_t htype;  // 1: Ethernet
    uint16_t ptype;  // 0x0800
    uint8_t hlen;    // 6
    uint8_t plen;    // 4
    uint16_t op;     // 1 request, 2 reply
    uint8_t sha[6];
    uint32_t spa;
    uint8_t tha[6];
    uint32_t tpa;
};
static_assert(sizeof(ArpHdr) == 28);
inline constexpr uint16_t arp_op_request = 1;
inline constexpr uint16_t arp_op_reply = 2;

inline constexpr size_t arp_request_len = sizeof(EthHdr) + sizeof(ArpHdr);  // 42; the NIC pads

/// Writes an RFC 826 request "who has `tpa`? tell `spa` at `mac`" (broadcast, addresses in network
/// order) into `out`, which must hold arp_request_len bytes. The lcores send it for an unresolved
/// next hop, the control thread for an unresolved unicast VRRP peer.
inline void write_arp_request(uint8_t* out, const uint8_t* mac, uint32_t spa, uint32_t tpa) noexcept
{
    auto* eth = reinterpret_cast<EthHdr*>(out);
    std::memset(eth->dst, 0xff, 6);
    std::memcpy(eth->src, mac, 6);
    eth->type = net16(ethertype_arp);
    auto* a = reinterpret_cast<ArpHdr*>(out + sizeof(EthHdr));
    a->htype = net16(1);
    a->ptype = net16(ethertype_ipv4);
    a->hlen = 6;
    a->plen = 4;
    a->op = net16(arp_op_request);
    std::memcpy(a->sha, mac, 6);
    a->spa = spa;
    std::memset(a->tha, 0, 6);
    a->tpa = tpa;
}

// RFC 791 §3.1.
struct __attribute__((packed)) Ipv4Hdr {
    uint8_t version_ihl;
    uint8_t tos;
    uint16_t total_length;
    uint16_t id;
    uint16_t frag;  // flags (3 bits) and fragment offset (13 bits)
    uint8_t ttl;
    uint8_t proto;
    uint16_t checksum;
    uint32_t src;
    uint32_t dst;

    uint8_t version() const noexcept { return version_ihl >> 4; }
    uint8_t ihl() const noexcept { return version_ihl & 0x0f; }
    // MF set or a non-zero offset: the packet is a fragment (RFC 791 §3.2).
    bool is_fragment() const noexcept { return (net16(frag) & 0x3fff) != 0; }
};
static_assert(sizeof(Ipv4Hdr) == 20);
inline constexpr uint16_t ip_flag_mf = 0x2000;
inline constexpr uint16_t ip_flag_df = 0x4000;
inline constexpr uint16_t ip_frag_offset = 0x1fff;  // the fragment offset, in 8-byte units

// RFC 792 / RFC 1191 §4: destination unreachable, with the next-hop MTU for code 4; time exceeded
// (both `unused` and `mtu` zero).
struct __attribute__((packed)) IcmpHdr {
    uint8_t type;
    uint8_t code;
    uint16_t checksum;
    uint16_t unused;
    uint16_t mtu;
};
static_assert(sizeof(IcmpHdr) == 8);
inline constexpr uint8_t icmp_dest_unreach = 3;
inline constexpr uint8_t icmp_frag_needed = 4;
inline constexpr uint8_t icmp_time_exceeded = 11;  // code 0: TTL exceeded in transit (RFC 792)

// RFC 9293 §3.1.
struct __attribute__((packed)) TcpHdr {
    uint16_t sport;
    uint16_t dport;
    uint32_t seq;
    uint32_t ack;
    uint8_t data_off;  // high nibble: header length in 32-bit words
    uint8_t flags;
    uint16_t window;
    uint16_t checksum;
    uint16_t urgent;

    uint8_t doff() const noexcept { return data_off >> 4; }
};
static_assert(sizeof(TcpHdr) == 20);

// RFC 768.
struct __attribute__((packed)) UdpHdr {
    uint16_t sport;
    uint16_t dport;
    uint16_t length;
    uint16_t checksum;
};
static_assert(sizeof(UdpHdr) == 8);

/// The kernel's ip_decrease_ttl(): TTL − 1, and the checksum + 0x0100 (the TTL is the high byte of
/// its 16-bit word) with the end-around carry — RFC 1624's update specialised to this one change.
inline void ip_decrease_ttl(Ipv4Hdr* ip) noexcept
{
    uint32_t check = ip->checksum;
    check += net16(0x0100);
    ip->checksum = static_cast<uint16_t>(check + (check >= 0xFFFF));
    --ip->ttl;
}

}  // namespace wire

// The VRRP wire codec (RFC 3768 v2, RFC 5798 v3), byte-for-byte as keepalived 2.2.7 sends and checks
// adverts, so vipd and keepalived routers can share a virtual router.
//
// Pure: no sockets, no clock, no logging. The receive side is split in two:
//  - decode_ipv4()/decode() run the RFC 5798 §7.1 / RFC 3768 §7.1 checks that need no instance state
//    (IP header, lengths, version, type, checksum) and fill a Received;
//  - check() runs the instance-level checks against an Expect built from the configuration.
// Every failure is a Drop reason; Counters tallies them. Neither half throws or logs: decode
// reuses the capacity of out.advert.addrs, so a Received kept per socket stops allocating after the
// first advert.
#pragma once

#include "conf/model.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace vrrp {

inline constexpr uint8_t ipproto_vrrp = 112;  // IANA; RFC 5798 §5.1.1.3
inline constexpr uint8_t ip_ttl = 255;        // RFC 5798 §5.1.1.3, §5.1.2.3
// keepalived's IP TOS ("internet network control", DSCP CS6); vrrp.c vrrp_build_ip4().
inline constexpr uint8_t ipv4_tos = 0xc0;
inline constexpr size_t ipv4_header_len = 20;
inline constexpr size_t fixed_len = 8;         // version/type .. checksum
inline constexpr size_t auth_len = 8;          // v2 only, after the addresses
inline constexpr uint16_t max_interval_v3_cs = 0x0fff;  // 12 bits, RFC 5798 §5.2.7

// The 224.0.0.18 / ff02::12 groups of RFC 5798 §5.1.1.2 / §5.1.2.2.
conf::Ip default_group(uint8_t family);

struct Advert {
    uint8_t version = 3;
    uint8_t vrid = 0;
    uint8_t priority = 0;         // 0: the master is leaving (RFC 5798 §6.4.3); valid
    uint16_t interval_cs = 100;   // centiseconds; v2 carries whole seconds on the wire
    conf::AuthType auth = conf::AuthType::none;  // v2 only; `ah` is not encodable here
    std::array<uint8_t, 8> auth_data{};          // v2 PASS: the password, zero-padded
    std::vector<conf::Ip> addrs;                 // all of the packet's family
    bool operator==(const Advert&) const = default;
};

// Length of the VRRP message (no IP header) for `a` over `family`; 0 if it cannot be encoded.
size_t message_len(const Advert& a, uint8_t family) noexcept;

// Writes the VRRP message only (no IP header). src/dst are the IP addresses the packet will carry:
// the v3 checksum covers their pseudo-header (RFC 5798 §5.2.8) and keepalived 2.2.7 uses the real
// destination, unicast or multicast. Returns the bytes written; 0 if `out` is too small or the advert
// cannot be encoded (v2 over IPv6, AH, an address of another family, > 255 addresses, interval out of
// range).
size_t encode(const Advert& a, const conf::Ip& src, const conf::Ip& dst, std::span<uint8_t> out) noexcept;

// Writes a whole IPv4 packet as keepalived puts it on the wire: IHL 5, TOS 0xc0, no DF (frag_off 0),
// TTL 255, protocol 112, header checksum. keepalived numbers ip_id per instance from 1 and skips 0
// on wrap-around (0 would let the kernel pick one); the caller keeps that counter.
size_t encode_ipv4(const Advert& a, const conf::Ip& src, const conf::Ip& dst, std::span<uint8_t> out,
                   uint16_t ip_id = 0) noexcept;

// Why an advert was dropped. The first group needs no instance state (decode), the second does (check).
// Printed in this order (SIGUSR2); addr_missing stays last, which readers of the statistics rely on.
enum class Drop : uint8_t {
    none,
    // decode_ipv4() / decode()
    truncated,             // shorter than the IP header or the VRRP fixed header
    bad_ip_version,        // IPv4 packet whose version nibble is not 4
    bad_ip_header_len,     // IHL < 5 or past the end of the packet
    ip_len_mismatch,       // IP total length != bytes received
    ip_fragment,           // MF or a fragment offset: adverts are never fragmented
    bad_ip_checksum,       // IPv4 header checksum
    bad_protocol,          // not IPPROTO_VRRP (AH, proto 51, is not implemented)
    bad_version,           // VRRP version not 2 or 3 (or v2 over IPv6)
    bad_type,              // VRRP type not 1 (ADVERTISEMENT)
    length_mismatch,       // VRRP length != fixed + count * address (+ auth for v2)
    bad_checksum,          // VRRP checksum
    bad_auth_type,         // v2 auth type neither 0 nor 1 (2, AH, needs the AH header)
    // check()
    bad_ttl,               // TTL / hop limit not 255 (multicast mode, or an on-link unicast peer)
    version_mismatch,      // not the instance's VRRP version
    vrid_mismatch,         // not the instance's VRID
    address_owner,         // a valid advert, but the instance is the address owner (priority 255)
    auth_type_mismatch,    // v2 auth type differs from the instance's
    auth_failure,          // v2 PASS: the password differs
    interval_mismatch,     // v2 advert interval differs from the instance's
    not_multicast,         // multicast mode, unicast destination
    wrong_group,           // multicast mode, another multicast group
    multicast_in_unicast,  // unicast mode, multicast destination
    src_not_peer,          // unicast mode, source not a unicast_peer
    addr_count_mismatch,   // address count differs from the instance's VIP count
    addr_missing,          // one of the instance's VIPs is not in the advert
    count_
};

std::string_view to_string(Drop d) noexcept;

struct Received {
    Advert advert;
    conf::Ip src, dst;
    uint8_t ttl = 0;  // IPv4 TTL / IPv6 hop limit, as received
    // A v3 unicast advert whose checksum holds only with 224.0.0.18 in the pseudo-header, as older
    // keepalived releases sent it (their old_unicast_checksum). keepalived 2.2.7 accepts it in unicast
    // mode and switches its own checksum to match; the caller may do likewise.
    bool old_unicast_checksum = false;
};

// Decodes an IPv4 packet as a raw IPPROTO_VRRP socket delivers it (IP header first). Fills `out` only
// as far as needed; its content is meaningful only when Drop::none is returned.
Drop decode_ipv4(std::span<const uint8_t> packet, Received& out) noexcept;

// Decodes a VRRP message without its IP header (as a raw IPv6 socket delivers it); the caller gives
// the addresses and hop limit from the IP header / ancillary data.
Drop decode(std::span<const uint8_t> message, const conf::Ip& src, const conf::Ip& dst, uint8_t ttl,
            Received& out) noexcept;

struct Expect {
    uint8_t version = 3;
    uint8_t vrid = 0;
    conf::AuthType auth = conf::AuthType::none;  // v2
    std::array<uint8_t, 8> auth_data{};          // v2 PASS
    uint16_t interval_cs = 100;                  // compared for v2 only (v3 learns the master's)
    std::vector<conf::Ip> addrs;                 // the instance's VIPs, of the instance's family
    // false where keepalived skips the address check: vrrp_skip_check_adv_addr and the advert comes
    // from the same master as the previous one (keepalived vrrp_state_backup()).
    bool check_addrs = true;
    std::vector<conf::Ip> unicast_peers;  // empty: multicast mode
    // keepalived 2.2.7 checks the source against unicast_peers only with vrrp_check_unicast_src /
    // check_unicast_src; set this from those to behave as keepalived does.
    bool check_unicast_src = true;
    // Per unicast_peer (same index; missing entries are false): the peer is known to be on-link, so
    // its adverts must arrive with TTL 255 as RFC 5798 §7.1 wants, which a routed spoofer of its
    // address cannot deliver. The engine sets an entry once an advert from that peer arrived with 255.
    std::vector<uint8_t> peer_on_link;
    // RFC 5798 §7.1 / RFC 3768 §7.1: the address owner (priority 255) discards every advert for its VRID.
    bool owner = false;
    conf::Ip mcast_group;  // unset (family 0): any multicast destination passes
};

// The instance-level checks of RFC 5798 §7.1 / RFC 3768 §7.1, in keepalived 2.2.7's order.
Drop check(const Received& r, const Expect& e) noexcept;

// The position of `src` in e.unicast_peers, or -1.
int peer_index(const Expect& e, const conf::Ip& src) noexcept;

struct Counters {
    std::array<uint64_t, size_t(Drop::count_)> drops{};
    uint64_t accepted = 0;
    void count(Drop d) noexcept;
};

}  // namespace vrrp

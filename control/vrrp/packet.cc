// The VRRP wire codec: packed overlays of the IPv4 and VRRP headers, the Internet checksum, and the
// RFC 3768 / RFC 5798 §7.1 receive checks in the order keepalived 2.2.7 (vrrp.c vrrp_check_packet) runs them.
#include "control/vrrp/packet.h"

#include "dataplane/wire/checksum.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace vrrp {
namespace {

// Overlays are loaded and stored with memcpy: as cheap as a cast (the compiler emits plain loads),
// without the aliasing and alignment questions a cast raises on a packet buffer.
struct [[gnu::packed]] Ipv4Header {
    uint8_t ver_ihl;
    uint8_t tos;
    uint16_t tot_len_be;
    uint16_t id_be;
    uint16_t frag_off_be;
    uint8_t ttl;
    uint8_t protocol;
    uint16_t check_be;
    std::array<uint8_t, 4> saddr;
    std::array<uint8_t, 4> daddr;

    uint8_t version() const { return ver_ihl >> 4; }
    size_t header_len() const { return size_t(ver_ihl & 0x0f) * 4; }
    uint16_t tot_len() const { return wire::net16(tot_len_be); }
    bool more_fragments() const { return (wire::net16(frag_off_be) & 0x2000) != 0; }
    uint16_t fragment_offset() const { return wire::net16(frag_off_be) & 0x1fff; }
};
static_assert(sizeof(Ipv4Header) == ipv4_header_len);

// RFC 3768 §5.1 / RFC 5798 §5.1: the fixed part; the addresses (and v2's auth data) follow.
struct [[gnu::packed]] VrrpHeader {
    uint8_t vers_type;
    uint8_t vrid;
    uint8_t priority;
    uint8_t count;
    uint8_t word_hi;  // v2: auth type;   v3: rsvd (4 bits) + max adver int high 4 bits
    uint8_t word_lo;  // v2: adver int s; v3: max adver int low 8 bits
    uint16_t checksum_be;

    uint8_t version() const { return vers_type >> 4; }
    uint8_t type() const { return vers_type & 0x0f; }
    uint16_t v3_interval_cs() const { return uint16_t(((word_hi & 0x0f) << 8) | word_lo); }  // rsvd ignored
};
static_assert(sizeof(VrrpHeader) == fixed_len);

constexpr uint8_t type_advertisement = 1;  // RFC 5798 §5.2.2

constexpr size_t addr_len(uint8_t family) { return family == AF_INET ? 4 : 16; }

bool is_multicast(const conf::Ip& ip)
{
    if (ip.family == AF_INET) {
        return (ip.bytes[0] & 0xf0) == 0xe0;  // 224.0.0.0/4
    }
    return ip.family == AF_INET6 && ip.bytes[0] == 0xff;
}

conf::Ip ipv4(const std::array<uint8_t, 4>& b)
{
    conf::Ip ip;
    ip.family = AF_INET;
    std::copy(b.begin(), b.end(), ip.bytes.begin());
    return ip;
}

// The one's-complement sum of RFC 1071 (dataplane/wire/checksum.h), folded and complemented.
uint32_t sum16(std::span<const uint8_t> b, uint32_t acc)
{
    return wire::csum_add(acc, b.data(), b.size());
}

uint16_t fold(uint32_t acc)
{
    return static_cast<uint16_t>(~wire::csum_fold(acc));
}

// RFC 5798 §5.2.8: IPv4 pseudo-header (RFC 768) or IPv6 pseudo-header (RFC 8200 §8.1).
uint32_t pseudo_sum(const conf::Ip& src, const conf::Ip& dst, size_t len)
{
    size_t n = addr_len(src.family);
    uint32_t acc = sum16({src.bytes.data(), n}, 0);
    acc = sum16({dst.bytes.data(), n}, acc);
    return acc + uint32_t(len >> 16) + uint32_t(len & 0xffff) + ipproto_vrrp;
}

// Checksum of a VRRP message (checksum field included: 0 when verifying a good one).
uint16_t vrrp_checksum(std::span<const uint8_t> msg, uint8_t version, const conf::Ip& src, const conf::Ip& dst)
{
    // RFC 3768 §5.3.8: v2 covers the VRRP message only. RFC 5798 §5.2.8: v3 adds the pseudo-header.
    uint32_t acc = version == 2 ? 0 : pseudo_sum(src, dst, msg.size());
    return fold(sum16(msg, acc));
}

}  // namespace

conf::Ip default_group(uint8_t family)
{
    conf::Ip ip;
    ip.family = family;
    if (family == AF_INET) {
        ip.bytes[0] = 224;
        ip.bytes[3] = 18;
    } else {
        ip.bytes[0] = 0xff;
        ip.bytes[1] = 0x02;
        ip.bytes[15] = 0x12;
    }
    return ip;
}

size_t message_len(const Advert& a, uint8_t family) noexcept
{
    if (family != AF_INET && family != AF_INET6) {
        return 0;
    }
    if (a.addrs.size() > 255) {
        return 0;
    }
    if (a.version == 2) {
        // RFC 3768 is IPv4 only; keepalived's v2-over-IPv6 variant (no auth field) is not supported.
        if (family != AF_INET || a.auth == conf::AuthType::ah || a.interval_cs / 100 > 255) {
            return 0;
        }
        return fixed_len + a.addrs.size() * 4 + auth_len;
    }
    if (a.version == 3) {
        if (a.interval_cs > max_interval_v3_cs) {
            return 0;
        }
        return fixed_len + a.addrs.size() * addr_len(family);
    }
    return 0;
}

size_t encode(const Advert& a, const conf::Ip& src, const conf::Ip& dst, std::span<uint8_t> out) noexcept
{
    uint8_t family = src.family;
    size_t len = message_len(a, family);
    if (len == 0 || len > out.size() || dst.family != family) {
        return 0;
    }
    for (const auto& ip : a.addrs) {
        if (ip.family != family) {
            return 0;
        }
    }
    VrrpHeader h{};
    h.vers_type = uint8_t(a.version << 4 | type_advertisement);
    h.vrid = a.vrid;
    h.priority = a.priority;
    h.count = uint8_t(a.addrs.size());
    if (a.version == 2) {
        h.word_hi = uint8_t(a.auth);                  // RFC 3768 §5.3.6: 0 none, 1 simple text
        h.word_lo = uint8_t(a.interval_cs / 100);     // RFC 3768 §5.3.7: seconds (keepalived truncates)
    } else {
        h.word_hi = uint8_t(a.interval_cs >> 8);      // RFC 5798 §5.2.6: rsvd = 0
        h.word_lo = uint8_t(a.interval_cs & 0xff);
    }
    std::memcpy(out.data(), &h, sizeof h);
    size_t off = fixed_len;
    size_t alen = addr_len(family);
    for (const auto& ip : a.addrs) {
        std::memcpy(out.data() + off, ip.bytes.data(), alen);
        off += alen;
    }
    if (a.version == 2) {
        // RFC 3768 §5.3.10 / RFC 2338 §5.3.10: the password, zero-padded; zero without auth.
        if (a.auth == conf::AuthType::pass) {
            std::memcpy(out.data() + off, a.auth_data.data(), auth_len);
        } else {
            std::memset(out.data() + off, 0, auth_len);
        }
        off += auth_len;
    }
    uint16_t c = wire::net16(vrrp_checksum(out.first(len), a.version, src, dst));
    std::memcpy(out.data() + offsetof(VrrpHeader, checksum_be), &c, sizeof c);
    return len;
}

size_t encode_ipv4(const Advert& a, const conf::Ip& src, const conf::Ip& dst, std::span<uint8_t> out,
                   uint16_t ip_id) noexcept
{
    if (src.family != AF_INET || out.size() < ipv4_header_len) {
        return 0;
    }
    size_t len = encode(a, src, dst, out.subspan(ipv4_header_len));
    if (len == 0) {
        return 0;
    }
    Ipv4Header ip{};
    ip.ver_ihl = 0x45;
    ip.tos = ipv4_tos;
    ip.tot_len_be = wire::net16(uint16_t(ipv4_header_len + len));
    ip.id_be = wire::net16(ip_id);
    ip.frag_off_be = 0;  // keepalived sets no DF
    ip.ttl = ip_ttl;
    ip.protocol = ipproto_vrrp;
    std::copy_n(src.bytes.begin(), 4, ip.saddr.begin());
    std::copy_n(dst.bytes.begin(), 4, ip.daddr.begin());
    std::memcpy(out.data(), &ip, sizeof ip);
    uint16_t c = wire::net16(fold(sum16(out.first(ipv4_header_len), 0)));
    std::memcpy(out.data() + offsetof(Ipv4Header, check_be), &c, sizeof c);
    return ipv4_header_len + len;
}

Drop decode(std::span<const uint8_t> msg, const conf::Ip& src, const conf::Ip& dst, uint8_t ttl,
            Received& out) noexcept
{
    out.src = src;
    out.dst = dst;
    out.ttl = ttl;
    out.old_unicast_checksum = false;
    // RFC 5798 §7.1: MUST verify that the received packet contains the complete VRRP packet
    // (including fixed fields, IPvX address(es)); the fixed part first.
    if (msg.size() < fixed_len) {
        return Drop::truncated;
    }
    VrrpHeader h;
    std::memcpy(&h, msg.data(), sizeof h);
    // RFC 5798 §7.1 / RFC 3768 §7.1: MUST verify the VRRP version; RFC 3768 is IPv4 only.
    if (h.version() != 3 && !(h.version() == 2 && src.family == AF_INET)) {
        return Drop::bad_version;
    }
    // RFC 5798 §5.2.2: only ADVERTISEMENT (1) is defined; others are discarded.
    if (h.type() != type_advertisement) {
        return Drop::bad_type;
    }
    // RFC 5798 §7.1: the complete packet, no more and no less, as keepalived requires
    // ("vrrp packet too long/short"): count addresses, plus v2's auth data (RFC 3768 §5.3.10).
    size_t alen = addr_len(src.family);
    size_t expected = fixed_len + h.count * alen + (h.version() == 2 ? auth_len : 0);
    if (msg.size() != expected) {
        return Drop::length_mismatch;
    }
    // RFC 3768 §7.1 / RFC 5798 §7.1: MUST verify the VRRP checksum.
    if (vrrp_checksum(msg, h.version(), src, dst) != 0) {
        // keepalived 2.2.7 also accepts a unicast v3 advert summed over the multicast group
        // (unicast_chksum_compat); it uses its vrrp_mcast_group4, 224.0.0.18 unless configured.
        if (h.version() != 3 || src.family != AF_INET || is_multicast(dst) ||
            vrrp_checksum(msg, 3, src, default_group(AF_INET)) != 0) {
            return Drop::bad_checksum;
        }
        out.old_unicast_checksum = true;
    }
    Advert& a = out.advert;
    a.version = h.version();
    a.vrid = h.vrid;
    a.priority = h.priority;  // 0 is valid: the master is leaving (RFC 5798 §6.4.3)
    a.auth = conf::AuthType::none;
    a.auth_data = {};
    if (h.version() == 2) {
        // RFC 3768 §5.3.6: 0 no authentication; 1 (simple text password, RFC 2338 §5.3.6.1) kept by
        // keepalived; 2 (IP AH) arrives as protocol 51 and is not implemented here.
        if (h.word_hi == 1) {
            a.auth = conf::AuthType::pass;
            std::memcpy(a.auth_data.data(), msg.data() + expected - auth_len, auth_len);
        } else if (h.word_hi != 0) {
            return Drop::bad_auth_type;
        }
        a.interval_cs = uint16_t(h.word_lo * 100);  // RFC 3768 §5.3.7: seconds
    } else {
        a.interval_cs = h.v3_interval_cs();  // RFC 5798 §5.2.7: centiseconds; rsvd ignored (§5.2.6)
    }
    a.addrs.resize(h.count);
    for (size_t i = 0; i < h.count; ++i) {
        conf::Ip& ip = a.addrs[i];
        ip = conf::Ip{};
        ip.family = src.family;
        std::memcpy(ip.bytes.data(), msg.data() + fixed_len + i * alen, alen);
    }
    return Drop::none;
}

Drop decode_ipv4(std::span<const uint8_t> packet, Received& out) noexcept
{
    // RFC 791 §3.1: a whole IPv4 header before anything is read.
    if (packet.size() < ipv4_header_len) {
        return Drop::truncated;
    }
    Ipv4Header ip;
    std::memcpy(&ip, packet.data(), sizeof ip);
    if (ip.version() != 4) {
        return Drop::bad_ip_version;
    }
    size_t ihl = ip.header_len();
    if (ihl < ipv4_header_len || ihl > packet.size()) {
        return Drop::bad_ip_header_len;
    }
    // keepalived: "ip_tot_len mismatch against received length" (a raw socket hands over the datagram
    // alone; a dataplane trims Ethernet padding to tot_len before calling).
    if (ip.tot_len() != packet.size()) {
        return Drop::ip_len_mismatch;
    }
    // A raw socket only sees reassembled datagrams; a dataplane must not treat a fragment as an advert.
    if (ip.more_fragments() || ip.fragment_offset() != 0) {
        return Drop::ip_fragment;
    }
    // RFC 791 §3.1 header checksum (the kernel verified it for a raw socket, a dataplane has not).
    if (fold(sum16(packet.first(ihl), 0)) != 0) {
        return Drop::bad_ip_checksum;
    }
    // RFC 5798 §5.1.1.3: protocol 112. AH (51) is keepalived's v2 auth_type AH: not implemented.
    if (ip.protocol != ipproto_vrrp) {
        return Drop::bad_protocol;
    }
    return decode(packet.subspan(ihl), ipv4(ip.saddr), ipv4(ip.daddr), ip.ttl, out);
}

Drop check(const Received& r, const Expect& e) noexcept
{
    const Advert& a = r.advert;
    bool unicast = !e.unicast_peers.empty();
    // RFC 5798 §7.1 / RFC 3768 §7.1: MUST verify that the IPv4 TTL / IPv6 Hop Limit is 255.
    // keepalived skips it in unicast mode (peers may be routed); here it is checked after the peer
    // is found, for the peers known to be on-link.
    if (!unicast && r.ttl != ip_ttl) {
        return Drop::bad_ttl;
    }
    // RFC 5798 §7.1 / RFC 3768 §7.1: MUST verify the VRRP version (against the instance's).
    if (a.version != e.version) {
        return Drop::version_mismatch;
    }
    if (a.version == 2) {
        // RFC 3768 §7.1 (RFC 2338 §7.1): MUST perform the authentication specified by Auth Type;
        // keepalived drops a type differing from its own ("received a %d auth, expecting %d!").
        if (a.auth != e.auth) {
            return Drop::auth_type_mismatch;
        }
        if (a.auth == conf::AuthType::pass) {
            uint8_t diff = 0;  // constant time, as keepalived's memcmp_constant_time
            for (size_t i = 0; i < a.auth_data.size(); ++i) {
                diff |= uint8_t(a.auth_data[i] ^ e.auth_data[i]);
            }
            if (diff != 0) {
                return Drop::auth_failure;
            }
        }
        // RFC 3768 §7.1: MUST verify that the Adver Interval matches the locally configured one.
        if (a.interval_cs != e.interval_cs) {
            return Drop::interval_mismatch;
        }
    }
    // RFC 5798 §7.1 / RFC 3768 §7.1: MUST verify that the VRID is configured on the interface
    // (the caller routes by VRID; this catches a mis-route).
    if (a.vrid != e.vrid) {
        return Drop::vrid_mismatch;
    }
    // RFC 5798 §5.1.1.2: sent to the group; keepalived also requires multicast iff no unicast peers.
    if (unicast) {
        if (is_multicast(r.dst)) {
            return Drop::multicast_in_unicast;
        }
    } else {
        if (!is_multicast(r.dst)) {
            return Drop::not_multicast;
        }
        if (e.mcast_group.family != 0 && r.dst != e.mcast_group) {
            return Drop::wrong_group;
        }
    }
    // RFC 5798 §7.1 / RFC 3768 §7.1: MAY verify that the IP address(es) associated with the VRID are
    // valid. keepalived 2.2.7 drops on any difference: count first ("received an unexpected ip
    // number count"), then each of its VIPs must appear, in any order ("not present in MASTER advert").
    if (e.check_addrs) {
        if (a.addrs.size() != e.addrs.size()) {
            return Drop::addr_count_mismatch;
        }
        for (const auto& vip : e.addrs) {
            if (std::find(a.addrs.begin(), a.addrs.end(), vip) == a.addrs.end()) {
                return Drop::addr_missing;
            }
        }
    }
    // keepalived extension (unicast_peer): "unicast source address %s not a unicast peer".
    if (unicast && e.check_unicast_src) {
        const int peer = peer_index(e, r.src);
        if (peer < 0) {
            return Drop::src_not_peer;
        }
        // keepalived then checks the peer's min_ttl..max_ttl (0..255 unless configured). A peer once
        // heard at 255 is on-link: every router on a path decrements the TTL, so anything less is
        // someone else routing packets with its address (RFC 5798 §7.1's reason for the check).
        if (size_t(peer) < e.peer_on_link.size() && e.peer_on_link[size_t(peer)] != 0 && r.ttl != ip_ttl) {
            return Drop::bad_ttl;
        }
    }
    // RFC 5798 §7.1 / RFC 3768 §7.1 (with the VRID): "and the local router is not the IPvX address
    // owner (Priority = 255 (decimal))". Checked last, so that this counter holds only valid adverts:
    // the owner stays MASTER whatever it hears (keepalived 2.2.7 instead steps down to an equal 255
    // from a higher address, and lowers itself to 254 on a second owner).
    if (e.owner) {
        return Drop::address_owner;
    }
    return Drop::none;
}

int peer_index(const Expect& e, const conf::Ip& src) noexcept
{
    auto it = std::find(e.unicast_peers.begin(), e.unicast_peers.end(), src);
    return it == e.unicast_peers.end() ? -1 : int(it - e.unicast_peers.begin());
}

std::string_view to_string(Drop d) noexcept
{
    switch (d) {
    case Drop::none: return "none";
    case Drop::truncated: return "truncated";
    case Drop::bad_ip_version: return "bad_ip_version";
    case Drop::bad_ip_header_len: return "bad_ip_header_len";
    case Drop::ip_len_mismatch: return "ip_len_mismatch";
    case Drop::ip_fragment: return "ip_fragment";
    case Drop::bad_ip_checksum: return "bad_ip_checksum";
    case Drop::bad_protocol: return "bad_protocol";
    case Drop::bad_version: return "bad_version";
    case Drop::bad_type: return "bad_type";
    case Drop::length_mismatch: return "length_mismatch";
    case Drop::bad_checksum: return "bad_checksum";
    case Drop::bad_auth_type: return "bad_auth_type";
    case Drop::bad_ttl: return "bad_ttl";
    case Drop::version_mismatch: return "version_mismatch";
    case Drop::vrid_mismatch: return "vrid_mismatch";
    case Drop::address_owner: return "address_owner";
    case Drop::auth_type_mismatch: return "auth_type_mismatch";
    case Drop::auth_failure: return "auth_failure";
    case Drop::interval_mismatch: return "interval_mismatch";
    case Drop::not_multicast: return "not_multicast";
    case Drop::wrong_group: return "wrong_group";
    case Drop::multicast_in_unicast: return "multicast_in_unicast";
    case Drop::src_not_peer: return "src_not_peer";
    case Drop::addr_count_mismatch: return "addr_count_mismatch";
    case Drop::addr_missing: return "addr_missing";
    case Drop::count_: break;
    }
    return "unknown";
}

void Counters::count(Drop d) noexcept
{
    if (d == Drop::none) {
        ++accepted;
    } else if (d < Drop::count_) {
        ++drops[size_t(d)];
    }
}

}  // namespace vrrp

// What is dropped before any service sees it: malformed IPv4 (RFC 791 §3.1, RFC 1122 §3.2.1.2), a
// later fragment with no first to follow (fixtures_frag.cc has the rest), martian sources (RFC 1812
// §5.3.7: they make no flow, and get no ICMP), source routes and options whose lengths do not add up;
// VRRP that cannot be for this node (RFC 5798 §7.1).
#include "tests/golden/fixtures.h"
#include "tests/golden/frames.h"

#include <string>
#include <tuple>
#include <utility>

namespace golden {

std::vector<Fixture> drops_fixtures()
{
    using namespace frames;
    std::vector<Fixture> f;

    const std::tuple<uint32_t, const char*, const char*> martians[] = {
        {ip(0, 0, 0, 0), "zero", "0.0.0.0 (0/8)"},
        {ip(127, 0, 0, 1), "loopback", "127.0.0.1 (loopback)"},
        {ip(224, 0, 0, 5), "multicast", "224.0.0.5 (multicast)"},
        {ip(255, 255, 255, 255), "broadcast", "255.255.255.255 (limited broadcast)"},
        {vip, "vip", "the VIP itself"},
        {vip_backup, "other_vip", "another VIP of the node"},
        {node_ip, "node", "the node's own address"},
    };
    for (const auto& [src, name, what] : martians) {
        f.push_back(one(std::string("drops_martian_") + name,
                        drop(std::string("SYN to :80 from ") + what + ": martian source, no flow",
                             syn_in({.src = src, .dst = vip, .proto = 6}, 40020), Reason::martian_source)));
    }

    // A SYN to :80 whose IPv4 header alone is wrong: a martian with TTL 1, IP options (RFC 791 §3.1:
    // source routing and broken options are not forwarded), a bad version or IHL, a fragment.
    struct BadHeader {
        const char* name;
        const char* what;
        Ip4 header;
        uint16_t sport;
        Reason reason;
    };
    const BadHeader headers[] = {
        {"drops_martian_ttl_1", "TTL 1 from 127.0.0.1: a martian source gets no ICMP",
         {.src = ip(127, 0, 0, 1), .dst = vip, .proto = 6, .ttl = 1}, 40003, Reason::martian_source},
        {"drops_lsrr", "SYN with loose source routing (LSRR via 192.0.2.1): dropped",
         {.src = client, .dst = vip, .proto = 6, .ihl = 7, .options = {131, 7, 4, 192, 0, 2, 1, 1}}, 40031,
         Reason::ip_source_route},
        {"drops_ssrr", "SYN with strict source routing (SSRR, after a NOP): dropped",
         {.src = client, .dst = vip, .proto = 6, .ihl = 7, .options = {1, 137, 7, 4, 192, 0, 2, 1}}, 40032,
         Reason::ip_source_route},
        {"drops_ip_option_too_long", "SYN with an option longer than the header (timestamp, length 40 in 4 bytes): dropped",
         {.src = client, .dst = vip, .proto = 6, .ihl = 6, .options = {68, 40, 5, 0}}, 40033, Reason::ip_bad_options},
        {"drops_ip_version_6", "IPv4 version field 6", {.src = client, .dst = vip, .proto = 6, .version = 6}, 40005,
         Reason::ip_bad_version},
        {"drops_ip_ihl_4", "IPv4 IHL 4", {.src = client, .dst = vip, .proto = 6, .ihl = 4}, 40005, Reason::ip_bad_ihl},
    };
    for (const BadHeader& h : headers) {
        f.push_back(one(h.name, drop(h.what, syn_in(h.header, h.sport), h.reason)));
    }

    // VRRP that cannot be for this node's control (RFC 5798 §7.1), dropped before it reaches the
    // control ring (or, on XDP, the kernel's VRRP socket): a flood of it costs no advert of ours.
    const auto vrrp = [&](uint32_t dst, uint8_t ttl, Bytes payload) {
        return eth(dst == node_ip ? port_mac : vrrp_mcast, peer_mac, 0x0800,
                   ipv4({.src = peer_ip, .dst = dst, .proto = 112, .ttl = ttl}, std::move(payload)));
    };
    f.push_back(one("drops_vrrp_truncated", drop("VRRP of 4 bytes (the fixed header is 8)",
                                                 vrrp(ip(224, 0, 0, 18), 255, Bytes{0x21, 51, 100, 1}),
                                                 Reason::vrrp_truncated)));
    f.push_back(one("drops_vrrp_bad_ttl",
                    drop("VRRP advert for VRID 51 to 224.0.0.18 with TTL 254: it crossed a router",
                         vrrp(ip(224, 0, 0, 18), 254, Bytes{0x21, 51, 100, 1, 0, 1, 0, 0, 10, 0, 0, 100}),
                         Reason::vrrp_bad_ttl)));
    f.push_back(one("drops_vrrp_foreign_vrid",
                    drop("VRRP advert for VRID 60, which no instance of the node has: another cluster's",
                         vrrp(ip(224, 0, 0, 18), 255, Bytes{0x21, 60, 100, 1, 0, 1, 0, 0, 10, 0, 0, 60}),
                         Reason::vrrp_foreign_vrid)));

    // Malformed IPv4.
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40005, 80, syn);
        p[14 + 10] ^= 0x01;
        f.push_back(one("drops_ip_bad_checksum", drop("bad IPv4 header checksum", p, Reason::ip_bad_checksum)));
    }
    f.push_back(one("drops_eth_truncated", drop("Ethernet header cut short (10 bytes)", Bytes(10, 0xab), Reason::eth_truncated)));
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40005, 80, syn);
        p.resize(14 + 19);
        f.push_back(one("drops_ip_header_truncated", drop("IPv4 header cut short", p, Reason::ip_truncated)));
    }
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40005, 80, syn);
        p.resize(p.size() - 4);
        f.push_back(one("drops_ip_shorter_than_total_length",
                        drop("frame shorter than the IPv4 total length", p, Reason::ip_truncated)));
    }
    f.push_back(one("drops_tcp_truncated",
                    drop("TCP header cut short (total length covers 12 bytes of it)",
                         eth(port_mac, client_mac, 0x0800,
                             ipv4({.src = client, .dst = vip, .proto = 6}, Bytes{0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0})),
                         Reason::l4_truncated)));
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40005, 80, syn);
        // total length 16 < IHL×4 = 20; fix the checksum so only the length is wrong.
        p[14 + 2] = 0;
        p[14 + 3] = 16;
        p[14 + 10] = 0;
        p[14 + 11] = 0;
        uint32_t s = 0;
        for (size_t i = 14; i < 34; i += 2) {
            s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
        }
        while ((s >> 16) != 0) {
            s = (s & 0xffff) + (s >> 16);
        }
        p[14 + 10] = static_cast<uint8_t>(~s >> 8);
        p[14 + 11] = static_cast<uint8_t>(~s);
        f.push_back(
            one("drops_ip_length_under_header", drop("IPv4 total length shorter than its header", p, Reason::ip_bad_length)));
    }
    f.push_back(one("drops_later_fragment",
                    drop("a later fragment (offset 185) to a DR service, its first never seen: nothing to follow",
                         eth(port_mac, client_mac, 0x0800,
                             ipv4({.src = client, .dst = vip, .proto = 6, .frag = 185}, Bytes(16, 0x55))),
                         Reason::ip_fragment)));
    return f;
}

}  // namespace golden

// The VRRP codec against real keepalived 2.2.7 adverts, hand-computed checksums, and one fixture per
// Drop reason.
#include "control/vrrp/packet.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <functional>
#include <set>
#include <string>

namespace {

using conf::AuthType;
using Bytes = std::vector<uint8_t>;

conf::Ip ip(std::string_view s)
{
    auto v = conf::Ip::parse(s);
    EXPECT_TRUE(v.has_value()) << s;
    return v.value_or(conf::Ip{});
}

std::array<uint8_t, 8> pw(std::string_view s)
{
    std::array<uint8_t, 8> a{};
    for (size_t i = 0; i < s.size() && i < a.size(); ++i) {
        a[i] = uint8_t(s[i]);
    }
    return a;
}

std::string hex(std::span<const uint8_t> b)
{
    static const char* d = "0123456789abcdef";
    std::string s;
    for (uint8_t c : b) {
        s += d[c >> 4];
        s += d[c & 15];
    }
    return s;
}

// Captured with tshark in a namespace from /usr/sbin/keepalived 2.2.7 (Debian 12), Ethernet header cut:
// state MASTER, interface eth0 (10.9.9.1/24), priority 100, VIP 10.9.9.100.
// v2: virtual_router_id 51, advert_int 1, auth PASS "secret"; first advert (ip_id 1).
const Bytes ka_v2 = {
    0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xc7, 0x88, 0x0a, 0x09, 0x09, 0x01,
    0xe0, 0x00, 0x00, 0x12, 0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0x2a, 0x11, 0x0a, 0x09, 0x09, 0x64,
    0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x00, 0x00};
// v3 (vrrp_version 3): virtual_router_id 51, advert_int 0.5.
const Bytes ka_v3 = {
    0x45, 0xc0, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xc7, 0x90, 0x0a, 0x09, 0x09, 0x01,
    0xe0, 0x00, 0x00, 0x12, 0x31, 0x33, 0x64, 0x01, 0x00, 0x32, 0x63, 0x93, 0x0a, 0x09, 0x09, 0x64};
// v3 unicast: virtual_router_id 52, priority 200, advert_int 1, unicast_src_ip 10.9.9.1, unicast_peer
// 10.9.9.2, VIPs 10.9.9.100 and 10.9.9.101. Checksummed over the real (unicast) destination.
const Bytes ka_u3 = {
    0x45, 0xc0, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x94, 0x94, 0x0a, 0x09, 0x09, 0x01,
    0x0a, 0x09, 0x09, 0x02, 0x31, 0x34, 0xc8, 0x02, 0x00, 0x64, 0xb8, 0xf4, 0x0a, 0x09, 0x09, 0x64,
    0x0a, 0x09, 0x09, 0x65};
// The same instance stopping (SIGTERM): priority 0, third packet (ip_id 3).
const Bytes ka_u3_prio0 = {
    0x45, 0xc0, 0x00, 0x24, 0x00, 0x03, 0x00, 0x00, 0xff, 0x70, 0x94, 0x92, 0x0a, 0x09, 0x09, 0x01,
    0x0a, 0x09, 0x09, 0x02, 0x31, 0x34, 0x00, 0x02, 0x00, 0x64, 0x80, 0xf5, 0x0a, 0x09, 0x09, 0x64,
    0x0a, 0x09, 0x09, 0x65};
// IPv6 (native_ipv6, VRRPv3): virtual_router_id 53, priority 150, advert_int 1, VIP fd00:9::100, sent
// from fe80::78c1:14ff:fe0c:aaab to ff02::12, hop limit 255. The VRRP message alone.
const Bytes ka_v6 = {
    0x31, 0x35, 0x96, 0x01, 0x00, 0x64, 0x05, 0xc4, 0xfd, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};

// An independent Internet checksum (RFC 1071) for the fixtures.
uint16_t csum(std::span<const uint8_t> b, uint32_t acc = 0)
{
    for (size_t i = 0; i < b.size(); i += 2) {
        acc += uint32_t(b[i] << 8) | (i + 1 < b.size() ? b[i + 1] : 0);
    }
    while (acc >> 16) {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    return uint16_t(~acc);
}

void put16(Bytes& p, size_t at, uint16_t v)
{
    p[at] = uint8_t(v >> 8);
    p[at + 1] = uint8_t(v);
}

// Re-seal an IPv4 advert after a mutation: total length, IP checksum, VRRP checksum (v2 or v3 rule).
void reseal(Bytes& p)
{
    size_t ihl = size_t(p[0] & 15) * 4;
    put16(p, 2, uint16_t(p.size()));
    put16(p, 10, 0);
    put16(p, 10, csum({p.data(), ihl}));
    if (p.size() < ihl + 8) {
        return;
    }
    std::span<uint8_t> m(p.data() + ihl, p.size() - ihl);
    put16(p, ihl + 6, 0);
    uint32_t acc = 0;
    if ((m[0] >> 4) != 2) {
        for (size_t i = 12; i < 20; i += 2) {
            acc += uint32_t(p[i] << 8 | p[i + 1]);
        }
        acc += 112 + uint32_t(m.size());
    }
    put16(p, ihl + 6, csum(m, acc));
}

vrrp::Expect expect_v2()
{
    return {.version = 2, .vrid = 51, .auth = AuthType::pass, .auth_data = pw("secret"), .interval_cs = 100,
            .addrs = {ip("10.9.9.100")}, .mcast_group = ip("224.0.0.18")};
}

vrrp::Expect expect_v3()
{
    return {.version = 3, .vrid = 51, .interval_cs = 50, .addrs = {ip("10.9.9.100")},
            .mcast_group = ip("224.0.0.18")};
}

vrrp::Expect expect_u3()
{
    return {.version = 3, .vrid = 52, .interval_cs = 100, .addrs = {ip("10.9.9.100"), ip("10.9.9.101")},
            .unicast_peers = {ip("10.9.9.1")}};
}

// A capture that must decode clean.
vrrp::Received decoded(std::span<const uint8_t> p)
{
    vrrp::Received r;
    EXPECT_EQ(vrrp::decode_ipv4(p, r), vrrp::Drop::none);
    return r;
}

// ---- keepalived's own adverts: vipd decodes them, and encodes the same fields to the same bytes.

// Decodes keepalived's capture `p`, which must pass what instance `e` expects, and encodes its fields
// back, numbered `ip_id` as keepalived numbered them: the same bytes must come out.
vrrp::Received golden(std::span<const uint8_t> p, const vrrp::Expect& e, uint16_t ip_id)
{
    vrrp::Received r = decoded(p);
    EXPECT_EQ(vrrp::check(r, e), vrrp::Drop::none);
    std::array<uint8_t, 64> out{};
    size_t n = vrrp::encode_ipv4(r.advert, r.src, r.dst, out, ip_id);
    EXPECT_EQ(hex({out.data(), n}), hex(p));
    return r;
}

TEST(VrrpGolden, KeepalivedV2PassAdvert)
{
    vrrp::Received r = golden(ka_v2, expect_v2(), 1);
    EXPECT_EQ(r.advert, (vrrp::Advert{.version = 2, .vrid = 51, .priority = 100, .interval_cs = 100,
                                      .auth = AuthType::pass, .auth_data = pw("secret"),
                                      .addrs = {ip("10.9.9.100")}}));
    EXPECT_EQ(r.src, ip("10.9.9.1"));
    EXPECT_EQ(r.dst, ip("224.0.0.18"));
    EXPECT_EQ(r.ttl, 255);
    // encode() is the same bytes without the IP header.
    std::array<uint8_t, 64> out{};
    size_t n = vrrp::encode(r.advert, r.src, r.dst, out);
    EXPECT_EQ(hex({out.data(), n}), hex(std::span(ka_v2).subspan(20)));
}

TEST(VrrpGolden, KeepalivedV3MulticastAdvertHalfSecond)
{
    vrrp::Received r = golden(ka_v3, expect_v3(), 1);
    EXPECT_EQ(r.advert, (vrrp::Advert{.version = 3, .vrid = 51, .priority = 100, .interval_cs = 50,
                                      .addrs = {ip("10.9.9.100")}}));
    EXPECT_FALSE(r.old_unicast_checksum);
}

TEST(VrrpGolden, KeepalivedV3UnicastAdvertSumsTheRealDestination)
{
    vrrp::Received r = golden(ka_u3, expect_u3(), 1);
    EXPECT_EQ(r.advert, (vrrp::Advert{.version = 3, .vrid = 52, .priority = 200, .interval_cs = 100,
                                      .addrs = {ip("10.9.9.100"), ip("10.9.9.101")}}));
    EXPECT_FALSE(r.old_unicast_checksum);
    EXPECT_EQ(r.dst, ip("10.9.9.2"));
}

TEST(VrrpGolden, KeepalivedPriorityZeroOnShutdownIsAccepted)
{
    EXPECT_EQ(golden(ka_u3_prio0, expect_u3(), 3).advert.priority, 0);
}

TEST(VrrpGolden, KeepalivedIpv6Advert)
{
    conf::Ip src = ip("fe80::78c1:14ff:fe0c:aaab");
    conf::Ip dst = ip("ff02::12");
    vrrp::Received r;
    ASSERT_EQ(vrrp::decode(ka_v6, src, dst, 255, r), vrrp::Drop::none);
    EXPECT_EQ(r.advert.version, 3);
    EXPECT_EQ(r.advert.vrid, 53);
    EXPECT_EQ(r.advert.priority, 150);
    EXPECT_EQ(r.advert.interval_cs, 100);
    EXPECT_EQ(r.advert.addrs, std::vector<conf::Ip>{ip("fd00:9::100")});
    vrrp::Expect e{.version = 3, .vrid = 53, .addrs = {ip("fd00:9::100")}, .mcast_group = ip("ff02::12")};
    EXPECT_EQ(vrrp::check(r, e), vrrp::Drop::none);

    std::array<uint8_t, 64> out{};
    size_t n = vrrp::encode(r.advert, src, dst, out);
    EXPECT_EQ(hex({out.data(), n}), hex(ka_v6));
}

// ---- checksums computed by hand, word by word.

// The checksum field of `a` encoded between `src` and `dst`; the message must be `len` bytes.
unsigned checksum_of(const vrrp::Advert& a, std::string_view src, std::string_view dst, size_t len)
{
    std::array<uint8_t, 32> out{};
    EXPECT_EQ(vrrp::encode(a, ip(src), ip(dst), out), len);
    return unsigned(out[6] << 8 | out[7]);
}

TEST(VrrpChecksum, V2CoversTheMessageOnly)
{
    // 2101 + ff02 + 0003 + c0a8 + 010a + c0a8 + 010b (+ 0000 checksum, 4 x 0000 auth) = 0x2a36b;
    // fold: a36b + 2 = a36d; one's complement: 5c92.
    vrrp::Advert a{.version = 2, .vrid = 1, .priority = 255, .interval_cs = 300,
                   .addrs = {ip("192.168.1.10"), ip("192.168.1.11")}};
    EXPECT_EQ(checksum_of(a, "192.168.1.2", "224.0.0.18", 24), 0x5c92u);
    // The v2 checksum does not depend on the IP addresses.
    EXPECT_EQ(checksum_of(a, "192.168.1.7", "192.168.1.9", 24), 0x5c92u);
}

TEST(VrrpChecksum, V3CoversThePseudoHeaderWithTheRealDestination)
{
    // Pseudo-header c0a8 + 0102 + e000 + 0012 + 0070 (proto) + 000c (length 12)
    // message     3107 + 6401 + 0064 + c0a8 + 010a               = 0x2f956; fold f958; ~ = 06a7.
    vrrp::Advert a{.version = 3, .vrid = 7, .priority = 100, .interval_cs = 100, .addrs = {ip("192.168.1.10")}};
    EXPECT_EQ(checksum_of(a, "192.168.1.2", "224.0.0.18", 12), 0x06a7u);
    // Unicast to 192.168.1.3: e000 + 0012 becomes c0a8 + 0103: 0x2daef; fold daf1; ~ = 250e.
    EXPECT_EQ(checksum_of(a, "192.168.1.2", "192.168.1.3", 12), 0x250eu);
}

TEST(VrrpChecksum, Ipv4HeaderChecksum)
{
    // 45c0 + 0028 + 0001 + 0000 + ff70 + 0a09 + 0901 + e000 + 0012 = 0x23875; fold 3877; ~ c788.
    vrrp::Advert a{.version = 2, .vrid = 51, .priority = 100, .interval_cs = 100, .auth = AuthType::pass,
                   .auth_data = pw("secret"), .addrs = {ip("10.9.9.100")}};
    std::array<uint8_t, 64> out{};
    ASSERT_EQ(vrrp::encode_ipv4(a, ip("10.9.9.1"), ip("224.0.0.18"), out, 1), 40u);
    EXPECT_EQ(out[10], 0xc7);
    EXPECT_EQ(out[11], 0x88);
}

// ---- round trips.

void round_trip(const vrrp::Advert& a, const conf::Ip& src, const conf::Ip& dst)
{
    std::array<uint8_t, 2048> out{};
    vrrp::Received r;
    if (src.is_v4()) {
        size_t n = vrrp::encode_ipv4(a, src, dst, out, 77);
        ASSERT_GT(n, 0u);
        ASSERT_EQ(vrrp::decode_ipv4({out.data(), n}, r), vrrp::Drop::none);
        EXPECT_EQ(r.ttl, 255);
    } else {
        size_t n = vrrp::encode(a, src, dst, out);
        ASSERT_GT(n, 0u);
        ASSERT_EQ(vrrp::decode({out.data(), n}, src, dst, 255, r), vrrp::Drop::none);
    }
    EXPECT_EQ(r.advert, a);
    EXPECT_EQ(r.src, src);
    EXPECT_EQ(r.dst, dst);
}

TEST(VrrpRoundTrip, V2)
{
    round_trip({.version = 2, .vrid = 1, .priority = 254, .interval_cs = 200}, ip("10.0.0.1"), ip("224.0.0.18"));
    round_trip({.version = 2, .vrid = 255, .priority = 0, .interval_cs = 25500, .auth = AuthType::pass,
                .auth_data = pw("12345678"), .addrs = {ip("10.0.0.5"), ip("10.0.0.6"), ip("10.0.0.7")}},
               ip("10.0.0.1"), ip("10.0.0.2"));
}

TEST(VrrpRoundTrip, V3)
{
    round_trip({.version = 3, .vrid = 9, .priority = 100, .interval_cs = 1, .addrs = {ip("10.1.1.1")}},
               ip("10.0.0.1"), ip("224.0.0.18"));
    vrrp::Advert many{.version = 3, .vrid = 10, .priority = 255, .interval_cs = 4095};
    for (int i = 0; i < 255; ++i) {
        many.addrs.push_back(ip("10.2." + std::to_string(i / 200) + "." + std::to_string(i % 200)));
    }
    round_trip(many, ip("10.0.0.1"), ip("10.0.0.3"));
    round_trip({.version = 3, .vrid = 11, .priority = 1, .interval_cs = 100, .addrs = {ip("2001:db8::1"), ip("2001:db8::2")}},
               ip("fe80::1"), ip("ff02::12"));
}

TEST(VrrpEncode, RefusesWhatCannotBeEncoded)
{
    std::array<uint8_t, 4096> out{};
    conf::Ip s = ip("10.0.0.1"), d = ip("224.0.0.18");
    vrrp::Advert a{.version = 3, .vrid = 1, .priority = 1, .interval_cs = 100, .addrs = {ip("10.0.0.9")}};
    // Every buffer short of the packet.
    for (size_t len = 0; len < 32; ++len) {
        EXPECT_EQ(vrrp::encode_ipv4(a, s, d, std::span(out).first(len)), 0u) << len;
    }
    EXPECT_EQ(vrrp::encode_ipv4(a, s, d, std::span(out).first(32)), 32u);
    for (size_t len = 0; len < 12; ++len) {
        EXPECT_EQ(vrrp::encode(a, s, d, std::span(out).first(len)), 0u) << len;
    }
    auto bad = a;
    bad.interval_cs = 4096;
    EXPECT_EQ(vrrp::encode(bad, s, d, out), 0u);
    bad = a;
    bad.version = 2;
    bad.interval_cs = 25600;
    EXPECT_EQ(vrrp::encode(bad, s, d, out), 0u);
    bad = a;
    bad.version = 2;
    EXPECT_EQ(vrrp::encode(bad, ip("fe80::1"), ip("ff02::12"), out), 0u);  // v2 is IPv4 only
    bad.auth = AuthType::ah;
    EXPECT_EQ(vrrp::encode(bad, s, d, out), 0u);
    bad = a;
    bad.addrs.push_back(ip("2001:db8::1"));
    EXPECT_EQ(vrrp::encode(bad, s, d, out), 0u);
    bad = a;
    bad.addrs.assign(256, ip("10.0.0.9"));
    EXPECT_EQ(vrrp::encode(bad, s, d, out), 0u);
    bad = a;
    bad.version = 4;
    EXPECT_EQ(vrrp::encode(bad, s, d, out), 0u);
    EXPECT_EQ(vrrp::encode(a, s, ip("ff02::12"), out), 0u);
}

// ---- the receive path: every prefix of a real advert is refused.

TEST(VrrpDecode, TruncatedAtEveryLength)
{
    for (const Bytes* golden : {&ka_v2, &ka_v3, &ka_u3}) {
        for (size_t len = 0; len < golden->size(); ++len) {
            Bytes p(golden->begin(), golden->begin() + long(len));
            vrrp::Received r;
            vrrp::Drop d = vrrp::decode_ipv4(p, r);
            EXPECT_EQ(d, len < 20 ? vrrp::Drop::truncated : vrrp::Drop::ip_len_mismatch) << len;
            if (len >= 20) {
                // Even with the IP total length and checksums fixed up, the VRRP part is refused.
                reseal(p);
                d = vrrp::decode_ipv4(p, r);
                EXPECT_EQ(d, len < 28 ? vrrp::Drop::truncated : vrrp::Drop::length_mismatch) << len;
            }
        }
    }
    for (size_t len = 0; len < ka_v6.size(); ++len) {
        vrrp::Received r;
        EXPECT_NE(vrrp::decode(std::span(ka_v6).first(len), ip("fe80::1"), ip("ff02::12"), 255, r), vrrp::Drop::none);
    }
}

// ---- one fixture per Drop reason: {description, base packet, mutation, expectation, verdict}.

struct Fixture {
    std::string what;
    const Bytes* base;
    std::function<void(Bytes&)> mutate;  // then resealed unless `raw`
    bool raw;
    std::function<void(vrrp::Expect&)> expect;  // null: the base's own expectation
    vrrp::Drop verdict;
};

vrrp::Expect expect_for(const Bytes* b)
{
    if (b == &ka_v2) {
        return expect_v2();
    }
    if (b == &ka_u3) {
        return expect_u3();
    }
    return expect_v3();
}

const std::vector<Fixture>& fixtures()
{
    using vrrp::Drop;
    static const std::vector<Fixture> f = {
        {"shorter than an IP header", &ka_v3, [](Bytes& p) { p.resize(19); }, true, nullptr, Drop::truncated},
        {"IP version 6 in an IPv4 socket", &ka_v3, [](Bytes& p) { p[0] = 0x65; }, false, nullptr, Drop::bad_ip_version},
        {"IHL 4", &ka_v3, [](Bytes& p) { p[0] = 0x44; }, true, nullptr, Drop::bad_ip_header_len},
        {"IHL past the end", &ka_v3, [](Bytes& p) { p[0] = 0x4f; }, true, nullptr, Drop::bad_ip_header_len},
        {"IP total length too long", &ka_v3, [](Bytes& p) { p[3] += 1; }, true, nullptr, Drop::ip_len_mismatch},
        {"trailing byte", &ka_v3, [](Bytes& p) { p.push_back(0); }, true, nullptr, Drop::ip_len_mismatch},
        {"more fragments", &ka_v3, [](Bytes& p) { p[6] = 0x20; }, false, nullptr, Drop::ip_fragment},
        {"fragment offset", &ka_v3, [](Bytes& p) { p[7] = 0x01; }, false, nullptr, Drop::ip_fragment},
        {"IP header checksum", &ka_v3, [](Bytes& p) { p[11] ^= 1; }, true, nullptr, Drop::bad_ip_checksum},
        {"AH (protocol 51)", &ka_v2, [](Bytes& p) { p[9] = 51; }, false, nullptr, Drop::bad_protocol},
        {"VRRP version 1", &ka_v3, [](Bytes& p) { p[20] = 0x11; }, false, nullptr, Drop::bad_version},
        {"VRRP version 4", &ka_v3, [](Bytes& p) { p[20] = 0x41; }, false, nullptr, Drop::bad_version},
        {"VRRP type 2", &ka_v3, [](Bytes& p) { p[20] = 0x32; }, false, nullptr, Drop::bad_type},
        {"VRRP type 0", &ka_v2, [](Bytes& p) { p[20] = 0x20; }, false, nullptr, Drop::bad_type},
        {"count says 2, one address", &ka_v3, [](Bytes& p) { p[23] = 2; }, false, nullptr, Drop::length_mismatch},
        {"count says 0, one address", &ka_v3, [](Bytes& p) { p[23] = 0; }, false, nullptr, Drop::length_mismatch},
        {"v2 without auth data", &ka_v2, [](Bytes& p) { p.resize(p.size() - 8); }, false, nullptr, Drop::length_mismatch},
        {"v3 checksum", &ka_v3, [](Bytes& p) { p[27] ^= 1; }, true, nullptr, Drop::bad_checksum},
        {"v2 checksum", &ka_v2, [](Bytes& p) { p[27] ^= 1; }, true, nullptr, Drop::bad_checksum},
        {"v2 password is checksummed", &ka_v2, [](Bytes& p) { p[33] ^= 1; }, true, nullptr, Drop::bad_checksum},
        {"v3 summed over another destination", &ka_v3, [](Bytes& p) { p[19] = 19; put16(p, 10, 0); put16(p, 10, csum({p.data(), 20})); }, true, nullptr, Drop::bad_checksum},
        {"v2 auth type AH in a VRRP packet", &ka_v2, [](Bytes& p) { p[24] = 2; }, false, nullptr, Drop::bad_auth_type},
        {"v2 auth type 3", &ka_v2, [](Bytes& p) { p[24] = 3; }, false, nullptr, Drop::bad_auth_type},
        {"TTL 254 (multicast)", &ka_v3, [](Bytes& p) { p[8] = 254; }, false, nullptr, Drop::bad_ttl},
        {"TTL 1 (multicast v2)", &ka_v2, [](Bytes& p) { p[8] = 1; }, false, nullptr, Drop::bad_ttl},
        {"TTL 254 from an on-link unicast peer", &ka_u3, [](Bytes& p) { p[8] = 254; }, false, [](vrrp::Expect& e) { e.peer_on_link = {1}; }, Drop::bad_ttl},
        {"v3 advert, v2 instance", &ka_v3, nullptr, false, [](vrrp::Expect& e) { e.version = 2; }, Drop::version_mismatch},
        {"v2 advert, v3 instance", &ka_v2, nullptr, false, [](vrrp::Expect& e) { e.version = 3; }, Drop::version_mismatch},
        {"unknown VRID", &ka_v3, [](Bytes& p) { p[21] = 52; }, false, nullptr, Drop::vrid_mismatch},
        {"unknown VRID (v2)", &ka_v2, nullptr, false, [](vrrp::Expect& e) { e.vrid = 50; }, Drop::vrid_mismatch},
        {"v2 no auth, instance PASS", &ka_v2, [](Bytes& p) { p[24] = 0; }, false, nullptr, Drop::auth_type_mismatch},
        {"v2 PASS, instance none", &ka_v2, nullptr, false, [](vrrp::Expect& e) { e.auth = AuthType::none; e.auth_data = {}; }, Drop::auth_type_mismatch},
        {"v2 wrong password", &ka_v2, nullptr, false, [](vrrp::Expect& e) { e.auth_data = pw("secreT"); }, Drop::auth_failure},
        {"v2 password with a trailing byte", &ka_v2, [](Bytes& p) { p[39] = 'x'; }, false, nullptr, Drop::auth_failure},
        {"v2 interval 2 s, instance 1 s", &ka_v2, [](Bytes& p) { p[25] = 2; }, false, nullptr, Drop::interval_mismatch},
        {"v2 interval 1 s, instance 1.5 s", &ka_v2, nullptr, false, [](vrrp::Expect& e) { e.interval_cs = 150; }, Drop::interval_mismatch},
        {"multicast instance, unicast destination", &ka_u3, nullptr, false, [](vrrp::Expect& e) { e.unicast_peers.clear(); }, Drop::not_multicast},
        {"multicast instance, another group", &ka_v3, nullptr, false, [](vrrp::Expect& e) { e.mcast_group = ip("224.0.0.19"); }, Drop::wrong_group},
        {"unicast instance, multicast destination", &ka_v3, nullptr, false, [](vrrp::Expect& e) { e.unicast_peers = {ip("10.9.9.1")}; }, Drop::multicast_in_unicast},
        {"unicast source not a peer", &ka_u3, nullptr, false, [](vrrp::Expect& e) { e.unicast_peers = {ip("10.9.9.3"), ip("10.9.9.4")}; }, Drop::src_not_peer},
        {"fewer VIPs than the instance", &ka_v3, nullptr, false, [](vrrp::Expect& e) { e.addrs.push_back(ip("10.9.9.101")); }, Drop::addr_count_mismatch},
        {"more VIPs than the instance", &ka_u3, nullptr, false, [](vrrp::Expect& e) { e.addrs.pop_back(); }, Drop::addr_count_mismatch},
        {"instance without VIPs", &ka_v3, nullptr, false, [](vrrp::Expect& e) { e.addrs.clear(); }, Drop::addr_count_mismatch},
        {"a VIP missing", &ka_v2, nullptr, false, [](vrrp::Expect& e) { e.addrs = {ip("10.9.9.99")}; }, Drop::addr_missing},
        {"a VIP listed twice, another missing", &ka_u3, [](Bytes& p) { p[35] = 0x64; }, false, nullptr, Drop::addr_missing},
        {"valid, but the instance is the address owner", &ka_v3, nullptr, false, [](vrrp::Expect& e) { e.owner = true; }, Drop::address_owner},
    };
    return f;
}

TEST(VrrpDrop, EveryFixture)
{
    vrrp::Counters c;
    for (const auto& f : fixtures()) {
        Bytes p = *f.base;
        if (f.mutate) {
            f.mutate(p);
        }
        if (!f.raw) {
            reseal(p);
        }
        vrrp::Expect e = expect_for(f.base);
        if (f.expect) {
            f.expect(e);
        }
        vrrp::Received r;
        vrrp::Drop d = vrrp::decode_ipv4(p, r);
        if (d == vrrp::Drop::none) {
            d = vrrp::check(r, e);
        }
        EXPECT_EQ(vrrp::to_string(d), vrrp::to_string(f.verdict)) << f.what << ": " << hex(p);
        c.count(d);
    }
    EXPECT_EQ(c.accepted, 0u);
    uint64_t total = 0;
    for (auto n : c.drops) {
        total += n;
    }
    EXPECT_EQ(total, fixtures().size());
}

TEST(VrrpDrop, EveryReasonHasAFixtureAndAName)
{
    std::set<vrrp::Drop> seen;
    for (const auto& f : fixtures()) {
        seen.insert(f.verdict);
    }
    std::set<std::string_view> names;
    for (size_t i = 1; i < size_t(vrrp::Drop::count_); ++i) {
        auto d = vrrp::Drop(i);
        EXPECT_TRUE(seen.contains(d)) << "no fixture for " << vrrp::to_string(d);
        EXPECT_NE(vrrp::to_string(d), "unknown");
        names.insert(vrrp::to_string(d));
    }
    EXPECT_EQ(names.size(), size_t(vrrp::Drop::count_) - 1);
    EXPECT_EQ(vrrp::to_string(vrrp::Drop::none), "none");
    EXPECT_EQ(vrrp::to_string(vrrp::Drop::count_), "unknown");
}

// ---- what keepalived 2.2.7 lets through.

TEST(VrrpCheck, UnicastModeAcceptsAnyTtl)
{
    // keepalived: "MUST verify that the IPv4 TTL/IPv6 HL is 255 (but not if unicast)"; here too, for a
    // peer not (yet) known to be on-link.
    Bytes p = ka_u3;
    p[8] = 62;
    reseal(p);
    vrrp::Received r = decoded(p);
    EXPECT_EQ(r.ttl, 62);
    EXPECT_EQ(vrrp::check(r, expect_u3()), vrrp::Drop::none);
}

// M8: a unicast peer known to be on-link (heard at TTL 255, Expect::peer_on_link) must keep sending
// 255; one not known so is accepted at any TTL, as keepalived accepts a routed peer.
TEST(VrrpCheck, OnLinkUnicastPeerMustSendTtl255)
{
    auto at_ttl = [](uint8_t ttl) {
        Bytes p = ka_u3;
        p[8] = ttl;
        reseal(p);
        vrrp::Received r;
        EXPECT_EQ(vrrp::decode_ipv4(p, r), vrrp::Drop::none);
        return r;
    };
    auto e = expect_u3();
    e.unicast_peers = {ip("10.9.9.7"), ip("10.9.9.1")};
    e.peer_on_link = {0, 0};
    EXPECT_EQ(vrrp::check(at_ttl(62), e), vrrp::Drop::none) << "a routed peer";
    e.peer_on_link = {0, 1};
    EXPECT_EQ(vrrp::check(at_ttl(255), e), vrrp::Drop::none);
    EXPECT_EQ(vrrp::check(at_ttl(254), e), vrrp::Drop::bad_ttl) << "one hop away: not the on-link peer";
    EXPECT_EQ(vrrp::check(at_ttl(1), e), vrrp::Drop::bad_ttl);
    e.peer_on_link = {1, 0};  // another peer on-link: this one still routed
    EXPECT_EQ(vrrp::check(at_ttl(62), e), vrrp::Drop::none);
    e.peer_on_link = {0, 1};
    e.unicast_peers = {ip("10.9.9.7")};  // a stranger stays src_not_peer whatever its TTL
    EXPECT_EQ(vrrp::check(at_ttl(62), e), vrrp::Drop::src_not_peer);
    EXPECT_EQ(vrrp::peer_index(expect_u3(), ip("10.9.9.1")), 0);
    EXPECT_EQ(vrrp::peer_index(expect_u3(), ip("10.9.9.2")), -1);
}

// L14: RFC 5798 §7.1 / RFC 3768 §7.1 "... and the local router is not the IPvX address owner".
TEST(VrrpCheck, AddressOwnerDiscardsEveryValidAdvert)
{
    vrrp::Received r = decoded(ka_u3_prio0);
    auto e = expect_u3();
    EXPECT_EQ(vrrp::check(r, e), vrrp::Drop::none);
    e.owner = true;
    EXPECT_EQ(vrrp::check(r, e), vrrp::Drop::address_owner);
    // What is wrong anyway is counted as that, not as the owner's discard.
    e.unicast_peers = {ip("10.9.9.3")};
    EXPECT_EQ(vrrp::check(r, e), vrrp::Drop::src_not_peer);
}

// What keepalived lets through, and its switches: the addresses in another order; any list with
// skip_check_adv_addr; any source without vrrp_check_unicast_src; any group where none is configured;
// a v3 interval other than ours (learned from the master, not checked).
TEST(VrrpCheck, WhatKeepalivedAndItsSwitchesLetThrough)
{
    const vrrp::Received u3 = decoded(ka_u3);
    auto e = expect_u3();
    std::swap(e.addrs[0], e.addrs[1]);
    EXPECT_EQ(vrrp::check(u3, e), vrrp::Drop::none) << "the addresses in another order";

    e = expect_u3();
    e.addrs = {ip("10.9.9.7")};
    EXPECT_EQ(vrrp::check(u3, e), vrrp::Drop::addr_count_mismatch);
    e.check_addrs = false;  // skip_check_adv_addr
    EXPECT_EQ(vrrp::check(u3, e), vrrp::Drop::none);

    e = expect_u3();
    e.unicast_peers = {ip("10.9.9.3")};
    EXPECT_EQ(vrrp::check(u3, e), vrrp::Drop::src_not_peer);
    e.check_unicast_src = false;  // keepalived without vrrp_check_unicast_src
    EXPECT_EQ(vrrp::check(u3, e), vrrp::Drop::none);

    const vrrp::Received v3 = decoded(ka_v3);
    e = expect_v3();
    e.mcast_group = {};
    EXPECT_EQ(vrrp::check(v3, e), vrrp::Drop::none) << "any group when none is given";
    e = expect_v3();
    e.interval_cs = 100;
    EXPECT_EQ(vrrp::check(v3, e), vrrp::Drop::none) << "the v3 interval is learned, not checked";
}

TEST(VrrpDecode, V3ReservedBitsAreIgnored)
{
    // RFC 5798 §5.2.6: rsvd MUST be zero on transmit, ignored on receipt.
    Bytes p = ka_v3;
    p[24] = 0xf0;
    reseal(p);
    vrrp::Received r = decoded(p);
    EXPECT_EQ(r.advert.interval_cs, 50);
}

TEST(VrrpDecode, IpOptionsAreSkipped)
{
    Bytes p = ka_v3;
    p.insert(p.begin() + 20, {0x94, 0x04, 0x00, 0x00});  // router alert
    p[0] = 0x46;
    reseal(p);
    vrrp::Received r = decoded(p);
    EXPECT_EQ(vrrp::check(r, expect_v3()), vrrp::Drop::none);
}

TEST(VrrpDecode, OldUnicastChecksumIsFlagged)
{
    // An older keepalived (or old_unicast_checksum) sums unicast v3 over 224.0.0.18.
    vrrp::Advert a{.version = 3, .vrid = 52, .priority = 200, .interval_cs = 100,
                   .addrs = {ip("10.9.9.100"), ip("10.9.9.101")}};
    std::array<uint8_t, 64> out{};
    size_t n = vrrp::encode(a, ip("10.9.9.1"), ip("224.0.0.18"), std::span(out).subspan(20));
    ASSERT_EQ(n, 16u);
    Bytes p(ka_u3.begin(), ka_u3.begin() + 20);
    p.insert(p.end(), out.begin() + 20, out.begin() + 20 + long(n));
    vrrp::Received r = decoded(p);
    EXPECT_TRUE(r.old_unicast_checksum);
    EXPECT_EQ(vrrp::check(r, expect_u3()), vrrp::Drop::none);
    // Not for v2, nor for a multicast destination.
    p = ka_v3;
    p[27] ^= 0x10;
    EXPECT_EQ(vrrp::decode_ipv4(p, r), vrrp::Drop::bad_checksum);
}

TEST(VrrpDecode, Ipv6RulesOut)
{
    conf::Ip s = ip("fe80::1"), d = ip("ff02::12");
    vrrp::Received r;
    Bytes m = ka_v6;
    m[7] ^= 1;
    EXPECT_EQ(vrrp::decode(m, ip("fe80::78c1:14ff:fe0c:aaab"), d, 255, r), vrrp::Drop::bad_checksum);
    m = ka_v6;
    m[0] = 0x21;  // v2 is IPv4 only (RFC 3768)
    EXPECT_EQ(vrrp::decode(m, s, d, 255, r), vrrp::Drop::bad_version);
    ASSERT_EQ(vrrp::decode(ka_v6, ip("fe80::78c1:14ff:fe0c:aaab"), d, 64, r), vrrp::Drop::none);
    vrrp::Expect e{.version = 3, .vrid = 53, .addrs = {ip("fd00:9::100")}, .mcast_group = d};
    EXPECT_EQ(vrrp::check(r, e), vrrp::Drop::bad_ttl);  // hop limit 64
}

TEST(VrrpCounters, CountsEachReason)
{
    vrrp::Counters c;
    c.count(vrrp::Drop::none);
    c.count(vrrp::Drop::none);
    c.count(vrrp::Drop::bad_ttl);
    c.count(vrrp::Drop::count_);  // ignored
    EXPECT_EQ(c.accepted, 2u);
    EXPECT_EQ(c.drops[size_t(vrrp::Drop::bad_ttl)], 1u);
    EXPECT_EQ(c.drops[size_t(vrrp::Drop::none)], 0u);
}

TEST(VrrpDecode, ReusedReceivedDoesNotKeepOldAddresses)
{
    vrrp::Received r = decoded(ka_u3);
    ASSERT_EQ(vrrp::decode_ipv4(ka_v3, r), vrrp::Drop::none);
    EXPECT_EQ(r.advert.addrs, std::vector<conf::Ip>{ip("10.9.9.100")});
    ASSERT_EQ(vrrp::decode_ipv4(ka_v3, r), vrrp::Drop::none);
    ASSERT_EQ(vrrp::decode_ipv4(ka_v2, r), vrrp::Drop::none);
    EXPECT_EQ(r.advert.auth, AuthType::pass);
    ASSERT_EQ(vrrp::decode_ipv4(ka_v3, r), vrrp::Drop::none);
    EXPECT_EQ(r.advert.auth, AuthType::none);
    EXPECT_EQ(r.advert.auth_data, (std::array<uint8_t, 8>{}));
}

}  // namespace

// A tiny packet builder for the golden fixtures: Ethernet, ARP, IPv4, TCP and UDP with correct
// checksums, as plain byte vectors (no DPDK or BPF types), so every dataplane's test can use it.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace golden {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

/// An IPv4 address in host order from its dotted parts: ip(10, 0, 0, 1).
constexpr uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) noexcept
{
    return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}
/// The same address in network order, as the dataplane's tables hold it.
constexpr uint32_t net(uint32_t host) noexcept { return __builtin_bswap32(host); }

Bytes eth(const Mac& dst, const Mac& src, uint16_t type, const Bytes& payload);
Bytes arp(uint16_t op, const Mac& sha, uint32_t spa, const Mac& tha, uint32_t tpa);

struct Ip4 {
    uint32_t src = 0;       // host order
    uint32_t dst = 0;
    uint8_t proto = 0;
    uint8_t ttl = 64;
    uint16_t id = 1;
    uint16_t frag = 0x4000; // flags and offset, host order (DF by default)
    uint8_t ihl = 5;        // header words; options (zeros) fill the rest
    uint8_t version = 4;
    uint8_t tos = 0;
    std::vector<uint8_t> options = {};  // after the fixed header; zeros pad it to `ihl` words
};
/// IPv4 header (checksum computed) followed by `payload`.
Bytes ipv4(const Ip4& h, const Bytes& payload);
/// A TCP segment with its checksum over the pseudo-header of src/dst (host order).
Bytes tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
          const Bytes& payload = {});
Bytes udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Bytes& payload);
/// ICMP destination unreachable / fragmentation needed (RFC 1191 §4) quoting `quoted` (the original
/// IP header and the first 8 bytes of its data), checksum computed.
Bytes icmp_frag_needed(uint16_t mtu, const Bytes& quoted);
/// ICMP time exceeded, TTL exceeded in transit (RFC 792 type 11 code 0) quoting `quoted`.
Bytes icmp_time_exceeded(const Bytes& quoted);

}  // namespace golden

// The Internet checksum (RFC 1071) in full and incrementally (RFC 1624), and byte order: one of each
// for control (VRRP, gratuitous ARP and NA) and both dataplanes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wire {

constexpr uint16_t bswap16(uint16_t v) noexcept { return static_cast<uint16_t>((v >> 8) | (v << 8)); }
// Host ↔ network order for the little-endian hosts DPDK runs vipd on.
constexpr uint16_t net16(uint16_t v) noexcept { return bswap16(v); }
constexpr uint32_t net32(uint32_t v) noexcept { return __builtin_bswap32(v); }

/// One's-complement sum of `len` bytes folded to 16 bits (RFC 1071), not inverted; `sum` carries a
/// previous partial sum (e.g. a pseudo-header).
inline uint32_t csum_add(uint32_t sum, const void* data, size_t len) noexcept
{
    const auto* p = static_cast<const uint8_t*>(data);
    for (; len > 1; len -= 2, p += 2) {
        sum += static_cast<uint32_t>(p[0] << 8 | p[1]);
    }
    if (len == 1) {
        sum += static_cast<uint32_t>(p[0] << 8);
    }
    return sum;
}
inline uint16_t csum_fold(uint32_t sum) noexcept
{
    while ((sum >> 16) != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(sum);
}
/// The checksum field value (host order) for `len` bytes whose checksum field is zero.
inline uint16_t checksum(const void* data, size_t len) noexcept
{
    return static_cast<uint16_t>(~csum_fold(csum_add(0, data, len)));
}

/// RFC 1624 eqn. 3: the new checksum (network order) after a 16-bit word changed from `old_w` to
/// `new_w` (both network order), without summing the header again.
inline uint16_t csum_replace16(uint16_t csum, uint16_t old_w, uint16_t new_w) noexcept
{
    uint32_t s = static_cast<uint16_t>(~net16(csum));
    s += static_cast<uint16_t>(~net16(old_w));
    s += net16(new_w);
    return net16(static_cast<uint16_t>(~csum_fold(s)));
}

/// RFC 1624 eqn. 3 for a 32-bit field (an address): two 16-bit words in one pass.
inline uint16_t csum_replace32(uint16_t csum, uint32_t old_w, uint32_t new_w) noexcept
{
    uint32_t s = static_cast<uint16_t>(~net16(csum));
    s += static_cast<uint16_t>(~net16(static_cast<uint16_t>(old_w)));
    s += static_cast<uint16_t>(~net16(static_cast<uint16_t>(old_w >> 16)));
    s += net16(static_cast<uint16_t>(new_w));
    s += net16(static_cast<uint16_t>(new_w >> 16));
    return net16(static_cast<uint16_t>(~csum_fold(s)));
}

/// True when an IPv4 header of `hlen` bytes (a multiple of 4, ≥ 20) sums to 0xffff (RFC 1071): the
/// one's-complement sum taken 32 bits at a time and folded, which equals the 16-bit sum (RFC 1071
/// §2(C): the sum is independent of word size and byte order, and 0xffff is its own swap).
inline bool ipv4_checksum_ok(const void* hdr, uint32_t hlen) noexcept
{
    const auto* p = static_cast<const uint8_t*>(hdr);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < hlen; i += 4) {
        uint32_t w = 0;
        std::memcpy(&w, p + i, 4);
        sum += w;
    }
    sum = (sum & 0xFFFFFFFFU) + (sum >> 32);
    sum = (sum & 0xFFFFFFFFU) + (sum >> 32);
    sum = (sum & 0xFFFFU) + (sum >> 16);
    sum = (sum & 0xFFFFU) + (sum >> 16);
    return sum == 0xFFFFU;
}

}  // namespace wire

// Hashes of a flow key: the NIC's RSS Toeplitz (so a hash the NIC already computed can be used as is,
// and recomputed in software for packets that arrive without one) and a fast CRC32-C fallback.
//
// Every lcore must hash a given flow to the same value with the same function: the table itself
// only needs consistency within one lcore, but the NAT reply path steers return traffic to the lcore
// that owns the flow by hash, so a port must use ONE function for all queues (the NIC's Toeplitz with
// one RSS key, or `hash_v4` everywhere). Making the hash symmetric (client→VIP and backend→client
// landing on the same lcore) is the steering design's concern, not this file's.
#pragma once

#include "dataplane/dpdk/datapath/flow/key.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace flow {

/// CRC32-C (Castagnoli) of `len` bytes, no pre/post inversion (pass ~0u and invert for the
/// standard checksum). Uses the SSE4.2 instruction when the CPU has it, a table otherwise; both
/// give the same value, so a mixed fleet hashes alike.
uint32_t crc32c(uint32_t crc, const void* data, size_t len) noexcept;

/// Software flow hash of the 5-tuple (proto included), keyed: two 64-bit multiply/xor-shift rounds
/// (splitmix64's constants), so both the low bits (bucket) and the high bits (signature) depend on
/// every input bit, and `seed` enters both rounds, so that without it nobody can compute keys that
/// share a bucket (review L1; IPVS seeds its connection hash with a random ip_vs_conn_rnd). About a
/// dozen instructions, inline, no table, no CRC instruction. The flow tables use it with a secret seed
/// each (FlowTable::hash: a flow lives in one lcore's table only).
constexpr uint32_t hash_v4_keyed(const Key4& key, uint64_t seed) noexcept
{
    uint64_t h = (uint64_t{key.src} << 32 | key.dst) ^ 0x9E3779B97F4A7C15ULL ^ seed;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= (uint64_t{key.sport} << 24 | uint64_t{key.dport} << 8 | key.proto) ^ (h >> 31) ^ (seed << 29 | seed >> 35);
    h *= 0x94D049BB133111EBULL;
    h ^= h >> 29;
    return static_cast<uint32_t>(h >> 32) ^ static_cast<uint32_t>(h);
}

/// The same with seed 0: what tests and anything that must agree between processes use.
constexpr uint32_t hash_v4(const Key4& key) noexcept { return hash_v4_keyed(key, 0); }

/// The 40-byte key the Microsoft RSS specification (and most NIC drivers' defaults) use.
inline constexpr std::array<uint8_t, 40> rss_key_default = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

/// Toeplitz hash with per-byte lookup tables built once from the RSS key (DPDK's rte_thash does the
/// same): 12 loads and XORs for an IPv4 4-tuple instead of 96 bit steps. Built at start-up; the
/// hash itself is noexcept and allocation-free.
class Toeplitz {
public:
    /// Longest input: IPv6 src + dst + ports.
    static constexpr size_t max_input = 36;

    /// `rss_key` must be at least max_input + 4 bytes long (40, as NICs use).
    explicit Toeplitz(std::span<const uint8_t> rss_key) noexcept;

    /// Hash of up to max_input bytes (longer input is truncated).
    uint32_t operator()(std::span<const uint8_t> input) const noexcept;

    /// What a NIC reports for an IPv4 TCP/UDP packet: src, dst, sport, dport (proto is not hashed).
    uint32_t v4(const Key4& key) const noexcept;

    /// What a NIC reports for an IPv4 packet hashed on addresses only (fragments, other protocols).
    uint32_t v4_addrs(const Key4& key) const noexcept;

private:
    std::array<std::array<uint32_t, 256>, max_input> _table{};
};

/// Bit-serial Toeplitz straight from the specification, for tests and one-off use.
uint32_t toeplitz_reference(std::span<const uint8_t> rss_key, std::span<const uint8_t> input) noexcept;

}  // namespace flow

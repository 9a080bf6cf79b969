// The identity of a flow as the lcore sees it on the wire, shared by the flow table and the hashes.
#pragma once

#include <cstdint>

namespace flow {

/// IPv4 5-tuple. Addresses and ports stay in network byte order, exactly as read from the headers,
/// so the classifier copies them without swapping and the Toeplitz hash sees the bytes the NIC saw.
///
/// IPv6 plan: a `Key6` (16-byte addresses) with its own 64-byte entry type plugs into the same
/// `BucketTable` template (see bucket_table.h); the hashes already take arbitrary byte spans.
struct Key4 {
    uint32_t src = 0;    // client address (network order)
    uint32_t dst = 0;    // virtual address (network order)
    uint16_t sport = 0;  // network order
    uint16_t dport = 0;  // network order
    uint8_t proto = 0;   // IPPROTO_TCP, IPPROTO_UDP, ...

    friend bool operator==(const Key4&, const Key4&) = default;
};

inline constexpr uint8_t ipproto_tcp = 6;
inline constexpr uint8_t ipproto_udp = 17;

}  // namespace flow

// The per-lcore connection table: which backend each client flow was scheduled to, and for how long
// to remember it, with IPVS's TCP state tracking and timeouts.
#pragma once

#include "dataplane/dpdk/datapath/flow/bucket_table.h"
#include "dataplane/dpdk/datapath/flow/hash.h"
#include "dataplane/dpdk/datapath/flow/key.h"
#include "dataplane/fwd/flow_state.h"

#include <algorithm>
#include <cstdint>

namespace flow {

/// One flow: 32 bytes, so two share a cache line and none straddles two. The key fields are laid out
/// flat (not as a Key4 member) so the state bytes use what would be Key4's tail padding.
struct alignas(32) Entry {
    using key_type = Key4;

    uint32_t src = 0;  // key, network order
    uint32_t dst = 0;
    uint16_t sport = 0;
    uint16_t dport = 0;
    uint8_t proto = 0;
    State state = State::none;
    uint8_t flags = 0;      // the caller's (forwarding mode, NAT done, ...); the table never reads it
    uint8_t confirmed = 0;  // 1 once a second packet found the flow active (the handshake's ACK, a UDP
                            // flow's second datagram or reply): until then a short timeout, and the
                            // first to go when the table is full
    uint32_t service = 0;   // index into the published fwd::Table's services
    uint32_t backend = 0;   // index into that service's backends
    uint64_t last_seen = 0; // caller's time unit

    Key4 key() const noexcept { return {.src = src, .dst = dst, .sport = sport, .dport = dport, .proto = proto}; }

    bool matches(const Key4& k) const noexcept
    {
        // One OR-chain instead of five branches: the key is compared once per signature hit.
        return ((src ^ k.src) | (dst ^ k.dst) | static_cast<uint32_t>(sport ^ k.sport) |
                static_cast<uint32_t>(dport ^ k.dport) | static_cast<uint32_t>(proto ^ k.proto)) == 0;
    }
    void set_key(const Key4& k) noexcept
    {
        src = k.src;
        dst = k.dst;
        sport = k.sport;
        dport = k.dport;
        proto = k.proto;
    }
    bool expired(uint64_t now, const uint64_t* timeouts) const noexcept
    {
        uint64_t t = timeouts[static_cast<unsigned>(state)];
        if (confirmed == 0) {
            t = std::min(t, timeouts[unconfirmed_class]);
        }
        return aged_out(last_seen, now, t);
    }
    /// What a full table evicts first (lowest): unconfirmed flows (a flood's), then confirmed ones
    /// that are closing or not yet ESTABLISHED, and ESTABLISHED (or confirmed UDP) flows last.
    uint8_t keep_rank() const noexcept
    {
        return confirmed == 0 ? 0 : (is_active(state) ? 2 : 1);
    }
};
static_assert(sizeof(Entry) == 32);
static_assert(BucketEntry<Entry>);

/// The per-lcore flow table. Single writer (its lcore); see bucket_table.h for layout and guarantees.
class FlowTable : public BucketTable<Entry> {
public:
    using Base = BucketTable<Entry>;

    /// `seed` keys hash(); by default a secret one from the kernel's random source.
    FlowTable(uint32_t capacity, const Timeouts& timeouts, uint64_t seed = random_seed());

    /// The hash this table's lookups and inserts take for `key` (hash_v4_keyed with its seed).
    uint32_t hash(const Key4& key) const noexcept { return hash_v4_keyed(key, _seed); }
    uint64_t seed() const noexcept { return _seed; }
    /// 64 bits from getrandom(2).
    static uint64_t random_seed() noexcept;

    /// Creates (or resets) the flow for `key`: service and backend as scheduled, state from the first
    /// packet's TCP flags (State::udp for any non-TCP protocol), flags as given. `confirmed` false
    /// for a flow made by its first packet (the packet path), true for one known to be live.
    Entry* insert(const Key4& key, uint32_t hash, uint64_t now, uint32_t service, uint32_t backend,
                  uint8_t tcp_flags, uint8_t flags = 0, Dir dir = Dir::input_only, bool confirmed = true) noexcept
    {
        Entry* e = Base::insert(key, hash, now);
        e->service = service;
        e->backend = backend;
        e->flags = flags;
        e->state = first_state(key.proto, tcp_flags, dir);
        e->confirmed = confirmed ? 1 : 0;
        return e;
    }

    /// The new flow of a key that lookup() has just missed, in state `state` (first_state()).
    Entry* insert_absent(const Key4& key, uint32_t hash, uint64_t now, uint32_t service, uint32_t backend,
                         State state, uint8_t flags = 0, bool confirmed = true) noexcept
    {
        Entry* e = Base::insert_absent(key, hash, now);
        e->service = service;
        e->backend = backend;
        e->flags = flags;
        e->state = state;
        e->confirmed = confirmed ? 1 : 0;
        return e;
    }

    /// A packet found the flow: once it is active (ESTABLISHED, or UDP) it is confirmed for good.
    static void confirm_if_active(Entry* e) noexcept
    {
        if (e->confirmed == 0 && is_active(e->state)) {
            e->confirmed = 1;
        }
    }

    /// The state a flow starts in: from its first packet's TCP flags, State::udp for anything else.
    static State first_state(uint8_t proto, uint8_t tcp_flags, Dir dir) noexcept
    {
        return proto == ipproto_tcp ? next_state(State::none, tcp_flags, dir) : State::udp;
    }

    /// Advances the TCP state for a packet of this flow; the new state's timeout applies from `now`.
    void update_tcp(Entry* e, uint8_t tcp_flags, uint64_t now, Dir dir = Dir::input_only) noexcept
    {
        e->state = next_state(e->state, tcp_flags, dir);
        e->last_seen = now;
    }

    /// Owner thread only; applies to existing flows at their next expiry check.
    void set_timeouts(const Timeouts& t) noexcept;
    Timeouts timeouts() const noexcept;

private:
    uint64_t _seed;
};

}  // namespace flow

// The per-lcore connection table: which backend each client flow was scheduled to, and for how long
// to remember it, with IPVS's TCP state tracking and timeouts.
#pragma once

#include "dataplane/dpdk/datapath/flow/bucket_table.h"
#include "dataplane/dpdk/datapath/flow/key.h"

#include <algorithm>
#include <cstdint>

namespace flow {

/// Connection states: IPVS's `IP_VS_TCP_S_*` plus one state for everything that is not TCP. The value
/// doubles as the timeout class. The first seven are all that the INPUT-ONLY table (DR and TUN, where
/// the balancer sees only client→server packets) can reach; the rest arise from server→client
/// packets, which only NAT sees.
enum class State : uint8_t {
    none = 0,         // TCP packet with no SYN/FIN/ACK/RST seen yet (IPVS NONE, 2 s)
    established = 1,  // ipvsadm --set <tcp>            (IPVS ESTABLISHED, 900 s)
    syn_recv = 2,     // SYN seen                       (IPVS SYN_RECV, 60 s)
    fin_wait = 3,     // FIN seen on an established one ipvsadm --set <tcpfin> (IPVS FIN_WAIT, 120 s)
    time_wait = 4,    // FIN seen during the handshake  (IPVS TIME_WAIT, 120 s; not set by ipvsadm)
    close = 5,        // RST seen                       (IPVS CLOSE, 10 s)
    udp = 6,          // UDP and any other protocol: ipvsadm --set <udp> (IPVS UDP NORMAL, 300 s)
    syn_sent = 7,     // SYN from the server side       (IPVS SYN_SENT, 120 s)
    close_wait = 8,   // FIN from the client, server still open (IPVS CLOSE_WAIT, 60 s)
    last_ack = 9,     // (IPVS LAST_ACK, 30 s)
    listen = 10,      // (IPVS LISTEN, 120 s)
    synack = 11,      // (IPVS SYNACK, 120 s)
};
inline constexpr unsigned state_count = 12;
/// The timeout class of a flow not yet confirmed (Entry::confirmed), after the states' classes.
inline constexpr unsigned unconfirmed_class = state_count;

/// Which rows of IPVS's `tcp_states[]` a packet takes: client→server when the balancer also sees the
/// replies (NAT: INPUT), server→client (NAT replies: OUTPUT), client→server when it never sees the
/// replies (DR, TUN: INPUT-ONLY, IPVS's IP_VS_CONN_F_NOOUTPUT).
enum class Dir : uint8_t { input = 0, output = 1, input_only = 2 };

/// IPVS counts a flow as active while ESTABLISHED (ip_vs_proto_tcp.c, set_tcp_state), and a non-TCP
/// flow as it was bound (active): ipvsadm's ActiveConn / InActConn.
constexpr bool is_active(State s) noexcept { return s == State::established || s == State::udp; }

const char* state_name(State s) noexcept;

/// TCP header flag bits (RFC 9293 §3.1), as the classifier reads them from byte 13 of the header.
inline constexpr uint8_t tcp_fin = 0x01;
inline constexpr uint8_t tcp_syn = 0x02;
inline constexpr uint8_t tcp_rst = 0x04;
inline constexpr uint8_t tcp_ack = 0x10;

/// IPVS's next state for a packet in direction `dir`, from `tcp_states[]` in
/// net/netfilter/ipvs/ip_vs_proto_tcp.c. Flag precedence as `tcp_state_idx()`: RST, SYN, FIN, ACK;
/// with none of them the state stays. Non-TCP states never change.
State next_state(State s, uint8_t tcp_flags, Dir dir = Dir::input_only) noexcept;

/// Timeouts in the caller's time unit. Defaults are IPVS's `tcp_timeouts[]` / `udp_timeouts[]`
/// (ip_vs_proto_tcp.c, ip_vs_proto_udp.c), which `ipvsadm -L --timeout` prints as "900 120 300".
struct Timeouts {
    uint64_t tcp = 0;        // ESTABLISHED                      ipvsadm --set <tcp>
    uint64_t tcp_fin = 0;    // FIN_WAIT                         ipvsadm --set <tcpfin>
    uint64_t udp = 0;        // UDP / other                      ipvsadm --set <udp>
    uint64_t tcp_syn = 0;    // SYN_RECV
    uint64_t tcp_close = 0;  // CLOSE after RST
    uint64_t tcp_none = 0;   // NONE
    uint64_t tcp_time_wait = 0;  // TIME_WAIT (the kernel's set_timeout() leaves it alone too)
    uint64_t tcp_syn_sent = 0;   // SYN_SENT (NAT only, as the rest)
    uint64_t tcp_close_wait = 0; // CLOSE_WAIT
    uint64_t tcp_last_ack = 0;   // LAST_ACK
    uint64_t tcp_listen = 0;     // LISTEN
    uint64_t tcp_synack = 0;     // SYNACK
    // A flow not yet confirmed (Entry::confirmed: no second packet has found it active) lives at most
    // this long, whatever its state: a spoofed SYN, ACK or UDP flood from random sources then holds
    // table space for seconds, not SYN_RECV's 60 s or UDP's 300 s. 0: no such limit. Not IPVS's (its
    // table grows instead); 5 s covers Linux's first SYN retransmission gaps (1, 2, 4 s) and a UDP
    // request/response round, and a SYN can always make its flow again.
    uint64_t unconfirmed = 0;

    /// IPVS defaults scaled to `units_per_second` (1 for seconds, 1e9 for ns, the TSC rate for cycles).
    static constexpr Timeouts ipvs_defaults(uint64_t units_per_second) noexcept
    {
        return {.tcp = 900 * units_per_second,
                .tcp_fin = 120 * units_per_second,
                .udp = 300 * units_per_second,
                .tcp_syn = 60 * units_per_second,
                .tcp_close = 10 * units_per_second,
                .tcp_none = 2 * units_per_second,
                .tcp_time_wait = 120 * units_per_second,
                .tcp_syn_sent = 120 * units_per_second,
                .tcp_close_wait = 60 * units_per_second,
                .tcp_last_ack = 30 * units_per_second,
                .tcp_listen = 120 * units_per_second,
                .tcp_synack = 120 * units_per_second,
                .unconfirmed = 5 * units_per_second};
    }

    /// `ipvsadm --set tcp tcpfin udp`: a 0 leaves that timeout as it was, as in ipvsadm.
    constexpr Timeouts with_ipvsadm_set(uint64_t tcp_v, uint64_t tcpfin_v, uint64_t udp_v) const noexcept
    {
        Timeouts t = *this;
        t.tcp = tcp_v != 0 ? tcp_v : t.tcp;
        t.tcp_fin = tcpfin_v != 0 ? tcpfin_v : t.tcp_fin;
        t.udp = udp_v != 0 ? udp_v : t.udp;
        return t;
    }
};

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

    FlowTable(uint32_t capacity, const Timeouts& timeouts);

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
};

}  // namespace flow

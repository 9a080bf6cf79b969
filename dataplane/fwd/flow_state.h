// IPVS's connection states, its TCP state machine and its timeouts: dataplane-neutral, so the DPDK
// lcores' flow table and the XDP program's (whose state table the loader copies from next_state)
// track a connection identically.
#pragma once

#include <chrono>
#include <cstdint>

#include <sys/random.h>

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
    bool operator==(const Timeouts&) const = default;

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

/// A secret seed for a flow table's keyed hash (review L1: nobody outside can choose keys that share
/// a bucket), from the kernel's randomness; blocks only until its pool is first initialised (early
/// boot). Both dataplanes' tables take theirs from here.
inline uint64_t random_seed() noexcept
{
    uint64_t seed = 0;
    if (::getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
        seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) *
               0x9E3779B97F4A7C15ULL;
    }
    return seed;
}

}  // namespace flow

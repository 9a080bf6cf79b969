// The per-packet decision of an lcore, on a frame's bytes: classify, answer ARP, schedule and
// rewrite for DR, NAT and TUN, translate NAT replies, or hand over / drop with a reason. Plain C++
// (no mbufs): the DPDK lcore loop (dataplane/lcore) wraps it, and tests call it on a byte buffer.
//
// NAT replies and RSS. A NIC's RSS spreads client→VIP packets over the lcores by a hash of
// (client, VIP, ports); the flow lives on the lcore that saw its first packet. The reply,
// backend→client, hashes differently and may land anywhere. The receiving lcore rebuilds the original
// tuple (the backend's address names its service: fwd::NatReply), computes which lcore RSS gave it
// (`Steering`, the same Toeplitz key and indirection table as the NIC) and, if that is another lcore,
// redirects the frame to it over a ring; the owner finds the flow, updates its TCP state and
// translates. No table is shared or written by two lcores. A reply whose flow no lcore has (after a
// failover, or an expiry) is dropped, never translated statelessly (see nat_reply() in process.cc).
#pragma once

#include "dataplane/dpdk/datapath/flow/flow_table.h"
#include "dataplane/dpdk/datapath/flow/hash.h"
#include "dataplane/dpdk/datapath/flow/persist.h"
#include "dataplane/fwd/table.h"
#include "dataplane/dpdk/datapath/pkt/verdict.h"
#include "dataplane/fwd/sched/sched.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace pkt {

/// One lcore's counters. Written only by the owner lcore (relaxed atomic_ref stores: a plain mov,
/// no lock), read by the control thread with relaxed loads and summed over lcores; each value is
/// untorn, the set is not a snapshot.
struct alignas(64) Counters {
    uint64_t rx = 0;
    uint64_t tx = 0;
    std::array<uint64_t, verdict_count> verdicts{};
    std::array<uint64_t, drop_reason_count> drops{};

    static void bump(uint64_t& c, uint64_t n = 1) noexcept
    {
        std::atomic_ref<uint64_t> a(c);
        a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    static uint64_t read(const uint64_t& c) noexcept
    {
        return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(c)).load(std::memory_order_relaxed);
    }
    uint64_t drop_count(DropReason r) const noexcept { return read(drops[static_cast<unsigned>(r)]); }
    uint64_t verdict_count_of(Verdict v) const noexcept { return read(verdicts[static_cast<unsigned>(v)]); }
};

/// Per (service, backend) on one lcore, as ipvsadm --stats: client→backend ("in") and, for NAT,
/// backend→client ("out"). Bytes are IP lengths. Same write/read rules as Counters. 32 bytes, two to a
/// cache line, never across one (the connections scheduled, touched by new flows only, live apart).
struct BackendCounters {
    uint64_t packets_in = 0;
    uint64_t bytes_in = 0;
    uint64_t packets_out = 0;
    uint64_t bytes_out = 0;
};
static_assert(sizeof(BackendCounters) == 32);

struct Limits {
    uint32_t flows = 1 << 16;     // flow table capacity
    uint32_t services = 256;      // must match fwd::Inputs::max_services
    uint32_t backends = 256;      // must match fwd::Inputs::max_backends
    uint32_t persist = 1 << 14;   // persistence templates (client affinity) per lcore
    uint64_t hz = 1000;           // units of `now` per second (the TSC rate on an lcore)
    uint32_t new_flows_per_s = 0; // the new-flow bound (vipd --new-flow-rate) of each lcore; 0: none
};

/// Which lcore a client→VIP packet reaches: the NIC's RSS (Toeplitz over src, dst, sport, dport;
/// the hash's low bits index `reta`, whose entries are lcore numbers — queue i is served by lcore i).
/// Built at start, read-only after; shared by every lcore.
struct Steering {
    /// `reta_size`: the port's redirection table size (port::Info::reta_size), a power of two.
    explicit Steering(uint16_t lcores, std::span<const uint8_t> rss_key = flow::rss_key_default,
                      uint16_t reta_size = 128);

    uint16_t lcores = 1;
    std::vector<uint16_t> reta;  // power-of-two size (128, as most NICs' default)
    flow::Toeplitz toeplitz;

    uint16_t owner(const flow::Key4& k) const noexcept
    {
        return lcores <= 1 ? 0 : reta[toeplitz.v4(k) & (reta.size() - 1)];
    }
};

/// One lcore's mutable state (dataplane: rw by the owner lcore only; control: counters ro).
/// Keep one per lcore in an array of these: alignas(64) so no two lcores share a written line.
/// Not movable: the flow table's end hook points at it.
///
/// Scheduler state is per service position. A republish that moves services to other positions
/// leaves the rr/wrr cursors and lc counts of a position to the service now there (harmless:
/// cursors are range-checked, counts only bias lc choices); flow entries are checked against the
/// service they were made for (see process.cc).
struct alignas(64) LcoreState {
    LcoreState(const Limits& limits, const flow::Timeouts& timeouts, uint16_t self = 0,
               const Steering* steering = nullptr);
    LcoreState(const LcoreState&) = delete;
    LcoreState& operator=(const LcoreState&) = delete;

    flow::FlowTable flows;
    flow::PersistTable persist;
    std::vector<sched::Lcore> sched;  // one per service position, each with room for limits.backends
    std::vector<BackendCounters> backend_counters;  // [service * backends + backend]
    std::vector<uint64_t> backend_connections;      // the same index: flows scheduled (ipvsadm's Conns)
    Counters counters;

    const uint16_t self;                // this lcore's number (Steering's)
    const Steering* const steering;     // nullptr: one lcore
    const uint32_t backends_per_service;
    const uint64_t hz;

    // ARP for unresolved next hops: one request per next hop per second (as the kernel's
    // retrans_time), remembered in a small direct-mapped array.
    struct Solicited {
        uint32_t ip = 0;
        uint64_t at = 0;
    };
    std::array<Solicited, 64> solicited{};
    // ICMP errors: a token bucket at the kernel's icmp_msgs_per_sec / icmp_msgs_burst (1000/s, 50).
    uint64_t icmp_tokens = 50;
    uint64_t icmp_refilled = 0;
    // The new-flow bound (Limits::new_flows_per_s): a token a flow, one every new_flow_per_token
    // (0: no bound), at most new_flow_burst banked; as the XDP program's vipd_cpu.new_flow_*.
    const uint64_t new_flow_per_token;
    const uint64_t new_flow_burst;
    uint64_t new_flow_spent = 0;  // tokens taken (0: a full bucket)
    uint64_t new_flow_refilled = 0;
    uint16_t ip_id = 0;  // IP ids of the ICMP errors this lcore builds
    // The fragment cache (frag.cc): what each datagram's first fragment was given, for the later ones,
    // which carry no ports. Direct-mapped by vipd_frag_slot() (dataplane/fwd/sched/hashes.h), as the
    // XDP program's vipd_frags.
    struct Fragment {
        uint32_t src = 0;  // the datagram's addresses, IP id (network order) and protocol
        uint32_t dst = 0;
        uint16_t id = 0;
        uint8_t proto = 0;
        uint8_t to = 0;        // VIPD_FRAG_*; 0: empty
        uint16_t port = 0;     // the virtual service's port (network order)
        uint16_t backend = 0;  // the flow's real server (position)
        uint32_t service = 0;  // the service's position
        uint32_t vip = 0;      // VIPD_FRAG_REPLY: the reply's source becomes this
        uint64_t expires = 0;  // in `now`'s units
    };
    std::vector<Fragment> fragments;

    const BackendCounters& backend(uint32_t service, uint32_t b) const noexcept
    {
        return backend_counters[size_t{service} * backends_per_service + b];
    }
    uint64_t connections(uint32_t service, uint32_t b) const noexcept
    {
        return Counters::read(backend_connections[size_t{service} * backends_per_service + b]);
    }
};

/// A frame to process: its bytes and how far they may grow to the front (TUN prepends 20 bytes).
/// process() may move `data` back (and grow `len`: TUN, an ICMP error about a small packet) or
/// shorten `len` (ARP request, ICMP error about a large one).
struct Frame {
    uint8_t* data = nullptr;  // the Ethernet header
    uint32_t len = 0;
    uint32_t headroom = 0;    // writable bytes before `data`
    uint16_t port = 0;        // received on
    uint8_t hop = 0;          // NAT reply: the candidate service to try first (redirected frames)
};

/// Stage one of a burst: the flows of the frames that look like unfragmented IPv4 TCP/UDP are
/// prefetched (bucket, then entry), so that process() on each frame after it finds them in cache and
/// the burst's DRAM misses overlap instead of queueing. Reads only; validates nothing.
void prefetch_flows(LcoreState& lc, const Frame* frames, uint32_t n) noexcept;

/// Processes one frame at time `now` (in Limits::hz units), rewriting it in place for forward,
/// reply and solicit verdicts (`Result::port` says where it goes). Counts per-backend traffic and the
/// flows' lc bookkeeping; the caller counts the verdict and drop reason (sending may still fail).
Result process(const fwd::Table& table, LcoreState& lc, Frame& f, uint64_t now) noexcept;

}  // namespace pkt

// The per-packet decision of an lcore, on a frame's bytes: classify, answer ARP, schedule and
// rewrite for DR, or hand over / drop with a reason. Plain C++ (no mbufs): the DPDK lcore loop
// (dataplane/lcore) wraps it, and tests can call it on a byte buffer.
#pragma once

#include "dataplane/flow/flow_table.h"
#include "dataplane/fwd/table.h"
#include "dataplane/pkt/verdict.h"
#include "dataplane/sched/sched.h"

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

    void bump(uint64_t& c, uint64_t n = 1) noexcept
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

struct Limits {
    uint32_t flows = 1 << 16;     // flow table capacity
    uint32_t services = 256;      // must match fwd::Inputs::max_services
    uint32_t backends = 256;      // must match fwd::Inputs::max_backends
};

/// One lcore's mutable state (dataplane: rw by the owner lcore only; control: counters ro).
/// Keep one per lcore in an array of these: alignas(64) so no two lcores share a written line.
///
/// Scheduler state is per service position. A republish that moves services to other positions
/// leaves the rr/wrr cursors and lc counts of a position to the service now there (harmless:
/// cursors are range-checked, counts only bias lc choices); flow entries are checked against the
/// service they were made for (see process.cc).
struct alignas(64) LcoreState {
    LcoreState(const Limits& limits, const flow::Timeouts& timeouts);

    flow::FlowTable flows;
    std::vector<sched::Lcore> sched;  // one per service position, each with room for limits.backends
    Counters counters;
};

/// Processes one frame of `len` bytes received on `port` at time `now` (the flow table's time unit),
/// rewriting it in place for forward and reply verdicts; the output length equals `len`.
/// Counts nothing: the caller counts the final verdict (it may still fail to send).
Result process(const fwd::Table& table, LcoreState& lc, uint8_t* frame, uint32_t len, uint16_t port,
               uint64_t now) noexcept;

}  // namespace pkt

// The lcore loop: burst RX from one port queue, pkt::process each frame, then one buffered TX burst,
// the hand-overs to the control and exception rings, and an RCU quiescent report — every iteration.
#pragma once

#include "dataplane/fwd/publisher.h"
#include "dataplane/pkt/process.h"

#include <atomic>
#include <cstdint>

struct rte_mbuf;
struct rte_ring;

namespace lcore {

inline constexpr uint16_t burst_size = 32;

struct Config {
    uint16_t port = 0;            // DPDK port id, also the fwd::Table port index
    uint16_t queue = 0;           // RX and TX queue of this lcore
    rte_ring* to_control = nullptr;    // VRRP adverts (multi-producer; control consumes, frees)
    rte_ring* to_exception = nullptr;  // everything for the kernel (multi-producer; TAP consumes)
    fwd::Publisher* publisher = nullptr;
    uint32_t reader_id = 0;       // this lcore's rte_rcu_qsbr thread id (registered by the ctor)
    uint32_t idle_polls = 256;    // empty polls before going offline for a short sleep in run()
    uint32_t idle_sleep_us = 50;
};

/// One lcore's worker: its state and its loop. Keep in an array indexed by lcore (alignas(64)).
class alignas(64) Worker {
public:
    Worker(const Config& cfg, const pkt::Limits& limits, const flow::Timeouts& timeouts);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// The lcore's loop until `stop` reads true (acquire). Goes online first, offline on exit and
    /// around idle sleeps. Returns 0 (rte_eal_remote_launch's convention).
    int run(const std::atomic<bool>& stop) noexcept;

    /// One iteration: RX burst, process, TX/ring hand-over, quiescent report. The caller must be
    /// online (run() is; a test calls online() first). Returns the frames received.
    uint16_t poll_once(uint64_t now) noexcept;

    void online() noexcept { _cfg.publisher->online(_cfg.reader_id); }
    void offline() noexcept { _cfg.publisher->offline(_cfg.reader_id); }

    /// Control thread: counters to read with pkt::Counters::read (relaxed).
    const pkt::Counters& counters() const noexcept { return _state.counters; }

private:
    void count(pkt::Result r) noexcept;
    void hand_over(rte_ring* ring, rte_mbuf** pkts, uint16_t n, pkt::DropReason full) noexcept;

    Config _cfg;
    pkt::LcoreState _state;  // dataplane: rw (this lcore); control: counters ro
};

}  // namespace lcore

// The lcore loop: burst RX from this lcore's queue on every port, pkt::process each frame, buffered
// burst TX per port, the hand-overs to the control and exception rings and to other lcores (NAT
// replies whose flow they own), and an RCU quiescent report — every iteration.
#pragma once

#include "dataplane/dpdk/datapath/publisher.h"
#include "dataplane/dpdk/datapath/pkt/process.h"

#include <atomic>
#include <cstdint>
#include <vector>

struct rte_mbuf;
struct rte_ring;

namespace lcore {

inline constexpr uint16_t burst_size = 32;
inline constexpr uint16_t max_port_id = 16;  // ports this loop can send on: ids 0 … 15
inline constexpr uint16_t max_lcores = 64;

struct Config {
    std::vector<uint16_t> ports{0};    // DPDK port ids (also fwd::Table port indexes) polled on `queue`
    uint16_t queue = 0;                // RX and TX queue of this lcore on every port
    uint16_t index = 0;                // this lcore's number: its queue, its Steering owner id
    rte_ring* to_vrrp = nullptr;       // VRRP adverts for the node's VRIDs (multi-producer; control drains it
                                       // first and frees); nullptr: they share to_control
    rte_ring* to_control = nullptr;    // ARP replies (multi-producer; control consumes, frees)
    rte_ring* to_exception = nullptr;  // everything for the kernel (multi-producer; TAP consumes)
    rte_ring* to_local = nullptr;      // what is for the node's own addresses (the checkers' replies; the TAP
                                       // consumes it before to_exception); nullptr: it shares to_exception
    rte_ring* from_control = nullptr;  // frames to send as they are (VRRP, GARP, the kernel's traffic from the
                                       // exception TAP); m->port is the port to send on. Control produces.
    rte_ring* redirect_in = nullptr;   // frames other lcores hand to this one (multi-producer, this lcore consumes)
    std::vector<rte_ring*> redirect_to;  // indexed by lcore number: their redirect_in rings
    const pkt::Steering* steering = nullptr;  // nullptr: a single lcore
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
    /// around idle sleeps. Time is the TSC (Limits::hz should be rte_get_tsc_hz()). Returns 0
    /// (rte_eal_remote_launch's convention).
    int run(const std::atomic<bool>& stop) noexcept;

    /// One iteration: RX bursts, redirected frames, process, TX/ring hand-over, quiescent report.
    /// The caller must be online (run() is; a test calls online() first). Returns the frames handled.
    uint32_t poll_once(uint64_t now) noexcept;

    void online() noexcept { _cfg.publisher->online(_cfg.reader_id); }
    void offline() noexcept { _cfg.publisher->offline(_cfg.reader_id); }

    /// Control thread: counters to read with pkt::Counters::read (relaxed).
    const pkt::Counters& counters() const noexcept { return _state.counters; }
    const pkt::LcoreState& state() const noexcept { return _state; }

private:
    void handle(const fwd::Table* table, rte_mbuf** pkts, uint16_t n, int rx_port, uint64_t now) noexcept;
    void flush() noexcept;
    uint32_t send_from_control() noexcept;
    void dropped(pkt::DropReason why, uint64_t n) noexcept;
    struct Out;
    void queue_or_drop(Out* outs, size_t count, size_t i, rte_mbuf* m, pkt::DropReason why) noexcept;
    void hand_over(rte_ring* ring, rte_mbuf** pkts, uint16_t n, pkt::DropReason full) noexcept;

    Config _cfg;
    pkt::LcoreState _state;  // dataplane: rw (this lcore); control: counters ro

    // Per-iteration buffers (this lcore only).
    struct Out {
        rte_mbuf* pkts[burst_size];
        uint16_t n = 0;
    };
    Out _tx[max_port_id];
    Out _vrrp;
    Out _ctl;
    Out _exc;
    Out _local;
    std::vector<Out> _redirect;  // per target lcore
};

}  // namespace lcore

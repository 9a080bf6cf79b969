// The DPDK lcore loop around pkt::process.
#include "dataplane/lcore/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <chrono>
#include <thread>

namespace lcore {

Worker::Worker(const Config& cfg, const pkt::Limits& limits, const flow::Timeouts& timeouts)
    : _cfg(cfg), _state(limits, timeouts)
{
    _cfg.publisher->register_reader(_cfg.reader_id);
}

Worker::~Worker() { _cfg.publisher->unregister_reader(_cfg.reader_id); }

void Worker::count(pkt::Result r) noexcept
{
    pkt::Counters& c = _state.counters;
    c.bump(c.verdicts[static_cast<unsigned>(r.verdict)]);
    if (r.verdict == pkt::Verdict::drop) {
        c.bump(c.drops[static_cast<unsigned>(r.reason)]);
    }
}

void Worker::hand_over(rte_ring* ring, rte_mbuf** pkts, uint16_t n, pkt::DropReason full) noexcept
{
    if (n == 0) {
        return;
    }
    const unsigned sent =
        ring != nullptr ? rte_ring_enqueue_burst(ring, reinterpret_cast<void* const*>(pkts), n, nullptr) : 0;
    for (unsigned i = sent; i < n; ++i) {
        rte_pktmbuf_free(pkts[i]);
    }
    if (sent < n) {
        pkt::Counters& c = _state.counters;
        c.bump(c.drops[static_cast<unsigned>(full)], n - sent);
        c.bump(c.verdicts[static_cast<unsigned>(pkt::Verdict::drop)], n - sent);
    }
}

uint16_t Worker::poll_once(uint64_t now) noexcept
{
    rte_mbuf* rx[burst_size];
    rte_mbuf* tx[burst_size];
    rte_mbuf* ctl[burst_size];
    rte_mbuf* exc[burst_size];
    uint16_t ntx = 0;
    uint16_t nctl = 0;
    uint16_t nexc = 0;

    const uint16_t n = rte_eth_rx_burst(_cfg.port, _cfg.queue, rx, burst_size);
    pkt::Counters& c = _state.counters;
    if (n != 0) {
        c.bump(c.rx, n);
        // Loaded once per burst; valid until the quiescent report below.
        const fwd::Table* table = _cfg.publisher->current();
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf* m = rx[i];
            pkt::Result r{.verdict = pkt::Verdict::drop, .reason = pkt::DropReason::no_table};
            // Frames are processed in their first segment; a chained frame's tail is not parsed.
            if (table != nullptr) {
                r = pkt::process(*table, _state, rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_data_len(m), _cfg.port,
                                 now);
            }
            count(r);
            switch (r.verdict) {
            case pkt::Verdict::forward:
            case pkt::Verdict::reply:
                tx[ntx++] = m;  // DR and ARP replies leave by the port they came in on
                break;
            case pkt::Verdict::to_control:
                ctl[nctl++] = m;
                break;
            case pkt::Verdict::to_exception:
                exc[nexc++] = m;
                break;
            case pkt::Verdict::drop:
                rte_pktmbuf_free(m);
                break;
            }
        }
        if (ntx != 0) {
            const uint16_t sent = rte_eth_tx_burst(_cfg.port, _cfg.queue, tx, ntx);
            c.bump(c.tx, sent);
            for (uint16_t i = sent; i < ntx; ++i) {
                rte_pktmbuf_free(tx[i]);
            }
            if (sent < ntx) {
                c.bump(c.drops[static_cast<unsigned>(pkt::DropReason::tx_full)], ntx - sent);
                c.bump(c.verdicts[static_cast<unsigned>(pkt::Verdict::drop)], ntx - sent);
            }
        }
        hand_over(_cfg.to_control, ctl, nctl, pkt::DropReason::control_ring_full);
        hand_over(_cfg.to_exception, exc, nexc, pkt::DropReason::exception_ring_full);
        // Flow expiry, a few buckets per busy iteration: a full sweep every buckets()/8 bursts.
        _state.flows.expire(now, 8);
    }
    // The table pointer is not used past this point.
    _cfg.publisher->quiescent(_cfg.reader_id);
    return n;
}

int Worker::run(const std::atomic<bool>& stop) noexcept
{
    online();
    uint32_t idle = 0;
    while (!stop.load(std::memory_order_acquire)) {
        if (poll_once(rte_rdtsc()) != 0) {
            idle = 0;
            continue;
        }
        if (++idle >= _cfg.idle_polls) {
            // Offline before sleeping, so a writer never waits on a sleeping lcore.
            offline();
            std::this_thread::sleep_for(std::chrono::microseconds(_cfg.idle_sleep_us));
            online();
            idle = 0;
        }
    }
    offline();
    return 0;
}

}  // namespace lcore

// The DPDK lcore loop around pkt::process.
#include "dataplane/dpdk/datapath/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <chrono>
#include <thread>

namespace lcore {

Worker::Worker(const Config& cfg, const pkt::Limits& limits, const flow::Timeouts& timeouts)
    : _cfg(cfg), _state(limits, timeouts, cfg.index, cfg.steering), _redirect(cfg.redirect_to.size())
{
    _cfg.publisher->register_reader(_cfg.reader_id);
}

Worker::~Worker() { _cfg.publisher->unregister_reader(_cfg.reader_id); }

// Frames that got a verdict but could not be handed on: recounted as drops for `why`.
void Worker::dropped(pkt::DropReason why, uint64_t n) noexcept
{
    pkt::Counters& c = _state.counters;
    c.bump(c.drops[static_cast<unsigned>(why)], n);
    c.bump(c.verdicts[static_cast<unsigned>(pkt::Verdict::drop)], n);
}

// Queues m on outs[i], or, where there is no such queue, frees it and counts it as dropped for `why`.
void Worker::queue_or_drop(Out* outs, size_t count, size_t i, rte_mbuf* m, pkt::DropReason why) noexcept
{
    if (i < count) {
        Out& o = outs[i];
        o.pkts[o.n++] = m;
    } else {
        rte_pktmbuf_free(m);
        dropped(why, 1);
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
        dropped(full, n - sent);
    }
}

void Worker::flush() noexcept
{
    pkt::Counters& c = _state.counters;
    for (uint16_t p = 0; p < max_port_id; ++p) {
        Out& o = _tx[p];
        if (o.n == 0) {
            continue;
        }
        const uint16_t sent = rte_eth_tx_burst(p, _cfg.queue, o.pkts, o.n);
        c.bump(c.tx, sent);
        for (uint16_t i = sent; i < o.n; ++i) {
            rte_pktmbuf_free(o.pkts[i]);
        }
        if (sent < o.n) {
            dropped(pkt::DropReason::tx_full, o.n - sent);
        }
        o.n = 0;
    }
    if (_cfg.to_vrrp != nullptr) {
        hand_over(_cfg.to_vrrp, _vrrp.pkts, _vrrp.n, pkt::DropReason::vrrp_ring_full);
    } else {
        hand_over(_cfg.to_control, _vrrp.pkts, _vrrp.n, pkt::DropReason::control_ring_full);
    }
    _vrrp.n = 0;
    hand_over(_cfg.to_control, _ctl.pkts, _ctl.n, pkt::DropReason::control_ring_full);
    hand_over(_cfg.to_exception, _exc.pkts, _exc.n, pkt::DropReason::exception_ring_full);
    if (_cfg.to_local != nullptr) {
        hand_over(_cfg.to_local, _local.pkts, _local.n, pkt::DropReason::local_ring_full);
    } else {
        hand_over(_cfg.to_exception, _local.pkts, _local.n, pkt::DropReason::exception_ring_full);
    }
    _ctl.n = 0;
    _exc.n = 0;
    _local.n = 0;
    for (size_t l = 0; l < _redirect.size(); ++l) {
        hand_over(_cfg.redirect_to[l], _redirect[l].pkts, _redirect[l].n, pkt::DropReason::redirect_ring_full);
        _redirect[l].n = 0;
    }
}

// rx_port < 0: redirected frames, each carrying its receive port in m->port and the NAT reply
// candidate to resume from in m->hash.usr.
void Worker::handle(const fwd::Table* table, rte_mbuf** pkts, uint16_t n, int rx_port, uint64_t now) noexcept
{
    uint16_t verdicts[pkt::verdict_count] = {};  // counted once per burst, not per frame
    // Frames are processed in their first segment; a chained frame's tail is not parsed.
    pkt::Frame frames[burst_size];
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        frames[i] = {.data = rte_pktmbuf_mtod(m, uint8_t*),
                     .len = rte_pktmbuf_data_len(m),
                     .headroom = rte_pktmbuf_headroom(m),
                     .port = rx_port >= 0 ? static_cast<uint16_t>(rx_port) : m->port,
                     .hop = rx_port >= 0 ? uint8_t{0} : static_cast<uint8_t>(m->hash.usr)};
    }
    pkt::prefetch_flows(_state, frames, n);
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        pkt::Result r{.verdict = pkt::Verdict::drop, .reason = pkt::DropReason::no_table};
        pkt::Frame& f = frames[i];
        uint8_t* const before = f.data;
        const uint32_t before_len = f.len;
        if (table != nullptr) {
            r = pkt::process(*table, _state, f, now);
        }
        if (f.data != before || f.len != before_len) {
            // TUN prepended its header (the segments after the first stay), or the frame became an
            // ARP request or an ICMP error (built in the first segment: the rest is freed).
            m->data_off = static_cast<uint16_t>(m->data_off - (before - f.data));
            if ((f.len < before_len || r.verdict != pkt::Verdict::forward) && m->next != nullptr) {
                rte_pktmbuf_free(m->next);
                m->next = nullptr;
                m->nb_segs = 1;
            }
            m->pkt_len = m->nb_segs == 1 ? f.len : m->pkt_len + (f.len - before_len);
            m->data_len = static_cast<uint16_t>(f.len);
        }
        ++verdicts[static_cast<unsigned>(r.verdict)];
        if (r.verdict == pkt::Verdict::drop) [[unlikely]] {
            _state.counters.bump(_state.counters.drops[static_cast<unsigned>(r.reason)]);
        }
        switch (r.verdict) {
        case pkt::Verdict::forward:
        case pkt::Verdict::reply:
        case pkt::Verdict::solicit:
            queue_or_drop(_tx, max_port_id, r.port, m, pkt::DropReason::no_route);
            break;
        case pkt::Verdict::to_vrrp:
            _vrrp.pkts[_vrrp.n++] = m;
            break;
        case pkt::Verdict::to_control:
            _ctl.pkts[_ctl.n++] = m;
            break;
        case pkt::Verdict::to_exception:
            _exc.pkts[_exc.n++] = m;
            break;
        case pkt::Verdict::to_local:
            _local.pkts[_local.n++] = m;
            break;
        case pkt::Verdict::redirect:
            m->port = f.port;  // for the lcore that gets it (a frame dropped here is freed anyway)
            m->hash.usr = r.hop;
            queue_or_drop(_redirect.data(), _redirect.size(), r.lcore, m, pkt::DropReason::redirect_ring_full);
            break;
        case pkt::Verdict::drop:
            rte_pktmbuf_free(m);
            break;
        }
    }
    pkt::Counters& c = _state.counters;
    for (unsigned v = 0; v < pkt::verdict_count; ++v) {
        if (verdicts[v] != 0) {
            c.bump(c.verdicts[v], verdicts[v]);
        }
    }
    flush();
}

// Control's frames go out unprocessed, on this lcore's TX queue (the only one there is for them).
uint32_t Worker::send_from_control() noexcept
{
    rte_mbuf* pkts[burst_size];
    const unsigned n = rte_ring_dequeue_burst(_cfg.from_control, reinterpret_cast<void**>(pkts), burst_size, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        if (m->port >= max_port_id) {
            rte_pktmbuf_free(m);
            dropped(pkt::DropReason::no_route, 1);
            continue;
        }
        Out& o = _tx[m->port];
        if (o.n == burst_size) {
            flush();
        }
        o.pkts[o.n++] = m;
    }
    if (n != 0) {
        flush();
    }
    return n;
}

uint32_t Worker::poll_once(uint64_t now) noexcept
{
    rte_mbuf* rx[burst_size];
    pkt::Counters& c = _state.counters;
    // Loaded once per iteration; valid until the quiescent report below.
    const fwd::Table* table = _cfg.publisher->current();
    uint32_t total = 0;
    for (const uint16_t port : _cfg.ports) {
        const uint16_t n = rte_eth_rx_burst(port, _cfg.queue, rx, burst_size);
        if (n != 0) {
            c.bump(c.rx, n);
            handle(table, rx, n, port, now);
            total += n;
        }
    }
    if (_cfg.redirect_in != nullptr) {
        const unsigned n = rte_ring_dequeue_burst(_cfg.redirect_in, reinterpret_cast<void**>(rx), burst_size, nullptr);
        if (n != 0) {
            handle(table, rx, static_cast<uint16_t>(n), -1, now);
            total += n;
        }
    }
    if (_cfg.from_control != nullptr) {
        total += send_from_control();
    }
    if (total != 0) {
        // Flow expiry, a few buckets per busy iteration: a full sweep every buckets()/8 iterations.
        _state.flows.expire(now, 8);
    }
    // The table pointer is not used past this point.
    _cfg.publisher->quiescent(_cfg.reader_id);
    return total;
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

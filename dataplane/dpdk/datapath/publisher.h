// Publishes fwd::Table snapshots to the lcores without locks: the one place where a table is freed.
//
// Memory ordering (the whole protocol, in the manner of DPDK's lib/rcu):
//   - `_current` is the one shared pointer (control: rw, dataplane: ro). The control thread stores a
//     new table with a release exchange, so a reader that loads the pointer with acquire sees the
//     table fully built.
//   - Readers (lcores) load the pointer once per loop iteration, use it for that burst, and then
//     report a quiescent state (`rte_rcu_qsbr_quiescent`, a release store of the grace-period token
//     they have seen). An lcore about to sleep goes offline first and comes back online (which
//     ends in a full fence) before it loads the pointer again.
//   - After the exchange the writer calls `rte_rcu_qsbr_synchronize`, which starts a grace period
//     (release add on the token) and waits until every online reader has reported a quiescent state
//     after it (acquire loads of the readers' counters). No reader can still hold the old pointer
//     then, so the writer frees it.
// There is one writer: the control thread. publish() blocks for a grace period; the hot path never
// waits on anything.
#pragma once

#include "dataplane/fwd/table.h"

#include <atomic>
#include <cstdint>
#include <memory>

struct rte_rcu_qsbr;

namespace fwd {

class Publisher {
public:
    /// Start-up: room for `max_readers` reader ids (0 … max_readers − 1). Throws std::bad_alloc or
    /// std::runtime_error. Needs no EAL (the QSBR variable lives in ordinary aligned memory).
    explicit Publisher(uint32_t max_readers);
    /// Frees the current table. Every reader must be offline (or gone) by then.
    ~Publisher();
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;

    /// Control thread: publishes `next` (may be null: "no table"), waits for a grace period, frees
    /// the previous table.
    void publish(std::unique_ptr<const Table> next);

    /// Hot path: the table for this loop iteration. Valid until the caller's next quiescent report.
    const Table* current() const noexcept { return _current.load(std::memory_order_acquire); }

    // Reader side, by reader id. register/unregister: any thread, while the reader is offline.
    // online/offline/quiescent: the reader's own thread.
    void register_reader(uint32_t id) noexcept;
    void unregister_reader(uint32_t id) noexcept;
    void online(uint32_t id) noexcept;
    void offline(uint32_t id) noexcept;
    void quiescent(uint32_t id) noexcept;

    rte_rcu_qsbr* qsbr() noexcept { return _qsbr.get(); }

private:
    struct Free {
        void operator()(rte_rcu_qsbr* p) const noexcept;
    };
    std::unique_ptr<rte_rcu_qsbr, Free> _qsbr;
    // control: rw (release exchange in publish), dataplane: ro (acquire load in current()).
    alignas(64) std::atomic<const Table*> _current{nullptr};
};

}  // namespace fwd

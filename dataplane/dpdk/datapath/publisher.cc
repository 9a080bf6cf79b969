// The RCU publisher of fwd::Table over rte_rcu_qsbr: publish, synchronize, free.
#include "dataplane/dpdk/datapath/publisher.h"

#include <rte_rcu_qsbr.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace fwd {

void Publisher::Free::operator()(rte_rcu_qsbr* p) const noexcept { std::free(p); }

Publisher::Publisher(uint32_t max_readers)
{
    const size_t size = rte_rcu_qsbr_get_memsize(max_readers);
    if (size == 0 || size == static_cast<size_t>(-1)) {
        throw std::runtime_error("rte_rcu_qsbr_get_memsize failed");
    }
    const size_t rounded = (size + RTE_CACHE_LINE_SIZE - 1) / RTE_CACHE_LINE_SIZE * RTE_CACHE_LINE_SIZE;
    void* mem = std::aligned_alloc(RTE_CACHE_LINE_SIZE, rounded);
    if (mem == nullptr) {
        throw std::bad_alloc();
    }
    std::memset(mem, 0, rounded);
    _qsbr.reset(static_cast<rte_rcu_qsbr*>(mem));
    if (rte_rcu_qsbr_init(_qsbr.get(), max_readers) != 0) {
        throw std::runtime_error("rte_rcu_qsbr_init failed");
    }
}

Publisher::~Publisher()
{
    delete _current.exchange(nullptr, std::memory_order_acq_rel);
}

void Publisher::publish(std::unique_ptr<const Table> next)
{
    const Table* old = _current.exchange(next.release(), std::memory_order_acq_rel);
    // Waits for every online reader to pass a quiescent state after the exchange; offline readers
    // are not waited for (they reload the pointer after coming online).
    rte_rcu_qsbr_synchronize(_qsbr.get(), RTE_QSBR_THRID_INVALID);
    delete old;
}

void Publisher::register_reader(uint32_t id) noexcept { rte_rcu_qsbr_thread_register(_qsbr.get(), id); }
void Publisher::unregister_reader(uint32_t id) noexcept { rte_rcu_qsbr_thread_unregister(_qsbr.get(), id); }
void Publisher::online(uint32_t id) noexcept { rte_rcu_qsbr_thread_online(_qsbr.get(), id); }
void Publisher::offline(uint32_t id) noexcept { rte_rcu_qsbr_thread_offline(_qsbr.get(), id); }
void Publisher::quiescent(uint32_t id) noexcept { rte_rcu_qsbr_quiescent(_qsbr.get(), id); }

}  // namespace fwd

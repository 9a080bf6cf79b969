// The per-lcore flow table's timeouts and housekeeping (the state machine is dataplane/fwd/flow_state.cc).
#include "dataplane/dpdk/datapath/flow/flow_table.h"

namespace flow {

FlowTable::FlowTable(uint32_t capacity, const Timeouts& timeouts) : Base(capacity)
{
    set_timeouts(timeouts);
}

void FlowTable::set_timeouts(const Timeouts& t) noexcept
{
    set_timeout(static_cast<unsigned>(State::none), t.tcp_none);
    set_timeout(static_cast<unsigned>(State::established), t.tcp);
    set_timeout(static_cast<unsigned>(State::syn_recv), t.tcp_syn);
    set_timeout(static_cast<unsigned>(State::fin_wait), t.tcp_fin);
    set_timeout(static_cast<unsigned>(State::time_wait), t.tcp_time_wait);
    set_timeout(static_cast<unsigned>(State::close), t.tcp_close);
    set_timeout(static_cast<unsigned>(State::udp), t.udp);
    set_timeout(static_cast<unsigned>(State::syn_sent), t.tcp_syn_sent);
    set_timeout(static_cast<unsigned>(State::close_wait), t.tcp_close_wait);
    set_timeout(static_cast<unsigned>(State::last_ack), t.tcp_last_ack);
    set_timeout(static_cast<unsigned>(State::listen), t.tcp_listen);
    set_timeout(static_cast<unsigned>(State::synack), t.tcp_synack);
    set_timeout(unconfirmed_class, t.unconfirmed != 0 ? t.unconfirmed : UINT64_MAX);
}

Timeouts FlowTable::timeouts() const noexcept
{
    return {.tcp = timeout(static_cast<unsigned>(State::established)),
            .tcp_fin = timeout(static_cast<unsigned>(State::fin_wait)),
            .udp = timeout(static_cast<unsigned>(State::udp)),
            .tcp_syn = timeout(static_cast<unsigned>(State::syn_recv)),
            .tcp_close = timeout(static_cast<unsigned>(State::close)),
            .tcp_none = timeout(static_cast<unsigned>(State::none)),
            .tcp_time_wait = timeout(static_cast<unsigned>(State::time_wait)),
            .tcp_syn_sent = timeout(static_cast<unsigned>(State::syn_sent)),
            .tcp_close_wait = timeout(static_cast<unsigned>(State::close_wait)),
            .tcp_last_ack = timeout(static_cast<unsigned>(State::last_ack)),
            .tcp_listen = timeout(static_cast<unsigned>(State::listen)),
            .tcp_synack = timeout(static_cast<unsigned>(State::synack)),
            .unconfirmed = timeout(unconfirmed_class) == UINT64_MAX ? 0 : timeout(unconfirmed_class)};
}

}  // namespace flow

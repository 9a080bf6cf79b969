// The per-lcore flow table's timeouts and housekeeping (the state machine is dataplane/fwd/flow_state.cc).
#include "dataplane/dpdk/datapath/flow/flow_table.h"

#include <array>
#include <cstdint>

namespace flow {
namespace {

// The Timeouts field of each state's timeout class, in State order (sNO sES sSR sFW sTW sCL sUD sSS
// sCW sLA sLI sSA): one list, so that set_timeouts() and timeouts() cannot disagree.
constexpr std::array<uint64_t Timeouts::*, state_count> timeout_field = {
    &Timeouts::tcp_none,       &Timeouts::tcp,          &Timeouts::tcp_syn,    &Timeouts::tcp_fin,
    &Timeouts::tcp_time_wait,  &Timeouts::tcp_close,    &Timeouts::udp,        &Timeouts::tcp_syn_sent,
    &Timeouts::tcp_close_wait, &Timeouts::tcp_last_ack, &Timeouts::tcp_listen, &Timeouts::tcp_synack};
static_assert(timeout_field[static_cast<unsigned>(State::synack)] == &Timeouts::tcp_synack, "one field per state");

}  // namespace

FlowTable::FlowTable(uint32_t capacity, const Timeouts& timeouts, uint64_t seed) : Base(capacity), _seed(seed)
{
    set_timeouts(timeouts);
}

uint64_t FlowTable::random_seed() noexcept
{
    return ::flow::random_seed();
}

void FlowTable::set_timeouts(const Timeouts& t) noexcept
{
    for (unsigned s = 0; s < state_count; ++s) {
        set_timeout(s, t.*timeout_field[s]);
    }
    set_timeout(unconfirmed_class, t.unconfirmed != 0 ? t.unconfirmed : UINT64_MAX);
}

Timeouts FlowTable::timeouts() const noexcept
{
    Timeouts t;
    for (unsigned s = 0; s < state_count; ++s) {
        t.*timeout_field[s] = timeout(s);
    }
    t.unconfirmed = timeout(unconfirmed_class) == UINT64_MAX ? 0 : timeout(unconfirmed_class);
    return t;
}

}  // namespace flow

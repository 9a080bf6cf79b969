// IPVS's TCP state machine (input-only direction) and timeouts for the flow table.
#include "dataplane/flow/flow_table.h"

#include <array>

namespace flow {
namespace {

constexpr State sES = State::established;
constexpr State sSR = State::syn_recv;
constexpr State sFW = State::fin_wait;
constexpr State sTW = State::time_wait;
constexpr State sCL = State::close;
constexpr State sUD = State::udp;

// INPUT-ONLY rows of tcp_states[] in net/netfilter/ipvs/ip_vs_proto_tcp.c, restricted to the states
// those rows can reach from NONE (SYN_SENT, CLOSE_WAIT, LAST_ACK, LISTEN and SYNACK only arise from
// server→client packets or secure_tcp), and none leads back to NONE. Columns are State values.
//                                                   sNO  sES  sSR  sFW  sTW  sCL  sUD
constexpr std::array<std::array<State, state_count>, 4> transitions = {{
    /* syn */ {sSR, sES, sSR, sSR, sSR, sSR, sUD},
    /* fin */ {sCL, sFW, sTW, sFW, sTW, sCL, sUD},
    /* ack */ {sES, sES, sES, sFW, sTW, sCL, sUD},
    /* rst */ {sCL, sCL, sSR, sCL, sCL, sCL, sUD},
}};

}  // namespace

State next_state(State s, uint8_t tcp_flags) noexcept
{
    // tcp_state_idx(): RST wins, then SYN, FIN, ACK.
    unsigned row = 0;
    if ((tcp_flags & tcp_rst) != 0) {
        row = 3;
    } else if ((tcp_flags & tcp_syn) != 0) {
        row = 0;
    } else if ((tcp_flags & tcp_fin) != 0) {
        row = 1;
    } else if ((tcp_flags & tcp_ack) != 0) {
        row = 2;
    } else {
        return s;
    }
    const auto col = static_cast<unsigned>(s);
    return col < state_count ? transitions[row][col] : s;
}

const char* state_name(State s) noexcept
{
    switch (s) {
    case State::none: return "NONE";
    case State::established: return "ESTABLISHED";
    case State::syn_recv: return "SYN_RECV";
    case State::fin_wait: return "FIN_WAIT";
    case State::time_wait: return "TIME_WAIT";
    case State::close: return "CLOSE";
    case State::udp: return "UDP";
    }
    return "?";
}

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
}

Timeouts FlowTable::timeouts() const noexcept
{
    return {.tcp = timeout(static_cast<unsigned>(State::established)),
            .tcp_fin = timeout(static_cast<unsigned>(State::fin_wait)),
            .udp = timeout(static_cast<unsigned>(State::udp)),
            .tcp_syn = timeout(static_cast<unsigned>(State::syn_recv)),
            .tcp_close = timeout(static_cast<unsigned>(State::close)),
            .tcp_none = timeout(static_cast<unsigned>(State::none)),
            .tcp_time_wait = timeout(static_cast<unsigned>(State::time_wait))};
}

}  // namespace flow

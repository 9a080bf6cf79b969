// IPVS's TCP state machine (all three directions) and timeouts for the flow table.
#include "dataplane/dpdk/datapath/flow/flow_table.h"

#include <array>

namespace flow {
namespace {

constexpr State sNO = State::none;
constexpr State sES = State::established;
constexpr State sSR = State::syn_recv;
constexpr State sFW = State::fin_wait;
constexpr State sTW = State::time_wait;
constexpr State sCL = State::close;
constexpr State sUD = State::udp;
constexpr State sSS = State::syn_sent;
constexpr State sCW = State::close_wait;
constexpr State sLA = State::last_ack;
constexpr State sLI = State::listen;

using Row = std::array<State, state_count>;
// tcp_states[] of net/netfilter/ipvs/ip_vs_proto_tcp.c, three blocks (INPUT, OUTPUT, INPUT-ONLY) of
// four rows (syn, fin, ack, rst). The kernel orders its columns sNO sES sSS sSR sFW sTW sCL sCW sLA
// sLI sSA; here the columns are State values (below), so each kernel row is permuted, not changed.
// A non-TCP flow (sUD) never moves; no row leads to SYNACK (only IPVS's secure_tcp table does).
//                          sNO  sES  sSR  sFW  sTW  sCL  sUD  sSS  sCW  sLA  sLI  sSA
constexpr std::array<std::array<Row, 4>, 3> transitions = {{
    {{
        /* INPUT syn */ {sSR, sES, sSR, sSR, sSR, sSR, sUD, sES, sSR, sSR, sSR, sSR},
        /* INPUT fin */ {sCL, sCW, sTW, sTW, sTW, sCL, sUD, sSS, sCW, sLA, sLI, sTW},
        /* INPUT ack */ {sES, sES, sES, sFW, sTW, sCL, sUD, sSS, sCW, sCL, sLI, sES},
        /* INPUT rst */ {sCL, sCL, sSR, sCL, sCL, sCL, sUD, sCL, sCL, sLA, sLI, sSR},
    }},
    {{
        /* OUTPUT syn */ {sSS, sES, sSR, sSS, sSS, sSS, sUD, sSS, sSS, sSS, sLI, sSR},
        /* OUTPUT fin */ {sTW, sFW, sTW, sFW, sTW, sCL, sUD, sSS, sTW, sLA, sLI, sTW},
        /* OUTPUT ack */ {sES, sES, sES, sFW, sTW, sCL, sUD, sSS, sCW, sLA, sES, sES},
        /* OUTPUT rst */ {sCL, sCL, sCL, sCL, sTW, sCL, sUD, sSS, sCL, sCL, sCL, sCL},
    }},
    {{
        /* INPUT-ONLY syn */ {sSR, sES, sSR, sSR, sSR, sSR, sUD, sES, sSR, sSR, sSR, sSR},
        /* INPUT-ONLY fin */ {sCL, sFW, sTW, sFW, sTW, sCL, sUD, sSS, sCW, sLA, sLI, sTW},
        /* INPUT-ONLY ack */ {sES, sES, sES, sFW, sTW, sCL, sUD, sSS, sCW, sCL, sLI, sES},
        /* INPUT-ONLY rst */ {sCL, sCL, sSR, sCL, sCL, sCL, sUD, sCL, sCL, sLA, sLI, sCL},
    }},
}};
static_assert(transitions[2][0][static_cast<unsigned>(sNO)] == sSR);

}  // namespace

State next_state(State s, uint8_t tcp_flags, Dir dir) noexcept
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
    const auto blk = static_cast<unsigned>(dir);
    return col < state_count && blk < transitions.size() ? transitions[blk][row][col] : s;
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
    case State::syn_sent: return "SYN_SENT";
    case State::close_wait: return "CLOSE_WAIT";
    case State::last_ack: return "LAST_ACK";
    case State::listen: return "LISTEN";
    case State::synack: return "SYNACK";
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

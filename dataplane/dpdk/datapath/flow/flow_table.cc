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

// The Timeouts field of each state's timeout class, in State order (sNO sES sSR sFW sTW sCL sUD sSS
// sCW sLA sLI sSA): one list, so that set_timeouts() and timeouts() cannot disagree.
constexpr std::array<uint64_t Timeouts::*, state_count> timeout_field = {
    &Timeouts::tcp_none,       &Timeouts::tcp,          &Timeouts::tcp_syn,    &Timeouts::tcp_fin,
    &Timeouts::tcp_time_wait,  &Timeouts::tcp_close,    &Timeouts::udp,        &Timeouts::tcp_syn_sent,
    &Timeouts::tcp_close_wait, &Timeouts::tcp_last_ack, &Timeouts::tcp_listen, &Timeouts::tcp_synack};
static_assert(timeout_field[static_cast<unsigned>(State::synack)] == &Timeouts::tcp_synack, "one field per state");

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

// The DPDK packet path's verdicts in the golden contract's terms, for the runners over pkt::process
// (the plain one and the lcore loop): to_control and to_exception are both a pass, and redirect (a
// hand-over to another lcore) is no outcome of the contract at all.
#pragma once

#include "dataplane/dpdk/datapath/pkt/verdict.h"
#include "tests/golden/runner.h"

#include <string>

namespace golden {

static_assert(reason_count == pkt::drop_reason_count, "one list of drop reasons: dataplane/fwd/verdicts.h");

/// The verdict, the reason and where a pass went; Outcome::error for redirect.
inline Outcome outcome_of(pkt::Verdict v, pkt::DropReason r)
{
    Outcome o;
    o.reason = static_cast<Reason>(r);
    switch (v) {
    case pkt::Verdict::forward: o.verdict = Verdict::forward; break;
    case pkt::Verdict::reply: o.verdict = Verdict::reply; break;
    case pkt::Verdict::solicit: o.verdict = Verdict::solicit; break;
    case pkt::Verdict::to_vrrp:
    case pkt::Verdict::to_control: o.verdict = Verdict::pass; o.to = Handover::control; break;
    case pkt::Verdict::to_local:
    case pkt::Verdict::to_exception: o.verdict = Verdict::pass; o.to = Handover::kernel; break;
    case pkt::Verdict::drop: o.verdict = Verdict::drop; break;
    case pkt::Verdict::redirect:
        o.verdict = Verdict::drop;
        o.error = "redirected to another lcore: not an outcome of the contract (one lcore, no steering)";
        break;
    }
    return o;
}

}  // namespace golden

// The golden contract: what every dataplane must do with the golden frames, and the interface a
// dataplane's test implements to be held to it (a Runner: load a setup, then frame in → verdict,
// drop reason, frame out). The plain packet path (tests/unit/golden_test.cc), the DPDK lcore loop
// (tests/dataplane) and the XDP program each have one; the fixtures (fixtures.h) and check() are
// shared. Frames are plain bytes, verdicts and drop reasons the one list of dataplane/fwd/verdicts.h,
// so a runner needs none of another dataplane's types.
//
// Only outcomes every dataplane can produce are verdicts here: DPDK's `redirect` (a hand-over between
// lcores) is not one, and its `to_control` and `to_exception` are both `pass`, as XDP_PASS is; which
// of the two a pass went to is checked where the runner can tell (Cap::pass_target).
#pragma once

#include "conf/model.h"
#include "dataplane/fwd/verdicts.h"
#include "tests/golden/builder.h"
#include "tests/golden/setup.h"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace golden {

/// What a dataplane did with a frame.
enum class Verdict : uint8_t {
    forward,  // rewritten and sent on (to a backend, or a NAT reply to its client)
    reply,    // rewritten into an answer (ARP reply, ICMP error), sent out the port it came in on
    solicit,  // the next hop's MAC is unknown: rewritten into an ARP request for it and sent
    pass,     // left to the node (the kernel's stack, or the control thread): unchanged
    drop,     // dropped, with a reason
};
std::string_view to_string(Verdict v) noexcept;

/// Why a frame was dropped: dataplane/fwd/verdicts.h's list, numbered as there.
enum class Reason : uint8_t {
#define VIPD_X_(name, why) name,
    VIPD_DROP_REASONS(VIPD_X_)
#undef VIPD_X_
};
inline constexpr unsigned reason_count = VIPD_DROP_COUNT;
std::string_view to_string(Reason r) noexcept;

/// Who a passed frame is for. Both are XDP_PASS; the DPDK node has a ring to each.
enum class Handover : uint8_t {
    any,      // the runner cannot tell
    control,  // the control thread: VRRP adverts, ARP to learn neighbours from
    kernel,   // the kernel's stack: everything else the node does not forward
};
std::string_view to_string(Handover h) noexcept;

/// What a runner can do, and what a fixture needs of it (a bit set). A fixture that needs a
/// capability the runner lacks is skipped, and says so.
using Caps = uint32_t;
namespace cap {
inline constexpr Caps multi_step = 1u << 0;   // state kept between the frames of one fixture
inline constexpr Caps flow_state = 1u << 1;   // a flow table: later packets and NAT replies follow the first
inline constexpr Caps sched_state = 1u << 2;  // scheduler state across flows: rr cursors, persistence
inline constexpr Caps icmp_gen = 1u << 3;     // builds ICMP errors (fragmentation needed, time exceeded)
inline constexpr Caps clock = 1u << 4;        // frames at the fixture's instants (rate-limit buckets)
inline constexpr Caps arp_solicit = 1u << 5;  // an unknown next hop becomes an ARP request
inline constexpr Caps tun = 1u << 6;          // lb_kind TUN: IPIP encapsulation and its path MTU
inline constexpr Caps runt_frames = 1u << 7;  // takes frames under 14 bytes (BPF_PROG_TEST_RUN refuses them)
/// Not a need: a runner that has it reports Outcome::to, and pass steps are checked against it.
inline constexpr Caps pass_target = 1u << 8;
inline constexpr Caps all = (1u << 9) - 1;
}  // namespace cap
/// "flow_state|icmp_gen"; "none" for 0.
std::string caps_string(Caps c);

/// One frame of a fixture and what must become of it.
struct Step {
    std::string what;  // why this outcome is right (RFCs, IPVS's and the kernel's behaviour)
    Bytes input;
    Verdict verdict = Verdict::drop;
    Reason reason = Reason::none;  // for drop
    Bytes output;                  // for forward, reply and solicit: the exact frame sent (on the setup's port)
    Handover to = Handover::any;   // for pass
    uint32_t after_ms = 1;         // since the step before (the first: since the fresh state); 0: same instant
};

/// A fixture: a frame, or a short sequence (SYN, then its reply), run against fresh state.
struct Fixture {
    std::string name;  // "<feature>_<what>", [a-z0-9_]: the test's name and the pcap file's
    Caps needs = 0;
    std::vector<Step> steps;
};
/// For GoogleTest's messages: the fixture's name, not its bytes.
void PrintTo(const Fixture& f, std::ostream* os);

/// What a runner loads: the configuration and the node every fixture assumes.
struct Setup {
    conf::Config config;
    Node node;
};

/// What a runner saw become of one frame.
struct Outcome {
    Verdict verdict = Verdict::drop;
    Reason reason = Reason::none;
    Bytes frame;                  // sent (forward, reply, solicit) or handed over (pass); empty for drop
    uint16_t port = 0;            // sent on: 0 is the setup's port
    Handover to = Handover::any;  // for pass, where the runner can tell
    std::string error;            // an outcome outside the contract (a DPDK redirect, a verdict counted
                                  // with no frame to show for it): the step fails with this
};

class Runner {
public:
    virtual ~Runner() = default;
    /// Short and file-name safe: "plain", "dpdk", "xdp".
    virtual std::string_view name() const = 0;
    virtual Caps caps() const = 0;
    /// The forwarding state for `setup` (once; every fixture runs against it). An error, or empty.
    virtual std::string load(const Setup& setup) = 0;
    /// Fresh packet state before each fixture: no flows, scheduler cursors at their start, full ICMP
    /// buckets, no ARP requests remembered, ICMP ids from 0; the clock at 0.
    virtual void reset() = 0;
    /// One frame received on the setup's port at `now_ms` (ms since reset).
    virtual Outcome run(const Bytes& frame, uint64_t now_ms) = 0;
    /// Why this runner skips `fixture` beyond its capabilities (a service it does not load yet), or
    /// empty. The skip is reported as visibly as a missing capability.
    virtual std::string cannot(const Fixture& fixture) const
    {
        (void)fixture;
        return {};
    }
};

/// What check() found.
struct Report {
    bool skipped = false;
    std::string message;  // the skip's reason, or every mismatch and the pcap that shows them; empty: passed
    std::string pcap;     // the path of the pcap written for a failure
};

/// Runs `fixture` on `runner` (reset, then every step, every one checked). On a failure writes the
/// steps' input, expected and actual frames to a pcap file in pcap_dir() and names it in the message.
Report check(Runner& runner, const Fixture& fixture);

/// $GOLDEN_PCAP_DIR, else tests/golden in the build directory (GOLDEN_PCAP_DEFAULT_DIR), else ".".
std::string pcap_dir();

}  // namespace golden

// check(): one fixture through one runner, every step compared with the contract, and a pcap of the
// frames when something differs.
#include "tests/golden/runner.h"

#include "tests/golden/pcap.h"

#include <cstdlib>
#include <ostream>
#include <utility>

namespace golden {

std::string_view to_string(Verdict v) noexcept
{
    switch (v) {
    case Verdict::forward: return "forward";
    case Verdict::reply: return "reply";
    case Verdict::solicit: return "solicit";
    case Verdict::pass: return "pass";
    case Verdict::drop: return "drop";
    }
    return "?";
}

std::string_view to_string(Reason r) noexcept
{
#define VIPD_X_(name, why) #name,
    static constexpr std::string_view names[] = {VIPD_DROP_REASONS(VIPD_X_)};
#undef VIPD_X_
    return static_cast<unsigned>(r) < reason_count ? names[static_cast<unsigned>(r)] : "?";
}

std::string_view to_string(Handover h) noexcept
{
    switch (h) {
    case Handover::any: return "any";
    case Handover::control: return "control";
    case Handover::kernel: return "kernel";
    }
    return "?";
}

std::string caps_string(Caps c)
{
    static constexpr std::pair<Caps, std::string_view> names[] = {
        {cap::multi_step, "multi_step"}, {cap::flow_state, "flow_state"}, {cap::sched_state, "sched_state"},
        {cap::icmp_gen, "icmp_gen"},     {cap::clock, "clock"},           {cap::arp_solicit, "arp_solicit"},
        {cap::tun, "tun"},               {cap::runt_frames, "runt_frames"}, {cap::pass_target, "pass_target"},
    };
    std::string s;
    for (const auto& [bit, name] : names) {
        if ((c & bit) != 0) {
            s += (s.empty() ? "" : "|") + std::string(name);
            c &= ~bit;
        }
    }
    if (c != 0) {
        s += (s.empty() ? "" : "|") + std::string("0x") + std::to_string(c);
    }
    return s.empty() ? "none" : s;
}

void PrintTo(const Fixture& f, std::ostream* os) { *os << f.name; }

std::string pcap_dir()
{
    if (const char* d = std::getenv("GOLDEN_PCAP_DIR"); d != nullptr && *d != '\0') {
        return d;
    }
#ifdef GOLDEN_PCAP_DEFAULT_DIR
    return GOLDEN_PCAP_DEFAULT_DIR;
#else
    return ".";
#endif
}

namespace {

bool sends(Verdict v) noexcept { return v == Verdict::forward || v == Verdict::reply || v == Verdict::solicit; }

// Where two frames part: "frame differs: 60 bytes, expected 60; first at byte 5 (0x12, expected 0x11)".
std::string differ(const Bytes& got, const Bytes& want)
{
    size_t i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i]) {
        ++i;
    }
    std::string s = std::to_string(got.size()) + " bytes, expected " + std::to_string(want.size());
    if (i < got.size() && i < want.size()) {
        const auto hex = [](uint8_t v) {
            constexpr char digits[] = "0123456789abcdef";
            return std::string{'0', 'x', digits[v >> 4], digits[v & 0xf]};
        };
        s += "; first difference at byte " + std::to_string(i) + " (" + hex(got[i]) + ", expected " + hex(want[i]) + ")";
    } else {
        s += "; the same up to the shorter's end";
    }
    return s;
}

}  // namespace

Report check(Runner& runner, const Fixture& fixture)
{
    if (const Caps missing = fixture.needs & ~runner.caps(); missing != 0) {
        return {.skipped = true,
                .message = fixture.name + " needs " + caps_string(missing) + ", which the " +
                           std::string(runner.name()) + " runner cannot do",
                .pcap = {}};
    }
    if (const std::string why = runner.cannot(fixture); !why.empty()) {
        return {.skipped = true, .message = fixture.name + ": " + why + " (the " + std::string(runner.name()) + " runner)",
                .pcap = {}};
    }
    runner.reset();
    std::string problems;
    std::vector<pcap::Record> frames;
    std::string index;  // which pcap packet is which
    uint64_t now = 0;
    for (size_t i = 0; i < fixture.steps.size(); ++i) {
        const Step& s = fixture.steps[i];
        now += s.after_ms;
        const Outcome o = runner.run(s.input, now);
        const std::string step = "step " + std::to_string(i + 1) + " (" + s.what + "): ";
        std::string bad;
        if (!o.error.empty()) {
            bad += step + o.error + "\n";
        }
        if (o.verdict != s.verdict) {
            bad += step + "verdict " + std::string(to_string(o.verdict)) + ", expected " + std::string(to_string(s.verdict)) +
                   (o.verdict == Verdict::drop ? " (dropped: " + std::string(to_string(o.reason)) + ")" : "") + "\n";
        } else if (s.verdict == Verdict::drop && o.reason != s.reason) {
            bad += step + "dropped for " + std::string(to_string(o.reason)) + ", expected " +
                   std::string(to_string(s.reason)) + "\n";
        }
        const Bytes* want = sends(s.verdict) ? &s.output : s.verdict == Verdict::pass ? &s.input : nullptr;
        if (o.verdict == s.verdict && want != nullptr) {
            if (sends(s.verdict) && o.port != 0) {
                bad += step + "sent on port " + std::to_string(o.port) + ", not the setup's port\n";
            }
            if (o.frame != *want) {
                bad += step + (sends(s.verdict) ? "frame sent differs: " : "handed over changed: ") +
                       differ(o.frame, *want) + "\n";
            }
            if (s.verdict == Verdict::pass && (runner.caps() & cap::pass_target) != 0 && o.to != s.to) {
                bad += step + "passed to " + std::string(to_string(o.to)) + ", expected " + std::string(to_string(s.to)) + "\n";
            }
        }
        // The frames of every step, in order: input, what was expected, what came out.
        const auto at = [&](uint32_t k) {
            return pcap::Record{.sec = static_cast<uint32_t>(now / 1000),
                                .usec = static_cast<uint32_t>(now % 1000 * 1000 + k), .frame = {}};
        };
        index += " step " + std::to_string(i + 1) + ": in #" + std::to_string(frames.size() + 1);
        frames.push_back(at(0));
        frames.back().frame = s.input;
        if (want != nullptr) {
            index += ", expected #" + std::to_string(frames.size() + 1);
            frames.push_back(at(1));
            frames.back().frame = *want;
        }
        if (!o.frame.empty()) {
            index += ", got #" + std::to_string(frames.size() + 1);
            frames.push_back(at(2));
            frames.back().frame = o.frame;
        }
        index += ";";
        problems += bad;
    }
    if (problems.empty()) {
        return {};
    }
    Report r;
    r.pcap = pcap_dir() + "/golden-" + std::string(runner.name()) + "-" + fixture.name + ".pcap";
    if (const std::string e = pcap::write(r.pcap, frames); !e.empty()) {
        r.message = problems + "(no pcap: " + e + ")";
        r.pcap.clear();
    } else {
        r.message = problems + "frames in " + r.pcap + " (pcap packets:" + index + ")";
    }
    return r;
}

}  // namespace golden

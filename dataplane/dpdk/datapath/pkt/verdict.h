// The verdicts and drop reasons of the packet path as C++ enums, made from the one list that the XDP
// program includes too (dataplane/fwd/verdicts.h); the DPDK lcores count by them and the golden
// fixtures name them.
#pragma once

#include "dataplane/fwd/verdicts.h"

#include <cstdint>
#include <string_view>

namespace pkt {

/// What the lcore does with a frame (the list and its meanings: dataplane/fwd/verdicts.h).
enum class Verdict : uint8_t {
#define VIPD_X_(name, why) name,
    VIPD_VERDICTS(VIPD_X_)
#undef VIPD_X_
};
inline constexpr unsigned verdict_count = VIPD_VERDICT_COUNT;

/// Why a frame was dropped. Every value has a per-lcore counter; append only, in verdicts.h.
enum class DropReason : uint8_t {
#define VIPD_X_(name, why) name,
    VIPD_DROP_REASONS(VIPD_X_)
#undef VIPD_X_
};
inline constexpr unsigned drop_reason_count = VIPD_DROP_COUNT;

#define VIPD_X_(name, why) #name,
inline constexpr std::string_view verdict_names[] = {VIPD_VERDICTS(VIPD_X_)};
inline constexpr std::string_view drop_reason_names[] = {VIPD_DROP_REASONS(VIPD_X_)};
#undef VIPD_X_

constexpr std::string_view to_string(Verdict v) noexcept
{
    return static_cast<unsigned>(v) < verdict_count ? verdict_names[static_cast<unsigned>(v)] : "?";
}

constexpr std::string_view to_string(DropReason r) noexcept
{
    return static_cast<unsigned>(r) < drop_reason_count ? drop_reason_names[static_cast<unsigned>(r)] : "?";
}

/// The outcome of processing one frame.
struct Result {
    Verdict verdict = Verdict::drop;
    DropReason reason = DropReason::none;  // set when verdict is drop
    uint16_t port = 0;   // forward, reply, solicit: the port to send on
    uint16_t lcore = 0;  // redirect: the lcore to hand it to
    uint8_t hop = 0;     // redirect: the reply candidate that lcore tries first (see Frame::hop)
};

}  // namespace pkt

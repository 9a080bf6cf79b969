// MISC_CHECK: a script's exit status decides, with keepalived's misc_dynamic rule for weights.
#include "control/check/probe.h"

#include "control/process.h"

#include <fmt/format.h>

namespace check {

void probe_misc(boost::asio::io_context& io, const std::optional<conf::Exec>& exec, std::chrono::microseconds timeout,
                bool dynamic, Done done)
{
    if (!exec) {
        // Dropped by validation (not found, no such user, insecure under enable_script_security).
        done(Outcome{.ok = false, .weight = {}, .reason = "failed", .detail = "(not run: disabled)", .successes = {}});
        return;
    }
    auto ms = std::max<std::chrono::milliseconds>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout),
                                                  std::chrono::milliseconds(1));
    control::run_script(io, *exec, {}, ms, [dynamic, done = std::move(done)](control::ScriptResult r) {
        Outcome o;
        if (!r.spawned) {
            o.reason = "failed";
            o.detail = "(could not be run)";
        } else if (r.timed_out) {
            o.reason = "timed out";
        } else if (r.exit_status == 0) {
            o.ok = true;
        } else if (dynamic && r.exit_status >= 2 && r.exit_status <= 255) {
            // keepalived: the weight is two less than the exit status, 0..253.
            o.ok = true;
            o.weight = r.exit_status - 2;
        } else {
            o.reason = "failed";
            o.detail = fmt::format("(exited with status {})", r.exit_status);
        }
        done(std::move(o));
    });
}

} // namespace check

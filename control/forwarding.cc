// Builds the forwarding snapshot and applies it to the dataplane.
#include "control/forwarding.h"

#include "control/log.h"
#include "dataplane/fwd/build.h"

#include <vector>

namespace control {

bool Forwarding::publish(Dataplane& dp, const conf::Config& cfg, std::span<const fwd::VirtualServerHealth> health,
                         std::span<const conf::Ip> owned)
{
    if (!dp.forwards()) {
        return true;
    }
    std::vector<uint32_t> owned4;
    for (const auto& ip : owned) {
        if (ip.is_v4()) {
            owned4.push_back(fwd::ipv4_of(ip));
        }
    }
    auto built = fwd::build_snapshot(cfg, {.health = health, .owned = owned4, .limits = dp.limits(), .generation = ++_generation});
    if (!built) {
        vlog::error("forwarding table not built, the running one is kept: {}", built.error());
        return false;
    }
    std::shared_ptr<const fwd::Snapshot> snapshot = std::move(built).value();
    std::string skipped;
    for (const auto& s : snapshot->skipped()) {
        skipped += s + "\n";
    }
    if (skipped != _last_skipped) {
        for (const auto& s : snapshot->skipped()) {
            vlog::warn("dataplane: {}", s);
        }
        _last_skipped = skipped;
    }
    dp.apply(std::move(snapshot));
    return true;
}

} // namespace control

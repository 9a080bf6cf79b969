// The tracking arithmetic of tracking.h: no I/O, no clocks; the log lines are returned, not written.
#include "control/tracking.h"

#include <fmt/format.h>

#include <algorithm>

namespace control {

namespace {

bool lookup(const std::map<std::string, bool>& m, const std::string& name)
{
    auto it = m.find(name);
    return it != m.end() && it->second;
}

} // namespace

std::optional<FileRef> resolve_file_ref(const conf::Config& cfg, const conf::TrackRef& ref)
{
    for (const auto& f : cfg.track_files) {
        if (f.name == ref.name) {
            return FileRef{.weight = ref.weight.value_or(f.weight), .reverse = ref.reverse || (!ref.noreverse && f.weight_reverse)};
        }
    }
    return std::nullopt;
}

Tracking track_instance(const conf::Config& cfg, const conf::VrrpInstance& vi, Transport transport, const TrackStates& states)
{
    Tracking out;
    auto track = [&](bool good, int weight, bool reverse) {
        if (reverse) {
            good = !good;
        }
        if (weight == 0) {
            out.fault = out.fault || !good;
        } else if (weight > 0 && good) {
            out.delta += weight;
        } else if (weight < 0 && !good) {
            out.delta += weight;
        }
    };
    const bool primary_up = lookup(states.link_up, vi.interface);
    if (!vi.dont_track_primary) {
        track(primary_up, 0, false);
    }
    if (!transport.socket || (!vi.dont_track_primary && !primary_up)) {
        out.fault = true;
        out.fault_lines.push_back(fmt::format("({}): entering FAULT state (interface {} down)", vi.name, vi.interface));
    }
    if (!transport.source) {
        out.fault = true;
        out.fault_lines.push_back(fmt::format("({}) entering FAULT state (no IPv4 address for interface)", vi.name));
    }
    for (const auto& t : vi.track_interfaces) {
        track(lookup(states.link_up, t.name), t.weight.value_or(0), t.reverse);
    }
    const conf::SyncGroup* sg = nullptr;
    for (const auto& g : cfg.sync_groups) {
        if (g.name == vi.sync_group) {
            sg = &g;
        }
    }
    for (const auto* refs : {&vi.track_scripts, sg ? &sg->track_scripts : nullptr}) {
        if (refs == nullptr) {
            continue;
        }
        for (const auto& t : *refs) {
            for (const auto& s : cfg.scripts) {
                if (s.name == t.name) {
                    track(lookup(states.script_ok, s.name), t.weight.value_or(s.weight), t.reverse || (!t.noreverse && s.weight_reverse));
                }
            }
        }
    }
    for (const auto* refs : {&vi.track_files, sg ? &sg->track_files : nullptr}) {
        if (refs == nullptr) {
            continue;
        }
        for (const auto& t : *refs) {
            auto it = states.file_value.find(t.name);
            if (it == states.file_value.end()) {
                continue;  // dropped at start (its directory does not exist)
            }
            if (refs != &vi.track_files &&
                std::any_of(vi.track_files.begin(), vi.track_files.end(), [&](const conf::TrackRef& r) { return r.name == t.name; })) {
                continue;
            }
            const auto ref = resolve_file_ref(cfg, t);
            if (!ref) {
                continue;  // validation drops references to undefined files
            }
            const auto e = track_file_effect(it->second, ref->weight, ref->reverse);
            if (e.fault) {
                const int64_t status = ref->weight == 0 ? -254 : it->second * ref->weight * (ref->reverse ? -1 : 1);
                out.fault_lines.push_back(fmt::format("({}): entering FAULT state (tracked file {} has status {})", vi.name, t.name, status));
            }
            out.fault = out.fault || e.fault;
            out.delta += e.delta;
        }
    }
    return out;
}

} // namespace control

// Notify scripts for a state change: the instance's own, then its sync group's once every member is in
// the new state, serial per instance and per group (keepalived's notify_fifo order).
#include "control/daemon_impl.h"

namespace control::detail {

using vrrp::State;

void Daemon::notify(size_t inst, State, State to)
{
    const auto& cfg = _gen->loaded->config;
    const auto& vi = *_gen->engine->instances()[inst].config;
    const conf::Command* specific = nullptr;
    switch (to) {
    case State::master: specific = &vi.notify.master; break;
    case State::backup: specific = &vi.notify.backup; break;
    case State::fault: specific = &vi.notify.fault; break;
    case State::stop: specific = &vi.notify.stop; break;
    case State::init: break;
    }
    // One queue per instance and per group: its scripts run one at a time, in the order of the
    // transitions (keepalived's notify_fifo guarantee), the specific script before `notify`.
    auto spawn = [&](const std::string& key, const conf::Command& cmd, std::vector<std::string> extra) {
        if (cmd.exec) {
            _notify_queue.run(key, *cmd.exec, std::move(extra), std::chrono::seconds(30));
        }
    };
    if (specific != nullptr) {
        spawn("I " + vi.name, *specific, {});
    }
    const int prio = _gen->engine->instances()[inst].fsm->priority();
    spawn("I " + vi.name, vi.notify.notify, {"INSTANCE", vi.name, std::string(vrrp::to_string(to)), std::to_string(prio)});
    // A sync group notifies once all its members are in the new state.
    for (const auto& g : cfg.sync_groups) {
        if (g.name != vi.sync_group) {
            continue;
        }
        bool all = true;
        for (const auto& m : _gen->engine->instances()) {
            if (m.config->sync_group == g.name && m.fsm->state() != to) {
                all = false;
            }
        }
        if (!all) {
            continue;
        }
        const conf::Command* gs = to == State::master ? &g.notify.master : to == State::backup ? &g.notify.backup
                                : to == State::fault  ? &g.notify.fault  : to == State::stop   ? &g.notify.stop : nullptr;
        if (gs != nullptr) {
            spawn("G " + g.name, *gs, {});
        }
        // keepalived: the priority is 0 for a group
        spawn("G " + g.name, g.notify.notify, {"GROUP", g.name, std::string(vrrp::to_string(to)), "0"});
    }
}

} // namespace control::detail

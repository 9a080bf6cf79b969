// Notify scripts for a state change: the instance's own, then its sync group's once every member is in
// the new state, serial per instance and per group (keepalived's notify_fifo order).
#include "control/daemon_impl.h"
#include "control/log.h"

#include <algorithm>

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
    for (const auto& f : _fifos) {
        if (f.vrrp) {
            f.fifo->write(control::NotifyFifo::line(false, vi.name, vrrp::to_string(to), prio));
        }
    }
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
        for (const auto& f : _fifos) {
            if (f.vrrp) {
                f.fifo->write(control::NotifyFifo::line(true, g.name, vrrp::to_string(to), 0));
            }
        }
    }
}

// notify_fifo gets every line; vrrp_notify_fifo the instances' and groups' transitions, lvs_notify_fifo
// the checkers' (keepalived writes each line to the general FIFO and to its own); a FIFO named twice
// gets each line once. A reload that leaves them as they were keeps them open and their scripts running.
void Daemon::open_fifos(const conf::Config& cfg)
{
    const auto& g = cfg.global;
    std::string key;
    for (const conf::NotifyFifo* f : {&g.notify_fifo, &g.vrrp_notify_fifo, &g.lvs_notify_fifo}) {
        key += f->path + '\0' + f->user + '\0' + f->group + '\0' + f->script.text + '\0' + f->script.user + '\0' +
               f->script.group + '\n';
    }
    if (!_fifos.empty() && key == _fifos_key) {
        return;
    }
    _fifos.clear();
    _fifos_key = key;
    const struct {
        const conf::NotifyFifo* fifo;
        const char* keyword;
        bool vrrp;
        bool lvs;
    } wanted[] = {{&g.notify_fifo, "notify_fifo", true, true},
                  {&g.vrrp_notify_fifo, "vrrp_notify_fifo", true, false},
                  {&g.lvs_notify_fifo, "lvs_notify_fifo", false, true}};
    for (const auto& w : wanted) {
        if (w.fifo->path.empty()) {
            continue;
        }
        auto same = std::find_if(_fifos.begin(), _fifos.end(), [&](const Fifo& f) { return f.fifo->path() == w.fifo->path; });
        if (same != _fifos.end()) {
            same->vrrp = same->vrrp || w.vrrp;
            same->lvs = same->lvs || w.lvs;
        } else if (auto f = control::NotifyFifo::open(_io, *w.fifo, w.keyword)) {
            _fifos.push_back({.fifo = std::move(f), .vrrp = w.vrrp, .lvs = w.lvs});
        }
    }
}

void Daemon::lvs_event(std::string_view line)
{
    for (const auto& f : _fifos) {
        if (f.lvs) {
            f.fifo->write(line);
        }
    }
}

} // namespace control::detail

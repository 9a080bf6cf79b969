// VRRP per-instance state machine and sync groups (RFC 3768 §6.4, RFC 5798 §6.4), keepalived-flavoured.
#include "control/vrrp/fsm.h"

#include <fmt/format.h>

#include <algorithm>

namespace vrrp {

std::string_view to_string(State s)
{
    switch (s) {
    case State::init: return "INIT";
    case State::backup: return "BACKUP";
    case State::master: return "MASTER";
    case State::fault: return "FAULT";
    case State::stop: return "STOP";
    }
    return "?";
}

InstanceConfig InstanceConfig::from(const conf::Config& cfg, const conf::VrrpInstance& vi)
{
    const auto& g = cfg.global;
    return InstanceConfig{
        .name = vi.name,
        .vrid = static_cast<uint8_t>(vi.vrid),
        .version = cfg.instance_version(vi),
        .base_priority = vi.priority,
        .advert_int = Micros(vi.advert_int_us),
        .preempt = vi.preempt,
        .preempt_delay = Micros(vi.preempt_delay_us),
        .garp_delay = Micros(vi.garp_master_delay_us.value_or(g.vrrp_garp_master_delay_us)),
        .garp_repeat = vi.garp_master_repeat.value_or(g.vrrp_garp_master_repeat),
        .garp_refresh = Micros(vi.garp_master_refresh_us.value_or(g.vrrp_garp_master_refresh_us)),
        .garp_refresh_repeat = vi.garp_master_refresh_repeat.value_or(g.vrrp_garp_master_refresh_repeat),
        .primary = vi.unicast_src_ip.value_or(vi.mcast_src_ip.value_or(conf::Ip{})),
        .sole_peer = vi.unicast_peers.size() == 1,
    };
}

Instance::Instance(InstanceConfig cfg) : _cfg(std::move(cfg)), _priority(_cfg.base_priority), _master_adv(_cfg.advert_int) {}

Micros Instance::skew() const
{
    // RFC 3768 §6.1: (256 - Priority) / 256 seconds. RFC 5798 §6.1: ((256 - Priority) * Master_Adver_Interval) / 256.
    const auto p = static_cast<int64_t>(256 - _priority);
    if (_cfg.version == 3) {
        return Micros(p * _master_adv.count() / 256);
    }
    return Micros(p * 1000000 / 256);
}

void Instance::log(Outputs& out, std::string text) const
{
    out.push_back({.kind = Output::Kind::log, .text = fmt::format("({}) {}", _cfg.name, text)});
}

void Instance::transition(Outputs& out, State to)
{
    _wants_master = false;
    out.push_back({.kind = Output::Kind::state_change, .from = _state, .to = to});
    _state = to;
}

Time Instance::deadline() const
{
    return std::min({_advert_due, _master_down, _garp_due, _garp_refresh_due});
}

void Instance::start(Time now, Outputs& out)
{
    _master_adv = _cfg.advert_int;
    if (_tracked_fault) {
        become_fault(now, out);
    } else if (_cfg.base_priority == priority_owner) {
        become_master(now, out);  // the address owner does not wait (RFC 5798 §6.4.1)
    } else {
        become_backup(now, out, true);
    }
}

void Instance::become_master(Time now, Outputs& out)
{
    _master_down = Time::max();
    out.push_back({.kind = Output::Kind::send_advert, .priority = _priority});
    _advert_due = now + _cfg.advert_int;
    out.push_back({.kind = Output::Kind::add_vips});
    out.push_back({.kind = Output::Kind::send_garp, .count = _cfg.garp_repeat});
    _garp_due = _cfg.garp_delay.count() > 0 ? now + _cfg.garp_delay : Time::max();
    _garp_refresh_due = _cfg.garp_refresh.count() > 0 ? now + _cfg.garp_refresh : Time::max();
    transition(out, State::master);
    log(out, "Entering MASTER STATE");
}

void Instance::leave_master(Outputs& out, bool send_stop)
{
    if (send_stop) {
        out.push_back({.kind = Output::Kind::send_advert, .priority = priority_stop});
        log(out, "sent 0 priority");
    }
    out.push_back({.kind = Output::Kind::remove_vips});
    _advert_due = _garp_due = _garp_refresh_due = Time::max();
}

void Instance::become_backup(Time now, Outputs& out, bool init)
{
    if (_state == State::master) {
        leave_master(out, false);
    }
    _master_adv = _cfg.advert_int;
    arm_master_down(now);
    transition(out, State::backup);
    log(out, init ? "Entering BACKUP STATE (init)" : "Entering BACKUP STATE");
}

void Instance::become_fault(Time, Outputs& out)
{
    if (_state == State::master) {
        leave_master(out, true);  // a priority-0 advert: the backup takes over after its skew time
    }
    _master_down = Time::max();
    transition(out, State::fault);
    log(out, "Entering FAULT STATE");
}

void Instance::on_advert(Time now, const Heard& adv, Outputs& out)
{
    switch (_state) {
    case State::backup:
        if (adv.priority == priority_stop) {
            // RFC 5798 §6.4.2: the master is leaving; take over after Skew_Time only, which lets the
            // highest of several backups answer first. A sole unicast peer leaves no other backup to
            // wait for: take over now (the deadline is due at once; a sync group's gate still applies).
            // A stream of priority 0 never postpones the takeover the first one asked for (keepalived
            // restarts Skew_Time on each, so a flood of them held a backup off indefinitely).
            if (_log_zero.allow(now, _cfg.advert_int)) {
                log(out, "Backup received priority 0 advertisement");
            }
            _master_down = std::min(_master_down, _cfg.sole_peer ? now : now + skew());
            return;
        }
        if (_cfg.preempt_delay.count() > 0 && _cfg.preempt) {
            // keepalived: the delay runs from the first lower-priority advert, and restarts whenever a
            // higher-priority master is heard.
            if (adv.priority > _priority || !_preempt_armed) {
                _preempt_after = now + _cfg.preempt_delay;
                _preempt_armed = true;
            }
        }
        if (!_cfg.preempt || adv.priority >= _priority || (_preempt_armed && now < _preempt_after)) {
            adopt_interval(now, adv, out);  // RFC 5798 §6.4.2: adopt the master's interval
            arm_master_down(now);
            _wants_master = false;
            return;
        }
        // A flood of such adverts must not flood the log: one line per advert interval.
        if (_log_lower.allow(now, _cfg.advert_int)) {
            log(out, fmt::format("received lower priority ({}) advert from {} - discarding", adv.priority, adv.src.str()));
        }
        return;
    case State::master:
        if (adv.priority == priority_stop) {
            answer_zero(now, out);
            return;
        }
        if (adv.priority > _priority || (adv.priority == _priority && adv.src > _cfg.primary)) {
            log(out, fmt::format("Master received advert from {} with higher priority {}, ours {}", adv.src.str(), adv.priority, _priority));
            leave_master(out, false);
            adopt_interval(now, adv, out);
            arm_master_down(now);
            transition(out, State::backup);
            log(out, "Entering BACKUP STATE");
            return;
        }
        // keepalived does not wait for its next interval: it answers a lower priority at once, one for
        // one. Here once per advert interval, and logged so: a flood of lower-priority adverts would
        // otherwise be reflected onto the group; the advert scheduled by the answer (at most one
        // interval later) answers the rest.
        if (_log_lower.allow(now, _cfg.advert_int)) {
            log(out, fmt::format("Received advert from {} with lower priority {}, ours {}, forcing new election", adv.src.str(), adv.priority, _priority));
        }
        if (_answer_lower.allow(now, _cfg.advert_int)) {
            ++_answers;
            out.push_back({.kind = Output::Kind::send_advert, .priority = _priority});
            _advert_due = now + _cfg.advert_int;
        }
        return;
    case State::init:
    case State::fault:
    case State::stop:
        return;
    }
}

Micros Instance::min_skew() const
{
    // The skew of a priority-254 backup (RFC 3768 §6.1, RFC 5798 §6.1, over our own interval, which it
    // adopts): the soonest any backup acts on a priority 0.
    return std::max(Micros{1}, (_cfg.version == 3 ? _cfg.advert_int : Micros{1000000}) * 2 / 256);
}

void Instance::answer_zero(Time now, Outputs& out)
{
    // Another master is leaving: assert ourselves at once (RFC 5798 §6.4.3), before a backup's skew
    // time runs out. Under a flood, once per min_skew(): an answer held back is sent when that has
    // passed, by the advert timer, still within every backup's skew time.
    if (_answer_zero.allow(now, min_skew())) {
        ++_answers;
        out.push_back({.kind = Output::Kind::send_advert, .priority = _priority});
        _advert_due = now + _cfg.advert_int;
        return;
    }
    _advert_due = std::min(_advert_due, _answer_zero.last + min_skew());
}

void Instance::adopt_interval(Time now, const Heard& adv, Outputs& out)
{
    if (_cfg.version != 3) {
        return;
    }
    // RFC 5798 §6.4.2 adopts the master's interval as advertised, and keepalived 2.2.7 does (any of
    // 0..4095 cs, logged only with -D; 0 makes its master-down timer 0). Here within [own / 2, 2 x own]
    // (at least 10 ms, 1 cs): with own / 2, master-down is at least 1.5 x own, so one bogus short advert
    // cannot time us out before the next advert of a master at our own interval (own / 4 did: 0.75 s
    // + 0.15 s skew < 1 s); with 2 x own, one bogus long advert holds us at most 6 x own + skew after the
    // master dies (4095 cs: 123 s). A peer within a factor of 2 is adopted exactly; one further off is
    // logged, and still heard in time up to 6 x own.
    const Micros lo = min_adopted_interval();
    const Micros hi = max_adopted_interval();
    const Micros got = std::clamp(adv.advert_int, lo, hi);
    if (got == adv.advert_int) {
        _refused_adv = Micros{-1};
    } else if (adv.advert_int != _refused_adv && _log_interval.allow(now, _cfg.advert_int)) {
        log(out, fmt::format("advert interval {} ms from {} is out of bounds ({} to {} ms) - using {} ms", adv.advert_int.count() / 1000,
                             adv.src.str(), lo.count() / 1000, hi.count() / 1000, got.count() / 1000));
        _refused_adv = adv.advert_int;  // logged once while it lasts
    }
    _master_adv = got;
}

void Instance::on_timer(Time now, Outputs& out)
{
    if (_state == State::master) {
        if (now >= _advert_due) {
            out.push_back({.kind = Output::Kind::send_advert, .priority = _priority});
            _advert_due += _cfg.advert_int;
            if (_advert_due <= now) {  // we were late (a stalled loop): do not burst
                _advert_due = now + _cfg.advert_int;
            }
        }
        if (now >= _garp_due) {
            out.push_back({.kind = Output::Kind::send_garp, .count = _cfg.garp_repeat});
            _garp_due = Time::max();
        }
        if (now >= _garp_refresh_due) {
            out.push_back({.kind = Output::Kind::send_garp, .count = _cfg.garp_refresh_repeat});
            _garp_refresh_due = now + _cfg.garp_refresh;
        }
        return;
    }
    if (_state == State::backup && now >= _master_down) {
        if (!_wants_master) {
            log(out, "Receive advertisement timeout");
        }
        _wants_master = true;
        if (_gate && !_gate(now)) {
            arm_master_down(now);  // the group is not ready: stay BACKUP, ask again later
            return;
        }
        become_master(now, out);
    }
}

void Instance::set_tracking(int weight_sum, bool fault, Time now, Outputs& out)
{
    _weight_sum = weight_sum;
    const int before = _priority;
    _priority = _cfg.base_priority == priority_owner ? priority_owner : std::clamp(_cfg.base_priority + weight_sum, 1, 254);
    if (_priority != before && _state != State::init) {
        log(out, fmt::format("Changing effective priority from {} to {}", before, _priority));
        if (_state == State::master) {
            out.push_back({.kind = Output::Kind::send_advert, .priority = _priority});
            _advert_due = now + _cfg.advert_int;
        }
    }
    const bool was_fault = _tracked_fault;
    _tracked_fault = fault;
    if (_state == State::init) {
        return;  // start() decides
    }
    if (fault && !was_fault && _state != State::fault && _state != State::stop) {
        become_fault(now, out);
    } else if (!fault && was_fault && _state == State::fault) {
        become_backup(now, out, false);
    }
}

void Instance::stop(Time now, Outputs& out)
{
    (void)now;
    if (_state == State::master) {
        leave_master(out, true);
    }
    _master_down = Time::max();
    transition(out, State::stop);
    log(out, "Entering STOP STATE");  // not a keepalived line; keepalived only logs "sent 0 priority"
}

void Instance::force_master(Time now, Outputs& out)
{
    if (_state == State::backup) {
        become_master(now, out);
    }
}

void Instance::force_backup(Time now, Outputs& out)
{
    if (_state == State::master || (_state == State::fault && !_tracked_fault)) {
        become_backup(now, out, false);
    }
}

void Instance::force_fault(Time now, Outputs& out)
{
    if (_state != State::fault && _state != State::stop) {
        become_fault(now, out);
    }
}

void SyncGroup::follow(Instance& m, State leader_state, Time now, Outputs& out)
{
    switch (leader_state) {
    case State::fault:
        m.force_fault(now, out);
        break;
    case State::master:
        m.force_master(now, out);
        break;
    case State::backup:
        m.force_backup(now, out);
        break;
    case State::init:
    case State::stop:
        break;
    }
}

void SyncGroup::on_member_change(const Instance& who, Time now, Outputs& out)
{
    for (Instance* m : _members) {
        if (m != &who) {
            follow(*m, who.state(), now, out);
        }
    }
}

} // namespace vrrp

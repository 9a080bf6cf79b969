// The VRRP state machine of one instance (RFC 3768 v2, RFC 5798 v3) and of sync groups, pure: time and
// received adverts are inputs, packets and address changes are outputs. So tests can drive hours of
// protocol time in milliseconds and assert every packet each transition sends, and the same machine
// runs over the kernel, DPDK and XDP dataplanes.
//
// Timing follows keepalived 2.2.7 as measured: every instance starts as BACKUP ("init") and takes the
// master-down interval, except the address owner (priority 255), which starts as MASTER at once.
#pragma once

#include "conf/model.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdint>
#include <string>
#include <vector>

namespace vrrp {

using Clock = std::chrono::steady_clock;
using Time = Clock::time_point;
using Micros = std::chrono::microseconds;

constexpr int priority_owner = 255;
constexpr int priority_stop = 0;

enum class State : uint8_t { init, backup, master, fault, stop };
std::string_view to_string(State s);  // "INIT", "BACKUP", "MASTER", "FAULT", "STOP" (notify's words)

// What one instance needs to run, derived once from the config (and the interface's address).
struct InstanceConfig {
    std::string name;
    uint8_t vrid = 0;
    int version = 2;
    int base_priority = 100;
    Micros advert_int{1000000};
    bool preempt = true;
    Micros preempt_delay{0};
    Micros garp_delay{5000000};  // second burst of gratuitous ARPs after becoming MASTER; 0 = none
    int garp_repeat = 5;
    Micros garp_refresh{0};      // periodic gratuitous ARPs while MASTER; 0 = none
    int garp_refresh_repeat = 1;
    conf::Ip primary;            // our source address: breaks ties between equal priorities
    // Unicast with exactly one unicast_peer: the peer is the only other router this instance hears
    // (adverts from anyone else are dropped), so a priority-0 advert from it leaves nobody to collide
    // with, and the backup takes over at once instead of after its skew time (a deliberate divergence
    // from RFC 3768/5798 §6.4.2 and keepalived; nothing changes on the wire).
    bool sole_peer = false;

    static InstanceConfig from(const conf::Config& cfg, const conf::VrrpInstance& vi);
};

// An instruction to the world. The daemon (or a test) carries them out in the order given.
struct Output {
    enum class Kind : uint8_t {
        send_advert,   // priority: the priority to advertise (0 when leaving)
        add_vips,      // take the virtual addresses
        remove_vips,   // release them
        send_garp,     // count: gratuitous ARPs per VIP
        state_change,  // from -> to
        log,           // text: a keepalived-worded log line, "(VI_1) ..." prefix included
    };
    Kind kind;
    int priority = 0;
    int count = 0;
    State from = State::init;
    State to = State::init;
    std::string text;

    bool operator==(const Output&) const = default;
};
using Outputs = std::vector<Output>;

// One received advert, already validated against the instance (vrrp::check).
struct Heard {
    int priority = 0;
    Micros advert_int{0};  // what the sender advertises; a v3 backup adopts it
    conf::Ip src;
};

// At most one event per period; what it refuses is counted. Bounds what a flood of adverts can make
// an instance send or log.
struct RateLimit {
    Time last = Time::min();
    uint64_t refused = 0;
    bool allow(Time now, Micros every)
    {
        if (last != Time::min() && now < last + every) {
            ++refused;
            return false;
        }
        last = now;
        return true;
    }
};

// What an instance did not do because a flood asked for it too often (SIGUSR2 shows it).
struct Shed {
    uint64_t answers = 0;       // adverts sent at once to answer a lower priority or a priority 0
    uint64_t answers_held = 0;  // answers not sent at once: a scheduled advert answered them
    uint64_t logs_held = 0;     // log lines about received adverts not written
};

class Instance {
public:
    explicit Instance(InstanceConfig cfg);

    void start(Time now, Outputs& out);
    void on_advert(Time now, const Heard& adv, Outputs& out);
    // Runs every timer due at `now` (the caller calls it at deadline()).
    void on_timer(Time now, Outputs& out);
    Time deadline() const;
    // Tracking (scripts, interfaces, files): the sum of weights now in effect and whether anything
    // tracked without weight has failed (FAULT).
    void set_tracking(int weight_sum, bool fault, Time now, Outputs& out);
    // Shutdown: a MASTER sends priority 0 so a backup takes over after its skew time (at once with a
    // sole unicast peer), not after 3 intervals.
    void stop(Time now, Outputs& out);

    // Sync groups move members together.
    void force_master(Time now, Outputs& out);
    void force_backup(Time now, Outputs& out);
    void force_fault(Time now, Outputs& out);
    bool tracked_fault() const { return _tracked_fault; }
    // Sync groups: a member whose master-down timer expired only goes MASTER when the gate agrees
    // (keepalived's vrrp_sync_can_goto_master: every member wants MASTER, else stay BACKUP and do
    // not thrash). It keeps wanting MASTER until a valid advert resets its timer.
    void set_master_gate(std::function<bool(Time)> gate) { _gate = std::move(gate); }
    bool wants_master(Time now) const
    {
        return _state == State::master || (_state == State::backup && (_wants_master || now >= _master_down));
    }

    // The source address changed (an interface that appeared, an address added or removed).
    void set_primary(const conf::Ip& ip) { _cfg.primary = ip; }

    State state() const { return _state; }
    int priority() const { return _priority; }
    Micros master_advert_int() const { return _master_adv; }
    const InstanceConfig& config() const { return _cfg; }
    Shed shed() const
    {
        return {.answers = _answers, .answers_held = _answer_lower.refused + _answer_zero.refused,
                .logs_held = _log_lower.refused + _log_zero.refused + _log_interval.refused};
    }
    // RFC 5798 §6.4.2 adopts the master's interval; here only within [own / 2, 2 x own] (adopt_interval).
    Micros min_adopted_interval() const { return std::max(_cfg.advert_int / 2, Micros{10000}); }
    Micros max_adopted_interval() const { return std::max(_cfg.advert_int * 2, min_adopted_interval()); }
    Micros skew() const;
    Micros master_down_interval() const { return 3 * _master_adv + skew(); }

private:
    void become_master(Time now, Outputs& out);
    void become_backup(Time now, Outputs& out, bool init);
    void become_fault(Time now, Outputs& out);
    void leave_master(Outputs& out, bool send_stop);
    void log(Outputs& out, std::string text) const;
    void transition(Outputs& out, State to);
    void arm_master_down(Time now) { _master_down = now + master_down_interval(); }
    void adopt_interval(Time now, const Heard& adv, Outputs& out);

    InstanceConfig _cfg;
    State _state = State::init;
    int _priority;         // effective: base + tracking weights, within 1..254 (owner stays 255)
    int _weight_sum = 0;
    bool _tracked_fault = false;
    Micros _master_adv;    // the master's interval (a v3 backup adopts the one it hears)
    Time _advert_due = Time::max();
    Time _master_down = Time::max();
    Time _garp_due = Time::max();
    Time _garp_refresh_due = Time::max();
    Time _preempt_after{};  // preempt_delay: lower-priority adverts are accepted until then
    bool _preempt_armed = false;
    bool _wants_master = false;
    void answer_zero(Time now, Outputs& out);
    Micros min_skew() const;

    // A flood of adverts is answered and logged at a bounded rate (RateLimit), counted in shed().
    RateLimit _answer_lower;  // answers to a lower priority: one per advert interval
    RateLimit _answer_zero;   // answers to a priority 0: one per min_skew()
    RateLimit _log_lower;     // "received lower priority" / "forcing new election": one per interval
    RateLimit _log_zero;      // "Backup received priority 0": one per interval
    RateLimit _log_interval;  // an out-of-bounds interval: on each new value, one per interval
    uint64_t _answers = 0;
    Micros _refused_adv{-1};  // the out-of-bounds interval last logged (-1: none)
    std::function<bool(Time)> _gate;
};

// keepalived's vrrp_sync_group: members go MASTER, BACKUP and FAULT together.
class SyncGroup {
public:
    SyncGroup(std::string name, std::vector<Instance*> members) : _name(std::move(name)), _members(std::move(members)) {}
    // Called after `who` changed state by itself; moves the other members along as keepalived does: a
    // FAULT faults the group, a MASTER takes the group to MASTER, a BACKUP (beaten by a higher
    // priority) takes it to BACKUP, and leaving FAULT releases members that were faulted only by the group.
    void on_member_change(const Instance& who, Time now, Outputs& out);
    // The move one member makes when another (the leader) entered `leader_state` by itself.
    static void follow(Instance& member, State leader_state, Time now, Outputs& out);
    const std::string& name() const { return _name; }
    void replace(Instance* from, Instance* to) { std::replace(_members.begin(), _members.end(), from, to); }
    const std::vector<Instance*>& members() const { return _members; }

private:
    std::string _name;
    std::vector<Instance*> _members;
};

} // namespace vrrp

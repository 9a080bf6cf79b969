// VRRP state machine driven by a fake clock: hours of protocol time in milliseconds, and the exact
// outputs (adverts, address changes, gratuitous ARPs, log lines) of every transition.
#include "control/vrrp/fsm.h"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using vrrp::Instance;
using vrrp::Output;
using vrrp::Outputs;
using vrrp::State;
using Kind = vrrp::Output::Kind;

const vrrp::Time t0 = vrrp::Time{} + std::chrono::hours(1000);

vrrp::InstanceConfig config(int priority = 100, int version = 2)
{
    vrrp::InstanceConfig c;
    c.name = "VI_1";
    c.vrid = 51;
    c.version = version;
    c.base_priority = priority;
    c.advert_int = 1s;
    c.primary = *conf::Ip::parse("10.0.0.1");
    return c;
}

vrrp::Heard heard(int priority, const char* src = "10.0.0.2", vrrp::Micros interval = 1s)
{
    return {.priority = priority, .advert_int = interval, .src = *conf::Ip::parse(src)};
}

// Steps the machine through every deadline up to `until`, collecting outputs with their times.
struct Driver {
    Instance& fsm;
    vrrp::Time now;
    std::vector<std::pair<vrrp::Time, Output>> seen;

    void run_until(vrrp::Time until)
    {
        while (fsm.deadline() <= until) {
            now = fsm.deadline();
            Outputs out;
            fsm.on_timer(now, out);
            for (auto& o : out) {
                seen.emplace_back(now, o);
            }
        }
        now = until;
    }
    size_t count(Kind k) const
    {
        return static_cast<size_t>(std::count_if(seen.begin(), seen.end(), [&](const auto& p) { return p.second.kind == k; }));
    }
};

// An instance started at t0 with the outputs of its start dropped: where most cases begin.
struct Started {
    explicit Started(const vrrp::InstanceConfig& c) : fsm(c)
    {
        fsm.start(t0, out);
        out.clear();
    }
    Instance fsm;
    Outputs out;
};

// Starts `m` at t0 and runs it, hearing no peer, to t0 + 4 s: MASTER by then. Its outputs so far are
// dropped; the driver goes on from there.
Driver start_master(Instance& m, Outputs& out)
{
    m.start(t0, out);
    Driver d{m, t0, {}};
    d.run_until(t0 + 4s);
    EXPECT_EQ(m.state(), State::master);
    out.clear();
    return d;
}

// Drives `fsm` on to `until`, hearing `h` once a second from t0 + 1 s: what it answered those adverts.
Outputs hearing(Driver& d, vrrp::Heard h, vrrp::Time until)
{
    Outputs answered;
    for (auto t = t0 + 1s; t <= until; t += 1s) {
        d.run_until(t);
        d.fsm.on_advert(t, h, answered);
    }
    return answered;
}

std::vector<Kind> kinds(const Outputs& out)
{
    std::vector<Kind> k;
    for (const auto& o : out) {
        k.push_back(o.kind);
    }
    return k;
}

const Output* find(const Outputs& out, Kind k)
{
    for (const auto& o : out) {
        if (o.kind == k) {
            return &o;
        }
    }
    return nullptr;
}

TEST(VrrpFsm, SkewAndMasterDownFollowTheRfcs)
{
    Instance v2(config(100, 2));
    EXPECT_EQ(v2.skew(), vrrp::Micros(609375));  // (256-100)/256 s
    EXPECT_EQ(v2.master_down_interval(), vrrp::Micros(3609375));
    auto c3 = config(100, 3);
    c3.advert_int = 100ms;
    Instance v3(c3);
    EXPECT_EQ(v3.skew(), vrrp::Micros(60937));  // (256-100)*100ms/256
    EXPECT_EQ(v3.master_down_interval(), vrrp::Micros(360937));
}

TEST(VrrpFsm, StartsAsBackupAndTakesOverAfterMasterDown)
{
    Instance fsm(config());
    Outputs out;
    fsm.start(t0, out);
    EXPECT_EQ(fsm.state(), State::backup);
    ASSERT_EQ(kinds(out), (std::vector<Kind>{Kind::state_change, Kind::log}));
    EXPECT_EQ(out[1].text, "(VI_1) Entering BACKUP STATE (init)");

    Driver d{fsm, t0, {}};
    d.run_until(t0 + 3609374us);
    EXPECT_TRUE(d.seen.empty());
    d.run_until(t0 + 3609375us);
    ASSERT_EQ(d.seen.size(), 6u);
    EXPECT_EQ(d.seen[0].second.text, "(VI_1) Receive advertisement timeout");
    EXPECT_EQ(d.seen[1].second, (Output{.kind = Kind::send_advert, .priority = 100}));
    EXPECT_EQ(d.seen[2].second.kind, Kind::add_vips);
    EXPECT_EQ(d.seen[3].second, (Output{.kind = Kind::send_garp, .count = 5}));
    EXPECT_EQ(d.seen[4].second, (Output{.kind = Kind::state_change, .from = State::backup, .to = State::master}));
    EXPECT_EQ(d.seen[5].second.text, "(VI_1) Entering MASTER STATE");
    EXPECT_EQ(fsm.state(), State::master);
}

TEST(VrrpFsm, AddressOwnerIsMasterAtOnce)
{
    Instance fsm(config(255));
    Outputs out;
    fsm.start(t0, out);
    EXPECT_EQ(fsm.state(), State::master);
    EXPECT_EQ(*find(out, Kind::send_advert), (Output{.kind = Kind::send_advert, .priority = 255}));
}

TEST(VrrpFsm, MasterAdvertisesEveryIntervalForAnHourWithoutDrift)
{
    Instance fsm(config(255));
    Outputs out;
    fsm.start(t0, out);
    Driver d{fsm, t0, {}};
    d.run_until(t0 + 1h);
    EXPECT_EQ(d.count(Kind::send_advert), 3600u);
    for (size_t i = 0; i < d.seen.size(); ++i) {
        if (d.seen[i].second.kind == Kind::send_advert) {
            EXPECT_EQ((d.seen[i].first - t0) % 1s, vrrp::Micros(0));
        }
    }
    // The second burst of gratuitous ARPs after garp_master_delay (5 s), and no refresh by default.
    EXPECT_EQ(d.count(Kind::send_garp), 1u);
}

TEST(VrrpFsm, BackupHearingItsMasterNeverTakesOver)
{
    Started started(config(100));
    auto& [fsm, out] = started;
    Driver d{fsm, t0, {}};
    EXPECT_TRUE(hearing(d, heard(150), t0 + 1h).empty());
    EXPECT_TRUE(d.seen.empty());
    EXPECT_EQ(fsm.state(), State::backup);
}

TEST(VrrpFsm, PriorityZeroMeansTakeOverAfterSkew)
{
    Started started(config(100));
    auto& [fsm, out] = started;
    fsm.on_advert(t0 + 1s, heard(0), out);
    EXPECT_EQ(out.at(0).text, "(VI_1) Backup received priority 0 advertisement");
    Driver d{fsm, t0 + 1s, {}};
    d.run_until(t0 + 1s + fsm.skew() - 1us);
    EXPECT_EQ(fsm.state(), State::backup);
    d.run_until(t0 + 1s + fsm.skew());
    EXPECT_EQ(fsm.state(), State::master);
}

TEST(VrrpFsm, PriorityZeroFromTheSoleUnicastPeerMeansTakeOverAtOnce)
{
    auto c = config(100);
    c.sole_peer = true;
    Started started(c);
    auto& [fsm, out] = started;
    fsm.on_advert(t0 + 1s, heard(0), out);
    EXPECT_EQ(out.at(0).text, "(VI_1) Backup received priority 0 advertisement");
    EXPECT_EQ(fsm.deadline(), t0 + 1s);  // due now, not after the 609 ms skew
    Driver d{fsm, t0 + 1s, {}};
    d.run_until(t0 + 1s);
    EXPECT_EQ(fsm.state(), State::master);
    EXPECT_EQ(d.count(Kind::add_vips), 1u);
    // Silence still costs the whole master-down interval: only priority 0 is shortened.
    Instance quiet(c);
    quiet.start(t0, out);
    quiet.on_advert(t0 + 1s, heard(150), out);
    Driver q{quiet, t0 + 1s, {}};
    q.run_until(t0 + 1s + quiet.master_down_interval() - 1us);
    EXPECT_EQ(quiet.state(), State::backup);
}

TEST(VrrpFsm, SolePeerComesFromExactlyOneUnicastPeer)
{
    conf::Config cfg;
    conf::VrrpInstance vi;
    vi.name = "VI_1";
    vi.vrid = 1;
    EXPECT_FALSE(vrrp::InstanceConfig::from(cfg, vi).sole_peer);  // multicast
    vi.unicast_peers.push_back(*conf::Ip::parse("10.0.0.2"));
    EXPECT_TRUE(vrrp::InstanceConfig::from(cfg, vi).sole_peer);
    vi.unicast_peers.push_back(*conf::Ip::parse("10.0.0.3"));
    EXPECT_FALSE(vrrp::InstanceConfig::from(cfg, vi).sole_peer);  // another backup may exist
}

TEST(VrrpFsm, MasterYieldsToHigherPriorityAndReleasesTheVips)
{
    Instance m(config(100));
    Outputs out;
    start_master(m, out);
    m.on_advert(t0 + 4s, heard(150), out);
    EXPECT_EQ(m.state(), State::backup);
    EXPECT_EQ(kinds(out), (std::vector<Kind>{Kind::log, Kind::remove_vips, Kind::state_change, Kind::log}));
    EXPECT_EQ(out[0].text, "(VI_1) Master received advert from 10.0.0.2 with higher priority 150, ours 100");
}

TEST(VrrpFsm, EqualPriorityIsWonByTheHigherAddress)
{
    // (Not with 255: the address owner never hears adverts, vrrp::check drops them.)
    auto run = [](const char* peer) {
        Instance m(config(200));
        Outputs out;
        start_master(m, out);
        m.on_advert(t0 + 4s, heard(200, peer), out);
        return m.state();
    };
    EXPECT_EQ(run("10.0.0.2"), State::backup);  // 10.0.0.2 > our 10.0.0.1
    EXPECT_EQ(run("10.0.0.0"), State::master);
}

TEST(VrrpFsm, MasterAnswersALowerPriorityAtOnce)
{
    Started started(config(255));
    auto& [m, out] = started;
    m.on_advert(t0 + 500ms, heard(100), out);
    EXPECT_EQ(out.at(0).text, "(VI_1) Received advert from 10.0.0.2 with lower priority 100, ours 255, forcing new election");
    EXPECT_EQ(out.at(1), (Output{.kind = Kind::send_advert, .priority = 255}));
    EXPECT_EQ(m.deadline(), t0 + 1500ms);  // the interval restarts from the forced advert
}

TEST(VrrpFsm, PreemptTakesOverFromALowerMaster)
{
    Instance fsm(config(150));
    Outputs out;
    fsm.start(t0, out);
    Driver d{fsm, t0, {}};
    for (auto t = t0 + 1s; t < t0 + 10s && fsm.state() == State::backup; t += 1s) {
        d.run_until(t);
        Outputs o;
        fsm.on_advert(t, heard(100), o);
        if (fsm.state() == State::backup) {
            EXPECT_EQ(o.at(0).text, "(VI_1) received lower priority (100) advert from 10.0.0.2 - discarding");
        }
    }
    d.run_until(t0 + 10s);
    EXPECT_EQ(fsm.state(), State::master);
    // It did not wait for the lower master to stop: master-down after its start (3 s + skew).
    EXPECT_LE(std::find_if(d.seen.begin(), d.seen.end(), [](auto& p) { return p.second.kind == Kind::add_vips; })->first, t0 + 4s);
}

TEST(VrrpFsm, NopreemptKeepsTheLowerMaster)
{
    auto c = config(150);
    c.preempt = false;
    Started started(c);
    Driver d{started.fsm, t0, {}};
    hearing(d, heard(100), t0 + 10min);
    EXPECT_EQ(started.fsm.state(), State::backup);
}

TEST(VrrpFsm, PreemptDelayHoldsOffTakeover)
{
    auto c = config(150);
    c.preempt_delay = 30s;
    Instance fsm(c);
    Outputs out;
    fsm.start(t0, out);
    Driver d{fsm, t0, {}};
    vrrp::Time took = vrrp::Time::max();
    for (auto t = t0 + 1s; t <= t0 + 60s; t += 1s) {
        d.run_until(t);
        if (fsm.state() == State::master) {
            took = std::min(took, t);
            continue;
        }
        Outputs o;
        fsm.on_advert(t, heard(100), o);
    }
    // First lower advert at t0+1s: accepted until t0+31s, then master-down (3.2 s for priority 150).
    EXPECT_GE(took, t0 + 31s);
    EXPECT_LE(took, t0 + 36s);
}

TEST(VrrpFsm, V3BackupAdoptsTheMastersInterval)
{
    auto c = config(100, 3);
    c.advert_int = 1s;
    Instance fsm(c);
    Outputs out;
    fsm.start(t0, out);
    fsm.on_advert(t0 + 10ms, heard(200, "10.0.0.2", 500ms), out);
    EXPECT_EQ(fsm.master_advert_int(), vrrp::Micros(500000));
    EXPECT_EQ(fsm.deadline(), t0 + 10ms + 3 * 500ms + vrrp::Micros(156 * 500000 / 256));
    // A v2 backup keeps its own interval (v2 intervals must match; vrrp::check drops mismatches).
    Instance v2(config(100, 2));
    v2.start(t0, out);
    v2.on_advert(t0 + 10ms, heard(200, "10.0.0.2", 2s), out);
    EXPECT_EQ(v2.master_advert_int(), vrrp::Micros(1000000));
}

// M7: an advertised interval is adopted within [own / 2, 2 x own], logged once when it is not.
TEST(VrrpFsm, V3BackupBoundsTheIntervalItAdopts)
{
    Instance fsm(config(100, 3));
    EXPECT_EQ(fsm.min_adopted_interval(), vrrp::Micros(500000));
    EXPECT_EQ(fsm.max_adopted_interval(), vrrp::Micros(2000000));
    Outputs out;
    fsm.start(t0, out);
    out.clear();
    fsm.on_advert(t0 + 10ms, heard(200, "10.0.0.2", 40950ms), out);  // 4095 cs: the most v3 can carry
    EXPECT_EQ(fsm.master_advert_int(), vrrp::Micros(2000000));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].text, "(VI_1) advert interval 40950 ms from 10.0.0.2 is out of bounds (500 to 2000 ms) - using 2000 ms");
    out.clear();
    fsm.on_advert(t0 + 20ms, heard(200, "10.0.0.2", 40950ms), out);
    EXPECT_TRUE(out.empty()) << "logged once while it lasts";
    // Without the bound one such advert held this backup for 3 x 40.95 s after its master died.
    EXPECT_EQ(fsm.deadline(), t0 + 20ms + 3 * 2s + vrrp::Micros(156 * 2000000 / 256));
    fsm.on_advert(t0 + 30ms, heard(200, "10.0.0.2", 10ms), out);
    EXPECT_EQ(fsm.master_advert_int(), vrrp::Micros(500000));  // not 10 ms: no takeover between real adverts
    fsm.on_advert(t0 + 40ms, heard(200, "10.0.0.2", 1500ms), out);
    EXPECT_EQ(fsm.master_advert_int(), vrrp::Micros(1500000));  // within bounds: adopted as RFC 5798 says
    fsm.on_advert(t0 + 50ms, heard(200, "10.0.0.2", 600ms), out);
    EXPECT_EQ(fsm.master_advert_int(), vrrp::Micros(600000));
}

// M7: one bogus short interval (from a spoofed master, say) must not make a backup time out between
// two adverts of a live master at the backup's own interval. With the old bound (own / 4) it did:
// master-down 0.75 s + 0.15 s skew, before the master's next advert at 1 s.
TEST(VrrpFsm, V3BogusShortIntervalDoesNotTimeOutALiveMaster)
{
    Instance fsm(config(100, 3));
    Outputs out;
    fsm.start(t0, out);
    Driver d{fsm, t0, {}};
    for (auto t = t0 + 1s; t <= t0 + 60s; t += 1s) {
        d.run_until(t);
        fsm.on_advert(t, heard(200, "10.0.0.2", 1s), out);  // the live master
        fsm.on_advert(t + 1ms, heard(200, "10.0.0.2", 10ms), out);  // the bait, right after each
        d.now = t + 1ms;
    }
    EXPECT_EQ(fsm.state(), State::backup);
    EXPECT_EQ(d.count(Kind::add_vips), 0u);
}

// M7: a v3 interval of 0 (never valid) is bounded like any other: no master-down of 0 (keepalived 2.2.7
// adopts it, and its backup takes over after a master-down of 0, then again after each advert).
TEST(VrrpFsm, V3ZeroIntervalIsBounded)
{
    Started started(config(100, 3));
    auto& [fsm, out] = started;
    fsm.on_advert(t0 + 1s, heard(200, "10.0.0.2", 0ms), out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].text, "(VI_1) advert interval 0 ms from 10.0.0.2 is out of bounds (500 to 2000 ms) - using 500 ms");
    EXPECT_EQ(fsm.master_advert_int(), vrrp::Micros(500000));
    EXPECT_EQ(fsm.deadline(), t0 + 1s + 3 * 500ms + vrrp::Micros(156 * 500000 / 256));
    // Alternating bogus values are logged once per advert interval, not once per change.
    out.clear();
    for (int i = 0; i < 100; ++i) {
        fsm.on_advert(t0 + 3s + vrrp::Micros(i * 1000), heard(200, "10.0.0.2", i % 2 ? 0ms : 40950ms), out);
    }
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].text, "(VI_1) advert interval 40950 ms from 10.0.0.2 is out of bounds (500 to 2000 ms) - using 2000 ms");
    EXPECT_EQ(fsm.shed().logs_held, 50u);  // each 0 after the 40950 logged
}

// L13: a flood of lower-priority adverts is answered (and logged) once per advert interval, not one
// for one; what was held back is counted.
TEST(VrrpFsm, MasterAnswersALowerPriorityFloodOncePerInterval)
{
    Instance m(config(200));
    Outputs out;
    start_master(m, out);
    for (int i = 0; i < 100; ++i) {
        m.on_advert(t0 + 4100ms + vrrp::Micros(i * 1000), heard(100), out);
    }
    EXPECT_EQ(std::count_if(out.begin(), out.end(), [](const Output& o) { return o.kind == Kind::send_advert; }), 1);
    EXPECT_EQ(std::count_if(out.begin(), out.end(), [](const Output& o) { return o.kind == Kind::log; }), 1);
    EXPECT_EQ(m.shed().answers, 1u);
    EXPECT_EQ(m.shed().answers_held, 99u);
    EXPECT_EQ(m.shed().logs_held, 99u);
    out.clear();
    m.on_advert(t0 + 5100ms, heard(100), out);
    EXPECT_EQ(kinds(out), (std::vector<Kind>{Kind::log, Kind::send_advert}));
}

// A flood of priority 0 to a MASTER: each would be answered at once (RFC 5798 §6.4.3). Answered at
// most once per the shortest skew time a backup can have (2/256 s for v2), and one held back is sent
// by the advert timer when that has passed, so a backup that heard the priority 0 still hears the
// master within its skew time.
TEST(VrrpFsm, MasterAnswersAPriorityZeroFloodAtABoundedRate)
{
    Instance m(config(200));
    Outputs out;
    Driver d = start_master(m, out);
    const auto from = d.count(Kind::send_advert);
    size_t answered = 0;
    for (int i = 0; i < 1000; ++i) {  // one every 100 us for 100 ms
        const auto t = t0 + 4100ms + vrrp::Micros(i * 100);
        d.run_until(t);
        Outputs o;
        m.on_advert(t, heard(0), o);
        answered += static_cast<size_t>(std::count_if(o.begin(), o.end(), [](const Output& x) { return x.kind == Kind::send_advert; }));
    }
    const size_t timed = d.count(Kind::send_advert) - from;
    EXPECT_GE(answered, 12u);
    EXPECT_LE(answered + timed, 2 * (100000 / 7812 + 1)) << "at most twice per 7.8 ms, not 1000";
    EXPECT_EQ(m.shed().answers, answered);
    EXPECT_GT(m.shed().answers_held, 900u);
    // The last one, held back, goes out within the skew time of a priority-254 backup.
    Outputs o;
    m.on_advert(t0 + 4200ms, heard(0), o);
    m.on_advert(t0 + 4201ms, heard(0), o);
    EXPECT_LE(m.deadline(), t0 + 4200ms + vrrp::Micros(7812));
}

TEST(VrrpFsm, BackupLogsALowerPriorityFloodOncePerInterval)
{
    Started started(config(150));
    auto& [b, out] = started;
    for (int i = 0; i < 100; ++i) {
        b.on_advert(t0 + 10ms + vrrp::Micros(i * 1000), heard(100), out);
    }
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].text, "(VI_1) received lower priority (100) advert from 10.0.0.2 - discarding");
    EXPECT_EQ(b.shed().logs_held, 99u);
}

// A flood of priority 0 to a BACKUP is logged once per interval, and cannot hold off the takeover it
// asks for (each used to restart the skew time: one every millisecond kept the backup waiting).
TEST(VrrpFsm, BackupTakesOverOnceDuringAPriorityZeroFlood)
{
    Instance b(config(100));
    Outputs out;
    b.start(t0, out);
    b.on_advert(t0 + 1s, heard(150), out);
    out.clear();
    Driver d{b, t0 + 1s, {}};
    size_t logs = 0;
    for (auto t = t0 + 2s; t < t0 + 4s && b.state() == State::backup; t += 1ms) {
        d.run_until(t);
        if (b.state() != State::backup) {
            break;
        }
        Outputs o;
        b.on_advert(t, heard(0), o);
        logs += o.size();
    }
    EXPECT_EQ(logs, 1u) << "once per interval";
    EXPECT_EQ(b.shed().logs_held, 609u);  // 2.001 s .. 2.609 s
    ASSERT_EQ(b.state(), State::master);
    const auto took = std::find_if(d.seen.begin(), d.seen.end(), [](auto& p) { return p.second.kind == Kind::add_vips; })->first;
    EXPECT_EQ(took, t0 + 2s + b.skew()) << "the first priority 0's skew time";
}

TEST(VrrpFsm, TrackingWeightsChangeThePriorityWithinBounds)
{
    Instance m(config(255));
    Started started(config(100));
    auto& [fsm, out] = started;
    fsm.set_tracking(-20, false, t0 + 1s, out);
    EXPECT_EQ(fsm.priority(), 80);
    EXPECT_EQ(out.at(0).text, "(VI_1) Changing effective priority from 100 to 80");
    fsm.set_tracking(-500, false, t0 + 2s, out);
    EXPECT_EQ(fsm.priority(), 1);
    fsm.set_tracking(+500, false, t0 + 3s, out);
    EXPECT_EQ(fsm.priority(), 254);
    m.start(t0, out);
    m.set_tracking(-50, false, t0, out);
    EXPECT_EQ(m.priority(), 255);  // the owner's priority does not move
}

TEST(VrrpFsm, MasterChangingPriorityAdvertisesAtOnce)
{
    Instance m(config(100));
    Outputs out;
    start_master(m, out);
    m.set_tracking(-30, false, t0 + 4500ms, out);
    EXPECT_EQ(*find(out, Kind::send_advert), (Output{.kind = Kind::send_advert, .priority = 70}));
}

TEST(VrrpFsm, FaultFromMasterSendsPriorityZeroAndRecoveryReturnsToBackup)
{
    Started started(config(255));
    auto& [m, out] = started;
    m.set_tracking(0, true, t0 + 1s, out);
    EXPECT_EQ(m.state(), State::fault);
    EXPECT_EQ(kinds(out), (std::vector<Kind>{Kind::send_advert, Kind::log, Kind::remove_vips, Kind::state_change, Kind::log}));
    EXPECT_EQ(out[0].priority, 0);
    EXPECT_EQ(out.back().text, "(VI_1) Entering FAULT STATE");
    EXPECT_EQ(m.deadline(), vrrp::Time::max());  // silent in FAULT
    out.clear();
    m.set_tracking(0, false, t0 + 5s, out);
    EXPECT_EQ(m.state(), State::backup);
    EXPECT_EQ(out.back().text, "(VI_1) Entering BACKUP STATE");
}

TEST(VrrpFsm, StopAsMasterSendsPriorityZeroAndReleasesVips)
{
    Started started(config(255));
    auto& [m, out] = started;
    m.stop(t0 + 1s, out);
    EXPECT_EQ(out.at(0), (Output{.kind = Kind::send_advert, .priority = 0}));
    EXPECT_EQ(out.at(1).text, "(VI_1) sent 0 priority");
    EXPECT_EQ(out.at(2).kind, Kind::remove_vips);
    EXPECT_EQ(m.state(), State::stop);
    EXPECT_EQ(m.deadline(), vrrp::Time::max());
}

TEST(VrrpFsm, GarpSecondBurstAndRefresh)
{
    auto c = config(255);
    c.garp_delay = 5s;
    c.garp_repeat = 3;
    c.garp_refresh = 60s;
    c.garp_refresh_repeat = 2;
    Instance m(c);
    Outputs out;
    m.start(t0, out);
    EXPECT_EQ(find(out, Kind::send_garp)->count, 3);
    Driver d{m, t0, {}};
    d.run_until(t0 + 125s);
    std::vector<std::pair<vrrp::Micros, int>> garps;
    for (const auto& [t, o] : d.seen) {
        if (o.kind == Kind::send_garp) {
            garps.emplace_back(std::chrono::duration_cast<vrrp::Micros>(t - t0), o.count);
        }
    }
    EXPECT_EQ(garps, (std::vector<std::pair<vrrp::Micros, int>>{{5s, 3}, {60s, 2}, {120s, 2}}));
}

TEST(VrrpFsm, LateTimerDoesNotBurst)
{
    Started started(config(255));
    auto& [m, out] = started;
    m.on_timer(t0 + 10500ms, out);  // the loop stalled for 10 s
    EXPECT_EQ(std::count_if(out.begin(), out.end(), [](auto& o) { return o.kind == Kind::send_advert; }), 1);
    EXPECT_EQ(m.deadline(), t0 + 11500ms);
}

TEST(VrrpSyncGroup, MembersMoveTogether)
{
    auto ca = config(100);
    auto cb = config(100);
    cb.name = "VI_2";
    cb.vrid = 52;
    Instance a(ca), b(cb);
    vrrp::SyncGroup g("G", {&a, &b});
    Outputs out;
    a.start(t0, out);
    b.start(t0, out);
    // b keeps hearing a master; a times out alone: the group takes b to MASTER with it.
    Driver da{a, t0, {}};
    da.run_until(t0 + 4s);
    ASSERT_EQ(a.state(), State::master);
    out.clear();
    g.on_member_change(a, t0 + 4s, out);
    EXPECT_EQ(b.state(), State::master);
    // b is beaten by a higher priority: the group goes BACKUP.
    out.clear();
    b.on_advert(t0 + 5s, heard(200), out);
    g.on_member_change(b, t0 + 5s, out);
    EXPECT_EQ(a.state(), State::backup);
    // a faults (tracking): b follows into FAULT; when a recovers, b is released too.
    a.set_tracking(0, true, t0 + 6s, out);
    g.on_member_change(a, t0 + 6s, out);
    EXPECT_EQ(b.state(), State::fault);
    a.set_tracking(0, false, t0 + 7s, out);
    g.on_member_change(a, t0 + 7s, out);
    EXPECT_EQ(b.state(), State::backup);
}

} // namespace

namespace {

// keepalived's vrrp_sync_can_goto_master: a member whose timer expires while another member still hears
// a live master stays BACKUP (found as a thrash between nodes every few seconds without it).
TEST(VrrpSyncGroup, MemberDoesNotGoMasterAloneWhileAnotherHearsAMaster)
{
    auto ca = config(150);
    auto cb = config(150);
    cb.name = "VI_2";
    Instance a(ca), b(cb);
    auto gate_for = [](Instance& other) { return [&other](vrrp::Time now) { return other.wants_master(now); }; };
    a.set_master_gate(gate_for(b));
    b.set_master_gate(gate_for(a));
    Outputs out;
    a.start(t0, out);
    b.start(t0, out);
    // b hears a master every second; a hears nothing (its peer instance is gone).
    for (auto t = t0 + 1s; t <= t0 + 60s; t += 1s) {
        Outputs o;
        if (a.deadline() <= t) {
            a.on_timer(t, o);
        }
        b.on_advert(t, heard(200), o);
    }
    EXPECT_EQ(a.state(), State::backup);
    EXPECT_TRUE(a.wants_master(t0 + 60s));
    // When b stops hearing its master too, both want MASTER and the first to expire goes.
    Driver db{b, t0 + 60s, {}};
    db.run_until(t0 + 70s);
    EXPECT_EQ(b.state(), State::master);
}

} // namespace

// The VRRP engine (control/vrrp/engine.h) on a fake clock: configs parsed from keepalived.conf text,
// adverts fed in as the bytes a raw socket delivers, and every decision asserted through the recorder
// Io it hands them to. What the state machine itself does is vrrp_fsm_test's; here it is the routing
// by interface and VRID, the counters, the sole-unicast-peer takeover and the sync groups' gates.
#include "control/vrrp/engine.h"
#include "test_env.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using vrrp::Drop;
using vrrp::State;

const vrrp::Time t0 = vrrp::Time{} + std::chrono::hours(1000);

conf::Ip ip(const char* text)
{
    return *conf::Ip::parse(text);
}

// Every call the engine makes, as "INSTANCE what": "0 advert vrid=51 prio=100", "1 vips on",
// "0 garp 5", "0 BACKUP->MASTER". Log lines are kept apart (they are the FSM's words, not decisions).
struct Recorder : vrrp::Io {
    std::vector<std::string> calls;
    std::vector<std::string> logs;

    void send_advert(size_t inst, const vrrp::Advert& a) override
    {
        calls.push_back(fmt::format("{} advert vrid={} prio={}", inst, a.vrid, a.priority));
    }
    void set_vips(size_t inst, bool own) override { calls.push_back(fmt::format("{} vips {}", inst, own ? "on" : "off")); }
    void send_garp(size_t inst, int count) override { calls.push_back(fmt::format("{} garp {}", inst, count)); }
    void state_changed(size_t inst, State from, State to) override
    {
        calls.push_back(fmt::format("{} {}->{}", inst, vrrp::to_string(from), vrrp::to_string(to)));
    }
    void log(std::string_view line) override { logs.emplace_back(line); }

    std::vector<std::string> take()
    {
        auto c = std::move(calls);
        calls.clear();
        return c;
    }
};

// A config and the engine over it (the engine points into the config, so they live together).
struct Rig {
    conf::Loaded loaded;
    Recorder io;
    vrrp::Engine engine;
    vrrp::Time now = t0;

    explicit Rig(const std::string& text)
        : loaded(load(text)), engine(loaded.config, io, [](const conf::VrrpInstance&) { return ip("10.0.0.1"); })
    {
    }

    // Starts the engine at t0, drops the outputs of its start, and moves the clock to t0 + 1 s.
    void start_quiet()
    {
        engine.start(t0);
        io.take();
        now = t0 + 1s;
    }
    // Runs every timer up to `until`, in order, as the daemon's loop would.
    void run_until(vrrp::Time until)
    {
        for (int i = 0; i < 100000 && engine.deadline() <= until; ++i) {
            now = engine.deadline();
            engine.on_timer(now);
        }
        now = until;
    }
    // An advert from `src` to `dst` as keepalived would send it for this VRID and these VIPs (v2, 1 s).
    // With another TTL than keepalived's 255, as a router on the way would leave it.
    void hear(const std::string& ifname, int vrid, int priority, const char* src = "10.0.0.2", const char* dst = "224.0.0.18",
              std::vector<conf::Ip> addrs = {ip("10.0.0.100")}, uint8_t ttl = 255)
    {
        const vrrp::Advert a{.version = 2, .vrid = static_cast<uint8_t>(vrid), .priority = static_cast<uint8_t>(priority),
                             .interval_cs = 100, .auth = conf::AuthType::none, .auth_data = {}, .addrs = std::move(addrs)};
        std::array<uint8_t, 128> buf{};
        const size_t n = vrrp::encode_ipv4(a, ip(src), ip(dst), buf, 1);
        ASSERT_GT(n, 0u);
        if (ttl != buf[8]) {
            buf[8] = ttl;
            buf[10] = buf[11] = 0;
            uint32_t sum = 0;
            for (size_t i = 0; i < 20; i += 2) {
                sum += uint32_t(buf[i] << 8 | buf[i + 1]);
            }
            sum = (sum & 0xffff) + (sum >> 16);
            sum = (sum & 0xffff) + (sum >> 16);
            buf[10] = uint8_t(~sum >> 8);
            buf[11] = uint8_t(~sum);
        }
        engine.receive(now, ifname, std::span<const uint8_t>(buf.data(), n));
    }
    const vrrp::Member& member(size_t i) const { return engine.instances().at(i); }
};

std::string instance(const std::string& name, const std::string& ifname, int vrid, int priority, const std::string& extra = "",
                     const std::string& vip = "10.0.0.100/24")
{
    return fmt::format("vrrp_instance {} {{\n state BACKUP\n interface {}\n virtual_router_id {}\n priority {}\n advert_int 1\n{}"
                       " virtual_ipaddress {{\n  {}\n }}\n}}\n",
                       name, ifname, vrid, priority, extra, vip);
}

// The outputs of becoming MASTER, in the order the FSM gives them.
std::vector<std::string> takeover(size_t inst, int vrid, int priority)
{
    return {fmt::format("{} advert vrid={} prio={}", inst, vrid, priority), fmt::format("{} vips on", inst),
            fmt::format("{} garp 5", inst), fmt::format("{} BACKUP->MASTER", inst)};
}

TEST(VrrpEngine, ConfigsOfTheseTestsLoadCleanly)
{
    Rig r(instance("VI_1", "eth0", 51, 100) + instance("VI_2", "eth0", 52, 100, "", "10.0.0.200/24"));
    EXPECT_EQ(complaints(r.loaded), "");
    ASSERT_EQ(r.engine.instances().size(), 2u);
}

TEST(VrrpEngine, AdvertsGoToTheInstanceOfTheirInterfaceAndVrid)
{
    Rig r(instance("VI_1", "eth0", 51, 100) + instance("VI_2", "eth0", 52, 100, "", "10.0.0.200/24") +
          instance("VI_3", "eth1", 51, 100, "", "10.0.2.100/24"));
    ASSERT_EQ(complaints(r.loaded), "");
    r.engine.start(t0);
    EXPECT_EQ(r.io.take(), (std::vector<std::string>{"0 INIT->BACKUP", "1 INIT->BACKUP", "2 INIT->BACKUP"}));

    r.now = t0 + 1s;
    r.hear("eth0", 52, 150, "10.0.0.2", "224.0.0.18", {ip("10.0.0.200")});
    r.hear("eth1", 51, 150, "10.0.2.2", "224.0.0.18", {ip("10.0.2.100")});
    r.hear("eth1", 51, 150, "10.0.2.2", "224.0.0.18", {ip("10.0.2.100")});
    EXPECT_EQ(r.member(0).counters.accepted, 0u);
    EXPECT_EQ(r.member(1).counters.accepted, 1u);
    EXPECT_EQ(r.member(2).counters.accepted, 2u);
    // Unknown VRID on a known interface, and a known VRID on an interface no instance runs on.
    r.hear("eth0", 53, 150);
    r.hear("eth2", 51, 150);
    EXPECT_EQ(r.engine.unmatched().drops[size_t(Drop::vrid_mismatch)], 2u);
    // Bytes that are no advert at all.
    const std::array<uint8_t, 6> junk{0x45, 0, 0, 6, 0, 0};
    r.engine.receive(r.now, "eth0", junk);
    EXPECT_EQ(r.engine.unmatched().drops[size_t(Drop::truncated)], 1u);
    // A matching VRID whose advert fails the instance's checks counts against that instance only.
    r.hear("eth0", 51, 150, "10.0.0.2", "224.0.0.18", {ip("10.0.0.100"), ip("10.0.0.101")});
    EXPECT_EQ(r.member(0).counters.drops[size_t(Drop::addr_count_mismatch)], 1u);
    EXPECT_EQ(r.member(0).counters.accepted, 0u);
    EXPECT_EQ(r.engine.unmatched().accepted, 0u);
    EXPECT_TRUE(r.io.take().empty()) << "nothing heard here changes a state";

    // The heard masters keep VI_2 and VI_3 BACKUP past their master-down interval; VI_1 heard only a
    // bad advert, so it alone takes over.
    const auto md = r.member(0).fsm->master_down_interval();
    r.run_until(t0 + md);
    EXPECT_EQ(r.io.take(), takeover(0, 51, 100));
    EXPECT_EQ(r.member(1).fsm->state(), State::backup);
    EXPECT_EQ(r.member(2).fsm->state(), State::backup);
}

TEST(VrrpEngine, CountsWhatItSendsAndHears)
{
    Rig r(instance("VI_1", "eth0", 51, 100));
    ASSERT_EQ(complaints(r.loaded), "");
    r.engine.start(t0);
    const auto md = r.member(0).fsm->master_down_interval();
    r.run_until(t0 + md + 10s);  // MASTER, then an advert every second
    EXPECT_EQ(r.member(0).became_master, 1u);
    EXPECT_EQ(r.member(0).adverts_sent, 11u);
    // A lower priority is answered at once; a higher one takes it back to BACKUP.
    r.hear("eth0", 51, 50);
    r.hear("eth0", 51, 0);
    EXPECT_EQ(r.member(0).priority_zero_received, 1u);
    EXPECT_EQ(r.member(0).adverts_sent, 13u) << "a master answers a lower priority and a priority 0 with an advert";
    r.hear("eth0", 51, 200);
    EXPECT_EQ(r.member(0).released_master, 1u);
    EXPECT_EQ(r.member(0).fsm->state(), State::backup);
    EXPECT_EQ(r.member(0).counters.accepted, 3u);
    // Master again (silence), then stopped: priority 0 on the way out.
    r.run_until(r.now + md);
    r.io.take();
    r.engine.stop(r.now);
    EXPECT_EQ(r.io.take(), (std::vector<std::string>{"0 advert vrid=51 prio=0", "0 vips off", "0 MASTER->STOP"}));
    EXPECT_EQ(r.member(0).priority_zero_sent, 1u);
    EXPECT_EQ(r.member(0).became_master, 2u);
    EXPECT_EQ(r.member(0).released_master, 2u);

    const std::string s = r.engine.stats();
    EXPECT_NE(s.find("VRRP Instance: VI_1\n  State: STOP\n"), std::string::npos) << s;
    EXPECT_NE(s.find("  Advertisements sent: 15\n  Became master: 2\n  Released master: 2\n"), std::string::npos) << s;
    EXPECT_NE(s.find("  Priority zero received: 1\n  Priority zero sent: 1\n  Adverts answering lower priority: 2\n"
                     "  Answers held back by rate limit: 0\n  Log lines held back by rate limit: 0\n  Advertisements accepted: 3\n"),
              std::string::npos)
        << s;
}

TEST(VrrpEngine, SoleUnicastPeerSendingPriorityZeroIsReplacedAtOnce)
{
    const std::string ucast = " unicast_src_ip 10.0.0.1\n unicast_peer {\n  10.0.0.2\n }\n";
    Rig r(instance("VI_1", "eth0", 51, 100, ucast));
    ASSERT_EQ(complaints(r.loaded), "");
    r.start_quiet();
    r.hear("eth0", 51, 150, "10.0.0.2", "10.0.0.1");
    // Someone who is not the peer, and a multicast advert: both dropped, neither counts as heard.
    r.hear("eth0", 51, 0, "10.0.0.3", "10.0.0.1");
    r.hear("eth0", 51, 0, "10.0.0.2", "224.0.0.18");
    EXPECT_EQ(r.member(0).counters.drops[size_t(Drop::src_not_peer)], 1u);
    EXPECT_EQ(r.member(0).counters.drops[size_t(Drop::multicast_in_unicast)], 1u);
    EXPECT_EQ(r.member(0).priority_zero_received, 0u);
    EXPECT_EQ(r.engine.deadline(), t0 + 1s + r.member(0).fsm->master_down_interval());

    r.now = t0 + 2s;
    r.hear("eth0", 51, 0, "10.0.0.2", "10.0.0.1");
    EXPECT_EQ(r.member(0).priority_zero_received, 1u);
    EXPECT_EQ(r.engine.deadline(), t0 + 2s) << "no skew time: nobody else can answer first";
    r.run_until(t0 + 2s);
    EXPECT_EQ(r.io.take(), takeover(0, 51, 100));
}

TEST(VrrpEngine, MulticastBackupWaitsItsSkewAfterPriorityZero)
{
    Rig r(instance("VI_1", "eth0", 51, 100));
    ASSERT_EQ(complaints(r.loaded), "");
    r.start_quiet();
    r.hear("eth0", 51, 0);
    const auto skew = r.member(0).fsm->skew();
    EXPECT_EQ(r.engine.deadline(), t0 + 1s + skew);
    r.run_until(t0 + 1s + skew - 1us);
    EXPECT_TRUE(r.io.take().empty());
    r.run_until(t0 + 1s + skew);
    EXPECT_EQ(r.io.take(), takeover(0, 51, 100));
}

const std::string group = "vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n}\n";

// keepalived's vrrp_sync_can_goto_master: a member whose master-down timer expires waits while another
// member still hears its master, so two nodes do not take the group in turns.
TEST(VrrpEngine, SyncGroupMemberWaitsWhileAnotherHearsAMaster)
{
    Rig r(group + instance("VI_1", "eth0", 51, 100) + instance("VI_2", "eth1", 52, 100, "", "10.0.1.100/24"));
    ASSERT_EQ(complaints(r.loaded), "");
    ASSERT_NE(r.member(0).group, nullptr);
    EXPECT_EQ(r.member(0).group, r.member(1).group);
    r.engine.start(t0);
    r.io.take();
    // VI_2 hears its master every second for a minute; VI_1 hears nothing.
    for (auto t = t0 + 1s; t <= t0 + 60s; t += 1s) {
        r.run_until(t);
        r.hear("eth1", 52, 200, "10.0.1.2", "224.0.0.18", {ip("10.0.1.100")});
    }
    EXPECT_TRUE(r.io.take().empty()) << "VI_1 must not go MASTER alone";
    EXPECT_EQ(r.member(0).fsm->state(), State::backup);
    EXPECT_TRUE(r.member(0).fsm->wants_master(r.now));
    EXPECT_EQ(r.member(1).counters.accepted, 60u);

    // VI_2's master falls silent: when VI_2's timer expires the whole group goes, VI_2 first, VI_1
    // following it (the engine applies the group's move).
    r.run_until(r.now + r.member(1).fsm->master_down_interval());
    EXPECT_EQ(r.io.take(), (std::vector<std::string>{"1 advert vrid=52 prio=100", "1 vips on", "1 garp 5", "1 BACKUP->MASTER",
                                                     "0 advert vrid=51 prio=100", "0 vips on", "0 garp 5", "0 BACKUP->MASTER"}));
}

TEST(VrrpEngine, SyncGroupFollowsAMemberBeatenOrFaulted)
{
    Rig r(group + instance("VI_1", "eth0", 51, 100) + instance("VI_2", "eth1", 52, 100, "", "10.0.1.100/24"));
    ASSERT_EQ(complaints(r.loaded), "");
    r.engine.start(t0);
    r.run_until(t0 + r.member(0).fsm->master_down_interval());
    ASSERT_EQ(r.member(0).fsm->state(), State::master);
    ASSERT_EQ(r.member(1).fsm->state(), State::master);
    r.io.take();

    // A higher priority beats VI_1: VI_2 leaves MASTER with it.
    r.hear("eth0", 51, 200);
    EXPECT_EQ(r.io.take(), (std::vector<std::string>{"0 vips off", "0 MASTER->BACKUP", "1 vips off", "1 MASTER->BACKUP"}));

    // VI_2 faults (tracking): VI_1 is faulted with it, and released when VI_2 recovers.
    r.engine.set_tracking(1, 0, true, r.now);
    EXPECT_EQ(r.io.take(), (std::vector<std::string>{"1 BACKUP->FAULT", "0 BACKUP->FAULT"}));
    r.engine.set_tracking(1, 0, false, r.now);
    EXPECT_EQ(r.io.take(), (std::vector<std::string>{"1 FAULT->BACKUP", "0 FAULT->BACKUP"}));
}

// L14: the address owner discards every advert for its VRID (RFC 5798 §7.1) and stays MASTER; it
// used to step down to another 255 from a higher address and to answer lower priorities.
TEST(VrrpEngine, AddressOwnerStaysMasterWhateverItHears)
{
    Rig r(instance("VI_1", "eth0", 51, 255));
    ASSERT_EQ(complaints(r.loaded), "");
    r.engine.start(t0);
    EXPECT_EQ(r.io.take(), (std::vector<std::string>{"0 advert vrid=51 prio=255", "0 vips on", "0 garp 5", "0 INIT->MASTER"}));
    r.now = t0 + 100ms;
    r.hear("eth0", 51, 255, "10.0.0.2");  // another owner, higher address than our 10.0.0.1
    r.hear("eth0", 51, 254);
    r.hear("eth0", 51, 0);
    EXPECT_TRUE(r.io.take().empty()) << "no step down, no answer";
    EXPECT_EQ(r.member(0).fsm->state(), State::master);
    EXPECT_EQ(r.member(0).counters.drops[size_t(Drop::address_owner)], 3u);
    EXPECT_EQ(r.member(0).counters.accepted, 0u);
    EXPECT_EQ(r.member(0).priority_zero_received, 0u);
    r.run_until(t0 + 10s);
    EXPECT_EQ(r.member(0).fsm->state(), State::master);
    EXPECT_EQ(r.member(0).adverts_sent, 11u) << "its own interval only";
    EXPECT_NE(r.engine.stats().find("    address_owner: 3\n"), std::string::npos) << r.engine.stats();
}

// M8: in unicast mode a peer once heard at TTL 255 is on-link; an advert with its address and another
// TTL (a spoof from beyond a router: here a priority 0 that would hand over at once) is dropped as
// bad_ttl. A peer never heard at 255 (routed) is accepted at any TTL, as keepalived accepts it.
TEST(VrrpEngine, UnicastPeerHeardAtTtl255MustKeepIt)
{
    const std::string ucast = " unicast_src_ip 10.0.0.1\n unicast_peer {\n  10.0.0.2\n  10.0.0.3\n }\n";
    Rig r(instance("VI_1", "eth0", 51, 100, ucast));
    ASSERT_EQ(complaints(r.loaded), "");
    r.start_quiet();
    r.io.logs.clear();
    r.hear("eth0", 51, 150, "10.0.0.2", "10.0.0.1", {ip("10.0.0.100")}, 64);  // routed so far
    EXPECT_EQ(r.member(0).counters.accepted, 1u);
    EXPECT_TRUE(r.io.logs.empty());
    r.hear("eth0", 51, 150, "10.0.0.2", "10.0.0.1");
    EXPECT_EQ(r.member(0).counters.accepted, 2u);
    ASSERT_EQ(r.io.logs.size(), 1u);
    EXPECT_EQ(r.io.logs[0], "(VI_1) unicast peer 10.0.0.2 is on-link (TTL 255): its adverts with another TTL are dropped from now on");
    r.hear("eth0", 51, 150, "10.0.0.2", "10.0.0.1");
    EXPECT_EQ(r.io.logs.size(), 1u) << "said once";

    r.now = t0 + 1500ms;
    r.hear("eth0", 51, 0, "10.0.0.2", "10.0.0.1", {ip("10.0.0.100")}, 254);
    r.hear("eth0", 51, 0, "10.0.0.2", "10.0.0.1", {ip("10.0.0.100")}, 64);
    EXPECT_EQ(r.member(0).counters.drops[size_t(Drop::bad_ttl)], 2u);
    EXPECT_EQ(r.member(0).priority_zero_received, 0u);
    EXPECT_EQ(r.engine.deadline(), t0 + 1s + r.member(0).fsm->master_down_interval()) << "the spoof moved nothing";
    // The other peer was never heard at 255: routed, any TTL.
    r.hear("eth0", 51, 150, "10.0.0.3", "10.0.0.1", {ip("10.0.0.100")}, 61);
    EXPECT_EQ(r.member(0).counters.accepted, 4u);

    // A reload that keeps the instance keeps what was learnt.
    Rig next(instance("VI_1", "eth0", 51, 100, ucast));
    next.engine.adopt(r.engine, [](const conf::VrrpInstance&, const conf::VrrpInstance&) { return true; }, r.now);
    EXPECT_EQ(next.member(0).expect.peer_on_link, (std::vector<uint8_t>{1, 0}));
}

} // namespace

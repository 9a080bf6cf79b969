// keepalived's tracking rules through control::track_instance, on configs read as vipd reads them: a
// positive weight adds while up, a negative one subtracts while down, no weight (or 0) faults; the own
// interface down faults (not with dont_track_primary); a sync group's scripts and files count for its
// members, and its members' weighted tracking is dropped without sync_group_tracking_weight.
#include "control/tracking.h"

#include "test_env.h"

#include <gtest/gtest.h>

namespace {

using control::Tracking;
using control::track_instance;

struct World {
    std::map<std::string, bool> link_up{{"eth0", true}, {"eth1", true}, {"eth2", true}, {"eth3", true}};
    std::map<std::string, bool> script_ok;
    std::map<std::string, int64_t> file_value;
    control::Transport transport;

    Tracking of(const conf::Config& cfg, size_t inst = 0) const
    {
        return track_instance(cfg, cfg.instances.at(inst), transport, {.link_up = link_up, .script_ok = script_ok, .file_value = file_value});
    }
};

conf::Loaded loaded(const std::string& text)
{
    auto l = load("global_defs {\n enable_script_security\n script_user root\n}\n" + text);
    EXPECT_EQ(l.exit_code(), 0) << complaints(l);
    return l;
}

// A FAULT with the one line keepalived logs for it.
void expect_fault(const Tracking& t, const std::string& line)
{
    EXPECT_TRUE(t.fault);
    ASSERT_EQ(t.fault_lines.size(), 1U);
    EXPECT_EQ(t.fault_lines[0], line);
}

const std::string instance_head = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n  10.0.0.1\n }\n";

TEST(Tracking, NothingTrackedNothingChanges)
{
    auto l = loaded(instance_head + "}\n");
    World w;
    EXPECT_EQ(w.of(l.config), Tracking{});
}

TEST(Tracking, OwnInterfaceDownFaults)
{
    auto l = loaded(instance_head + "}\n");
    World w;
    w.link_up["eth0"] = false;
    expect_fault(w.of(l.config), "(VI_1): entering FAULT state (interface eth0 down)");
}

TEST(Tracking, DontTrackPrimaryIgnoresOwnInterface)
{
    auto l = loaded(instance_head + " dont_track_primary\n}\n");
    World w;
    w.link_up["eth0"] = false;
    EXPECT_FALSE(w.of(l.config).fault);
    // but without a socket (the interface does not exist) there is nothing to send adverts on
    w.transport.socket = false;
    EXPECT_TRUE(w.of(l.config).fault);
}

TEST(Tracking, NoSourceAddressFaults)
{
    auto l = loaded(instance_head + "}\n");
    World w;
    w.transport.source = false;
    expect_fault(w.of(l.config), "(VI_1) entering FAULT state (no IPv4 address for interface)");
}

TEST(Tracking, TrackInterfaceWeights)
{
    auto l = loaded(instance_head + " track_interface {\n  eth1 weight 10\n  eth2 weight -20\n  eth3\n }\n}\n");
    World w;
    EXPECT_EQ(w.of(l.config), (Tracking{.delta = 10}));  // +10 while eth1 is up, nothing while eth2 is up
    w.link_up["eth1"] = false;
    EXPECT_EQ(w.of(l.config), (Tracking{.delta = 0}));
    w.link_up["eth2"] = false;
    EXPECT_EQ(w.of(l.config), (Tracking{.delta = -20}));
    w.link_up["eth3"] = false;  // no weight: down is FAULT
    EXPECT_TRUE(w.of(l.config).fault);
    EXPECT_EQ(w.of(l.config).delta, -20);
    // a tracked interface's FAULT has no "entering FAULT" line of its own (keepalived logs the link)
    EXPECT_TRUE(w.of(l.config).fault_lines.empty());
}

TEST(Tracking, WeightZeroIsFault)
{
    auto l = loaded(instance_head + " track_interface {\n  eth1 weight 0\n }\n}\n");
    World w;
    EXPECT_FALSE(w.of(l.config).fault);
    w.link_up["eth1"] = false;
    EXPECT_TRUE(w.of(l.config).fault);
}

TEST(Tracking, TrackScriptWeightsAndOverrides)
{
    auto l = loaded("vrrp_script up { script /bin/true\n weight 5 }\n"
                    "vrrp_script down { script /bin/true\n weight -7 }\n"
                    "vrrp_script must { script /bin/true }\n" +
                    instance_head + " track_script {\n  up\n  down\n  must\n }\n}\n");
    World w;
    w.script_ok = {{"up", true}, {"down", true}, {"must", true}};
    EXPECT_EQ(w.of(l.config), (Tracking{.delta = 5}));
    w.script_ok["down"] = false;
    EXPECT_EQ(w.of(l.config), (Tracking{.delta = -2}));
    w.script_ok["up"] = false;
    EXPECT_EQ(w.of(l.config), (Tracking{.delta = -7}));
    w.script_ok["must"] = false;  // weight 0 (the script's default): failing is FAULT
    EXPECT_TRUE(w.of(l.config).fault);

    // the reference's weight wins over the script's
    auto o = loaded("vrrp_script s { script /bin/true\n weight 5 }\n" + instance_head + " track_script {\n  s weight -30\n }\n}\n");
    World v;
    v.script_ok = {{"s", true}};
    EXPECT_EQ(v.of(o.config).delta, 0);
    v.script_ok["s"] = false;
    EXPECT_EQ(v.of(o.config).delta, -30);
}

TEST(Tracking, ReverseTurnsUpIntoDown)
{
    auto l = loaded("vrrp_script s { script /bin/true\n weight -10 reverse }\n" + instance_head +
                    " track_script {\n  s\n }\n track_interface {\n  eth1 weight 0 reverse\n }\n}\n");
    World w;
    w.script_ok = {{"s", false}};
    w.link_up["eth1"] = false;
    EXPECT_EQ(w.of(l.config), Tracking{});  // a failing reversed script costs nothing; eth1 down is fine
    w.script_ok["s"] = true;
    EXPECT_EQ(w.of(l.config).delta, -10);
    w.link_up["eth1"] = true;
    EXPECT_TRUE(w.of(l.config).fault);

    // noreverse on the reference undoes the script's reverse
    auto n = loaded("vrrp_script s { script /bin/true\n weight -10 reverse }\n" + instance_head + " track_script {\n  s noreverse\n }\n}\n");
    World v;
    v.script_ok = {{"s", false}};
    EXPECT_EQ(v.of(n.config).delta, -10);
}

TEST(Tracking, TrackFileValueTimesWeight)
{
    auto l = loaded("track_file f { file /tmp/vipd-tracking-test-f\n weight 3 }\n" + instance_head + " track_file {\n  f\n }\n}\n");
    World w;
    w.file_value = {{"f", 4}};
    EXPECT_EQ(w.of(l.config), (Tracking{.delta = 12}));
    w.file_value["f"] = -100;  // -300: FAULT
    expect_fault(w.of(l.config), "(VI_1): entering FAULT state (tracked file f has status -300)");
    // a file that is not watched (its directory did not exist) counts for nothing
    w.file_value.clear();
    EXPECT_EQ(w.of(l.config), Tracking{});
}

const std::string group_config = "vrrp_script s { script /bin/true }\n"
                                 "vrrp_script ws { script /bin/true\n weight -10 }\n"
                                 "vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n track_script {\n  s\n }\n}\n"
                                 "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n  10.0.0.1\n }\n track_script {\n  ws\n }\n}\n"
                                 "vrrp_instance VI_2 {\n interface eth1\n virtual_router_id 2\n priority 100\n virtual_ipaddress {\n  10.0.0.2\n }\n}\n";

TEST(Tracking, SyncGroupScriptsCountForEveryMember)
{
    auto l = load(group_config);
    World w;
    w.script_ok = {{"s", true}, {"ws", false}};
    // without sync_group_tracking_weight the member's weighted script was dropped when read
    EXPECT_EQ(w.of(l.config, 0), Tracking{});
    w.script_ok["s"] = false;
    EXPECT_TRUE(w.of(l.config, 0).fault);
    EXPECT_TRUE(w.of(l.config, 1).fault);
}

TEST(Tracking, SyncGroupTrackingWeightKeepsWeights)
{
    std::string text = group_config;
    text.replace(text.find("track_script {\n  s\n }\n}"), 0, "sync_group_tracking_weight\n ");
    auto l = load(text);
    ASSERT_TRUE(l.config.sync_groups.at(0).tracking_weight) << text;
    World w;
    w.script_ok = {{"s", true}, {"ws", false}};
    EXPECT_EQ(w.of(l.config, 0), (Tracking{.delta = -10}));
    EXPECT_EQ(w.of(l.config, 1), Tracking{});
}

TEST(Tracking, ResolveFileRef)
{
    auto l = loaded("track_file f { file /tmp/vipd-tracking-test-f\n weight 3 reverse }\n" + instance_head +
                    " track_file {\n  f weight 2 noreverse\n }\n}\n");
    const auto r = control::resolve_file_ref(l.config, l.config.instances[0].track_files[0]);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->weight, 2);
    EXPECT_FALSE(r->reverse);
    EXPECT_FALSE(control::resolve_file_ref(l.config, conf::TrackRef{.name = "none"}));
}

} // namespace

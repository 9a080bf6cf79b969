// Validation: cross-references, vrrp_strict fix-ups, interfaces and script security, with a fake host.
#include "test_env.h"

#include <gtest/gtest.h>

namespace {

const std::string vi = "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n";

TEST(Validate, MissingInterfaceWarnsOnTheInterfaceLine)
{
    FakeEnv env;
    env.interfaces = {"eth1"};
    auto l = load(vi + "}\n", env);
    EXPECT_EQ(l.exit_code(), 5);
    EXPECT_TRUE(l.diags.has_line(0, 2)) << complaints(l);
}

TEST(Validate, NoInterfaceRemovesTheInstance)
{
    auto l = load("vrrp_instance V {\n virtual_router_id 1\n}\n");
    EXPECT_EQ(l.exit_code(), 5) << complaints(l);
    EXPECT_TRUE(l.config.instances.empty());
}

TEST(Validate, DuplicateVridOnOneInterfaceIsReported)
{
    auto l = load(vi + "}\nvrrp_instance W {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.2 }\n}\n");
    EXPECT_EQ(l.exit_code(), 5) << complaints(l);
    EXPECT_NE(complaints(l).find("V and W both use VRID 1"), std::string::npos) << complaints(l);
}

TEST(Validate, UnknownLinkbeatInterfaceCannotRun)
{
    auto l = load("linkbeat_interfaces {\n eth9\n}\n" + vi + "}\n");
    EXPECT_EQ(l.exit_code(), 4) << complaints(l);
}

TEST(Validate, SameVridOnTwoInterfacesIsFine)
{
    auto l = load(vi + "}\nvrrp_instance W {\n interface eth1\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.2 }\n}\n");
    EXPECT_EQ(l.exit_code(), 0) << complaints(l);
}

TEST(Validate, StrictModeFixUps)
{
    auto l = load("global_defs { vrrp_strict }\nvrrp_instance V {\n state MASTER\n priority 100\n interface eth0\n virtual_router_id 1\n"
                  " authentication {\n auth_type PASS\n auth_pass x\n }\n accept\n virtual_ipaddress { 10.0.0.1 }\n}\n");
    EXPECT_EQ(l.exit_code(), 5);
    const auto& v = l.config.instances.at(0);
    EXPECT_EQ(v.state, conf::InitialState::backup);
    EXPECT_EQ(v.auth_type, conf::AuthType::none);
    EXPECT_EQ(v.accept, false);
}

TEST(Validate, AhWithInitialMasterIsCleared)
{
    auto l = load("vrrp_instance V {\n state MASTER\n interface eth0\n virtual_router_id 1\n authentication {\n auth_type AH\n auth_pass secret\n }\n"
                  " virtual_ipaddress { 10.0.0.1 }\n}\n");
    EXPECT_EQ(l.exit_code(), 5);
    EXPECT_EQ(l.config.instances.at(0).state, conf::InitialState::backup);
}

TEST(Validate, SyncGroupOfOneWarnsAndUnknownMemberIsDropped)
{
    auto l = load("vrrp_sync_group G {\n group {\n V\n NOPE\n }\n}\n" + vi + "}\n");
    EXPECT_EQ(l.exit_code(), 5);
    EXPECT_TRUE(l.diags.has_line(0, 4)) << complaints(l);
    ASSERT_EQ(l.config.sync_groups.size(), 1u);
    EXPECT_EQ(l.config.sync_groups[0].members, (std::vector<std::string>{"V"}));
}

TEST(Validate, EmptySyncGroupIsRemoved)
{
    auto l = load("vrrp_sync_group G {\n group {\n X\n }\n}\n" + vi + "}\n");
    EXPECT_TRUE(l.config.sync_groups.empty());
}

TEST(Validate, RootScriptWithoutScriptSecurityIsASecurityViolation)
{
    auto l = load("vrrp_script s {\n script /bin/true\n}\n" + vi + " track_script {\n s\n }\n}\n");
    EXPECT_EQ(l.exit_code(), 6) << complaints(l);
}

TEST(Validate, ScriptFoundOnPathCounts)
{
    auto l = load("vrrp_script s {\n script \"killall -0 sshd\"\n}\n" + vi + " track_script {\n s\n }\n}\n");
    EXPECT_EQ(l.exit_code(), 6) << complaints(l);
}

TEST(Validate, MissingScriptIsDisabledNotInsecure)
{
    auto l = load("vrrp_script s {\n script /etc/keepalived/nope.sh\n}\n" + vi + " track_script {\n s\n }\n}\n");
    EXPECT_EQ(l.exit_code(), 5) << complaints(l);
    EXPECT_TRUE(l.config.scripts.empty());
    EXPECT_TRUE(l.config.instances.at(0).track_scripts.empty());
}

TEST(Validate, ScriptSecurityWithoutAUserRemovesTheScript)
{
    auto l = load("global_defs {\n enable_script_security\n}\nvrrp_script s {\n script /bin/true\n}\n" + vi + "}\n");
    EXPECT_EQ(l.exit_code(), 5) << complaints(l);
    EXPECT_TRUE(l.config.scripts.empty());
}

TEST(Validate, ScriptSecurityWithAUserIsClean)
{
    FakeEnv env;
    env.users.insert("keepalived_script");
    auto l = load("global_defs {\n enable_script_security\n}\nvrrp_script s {\n script /bin/true\n}\n" + vi + " track_script {\n s\n }\n}\n", env);
    EXPECT_EQ(l.exit_code(), 0) << complaints(l);
}

// H2: one meaning of the default script user, resolved here for every kind of script: keepalived_script
// where that user exists, else root.
TEST(Validate, DefaultScriptUserIsKeepalivedScriptWhereItExistsElseRoot)
{
    const std::string text = "vrrp_script s {\n script /bin/true\n}\n" + vi + " track_script {\n s\n }\n notify_master /bin/true\n}\n";
    FakeEnv with;
    with.users.insert("keepalived_script");
    const FakeEnv* none = nullptr;
    for (const FakeEnv* env : {static_cast<const FakeEnv*>(&with), none}) {
        auto l = env != nullptr ? load(text, *env) : load(text);
        const std::string who = env != nullptr ? "keepalived_script" : "root";
        ASSERT_EQ(l.config.scripts.size(), 1u) << complaints(l);
        ASSERT_TRUE(l.config.scripts[0].exec);
        EXPECT_EQ(l.config.scripts[0].exec->user, who);
        EXPECT_EQ(l.config.scripts[0].exec->uid, env != nullptr ? 1000u : 0u);
        const auto& m = l.config.instances.at(0).notify.master;
        ASSERT_TRUE(m.exec);
        EXPECT_EQ(m.exec->user, who);
        // The violation follows the same user: none when the scripts run unprivileged.
        EXPECT_EQ(l.exit_code(), env != nullptr ? 0 : 6) << complaints(l);
    }
}

// H3: `notify_* "COMMAND" user [group]`: the words after the command are who runs it, not arguments.
TEST(Validate, NotifyRunsAsItsUserAndGroup)
{
    FakeEnv env;
    env.users.insert("nobody");
    auto l = load(vi + " notify_master \"/bin/true a 'b c'\" nobody\n notify_backup /bin/true nobody daemon\n"
                       " notify_fault /bin/true nosuchuser\n}\n", env);
    const auto& n = l.config.instances.at(0).notify;
    EXPECT_EQ(n.master.text, "/bin/true a 'b c'");
    EXPECT_EQ(n.master.user, "nobody");
    ASSERT_TRUE(n.master.exec);
    EXPECT_EQ(n.master.exec->argv, (std::vector<std::string>{"/bin/true", "a", "b c"}));
    EXPECT_EQ(n.master.exec->path, "/bin/true");
    EXPECT_EQ(n.master.exec->uid, 65534u);
    EXPECT_EQ(n.master.exec->gid, 65534u);
    ASSERT_TRUE(n.backup.exec);
    EXPECT_EQ(n.backup.exec->argv, (std::vector<std::string>{"/bin/true"}));
    EXPECT_EQ(n.backup.exec->uid, 65534u);
    EXPECT_EQ(n.backup.exec->gid, 1u);  // the group given
    // keepalived 2.2.7: "Invalid user/group for notify script ... - ignoring", log-only
    EXPECT_FALSE(n.fault.exec);
    EXPECT_EQ(l.exit_code(), 0) << complaints(l);
}

// L4: a bare name runs as the file the PATH search found, whatever PATH the script gets.
TEST(Validate, BareScriptNameRunsAsTheFileFound)
{
    auto l = load("vrrp_script s {\n script \"killall -0 sshd\"\n}\n" + vi + " track_script {\n s\n }\n}\n");
    ASSERT_EQ(l.config.scripts.size(), 1u);
    ASSERT_TRUE(l.config.scripts[0].exec);
    EXPECT_EQ(l.config.scripts[0].exec->path, "/usr/bin/killall");
    EXPECT_EQ(l.config.scripts[0].exec->argv, (std::vector<std::string>{"killall", "-0", "sshd"}));
}

// H4: enable_script_security disables an insecure root script of every kind, not only vrrp_script
// (keepalived 2.2.7: exit 0, "Unsafe permissions found for script ... - disabling." is log-only).
TEST(Validate, ScriptSecurityDisablesEveryInsecureRootScript)
{
    FakeEnv env;
    env.programs.insert("/tmp/w.sh");
    env.insecure.insert("/tmp/w.sh");
    const std::string vs = "virtual_server 10.0.0.9 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n quorum_up /tmp/w.sh\n"
                           " real_server 10.0.1.1 80 {\n notify_up /tmp/w.sh\n MISC_CHECK {\n misc_path /tmp/w.sh\n }\n"
                           " TCP_CHECK {\n }\n }\n}\n";
    const std::string body = vi + " notify_master /tmp/w.sh\n notify \"/tmp/w.sh x\"\n}\nvrrp_sync_group G {\n group {\n V\n }\n"
                             " notify_backup /tmp/w.sh\n}\n" + vs;
    auto l = load("global_defs {\n enable_script_security\n script_user root\n}\n" + body, env);
    const auto& n = l.config.instances.at(0).notify;
    EXPECT_FALSE(n.master.exec);
    EXPECT_FALSE(n.notify.exec);
    EXPECT_FALSE(l.config.sync_groups.at(0).notify.backup.exec);
    const auto& v = l.config.virtual_servers.at(0);
    EXPECT_FALSE(v.quorum_up.exec);
    EXPECT_FALSE(v.real_servers.at(0).notify_up.exec);
    ASSERT_EQ(v.real_servers.at(0).checkers.size(), 1u);  // the MISC_CHECK is disabled, the TCP_CHECK stays
    EXPECT_EQ(v.real_servers.at(0).checkers[0].type, conf::CheckerType::tcp_check);
    // Without enable_script_security they run, and the violation says they are insecure.
    auto open = load(body, env);
    EXPECT_TRUE(open.config.instances.at(0).notify.master.exec);
    EXPECT_TRUE(open.config.virtual_servers.at(0).quorum_up.exec);
    EXPECT_NE(complaints(open).find("SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts."),
              std::string::npos) << complaints(open);
    // A secure root script under enable_script_security runs.
    FakeEnv safe;
    safe.programs.insert("/tmp/w.sh");
    auto ok = load("global_defs {\n enable_script_security\n script_user root\n}\n" + body, safe);
    EXPECT_TRUE(ok.config.instances.at(0).notify.master.exec);
    EXPECT_EQ(ok.config.virtual_servers.at(0).real_servers.at(0).checkers.size(), 2u);
}

TEST(Validate, FwmarkWithProtocolWarns)
{
    auto l = load("virtual_server fwmark 1 {\n protocol TCP\n}\n");
    EXPECT_EQ(l.exit_code(), 5);
}

TEST(Validate, UndefinedVirtualServerGroup)
{
    auto l = load("virtual_server group G {\n}\n");
    EXPECT_EQ(l.exit_code(), 5);
}

} // namespace

namespace {

const std::string two = "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n track_script {\n s\n }\n}\n"
                        "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress { 10.0.0.2 }\n}\n";

// keepalived 2.2.7: "(A) ignoring tracked script s with weights due to SYNC group", exit 5.
TEST(Validate, WeightedTrackingInASyncGroupIsIgnored)
{
    FakeEnv env;
    env.users.insert("keepalived_script");
    auto l = load("vrrp_script s {\n script /bin/true\n weight -60\n}\nvrrp_sync_group G {\n group {\n A\n B\n }\n}\n" + two, env);
    EXPECT_EQ(l.exit_code(), 5) << complaints(l);
    EXPECT_NE(complaints(l).find("(A) ignoring tracked script s with weights due to SYNC group"), std::string::npos);
    EXPECT_TRUE(l.config.instances.at(0).track_scripts.empty());
}

TEST(Validate, SyncGroupTrackingWeightKeepsThem)
{
    FakeEnv env;
    env.users.insert("keepalived_script");
    auto l = load("vrrp_script s {\n script /bin/true\n weight -60\n}\nvrrp_sync_group G {\n group {\n A\n B\n }\n sync_group_tracking_weight\n}\n" + two, env);
    EXPECT_EQ(l.exit_code(), 0) << complaints(l);
    EXPECT_EQ(l.config.instances.at(0).track_scripts.size(), 1u);
}

// keepalived 2.2.7 (observed): its vrrp validation stops at a non-existent interface anywhere, then at
// the first instance without virtual_router_id or interface, before any instance's other checks; what
// it no longer says must not be a complaint of vipd's either (only a note).
TEST(Validate, VrrpValidationStopsAtTheFirstIncompleteInstance)
{
    auto l = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n"  // no VIP: not reported
                  "vrrp_instance B {\n virtual_ipaddress { 10.0.0.2 }\n}\n"     // no vrid: reported, stops
                  "vrrp_instance C {\n virtual_router_id 3\n}\n"                // no interface: not reported
                  "vrrp_sync_group G {\n group {\n A\n }\n}\n");                // one member: not reported
    EXPECT_EQ(l.exit_code(), 5);
    EXPECT_EQ(complaints(l), "5: (B) the virtual router id must be set - removing instance\n");
    EXPECT_EQ(l.config.instances.size(), 1u);  // the fix-ups still happen: A is kept, B and C removed
}

TEST(Validate, NonExistentInterfaceStopsVrrpValidationFirst)
{
    auto l = load("vrrp_instance A {\n interface eth0\n}\nvrrp_instance B {\n interface eth9\n virtual_router_id 2\n}\n");
    EXPECT_EQ(complaints(l), "5: WARNING - interface eth9 for vrrp_instance B doesn't exist\n"
                             "0: Non-existent interface specified in configuration\n");
}

TEST(Validate, RealServersAreNamedWithTheProtocol)
{
    // A port-0 DR service resets its real servers' ports, and says so as keepalived does.
    auto l = load("virtual_server 10.0.0.1 0 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 80 {\n }\n}\n"
                  "virtual_server 10.0.0.1 80 {\n protocol UDP\n lb_algo rr\n lb_kind DR\n"
                  " real_server 10.0.0.3 80 {\n }\n real_server 10.0.0.3 80 {\n }\n}\n");
    const auto c = complaints(l);
    EXPECT_NE(c.find("5: WARNING - virtual server [10.0.0.1]:tcp:0 and real server [10.0.0.2]:tcp:80 ports don't match - resetting"),
              std::string::npos) << c;
    EXPECT_NE(c.find("14: VS [10.0.0.1]:udp:80: real server [10.0.0.3]:udp:80 is duplicated - removing second rs"), std::string::npos) << c;
}

} // namespace

// Parser: every block into the typed model, keepalived's defaults, and the error paths.
#include "test_env.h"

#include "conf/json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using conf::Severity;

const char* instance = R"(
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        10.0.0.100
    }
}
)";

TEST(Defaults, VrrpInstance)
{
    auto l = load(instance);
    EXPECT_EQ(l.exit_code(), 0) << complaints(l);
    ASSERT_EQ(l.config.instances.size(), 1u);
    const auto& vi = l.config.instances[0];
    EXPECT_EQ(vi.state, conf::InitialState::backup);
    EXPECT_EQ(vi.priority, 100);
    EXPECT_EQ(vi.advert_int_us, 1000000u);
    EXPECT_EQ(l.config.instance_version(vi), 2);
    EXPECT_TRUE(vi.preempt);
    EXPECT_EQ(vi.auth_type, conf::AuthType::none);
    ASSERT_EQ(vi.vips.size(), 1u);
    EXPECT_EQ(vi.vips[0].addr.str(), "10.0.0.100");
    EXPECT_EQ(vi.vips[0].prefix, 32);
    EXPECT_EQ(l.config.global.vrrp_garp_master_delay_us, 5000000u);
    EXPECT_EQ(l.config.global.vrrp_garp_master_repeat, 5);
    EXPECT_EQ(l.config.global.vrrp_mcast_group4.str(), "224.0.0.18");
}

TEST(Defaults, StateMasterWithoutPriorityIsOwner)
{
    auto l = load("vrrp_instance V { state MASTER\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 } }\n");
    ASSERT_EQ(l.config.instances.size(), 1u);
    EXPECT_EQ(l.config.instances[0].priority, 255);
}

TEST(Defaults, VirtualServerAndRealServer)
{
    // keepalived 2.2.7 warns about each of protocol (then UDP), lb_algo and lb_kind when absent.
    auto l = load("virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 {\n TCP_CHECK {\n }\n }\n}\n");
    EXPECT_EQ(l.exit_code(), 5) << complaints(l);
    EXPECT_NE(complaints(l).find("no protocol set - defaulting to UDP"), std::string::npos);
    EXPECT_NE(complaints(l).find("no scheduler set, setting default 'wlc'"), std::string::npos);
    EXPECT_NE(complaints(l).find("no forwarding method set, setting default NAT"), std::string::npos);
    ASSERT_EQ(l.config.virtual_servers.size(), 1u);
    const auto& vs = l.config.virtual_servers[0];
    EXPECT_EQ(vs.delay_loop_us, 60000000u);
    EXPECT_EQ(vs.algo, conf::LbAlgo::wlc);
    EXPECT_EQ(vs.kind, conf::LbKind::nat);
    EXPECT_EQ(vs.protocol, conf::Protocol::udp);
    EXPECT_EQ(vs.persistence_timeout_s, 0u);
    EXPECT_EQ(vs.quorum, 1u);
    ASSERT_EQ(vs.real_servers.size(), 1u);
    EXPECT_EQ(vs.real_servers[0].weight, 1);
    ASSERT_EQ(vs.real_servers[0].checkers.size(), 1u);
    EXPECT_EQ(vs.real_servers[0].checkers[0].connect_timeout_us, 5000000u);
}

TEST(Blocks, GlobalDefs)
{
    FakeEnv env;
    env.users.insert("nobody");
    auto l = load(R"(
global_defs {
   notification_email { a@b.c
     d@e.f }
   notification_email_from x@y
   smtp_server 192.168.200.1
   smtp_connect_timeout 30
   router_id LVS_DEVEL
   vrrp_version 3
   script_user nobody
   enable_script_security
   vrrp_strict
   vrrp_garp_interval 0.001
   vrrp_gna_interval 2
   vrrp_garp_master_delay 1
   vrrp_garp_master_repeat 3
   vrrp_garp_master_refresh 60
}
)", env);
    const auto& g = l.config.global;
    EXPECT_EQ(g.notification_email, (std::vector<std::string>{"a@b.c", "d@e.f"}));
    EXPECT_EQ(g.router_id, "LVS_DEVEL");
    EXPECT_EQ(g.vrrp_version, 3);
    EXPECT_EQ(g.script_user, "nobody");
    EXPECT_TRUE(g.enable_script_security);
    EXPECT_TRUE(g.vrrp_strict);
    EXPECT_EQ(g.vrrp_garp_interval_us, 1000u);
    EXPECT_EQ(g.vrrp_gna_interval_us, 2000000u);
    EXPECT_EQ(g.vrrp_garp_master_delay_us, 1000000u);
    EXPECT_EQ(g.vrrp_garp_master_repeat, 3);
    EXPECT_EQ(g.vrrp_garp_master_refresh_us, 60000000u);
}

TEST(Blocks, NotifyFifos)
{
    FakeEnv env;
    env.users.insert("nobody");
    auto l = load(R"(global_defs {
   notify_fifo /run/vipd.fifo nobody nogroup
   notify_fifo_script "/usr/local/bin/reader --verbose" nobody
   vrrp_notify_fifo /run/vrrp.fifo
   lvs_notify_fifo /run/lvs.fifo
   notify_fifo /run/again.fifo
   vrrp_notify_fifo_script
}
)", env);
    const auto& g = l.config.global;
    EXPECT_EQ(g.notify_fifo.path, "/run/vipd.fifo");
    EXPECT_EQ(g.notify_fifo.user, "nobody");
    EXPECT_EQ(g.notify_fifo.group, "nogroup");
    EXPECT_EQ(g.notify_fifo.script.text, "/usr/local/bin/reader --verbose");
    EXPECT_EQ(g.notify_fifo.script.user, "nobody");
    EXPECT_EQ(g.vrrp_notify_fifo.path, "/run/vrrp.fifo");
    EXPECT_TRUE(g.vrrp_notify_fifo.script.empty());
    EXPECT_EQ(g.lvs_notify_fifo.path, "/run/lvs.fifo");
    // keepalived's complaints: a second notify_fifo is ignored, a script keyword needs its script.
    EXPECT_TRUE(l.diags.has_line(0, 6)) << complaints(l);
    EXPECT_NE(complaints(l).find("notify_fifo already specified - ignoring /run/again.fifo"), std::string::npos) << complaints(l);
    EXPECT_TRUE(l.diags.has_line(0, 7)) << complaints(l);
    EXPECT_NE(complaints(l).find("No vrrp_notify_fifo_script specified"), std::string::npos) << complaints(l);
}

TEST(Blocks, VrrpInstanceEverything)
{
    auto l = load(R"(
vrrp_script chk { script /bin/true
  interval 2
  weight -20
  rise 2
  fall 3
  timeout 1 }
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 0.05
    version 3
    preempt_delay 10
    virtual_ipaddress {
        192.168.1.10/24 dev eth1 label eth1:1 scope link
        192.168.1.12
    }
    virtual_ipaddress_excluded { 192.168.1.11 }
    unicast_src_ip 192.168.1.2
    unicast_peer {
        192.168.1.3
        192.168.1.4
    }
    use_vmac vrrp.51
    track_interface {
        eth1 weight -10
        eth2
    }
    track_script {
        chk weight 30
    }
    garp_master_delay 2
    garp_master_repeat 4
    garp_master_refresh 30
    notify_master "/bin/true master"
    notify /bin/true
    smtp_alert
    dont_track_primary
    no_accept
}
)");
    ASSERT_EQ(l.config.instances.size(), 1u) << complaints(l);
    const auto& vi = l.config.instances[0];
    EXPECT_EQ(vi.state, conf::InitialState::master);
    EXPECT_EQ(vi.priority, 150);
    EXPECT_EQ(vi.advert_int_us, 50000u);
    EXPECT_EQ(vi.version, 3);
    EXPECT_EQ(vi.preempt_delay_us, 10000000u);
    ASSERT_EQ(vi.vips.size(), 2u);
    EXPECT_EQ(vi.vips[0].prefix, 24);
    EXPECT_EQ(vi.vips[0].dev, "eth1");
    EXPECT_EQ(vi.vips[0].label, "eth1:1");
    EXPECT_EQ(vi.vips[0].scope, "link");
    EXPECT_EQ(vi.vips[1].prefix, 32);
    EXPECT_EQ(vi.excluded_vips.size(), 1u);
    EXPECT_EQ(vi.unicast_src_ip->str(), "192.168.1.2");
    EXPECT_EQ(vi.unicast_peers.size(), 2u);
    EXPECT_TRUE(vi.use_vmac);
    EXPECT_EQ(vi.vmac_name, "vrrp.51");
    ASSERT_EQ(vi.track_interfaces.size(), 2u);
    EXPECT_EQ(vi.track_interfaces[0].weight, -10);
    EXPECT_FALSE(vi.track_interfaces[1].weight.has_value());
    ASSERT_EQ(vi.track_scripts.size(), 1u);
    EXPECT_EQ(vi.track_scripts[0].weight, 30);
    EXPECT_EQ(vi.garp_master_delay_us, 2000000u);
    EXPECT_EQ(vi.garp_master_repeat, 4);
    EXPECT_EQ(vi.notify.master.text, "/bin/true master");
    EXPECT_EQ(vi.notify.notify.text, "/bin/true");
    EXPECT_TRUE(vi.smtp_alert);
    EXPECT_TRUE(vi.dont_track_primary);
    EXPECT_EQ(vi.accept, false);
    ASSERT_EQ(l.config.scripts.size(), 1u);
    const auto& s = l.config.scripts[0];
    EXPECT_EQ(s.interval_us, 2000000u);
    EXPECT_EQ(s.weight, -20);
    EXPECT_EQ(s.rise, 2);
    EXPECT_EQ(s.fall, 3);
    EXPECT_EQ(s.timeout_us, 1000000u);
}

TEST(Blocks, AuthenticationPassTruncatesToEightBytes)
{
    auto l = load("vrrp_instance V { interface eth0\n virtual_router_id 1\n authentication {\n auth_type PASS\n auth_pass 123456789\n }\n virtual_ipaddress { 10.0.0.1 } }\n");
    ASSERT_EQ(l.config.instances.size(), 1u);
    EXPECT_EQ(l.config.instances[0].auth_type, conf::AuthType::pass);
    EXPECT_EQ(l.config.instances[0].auth_pass, "12345678");
    EXPECT_EQ(l.exit_code(), 5);
}

TEST(Blocks, SyncGroup)
{
    auto l = load(R"(
vrrp_sync_group G { group { A
 B }
 notify_master "/bin/true m" }
vrrp_instance A { interface eth0
 virtual_router_id 1
 virtual_ipaddress { 10.0.0.1 } }
vrrp_instance B { interface eth1
 virtual_router_id 2
 virtual_ipaddress { 10.0.1.1 } }
)");
    ASSERT_EQ(l.config.sync_groups.size(), 1u);
    EXPECT_EQ(l.config.sync_groups[0].members, (std::vector<std::string>{"A", "B"}));
    EXPECT_EQ(l.config.instances[0].sync_group, "G");
    EXPECT_EQ(l.config.sync_groups[0].notify.master.text, "/bin/true m");
}

TEST(Blocks, VirtualServerKinds)
{
    FakeEnv env;
    env.users.insert("keepalived_script");  // scripts run unprivileged: no security finding
    auto l = load(R"(
virtual_server_group VSG { 10.0.0.1 80
 10.0.0.3-10 80
 fwmark 7 }
virtual_server group VSG { lb_algo mh
 lb_kind DR
 protocol TCP
 real_server 10.0.1.1 80 { weight 3 } }
virtual_server fwmark 1 { lb_algo sh
 lb_kind NAT
 real_server 10.0.1.2 { } }
virtual_server 10.0.0.2 443 { lb_algo wrr
 lb_kind TUN
 protocol UDP
 persistence_timeout 300
 persistence_granularity 255.255.255.0
 quorum 2
 hysteresis 1
 sorry_server 10.0.9.9 443
 alpha
 omega
 real_server 10.0.1.3 443 {
   weight 3
   inhibit_on_failure
   HTTP_GET { url { path /health
                    status_code 200-299 404 }
              connect_timeout 3
              retry 2
              delay_before_retry 1.5 }
   MISC_CHECK { misc_path "/bin/true x"
                misc_timeout 5
                misc_dynamic }
 } }
)", env);
    EXPECT_EQ(l.exit_code(), 0) << complaints(l);
    ASSERT_EQ(l.config.vs_groups.size(), 1u);
    const auto& g = l.config.vs_groups[0];
    ASSERT_EQ(g.entries.size(), 3u);
    EXPECT_EQ(g.entries[1].first.str(), "10.0.0.3");
    EXPECT_EQ(g.entries[1].last.str(), "10.0.0.10");
    EXPECT_TRUE(g.entries[2].is_fwmark);
    ASSERT_EQ(l.config.virtual_servers.size(), 3u);
    EXPECT_EQ(l.config.virtual_servers[0].by, conf::VirtualServer::By::group);
    EXPECT_EQ(l.config.virtual_servers[0].algo, conf::LbAlgo::mh);
    EXPECT_EQ(l.config.virtual_servers[0].kind, conf::LbKind::dr);
    EXPECT_EQ(l.config.virtual_servers[1].by, conf::VirtualServer::By::fwmark);
    EXPECT_EQ(l.config.virtual_servers[1].real_servers[0].port, 0);
    const auto& vs = l.config.virtual_servers[2];
    EXPECT_EQ(vs.kind, conf::LbKind::tun);
    EXPECT_EQ(vs.protocol, conf::Protocol::udp);
    EXPECT_EQ(vs.persistence_timeout_s, 300u);
    EXPECT_EQ(vs.persistence_granularity->str(), "255.255.255.0");
    EXPECT_EQ(vs.quorum, 2u);
    EXPECT_EQ(vs.sorry_server->port, 443);
    EXPECT_TRUE(vs.alpha && vs.omega);
    const auto& rs = vs.real_servers[0];
    EXPECT_EQ(rs.weight, 3);
    EXPECT_EQ(rs.inhibit_on_failure, true);
    ASSERT_EQ(rs.checkers.size(), 2u);
    const auto& http = rs.checkers[0];
    ASSERT_TRUE(http.http);
    ASSERT_EQ(http.http->urls.size(), 1u);
    ASSERT_EQ(http.http->urls[0].status.size(), 2u);
    EXPECT_EQ(http.http->urls[0].status[0].lo, 200);
    EXPECT_EQ(http.http->urls[0].status[0].hi, 299);
    EXPECT_EQ(http.http->urls[0].status[1].lo, 404);
    EXPECT_EQ(http.retry, 2);
    EXPECT_EQ(http.delay_before_retry_us, 1500000u);
    ASSERT_TRUE(rs.checkers[1].misc);
    EXPECT_EQ(rs.checkers[1].misc->path, "/bin/true x");
    EXPECT_TRUE(rs.checkers[1].misc->dynamic);
}

// --- error paths: each one reported on its line, with keepalived's consequence ----------------

struct ErrorCase {
    const char* name;
    std::string text;
    uint32_t line;
    int exit_code;
};

class ErrorPaths : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorPaths, ReportedOnItsLine)
{
    const auto& c = GetParam();
    auto l = load(c.text);
    EXPECT_EQ(l.exit_code(), c.exit_code) << complaints(l);
    EXPECT_TRUE(l.diags.has_line(0, c.line)) << "expected a complaint on line " << c.line << ", got:\n" << complaints(l);
}

const std::string vi_head = "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n";

INSTANTIATE_TEST_SUITE_P(Conf, ErrorPaths, ::testing::Values(
    ErrorCase{"unknown_top", "bogus_block {\n x\n}\n", 1, 5},
    ErrorCase{"unknown_in_instance", vi_head + " frobnicate 1\n}\n", 5, 5},
    ErrorCase{"priority_range", vi_head + " priority 256\n}\n", 5, 5},
    ErrorCase{"priority_not_number", vi_head + " priority high\n}\n", 5, 5},
    ErrorCase{"vrid_range", "vrrp_instance V {\n interface eth0\n virtual_router_id 0\n}\n", 3, 5},
    ErrorCase{"bad_state", vi_head + " state SLAVE\n}\n", 5, 5},
    ErrorCase{"bad_vip", "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.300\n }\n}\n", 5, 5},
    ErrorCase{"bad_prefix", "vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.3/33\n }\n}\n", 5, 5},
    ErrorCase{"bad_peer", vi_head + " unicast_peer {\n not-an-ip\n }\n}\n", 6, 5},
    ErrorCase{"bad_auth_type", vi_head + " authentication {\n auth_type MD5\n }\n}\n", 6, 5},
    ErrorCase{"advert_int_zero", vi_head + " advert_int 0\n}\n", 5, 5},
    ErrorCase{"garp_interval_zero", "global_defs {\n vrrp_garp_interval 0\n}\n" + vi_head + "}\n", 2, 5},
    ErrorCase{"lb_algo", "virtual_server 10.0.0.1 80 {\n lb_algo bogus\n}\n", 2, 5},
    ErrorCase{"lb_kind", "virtual_server 10.0.0.1 80 {\n lb_kind NATT\n}\n", 2, 5},
    ErrorCase{"protocol", "virtual_server 10.0.0.1 80 {\n protocol ICMP\n}\n", 2, 5},
    ErrorCase{"persistence_zero", "virtual_server 10.0.0.1 80 {\n persistence_timeout 0\n}\n", 2, 5},
    ErrorCase{"port_range", "virtual_server 10.0.0.1 65536 {\n}\n", 1, 5},
    ErrorCase{"vs_bad_ip", "virtual_server 10.0.0.256 80 {\n}\n", 1, 5},
    ErrorCase{"rs_weight", "virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 {\n weight -1\n }\n}\n", 3, 5},
    ErrorCase{"nb_get_retry", "virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 {\n HTTP_GET {\n url { path / }\n nb_get_retry 3\n }\n }\n}\n", 5, 5},
    ErrorCase{"status_code", "virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 {\n HTTP_GET {\n url { path /\n status_code 99 }\n }\n }\n}\n", 5, 5},
    ErrorCase{"digest", "virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 {\n HTTP_GET {\n url { path /\n digest xyz }\n }\n }\n}\n", 5, 5},
    ErrorCase{"undefined_track_script", vi_head + " track_script {\n nope\n }\n}\n", 6, 5},
    ErrorCase{"script_without_script", "vrrp_script s {\n interval 1\n}\n" + vi_head + "}\n", 3, 5},
    ErrorCase{"missing_close", vi_head, 4, 5},
    ErrorCase{"deprecated_lvs_sync", vi_head + " lvs_sync_daemon_interface eth0\n}\n", 5, 5}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Blocks, VipOfTheOtherFamilyIsRefused)
{
    auto l = load("vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n 2001:db8::1\n }\n}\n");
    EXPECT_EQ(l.exit_code(), 5);
    EXPECT_TRUE(l.diags.has_line(0, 6)) << complaints(l);
    EXPECT_EQ(l.config.instances.at(0).vips.size(), 1u);
}

TEST(Blocks, QuorumAboveTotalWeightIsReduced)
{
    auto l = load("virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n quorum 5\n real_server 10.0.1.1 80 {\n weight 2\n }\n}\n");
    EXPECT_EQ(l.exit_code(), 5);
    EXPECT_EQ(l.config.virtual_servers.at(0).quorum, 2u);
}

TEST(ErrorPaths, MissingValueStopsKeepalivedWithExitTwo)
{
    auto l = load(vi_head + " priority\n}\n");
    EXPECT_EQ(l.exit_code(), 2);
    EXPECT_TRUE(l.diags.has_line(0, 5)) << complaints(l);
}

TEST(ErrorPaths, UnknownBlockBodyIsReadAtTheEnclosingLevel)
{
    // keepalived 2.2.7 does not skip an unknown keyword's block: an instance inside it is real.
    auto l = load("mystery {\n" + vi_head + "}\n}\n");
    EXPECT_EQ(l.exit_code(), 5);
    ASSERT_EQ(l.config.instances.size(), 1u);
    EXPECT_TRUE(l.diags.has_line(0, 1));
    EXPECT_TRUE(l.diags.has_line(0, 7)) << complaints(l);  // its `}` is an unknown keyword at top level
}

TEST(ErrorPaths, ExtraClosingBrace)
{
    auto l = load(vi_head + "}\n}\n");
    EXPECT_EQ(l.exit_code(), 5);
    EXPECT_NE(complaints(l).find("6: Extra '}' found"), std::string::npos) << complaints(l);
}

TEST(ErrorPaths, BadValueKeepsTheDefault)
{
    auto l = load(vi_head + " priority 300\n advert_int -1\n}\n");
    ASSERT_EQ(l.config.instances.size(), 1u);
    EXPECT_EQ(l.config.instances[0].priority, 100);
    EXPECT_EQ(l.config.instances[0].advert_int_us, 1000000u);
}

TEST(ErrorPaths, MessagesCarryTheOffendingTextAndTheAllowedRange)
{
    auto l = load(vi_head + " priority 256\n}\n");
    std::string all = complaints(l);
    EXPECT_NE(all.find("'256'"), std::string::npos) << all;
    EXPECT_NE(all.find("[1, 255]"), std::string::npos) << all;
    ASSERT_FALSE(l.diags.all().empty());
    EXPECT_EQ(l.diags.format(l.diags.all()[0]).substr(0, 15), "test.conf:5:11:");
}

TEST(TrackFile, BlockReferencesAndInitFile)
{
    auto l = load(R"(
track_file tf1 {
    file /run/tf1
    weight -10 reverse
    init_file overwrite 7
}
vrrp_track_file tf2 {
    file /run/tf2
    init_file
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    track_file {
        tf1 weight 3 noreverse
        tf2
        tf1
        nosuch
    }
    virtual_ipaddress {
        10.0.0.100
    }
}
)");
    ASSERT_EQ(l.config.track_files.size(), 2u);
    const auto& t1 = l.config.track_files[0];
    EXPECT_EQ(t1.path, "/run/tf1");
    EXPECT_EQ(t1.weight, -10);
    EXPECT_TRUE(t1.weight_reverse);
    EXPECT_EQ(t1.init_value, 7);
    EXPECT_TRUE(t1.init_overwrite);
    EXPECT_EQ(l.config.track_files[1].weight, 1);  // keepalived's default
    EXPECT_EQ(l.config.track_files[1].init_value, 0);
    EXPECT_FALSE(l.config.track_files[1].init_overwrite);
    const auto& refs = l.config.instances.at(0).track_files;
    ASSERT_EQ(refs.size(), 2u);
    EXPECT_EQ(refs[0].name, "tf1");
    EXPECT_EQ(refs[0].weight, 3);
    EXPECT_TRUE(refs[0].noreverse);
    EXPECT_EQ(refs[1].name, "tf2");
    EXPECT_FALSE(refs[1].weight);
    EXPECT_NE(complaints(l).find("(VI_1) duplicate track_file tf1 - ignoring"), std::string::npos) << complaints(l);
    EXPECT_NE(complaints(l).find("(VI_1) track file nosuch not found, ignoring..."), std::string::npos) << complaints(l);
}

TEST(TrackFile, WeightWithoutValueIsReportedAndIgnoredNotFatal)
{
    // keepalived 2.2.7: "weight without value specified for track file tf1 - ignoring", exit 5 (not 2).
    auto l = load("track_file tf1 {\n file /run/tf1\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n"
                  " track_file {\n  tf1 weight\n }\n virtual_ipaddress { 10.0.0.1 }\n}\n");
    EXPECT_EQ(l.exit_code(), 5) << complaints(l);
    EXPECT_TRUE(l.config.instances.at(0).track_files.empty());
}

TEST(TrackFile, InitValueOutsideSensibleRangeWarns)
{
    auto l = load("track_file tf1 {\n file /run/tf1\n init_file 300\n}\n");
    EXPECT_EQ(l.exit_code(), 5) << complaints(l);
    EXPECT_EQ(l.config.track_files.at(0).init_value, 300);
}

TEST(Global, NftablesAndDynamicInterfaces)
{
    auto l = load("global_defs {\n nftables mytable\n nftables_priority -5\n nftables_counters\n dynamic_interfaces\n}\n");
    EXPECT_EQ(l.exit_code(), 0) << complaints(l);
    EXPECT_EQ(l.config.global.nftables_table, "mytable");
    EXPECT_EQ(l.config.global.nftables_priority, -5);
    EXPECT_TRUE(l.config.global.nftables_counters);
    EXPECT_TRUE(l.config.global.dynamic_interfaces);
    auto d = load("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n}\n");
    EXPECT_EQ(d.config.global.nftables_table, "keepalived");
    EXPECT_EQ(d.config.global.nftables_priority, -1);
    EXPECT_FALSE(d.config.global.dynamic_interfaces);
}

TEST(Global, DynamicInterfacesAcceptsInterfacesThatDoNotExistYet)
{
    const std::string body = "vrrp_instance VI_1 {\n interface eth9\n virtual_router_id 1\n track_interface {\n  eth8\n }\n"
                             " virtual_ipaddress {\n  10.0.0.1\n  10.0.0.2 dev eth7\n }\n}\n";
    auto strict = load(body);
    EXPECT_EQ(strict.exit_code(), 5);
    EXPECT_TRUE(strict.config.nonexistent_interface);
    EXPECT_NE(complaints(strict).find("Non-existent interface specified in configuration"), std::string::npos);
    auto dyn = load("global_defs {\n dynamic_interfaces\n}\n" + body);
    EXPECT_EQ(dyn.exit_code(), 0) << complaints(dyn);
    EXPECT_FALSE(dyn.config.nonexistent_interface);
    EXPECT_EQ(dyn.config.instances.size(), 1u);
}

TEST(Json, DumpIsValidAndNormalized)
{
    auto l = load(instance);
    auto j = nlohmann::json::parse(conf::to_json(l.config));
    EXPECT_EQ(j["vrrp_instances"][0]["priority"], 100);
    EXPECT_EQ(j["vrrp_instances"][0]["state"], "BACKUP");
    EXPECT_EQ(j["vrrp_instances"][0]["virtual_ipaddress"][0]["address"], "10.0.0.100");
    EXPECT_EQ(j["global_defs"]["vrrp_version"], 2);
}

} // namespace

namespace {

// Found by the fuzzer: a value that is not UTF-8 (here 0xff) made --dump-conf throw.
TEST(Json, DumpSurvivesBytesThatAreNotUtf8)
{
    auto l = load("global_defs {\n router_id \xff\xfe\n}\n");
    EXPECT_NO_THROW((void)conf::to_json(l.config));
}

TEST(Parser, VipOptionWithoutItsValueDropsTheAddress)
{
    // keepalived 2.2.7: "No dev parameter specified for 10.0.0.2", the address is skipped (so then
    // "No VIP specified"); the same for label, scope and brd.
    for (const char* opt : {"dev", "label", "scope", "brd"}) {
        auto l = load(std::string("vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.2 ") + opt +
                      "\n }\n}\n");
        ASSERT_EQ(l.config.instances.size(), 1u) << opt;
        EXPECT_TRUE(l.config.instances[0].vips.empty()) << opt;
        EXPECT_NE(complaints(l).find("(V) No VIP specified"), std::string::npos) << opt << "\n" << complaints(l);
    }
}

} // namespace

// The dataplane-neutral snapshot builder (dataplane/fwd/build.h): keepalived.conf text through the
// real parser → fwd::Snapshot, as every dataplane receives it.
#include "conf/parser.h"
#include "dataplane/fwd/build.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>

namespace {

uint32_t ip(const char* s)
{
    in_addr a{};
    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

const char* const config = R"(
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.0.0.100
        10.0.0.102
    }
}
virtual_server 10.0.0.100 80 {
    lb_algo mh
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 80 { weight 2 }
    real_server 10.0.0.12 80 { }
}
virtual_server 10.0.0.101 53 {
    lb_algo rr
    lb_kind NAT
    protocol UDP
    persistence_timeout 300
    real_server 10.0.0.11 5353 { }
    sorry_server 10.0.0.99 53
}
virtual_server fwmark 7 {
    lb_algo rr
    lb_kind DR
    real_server 10.0.0.11 { }
}
virtual_server 10.0.0.100 80 {
    lb_algo rr
    lb_kind TUN
    protocol TCP
    real_server 10.0.0.13 80 { }
}
)";

conf::Config load()
{
    conf::Loaded l = conf::load_text("snapshot.conf", config);
    EXPECT_EQ(l.exit_code(), 0) << "the test config must be clean";
    return l.config;
}

TEST(Snapshot, ServicesBackendsAndKeysFromTheConfig)
{
    const conf::Config cfg = load();
    const std::vector<uint32_t> owned{ip("10.0.0.100")};
    auto built = fwd::build_snapshot(cfg, {.health = {}, .owned = owned, .limits = {}, .generation = 7});
    ASSERT_TRUE(built) << built.error();
    const fwd::Snapshot& s = *built.value();
    EXPECT_EQ(s.generation(), 7u);
    ASSERT_EQ(s.services().size(), 2u);

    const fwd::Service& dr = s.services()[0];
    EXPECT_EQ(dr.kind, fwd::Kind::dr);
    EXPECT_EQ(dr.vip, ip("10.0.0.100"));
    EXPECT_EQ(dr.port, htons(80));
    EXPECT_EQ(dr.proto, 6);
    EXPECT_EQ(dr.virtual_server, 0u);
    ASSERT_EQ(dr.backends.size(), 2u);
    EXPECT_EQ(dr.backends[0].ip, ip("10.0.0.11"));
    EXPECT_EQ(dr.backends[0].weight, 2u);
    EXPECT_EQ(dr.backends[1].weight, 1u);
    EXPECT_EQ(dr.sched.algo(), sched::Algo::mh);
    EXPECT_FALSE(dr.sched.table().empty()) << "mh carries its Maglev table";
    EXPECT_EQ(dr.key(), (uint64_t{ip("10.0.0.100")} << 32) | (uint64_t{htons(80)} << 8) | 6);
    EXPECT_EQ(dr.backends[0].key(), (uint64_t{ip("10.0.0.11")} << 16) | htons(80));

    const fwd::Service& nat = s.services()[1];
    EXPECT_EQ(nat.kind, fwd::Kind::nat);
    EXPECT_EQ(nat.proto, 17);
    EXPECT_EQ(nat.persist_s, 300u);
    EXPECT_EQ(nat.virtual_server, 1u);
    ASSERT_EQ(nat.backends.size(), 1u) << "the sorry server is not a backend while the real servers serve";
    EXPECT_EQ(nat.backends[0].port, htons(5353));

    uint32_t index = 99;
    EXPECT_EQ(s.find_service(ip("10.0.0.101"), 17, htons(53), &index), &nat);
    EXPECT_EQ(index, 1u);
    EXPECT_EQ(s.find_service(ip("10.0.0.101"), 6, htons(53), &index), nullptr);
    const fwd::NatReply* reply = s.find_nat_reply(ip("10.0.0.11"), htons(5353), 17);
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(reply->count, 1);
    EXPECT_EQ(reply->service[0], 1u);
    EXPECT_EQ(s.find_nat_reply(ip("10.0.0.11"), htons(80), 6), nullptr) << "DR backends get no NAT reply entry";

    // VIPs: the instance's (owned or not) and the services' own.
    ASSERT_NE(s.find_vip(ip("10.0.0.100")), nullptr);
    EXPECT_TRUE(s.find_vip(ip("10.0.0.100"))->owned);
    ASSERT_NE(s.find_vip(ip("10.0.0.102")), nullptr);
    EXPECT_FALSE(s.find_vip(ip("10.0.0.102"))->owned);
    ASSERT_NE(s.find_vip(ip("10.0.0.101")), nullptr);
    EXPECT_EQ(s.find_vip(ip("10.0.0.103")), nullptr);

    // The VRIDs whose adverts the dataplanes hand to control: the config's, and no other.
    EXPECT_TRUE(s.vrid_ours(51));
    EXPECT_FALSE(s.vrid_ours(50));
    EXPECT_FALSE(s.vrid_ours(52));
    EXPECT_FALSE(s.vrid_ours(0));
    EXPECT_FALSE(s.vrid_ours(255));

    // What no dataplane serves yet is said, with the line.
    ASSERT_EQ(s.skipped().size(), 2u);
    EXPECT_NE(s.skipped()[0].find("only IPv4 virtual servers by address"), std::string::npos) << s.skipped()[0];
    EXPECT_NE(s.skipped()[1].find("duplicate virtual server"), std::string::npos) << s.skipped()[1];
}

TEST(Snapshot, HealthDecidesAvailabilityAndTheSorryServer)
{
    const conf::Config cfg = load();
    std::vector<fwd::VirtualServerHealth> health(2);
    health[0].rs = {{.weight = 5, .up = true}, {.weight = 0, .up = false}};
    health[1].rs = {{.weight = 1, .up = false}};
    health[1].sorry = true;
    auto built = fwd::build_snapshot(cfg, {.health = health, .owned = {}, .limits = {}, .generation = 1});
    ASSERT_TRUE(built) << built.error();
    const fwd::Snapshot& s = *built.value();
    EXPECT_EQ(s.services()[0].backends[0].weight, 5u);
    EXPECT_FALSE(s.services()[0].backends[1].available) << "a server out of service keeps its slot";
    ASSERT_EQ(s.services()[1].backends.size(), 2u) << "the sorry server is appended last";
    EXPECT_FALSE(s.services()[1].backends[0].available);
    EXPECT_TRUE(s.services()[1].backends[1].available);
    EXPECT_EQ(s.services()[1].backends[1].ip, ip("10.0.0.99"));
    EXPECT_FALSE(s.find_vip(ip("10.0.0.100"))->owned) << "nothing owned: a backup answers for no VIP";
}

TEST(Snapshot, OverTheDataplanesLimitsIsAnErrorAndBuildsNothing)
{
    const conf::Config cfg = load();
    auto few_services = fwd::build_snapshot(cfg, {.health = {}, .owned = {}, .limits = {.max_services = 1, .max_backends = 256}, .generation = 1});
    ASSERT_FALSE(few_services);
    EXPECT_EQ(few_services.error(), "more than 1 virtual servers");
    auto few_backends = fwd::build_snapshot(cfg, {.health = {}, .owned = {}, .limits = {.max_services = 256, .max_backends = 1}, .generation = 1});
    ASSERT_FALSE(few_backends);
    EXPECT_NE(few_backends.error().find("more than 1 real servers"), std::string::npos) << few_backends.error();
}

}  // namespace

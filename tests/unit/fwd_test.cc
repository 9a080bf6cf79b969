// The forwarding table's control-side pieces, driven through pkt::process on byte buffers (no DPDK):
// neighbour learning (solicit → reply → learn → republish → forward), the lc schedulers'
// per-backend counts kept exact by the flow table's end hook, the per-backend byte counters, the
// ICMP rate limit on an injected clock, the flood-proof flow table, ICMP errors within the frame. On
// the golden network (tests/golden/setup.h); the golden fixtures themselves are golden_test.cc's.
#include "conf/model.h"
#include "dataplane/fwd/neighbours.h"
#include "dataplane/fwd/stats.h"
#include "dataplane/fwd/table.h"
#include "dataplane/dpdk/datapath/pkt/process.h"
#include "tests/golden/builder.h"
#include "tests/golden/setup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string_view>

namespace {

using golden::Bytes;
using golden::eth;
using golden::ip;
using golden::net;

using golden::bcast;
using golden::client;
using golden::client_mac;
using golden::port_mac;
using golden::vip;
using golden::web1;
using golden::web1_mac;
using golden::web2;
using golden::web2_mac;
using golden::web3;
using golden::web3_mac;
constexpr golden::Mac stranger_mac{0x02, 0, 0, 0, 0, 0x77};
constexpr golden::Mac zero = golden::zero_mac;
constexpr uint32_t node = golden::node_ip;

conf::Ip cip(uint32_t host) { return conf::Ip::v4(host); }

conf::Config config(conf::LbAlgo algo, std::vector<uint32_t> reals)
{
    conf::Config c;
    conf::VirtualServer v;
    v.addr = cip(vip);
    v.port = 80;
    v.algo = algo;
    v.kind = conf::LbKind::dr;
    v.protocol = conf::Protocol::tcp;
    for (uint32_t r : reals) {
        conf::RealServer rs;
        rs.addr = cip(r);
        rs.port = 80;
        v.real_servers.push_back(rs);
    }
    c.virtual_servers.push_back(v);
    return c;
}

// The golden node's port alone, owning the VIP, knowing `neighbours`: a table with room for 4
// services of 4 backends.
golden::Node node_with(std::vector<std::pair<uint32_t, golden::Mac>> neighbours)
{
    return {.port_mac = port_mac, .port_ip = node, .prefix = 24, .mtu = 1500, .ports = 1, .gateway = 0,
            .via_gateway = {}, .owned = {vip}, .neighbours = std::move(neighbours)};
}

fwd::BuildResult build(const conf::Config& cfg, const golden::Node& n)
{
    return golden::build_table(cfg, n, {.port = 0, .max_services = 4, .max_backends = 4, .generation = 0});
}

constexpr pkt::Limits limits{.flows = 1024, .services = 4, .backends = 4, .persist = 64, .hz = 1000};

pkt::Result run(const fwd::Table& t, pkt::LcoreState& lc, Bytes& frame, uint64_t now)
{
    pkt::Frame f{.data = frame.data(), .len = static_cast<uint32_t>(frame.size()), .headroom = 0, .port = 0, .hop = 0};
    const pkt::Result r = pkt::process(t, lc, f, now);
    frame.resize(f.len);
    return r;
}

Bytes syn(uint16_t sport, uint8_t flags = 0x02)
{
    return eth(port_mac, client_mac, 0x0800,
               golden::ipv4({.src = client, .dst = vip, .proto = 6}, golden::tcp(client, vip, sport, 80, flags, 1)));
}

TEST(Neighbours, LearnsRepliesToUsAndWantedAddressesOnly)
{
    fwd::Neighbours n;
    n.ours(net(node));
    n.want(net(web1));
    const Bytes reply = eth(port_mac, web3_mac, 0x0806, golden::arp(2, web3_mac, web3, port_mac, node));
    EXPECT_TRUE(n.learn(reply.data(), static_cast<uint32_t>(reply.size()), 1)) << "a reply to our request";
    EXPECT_FALSE(n.learn(reply.data(), static_cast<uint32_t>(reply.size()), 2)) << "nothing changed";
    const Bytes chatter = eth(bcast, stranger_mac, 0x0806, golden::arp(1, stranger_mac, ip(10, 0, 0, 77), zero, ip(10, 0, 0, 78)));
    EXPECT_FALSE(n.learn(chatter.data(), static_cast<uint32_t>(chatter.size()), 3)) << "someone else's business";
    const Bytes garp = eth(bcast, stranger_mac, 0x0806, golden::arp(1, stranger_mac, web1, zero, web1));
    EXPECT_TRUE(n.learn(garp.data(), static_cast<uint32_t>(garp.size()), 4)) << "a wanted backend announcing itself";
    const Bytes moved = eth(bcast, client_mac, 0x0806, golden::arp(1, client_mac, web3, zero, web3));
    EXPECT_TRUE(n.learn(moved.data(), static_cast<uint32_t>(moved.size()), 5)) << "a known address with a new MAC";
    const Bytes probe = eth(bcast, stranger_mac, 0x0806, golden::arp(1, stranger_mac, 0, zero, web1));
    EXPECT_FALSE(n.learn(probe.data(), static_cast<uint32_t>(probe.size()), 6)) << "an RFC 5227 probe names nobody";
    Bytes cut = reply;
    cut.resize(30);
    EXPECT_FALSE(n.learn(cut.data(), static_cast<uint32_t>(cut.size()), 7));
    ASSERT_EQ(n.size(), 2u);
    const auto e = n.entries();
    EXPECT_EQ(e[0].first, std::min(net(web1), net(web3)));
    EXPECT_FALSE(n.expire(10, 100));
    EXPECT_TRUE(n.expire(1000, 100));
    EXPECT_EQ(n.size(), 0u);
}

// An ARP flap (two stations answering for one address, or a spoofer racing the owner): the known MAC
// holds while it is confirmed within the locktime; a new one is taken once it has gone that long
// unconfirmed, so the table changes, and republishes, at most once per locktime.
TEST(Neighbours, LocktimeHoldsTheKnownMacThroughAFlap)
{
    fwd::Neighbours n(1000);
    n.ours(net(node));
    n.want(net(web1));
    const Bytes owner = eth(port_mac, web1_mac, 0x0806, golden::arp(2, web1_mac, web1, port_mac, node));
    const Bytes spoof = eth(bcast, stranger_mac, 0x0806, golden::arp(1, stranger_mac, web1, zero, web1));
    ASSERT_TRUE(n.learn(owner.data(), static_cast<uint32_t>(owner.size()), 10'000));
    unsigned changes = 0;
    for (uint64_t t = 10'100; t < 20'000; t += 100) {  // both answer every 100 ms for 10 s
        changes += n.learn(spoof.data(), static_cast<uint32_t>(spoof.size()), t) ? 1 : 0;
        changes += n.learn(owner.data(), static_cast<uint32_t>(owner.size()), t + 50) ? 1 : 0;
    }
    EXPECT_EQ(changes, 0u) << "the owner, confirming every 100 ms, keeps its address";
    EXPECT_EQ(*n.find(net(web1)), web1_mac);
    EXPECT_EQ(n.locked(), 99u);
    // The owner gone silent: after a locktime unconfirmed the new MAC is taken, once.
    EXPECT_FALSE(n.learn(spoof.data(), static_cast<uint32_t>(spoof.size()), 20'900)) << "950 ms since the owner";
    EXPECT_TRUE(n.learn(spoof.data(), static_cast<uint32_t>(spoof.size()), 21'000));
    EXPECT_EQ(*n.find(net(web1)), stranger_mac);
    const fwd::Mac back = web1_mac;
    EXPECT_FALSE(n.resolved(net(web1), back, 21'500)) << "the kernel's answer obeys the locktime too";
    EXPECT_TRUE(n.resolved(net(web1), back, 22'100));
}

// The whole loop: a DR backend whose MAC nobody knows gets an ARP request from the dataplane; its
// reply goes to control, which learns it and republishes; the client's retransmission goes through.
// Aging as Linux's neighbour timers (reachable 30 s, retrans 1 s, 3 probes; here in ms): an entry
// unconfirmed for 30 s is probed once a second; an answer confirms it and the probing stops; three
// unanswered probes forget it (the dataplane then solicits it as a new one). A kernel entry that is
// only STALE teaches nothing new and confirms nothing.
TEST(Neighbours, AgeProbesThenForgetsTheSilent)
{
    const fwd::Neighbours::Aging aging{.reachable = 30'000, .retrans = 1'000, .probes = 3};
    fwd::Neighbours n(1000);
    const uint32_t a = golden::net(web1);
    const uint32_t b = golden::net(web2);
    n.want(a);
    n.want(b);
    ASSERT_TRUE(n.resolved(a, web1_mac, 0));
    ASSERT_TRUE(n.resolved(b, web2_mac, 0));
    EXPECT_TRUE(n.age(29'999, aging).probe.empty());
    EXPECT_EQ(n.age(30'000, aging).probe, (std::vector<uint32_t>{std::min(a, b), std::max(a, b)}));
    EXPECT_TRUE(n.age(30'500, aging).probe.empty()) << "once a retrans";
    // web1 answers; web2 stays silent, and a STALE kernel entry for it confirms nothing.
    EXPECT_FALSE(n.resolved(a, web1_mac, 30'600));
    EXPECT_FALSE(n.resolved(b, web2_mac, 30'600, false));
    EXPECT_EQ(n.age(31'000, aging).probe, std::vector<uint32_t>{b});
    EXPECT_EQ(n.age(32'000, aging).probe, std::vector<uint32_t>{b});
    const fwd::Neighbours::Due last = n.age(32'999, aging);
    EXPECT_TRUE(last.probe.empty());
    EXPECT_FALSE(last.forgot);
    const fwd::Neighbours::Due gone = n.age(33'000, aging);
    EXPECT_TRUE(gone.forgot) << "three probes unanswered";
    EXPECT_EQ(n.find(b), nullptr);
    ASSERT_NE(n.find(a), nullptr);
    EXPECT_TRUE(n.age(60'599, aging).probe.empty());
    EXPECT_EQ(n.age(60'600, aging).probe, std::vector<uint32_t>{a}) << "confirmed at 30.6 s: probed 30 s on";
    // A host that came back with another MAC (no gratuitous ARP) is learned from its answer: the old
    // one has gone far past the locktime unconfirmed.
    EXPECT_TRUE(n.resolved(a, web3_mac, 60'700));
    EXPECT_EQ(*n.find(a), web3_mac);
    EXPECT_TRUE(n.age(61'000, fwd::Neighbours::Aging{}).probe.empty()) << "reachable 0: no aging";
}

TEST(Neighbours, SolicitLearnRepublishForward)
{
    const conf::Config cfg = config(conf::LbAlgo::rr, {web3});
    fwd::BuildResult b = build(cfg, node_with({}));
    ASSERT_TRUE(b.table) << b.error;
    pkt::LcoreState lc(limits, flow::Timeouts::ipvs_defaults(1000));

    Bytes first = syn(40000);
    ASSERT_EQ(run(*b.table, lc, first, 10).verdict, pkt::Verdict::solicit);
    EXPECT_EQ(first, eth(bcast, port_mac, 0x0806, golden::arp(1, port_mac, node, zero, web3)));

    Bytes reply = eth(port_mac, web3_mac, 0x0806, golden::arp(2, web3_mac, web3, port_mac, node));
    ASSERT_EQ(run(*b.table, lc, reply, 11).verdict, pkt::Verdict::to_control);
    fwd::Neighbours n;
    n.ours(net(node));
    ASSERT_TRUE(n.learn(reply.data(), static_cast<uint32_t>(reply.size()), 11));

    std::vector<std::pair<uint32_t, golden::Mac>> learnt;
    for (const auto& [a, mac] : n.entries()) {
        learnt.emplace_back(net(a), mac);  // network order back to the node's host order
    }
    fwd::BuildResult next = build(cfg, node_with(learnt));
    ASSERT_TRUE(next.table) << next.error;
    Bytes again = syn(40000);
    ASSERT_EQ(run(*next.table, lc, again, 1000).verdict, pkt::Verdict::forward);
    EXPECT_EQ(again, eth(web3_mac, port_mac, 0x0800,
                         golden::ipv4({.src = client, .dst = vip, .proto = 6, .ttl = 63},
                                      golden::tcp(client, vip, 40000, 80, 0x02, 1))));
}

// lc picks by active/inactive counts; flows that end (expire) must leave them, or lc drifts.
TEST(LcCounts, ExactThroughHandshakeAndExpiry)
{
    fwd::BuildResult b = build(config(conf::LbAlgo::lc, {web1, web2}), node_with({{web1, web1_mac}, {web2, web2_mac}}));
    ASSERT_TRUE(b.table) << b.error;
    pkt::LcoreState lc(limits, flow::Timeouts::ipvs_defaults(1000));
    for (uint16_t p = 0; p < 10; ++p) {
        Bytes s = syn(static_cast<uint16_t>(41000 + p));
        ASSERT_EQ(run(*b.table, lc, s, 1).verdict, pkt::Verdict::forward);
    }
    // Ten SYNs: SYN_RECV, inactive; lc alternates (inactive overhead 1 each).
    EXPECT_EQ(lc.sched[0].counts(0).inactive + lc.sched[0].counts(1).inactive, 10u);
    EXPECT_EQ(lc.sched[0].counts(0).active + lc.sched[0].counts(1).active, 0u);
    EXPECT_EQ(lc.sched[0].counts(0).inactive, 5u);
    for (uint16_t p = 0; p < 10; ++p) {
        Bytes a = syn(static_cast<uint16_t>(41000 + p), 0x10);
        ASSERT_EQ(run(*b.table, lc, a, 2).verdict, pkt::Verdict::forward);
    }
    EXPECT_EQ(lc.sched[0].counts(0).active + lc.sched[0].counts(1).active, 10u);
    EXPECT_EQ(lc.sched[0].counts(0).inactive + lc.sched[0].counts(1).inactive, 0u);
    EXPECT_EQ(lc.backend(0, 0).packets_in + lc.backend(0, 1).packets_in, 20u);
    // Bytes are IP lengths (ipvsadm --stats): each SYN and ACK is 20 + 20 bytes, five flows of two
    // packets on each backend; DR sends nothing back through the node.
    for (uint32_t be = 0; be < 2; ++be) {
        EXPECT_EQ(lc.backend(0, be).packets_in, 10u) << "backend " << be;
        EXPECT_EQ(lc.backend(0, be).bytes_in, 10u * 40) << "backend " << be;
        EXPECT_EQ(lc.backend(0, be).packets_out, 0u) << "backend " << be;
        EXPECT_EQ(lc.backend(0, be).bytes_out, 0u) << "backend " << be;
    }
    // 900 s of ESTABLISHED later every flow has gone, and so have the counts.
    EXPECT_EQ(lc.flows.expire(2 + 901 * 1000, lc.flows.buckets()), 10u);
    EXPECT_EQ(lc.sched[0].counts(0).active + lc.sched[0].counts(1).active, 0u);
    EXPECT_EQ(lc.sched[0].counts(0).inactive + lc.sched[0].counts(1).inactive, 0u);
}

// Bytes both ways per service and real server: a NAT service whose two real servers each get a
// flow; the requests and replies differ in size, so "in" and "out" cannot be swapped unseen.
TEST(BackendCounters, NatBytesBothWaysExactly)
{
    conf::Config cfg = config(conf::LbAlgo::rr, {web1, web2});
    cfg.virtual_servers[0].kind = conf::LbKind::nat;
    fwd::BuildResult b = build(cfg, node_with({{web1, web1_mac}, {web2, web2_mac}, {client, client_mac}}));
    ASSERT_TRUE(b.table) << b.error;
    pkt::LcoreState lc(limits, flow::Timeouts::ipvs_defaults(1000));
    const uint32_t reals[] = {web1, web2};
    const golden::Mac macs[] = {web1_mac, web2_mac};
    for (uint16_t i = 0; i < 2; ++i) {
        const auto sport = static_cast<uint16_t>(42000 + i);
        Bytes request = eth(port_mac, client_mac, 0x0800,
                            golden::ipv4({.src = client, .dst = vip, .proto = 6},
                                         golden::tcp(client, vip, sport, 80, 0x02, 1, Bytes(100 + i, 0x61))));
        ASSERT_EQ(run(*b.table, lc, request, 1).verdict, pkt::Verdict::forward);
        Bytes reply = eth(port_mac, macs[i], 0x0800,
                          golden::ipv4({.src = reals[i], .dst = client, .proto = 6},
                                       golden::tcp(reals[i], client, 80, sport, 0x18, 9, Bytes(1000 + i, 0x62))));
        ASSERT_EQ(run(*b.table, lc, reply, 2).verdict, pkt::Verdict::forward);
        Bytes again = eth(port_mac, macs[i], 0x0800,
                          golden::ipv4({.src = reals[i], .dst = client, .proto = 6},
                                       golden::tcp(reals[i], client, 80, sport, 0x10, 9)));
        ASSERT_EQ(run(*b.table, lc, again, 3).verdict, pkt::Verdict::forward);
    }
    uint64_t service_in = 0;
    uint64_t service_out = 0;
    for (uint32_t i = 0; i < 2; ++i) {
        const pkt::BackendCounters& c = lc.backend(0, i);
        EXPECT_EQ(c.packets_in, 1u) << "real server " << i;
        EXPECT_EQ(c.bytes_in, 40u + 100 + i) << "real server " << i;
        EXPECT_EQ(c.packets_out, 2u) << "real server " << i;
        EXPECT_EQ(c.bytes_out, 40u + 1000 + i + 40) << "real server " << i;
        service_in += c.bytes_in;
        service_out += c.bytes_out;
    }
    // The service's figures are its real servers' sums (as ipvsadm --stats shows both).
    EXPECT_EQ(service_in, 40u + 100 + 40 + 101);
    EXPECT_EQ(service_out, 1080u + 1081);
    // A second connection (rr: web1 again) counts a connection; its second segment does not.
    Bytes syn = eth(port_mac, client_mac, 0x0800,
                    golden::ipv4({.src = client, .dst = vip, .proto = 6}, golden::tcp(client, vip, 42002, 80, 0x02, 1)));
    ASSERT_EQ(run(*b.table, lc, syn, 4).verdict, pkt::Verdict::forward);
    Bytes ack = eth(port_mac, client_mac, 0x0800,
                    golden::ipv4({.src = client, .dst = vip, .proto = 6}, golden::tcp(client, vip, 42002, 80, 0x10, 2)));
    ASSERT_EQ(run(*b.table, lc, ack, 5).verdict, pkt::Verdict::forward);
    EXPECT_EQ(lc.connections(0, 0), 2u);
    EXPECT_EQ(lc.connections(0, 1), 1u);
    // What SIGUSR2 writes of them, in ipvsadm -Ln --stats's columns.
    const std::string text = fwd::service_stats(b.table->services(), [&](uint32_t si, uint32_t bi) {
        const pkt::BackendCounters& c = lc.backend(si, bi);
        return fwd::BackendTotals{.connections = lc.connections(si, bi), .packets_in = c.packets_in,
                                  .packets_out = c.packets_out, .bytes_in = c.bytes_in, .bytes_out = c.bytes_out};
    });
    EXPECT_EQ(text,
              "Virtual servers 1\n"
              "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
              "  -> RemoteAddress:Port\n"
              "TCP  10.0.0.100:80                       3        4        4      361     2161\n"
              "  -> 10.0.0.11:80                        2        3        2      220     1080\n"
              "  -> 10.0.0.12:80                        1        1        2      141     1081\n");
}

// The ICMP fragmentation-needed rate limit (process.cc frag_needed, the kernel's icmp_msgs_burst 50
// and icmp_msgs_per_sec 1000) on an injected clock of 1 MHz, as an lcore's TSC: a token per 1000
// ticks. An oversize DF packet to a TUN service is answered while tokens last.
TEST(IcmpRateLimit, BurstOfFiftyThenAThousandASecond)
{
    conf::Config cfg = config(conf::LbAlgo::rr, {web2});
    cfg.virtual_servers[0].kind = conf::LbKind::tun;
    fwd::BuildResult b = build(cfg, node_with({{web2, web2_mac}, {client, client_mac}}));
    ASSERT_TRUE(b.table) << b.error;
    constexpr uint64_t hz = 1'000'000;
    pkt::LcoreState lc({.flows = 1024, .services = 4, .backends = 4, .persist = 64, .hz = hz},
                       flow::Timeouts::ipvs_defaults(hz));
    const Bytes big = eth(port_mac, client_mac, 0x0800,
                          golden::ipv4({.src = client, .dst = vip, .proto = 6},
                                       golden::tcp(client, vip, 40000, 80, 0x02, 1, Bytes(1460, 0x61))));
    auto send = [&](uint64_t now) {
        Bytes f = big;
        const pkt::Result r = run(*b.table, lc, f, now);
        if (r.verdict == pkt::Verdict::reply) {
            EXPECT_EQ(f[14 + 9], 1) << "an ICMP error";
            EXPECT_EQ(f[14 + 20], 3) << "destination unreachable";
            EXPECT_EQ(f[14 + 21], 4) << "fragmentation needed";
        } else {
            EXPECT_EQ(r.verdict, pkt::Verdict::drop);
            EXPECT_EQ(pkt::to_string(r.reason), "icmp_rate_limited");
        }
        return r.verdict == pkt::Verdict::reply;
    };
    // How many of `n` packets at one instant are answered.
    auto answered = [&](uint64_t now, int n) {
        int k = 0;
        for (int i = 0; i < n; ++i) {
            k += send(now) ? 1 : 0;
        }
        return k;
    };
    const uint64_t t0 = 5 * hz;
    EXPECT_EQ(answered(t0, 60), 50) << "the burst";
    EXPECT_EQ(answered(t0 + 999, 1), 0) << "999 µs: not a whole token yet";
    EXPECT_EQ(answered(t0 + 1000, 2), 1) << "1 ms: one token";
    // Packets every 100 µs, faster than the refill, must not starve it: 1000/s is the rate.
    int k = 0;
    for (uint64_t t = t0 + 1100; t <= t0 + 11000; t += 100) {
        k += send(t) ? 1 : 0;
    }
    EXPECT_EQ(k, 10) << "10 ms of packets every 100 µs: ten answers";
    EXPECT_EQ(answered(t0 + 11000 + 20'000, 30), 20) << "20 ms idle: twenty tokens";
    EXPECT_EQ(answered(t0 + 100 * hz, 60), 50) << "a long pause refills the burst, and no more";
}

// A flood from random sources (H6): spoofed SYNs fill the flow table and replace one another, never
// a confirmed connection; spoofed ACKs to an rr service make no flow at all. Through pkt::process,
// with the IPVS timeouts, at 1000 ticks a second.
TEST(Flood, SpoofedSynsAndAcksCostNoEstablishedFlow)
{
    fwd::BuildResult b = build(config(conf::LbAlgo::rr, {web1, web2}), node_with({{web1, web1_mac}, {web2, web2_mac}}));
    ASSERT_TRUE(b.table) << b.error;
    pkt::LcoreState lc(limits, flow::Timeouts::ipvs_defaults(1000));
    const uint32_t cap = lc.flows.capacity();
    // 256 real connections (a quarter of the table): SYN, then the handshake's ACK.
    constexpr uint16_t real = 256;
    std::map<uint16_t, uint8_t> backend_of;  // client port → the last byte of the backend's MAC
    for (uint16_t i = 0; i < real; ++i) {
        Bytes s = syn(static_cast<uint16_t>(20000 + i));
        ASSERT_EQ(run(*b.table, lc, s, 1).verdict, pkt::Verdict::forward);
        backend_of[static_cast<uint16_t>(20000 + i)] = s[5];
        Bytes a = syn(static_cast<uint16_t>(20000 + i), 0x10);
        ASSERT_EQ(run(*b.table, lc, a, 2).verdict, pkt::Verdict::forward);
    }
    std::mt19937 rng(7);
    auto spoofed = [&](uint8_t flags) {
        const uint32_t src = ip(100, 64, 0, 0) | (rng() & 0x3fffff);
        const auto sport = static_cast<uint16_t>(1024 + rng() % 60000);
        return eth(port_mac, client_mac, 0x0800,
                   golden::ipv4({.src = src, .dst = vip, .proto = 6}, golden::tcp(src, vip, sport, 80, flags, 1)));
    };
    // 20 tables' worth of spoofed SYNs over one second: all forwarded (each schedules), the table full.
    const uint32_t syns = 20 * cap;
    for (uint32_t i = 0; i < syns; ++i) {
        Bytes f = spoofed(0x02);
        ASSERT_EQ(run(*b.table, lc, f, 3 + i / (syns / 1000)).verdict, pkt::Verdict::forward);
    }
    EXPECT_EQ(lc.flows.size(), cap);
    EXPECT_GE(lc.flows.counters().evictions, syns - cap) << "the flood replaced itself";
    // Spoofed ACKs (and ACK+PSH) from random sources: each dropped, not one flow made.
    const flow::Counters before = lc.flows.counters();
    for (uint32_t i = 0; i < 4 * cap; ++i) {
        Bytes f = spoofed(i % 2 == 0 ? 0x10 : 0x18);
        const pkt::Result r = run(*b.table, lc, f, 1004);
        ASSERT_EQ(r.verdict, pkt::Verdict::drop);
        ASSERT_EQ(pkt::to_string(r.reason), "tcp_no_flow");
    }
    EXPECT_EQ(lc.flows.counters().inserts, before.inserts) << "an ACK for no flow makes none under rr";
    EXPECT_EQ(lc.flows.counters().evictions, before.evictions);
    // Every real connection still reaches the backend its SYN got.
    for (const auto& [sport, be] : backend_of) {
        Bytes a = syn(sport, 0x18);
        ASSERT_EQ(run(*b.table, lc, a, 1005).verdict, pkt::Verdict::forward) << "client port " << sport;
        EXPECT_EQ(a[5], be) << "client port " << sport;
    }
}

// ICMP errors are built in the frame and its headroom only (L7): a time-exceeded about a 54-byte
// SYN needs 70 bytes; with 16 bytes of headroom it is sent, with none it is not (and nothing is
// written past the frame). A TUN port whose room after the outer header is under 68 bytes reports
// no MTU.
TEST(IcmpErrors, StayInsideTheFrameAndReportNoMtuUnder68)
{
    fwd::BuildResult b = build(config(conf::LbAlgo::rr, {web1}), node_with({{web1, web3_mac}}));
    ASSERT_TRUE(b.table) << b.error;
    pkt::LcoreState lc(limits, flow::Timeouts::ipvs_defaults(1000));
    const Bytes dying = eth(port_mac, client_mac, 0x0800,
                            golden::ipv4({.src = client, .dst = vip, .proto = 6, .ttl = 1},
                                         golden::tcp(client, vip, 40000, 80, 0x02, 1)));
    ASSERT_EQ(dying.size(), 54u);
    auto process_with = [&](pkt::LcoreState& state, const fwd::Table& t, const Bytes& in, uint32_t headroom,
                            Bytes* out) {
        // The frame at the very end of an exact-size heap buffer: ASan sees any write past it.
        std::vector<uint8_t> buf(headroom + in.size());
        std::copy(in.begin(), in.end(), buf.begin() + headroom);
        pkt::Frame f{.data = buf.data() + headroom, .len = static_cast<uint32_t>(in.size()), .headroom = headroom,
                     .port = 0, .hop = 0};
        const pkt::Result r = pkt::process(t, state, f, 10);
        *out = Bytes(f.data, f.data + f.len);
        return r;
    };
    Bytes got;
    pkt::Result r = process_with(lc, *b.table, dying, 0, &got);
    EXPECT_EQ(pkt::to_string(r.reason), "too_big") << "no room for the error: nothing sent";
    r = process_with(lc, *b.table, dying, 16, &got);
    ASSERT_EQ(r.verdict, pkt::Verdict::reply);
    const Bytes quoted(dying.begin() + 14, dying.begin() + 42);
    EXPECT_EQ(got, eth(client_mac, port_mac, 0x0800,
                       golden::ipv4({.src = vip, .dst = client, .proto = 1, .ttl = 64, .id = 0, .frag = 0, .tos = 0xc0},
                                    golden::icmp_time_exceeded(quoted))));

    // A TUN port with MTU 87: 67 bytes of room after the outer header, no path MTU to report.
    conf::Config cfg = config(conf::LbAlgo::rr, {web2});
    cfg.virtual_servers[0].kind = conf::LbKind::tun;
    golden::Node n = node_with({{web2, web2_mac}, {client, client_mac}});
    n.mtu = 87;
    fwd::BuildResult tun = build(cfg, n);
    ASSERT_TRUE(tun.table) << tun.error;
    pkt::LcoreState lt(limits, flow::Timeouts::ipvs_defaults(1000));
    const Bytes big = eth(port_mac, client_mac, 0x0800,
                          golden::ipv4({.src = client, .dst = vip, .proto = 6},
                                       golden::tcp(client, vip, 40000, 80, 0x02, 1, Bytes(100, 0x61))));
    r = process_with(lt, *tun.table, big, 128, &got);
    EXPECT_EQ(pkt::to_string(r.reason), "too_big");
    // MTU 88: 68 bytes of room, reported.
    n.mtu = 88;
    tun = build(cfg, n);
    ASSERT_TRUE(tun.table) << tun.error;
    r = process_with(lt, *tun.table, big, 128, &got);
    ASSERT_EQ(r.verdict, pkt::Verdict::reply);
    EXPECT_EQ(got[14 + 20], 3);
    EXPECT_EQ(got[14 + 20 + 6] << 8 | got[14 + 20 + 7], 68);
}

}  // namespace

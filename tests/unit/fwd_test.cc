// The forwarding table's control-side pieces, driven through pkt::process on byte buffers (no DPDK):
// neighbour learning (solicit → reply → learn → republish → forward), the lc schedulers'
// per-backend counts kept exact by the flow table's end hook, the per-backend byte counters, the
// ICMP rate limit on an injected clock; and the golden fixtures: every one through pkt::process,
// and every drop reason and scheduler covered by one.
#include "conf/model.h"
#include "dataplane/dpdk/control/neighbours.h"
#include "dataplane/dpdk/datapath/table.h"
#include "dataplane/dpdk/datapath/pkt/process.h"
#include "tests/golden/builder.h"
#include "tests/golden/fixtures.h"

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

constexpr golden::Mac port_mac{0x02, 0, 0, 0, 0, 0x01};
constexpr golden::Mac client_mac{0x02, 0, 0, 0, 0, 0x50};
constexpr golden::Mac web3_mac{0x02, 0, 0, 0, 0, 0x13};
constexpr golden::Mac stranger_mac{0x02, 0, 0, 0, 0, 0x77};
constexpr golden::Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr golden::Mac zero{};
constexpr uint32_t node = ip(10, 0, 0, 2);
constexpr uint32_t client = ip(10, 0, 0, 50);
constexpr uint32_t vip = ip(10, 0, 0, 100);
constexpr uint32_t web1 = ip(10, 0, 0, 11);
constexpr uint32_t web2 = ip(10, 0, 0, 12);
constexpr uint32_t web3 = ip(10, 0, 0, 13);

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

fwd::Inputs inputs(const std::vector<std::pair<uint32_t, fwd::Mac>>& neighbours)
{
    fwd::Inputs in;
    in.ports.push_back({.mac = port_mac, .ip = net(node), .prefix = 24, .mtu = 1500});
    in.owned.push_back(net(vip));
    in.neighbours = neighbours;
    in.max_services = 4;
    in.max_backends = 4;
    return in;
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

// The whole loop: a DR backend whose MAC nobody knows gets an ARP request from the dataplane; its
// reply goes to control, which learns it and republishes; the client's retransmission goes through.
TEST(Neighbours, SolicitLearnRepublishForward)
{
    const conf::Config cfg = config(conf::LbAlgo::rr, {web3});
    fwd::BuildResult b = fwd::Table::build(cfg, inputs({}));
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

    fwd::BuildResult next = fwd::Table::build(cfg, inputs(n.entries()));
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
    const auto mac = [](uint8_t x) { return fwd::Mac{0x02, 0, 0, 0, 0, x}; };
    fwd::BuildResult b = fwd::Table::build(config(conf::LbAlgo::lc, {web1, web2}),
                                           inputs({{net(web1), mac(0x11)}, {net(web2), mac(0x12)}}));
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
    const auto mac = [](uint8_t x) { return fwd::Mac{0x02, 0, 0, 0, 0, x}; };
    conf::Config cfg = config(conf::LbAlgo::rr, {web1, web2});
    cfg.virtual_servers[0].kind = conf::LbKind::nat;
    fwd::BuildResult b = fwd::Table::build(
        cfg, inputs({{net(web1), mac(0x11)}, {net(web2), mac(0x12)}, {net(client), client_mac}}));
    ASSERT_TRUE(b.table) << b.error;
    pkt::LcoreState lc(limits, flow::Timeouts::ipvs_defaults(1000));
    const uint32_t reals[] = {web1, web2};
    for (uint16_t i = 0; i < 2; ++i) {
        const auto sport = static_cast<uint16_t>(42000 + i);
        Bytes request = eth(port_mac, client_mac, 0x0800,
                            golden::ipv4({.src = client, .dst = vip, .proto = 6},
                                         golden::tcp(client, vip, sport, 80, 0x02, 1, Bytes(100 + i, 0x61))));
        ASSERT_EQ(run(*b.table, lc, request, 1).verdict, pkt::Verdict::forward);
        Bytes reply = eth(port_mac, mac(static_cast<uint8_t>(0x11 + i)), 0x0800,
                          golden::ipv4({.src = reals[i], .dst = client, .proto = 6},
                                       golden::tcp(reals[i], client, 80, sport, 0x18, 9, Bytes(1000 + i, 0x62))));
        ASSERT_EQ(run(*b.table, lc, reply, 2).verdict, pkt::Verdict::forward);
        Bytes again = eth(port_mac, mac(static_cast<uint8_t>(0x11 + i)), 0x0800,
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
}

// The ICMP fragmentation-needed rate limit (process.cc frag_needed, the kernel's icmp_msgs_burst 50
// and icmp_msgs_per_sec 1000) on an injected clock of 1 MHz, as an lcore's TSC: a token per 1000
// ticks. An oversize DF packet to a TUN service is answered while tokens last.
TEST(IcmpRateLimit, BurstOfFiftyThenAThousandASecond)
{
    conf::Config cfg = config(conf::LbAlgo::rr, {web2});
    cfg.virtual_servers[0].kind = conf::LbKind::tun;
    const golden::Mac web2_mac{0x02, 0, 0, 0, 0, 0x12};
    fwd::BuildResult b = fwd::Table::build(cfg, inputs({{net(web2), web2_mac}, {net(client), client_mac}}));
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
    const auto mac = [](uint8_t x) { return fwd::Mac{0x02, 0, 0, 0, 0, x}; };
    fwd::BuildResult b = fwd::Table::build(config(conf::LbAlgo::rr, {web1, web2}),
                                           inputs({{net(web1), mac(0x11)}, {net(web2), mac(0x12)}}));
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
    const golden::Mac web2_mac{0x02, 0, 0, 0, 0, 0x12};
    fwd::BuildResult b = fwd::Table::build(config(conf::LbAlgo::rr, {web1}), inputs({{net(web1), web3_mac}}));
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
    fwd::Inputs in = inputs({{net(web2), web2_mac}, {net(client), client_mac}});
    in.ports[0].mtu = 87;
    fwd::BuildResult tun = fwd::Table::build(cfg, in);
    ASSERT_TRUE(tun.table) << tun.error;
    pkt::LcoreState lt(limits, flow::Timeouts::ipvs_defaults(1000));
    const Bytes big = eth(port_mac, client_mac, 0x0800,
                          golden::ipv4({.src = client, .dst = vip, .proto = 6},
                                       golden::tcp(client, vip, 40000, 80, 0x02, 1, Bytes(100, 0x61))));
    r = process_with(lt, *tun.table, big, 128, &got);
    EXPECT_EQ(pkt::to_string(r.reason), "too_big");
    // MTU 88: 68 bytes of room, reported.
    in.ports[0].mtu = 88;
    tun = fwd::Table::build(cfg, in);
    ASSERT_TRUE(tun.table) << tun.error;
    r = process_with(lt, *tun.table, big, 128, &got);
    ASSERT_EQ(r.verdict, pkt::Verdict::reply);
    EXPECT_EQ(got[14 + 20], 3);
    EXPECT_EQ(got[14 + 20 + 6] << 8 | got[14 + 20 + 7], 68);
}

// The golden node (tests/golden/fixtures.h) as fwd::Inputs, as tests/dataplane builds them.
fwd::Inputs golden_inputs()
{
    const golden::Node n = golden::node();
    fwd::Inputs in;
    in.ports.resize(n.ports);
    in.ports[0] = {.mac = n.port_mac, .ip = net(n.port_ip), .prefix = n.prefix, .mtu = n.mtu};
    for (const auto& [dst, prefix] : n.via_gateway) {
        in.routes.push_back({.dst = net(dst), .prefix = prefix, .port = 0, .gateway = net(n.gateway)});
    }
    for (uint32_t a : n.owned) {
        in.owned.push_back(net(a));
    }
    for (const auto& [a, mac] : n.neighbours) {
        in.neighbours.emplace_back(net(a), mac);
    }
    in.max_services = 32;
    in.max_backends = 16;
    return in;
}

// The golden fixtures through pkt::process alone, without DPDK (tests/dataplane runs them through
// the lcore loop when an EAL can start): verdict, reason and the exact frame out.
TEST(Golden, EveryFixtureThroughProcess)
{
    fwd::BuildResult b = fwd::Table::build(golden::config(), golden_inputs());
    ASSERT_TRUE(b.table) << b.error;
    EXPECT_TRUE(b.skipped.empty());
    pkt::LcoreState lc({.flows = 1024, .services = 32, .backends = 16}, flow::Timeouts::ipvs_defaults(1000));
    constexpr uint32_t headroom = 128;  // an mbuf's: TUN prepends its header there
    uint64_t now = 0;
    for (const golden::Fixture& fx : golden::fixtures()) {
        SCOPED_TRACE(fx.description);
        now += fx.after_ms;
        Bytes buf(headroom, 0);
        buf.insert(buf.end(), fx.input.begin(), fx.input.end());
        pkt::Frame f{.data = buf.data() + headroom, .len = static_cast<uint32_t>(fx.input.size()), .headroom = headroom,
                     .port = 0, .hop = 0};
        const pkt::Result r = pkt::process(*b.table, lc, f, now);
        EXPECT_EQ(pkt::to_string(r.verdict), pkt::to_string(fx.verdict));
        EXPECT_EQ(pkt::to_string(r.reason), pkt::to_string(fx.reason));
        const Bytes got(f.data, f.data + f.len);
        if (fx.verdict == pkt::Verdict::forward || fx.verdict == pkt::Verdict::reply || fx.verdict == pkt::Verdict::solicit) {
            EXPECT_EQ(r.port, 0);
            EXPECT_EQ(got, fx.output);
        } else if (fx.verdict != pkt::Verdict::drop) {
            EXPECT_EQ(got, fx.input) << "handed over unchanged";
        }
    }
}

// The drop reasons no frame through pkt::process can produce, and where each is tested instead.
const std::map<pkt::DropReason, std::string_view>& not_from_process()
{
    using R = pkt::DropReason;
    static const std::map<R, std::string_view> m = {
        {R::none, "not a drop"},
        {R::kind_unsupported, "unreachable: DR, NAT and TUN (every conf::LbKind) are implemented"},
        {R::no_table, "the lcore loop before a table is published: GoldenDpdk.NoTablePublishedDrops"},
        {R::control_ring_full, "the lcore loop's hand-over: LcoreDrops.HandOverRingsFull (tests/dataplane)"},
        {R::exception_ring_full, "the lcore loop's hand-over: LcoreDrops.HandOverRingsFull (tests/dataplane)"},
        {R::tx_full, "the lcore loop's TX burst: LcoreDrops.TxQueueFull (tests/dataplane)"},
        {R::redirect_ring_full, "the lcore loop's redirect: LcoreDrops.RedirectRingFull (tests/dataplane)"},
    };
    return m;
}

// README: the golden table covers every drop reason. A reason appended to verdict.h without a
// fixture (or without a name) fails here.
TEST(GoldenCoverage, EveryDropReasonHasAFixture)
{
    std::set<pkt::DropReason> seen;
    for (const golden::Fixture& f : golden::fixtures()) {
        if (f.verdict == pkt::Verdict::drop) {
            seen.insert(f.reason);
        }
    }
    for (unsigned i = 0; i < pkt::drop_reason_count; ++i) {
        const auto r = static_cast<pkt::DropReason>(i);
        EXPECT_NE(pkt::to_string(r), "?") << "drop reason " << i << " has no name";
        if (const auto it = not_from_process().find(r); it != not_from_process().end()) {
            std::printf("not a golden fixture: %s (%s)\n", std::string(pkt::to_string(r)).c_str(),
                        std::string(it->second).c_str());
            continue;
        }
        EXPECT_TRUE(seen.contains(r)) << "no golden fixture drops with " << pkt::to_string(r);
    }
    EXPECT_EQ(pkt::to_string(static_cast<pkt::DropReason>(pkt::drop_reason_count)), "?")
        << "drop_reason_count is behind the enum";
}

// README: the golden table covers every scheduler. Every algorithm the dataplane builds (lblc, lblcr
// and dh are refused at build: no service can use them) needs a service in golden::config() and a
// fixture that a service of it forwards.
TEST(GoldenCoverage, EverySchedulerHasAFixture)
{
    const conf::Config cfg = golden::config();
    const std::vector<golden::Fixture> fx = golden::fixtures();
    const sched::Backend two[] = {{.key = 1, .weight = 1, .available = true}, {.key = 2, .weight = 3, .available = true}};
    int implemented = 0;
    for (unsigned i = 0; sched::to_string(static_cast<sched::Algo>(i)) != "?"; ++i) {
        const auto algo = static_cast<sched::Algo>(i);
        if (!sched::Service::build(algo, two)) {
            std::printf("not built by the dataplane: %s\n", std::string(sched::to_string(algo)).c_str());
            continue;
        }
        ++implemented;
        std::set<uint16_t> ports;  // the golden services of this algorithm (TCP/UDP to the VIP)
        for (const conf::VirtualServer& vs : cfg.virtual_servers) {
            if (static_cast<unsigned>(vs.algo) == i) {
                ports.insert(vs.port);
            }
        }
        bool forwarded = false;
        for (const golden::Fixture& f : fx) {
            const Bytes& p = f.input;
            if (f.verdict != pkt::Verdict::forward || p.size() < 14 + 20 + 4 || p[12] != 0x08 || p[13] != 0x00 ||
                (p[14 + 9] != 6 && p[14 + 9] != 17) || p[14] != 0x45) {
                continue;
            }
            const uint32_t dst = uint32_t{p[30]} << 24 | uint32_t{p[31]} << 16 | uint32_t{p[32]} << 8 | p[33];
            const auto dport = static_cast<uint16_t>(p[14 + 20 + 2] << 8 | p[14 + 20 + 3]);
            forwarded = forwarded || (dst == vip && ports.contains(dport));
        }
        EXPECT_TRUE(forwarded) << "no golden fixture forwards through a " << sched::to_string(algo) << " service";
    }
    EXPECT_GE(implemented, 10) << "rr wrr lc wlc sh mh sed nq fo ovf at least";
}

}  // namespace

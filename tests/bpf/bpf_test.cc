// Suite `bpf`: vipd's XDP program run in-process with BPF_PROG_TEST_RUN, its maps written by the
// product's MapSync. GoldenXdp holds it to the golden contract (tests/golden) as the plain and DPDK
// runners are held; Differential runs a million generated and mutated frames through it and through
// the C++ packet path (pkt::process) over the same table, and any difference fails with a pcap of the
// frame; the rest check what only the program has (readiness, the stateless schedulers' hashes).
// Needs bpf() (root or CAP_BPF): exits 77 (skip) only when the kernel refuses bpf() with EPERM.
#include "dataplane/dpdk/datapath/flow/hash.h"
#include "dataplane/dpdk/datapath/pkt/process.h"
#include "dataplane/fwd/sched/hashes.h"
#include "dataplane/wire/headers.h"
#include "tests/bpf/xdp_runner.h"
#include "tests/golden/builder.h"
#include "tests/golden/config.h"
#include "tests/golden/fixtures.h"
#include "tests/golden/pcap.h"
#include "tests/golden/setup.h"

#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>

namespace {

using golden::Bytes;
using golden::ip;
using golden::net;

// The CPUs the process could run on before main() pinned it to the first.
cpu_set_t g_allowed;

// One runner for the whole suite, loaded once: a failed load fails every test with its reason.
struct Loaded {
    explicit Loaded(bool per_cpu_flows = false)
        : runner({}, 1 << 16, per_cpu_flows),
          error(runner.error().empty() ? runner.load(golden::setup()) : runner.error())
    {
    }
    xdptest::XdpRunner runner;
    std::string error;
};
Loaded& loaded()
{
    static Loaded l;
    return l;
}
// The same with the program's per-CPU flow tables (LoadOptions::per_cpu_flows), its frames on one CPU.
Loaded& loaded_per_cpu()
{
    static Loaded l(true);
    return l;
}

std::string fixture_name(const testing::TestParamInfo<golden::Fixture>& info) { return info.param.name; }

// One fixture through a loaded runner: its verdict, drop reason and exact frame, from fresh state.
void check_fixture(Loaded& l, const golden::Fixture& f)
{
    ASSERT_EQ(l.error, "") << "the golden setup does not load into the XDP program";
    const golden::Report r = golden::check(l.runner, f);
    if (r.skipped) {
        GTEST_SKIP() << r.message;
    }
    if (!r.message.empty()) {
        ADD_FAILURE() << r.message;
    }
}

// The golden contract.
class GoldenXdp : public testing::TestWithParam<golden::Fixture> {};
TEST_P(GoldenXdp, Fixture) { check_fixture(loaded(), GetParam()); }
INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenXdp, testing::ValuesIn(golden::fixtures()), fixture_name);

// The contract again with per-CPU flow tables: on one CPU they must decide every fixture alike.
class GoldenXdpPerCpu : public testing::TestWithParam<golden::Fixture> {};
TEST_P(GoldenXdpPerCpu, Fixture) { check_fixture(loaded_per_cpu(), GetParam()); }
INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenXdpPerCpu, testing::ValuesIn(golden::fixtures()), fixture_name);

// What the XDP runner skips, by name and why; a fixture newly skipped (or newly run) shows here.
TEST(GoldenXdpCoverage, SkipsOnlyWhatItCannotDo)
{
    ASSERT_EQ(loaded().error, "");
    std::map<std::string, std::string> skipped;
    size_t ran = 0;
    for (const golden::Fixture& f : golden::fixtures()) {
        if (const golden::Caps missing = f.needs & ~loaded().runner.caps(); missing != 0) {
            skipped[f.name] = "needs " + golden::caps_string(missing);
        } else if (const std::string why = loaded().runner.cannot(f); !why.empty()) {
            skipped[f.name] = why;
        } else {
            ++ran;
        }
    }
    std::printf("golden fixtures through the XDP program: %zu run, %zu skipped\n", ran, skipped.size());
    for (const auto& [name, why] : skipped) {
        std::printf("  skipped %s: %s\n", name.c_str(), why.c_str());
    }
    // Only runt frames, which BPF_PROG_TEST_RUN refuses (no NIC delivers one either).
    for (const auto& [name, why] : skipped) {
        EXPECT_NE(why.find("runt_frames"), std::string::npos) << name << ": " << why;
    }
    EXPECT_EQ(ran + skipped.size(), golden::fixtures().size());
    EXPECT_LE(skipped.size(), 1u);
}

std::string hex(const Bytes& b)
{
    std::string s;
    char x[4];
    for (uint8_t c : b) {
        std::snprintf(x, sizeof(x), "%02x", c);
        s += x;
    }
    return s;
}

// Random frames for the differential test: an eighth not IPv4 (ARP, IPv6, VLAN, others); of the IPv4
// ones half aimed at a service (its VIP, protocol and port), the rest drawn field by field, a sixth
// replies from the NAT backends; some with options or fragment bits, and a share with a bit flipped or
// cut short.
class FrameGen {
public:
    explicit FrameGen(uint32_t seed) : _rng(seed) {}

    Bytes next()
    {
        if (_rng() % 8 == 0) {
            return mutated(not_ipv4());
        }
        static constexpr std::pair<uint8_t, uint16_t> services[] = {
            {6, 80}, {6, 80}, {17, 53}, {6, 84}, {6, 9001}, {6, 9002}, {6, 9003}, {6, 9004}, {6, 9005},
            {6, 9006}, {6, 9007}, {6, 9008}, {6, 9009},
            {6, 8080}, {6, 8081}, {17, 5353}, {6, 81}, {6, 82}, {6, 83}, {6, 8443}, {6, 8444}};
        const uint32_t kind = _rng() % 6;
        const bool aimed = kind < 3;
        const bool reply = kind == 3;
        const auto& [aimed_proto, aimed_port] = services[_rng() % std::size(services)];
        uint32_t dst = aimed ? ip(10, 0, 0, 100) : pick(ip(10, 0, 0, 100), ip(10, 0, 0, 101), ip(10, 0, 0, 2), _rng());
        uint16_t dport = aimed ? aimed_port : static_cast<uint16_t>(pick(80, 53, 84, 9001, 9006, 443, _rng() & 0xffff));
        uint16_t sport = static_cast<uint16_t>(pick(40000, 40001, 40002, 5353, _rng() & 0xffff));
        uint8_t proto = aimed ? aimed_proto : static_cast<uint8_t>(pick(6, 6, 17, 1));
        uint32_t src = pick(ip(10, 0, 0, 50), ip(10, 0, 0, 50), ip(192, 0, 2, 7), ip(127, 0, 0, 1), ip(10, 0, 0, 100),
                            ip(10, 0, 0, 2), ip(224, 0, 0, 1), 0x0a000000u | (_rng() & 0xffffff),
                            0x0a000000u | (_rng() & 0xffffff), _rng());
        if (reply) {
            src = pick(ip(10, 0, 0, 11), ip(10, 0, 0, 11), ip(10, 0, 0, 12), _rng());
            dst = pick(ip(10, 0, 0, 50), ip(10, 0, 0, 50), ip(192, 0, 2, 7), ip(10, 0, 0, 2), _rng());
            sport = static_cast<uint16_t>(pick(80, 80, 53, _rng() & 0xffff));
            dport = static_cast<uint16_t>(pick(40000, 40001, 40002, 5353, _rng() & 0xffff));
            proto = static_cast<uint8_t>(pick(6, 17));
        }
        const auto flags = static_cast<uint8_t>(pick(0x02, 0x02, 0x10, 0x18, 0x04, 0x01, 0x11, 0x12, 0x00));
        const auto ttl = static_cast<uint8_t>(pick(64, 64, 64, 2, 1, 0));
        golden::Ip4 h{.src = src, .dst = dst, .proto = proto, .ttl = ttl};
        if (_rng() % 16 == 0) {
            h.frag = static_cast<uint16_t>(pick(0x2000, 185, 0x4000));
        }
        if (_rng() % 16 == 0) {
            h.ihl = 6;
            h.options = {static_cast<uint8_t>(pick(1, 0, 131, 7, 68)), static_cast<uint8_t>(pick(1, 4, 2, 9, 0)),
                         static_cast<uint8_t>(_rng()), static_cast<uint8_t>(_rng())};
        }
        const Bytes payload(_rng() % 3 == 0 ? _rng() % 64 : 0, 0x61);
        const Bytes l4 = proto == 6    ? golden::tcp(src, dst, sport, dport, flags, _rng(), payload)
                         : proto == 17 ? golden::udp(src, dst, sport, dport, payload)
                         : _rng() % 4 == 0 ? Bytes{8, 0, 0xf7, 0xff, 0, 0, 0, 0}
                                           : icmp_error(src, dst, reply, aimed_port);
        const golden::Mac dmac = _rng() % 32 == 0 ? golden::web2_mac : golden::port_mac;
        return mutated(golden::eth(dmac, golden::client_mac, 0x0800, golden::ipv4(h, l4)));
    }

private:
    // An eighth of the frames: ARP (requests and replies for the VIPs, the node, the backends and
    // others, from clients, backends and a peer), IPv6, an 802.1Q tag over IPv4, LLDP, any EtherType.
    Bytes not_ipv4()
    {
        using golden::Mac;
        const uint32_t kind = _rng() % 6;
        const Mac dmac = pick(0, 0, 1, 2, _rng()) == 0 ? golden::bcast
                         : _rng() % 2 == 0             ? golden::port_mac
                                                       : golden::web2_mac;
        if (kind < 3) {
            static constexpr Mac from[] = {golden::client_mac, golden::web1_mac, golden::peer_mac, golden::gw_mac};
            const Mac sha = from[_rng() % std::size(from)];
            const uint32_t spa = pick(ip(10, 0, 0, 50), ip(10, 0, 0, 11), ip(10, 0, 0, 12), ip(10, 0, 0, 100), 0,
                                      ip(10, 0, 0, 1), _rng());
            const uint32_t tpa = pick(ip(10, 0, 0, 100), ip(10, 0, 0, 100), ip(10, 0, 0, 101), ip(10, 0, 0, 2),
                                      ip(10, 0, 0, 11), ip(10, 0, 0, 200), _rng());
            const auto op = static_cast<uint16_t>(pick(1, 1, 1, 2, 2, 3, _rng() & 0xffff));
            const Mac tha = op == 1 ? golden::zero_mac : golden::port_mac;
            return golden::eth(dmac, sha, 0x0806, golden::arp(op, sha, spa, tha, tpa));
        }
        if (kind == 3) {
            Bytes v6(40 + _rng() % 32, 0);
            v6[0] = static_cast<uint8_t>(pick(0x60, 0x60, 0x40, _rng()));
            v6[4] = 0;
            v6[5] = static_cast<uint8_t>(v6.size() - 40);
            v6[6] = static_cast<uint8_t>(pick(6, 17, 58, 112, _rng()));
            v6[7] = 64;
            for (size_t i = 8; i < v6.size(); ++i) {
                v6[i] = static_cast<uint8_t>(_rng());
            }
            return golden::eth(dmac, golden::client_mac, 0x86dd, v6);
        }
        if (kind == 4) {
            const Bytes inner = golden::ipv4({.src = ip(10, 0, 0, 50), .dst = ip(10, 0, 0, 100), .proto = 6},
                                             golden::tcp(ip(10, 0, 0, 50), ip(10, 0, 0, 100), 40000, 80, 0x02, 1));
            Bytes tagged(4 + inner.size(), 0);
            tagged[0] = static_cast<uint8_t>(_rng() & 0x0f);  // PCP 0, VID drawn
            tagged[1] = static_cast<uint8_t>(_rng());
            tagged[2] = 0x08;  // IPv4 inside
            std::copy(inner.begin(), inner.end(), tagged.begin() + 4);
            return golden::eth(dmac, golden::client_mac, 0x8100, tagged);
        }
        Bytes payload(46 + _rng() % 40, 0);
        for (uint8_t& b : payload) {
            b = static_cast<uint8_t>(_rng());
        }
        return golden::eth(dmac, golden::client_mac, static_cast<uint16_t>(pick(0x88cc, 0x8035, 0x0800, _rng() & 0xffff)),
                           payload);
    }

    // An ICMP error from `src` to `dst` quoting a datagram of a flow's tuple (sport and dport drawn as
    // a flow's are): to a VIP, about one sent from VIP:port to a client; from a NAT backend
    // (`reply`), about one a client sent to it. Any type, code and quote length.
    Bytes icmp_error(uint32_t src, uint32_t dst, bool reply, uint16_t service_port)
    {
        const uint32_t client = pick(ip(10, 0, 0, 50), ip(10, 0, 0, 50), ip(192, 0, 2, 7), _rng());
        const auto client_port = static_cast<uint16_t>(pick(40000, 40001, 40002, 5353, _rng() & 0xffff));
        const auto proto = static_cast<uint8_t>(pick(6, 6, 17, 1));
        golden::Ip4 h{.src = reply ? client : dst, .dst = reply ? src : client, .proto = proto};
        const auto far_port = static_cast<uint16_t>(reply ? pick(80, 80, 53, _rng() & 0xffff) : service_port);
        const uint16_t inner_sport = reply ? client_port : far_port;
        const uint16_t inner_dport = reply ? far_port : client_port;
        if (_rng() % 8 == 0) {
            h.frag = static_cast<uint16_t>(pick(0x2000, 185, 0x4000));
        }
        const Bytes quoted_l4 = proto == 6 ? golden::tcp(h.src, h.dst, inner_sport, inner_dport, 0x10, _rng())
                                           : golden::udp(h.src, h.dst, inner_sport, inner_dport, Bytes(8, 0x62));
        Bytes datagram = golden::ipv4(h, quoted_l4);
        datagram.resize(std::min<size_t>(datagram.size(), pick(28, 28, 48, 20, 1000)));
        Bytes icmp = golden::icmp_frag_needed(static_cast<uint16_t>(pick(1400, 0, 68)), datagram);
        icmp[0] = static_cast<uint8_t>(pick(3, 3, 11, 4, 12, 5, 0, _rng()));
        icmp[1] = static_cast<uint8_t>(pick(4, 1, 3, 0, _rng()));
        return icmp;  // its checksum is for type 3 code 4: the receiver's to judge, as it is for the relay
    }

    // A tenth with one bit flipped, a tenth cut short (never under the Ethernet header: the kernel's
    // test run refuses such a frame).
    Bytes mutated(Bytes frame)
    {
        const uint32_t mutate = _rng() % 10;
        if (mutate == 0) {
            frame[_rng() % frame.size()] ^= static_cast<uint8_t>(1u << (_rng() % 8));
        } else if (mutate == 1) {
            frame.resize(14 + _rng() % (frame.size() - 14));
        }
        return frame;
    }

    template <typename... V>
    uint32_t pick(V... v)
    {
        const uint32_t all[] = {static_cast<uint32_t>(v)...};
        return all[_rng() % sizeof...(v)];
    }

    std::mt19937 _rng;
};

// Frames through both paths over the same table and the same clock (a millisecond a frame), both
// keeping their state (flows, cursors, flow counts, persistence, ICMP buckets, fragment entries)
// between frames and both reset every `epoch` frames: before the flow tables fill (where the
// program's buckets and the lcore table's would evict different flows) and before the shortest timeout of a flow the
// flow-count schedulers count (5 s unconfirmed: the lcore table also ends expired flows it meets in a
// bucket, the program only those it looks up). The same verdict, reason and bytes.
// $VIPD_XDP_FUZZ_FRAMES sets the count.
TEST(Differential, SameAsProcess)
{
    ASSERT_EQ(loaded().error, "");
    xdptest::XdpRunner& x = loaded().runner;
    const char* env = std::getenv("VIPD_XDP_FUZZ_FRAMES");
    const uint64_t frames = env != nullptr ? std::strtoull(env, nullptr, 10) : 1'000'000;
    constexpr uint64_t epoch = 4096;
    std::unique_ptr<pkt::LcoreState> lc;
    FrameGen gen(20261203);
    uint64_t compared = 0;
    uint64_t unserved = 0;
    uint64_t icmp_forwarded = 0;
    uint64_t fragments_followed = 0;  // later fragments sent on after their first (the fragment cache)
    std::map<std::string, uint64_t> verdicts;
    for (uint64_t n = 0; n < frames; ++n) {
        if (n % epoch == 0) {
            lc = std::make_unique<pkt::LcoreState>(pkt::Limits{.flows = 1 << 16, .services = 32, .backends = 16},
                                                   flow::Timeouts::ipvs_defaults(1000));
            ASSERT_EQ(x.program().clear_packet_state(), "");
        }
        const Bytes frame = gen.next();
        if (!x.unserved(frame).empty()) {
            ++unserved;
            continue;
        }
        constexpr uint32_t headroom = 128;  // an mbuf's: TUN and the ICMP errors grow the frame into it
        Bytes cpp(headroom + frame.size(), 0);
        std::copy(frame.begin(), frame.end(), cpp.begin() + headroom);
        pkt::Frame f{.data = cpp.data() + headroom, .len = static_cast<uint32_t>(frame.size()), .headroom = headroom,
                     .port = 0, .hop = 0};
        const uint64_t now_ms = n % epoch + 1;
        const pkt::Result want = pkt::process(x.table(), *lc, f, now_ms);
        const Bytes want_out = want.verdict == pkt::Verdict::drop ? Bytes{}
                               : (want.verdict == pkt::Verdict::to_vrrp || want.verdict == pkt::Verdict::to_local ||
                                  want.verdict == pkt::Verdict::to_control ||
                                  want.verdict == pkt::Verdict::to_exception)
                                   ? frame
                                   : Bytes(f.data, f.data + f.len);
        const xdptest::Run got = x.run_raw(frame, now_ms * 1'000'000);
        ASSERT_EQ(got.error, "");
        ++compared;
        ++verdicts[std::string(pkt::to_string(want.verdict)) + "/" + std::string(pkt::to_string(want.reason))];
        icmp_forwarded += want.verdict == pkt::Verdict::forward && frame.size() > 14 + 20 && frame[14 + 9] == 1;
        fragments_followed += want.verdict == pkt::Verdict::forward && frame.size() > 14 + 20 && frame[12] == 0x08 &&
                              frame[13] == 0x00 && ((frame[14 + 6] & 0x1f) != 0 || frame[14 + 7] != 0);
        const Bytes got_out = got.verdict == VIPD_VERDICT_drop ? Bytes{} : got.out;
        if (got.verdict != static_cast<uint8_t>(want.verdict) || got.reason != static_cast<uint8_t>(want.reason) ||
            got_out != want_out) {
            // The frame and both outputs, for Wireshark and for a regression case.
            const std::string path = golden::pcap_dir() + "/xdp-differential-" + std::to_string(n) + ".pcap";
            golden::pcap::write(path, {{.sec = 0, .usec = 0, .frame = frame},
                                       {.sec = 0, .usec = 1, .frame = want_out},
                                       {.sec = 0, .usec = 2, .frame = got_out}});
            FAIL() << "frame " << n << " (epoch step " << n % epoch << "): C++ "
                   << pkt::to_string(want.verdict) << "/" << pkt::to_string(want.reason) << ", XDP "
                   << pkt::to_string(static_cast<pkt::Verdict>(got.verdict)) << "/"
                   << pkt::to_string(static_cast<pkt::DropReason>(got.reason)) << "\n in:   " << hex(frame)
                   << "\n C++:  " << hex(want_out) << "\n XDP:  " << hex(got_out) << "\n (frames in " << path << ")";
        }
    }
    std::printf("frames compared with pkt::process: %llu (%llu for services the program does not run; %llu ICMP "
                "errors relayed along their flows; %llu later fragments after their first)\n",
                static_cast<unsigned long long>(compared), static_cast<unsigned long long>(unserved),
                static_cast<unsigned long long>(icmp_forwarded), static_cast<unsigned long long>(fragments_followed));
    for (const auto& [what, count] : verdicts) {
        std::printf("  %8llu %s\n", static_cast<unsigned long long>(count), what.c_str());
    }
    EXPECT_GE(compared, frames * 8 / 10);
    // Every kind of outcome is exercised, not only drops.
    EXPECT_GT(icmp_forwarded, 100u) << "ICMP errors relayed along their flows";
    EXPECT_GT(fragments_followed, 20u) << "later fragments sent on after their first";
    for (const char* v : {"forward/none", "reply/none", "to_exception/none", "drop/nat_no_flow", "drop/tcp_no_flow",
                          "drop/arp_truncated", "drop/arp_not_ours", "drop/ip_fragment"}) {
        EXPECT_GT(verdicts[v], 0u) << v;
    }
}

// The per-backend counters (ipvsadm --stats: connections, packets, bytes) agree with the C++ path's
// over one run of frames.
TEST(Differential, BackendCountersAsProcess)
{
    ASSERT_EQ(loaded().error, "");
    xdptest::XdpRunner& x = loaded().runner;
    pkt::LcoreState lc({.flows = 1 << 16, .services = 32, .backends = 16}, flow::Timeouts::ipvs_defaults(1000));
    ASSERT_EQ(x.program().clear_packet_state(), "");
    const auto services = x.table().services();
    std::map<std::pair<uint32_t, uint32_t>, vipd_backend_stats> before;
    for (uint32_t si = 0; si < services.size(); ++si) {
        for (uint32_t b = 0; b < services[si].backends.size(); ++b) {
            before[{si, b}] = x.program().backend_stats(si, b);
        }
    }
    FrameGen gen(7);
    for (uint64_t n = 0; n < 5000; ++n) {
        const Bytes frame = gen.next();
        if (!x.unserved(frame).empty()) {
            continue;
        }
        Bytes cpp(128 + frame.size(), 0);
        std::copy(frame.begin(), frame.end(), cpp.begin() + 128);
        pkt::Frame f{.data = cpp.data() + 128, .len = static_cast<uint32_t>(frame.size()), .headroom = 128, .port = 0,
                     .hop = 0};
        pkt::process(x.table(), lc, f, n + 1);
        ASSERT_EQ(x.run_raw(frame, (n + 1) * 1'000'000).error, "");
    }
    uint64_t counted = 0;
    uint64_t connections = 0;
    for (uint32_t si = 0; si < services.size(); ++si) {
        for (uint32_t b = 0; b < services[si].backends.size(); ++b) {
            SCOPED_TRACE("service " + std::to_string(si) + " backend " + std::to_string(b));
            const pkt::BackendCounters& want = lc.backend(si, b);
            const vipd_backend_stats now = x.program().backend_stats(si, b);
            const vipd_backend_stats& was = before[{si, b}];
            EXPECT_EQ(now.packets_in - was.packets_in, want.packets_in);
            EXPECT_EQ(now.bytes_in - was.bytes_in, want.bytes_in);
            EXPECT_EQ(now.packets_out - was.packets_out, want.packets_out);
            EXPECT_EQ(now.bytes_out - was.bytes_out, want.bytes_out);
            EXPECT_EQ(now.connections - was.connections, lc.connections(si, b));
            counted += want.packets_in + want.packets_out;
            connections += lc.connections(si, b);
        }
    }
    EXPECT_GT(counted, 300u);
    EXPECT_GT(connections, 100u);
}

// A flood of new flows (SYNs from sources never heard from again) replaces its own unconfirmed
// flows and evicts no confirmed one, as the lcore table's keep ranks spare them: a flow that went
// SYN, ACK before the flood keeps its backend after it, although the flood is 8 times the table (of
// 8,192 buckets: no bucket then holds eight of the 2,000, the one case where a confirmed flow goes).
// The flood itself is served (each SYN scheduled), and its latest flows still answer. With the
// shared table, and with the per-CPU ones (all on one CPU).
void flood_spares_confirmed_flows(bool per_cpu_flows)
{
    constexpr uint32_t kept = 16384;
    xdptest::XdpRunner x({}, kept, per_cpu_flows);
    ASSERT_EQ(x.error(), "");
    ASSERT_EQ(x.load(golden::setup()), "");
    const auto syn_ack = [&](uint32_t client, uint16_t sport, uint8_t flags, uint64_t now_ns, golden::Mac& to) {
        const Bytes in = golden::eth(golden::port_mac, golden::client_mac, 0x0800,
                                     golden::ipv4({.src = client, .dst = golden::vip, .proto = 6},
                                                  golden::tcp(client, golden::vip, sport, 80, flags, 1)));
        const xdptest::Run r = x.run_raw(in, now_ns);
        std::memcpy(to.data(), r.out.data(), r.out.size() >= 6 ? 6 : 0);
        return r.error.empty() ? std::string(pkt::to_string(static_cast<pkt::Verdict>(r.verdict))) + "/" +
                                     std::string(pkt::to_string(static_cast<pkt::DropReason>(r.reason)))
                               : r.error;
    };
    // 2000 connections, SYN then ACK (rr over two backends: a lost flow would be rescheduled or, for an
    // ACK, dropped as tcp_no_flow). The time stays within every timeout.
    constexpr uint32_t conns = 2000;
    std::vector<golden::Mac> backend_of(conns);
    uint64_t now = 1'000'000;
    for (uint32_t i = 0; i < conns; ++i) {
        golden::Mac ack_to{};
        ASSERT_EQ(syn_ack(ip(10, 1, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)), 40000, 0x02, now,
                          backend_of[i]), "forward/none");
        ASSERT_EQ(syn_ack(ip(10, 1, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)), 40000, 0x10, now,
                          ack_to), "forward/none");
        ASSERT_EQ(ack_to, backend_of[i]);
        now += 1000;
    }
    const xdp::Program::FlowCounts before = x.program().flows();
    EXPECT_EQ(before.kept, conns);
    EXPECT_EQ(before.fresh, 0u);
    constexpr uint32_t flood = 8 * kept;
    golden::Mac any{};
    for (uint32_t i = 0; i < flood; ++i) {
        ASSERT_EQ(syn_ack(0x0b000000u | i, static_cast<uint16_t>(1024 + i % 60000), 0x02, now, any), "forward/none")
            << "flood SYN " << i;
        now += 100;
    }
    const xdp::Program::FlowCounts after = x.program().flows();
    EXPECT_EQ(after.kept, conns) << "the flood evicted confirmed flows";
    if (per_cpu_flows) {
        EXPECT_EQ(x.program().flows_of_cpu(static_cast<uint32_t>(x.cpu())).kept, conns) << "not in its CPU's table";
    }
    EXPECT_GT(after.fresh, 0u);
    EXPECT_LE(after.kept + after.fresh, uint64_t{xdp::flow_buckets(kept)} * VIPD_FLOW_WAYS);
    // The flood filled the free ways, then replaced itself: most of it was evicted by its own later
    // SYNs, and no confirmed flow was.
    const xdp::Program::FlowTableCounters table = x.program().flow_table_counters();
    EXPECT_GT(table.evicted, uint64_t{flood / 2});
    EXPECT_EQ(table.evicted_confirmed, 0u);
    for (uint32_t i = 0; i < conns; ++i) {
        golden::Mac to{};
        ASSERT_EQ(syn_ack(ip(10, 1, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)), 40000, 0x18, now, to),
                  "forward/none") << "connection " << i << " lost its flow in the flood";
        ASSERT_EQ(to, backend_of[i]) << "connection " << i << " moved backend";
    }
    // The flood's last SYNs still have their flows: its ACKs are forwarded, not dropped as tcp_no_flow.
    for (uint32_t i = flood - 100; i < flood; ++i) {
        ASSERT_EQ(syn_ack(0x0b000000u | i, static_cast<uint16_t>(1024 + i % 60000), 0x10, now, any), "forward/none")
            << "flood ACK " << i;
    }
}
TEST(FlowTiers, FloodSparesConfirmedFlows) { flood_spares_confirmed_flows(false); }
TEST(FlowTiers, FloodSparesConfirmedFlowsPerCpu) { flood_spares_confirmed_flows(true); }

// The table's own rules, in one bucket (keys found by the table's keyed hash with this load's
// seed): eight live unconfirmed flows, and a ninth SYN replaces the one the cursor points at (an
// eviction, whose ACK then finds no flow: dropped as tcp_no_flow, rr keeping no stateless backend);
// of eight live confirmed flows, a ninth replaces the least recently seen (counted apart); once all
// eight have expired, the ninth takes an expired one's way (not counted as an eviction).
TEST(FlowTable, BucketRanksAsTheLcoreTable)
{
    xdptest::XdpRunner x({}, 64);
    ASSERT_EQ(x.error(), "");
    ASSERT_EQ(x.load(golden::setup()), "");
    const uint64_t seed = x.program().flow_seed();
    const uint32_t mask = x.program().flow_buckets() - 1;
    ASSERT_EQ(x.program().flow_buckets(), xdp::flow_buckets(64));
    constexpr uint16_t sport = 40000;
    const auto bucket_of = [&](uint32_t client) {
        const flow::Key4 k{.src = net(client), .dst = net(golden::vip), .sport = __builtin_bswap16(sport),
                           .dport = __builtin_bswap16(80), .proto = 6};
        return flow::hash_v4_keyed(k, seed) & mask;
    };
    // Nine clients of one bucket, then nine of another.
    std::map<uint32_t, std::vector<uint32_t>> by_bucket;
    for (uint32_t i = 0; i < 65536 && (by_bucket.size() < 2 || by_bucket.begin()->second.size() < 9 ||
                                       std::next(by_bucket.begin())->second.size() < 9); ++i) {
        const uint32_t client = ip(10, 2, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
        by_bucket[bucket_of(client)].push_back(client);
    }
    std::vector<std::vector<uint32_t>> groups;
    for (auto& [b, clients] : by_bucket) {
        if (clients.size() >= 9 && groups.size() < 2) {
            clients.resize(9);
            groups.push_back(clients);
        }
    }
    ASSERT_EQ(groups.size(), 2u) << "no two buckets of nine clients among 65536";
    const auto send = [&](uint32_t client, uint8_t flags, uint64_t now_ns) {
        const Bytes in = golden::eth(golden::port_mac, golden::client_mac, 0x0800,
                                     golden::ipv4({.src = client, .dst = golden::vip, .proto = 6},
                                                  golden::tcp(client, golden::vip, sport, 80, flags, 1)));
        const xdptest::Run r = x.run_raw(in, now_ns);
        return r.error.empty() ? std::string(pkt::to_string(static_cast<pkt::Verdict>(r.verdict))) + "/" +
                                     std::string(pkt::to_string(static_cast<pkt::DropReason>(r.reason)))
                               : r.error;
    };
    uint64_t now = 1'000'000;
    // Unconfirmed: the ninth SYN evicts the first (the cursor starts at way 0).
    const std::vector<uint32_t>& fresh = groups[0];
    for (uint32_t i = 0; i < 8; ++i) {
        ASSERT_EQ(send(fresh[i], 0x02, now), "forward/none");
    }
    EXPECT_EQ(x.program().flows().fresh, 8u);
    ASSERT_EQ(send(fresh[8], 0x02, now), "forward/none");
    EXPECT_EQ(x.program().flow_table_counters().evicted, 1u);
    EXPECT_EQ(x.program().flows().fresh, 8u);
    EXPECT_EQ(send(fresh[0], 0x10, now + 1000), "drop/tcp_no_flow") << "the evicted flow is still there";
    for (uint32_t i = 1; i < 9; ++i) {
        EXPECT_EQ(send(fresh[i], 0x10, now + 1000 * i), "forward/none") << "flow " << i << " was not kept";
    }
    EXPECT_EQ(x.program().flows().kept, 8u) << "the ACKs confirmed the eight kept";
    // That bucket is now eight live confirmed flows: a ninth replaces the least recently seen.
    ASSERT_EQ(send(fresh[0], 0x02, now + 20000), "forward/none");
    EXPECT_EQ(x.program().flow_table_counters().evicted_confirmed, 1u);
    EXPECT_EQ(x.program().flow_table_counters().evicted, 1u);
    EXPECT_EQ(send(fresh[0], 0x10, now + 21000), "forward/none") << "the ninth was not kept";
    EXPECT_EQ(send(fresh[1], 0x10, now + 22000), "drop/tcp_no_flow") << "not the least recently seen went";
    for (uint32_t i = 2; i < 9; ++i) {
        EXPECT_EQ(send(fresh[i], 0x10, now + 23000), "forward/none") << "confirmed flow " << i << " lost";
    }
    // The other bucket confirmed whole, then an hour later (every timeout past) a new flow takes an
    // expired way and is kept: its ACK is forwarded.
    const std::vector<uint32_t>& kept = groups[1];
    for (uint32_t i = 0; i < 8; ++i) {
        ASSERT_EQ(send(kept[i], 0x02, now), "forward/none");
        ASSERT_EQ(send(kept[i], 0x10, now + 1000), "forward/none");
    }
    now += 3600ull * 1'000'000'000;
    ASSERT_EQ(send(kept[8], 0x02, now), "forward/none");
    EXPECT_EQ(send(kept[8], 0x10, now + 1000), "forward/none") << "the new flow was not kept in an expired way";
    EXPECT_EQ(x.program().flow_table_counters().evicted_confirmed, 1u) << "an expired flow counted as evicted";
}

// The flow tables' buckets start on a cache line: the kernel lays the values of an ARRAY made
// BPF_F_MMAPABLE from a page boundary, and those of a plain one from offsetof(struct bpf_array, value)
// (56 bytes into a line on 6.18), where every bucket's header (its lock, mask and tags) straddled two
// lines and a new flow paid a third miss (bench/RESULTS.md, "The flow table's buckets on their
// lines"). Read from the loaded maps' own flags, the shared table and each CPU's.
namespace {
struct MapSeen {
    std::string name;
    uint32_t flags = 0;
    uint32_t value_size = 0;
};

MapSeen map_of_id(uint32_t id)
{
    MapSeen m;
    const int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0) {
        return m;
    }
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
        m = {info.name, info.map_flags, info.value_size};
    }
    ::close(fd);
    return m;
}

// The maps the program uses, by name.
std::map<std::string, std::pair<uint32_t, MapSeen>> maps_of(int prog_fd)
{
    std::map<std::string, std::pair<uint32_t, MapSeen>> out;
    std::vector<uint32_t> ids(64);
    bpf_prog_info info{};
    info.nr_map_ids = static_cast<uint32_t>(ids.size());
    info.map_ids = reinterpret_cast<uint64_t>(ids.data());
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) {
        return out;
    }
    for (uint32_t i = 0; i < std::min<uint32_t>(info.nr_map_ids, static_cast<uint32_t>(ids.size())); ++i) {
        MapSeen m = map_of_id(ids[i]);
        out[m.name] = {ids[i], m};
    }
    return out;
}
} // namespace

TEST(FlowTable, BucketsStartOnACacheLine)
{
    static_assert(sizeof(vipd_flow_bucket) % 64 == 0, "a bucket is whole lines");
    for (const bool per_cpu : {false, true}) {
        SCOPED_TRACE(per_cpu ? "per-CPU tables" : "shared table");
        xdptest::XdpRunner x({}, 1024, per_cpu);
        ASSERT_EQ(x.error(), "");
        const auto maps = maps_of(x.program().full_prog_fd());
        ASSERT_TRUE(maps.contains("vipd_flows") && maps.contains("vipd_flows_cpu")) << maps.size() << " maps";
        const MapSeen& shared = maps.at("vipd_flows").second;
        EXPECT_EQ(shared.value_size, sizeof(vipd_flow_bucket));
        EXPECT_NE(shared.flags & BPF_F_MMAPABLE, 0u) << "the shared table's buckets start off their lines";
        if (per_cpu) {
            const int outer = bpf_map_get_fd_by_id(maps.at("vipd_flows_cpu").first);
            ASSERT_GE(outer, 0);
            uint32_t cpu = 0;
            uint32_t inner = 0;
            ASSERT_EQ(bpf_map_lookup_elem(outer, &cpu, &inner), 0) << std::strerror(errno);
            ::close(outer);
            const MapSeen mine = map_of_id(inner);
            EXPECT_EQ(mine.name, "vipd_cpu_flows");
            EXPECT_NE(mine.flags & BPF_F_MMAPABLE, 0u) << "CPU 0's table's buckets start off their lines";
        }
    }
}

// Per-CPU flow tables are each CPU's own: a connection made on one CPU is unknown on another (an ACK
// there is dropped as tcp_no_flow, rr keeping no stateless backend) and still known on its own; the
// shared tables know it on both. Needs two CPUs to run on.
TEST(FlowTiers, PerCpuTablesAreEachCpusOwn)
{
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &g_allowed)) {
            cpus.push_back(c);
        }
    }
    if (cpus.size() < 2) {
        GTEST_SKIP() << "this process may run on one CPU only: no second CPU to miss the flow on";
    }
    const uint32_t client = ip(10, 7, 0, 1);
    const auto frame = [&](uint8_t flags) {
        return golden::eth(golden::port_mac, golden::client_mac, 0x0800,
                           golden::ipv4({.src = client, .dst = golden::vip, .proto = 6},
                                        golden::tcp(client, golden::vip, 41000, 80, flags, 1)));
    };
    const auto outcome = [](const xdptest::Run& r) {
        return r.error.empty() ? std::string(pkt::to_string(static_cast<pkt::Verdict>(r.verdict))) + "/" +
                                     std::string(pkt::to_string(static_cast<pkt::DropReason>(r.reason)))
                               : r.error;
    };
    for (const bool per_cpu : {true, false}) {
        SCOPED_TRACE(per_cpu ? "per-CPU tables" : "shared tables");
        xdptest::XdpRunner x({}, 1024, per_cpu);
        ASSERT_EQ(x.error(), "");
        ASSERT_EQ(x.load(golden::setup()), "");
        x.set_cpu(cpus[0]);
        const uint64_t now = 1'000'000;
        const xdptest::Run syn = x.run_raw(frame(0x02), now);
        ASSERT_EQ(outcome(syn), "forward/none");
        const xdptest::Run ack = x.run_raw(frame(0x10), now + 1000);
        ASSERT_EQ(outcome(ack), "forward/none");
        ASSERT_GE(ack.out.size(), 6u);
        const golden::Bytes backend(ack.out.begin(), ack.out.begin() + 6);
        EXPECT_EQ(x.program().flows().kept, 1u);
        x.set_cpu(cpus[1]);
        const xdptest::Run there = x.run_raw(frame(0x10), now + 2000);
        if (per_cpu) {
            EXPECT_EQ(outcome(there), "drop/tcp_no_flow") << "CPU " << cpus[1] << " found CPU " << cpus[0] << "'s flow";
            EXPECT_EQ(x.program().flows_of_cpu(static_cast<uint32_t>(cpus[0])).kept, 1u);
            EXPECT_EQ(x.program().flows_of_cpu(static_cast<uint32_t>(cpus[1])).kept, 0u);
        } else {
            ASSERT_EQ(outcome(there), "forward/none");
            EXPECT_EQ(golden::Bytes(there.out.begin(), there.out.begin() + 6), backend);
        }
        x.set_cpu(cpus[0]);
        const xdptest::Run home = x.run_raw(frame(0x10), now + 3000);
        ASSERT_EQ(outcome(home), "forward/none");
        EXPECT_EQ(golden::Bytes(home.out.begin(), home.out.begin() + 6), backend);
    }
}

// The exception path's bound (MapWriter::kernel_rate, vipd --xdp-kernel-pps): at 1000 frames a
// second and a burst of 64, a VIP's closed port gets 64 frames passed to the kernel at one instant,
// the 65th dropped as exception_ring_full (still counted as decided for the kernel), and one more a
// millisecond later; the node's own traffic (to_local) is never held to it.
TEST(ExceptionPath, KernelRateBoundsWhatIsPassedNotTheNodesOwn)
{
    xdptest::XdpRunner x;
    ASSERT_EQ(x.error(), "");
    ASSERT_EQ(x.load(golden::setup()), "");
    ASSERT_EQ(x.program().maps().kernel_rate(1000), "");
    const auto closed = [](uint16_t sport) {
        return golden::eth(golden::port_mac, golden::client_mac, 0x0800,
                           golden::ipv4({.src = golden::client, .dst = golden::vip, .proto = 17},
                                        golden::udp(golden::client, golden::vip, sport, 9999, {1, 2, 3, 4})));
    };
    const auto own = [](uint16_t sport) {
        return golden::eth(golden::port_mac, golden::gw_mac, 0x0800,
                           golden::ipv4({.src = golden::gateway, .dst = golden::node_ip, .proto = 17},
                                        golden::udp(golden::gateway, golden::node_ip, sport, 9999, {1, 2, 3, 4})));
    };
    const uint64_t shed0 = x.program().drops()[VIPD_DROP_exception_ring_full];
    const uint64_t exc0 = x.program().verdicts()[VIPD_VERDICT_to_exception];
    const uint64_t t = 5'000'000'000;
    for (uint16_t i = 0; i < 64; ++i) {
        const xdptest::Run r = x.run_raw(closed(static_cast<uint16_t>(1000 + i)), t);
        ASSERT_EQ(r.error, "");
        ASSERT_EQ(r.verdict, VIPD_VERDICT_to_exception);
        ASSERT_EQ(r.action, XDP_PASS) << "frame " << i << " of the burst";
    }
    const xdptest::Run over = x.run_raw(closed(2000), t);
    EXPECT_EQ(over.verdict, VIPD_VERDICT_to_exception) << "decided as before";
    EXPECT_EQ(over.action, XDP_DROP) << "the 65th at the same instant";
    EXPECT_EQ(x.program().drops()[VIPD_DROP_exception_ring_full] - shed0, 1u);
    EXPECT_EQ(x.program().verdicts()[VIPD_VERDICT_to_exception] - exc0, 65u);
    for (uint16_t i = 0; i < 100; ++i) {
        const xdptest::Run r = x.run_raw(own(static_cast<uint16_t>(3000 + i)), t);
        ASSERT_EQ(r.verdict, VIPD_VERDICT_to_local);
        ASSERT_EQ(r.action, XDP_PASS) << "the node's own frame " << i;
    }
    EXPECT_EQ(x.run_raw(closed(2001), t + 1'000'000).action, XDP_PASS) << "a token a millisecond";
    EXPECT_EQ(x.run_raw(closed(2002), t + 1'000'000).action, XDP_DROP);
    ASSERT_EQ(x.program().maps().kernel_rate(0), "");
    EXPECT_EQ(x.run_raw(closed(2003), t + 1'000'000).action, XDP_PASS) << "0: no bound";
}

// The new-flow bound (vipd --new-flow-rate: MapWriter::new_flow_rate, pkt::Limits::new_flows_per_s),
// through the program and the C++ path side by side, on the same clock: at 1000 flows a second and a
// burst of vipd_new_flow_burst(1000) = 10, ten SYNs of new clients at one instant are forwarded and the
// eleventh is dropped as new_flow_rate, before any flow is made (its ACK then finds none); the flows
// made keep forwarding (a retransmitted SYN, an ACK: not new); a mid-flow segment that mh schedules
// without a flow (a connection a failover moved here) does not pay; a millisecond earns one more flow;
// a new UDP flow pays as a SYN does; 0 lifts the bound. Both paths give every frame the same verdict,
// reason and bytes.
TEST(NewFlowRate, BothPathsShedTheSameNewFlowsAndNoOldOnes)
{
    xdptest::XdpRunner x;
    ASSERT_EQ(x.error(), "");
    ASSERT_EQ(x.load(golden::setup()), "");
    ASSERT_EQ(x.program().maps().new_flow_rate(1000), "");
    ASSERT_EQ(vipd_new_flow_burst(1000), 10u);
    pkt::LcoreState lc(pkt::Limits{.flows = 1024, .services = 32, .backends = 16, .hz = 1000, .new_flows_per_s = 1000},
                       flow::Timeouts::ipvs_defaults(1000));
    const auto tcp = [](uint16_t sport, uint8_t flags, uint16_t dport = 80) {
        return golden::eth(golden::port_mac, golden::client_mac, 0x0800,
                           golden::ipv4({.src = golden::client, .dst = golden::vip, .proto = 6},
                                        golden::tcp(golden::client, golden::vip, sport, dport, flags, 1)));
    };
    const auto udp = [](uint16_t sport) {
        return golden::eth(golden::port_mac, golden::client_mac, 0x0800,
                           golden::ipv4({.src = golden::client, .dst = golden::vip, .proto = 17},
                                        golden::udp(golden::client, golden::vip, sport, 53, {1, 2, 3, 4})));
    };
    // One frame through both at `ms`; the program's outcome, checked equal to the C++ path's.
    const auto both = [&](const Bytes& frame, uint64_t ms) {
        constexpr uint32_t headroom = 128;
        Bytes cpp(headroom + frame.size(), 0);
        std::copy(frame.begin(), frame.end(), cpp.begin() + headroom);
        pkt::Frame f{.data = cpp.data() + headroom, .len = static_cast<uint32_t>(frame.size()), .headroom = headroom,
                     .port = 0, .hop = 0};
        const pkt::Result want = pkt::process(x.table(), lc, f, ms);
        const xdptest::Run got = x.run_raw(frame, ms * 1'000'000);
        EXPECT_EQ(got.error, "");
        EXPECT_EQ(got.verdict, static_cast<uint8_t>(want.verdict)) << pkt::to_string(want.verdict);
        EXPECT_EQ(got.reason, static_cast<uint8_t>(want.reason)) << pkt::to_string(want.reason);
        if (want.verdict == pkt::Verdict::forward) {
            EXPECT_EQ(got.out, Bytes(f.data, f.data + f.len));
        }
        return std::pair{got.verdict, got.reason};
    };
    const std::pair forwarded{static_cast<uint8_t>(VIPD_VERDICT_forward), static_cast<uint8_t>(VIPD_DROP_none)};
    const std::pair shed{static_cast<uint8_t>(VIPD_VERDICT_drop), static_cast<uint8_t>(VIPD_DROP_new_flow_rate)};
    const std::pair no_flow{static_cast<uint8_t>(VIPD_VERDICT_drop), static_cast<uint8_t>(VIPD_DROP_tcp_no_flow)};
    const uint64_t t = 5000;
    const uint64_t shed0 = x.program().drops()[VIPD_DROP_new_flow_rate];
    for (uint16_t i = 0; i < 10; ++i) {
        ASSERT_EQ(both(tcp(static_cast<uint16_t>(41000 + i), 0x02), t), forwarded) << "SYN " << i << " of the burst";
    }
    EXPECT_EQ(both(tcp(41010, 0x02), t), shed) << "the 11th new flow at the same instant";
    EXPECT_EQ(both(tcp(41010, 0x10), t), no_flow) << "the shed SYN made no flow";
    EXPECT_EQ(both(tcp(41003, 0x02), t), forwarded) << "a retransmitted SYN of a flow made: not new";
    EXPECT_EQ(both(tcp(41004, 0x10), t), forwarded) << "an ACK of a flow made";
    EXPECT_EQ(both(tcp(41020, 0x10, 9006), t), forwarded) << "mh: a mid-flow ACK of no flow here does not pay";
    EXPECT_EQ(both(tcp(41021, 0x02, 9006), t), shed) << "mh: a SYN does";
    EXPECT_EQ(x.program().drops()[VIPD_DROP_new_flow_rate] - shed0, 2u) << "the 11th SYN and mh's";
    EXPECT_EQ(both(tcp(41011, 0x02), t + 1), forwarded) << "a token a millisecond";
    EXPECT_EQ(both(udp(5000), t + 1), shed) << "a new UDP flow pays as a SYN";
    EXPECT_EQ(both(udp(5000), t + 2), forwarded);
    EXPECT_EQ(both(udp(5000), t + 2), forwarded) << "then it is a flow";
    ASSERT_EQ(x.program().maps().new_flow_rate(0), "");
    for (uint16_t i = 0; i < 20; ++i) {
        const Bytes syn = tcp(static_cast<uint16_t>(42000 + i), 0x02);
        EXPECT_EQ(x.run_raw(syn, (t + 2) * 1'000'000).verdict, VIPD_VERDICT_forward) << "0: no bound, SYN " << i;
    }
}

// mh (the Maglev entry of the client address's mix32) and sh (the hash_32 bucket) choose what
// sched::pick chooses, for many clients, with ACKs for no flow (which these schedulers schedule).
TEST(StatelessSchedulers, PickAsTheCxx)
{
    ASSERT_EQ(loaded().error, "");
    xdptest::XdpRunner& x = loaded().runner;
    uint32_t si_mh = 0;
    uint32_t si_sh = 0;
    const fwd::Service* mh = x.table().find_service(net(ip(10, 0, 0, 100)), 6, wire::net16(9006), &si_mh);
    const fwd::Service* sh = x.table().find_service(net(ip(10, 0, 0, 100)), 6, wire::net16(9005), &si_sh);
    ASSERT_NE(mh, nullptr);
    ASSERT_NE(sh, nullptr);
    sched::Lcore state(16);
    std::mt19937 rng(7);
    std::set<golden::Mac> seen;
    for (int i = 0; i < 400; ++i) {
        const uint32_t client = ip(10, static_cast<uint8_t>(1 + rng() % 200), static_cast<uint8_t>(rng() % 256),
                                   static_cast<uint8_t>(1 + rng() % 254));
        for (const auto& [svc, port] : {std::pair{mh, uint16_t{9006}}, std::pair{sh, uint16_t{9005}}}) {
            const Bytes in = golden::eth(golden::port_mac, golden::client_mac, 0x0800,
                                         golden::ipv4({.src = client, .dst = golden::vip, .proto = 6},
                                                      golden::tcp(client, golden::vip, 41000, port, 0x10, 5)));
            const int32_t b = sched::pick(svc->sched, state, 0, client);
            ASSERT_GE(b, 0);
            const xdptest::Run r = x.run_raw(in, 1);
            ASSERT_EQ(r.error, "");
            ASSERT_EQ(r.verdict, VIPD_VERDICT_forward) << "client " << client;
            const golden::Mac want = x.table().hop(svc == mh ? si_mh : si_sh, static_cast<uint32_t>(b)).mac;
            golden::Mac got{};
            std::memcpy(got.data(), r.out.data(), 6);
            ASSERT_EQ(got, want) << "port " << port << " client " << client;
            seen.insert(got);
        }
    }
    EXPECT_EQ(seen.size(), 2u) << "both backends chosen by some client";
}

}  // namespace

int main(int argc, char** argv)
{
    // Skipped only where the kernel refuses bpf() itself; any other failure is a failure.
    const int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "vipd_probe", 4, 4, 1, nullptr);
    if (fd < 0 && errno == EPERM) {
        std::fprintf(stderr, "SKIP: bpf() refused with EPERM (needs root or CAP_BPF + CAP_NET_ADMIN)\n");
        return 77;
    }
    if (fd >= 0) {
        close(fd);
    }
    // One CPU for the whole run: the program's rr/wrr cursors are per CPU, as an lcore's are. The
    // CPUs the process could use are kept for the tests that run frames on two.
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0) {
        g_allowed = cpus;
        for (int c = 0; c < CPU_SETSIZE; ++c) {
            if (CPU_ISSET(c, &cpus)) {
                CPU_ZERO(&cpus);
                CPU_SET(c, &cpus);
                sched_setaffinity(0, sizeof(cpus), &cpus);
                break;
            }
        }
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}

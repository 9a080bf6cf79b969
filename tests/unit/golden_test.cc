// The golden contract on every machine, without DPDK: every fixture through the plain packet path
// (pkt::process on byte buffers) as GoldenPlain, and again as a runner that can do nothing optional
// (GoldenPlainMinimal: what an XDP program without flow state or ICMP must already pass, the rest
// skipped by name); the fixtures' own consistency (GoldenContract), their coverage of every drop
// reason and scheduler (GoldenCoverage), the setup read from its keepalived.conf (GoldenSetup), and
// the pcap files a failure leaves (GoldenPcap).
#include "dataplane/dpdk/datapath/pkt/process.h"
#include "tests/golden/config.h"
#include "tests/golden/fixtures.h"
#include "tests/golden/pcap.h"
#include "tests/golden/pkt_outcome.h"
#include "tests/golden/runner.h"
#include "tests/golden/setup.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace {

using golden::Bytes;
namespace cap = golden::cap;

/// pkt::process on a byte buffer with an mbuf's headroom (TUN prepends its header there), one
/// lcore's state, the clock in ms.
class PlainRunner : public golden::Runner {
public:
    explicit PlainRunner(golden::Caps caps = cap::all, std::string_view name = "plain") : _caps(caps), _name(name) {}
    std::string_view name() const override { return _name; }
    golden::Caps caps() const override { return _caps; }
    std::string load(const golden::Setup& setup) override
    {
        fwd::BuildResult b = golden::build_table(setup.config, setup.node);
        if (!b.table) {
            return b.error;
        }
        if (!b.skipped.empty()) {
            return "not served: " + b.skipped.front();
        }
        _table = std::move(b.table);
        return {};
    }
    void reset() override
    {
        _lc = std::make_unique<pkt::LcoreState>(pkt::Limits{.flows = 1024, .services = 32, .backends = 16},
                                                flow::Timeouts::ipvs_defaults(1000));
    }
    golden::Outcome run(const Bytes& frame, uint64_t now_ms) override
    {
        constexpr uint32_t headroom = 128;
        Bytes buf(headroom, 0);
        buf.insert(buf.end(), frame.begin(), frame.end());
        pkt::Frame f{.data = buf.data() + headroom, .len = static_cast<uint32_t>(frame.size()), .headroom = headroom,
                     .port = 0, .hop = 0};
        const pkt::Result r = pkt::process(*_table, *_lc, f, now_ms);
        golden::Outcome o = golden::outcome_of(r.verdict, r.reason);
        if (o.verdict != golden::Verdict::drop) {
            o.frame.assign(f.data, f.data + f.len);
            o.port = r.port;
        }
        return o;
    }

private:
    golden::Caps _caps;
    std::string_view _name;
    std::unique_ptr<const fwd::Table> _table;
    std::unique_ptr<pkt::LcoreState> _lc;
};

// One runner per suite, loaded once: a failed load fails every fixture with its reason.
struct Loaded {
    Loaded(golden::Caps caps, std::string_view name) : runner(caps, name), error(runner.load(golden::setup())) {}
    PlainRunner runner;
    std::string error;
};

void expect_passes(golden::Runner& runner, const std::string& load_error, const golden::Fixture& f)
{
    ASSERT_EQ(load_error, "") << "the golden setup does not load";
    const golden::Report r = golden::check(runner, f);
    if (r.skipped) {
        GTEST_SKIP() << r.message;
    }
    if (!r.message.empty()) {
        ADD_FAILURE() << r.message;
    }
}

std::string fixture_name(const testing::TestParamInfo<golden::Fixture>& info) { return info.param.name; }

class GoldenPlain : public testing::TestWithParam<golden::Fixture> {};
TEST_P(GoldenPlain, Fixture)
{
    static Loaded plain(cap::all, "plain");
    expect_passes(plain.runner, plain.error, GetParam());
}
INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenPlain, testing::ValuesIn(golden::fixtures()), fixture_name);

class GoldenPlainMinimal : public testing::TestWithParam<golden::Fixture> {};
TEST_P(GoldenPlainMinimal, Fixture)
{
    static Loaded minimal(0, "plain_minimal");
    expect_passes(minimal.runner, minimal.error, GetParam());
}
INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenPlainMinimal, testing::ValuesIn(golden::fixtures()), fixture_name);

// A dataplane that gets the DR rewrite wrong (the destination MAC's last byte): check() must fail the
// fixture, write its frames to a pcap and say where.
class BrokenRunner : public PlainRunner {
public:
    BrokenRunner() : PlainRunner(cap::all, "broken") {}
    golden::Outcome run(const Bytes& frame, uint64_t now_ms) override
    {
        golden::Outcome o = PlainRunner::run(frame, now_ms);
        if (o.verdict == golden::Verdict::forward) {
            o.frame[5] ^= 0x01;
        }
        return o;
    }
};

const golden::Fixture& named(const std::vector<golden::Fixture>& all, std::string_view name)
{
    for (const golden::Fixture& f : all) {
        if (f.name == name) {
            return f;
        }
    }
    ADD_FAILURE() << "no fixture " << name;
    return all.front();
}

TEST(GoldenPcap, RoundTrip)
{
    const std::vector<golden::pcap::Record> records = {
        {.sec = 1, .usec = 2, .frame = Bytes{1, 2, 3}},
        {.sec = 0, .usec = 999999, .frame = {}},
        {.sec = 4000000000u, .usec = 0, .frame = Bytes(1514, 0x5a)},
    };
    const std::string path = golden::pcap_dir() + "/golden-roundtrip.pcap";
    ASSERT_EQ(golden::pcap::write(path, records), "");
    std::string error;
    const auto back = golden::pcap::read(path, error);
    ASSERT_TRUE(back) << error;
    ASSERT_EQ(back->size(), records.size());
    for (size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ((*back)[i].sec, records[i].sec) << i;
        EXPECT_EQ((*back)[i].usec, records[i].usec) << i;
        EXPECT_EQ((*back)[i].frame, records[i].frame) << i;
    }
    std::remove(path.c_str());
}

// tcpdump on a big-endian host writes its own byte order, and nanosecond captures another magic.
TEST(GoldenPcap, ReadsTheOtherByteOrderAndNanoseconds)
{
    const Bytes file = {0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1,
                        0, 0, 0, 7, 0, 0, 0x03, 0xe8, 0, 0, 0, 2, 0, 0, 0, 2, 0xab, 0xcd};
    const std::string path = golden::pcap_dir() + "/golden-bigendian.pcap";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(file.data(), 1, file.size(), f), file.size());
    std::fclose(f);
    std::string error;
    const auto back = golden::pcap::read(path, error);
    ASSERT_TRUE(back) << error;
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0].sec, 7u);
    EXPECT_EQ((*back)[0].usec, 1u) << "1000 ns";
    EXPECT_EQ((*back)[0].frame, (Bytes{0xab, 0xcd}));
    // Cut short: the frame runs past the end.
    f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(file.data(), 1, file.size() - 1, f), file.size() - 1);
    std::fclose(f);
    EXPECT_FALSE(golden::pcap::read(path, error));
    EXPECT_NE(error.find("past the end"), std::string::npos) << error;
    std::remove(path.c_str());
}

TEST(GoldenPcap, AFailingFixtureLeavesItsFramesInAPcap)
{
    BrokenRunner broken;
    ASSERT_EQ(broken.load(golden::setup()), "");
    const std::vector<golden::Fixture> all = golden::fixtures();
    const golden::Fixture& f = named(all, "dr_flow_hit");
    const golden::Report r = golden::check(broken, f);
    EXPECT_FALSE(r.skipped);
    ASSERT_NE(r.message, "") << "a wrong MAC must fail the fixture";
    EXPECT_NE(r.message.find("first difference at byte 5"), std::string::npos) << r.message;
    ASSERT_NE(r.pcap, "");
    EXPECT_NE(r.message.find(r.pcap), std::string::npos) << "the message names the pcap";
    std::string error;
    const auto back = golden::pcap::read(r.pcap, error);
    ASSERT_TRUE(back) << error;
    ASSERT_EQ(back->size(), 6u) << "per step: input, expected, actual";
    for (size_t s = 0; s < 2; ++s) {
        EXPECT_EQ((*back)[3 * s].frame, f.steps[s].input);
        EXPECT_EQ((*back)[3 * s + 1].frame, f.steps[s].output);
        EXPECT_NE((*back)[3 * s + 2].frame, f.steps[s].output);
        EXPECT_EQ((*back)[3 * s + 2].frame.size(), f.steps[s].output.size());
    }
    EXPECT_LT((*back)[0].usec, (*back)[3].usec) << "the steps' instants, in order";
    std::remove(r.pcap.c_str());
}

TEST(GoldenSetup, TheKeepalivedConfReadsCleanAndEveryServiceIsServed)
{
    const conf::Loaded l = golden::load();
    std::vector<std::string> complaints;
    for (const conf::Diagnostic& d : l.diags.all()) {
        if (d.severity != conf::Severity::note) {
            complaints.push_back(l.diags.format(d));
        }
    }
    // Only keepalived's own warning that every real server of :84 has weight 0 (on purpose: no_backend).
    ASSERT_EQ(complaints.size(), 1u) << complaints.front();
    EXPECT_NE(complaints[0].find("warning: Warning - quorum 1 for [10.0.0.100]:tcp:84 exceeds total weight of real "
                                 "servers 0"),
              std::string::npos)
        << complaints[0];
    const conf::Config c = golden::config();
    EXPECT_EQ(c.instances.size(), 2u);
    EXPECT_EQ(c.virtual_servers.size(), 20u);
    const fwd::BuildResult b = golden::build_table(c, golden::node());
    ASSERT_TRUE(b.table) << b.error;
    EXPECT_TRUE(b.skipped.empty());
    EXPECT_EQ(b.table->services().size(), c.virtual_servers.size());
    EXPECT_NE(golden::keepalived_conf().find("virtual_server 10.0.0.100 8443 {\n    lb_algo rr\n    lb_kind DR\n    protocol "
                                             "TCP\n    persistence_timeout 300\n"),
              std::string_view::npos);
}

// Names are test names and file names; each begins with its feature.
TEST(GoldenContract, NamesAreUniqueAndFileSafe)
{
    std::set<std::string> seen;
    for (const golden::Fixture& f : golden::fixtures()) {
        EXPECT_TRUE(seen.insert(f.name).second) << "two fixtures named " << f.name;
        EXPECT_EQ(f.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos) << f.name;
        const std::string feature = f.name.substr(0, f.name.find('_'));
        EXPECT_TRUE(std::set<std::string>({"arp", "dr", "nat", "tun", "icmp", "frag", "sched", "pass", "drops"}).contains(feature))
            << f.name;
        EXPECT_FALSE(f.steps.empty()) << f.name;
    }
    EXPECT_GE(seen.size(), 80u);
}

// Each step says exactly one outcome; the needs a fixture declares agree with its steps.
TEST(GoldenContract, StepsAndNeedsAgree)
{
    for (const golden::Fixture& f : golden::fixtures()) {
        SCOPED_TRACE(f.name);
        EXPECT_EQ(f.needs & cap::pass_target, 0u) << "pass_target refines checks, it is never needed";
        EXPECT_EQ(f.needs & ~cap::all, 0u);
        EXPECT_EQ((f.needs & cap::multi_step) != 0, f.steps.size() > 1);
        if (f.steps.size() == 1) {
            EXPECT_EQ(f.needs & (cap::flow_state | cap::sched_state), 0u) << "one frame carries no state";
        }
        EXPECT_EQ((f.needs & cap::tun) != 0, f.name.starts_with("tun_"));
        for (const golden::Step& s : f.steps) {
            SCOPED_TRACE(s.what);
            const bool sends = s.verdict == golden::Verdict::forward || s.verdict == golden::Verdict::reply ||
                               s.verdict == golden::Verdict::solicit;
            EXPECT_EQ(!s.output.empty(), sends);
            EXPECT_EQ(s.reason != golden::Reason::none, s.verdict == golden::Verdict::drop);
            EXPECT_EQ(s.to != golden::Handover::any, s.verdict == golden::Verdict::pass);
            EXPECT_FALSE(s.input.empty());
        }
    }
}

// A runner's own reason to skip (a service it does not load yet) is a visible skip too, and the
// fixture is not run.
TEST(GoldenContract, ARunnersOwnSkipIsReported)
{
    struct NoLc : BrokenRunner {
        std::string cannot(const golden::Fixture& f) const override
        {
            return f.name == "sched_lc" ? "lc is not loaded yet" : "";
        }
    } runner;
    ASSERT_EQ(runner.load(golden::setup()), "");
    const std::vector<golden::Fixture> all = golden::fixtures();
    const golden::Report r = golden::check(runner, named(all, "sched_lc"));
    EXPECT_TRUE(r.skipped);
    EXPECT_EQ(r.message, "sched_lc: lc is not loaded yet (the broken runner)");
    const golden::Report ran = golden::check(runner, named(all, "sched_wlc"));
    EXPECT_FALSE(ran.message.empty()) << "run, and broken";
    std::remove(ran.pcap.c_str());
}

// The drop reasons no frame through pkt::process can produce, and where each is tested instead.
const std::map<golden::Reason, std::string_view>& not_from_process()
{
    using R = golden::Reason;
    static const std::map<R, std::string_view> m = {
        {R::none, "not a drop"},
        {R::kind_unsupported, "unreachable: DR, NAT and TUN (every conf::LbKind) are implemented"},
        {R::no_table, "the lcore loop before a table is published: LcoreDrops.NoTablePublished (tests/dataplane)"},
        {R::control_ring_full, "the lcore loop's hand-over: LcoreDrops.HandOverRingsFull (tests/dataplane)"},
        {R::exception_ring_full, "the lcore loop's hand-over: LcoreDrops.HandOverRingsFull (tests/dataplane)"},
        {R::tx_full, "the lcore loop's TX burst: LcoreDrops.TxQueueFull (tests/dataplane)"},
        {R::redirect_ring_full, "the lcore loop's redirect: LcoreDrops.RedirectRingFull (tests/dataplane)"},
        {R::vrrp_ring_full, "the lcore loop's VRRP hand-over: LcoreDrops.VrrpHasItsOwnRing (tests/dataplane)"},
        {R::local_ring_full, "the lcore loop's hand-over of the node's own traffic: LcoreDrops.NodeTrafficHasItsOwnRing (tests/dataplane)"},
        {R::new_flow_rate, "off in the golden setup (every fixture would share the bucket): the bound through both paths "
                           "side by side, NewFlowRate.BothPathsShedTheSameNewFlowsAndNoOldOnes (tests/bpf)"},
    };
    return m;
}

// README: the golden table covers every drop reason. A reason appended to verdicts.h without a
// fixture (or without a name) fails here.
TEST(GoldenCoverage, EveryDropReasonHasAFixture)
{
    std::set<golden::Reason> seen;
    for (const golden::Fixture& f : golden::fixtures()) {
        for (const golden::Step& s : f.steps) {
            if (s.verdict == golden::Verdict::drop) {
                seen.insert(s.reason);
            }
        }
    }
    for (unsigned i = 0; i < golden::reason_count; ++i) {
        const auto r = static_cast<golden::Reason>(i);
        EXPECT_NE(golden::to_string(r), "?") << "drop reason " << i << " has no name";
        EXPECT_EQ(golden::to_string(r), pkt::to_string(static_cast<pkt::DropReason>(i)));
        if (const auto it = not_from_process().find(r); it != not_from_process().end()) {
            std::printf("not a golden fixture: %s (%s)\n", std::string(golden::to_string(r)).c_str(),
                        std::string(it->second).c_str());
            continue;
        }
        EXPECT_TRUE(seen.contains(r)) << "no golden fixture drops with " << golden::to_string(r);
    }
    EXPECT_EQ(golden::to_string(static_cast<golden::Reason>(golden::reason_count)), "?")
        << "reason_count is behind the enum";
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
            for (const golden::Step& s : f.steps) {
                const Bytes& p = s.input;
                if (s.verdict != golden::Verdict::forward || p.size() < 14 + 20 + 4 || p[12] != 0x08 || p[13] != 0x00 ||
                    (p[14 + 9] != 6 && p[14 + 9] != 17) || p[14] != 0x45) {
                    continue;
                }
                const uint32_t dst = uint32_t{p[30]} << 24 | uint32_t{p[31]} << 16 | uint32_t{p[32]} << 8 | p[33];
                const auto dport = static_cast<uint16_t>(p[14 + 20 + 2] << 8 | p[14 + 20 + 3]);
                forwarded = forwarded || (dst == golden::vip && ports.contains(dport));
            }
        }
        EXPECT_TRUE(forwarded) << "no golden fixture forwards through a " << sched::to_string(algo) << " service";
    }
    EXPECT_GE(implemented, 10) << "rr wrr lc wlc sh mh sed nq fo ovf at least";
}

}  // namespace

// The DPDK dataplane in-process: an EAL without hugepages or PCI, ring-backed ports, the golden
// contract through the real lcore loop (GoldenDpdk: mbufs in, mbufs out, the lcore's own counters),
// what only the lcore loop does (full rings, redirects between lcores), and an RCU publish/forward
// stress test in the manner of DPDK's app/test/test_rcu_qsbr.c.
#include "conf/model.h"
#include "dataplane/dpdk/datapath/publisher.h"
#include "dataplane/dpdk/datapath/worker.h"
#include "dataplane/wire/headers.h"
#include "tests/golden/config.h"
#include "tests/golden/fixtures.h"
#include "tests/golden/pkt_outcome.h"
#include "tests/golden/runner.h"
#include "tests/golden/setup.h"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

rte_mempool* g_pool = nullptr;

struct RingPort {
    rte_ring* rx = nullptr;  // the test enqueues here: the port receives it
    rte_ring* tx = nullptr;  // the port sends here: the test dequeues
    uint16_t id = 0;
};

RingPort make_port(const std::string& name)
{
    RingPort p;
    p.rx = rte_ring_create((name + "_rx").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    p.tx = rte_ring_create((name + "_tx").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    EXPECT_NE(p.rx, nullptr);
    EXPECT_NE(p.tx, nullptr);
    const int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, 0);
    EXPECT_GE(id, 0);
    p.id = static_cast<uint16_t>(id);
    rte_eth_conf conf{};
    EXPECT_EQ(rte_eth_dev_configure(p.id, 1, 1, &conf), 0);
    EXPECT_EQ(rte_eth_rx_queue_setup(p.id, 0, 512, 0, nullptr, g_pool), 0);
    EXPECT_EQ(rte_eth_tx_queue_setup(p.id, 0, 512, 0, nullptr), 0);
    EXPECT_EQ(rte_eth_dev_start(p.id), 0);
    return p;
}

// The golden table with the golden node's port at `port` (a ring port's id).
std::unique_ptr<const fwd::Table> golden_table(uint16_t port, uint64_t generation = 0)
{
    fwd::BuildResult r = golden::build_table(golden::config(), golden::node(), {.port = port, .generation = generation});
    EXPECT_TRUE(r.table) << r.error;
    return std::move(r.table);
}

constexpr pkt::Limits limits{.flows = 1024, .services = 32, .backends = 16};

rte_mbuf* mbuf_of(const golden::Bytes& b)
{
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    if (m == nullptr) {
        return nullptr;
    }
    char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(b.size()));
    if (d == nullptr && !b.empty()) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    if (!b.empty()) {
        std::memcpy(d, b.data(), b.size());
    }
    return m;
}

golden::Bytes bytes_of(const rte_mbuf* m)
{
    const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
    return {d, d + rte_pktmbuf_data_len(m)};
}

// The golden port, made once (by whichever test needs it first).
RingPort& golden_port()
{
    static RingPort p = make_port("golden0");
    return p;
}

// A frame that leaves an lcore's loop on a ring: taken off it, its bytes, the mbuf freed.
bool take(rte_ring* ring, golden::Bytes& out)
{
    void* m = nullptr;
    if (rte_ring_dequeue(ring, &m) != 0) {
        return false;
    }
    out = bytes_of(static_cast<rte_mbuf*>(m));
    rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    return true;
}

// The golden contract's runner over the real lcore loop: one lcore::Worker (fresh for each fixture)
// polling the golden ring port, its control and exception rings; a frame in on the port's RX ring,
// one poll_once, and what came out on the TX ring or a hand-over ring. The verdict and the drop
// reason are the lcore's own counters, so the runner sees what the node's statistics would count.
class DpdkRunner : public golden::Runner {
public:
    explicit DpdkRunner(RingPort& port)
        : _port(port), _vrrp(rte_ring_create("golden_vrrp", 64, 0, RING_F_SC_DEQ)),
          _ctl(rte_ring_create("golden_ctl", 64, 0, RING_F_SC_DEQ)), _exc(rte_ring_create("golden_exc", 64, 0, RING_F_SC_DEQ)),
          _local(rte_ring_create("golden_local", 64, 0, RING_F_SC_DEQ))
    {
    }
    ~DpdkRunner() override
    {
        if (_worker) {
            _worker->offline();
        }
        _worker.reset();
        rte_ring_free(_vrrp);
        rte_ring_free(_ctl);
        rte_ring_free(_exc);
        rte_ring_free(_local);
    }
    DpdkRunner(const DpdkRunner&) = delete;
    DpdkRunner& operator=(const DpdkRunner&) = delete;

    std::string_view name() const override { return "dpdk"; }
    golden::Caps caps() const override { return golden::cap::all; }
    std::string load(const golden::Setup& setup) override
    {
        if (_vrrp == nullptr || _ctl == nullptr || _exc == nullptr || _local == nullptr) {
            return "no hand-over rings";
        }
        fwd::BuildResult b = golden::build_table(setup.config, setup.node, {.port = _port.id});
        if (!b.table) {
            return b.error;
        }
        if (!b.skipped.empty()) {
            return "not served: " + b.skipped.front();
        }
        _publisher.publish(std::move(b.table));
        return {};
    }
    void reset() override
    {
        if (_worker) {
            _worker->offline();
        }
        _worker.reset();
        _worker = std::make_unique<lcore::Worker>(
            lcore::Config{.ports = {_port.id}, .queue = 0, .to_vrrp = _vrrp, .to_control = _ctl, .to_exception = _exc,
                          .to_local = _local, .publisher = &_publisher, .reader_id = 0},
            limits, flow::Timeouts::ipvs_defaults(1000));
        _worker->online();
    }
    golden::Outcome run(const golden::Bytes& frame, uint64_t now_ms) override
    {
        const pkt::Counters before = _worker->counters();
        rte_mbuf* m = mbuf_of(frame);
        if (m == nullptr || rte_ring_enqueue(_port.rx, m) != 0) {
            golden::Outcome o;
            o.error = "could not put the frame on the port's RX ring";
            return o;
        }
        const uint32_t handled = _worker->poll_once(now_ms);
        golden::Bytes sent;
        golden::Bytes to_vrrp;
        golden::Bytes to_ctl;
        golden::Bytes to_exc;
        golden::Bytes to_local;
        const bool on_tx = take(_port.tx, sent);
        const bool on_vrrp = take(_vrrp, to_vrrp);
        const bool on_ctl = take(_ctl, to_ctl);
        const bool on_exc = take(_exc, to_exc);
        const bool on_local = take(_local, to_local);

        // Exactly one verdict counted, and for a drop exactly one reason.
        const pkt::Counters& after = _worker->counters();
        std::string error;
        auto v = pkt::Verdict::drop;
        unsigned counted = 0;
        for (unsigned i = 0; i < pkt::verdict_count; ++i) {
            if (after.verdicts[i] != before.verdicts[i]) {
                v = static_cast<pkt::Verdict>(i);
                counted += static_cast<unsigned>(after.verdicts[i] - before.verdicts[i]);
            }
        }
        auto r = pkt::DropReason::none;
        for (unsigned i = 0; i < pkt::drop_reason_count; ++i) {
            if (after.drops[i] != before.drops[i]) {
                r = static_cast<pkt::DropReason>(i);
            }
        }
        golden::Outcome o = golden::outcome_of(v, r);
        if (handled != 1 || counted != 1 || pkt::Counters::read(after.rx) != pkt::Counters::read(before.rx) + 1) {
            error += "the lcore handled " + std::to_string(handled) + " frames and counted " + std::to_string(counted) +
                     " verdicts; ";
        }
        const bool sends = o.verdict == golden::Verdict::forward || o.verdict == golden::Verdict::reply ||
                           o.verdict == golden::Verdict::solicit;
        if (on_tx != sends || on_vrrp != (v == pkt::Verdict::to_vrrp) || on_ctl != (v == pkt::Verdict::to_control) ||
            on_exc != (v == pkt::Verdict::to_exception) || on_local != (v == pkt::Verdict::to_local)) {
            error += std::string("counted ") + std::string(pkt::to_string(v)) + " but the frame went to" +
                     (on_tx ? " TX" : "") + (on_vrrp ? " VRRP" : "") + (on_ctl ? " control" : "") +
                     (on_exc ? " the exception path" : "") + (on_local ? " the node's own path" : "") +
                     (on_tx || on_vrrp || on_ctl || on_exc || on_local ? "" : " nowhere") + "; ";
        }
        o.frame = on_tx ? sent : on_vrrp ? to_vrrp : on_ctl ? to_ctl : on_exc ? to_exc : on_local ? to_local : golden::Bytes{};
        o.error += error;
        return o;
    }

private:
    RingPort& _port;
    rte_ring* _vrrp;
    rte_ring* _ctl;
    rte_ring* _exc;
    rte_ring* _local;
    fwd::Publisher _publisher{1};
    std::unique_ptr<lcore::Worker> _worker;
};

// Made by the first golden test, loaded once, destroyed by main() before the EAL is cleaned up.
std::unique_ptr<DpdkRunner> g_golden;
std::string g_golden_error;

class GoldenDpdk : public testing::TestWithParam<golden::Fixture> {};
TEST_P(GoldenDpdk, Fixture)
{
    if (!g_golden) {
        g_golden = std::make_unique<DpdkRunner>(golden_port());
        g_golden_error = g_golden->load(golden::setup());
    }
    ASSERT_EQ(g_golden_error, "") << "the golden setup does not load";
    const golden::Report r = golden::check(*g_golden, GetParam());
    if (r.skipped) {
        GTEST_SKIP() << r.message;
    }
    if (!r.message.empty()) {
        ADD_FAILURE() << r.message;
    }
}
INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenDpdk, testing::ValuesIn(golden::fixtures()),
                         [](const testing::TestParamInfo<golden::Fixture>& info) { return info.param.name; });

TEST(LcoreDrops, NoTablePublished)
{
    RingPort& port = golden_port();
    fwd::Publisher publisher(1);
    lcore::Worker worker({.ports = {port.id}, .publisher = &publisher, .reader_id = 0}, limits,
                         flow::Timeouts::ipvs_defaults(1000));
    worker.online();
    rte_mbuf* m = mbuf_of(golden::fixtures().front().steps.front().input);
    ASSERT_EQ(rte_ring_enqueue(port.rx, m), 0);
    EXPECT_EQ(worker.poll_once(1), 1);
    EXPECT_EQ(worker.counters().drop_count(pkt::DropReason::no_table), 1u);
    EXPECT_EQ(rte_ring_count(port.tx), 0u);
    worker.offline();
}

// The first step of a one-step fixture with this outcome.
const golden::Step& first_step(const std::vector<golden::Fixture>& all, golden::Verdict v,
                               golden::Handover to = golden::Handover::any)
{
    for (const golden::Fixture& f : all) {
        if (f.steps.size() == 1 && f.steps[0].verdict == v && f.steps[0].to == to) {
            return f.steps[0];
        }
    }
    ADD_FAILURE() << "no one-step fixture " << golden::to_string(v) << " " << golden::to_string(to);
    return all.front().steps.front();
}

// A reader lcore forwards a steady stream while the control thread publishes new tables thousands of
// times (each freed after its grace period): every frame comes out, forwarded by a live table. Under
// ASan a reader touching a freed table fails the run.
TEST(RcuDpdk, PublishWhileForwarding)
{
    RingPort port = make_port("rcu0");
    fwd::Publisher publisher(2);
    // The golden SYN to 10.0.0.100:80, with the golden node's port at this ring port's id.
    const conf::Config config = golden::config();
    auto table_for = [&](uint64_t gen) {
        fwd::BuildResult r = golden::build_table(config, golden::node(), {.port = port.id, .generation = gen});
        return std::move(r.table);
    };
    publisher.publish(table_for(0));
    publisher.publish(table_for(1));

    lcore::Worker worker({.ports = {port.id}, .publisher = &publisher, .reader_id = 1, .idle_polls = 1024,
                          .idle_sleep_us = 20},
                         limits, flow::Timeouts::ipvs_defaults(1000000000));
    std::atomic<bool> stop{false};
    std::thread reader([&] { worker.run(stop); });
    struct Join {
        std::atomic<bool>& stop;
        std::thread& t;
        ~Join()
        {
            stop.store(true, std::memory_order_release);
            t.join();
        }
    } join{stop, reader};
    golden::Step syn;
    for (const golden::Fixture& f : golden::fixtures()) {
        if (f.name == "dr_syn") {
            syn = f.steps.front();
        }
    }
    ASSERT_EQ(syn.verdict, golden::Verdict::forward);
    constexpr int publishes = 3000;
    constexpr int per_publish = 2;
    uint64_t sent = 0;
    uint64_t received = 0;
    auto drain = [&] {
        void* objs[64];
        const unsigned n = rte_ring_dequeue_burst(port.tx, objs, 64, nullptr);
        for (unsigned i = 0; i < n; ++i) {
            auto* m = static_cast<rte_mbuf*>(objs[i]);
            const golden::Bytes b = bytes_of(m);
            EXPECT_EQ(b, syn.output) << "forwarded to web1 by a live table";
            rte_pktmbuf_free(m);
        }
        received += n;
    };
    for (int i = 0; i < publishes; ++i) {
        for (int k = 0; k < per_publish; ++k) {
            rte_mbuf* m = mbuf_of(syn.input);
            ASSERT_NE(m, nullptr);
            ASSERT_EQ(rte_ring_enqueue(port.rx, m), 0)
                << "rx " << pkt::Counters::read(worker.counters().rx) << " received " << received << " at " << i;
            ++sent;
        }
        publisher.publish(table_for(2 + static_cast<uint64_t>(i)));
        drain();
        // Back-pressure: the reader may be asleep (offline) on this shared machine; keep at most a
        // ring's worth in flight, waiting on the frames themselves rather than on time.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (sent - received > 256) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the reader stopped forwarding";
            std::this_thread::yield();
            drain();
        }
    }
    for (int spin = 0; received < sent && spin < 20000; ++spin) {
        drain();
        std::this_thread::yield();
    }
    stop.store(true, std::memory_order_release);
    drain();
    EXPECT_EQ(received, sent);
    EXPECT_EQ(worker.counters().verdict_count_of(pkt::Verdict::drop), 0u);
    EXPECT_EQ(publisher.current()->generation(), 1u + publishes);
}

// NAT replies land on whichever lcore RSS picks for the backend→client tuple; the flow lives on the
// lcore RSS picked for client→VIP. Two workers on one two-queue ring port; the test plays the NIC,
// putting each client packet on the queue Toeplitz picks and each reply on the OTHER queue. web1:80
// serves two NAT services, so a reply that did not find its flow would be dropped (nat_no_flow):
// every translated reply proves the owner lcore's flow table was consulted.
TEST(NatDpdk, RepliesFindTheirFlowOnAnotherLcore)
{
    rte_ring* rx[2];
    rte_ring* tx[2];
    rte_ring* redirect[2];
    for (int q = 0; q < 2; ++q) {
        const std::string n = std::to_string(q);
        rx[q] = rte_ring_create(("nat_rx" + n).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        tx[q] = rte_ring_create(("nat_tx" + n).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        redirect[q] = rte_ring_create(("nat_redir" + n).c_str(), 1024, 0, RING_F_SC_DEQ);
        ASSERT_NE(rx[q], nullptr);
        ASSERT_NE(tx[q], nullptr);
        ASSERT_NE(redirect[q], nullptr);
    }
    const int id = rte_eth_from_rings("nat0", rx, 2, tx, 2, 0);
    ASSERT_GE(id, 0);
    const auto port = static_cast<uint16_t>(id);
    rte_eth_conf conf{};
    ASSERT_EQ(rte_eth_dev_configure(port, 2, 2, &conf), 0);
    for (uint16_t q = 0; q < 2; ++q) {
        ASSERT_EQ(rte_eth_rx_queue_setup(port, q, 512, 0, nullptr, g_pool), 0);
        ASSERT_EQ(rte_eth_tx_queue_setup(port, q, 512, 0, nullptr), 0);
    }
    ASSERT_EQ(rte_eth_dev_start(port), 0);

    const pkt::Steering steering(2);
    fwd::Publisher publisher(2);
    fwd::BuildResult built = golden::build_table(golden::config(), golden::node(), {.port = port});
    ASSERT_TRUE(built.table) << built.error;
    uint32_t si = 0;
    ASSERT_NE(built.table->find_service(golden::net(golden::ip(10, 0, 0, 100)), 6, wire::net16(8080), &si), nullptr);
    publisher.publish(std::move(built.table));
    std::vector<rte_ring*> to{redirect[0], redirect[1]};
    lcore::Worker w0({.ports = {port}, .queue = 0, .index = 0, .redirect_in = redirect[0], .redirect_to = to,
                      .steering = &steering, .publisher = &publisher, .reader_id = 0},
                     limits, flow::Timeouts::ipvs_defaults(1000));
    lcore::Worker w1({.ports = {port}, .queue = 1, .index = 1, .redirect_in = redirect[1], .redirect_to = to,
                      .steering = &steering, .publisher = &publisher, .reader_id = 1},
                     limits, flow::Timeouts::ipvs_defaults(1000));
    w0.online();
    w1.online();

    using namespace golden;  // the golden network (tests/golden/setup.h), as the fixtures name it
    constexpr int flows = 64;
    uint64_t now = 1;
    auto run = [&](int rounds) {
        for (int r = 0; r < rounds; ++r) {
            w0.poll_once(now);
            w1.poll_once(now);
            ++now;
        }
    };
    auto collect = [&] {
        std::vector<golden::Bytes> got;
        for (rte_ring* t : tx) {
            void* m = nullptr;
            while (rte_ring_dequeue(t, &m) == 0) {
                got.push_back(bytes_of(static_cast<rte_mbuf*>(m)));
                rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
            }
        }
        return got;
    };
    auto owner = [&](uint16_t cport) {
        const flow::Key4 k{.src = golden::net(client), .dst = golden::net(vip), .sport = wire::net16(cport),
                           .dport = wire::net16(8080), .proto = 6};
        return steering.owner(k);
    };
    auto send = [&](int q, const golden::Bytes& b) { ASSERT_EQ(rte_ring_enqueue(rx[q], mbuf_of(b)), 0); };
    int owned_by[2] = {0, 0};
    for (int i = 0; i < flows; ++i) {
        const auto cport = static_cast<uint16_t>(42000 + i);
        ++owned_by[owner(cport)];
        send(owner(cport), golden::eth(port_mac, client_mac, 0x0800,
                                       golden::ipv4({.src = client, .dst = vip, .proto = 6},
                                                    golden::tcp(client, vip, cport, 8080, 0x02, 1))));
    }
    ASSERT_GT(owned_by[0], 0) << "Toeplitz spreads 64 flows over both lcores";
    ASSERT_GT(owned_by[1], 0);
    run(4);
    EXPECT_EQ(collect().size(), static_cast<size_t>(flows));

    for (int i = 0; i < flows; ++i) {
        const auto cport = static_cast<uint16_t>(42000 + i);
        send(1 - owner(cport), golden::eth(port_mac, web1_mac, 0x0800,
                                           golden::ipv4({.src = web1, .dst = client, .proto = 6},
                                                        golden::tcp(web1, client, 80, cport, 0x12, 5000))));
    }
    run(6);
    std::vector<golden::Bytes> replies = collect();
    ASSERT_EQ(replies.size(), static_cast<size_t>(flows)) << "every reply translated by its flow's owner";
    for (const golden::Bytes& b : replies) {
        const uint16_t cport = static_cast<uint16_t>(b[14 + 20 + 2] << 8 | b[14 + 20 + 3]);
        EXPECT_EQ(b, golden::eth(client_mac, port_mac, 0x0800,
                                 golden::ipv4({.src = vip, .dst = client, .proto = 6, .ttl = 63},
                                              golden::tcp(vip, client, 8080, cport, 0x12, 5000))));
    }
    const pkt::Counters& c0 = w0.counters();
    const pkt::Counters& c1 = w1.counters();
    EXPECT_EQ(c0.verdict_count_of(pkt::Verdict::redirect) + c1.verdict_count_of(pkt::Verdict::redirect),
              static_cast<uint64_t>(flows));
    EXPECT_EQ(c0.drop_count(pkt::DropReason::nat_no_flow) + c1.drop_count(pkt::DropReason::nat_no_flow), 0u);

    // The client's ACK completes each handshake on the owner: ESTABLISHED, counted active there.
    for (int i = 0; i < flows; ++i) {
        const auto cport = static_cast<uint16_t>(42000 + i);
        send(owner(cport), golden::eth(port_mac, client_mac, 0x0800,
                                       golden::ipv4({.src = client, .dst = vip, .proto = 6},
                                                    golden::tcp(client, vip, cport, 8080, 0x10, 2))));
    }
    run(4);
    EXPECT_EQ(collect().size(), static_cast<size_t>(flows));
    const sched::FlowCounts a0 = w0.state().sched[si].counts(0);
    const sched::FlowCounts a1 = w1.state().sched[si].counts(0);
    EXPECT_EQ(a0.active, static_cast<uint32_t>(owned_by[0]));
    EXPECT_EQ(a1.active, static_cast<uint32_t>(owned_by[1]));
    EXPECT_EQ(a0.inactive + a1.inactive, 0u);
    EXPECT_EQ(w0.state().backend(si, 0).packets_out + w1.state().backend(si, 0).packets_out, static_cast<uint64_t>(flows));
    // Bytes are IP lengths, 40 for each of these segments: a SYN and an ACK in, a SYN-ACK out per flow.
    EXPECT_EQ(w0.state().backend(si, 0).packets_in + w1.state().backend(si, 0).packets_in, 2u * flows);
    EXPECT_EQ(w0.state().backend(si, 0).bytes_in + w1.state().backend(si, 0).bytes_in, 2u * 40 * flows);
    EXPECT_EQ(w0.state().backend(si, 0).bytes_out + w1.state().backend(si, 0).bytes_out, 40u * flows);
    for (const lcore::Worker* w : {&w0, &w1}) {
        const pkt::BackendCounters& b = w->state().backend(si, 0);
        EXPECT_EQ(b.bytes_in, 40 * b.packets_in) << "per lcore, as counted";
        EXPECT_EQ(b.bytes_out, 40 * b.packets_out);
    }

    w0.offline();
    w1.offline();
    rte_eth_dev_stop(port);
    for (int q = 0; q < 2; ++q) {
        rte_ring_free(redirect[q]);
    }
}

// The drop reasons only the lcore loop gives (pkt::process cannot: tests/unit/fwd_test.cc's
// GoldenCoverage lists them here): a frame with a verdict whose ring or TX queue is full is freed and
// recounted as a drop for that reason.

// A ring of capacity 3 holding 3 mbufs: full. Freed (with its mbufs) by free_full().
rte_ring* full_ring(const std::string& name)
{
    rte_ring* r = rte_ring_create(name.c_str(), 4, 0, 0);
    EXPECT_NE(r, nullptr);
    while (r != nullptr && rte_ring_free_count(r) != 0) {
        EXPECT_EQ(rte_ring_enqueue(r, mbuf_of(golden::Bytes(60, 0))), 0);
    }
    return r;
}
void free_full(rte_ring* r)
{
    void* m = nullptr;
    while (rte_ring_dequeue(r, &m) == 0) {
        rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    rte_ring_free(r);
}

TEST(LcoreDrops, HandOverRingsFull)
{
    RingPort port = make_port("ringfull0");
    rte_ring* ctl = full_ring("ringfull_ctl");
    rte_ring* exc = full_ring("ringfull_exc");
    fwd::Publisher publisher(1);
    publisher.publish(golden_table(port.id));
    ASSERT_NE(publisher.current(), nullptr);
    lcore::Worker worker({.ports = {port.id}, .to_control = ctl, .to_exception = exc, .publisher = &publisher,
                          .reader_id = 0},
                         limits, flow::Timeouts::ipvs_defaults(1000));
    worker.online();
    const std::vector<golden::Fixture> all = golden::fixtures();
    const unsigned free_before = rte_mempool_avail_count(g_pool);
    ASSERT_EQ(rte_ring_enqueue(port.rx, mbuf_of(first_step(all, golden::Verdict::pass, golden::Handover::control).input)), 0);
    ASSERT_EQ(rte_ring_enqueue(port.rx, mbuf_of(first_step(all, golden::Verdict::pass, golden::Handover::kernel).input)), 0);
    EXPECT_EQ(worker.poll_once(1), 2u);
    const pkt::Counters& c = worker.counters();
    EXPECT_EQ(c.drop_count(pkt::DropReason::control_ring_full), 1u);
    EXPECT_EQ(c.drop_count(pkt::DropReason::exception_ring_full), 1u);
    EXPECT_EQ(c.verdict_count_of(pkt::Verdict::drop), 2u);
    EXPECT_EQ(rte_ring_count(ctl), 3u) << "nothing more went in";
    EXPECT_EQ(rte_ring_count(exc), 3u);
    EXPECT_EQ(rte_mempool_avail_count(g_pool), free_before) << "both frames freed";
    worker.offline();
    free_full(ctl);
    free_full(exc);
    rte_eth_dev_stop(port.id);
}

// The first step of the golden fixture `name`.
const golden::Step& fixture_step(const std::vector<golden::Fixture>& all, const std::string& name)
{
    for (const golden::Fixture& f : all) {
        if (f.name == name) {
            return f.steps.front();
        }
    }
    ADD_FAILURE() << "no fixture " << name;
    return all.front().steps.front();
}

// A worker whose ring `own` (capacity 3) carries the verdict `v` of frame `mine` while ring `full`
// is full: each of `flood` meets the full ring (`flood_reason`), `mine` goes on past it, and the
// fourth of its kind in one poll is shed under `own_reason`, said so.
void own_ring_case(const std::string& name, rte_ring* lcore::Config::*own, rte_ring* lcore::Config::*full,
                   const std::vector<std::string>& flood, const std::string& mine, pkt::Verdict v,
                   pkt::DropReason flood_reason, pkt::DropReason own_reason)
{
    RingPort port = make_port(name + "0");
    fwd::Publisher publisher(1);
    publisher.publish(golden_table(port.id));
    ASSERT_NE(publisher.current(), nullptr);
    lcore::Config cfg{.ports = {port.id}, .publisher = &publisher, .reader_id = 0};
    int i = 0;
    for (rte_ring* lcore::Config::*r : {&lcore::Config::to_vrrp, &lcore::Config::to_control,
                                        &lcore::Config::to_exception, &lcore::Config::to_local}) {
        const std::string ring = name + "_" + std::to_string(i++);
        cfg.*r = r == full ? full_ring(ring) : rte_ring_create(ring.c_str(), 4, 0, 0);
        ASSERT_NE(cfg.*r, nullptr);
    }
    lcore::Worker worker(cfg, limits, flow::Timeouts::ipvs_defaults(1000));
    worker.online();
    const std::vector<golden::Fixture> all = golden::fixtures();
    for (const std::string& f : flood) {
        ASSERT_EQ(rte_ring_enqueue(port.rx, mbuf_of(fixture_step(all, f).input)), 0);
    }
    const golden::Bytes frame = fixture_step(all, mine).input;
    ASSERT_EQ(rte_ring_enqueue(port.rx, mbuf_of(frame)), 0);
    EXPECT_EQ(worker.poll_once(1), flood.size() + 1);
    const pkt::Counters& c = worker.counters();
    EXPECT_EQ(c.drop_count(flood_reason), flood.size()) << "the flood met the full ring";
    EXPECT_EQ(c.verdict_count_of(v), 1u);
    EXPECT_EQ(rte_ring_count(cfg.*own), 1u) << mine << " went on, past the full ring";
    for (int k = 0; k < 3; ++k) {
        ASSERT_EQ(rte_ring_enqueue(port.rx, mbuf_of(frame)), 0);
    }
    EXPECT_EQ(worker.poll_once(2), 3u);
    EXPECT_EQ(rte_ring_count(cfg.*own), 3u);
    EXPECT_EQ(c.drop_count(own_reason), 1u);
    worker.offline();
    for (rte_ring* r : {cfg.to_vrrp, cfg.to_control, cfg.to_exception, cfg.to_local}) {
        free_full(r);
    }
    rte_eth_dev_stop(port.id);
}

// VRRP adverts for the node's VRIDs have a ring of their own: a control ring that ARP (or anything)
// has filled costs no advert, and a full VRRP ring is counted under its own reason.
TEST(LcoreDrops, VrrpHasItsOwnRing)
{
    own_ring_case("vrrpring", &lcore::Config::to_vrrp, &lcore::Config::to_control, {"arp_reply_from_backend"},
                  "pass_vrrp_advert", pkt::Verdict::to_vrrp, pkt::DropReason::control_ring_full,
                  pkt::DropReason::vrrp_ring_full);
}

// What is addressed to the node itself (the health checkers' replies, ssh) has a ring of its own: a
// flood to a VIP's closed port (or of IPv6) that fills the exception ring costs no checker reply, so
// it cannot take the real servers down; a full ring of its own is counted under its own reason.
TEST(LcoreDrops, NodeTrafficHasItsOwnRing)
{
    own_ring_case("localring", &lcore::Config::to_local, &lcore::Config::to_exception,
                  {"pass_vip_port_without_service", "pass_ipv6"}, "nat_health_check_answer", pkt::Verdict::to_local,
                  pkt::DropReason::exception_ring_full, pkt::DropReason::local_ring_full);
}

TEST(LcoreDrops, TxQueueFull)
{
    rte_ring* rx = rte_ring_create("txfull_rx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    rte_ring* tx = full_ring("txfull_tx");
    ASSERT_NE(rx, nullptr);
    const int id = rte_eth_from_rings("txfull0", &rx, 1, &tx, 1, 0);
    ASSERT_GE(id, 0);
    const auto port = static_cast<uint16_t>(id);
    rte_eth_conf conf{};
    ASSERT_EQ(rte_eth_dev_configure(port, 1, 1, &conf), 0);
    ASSERT_EQ(rte_eth_rx_queue_setup(port, 0, 512, 0, nullptr, g_pool), 0);
    ASSERT_EQ(rte_eth_tx_queue_setup(port, 0, 512, 0, nullptr), 0);
    ASSERT_EQ(rte_eth_dev_start(port), 0);
    fwd::Publisher publisher(1);
    publisher.publish(golden_table(port));
    ASSERT_NE(publisher.current(), nullptr);
    lcore::Worker worker({.ports = {port}, .publisher = &publisher, .reader_id = 0}, limits,
                         flow::Timeouts::ipvs_defaults(1000));
    worker.online();
    const std::vector<golden::Fixture> all = golden::fixtures();
    const golden::Step& fwd = first_step(all, golden::Verdict::forward);
    const unsigned free_before = rte_mempool_avail_count(g_pool);
    ASSERT_EQ(rte_ring_enqueue(rx, mbuf_of(fwd.input)), 0);
    EXPECT_EQ(worker.poll_once(1), 1u);
    const pkt::Counters& c = worker.counters();
    EXPECT_EQ(c.drop_count(pkt::DropReason::tx_full), 1u);
    EXPECT_EQ(c.verdict_count_of(pkt::Verdict::drop), 1u);
    EXPECT_EQ(pkt::Counters::read(c.tx), 0u);
    EXPECT_EQ(rte_mempool_avail_count(g_pool), free_before) << "the frame freed";
    // Room again: the next one goes out, as the fixture says.
    void* m = nullptr;
    ASSERT_EQ(rte_ring_dequeue(tx, &m), 0);
    rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    ASSERT_EQ(rte_ring_enqueue(rx, mbuf_of(fwd.input)), 0);
    EXPECT_EQ(worker.poll_once(2), 1u);
    EXPECT_EQ(pkt::Counters::read(c.tx), 1u);
    EXPECT_EQ(c.drop_count(pkt::DropReason::tx_full), 1u);
    worker.offline();
    rte_eth_dev_stop(port);
    free_full(tx);
}

// A NAT reply whose flow's owner (by Toeplitz) is lcore 1, arriving at lcore 0 whose ring to lcore 1
// is full.
TEST(LcoreDrops, RedirectRingFull)
{
    RingPort port = make_port("redirfull0");
    rte_ring* to_self = rte_ring_create("redirfull_r0", 64, 0, RING_F_SC_DEQ);
    rte_ring* to_other = full_ring("redirfull_r1");
    ASSERT_NE(to_self, nullptr);
    const pkt::Steering steering(2);
    fwd::Publisher publisher(1);
    publisher.publish(golden_table(port.id));
    ASSERT_NE(publisher.current(), nullptr);
    lcore::Worker worker({.ports = {port.id}, .index = 0, .redirect_in = to_self, .redirect_to = {to_self, to_other},
                          .steering = &steering, .publisher = &publisher, .reader_id = 0},
                         limits, flow::Timeouts::ipvs_defaults(1000));
    worker.online();
    using golden::client;
    using golden::vip;
    using golden::web1;
    uint16_t cport = 42000;
    // web1:80 serves :8080 and :8081; the reply tries :8080 first, on its owner.
    while (steering.owner({.src = golden::net(client), .dst = golden::net(vip), .sport = wire::net16(cport),
                           .dport = wire::net16(8080), .proto = 6}) != 1) {
        ++cport;
    }
    const unsigned free_before = rte_mempool_avail_count(g_pool);
    ASSERT_EQ(rte_ring_enqueue(port.rx, mbuf_of(golden::eth(golden::port_mac, golden::web1_mac, 0x0800,
                                                          golden::ipv4({.src = web1, .dst = client, .proto = 6},
                                                                       golden::tcp(web1, client, 80, cport, 0x12, 5000))))),
              0);
    EXPECT_EQ(worker.poll_once(1), 1u);
    const pkt::Counters& c = worker.counters();
    EXPECT_EQ(c.verdict_count_of(pkt::Verdict::redirect), 1u);
    EXPECT_EQ(c.drop_count(pkt::DropReason::redirect_ring_full), 1u);
    EXPECT_EQ(rte_ring_count(to_other), 3u);
    EXPECT_EQ(rte_ring_count(to_self), 0u);
    EXPECT_EQ(rte_mempool_avail_count(g_pool), free_before) << "the frame freed";
    worker.offline();
    rte_eth_dev_stop(port.id);
    rte_ring_free(to_self);
    free_full(to_other);
}

}  // namespace

int main(int argc, char** argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    const std::string prefix = "--file-prefix=vipd_dp_" + std::to_string(getpid());
    // --in-memory would be the natural choice, but DPDK 22.11 refuses it with --no-huge (which
    // implies --legacy-mem); --no-shconf keeps the run from writing shared config files.
    const char* eal_argv[] = {"dataplane_test", "--no-huge", "--no-pci", "--no-shconf", "-l", "0",
                              "--log-level=3", "--no-telemetry", "-m", "256", prefix.c_str()};
    int eal_argc = static_cast<int>(sizeof(eal_argv) / sizeof(eal_argv[0]));
    if (rte_eal_init(eal_argc, const_cast<char**>(eal_argv)) < 0) {
        std::fprintf(stderr, "SKIP: rte_eal_init failed (%s): cannot start DPDK here\n", rte_strerror(rte_errno));
        return 77;
    }
    g_pool = rte_pktmbuf_pool_create("dp_test", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    if (g_pool == nullptr) {
        std::fprintf(stderr, "SKIP: no mbuf pool (%s)\n", rte_strerror(rte_errno));
        rte_eal_cleanup();
        return 77;
    }
    const int rc = RUN_ALL_TESTS();
    g_golden.reset();
    rte_eal_cleanup();
    return rc;
}

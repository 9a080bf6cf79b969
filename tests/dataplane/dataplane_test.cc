// The DPDK dataplane in-process: an EAL without hugepages or PCI, ring-backed ports, the golden
// fixtures through the real lcore loop (mbufs in, mbufs out), and an RCU publish/forward stress test
// in the manner of DPDK's app/test/test_rcu_qsbr.c.
#include "conf/model.h"
#include "dataplane/dpdk/datapath/publisher.h"
#include "dataplane/dpdk/datapath/worker.h"
#include "dataplane/wire/headers.h"
#include "tests/golden/fixtures.h"

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

// The golden node's inputs, its one port at index `port` (the ports before it have no address).
fwd::Inputs inputs(uint64_t generation = 0, uint16_t port = 0)
{
    const golden::Node n = golden::node();
    fwd::Inputs in;
    in.ports.resize(std::max<size_t>(port + 1u, n.ports));
    in.ports[port] = {.mac = n.port_mac, .ip = golden::net(n.port_ip), .prefix = n.prefix, .mtu = n.mtu};
    for (const auto& [dst, prefix] : n.via_gateway) {
        in.routes.push_back({.dst = golden::net(dst), .prefix = prefix, .port = port, .gateway = golden::net(n.gateway)});
    }
    for (uint32_t a : n.owned) {
        in.owned.push_back(golden::net(a));
    }
    for (const auto& [a, mac] : n.neighbours) {
        in.neighbours.emplace_back(golden::net(a), mac);
    }
    in.max_services = 32;
    in.max_backends = 16;
    in.generation = generation;
    return in;
}

std::unique_ptr<const fwd::Table> golden_table(uint64_t generation = 0)
{
    fwd::BuildResult r = fwd::Table::build(golden::config(), inputs(generation));
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

// The port ids the ring PMD hands out must line up with the table's port index 0 in the golden
// test; ports are made lazily, once, in test order.
RingPort& golden_port()
{
    static RingPort p = make_port("golden0");
    return p;
}

TEST(GoldenDpdk, EveryFixtureThroughTheLcoreLoop)
{
    RingPort& port = golden_port();
    ASSERT_EQ(port.id, 0) << "the golden table describes port 0";
    rte_ring* ctl = rte_ring_create("golden_ctl", 64, 0, RING_F_SC_DEQ);
    rte_ring* exc = rte_ring_create("golden_exc", 64, 0, RING_F_SC_DEQ);
    ASSERT_NE(ctl, nullptr);
    ASSERT_NE(exc, nullptr);

    fwd::Publisher publisher(1);
    fwd::BuildResult built = fwd::Table::build(golden::config(), inputs());
    ASSERT_TRUE(built.table) << built.error;
    EXPECT_TRUE(built.skipped.empty());
    publisher.publish(std::move(built.table));

    lcore::Worker worker({.ports = {port.id}, .queue = 0, .to_control = ctl, .to_exception = exc,
                          .publisher = &publisher, .reader_id = 0},
                         limits, flow::Timeouts::ipvs_defaults(1000));
    worker.online();

    uint64_t now = 0;  // ms (Limits::hz 1000)
    for (const golden::Fixture& f : golden::fixtures()) {
        SCOPED_TRACE(f.description);
        now += f.after_ms;
        const pkt::Counters before = worker.counters();
        rte_mbuf* m = mbuf_of(f.input);
        ASSERT_NE(m, nullptr);
        ASSERT_EQ(rte_ring_enqueue(port.rx, m), 0);
        ASSERT_EQ(worker.poll_once(now), 1);

        void* got = nullptr;
        const bool sent = rte_ring_dequeue(port.tx, &got) == 0;
        void* to_ctl = nullptr;
        const bool handed_ctl = rte_ring_dequeue(ctl, &to_ctl) == 0;
        void* to_exc = nullptr;
        const bool handed_exc = rte_ring_dequeue(exc, &to_exc) == 0;

        const pkt::Counters& after = worker.counters();
        const auto vi = static_cast<unsigned>(f.verdict);
        EXPECT_EQ(after.verdicts[vi] - before.verdicts[vi], 1u) << "verdict " << pkt::to_string(f.verdict);
        EXPECT_EQ(sent, f.verdict == pkt::Verdict::forward || f.verdict == pkt::Verdict::reply ||
                            f.verdict == pkt::Verdict::solicit);
        EXPECT_EQ(handed_ctl, f.verdict == pkt::Verdict::to_control);
        EXPECT_EQ(handed_exc, f.verdict == pkt::Verdict::to_exception);
        if (f.verdict == pkt::Verdict::drop) {
            const auto ri = static_cast<unsigned>(f.reason);
            EXPECT_EQ(after.drops[ri] - before.drops[ri], 1u) << "reason " << pkt::to_string(f.reason);
        }
        if (sent) {
            EXPECT_EQ(bytes_of(static_cast<rte_mbuf*>(got)), f.output);
            rte_pktmbuf_free(static_cast<rte_mbuf*>(got));
        }
        if (handed_ctl) {
            EXPECT_EQ(bytes_of(static_cast<rte_mbuf*>(to_ctl)), f.input) << "handed over unchanged";
            rte_pktmbuf_free(static_cast<rte_mbuf*>(to_ctl));
        }
        if (handed_exc) {
            EXPECT_EQ(bytes_of(static_cast<rte_mbuf*>(to_exc)), f.input) << "handed over unchanged";
            rte_pktmbuf_free(static_cast<rte_mbuf*>(to_exc));
        }
    }
    EXPECT_EQ(worker.counters().drop_count(pkt::DropReason::no_table), 0u);
    EXPECT_EQ(pkt::Counters::read(worker.counters().rx), golden::fixtures().size());
    EXPECT_GE(golden::fixtures().size(), 30u);
    EXPECT_GE(worker.counters().verdict_count_of(pkt::Verdict::forward), 6u);
    worker.offline();
    rte_ring_free(ctl);
    rte_ring_free(exc);
}

TEST(GoldenDpdk, NoTablePublishedDrops)
{
    RingPort& port = golden_port();
    fwd::Publisher publisher(1);
    lcore::Worker worker({.ports = {port.id}, .publisher = &publisher, .reader_id = 0}, limits,
                         flow::Timeouts::ipvs_defaults(1000));
    worker.online();
    rte_mbuf* m = mbuf_of(golden::fixtures().front().input);
    ASSERT_EQ(rte_ring_enqueue(port.rx, m), 0);
    EXPECT_EQ(worker.poll_once(1), 1);
    EXPECT_EQ(worker.counters().drop_count(pkt::DropReason::no_table), 1u);
    EXPECT_EQ(rte_ring_count(port.tx), 0u);
    worker.offline();
}

// A reader lcore forwards a steady stream while the control thread publishes new tables thousands of
// times (each freed after its grace period): every frame comes out, forwarded by a live table. Under
// ASan a reader touching a freed table fails the run.
TEST(RcuDpdk, PublishWhileForwarding)
{
    RingPort port = make_port("rcu0");
    fwd::Publisher publisher(2);
    publisher.publish(golden_table(0));

    // The golden SYN to 10.0.0.100:80, with the golden node's port at this ring port's id.
    auto table_for = [&](uint64_t gen) {
        fwd::BuildResult r = fwd::Table::build(golden::config(), inputs(gen, port.id));
        return std::move(r.table);
    };
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
    golden::Fixture syn;
    for (const golden::Fixture& f : golden::fixtures()) {
        if (f.description.starts_with("TCP SYN to DR service")) {
            syn = f;
        }
    }
    ASSERT_EQ(syn.verdict, pkt::Verdict::forward);
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
    fwd::BuildResult built = fwd::Table::build(golden::config(), inputs(0, port));
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

    const golden::Node n = golden::node();
    const golden::Mac client_mac{0x02, 0, 0, 0, 0, 0x50};
    const golden::Mac web1_mac{0x02, 0, 0, 0, 0, 0x11};
    const uint32_t client = golden::ip(10, 0, 0, 50);
    const uint32_t vip = golden::ip(10, 0, 0, 100);
    const uint32_t web1 = golden::ip(10, 0, 0, 11);
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
        send(owner(cport), golden::eth(n.port_mac, client_mac, 0x0800,
                                       golden::ipv4({.src = client, .dst = vip, .proto = 6},
                                                    golden::tcp(client, vip, cport, 8080, 0x02, 1))));
    }
    ASSERT_GT(owned_by[0], 0) << "Toeplitz spreads 64 flows over both lcores";
    ASSERT_GT(owned_by[1], 0);
    run(4);
    EXPECT_EQ(collect().size(), static_cast<size_t>(flows));

    for (int i = 0; i < flows; ++i) {
        const auto cport = static_cast<uint16_t>(42000 + i);
        send(1 - owner(cport), golden::eth(n.port_mac, web1_mac, 0x0800,
                                           golden::ipv4({.src = web1, .dst = client, .proto = 6},
                                                        golden::tcp(web1, client, 80, cport, 0x12, 5000))));
    }
    run(6);
    std::vector<golden::Bytes> replies = collect();
    ASSERT_EQ(replies.size(), static_cast<size_t>(flows)) << "every reply translated by its flow's owner";
    for (const golden::Bytes& b : replies) {
        const uint16_t cport = static_cast<uint16_t>(b[14 + 20 + 2] << 8 | b[14 + 20 + 3]);
        EXPECT_EQ(b, golden::eth(client_mac, n.port_mac, 0x0800,
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
        send(owner(cport), golden::eth(n.port_mac, client_mac, 0x0800,
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

const golden::Fixture& first_fixture(const std::vector<golden::Fixture>& all, pkt::Verdict v)
{
    for (const golden::Fixture& f : all) {
        if (f.verdict == v) {
            return f;
        }
    }
    ADD_FAILURE() << "no fixture with verdict " << pkt::to_string(v);
    return all.front();
}

TEST(LcoreDrops, HandOverRingsFull)
{
    RingPort port = make_port("ringfull0");
    rte_ring* ctl = full_ring("ringfull_ctl");
    rte_ring* exc = full_ring("ringfull_exc");
    fwd::Publisher publisher(1);
    publisher.publish(std::move(fwd::Table::build(golden::config(), inputs(0, port.id)).table));
    ASSERT_NE(publisher.current(), nullptr);
    lcore::Worker worker({.ports = {port.id}, .to_control = ctl, .to_exception = exc, .publisher = &publisher,
                          .reader_id = 0},
                         limits, flow::Timeouts::ipvs_defaults(1000));
    worker.online();
    const std::vector<golden::Fixture> all = golden::fixtures();
    const unsigned free_before = rte_mempool_avail_count(g_pool);
    ASSERT_EQ(rte_ring_enqueue(port.rx, mbuf_of(first_fixture(all, pkt::Verdict::to_control).input)), 0);
    ASSERT_EQ(rte_ring_enqueue(port.rx, mbuf_of(first_fixture(all, pkt::Verdict::to_exception).input)), 0);
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
    publisher.publish(std::move(fwd::Table::build(golden::config(), inputs(0, port)).table));
    ASSERT_NE(publisher.current(), nullptr);
    lcore::Worker worker({.ports = {port}, .publisher = &publisher, .reader_id = 0}, limits,
                         flow::Timeouts::ipvs_defaults(1000));
    worker.online();
    const std::vector<golden::Fixture> all = golden::fixtures();
    const golden::Fixture& fwd = first_fixture(all, pkt::Verdict::forward);
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
    publisher.publish(std::move(fwd::Table::build(golden::config(), inputs(0, port.id)).table));
    ASSERT_NE(publisher.current(), nullptr);
    lcore::Worker worker({.ports = {port.id}, .index = 0, .redirect_in = to_self, .redirect_to = {to_self, to_other},
                          .steering = &steering, .publisher = &publisher, .reader_id = 0},
                         limits, flow::Timeouts::ipvs_defaults(1000));
    worker.online();
    const uint32_t client = golden::ip(10, 0, 0, 50);
    const uint32_t vip = golden::ip(10, 0, 0, 100);
    const uint32_t web1 = golden::ip(10, 0, 0, 11);
    uint16_t cport = 42000;
    // web1:80 serves :8080 and :8081; the reply tries :8080 first, on its owner.
    while (steering.owner({.src = golden::net(client), .dst = golden::net(vip), .sport = wire::net16(cport),
                           .dport = wire::net16(8080), .proto = 6}) != 1) {
        ++cport;
    }
    const golden::Node n = golden::node();
    const unsigned free_before = rte_mempool_avail_count(g_pool);
    ASSERT_EQ(rte_ring_enqueue(port.rx, mbuf_of(golden::eth(n.port_mac, {0x02, 0, 0, 0, 0, 0x11}, 0x0800,
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
    rte_eal_cleanup();
    return rc;
}

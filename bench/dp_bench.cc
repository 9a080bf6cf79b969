// dp_bench: the real lcore loop (lcore::Worker → pkt::process) fed by an in-process generator over
// net_ring, one queue per lcore, prebuilt frames recycled in place. Prints one JSON line.
//
//   dp_bench --mode io|dr|nat|tun [--new-flows] [--lcores N] [--seconds S] [--flows F]
//            [--backends B] [--algo mh|rr|wrr|lc|wlc|sh|...] [--packets P] [--inflight K]
//   dp_bench --dataplane xdp --mode dr|nat|tun [--new-flows] [--lcores N] [--seconds S] [--flows F]
//            [--backends B] [--algo NAME] [--rounds R] [--flow-tables shared|per-cpu] [--table-flows T]
//
// --dataplane xdp runs the same service, node and frames through vipd's XDP program instead
// (bench/xdp_bench.cc: BPF_PROG_RUN on one pinned CPU, or N at once with flows of their own, beside
// a bare XDP program as the floor), with the program's shared flow tables or its per-CPU ones, each
// sized for --table-flows (1 M by default, as the lcore tables here; the XDP node's default is 64 k).
//
// Each lcore owns queue q of one ring-backed port: its worker receives from ring rx[q] and sends to
// ring tx[q]; the same lcore then takes its frames back from tx[q], restores them from their template
// (64 bytes copied, headroom reset: DR, NAT and TUN rewrite frames in place) and puts them back on
// rx[q]. The generator therefore costs the same in every mode, and `--mode io` (rx_burst → tx_burst,
// untouched) is this harness's ceiling. With --new-flows every lap gives a frame a fresh client
// address, so every packet schedules and inserts a flow (the table fills, then evicts: a SYN flood).
// Frames are 60-byte TCP segments (64 on the wire with the FCS) to VIP:80.
//
// instructions_per_packet comes from perf_event_open where the kernel allows it (null otherwise:
// bench/dp_instructions.sh counts them with callgrind instead). tsc_cycles_per_packet_derived is not a
// second measurement: the elapsed time is itself read from the TSC, so it is tsc_hz / (mpps_per_lcore
// x 1e6), the rate restated in cycles of the TSC (printed beside it as tsc_hz; a TSC ticks at a constant
// rate that need not be the core's clock), harness included.
#include "conf/model.h"
#include "dataplane/dpdk/datapath/publisher.h"
#include "dataplane/dpdk/datapath/worker.h"
#include "dataplane/wire/headers.h"
#include "dataplane/dpdk/control/port.h"
#include "tests/golden/setup.h"
#ifdef VIPD_BENCH_XDP
#include "bench/xdp_bench.h"
#endif

#include <linux/perf_event.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

struct Args {
    std::string mode = "dr";
    bool new_flows = false;
    unsigned lcores = 1;
    double seconds = 5;
    uint32_t flows = 65536;  // per lcore
    uint32_t backends = 8;
    std::string algo = "mh";
    uint64_t packets = 0;     // per lcore; 0: run for `seconds`
    uint32_t inflight = 1024; // frames circulating per lcore
    std::string dataplane = "dpdk";
    uint32_t rounds = 5;      // xdp: bare and vipd rounds, alternately
    std::string flow_tables = "shared";  // xdp: shared | per-cpu
    uint32_t table_flows = 1u << 20;     // xdp: what the flow table is sized for
};

[[noreturn]] void usage(const char* why)
{
    std::fprintf(stderr,
                 "dp_bench: %s\nusage: dp_bench --mode io|dr|nat|tun [--new-flows] [--lcores N] [--seconds S]\n"
                 "         [--flows F] [--backends B] [--algo NAME] [--packets P] [--inflight K]\n"
                 "       dp_bench --dataplane xdp --mode dr|nat|tun [--new-flows] [--lcores N] [--rounds R]\n"
                 "         [--flow-tables shared|per-cpu] [--table-flows T] (and --seconds, --flows, --backends,\n"
                 "         --algo)\n",
                 why);
    std::exit(2);
}

Args parse(int argc, char** argv)
{
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage(("missing value for " + k).c_str());
            }
            return argv[++i];
        };
        if (k == "--mode") {
            a.mode = val();
        } else if (k == "--new-flows") {
            a.new_flows = true;
        } else if (k == "--lcores") {
            a.lcores = static_cast<unsigned>(std::stoul(val()));
        } else if (k == "--seconds") {
            a.seconds = std::stod(val());
        } else if (k == "--flows") {
            a.flows = static_cast<uint32_t>(std::stoul(val()));
        } else if (k == "--backends") {
            a.backends = static_cast<uint32_t>(std::stoul(val()));
        } else if (k == "--algo") {
            a.algo = val();
        } else if (k == "--packets") {
            a.packets = std::stoull(val());
        } else if (k == "--inflight") {
            a.inflight = static_cast<uint32_t>(std::stoul(val()));
        } else if (k == "--dataplane" || k.rfind("--dataplane=", 0) == 0) {
            a.dataplane = k == "--dataplane" ? val() : k.substr(12);
        } else if (k == "--flow-tables") {
            a.flow_tables = val();
        } else if (k == "--table-flows") {
            a.table_flows = static_cast<uint32_t>(std::stoul(val()));
        } else if (k == "--rounds") {
            a.rounds = static_cast<uint32_t>(std::stoul(val()));
        } else {
            usage(("unknown option " + k).c_str());
        }
    }
    if (a.mode != "io" && a.mode != "dr" && a.mode != "nat" && a.mode != "tun") {
        usage("--mode must be io, dr, nat or tun");
    }
    if (a.lcores == 0 || a.lcores > lcore::max_lcores || a.flows == 0 || a.backends == 0 || a.inflight < 64) {
        usage("bad --lcores, --flows, --backends or --inflight");
    }
    if (!sched::parse_algo(a.algo)) {
        usage("unknown --algo");
    }
    if (a.dataplane != "dpdk" && a.dataplane != "xdp") {
        usage("--dataplane must be dpdk or xdp");
    }
    if (a.table_flows == 0) {
        usage("bad --table-flows");
    }
    if (a.flow_tables != "shared" && a.flow_tables != "per-cpu") {
        usage("--flow-tables must be shared or per-cpu");
    }
    if (a.dataplane == "xdp" && (a.mode == "io" || a.rounds == 0)) {
        usage("--dataplane xdp runs dr, nat or tun, at least one round");
    }
    return a;
}

constexpr uint32_t frame_len = 60;
constexpr uint8_t port_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
constexpr uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x50};


conf::Ip cip(uint32_t host) { return conf::Ip::v4(host); }

constexpr uint32_t vip_host = 0x0a000064;    // 10.0.0.100
constexpr uint32_t node_host = 0x0a000002;   // 10.0.0.2
constexpr uint32_t backend_host(uint32_t i) { return 0x0a000100 + 1 + i; }  // 10.0.1.1 …

conf::Config make_config(const Args& a)
{
    conf::Config c;
    conf::VirtualServer v;
    v.addr = cip(vip_host);
    v.port = 80;
    v.algo = static_cast<conf::LbAlgo>(*sched::parse_algo(a.algo));
    v.algo_set = true;
    v.kind = a.mode == "nat" ? conf::LbKind::nat : a.mode == "tun" ? conf::LbKind::tun : conf::LbKind::dr;
    v.kind_set = true;
    v.protocol = conf::Protocol::tcp;
    v.protocol_set = true;
    for (uint32_t i = 0; i < a.backends; ++i) {
        conf::RealServer rs;
        rs.addr = cip(backend_host(i));
        rs.port = 8080;
        v.real_servers.push_back(rs);
    }
    c.virtual_servers.push_back(v);
    return c;
}

// A 60-byte TCP segment client → VIP:80 (checksums right; the path never verifies the TCP one).
void build_frame(uint8_t* f, uint32_t client, uint16_t sport, uint8_t flags)
{
    std::memset(f, 0, frame_len);
    std::memcpy(f, port_mac, 6);
    std::memcpy(f + 6, client_mac, 6);
    f[12] = 0x08;
    auto* ip = reinterpret_cast<wire::Ipv4Hdr*>(f + 14);
    ip->version_ihl = 0x45;
    ip->total_length = wire::net16(40);
    ip->id = wire::net16(1);
    ip->frag = wire::net16(wire::ip_flag_df);
    ip->ttl = 64;
    ip->proto = wire::ipproto_tcp;
    ip->src = wire::net32(client);
    ip->dst = wire::net32(vip_host);
    ip->checksum = wire::net16(wire::checksum(ip, 20));
    auto* th = reinterpret_cast<wire::TcpHdr*>(f + 34);
    th->sport = wire::net16(sport);
    th->dport = wire::net16(80);
    th->seq = wire::net32(1);
    th->data_off = 5 << 4;
    th->flags = flags;
    th->window = wire::net16(65535);
}

// The node: 10.0.0.2/16 on its one port, owning the VIP, every backend's MAC known.
golden::Node bench_node(const Args& a)
{
    golden::Node node{.port_mac = {}, .port_ip = node_host, .prefix = 16, .mtu = 1500, .ports = 1, .gateway = 0,
                      .via_gateway = {}, .owned = {vip_host}, .neighbours = {}};
    std::memcpy(node.port_mac.data(), port_mac, 6);
    for (uint32_t i = 0; i < a.backends; ++i) {
        node.neighbours.emplace_back(backend_host(i), golden::Mac{0x02, 0, 0, 1, static_cast<uint8_t>(i >> 8),
                                                                  static_cast<uint8_t>(i)});
    }
    return node;
}

// Counts this thread's instructions, where the kernel allows perf_event_open.
class InstructionCounter {
public:
    InstructionCounter()
    {
        perf_event_attr attr{};
        attr.type = PERF_TYPE_HARDWARE;
        attr.size = sizeof(attr);
        attr.config = PERF_COUNT_HW_INSTRUCTIONS;
        attr.disabled = 1;
        attr.exclude_kernel = 1;
        attr.exclude_hv = 1;
        _fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
        _errno = _fd < 0 ? errno : 0;
    }
    ~InstructionCounter()
    {
        if (_fd >= 0) {
            close(_fd);
        }
    }
    void start()
    {
        if (_fd >= 0) {
            ioctl(_fd, PERF_EVENT_IOC_RESET, 0);
            ioctl(_fd, PERF_EVENT_IOC_ENABLE, 0);
        }
    }
    std::optional<uint64_t> stop()
    {
        uint64_t v = 0;
        if (_fd < 0) {
            return std::nullopt;
        }
        ioctl(_fd, PERF_EVENT_IOC_DISABLE, 0);
        if (read(_fd, &v, sizeof(v)) != static_cast<ssize_t>(sizeof(v))) {
            return std::nullopt;
        }
        return v;
    }
    int error() const { return _errno; }

private:
    int _fd = -1;
    int _errno = 0;
};

struct Lane {
    unsigned index = 0;
    uint16_t port = 0;
    rte_ring* rx = nullptr;
    rte_ring* tx = nullptr;
    std::unique_ptr<lcore::Worker> worker;
    uint8_t frame[frame_len];  // the lane's template; each flow differs in client address and port
    uint32_t next_client = 0;
    // Results.
    uint64_t packets = 0;
    uint64_t tsc = 0;
    std::optional<uint64_t> instructions;
    int perf_errno = 0;
};

struct Bench {
    Args args;
    std::vector<Lane> lanes;
    uint64_t tsc_hz = 0;
};

Bench* g_bench = nullptr;

// Takes the frames the worker sent back from tx, restores each from the lane's template as flow
// (previous + inflight) mod flows, and returns them to rx. Returns how many went round.
unsigned recycle(const Args& a, Lane& l)
{
    rte_mbuf* m[lcore::burst_size];
    const unsigned n = rte_ring_dequeue_burst(l.tx, reinterpret_cast<void**>(m), lcore::burst_size, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        const uint32_t t = (m[i]->hash.usr + a.inflight) % a.flows;
        m[i]->hash.usr = t;
        m[i]->data_off = RTE_PKTMBUF_HEADROOM;
        m[i]->data_len = frame_len;
        m[i]->pkt_len = frame_len;
        uint8_t* f = rte_pktmbuf_mtod(m[i], uint8_t*);
        std::memcpy(f, l.frame, frame_len);
        // Flow t of this lane: client 10.(128 + lane).(t / 60000).0 + …, port 1024 + t mod 60000; with
        // --new-flows a client address never seen before instead (2^22 per lane before it wraps).
        auto* ip = reinterpret_cast<wire::Ipv4Hdr*>(f + 14);
        const uint32_t src = a.new_flows ? wire::net32(0x40000000u | (l.index << 22) | (l.next_client++ & 0x3fffff))
                                         : wire::net32(0x0a800000u + (l.index << 16) + t / 60000);
        ip->checksum = wire::csum_replace32(ip->checksum, ip->src, src);
        ip->src = src;
        const uint16_t sport = wire::net16(static_cast<uint16_t>(1024 + t % 60000));
        std::memcpy(f + 34, &sport, 2);
    }
    if (n != 0) {
        const unsigned back = rte_ring_enqueue_burst(l.rx, reinterpret_cast<void* const*>(m), n, nullptr);
        for (unsigned i = back; i < n; ++i) {
            rte_pktmbuf_free(m[i]);
        }
    }
    return n;
}

int run_lane(void* arg)
{
    Bench& b = *g_bench;
    Lane& l = b.lanes[*static_cast<unsigned*>(arg)];
    const Args& a = b.args;
    const bool io = a.mode == "io";
    lcore::Worker& w = *l.worker;
    w.online();
    auto step = [&](uint64_t now) {
        if (io) {
            rte_mbuf* m[lcore::burst_size];
            const uint16_t n = rte_eth_rx_burst(l.port, static_cast<uint16_t>(l.index), m, lcore::burst_size);
            const uint16_t s = rte_eth_tx_burst(l.port, static_cast<uint16_t>(l.index), m, n);
            for (uint16_t i = s; i < n; ++i) {
                rte_pktmbuf_free(m[i]);
            }
        } else {
            w.poll_once(now);
        }
        return recycle(a, l);
    };
    // Warm-up: every template through once (the hit case then finds all its flows in the table).
    uint64_t warm = 0;
    const uint64_t warm_target = std::max<uint64_t>(2ull * a.flows, 4ull * a.inflight);
    const uint64_t warm_deadline = rte_rdtsc() + 10 * b.tsc_hz;
    while (warm < warm_target && rte_rdtsc() < warm_deadline) {
        warm += step(rte_rdtsc());
    }
    InstructionCounter ic;
    l.perf_errno = ic.error();
    const uint64_t budget = static_cast<uint64_t>(a.seconds * static_cast<double>(b.tsc_hz));
    const uint64_t t0 = rte_rdtsc();
    ic.start();
    uint64_t n = 0;
    uint64_t now = t0;
    for (uint32_t iter = 0;; ++iter) {
        n += step(now);
        if ((iter & 63) == 0) {
            now = rte_rdtsc();
            if (a.packets != 0 ? n >= a.packets : now - t0 >= budget) {
                break;
            }
        }
    }
    l.instructions = ic.stop();
    l.tsc = rte_rdtsc() - t0;
    l.packets = n;
    w.offline();
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    const Args a = parse(argc, argv);
    if (a.dataplane == "xdp") {
#ifdef VIPD_BENCH_XDP
        uint8_t frame[frame_len];
        build_frame(frame, 0x0a800000u, 1024, a.new_flows ? 0x02 : 0x10);
        return bench::run_xdp({.mode = a.mode, .new_flows = a.new_flows, .flows = a.flows, .backends = a.backends,
                               .algo = a.algo, .seconds = a.seconds, .rounds = a.rounds, .cpus = a.lcores,
                               .per_cpu_flows = a.flow_tables == "per-cpu", .table_flows = a.table_flows},
                              make_config(a), bench_node(a), frame, frame_len);
#else
        usage("built without the XDP dataplane (meson -Dbpf=enabled)");
#endif
    }
    const std::string lcores = a.lcores == 1 ? "0" : "0-" + std::to_string(a.lcores - 1);
    const std::string prefix = "--file-prefix=vipd_bench_" + std::to_string(getpid());
    const char* eal_argv[] = {"dp_bench", "--no-huge", "--no-pci", "--no-shconf", "-l", lcores.c_str(), "-m", "512",
                              "--log-level=3", "--no-telemetry", prefix.c_str()};
    if (rte_eal_init(static_cast<int>(sizeof(eal_argv) / sizeof(eal_argv[0])), const_cast<char**>(eal_argv)) < 0) {
        std::fprintf(stderr, "dp_bench: rte_eal_init: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    Bench b;
    b.args = a;
    b.tsc_hz = rte_get_tsc_hz();
    g_bench = &b;

    const unsigned per_lane_mbufs = a.inflight + 2048;
    rte_mempool* pool = rte_pktmbuf_pool_create("dp_bench", per_lane_mbufs * a.lcores, 256, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
    if (pool == nullptr) {
        std::fprintf(stderr, "dp_bench: mbuf pool: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    // One port, one ring pair per queue, one queue per lcore (as RSS would spread a NIC's traffic).
    std::vector<rte_ring*> rx(a.lcores);
    std::vector<rte_ring*> tx(a.lcores);
    for (unsigned q = 0; q < a.lcores; ++q) {
        const std::string s = std::to_string(q);
        rx[q] = rte_ring_create(("bench_rx" + s).c_str(), 4096, static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
        tx[q] = rte_ring_create(("bench_tx" + s).c_str(), 4096, static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (rx[q] == nullptr || tx[q] == nullptr) {
            std::fprintf(stderr, "dp_bench: ring: %s\n", rte_strerror(rte_errno));
            return 1;
        }
    }
    const int pid = rte_eth_from_rings("bench0", rx.data(), a.lcores, tx.data(), a.lcores, rte_socket_id());
    if (pid < 0) {
        std::fprintf(stderr, "dp_bench: rte_eth_from_rings: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    const auto port_id = static_cast<uint16_t>(pid);
    // net_ring has no RSS: every queue is set up by hand instead of port::setup's RSS path.
    {
        rte_eth_conf conf{};
        if (rte_eth_dev_configure(port_id, static_cast<uint16_t>(a.lcores), static_cast<uint16_t>(a.lcores), &conf) != 0) {
            std::fprintf(stderr, "dp_bench: configure failed\n");
            return 1;
        }
        for (uint16_t q = 0; q < a.lcores; ++q) {
            if (rte_eth_rx_queue_setup(port_id, q, 1024, rte_socket_id(), nullptr, pool) != 0 ||
                rte_eth_tx_queue_setup(port_id, q, 1024, rte_socket_id(), nullptr) != 0) {
                std::fprintf(stderr, "dp_bench: queue setup failed\n");
                return 1;
            }
        }
        if (rte_eth_dev_start(port_id) != 0) {
            std::fprintf(stderr, "dp_bench: start failed\n");
            return 1;
        }
    }

    const golden::Node node = bench_node(a);
    const uint32_t max_backends = std::max<uint32_t>(a.backends, 4);
    fwd::BuildResult built =
        golden::build_table(make_config(a), node, {.port = port_id, .max_services = 4, .max_backends = max_backends});
    if (!built.table) {
        std::fprintf(stderr, "dp_bench: table: %s\n", built.error.c_str());
        return 1;
    }
    fwd::Publisher publisher(a.lcores);
    publisher.publish(std::move(built.table));

    const pkt::Limits limits{.flows = 1u << 20, .services = 4, .backends = max_backends, .persist = 1024, .hz = b.tsc_hz};
    b.lanes.resize(a.lcores);
    std::vector<unsigned> ids(a.lcores);
    for (unsigned i = 0; i < a.lcores; ++i) {
        Lane& l = b.lanes[i];
        ids[i] = i;
        l.index = i;
        l.port = port_id;
        l.rx = rx[i];
        l.tx = tx[i];
        l.worker = std::make_unique<lcore::Worker>(
            lcore::Config{.ports = {port_id}, .queue = static_cast<uint16_t>(i), .index = static_cast<uint16_t>(i),
                          .publisher = &publisher, .reader_id = i},
            limits, flow::Timeouts::ipvs_defaults(b.tsc_hz));
        // ACKs (established flows) unless every packet is a new flow (SYNs).
        build_frame(l.frame, 0x0a800000u + (i << 16), 1024, a.new_flows ? 0x02 : 0x10);
        for (uint32_t k = 0; k < a.inflight; ++k) {
            rte_mbuf* m = rte_pktmbuf_alloc(pool);
            if (m == nullptr) {
                std::fprintf(stderr, "dp_bench: out of mbufs\n");
                return 1;
            }
            std::memcpy(rte_pktmbuf_append(m, frame_len), l.frame, frame_len);
            m->hash.usr = (k + a.flows - a.inflight % a.flows) % a.flows;  // recycle() steps it to k mod flows
            rte_ring_enqueue(l.tx, m);  // recycle() restores it and feeds it to the worker
        }
    }
    unsigned next = 1;
    unsigned lc = 0;
    RTE_LCORE_FOREACH_WORKER(lc)
    {
        if (next < a.lcores) {
            rte_eal_remote_launch(run_lane, &ids[next++], lc);
        }
    }
    run_lane(&ids[0]);
    rte_eal_mp_wait_lcore();

    uint64_t packets = 0;
    uint64_t tsc = 0;
    uint64_t instructions = 0;
    bool have_instructions = true;
    uint64_t drops = 0;
    int perf_errno = 0;
    for (const Lane& l : b.lanes) {
        packets += l.packets;
        tsc = std::max(tsc, l.tsc);
        have_instructions = have_instructions && l.instructions.has_value();
        instructions += l.instructions.value_or(0);
        drops += l.worker->counters().verdict_count_of(pkt::Verdict::drop);
        perf_errno = perf_errno != 0 ? perf_errno : l.perf_errno;
    }
    const double secs = static_cast<double>(tsc) / static_cast<double>(b.tsc_hz);
    const double mpps = static_cast<double>(packets) / secs / 1e6;
    std::string ipp = "null";
    if (have_instructions && packets != 0) {
        ipp = std::to_string(static_cast<double>(instructions) / static_cast<double>(packets));
    }
    std::printf("{\"bench\": \"dp_bench\", \"mode\": \"%s\", \"new_flows\": %s, \"lcores\": %u, \"algo\": \"%s\", "
                "\"flows_per_lcore\": %u, \"backends\": %u, \"seconds\": %.3f, \"packets\": %llu, \"mpps\": %.3f, "
                "\"mpps_per_lcore\": %.3f, \"tsc_hz\": %llu, \"tsc_cycles_per_packet_derived\": %.1f, "
                "\"instructions_per_packet\": %s, "
                "\"instructions_source\": \"%s\", \"drops\": %llu}\n",
                a.mode.c_str(), a.new_flows ? "true" : "false", a.lcores, a.algo.c_str(), a.flows, a.backends, secs,
                static_cast<unsigned long long>(packets), mpps, mpps / a.lcores,
                static_cast<unsigned long long>(b.tsc_hz),
                static_cast<double>(b.tsc_hz) * secs * a.lcores / static_cast<double>(std::max<uint64_t>(packets, 1)),
                ipp.c_str(),
                have_instructions ? "perf_event_open"
                                  : (std::string("unavailable (perf_event_open: ") + std::strerror(perf_errno) +
                                     "): see bench/dp_instructions.sh")
                                        .c_str(),
                static_cast<unsigned long long>(drops));
    b.lanes.clear();
    rte_eth_dev_stop(port_id);
    rte_eal_cleanup();
    return 0;
}

// dp_bench --dataplane=xdp: vipd's XDP program loaded as vipd loads it, its maps written by MapSync
// from the same table the DPDK lanes use, run on one pinned CPU with BPF_PROG_RUN behind the harness
// of bench/xdp_harness.bpf.c (which restores the frame and picks the flow on each run); with
// --lcores N, on N pinned CPUs at once, each with flows of its own. Rounds
// alternate a bare XDP_TX program behind the same harness (the floor) and vipd's, side by side; the
// forward counter must grow by exactly the runs of vipd's rounds.
#include "bench/xdp_bench.h"

#include "bpf/control/loader.h"
#include "bpf/control/sync.h"
#include "dataplane/fwd/verdicts.h"

// The skeletons embed their BPF objects as string literals longer than C++ promises to support.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "bench/xdp_harness.skel.h"
#pragma GCC diagnostic pop

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sched.h>

#include <algorithm>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace bench {
namespace {

// One BPF_PROG_RUN of `repeat` runs; the wall time per run in ns, or a negative errno.
double run_ns(int prog_fd, const uint8_t* frame, uint32_t len, uint32_t repeat)
{
    std::vector<uint8_t> in(frame, frame + len);
    bpf_test_run_opts opts{};
    opts.sz = sizeof(opts);
    opts.data_in = in.data();
    opts.data_size_in = len;
    opts.repeat = repeat;
    const auto t0 = std::chrono::steady_clock::now();
    if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
        return -errno;
    }
    const auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / repeat;
}

// The CPUs this process may run on, highest first (one CPU: the last, as the DPDK bench's lcore 0
// is not; N CPUs: the N highest).
std::vector<int> allowed_cpus()
{
    std::vector<int> out;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0) {
        for (int c = CPU_SETSIZE - 1; c >= 0; --c) {
            if (CPU_ISSET(c, &cpus)) {
                out.push_back(c);
            }
        }
    }
    return out;
}

void pin_to(int cpu)
{
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(cpu, &cpus);
    sched_setaffinity(0, sizeof(cpus), &cpus);
}

// The instructions the verifier walked to accept a program (what bounds its complexity: 1 M).
uint32_t verified_insns(int prog_fd)
{
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    return bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0 ? info.verified_insns : 0;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int run_xdp(const XdpArgs& a, const conf::Config& config, const golden::Node& node, const uint8_t* frame, uint32_t frame_len)
{
    const std::vector<int> cpus = allowed_cpus();
    if (a.cpus == 0 || cpus.size() < a.cpus) {
        std::fprintf(stderr, "dp_bench: --lcores %u: this process may run on %zu CPUs\n", a.cpus, cpus.size());
        return 1;
    }
    pin_to(cpus[0]);
    xdp::LoadResult loaded = xdp::Program::load({.flows = a.table_flows, .per_cpu_flows = a.per_cpu_flows});
    if (!loaded.program) {
        std::fprintf(stderr, "dp_bench: %s\n", loaded.error.c_str());
        return 1;
    }
    xdp::Program& prog = *loaded.program;
    fwd::BuildResult built = golden::build_table(config, node, {.port = 0, .max_services = 4,
                                                                .max_backends = std::max<uint32_t>(a.backends, 4)});
    if (!built.table) {
        std::fprintf(stderr, "dp_bench: table: %s\n", built.error.c_str());
        return 1;
    }
    xdp::MapSync sync(prog.maps(), {1});  // BPF_PROG_RUN's frames arrive on lo, ifindex 1
    const xdp::SyncResult synced = sync.apply(*built.table);
    if (!synced.error.empty() || !synced.skipped.empty()) {
        std::fprintf(stderr, "dp_bench: maps: %s%s\n", synced.error.c_str(),
                     synced.skipped.empty() ? "" : synced.skipped.front().why.c_str());
        return 1;
    }

    xdp_harness* h = xdp_harness__open();
    if (h == nullptr) {
        std::fprintf(stderr, "dp_bench: harness: %s\n", std::strerror(errno));
        return 1;
    }
    h->rodata->bench_flows = a.flows;
    h->rodata->bench_new_flows = a.new_flows ? 1 : 0;
    if (xdp_harness__load(h) != 0) {
        std::fprintf(stderr, "dp_bench: harness load: %s\n", std::strerror(errno));
        xdp_harness__destroy(h);
        return 1;
    }
    std::memcpy(h->bss->bench_template, frame, std::min<uint32_t>(frame_len, sizeof(h->bss->bench_template)));
    const int next = bpf_map__fd(h->maps.bench_next);
    const int restore = bpf_program__fd(h->progs.bench_restore);
    const uint32_t zero = 0;
    auto target = [&](int fd) { return bpf_map_update_elem(next, &zero, &fd, BPF_ANY) == 0; };

    // Each CPU's thread, pinned, runs what the main thread has targeted (first vipd's program for the
    // warm-up, then bare and vipd's alternately), all CPUs at once and in step: phase p of every
    // thread starts together and ends before phase p + 1. With one CPU this is the main thread alone.
    const uint32_t n = a.cpus;
    const uint32_t warm = std::max<uint32_t>(2 * a.flows, 1u << 16);
    uint32_t repeat = 0;
    std::vector<std::vector<double>> bare_ns(n);
    std::vector<std::vector<double>> vipd_ns(n);
    std::barrier step(static_cast<std::ptrdiff_t>(n) + 1);
    bool failed = false;
    std::mutex failed_lock;
    auto fail = [&](const char* what) {
        std::lock_guard<std::mutex> g(failed_lock);
        if (!failed) {
            std::fprintf(stderr, "dp_bench: %s: %s\n", what, std::strerror(errno));
        }
        failed = true;
    };
    std::vector<std::thread> threads;
    for (uint32_t i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            pin_to(cpus[i]);
            step.arrive_and_wait();  // warm-up: every flow of the hit case into the table
            if (run_ns(restore, frame, frame_len, warm) < 0) {
                fail("warm-up");
            }
            step.arrive_and_wait();
            step.arrive_and_wait();  // repeat is sized
            for (uint32_t r = 0; r < a.rounds; ++r) {
                for (auto* ns : {&bare_ns[i], &vipd_ns[i]}) {
                    step.arrive_and_wait();
                    ns->push_back(run_ns(restore, frame, frame_len, repeat));
                    step.arrive_and_wait();
                }
            }
        });
    }
    if (!target(prog.prog_fd())) {
        fail("harness target");
    }
    step.arrive_and_wait();
    step.arrive_and_wait();
    // Size the rounds from one short probe (all CPUs warm, this one alone) so each takes about
    // seconds / (2 × rounds).
    const double probe = run_ns(restore, frame, frame_len, 1u << 16);
    repeat = static_cast<uint32_t>(std::clamp(a.seconds / (2.0 * a.rounds) * 1e9 / std::max(probe, 1.0), 1e5, 2e9));
    const uint64_t forwarded1 = prog.verdicts()[VIPD_VERDICT_forward];
    step.arrive_and_wait();
    for (uint32_t r = 0; r < a.rounds; ++r) {
        for (const int fd : {bpf_program__fd(h->progs.bench_bare), prog.prog_fd()}) {
            if (!target(fd)) {
                fail("harness target");
            }
            step.arrive_and_wait();
            step.arrive_and_wait();
        }
    }
    for (std::thread& t : threads) {
        t.join();
    }
    const uint64_t forwarded = prog.verdicts()[VIPD_VERDICT_forward] - forwarded1;
    xdp_harness__destroy(h);
    bool all_ran = !failed && probe > 0;
    for (uint32_t i = 0; i < n; ++i) {
        all_ran = all_ran && vipd_ns[i].size() == a.rounds && bare_ns[i].size() == a.rounds &&
                  std::none_of(vipd_ns[i].begin(), vipd_ns[i].end(), [](double v) { return v < 0; }) &&
                  std::none_of(bare_ns[i].begin(), bare_ns[i].end(), [](double v) { return v < 0; });
    }
    if (!all_ran) {
        std::fprintf(stderr, "dp_bench: a round failed\n");
        return 1;
    }
    // Per round: the CPUs' mean ns per packet (bare and vipd) and their summed rate. The median round
    // of each; vipd's own cost is the difference of the medians.
    std::vector<double> bare_round(a.rounds);
    std::vector<double> vipd_round(a.rounds);
    std::vector<double> mpps_round(a.rounds);
    for (uint32_t r = 0; r < a.rounds; ++r) {
        for (uint32_t i = 0; i < n; ++i) {
            bare_round[r] += bare_ns[i][r] / n;
            vipd_round[r] += vipd_ns[i][r] / n;
            mpps_round[r] += 1e3 / vipd_ns[i][r];
        }
    }
    const double bare = median(bare_round);
    const double vipd = median(vipd_round);
    const double mpps = median(mpps_round);
    const uint64_t vipd_runs = uint64_t{repeat} * a.rounds * n;
    const bool all_forwarded = forwarded == vipd_runs;
    std::printf("{\"bench\": \"dp_bench\", \"dataplane\": \"xdp\", \"mode\": \"%s\", \"new_flows\": %s, \"lcores\": %u, "
                "\"flow_tables\": \"%s\", \"table_flows\": %u, \"algo\": \"%s\", \"flows_per_lcore\": %u, "
                "\"backends\": %u, \"rounds\": %u, "
                "\"runs_per_round\": %u, \"mpps\": %.3f, \"mpps_per_lcore\": %.3f, \"ns_per_packet\": %.1f, "
                "\"floor_ns_per_packet\": %.1f, \"vipd_ns_per_packet\": %.1f, \"forwarded\": %llu, \"runs\": %llu, "
                "\"all_forwarded\": %s, \"verified_insns_entry\": %u, \"verified_insns_full\": %u}\n",
                a.mode.c_str(), a.new_flows ? "true" : "false", n, a.per_cpu_flows ? "per-cpu" : "shared", a.table_flows,
                a.algo.c_str(),
                a.flows, a.backends, a.rounds, repeat, mpps, mpps / n, vipd, bare, vipd - bare,
                static_cast<unsigned long long>(forwarded), static_cast<unsigned long long>(vipd_runs),
                all_forwarded ? "true" : "false", verified_insns(prog.prog_fd()),
                verified_insns(prog.full_prog_fd()));
    return all_forwarded ? 0 : 3;
}

}  // namespace bench

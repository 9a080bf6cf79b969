// dp_bench --dataplane=xdp: vipd's XDP program loaded as vipd loads it, its maps written by MapSync
// from the same table the DPDK lanes use, run on one pinned CPU with BPF_PROG_RUN behind the harness
// of bench/xdp_harness.bpf.c (which restores the frame and picks the flow on each run). Rounds
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
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
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

void pin_one_cpu()
{
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) {
        return;
    }
    for (int c = CPU_SETSIZE - 1; c >= 0; --c) {
        if (CPU_ISSET(c, &cpus)) {
            CPU_ZERO(&cpus);
            CPU_SET(c, &cpus);
            sched_setaffinity(0, sizeof(cpus), &cpus);
            return;
        }
    }
}

}  // namespace

int run_xdp(const XdpArgs& a, const conf::Config& config, const golden::Node& node, const uint8_t* frame, uint32_t frame_len)
{
    pin_one_cpu();
    xdp::LoadResult loaded = xdp::Program::load({.flows = 1u << 20});
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

    // Warm-up: every flow of the hit case into the table (and the caches warm).
    const uint32_t warm = std::max<uint32_t>(2 * a.flows, 1u << 16);
    if (!target(prog.prog_fd()) || run_ns(restore, frame, frame_len, warm) < 0) {
        std::fprintf(stderr, "dp_bench: warm-up: %s\n", std::strerror(errno));
        xdp_harness__destroy(h);
        return 1;
    }
    // Size the rounds from one short probe so each takes about seconds / (2 × rounds).
    const double probe = run_ns(restore, frame, frame_len, 1u << 16);
    const auto repeat = static_cast<uint32_t>(
        std::clamp(a.seconds / (2.0 * a.rounds) * 1e9 / std::max(probe, 1.0), 1e5, 2e9));
    std::vector<double> bare_ns;
    std::vector<double> vipd_ns;
    const uint64_t forwarded0 = prog.verdicts()[VIPD_VERDICT_forward];
    uint64_t vipd_runs = 0;
    for (uint32_t r = 0; r < a.rounds; ++r) {
        if (!target(bpf_program__fd(h->progs.bench_bare))) {
            break;
        }
        bare_ns.push_back(run_ns(restore, frame, frame_len, repeat));
        if (!target(prog.prog_fd())) {
            break;
        }
        vipd_ns.push_back(run_ns(restore, frame, frame_len, repeat));
        vipd_runs += repeat;
    }
    const uint64_t forwarded = prog.verdicts()[VIPD_VERDICT_forward] - forwarded0;
    xdp_harness__destroy(h);
    if (vipd_ns.size() != a.rounds || bare_ns.size() != a.rounds ||
        std::any_of(vipd_ns.begin(), vipd_ns.end(), [](double v) { return v < 0; })) {
        std::fprintf(stderr, "dp_bench: a round failed\n");
        return 1;
    }
    // The median round of each, and the difference of the medians: vipd's own cost per packet.
    std::sort(bare_ns.begin(), bare_ns.end());
    std::sort(vipd_ns.begin(), vipd_ns.end());
    const double bare = bare_ns[bare_ns.size() / 2];
    const double vipd = vipd_ns[vipd_ns.size() / 2];
    std::printf("{\"bench\": \"dp_bench\", \"dataplane\": \"xdp\", \"mode\": \"%s\", \"new_flows\": %s, \"lcores\": 1, "
                "\"algo\": \"%s\", \"flows_per_lcore\": %u, \"backends\": %u, \"rounds\": %u, \"runs_per_round\": %u, "
                "\"mpps\": %.3f, \"mpps_per_lcore\": %.3f, \"ns_per_packet\": %.1f, \"floor_ns_per_packet\": %.1f, "
                "\"vipd_ns_per_packet\": %.1f, \"forwarded\": %llu, \"runs\": %llu, \"all_forwarded\": %s}\n",
                a.mode.c_str(), a.new_flows ? "true" : "false", a.algo.c_str(), a.flows, a.backends, a.rounds, repeat,
                1e3 / vipd, 1e3 / vipd, vipd, bare, vipd - bare, static_cast<unsigned long long>(forwarded),
                static_cast<unsigned long long>(vipd_runs), forwarded == vipd_runs ? "true" : "false");
    return forwarded == vipd_runs ? 0 : 3;
}

}  // namespace bench

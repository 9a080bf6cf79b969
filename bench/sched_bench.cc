// Measures what the schedulers cost the control plane (Maglev table builds) and the hot path (one
// pick() per new flow), printing one JSON line per figure for bench/RESULTS.md.
// Usage: `sched_bench` (every figure) or `sched_bench maglev N M [equal|weighted|skewed] [RUNS]`
// (one Maglev build, RUNS times).
#include "dataplane/fwd/sched/sched.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::vector<sched::Backend> backends(size_t n, bool weighted)
{
    std::vector<sched::Backend> b(n);
    for (size_t i = 0; i < n; ++i) {
        b[i] = {.key = (0x0a000000ull + i) << 16 | 80, .weight = weighted ? static_cast<uint32_t>(1 + i % 4) : 1u};
    }
    return b;
}

// Maglev table build. weights: "equal" (all 1), "weighted" (1, 2, 3, 4, 1, …) or "skewed" (the
// first backend 100, the others 1: 11 turns a round, which maglev_fill schedules by calendar).
void maglev_build(size_t n, uint32_t m, const std::string& weights, int runs)
{
    std::vector<sched::MaglevBackend> mb;
    for (const auto& b : backends(n, weights == "weighted")) {
        const bool heavy = weights == "skewed" && mb.empty();
        mb.push_back({.key = b.key, .weight = heavy ? 100u : b.weight});
    }
    std::vector<int16_t> table(m);
    std::vector<double> ms;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = clock_type::now();
        sched::maglev_fill(mb, table);
        const auto t1 = clock_type::now();
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::printf("{\"bench\":\"maglev_build\",\"backends\":%zu,\"M\":%u,\"weighted\":%s,\"weights\":\"%s\","
                "\"runs\":%d,\"median_ms\":%.3f,\"min_ms\":%.3f,\"target_ms\":1.8}\n",
                n, m, weights == "equal" ? "false" : "true", weights.c_str(), runs, median(ms),
                *std::min_element(ms.begin(), ms.end()));
}

// Whole Service::build for mh (validation, table allocation and fill), what a publish really pays.
void mh_service_build(size_t n, int runs)
{
    const auto b = backends(n, false);
    std::vector<double> ms;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = clock_type::now();
        auto s = sched::Service::build(sched::Algo::mh, b);
        const auto t1 = clock_type::now();
        if (!s) {
            std::fprintf(stderr, "%s\n", s.error.c_str());
            return;
        }
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::printf("{\"bench\":\"mh_service_build\",\"backends\":%zu,\"M\":%u,\"runs\":%d,\"median_ms\":%.3f}\n", n,
                sched::maglev_size_for(n), runs, median(ms));
}

void pick_cost(sched::Algo a, size_t n)
{
    auto built = sched::Service::build(a, backends(n, true));
    if (!built) {
        std::fprintf(stderr, "%s\n", built.error.c_str());
        return;
    }
    const sched::Service& s = *built.service;
    sched::Lcore l(s);
    // Inputs drawn beforehand so the loop times pick() and not the generator.
    std::mt19937 rng(42);
    constexpr size_t inputs = 1 << 16;
    std::vector<uint32_t> hashes(inputs), ips(inputs);
    for (size_t i = 0; i < inputs; ++i) {
        hashes[i] = rng();
        ips[i] = rng();
    }
    const size_t iters = n >= 1000 ? 200000 : 2000000;
    int64_t sink = 0;
    const auto t0 = clock_type::now();
    for (size_t i = 0; i < iters; ++i) {
        const size_t k = i & (inputs - 1);
        const int32_t p = sched::pick(s, l, hashes[k], ips[k]);
        sink += p;
        // End every flow again so lc, wlc, sed, nq and ovf run on a steady state, as a busy lcore does.
        sched::on_flow_end(l, p, true);
    }
    const auto t1 = clock_type::now();
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / double(iters);
    std::printf("{\"bench\":\"pick\",\"algo\":\"%s\",\"backends\":%zu,\"ns_per_pick\":%.1f,"
                "\"includes\":\"pick+on_flow_end\",\"sink\":%lld}\n",
                std::string(sched::to_string(a)).c_str(), n, ns, static_cast<long long>(sink));
}

} // namespace

int main(int argc, char** argv)
{
    // `sched_bench maglev N M [equal|weighted|skewed] [RUNS]`: one Maglev figure alone, e.g. under
    // callgrind with RUNS = 1 and `--toggle-collect='sched::maglev_fill(*)'` to count one build.
    if (argc >= 4 && std::string(argv[1]) == "maglev") {
        const std::string weights = argc >= 5 ? argv[4] : "equal";
        const int runs = argc >= 6 ? std::atoi(argv[5]) : 15;
        maglev_build(std::strtoul(argv[2], nullptr, 10), static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)),
                     weights, std::max(runs, 1));
        return 0;
    }
    const int runs = 15;
    maglev_build(1000, 65537, "equal", runs);
    maglev_build(1000, 131071, "equal", runs);
    maglev_build(1000, 131071, "weighted", runs);
    maglev_build(1000, 131071, "skewed", runs);
    mh_service_build(1000, runs);
    for (size_t n : {10u, 1000u}) {
        for (sched::Algo a : {sched::Algo::rr, sched::Algo::wrr, sched::Algo::lc, sched::Algo::wlc, sched::Algo::sed,
                              sched::Algo::nq, sched::Algo::sh, sched::Algo::mh, sched::Algo::fo, sched::Algo::ovf}) {
            pick_cost(a, n);
        }
    }
    return 0;
}

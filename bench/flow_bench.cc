// Measures the per-lcore flow table at 1M flows — memory per flow, lookup (hit, miss; one at a time
// and in bursts of 32) and insert rates, single-threaded — printing one JSON line per figure for
// bench/RESULTS.md. Hashes are precomputed, as the NIC delivers them with the packet.
#include "dataplane/dpdk/datapath/flow/flow_table.h"
#include "dataplane/dpdk/datapath/flow/hash.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
constexpr uint32_t flows = 1U << 20;
constexpr uint32_t burst = 32;

volatile uint64_t sink;

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void report(const char* figure, const char* mode, uint64_t ops, double secs)
{
    std::printf("{\"bench\":\"flow\",\"figure\":\"%s\",\"mode\":\"%s\",\"flows\":%u,\"ops\":%llu,"
                "\"mops\":%.2f,\"ns_per_op\":%.1f}\n",
                figure, mode, flows, static_cast<unsigned long long>(ops), static_cast<double>(ops) / secs / 1e6,
                secs * 1e9 / static_cast<double>(ops));
}

struct Keys {
    std::vector<flow::Key4> key;
    std::vector<uint32_t> hash;
};

Keys make_keys(uint32_t n, std::mt19937_64& rng)
{
    Keys k;
    k.key.resize(n);
    k.hash.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
        const uint64_t r = rng();
        k.key[i] = {.src = static_cast<uint32_t>(r),
                    .dst = 0x010200C0U,  // 192.0.2.1
                    .sport = static_cast<uint16_t>(r >> 32),
                    .dport = 0x5000,  // 80
                    .proto = (r >> 48) % 4 == 0 ? flow::ipproto_udp : flow::ipproto_tcp};
        k.hash[i] = flow::hash_v4(k.key[i]);
    }
    return k;
}

// Lookups of keys[order[i]], one at a time or through lookup_burst.
double lookups(flow::FlowTable& t, const Keys& k, const std::vector<uint32_t>& order, bool burst_mode)
{
    std::vector<flow::Key4> bk(burst);
    std::vector<uint32_t> bh(burst);
    std::vector<flow::Entry*> out(burst);
    uint64_t acc = 0;
    const auto t0 = clock_type::now();
    if (burst_mode) {
        for (size_t i = 0; i + burst <= order.size(); i += burst) {
            // Gathering into a burst stands in for the classifier, which builds these arrays anyway.
            for (uint32_t j = 0; j < burst; ++j) {
                bk[j] = k.key[order[i + j]];
                bh[j] = k.hash[order[i + j]];
            }
            t.lookup_burst(bk.data(), bh.data(), burst, i, out.data());
            for (uint32_t j = 0; j < burst; ++j) {
                acc += out[j] != nullptr ? out[j]->backend : 1;
            }
        }
    } else {
        for (size_t i = 0; i < order.size(); ++i) {
            const uint32_t x = order[i];
            const flow::Entry* e = t.lookup(k.key[x], k.hash[x], i);
            acc += e != nullptr ? e->backend : 1;
        }
    }
    const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    sink = acc;
    return s;
}

}  // namespace

int main(int argc, char** argv)
{
    const int runs = argc > 1 ? std::atoi(argv[1]) : 3;
    std::mt19937_64 rng(42);
    const Keys in = make_keys(flows, rng);   // inserted
    const Keys out = make_keys(flows, rng);  // never inserted (distinct with overwhelming probability)
    // Time in ns; the run is far shorter than any timeout, so nothing expires while measuring.
    const flow::Timeouts tmo = flow::Timeouts::ipvs_defaults(1'000'000'000);

    // Inserts into an empty table until it holds 1M flows.
    std::vector<double> ins;
    std::unique_ptr<flow::FlowTable> t;
    for (int r = 0; r < runs; ++r) {
        t = std::make_unique<flow::FlowTable>(flows, tmo);
        const auto t0 = clock_type::now();
        for (uint32_t i = 0; i < flows; ++i) {
            t->insert(in.key[i], in.hash[i], i, 1, i, flow::tcp_syn);
        }
        ins.push_back(std::chrono::duration<double>(clock_type::now() - t0).count());
    }
    const flow::Counters c0 = t->counters();
    std::printf("{\"bench\":\"flow\",\"figure\":\"memory\",\"flows\":%u,\"bytes\":%zu,\"bytes_per_flow\":%.1f,"
                "\"buckets\":%u,\"entry_bytes\":%zu,\"held\":%llu,\"evictions_while_filling\":%llu}\n",
                flows, t->memory_bytes(), static_cast<double>(t->memory_bytes()) / flows, t->buckets(),
                sizeof(flow::Entry), static_cast<unsigned long long>(c0.active),
                static_cast<unsigned long long>(c0.evictions));
    report("insert", "empty_to_1M", flows, median(ins));

    std::vector<uint32_t> order(flows);
    for (uint32_t i = 0; i < flows; ++i) {
        order[i] = i;
    }
    std::shuffle(order.begin(), order.end(), rng);

    for (const bool b : {false, true}) {
        std::vector<double> hit;
        std::vector<double> miss;
        for (int r = 0; r < runs; ++r) {
            hit.push_back(lookups(*t, in, order, b));
            miss.push_back(lookups(*t, out, order, b));
        }
        const uint64_t ops = b ? order.size() / burst * burst : order.size();
        report("lookup_hit", b ? "burst32" : "single", ops, median(hit));
        report("lookup_miss", b ? "burst32" : "single", ops, median(miss));
    }

    // Inserts into the full table: every one evicts (the pool is exhausted), the SYN-flood case.
    {
        const auto t0 = clock_type::now();
        for (uint32_t i = 0; i < flows; ++i) {
            t->insert(out.key[i], out.hash[i], flows + i, 1, i, flow::tcp_syn);
        }
        const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
        report("insert", "full_evicting", flows, s);
        std::printf("{\"bench\":\"flow\",\"figure\":\"evictions\",\"count\":%llu}\n",
                    static_cast<unsigned long long>(t->counters().evictions));
    }

    // Expiry sweep of the whole table once everything has timed out, 64 buckets per call.
    {
        const auto t0 = clock_type::now();
        uint64_t n = 0;
        uint64_t calls = 0;
        while (t->size() > 0) {
            n += t->expire(UINT64_MAX / 2, 64);
            ++calls;
        }
        const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
        report("expire", "sweep64", n, s);
        std::printf("{\"bench\":\"flow\",\"figure\":\"expire_call\",\"buckets_per_call\":64,\"ns_per_call\":%.0f}\n",
                    s * 1e9 / static_cast<double>(calls));
    }

    // The software hashes, for packets that come without a NIC hash.
    {
        const flow::Toeplitz tz(flow::rss_key_default);
        uint64_t acc = 0;
        auto t0 = clock_type::now();
        for (uint32_t i = 0; i < flows; ++i) {
            acc += flow::hash_v4(in.key[i]);
        }
        report("hash", "crc32c", flows, std::chrono::duration<double>(clock_type::now() - t0).count());
        t0 = clock_type::now();
        for (uint32_t i = 0; i < flows; ++i) {
            acc += tz.v4(in.key[i]);
        }
        report("hash", "toeplitz", flows, std::chrono::duration<double>(clock_type::now() - t0).count());
        sink = acc;
    }
    return 0;
}

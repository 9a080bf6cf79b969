// IPVS's scheduling modules re-expressed as a read-only service state plus per-lcore cursors and
// counters; each algorithm cites the kernel function whose decisions it reproduces.
#include "dataplane/fwd/sched/sched.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <new>
#include <numeric>

namespace sched {

namespace {

constexpr std::array<std::string_view, 13> names{
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "mh", "sed", "nq", "fo", "ovf"};

bool is_prime(uint32_t n) noexcept
{
    if (n < 2) {
        return false;
    }
    for (uint32_t d = 2; uint64_t{d} * d <= n; ++d) {
        if (n % d == 0) {
            return false;
        }
    }
    return true;
}

// Single writer (the owner lcore), concurrent readers (statistics): relaxed atomics are plain loads
// and stores on x86 and ARM, and make the readers' view race-free. No read-modify-write is needed
// because nobody else writes.
uint32_t load(const uint32_t& v) noexcept
{
    return std::atomic_ref<const uint32_t>(v).load(std::memory_order_relaxed);
}
void store(uint32_t& v, uint32_t x) noexcept
{
    std::atomic_ref<uint32_t>(v).store(x, std::memory_order_relaxed);
}

// ip_vs_dest_conn_overhead(): active connections cost 256 times an inactive one.
uint64_t conn_overhead(const FlowCounts& c) noexcept
{
    return (uint64_t{load(c.active)} << 8) + load(c.inactive);
}
// ip_vs_sed_dest_overhead() / ip_vs_nq_dest_overhead(): the expected delay counts the new flow too.
uint64_t sed_overhead(const FlowCounts& c) noexcept { return uint64_t{load(c.active)} + 1; }

// ip_vs_rr_schedule(): the next available backend after the last one picked.
int32_t pick_rr(const Service& s, int32_t& pos) noexcept
{
    const auto n = static_cast<int32_t>(s.size());
    int32_t i = pos;
    for (int32_t k = 0; k < n; ++k) {
        ++i;
        i = (i >= n) ? 0 : i;
        if (s.effective_weight(static_cast<uint32_t>(i)) != 0) {
            pos = i;
            return i;
        }
    }
    return -1;
}

// ip_vs_lc_schedule(): least overhead, first in order on ties.
int32_t pick_lc(const uint32_t* w, const FlowCounts* c, uint32_t n) noexcept
{
    int32_t least = -1;
    uint64_t loh = 0;
    for (uint32_t i = 0; i < n; ++i) {
        if (w[i] == 0) {
            continue;
        }
        const uint64_t doh = conn_overhead(c[i]);
        if (least < 0 || doh < loh) {
            least = static_cast<int32_t>(i);
            loh = doh;
        }
    }
    return least;
}

// ip_vs_wlc_schedule() and ip_vs_sed_schedule(): least overhead/weight, compared as
// loh·w_i > doh·w_least so no division is needed; first in order on ties. Quiesced backends
// (weight 0) can never win the comparison, as in the kernel.
template <uint64_t (*Overhead)(const FlowCounts&)>
int32_t pick_weighted_least(const uint32_t* w, const FlowCounts* c, uint32_t n) noexcept
{
    uint32_t i = 0;
    while (i < n && w[i] == 0) {
        ++i;
    }
    if (i == n) {
        return -1;
    }
    uint32_t least = i;
    uint64_t loh = Overhead(c[i]);
    uint64_t lw = w[i];  // kept in a register: the loop then streams w[] and c[] only
    for (++i; i < n; ++i) {
        const uint64_t wi = w[i];
        const uint64_t doh = Overhead(c[i]);
        if (loh * wi > doh * lw) {
            least = i;
            loh = doh;
            lw = wi;
        }
    }
    return static_cast<int32_t>(least);
}

// ip_vs_nq_schedule(): the first idle backend (no active flow) at once, otherwise as sed. The kernel
// does both in one loop; an idle backend ends its loop early, so what it picks is the same.
int32_t pick_nq(const uint32_t* w, const FlowCounts* c, uint32_t n) noexcept
{
    for (uint32_t i = 0; i < n; ++i) {
        if (w[i] != 0 && load(c[i].active) == 0) {
            return static_cast<int32_t>(i);
        }
    }
    return pick_weighted_least<sed_overhead>(w, c, n);
}

// ip_vs_ovf_schedule(): the highest weight among backends whose active flows do not exceed their
// weight; first in order on ties.
int32_t pick_ovf(const uint32_t* w, const FlowCounts* c, uint32_t n) noexcept
{
    int32_t best = -1;
    uint32_t bw = 0;
    for (uint32_t i = 0; i < n; ++i) {
        if (w[i] > bw && load(c[i].active) <= w[i]) {
            best = static_cast<int32_t>(i);
            bw = w[i];
        }
    }
    return best;
}

} // namespace

std::optional<Algo> parse_algo(std::string_view name) noexcept
{
    for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) {
            return static_cast<Algo>(i);
        }
    }
    return std::nullopt;
}

std::string_view to_string(Algo a) noexcept
{
    const auto i = static_cast<size_t>(a);
    return i < names.size() ? names[i] : std::string_view{"?"};
}

BuildResult Service::build(Algo algo, std::span<const Backend> backends, const Options& opt)
{
    BuildResult r;
    const std::string name{to_string(algo)};
    switch (algo) {
    case Algo::lblc:
    case Algo::lblcr:
    case Algo::dh:
        // These hash or track the destination address, which a VIP service's packets all share;
        // they need per-destination state the dataplane does not keep.
        r.error = "lb_algo " + name + " is not supported by the vipd dataplane (use sh, mh or wlc)";
        return r;
    default:
        break;
    }
    if (static_cast<size_t>(algo) >= names.size()) {
        r.error = "unknown lb_algo";
        return r;
    }
    if (backends.size() > max_backends) {
        r.error = "lb_algo " + name + ": " + std::to_string(backends.size()) + " real servers, at most " +
                  std::to_string(max_backends) + " are supported";
        return r;
    }

    Service s;
    s._algo = algo;
    s._opt = opt;
    s._n = static_cast<uint32_t>(backends.size());
    s._weight.resize(backends.size());
    uint32_t gcd = 0;
    uint32_t wmax = 0;
    for (size_t i = 0; i < backends.size(); ++i) {
        const Backend& b = backends[i];
        if (b.weight > max_weight) {
            r.error = "real server " + std::to_string(i) + ": weight " + std::to_string(b.weight) +
                      " is outside 0-" + std::to_string(max_weight);
            return r;
        }
        const uint32_t w = b.available ? b.weight : 0;
        s._weight[i] = w;
        if (w != 0) {
            ++s._eligible;
            gcd = std::gcd(gcd, w);
            wmax = std::max(wmax, w);
        }
    }

    switch (algo) {
    case Algo::wrr:
        // ip_vs_wrr_init_svc(): di = gcd of the weights, mw = max weight - (di - 1). Only available
        // backends count, since vipd republishes when availability changes.
        s._wrr_gcd = static_cast<int32_t>(gcd);
        s._wrr_max = wmax == 0 ? 0 : static_cast<int32_t>(wmax - (gcd - 1));
        break;
    case Algo::fo:
        // ip_vs_fo_schedule(): the available backend of the highest weight, first in order on ties.
        // Nothing per packet changes it, so it is decided here.
        for (uint32_t i = 0; i < s._n; ++i) {
            if (s._weight[i] != 0 && (s._fixed < 0 || s._weight[i] > s._weight[static_cast<uint32_t>(s._fixed)])) {
                s._fixed = static_cast<int32_t>(i);
            }
        }
        break;
    case Algo::sh: {
        // ip_vs_sh_reassign(): buckets are dealt in backend order, each backend taking `weight`
        // consecutive buckets (a quiesced one still takes one), wrapping until all 256 are dealt.
        // Unavailable backends keep their buckets, so a client returns to its server when the server
        // returns. Deliberate deviation: weights are divided by their gcd first, so {100,100,100}
        // deals a,b,c,… rather than the kernel's 100 a, 100 b, 56 c; with gcd 1 the deal is IPVS's.
        s._table.assign(sh_table_size, -1);
        if (s._n == 0) {
            break;
        }
        uint32_t g = 0;
        for (const Backend& b : backends) {
            g = std::gcd(g, b.weight);
        }
        g = std::max(g, 1u);
        std::array<int16_t, sh_table_size> dealt{};
        uint32_t d = 0, count = 0;
        for (uint32_t b = 0; b < sh_table_size; ++b) {
            dealt[b] = static_cast<int16_t>(d);
            if (++count >= backends[d].weight / g) {
                d = (d + 1 == s._n) ? 0 : d + 1;
                count = 0;
            }
        }
        // ip_vs_sh_get() answers nothing for an unavailable bucket; ip_vs_sh_get_fallback() walks
        // hashkey(addr, port, (offset + ihash) % 256) = (offset + 2·ihash) % 256 for offset = 0…255
        // and takes the first available. That depends only on the bucket, so it is resolved here and
        // pick() stays one load.
        for (uint32_t b = 0; b < sh_table_size; ++b) {
            const auto own = static_cast<uint32_t>(dealt[b]);
            if (s._weight[own] != 0) {
                s._table[b] = dealt[b];
                continue;
            }
            if (!opt.sh_fallback) {
                continue;
            }
            for (uint32_t off = 0; off < sh_table_size; ++off) {
                const int16_t alt = dealt[(off + 2 * b) % sh_table_size];
                if (s._weight[static_cast<uint32_t>(alt)] != 0) {
                    s._table[b] = alt;
                    break;
                }
            }
        }
        break;
    }
    case Algo::mh: {
        // M depends on how many real servers are configured, not on how many are up: if it followed
        // availability, one server going down would reshuffle every flow.
        uint32_t m = opt.mh_table_size;
        if (m == 0) {
            m = maglev_size_for(std::max<size_t>(backends.size(), 1));
            if (m == 0) {
                r.error = "lb_algo mh: " + std::to_string(backends.size()) +
                          " real servers need a Maglev table over " +
                          std::to_string(maglev_sizes[std::size(maglev_sizes) - 1]) + " entries";
                return r;
            }
        } else if (!is_prime(m) || m > maglev_sizes[std::size(maglev_sizes) - 1]) {
            r.error = "lb_algo mh: table size " + std::to_string(m) + " is not a prime up to " +
                      std::to_string(maglev_sizes[std::size(maglev_sizes) - 1]);
            return r;
        } else if (uint64_t{m} < uint64_t{backends.size()} * 100) {
            r.error = "lb_algo mh: table size " + std::to_string(m) + " is under 100 x " +
                      std::to_string(backends.size()) + " real servers";
            return r;
        }
        std::vector<MaglevBackend> mb(backends.size());
        for (size_t i = 0; i < backends.size(); ++i) {
            mb[i] = {.key = backends[i].key, .weight = s._weight[i]};
        }
        s._table.resize(m);
        maglev_fill(mb, s._table);
        break;
    }
    default:
        break;
    }
    r.service = std::move(s);
    return r;
}

void Lcore::AlignedFree::operator()(FlowCounts* p) const noexcept
{
    ::operator delete[](p, std::align_val_t{64});
}

Lcore::Lcore(uint32_t capacity) : _capacity(capacity)
{
    // Padded to whole cache lines: the block shares no line with another lcore's allocation.
    const size_t per_line = 64 / sizeof(FlowCounts);
    const size_t slots = std::max<size_t>((capacity + per_line - 1) / per_line * per_line, per_line);
    auto* p = static_cast<FlowCounts*>(::operator new[](slots * sizeof(FlowCounts), std::align_val_t{64}));
    std::uninitialized_value_construct_n(p, slots);
    _counts.reset(p);
}

FlowCounts Lcore::counts(uint32_t backend) const noexcept
{
    if (backend >= _capacity) {
        return {};
    }
    return {load(_counts[backend].active), load(_counts[backend].inactive)};
}

void Lcore::set_counts(uint32_t backend, FlowCounts c) noexcept
{
    if (backend < _capacity) {
        store(_counts[backend].active, c.active);
        store(_counts[backend].inactive, c.inactive);
    }
}

int32_t pick(const Service& s, Lcore& l, uint32_t flow_hash, uint32_t client_ip) noexcept
{
    return pick(s, l, flow_hash, client_ip, true);
}

int32_t pick(const Service& s, Lcore& l, uint32_t flow_hash, uint32_t client_ip, bool active) noexcept
{
    if (s._n > l._capacity) [[unlikely]] {
        return -1;
    }
    const uint32_t* w = s._weight.data();
    const FlowCounts* c = l._counts.get();
    const uint32_t n = s._n;
    int32_t chosen = -1;

    switch (s._algo) {
    case Algo::rr:
        chosen = pick_rr(s, l._rr_pos);
        break;
    case Algo::wrr: {
        // ip_vs_wrr_schedule(), computed on the fly: walk on from the cursor for a backend whose
        // weight reaches the current weight cw; at the end of the list lower cw by the gcd (back to
        // the max below 1) and start from the head. The max-weight backend passes every cw, so at
        // most one wrap happens. A cursor out of range (fresh lcore, or a republished service with
        // smaller weights) starts over as ip_vs_wrr_init_svc() does.
        const int32_t mw = s._wrr_max;
        if (mw == 0) {
            break;
        }
        int32_t pos = l._wrr_pos;
        int32_t cw = l._wrr_cw;
        if (cw <= 0 || cw > mw || pos >= static_cast<int32_t>(n)) {
            pos = -1;
            cw = mw;
        }
        for (;;) {
            uint32_t i = static_cast<uint32_t>(pos + 1);
            while (i < n && w[i] < static_cast<uint32_t>(cw)) {
                ++i;
            }
            if (i < n) {
                chosen = static_cast<int32_t>(i);
                break;
            }
            pos = -1;
            cw -= s._wrr_gcd;
            cw = (cw <= 0) ? mw : cw;
        }
        l._wrr_pos = chosen;
        l._wrr_cw = cw;
        break;
    }
    case Algo::lc:
        chosen = pick_lc(w, c, n);
        break;
    case Algo::wlc:
        chosen = pick_weighted_least<conn_overhead>(w, c, n);
        break;
    case Algo::sed:
        chosen = pick_weighted_least<sed_overhead>(w, c, n);
        break;
    case Algo::nq:
        chosen = pick_nq(w, c, n);
        break;
    case Algo::ovf:
        chosen = pick_ovf(w, c, n);
        break;
    case Algo::fo:
        chosen = s._fixed;
        break;
    case Algo::sh: {
        // ip_vs_sh_hashkey(): hash_32(port + address, 8); the port only with sh-port, for which the
        // flow hash stands in.
        const uint32_t key = s._opt.sh_port ? flow_hash : client_ip;
        chosen = s._table[sh_bucket(key)];
        break;
    }
    case Algo::mh: {
        const uint32_t key = s._opt.mh_port ? flow_hash : client_ip;
        chosen = s._table[mix32(key) % static_cast<uint32_t>(s._table.size())];
        break;
    }
    default:
        break;
    }
    if (chosen >= 0) {
        FlowCounts& fc = l._counts[static_cast<uint32_t>(chosen)];
        uint32_t& v = active ? fc.active : fc.inactive;
        store(v, v + 1);
    }
    return chosen;
}

void on_flow_state(Lcore& l, int32_t backend, bool active) noexcept
{
    if (static_cast<uint32_t>(backend) >= l._capacity) {
        return;
    }
    FlowCounts& c = l._counts[static_cast<uint32_t>(backend)];
    uint32_t& from = active ? c.inactive : c.active;
    uint32_t& to = active ? c.active : c.inactive;
    // Saturating: a flow older than this Lcore (rebuilt state) must not wrap the counter.
    store(from, from - (from != 0));
    store(to, to + 1);
}

void on_flow_end(Lcore& l, int32_t backend, bool active) noexcept
{
    if (static_cast<uint32_t>(backend) >= l._capacity) {
        return;
    }
    FlowCounts& c = l._counts[static_cast<uint32_t>(backend)];
    uint32_t& v = active ? c.active : c.inactive;
    store(v, v - (v != 0));
}

void on_flow_start(Lcore& l, int32_t backend, bool active) noexcept
{
    if (static_cast<uint32_t>(backend) >= l._capacity) {
        return;
    }
    FlowCounts& c = l._counts[static_cast<uint32_t>(backend)];
    uint32_t& v = active ? c.active : c.inactive;
    store(v, v + 1);
}

} // namespace sched

// Maglev's lookup table (Eisenbud et al., NSDI 2016, §3.4, Pseudocode 1), kept apart from the
// schedulers because the XDP loader fills its BPF array with the same function.
#include "dataplane/sched/sched.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace sched {

namespace {

// splitmix64's finalizer: keys are often sequential (addresses, ports), offset and skip must not be.
constexpr uint64_t mix64(uint64_t z) noexcept
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// The paper's two independent hashes of a backend's name.
constexpr uint64_t offset_seed = 0x6d61676c65762d31ull;  // "maglev-1"
constexpr uint64_t skip_seed = 0x6d61676c65762d32ull;    // "maglev-2"

struct Walk {
    uint32_t next;      // the next position of this backend's permutation to try
    uint32_t skip;      // in [1, M-1]: with M prime, the walk visits every slot once per M steps
    uint32_t inverse;   // skip⁻¹ mod M, for the end game; 0 until it starts
    uint64_t due;       // weighted: (turns taken + 1) · max weight; a turn is due when round·weight ≥ due
    uint32_t weight;
    int16_t index;
};

// a + b mod m for a, b < m, without a division.
inline uint32_t add_mod(uint32_t a, uint32_t b, uint32_t m) noexcept
{
    const uint32_t s = a + b;
    return s >= m ? s - m : s;
}

// x⁻¹ mod m (m prime, 0 < x < m) by the extended Euclid algorithm.
uint32_t inverse_mod(uint32_t x, uint32_t m) noexcept
{
    int64_t t = 0, new_t = 1;
    int64_t r = m, new_r = x;
    while (new_r != 0) {
        const int64_t q = r / new_r;
        t = std::exchange(new_t, t - q * new_t);
        r = std::exchange(new_r, r - q * new_r);
    }
    return static_cast<uint32_t>(t < 0 ? t + m : t);
}

// Free slots at which the table switches from walking permutations to the end game (see place()).
// Walking costs about M/F probes per entry once F slots are free, the end game F operations: they
// cross near sqrt(M); measured on M = 131071 and 1,000 backends, 256 to 384 are the fastest.
constexpr uint32_t end_game_free = 320;

} // namespace

MaglevPermutation maglev_permutation(uint64_t key, uint32_t m) noexcept
{
    return {
        .offset = static_cast<uint32_t>(mix64(key ^ offset_seed) % m),
        .skip = static_cast<uint32_t>(mix64(key ^ skip_seed) % (m - 1) + 1),
    };
}

uint32_t maglev_size_for(size_t backends) noexcept
{
    for (uint32_t m : maglev_sizes) {
        if (uint64_t{m} >= uint64_t{backends} * 100) {
            return m;
        }
    }
    return 0;
}

void maglev_fill(std::span<const MaglevBackend> backends, std::span<int16_t> table)
{
    std::fill(table.begin(), table.end(), int16_t{-1});
    const auto m = static_cast<uint32_t>(table.size());
    if (m < 2) {
        return;
    }

    std::vector<Walk> walks;
    walks.reserve(backends.size());
    uint32_t wmax = 0;
    bool equal = true;
    for (size_t i = 0; i < backends.size(); ++i) {
        const MaglevBackend& b = backends[i];
        if (b.weight == 0) {
            continue;
        }
        equal = equal && (wmax == 0 || b.weight == wmax);
        wmax = std::max(wmax, b.weight);
        const MaglevPermutation p = maglev_permutation(b.key, m);
        walks.push_back({
            .next = p.offset,
            .skip = p.skip,
            .inverse = 0,
            .due = 0,
            .weight = b.weight,
            .index = static_cast<int16_t>(i),
        });
    }
    if (walks.empty()) {
        return;
    }
    for (Walk& w : walks) {
        w.due = wmax;
    }

    // Occupancy as a bitmap: 16 KiB for M = 131071 stays in L1 while the probes jump around; the
    // table itself is only written, once per slot. 32-bit words measured faster than 64-bit ones.
    std::vector<uint32_t> taken((m + 31) / 32, 0);
    uint32_t* const bits = taken.data();
    int16_t* const out = table.data();
    uint32_t filled = 0;
    auto is_taken = [bits](uint32_t c) noexcept { return (bits[c >> 5] >> (c & 31)) & 1; };

    // The end game: once few slots are free, walking a permutation costs ~M/F probes per entry,
    // which makes the last few hundred entries a third of the build. Instead, for each free slot s
    // the steps to reach it from `next` are (s - next)·skip⁻¹ mod M; the free slot with the fewest
    // steps is exactly the one the walk would have found.
    std::vector<uint32_t> free_slots;
    const double inv_m = 1.0 / m;
    auto steps = [m, inv_m](uint64_t x) noexcept {
        // x mod m for x < 2^52: the double quotient is exact to within one.
        auto r = static_cast<int64_t>(x) - static_cast<int64_t>(static_cast<double>(x) * inv_m) * m;
        r += (r < 0) ? m : 0;
        r -= (r >= static_cast<int64_t>(m)) ? m : 0;
        return static_cast<uint32_t>(r);
    };

    // Places the backend's next entry: the first free slot along its permutation.
    auto place = [&](Walk& w) noexcept {
        uint32_t c = w.next;
        if (m - filled > end_game_free) {
            // One probe per step: unrolled variants (several probes, one branch) measured slower.
            while (is_taken(c)) {
                c = add_mod(c, w.skip, m);
            }
        } else {
            if (free_slots.empty()) {
                for (uint32_t i = 0; i < m; ++i) {
                    if (!is_taken(i)) {
                        free_slots.push_back(i);
                    }
                }
            }
            if (w.inverse == 0) {
                w.inverse = inverse_mod(w.skip, m);
            }
            size_t best = 0;
            uint32_t best_steps = m;
            for (size_t i = 0; i < free_slots.size(); ++i) {
                const uint32_t d = steps(uint64_t{add_mod(free_slots[i], m - c, m)} * w.inverse);
                if (d < best_steps) {
                    best_steps = d;
                    best = i;
                }
            }
            c = free_slots[best];
            free_slots[best] = free_slots.back();
            free_slots.pop_back();
        }
        bits[c >> 5] |= uint32_t{1} << (c & 31);
        out[c] = w.index;
        w.next = add_mod(c, w.skip, m);
    };

    if (equal) {
        // The paper's loop as written: every backend one turn per round.
        for (;;) {
            for (Walk& w : walks) {
                place(w);
                if (++filled == m) {
                    return;
                }
            }
        }
    }
    // Weighted: turns at a rate proportional to weight, so each backend's share of the table is its
    // share of the weight to within one entry (Envoy's Maglev does the same). A backend's turns are
    // spread evenly over the rounds, which keeps the fill order — hence the disruption when a
    // backend leaves — as close to the unweighted one as weights allow.
    for (uint64_t round = 1;; ++round) {
        for (Walk& w : walks) {
            if (round * w.weight < w.due) {
                continue;
            }
            w.due += wmax;
            place(w);
            if (++filled == m) {
                return;
            }
        }
    }
}

} // namespace sched

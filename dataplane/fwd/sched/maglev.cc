// Maglev's lookup table (Eisenbud et al., NSDI 2016, §3.4, Pseudocode 1), kept apart from the
// schedulers because the XDP loader fills its BPF array with the same function.
//
// The table must come out the same, entry for entry, as Pseudocode 1 with turns by weight: the XDP
// program and the other nodes of a cluster reproduce it (tests/unit/sched_test.cc pins it). Only the
// way each entry is found differs, for speed: see Builder.
#include "dataplane/fwd/sched/sched.h"

#include <algorithm>
#include <bit>
#include <cstddef>
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

// a + b mod m for a, b < m, without a division.
inline uint32_t add_mod(uint32_t a, uint32_t b, uint32_t m) noexcept
{
    const uint32_t s = a + b;
    return s >= m ? s - m : s;
}

// The same, for a walk's next slot: comparing c with m - k rather than the sum with m leaves one
// compare and one conditional move on the chain from one slot to the next.
inline uint32_t step(uint32_t c, uint32_t k, uint32_t m) noexcept
{
    return c >= m - k ? c - (m - k) : c + k;
}

// Free slots at which the table switches from walking permutations to the end game (see
// Builder::end_game()). Walking costs about M/F probes per entry once F slots are free, the end
// game F operations: they cross near sqrt(M), lower as walks got cheaper; measured on M = 65537 and
// 131071 with 1,000 backends, 128 to 200 are the fastest.
constexpr uint32_t end_game_free = 192;

// Rounds search breadth-first (Builder::search()) while at least M / wide_search_from slots are
// free, depth-first after that. Measured on M = 131071 with 1,000 backends, 12 to 48 are alike,
// 8 is 3% slower.
constexpr uint32_t wide_search_from = 12;

// Occupancy as a bitmap: 16 KiB for M = 131071 stays in L1 while the probes jump around; the table
// itself is only written, once per slot. 32-bit words measured faster than 64-bit ones.
class Occupancy {
public:
    explicit Occupancy(uint32_t m) : _words((m + 31) / 32, 0) {}

    uint32_t taken(uint32_t c) const noexcept { return (_words[c >> 5] >> (c & 31)) & 1; }
    // ~0 when slot c is taken, 0 when it is free: its bit shifted to the top, then spread.
    uint32_t taken_mask(uint32_t c) const noexcept
    {
        return static_cast<uint32_t>(static_cast<int32_t>(_words[c >> 5] << (~c & 31)) >> 31);
    }
    void take(uint32_t c) noexcept { _words[c >> 5] |= uint32_t{1} << (c & 31); }

    // The first free slot of the permutation from slot c on, stepping by k.
    uint32_t walk(uint32_t c, uint32_t k, uint32_t m) const noexcept
    {
        while (taken(c)) {
            c = step(c, k, m);
        }
        return c;
    }

    // The same for long walks (few slots free): four slots computed from c independently, so the
    // chain from one iteration to the next is one step per four probes; each probe keeps its own,
    // well predicted, branch. Measured 15% to 30% faster per probe than walk() once walks take 30
    // probes or more, 6% slower at 10.
    uint32_t walk_long(uint32_t c, uint32_t k, uint32_t m) const noexcept
    {
        const uint32_t k2 = add_mod(k, k, m), k3 = add_mod(k2, k, m), k4 = add_mod(k3, k, m);
        for (;;) {
            const uint32_t c1 = step(c, k, m), c2 = step(c, k2, m), c3 = step(c, k3, m);
            if (!taken(c)) {
                return c;
            }
            if (!taken(c1)) {
                return c1;
            }
            if (!taken(c2)) {
                return c2;
            }
            if (!taken(c3)) {
                return c3;
            }
            c = step(c, k4, m);
        }
    }

    // Every free slot, in increasing order.
    std::vector<uint32_t> free_slots(uint32_t m) const
    {
        std::vector<uint32_t> out;
        for (uint32_t w = 0; w < _words.size(); ++w) {
            for (uint32_t f = ~_words[w]; f != 0; f &= f - 1) {
                const uint32_t c = w * 32 + static_cast<uint32_t>(std::countr_zero(f));
                if (c < m) {
                    out.push_back(c);
                }
            }
        }
        return out;
    }

private:
    std::vector<uint32_t> _words;
};

// Which backends take a turn in each round, in position order. With equal weights, all of them
// every round: the paper's loop as written. Weighted: turns at a rate proportional to weight, so
// each backend's share of the table is its share of the weight to within one entry (Envoy's Maglev
// does the same): backend b's j-th turn falls in the first round r with r·w_b ≥ j·w_max. A
// backend's turns are spread evenly over the rounds, which keeps the fill order — hence the
// disruption when a backend leaves — as close to the unweighted one as weights allow.
class Turns {
public:
    Turns(std::span<const uint32_t> weight, uint32_t wmax)
        : _weight(weight), _wmax(wmax), _due(weight.size(), wmax), _round(weight.size())
    {
        uint64_t total = 0;
        uint32_t wmin = wmax;
        for (uint32_t w : weight) {
            total += w;
            wmin = std::min(wmin, w);
        }
        if (wmin == wmax) {
            _mode = Mode::all;
            for (uint32_t b = 0; b < _round.size(); ++b) {
                _round[b] = b;
            }
        } else if (total * 8 >= uint64_t{wmax} * weight.size()) {
            // A round holds an eighth of the backends or more: checking each one is cheaper than
            // sorting them (measured).
            _mode = Mode::scan;
        } else {
            // A few heavy backends among many light ones (one of weight 100 and 999 of weight 1:
            // 11 turns a round): checking every backend each round would cost 90 checks per entry.
            // Instead a calendar files each backend under the round of its next turn: a ring of
            // buckets, one per round, longer than the longest wait between two turns (⌈w_max /
            // w_min⌉ rounds). A round is its bucket, sorted.
            _mode = Mode::calendar;
            _mask = std::bit_ceil((wmax + wmin - 1) / wmin + 1) - 1;
            _bucket.assign(_mask + 1, none);
            _link.resize(weight.size());
            _pace.resize(weight.size());
            for (auto b = static_cast<uint32_t>(weight.size()); b-- > 0;) {
                const uint32_t w = weight[b];
                Pace& p = _pace[b];
                p = {.round = wmax / w + (wmax % w != 0), .slack = 0, .whole = wmax / w, .part = wmax % w};
                p.slack = static_cast<uint32_t>(p.round * w - wmax);
                file(b);
            }
        }
    }

    // True when every round has every backend, in the same order.
    bool all() const noexcept { return _mode == Mode::all; }

    // The next round's backends.
    std::span<const uint32_t> next()
    {
        size_t n = 0;
        ++_number;
        switch (_mode) {
        case Mode::all:
            return _round;
        case Mode::scan:
            for (uint32_t b = 0; b < _weight.size(); ++b) {
                if (_number * _weight[b] >= _due[b]) {
                    _due[b] += _wmax;
                    _round[n++] = b;
                }
            }
            break;
        case Mode::calendar:
            // Every round has a turn: the backends of weight w_max take one each round.
            for (uint32_t b = std::exchange(_bucket[_number & _mask], none); b != none; b = _link[b]) {
                _round[n++] = b;
            }
            std::sort(_round.begin(), _round.begin() + static_cast<std::ptrdiff_t>(n));
            for (size_t j = 0; j < n; ++j) {
                // The turn after: due grows by w_max = whole·w + part, which moves the round on by
                // whole, and by one more if part exceeds the slack.
                const uint32_t b = _round[j];
                Pace& p = _pace[b];
                const uint32_t carry = p.part > p.slack;
                p.round += p.whole + carry;
                p.slack = p.slack + carry * _weight[b] - p.part;
                file(b);
            }
            break;
        }
        return {_round.data(), n};
    }

private:
    enum class Mode { all, scan, calendar };
    static constexpr uint32_t none = ~uint32_t{0};

    // Calendar: when a backend's next turn comes, without a division per turn.
    struct Pace {
        uint64_t round;  // the first round r with r·w ≥ due
        uint32_t slack;  // round·w - due, below w
        uint32_t whole;  // w_max / w
        uint32_t part;   // w_max mod w
    };

    // Calendar: files backend b under the round of its next turn.
    void file(uint32_t b) noexcept { _link[b] = std::exchange(_bucket[_pace[b].round & _mask], b); }

    std::span<const uint32_t> _weight;
    uint32_t _wmax;
    Mode _mode = Mode::all;
    uint64_t _number = 0;          // the round's number
    std::vector<uint64_t> _due;    // scan: (turns taken + 1) · w_max
    std::vector<uint32_t> _round;  // the round's backends
    uint64_t _mask = 0;            // calendar: its size - 1
    std::vector<uint32_t> _bucket; // calendar: the first backend filed under each round (or none)
    std::vector<uint32_t> _link;   // calendar: the next backend filed under the same round
    std::vector<Pace> _pace;       // calendar: by position
};

// One maglev_fill(). The backends of weight > 0 are numbered b = 0, 1, … in order (their
// "position"); each walks its own permutation from a cursor, the next slot to try.
//
// Most of the build is probing slots already taken: 6.5 probes per entry on average for M = 131071
// and 1,000 backends, M/F each once F slots are free. Pseudocode 1 walks one backend's permutation
// until it finds a free slot; the loop's end is a branch mispredicted about once per entry, which
// was a third of the time. While many slots are free, rounds search breadth-first instead (see
// search()); then depth-first with four probes per step (Occupancy::walk_long()); the last entries
// are placed by the end game (end_game()). Each way finds the slot Pseudocode 1 would.
class Builder {
public:
    Builder(std::span<const MaglevBackend> backends, std::span<int16_t> table)
        : _m(static_cast<uint32_t>(table.size())), _out(table.data()), _slots(_m)
    {
        for (size_t i = 0; _m >= 2 && i < backends.size(); ++i) {
            if (backends[i].weight == 0) {
                continue;
            }
            const MaglevPermutation p = maglev_permutation(backends[i].key, _m);
            _walk.push_back({.cursor = p.offset, .skip = p.skip});
            _owner.push_back(static_cast<int16_t>(i));
            _weight.push_back(backends[i].weight);
            _wmax = std::max(_wmax, backends[i].weight);
        }
        _searching.resize(_walk.size());
    }

    void run()
    {
        if (_walk.empty()) {
            std::fill(_out, _out + _m, int16_t{-1});
            return;
        }
        // Otherwise every slot is written below, exactly once.
        Turns turns(_weight, _wmax);
        uint32_t filled = 0;
        bool primed = false;     // the first pass of this round's search is done (claim_finds())
        uint32_t searching = 0;  // if so, how many backends it left searching
        for (;;) {
            const std::span<const uint32_t> round = turns.next();
            const uint32_t free = _m - filled;
            if (free < round.size() + end_game_free) {
                // The last round or two: one entry at a time, the table may fill up mid-round.
                primed = false;
                for (uint32_t b : round) {
                    const Walk& w = _walk[b];
                    claim(b, _m - filled > end_game_free ? _slots.walk_long(w.cursor, w.skip, _m) : end_game(b));
                    if (++filled == _m) {
                        return;
                    }
                }
                continue;
            }
            if (free >= _m / wide_search_from) {
                if (!primed) {
                    searching = probe(round, round.size());
                }
                search(searching);
                primed = turns.all();
                searching = primed ? claim_finds<true>(round) : claim_finds<false>(round);
            } else {
                // Depth-first: with few slots free, walks are long (the mispredicted end matters
                // less) and a find would often be taken by a backend earlier in the round.
                primed = false;
                for (uint32_t b : round) {
                    claim(b, _slots.walk_long(_walk[b].cursor, _walk[b].skip, _m));
                }
            }
            filled += static_cast<uint32_t>(round.size());
        }
    }

private:
    // Claims slot c for backend b, whose walk resumes after it.
    void claim(uint32_t b, uint32_t c) noexcept
    {
        _slots.take(c);
        _out[c] = _owner[b];
        _walk[b].cursor = step(c, _walk[b].skip, _m);
    }

    // Breadth-first search: every backend of the round still searching probes one slot per pass,
    // without a branch, and those that found a free one drop out. The round then claims its finds
    // in order (claim_finds()). The pass loops are functions of their own (noinline) so that their
    // few variables stay in registers.
    //
    // One pass over the first n backends of `list`: moves the cursor of each one whose slot is
    // taken, collects those at the front of _searching (`list` may be _searching itself) and
    // returns how many.
    [[gnu::noinline]] uint32_t probe(std::span<const uint32_t> list, size_t n) noexcept
    {
        Walk* const walk = _walk.data();
        uint32_t* const searching = _searching.data();
        const uint32_t m = _m;
        uint32_t still = 0;
        for (size_t j = 0; j < n; ++j) {
            const uint32_t b = list[j];
            const uint32_t c = walk[b].cursor;
            const uint32_t taken = _slots.taken_mask(c);
            walk[b].cursor = add_mod(c, walk[b].skip & taken, m);  // a step of 0 stays put
            searching[still] = b;
            still -= taken;
        }
        return still;
    }

    // The passes after the first, until every backend's cursor is on a slot that was free.
    void search(uint32_t searching) noexcept
    {
        while (searching > 0) {
            searching = probe(_searching, searching);
        }
    }

    // Claims the round's finds in order. A find was free when the search saw it and the slots
    // before it on its backend's permutation were taken (slots never become free), so it is the
    // backend's entry unless a backend earlier in the round took it since: then this one walks on
    // from there, which is rare while many slots are free. With `prime` (the next round has the
    // same backends), it also makes each backend's first probe of the next round, against the
    // table as it is then (the same argument holds), and returns how many must search on.
    template <bool prime>
    [[gnu::noinline]] uint32_t claim_finds(std::span<const uint32_t> round) noexcept
    {
        Walk* const walk = _walk.data();
        const int16_t* const owner = _owner.data();
        uint32_t* const searching = _searching.data();
        int16_t* const out = _out;
        const uint32_t m = _m;
        uint32_t still = 0;
        for (uint32_t b : round) {
            const uint32_t k = walk[b].skip;
            uint32_t c = walk[b].cursor;
            if (_slots.taken(c)) [[unlikely]] {
                c = _slots.walk(c, k, m);
            }
            _slots.take(c);
            out[c] = owner[b];
            c = step(c, k, m);
            if constexpr (prime) {
                const uint32_t taken = _slots.taken_mask(c);
                c = add_mod(c, k & taken, m);
                searching[still] = b;
                still -= taken;
            }
            walk[b].cursor = c;
        }
        return still;
    }

    // The end game: once few slots are free, walking a permutation costs ~M/F probes per entry.
    // Instead, for each free slot s the steps to reach it from the cursor are
    // (s - cursor)·skip⁻¹ mod M; the free slot with the fewest steps is exactly the one the walk
    // would have found.
    uint32_t end_game(uint32_t b)
    {
        const uint32_t m = _m;
        if (_inverse.empty()) {
            _free = _slots.free_slots(m);
            _inverse.assign(_walk.size(), 0);
        }
        if (_inverse[b] == 0) {
            _inverse[b] = inverse_mod(_walk[b].skip, m);
        }
        const uint32_t inverse = _inverse[b];
        const uint32_t back = m - _walk[b].cursor;
        const double inv_m = 1.0 / m;
        size_t best = 0;
        uint32_t best_steps = m;
        for (size_t j = 0; j < _free.size(); ++j) {
            // x mod m for x < 2^52 (M < 2^26): the double quotient is exact to within one.
            const uint64_t x = uint64_t{add_mod(_free[j], back, m)} * inverse;
            auto r = static_cast<int64_t>(x) - static_cast<int64_t>(static_cast<double>(x) * inv_m) * m;
            r += (r < 0) ? m : 0;
            r -= (r >= static_cast<int64_t>(m)) ? m : 0;
            if (static_cast<uint32_t>(r) < best_steps) {
                best_steps = static_cast<uint32_t>(r);
                best = j;
            }
        }
        const uint32_t c = _free[best];
        _free[best] = _free.back();
        _free.pop_back();
        return c;
    }

    struct Walk {
        uint32_t cursor;  // the next slot of the backend's permutation to try
        uint32_t skip;    // in [1, M-1]: with M prime, the walk visits every slot once per M steps
    };

    const uint32_t _m;
    int16_t* const _out;
    Occupancy _slots;
    std::vector<Walk> _walk;        // by position: cursor and skip share a cache line
    std::vector<int16_t> _owner;    // position in `backends`, what the table holds
    std::vector<uint32_t> _weight;
    uint32_t _wmax = 0;
    std::vector<uint32_t> _searching;       // breadth-first: the backends still searching
    std::vector<uint32_t> _free, _inverse;  // the end game's free slots, skip⁻¹ by position (0: not yet)
};

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
    Builder(backends, table).run();
}

} // namespace sched

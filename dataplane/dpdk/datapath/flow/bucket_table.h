// The engine under the per-lcore flow table and the persistence table: a fixed-capacity hash table of
// cache-line buckets with one writer and no lock, allocation, syscall or exception after construction.
//
// Layout. A bucket is one 64-byte line: eight 16-bit signatures, eight 32-bit entry indexes and a little
// bookkeeping. Entries live in a preallocated array with an intrusive free list, so a bucket slot is 6
// bytes and the entry type decides its own size (32 bytes for an IPv4 flow: two per line, never
// straddling). Buckets are sized so that at most half the slots are used at full capacity.
//
// Placement is two-choice, as in DPDK's rte_hash: a key goes to its primary bucket, or to its alternate
// (primary XOR a function of the signature) when the primary is full; when both are full, one key of
// theirs may move to its own other bucket (one level of cuckoo displacement, no chains).
// Each bucket counts how many of "its" keys spilled to their alternate; while that count is 0 — almost
// always at half load — a lookup, hit or miss, reads one bucket line and at most one entry line.
//
// Bounded by design: when both candidate buckets stay full, or the entry pool is exhausted, insert takes
// an expired entry from the candidate buckets if there is one (counted as an expiration), else the
// least recently seen one of the lowest keep rank (counted as an eviction). Nothing is ever dropped
// silently. An entry type with ranks (`keep_rank()`, 0 = first to go: a flow table's unconfirmed
// flows) is protected further: when the candidates hold only ranked entries, a few buckets from a
// rotating cursor are searched for an expired or rank-0 entry to reuse instead, so that a flood of
// new keys replaces itself rather than the entries worth keeping.
//
// Time is whatever unit the caller uses (TSC cycles, ns); timeouts are in the same unit. Expiry is lazy
// on lookup (an expired entry reads as absent and is freed) and incremental through `expire()`, which
// the lcore loop calls with a budget of buckets to sweep.
//
// Concurrency: one writer, the owning lcore; no other thread may call anything but `counters()`.
// Counters are written by the owner with relaxed atomic stores (a plain `mov` on x86, no `lock`) and
// read by the control thread with relaxed loads: each value is untorn, the set is not a snapshot.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include <new>
#include <sys/mman.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace flow {

/// Zeroed, touched memory for a table's arrays, on transparent huge pages where the kernel allows
/// (MADV_HUGEPAGE: THP in "madvise" mode, Debian's default): a random bucket access then costs no
/// TLB miss in tables of tens of MB. Throws std::bad_alloc.
struct HugeFree {
    size_t bytes = 0;
    void operator()(void* p) const noexcept { munmap(p, bytes); }
};
template <class T>
using HugeArray = std::unique_ptr<T[], HugeFree>;

template <class T>
HugeArray<T> make_huge_array(size_t n)
{
    static_assert(std::is_trivially_copyable_v<T>);
    const size_t bytes = std::max<size_t>(n * sizeof(T), 1);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        throw std::bad_alloc();
    }
    madvise(p, bytes, MADV_HUGEPAGE);
    T* a = static_cast<T*>(p);
    for (size_t i = 0; i < n; ++i) {
        new (&a[i]) T();  // value-initialised: touches every page now, not on the hot path
    }
    return HugeArray<T>(a, HugeFree{bytes});
}

/// A prefetch the optimiser cannot drop. GCC takes a function whose only effects are
/// __builtin_prefetch for a pure one and deletes calls to it whose result is unused: prefetch_burst()
/// compiled to nothing at every call site until its prefetches went through here. The empty volatile
/// asm costs no instruction; it only makes the call an effect.
inline void prefetch_line(const void* p) noexcept
{
    __builtin_prefetch(p);
    asm volatile("" : : "r"(p));
}

/// True when an entry last seen at `last_seen` has outlived `timeout` at `now`. A clock that reads
/// earlier than last_seen (a test, a skewed source) means "just seen", never "long ago".
constexpr bool aged_out(uint64_t last_seen, uint64_t now, uint64_t timeout) noexcept
{
    return now >= last_seen && now - last_seen >= timeout;
}

/// What BucketTable needs from an entry type: a key it compares and stores, a `last_seen` it refreshes
/// and ages by, and its own expiry rule (given the table's per-class timeout array).
template <class E>
concept BucketEntry = std::is_trivially_copyable_v<E> && std::is_default_constructible_v<E> &&
    std::same_as<decltype(E::last_seen), uint64_t> &&
    requires(E& e, const E& ce, const typename E::key_type& k, uint64_t now, const uint64_t* timeouts) {
        { ce.matches(k) } noexcept -> std::same_as<bool>;
        { e.set_key(k) } noexcept;
        { ce.expired(now, timeouts) } noexcept -> std::same_as<bool>;
    };

/// An entry type that says what to evict first: lower keep_rank() goes first (BucketTable::insert).
template <class E>
concept RankedEntry = requires(const E& e) {
    { e.keep_rank() } noexcept -> std::same_as<uint8_t>;
};

/// Per-table counters. `active` is the number of entries in the table; the others only grow.
struct Counters {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t inserts = 0;
    uint64_t evictions = 0;    // live entries pushed out by an insert into a full neighbourhood or pool
    uint64_t expirations = 0;  // entries freed because they timed out (lookup, expire(), or insert reuse)
    uint64_t removes = 0;      // explicit remove()
    uint64_t active = 0;
    bool operator==(const Counters&) const = default;
};

template <BucketEntry Entry>
class BucketTable {
public:
    using Key = typename Entry::key_type;
    static constexpr uint32_t slots = 8;
    static constexpr unsigned max_timeout_classes = 16;
    /// Called with every entry that stops holding its key: expired (on lookup, sweep or insert reuse),
    /// evicted, removed, or reset by an insert of the same key. The owner uses it to keep counts that
    /// live outside the table (a backend's active flows) exact. Runs on the owner thread, inside the
    /// table's call: it must not call back into the table.
    using EndHook = void (*)(void* ctx, const Entry& e) noexcept;
    static constexpr uint32_t burst_max = 32;

    /// Allocates and touches all memory now (start-up may throw std::bad_alloc; nothing after does).
    /// capacity ≥ 1 and < 2^28.
    explicit BucketTable(uint32_t capacity)
        : _capacity(std::max<uint32_t>(capacity, 1)),
          _nbuckets(std::bit_ceil(std::max<uint32_t>(2, (_capacity + 3) / 4))),
          _mask(_nbuckets - 1),
          _buckets(make_huge_array<Bucket>(_nbuckets)),
          _entries(make_huge_array<Entry>(_capacity)),
          _link(make_huge_array<uint32_t>(_capacity))
    {
        for (uint32_t i = 0; i < _capacity; ++i) {
            _link[i] = i + 1 < _capacity ? i + 1 : nil;
        }
        _free = 0;
    }

    BucketTable(const BucketTable&) = delete;
    BucketTable& operator=(const BucketTable&) = delete;

    /// The live entry for `key`, its last_seen refreshed to `now`; nullptr when absent or expired
    /// (an expired entry is freed on the spot and counted).
    Entry* lookup(const Key& key, uint32_t hash, uint64_t now) noexcept { return lookup_at(where(hash), key, now); }

    /// Lookup of up to any number of keys, in groups of burst_max: prefetches every primary bucket,
    /// then every candidate entry, then resolves — so the DRAM misses of a burst overlap.
    void lookup_burst(const Key* keys, const uint32_t* hashes, uint32_t n, uint64_t now, Entry** out) noexcept
    {
        Where w[burst_max];
        for (uint32_t base = 0; base < n; base += burst_max) {
            const uint32_t m = std::min(n - base, burst_max);
            prefetch_stages(hashes + base, m, w);
            for (uint32_t i = 0; i < m; ++i) {
                out[base + i] = lookup_at(w[i], keys[base + i], now);
            }
        }
    }

    /// The first two stages of lookup_burst for callers that resolve later (the lcore loop prefetches
    /// a burst's flows, then processes frame by frame). At most burst_max hashes are used.
    void prefetch_burst(const uint32_t* hashes, uint32_t n) noexcept
    {
        Where w[burst_max];
        prefetch_stages(hashes, std::min(n, burst_max), w);
    }

    /// Brings the key's primary bucket towards the cache, for callers that pipeline themselves.
    void prefetch(uint32_t hash) const noexcept { prefetch_line(&_buckets[where(hash).b1]); }

    /// The entry for `key`, created if absent, with key set and last_seen = now; the caller fills the
    /// rest. An existing entry for the key (live or expired) is reused, so a key is never held twice.
    /// Never fails: at capacity an expired or the oldest neighbouring entry is replaced and counted.
    Entry* insert(const Key& key, uint32_t hash, uint64_t now) noexcept { return insert_at(key, hash, now, true); }

    /// As insert(), for a key that lookup() has just missed (nothing in between): the table holds no
    /// entry for it (a lookup frees an expired one), so the search for one is skipped.
    Entry* insert_absent(const Key& key, uint32_t hash, uint64_t now) noexcept { return insert_at(key, hash, now, false); }

private:
    Entry* insert_at(const Key& key, uint32_t hash, uint64_t now, bool search) noexcept
    {
        const Where w = where(hash);
        uint32_t pos = search ? find(w, key) : nil;
        uint32_t idx = 0;
        if (pos != nil) {
            idx = _buckets[pos / slots].idx[pos % slots];
            ended(_entries[idx]);
        } else {
            pos = free_slot(w);
            if (pos == nil && _free != nil) {  // with the pool exhausted a slot alone would not help
                pos = displace(w);
            }
            if (pos != nil && _free != nil) {
                idx = _free;
                _free = _link[idx];
                fill(pos, w.sig, idx, w.b1);
                bump(_ctr.active, 1);
            } else {
                unsigned rank = 0;
                uint32_t victim = pick_victim(w, now, &rank);
                if (victim == nil || rank > 1) {
                    // Only entries worth keeping here (or none): reuse an expired or rank-0 entry from
                    // elsewhere, placed in a free slot of ours (made by displacement if need be; with
                    // the pool left, displace() has already failed above).
                    const uint32_t far = reclaim(now);
                    if (far != nil) {
                        if (pos == nil && _free == nil) {
                            pos = displace(w);
                        }
                        if (pos != nil) {
                            victim = far;
                        }
                    }
                }
                if (victim == nil) {
                    victim = any_occupied();  // pool exhausted, both candidate buckets empty
                }
                idx = _buckets[victim / slots].idx[victim % slots];
                bump(_entries[idx].expired(now, _timeouts) ? _ctr.expirations : _ctr.evictions, 1);
                ended(_entries[idx]);
                clear(victim);
                if (pos == nil || victim / slots == w.b1) {
                    pos = victim;
                }
                fill(pos, w.sig, idx, w.b1);
            }
        }
        Entry& e = _entries[idx];
        e.set_key(key);
        e.last_seen = now;
        bump(_ctr.inserts, 1);
        return &e;
    }

public:
    /// Frees an entry returned by lookup or insert (and not freed since).
    void remove(Entry* e) noexcept
    {
        const auto idx = static_cast<uint32_t>(e - _entries.get());
        release(_link[idx]);
        bump(_ctr.removes, 1);
    }

    /// Sweeps the next `budget` buckets (wrapping), freeing expired entries; returns how many.
    /// A full pass takes buckets() / budget calls.
    uint32_t expire(uint64_t now, uint32_t budget) noexcept
    {
        uint32_t n = 0;
        for (; budget > 0; --budget) {
            const uint32_t b = _cursor;
            _cursor = (_cursor + 1) & _mask;
            const Bucket& bk = _buckets[b];
            for (uint32_t m = occupied(bk); m != 0; m &= m - 1) {
                const auto s = static_cast<uint32_t>(std::countr_zero(m));
                if (_entries[bk.idx[s]].expired(now, _timeouts)) {
                    release(b * slots + s);
                    ++n;
                }
            }
        }
        if (n != 0) {
            bump(_ctr.expirations, n);
        }
        return n;
    }

    /// Installs the end hook (nullptr: none). Owner thread only.
    void set_end_hook(EndHook fn, void* ctx) noexcept
    {
        _end_hook = fn;
        _end_ctx = ctx;
    }

    /// Timeout of class `cls` (< max_timeout_classes), in the caller's time unit. Owner thread only.
    void set_timeout(unsigned cls, uint64_t timeout) noexcept
    {
        if (cls < max_timeout_classes) {
            _timeouts[cls] = timeout;
        }
    }
    uint64_t timeout(unsigned cls) const noexcept { return cls < max_timeout_classes ? _timeouts[cls] : 0; }

    /// Any thread (see the concurrency note at the top).
    Counters counters() const noexcept
    {
        return {.hits = load(_ctr.hits),
                .misses = load(_ctr.misses),
                .inserts = load(_ctr.inserts),
                .evictions = load(_ctr.evictions),
                .expirations = load(_ctr.expirations),
                .removes = load(_ctr.removes),
                .active = load(_ctr.active)};
    }

    /// Calls f(const Entry&) for every entry held, live or not yet swept. Owner thread only; not for
    /// the hot path (it walks every bucket).
    template <class F>
    void for_each(F&& f) const
    {
        for (uint32_t b = 0; b < _nbuckets; ++b) {
            for (uint32_t m = occupied(_buckets[b]); m != 0; m &= m - 1) {
                f(static_cast<const Entry&>(_entries[_buckets[b].idx[std::countr_zero(m)]]));
            }
        }
    }

    uint32_t capacity() const noexcept { return _capacity; }
    uint32_t size() const noexcept { return static_cast<uint32_t>(load(_ctr.active)); }
    uint32_t buckets() const noexcept { return _nbuckets; }
    size_t memory_bytes() const noexcept
    {
        return sizeof(*this) + size_t{_nbuckets} * sizeof(Bucket) +
               size_t{_capacity} * (sizeof(Entry) + sizeof(uint32_t));
    }

private:
    static constexpr uint32_t nil = UINT32_MAX;

    struct alignas(64) Bucket {
        uint16_t sig[slots];  // 0 marks a free slot; signatures are never 0
        uint32_t idx[slots];  // entry index held by each occupied slot
        uint32_t spilled;     // keys whose primary is this bucket that live in their alternate bucket
        uint8_t alt;          // bit s: slot s holds a key whose primary bucket is another one
        uint8_t reserved[11];
    };
    static_assert(sizeof(Bucket) == 64);

    struct Where {
        uint32_t b1;
        uint32_t b2;
        uint16_t sig;
    };

    // The caller's hash may be the NIC's RSS hash, whose low bits chose this lcore's queue and are
    // therefore nearly constant here: murmur3's fmix32 (a bijection) spreads all 32 bits before the
    // bucket (low bits) and signature (high bits) are cut from it.
    Where where(uint32_t hash) const noexcept
    {
        uint32_t h = hash;
        h ^= h >> 16;
        h *= 0x85EBCA6BU;
        h ^= h >> 13;
        h *= 0xC2B2AE35U;
        h ^= h >> 16;
        auto sig = static_cast<uint16_t>(h >> 16);
        sig = static_cast<uint16_t>(sig + (sig == 0 ? 1 : 0));
        const uint32_t b1 = h & _mask;
        return {.b1 = b1, .b2 = alt_of(b1, sig), .sig = sig};
    }

    // An involution (alt_of(alt_of(b)) == b) that never maps a bucket to itself: removal recovers a
    // spilled key's primary bucket from its alternate without storing the hash.
    uint32_t alt_of(uint32_t b, uint16_t sig) const noexcept
    {
        return (b ^ (((uint32_t{sig} * 0x9E3779B1U) >> 8) | 1U)) & _mask;
    }

    static uint32_t match(const Bucket& b, uint16_t sig) noexcept
    {
#if defined(__SSE2__)
        const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(b.sig));
        const __m128i eq = _mm_cmpeq_epi16(v, _mm_set1_epi16(static_cast<short>(sig)));
        return static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(eq, _mm_setzero_si128())));
#else
        uint32_t m = 0;
        for (uint32_t s = 0; s < slots; ++s) {
            m |= static_cast<uint32_t>(b.sig[s] == sig) << s;
        }
        return m;
#endif
    }
    static uint32_t occupied(const Bucket& b) noexcept { return ~match(b, 0) & 0xFFU; }

    uint32_t find_in(uint32_t b, uint16_t sig, const Key& key) const noexcept
    {
        const Bucket& bk = _buckets[b];
        for (uint32_t m = match(bk, sig); m != 0; m &= m - 1) {
            const auto s = static_cast<uint32_t>(std::countr_zero(m));
            if (_entries[bk.idx[s]].matches(key)) {
                return b * slots + s;
            }
        }
        return nil;
    }

    uint32_t find(const Where& w, const Key& key) const noexcept
    {
        const uint32_t pos = find_in(w.b1, w.sig, key);
        if (pos != nil || _buckets[w.b1].spilled == 0) {
            return pos;
        }
        return find_in(w.b2, w.sig, key);
    }

    // Every primary bucket first, then every entry whose signature matches (or the alternate bucket
    // when the primary has spilled keys), so that the n DRAM misses of each stage overlap.
    void prefetch_stages(const uint32_t* hashes, uint32_t n, Where* w) const noexcept
    {
        for (uint32_t i = 0; i < n; ++i) {
            w[i] = where(hashes[i]);
            prefetch_line(&_buckets[w[i].b1]);
        }
        const bool full = _free == nil;  // a miss will evict: its victims are read then
        for (uint32_t i = 0; i < n; ++i) {
            const Bucket& bk = _buckets[w[i].b1];
            const uint32_t hit = match(bk, w[i].sig);
            if (hit != 0) {
                prefetch_line(&_entries[bk.idx[std::countr_zero(hit)]]);
            } else if (full) {
                // A new key in a full table: the insert will pick the least recently seen entry of
                // both candidate buckets. Start those misses now, with the rest of the burst's.
                prefetch_line(&_buckets[w[i].b2]);
                for (uint32_t m = occupied(bk); m != 0; m &= m - 1) {
                    prefetch_line(&_entries[bk.idx[std::countr_zero(m)]]);
                }
            } else if (bk.spilled != 0) {
                prefetch_line(&_buckets[w[i].b2]);
            }
        }
    }

    Entry* lookup_at(const Where& w, const Key& key, uint64_t now) noexcept
    {
        const uint32_t pos = find(w, key);
        if (pos != nil) [[likely]] {
            Entry& e = _entries[_buckets[pos / slots].idx[pos % slots]];
            if (!e.expired(now, _timeouts)) [[likely]] {
                e.last_seen = now;
                bump(_ctr.hits, 1);
                return &e;
            }
            release(pos);
            bump(_ctr.expirations, 1);
        }
        bump(_ctr.misses, 1);
        return nullptr;
    }

    uint32_t free_slot(const Where& w) const noexcept
    {
        if (const uint32_t m = match(_buckets[w.b1], 0); m != 0) {
            return w.b1 * slots + static_cast<uint32_t>(std::countr_zero(m));
        }
        if (const uint32_t m = match(_buckets[w.b2], 0); m != 0) {
            return w.b2 * slots + static_cast<uint32_t>(std::countr_zero(m));
        }
        return nil;
    }

    // How much an entry is worth keeping: 0 expired, then 1 + its keep_rank() (1 for an unranked type).
    unsigned victim_rank(const Entry& e, uint64_t now) const noexcept
    {
        if (e.expired(now, _timeouts)) {
            return 0;
        }
        if constexpr (RankedEntry<Entry>) {
            return 1u + e.keep_rank();
        } else {
            return 1;
        }
    }

    // In the two candidate buckets: the first expired entry, else the least recently seen of the
    // lowest rank (victim_rank() into *rank); nil when both are empty.
    uint32_t pick_victim(const Where& w, uint64_t now, unsigned* rank) const noexcept
    {
        // The up to 16 entries are independent DRAM lines: issuing them all before reading any makes
        // an evicting insert cost about one miss instead of one per entry (flow_bench full_evicting).
        for (const uint32_t b : {w.b1, w.b2}) {
            const Bucket& bk = _buckets[b];
            for (uint32_t m = occupied(bk); m != 0; m &= m - 1) {
                prefetch_line(&_entries[bk.idx[std::countr_zero(m)]]);
            }
        }
        uint32_t best = nil;
        uint64_t oldest = UINT64_MAX;
        unsigned best_rank = UINT32_MAX;
        for (const uint32_t b : {w.b1, w.b2}) {
            const Bucket& bk = _buckets[b];
            for (uint32_t m = occupied(bk); m != 0; m &= m - 1) {
                const auto s = static_cast<uint32_t>(std::countr_zero(m));
                const Entry& e = _entries[bk.idx[s]];
                const unsigned r = victim_rank(e, now);
                if (r == 0) {
                    *rank = 0;
                    return b * slots + s;
                }
                if (best == nil || r < best_rank || (r == best_rank && e.last_seen < oldest)) {
                    oldest = e.last_seen;
                    best_rank = r;
                    best = b * slots + s;
                }
            }
        }
        *rank = best_rank;
        return best;
    }

    // An expired or rank-0 entry within the next reclaim_buckets buckets from the reclaim cursor, or
    // nil (then the caller evicts in its own neighbourhood). Unranked types never search.
    static constexpr uint32_t reclaim_buckets = 8;
    uint32_t reclaim(uint64_t now) noexcept
    {
        if constexpr (!RankedEntry<Entry>) {
            (void)now;
            return nil;
        } else {
            for (uint32_t i = 0; i < reclaim_buckets; ++i) {
                const uint32_t b = _reclaim;
                _reclaim = (_reclaim + 1) & _mask;
                const Bucket& bk = _buckets[b];
                for (uint32_t m = occupied(bk); m != 0; m &= m - 1) {
                    const auto s = static_cast<uint32_t>(std::countr_zero(m));
                    if (victim_rank(_entries[bk.idx[s]], now) <= 1) {
                        return b * slots + s;
                    }
                }
            }
            return nil;
        }
    }

    // Only reached with the pool exhausted, i.e. `capacity` keys held in buckets at most half full, so
    // the scan from the sweep cursor stops within a bucket or two.
    uint32_t any_occupied() const noexcept
    {
        for (uint32_t i = 0, b = _cursor; i < _nbuckets; ++i, b = (b + 1) & _mask) {
            if (const uint32_t m = occupied(_buckets[b]); m != 0) {
                return b * slots + static_cast<uint32_t>(std::countr_zero(m));
            }
        }
        return nil;  // unreachable while the invariant holds
    }

    // One level of cuckoo displacement: with both candidate buckets full, move one of their keys to
    // its other bucket if that has room, and return the slot it left (nil if none can move). Without
    // it, two full neighbours already occur at ~40% load and would evict live flows long before the
    // table is full; with it, an insert at most reads 16 more bucket lines, and only in that case.
    uint32_t displace(const Where& w) noexcept
    {
        for (const uint32_t b : {w.b1, w.b2}) {
            const Bucket& bk = _buckets[b];
            for (uint32_t s = 0; s < slots; ++s) {
                const uint16_t sig = bk.sig[s];
                const uint32_t other = alt_of(b, sig);
                const uint32_t room = match(_buckets[other], 0);
                if (room == 0) {
                    continue;
                }
                const uint32_t idx = bk.idx[s];
                const uint32_t primary = (bk.alt & (1U << s)) != 0 ? other : b;
                clear(b * slots + s);
                fill(other * slots + static_cast<uint32_t>(std::countr_zero(room)), sig, idx, primary);
                return b * slots + s;
            }
        }
        return nil;
    }

    void fill(uint32_t pos, uint16_t sig, uint32_t idx, uint32_t primary) noexcept
    {
        const uint32_t b = pos / slots;
        const uint32_t s = pos % slots;
        Bucket& bk = _buckets[b];
        bk.sig[s] = sig;
        bk.idx[s] = idx;
        if (b != primary) {
            bk.alt = static_cast<uint8_t>(bk.alt | (1U << s));
            ++_buckets[primary].spilled;
        }
        _link[idx] = pos;
    }

    // Empties a slot, keeping the primary bucket's spill count right.
    void clear(uint32_t pos) noexcept
    {
        const uint32_t b = pos / slots;
        const uint32_t s = pos % slots;
        Bucket& bk = _buckets[b];
        if ((bk.alt & (1U << s)) != 0) {
            --_buckets[alt_of(b, bk.sig[s])].spilled;
            bk.alt = static_cast<uint8_t>(bk.alt & ~(1U << s));
        }
        bk.sig[s] = 0;
    }

    void ended(const Entry& e) noexcept
    {
        if (_end_hook != nullptr) {
            _end_hook(_end_ctx, e);
        }
    }

    // Takes the entry at `pos` out of the table and back to the free list.
    void release(uint32_t pos) noexcept
    {
        const uint32_t idx = _buckets[pos / slots].idx[pos % slots];
        ended(_entries[idx]);
        clear(pos);
        _link[idx] = _free;
        _free = idx;
        bump(_ctr.active, UINT64_MAX);  // -1, modulo 2^64
    }

    static void bump(uint64_t& c, uint64_t d) noexcept
    {
        std::atomic_ref<uint64_t> r(c);
        r.store(r.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
    }
    static uint64_t load(const uint64_t& c) noexcept
    {
        return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(c)).load(std::memory_order_relaxed);
    }

    const uint32_t _capacity;
    const uint32_t _nbuckets;
    const uint32_t _mask;
    uint32_t _free = nil;
    uint32_t _cursor = 0;  // next bucket expire() sweeps
    uint32_t _reclaim = 0; // next bucket reclaim() searches
    uint64_t _timeouts[max_timeout_classes] = {};
    EndHook _end_hook = nullptr;
    void* _end_ctx = nullptr;
    HugeArray<Bucket> _buckets;
    HugeArray<Entry> _entries;
    // For an entry in the table: its slot (bucket * slots + slot), so remove() needs no hash.
    // For a free entry: the next free index (nil ends the list).
    HugeArray<uint32_t> _link;
    // Written by the owner only; on its own line so the control thread's reads never share a line
    // with the fields above.
    alignas(64) Counters _ctr;
};

}  // namespace flow

// The one open-addressing index of the forwarding tables (services, VIPs, NAT replies, neighbours):
// slots over a vector that is complete before it is indexed, linear probing, a power-of-two size at
// most half full, each slot holding position + 1 (0: empty). Built on the control thread; find() is
// the hot path and neither allocates nor writes.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fwd {

class OpenIndex {
public:
    OpenIndex() = default;

    /// Indexes every element of `items` under hash(item).
    template <class T, class Hash>
    static OpenIndex of(std::span<const T> items, Hash hash)
    {
        OpenIndex x;
        x._slots.assign(std::bit_ceil(std::max<size_t>(2 * items.size(), 2)), 0);
        const auto mask = static_cast<uint32_t>(x._slots.size() - 1);
        for (uint32_t p = 0; p < items.size(); ++p) {
            for (uint32_t i = hash(items[p]) & mask;; i = (i + 1) & mask) {
                if (x._slots[i] == 0) {
                    x._slots[i] = p + 1;
                    break;
                }
            }
        }
        return x;
    }

    /// The position of the first element of `items` (the vector indexed) under `hash` that `match`
    /// accepts, or -1.
    template <class T, class Match>
    int64_t find(std::span<const T> items, uint32_t hash, Match match) const noexcept
    {
        if (_slots.empty()) {
            return -1;
        }
        const auto mask = static_cast<uint32_t>(_slots.size() - 1);
        for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
            const uint32_t v = _slots[i];
            if (v == 0) {
                return -1;
            }
            if (match(items[v - 1])) {
                return v - 1;
            }
        }
    }

private:
    std::vector<uint32_t> _slots;
};

}  // namespace fwd

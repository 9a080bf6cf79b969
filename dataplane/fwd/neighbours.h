// The control thread's neighbour table (both forwarding dataplanes): IPv4 → MAC, learned from the ARP frames the DPDK lcores hand to
// control (replies to the requests they send for unknown next hops, and gratuitous ARPs). A change
// means a new fwd::Table: the caller passes entries() as fwd::Inputs::neighbours and republishes.
//
// What is learned follows RFC 826's merge rule, bounded: a sender already known is updated; a new
// sender is added only when the frame is addressed to one of our addresses (a reply to our request)
// or the address is one we want (a backend or a gateway). A LAN full of chatter or a flood of forged
// GARPs cannot grow the table past what the config names. A known address takes a new MAC only once
// its current one has gone `locktime` unconfirmed (Linux's neighbour locktime): two stations answering
// for one address — an ARP flap, a spoofer racing the owner — make it change, and republish, at most
// once per locktime, and the owner that keeps answering keeps it. Plain C++; control thread only.
#pragma once

#include "dataplane/fwd/table.h"

#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace fwd {

class Neighbours {
public:
    /// `locktime` in the unit of the `now` given to learn() and resolved(); 0: a new MAC is taken at once.
    explicit Neighbours(uint64_t locktime = 0) : _locktime(locktime) {}


    /// Addresses (network order) to learn from any ARP that names them: the backends and gateways.
    void want(uint32_t ip) { _wanted.insert(ip); }
    /// Our own addresses (network order): an ARP sent to one of them is a reply to us.
    void ours(uint32_t ip) { _ours.insert(ip); }

    /// Learns from one Ethernet frame (anything but Ethernet/IPv4 ARP is ignored) at `now` (any
    /// monotonic unit). True when an entry was added or its MAC changed: republish.
    bool learn(const uint8_t* frame, uint32_t len, uint64_t now);

    /// A MAC the kernel resolved for `ip` (network order; its neighbour table, which the XDP node
    /// reads): taken as a reply would be, when `ip` is wanted or already known. `confirms`: the
    /// kernel has it REACHABLE (or permanent); a STALE one teaches a new MAC but confirms no entry.
    /// True when an entry was added or its MAC changed.
    bool resolved(uint32_t ip, const Mac& mac, uint64_t now, bool confirms = true);

    /// Linux's neighbour timers (net.ipv4.neigh.default: base_reachable_time 30 s, retrans_time 1 s,
    /// ucast_solicit 3), in the unit of `now`.
    struct Aging {
        uint64_t reachable = 0;  // an entry unconfirmed this long is probed; 0: entries never age
        uint64_t retrans = 0;    // between two probes of one entry
        uint32_t probes = 3;     // unanswered probes before the entry is forgotten
    };
    /// What aging asks of the node now: ARP requests for `probe` (each entry unconfirmed for
    /// `reachable`, once a `retrans`); `forgot` when an entry went unanswered through `probes` probes
    /// and was dropped (republish: the dataplane solicits it on its next packet, as for a new one).
    struct Due {
        std::vector<uint32_t> probe;
        bool forgot = false;
    };
    Due age(uint64_t now, const Aging& a);

    /// Forgets entries not confirmed for `max_age` (the dataplane asks again on the next packet).
    /// True when any went.
    bool expire(uint64_t now, uint64_t max_age);

    /// Takes over what `old` has learned (a new config wants other addresses; known MACs stay).
    void adopt(const Neighbours& old)
    {
        _table.insert(old._table.begin(), old._table.end());
        _locked += old._locked;
    }
    /// New MACs refused within the locktime of the known one, since the start.
    uint64_t locked() const { return _locked; }
    /// The MAC learned for `ip` (network order), or nullptr.
    const Mac* find(uint32_t ip) const
    {
        auto it = _table.find(ip);
        return it == _table.end() ? nullptr : &it->second.mac;
    }
    /// For fwd::Inputs::neighbours.
    std::vector<std::pair<uint32_t, Mac>> entries() const;
    size_t size() const { return _table.size(); }

private:
    struct Entry {
        Mac mac{};
        uint64_t seen = 0;     // last confirmed
        uint64_t probed = 0;   // last probed (aging), 0: not since confirmed
        uint32_t probes = 0;   // probes sent since confirmed
    };
    bool update(Entry& e, const Mac& mac, uint64_t now, bool confirms = true);

    uint64_t _locktime = 0;
    uint64_t _locked = 0;
    std::unordered_map<uint32_t, Entry> _table;
    std::unordered_set<uint32_t> _wanted;
    std::unordered_set<uint32_t> _ours;
};

}  // namespace fwd

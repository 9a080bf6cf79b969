// Neighbour learning from ARP (RFC 826 "Packet Reception", merge rule bounded; see neighbours.h).
#include "dataplane/fwd/neighbours.h"

#include "dataplane/wire/headers.h"

#include <algorithm>
#include <cstring>

namespace fwd {

bool Neighbours::learn(const uint8_t* frame, uint32_t len, uint64_t now)
{
    if (len < sizeof(wire::EthHdr) + sizeof(wire::ArpHdr)) {
        return false;
    }
    wire::EthHdr eth{};
    wire::ArpHdr a{};
    std::memcpy(&eth, frame, sizeof(eth));
    std::memcpy(&a, frame + sizeof(eth), sizeof(a));
    if (eth.type != wire::net16(wire::ethertype_arp) || a.htype != wire::net16(1) ||
        a.ptype != wire::net16(wire::ethertype_ipv4) || a.hlen != 6 || a.plen != 4) {
        return false;
    }
    Mac mac{};
    std::memcpy(mac.data(), a.sha, 6);
    // Nobody's address: 0.0.0.0 (a probe), a broadcast or multicast sender MAC, or an all-zero one.
    if (a.spa == 0U || (mac[0] & 1) != 0 || mac == Mac{}) {
        return false;
    }
    const uint32_t spa = a.spa;
    const uint32_t tpa = a.tpa;
    auto it = _table.find(spa);
    if (it == _table.end()) {
        if (!_ours.contains(tpa) && !_wanted.contains(spa)) {
            return false;
        }
        _table.emplace(spa, Entry{.mac = mac, .seen = now});
        return true;
    }
    return update(it->second, mac, now, true);
}

bool Neighbours::resolved(uint32_t ip, const Mac& mac, uint64_t now, bool confirms)
{
    if ((mac[0] & 1) != 0 || mac == Mac{}) {
        return false;
    }
    auto it = _table.find(ip);
    if (it == _table.end()) {
        if (!_wanted.contains(ip)) {
            return false;
        }
        _table.emplace(ip, Entry{.mac = mac, .seen = now});
        return true;
    }
    return update(it->second, mac, now, confirms);
}

// The same MAC confirms the entry (where `confirms`); another replaces it once the entry has gone the
// locktime unconfirmed, and is refused (and does not confirm it) before.
bool Neighbours::update(Entry& e, const Mac& mac, uint64_t now, bool confirms)
{
    if (e.mac == mac) {
        if (confirms && now > e.seen) {  // a confirmation older than the last one confirms nothing new
            e.seen = now;
            e.probed = 0;
            e.probes = 0;
        }
        return false;
    }
    if (_locktime != 0 && now >= e.seen && now - e.seen < _locktime) {
        ++_locked;
        return false;
    }
    e = Entry{.mac = mac, .seen = now};
    return true;
}

Neighbours::Due Neighbours::age(uint64_t now, const Aging& a)
{
    Due d;
    if (a.reachable == 0) {
        return d;
    }
    for (auto it = _table.begin(); it != _table.end();) {
        Entry& e = it->second;
        if (now < e.seen || now - e.seen < a.reachable) {
            ++it;
            continue;
        }
        if (e.probes >= a.probes && now - e.probed >= a.retrans) {
            it = _table.erase(it);  // no answer to any probe: unresolved again
            d.forgot = true;
            continue;
        }
        if (e.probes < a.probes && (e.probes == 0 || now - e.probed >= a.retrans)) {
            e.probed = now;
            ++e.probes;
            d.probe.push_back(it->first);
        }
        ++it;
    }
    std::sort(d.probe.begin(), d.probe.end());
    return d;
}

bool Neighbours::expire(uint64_t now, uint64_t max_age)
{
    return std::erase_if(_table, [&](const auto& kv) { return now > kv.second.seen && now - kv.second.seen > max_age; }) != 0;
}

std::vector<std::pair<uint32_t, Mac>> Neighbours::entries() const
{
    std::vector<std::pair<uint32_t, Mac>> v;
    v.reserve(_table.size());
    for (const auto& [ip, e] : _table) {
        v.emplace_back(ip, e.mac);
    }
    std::sort(v.begin(), v.end());
    return v;
}

}  // namespace fwd

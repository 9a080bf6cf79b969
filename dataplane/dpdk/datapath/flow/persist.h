// Client affinity for keepalived's `persistence_timeout` / `persistence_granularity` (IPVS persistence
// templates): which backend a client network last got for a service, kept per lcore like the flows.
//
// IPVS keys a template by (client address & granularity mask, virtual service) and keeps it for the
// service's persistence timeout after its last use; a new connection from any address in that network
// goes to the template's backend. Here the caller consults this table only when a flow misses and the
// service is persistent: a hit gives the backend (and refreshes the template, as IPVS re-arms its timer
// when a connection is bound to it); a miss schedules, then inserts.
//
// Not done: IPVS also keeps a template alive while connections it created are still open
// (`n_control`). Here a template can expire under a long-lived flow; that flow keeps its backend
// anyway (its own flow entry holds it), only a *new* connection after the timeout may be rescheduled.
#pragma once

#include "dataplane/dpdk/datapath/flow/bucket_table.h"
#include "dataplane/dpdk/datapath/flow/hash.h"

#include <cstdint>

namespace flow {

struct PersistKey {
    uint32_t client = 0;   // client address & granularity mask, network order
    uint32_t service = 0;  // virtual service index (VIP, port, protocol or fwmark)

    friend bool operator==(const PersistKey&, const PersistKey&) = default;
};

/// 32 bytes like a flow entry; the timeout is per entry because every virtual_server has its own
/// persistence_timeout.
struct alignas(32) PersistEntry {
    using key_type = PersistKey;

    uint32_t client = 0;
    uint32_t service = 0;
    uint32_t backend = 0;
    uint32_t reserved = 0;
    uint64_t last_seen = 0;  // caller's time unit
    uint64_t timeout = 0;    // caller's time unit

    bool matches(const PersistKey& k) const noexcept { return ((client ^ k.client) | (service ^ k.service)) == 0; }
    void set_key(const PersistKey& k) noexcept
    {
        client = k.client;
        service = k.service;
    }
    bool expired(uint64_t now, const uint64_t* /*timeouts*/) const noexcept { return aged_out(last_seen, now, timeout); }
};
static_assert(sizeof(PersistEntry) == 32);
static_assert(BucketEntry<PersistEntry>);

class PersistTable : public BucketTable<PersistEntry> {
public:
    using Base = BucketTable<PersistEntry>;
    using Base::Base;

    /// `mask` is persistence_granularity as a network-order netmask (255.255.255.255 by default).
    static PersistKey make_key(uint32_t client, uint32_t mask, uint32_t service) noexcept
    {
        return {.client = client & mask, .service = service};
    }
    static uint32_t hash(const PersistKey& k) noexcept { return crc32c(0xFFFFFFFFU, &k, sizeof(k)); }

    PersistEntry* lookup(uint32_t client, uint32_t mask, uint32_t service, uint64_t now) noexcept
    {
        const PersistKey k = make_key(client, mask, service);
        return Base::lookup(k, hash(k), now);
    }

    PersistEntry* insert(uint32_t client, uint32_t mask, uint32_t service, uint32_t backend, uint64_t timeout,
                         uint64_t now) noexcept
    {
        const PersistKey k = make_key(client, mask, service);
        PersistEntry* e = Base::insert(k, hash(k), now);
        e->backend = backend;
        e->timeout = timeout;
        return e;
    }
};

}  // namespace flow

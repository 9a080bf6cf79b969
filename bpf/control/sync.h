// A forwarding table (fwd::Table: the snapshot joined with the node's ports, routes and neighbours)
// written into the XDP program's maps as a diff against what was written before, in an order that
// never shows a packet a half-built service: a service's backends and its sh/Maglev table go into the
// bank (bpf/lb_structs.h, VIPD_BANKS) that no service record points at, and then one write of the
// service record flips it to that bank. A service keeps its position (as on DPDK, flows remember the
// position), so flows on unchanged services keep their backends and counters; a backend that a
// checker took down has weight 0 in the new bank and gets no new flow.
//
// Control thread only (one writer).
#pragma once

#include "bpf/control/loader.h"
#include "bpf/lb_structs.h"
#include "dataplane/fwd/table.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace xdp {

/// A service the program does not run, left out of the maps.
struct Skipped {
    uint32_t vip = 0;  // network order, as fwd::Service
    uint16_t port = 0;
    uint8_t proto = 0;
    uint32_t virtual_server = 0;  // its position in the config
    std::string why;              // "10.0.0.100:9003/tcp: lb_algo lc is not in the XDP program yet"
};

/// What one apply did.
struct SyncResult {
    std::string error;             // the first map write that failed; the maps hold what was written
    std::vector<Skipped> skipped;  // services the program does not run
    uint32_t services_written = 0;     // service records written (new or changed)
    uint32_t writes = 0;               // map writes in all
};

class MapSync {
public:
    /// `ifindex[p]` is the interface of the table's port p (the kernel's ifindex), `port_flags[p]`
    /// its VIPD_PORT_* (none where left out).
    MapSync(MapWriter& writer, std::vector<uint32_t> ifindex, std::vector<uint8_t> port_flags = {});

    /// Writes what changed since the last apply (everything the first time), then marks the program
    /// ready (it passes every frame before).
    SyncResult apply(const fwd::Table& table);

    /// Between two flips of one service's bank, at least this long passes: a packet that read the
    /// old record has finished with the old bank before the next apply writes into it (in NAPI the
    /// program runs with bottom halves off, for microseconds; a BPF_PROG_TEST_RUN run can be
    /// preempted, which the stress test in tests/bpf/sync_test.cc allows for).
    static constexpr std::chrono::microseconds bank_grace{1000};

private:
    using ServiceKey = std::tuple<uint32_t, uint16_t, uint8_t>;  // vip, port, proto (network order)
    struct Written {
        vipd_service record{};
        std::vector<vipd_backend> backends;
        std::vector<int16_t> table;
    };
    struct Position {
        uint32_t bank = 0;  // the bank the last record written for this position points at
        bool used = false;
        std::chrono::steady_clock::time_point flipped{};
        ServiceKey key{};   // the key of the last record written here
        uint32_t gen = 0;   // its record's gen: one more whenever another key takes the position
        bool hot = false;   // its vipd_service_hot word is not 0
    };

    std::string write_service(uint32_t id, const ServiceKey& key, Written next, SyncResult& r);

    MapWriter& _w;
    std::vector<uint32_t> _ifindex;
    std::vector<uint8_t> _port_flags;  // by port, as _ifindex
    bool _ready = false;
    std::map<ServiceKey, Written> _services;
    std::vector<Position> _positions = std::vector<Position>(VIPD_MAX_SERVICES);
    std::map<uint32_t, uint32_t> _addrs;                                  // address → VIPD_ADDR_*
    std::map<std::pair<uint32_t, uint8_t>, vipd_route> _routes;           // (net, prefix)
    std::map<uint32_t, std::array<uint8_t, 6>> _neighbours;
    std::map<ServiceKey, vipd_nat_reply> _nat;                            // (backend ip, port, proto)
    std::map<uint32_t, vipd_port> _ports;                                 // ifindex
    std::array<uint64_t, 4> _vrids{};                                     // as fwd::Snapshot::vrids()
    std::array<uint64_t, VIPD_VIP_FILTER_WORDS> _vip_filter{};            // as written
};

}  // namespace xdp

// The schedulers that pick a real server for a new flow, with keepalived's lb_algo names and the
// semantics of the kernel's IPVS modules (ip_vs_rr.c … ip_vs_mh.c), in plain C++ so the DPDK lcores,
// the unit tests and the XDP loader share one implementation.
//
// The split follows who writes what:
//   - `Service` is built by the control thread when it publishes a table (allocation allowed there)
//     and is read-only afterwards; every lcore reads it concurrently, nobody writes it
//     (dataplane: ro, control: built once, freed after an RCU grace period).
//   - `Lcore` is one lcore's mutable state for one service: the rr/wrr cursors and the per-backend
//     active/inactive flow counts that lc, wlc, sed, nq and ovf read. Only its lcore writes it
//     (dataplane: rw by the owner lcore only; control: ro through `counts()`, for statistics).
//     IPVS keeps these counters per destination for the whole host; here each lcore counts the
//     flows it owns, which is what RSS-sharded flow tables allow without sharing a written line.
//
// Backend positions are stable for a service's life: the table builder keeps a removed real server's
// slot (weight 0, unavailable) until its flows have ended — as IPVS keeps a removed destination in
// its trash while connections still point at it — so counters and flow-table entries stay valid
// across republishes. An `Lcore` must have room for every slot of the services it serves.
#pragma once

#include "dataplane/fwd/sched/hashes.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sched {

// Same order as conf::LbAlgo, so the table builder can map one onto the other with a cast.
enum class Algo : uint8_t { rr, wrr, lc, wlc, lblc, lblcr, dh, sh, mh, sed, nq, fo, ovf };

// keepalived's lb_algo spelling ("wlc", "mh", …); nullopt for anything else.
std::optional<Algo> parse_algo(std::string_view name) noexcept;
std::string_view to_string(Algo a) noexcept;

// keepalived accepts real_server weights 0..65535; the bound also keeps the wlc/sed cross products
// (overhead < 2^41 times weight < 2^16) inside 64 bits.
inline constexpr uint32_t max_weight = 65535;
// Lookup tables hold int16_t positions (half the cache footprint of int32_t for the Maglev table).
inline constexpr uint32_t max_backends = 32767;
inline constexpr uint32_t sh_table_size = 256;  // IP_VS_SH_TAB_SIZE

struct Backend {
    uint64_t key = 0;        // stable identity (e.g. address and port): mh places a backend by it
    uint32_t weight = 1;     // 0: quiesced, no new flows (IPVS semantics); existing flows stay
    bool available = true;   // false: no new flows (checker down, or IPVS's overload flag)
};

struct Options {
    bool sh_fallback = false;    // IPVS sh-fallback: an unavailable bucket tries the next ones
    bool sh_port = false;        // IPVS sh-port: hash the flow (flow_hash) instead of the client address
    bool mh_port = false;        // IPVS mh-port: likewise for mh
    uint32_t mh_table_size = 0;  // M; 0: the smallest of maglev_sizes that is ≥ 100 × backends
};

// Maglev table sizes: primes, each roughly double the previous one.
inline constexpr uint32_t maglev_sizes[] = {65537, 131071, 262147, 524309, 1048583};
// The smallest listed size with M ≥ 100 × backends; 0 when there is none.
uint32_t maglev_size_for(size_t backends) noexcept;

// Fills `table` (its size is M, a prime) with Maglev's lookup table: each backend of weight > 0
// claims slots along its own permutation (offset + j·skip) mod M, offset and skip drawn from two
// hashes of its key; a backend claims turns at a rate proportional to its weight (a backend of the
// maximum weight every round, half that weight every other round, …). Entries hold the position in
// `backends`, -1 when no backend has weight > 0. Allocates its scratch once per call.
struct MaglevBackend {
    uint64_t key = 0;
    uint32_t weight = 0;
};
// M must be prime and below 2^26 (the arithmetic of the last entries' placement needs M² < 2^52).
void maglev_fill(std::span<const MaglevBackend> backends, std::span<int16_t> table);

// A backend's permutation for table size M: slot j of its preference list is
// (offset + j·skip) mod M. Exposed so another implementation (the XDP loader's checks, the tests)
// can reproduce the table.
struct MaglevPermutation {
    uint32_t offset;
    uint32_t skip;
};
MaglevPermutation maglev_permutation(uint64_t key, uint32_t m) noexcept;

// The hashes the hot path and the XDP program share (hashes.h: one definition for both).
constexpr uint32_t mix32(uint32_t h) noexcept { return vipd_mix32(h); }
constexpr uint32_t sh_bucket(uint32_t v) noexcept { return vipd_sh_bucket(v); }

class Lcore;
struct BuildResult;

class Service {
public:
    // Control plane only: validates and precomputes everything pick() needs. `backends` are in
    // keepalived's order (the order of real_server blocks), which rr, wrr, lc… tie-break on.
    static BuildResult build(Algo algo, std::span<const Backend> backends, const Options& opt = {});

    Algo algo() const noexcept { return _algo; }
    const Options& options() const noexcept { return _opt; }
    uint32_t size() const noexcept { return _n; }
    // Weight as pick() sees it: 0 when quiesced or unavailable.
    uint32_t effective_weight(uint32_t backend) const noexcept { return _weight[backend]; }
    // sh: the 256 buckets after fallback; mh: the M Maglev entries. Empty for the other algorithms.
    std::span<const int16_t> table() const noexcept { return _table; }

private:
    Service() = default;

    friend int32_t pick(const Service& s, Lcore& l, uint32_t flow_hash, uint32_t client_ip, bool active) noexcept;

    Algo _algo = Algo::rr;
    Options _opt;
    uint32_t _n = 0;
    uint32_t _eligible = 0;     // backends with effective weight > 0
    int32_t _wrr_gcd = 0;       // IPVS mark->di
    int32_t _wrr_max = 0;       // IPVS mark->mw: max weight - (gcd - 1)
    int32_t _fixed = -1;        // fo: the choice, which depends on nothing a packet carries
    std::vector<uint32_t> _weight;  // effective weights, dense so the lc scans stream one array
    std::vector<int16_t> _table;
};

// The outcome of building a service: a service, or why not (a message for the log).
struct BuildResult {
    std::optional<Service> service;
    std::string error;
    explicit operator bool() const noexcept { return service.has_value(); }
};

// Flow counts of one backend on one lcore, as ipvsadm's ActiveConn / InActConn.
struct FlowCounts {
    uint32_t active = 0;
    uint32_t inactive = 0;
};

// One lcore's state for one service. Keep one per (service, lcore), e.g. in the service's
// alignas(64) per-lcore array; the counters live in their own 64-byte-aligned, 64-byte-padded block
// so two lcores never write the same cache line.
class alignas(64) Lcore {
public:
    explicit Lcore(uint32_t capacity);
    explicit Lcore(const Service& s) : Lcore(s.size()) {}

    uint32_t capacity() const noexcept { return _capacity; }
    // Safe from another thread (relaxed atomic loads): for statistics, not for decisions.
    FlowCounts counts(uint32_t backend) const noexcept;
    // Owner lcore or tests only: sets a backend's counters, e.g. to craft a state.
    void set_counts(uint32_t backend, FlowCounts c) noexcept;

private:
    friend int32_t pick(const Service& s, Lcore& l, uint32_t flow_hash, uint32_t client_ip, bool active) noexcept;
    friend void on_flow_state(Lcore& l, int32_t backend, bool active) noexcept;
    friend void on_flow_end(Lcore& l, int32_t backend, bool active) noexcept;
    friend void on_flow_start(Lcore& l, int32_t backend, bool active) noexcept;

    struct AlignedFree {
        void operator()(FlowCounts* p) const noexcept;
    };

    int32_t _rr_pos = -1;   // IPVS rr's svc->sched_data: the last position picked
    int32_t _wrr_pos = -1;  // IPVS wrr's mark->cl (-1: the list head)
    int32_t _wrr_cw = 0;    // IPVS wrr's mark->cw (0: not started)
    uint32_t _capacity = 0;
    std::unique_ptr<FlowCounts[], AlignedFree> _counts;
};

// The hot path, once per new flow: the chosen backend's position, or -1 when none may take it (the
// caller drops the packet with its "no backend" reason). Counts the flow as active on the chosen
// backend, as IPVS's ip_vs_bind_dest does; if the caller then fails to keep the flow (flow table
// full), it must call on_flow_end(l, backend, true).
//   flow_hash: a hash of the 5-tuple, the same on every lcore and node (sh-port and mh-port use it).
//   client_ip: the client's IPv4 address in host order; an IPv6 address folded as IPVS does
//              (the xor of its four 32-bit words, each in host order).
// Returns -1 also when `l` has fewer slots than `s` has backends (a control-plane bug).
int32_t pick(const Service& s, Lcore& l, uint32_t flow_hash, uint32_t client_ip) noexcept;
// As pick(), counting the new flow as active or inactive as `active` says (a TCP flow starts
// inactive: IPVS counts it active once ESTABLISHED).
int32_t pick(const Service& s, Lcore& l, uint32_t flow_hash, uint32_t client_ip, bool active) noexcept;

// A flow of `backend` moved between active and inactive (IPVS: TCP reached or left ESTABLISHED).
// `active` is its new state.
void on_flow_state(Lcore& l, int32_t backend, bool active) noexcept;
// A flow of `backend` ended (expired or reset); `active` is the state it was counted in.
void on_flow_end(Lcore& l, int32_t backend, bool active) noexcept;
// A flow was bound to `backend` without pick() (a persistence template chose it).
void on_flow_start(Lcore& l, int32_t backend, bool active) noexcept;

} // namespace sched

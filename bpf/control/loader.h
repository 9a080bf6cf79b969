// The control thread's handle on vipd's XDP program: loads it from the skeleton built into vipd
// (bpftool gen skeleton of bpf/datapath/lb.bpf.c), reports a verifier rejection with the end of the
// verifier's log, and writes the maps' records (bpf/lb_structs.h) through typed calls. The diff from
// a forwarding snapshot to these writes comes on top of MapWriter; nothing here attaches to a NIC.
#pragma once

#include "bpf/lb_structs.h"
#include "dataplane/fwd/sched/sched.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct vipd_lb;

namespace xdp {

/// What load() may change before the program is loaded.
struct LoadOptions {
    /// The flows the table is sized for (maps.h, vipd_flows): buckets of VIPD_FLOW_WAYS ways, four
    /// ways a flow, rounded up to a power of two of buckets (flow_buckets()); 224 bytes a flow.
    uint32_t flows = VIPD_MAX_FLOWS;
    /// Per-CPU flow tables (maps.h, vipd_flows_cpu): each possible CPU its own table of this size,
    /// for NICs whose RSS keeps a flow and its replies on one CPU. Default: one table shared by
    /// every CPU.
    bool per_cpu_flows = false;
    size_t log_lines = 24;            // verifier log lines kept in a load error
    bool test_clock = false;          // time is what MapWriter::clock() says (tests), not the kernel's
};

class Program;

/// The buckets of a flow table sized for `flows`: a power of two, at least one.
uint32_t flow_buckets(uint32_t flows) noexcept;

/// A loaded program, or why not: `error` says what failed; for a verifier rejection it ends with the
/// last `log_lines` lines of the verifier log. `eperm` tells "bpf() refused" (no CAP_BPF) apart.
struct LoadResult {
    std::unique_ptr<Program> program;
    std::string error;
    bool eperm = false;
};

/// The typed writes of the maps' records, on a loaded program's map fds. Control thread only (one
/// writer). Each call returns "" or what failed (with errno's text).
class MapWriter {
public:
    explicit MapWriter(vipd_lb* skel) : _skel(skel) {}

    /// The flow state machine and timeouts, copied from flow::next_state and flow::Timeouts (in
    /// nanoseconds); `ready` lets the program serve (without it every frame is XDP_PASS).
    std::string config(bool ready);
    /// With LoadOptions::test_clock: the program's time from now on, in nanoseconds.
    std::string clock(uint64_t now_ns);
    /// The exception path's bound: at most `pps` frames a second on each CPU passed to the kernel
    /// as to_exception, a hundredth of a second's worth (at least 64) at once; the rest dropped as
    /// exception_ring_full. 0: no bound (the default). Kept by every later config().
    std::string kernel_rate(uint32_t pps);
    /// The new-flow bound: at most `per_s` new flows a second on each CPU (vipd_new_flow_burst() at
    /// once); a SYN or a new UDP flow past it is dropped as new_flow_rate (serve.h says what does
    /// not pay). 0: no bound (the default, as IPVS). Kept by every later config().
    std::string new_flow_rate(uint32_t per_s);
    std::string port(uint32_t ifindex, const vipd_port& p);
    std::string addr(uint32_t addr, uint32_t flags);  // flags 0: removed
    std::string service(const vipd_service_key& key, const vipd_service& s);
    std::string remove_service(const vipd_service_key& key);
    /// The fast path's word for service position `id` (vipd_hot_word(); 0 stops the fast path
    /// there): one 8-byte store into the program's mmapped .bss, after the service record.
    void service_hot(uint32_t id, uint64_t word);
    /// Word `index` of the VIP filter (vipd_vip_filter_bit()); returns the word it replaced.
    uint64_t vip_filter(uint32_t index, uint64_t bits);
    /// Backend `position` of service `service_id` in `bank` (VIPD_BANKS: MapSync writes the bank no
    /// service record points at, then flips the record).
    std::string backend(uint32_t service_id, uint32_t bank, uint32_t position, const vipd_backend& b);
    /// A connected network (gateway 0) or a static route, for where NAT replies leave.
    std::string route(uint32_t net, uint8_t prefix, const vipd_route& r);
    std::string neighbour(uint32_t ip, const vipd_neighbour& n);
    /// The services a reply from NAT backend (ip, port, proto) may belong to (fwd::NatReply).
    std::string nat_reply(const vipd_nat_key& key, const vipd_nat_reply& r);
    /// A service's sh or Maglev table in `bank`, written whole into a fresh inner map that then
    /// replaces the old one in one outer write (a packet sees the old table or the new one, never a mix).
    std::string table(uint32_t service_id, uint32_t bank, std::span<const int16_t> entries);
    std::string remove_route(uint32_t net, uint8_t prefix);
    std::string remove_neighbour(uint32_t ip);
    std::string remove_nat_reply(const vipd_nat_key& key);
    std::string remove_port(uint32_t ifindex);
    /// Whether the node has a VRRP instance with virtual_router_id `vrid` (its adverts go on to the
    /// kernel's VRRP socket; those of other VRIDs are dropped).
    std::string vrid(uint8_t vrid, bool ours);

private:
    vipd_lb* _skel;
    vipd_config _config{};  // the last one written: clock() rewrites it with the time
};

/// The service record of a sched::Service (its algorithm's precomputed parts: wrr's gcd and max,
/// fo's choice), or an error for what the program does not run (lblc, lblcr, dh, which the snapshot
/// refuses anyway, and an mh table other than VIPD_TABLE_SIZE).
struct ServiceRecord {
    vipd_service record{};
    std::string error;
};
ServiceRecord service_record(uint32_t id, uint8_t kind, const sched::Service& s, uint32_t persist_s = 0,
                             uint32_t persist_mask = ~0u);

class Program {
public:
    static LoadResult load(const LoadOptions& opt = {});
    ~Program();
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;

    int prog_fd() const noexcept;       // the entry, attached to the interfaces
    int full_prog_fd() const noexcept;  // the whole program it tail-calls
    MapWriter& maps() noexcept { return _writer; }
    vipd_lb* skeleton() noexcept { return _skel; }

    /// Summed over CPUs: frames counted per verdict and per drop reason (verdicts.h numbering).
    std::vector<uint64_t> verdicts() const;
    std::vector<uint64_t> drops() const;
    /// Summed over CPUs: one backend's packets and bytes (service and backend positions).
    vipd_backend_stats backend_stats(uint32_t service_id, uint32_t position) const;

    /// The flows in the table by keep rank (a read of every bucket: for statistics and tests, not per
    /// packet), of every CPU's tables with LoadOptions::per_cpu_flows; expired flows count until a
    /// packet or a new flow meets them, as in the lcore table.
    struct FlowCounts {
        uint64_t kept = 0;  // confirmed
        uint64_t fresh = 0; // unconfirmed
    };
    FlowCounts flows() const;
    /// The same, of one CPU's tables (per_cpu_flows; all zero without it or for a CPU out of range).
    FlowCounts flows_of_cpu(uint32_t cpu) const;
    bool per_cpu_flows() const noexcept { return !_cpu_tables.empty(); }
    /// Summed over CPUs: live flows that new ones replaced, unconfirmed (a flood replacing itself)
    /// and confirmed (a bucket of eight live confirmed flows: the table is too small for the load).
    struct FlowTableCounters {
        uint64_t evicted = 0;
        uint64_t evicted_confirmed = 0;
    };
    FlowTableCounters flow_table_counters() const;
    /// The flow table's buckets (each online CPU's with per_cpu_flows) and the seed of the hash that
    /// places a flow in them (random at each load): for tests that fill one bucket.
    uint32_t flow_buckets() const noexcept { return _buckets; }
    uint64_t flow_seed() const noexcept;

    /// With LoadOptions::test_clock: the last frame's verdict and drop reason (verdicts.h numbering)
    /// and the interface it was sent to, read from the program's memory without a system call.
    struct Last {
        uint8_t verdict = 0;
        uint8_t reason = 0;
        uint32_t ifindex = 0;
    };
    Last last() const noexcept;
    /// Forgets every flow, persistence template, scheduler cursor and flow count, remembered ARP
    /// request, ICMP bucket and fragment entry (the packet state; the forwarding maps stay). Returns ""
    /// or what failed.
    std::string clear_packet_state();

private:
    explicit Program(vipd_lb* skel) : _skel(skel), _writer(skel) {}

    vipd_lb* _skel;
    MapWriter _writer;
    uint32_t _buckets = 1;           // of the shared table, or of each online CPU's
    /// By CPU (per_cpu_flows): each CPU's table's descriptor, also held by vipd_flows_cpu, and its
    /// buckets. Empty: the shared table.
    struct CpuTable {
        int fd = -1;
        uint32_t buckets = 0;
    };
    std::vector<CpuTable> _cpu_tables;
};

}  // namespace xdp

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
    uint32_t flows = VIPD_MAX_FLOWS;  // the confirmed flows' LRU tier (vipd_flows)
    uint32_t new_flows = 0;           // the unconfirmed flows' tier (vipd_flows_new); 0: a quarter of flows
    /// Per-CPU flow tables (maps.h, vipd_flows_cpu): each possible CPU its own two tiers of these
    /// sizes, for NICs whose RSS keeps a flow and its replies on one CPU. Default: one pair of
    /// tiers shared by every CPU.
    bool per_cpu_flows = false;
    size_t log_lines = 24;            // verifier log lines kept in a load error
    bool test_clock = false;          // time is what MapWriter::clock() says (tests), not the kernel's
};

class Program;

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

    /// The flows in each tier (a walk of both maps' keys: for statistics and tests, not per packet),
    /// of every CPU's tables with LoadOptions::per_cpu_flows.
    struct FlowCounts {
        uint64_t kept = 0;  // confirmed (vipd_flows)
        uint64_t fresh = 0; // unconfirmed (vipd_flows_new)
    };
    FlowCounts flows() const;
    /// The same, of one CPU's tables (per_cpu_flows; all zero without it or for a CPU out of range).
    FlowCounts flows_of_cpu(uint32_t cpu) const;
    bool per_cpu_flows() const noexcept { return !_cpu_tiers.empty(); }

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

    /// One CPU's tiers (per_cpu_flows): the inner maps' descriptors, also held by the outer maps.
    struct CpuTiers {
        int kept = -1;
        int fresh = -1;
    };

    vipd_lb* _skel;
    MapWriter _writer;
    std::vector<CpuTiers> _cpu_tiers;  // by CPU; empty: the shared tiers
};

}  // namespace xdp

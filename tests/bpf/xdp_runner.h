// The XDP program as a golden::Runner: loaded once from its skeleton, its maps written by the
// product's own MapSync from the golden setup's forwarding table, each frame run through
// BPF_PROG_TEST_RUN on the test clock, its verdict and drop reason read from the program's memory.
// Shared by the golden contract, the differential fuzz and the update stress tests of suite `bpf`.
#pragma once

#include "bpf/control/loader.h"
#include "bpf/control/sync.h"
#include "tests/golden/runner.h"

#include <memory>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace xdptest {

// BPF_PROG_TEST_RUN delivers every frame on the loopback device: the table's port p is ifindex p + 1,
// so the golden node's port 0 is where frames arrive and leave (XDP_TX).
inline constexpr uint32_t ifindex_of(uint16_t port) { return uint32_t{port} + 1; }

/// What one BPF_PROG_TEST_RUN made of a frame.
struct Run {
    int action = -1;  // XDP_*
    uint8_t verdict = 0;
    uint8_t reason = 0;
    uint32_t ifindex = 0;
    golden::Bytes out;
    std::string error;  // the system call failed
};

class XdpRunner : public golden::Runner {
public:
    /// Loads the program (test clock on), or leaves error() set. `port_flags[p]`: the VIPD_PORT_* of
    /// the table's port p (none by default); `flows`: the flow table's capacity (LoadOptions);
    /// `per_cpu_flows`: the program's per-CPU flow tables, every frame then run on one CPU (cpu()).
    explicit XdpRunner(std::vector<uint8_t> port_flags = {}, uint32_t flows = 1 << 16, bool per_cpu_flows = false);
    std::string_view name() const override { return "xdp"; }
    golden::Caps caps() const override;
    std::string load(const golden::Setup& setup) override;
    void reset() override;
    golden::Outcome run(const golden::Bytes& frame, uint64_t now_ms) override;
    std::string cannot(const golden::Fixture& fixture) const override;

    /// The frame through the program at `now_ns` on its clock.
    Run run_raw(const golden::Bytes& frame, uint64_t now_ns);
    /// The CPU the frames run on: the thread is pinned there before each run (-1: wherever it is;
    /// per_cpu_flows runners start on the first CPU the process may use).
    int cpu() const noexcept { return _cpu; }
    void set_cpu(int cpu) noexcept { _cpu = cpu; }
    /// Writes `table` through the runner's MapSync (as load() does).
    xdp::SyncResult apply(const fwd::Table& table);

    const std::string& error() const noexcept { return _error; }
    xdp::Program& program() noexcept { return *_prog; }
    const fwd::Table& table() const noexcept { return *_table; }
    /// Why the program does not run the service a frame is for (a scheduler it lacks), or "".
    std::string unserved(const golden::Bytes& frame) const;

private:
    std::string _error;
    int _cpu = -1;
    std::unique_ptr<xdp::Program> _prog;
    std::unique_ptr<xdp::MapSync> _sync;
    std::unique_ptr<const fwd::Table> _table;
    std::map<std::tuple<uint32_t, uint16_t, uint8_t>, std::string> _unserved;  // vip, port, proto: why
};

}  // namespace xdptest

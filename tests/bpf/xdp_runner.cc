// The XDP program as a golden::Runner (xdp_runner.h).
#include "tests/bpf/xdp_runner.h"

#include "tests/golden/setup.h"

#include <bpf/bpf.h>
#include <sched.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>

namespace xdptest {
namespace {

// A frame's destination service key, as the C++ path reads it; false when it has none.
bool service_key(const golden::Bytes& f, std::tuple<uint32_t, uint16_t, uint8_t>& key)
{
    if (f.size() < 14 + 20 + 4 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4) {
        return false;
    }
    const uint32_t hlen = (f[14] & 0x0f) * 4u;
    const uint8_t proto = f[14 + 9];
    if (hlen < 20 || f.size() < 14 + hlen + 4 || (proto != 6 && proto != 17)) {
        return false;
    }
    uint32_t dst = 0;
    uint16_t dport = 0;
    std::memcpy(&dst, &f[14 + 16], 4);
    std::memcpy(&dport, &f[14 + hlen + 2], 2);
    key = {dst, dport, proto};
    return true;
}

}  // namespace

XdpRunner::XdpRunner(std::vector<uint8_t> port_flags, uint32_t flows, bool per_cpu_flows)
{
    if (per_cpu_flows) {
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0) {
            for (int c = 0; c < CPU_SETSIZE && _cpu < 0; ++c) {
                _cpu = CPU_ISSET(c, &cpus) ? c : -1;
            }
        }
    }
    xdp::LoadResult r = xdp::Program::load({.flows = flows, .per_cpu_flows = per_cpu_flows, .test_clock = true});
    if (!r.program) {
        _error = r.error;
        return;
    }
    _prog = std::move(r.program);
    _sync = std::make_unique<xdp::MapSync>(_prog->maps(), std::vector<uint32_t>{ifindex_of(0), ifindex_of(1)},
                                            std::move(port_flags));
}

golden::Caps XdpRunner::caps() const
{
    namespace cap = golden::cap;
    // BPF_PROG_TEST_RUN refuses frames under 14 bytes; XDP_PASS does not say whether control or the
    // kernel takes a frame (both are the kernel's in XDP mode).
    return cap::all & ~cap::runt_frames & ~cap::pass_target;
}

xdp::SyncResult XdpRunner::apply(const fwd::Table& table)
{
    xdp::SyncResult r = _sync->apply(table);
    _unserved.clear();
    for (const xdp::Skipped& s : r.skipped) {
        _unserved[{s.vip, s.port, s.proto}] = s.why;
    }
    return r;
}

std::string XdpRunner::load(const golden::Setup& setup)
{
    if (!_prog) {
        return _error;
    }
    fwd::BuildResult b = golden::build_table(setup.config, setup.node);
    if (!b.table) {
        return b.error;
    }
    _table = std::move(b.table);
    const xdp::SyncResult r = apply(*_table);
    if (!r.error.empty()) {
        return r.error;
    }
    return {};
}

void XdpRunner::reset()
{
    if (_prog) {
        _error = _prog->clear_packet_state();
    }
}

std::string XdpRunner::unserved(const golden::Bytes& frame) const
{
    std::tuple<uint32_t, uint16_t, uint8_t> key;
    if (!service_key(frame, key)) {
        return {};
    }
    if (const auto it = _unserved.find(key); it != _unserved.end()) {
        return it->second;
    }
    return {};
}

std::string XdpRunner::cannot(const golden::Fixture& fixture) const
{
    for (const golden::Step& s : fixture.steps) {
        if (std::string why = unserved(s.input); !why.empty()) {
            return why;
        }
    }
    return {};
}

Run XdpRunner::run_raw(const golden::Bytes& frame, uint64_t now_ns)
{
    Run r;
    if (const std::string err = _prog->maps().clock(now_ns); !err.empty()) {
        r.error = err;
        return r;
    }
    golden::Bytes out(frame.size() + 512);
    // LIBBPF_OPTS is a C statement expression; spelled out for C++.
    bpf_test_run_opts opts{};
    opts.sz = sizeof(opts);
    opts.data_in = frame.data();
    opts.data_out = out.data();
    opts.data_size_in = static_cast<uint32_t>(frame.size());
    opts.data_size_out = static_cast<uint32_t>(out.size());
    opts.repeat = 1;
    // A frame runs on the CPU of the thread that asks (BPF_PROG_TEST_RUN takes no CPU for XDP): the
    // thread is pinned for the run, then may run where it could before.
    cpu_set_t was;
    CPU_ZERO(&was);
    if (_cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(_cpu, &one);
        if (sched_getaffinity(0, sizeof(was), &was) != 0 || sched_setaffinity(0, sizeof(one), &one) != 0) {
            r.error = std::string("sched_setaffinity: ") + std::strerror(errno);
            return r;
        }
    }
    const int ran = bpf_prog_test_run_opts(_prog->prog_fd(), &opts);
    const int err = errno;
    if (_cpu >= 0) {
        sched_setaffinity(0, sizeof(was), &was);
    }
    if (ran != 0) {
        r.error = std::string("BPF_PROG_TEST_RUN: ") + std::strerror(err);
        return r;
    }
    r.action = static_cast<int>(opts.retval);
    out.resize(opts.data_size_out);
    r.out = std::move(out);
    const xdp::Program::Last last = _prog->last();
    r.verdict = last.verdict;
    r.reason = last.reason;
    r.ifindex = last.ifindex;
    return r;
}

golden::Outcome XdpRunner::run(const golden::Bytes& frame, uint64_t now_ms)
{
    golden::Outcome o;
    if (!_error.empty()) {
        o.error = _error;
        return o;
    }
    Run r = run_raw(frame, now_ms * 1'000'000);
    if (!r.error.empty()) {
        o.error = r.error;
        return o;
    }
    o.reason = static_cast<golden::Reason>(r.reason);
    int want_action = XDP_DROP;
    switch (r.verdict) {
    case VIPD_VERDICT_forward: o.verdict = golden::Verdict::forward; want_action = XDP_TX; break;
    case VIPD_VERDICT_reply: o.verdict = golden::Verdict::reply; want_action = XDP_TX; break;
    case VIPD_VERDICT_solicit: o.verdict = golden::Verdict::solicit; want_action = XDP_TX; break;
    case VIPD_VERDICT_to_vrrp:
    case VIPD_VERDICT_to_local:
    case VIPD_VERDICT_to_control:
    case VIPD_VERDICT_to_exception: o.verdict = golden::Verdict::pass; want_action = XDP_PASS; break;
    case VIPD_VERDICT_drop: o.verdict = golden::Verdict::drop; break;
    default: o.error = "verdict " + std::to_string(r.verdict) + " is not the XDP program's"; return o;
    }
    // Every golden next hop is on the port the frame came in on: anything sent is XDP_TX.
    if (r.action != want_action) {
        o.error = "XDP action " + std::to_string(r.action) + " for verdict " + std::to_string(r.verdict) +
                  " (expected " + std::to_string(want_action) + ")";
        return o;
    }
    if (o.verdict != golden::Verdict::drop) {
        o.frame = std::move(r.out);
        o.port = 0;
    }
    return o;
}

}  // namespace xdptest

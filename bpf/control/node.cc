// The XDP node (node.h): the interfaces taken and checked, the program loaded and attached by
// bpf_links, the VIP TAPs, the neighbours learned, and each snapshot joined and diffed into the maps.
#include "bpf/control/node.h"

#include "bpf/control/loader.h"
#include "bpf/control/sync.h"
#include "control/kernel/interfaces.h"
#include "control/kernel/held.h"
#include "control/kernel/xdp_leftover.h"
#include "control/log.h"
#include "dataplane/fwd/neighbours.h"
#include "dataplane/fwd/stats.h"
#include "dataplane/fwd/table.h"
#include "dataplane/fwd/verdicts.h"
#include "dataplane/wire/headers.h"

#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

namespace xdp {
namespace {

// A neighbour's MAC changes at most once a second (Linux's locktime; the node's clock is in ms).
constexpr uint64_t neighbour_locktime_ms = 1000;

using Clock = std::chrono::steady_clock;
using Mac = std::array<uint8_t, 6>;

constexpr const char* verdict_names[] = {
#define VIPD_NAME_(name, why) #name,
    VIPD_VERDICTS(VIPD_NAME_)
};
constexpr const char* drop_names[] = {VIPD_DROP_REASONS(VIPD_NAME_)
#undef VIPD_NAME_
};

// An owned descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : _fd(fd) {}
    Fd(Fd&& o) noexcept : _fd(o._fd) { o._fd = -1; }
    Fd& operator=(Fd&& o) noexcept
    {
        std::swap(_fd, o._fd);
        return *this;
    }
    ~Fd()
    {
        if (_fd >= 0) {
            ::close(_fd);
        }
    }
    int get() const { return _fd; }
    explicit operator bool() const { return _fd >= 0; }

private:
    int _fd = -1;
};

// A TAP that exists as long as vipd keeps its descriptor open (not persistent): the kernel deletes
// it, with every address on it, when the process dies.
Fd open_tap(const std::string& name, std::string& error)
{
    Fd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        error = fmt::format("cannot open /dev/net/tun: {}", std::strerror(errno));
        return {};
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0) {
        error = fmt::format("cannot create TAP {}: {}", name, std::strerror(errno));
        return {};
    }
    // It carries IPv4 VIPs only: no router solicitations or DAD out of it.
    std::ofstream(fmt::format("/proc/sys/net/ipv6/conf/{}/disable_ipv6", name)) << "1\n";
    return fd;
}

// A packet socket that sees the ARP frames the program passes to the kernel on one interface: the
// replies to the requests the program sends for unknown next hops, and gratuitous ARPs.
Fd open_arp_socket(int ifindex, std::string& error)
{
    Fd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP)));
    if (!fd) {
        error = fmt::format("cannot open an ARP packet socket: {}", std::strerror(errno));
        return {};
    }
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ARP);
    sll.sll_ifindex = ifindex;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
        error = fmt::format("cannot bind the ARP packet socket: {}", std::strerror(errno));
        return {};
    }
    return fd;
}

// One interface the node holds; its addresses (they stay on it) and routes (HeldIpv4).
struct Held : kernel::HeldIpv4 {
    std::string ifname;
    int ifindex = 0;
    Mac mac{};
    unsigned mtu = 1500;
    bool veth = false;                                // frames sent back leave by redirect (VIPD_PORT_TX_REDIRECT)
    std::string tap;                                  // where the VIPs of this interface go
    Fd tap_fd;
    Fd arp;
    Fd link;                                          // the bpf_link: closing it detaches the program
};

class XdpNode final : public control::Dataplane {
public:
    explicit XdpNode(NodeOptions opts) : _opts(std::move(opts)) {}
    ~XdpNode() override { stop(); }

    std::string name() const override { return "xdp"; }
    vipd::Status start(const conf::Config& cfg) override
    {
        std::string error;
        if (start(cfg, error)) {
            return {};
        }
        stop();  // nothing stays attached or created after a failed start
        return vipd::fail(error);
    }
    void stop() override;
    // VRRP stays with the kernel (the program passes it to the raw sockets of kernel::VrrpIo).
    bool holds(const std::string&) const override { return false; }
    std::string kernel_name(const std::string& ifname) const override { return ifname; }
    std::string vip_name(const std::string& ifname) const override
    {
        const Held* h = find(ifname);
        return h != nullptr ? h->tap : ifname;
    }
    bool forwards() const override { return true; }
    fwd::Limits limits() const override { return {.max_services = VIPD_MAX_SERVICES, .max_backends = VIPD_MAX_BACKENDS}; }
    void apply(std::shared_ptr<const fwd::Snapshot> snapshot) override;
    bool send_vrrp(const std::string&, std::span<const uint8_t>, const conf::Ip&) override { return false; }
    bool send_garp(const std::string&, const conf::Ip&) override { return false; }
    size_t poll(const VrrpSink& vrrp) override;
    std::string stats() const override;
    // CAP_BPF: the program's maps and a reload's attach to an interface it did not hold yet go through
    // bpf(2), which this kernel's unprivileged_bpf_disabled keeps from anyone without it.
    uint64_t capabilities() const override { return uint64_t{1} << CAP_BPF; }

private:
    const Held* find(const std::string& ifname) const { return kernel::held_named(_held, ifname); }
    bool start(const conf::Config& cfg, std::string& error);
    bool take(const conf::Config& cfg, std::string& error);
    bool check_hook(const Held& h, std::string& error);
    bool attach(Held& h, std::string& error);
    bool order_for_crash(std::string& error);
    void rebuild();
    bool read_kernel_neighbours();
    uint64_t now_ms() const
    {
        return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count());
    }

    NodeOptions _opts;
    std::unique_ptr<kernel::Netlink> _nl;
    std::vector<Held> _held;
    std::unique_ptr<Program> _program;
    std::unique_ptr<MapSync> _sync;
    bool _stopped = false;

    std::shared_ptr<const fwd::Snapshot> _snapshot;
    fwd::Neighbours _neighbours{neighbour_locktime_ms};
    std::string _last_error;    // the last build or sync error logged (not repeated)
    std::string _last_skipped;  // the services left out, as last logged
    Clock::time_point _next_kernel_read{};
    uint64_t _arp_seen = 0, _arp_learned = 0, _kernel_learned = 0, _applies = 0, _writes = 0;
    uint64_t _next_age = 0;                           // now_ms(): when poll() next ages the neighbours
    uint64_t _arp_probes = 0, _arp_forgotten = 0;
};

bool XdpNode::start(const conf::Config& cfg, std::string& error)
{
    if (_opts.mode != "native" && _opts.mode != "generic") {
        error = fmt::format("--xdp-mode {}: native or generic", _opts.mode);
        return false;
    }
    if (!(_nl = kernel::open_netlink(error)) || !take(cfg, error)) {
        return false;
    }
    for (const Held& h : _held) {
        if (!check_hook(h, error)) {
            return false;
        }
    }
    LoadOptions lo;
    if (_opts.flows != 0) {
        lo.flows = _opts.flows;
    }
    lo.per_cpu_flows = _opts.per_cpu_flows;
    LoadResult loaded = Program::load(lo);
    if (!loaded.program) {
        error = loaded.eperm ? fmt::format("the kernel refused to load the XDP program (CAP_BPF and CAP_NET_ADMIN are needed): {}", loaded.error)
                             : fmt::format("the XDP program was not loaded: {}", loaded.error);
        return false;
    }
    _program = std::move(loaded.program);
    std::string err = _program->maps().kernel_rate(_opts.kernel_pps);
    if (err.empty()) {
        err = _program->maps().new_flow_rate(_opts.new_flow_rate);
    }
    if (!err.empty()) {
        error = err;
        return false;
    }
    if (_opts.new_flow_rate != 0) {
        vlog::info("new flows: at most {} a second per CPU (--new-flow-rate), the rest dropped as new_flow_rate",
                   _opts.new_flow_rate);
    }
    vlog::info("XDP flow tables: {} ({} flows, {} buckets of {} ways)",
               lo.per_cpu_flows ? "one per CPU (--xdp-flow-tables per-cpu)" : "one for every CPU", lo.flows,
               xdp::flow_buckets(lo.flows), VIPD_FLOW_WAYS);
    std::vector<uint32_t> ifindex;
    std::vector<uint8_t> port_flags;
    for (const Held& h : _held) {
        ifindex.push_back(static_cast<uint32_t>(h.ifindex));
        port_flags.push_back(h.veth ? VIPD_PORT_TX_REDIRECT : 0);
    }
    _sync = std::make_unique<MapSync>(_program->maps(), std::move(ifindex), std::move(port_flags));
    if (_opts.mode == "generic") {
        vlog::warn("XDP in generic mode (--xdp-mode generic): the kernel runs the program after it has built an skb, "
                   "far slower than a driver's native XDP");
    }
    for (Held& h : _held) {
        h.tap_fd = open_tap(h.tap, error);
        if (!h.tap_fd) {
            return false;
        }
        auto tap = _nl->link(h.tap);
        if (!tap) {
            error = fmt::format("TAP {} did not appear", h.tap);
            return false;
        }
        if (auto ec = _nl->set_up(tap->index)) {
            error = fmt::format("cannot set {} up: {}", h.tap, ec.message());
            return false;
        }
        h.arp = open_arp_socket(h.ifindex, error);
        if (!h.arp) {
            return false;
        }
        // Until the first apply marks the maps ready, the program passes every frame: attaching
        // changes nothing the kernel sees.
        if (!attach(h, error)) {
            return false;
        }
        vlog::info("{}: XDP program attached ({} mode, by a bpf_link of this process), VIPs on {}, MAC {:02x}", h.ifname,
                   _opts.mode, h.tap, fmt::join(h.mac, ":"));
    }
    return order_for_crash(error);
}

// A dying process closes its descriptors in ascending order, and the kernel releases them in the
// reverse order (each last fput is a task work, and task works run last queued first). The TAPs must
// go before the bpf_links: a TAP takes milliseconds to unregister, and were the program detached
// first, the kernel would hold the VIPs meanwhile with nothing serving them and reset every
// connection through the node (hundreds under load; the netns test of a failover under wrk counts
// them). So each TAP's descriptor moves above every link's.
bool XdpNode::order_for_crash(std::string& error)
{
    int top = 0;
    for (const Held& h : _held) {
        top = std::max(top, h.link.get());
    }
    for (Held& h : _held) {
        if (h.tap_fd.get() < top) {
            const int fd = ::fcntl(h.tap_fd.get(), F_DUPFD_CLOEXEC, top + 1);
            if (fd < 0) {
                error = fmt::format("{}: cannot move the TAP's descriptor above the bpf_link's: {}", h.tap, std::strerror(errno));
                return false;
            }
            h.tap_fd = Fd(fd);  // the old descriptor is closed; the TAP lives on in the new one
        }
    }
    return true;
}

// Which interfaces, their MACs, addresses and routes; the TAP names.
bool XdpNode::take(const conf::Config& cfg, std::string& error)
{
    const auto taken = kernel::interfaces_to_take(cfg, *_nl, _opts.interfaces);
    if (taken.empty()) {
        error = "no interface to take: the configuration names none and routes to no real server (name one with --interface)";
        return false;
    }
    for (const auto& t : taken) {
        auto link = _nl->link(t.name);
        if (!link) {
            error = fmt::format("interface {} does not exist (taken for {})", t.name, t.why);
            return false;
        }
        Held h;
        h.ifname = t.name;
        h.ifindex = link->index;
        h.mac = link->mac;
        h.mtu = link->mtu;
        h.veth = link->kind == "veth";
        h.read(*_nl, link->index);
        const std::string tap = "vx-" + t.name;
        h.tap = tap.size() < IFNAMSIZ ? tap : fmt::format("vx-{}", link->index);
        if (_nl->link(h.tap)) {
            error = fmt::format("{} already exists: another vipd holds {}", h.tap, t.name);
            return false;
        }
        vlog::info("{}: taken for {}{}", t.name, t.why,
                   h.veth ? " (a veth: frames sent back out of it leave by redirect, since its XDP_TX waits for "
                            "the peer's next NAPI poll unless the peer runs an XDP program)"
                          : "");
        _held.push_back(std::move(h));
    }
    return true;
}

// The interface's XDP hook must be free: DPDK's leftover is removed, anything else refused unless
// --xdp-replace says so.
bool XdpNode::check_hook(const Held& h, std::string& error)
{
    const kernel::AttachedXdp a = kernel::attached_xdp(h.ifindex);
    if (a.id == 0) {
        return true;
    }
    if (kernel::is_af_xdp_leftover(h.ifindex)) {
        vlog::info("{}: {}", h.ifname, kernel::detach_af_xdp_leftover(h.ifindex));
    } else if (a.name == "vipd_xdp") {
        error = fmt::format("{}: vipd's XDP program (id {}) is already attached: another vipd holds it", h.ifname, a.id);
        return false;
    } else if (!_opts.replace) {
        error = fmt::format("{}: another XDP program is attached ({} id {}, {} mode); vipd does not replace it "
                            "(detach it, or start with --xdp-replace)", h.ifname, a.name, a.id, a.mode);
        return false;
    } else {
        vlog::warn("{}: detaching the XDP program {} (id {}, {} mode) as --xdp-replace says", h.ifname, a.name, a.id, a.mode);
        if (int rc = bpf_xdp_detach(h.ifindex, 0, nullptr); rc != 0) {
            error = fmt::format("{}: cannot detach XDP program {}: {}", h.ifname, a.name, std::strerror(-rc));
            return false;
        }
    }
    if (kernel::attached_xdp(h.ifindex).id != 0) {
        error = fmt::format("{}: an XDP program is still attached after detaching", h.ifname);
        return false;
    }
    return true;
}

bool XdpNode::attach(Held& h, std::string& error)
{
    // LIBBPF_OPTS is a C statement expression (clang -Wpedantic refuses it); spelled out for C++.
    bpf_link_create_opts lo{};
    lo.sz = sizeof(lo);
    lo.flags = _opts.mode == "generic" ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
    const int fd = bpf_link_create(_program->prog_fd(), h.ifindex, BPF_XDP, &lo);
    if (fd < 0) {
        const int err = errno;
        error = fmt::format("{}: cannot attach the XDP program: {}", h.ifname, std::strerror(err));
        if (_opts.mode == "native" && (err == EOPNOTSUPP || err == EINVAL)) {
            error += " (its driver has no native XDP: --xdp-mode generic runs it on the kernel's skb path)";
        } else if (err == EBUSY || err == EEXIST) {
            error += " (another XDP program holds the hook)";
        }
        return false;
    }
    h.link = Fd(fd);
    return true;
}

void XdpNode::stop()
{
    if (_stopped) {
        return;
    }
    _stopped = true;
    // Links first (the program leaves the NICs and the kernel handles everything again), then the
    // TAPs and the VIPs on them, then the program and its maps.
    for (Held& h : _held) {
        const bool attached = static_cast<bool>(h.link);
        h.link = Fd();
        h.arp = Fd();
        h.tap_fd = Fd();
        if (attached) {
            vlog::info("{}: XDP program detached", h.ifname);
        }
    }
    _sync.reset();
    _program.reset();
}

void XdpNode::apply(std::shared_ptr<const fwd::Snapshot> snapshot)
{
    _neighbours = kernel::wanted_neighbours(*snapshot, _held, _neighbours, neighbour_locktime_ms);
    _snapshot = std::move(snapshot);
    read_kernel_neighbours();
    rebuild();
}

// The kernel's neighbour table often knows the backends already (the health checks reach them), and
// it knows the gateways: what it has resolved for an address we want is taken.
bool XdpNode::read_kernel_neighbours()
{
    bool changed = false;
    const uint64_t now = now_ms();
    for (const auto& n : _nl->neighbours4(0)) {
        if (std::none_of(_held.begin(), _held.end(), [&](const Held& h) { return h.ifindex == n.ifindex; })) {
            continue;
        }
        // Confirmed when the kernel last heard from it, not now: REACHABLE lasts its reachable time
        // after the last answer, and a host gone silent must age here as it does there.
        const uint64_t at = now - std::min<uint64_t>(now, n.confirmed_ms_ago);
        if (_neighbours.resolved(fwd::ipv4_of(n.ip), n.mac, at, n.confirmed)) {
            ++_kernel_learned;
            changed = true;
        }
    }
    _next_kernel_read = Clock::now() + std::chrono::seconds(1);
    return changed;
}

// Joins the last snapshot with the interfaces, routes and neighbours, and writes what changed.
void XdpNode::rebuild()
{
    if (!_snapshot || !_sync) {
        return;
    }
    fwd::Links in;
    in.ports.resize(_held.size());
    for (size_t p = 0; p < _held.size(); ++p) {
        _held[p].add_port(in, static_cast<uint16_t>(p), _held[p].mac, _held[p].mtu);
    }
    in.neighbours = _neighbours.entries();
    auto built = fwd::Table::build(_snapshot, in);
    if (!built.table) {
        if (built.error != _last_error) {
            vlog::error("forwarding table not built, the running one is kept: {}", built.error);
            _last_error = built.error;
        }
        return;
    }
    const SyncResult r = _sync->apply(*built.table);
    ++_applies;
    _writes += r.writes;
    if (!r.error.empty()) {
        if (r.error != _last_error) {
            vlog::error("XDP maps not fully written (what was written stays): {}", r.error);
            _last_error = r.error;
        }
        return;
    }
    _last_error.clear();
    std::string skipped;
    for (const auto& s : r.skipped) {
        skipped += s.why + "; ";
    }
    if (skipped != _last_skipped) {
        for (const auto& s : r.skipped) {
            vlog::warn("virtual server not served by the XDP program: {}", s.why);
        }
        _last_skipped = skipped;
    }
}

size_t XdpNode::poll(const VrrpSink&)
{
    size_t frames = 0;
    bool changed = false;
    const uint64_t now = now_ms();
    std::array<uint8_t, 128> buf{};
    for (Held& h : _held) {
        for (int i = 0; i < 64 && h.arp; ++i) {
            sockaddr_ll from{};
            socklen_t len = sizeof(from);
            const ssize_t n = ::recvfrom(h.arp.get(), buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0) {
                break;
            }
            ++frames;
            if (from.sll_pkttype == PACKET_OUTGOING) {
                continue;  // the kernel's own requests
            }
            ++_arp_seen;
            if (_neighbours.learn(buf.data(), static_cast<uint32_t>(n), now)) {
                ++_arp_learned;
                changed = true;
            }
        }
    }
    if (Clock::now() >= _next_kernel_read && _nl) {
        changed = read_kernel_neighbours() || changed;
    }
    // Next hops unconfirmed for --arp-reachable-ms are asked again from the node's address (an ARP
    // request on the interface's packet socket; the program passes the reply to it), and forgotten
    // when nothing answers: a backend back with another MAC and no gratuitous ARP is found again,
    // one that is gone is solicited by the program as a new one.
    if (now >= _next_age) {
        _next_age = now + 100;
        const fwd::Neighbours::Due due =
            _neighbours.age(now, {.reachable = _opts.arp_reachable_ms, .retrans = 1000, .probes = 3});
        for (const uint32_t ip : due.probe) {
            const Held* h = kernel::held_for(_held, ip);
            if (h == nullptr || !h->arp || h->addrs.empty()) {
                continue;
            }
            uint8_t f[wire::arp_request_len];
            wire::write_arp_request(f, h->mac.data(), fwd::ipv4_of(h->addrs.front().first), ip);
            if (::send(h->arp.get(), f, sizeof f, MSG_DONTWAIT) == static_cast<ssize_t>(sizeof f)) {
                ++_arp_probes;
            }
        }
        if (due.forgot) {
            ++_arp_forgotten;
            changed = true;
        }
    }
    if (changed) {
        rebuild();
    }
    return frames;
}

std::string XdpNode::stats() const
{
    std::string out = fmt::format("Dataplane xdp ({} mode)\n", _opts.mode);
    if (_program) {
        const auto verdicts = _program->verdicts();
        const auto drops = _program->drops();
        uint64_t rx = 0;
        for (size_t v = 0; v < verdicts.size() && v < std::size(verdict_names); ++v) {
            rx += verdicts[v];
        }
        out += fmt::format(" rx {}\n", rx);
        for (size_t v = 0; v < verdicts.size() && v < std::size(verdict_names); ++v) {
            out += fmt::format(" verdict {} {}\n", verdict_names[v], verdicts[v]);
        }
        for (size_t r = 1; r < drops.size() && r < std::size(drop_names); ++r) {
            if (drops[r] != 0) {
                out += fmt::format(" drop {} {}\n", drop_names[r], drops[r]);
            }
        }
    }
    out += fmt::format(" arp_seen {}\n arp_learned {}\n arp_locked {}\n kernel_learned {}\n neighbours {}\n arp_probes {}\n"
                       " arp_forgotten {}\n applies {}\n map_writes {}\n",
                       _arp_seen, _arp_learned, _neighbours.locked(), _kernel_learned, _neighbours.size(), _arp_probes,
                       _arp_forgotten, _applies, _writes);
    if (_program) {
        const Program::FlowCounts f = _program->flows();
        const Program::FlowTableCounters t = _program->flow_table_counters();
        out += fmt::format(" flows {}\n flows_unconfirmed {}\n flows_evicted {}\n flows_evicted_confirmed {}\n",
                           f.kept + f.fresh, f.fresh, t.evicted, t.evicted_confirmed);
    }
    if (_program && _snapshot) {
        out += fwd::service_stats(_snapshot->services(), [this](uint32_t si, uint32_t b) {
            const vipd_backend_stats s = _program->backend_stats(si, b);
            return fwd::BackendTotals{.connections = s.connections, .packets_in = s.packets_in,
                                      .packets_out = s.packets_out, .bytes_in = s.bytes_in, .bytes_out = s.bytes_out};
        });
    }
    return out;
}

}  // namespace

std::unique_ptr<control::Dataplane> make_xdp(const NodeOptions& opts)
{
    return std::make_unique<XdpNode>(opts);
}

}  // namespace xdp

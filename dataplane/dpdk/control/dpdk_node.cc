// The DPDK node: EAL and ports, TAPs and the address move, lcores, rings, and the control thread's
// side of the exception path and of VRRP. See dpdk_node.h for the picture.
#include "dataplane/dpdk/control/dpdk_node.h"

#include "control/kernel/garp.h"
#include "control/kernel/netlink.h"
#include "control/log.h"
#include "dataplane/dpdk/datapath/flow/hash.h"
#include "dataplane/dpdk/control/neighbours.h"
#include "dataplane/dpdk/control/guardian.h"
#include "dataplane/dpdk/datapath/publisher.h"
#include "dataplane/dpdk/datapath/worker.h"
#include "dataplane/wire/headers.h"
#include "dataplane/dpdk/control/port.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <set>
#include <sstream>
#include <thread>

namespace node {
namespace {

using Mac = std::array<uint8_t, 6>;

uint32_t v4(const conf::Ip& ip) noexcept
{
    uint32_t a = 0;
    std::memcpy(&a, ip.bytes.data(), 4);
    return a;
}

std::string mac_str(const Mac& m)
{
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

// One interface of the config that DPDK holds.
struct Held {
    std::string ifname;  // the config's name (and the kernel interface, unless a PCI NIC)
    std::string tap;     // the kernel-side stand-in that carries its addresses meanwhile
    std::string pci;     // set: a NIC taken by PCI address
    int ifindex = 0;     // the kernel interface (0 for a PCI NIC)
    Mac mac{};
    unsigned mtu = 1500;
    std::vector<std::pair<conf::Ip, uint8_t>> addrs;  // IPv4 addresses, moved to the TAP
    std::vector<kernel::Route4> routes;               // routes through it besides the connected ones
    uint16_t port = 0;      // DPDK port id of the wire side
    uint16_t tap_port = 0;  // DPDK port id of the TAP
    int tap_ifindex = 0;
    bool moved = false;     // its addresses are on the TAP now: put them back at stop
};

// Free memory in hugepages, from /proc/meminfo.
uint64_t free_hugepage_bytes()
{
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t value = 0, free_pages = 0, page_kb = 0;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        ls >> key >> value;
        if (key == "HugePages_Free:") {
            free_pages = value;
        } else if (key == "Hugepagesize:") {
            page_kb = value;
        }
    }
    return free_pages * page_kb * 1024;
}

class DpdkNode final : public control::Dataplane {
public:
    explicit DpdkNode(DpdkOptions opts) : _opts(std::move(opts)) {}
    ~DpdkNode() override { stop(); }

    std::string name() const override { return "dpdk"; }
    bool start(const conf::Config& cfg, std::string& error) override;
    void stop() override;
    bool holds(const std::string& ifname) const override { return find(ifname) != nullptr; }
    std::string kernel_name(const std::string& ifname) const override
    {
        const Held* h = find(ifname);
        return h != nullptr ? h->tap : ifname;
    }
    bool forwards() const override { return true; }
    fwd::Limits limits() const override { return {.max_services = max_services, .max_backends = max_backends}; }
    void apply(std::shared_ptr<const fwd::Snapshot> snapshot) override;
    bool send_vrrp(const std::string& ifname, std::span<const uint8_t> packet, const conf::Ip& dst) override;
    bool send_garp(const std::string& ifname, const conf::Ip& vip) override;
    size_t poll(const VrrpSink& vrrp) override;
    std::string stats() const override;

private:
    const Held* find(const std::string& ifname) const
    {
        for (const auto& h : _held) {
            if (h.ifname == ifname) {
                return &h;
            }
        }
        return nullptr;
    }
    const Held* by_port(uint16_t port) const
    {
        for (const auto& h : _held) {
            if (h.port == port) {
                return &h;
            }
        }
        return nullptr;
    }
    bool take(const conf::Config& cfg, std::string& error);
    bool init_eal(std::string& error);
    bool move_to_taps(std::string& error);
    void restore_addresses();
    void rebuild();
    bool enqueue(rte_mbuf* m);
    rte_mbuf* frame(const Held& h, const uint8_t* data, size_t len);
    void solicit(const Held& h, uint32_t ip);

    DpdkOptions _opts;
    std::unique_ptr<kernel::Netlink> _nl;
    std::vector<Held> _held;
    bool _eal = false;
    bool _started = false;
    bool _stopped = false;
    rte_mempool* _pool = nullptr;
    rte_ring* _to_control = nullptr;
    rte_ring* _to_exception = nullptr;
    rte_ring* _from_control = nullptr;
    std::vector<rte_ring*> _redirect;
    std::unique_ptr<fwd::Publisher> _publisher;
    std::unique_ptr<pkt::Steering> _steering;
    std::vector<std::unique_ptr<lcore::Worker>> _workers;
    struct Launch {
        lcore::Worker* worker;
        const std::atomic<bool>* stop;
    };
    std::vector<Launch> _launches;  // what each lcore's loop was started with
    std::atomic<bool> _stop{false};

    // The lcores' per-service state is sized for this many services and backends per service.
    static constexpr uint32_t max_services = 256;
    static constexpr uint32_t max_backends = 256;

    // The last snapshot applied: a learned neighbour republishes it joined with the new MAC.
    std::shared_ptr<const fwd::Snapshot> _snapshot;
    fwd::Neighbours _neighbours;

    // The control thread's own counters (the lcores' are in their Workers).
    uint64_t _vrrp_in = 0, _vrrp_out = 0, _garp_out = 0, _to_kernel = 0, _from_kernel = 0, _arp_learned = 0;
    uint64_t _control_drops = 0;
};

bool DpdkNode::start(const conf::Config& cfg, std::string& error)
{
    try {
        _nl = std::make_unique<kernel::Netlink>();
    } catch (const std::exception& e) {
        error = fmt::format("netlink: {}", e.what());
        return false;
    }
    if (!take(cfg, error)) {
        return false;
    }
    // Before EAL starts a thread: the guardian puts the interfaces back if vipd dies holding them.
    if (std::any_of(_held.begin(), _held.end(), [](const Held& h) { return h.ifindex != 0; })) {
        int pid = 0;
        if (std::string why = start_guardian(_opts.state_dir, _opts.console_log, &pid); !why.empty()) {
            error = why;
            return false;
        }
        vlog::info("guardian PID {} puts the interfaces' addresses back if vipd dies (state in {})", pid, _opts.state_dir);
    }
    if (!init_eal(error)) {
        return false;
    }
    const auto socket = static_cast<int>(rte_socket_id());
    const uint32_t n_mbufs = _opts.mbufs * _opts.lcores + 4096;
    _pool = rte_pktmbuf_pool_create("vipd_pool", n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (_pool == nullptr) {
        error = fmt::format("cannot allocate {} mbufs: {}", n_mbufs, rte_strerror(rte_errno));
        return false;
    }
    port::Info first{};
    for (size_t i = 0; i < _held.size(); ++i) {
        Held& h = _held[i];
        port::Info info{};
        std::string why = port::setup(h.port, {.queues = _opts.lcores, .rx_desc = 1024, .tx_desc = 1024, .pool = _pool,
                                               .rss_key = flow::rss_key_default}, &info);
        if (!why.empty()) {
            error = fmt::format("{}: {} (is another process holding it?)", h.ifname, why);
            return false;
        }
        if (i == 0) {
            first = info;
        }
        if (h.pci.empty()) {
            std::memcpy(h.mac.data(), info.mac.addr_bytes, 6);
        }
        why = port::setup(h.tap_port, {.queues = 1, .rx_desc = 512, .tx_desc = 512, .pool = _pool, .rss_key = {}}, nullptr);
        if (!why.empty()) {
            error = fmt::format("{} (TAP {}): {}", h.ifname, h.tap, why);
            return false;
        }
        rte_eth_allmulticast_enable(h.port);  // VRRP's group MAC (01:00:5e:00:00:12)
        vlog::info("{}: DPDK port {} ({}), TAP {} for the kernel, MAC {}", h.ifname, h.port, info.driver, h.tap, mac_str(h.mac));
    }
    if (!move_to_taps(error)) {
        return false;
    }
    _to_control = rte_ring_create("vipd_to_control", 1024, socket, RING_F_SC_DEQ);
    _to_exception = rte_ring_create("vipd_to_exception", 1024, socket, RING_F_SC_DEQ);
    _from_control = rte_ring_create("vipd_from_control", 1024, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (_to_control == nullptr || _to_exception == nullptr || _from_control == nullptr) {
        error = fmt::format("cannot create rings: {}", rte_strerror(rte_errno));
        return false;
    }
    if (_opts.lcores > 1) {
        _steering = std::make_unique<pkt::Steering>(_opts.lcores, flow::rss_key_default, first.reta_size ? first.reta_size : 128);
        for (uint16_t l = 0; l < _opts.lcores; ++l) {
            _redirect.push_back(rte_ring_create(fmt::format("vipd_redirect{}", l).c_str(), 1024, socket, RING_F_SC_DEQ));
            if (_redirect.back() == nullptr) {
                error = "cannot create the redirect rings";
                return false;
            }
        }
    }
    _publisher = std::make_unique<fwd::Publisher>(_opts.lcores);
    const uint64_t hz = rte_get_tsc_hz();
    const pkt::Limits limits{.flows = _opts.flows, .services = max_services, .backends = max_backends, .persist = 1u << 14, .hz = hz};
    std::vector<uint16_t> ports;
    for (const auto& h : _held) {
        ports.push_back(h.port);
    }
    for (uint16_t l = 0; l < _opts.lcores; ++l) {
        lcore::Config wc{.ports = ports,
                         .queue = l,
                         .index = l,
                         .to_control = _to_control,
                         .to_exception = _to_exception,
                         .from_control = l == 0 ? _from_control : nullptr,
                         .redirect_in = _opts.lcores > 1 ? _redirect[l] : nullptr,
                         .redirect_to = _redirect,
                         .steering = _steering.get(),
                         .publisher = _publisher.get(),
                         .reader_id = l,
                         .idle_polls = _opts.idle_sleep_us == 0 ? UINT32_MAX : 256,
                         .idle_sleep_us = _opts.idle_sleep_us};
        _workers.push_back(std::make_unique<lcore::Worker>(wc, limits, flow::Timeouts::ipvs_defaults(hz)));
    }
    // One launch record per lcore, sized before any is handed out (they must not move while the
    // lcores run).
    _launches.reserve(_workers.size());
    unsigned lcore_id = 0;
    RTE_LCORE_FOREACH_WORKER(lcore_id)
    {
        if (_launches.size() == _workers.size()) {
            break;
        }
        _launches.push_back({_workers[_launches.size()].get(), &_stop});
        rte_eal_remote_launch([](void* arg) -> int {
            auto* ln = static_cast<Launch*>(arg);
            return ln->worker->run(*ln->stop);
        }, &_launches.back(), lcore_id);
    }
    _started = true;
    return true;
}

// Which interfaces, their MACs, addresses and routes; the TAP names.
bool DpdkNode::take(const conf::Config& cfg, std::string& error)
{
    std::vector<std::string> names;
    auto want = [&](const std::string& n) {
        if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) {
            names.push_back(n);
        }
    };
    for (const auto& vi : cfg.instances) {
        want(vi.interface);
    }
    for (const auto& n : _opts.interfaces) {
        want(n);
    }
    if (names.empty()) {
        error = "no interface to take: the configuration has no vrrp_instance (name one with --interface)";
        return false;
    }
    for (const auto& n : names) {
        Held h;
        h.ifname = n;
        for (const auto& [ifn, pci] : _opts.port_map) {
            if (ifn == n) {
                h.pci = pci;
            }
        }
        if (!h.pci.empty()) {
            // No kernel interface: the TAP takes the config's name; its addresses are the user's to set.
            h.tap = n;
            _held.push_back(h);
            continue;
        }
        auto link = _nl->link(n);
        if (!link) {
            error = fmt::format("interface {} does not exist (the DPDK dataplane takes the interfaces the configuration names)", n);
            return false;
        }
        h.ifindex = link->index;
        h.mac = link->mac;
        h.mtu = link->mtu;
        for (const auto& [ip, prefix] : _nl->addresses(link->index)) {
            if (ip.is_v4()) {
                h.addrs.emplace_back(ip, prefix);
            }
        }
        for (const auto& r : _nl->routes4(link->index)) {
            if (r.protocol != RTPROT_KERNEL) {
                h.routes.push_back(r);
            }
        }
        if (h.addrs.empty()) {
            // A predecessor died holding the interface and nothing put its addresses back.
            SavedInterface saved = load_interface_state(_opts.state_dir, n);
            h.addrs = std::move(saved.addrs);
            h.routes = std::move(saved.routes);
            if (!h.addrs.empty()) {
                vlog::info("{}: no IPv4 address; using the ones saved by the previous run ({} addresses)", n, h.addrs.size());
            }
        }
        const std::string tap = "vd-" + n;
        h.tap = tap.size() < IFNAMSIZ ? tap : fmt::format("vd-{}", link->index);
        if (_nl->link(h.tap)) {
            error = fmt::format("{} already exists: another vipd holds {}", h.tap, n);
            return false;
        }
        _held.push_back(h);
    }
    return true;
}

bool DpdkNode::init_eal(std::string& error)
{
    cpu_set_t all;
    CPU_ZERO(&all);
    sched_getaffinity(0, sizeof all, &all);

    std::vector<std::string> args = {"vipd", "-l", fmt::format("0-{}", _opts.lcores), "--log-level=*:warning"};
    const bool huge = _opts.hugepages == "yes" || (_opts.hugepages == "auto" && free_hugepage_bytes() >= (512u << 20));
    if (huge) {
        args.insert(args.end(), {"--in-memory"});
    } else {
        args.insert(args.end(), {"--no-huge", "-m", "512", "--no-shconf"});
    }
    bool any_pci = false;
    for (size_t i = 0; i < _held.size(); ++i) {
        const Held& h = _held[i];
        if (!h.pci.empty()) {
            args.insert(args.end(), {"-a", h.pci});
            any_pci = true;
        } else if (_opts.pmd == "af_packet") {
            args.insert(args.end(), {"--vdev", fmt::format("net_af_packet{},iface={},qpairs={}", i, h.ifname, _opts.lcores)});
        } else if (_opts.pmd == "af_xdp") {
            args.insert(args.end(), {"--vdev", fmt::format("net_af_xdp{},iface={},start_queue=0,queue_count={}", i, h.ifname, _opts.lcores)});
        } else {
            error = fmt::format("unknown --pmd {} (af_xdp or af_packet)", _opts.pmd);
            return false;
        }
        args.insert(args.end(), {"--vdev", fmt::format("net_tap{},iface={},mac={}", i, h.tap, mac_str(h.mac))});
    }
    if (!any_pci) {
        args.push_back("--no-pci");
    }
    args.insert(args.end(), _opts.eal.begin(), _opts.eal.end());
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    std::string line;
    for (const auto& a : args) {
        line += a + " ";
    }
    vlog::info("EAL: {}", line);
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
        error = fmt::format("EAL: {} (arguments: {})", rte_strerror(rte_errno), line);
        return false;
    }
    _eal = true;
    // The control thread (and the scripts it forks) may run on any CPU: only the lcores are pinned.
    pthread_setaffinity_np(pthread_self(), sizeof all, &all);
    for (size_t i = 0; i < _held.size(); ++i) {
        Held& h = _held[i];
        const std::string wire = !h.pci.empty() ? h.pci
                               : _opts.pmd == "af_packet" ? fmt::format("net_af_packet{}", i) : fmt::format("net_af_xdp{}", i);
        if (rte_eth_dev_get_port_by_name(wire.c_str(), &h.port) != 0 ||
            rte_eth_dev_get_port_by_name(fmt::format("net_tap{}", i).c_str(), &h.tap_port) != 0) {
            error = fmt::format("{}: the DPDK port did not come up ({})", h.ifname, wire);
            return false;
        }
        if (h.port >= lcore::max_port_id || h.tap_port >= lcore::max_port_id) {
            error = fmt::format("too many ports (at most {})", lcore::max_port_id);
            return false;
        }
        if (!h.pci.empty()) {
            rte_ether_addr a{};
            rte_eth_macaddr_get(h.port, &a);
            std::memcpy(h.mac.data(), a.addr_bytes, 6);
        }
    }
    return true;
}

// The interface's addresses and routes go to its TAP: the kernel keeps its identity on the LAN
// (ssh, health checks, the control socket) while DPDK holds the wire.
bool DpdkNode::move_to_taps(std::string& error)
{
    for (Held& h : _held) {
        auto tap = _nl->link(h.tap);
        if (!tap) {
            error = fmt::format("TAP {} did not appear", h.tap);
            return false;
        }
        h.tap_ifindex = tap->index;
        if (auto ec = _nl->set_up(h.tap_ifindex)) {
            error = fmt::format("cannot set {} up: {}", h.tap, ec.message());
            return false;
        }
        if (h.pci.empty()) {
            if (std::string why = save_interface_state(_opts.state_dir, h.ifname, {.tap = h.tap, .addrs = h.addrs, .routes = h.routes});
                !why.empty()) {
                error = fmt::format("{}: {} (its addresses stay where they are)", h.ifname, why);
                return false;
            }
        }
        for (const auto& [ip, prefix] : h.addrs) {
            conf::VirtualIp a{.addr = ip, .prefix = prefix};
            if (auto ec = _nl->add_address(h.tap_ifindex, a)) {
                error = fmt::format("cannot add {}/{} to {}: {}", ip.str(), int{prefix}, h.tap, ec.message());
                return false;
            }
        }
        for (const auto& r : h.routes) {
            if (h.ifindex != 0) {
                _nl->del_route4(h.ifindex, r);
            }
            if (auto ec = _nl->add_route4(h.tap_ifindex, r)) {
                vlog::warn(fmt::format("cannot move the route to {}/{} to {}: {}", r.dst.str(), int{r.prefix}, h.tap, ec.message()));
            }
        }
        h.moved = true;
        if (h.ifindex != 0) {
            for (const auto& [ip, prefix] : h.addrs) {
                _nl->del_address(h.ifindex, {.addr = ip, .prefix = prefix});
            }
        }
        if (!h.addrs.empty()) {
            vlog::info("{}: {} address(es) and {} route(s) moved to {}", h.ifname, h.addrs.size(), h.routes.size(), h.tap);
        }
    }
    return true;
}

void DpdkNode::restore_addresses()
{
    for (const Held& h : _held) {
        if (h.ifindex == 0 || !h.moved) {
            continue;
        }
        for (const auto& [ip, prefix] : h.addrs) {
            if (auto ec = _nl->add_address(h.ifindex, {.addr = ip, .prefix = prefix})) {
                vlog::error(fmt::format("cannot put {}/{} back on {}: {}", ip.str(), int{prefix}, h.ifname, ec.message()));
            }
        }
        for (const auto& r : h.routes) {
            _nl->add_route4(h.ifindex, r);
        }
        remove_interface_state(_opts.state_dir, h.ifname);
        vlog::info("{}: addresses and routes put back", h.ifname);
    }
}

void DpdkNode::stop()
{
    if (_stopped || !_eal) {
        return;
    }
    _stopped = true;
    if (_started) {
        // The last adverts (priority 0) and anything else control queued leave first (bounded wait).
        for (int i = 0; i < 100 && rte_ring_count(_from_control) != 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        _stop.store(true, std::memory_order_release);
        rte_eal_mp_wait_lcore();
    }
    _workers.clear();
    _publisher.reset();
    for (rte_ring* r : {_to_control, _to_exception, _from_control}) {
        rte_mbuf* m = nullptr;
        while (r != nullptr && rte_ring_dequeue(r, reinterpret_cast<void**>(&m)) == 0) {
            rte_pktmbuf_free(m);
        }
    }
    // Closing the ports removes the TAPs (with the VIPs on them) and the XDP program from the
    // interfaces; then the kernel gets its addresses back.
    uint16_t pid = 0;
    RTE_ETH_FOREACH_DEV(pid)
    {
        rte_eth_dev_stop(pid);
        rte_eth_dev_close(pid);
    }
    if (_nl) {
        restore_addresses();
    }
    rte_eal_cleanup();
}

void DpdkNode::apply(std::shared_ptr<const fwd::Snapshot> snapshot)
{
    // The neighbours worth learning from any ARP: the snapshot's backends and the held routes'
    // gateways (unicast VRRP peers are added as send_vrrp meets them); what is known stays known.
    fwd::Neighbours fresh;
    for (const fwd::Service& s : snapshot->services()) {
        for (const fwd::Backend& b : s.backends) {
            fresh.want(b.ip);
        }
    }
    for (const Held& h : _held) {
        for (const auto& r : h.routes) {
            if (r.gateway) {
                fresh.want(v4(*r.gateway));
            }
        }
        for (const auto& [ip, prefix] : h.addrs) {
            fresh.ours(v4(ip));
        }
    }
    fresh.adopt(_neighbours);
    _neighbours = std::move(fresh);
    _snapshot = std::move(snapshot);
    rebuild();
}

// Joins the last snapshot with the ports, routes and neighbours, and publishes it to the lcores.
void DpdkNode::rebuild()
{
    if (!_snapshot || !_publisher) {
        return;
    }
    fwd::Links in;
    uint16_t max_port = 0;
    for (const Held& h : _held) {
        max_port = std::max({max_port, h.port, h.tap_port});
    }
    in.ports.resize(max_port + 1u);
    for (const Held& h : _held) {
        fwd::Port& p = in.ports[h.port];
        std::memcpy(p.mac.data(), h.mac.data(), 6);
        if (!h.addrs.empty()) {
            p.ip = v4(h.addrs.front().first);
            p.prefix = h.addrs.front().second;
        }
        p.mtu = static_cast<uint16_t>(std::min(h.mtu, 65535u));
        for (const auto& [ip, prefix] : h.addrs) {
            in.local.push_back(v4(ip));
        }
        for (const auto& r : h.routes) {
            in.routes.push_back({.dst = v4(r.dst), .prefix = r.prefix, .port = h.port, .gateway = r.gateway ? v4(*r.gateway) : 0});
        }
    }
    in.neighbours = _neighbours.entries();
    auto built = fwd::Table::build(_snapshot, in);
    if (!built.table) {
        vlog::error(fmt::format("forwarding table not built, the running one is kept: {}", built.error));
        return;
    }
    _publisher->publish(std::move(built.table));
}

bool DpdkNode::enqueue(rte_mbuf* m)
{
    if (rte_ring_enqueue(_from_control, m) != 0) {
        rte_pktmbuf_free(m);
        ++_control_drops;
        return false;
    }
    return true;
}

rte_mbuf* DpdkNode::frame(const Held& h, const uint8_t* data, size_t len)
{
    rte_mbuf* m = rte_pktmbuf_alloc(_pool);
    if (m == nullptr) {
        ++_control_drops;
        return nullptr;
    }
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
    if (p == nullptr) {
        rte_pktmbuf_free(m);
        ++_control_drops;
        return nullptr;
    }
    std::memcpy(p, data, len);
    m->port = h.port;
    return m;
}

// An ARP request from the node's address for `ip` (network order), as the kernel would send it.
void DpdkNode::solicit(const Held& h, uint32_t ip)
{
    uint8_t f[pkt::arp_request_len];
    pkt::write_arp_request(f, h.mac.data(), h.addrs.empty() ? 0 : v4(h.addrs.front().first), ip);
    if (rte_mbuf* m = frame(h, f, sizeof f)) {
        enqueue(m);
    }
}

bool DpdkNode::send_vrrp(const std::string& ifname, std::span<const uint8_t> packet, const conf::Ip& dst)
{
    const Held* h = find(ifname);
    if (h == nullptr || !dst.is_v4() || packet.size() > 1500) {
        return false;
    }
    std::array<uint8_t, 14 + 1500> f{};
    if (dst.bytes[0] >= 224 && dst.bytes[0] <= 239) {
        // RFC 1112 §6.4: 01:00:5e and the group's low 23 bits.
        const uint8_t mc[6] = {0x01, 0x00, 0x5e, static_cast<uint8_t>(dst.bytes[1] & 0x7f), dst.bytes[2], dst.bytes[3]};
        std::memcpy(f.data(), mc, 6);
    } else if (const Mac* mac = _neighbours.find(v4(dst))) {
        std::memcpy(f.data(), mac->data(), 6);
    } else {
        // A unicast peer not resolved yet: ask, and send this advert to the broadcast MAC meanwhile
        // (the peer's IP layer takes it: the destination address is its own).
        _neighbours.want(v4(dst));
        solicit(*h, v4(dst));
        std::memset(f.data(), 0xff, 6);
    }
    std::memcpy(f.data() + 6, h->mac.data(), 6);
    f[12] = 0x08;
    f[13] = 0x00;
    std::memcpy(f.data() + 14, packet.data(), packet.size());
    rte_mbuf* m = frame(*h, f.data(), 14 + packet.size());
    if (m == nullptr || !enqueue(m)) {
        return false;
    }
    ++_vrrp_out;
    return true;
}

bool DpdkNode::send_garp(const std::string& ifname, const conf::Ip& vip)
{
    const Held* h = find(ifname);
    if (h == nullptr) {
        return false;
    }
    std::array<uint8_t, kernel::max_announcement_len> f{};
    const size_t len = kernel::announcement_frame(h->mac, vip, false, f);
    rte_mbuf* m = len != 0 ? frame(*h, f.data(), len) : nullptr;
    if (m == nullptr || !enqueue(m)) {
        return false;
    }
    ++_garp_out;
    return true;
}

size_t DpdkNode::poll(const VrrpSink& vrrp)
{
    if (!_started) {
        return 0;
    }
    size_t handled = 0;
    rte_mbuf* pkts[64];
    bool learned = false;
    const auto now = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    // Frames for control: VRRP adverts to the engine; ARP to the neighbour table and on to the kernel.
    unsigned n = rte_ring_dequeue_burst(_to_control, reinterpret_cast<void**>(pkts), 64, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        const Held* h = by_port(m->port);
        const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
        const uint32_t len = rte_pktmbuf_data_len(m);
        if (h != nullptr && len >= 14 + 20 && d[12] == 0x08 && d[13] == 0x00) {
            const uint32_t total = (uint32_t{d[16]} << 8) | d[17];
            if (total >= 20 && 14 + total <= len) {
                ++_vrrp_in;
                vrrp(h->ifname, std::span<const uint8_t>(d + 14, total));
            }
            rte_pktmbuf_free(m);
            continue;
        }
        if (h != nullptr && len >= 14 && d[12] == 0x08 && d[13] == 0x06) {
            if (_neighbours.learn(d, len, now)) {
                ++_arp_learned;
                learned = true;
            }
            if (rte_eth_tx_burst(h->tap_port, 0, &m, 1) == 1) {
                ++_to_kernel;
                continue;
            }
        }
        rte_pktmbuf_free(m);
    }
    handled += n;
    // Frames for the kernel.
    n = rte_ring_dequeue_burst(_to_exception, reinterpret_cast<void**>(pkts), 64, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        const Held* h = by_port(pkts[i]->port);
        if (h != nullptr && rte_eth_tx_burst(h->tap_port, 0, &pkts[i], 1) == 1) {
            ++_to_kernel;
        } else {
            rte_pktmbuf_free(pkts[i]);
            ++_control_drops;
        }
    }
    handled += n;
    // Frames from the kernel, out through lcore 0.
    for (const Held& h : _held) {
        const uint16_t k = rte_eth_rx_burst(h.tap_port, 0, pkts, 64);
        for (uint16_t i = 0; i < k; ++i) {
            pkts[i]->port = h.port;
            if (enqueue(pkts[i])) {
                ++_from_kernel;
            }
        }
        handled += k;
    }
    if (learned) {
        rebuild();
    }
    return handled;
}

std::string DpdkNode::stats() const
{
    std::string out = "Dataplane dpdk\n";
    uint64_t rx = 0, tx = 0;
    std::array<uint64_t, pkt::verdict_count> verdicts{};
    std::array<uint64_t, pkt::drop_reason_count> drops{};
    for (const auto& w : _workers) {
        const pkt::Counters& c = w->counters();
        rx += pkt::Counters::read(c.rx);
        tx += pkt::Counters::read(c.tx);
        for (unsigned v = 0; v < pkt::verdict_count; ++v) {
            verdicts[v] += pkt::Counters::read(c.verdicts[v]);
        }
        for (unsigned r = 0; r < pkt::drop_reason_count; ++r) {
            drops[r] += pkt::Counters::read(c.drops[r]);
        }
    }
    out += fmt::format(" rx {}\n tx {}\n", rx, tx);
    for (unsigned v = 0; v < pkt::verdict_count; ++v) {
        out += fmt::format(" verdict {} {}\n", pkt::to_string(static_cast<pkt::Verdict>(v)), verdicts[v]);
    }
    for (unsigned r = 1; r < pkt::drop_reason_count; ++r) {
        if (drops[r] != 0) {
            out += fmt::format(" drop {} {}\n", pkt::to_string(static_cast<pkt::DropReason>(r)), drops[r]);
        }
    }
    out += fmt::format(" vrrp_in {}\n vrrp_out {}\n garp_out {}\n to_kernel {}\n from_kernel {}\n arp_learned {}\n control_drops {}\n neighbours {}\n",
                       _vrrp_in, _vrrp_out, _garp_out, _to_kernel, _from_kernel, _arp_learned, _control_drops, _neighbours.size());
    return out;
}

}  // namespace

std::unique_ptr<control::Dataplane> make_dpdk(const DpdkOptions& opts)
{
    return std::make_unique<DpdkNode>(opts);
}

}  // namespace node

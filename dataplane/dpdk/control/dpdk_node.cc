// The DPDK node's life: start (the interfaces taken, the guardian, EAL, ports, rings, lcores), stop,
// and the forwarding table it publishes (the snapshot joined with its ports, routes and neighbours).
// See dpdk_node.h for the picture and node.h for the parts.
#include "dataplane/dpdk/control/node.h"

namespace node {

bool DpdkNode::start(const conf::Config& cfg, std::string& error)
{
    if (!(_nl = kernel::open_netlink(error)) || !take(cfg, error)) {
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
    // VRRP on a ring of its own, drained first: a flood of ARP or of the kernel's traffic fills the
    // others, never this one (the lcores drop what cannot be an advert of ours before it).
    _to_vrrp = rte_ring_create("vipd_to_vrrp", 256, socket, RING_F_SC_DEQ);
    _to_control = rte_ring_create("vipd_to_control", 1024, socket, RING_F_SC_DEQ);
    _to_exception = rte_ring_create("vipd_to_exception", 1024, socket, RING_F_SC_DEQ);
    _to_local = rte_ring_create("vipd_to_local", 1024, socket, RING_F_SC_DEQ);
    _from_control = rte_ring_create("vipd_from_control", 1024, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (_to_vrrp == nullptr || _to_control == nullptr || _to_exception == nullptr || _to_local == nullptr ||
        _from_control == nullptr) {
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
    const pkt::Limits limits{.flows = _opts.flows, .services = max_services, .backends = max_backends, .persist = 1u << 14, .hz = hz,
                             .new_flows_per_s = _opts.new_flow_rate};
    if (_opts.new_flow_rate != 0) {
        vlog::info("new flows: at most {} a second per lcore (--new-flow-rate), the rest dropped as new_flow_rate",
                   _opts.new_flow_rate);
    }
    std::vector<uint16_t> ports;
    for (const auto& h : _held) {
        ports.push_back(h.port);
    }
    for (uint16_t l = 0; l < _opts.lcores; ++l) {
        lcore::Config wc{.ports = ports,
                         .queue = l,
                         .index = l,
                         .to_vrrp = _to_vrrp,
                         .to_control = _to_control,
                         .to_exception = _to_exception,
                         .to_local = _to_local,
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
    for (rte_ring* r : {_to_vrrp, _to_control, _to_exception, _to_local, _from_control}) {
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
    // Unicast VRRP peers are wanted too, as send_vrrp meets them.
    _neighbours = kernel::wanted_neighbours(*snapshot, _held, _neighbours, neighbour_locktime_ns);
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
        h.add_port(in, h.port, h.mac, h.mtu);
    }
    in.neighbours = _neighbours.entries();
    auto built = fwd::Table::build(_snapshot, in);
    if (!built.table) {
        vlog::error("forwarding table not built, the running one is kept: {}", built.error);
        return;
    }
    _publisher->publish(std::move(built.table));
}

std::unique_ptr<control::Dataplane> make_dpdk(const DpdkOptions& opts)
{
    return std::make_unique<DpdkNode>(opts);
}

}  // namespace node

// The DPDK node's parts, shared by the files it is split into (one job each: dpdk_node.cc the
// Dataplane's life and the table it publishes, eal.cc the EAL, taps.cc the interfaces taken and
// their addresses moved to TAPs, exception.cc the frames between lcores, kernel and control,
// vrrp_tx.cc the adverts and ARPs control sends, stats.cc the counters). Control thread only;
// private to dataplane/dpdk/control.
#pragma once

#include "dataplane/dpdk/control/dpdk_node.h"

#include "dataplane/wire/announce.h"
#include "control/kernel/interfaces.h"
#include "control/kernel/held.h"
#include "control/log.h"
#include "dataplane/dpdk/datapath/flow/hash.h"
#include "dataplane/fwd/neighbours.h"
#include "dataplane/dpdk/control/guardian.h"
#include "dataplane/dpdk/datapath/publisher.h"
#include "dataplane/dpdk/datapath/worker.h"
#include "dataplane/wire/headers.h"
#include "dataplane/dpdk/control/port.h"

#include <linux/capability.h>
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

using Mac = std::array<uint8_t, 6>;

inline std::string mac_str(const Mac& m)
{
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

// One interface of the config that DPDK holds; its addresses (moved to the TAP) and routes (HeldIpv4).
struct Held : kernel::HeldIpv4 {
    std::string ifname;  // the config's name (and the kernel interface, unless a PCI NIC)
    std::string tap;     // the kernel-side stand-in that carries its addresses meanwhile
    std::string pci;     // set: a NIC taken by PCI address
    int ifindex = 0;     // the kernel interface (0 for a PCI NIC)
    Mac mac{};
    unsigned mtu = 1500;
    uint16_t port = 0;      // DPDK port id of the wire side
    uint16_t tap_port = 0;  // DPDK port id of the TAP
    int tap_ifindex = 0;
    bool moved = false;     // its addresses are on the TAP now: put them back at stop
};

// Free memory in hugepages, from /proc/meminfo.
uint64_t free_hugepage_bytes();

class DpdkNode final : public control::Dataplane {
public:
    explicit DpdkNode(DpdkOptions opts) : _opts(std::move(opts)) {}
    ~DpdkNode() override { stop(); }

    std::string name() const override { return "dpdk"; }
    vipd::Status start(const conf::Config& cfg) override
    {
        std::string error;
        return start(cfg, error) ? vipd::Status{} : vipd::fail(error);
    }
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
    // CAP_IPC_LOCK: DPDK's memory may grow after start (its dynamic memory mode maps and locks more
    // pages); the node's tests pass without it, and a node should not fail the day it grows.
    uint64_t capabilities() const override { return uint64_t{1} << CAP_IPC_LOCK; }

private:
    const Held* find(const std::string& ifname) const { return kernel::held_named(_held, ifname); }
    const Held* by_port(uint16_t port) const
    {
        for (const auto& h : _held) {
            if (h.port == port) {
                return &h;
            }
        }
        return nullptr;
    }
    bool start(const conf::Config& cfg, std::string& error);
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
    rte_ring* _to_vrrp = nullptr;     // the lcores' VRRP adverts (drained first)
    rte_ring* _to_control = nullptr;
    rte_ring* _to_exception = nullptr;
    rte_ring* _to_local = nullptr;     // the node's own traffic to the kernel (drained before the exception ring)
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
    // A neighbour's MAC changes at most once a second (Linux's locktime; now is steady_clock ns).
    static constexpr uint64_t neighbour_locktime_ns = 1'000'000'000;
    fwd::Neighbours _neighbours{neighbour_locktime_ns};
    uint64_t _next_age = 0;       // steady_clock ns: when poll() next ages the neighbours
    uint64_t _arp_probes = 0;     // ARP requests for next hops gone unconfirmed
    uint64_t _arp_forgotten = 0;  // times unanswered next hops were forgotten

    // The control thread's own counters (the lcores' are in their Workers).
    uint64_t _vrrp_in = 0, _vrrp_out = 0, _garp_out = 0, _to_kernel = 0, _from_kernel = 0, _arp_learned = 0;
    uint64_t _control_drops = 0;
};

}  // namespace node

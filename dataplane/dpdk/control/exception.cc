// The DPDK node's exception path: frames from the lcores to control (VRRP, ARP) and to the kernel
// (the TAPs), and the kernel's frames back to the wire.
#include "dataplane/dpdk/control/node.h"

namespace node {

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

size_t DpdkNode::poll(const VrrpSink& vrrp)
{
    if (!_started) {
        return 0;
    }
    size_t handled = 0;
    rte_mbuf* pkts[64];
    bool learned = false;
    const auto now = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    // Frames for control: VRRP adverts to the engine, from their own ring and first; then ARP to the
    // neighbour table and on to the kernel.
    unsigned n = 0;
    for (rte_ring* ring : {_to_vrrp, _to_control}) {
        n = rte_ring_dequeue_burst(ring, reinterpret_cast<void**>(pkts), 64, nullptr);
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
    }
    // Frames for the kernel: what is addressed to the node itself first (the health checkers'
    // replies: a flood to a VIP fills the other ring, not this one), then everything else.
    for (rte_ring* ring : {_to_local, _to_exception}) {
        n = rte_ring_dequeue_burst(ring, reinterpret_cast<void**>(pkts), 64, nullptr);
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
    }
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
    // Next hops unconfirmed for --arp-reachable-ms are asked again (as the kernel's NUD_PROBE), and
    // forgotten when nothing answers: a backend that came back with another MAC and no gratuitous ARP
    // is found again, and one that is gone is solicited by the lcores as a new one.
    if (now >= _next_age) {
        _next_age = now + 100'000'000;
        const fwd::Neighbours::Due due =
            _neighbours.age(now, {.reachable = uint64_t{_opts.arp_reachable_ms} * 1'000'000, .retrans = 1'000'000'000, .probes = 3});
        for (const uint32_t ip : due.probe) {
            if (const Held* h = kernel::held_for(_held, ip)) {
                solicit(*h, ip);
                ++_arp_probes;
            }
        }
        learned = learned || due.forgot;
        _arp_forgotten += due.forgot ? 1 : 0;
    }
    if (learned) {
        rebuild();
    }
    return handled;
}

}  // namespace node

// Bringing up a DPDK port for the lcores: any ethdev (a NIC, net_af_xdp, net_af_packet, net_ring,
// net_pcap, net_null), one RX/TX queue pair per lcore, RSS over IPv4 TCP/UDP with vipd's Toeplitz
// key and a redirection table vipd knows (pkt::Steering must match it: NAT replies are steered by it).
#pragma once

#include <rte_ether.h>

#include <cstdint>
#include <span>
#include <string>

struct rte_mempool;

namespace port {

struct Options {
    uint16_t queues = 1;      // one RX/TX pair per lcore
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
    rte_mempool* pool = nullptr;
    std::span<const uint8_t> rss_key;  // 40 bytes (flow::rss_key_default)
};

struct Info {
    std::string driver;
    rte_ether_addr mac{};
    uint16_t mtu = 1500;
    bool rss = false;          // RSS configured (more than one queue)
    uint16_t reta_size = 0;    // its redirection table, entry j → queue j mod queues
};

/// Configures and starts `port_id`. Returns "" on success, else why not (for the log). With more
/// than one queue the port must offer RSS on IPv4 TCP and UDP with a 40-byte key.
std::string setup(uint16_t port_id, const Options& opt, Info* info);

}  // namespace port

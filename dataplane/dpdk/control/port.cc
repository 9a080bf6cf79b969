// Port bring-up: configure, RSS and its redirection table, queues, start.
#include "dataplane/dpdk/control/port.h"

#include <rte_ethdev.h>

#include <algorithm>
#include <vector>

namespace port {

std::string setup(uint16_t id, const Options& opt, Info* info)
{
    const std::string name = "port " + std::to_string(id);
    rte_eth_dev_info dev{};
    if (int rc = rte_eth_dev_info_get(id, &dev); rc != 0) {
        return name + ": no such port (" + std::string(rte_strerror(-rc)) + ")";
    }
    Info out;
    out.driver = dev.driver_name != nullptr ? dev.driver_name : "?";
    if (opt.queues == 0 || opt.queues > dev.max_rx_queues || opt.queues > dev.max_tx_queues) {
        return name + " (" + out.driver + "): " + std::to_string(opt.queues) + " queue pairs wanted, it has " +
               std::to_string(std::min(dev.max_rx_queues, dev.max_tx_queues));
    }
    rte_eth_conf conf{};
    std::vector<uint8_t> key(opt.rss_key.begin(), opt.rss_key.end());
    if (opt.queues > 1) {
        const uint64_t want = RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_IPV4;
        if ((dev.flow_type_rss_offloads & want) != want || dev.hash_key_size != key.size() || dev.reta_size == 0) {
            return name + " (" + out.driver + "): " + std::to_string(opt.queues) +
                   " queues need RSS over IPv4 TCP/UDP with a 40-byte key, which this device does not offer; "
                   "run one lcore on it";
        }
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_key = key.data();
        conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(key.size());
        conf.rx_adv_conf.rss_conf.rss_hf = want;
        out.rss = true;
    }
    if (int rc = rte_eth_dev_configure(id, opt.queues, opt.queues, &conf); rc != 0) {
        return name + ": configure: " + std::string(rte_strerror(-rc));
    }
    uint16_t rxd = opt.rx_desc;
    uint16_t txd = opt.tx_desc;
    if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd); rc != 0) {
        return name + ": descriptors: " + std::string(rte_strerror(-rc));
    }
    const int socket = std::max(rte_eth_dev_socket_id(id), 0);
    for (uint16_t q = 0; q < opt.queues; ++q) {
        if (int rc = rte_eth_rx_queue_setup(id, q, rxd, static_cast<unsigned>(socket), nullptr, opt.pool); rc != 0) {
            return name + ": RX queue " + std::to_string(q) + ": " + std::string(rte_strerror(-rc));
        }
        if (int rc = rte_eth_tx_queue_setup(id, q, txd, static_cast<unsigned>(socket), nullptr); rc != 0) {
            return name + ": TX queue " + std::to_string(q) + ": " + std::string(rte_strerror(-rc));
        }
    }
    if (out.rss) {
        // Entry j → queue j mod queues, written explicitly: pkt::Steering assumes exactly this table.
        std::vector<rte_eth_rss_reta_entry64> reta((dev.reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE);
        for (uint16_t j = 0; j < dev.reta_size; ++j) {
            auto& g = reta[j / RTE_ETH_RETA_GROUP_SIZE];
            g.mask |= uint64_t{1} << (j % RTE_ETH_RETA_GROUP_SIZE);
            g.reta[j % RTE_ETH_RETA_GROUP_SIZE] = static_cast<uint16_t>(j % opt.queues);
        }
        if (int rc = rte_eth_dev_rss_reta_update(id, reta.data(), dev.reta_size); rc != 0) {
            return name + ": RSS redirection table: " + std::string(rte_strerror(-rc));
        }
        out.reta_size = dev.reta_size;
    }
    if (int rc = rte_eth_dev_start(id); rc != 0) {
        return name + ": start: " + std::string(rte_strerror(-rc));
    }
    rte_eth_macaddr_get(id, &out.mac);
    rte_eth_dev_get_mtu(id, &out.mtu);
    if (info != nullptr) {
        *info = out;
    }
    return {};
}

}  // namespace port

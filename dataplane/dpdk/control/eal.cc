// The DPDK node: EAL arguments, hugepages or none, and the ports the EAL probes.
#include "dataplane/dpdk/control/node.h"

namespace node {

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

}  // namespace node

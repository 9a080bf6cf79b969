// vipd's command line: keepalived's options where they overlap (-f -t -n -l -D -i -p), vipd's own
// settings (dataplane, EAL arguments, ports) as options or an INI file, never as keepalived.conf keywords.
#include "conf/json.h"
#include "conf/parser.h"
#include "control/daemon.h"
#include "control/kernel/kernel_dataplane.h"
#include "control/log.h"
#ifdef VIPD_HAVE_DPDK
#include "dataplane/dpdk/control/dpdk_node.h"
#include "dataplane/dpdk/control/guardian.h"
#endif
#ifdef VIPD_HAVE_XDP
#include "bpf/control/node.h"
#endif

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unistd.h>
#include <iostream>
#include <memory>
#include <sstream>

namespace po = boost::program_options;

namespace {

constexpr const char* default_config = "/etc/keepalived/keepalived.conf";

void print_diagnostics(const conf::Loaded& loaded, bool detail)
{
    for (const auto& d : loaded.diags.all()) {
        if (d.severity == conf::Severity::note && !detail) {
            continue;
        }
        fmt::print(stderr, "{}\n", loaded.diags.format(d));
    }
}

} // namespace

int main(int argc, char** argv)
{
    po::options_description general("keepalived-compatible options");
    general.add_options()
        ("help,h", "show this help")
        ("version,v", "show the version")
        ("use-file,f", po::value<std::string>()->default_value(default_config), "keepalived.conf to read")
        ("config-test,t", "check the configuration, print diagnostics, exit with keepalived's -t codes (0, 4, 5, 6)")
        ("config-id,i", po::value<std::string>(), "configuration id for @id lines (default: the host name)")
        ("dont-fork,n", "stay in the foreground")
        ("log-console,l", "log to the console (stderr) instead of syslog")
        ("log-detail,D", "detailed log messages (with -t: also vipd's notes on accepted but unused keywords)")
        ("pid,p", po::value<std::string>()->default_value("/run/vipd.pid"), "pid file, locked: a second vipd on it refuses to start");
    po::options_description own("vipd options");
    own.add_options()
        ("dump-conf", "print the normalized configuration as JSON and exit")
        ("dataplane", po::value<std::string>()->default_value("kernel"), "dataplane: kernel | dpdk | xdp")
        ("stats-file", po::value<std::string>()->default_value("/tmp/vipd.stats"), "where SIGUSR2 writes the VRRP statistics")
        ("settings", po::value<std::string>(), "INI file with vipd's own settings (same names as these options)");
    po::options_description dpdk("DPDK dataplane options (--dataplane=dpdk)");
    dpdk.add_options()
        ("pmd", po::value<std::string>()->default_value("af_xdp"), "how a kernel interface is taken: af_xdp | af_packet")
        ("port-map", po::value<std::vector<std::string>>()->composing(), "IFNAME=PCI: that interface of the config is this NIC (repeatable)")
        ("interface", po::value<std::vector<std::string>>()->composing(), "take this interface too (repeatable)")
        ("lcores", po::value<unsigned>()->default_value(1), "forwarding lcores (on CPUs 1..N)")
        ("eal", po::value<std::string>()->default_value(""), "extra DPDK EAL arguments (space-separated)")
        ("hugepages", po::value<std::string>()->default_value("auto"), "yes | no | auto (use hugepages when 512 MB are free)")
        ("flows", po::value<unsigned>()->default_value(1u << 18), "flow-table entries per lcore")
        ("idle-sleep-us", po::value<unsigned>()->default_value(50), "an idle lcore sleeps this long; 0: busy-poll (benchmarks)")
        ("new-flow-rate", po::value<unsigned>()->default_value(0),
         "new flows a second that each forwarding CPU (DPDK lcore, XDP CPU) makes at most; a SYN or a new UDP flow past "
         "it is dropped as new_flow_rate (a SYN flood shed before the backends answer it); 0: no bound, as IPVS")
        ("arp-reachable-ms", po::value<unsigned>()->default_value(30000),
         "a next hop's MAC unconfirmed this long is probed (once a second, 3 times), then forgotten (Linux's base_reachable_time; 0: never)")
        ("state-dir", po::value<std::string>()->default_value("/run/vipd"), "where the held interfaces' addresses are saved")
        ("restore-interfaces", "put back the addresses and routes of the interfaces a dead vipd held (saved in --state-dir), "
                               "detach what net_af_xdp left on them, and exit (for ExecStopPost)");
    po::options_description xdp("XDP dataplane options (--dataplane=xdp; --interface, --flows, --new-flow-rate and --arp-reachable-ms too)");
    xdp.add_options()
        ("xdp-mode", po::value<std::string>()->default_value("native"), "native | generic (the kernel's skb path: any driver, far slower)")
        ("xdp-replace", "detach another XDP program found on an interface (default: refuse to start)")
        ("xdp-kernel-pps", po::value<unsigned>()->default_value(200000),
         "frames a second per CPU the program passes to the kernel's stack as not its own (a VIP's closed ports, ICMP "
         "echo, IPv6...); the rest is dropped as exception_ring_full; 0: no bound")
        ("xdp-flow-tables", po::value<std::string>()->default_value("shared"),
         "shared (one flow table for every CPU) | per-cpu (one per CPU: only where RSS keeps a flow and its replies on one CPU)");
    own.add(dpdk).add(xdp);
    po::options_description all;
    all.add(general).add(own);
    po::options_description hidden;
    hidden.add_options()("guard-fd", po::value<int>(), "the guardian's pipe (vipd starts it with this)");
    po::options_description cmdline;
    cmdline.add(all).add(hidden);

    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, cmdline), vm);
        if (vm.count("settings")) {
            po::store(po::parse_config_file<char>(vm["settings"].as<std::string>().c_str(), own), vm);
        }
        po::notify(vm);
    } catch (const std::exception& e) {
        fmt::print(stderr, "vipd: {}\n", e.what());
        return 2;
    }
    if (vm.count("help")) {
        std::cout << "Usage: vipd [options]\n" << all << '\n';
        return 0;
    }
    if (vm.count("version")) {
        fmt::print("vipd {}\n", VIPD_VERSION);
        return 0;
    }

    if (vm.count("restore-interfaces")) {
#ifdef VIPD_HAVE_DPDK
        vlog::init(vm.count("log-console") > 0, vm.count("log-detail") > 0);
        const auto dir = vm["state-dir"].as<std::string>();
        if (vm.count("guard-fd")) {
            return node::run_guardian(vm["guard-fd"].as<int>(), dir);
        }
        return node::restore_interfaces(dir) == 0 ? 0 : 1;
#else
        fmt::print(stderr, "vipd: this build has no DPDK dataplane, so no interface to restore\n");
        return 1;
#endif
    }

    conf::ParseOptions opts;
    opts.config_id = vm.count("config-id") ? vm["config-id"].as<std::string>() : conf::host_name();
    const auto path = vm["use-file"].as<std::string>();
    const bool detail = vm.count("log-detail") > 0;

    if (vm.count("config-test")) {
        auto loaded = conf::load_file(path, opts);
        print_diagnostics(loaded, detail);
        return loaded.exit_code();
    }
    if (vm.count("dump-conf")) {
        auto loaded = conf::load_file(path, opts);
        print_diagnostics(loaded, detail);
        if (loaded.diags.has(conf::Severity::fatal)) {
            return loaded.exit_code();
        }
        fmt::print("{}\n", conf::to_json(loaded.config));
        return 0;
    }
    const auto dataplane = vm["dataplane"].as<std::string>();
    std::unique_ptr<control::Dataplane> dp;
    if (dataplane == "dpdk") {
#ifdef VIPD_HAVE_DPDK
        node::DpdkOptions o;
        o.pmd = vm["pmd"].as<std::string>();
        if (vm.count("port-map")) {
            for (const auto& m : vm["port-map"].as<std::vector<std::string>>()) {
                const auto eq = m.find('=');
                if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
                    fmt::print(stderr, "vipd: --port-map {}: expected IFNAME=PCI-ADDRESS\n", m);
                    return 2;
                }
                o.port_map.emplace_back(m.substr(0, eq), m.substr(eq + 1));
            }
        }
        if (vm.count("interface")) {
            o.interfaces = vm["interface"].as<std::vector<std::string>>();
        }
        std::istringstream eal(vm["eal"].as<std::string>());
        for (std::string w; eal >> w;) {
            o.eal.push_back(w);
        }
        const unsigned lcores = vm["lcores"].as<unsigned>();
        if (lcores == 0 || lcores > 64) {
            fmt::print(stderr, "vipd: --lcores {}: 1 to 64\n", lcores);
            return 2;
        }
        o.lcores = static_cast<uint16_t>(lcores);
        o.hugepages = vm["hugepages"].as<std::string>();
        o.flows = vm["flows"].as<unsigned>();
        o.idle_sleep_us = vm["idle-sleep-us"].as<unsigned>();
        o.arp_reachable_ms = vm["arp-reachable-ms"].as<unsigned>();
        o.new_flow_rate = vm["new-flow-rate"].as<unsigned>();
        o.state_dir = vm["state-dir"].as<std::string>();
        o.console_log = vm.count("log-console") > 0;
        dp = node::make_dpdk(o);
#else
        fmt::print(stderr, "vipd: this build has no DPDK (libdpdk-dev was not found when it was configured)\n");
        return 1;
#endif
    } else if (dataplane == "xdp") {
#ifdef VIPD_HAVE_XDP
        xdp::NodeOptions o;
        if (vm.count("interface")) {
            o.interfaces = vm["interface"].as<std::vector<std::string>>();
        }
        o.mode = vm["xdp-mode"].as<std::string>();
        if (o.mode != "native" && o.mode != "generic") {
            fmt::print(stderr, "vipd: --xdp-mode {}: native or generic\n", o.mode);
            return 2;
        }
        o.replace = vm.count("xdp-replace") > 0;
        const std::string tables = vm["xdp-flow-tables"].as<std::string>();
        if (tables != "shared" && tables != "per-cpu") {
            fmt::print(stderr, "vipd: --xdp-flow-tables {}: shared or per-cpu\n", tables);
            return 2;
        }
        o.per_cpu_flows = tables == "per-cpu";
        o.kernel_pps = vm["xdp-kernel-pps"].as<unsigned>();
        if (!vm["flows"].defaulted()) {
            o.flows = vm["flows"].as<unsigned>();
        }
        o.arp_reachable_ms = vm["arp-reachable-ms"].as<unsigned>();
        o.new_flow_rate = vm["new-flow-rate"].as<unsigned>();
        dp = xdp::make_xdp(o);
#else
        fmt::print(stderr, "vipd: this build has no XDP dataplane (libbpf, libxdp, clang or bpftool was missing when it was configured)\n");
        return 1;
#endif
    } else if (dataplane == "kernel") {
        dp = kernel::make_kernel_dataplane();
    } else {
        fmt::print(stderr, "vipd: --dataplane={}: kernel, dpdk or xdp\n", dataplane);
        return 1;
    }
    // The daemon works in / (and reloads re-read the file): a relative -f is made absolute first.
    std::error_code cwd_ec;
    const std::string config_path = std::filesystem::absolute(path, cwd_ec).string();
    if (!vm.count("dont-fork") && ::daemon(0, 0) != 0) {
        fmt::print(stderr, "vipd: cannot detach: {}\n", std::strerror(errno));
        return 1;
    }
    return control::run_daemon({.config_path = cwd_ec ? path : config_path,
                                .config_id = opts.config_id,
                                .pid_file = vm["pid"].as<std::string>(),
                                .stats_file = vm["stats-file"].as<std::string>(),
                                .console_log = vm.count("log-console") > 0,
                                .detail = detail,
                                .dataplane = dp.get()});
}

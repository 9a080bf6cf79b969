// vipd's command line: keepalived's options where they overlap (-f -t -n -l -D -i -p), vipd's own
// settings (dataplane, EAL arguments, ports) as options or an INI file, never as keepalived.conf keywords.
#include "conf/json.h"
#include "conf/parser.h"
#include "control/daemon.h"

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <iostream>

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
        ("pid,p", po::value<std::string>(), "pid file");
    po::options_description own("vipd options");
    own.add_options()
        ("dump-conf", "print the normalized configuration as JSON and exit")
        ("dataplane", po::value<std::string>()->default_value("kernel"), "dataplane: kernel | dpdk | xdp")
        ("stats-file", po::value<std::string>()->default_value("/tmp/vipd.stats"), "where SIGUSR2 writes the VRRP statistics")
        ("settings", po::value<std::string>(), "INI file with vipd's own settings (same names as these options)");
    po::options_description all;
    all.add(general).add(own);

    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, all), vm);
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
    if (dataplane != "kernel") {
        fmt::print(stderr, "vipd: --dataplane={} is not built yet in this version (kernel is)\n", dataplane);
        return 1;
    }
    if (!vm.count("dont-fork") && ::daemon(0, 0) != 0) {
        fmt::print(stderr, "vipd: cannot detach: {}\n", std::strerror(errno));
        return 1;
    }
    return control::run_daemon({.config_path = path,
                                .config_id = opts.config_id,
                                .pid_file = vm.count("pid") ? vm["pid"].as<std::string>() : std::string(),
                                .stats_file = vm["stats-file"].as<std::string>(),
                                .console_log = vm.count("log-console") > 0,
                                .detail = detail});
}

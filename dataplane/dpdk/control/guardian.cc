// The state file, the restore and the guardian process: see guardian.h.
#include "dataplane/dpdk/control/guardian.h"

#include "control/kernel/xdp_leftover.h"
#include "control/log.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/syscall.h>
#include <unistd.h>

namespace node {
namespace {

namespace fs = std::filesystem;

fs::path state_path(const std::string& dir, const std::string& ifname)
{
    return fs::path(dir) / (ifname + ".addresses");
}

}  // namespace

std::string save_interface_state(const std::string& state_dir, const std::string& ifname, const SavedInterface& s)
{
    std::error_code ec;
    fs::create_directories(state_dir, ec);
    const fs::path path = state_path(state_dir, ifname);
    const fs::path tmp = path.string() + ".tmp";
    std::ostringstream out;
    if (!s.tap.empty()) {
        out << "tap " << s.tap << '\n';
    }
    for (const auto& [ip, prefix] : s.addrs) {
        out << "address " << ip.str() << ' ' << int{prefix} << '\n';
    }
    for (const auto& r : s.routes) {
        out << "route " << r.dst.str() << ' ' << int{r.prefix} << ' ' << (r.gateway ? r.gateway->str() : "-") << ' '
            << r.metric << ' ' << int{r.protocol} << ' ' << int{r.scope} << ' ' << (r.prefsrc ? r.prefsrc->str() : "-") << '\n';
    }
    const std::string text = out.str();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        return fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno));
    }
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
        fs::remove(tmp, ec);
        return fmt::format("cannot write {}: {}", path.string(), std::strerror(written ? errno : err));
    }
    return {};
}

SavedInterface load_interface_state(const std::string& state_dir, const std::string& ifname)
{
    SavedInterface s;
    std::ifstream in(state_path(state_dir, ifname));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string kind, a, gw, src;
        int prefix = 0, proto = 0, scope = 0;
        uint32_t metric = 0;
        ls >> kind >> a;
        if (kind == "tap") {
            s.tap = a;
            continue;
        }
        ls >> prefix;
        auto ip = conf::Ip::parse(a);
        if (!ip || !ip->is_v4() || prefix < 0 || prefix > 32) {
            continue;
        }
        if (kind == "address") {
            s.addrs.emplace_back(*ip, static_cast<uint8_t>(prefix));
        } else if (kind == "route" && (ls >> gw >> metric >> proto >> scope >> src) && proto >= 0 && proto < 256 &&
                   scope >= 0 && scope < 256) {
            // "-" is none; anything else must be an IPv4 address, or the line is not one of ours.
            const auto gateway = conf::Ip::parse(gw);
            const auto prefsrc = conf::Ip::parse(src);
            if ((gateway && !gateway->is_v4()) || (prefsrc && !prefsrc->is_v4()) || (!gateway && gw != "-") || (!prefsrc && src != "-")) {
                continue;
            }
            s.routes.push_back({.dst = *ip, .prefix = static_cast<uint8_t>(prefix), .gateway = gateway, .prefsrc = prefsrc,
                                .metric = metric, .protocol = static_cast<uint8_t>(proto), .scope = static_cast<uint8_t>(scope)});
        }
    }
    return s;
}

void remove_interface_state(const std::string& state_dir, const std::string& ifname)
{
    std::error_code ec;
    fs::remove(state_path(state_dir, ifname), ec);
}

int restore_interfaces(const std::string& state_dir)
{
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(state_dir, ec)) {
        if (e.path().extension() == ".addresses") {
            names.push_back(e.path().stem().string());
        }
    }
    if (names.empty()) {
        return 0;
    }
    std::unique_ptr<kernel::Netlink> nl;
    try {
        nl = std::make_unique<kernel::Netlink>();
    } catch (const std::exception& e) {
        vlog::error("restore: netlink: {}", e.what());
        return static_cast<int>(names.size());
    }
    int failed = 0;
    for (const auto& n : names) {
        auto link = nl->link(n);
        if (!link) {
            vlog::error("restore: {}: no such interface; its saved addresses are kept in {}", n, state_dir);
            ++failed;
            continue;
        }
        const SavedInterface s = load_interface_state(state_dir, n);
        // The TAP goes when the last descriptor of the dead process closes, which may be just after
        // the pipe did: until then its routes would shadow the ones put back.
        for (int i = 0; i < 200 && !s.tap.empty() && nl->link(s.tap); ++i) {
            ::usleep(10'000);
        }
        if (auto what = kernel::detach_af_xdp_leftover(link->index); !what.empty()) {
            vlog::info("restore: {}: {}", n, what);
        }
        bool ok = true;
        for (const auto& [ip, prefix] : s.addrs) {
            if (auto e = nl->add_address(link->index, {.addr = ip, .prefix = prefix})) {
                vlog::error("restore: cannot put {}/{} back on {}: {}", ip.str(), int{prefix}, n, e.message());
                ok = false;
            }
        }
        for (const auto& r : s.routes) {
            if (auto e = nl->add_route4(link->index, r)) {
                vlog::error("restore: cannot put the route to {}/{} back on {}: {}", r.dst.str(), int{r.prefix}, n,
                            e.message());
                ok = false;
            }
        }
        if (ok) {
            remove_interface_state(state_dir, n);
            vlog::info("restore: {}: {} address(es) and {} route(s) put back", n, s.addrs.size(), s.routes.size());
        } else {
            ++failed;
        }
    }
    return failed;
}

std::string start_guardian(const std::string& state_dir, bool console, int* pid)
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
        return fmt::format("guardian: pipe: {}", std::strerror(errno));
    }
    // Everything the child needs is made before fork: between fork and exec only async-signal-safe calls.
    std::string dir = state_dir;
    std::string self = "vipd";
    // The binary by its own path (not /proc/self/exe), so the guardian shows as vipd in ps.
    std::error_code ec;
    std::string exe = fs::read_symlink("/proc/self/exe", ec).string();
    if (ec || exe.empty()) {
        exe = "/proc/self/exe";
    }
    std::string a1 = "--restore-interfaces", a2 = "--state-dir", a3 = "--guard-fd", fd = "3", a4 = "--log-console";
    char* argv[] = {self.data(), a1.data(), a2.data(), dir.data(), a3.data(), fd.data(), console ? a4.data() : nullptr, nullptr};
    const pid_t child = ::fork();
    if (child < 0) {
        const int err = errno;
        ::close(p[0]);
        ::close(p[1]);
        return fmt::format("guardian: fork: {}", std::strerror(err));
    }
    if (child == 0) {
        // Its own process group: a Ctrl-C or a signal to vipd's group does not take it along.
        ::setpgid(0, 0);
        // fd 3, without close-on-exec (dup2 clears it; a pipe already on 3 has it cleared by hand).
        if (p[0] == 3 ? ::fcntl(3, F_SETFD, 0) != 0 : ::dup2(p[0], 3) < 0) {
            ::_exit(127);
        }
        ::syscall(SYS_close_range, 4u, ~0u, 0u);  // nothing of vipd's but the pipe (and stdio) lives on
        ::execv(exe.c_str(), argv);
        ::_exit(127);
    }
    ::close(p[0]);
    // The write end stays open in vipd alone (close-on-exec: no script inherits it) until it dies.
    *pid = child;
    return {};
}

int run_guardian(int fd, const std::string& state_dir)
{
    // vipd's end of the pipe closing is the one event; the signals a terminal or a service manager
    // sends to the whole group must not end the guardian before it.
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGTERM, SIG_IGN);
    std::signal(SIGHUP, SIG_IGN);
    char b[64];
    for (;;) {
        const ssize_t n = ::read(fd, b, sizeof b);
        if (n == 0 || (n < 0 && errno != EINTR)) {
            break;
        }
    }
    ::close(fd);
    return restore_interfaces(state_dir) == 0 ? 0 : 1;
}

}  // namespace node

// The daemon's lifecycle: config in, one generation per loaded config (VRRP on the wire, VIPs on the
// interfaces or in the dataplane, checkers, the forwarding table published to the kernel or DPDK
// dataplane), SIGTERM hands over with a priority-0 advert, SIGHUP reloads and keeps unchanged instances
// as they are, SIGUSR2 writes the statistics. The other jobs live beside it (see daemon_impl.h).
#include "control/daemon.h"

#include "conf/json.h"
#include "control/daemon_impl.h"
#include "control/log.h"
#include "control/privileges.h"

#include <linux/capability.h>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <unistd.h>

namespace control::detail {

using vrrp::State;

std::unique_ptr<conf::Loaded> Daemon::load()
{
    auto loaded = std::make_unique<conf::Loaded>(conf::load_file(_opts.config_path, {.config_id = _opts.config_id}));
    for (const auto& d : loaded->diags.all()) {
        if (d.severity != conf::Severity::note) {
            vlog::warn(loaded->diags.format(d));
        }
    }
    const int code = loaded->exit_code();
    if (code == conf::exit_cannot_run || code == conf::exit_aborted) {
        return nullptr;
    }
    // keepalived 2.2.7 will not run a config naming an interface that does not exist ("Non-existent
    // interface specified in configuration", warned above) unless dynamic_interfaces is set.
    if (loaded->config.nonexistent_interface) {
        return nullptr;
    }
    return loaded;
}

bool Daemon::start_generation(std::unique_ptr<conf::Loaded> loaded, Generation* previous)
{
    auto gen = std::make_unique<Generation>();
    gen->id = ++_generations;
    gen->loaded = std::move(loaded);
    const conf::Config& cfg = gen->loaded->config;
    gen->io = std::make_unique<kernel::VrrpIo>(
        cfg, *_nl, _dp, [this](size_t i, State f, State t) { notify(i, f, t); }, [this] { publish(); });
    gen->io->use_firewall(_firewall.get());
    if (cfg.global.nftables_table != _firewall->table()) {
        vlog::warn("nftables table {} kept: a new table name takes effect at the next start", _firewall->table());
    }
    std::string error;
    if (!gen->io->open(error)) {
        vlog::error(error);
        return false;
    }
    const auto now = vrrp::Clock::now();
    gen->engine = std::make_unique<vrrp::Engine>(cfg, *gen->io, [&](const conf::VrrpInstance& vi) { return gen->io->primary_of(vi); });
    gen->io->attach(*gen->engine);
    if (previous == nullptr) {
        gen->io->remove_stale_vips();
    }
    for (const auto& s : cfg.scripts) {
        gen->script_ok[s.name] = !s.init_fail;
        if (previous != nullptr && previous->script_ok.contains(s.name)) {
            gen->script_ok[s.name] = previous->script_ok[s.name];
        }
    }
    std::set<std::string> missing;
    for (const auto& vi : cfg.instances) {
        for (const std::string* name : {&vi.interface}) {
            auto link = _nl->link(*name);
            gen->link_up[*name] = link && link->up && link->running;
            if (!link) {
                missing.insert(*name);
            }
        }
        for (const auto& v : vi.vips) {
            if (!v.dev.empty() && !_nl->link(v.dev)) {
                missing.insert(v.dev);
            }
        }
        for (const auto& t : vi.track_interfaces) {
            auto link = _nl->link(t.name);
            gen->link_up[t.name] = link && link->up && link->running;
            if (!link) {
                missing.insert(t.name);
            }
        }
    }
    for (const auto& name : missing) {
        vlog::info("Configuration specifies interface {} which doesn't currently exist - will use if created", name);
    }
    init_track_files(cfg, previous != nullptr);
    watch_track_files(*gen);
    if (previous != nullptr) {
        const conf::Config& old_cfg = previous->loaded->config;
        // An instance whose notify scripts alone changed is kept: notify() reads them from the running
        // generation at each change, so the new ones serve from the next change on, with no restart.
        auto running = [](const conf::Config& c, conf::VrrpInstance vi) {
            vi.notify = {};
            return conf::to_json(c, vi);
        };
        gen->engine->adopt(
            *previous->engine,
            [&](const conf::VrrpInstance& a, const conf::VrrpInstance& b) { return running(cfg, a) == running(old_cfg, b); }, now);
    }
    Generation* g = gen.get();
    if (previous != nullptr) {
        for (auto& [name, r] : previous->readers) {
            r->cancel();
        }
        for (auto& t : previous->script_timers) {
            t->cancel();
        }
        if (previous->files_reader) {
            previous->files_reader->cancel();
        }
        _retired.push_back(std::move(_gen));
        // Its cancelled handlers are queued now; free it after they ran (they check the generation
        // before touching it), so sockets and fds do not pile up reload after reload.
        asio::post(_io, [this] { _retired.clear(); });
    }
    if (_dp.forwards()) {
        g->checks = std::make_unique<check::Manager>(
            _io, cfg,
            [this, gid = g->id] {
                if (_gen && _gen->id == gid) {
                    publish();
                }
            },
            [this](std::string_view line) { lvs_event(line); });
        if (previous != nullptr && previous->checks) {
            g->checks->adopt(*previous->checks);
        }
    }
    // Once the new generation cannot fail (a refused reload keeps the running FIFOs), before its
    // instances start: their first transitions are written too.
    open_fifos(cfg);
    _gen = std::move(gen);
    publish();  // the new config's table, before the old generation (and its config) is freed
    update_tracking();  // before start: a faulted instance starts in FAULT
    g->engine->start(now);
    for (auto& [name, sock] : g->io->sockets()) {
        g->readers[name] = std::make_unique<asio::posix::stream_descriptor>(_io, dup_cloexec(sock.fd()));
        read_socket(name);
    }
    start_scripts();
    if (g->checks) {
        g->checks->start();
    }
    if (g->files_reader) {
        read_track_files();
    }
    rearm();
    return true;
}

void Daemon::rearm()
{
    const auto deadline = _gen->engine->deadline();
    if (deadline == vrrp::Time::max()) {
        _timer.cancel();
        return;
    }
    _timer.expires_at(deadline);
    _timer.async_wait([this](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        _gen->engine->on_timer(vrrp::Clock::now());
        rearm();
    });
}

// The forwarding table for what is true now: the config, the checkers' view and the VIPs of the
// instances that are MASTER.
void Daemon::publish()
{
    if (!_gen) {
        return;
    }
    std::vector<conf::Ip> owned;
    if (_gen->engine) {
        for (const auto& m : _gen->engine->instances()) {
            if (m.fsm->state() == State::master) {
                for (const auto& v : m.config->vips) {
                    owned.push_back(v.addr);
                }
            }
        }
    }
    static const std::vector<check::VsLive> as_configured;
    _forwarding.publish(_dp, _gen->loaded->config, _gen->checks ? _gen->checks->live() : as_configured, owned);
}

void Daemon::poll_dataplane()
{
    const size_t n = _dp.poll([this](const std::string& ifname, std::span<const uint8_t> packet) {
        _gen->engine->receive(vrrp::Clock::now(), ifname, packet);
    });
    if (n != 0) {
        rearm();
    }
    _dp_timer.expires_after(n != 0 ? std::chrono::microseconds(200) : std::chrono::milliseconds(1));
    _dp_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
            poll_dataplane();
        }
    });
}

// Written whole into a new file beside it (mode 0600, O_EXCL by mkostemp) and renamed over the
// name: never through a symlink planted at the name (the rename replaces the link, as keepalived
// 2.0.11+ refuses to follow one after CVE-2018-19044), never by truncating a file someone else made
// there, and a reader sees the old statistics or the new ones, never half of them.
void Daemon::write_stats()
{
    const std::string text = _gen->engine->stats() + _dp.stats();
    std::string tmp = _opts.stats_file + ".XXXXXX";
    const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) {
        vlog::error("cannot write statistics beside {}: {}", _opts.stats_file, std::strerror(errno));
        return;
    }
    const bool whole = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!whole) {
        vlog::error("short write of statistics to {}", tmp);
    } else if (::rename(tmp.c_str(), _opts.stats_file.c_str()) == 0) {
        return;
    } else {
        vlog::error("cannot write statistics to {}: {}", _opts.stats_file, std::strerror(errno));
    }
    ::unlink(tmp.c_str());
}

void Daemon::wait_signal()
{
    _signals.async_wait([this](const boost::system::error_code& ec, int s) {
        if (!ec) {
            on_signal(s);
        }
    });
}

void Daemon::on_signal(int sig)
{
    if (sig == SIGUSR2) {
        write_stats();
        wait_signal();
        return;
    }
    if (sig == SIGHUP) {
        vlog::line("Reloading");
        auto loaded = load();
        if (!loaded) {
            vlog::error("Reload refused: the new configuration cannot run - keeping the running one");
        } else if (!start_generation(std::move(loaded), _gen.get())) {
            vlog::error("Reload failed - keeping the running configuration");
        }
        wait_signal();
        return;
    }
    vlog::line("Stopping");
    if (_gen->checks) {
        _gen->checks->stop();
    }
    _gen->engine->stop(vrrp::Clock::now());
    _firewall->remove_tables();
    _timer.cancel();
    _dp_timer.cancel();
    // The stop notify scripts (and any still queued) run to their end, within a bound, then vipd leaves.
    _stop_timer.expires_after(std::chrono::seconds(10));
    _stop_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
            vlog::info("Notify scripts still running - leaving them");
            _io.stop();
        }
    });
    _notify_queue.when_idle([this] { _io.stop(); });
}

bool Daemon::drop_privileges()
{
    if (::geteuid() != 0 || (effective_capabilities() & cap_bit(CAP_SETPCAP)) == 0) {
        vlog::info("capabilities left as they are: vipd runs without root's");
        return true;
    }
    const CapSet keep = control_capabilities() | _dp.capabilities();
    if (auto kept = keep_only(keep); !kept) {
        vlog::error("cannot drop capabilities: {} - exiting", kept.error());
        return false;
    }
    vlog::info("capabilities kept: {}; scripts run from the broker (PID {})", cap_names(keep), _broker->pid());
    return true;
}

int Daemon::run()
{
    vlog::init(_opts.console_log, _opts.detail);
    vlog::info("Starting vipd {} ({})", VIPD_VERSION, _dp.description());
    auto loaded = load();
    if (!loaded) {
        vlog::error("{}: configuration cannot run - exiting", _opts.config_path);
        return 1;
    }
    std::string why;
    if (!_opts.pid_file.empty()) {
        _pid_lock = LockFile::take(_opts.pid_file, true, why);
        if (!_pid_lock.held()) {
            vlog::error("another vipd is running ({}) - exiting", why);
            return 1;
        }
    }
    std::set<std::string> names;
    for (const auto& in : loaded->config.instances) {
        names.insert(in.interface);
    }
    for (const auto& n : names) {
        _if_locks.push_back(LockFile::take(interface_lock_path(n), false, why));
        if (!_if_locks.back().held()) {
            vlog::error("another vipd runs an instance on {} ({}) - exiting", n, why);
            return 1;
        }
    }
    // Before the dataplane's threads: the broker is a posix_spawn of vipd-script, and keeps root for
    // the scripts once vipd has dropped it.
    _broker = ScriptBroker::start(_io, why);
    if (!_broker) {
        vlog::error("cannot start the script broker: {} - exiting", why);
        return 1;
    }
    try {
        _nl = std::make_unique<kernel::Netlink>();
    } catch (const std::exception& e) {
        vlog::error("netlink: {}", e.what());
        return 1;
    }
    // A predecessor killed with SIGKILL may have left its drop rules: they would keep this node from
    // answering for VIPs it is about to own. Deleted before anything starts.
    const auto& g = loaded->config.global;
    _firewall = std::make_unique<kernel::Firewall>(g.nftables_table, g.nftables_priority, g.nftables_counters);
    _firewall->remove_stale();
    if (auto started = _dp.start(loaded->config); !started) {
        vlog::error("{} dataplane: {}", _dp.name(), started.error());
        _dp.stop();
        return 1;
    }
    _link_events = std::make_unique<asio::posix::stream_descriptor>(_io, dup_cloexec(_nl->monitor_fd()));
    watch_links();
    if (!start_generation(std::move(loaded), nullptr)) {
        _dp.stop();
        return 1;
    }
    if (!drop_privileges()) {
        _gen.reset();
        _dp.stop();
        return 1;
    }
    if (_dp.polled()) {
        poll_dataplane();
    }
    wait_signal();
    // An exception that escapes a handler ends vipd cleanly: logged, priority 0 sent, VIPs removed,
    // the dataplane stopped and the interfaces given back, as on SIGTERM.
    bool failed = false;
    try {
        _io.run();
    } catch (const std::exception& e) {
        vlog::error("internal error: {} - stopping", e.what());
        failed = true;
    } catch (...) {
        vlog::error("internal error (unknown exception) - stopping");
        failed = true;
    }
    if (failed) {
        _exit_code = 1;
        try {
            on_signal(SIGTERM);
        } catch (...) {
            vlog::error("internal error while stopping");
        }
    }
    _dp.stop();
    return _exit_code;
}

} // namespace control::detail

namespace control {

int run_daemon(const DaemonOptions& opts)
{
    detail::Daemon d(opts);
    return d.run();
}

} // namespace control

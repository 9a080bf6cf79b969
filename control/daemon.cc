// Kernel-mode daemon: config in, VRRP on the wire, VIPs on the interfaces; SIGTERM hands over with a
// priority-0 advert, SIGHUP reloads and keeps unchanged instances as they are.
#include "control/daemon.h"

#include "control/forwarding.h"

#include "conf/json.h"
#include "conf/parser.h"
#include "control/check/check.h"
#include "control/kernel/firewall.h"
#include "control/kernel/netlink.h"
#include "control/kernel/vrrp_io.h"
#include "control/lock_file.h"
#include "control/log.h"
#include "control/process.h"
#include "control/track_file.h"
#include "control/vrrp/engine.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace control {

namespace {

namespace asio = boost::asio;
using vrrp::State;

const conf::TrackFile* find_track_file(const conf::Config& cfg, const std::string& name)
{
    for (const auto& f : cfg.track_files) {
        if (f.name == name) {
            return &f;
        }
    }
    return nullptr;
}

// asio owns (and closes) its own copy of a descriptor. `dup` would clear FD_CLOEXEC, and the copy of
// the raw VRRP socket would reach every script vipd runs.
int dup_cloexec(int fd)
{
    return ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

// Everything that belongs to one loaded config: replaced whole on reload.
struct Generation {
    uint64_t id = 0;  // callbacks that outlive a reload compare this, never a pointer (freed memory is reused)
    std::unique_ptr<conf::Loaded> loaded;
    std::unique_ptr<kernel::VrrpIo> io;
    std::unique_ptr<vrrp::Engine> engine;
    std::map<std::string, std::unique_ptr<asio::posix::stream_descriptor>> readers;  // by interface
    std::vector<std::unique_ptr<asio::steady_timer>> script_timers;
    // Tracking state.
    std::map<std::string, bool> script_ok;        // vrrp_script name -> current result
    std::map<std::string, int> script_streak;     // consecutive results against the current one
    std::map<std::string, bool> link_up;          // interface -> up and running
    // track_file: the files the instances track, watched through inotify, and their last values.
    std::unique_ptr<TrackFileWatcher> files;
    std::unique_ptr<asio::posix::stream_descriptor> files_reader;
    std::map<std::string, int64_t> file_value;    // track_file name -> last value read
    // The health checkers (with a dataplane only: kernel mode has no IPVS to tell).
    std::unique_ptr<check::Manager> checks;
};

class Daemon {
public:
    explicit Daemon(const DaemonOptions& opts)
        : _opts(opts), _dp(opts.dataplane), _timer(_io), _dp_timer(_io), _signals(_io, SIGTERM, SIGINT, SIGHUP), _stop_timer(_io)
    {
        _signals.add(SIGUSR2);
    }

    int run();

private:
    std::unique_ptr<conf::Loaded> load();
    bool start_generation(std::unique_ptr<conf::Loaded> loaded, Generation* previous);
    void rearm();
    void read_socket(const std::string& ifname);
    void watch_links();
    void reconcile_links();
    bool has_source(size_t inst) const;
    void start_scripts();
    void init_track_files(const conf::Config& cfg, bool reload);
    void watch_track_files(Generation& g);
    void read_track_files();
    void run_script(size_t idx);
    void update_tracking();
    void notify(size_t inst, State from, State to);
    void on_signal(int sig);
    void write_stats();
    void publish();
    void poll_dataplane();

    DaemonOptions _opts;
    Dataplane* _dp = nullptr;  // null in kernel mode
    Forwarding _forwarding;    // builds the snapshot that _dp applies
    asio::io_context _io;
    asio::steady_timer _timer;
    asio::steady_timer _dp_timer;  // the dataplane's exception path and VRRP hand-over, every millisecond
    asio::signal_set _signals;
    asio::steady_timer _stop_timer;
    control::ScriptQueue _notify_queue{_io, 16};  // notify scripts: serial per instance, 16 at once in all
    std::unique_ptr<kernel::Netlink> _nl;
    std::unique_ptr<kernel::Firewall> _firewall;  // vrrp_strict's drop rules: outlive reloads
    std::unique_ptr<asio::posix::stream_descriptor> _link_events;
    std::unique_ptr<Generation> _gen;
    std::vector<std::unique_ptr<Generation>> _retired;  // kept until their async work has drained
    int _exit_code = 0;
    uint64_t _generations = 0;
    LockFile _pid_lock;               // the pid file, flock'ed: one vipd per pid file
    std::vector<LockFile> _if_locks;  // one vipd per interface (in this network namespace)
};

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
    gen->io = std::make_unique<kernel::VrrpIo>(cfg, *_nl, [this](size_t i, State f, State t) { notify(i, f, t); });
    gen->io->use_firewall(_firewall.get());
    if (_dp != nullptr) {
        gen->io->use_dataplane(_dp, [this] { publish(); });
    }
    if (cfg.global.nftables_table != _firewall->table()) {
        vlog::warn(fmt::format("nftables table {} kept: a new table name takes effect at the next start", _firewall->table()));
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
        gen->engine->adopt(
            *previous->engine,
            [&](const conf::VrrpInstance& a, const conf::VrrpInstance& b) { return conf::to_json(cfg, a) == conf::to_json(old_cfg, b); }, now);
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
    if (_dp != nullptr) {
        g->checks = std::make_unique<check::Manager>(_io, cfg, [this, gid = g->id] {
            if (_gen && _gen->id == gid) {
                publish();
            }
        });
        if (previous != nullptr && previous->checks) {
            g->checks->adopt(*previous->checks);
        }
    }
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

// keepalived writes init_file values when it reads the config: a missing file is created with the
// value; an existing one is overwritten only with `overwrite`, and never on a reload.
void Daemon::init_track_files(const conf::Config& cfg, bool reload)
{
    for (const auto& t : cfg.track_files) {
        if (!t.init_value) {
            continue;
        }
        struct stat st {};
        if (::stat(t.path.c_str(), &st) == 0) {
            if (!t.init_overwrite) {
                continue;
            }
            if (!S_ISREG(st.st_mode)) {
                vlog::error(fmt::format("Cannot initialise track file {} - it is not a regular file", t.name));
                continue;
            }
            if (reload) {
                continue;
            }
        }
        const int fd = ::open(t.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        const std::string text = fmt::format("{}\n", *t.init_value);
        if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
            vlog::error(fmt::format("Unable to initialise track file {}", t.name));
        }
        if (fd >= 0) {
            ::close(fd);
        }
    }
}

// Watches the files that an instance or a sync group tracks (keepalived forgets the others) and reads
// their values; a file whose directory does not exist is dropped, with keepalived's message.
void Daemon::watch_track_files(Generation& g)
{
    const conf::Config& cfg = g.loaded->config;
    std::set<std::string> used;
    for (const auto& vi : cfg.instances) {
        for (const auto& t : vi.track_files) {
            used.insert(t.name);
        }
    }
    for (const auto& sg : cfg.sync_groups) {
        for (const auto& t : sg.track_files) {
            used.insert(t.name);
        }
    }
    if (used.empty()) {
        return;
    }
    g.files = std::make_unique<TrackFileWatcher>();
    for (const auto& t : cfg.track_files) {
        if (!used.contains(t.name) || g.file_value.contains(t.name)) {
            continue;
        }
        std::string error;
        if (!g.files->add(t.name, t.path, error)) {
            vlog::error(error);
            continue;
        }
        const std::string path = g.files->path_of(t.name);
        auto v = read_track_file(path);
        if (!v) {
            vlog::info("Invalid number read from {} - ignoring", path);
        }
        g.file_value[t.name] = v.value_or(0);
    }
    if (g.files->ok()) {
        g.files_reader = std::make_unique<asio::posix::stream_descriptor>(_io, dup_cloexec(g.files->fd()));
    }
}

void Daemon::read_track_files()
{
    Generation* g = _gen.get();
    g->files_reader->async_wait(asio::posix::stream_descriptor::wait_read, [this, g, gid = g->id](const boost::system::error_code& ec) {
        if (ec || gid != _gen->id) {
            return;
        }
        const auto& cfg = g->loaded->config;
        bool changed = false;
        for (const auto& c : g->files->read_events()) {
            auto it = g->file_value.find(c.name);
            if (it == g->file_value.end()) {
                continue;
            }
            if (!c.value) {
                vlog::info("Invalid number read from {} - ignoring", g->files->path_of(c.name));
                continue;
            }
            if (*c.value == it->second) {
                continue;
            }
            // keepalived's (detail) lines for an instance that a file faults or releases.
            for (const auto& vi : cfg.instances) {
                for (const auto& t : vi.track_files) {
                    if (t.name != c.name) {
                        continue;
                    }
                    const auto* f = find_track_file(cfg, t.name);
                    const int w = t.weight.value_or(f->weight);
                    const bool rev = t.reverse || (!t.noreverse && f->weight_reverse);
                    const bool was = track_file_effect(it->second, w, rev).fault;
                    const bool now = track_file_effect(*c.value, w, rev).fault;
                    if (was != now) {
                        vlog::info("({}): tracked file {} {} FAULT state", vi.name, t.name, now ? "now" : "leaving");
                    }
                }
            }
            it->second = *c.value;
            changed = true;
        }
        if (changed) {
            update_tracking();
            rearm();
        }
        read_track_files();
    });
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

void Daemon::read_socket(const std::string& ifname)
{
    Generation* g = _gen.get();
    g->readers.at(ifname)->async_wait(asio::posix::stream_descriptor::wait_read, [this, g, gid = g->id, ifname](const boost::system::error_code& ec) {
        if (ec || gid != _gen->id) {
            return;
        }
        auto* sock = g->io->socket_for(ifname);
        if (sock == nullptr) {
            return;  // the interface went away (dynamic_interfaces)
        }
        std::array<uint8_t, 65536> buf{};
        // Bounded: a flood cannot starve timers; the rest waits for the next turn of the loop.
        for (int i = 0; i < 256; ++i) {
            const size_t n = sock->receive(buf);
            if (n == 0) {
                break;
            }
            g->engine->receive(vrrp::Clock::now(), ifname, std::span<const uint8_t>(buf.data(), n));
        }
        rearm();
        read_socket(ifname);
    });
}

void Daemon::watch_links()
{
    _link_events->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        const auto events = _nl->read_link_events();
        reconcile_links();
        for (const auto& link : events) {
            auto it = _gen->link_up.find(link.name);
            const bool up = link.up && link.running;
            if (it != _gen->link_up.end() && it->second != up) {
                it->second = up;
                vlog::info("Netlink reports {} {}", link.name, up ? "up" : "down");
            }
        }
        update_tracking();  // also for an interface that appeared or went, and for address changes
        rearm();
        watch_links();
    });
}

// dynamic_interfaces: an instance interface that appears gets its VRRP socket (and the instances their
// source address), one that goes loses it (its instances FAULT). Asked of the kernel, not read from the
// events, so nothing is missed when the monitor socket overflowed.
void Daemon::reconcile_links()
{
    Generation* g = _gen.get();
    const auto& cfg = g->loaded->config;
    std::set<std::string> names;
    for (const auto& vi : cfg.instances) {
        names.insert(vi.interface);
    }
    for (const auto& name : names) {
        if (_dp != nullptr && _dp->holds(name)) {
            continue;  // the dataplane carries its VRRP
        }
        auto link = _nl->link(name);
        auto* sock = g->io->socket_for(name);
        if (link && (sock == nullptr || sock->link().index != link->index)) {
            vlog::info("Interface {} added", name);
            std::string error;
            if (!g->io->open_link(*link, error)) {
                vlog::error(error);
                continue;
            }
            g->readers[name] = std::make_unique<asio::posix::stream_descriptor>(_io, dup_cloexec(g->io->socket_for(name)->fd()));
            read_socket(name);
        } else if (!link && sock != nullptr) {
            vlog::info("Interface {} deleted", name);
            g->readers.erase(name);  // cancels its wait
            g->io->close_link(name);
        }
    }
    // Source addresses: unicast_src_ip / mcast_src_ip stay; the interface's primary IPv4 may have changed
    // (asked once per interface: a burst of VIP changes must not cost a dump per instance).
    std::map<std::string, conf::Ip> primary;
    for (size_t i = 0; i < g->engine->instances().size(); ++i) {
        const auto& vi = *g->engine->instances()[i].config;
        if (vi.unicast_src_ip || vi.mcast_src_ip) {
            continue;
        }
        auto it = primary.find(vi.interface);
        if (it == primary.end()) {
            it = primary.emplace(vi.interface, g->io->primary_of(vi)).first;
        }
        const conf::Ip now = it->second;
        if (now != g->engine->instances()[i].fsm->config().primary) {
            g->engine->set_primary(i, now);
        }
    }
}

bool Daemon::has_source(size_t inst) const
{
    const conf::Ip& ip = _gen->engine->instances()[inst].fsm->config().primary;
    return ip.family != 0 && std::any_of(ip.bytes.begin(), ip.bytes.end(), [](uint8_t b) { return b != 0; });
}

void Daemon::start_scripts()
{
    const auto& cfg = _gen->loaded->config;
    for (size_t i = 0; i < cfg.scripts.size(); ++i) {
        _gen->script_timers.push_back(std::make_unique<asio::steady_timer>(_io));
        run_script(i);
    }
}

void Daemon::run_script(size_t idx)
{
    const uint64_t gid = _gen->id;
    const auto& s0 = _gen->loaded->config.scripts[idx];
    const auto timeout = std::chrono::microseconds(s0.timeout_us ? s0.timeout_us : s0.interval_us);
    if (!s0.exec) {
        return;  // validation keeps only scripts it resolved; nothing else runs
    }
    control::run_script(_io, *s0.exec, {}, std::chrono::duration_cast<std::chrono::milliseconds>(timeout), [this, gid, idx](ScriptResult r) {
        if (gid != _gen->id) {
            return;  // a reload replaced this generation
        }
        Generation* g = _gen.get();
        const auto& s = g->loaded->config.scripts[idx];
        const bool ok = r.spawned && !r.timed_out && r.exit_status == 0;
        bool& current = g->script_ok[s.name];
        int& streak = g->script_streak[s.name];
        if (ok == current) {
            streak = 0;
        } else if (++streak >= (ok ? s.rise : s.fall)) {
            current = ok;
            streak = 0;
            if (ok) {
                vlog::info("VRRP_Script({}) succeeded", s.name);
            } else if (r.timed_out) {
                vlog::info("VRRP_Script({}) timed out", s.name);
            } else {
                vlog::info("VRRP_Script({}) failed (exited with status {})", s.name, r.exit_status);
            }
            update_tracking();
            rearm();
        }
        auto& t = *g->script_timers[idx];
        t.expires_after(std::chrono::microseconds(s.interval_us));
        t.async_wait([this, gid, idx](const boost::system::error_code& ec) {
            if (!ec && gid == _gen->id) {
                run_script(idx);
            }
        });
    });
}

// keepalived's tracking arithmetic: a positive weight adds while the tracked thing is up/succeeding,
// a negative one subtracts while it is down/failing, no weight (or 0) means FAULT while it is down.
void Daemon::update_tracking()
{
    const auto& cfg = _gen->loaded->config;
    const auto now = vrrp::Clock::now();
    for (size_t i = 0; i < _gen->engine->instances().size(); ++i) {
        const auto& vi = *_gen->engine->instances()[i].config;
        int sum = 0;
        bool fault = false;
        auto track = [&](bool good, int weight, bool reverse) {
            if (reverse) {
                good = !good;
            }
            if (weight == 0) {
                fault = fault || !good;
            } else if (weight > 0 && good) {
                sum += weight;
            } else if (weight < 0 && !good) {
                sum += weight;
            }
        };
        const bool initial = _gen->engine->instances()[i].fsm->state() == State::init;
        if (!vi.dont_track_primary) {
            track(_gen->link_up[vi.interface], 0, false);
        }
        // An interface that does not exist (dynamic_interfaces) has no VRRP socket; without an IPv4
        // address there is no source for adverts. keepalived faults the instance for either.
        if (!_gen->io->has_transport(vi.interface) || (!vi.dont_track_primary && !_gen->link_up[vi.interface])) {
            fault = true;
            if (initial) {
                vlog::info("({}): entering FAULT state (interface {} down)", vi.name, vi.interface);
            }
        }
        if (!has_source(i)) {
            fault = true;
            if (initial) {
                vlog::info("({}) entering FAULT state (no IPv4 address for interface)", vi.name);
            }
        }
        for (const auto& t : vi.track_interfaces) {
            track(_gen->link_up[t.name], t.weight.value_or(0), t.reverse);
        }
        const conf::SyncGroup* sg = nullptr;
        for (const auto& g : cfg.sync_groups) {
            if (g.name == vi.sync_group) {
                sg = &g;
            }
        }
        for (const auto* refs : {&vi.track_scripts, sg ? &sg->track_scripts : nullptr}) {
            if (refs == nullptr) {
                continue;
            }
            for (const auto& t : *refs) {
                for (const auto& s : cfg.scripts) {
                    if (s.name == t.name) {
                        track(_gen->script_ok[s.name], t.weight.value_or(s.weight), t.reverse || (!t.noreverse && s.weight_reverse));
                    }
                }
            }
        }
        // track_file: the value times the weight, within keepalived's limits (see track_file.h). A sync
        // group's files count for each member that does not track them itself.
        for (const auto* refs : {&vi.track_files, sg ? &sg->track_files : nullptr}) {
            if (refs == nullptr) {
                continue;
            }
            for (const auto& t : *refs) {
                auto it = _gen->file_value.find(t.name);
                if (it == _gen->file_value.end()) {
                    continue;  // dropped at start (its directory does not exist)
                }
                if (refs != &vi.track_files &&
                    std::any_of(vi.track_files.begin(), vi.track_files.end(), [&](const conf::TrackRef& r) { return r.name == t.name; })) {
                    continue;
                }
                const auto* f = find_track_file(cfg, t.name);
                const int w = t.weight.value_or(f->weight);
                const auto e = track_file_effect(it->second, w, t.reverse || (!t.noreverse && f->weight_reverse));
                if (e.fault && initial) {
                    vlog::info("({}): entering FAULT state (tracked file {} has status {})", vi.name, t.name,
                               w == 0 ? -254 : it->second * w * (t.reverse || (!t.noreverse && f->weight_reverse) ? -1 : 1));
                }
                fault = fault || e.fault;
                sum += e.delta;
            }
        }
        _gen->engine->set_tracking(i, sum, fault, now);
    }
}

void Daemon::notify(size_t inst, State, State to)
{
    const auto& cfg = _gen->loaded->config;
    const auto& vi = *_gen->engine->instances()[inst].config;
    const conf::Command* specific = nullptr;
    switch (to) {
    case State::master: specific = &vi.notify.master; break;
    case State::backup: specific = &vi.notify.backup; break;
    case State::fault: specific = &vi.notify.fault; break;
    case State::stop: specific = &vi.notify.stop; break;
    case State::init: break;
    }
    // One queue per instance and per group: its scripts run one at a time, in the order of the
    // transitions (keepalived's notify_fifo guarantee), the specific script before `notify`.
    auto spawn = [&](const std::string& key, const conf::Command& cmd, std::vector<std::string> extra) {
        if (cmd.exec) {
            _notify_queue.run(key, *cmd.exec, std::move(extra), std::chrono::seconds(30));
        }
    };
    if (specific != nullptr) {
        spawn("I " + vi.name, *specific, {});
    }
    const int prio = _gen->engine->instances()[inst].fsm->priority();
    spawn("I " + vi.name, vi.notify.notify, {"INSTANCE", vi.name, std::string(vrrp::to_string(to)), std::to_string(prio)});
    // A sync group notifies once all its members are in the new state.
    for (const auto& g : cfg.sync_groups) {
        if (g.name != vi.sync_group) {
            continue;
        }
        bool all = true;
        for (const auto& m : _gen->engine->instances()) {
            if (m.config->sync_group == g.name && m.fsm->state() != to) {
                all = false;
            }
        }
        if (!all) {
            continue;
        }
        const conf::Command* gs = to == State::master ? &g.notify.master : to == State::backup ? &g.notify.backup
                                : to == State::fault  ? &g.notify.fault  : to == State::stop   ? &g.notify.stop : nullptr;
        if (gs != nullptr) {
            spawn("G " + g.name, *gs, {});
        }
        // keepalived: the priority is 0 for a group
        spawn("G " + g.name, g.notify.notify, {"GROUP", g.name, std::string(vrrp::to_string(to)), "0"});
    }
}

// Written as keepalived 2.0.11+ does after CVE-2018-19044: never through a symlink, never readable by
// others.
// The forwarding table for what is true now: the config, the checkers' view and the VIPs of the
// instances that are MASTER.
void Daemon::publish()
{
    if (_dp == nullptr || !_gen) {
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
    _forwarding.publish(*_dp, _gen->loaded->config, _gen->checks ? _gen->checks->live() : as_configured, owned);
}

void Daemon::poll_dataplane()
{
    const size_t n = _dp->poll([this](const std::string& ifname, std::span<const uint8_t> packet) {
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

void Daemon::write_stats()
{
    std::string text = _gen->engine->stats();
    if (_dp != nullptr) {
        text += _dp->stats();
    }
    int fd = ::open(_opts.stats_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        vlog::error(fmt::format("cannot write statistics to {}: {}", _opts.stats_file, std::strerror(errno)));
        return;
    }
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        vlog::error(fmt::format("short write of statistics to {}", _opts.stats_file));
    }
    ::close(fd);
}

void Daemon::on_signal(int sig)
{
    if (sig == SIGUSR2) {
        write_stats();
        _signals.async_wait([this](const boost::system::error_code& ec, int s) {
            if (!ec) {
                on_signal(s);
            }
        });
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
        _signals.async_wait([this](const boost::system::error_code& ec, int s) {
            if (!ec) {
                on_signal(s);
            }
        });
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

int Daemon::run()
{
    vlog::init(_opts.console_log, _opts.detail);
    vlog::line(fmt::format("Starting vipd {} ({})", VIPD_VERSION, _dp != nullptr ? _dp->name() + " dataplane" : std::string("kernel mode")));
    auto loaded = load();
    if (!loaded) {
        vlog::error(fmt::format("{}: configuration cannot run - exiting", _opts.config_path));
        return 1;
    }
    std::string why;
    if (!_opts.pid_file.empty()) {
        _pid_lock = LockFile::take(_opts.pid_file, true, why);
        if (!_pid_lock.held()) {
            vlog::error(fmt::format("another vipd is running ({}) - exiting", why));
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
            vlog::error(fmt::format("another vipd runs an instance on {} ({}) - exiting", n, why));
            return 1;
        }
    }
    try {
        _nl = std::make_unique<kernel::Netlink>();
    } catch (const std::exception& e) {
        vlog::error(fmt::format("netlink: {}", e.what()));
        return 1;
    }
    // A predecessor killed with SIGKILL may have left its drop rules: they would keep this node from
    // answering for VIPs it is about to own. Deleted before anything starts.
    const auto& g = loaded->config.global;
    _firewall = std::make_unique<kernel::Firewall>(g.nftables_table, g.nftables_priority, g.nftables_counters);
    _firewall->remove_stale();
    if (_dp != nullptr) {
        if (auto started = _dp->start(loaded->config); !started) {
            vlog::error(fmt::format("{} dataplane: {}", _dp->name(), started.error()));
            _dp->stop();
            return 1;
        }
    }
    _link_events = std::make_unique<asio::posix::stream_descriptor>(_io, dup_cloexec(_nl->monitor_fd()));
    watch_links();
    if (!start_generation(std::move(loaded), nullptr)) {
        if (_dp != nullptr) {
            _dp->stop();
        }
        return 1;
    }
    if (_dp != nullptr) {
        poll_dataplane();
    }
    _signals.async_wait([this](const boost::system::error_code& ec, int s) {
        if (!ec) {
            on_signal(s);
        }
    });
    // An exception that escapes a handler ends vipd cleanly: logged, priority 0 sent, VIPs removed,
    // the dataplane stopped and the interfaces given back, as on SIGTERM.
    bool failed = false;
    try {
        _io.run();
    } catch (const std::exception& e) {
        vlog::error(fmt::format("internal error: {} - stopping", e.what()));
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
    if (_dp != nullptr) {
        _dp->stop();
    }
    return _exit_code;
}

} // namespace

int run_daemon(const DaemonOptions& opts)
{
    Daemon d(opts);
    return d.run();
}

} // namespace control

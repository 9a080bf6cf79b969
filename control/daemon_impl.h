// The daemon's state, shared by the files it is split into by job: daemon.cc (generations, signals,
// run), links.cc (VRRP sockets, link events), trackers.cc (scripts, track files, tracking) and notify.cc.
// Internal to control/: nothing outside includes it.
#pragma once

#include "conf/parser.h"
#include "control/check/check.h"
#include "control/daemon.h"
#include "control/forwarding.h"
#include "control/kernel/firewall.h"
#include "control/kernel/netlink.h"
#include "control/kernel/vrrp_io.h"
#include "control/lock_file.h"
#include "control/notify_fifo.h"
#include "control/process.h"
#include "control/track_file.h"
#include "control/vrrp/engine.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace control::detail {

namespace asio = boost::asio;

// asio owns (and closes) its own copy of a descriptor. `dup` would clear FD_CLOEXEC, and the copy of
// the raw VRRP socket would reach every script vipd runs.
inline int dup_cloexec(int fd)
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
    // The health checkers (for a dataplane that forwards: kernel mode has no IPVS to tell).
    std::unique_ptr<check::Manager> checks;
};

class Daemon {
public:
    explicit Daemon(const DaemonOptions& opts)
        : _opts(opts), _dp(*opts.dataplane), _timer(_io), _dp_timer(_io), _signals(_io, SIGTERM, SIGINT, SIGHUP), _stop_timer(_io)
    {
        _signals.add(SIGUSR2);
    }

    int run();

private:
    // daemon.cc
    std::unique_ptr<conf::Loaded> load();
    bool start_generation(std::unique_ptr<conf::Loaded> loaded, Generation* previous);
    void rearm();
    void wait_signal();
    void on_signal(int sig);
    void write_stats();
    void publish();
    void poll_dataplane();
    // links.cc
    void read_socket(const std::string& ifname);
    void watch_links();
    void reconcile_links();
    bool has_source(size_t inst) const;
    // trackers.cc
    void start_scripts();
    void run_script(size_t idx);
    void init_track_files(const conf::Config& cfg, bool reload);
    void watch_track_files(Generation& g);
    void read_track_files();
    void update_tracking();
    // notify.cc
    void notify(size_t inst, vrrp::State from, vrrp::State to);
    void open_fifos(const conf::Config& cfg);
    bool drop_privileges();  // after start: see control/privileges.h
    void lvs_event(std::string_view line);

    DaemonOptions _opts;
    Dataplane& _dp;          // kernel mode's too (kernel::make_kernel_dataplane): never null
    Forwarding _forwarding;  // builds the snapshot that _dp applies
    asio::io_context _io;
    asio::steady_timer _timer;
    asio::steady_timer _dp_timer;  // the dataplane's exception path and VRRP hand-over, every millisecond
    asio::signal_set _signals;
    asio::steady_timer _stop_timer;
    // Runs every script once vipd has dropped its capabilities; outlives everything that runs them.
    std::unique_ptr<control::ScriptBroker> _broker;
    control::ScriptQueue _notify_queue{_io, 16};  // notify scripts: serial per instance, 16 at once in all
    struct Fifo {
        std::unique_ptr<control::NotifyFifo> fifo;
        bool vrrp = false;  // gets the instances' and groups' lines (notify_fifo, vrrp_notify_fifo)
        bool lvs = false;   // gets the checkers' lines (notify_fifo, lvs_notify_fifo)
    };
    std::vector<Fifo> _fifos;  // kept across reloads that leave them as they are
    std::string _fifos_key;
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

} // namespace control::detail

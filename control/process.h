// Runs notify, track and check scripts without blocking the control thread: posix_spawn (a vfork,
// never a fork of the multi-threaded dataplane process) of vipd-script (control/app/script_exec.cc),
// which takes the script's user and group and execs it, either from vipd (the child's pidfd waited on
// by Boost.Asio) or, in the daemon, from the script broker vipd started before it dropped its
// capabilities (its messages read by Boost.Asio); a timeout kills the script's process group. Scripts run as validation resolved them
// (conf::Exec): the file argv[0] resolved to, the user and group, a clean environment, as keepalived
// runs them.
#pragma once

#include "conf/model.h"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace control {

struct ScriptResult {
    bool spawned = false;
    bool timed_out = false;
    int exit_status = -1;  // WEXITSTATUS, or 128+signal
};

/// A started script, for stop_script(); 0: none.
using ScriptId = uint64_t;

// Spawns `exec` with `extra` appended to its words (notify's INSTANCE NAME STATE PRIORITY): the
// resolved path exec'ed directly (a file without `#!` through /bin/sh, as execvp does), or a `</path`
// test through /bin/sh -c. `done` runs on the io_context's thread when the script ends (at once, from
// here or from the loop, when it could not start). The script has a process group of its own: a
// timeout kills it whole. `die_with_vipd`: the script gets SIGTERM if vipd dies (a long-running one,
// such as a notify FIFO's reader). Returns 0 when it could not even be asked for.
ScriptId run_script(boost::asio::io_context& io, const conf::Exec& exec, const std::vector<std::string>& extra,
                    std::chrono::milliseconds timeout, std::function<void(ScriptResult)> done, bool die_with_vipd = false);
// The script's process group gets SIGTERM unless the script ends within `grace` (its `done` still runs).
void stop_script(ScriptId id, std::chrono::milliseconds grace);

// The vipd-script that run_script starts: $VIPD_SCRIPT_HELPER, else the one beside the running
// binary (the build tree), else the installed one in VIPD_LIBEXECDIR; empty if none can be run.
const std::string& script_helper();

// The script broker (review M12; control/app/script_exec.cc says what it is): while one is held, every
// run_script goes through it, so vipd can drop its capabilities and scripts still run with root's.
// Without one, run_script posix_spawn()s vipd-script itself. Start it before the process has a second
// thread; it ends when this is destroyed or vipd dies. If the broker dies, scripts fail to start (logged).
class ScriptBroker {
public:
    static std::unique_ptr<ScriptBroker> start(boost::asio::io_context& io, std::string& why);
    ~ScriptBroker();
    ScriptBroker(const ScriptBroker&) = delete;
    ScriptBroker& operator=(const ScriptBroker&) = delete;
    int pid() const { return _pid; }

    struct Impl;

private:
    ScriptBroker(std::shared_ptr<Impl> impl, int pid) : _impl(std::move(impl)), _pid(pid) {}
    std::shared_ptr<Impl> _impl;
    int _pid;
};

// Notify scripts as keepalived orders them: those of one key (an instance, a sync group) run one at a
// time in the order queued, and at most `limit` run at once in all, so a flapping instance makes a
// queue, not a fork storm, and a MASTER script cannot finish before the BACKUP one before it.
class ScriptQueue {
public:
    ScriptQueue(boost::asio::io_context& io, size_t limit) : _io(io), _limit(limit) {}

    void run(const std::string& key, const conf::Exec& exec, std::vector<std::string> extra,
             std::chrono::milliseconds timeout, std::function<void(ScriptResult)> done = {});
    bool idle() const { return _running == 0 && _queued == 0; }
    // `f` runs once, when nothing is queued or running (at once if that is now).
    void when_idle(std::function<void()> f);
    size_t running() const { return _running; }

private:
    struct Job {
        conf::Exec exec;
        std::vector<std::string> extra;
        std::chrono::milliseconds timeout;
        std::function<void(ScriptResult)> done;
    };
    struct Lane {
        std::deque<Job> jobs;
        bool busy = false;
    };
    void pump();

    boost::asio::io_context& _io;
    size_t _limit;
    size_t _running = 0;
    size_t _queued = 0;
    std::map<std::string, Lane> _lanes;
    std::deque<std::string> _ready;  // lanes with a job and none running, in the order they became so
    std::vector<std::function<void()>> _idle;
};

} // namespace control

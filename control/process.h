// Runs notify, track and check scripts without blocking the control thread: posix_spawn (a vfork,
// never a fork of the multi-threaded dataplane process) of vipd-script (control/app/script_exec.cc),
// which takes the script's user and group and execs it; then the child's pidfd waited on by
// Boost.Asio; a timeout kills the script's process group. Scripts run as validation resolved them
// (conf::Exec): the file argv[0] resolved to, the user and group, a clean environment, as keepalived
// runs them.
#pragma once

#include "conf/model.h"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace control {

struct ScriptResult {
    bool spawned = false;
    bool timed_out = false;
    int exit_status = -1;  // WEXITSTATUS, or 128+signal
};

// Spawns `exec` with `extra` appended to its words (notify's INSTANCE NAME STATE PRIORITY): the
// resolved path exec'ed directly (a file without `#!` through /bin/sh, as execvp does), or a `</path`
// test through /bin/sh -c. `done` runs on the io_context's thread when the script ends. Returns the
// script's process id, which is also its process group's (0: it did not start). `die_with_vipd`: the
// script gets SIGTERM if vipd dies (a long-running one, such as a notify FIFO's reader).
int run_script(boost::asio::io_context& io, const conf::Exec& exec, const std::vector<std::string>& extra,
               std::chrono::milliseconds timeout, std::function<void(ScriptResult)> done, bool die_with_vipd = false);

// The vipd-script that run_script starts: $VIPD_SCRIPT_HELPER, else the one beside the running
// binary (the build tree), else the installed one in VIPD_LIBEXECDIR; empty if none can be run.
const std::string& script_helper();

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

// Script runner: posix_spawn of vipd-script + pidfd + asio, bounded by a timeout; and the notify queue.
#include "control/process.h"

#include "control/log.h"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

namespace control {

namespace {

struct Running {
    Running(boost::asio::io_context& io, int fd) : pidfd(io, fd), timer(io) {}
    boost::asio::posix::stream_descriptor pidfd;
    boost::asio::steady_timer timer;
    pid_t pid = -1;
    bool timed_out = false;
    std::function<void(ScriptResult)> done;
};

// keepalived's cmd_str: a `<`/`>` first word as written, every other word single-quoted.
std::string shell_line(const std::vector<std::string>& words)
{
    std::string out;
    for (size_t i = 0; i < words.size(); ++i) {
        if (i != 0) {
            out += ' ';
        }
        if (i == 0 && !words[i].empty() && (words[i][0] == '<' || words[i][0] == '>')) {
            out += words[i];
            continue;
        }
        out += '\'';
        for (char c : words[i]) {
            out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        out += '\'';
    }
    return out;
}

} // namespace

const std::string& script_helper()
{
    static const std::string path = [] {
        const auto runs = [](const std::string& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0; };
        if (const char* env = std::getenv("VIPD_SCRIPT_HELPER"); env != nullptr && runs(env)) {
            return std::string(env);
        }
        std::error_code ec;
        const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
        if (!ec && runs((self.parent_path() / "vipd-script").string())) {
            return (self.parent_path() / "vipd-script").string();
        }
        const std::string installed = std::string(VIPD_LIBEXECDIR) + "/vipd-script";
        return runs(installed) ? installed : std::string();
    }();
    return path;
}

int run_script(boost::asio::io_context& io, const conf::Exec& exec, const std::vector<std::string>& extra,
               std::chrono::milliseconds timeout, std::function<void(ScriptResult)> done, bool die_with_vipd)
{
    std::vector<std::string> words = exec.argv;
    words.insert(words.end(), extra.begin(), extra.end());
    if (words.empty()) {
        done({});
        return 0;
    }
    const std::string& helper = script_helper();
    if (helper.empty()) {
        vlog::error("Unable to run script '{}': vipd-script not found beside vipd, in {} or in $VIPD_SCRIPT_HELPER",
                    words[0], VIPD_LIBEXECDIR);
        done({});
        return 0;
    }
    // vipd-script UID GID PDEATHSIG PARENT FILE ARGV...: it takes the user and group, then execs the
    // file (through /bin/sh if it has no #!), or /bin/sh -c for a `</path` test.
    std::string line;
    std::vector<std::string> head = {helper, std::to_string(exec.uid), std::to_string(exec.gid),
                                     std::to_string(die_with_vipd ? SIGTERM : 0), std::to_string(::getpid())};
    std::vector<const char*> argv;
    for (const std::string& h : head) {
        argv.push_back(h.c_str());
    }
    if (exec.path.empty()) {
        line = shell_line(words);
        argv.insert(argv.end(), {"/bin/sh", "/bin/sh", "-c", line.c_str()});
    } else {
        argv.push_back(exec.path.c_str());
        for (const std::string& w : words) {
            argv.push_back(w.c_str());
        }
    }
    argv.push_back(nullptr);
    static const char* envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", nullptr};
    // A vfork (glibc's posix_spawn clones with CLONE_VM | CLONE_VFORK): the control thread waits
    // until the helper has exec'd, and vipd's memory is never shared copy-on-write with a child. The
    // script gets a process group of its own (the timeout kills it whole), every signal at its
    // default and none blocked, and nothing of vipd's beyond stdin, stdout and stderr, whatever a
    // library opened without close-on-exec (raw sockets, netlink, inotify).
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    ::posix_spawnattr_init(&attr);
    ::posix_spawn_file_actions_init(&actions);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    ::posix_spawnattr_setpgroup(&attr, 0);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &all);
    ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, helper.c_str(), &actions, &attr, const_cast<char* const*>(argv.data()),
                                 const_cast<char* const*>(envp));
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        vlog::error("Unable to run script '{}': {}: {}", words[0], helper, std::strerror(rc));
        done({});
        return 0;
    }
    // glibc 2.36's <sys/pidfd.h> lacks C linkage for C++; the system call is stable since Linux 5.3.
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        done({.spawned = true, .timed_out = false, .exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)});
        return 0;
    }
    auto r = std::make_shared<Running>(io, fd);
    r->pid = pid;
    r->done = std::move(done);
    r->timer.expires_after(timeout);
    r->timer.async_wait([r](const boost::system::error_code& ec) {
        if (!ec) {
            r->timed_out = true;
            ::kill(-r->pid, SIGKILL);  // the whole process group: a script's children go too
        }
    });
    r->pidfd.async_wait(boost::asio::posix::stream_descriptor::wait_read, [r](const boost::system::error_code&) {
        int status = 0;
        ::waitpid(r->pid, &status, 0);
        r->timer.cancel();
        ScriptResult res{.spawned = true, .timed_out = r->timed_out,
                         .exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
        auto cb = std::move(r->done);
        cb(res);
    });
    return pid;
}

void ScriptQueue::run(const std::string& key, const conf::Exec& exec, std::vector<std::string> extra,
                      std::chrono::milliseconds timeout, std::function<void(ScriptResult)> done)
{
    auto& lane = _lanes[key];
    if (lane.jobs.empty() && !lane.busy) {
        _ready.push_back(key);
    }
    lane.jobs.push_back({exec, std::move(extra), timeout, std::move(done)});
    ++_queued;
    pump();
}

void ScriptQueue::when_idle(std::function<void()> f)
{
    if (idle()) {
        f();
        return;
    }
    _idle.push_back(std::move(f));
}

void ScriptQueue::pump()
{
    while (_running < _limit && !_ready.empty()) {
        const std::string key = _ready.front();
        _ready.pop_front();
        auto& lane = _lanes[key];
        Job job = std::move(lane.jobs.front());
        lane.jobs.pop_front();
        lane.busy = true;
        --_queued;
        ++_running;
        run_script(_io, job.exec, job.extra, job.timeout, [this, key, done = std::move(job.done)](ScriptResult r) {
            --_running;
            auto& l = _lanes[key];
            l.busy = false;
            if (!l.jobs.empty()) {
                _ready.push_back(key);
            } else {
                _lanes.erase(key);
            }
            if (done) {
                done(r);
            }
            pump();
            if (idle()) {
                auto fs = std::move(_idle);
                _idle.clear();
                for (auto& f : fs) {
                    f();
                }
            }
        });
    }
}

} // namespace control

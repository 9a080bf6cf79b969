// Script runner: fork/exec + pidfd + asio, bounded by a timeout; and the notify queue.
#include "control/process.h"

#include "control/log.h"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cerrno>
#include <grp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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

int run_script(boost::asio::io_context& io, const conf::Exec& exec, const std::vector<std::string>& extra,
               std::chrono::milliseconds timeout, std::function<void(ScriptResult)> done, bool die_with_vipd)
{
    std::vector<std::string> words = exec.argv;
    words.insert(words.end(), extra.begin(), extra.end());
    if (words.empty()) {
        done({});
        return 0;
    }
    // Everything the child needs is built here: between fork and exec it calls only async-signal-safe
    // functions (the process may be multi-threaded under the EAL).
    std::string line;
    std::vector<const char*> argv, sh_argv;
    if (exec.path.empty()) {
        line = shell_line(words);
        argv = {"/bin/sh", "-c", line.c_str(), nullptr};
    } else {
        argv.push_back(words[0].c_str());
        sh_argv = {"/bin/sh", exec.path.c_str()};
        for (size_t i = 1; i < words.size(); ++i) {
            argv.push_back(words[i].c_str());
            sh_argv.push_back(words[i].c_str());
        }
        argv.push_back(nullptr);
        sh_argv.push_back(nullptr);
    }
    const char* file = exec.path.empty() ? "/bin/sh" : exec.path.c_str();
    static const char* envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", nullptr};
    const uid_t uid = exec.uid;
    const gid_t gid = exec.gid;
    // Only root can become another user; vipd run unprivileged (tests) runs scripts as itself.
    const bool privileged = ::geteuid() == 0;
    pid_t pid = ::fork();
    if (pid < 0) {
        vlog::error("Unable to run script '{}': fork failed", words[0]);
        done({});
        return 0;
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        if (die_with_vipd) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        }
        // Always: the supplementary groups become the script's group alone (root's are not kept),
        // then the group, then the user, as keepalived 2.2.7's set_privileges.
        if (privileged && (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) {
            ::_exit(126);
        }
        // Nothing of vipd's beyond stdin, stdout and stderr reaches a script, whatever a library
        // opened without close-on-exec (raw sockets, netlink, inotify).
        ::close_range(3, ~0U, 0);
        ::execve(file, const_cast<char* const*>(argv.data()), const_cast<char* const*>(envp));
        if (errno == ENOEXEC && !exec.path.empty()) {
            ::execve("/bin/sh", const_cast<char* const*>(sh_argv.data()), const_cast<char* const*>(envp));
        }
        ::_exit(errno == ENOENT ? 127 : 126);
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

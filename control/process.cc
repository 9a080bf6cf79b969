// Script runner: posix_spawn + pidfd + asio, bounded by a timeout.
#include "control/process.h"

#include "control/log.h"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/syscall.h>
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

} // namespace

void run_script(boost::asio::io_context& io, const std::string& command, const std::string& user,
                std::chrono::milliseconds timeout, std::function<void(ScriptResult)> done)
{
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    if (!user.empty()) {
        const passwd* pw = ::getpwnam(user.c_str());
        if (pw == nullptr) {
            vlog::error(fmt::format("Unable to run script '{}': no user '{}'", command, user));
            done({});
            return;
        }
        uid = pw->pw_uid;
        gid = pw->pw_gid;
    }
    // The child drops privileges before exec; posix_spawn cannot, so fork here (the control thread is
    // single-threaded, and the child only calls async-signal-safe functions before exec).
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    static const char* envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", nullptr};
    pid_t pid = ::fork();
    if (pid < 0) {
        vlog::error(fmt::format("Unable to run script '{}': fork failed", command));
        done({});
        return;
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        if (gid != ::getgid() && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0)) {
            ::_exit(126);
        }
        if (uid != ::getuid() && ::setuid(uid) != 0) {
            ::_exit(126);
        }
        // Nothing of vipd's beyond stdin, stdout and stderr reaches a script, whatever a library
        // opened without close-on-exec (raw sockets, netlink, inotify).
        ::close_range(3, ~0U, 0);
        ::execve("/bin/sh", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
        ::_exit(127);
    }
    // glibc 2.36's <sys/pidfd.h> lacks C linkage for C++; the system call is stable since Linux 5.3.
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        done({.spawned = true, .timed_out = false, .exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)});
        return;
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
}

} // namespace control

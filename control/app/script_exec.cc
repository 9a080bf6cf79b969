// vipd-script: how vipd starts every script (notify, track, MISC_CHECK, quorum; review M6), in one of
// two ways.
//
//   vipd-script UID GID PDEATHSIG PARENT FILE ARGV0 [ARG...]
//
// vipd posix_spawn()s this, a vfork of the control thread (no copy of vipd's page tables, so the
// lcores never fault on pages a child would share, and nothing of vipd runs in a half-made child). It
// takes the script's user and group, as keepalived 2.2.7's set_privileges does, then becomes the
// script. As root: the supplementary groups become GID alone, then GID, then UID; run by anyone else
// (an unprivileged vipd, the tests) it stays who it is. PDEATHSIG (0: none) is sent to the script if
// its parent (PARENT) dies; it is set after the change of user, which clears it, and a parent already
// gone ends it at once. A FILE without `#!` runs through /bin/sh, as execvp does. Exit 126: the script
// could not be run; 127: FILE does not exist. The environment is the one it was given (PATH alone).
//
//   vipd-script --broker FD
//
// The script broker (review M12): vipd starts it before it drops its capabilities, and from then on
// asks it, over the SOCK_SEQPACKET socket FD (control/broker_wire.h), to start each script as above,
// to signal a script's process group, and reports each one's end. So vipd itself keeps only the
// capabilities its sockets and dataplane need, can no longer regain the rest by exec, and scripts
// still run as keepalived runs them: root's with root's capabilities, another user's with none. The
// broker is single-threaded and parses nothing but vipd's messages. It ends when vipd's end of the
// socket closes (vipd exited or died), once the stops asked for have had their grace; a script started
// with a PDEATHSIG then gets it.
#include "control/broker_wire.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <vector>

namespace {

bool number(const char* s, unsigned long& out)
{
    char* end = nullptr;
    errno = 0;
    out = std::strtoul(s, &end, 10);
    return errno == 0 && end != s && *end == '\0';
}

// Becomes the script: the user and group first, then the parent-death signal, then exec. Returns only
// on failure, with the exit status to use.
int become(uid_t uid, gid_t gid, int sig, pid_t parent, const char* file, char** script_argv)
{
    if (::geteuid() == 0 && (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) {
        return 126;
    }
    if (sig != 0 && (::prctl(PR_SET_PDEATHSIG, sig) != 0 || ::getppid() != parent)) {
        return 126;  // the parent died before the signal was armed
    }
    ::execv(file, script_argv);
    if (errno == ENOEXEC) {
        std::vector<char*> sh{const_cast<char*>("/bin/sh"), const_cast<char*>(file)};
        for (char** a = script_argv + 1; *a != nullptr; ++a) {
            sh.push_back(*a);
        }
        sh.push_back(nullptr);
        ::execv("/bin/sh", sh.data());
    }
    return errno == ENOENT ? 127 : 126;
}

int64_t now_ms()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

void reply(int fd, control::broker::Op op, uint64_t id, int32_t arg)
{
    const control::broker::Header h{.op = op, .arg = arg, .id = id, .uid = 0, .gid = 0};
    while (::send(fd, &h, sizeof h, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

// One `run` message: forks (this process is single-threaded) and the child becomes the script in a
// process group of its own, every signal at its default and none blocked, no descriptor but 0-2.
pid_t start(const control::broker::Header& h, const char* payload, size_t len)
{
    std::vector<char*> words;
    for (size_t at = 0; at < len;) {
        const void* nul = std::memchr(payload + at, '\0', len - at);
        if (nul == nullptr) {
            return 0;  // not NUL-terminated: refused
        }
        words.push_back(const_cast<char*>(payload + at));
        at = static_cast<size_t>(static_cast<const char*>(nul) - payload) + 1;
    }
    if (words.size() < 2 || h.arg < 0 || h.arg >= NSIG) {
        return 0;  // FILE and ARGV0 at least
    }
    const char* file = words[0];
    words.erase(words.begin());
    words.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        for (int s = 1; s < NSIG; ++s) {
            ::signal(s, SIG_DFL);
        }
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::closefrom(3);
        ::_exit(become(h.uid, h.gid, h.arg, parent, file, words.data()));
    }
    if (pid > 0) {
        ::setpgid(pid, pid);  // also here, so that a kill sent at once finds the group
    }
    return pid > 0 ? pid : 0;
}

int broker(int fd)
{
    // vipd's death closes the socket; this catches a broker left behind by any other way too.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &chld, nullptr);
    const int sfd = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        return 1;
    }
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);  // ^C in vipd's terminal: vipd stops, and then this
    std::map<uint64_t, pid_t> children;   // started and not reaped
    std::map<pid_t, uint64_t> ids;
    std::map<uint64_t, int64_t> deadlines;  // stop: SIGTERM at this time unless reaped
    std::vector<char> buf(control::broker::max_message);
    bool closed = false;  // vipd's end: the broker stays only for the stops' graces
    for (;;) {
        if (closed && deadlines.empty()) {
            return 0;
        }
        int timeout = -1;
        if (!deadlines.empty()) {
            int64_t first = INT64_MAX;
            for (const auto& [id, at] : deadlines) {
                first = std::min(first, at);
            }
            timeout = static_cast<int>(std::max<int64_t>(0, first - now_ms()));
        }
        pollfd pfd[2] = {{.fd = closed ? -1 : fd, .events = POLLIN, .revents = 0},
                         {.fd = sfd, .events = POLLIN, .revents = 0}};
        if (::poll(pfd, 2, timeout) < 0 && errno != EINTR) {
            return 1;
        }
        if ((pfd[1].revents & POLLIN) != 0) {
            signalfd_siginfo si{};
            while (::read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
            }
            int status = 0;
            for (pid_t p; (p = ::waitpid(-1, &status, WNOHANG)) > 0;) {
                if (auto it = ids.find(p); it != ids.end()) {
                    reply(fd, control::broker::Op::exited, it->second, status);
                    children.erase(it->second);
                    deadlines.erase(it->second);
                    ids.erase(it);
                }
            }
        }
        for (auto it = deadlines.begin(); it != deadlines.end();) {
            if (it->second <= now_ms()) {
                if (auto c = children.find(it->first); c != children.end()) {
                    ::kill(-c->second, SIGTERM);
                }
                it = deadlines.erase(it);
            } else {
                ++it;
            }
        }
        if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
            continue;
        }
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            closed = true;  // vipd is gone
            continue;
        }
        if (n < static_cast<ssize_t>(sizeof(control::broker::Header))) {
            continue;
        }
        control::broker::Header h{};
        std::memcpy(&h, buf.data(), sizeof h);
        switch (h.op) {
        case control::broker::Op::run: {
            const pid_t pid = start(h, buf.data() + sizeof h, static_cast<size_t>(n) - sizeof h);
            if (pid > 0) {
                children[h.id] = pid;
                ids[pid] = h.id;
            }
            reply(fd, control::broker::Op::started, h.id, pid);
            break;
        }
        case control::broker::Op::kill:
            if (auto c = children.find(h.id); c != children.end() && h.arg > 0 && h.arg < NSIG) {
                ::kill(-c->second, h.arg);
            }
            break;
        case control::broker::Op::stop:
            if (children.contains(h.id)) {
                deadlines[h.id] = now_ms() + std::max(0, h.arg);
            }
            break;
        default:
            break;
        }
    }
}

}  // namespace

int main(int argc, char** argv)
{
    unsigned long uid = 0, gid = 0, sig = 0, parent = 0;
    if (argc == 3 && std::strcmp(argv[1], "--broker") == 0) {
        unsigned long fd = 0;
        return number(argv[2], fd) ? broker(static_cast<int>(fd)) : 2;
    }
    if (argc < 7 || !number(argv[1], uid) || !number(argv[2], gid) || !number(argv[3], sig) ||
        !number(argv[4], parent) || sig >= NSIG) {
        return 126;
    }
    return become(static_cast<uid_t>(uid), static_cast<gid_t>(gid), static_cast<int>(sig),
                  static_cast<pid_t>(parent), argv[5], argv + 6);
}

// Script runner: posix_spawn of vipd-script + pidfd + asio, or the script broker's messages, bounded by
// a timeout; and the notify queue.
#include "control/process.h"

#include "control/broker_wire.h"
#include "control/log.h"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
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

namespace {

ScriptResult result_of(int status, bool timed_out)
{
    return {.spawned = true, .timed_out = timed_out,
            .exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
}

// The words vipd-script takes after its own: FILE ARGV0 [ARG...] (a `</path` test: /bin/sh -c LINE).
std::vector<std::string> script_words(const conf::Exec& exec, const std::vector<std::string>& extra)
{
    std::vector<std::string> words = exec.argv;
    words.insert(words.end(), extra.begin(), extra.end());
    if (words.empty()) {
        return words;
    }
    if (exec.path.empty()) {
        return {"/bin/sh", "/bin/sh", "-c", shell_line(words)};
    }
    words.insert(words.begin(), exec.path);
    return words;
}

// Ids of scripts the broker runs; below this, a ScriptId is the pid of one vipd spawned itself.
constexpr ScriptId first_broker_id = ScriptId{1} << 32;

ScriptBroker::Impl* g_broker = nullptr;  // the one held (control thread only)

} // namespace

struct ScriptBroker::Impl : std::enable_shared_from_this<ScriptBroker::Impl> {
    struct Job {
        explicit Job(boost::asio::io_context& io) : timer(io) {}
        boost::asio::steady_timer timer;
        bool timed_out = false;
        std::function<void(ScriptResult)> done;
    };

    Impl(boost::asio::io_context& io, int fd) : sock(io, fd) {}

    bool send(broker::Op op, ScriptId id, int32_t arg, const conf::Exec* exec = nullptr,
              const std::vector<std::string>* words = nullptr)
    {
        std::string msg(sizeof(broker::Header), '\0');
        const broker::Header h{.op = op, .arg = arg, .id = id, .uid = exec ? exec->uid : 0, .gid = exec ? exec->gid : 0};
        std::memcpy(msg.data(), &h, sizeof h);
        if (words != nullptr) {
            for (const std::string& w : *words) {
                msg.append(w.c_str(), w.size() + 1);  // a NUL inside a word ends it, as exec would
            }
        }
        if (msg.size() > broker::max_message) {
            return false;
        }
        // Blocking: the broker reads at once, and a message is small.
        return !gone && ::send(sock.native_handle(), msg.data(), msg.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(msg.size());
    }

    void read()
    {
        sock.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                        [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (ec || self->gone) {
                                return;
                            }
                            self->drain();
                        });
    }

    void drain()
    {
        for (;;) {
            broker::Header h{};
            const ssize_t n = ::recv(sock.native_handle(), &h, sizeof h, MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                break;
            }
            if (n <= 0) {
                lost();
                return;
            }
            if (n != static_cast<ssize_t>(sizeof h)) {
                continue;
            }
            auto it = jobs.find(h.id);
            if (it == jobs.end()) {
                continue;
            }
            if (h.op == broker::Op::started && h.arg <= 0) {
                auto job = it->second;
                jobs.erase(it);
                job->timer.cancel();
                vlog::error("Unable to run a script: the script broker could not start it");
                job->done({});
            } else if (h.op == broker::Op::exited) {
                auto job = it->second;
                jobs.erase(it);
                job->timer.cancel();
                job->done(result_of(h.arg, job->timed_out));
            }
        }
        read();
    }

    // The broker died (it is never stopped while vipd runs): what ran is reported failed.
    void lost()
    {
        if (gone) {
            return;
        }
        gone = true;
        vlog::error("the script broker (PID {}) is gone: no script can run from now on", pid);
        auto left = std::move(jobs);
        jobs.clear();
        for (auto& [id, job] : left) {
            job->timer.cancel();
            job->done({});
        }
    }

    boost::asio::posix::stream_descriptor sock;
    int pid = 0;
    bool gone = false;
    ScriptId next = first_broker_id;
    std::map<ScriptId, std::shared_ptr<Job>> jobs;
};

std::unique_ptr<ScriptBroker> ScriptBroker::start(boost::asio::io_context& io, std::string& why)
{
    const std::string& helper = script_helper();
    if (helper.empty()) {
        why = fmt::format("vipd-script not found beside vipd, in {} or in $VIPD_SCRIPT_HELPER", VIPD_LIBEXECDIR);
        return nullptr;
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        why = fmt::format("socketpair: {}", std::strerror(errno));
        return nullptr;
    }
    // The broker's end becomes its fd 3 (dup2 clears close-on-exec); nothing else of vipd's reaches it.
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, sv[1], 3);
    ::posix_spawn_file_actions_addclosefrom_np(&actions, 4);
    posix_spawnattr_t attr;
    ::posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &all);
    const char* argv[] = {helper.c_str(), "--broker", "3", nullptr};
    static const char* envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", nullptr};
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, helper.c_str(), &actions, &attr, const_cast<char* const*>(argv),
                                 const_cast<char* const*>(envp));
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
    ::close(sv[1]);
    if (rc != 0) {
        ::close(sv[0]);
        why = fmt::format("{}: {}", helper, std::strerror(rc));
        return nullptr;
    }
    auto impl = std::make_shared<Impl>(io, sv[0]);
    impl->pid = pid;
    impl->read();
    g_broker = impl.get();
    return std::unique_ptr<ScriptBroker>(new ScriptBroker(std::move(impl), pid));
}

ScriptBroker::~ScriptBroker()
{
    if (g_broker == _impl.get()) {
        g_broker = nullptr;
    }
    _impl->gone = true;
    _impl->jobs.clear();
    boost::system::error_code ignored;
    _impl->sock.close(ignored);  // the broker reads the end of the file and exits
    for (int i = 0; i < 250 && ::waitpid(_pid, nullptr, WNOHANG) == 0; ++i) {
        ::usleep(4000);
    }
    if (::waitpid(_pid, nullptr, WNOHANG) == 0) {
        ::kill(_pid, SIGKILL);
        ::waitpid(_pid, nullptr, 0);
    }
}

ScriptId run_script(boost::asio::io_context& io, const conf::Exec& exec, const std::vector<std::string>& extra,
                    std::chrono::milliseconds timeout, std::function<void(ScriptResult)> done, bool die_with_vipd)
{
    const std::vector<std::string> words = script_words(exec, extra);
    if (words.empty()) {
        done({});
        return 0;
    }
    const std::string& name = exec.argv.empty() ? extra.front() : exec.argv.front();
    const int pdeathsig = die_with_vipd ? SIGTERM : 0;
    if (ScriptBroker::Impl* b = g_broker; b != nullptr) {
        const ScriptId id = b->next++;
        if (!b->send(broker::Op::run, id, pdeathsig, &exec, &words)) {
            vlog::error("Unable to run script '{}': {}", name,
                        b->gone ? "the script broker is gone" : "the script broker did not take it");
            done({});
            return 0;
        }
        auto job = std::make_shared<ScriptBroker::Impl::Job>(io);
        job->done = std::move(done);
        b->jobs[id] = job;
        job->timer.expires_after(timeout);
        job->timer.async_wait([b = b->weak_from_this(), id, j = std::weak_ptr(job)](const boost::system::error_code& ec) {
            auto broker = b.lock();
            auto job = j.lock();
            if (!ec && broker && job) {
                job->timed_out = true;
                broker->send(broker::Op::kill, id, SIGKILL);  // the whole process group: a script's children go too
            }
        });
        return id;
    }
    const std::string& helper = script_helper();
    if (helper.empty()) {
        vlog::error("Unable to run script '{}': vipd-script not found beside vipd, in {} or in $VIPD_SCRIPT_HELPER",
                    name, VIPD_LIBEXECDIR);
        done({});
        return 0;
    }
    // vipd-script UID GID PDEATHSIG PARENT FILE ARGV...: it takes the user and group, then execs the
    // file (through /bin/sh if it has no #!), or /bin/sh -c for a `</path` test.
    std::vector<std::string> head = {helper, std::to_string(exec.uid), std::to_string(exec.gid),
                                     std::to_string(pdeathsig), std::to_string(::getpid())};
    std::vector<const char*> argv;
    for (const std::string& h : head) {
        argv.push_back(h.c_str());
    }
    for (const std::string& w : words) {
        argv.push_back(w.c_str());
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
        vlog::error("Unable to run script '{}': {}: {}", name, helper, std::strerror(rc));
        done({});
        return 0;
    }
    // glibc 2.36's <sys/pidfd.h> lacks C linkage for C++; the system call is stable since Linux 5.3.
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        done(result_of(status, false));
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
        auto cb = std::move(r->done);
        cb(result_of(status, r->timed_out));
    });
    return static_cast<ScriptId>(pid);
}

void stop_script(ScriptId id, std::chrono::milliseconds grace)
{
    if (id >= first_broker_id) {
        if (g_broker != nullptr && g_broker->jobs.contains(id)) {
            g_broker->send(broker::Op::stop, id, static_cast<int32_t>(grace.count()));
        }
        return;
    }
    const auto pid = static_cast<pid_t>(id);
    if (pid <= 0) {
        return;
    }
    for (auto waited = std::chrono::milliseconds(0); waited < grace && ::kill(-pid, 0) == 0;
         waited += std::chrono::milliseconds(4)) {
        ::usleep(4000);
    }
    ::kill(-pid, SIGTERM);
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

// What the VRRP instances track, run and watched for the daemon: vrrp_script runs with their rise and
// fall, track_file initialisation and inotify reads, and update_tracking, which feeds the states through
// the pure arithmetic of tracking.h into the engine.
#include "control/daemon_impl.h"
#include "control/log.h"
#include "control/tracking.h"

#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace control::detail {

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
                vlog::error("Cannot initialise track file {} - it is not a regular file", t.name);
                continue;
            }
            if (reload) {
                continue;
            }
        }
        const int fd = ::open(t.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        const std::string text = fmt::format("{}\n", *t.init_value);
        if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
            vlog::error("Unable to initialise track file {}", t.name);
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
                    const auto ref = resolve_file_ref(cfg, t);
                    if (!ref) {
                        continue;
                    }
                    const bool was = track_file_effect(it->second, ref->weight, ref->reverse).fault;
                    const bool now = track_file_effect(*c.value, ref->weight, ref->reverse).fault;
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

// The tracked states through keepalived's arithmetic (tracking.h), into the engine.
void Daemon::update_tracking()
{
    const auto& cfg = _gen->loaded->config;
    const auto now = vrrp::Clock::now();
    const TrackStates states{.link_up = _gen->link_up, .script_ok = _gen->script_ok, .file_value = _gen->file_value};
    for (size_t i = 0; i < _gen->engine->instances().size(); ++i) {
        const auto& vi = *_gen->engine->instances()[i].config;
        const Transport transport{.socket = _gen->io->has_transport(vi.interface), .source = has_source(i)};
        const Tracking t = track_instance(cfg, vi, transport, states);
        if (_gen->engine->instances()[i].fsm->state() == vrrp::State::init) {
            for (const auto& line : t.fault_lines) {
                vlog::info("{}", line);
            }
        }
        _gen->engine->set_tracking(i, t.delta, t.fault, now);
    }
}

} // namespace control::detail

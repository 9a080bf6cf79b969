// Post-parse validation with keepalived 2.2.7's judgements (see conf/JUDGEMENTS.md).
#include "conf/validate.h"

#include "conf/parser.h"

#include <fmt/format.h>

#include <map>
#include <net/if.h>
#include <grp.h>
#include <pwd.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <climits>
#include <cstdlib>

namespace conf {

bool Environment::interface_exists(const std::string& name) const
{
    return if_nametoindex(name.c_str()) != 0;
}

std::optional<std::string> Environment::find_executable(const std::string& program) const
{
    auto ok = [](const std::string& p) {
        struct stat st {};
        return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
    };
    if (program.find('/') != std::string::npos) {
        return ok(program) ? std::optional<std::string>(program) : std::nullopt;
    }
    const char* env_path = ::getenv("PATH");
    std::string path = env_path != nullptr ? env_path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!dir.empty() && ok(dir + "/" + program)) {
            return dir + "/" + program;
        }
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return std::nullopt;
}

bool Environment::user_exists(const std::string& name) const
{
    return ::getpwnam(name.c_str()) != nullptr;
}

std::optional<Environment::Ids> Environment::user_ids(const std::string& name) const
{
    const passwd* pw = ::getpwnam(name.c_str());
    if (pw == nullptr) {
        return std::nullopt;
    }
    return Ids{pw->pw_uid, pw->pw_gid};
}

std::optional<uint32_t> Environment::group_id(const std::string& name) const
{
    const group* gr = ::getgrnam(name.c_str());
    if (gr == nullptr) {
        return std::nullopt;
    }
    return gr->gr_gid;
}

bool Environment::path_exists(const std::string& path) const
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// A script run as root must not be replaceable by anyone else.
bool Environment::secure_for_root(const std::string& path) const
{
    char real[PATH_MAX];
    if (::realpath(path.c_str(), real) == nullptr) {
        return false;
    }
    std::string p = real;
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return false;
    }
    while (!p.empty()) {
        if (::stat(p.c_str(), &st) != 0 || st.st_uid != 0) {
            return false;
        }
        bool writable = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
        if (writable && !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX))) {
            return false;
        }
        if (p == "/") {
            break;
        }
        auto slash = p.rfind('/');
        p = slash == 0 ? "/" : p.substr(0, slash);
    }
    return true;
}

namespace {

class Validator {
public:
    Validator(Config& cfg, Diagnostics& d, const Environment& env) : _cfg(cfg), _d(d), _env(env) {}

    void run()
    {
        instances();
        sync_groups();
        virtual_servers();
        scripts();
    }

private:
    void instances();
    void sync_groups();
    void virtual_servers();
    void scripts();
    struct Script {
        enum Kind { not_found, exempt, found } kind;
        std::string path;
    };
    Script resolve(const std::string& cmd) const;
    std::optional<Exec> runner(const std::string& user, const std::string& group) const;
    struct Checked {
        Script::Kind kind = Script::not_found;
        bool bad_user = false;  // no such user or group
        bool root = false;      // runs as uid 0 or gid 0
        bool insecure = false;  // root, and replaceable by someone else
        std::optional<Exec> exec;  // unset: it does not run
    };
    Checked check(const std::string& cmd, const std::string& user, const std::string& group);
    // keepalived's vrrp validation (instances, then sync groups) stops at its first fatal finding; what
    // it would no longer say, vipd still finds and fixes, but only as a note.
    void vrrp_say(Severity sev, const Location& loc, std::string text);

    Config& _cfg;
    Diagnostics& _d;
    const Environment& _env;
    bool _vrrp_stopped = false;
};

void Validator::vrrp_say(Severity sev, const Location& loc, std::string text)
{
    if (_vrrp_stopped) {
        _d.note(loc, "(not reported by keepalived, whose vrrp validation stopped above) " + text);
    } else {
        _d.report(sev, loc, std::move(text));
    }
}

void Validator::instances()
{
    auto& g = _cfg.global;
    std::map<std::pair<std::string, int>, std::string> vrids;  // (interface, family+vrid) -> instance
    bool bad_interface = false;
    // First what keepalived finds while reading (prefixed with the line, always printed): interfaces
    // that do not exist and VIPs of the wrong family.
    for (auto& vi : _cfg.instances) {
        const std::string who = fmt::format("({})", vi.name);
        // With dynamic_interfaces keepalived takes interfaces that do not exist yet silently (the instance
        // is FAULT until they appear); without it each is a warning, and the config cannot run.
        auto missing = [&](const std::string& name, const Location& loc, std::string text) {
            if (_env.interface_exists(name)) {
                return;
            }
            if (g.dynamic_interfaces) {
                _d.note(loc, fmt::format("Configuration specifies interface {} which doesn't currently exist - will use if created", name));
                return;
            }
            _d.warn(loc, std::move(text));
            bad_interface = true;
        };
        if (!vi.interface.empty()) {
            missing(vi.interface, vi.interface_loc, fmt::format("WARNING - interface {} for vrrp_instance {} doesn't exist", vi.interface, vi.name));
        }
        for (const auto& t : vi.track_interfaces) {
            missing(t.name, t.loc, fmt::format("{} tracked interface {} doesn't exist", who, t.name));
        }
        for (const auto& vip : vi.vips) {
            if (!vip.dev.empty()) {
                missing(vip.dev, vip.loc, fmt::format("WARNING - interface {} for ip address {} doesn't exist", vip.dev, vip.addr.str()));
            }
        }
        if (!vi.vips.empty()) {
            // The first VIP sets the instance's address family; the others must match it.
            const uint8_t family = vi.vips.front().addr.family;
            std::erase_if(vi.vips, [&](const VirtualIp& v) {
                if (v.addr.family == family) {
                    return false;
                }
                _d.error(v.loc, fmt::format("{}: address family must match VRRP instance [{}] - ignoring", who, v.addr.str()));
                return true;
            });
        }
    }
    // Then keepalived's vrrp validation, which stops at the first of: a non-existent interface
    // anywhere, then (instance by instance) a missing virtual_router_id or interface, and only then the
    // other checks of every instance. What it would no longer say, vipd still finds and fixes, as notes.
    if (bad_interface) {
        _d.warn({}, "Non-existent interface specified in configuration");
        _cfg.nonexistent_interface = true;
        _vrrp_stopped = true;
    }
    std::vector<VrrpInstance> complete;
    for (auto& vi : _cfg.instances) {
        const std::string who = fmt::format("({})", vi.name);
        if (vi.vrid < 0) {
            vrrp_say(Severity::error, vi.loc, fmt::format("{} the virtual router id must be set - removing instance", who));
            _vrrp_stopped = true;
            continue;
        }
        if (vi.interface.empty()) {
            vrrp_say(Severity::error, vi.loc, fmt::format("{} Unknown interface! (no 'interface' given) - removing instance", who));
            _vrrp_stopped = true;
            continue;
        }
        complete.push_back(std::move(vi));
    }
    std::vector<VrrpInstance> kept;
    for (auto& vi : complete) {
        const std::string who = fmt::format("({})", vi.name);
        if (vi.vips.empty()) {
            vrrp_say(Severity::warning, vi.loc, fmt::format("{} No VIP specified; at least one is sensible", who));
        }
        int version = _cfg.instance_version(vi);
        if (version == 2 && vi.advert_int_us % usec_per_sec != 0) {
            uint64_t rounded = std::max<uint64_t>(usec_per_sec, (vi.advert_int_us + usec_per_sec / 2) / usec_per_sec * usec_per_sec);
            vrrp_say(Severity::warning, vi.loc, fmt::format("{} VRRPv2 advertisement interval {:.6f}s must be an integer. rounding to {}s", who,
                                        static_cast<double>(vi.advert_int_us) / usec_per_sec, rounded / usec_per_sec));
            vi.advert_int_us = rounded;
        }
        if (version == 3 && vi.advert_int_us > 40950000) {
            vrrp_say(Severity::warning, vi.loc, fmt::format("{} VRRPv3 advertisement interval {:.2f}s is out of range. Must be less than 40.96s. Setting to 40.95s", who,
                                        static_cast<double>(vi.advert_int_us) / usec_per_sec));
            vi.advert_int_us = 40950000;
        }
        if (vi.auth_type != AuthType::none && vi.auth_pass.empty() && version == 2) {
            vrrp_say(Severity::warning, vi.loc, fmt::format("{} Authentication specified but no password given. Ignoring", who));
            vi.auth_type = AuthType::none;
        }
        if (!vi.priority_set) {
            vi.priority = vi.state == InitialState::master ? 255 : 100;
        }
        if (vi.auth_type == AuthType::ah && vi.state == InitialState::master) {
            vrrp_say(Severity::warning, vi.loc, fmt::format("{} Initial state master is incompatible with AH authentication - clearing", who));
            vi.state = InitialState::backup;
        }
        if (vi.auth_type != AuthType::none && version == 3) {
            vrrp_say(Severity::warning, vi.loc, fmt::format("{} VRRP version 3 does not support authentication. Ignoring.", who));
            vi.auth_type = AuthType::none;
        }
        if (g.vrrp_strict) {
            if (vi.state == InitialState::master && vi.priority != 255) {
                vrrp_say(Severity::warning, vi.loc, fmt::format("{} State MASTER must match being address owner", who));
                vi.state = InitialState::backup;
            }
            if (vi.auth_type != AuthType::none) {
                vrrp_say(Severity::warning, vi.loc, fmt::format("{} Strict mode does not support authentication. Ignoring.", who));
                vi.auth_type = AuthType::none;
            }
            if (vi.accept.value_or(false) && version == 2) {
                vrrp_say(Severity::warning, vi.loc, fmt::format("{} warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting", who));
                vi.accept = false;
            }
        }
        if (vi.state == InitialState::master && !vi.preempt) {
            vrrp_say(Severity::warning, vi.loc, fmt::format("{} Warning - nopreempt will not work with initial state MASTER - clearing", who));
            vi.state = InitialState::backup;
        }
        auto family = !vi.vips.empty() && !vi.vips[0].addr.is_v4() ? 6 : 4;
        auto key = std::make_pair(vi.interface, family * 1000 + vi.vrid);
        if (auto it = vrids.find(key); it != vrids.end()) {
            vrrp_say(Severity::warning, vi.loc, fmt::format("{} and {} both use VRID {} with IPv{} on interface {}", it->second, vi.name, vi.vrid, family, vi.interface));
        } else {
            vrids.emplace(key, vi.name);
        }
        kept.push_back(std::move(vi));
    }
    _cfg.instances = std::move(kept);
}

void Validator::sync_groups()
{
    std::set<std::string> used;
    std::vector<SyncGroup> kept;
    for (auto& sg : _cfg.sync_groups) {
        std::vector<std::string> members;
        for (size_t i = 0; i < sg.members.size(); ++i) {
            const auto& m = sg.members[i];
            VrrpInstance* vi = nullptr;
            for (auto& cand : _cfg.instances) {
                if (cand.name == m) {
                    vi = &cand;
                }
            }
            if (vi == nullptr) {
                vrrp_say(Severity::warning, sg.member_locs[i], fmt::format("Virtual router {} specified in sync group {} doesn't exist - ignoring", m, sg.name));
                continue;
            }
            if (!used.insert(m).second) {
                vrrp_say(Severity::warning, sg.member_locs[i], fmt::format("Virtual router {} cannot exist in more than one sync group; ignoring {}", m, sg.name));
                continue;
            }
            vi->sync_group = sg.name;
            members.push_back(m);
        }
        sg.members = std::move(members);
        if (!sg.tracking_weight) {
            // keepalived: weights would let one member's priority drift from the others' and the group
            // thrash between nodes, so weighted tracking is dropped (weight-less tracking still faults).
            for (auto& vi : _cfg.instances) {
                if (vi.sync_group != sg.name) {
                    continue;
                }
                auto weighted = [&](std::vector<TrackRef>& refs, std::string_view what, bool scripts) {
                    std::erase_if(refs, [&](const TrackRef& t) {
                        int w = t.weight.value_or(0);
                        if (scripts && !t.weight) {
                            for (const auto& s : _cfg.scripts) {
                                w = s.name == t.name ? s.weight : w;
                            }
                        }
                        if (w == 0) {
                            return false;
                        }
                        vrrp_say(Severity::warning, {}, fmt::format("({}) ignoring tracked {} {} with weights due to SYNC group", vi.name, what, t.name));
                        return true;
                    });
                };
                weighted(vi.track_scripts, "script", true);
                weighted(vi.track_interfaces, "interface", false);
                weighted(vi.track_files, "file", false);
            }
        }
        if (sg.members.empty()) {
            vrrp_say(Severity::warning, sg.loc, fmt::format("Sync group {} has no virtual router(s). removing", sg.name));
            continue;
        }
        if (sg.members.size() == 1) {
            vrrp_say(Severity::warning, sg.loc, fmt::format("Sync group {} has only 1 virtual router(s) - this probably isn't what you want", sg.name));
        }
        kept.push_back(std::move(sg));
    }
    _cfg.sync_groups = std::move(kept);
}

// "tcp", or "none" before the protocol is set, as keepalived names services and real servers.
std::string proto_name(const VirtualServer& vs)
{
    std::string proto(to_string(vs.protocol));
    for (auto& c : proto) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return vs.protocol_set ? proto : "none";
}

std::string vs_name(const VirtualServer& vs)
{
    switch (vs.by) {
    case VirtualServer::By::fwmark: return fmt::format("FWM {}", vs.fwmark);
    case VirtualServer::By::group: return fmt::format("group {}", vs.group);
    case VirtualServer::By::address: break;
    }
    return fmt::format("[{}]:{}:{}", vs.addr.str(), proto_name(vs), vs.port);
}

void Validator::virtual_servers()
{
    for (auto& vs : _cfg.virtual_servers) {
        const bool fwmark = vs.by == VirtualServer::By::fwmark;
        if (fwmark && vs.protocol_set) {
            _d.warn(vs.loc, fmt::format("Warning: Virtual server FWM {}: protocol specified for fwmark - protocol will be ignored", vs.fwmark));
        }
        if (!fwmark && !vs.protocol_set) {
            _d.warn(vs.loc, fmt::format("Virtual server {}: no protocol set - defaulting to UDP", vs_name(vs)));
            vs.protocol = Protocol::udp;
            vs.protocol_set = true;
        }
        const std::string name = vs_name(vs);
        if (!vs.algo_set) {
            _d.warn(vs.loc, fmt::format("Virtual server {}: no scheduler set, setting default 'wlc'", name));
        }
        if (!vs.kind_set) {
            _d.warn(vs.loc, fmt::format("Virtual server {}: no forwarding method set, setting default NAT", name));
        }
        if (vs.by == VirtualServer::By::group) {
            bool found = false;
            for (const auto& g : _cfg.vs_groups) {
                found = found || g.name == vs.group;
            }
            if (!found) {  // keepalived 2.2.7 accepts this silently; the service then has no address
                _d.note(vs.loc, fmt::format("virtual_server_group {} is not defined: this virtual server serves nothing", vs.group));
            }
        }
        if (vs.by == VirtualServer::By::address && vs.port == 0 && vs.persistence_timeout_s == 0) {
            _d.warn(vs.loc, fmt::format("Virtual server {}: zero port only valid for persistent services - setting", name));
            vs.persistence_timeout_s = 360;
        }
        // Real servers: duplicates, ports that IPVS cannot honour. Filtered in place: a large config
        // must not hold two copies of its servers at once.
        auto& rss = vs.real_servers;
        for (size_t i = 0; i < rss.size(); ++i) {
            auto& rs = rss[i];
            const auto rs_name = [&] { return fmt::format("[{}]:{}:{}", rs.addr.str(), proto_name(vs), rs.port); };
            bool dup = false;
            for (size_t j = 0; j < i && !dup; ++j) {
                dup = rss[j].port == rs.port && rss[j].addr == rs.addr && rss[j].weight >= 0;
            }
            if (dup) {
                _d.warn(rs.loc, fmt::format("VS {}: real server {} is duplicated - removing second rs", name, rs_name()));
                rs.weight = -1;  // marks it for removal below
                continue;
            }
            if (fwmark && rs.port != 0) {
                _d.warn(rs.loc, fmt::format("WARNING - fwmark virtual server {}, real server {} has port specified - clearing", name, rs_name()));
                rs.port = 0;
            } else if (!fwmark && vs.kind != LbKind::nat && rs.port != 0 && rs.port != vs.port &&
                       (vs.port != 0 || vs.by == VirtualServer::By::address)) {
                // A port-0 (persistent) DR or TUN address resets its real servers' ports to 0 too; a
                // group's ports are its entries'.
                _d.warn(rs.loc, fmt::format("WARNING - virtual server {} and real server {} ports don't match - resetting", name, rs_name()));
                rs.port = vs.port;
            }
        }
        std::erase_if(rss, [](const RealServer& rs) { return rs.weight < 0; });
        if (vs.real_servers.empty()) {
            _d.warn(vs.loc, fmt::format("Virtual server {} has no real servers - ignoring", name));
        }
        uint64_t total = 0;
        for (const auto& rs : vs.real_servers) {
            total += static_cast<uint64_t>(rs.weight);
        }
        if (!vs.real_servers.empty() && vs.quorum > total) {
            uint32_t reduced = static_cast<uint32_t>(std::max<uint64_t>(total, 1));
            _d.warn(vs.loc, fmt::format("Warning - quorum {} for {} exceeds total weight of real servers {}, reducing quorum to {}", vs.quorum, name, total, reduced));
            vs.quorum = reduced;
        }
        if (vs.hysteresis != 0 && vs.hysteresis >= vs.quorum) {
            _d.warn(vs.loc, fmt::format("Virtual server {}: hysteresis {} >= quorum {}; setting hysteresis to {}", name, vs.hysteresis, vs.quorum, vs.quorum - 1));
            vs.hysteresis = vs.quorum - 1;
        }
    }
}

// How keepalived resolves a script: argv0 only (of its split words); "<" then "/" is a shell test with
// no script; no "/" means a PATH search for an executable; otherwise any existing path counts.
Validator::Script Validator::resolve(const std::string& cmd) const
{
    const auto words = split_command(cmd);
    if (words.empty() || words[0].empty()) {
        return {Script::not_found, {}};
    }
    const std::string& argv0 = words[0];
    if (argv0[0] == '<') {
        size_t i = 1;
        while (i < argv0.size() && (argv0[i] == ' ' || argv0[i] == '\t')) {
            ++i;
        }
        return {i < argv0.size() && argv0[i] == '/' ? Script::exempt : Script::not_found, {}};
    }
    if (argv0.find('/') == std::string::npos) {
        auto found = _env.find_executable(argv0);
        return found ? Script{Script::found, *found} : Script{Script::not_found, {}};
    }
    if (!_env.path_exists(argv0)) {
        return {Script::not_found, {}};
    }
    return {Script::found, argv0};
}

// The user and group a script runs as, resolved once here and only here: its own `user [group]`, else
// the default script user (script_user, else keepalived_script if that user exists, else root).
std::optional<Exec> Validator::runner(const std::string& user, const std::string& group) const
{
    const auto& g = _cfg.global;
    Exec e;
    std::string grp;
    if (!user.empty()) {
        e.user = user;
        grp = group;
    } else if (!g.script_user.empty()) {
        e.user = g.script_user;
        grp = g.script_group;
    } else {
        e.user = _env.user_exists("keepalived_script") ? "keepalived_script" : "root";
    }
    auto ids = _env.user_ids(e.user);
    if (!ids) {
        if (e.user != "root") {
            return std::nullopt;
        }
        ids = Environment::Ids{0, 0};
    }
    e.uid = ids->uid;
    e.gid = ids->gid;
    if (!grp.empty()) {
        auto gid = _env.group_id(grp);
        if (!gid) {
            return std::nullopt;
        }
        e.gid = *gid;
    }
    return e;
}

// keepalived's check of one script: how it resolves, who runs it, and whether a root one is safe. An
// insecure root script is disabled under enable_script_security, else it runs and makes the file
// insecure.
Validator::Checked Validator::check(const std::string& cmd, const std::string& user, const std::string& group)
{
    Checked out;
    auto r = resolve(cmd);
    out.kind = r.kind;
    if (r.kind == Script::not_found) {
        return out;
    }
    auto e = runner(user, group);
    if (!e) {
        out.bad_user = true;
        return out;
    }
    e->argv = split_command(cmd);
    e->path = r.path;
    out.root = e->uid == 0 || e->gid == 0;
    if (r.kind == Script::found && out.root && !_env.secure_for_root(r.path)) {
        out.insecure = true;
        if (_cfg.global.enable_script_security) {
            return out;
        }
    }
    out.exec = std::move(e);
    return out;
}

void Validator::scripts()
{
    auto& g = _cfg.global;
    bool vrrp_root = false, vrrp_insecure = false, check_root = false, check_insecure = false;
    std::set<std::string> disabled;
    std::vector<VrrpScript> kept;
    for (auto& s : _cfg.scripts) {
        auto c = check(s.script, s.user, s.group);
        if (c.kind == Script::not_found) {
            _d.warn({}, fmt::format("Disabling track script {} since not found/accessible", s.name));
            disabled.insert(s.name);
            continue;
        }
        if (c.bad_user) {
            _d.error(s.loc, fmt::format("Unable to set uid/gid for script '{}' - removing", s.script));
            disabled.insert(s.name);
            continue;
        }
        vrrp_root = vrrp_root || (c.root && c.kind == Script::found);
        vrrp_insecure = vrrp_insecure || c.insecure;
        if (!c.exec) {
            _d.warn({}, fmt::format("Disabling track script {} due to insecure", s.name));
            disabled.insert(s.name);
            continue;
        }
        s.exec = std::move(c.exec);
        kept.push_back(std::move(s));
    }
    _cfg.scripts = std::move(kept);
    if (!disabled.empty()) {
        auto drop = [&](std::vector<TrackRef>& refs) {
            std::erase_if(refs, [&](const TrackRef& r) { return disabled.contains(r.name); });
        };
        for (auto& vi : _cfg.instances) {
            drop(vi.track_scripts);
        }
        for (auto& sg : _cfg.sync_groups) {
            drop(sg.track_scripts);
        }
    }
    // Notify, misc and quorum scripts: a missing one is dropped silently; one with no such user or
    // group, or an insecure root one under enable_script_security, is dropped with keepalived's
    // (log-only) message.
    auto command = [&](Command& cmd, bool& root, bool& insecure, std::string_view type) {
        if (cmd.empty()) {
            return;
        }
        auto c = check(cmd.text, cmd.user, cmd.group);
        if (c.bad_user) {
            _d.note(cmd.loc, fmt::format("Invalid user/group for {} script {} - ignoring", type, cmd.text));
        }
        if (c.kind == Script::found) {
            root = root || c.root;
            insecure = insecure || c.insecure;
        }
        if (c.insecure && !c.exec) {
            _d.note(cmd.loc, fmt::format("Unsafe permissions found for script '{}' - disabling.", cmd.text));
        }
        cmd.exec = std::move(c.exec);
    };
    for (auto& n : _cfg.instances) {
        for (auto* c : {&n.notify.notify, &n.notify.master, &n.notify.backup, &n.notify.fault, &n.notify.stop, &n.notify.deleted}) {
            command(*c, vrrp_root, vrrp_insecure, "notify");
        }
    }
    for (auto& sg : _cfg.sync_groups) {
        for (auto* c : {&sg.notify.notify, &sg.notify.master, &sg.notify.backup, &sg.notify.fault, &sg.notify.stop, &sg.notify.deleted}) {
            command(*c, vrrp_root, vrrp_insecure, "notify");
        }
    }
    command(_cfg.global.notify_fifo.script, vrrp_root, vrrp_insecure, "notify_fifo");
    command(_cfg.global.vrrp_notify_fifo.script, vrrp_root, vrrp_insecure, "vrrp_notify_fifo");
    command(_cfg.global.lvs_notify_fifo.script, check_root, check_insecure, "lvs_notify_fifo");
    for (auto& vs : _cfg.virtual_servers) {
        command(vs.quorum_up, check_root, check_insecure, "quorum");
        command(vs.quorum_down, check_root, check_insecure, "quorum");
        for (auto& rs : vs.real_servers) {
            command(rs.notify_up, check_root, check_insecure, "notify");
            command(rs.notify_down, check_root, check_insecure, "notify");
            for (auto& ck : rs.checkers) {
                if (!ck.misc || ck.misc->path.empty()) {
                    continue;
                }
                auto c = check(ck.misc->path, ck.misc->user, ck.misc->group);
                if (c.kind == Script::found) {
                    check_root = check_root || c.root;
                    check_insecure = check_insecure || c.insecure;
                }
                if (c.insecure && !c.exec) {
                    _d.note(ck.loc, fmt::format("Unsafe permissions found for script '{}' - disabling.", ck.misc->path));
                }
                if (!c.exec) {
                    _d.note(ck.loc, fmt::format("Disabling misc script {} due to insecure", ck.misc->path));
                }
                ck.misc->exec = std::move(c.exec);
            }
            // A disabled MISC_CHECK does not run, as keepalived's (checker->enabled = false).
            std::erase_if(rs.checkers, [](const Checker& ck) { return ck.misc && !ck.misc->exec; });
        }
    }
    if (g.enable_script_security) {
        return;
    }
    if (vrrp_root) {
        _d.security({}, fmt::format("SECURITY VIOLATION - scripts are being executed but script_security not enabled.{}",
                                    vrrp_insecure ? " There are insecure scripts." : ""));
    }
    if (check_root) {
        _d.security({}, "SECURITY VIOLATION - check scripts are being executed but script_security not enabled.");
    }
}

} // namespace

void validate(Config& cfg, Diagnostics& diags, const Environment& env)
{
    Validator(cfg, diags, env).run();
}

} // namespace conf

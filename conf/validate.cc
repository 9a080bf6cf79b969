// Post-parse validation with keepalived 2.2.7's judgements (see conf/JUDGEMENTS.md).
#include "conf/validate.h"

#include "conf/parser.h"

#include <fmt/format.h>

#include <map>
#include <net/if.h>
#include <pwd.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

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

namespace {

std::string first_word(const std::string& cmd)
{
    size_t b = cmd.find_first_not_of(" \t");
    if (b == std::string::npos) {
        return {};
    }
    size_t e = cmd.find_first_of(" \t", b);
    return cmd.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

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
    // Whether a script resolves; false when keepalived would disable it.
    bool script_runs(const std::string& cmd);

    Config& _cfg;
    Diagnostics& _d;
    const Environment& _env;
    bool _insecure = false;
};

void Validator::instances()
{
    auto& g = _cfg.global;
    std::map<std::pair<std::string, int>, std::string> vrids;  // (interface, family+vrid) -> instance
    bool bad_interface = false;
    std::vector<VrrpInstance> kept;
    for (auto& vi : _cfg.instances) {
        const std::string who = fmt::format("({})", vi.name);
        if (vi.interface.empty()) {
            _d.fatal(vi.loc, fmt::format("{} No interface specified - vrrp_instance cannot run", who));
            continue;
        }
        if (vi.vrid < 0) {
            _d.error(vi.loc, fmt::format("{} the virtual router id must be set - removing instance", who));
            continue;
        }
        if (!_env.interface_exists(vi.interface)) {
            _d.warn(vi.interface_loc, fmt::format("WARNING - interface {} for vrrp_instance {} doesn't exist", vi.interface, vi.name));
            bad_interface = true;
        }
        for (const auto& t : vi.track_interfaces) {
            if (!_env.interface_exists(t.name)) {
                _d.warn(t.loc, fmt::format("{} tracked interface {} doesn't exist", who, t.name));
                bad_interface = true;
            }
        }
        if (vi.vips.empty() && vi.excluded_vips.empty()) {
            _d.note(vi.loc, fmt::format("{} has no virtual_ipaddress", who));
        }
        int version = _cfg.instance_version(vi);
        if (version == 2 && vi.advert_int_us % usec_per_sec != 0) {
            uint64_t rounded = std::max<uint64_t>(usec_per_sec, (vi.advert_int_us + usec_per_sec / 2) / usec_per_sec * usec_per_sec);
            _d.warn(vi.loc, fmt::format("{} advert_int {}s is fractional: VRRPv2 supports whole seconds only - rounding to {}s", who,
                                        static_cast<double>(vi.advert_int_us) / usec_per_sec, rounded / usec_per_sec));
            vi.advert_int_us = rounded;
        }
        if (!vi.priority_set) {
            vi.priority = vi.state == InitialState::master ? 255 : 100;
        }
        if (vi.auth_type == AuthType::ah && vi.state == InitialState::master) {
            _d.warn(vi.loc, fmt::format("{} Initial state master is incompatible with AH authentication - clearing", who));
            vi.state = InitialState::backup;
        }
        if (vi.auth_type != AuthType::none && version == 3) {
            _d.warn(vi.loc, fmt::format("{} VRRP version 3 does not support authentication. Ignoring.", who));
            vi.auth_type = AuthType::none;
        }
        if (g.vrrp_strict) {
            if (vi.state == InitialState::master && vi.priority != 255) {
                _d.warn(vi.loc, fmt::format("{} State MASTER must match being address owner", who));
                vi.state = InitialState::backup;
            }
            if (vi.auth_type != AuthType::none) {
                _d.warn(vi.loc, fmt::format("{} Strict mode does not support authentication. Ignoring.", who));
                vi.auth_type = AuthType::none;
            }
            if (!vi.unicast_peers.empty()) {
                _d.warn(vi.loc, fmt::format("{} Unicast peers are not supported in strict mode", who));
            }
            if (vi.accept.value_or(false) && version == 2) {
                _d.warn(vi.loc, fmt::format("{} warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting", who));
                vi.accept = false;
            }
        }
        if (vi.priority == 255 && !vi.preempt) {
            _d.warn(vi.loc, fmt::format("{} Warning - nopreempt will not work with priority 255", who));
        }
        if (vi.state == InitialState::master && !vi.preempt) {
            _d.warn(vi.loc, fmt::format("{} Warning - nopreempt will not work with initial state MASTER - clearing", who));
            vi.state = InitialState::backup;
        }
        auto family = !vi.vips.empty() && !vi.vips[0].addr.is_v4() ? 6 : 4;
        auto key = std::make_pair(vi.interface, family * 1000 + vi.vrid);
        if (auto it = vrids.find(key); it != vrids.end()) {
            _d.fatal(vi.loc, fmt::format("{} VRID {} is already used by vrrp_instance {} on interface {} - cannot run", who, vi.vrid, it->second, vi.interface));
        } else {
            vrids.emplace(key, vi.name);
        }
        kept.push_back(std::move(vi));
    }
    _cfg.instances = std::move(kept);
    if (bad_interface) {
        _d.warn({}, "Non-existent interface specified in configuration");
    }
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
                _d.warn(sg.member_locs[i], fmt::format("Virtual router {} specified in sync group {} doesn't exist - ignoring", m, sg.name));
                continue;
            }
            if (!used.insert(m).second) {
                _d.warn(sg.member_locs[i], fmt::format("Virtual router {} cannot exist in more than one sync group; ignoring {}", m, sg.name));
                continue;
            }
            vi->sync_group = sg.name;
            members.push_back(m);
        }
        sg.members = std::move(members);
        if (sg.members.empty()) {
            _d.warn(sg.loc, fmt::format("Sync group {} has no virtual router(s). removing", sg.name));
            continue;
        }
        if (sg.members.size() == 1) {
            _d.warn(sg.loc, fmt::format("Sync group {} has only 1 virtual router(s) - this probably isn't what you want", sg.name));
        }
        kept.push_back(std::move(sg));
    }
    _cfg.sync_groups = std::move(kept);
}

void Validator::virtual_servers()
{
    for (auto& vs : _cfg.virtual_servers) {
        if (vs.by == VirtualServer::By::fwmark && vs.protocol_set) {
            _d.warn(vs.loc, fmt::format("Warning: Virtual server FWM {}: protocol specified for fwmark - protocol will be ignored", vs.fwmark));
        }
        if (vs.by == VirtualServer::By::group) {
            bool found = false;
            for (const auto& g : _cfg.vs_groups) {
                found = found || g.name == vs.group;
            }
            if (!found) {
                _d.error(vs.loc, fmt::format("Virtual server group {} specified but not configured - ignoring virtual server", vs.group));
            }
        }
        if (vs.by == VirtualServer::By::address && vs.port == 0 && vs.persistence_timeout_s == 0) {
            _d.warn(vs.loc, fmt::format("Virtual server {}: port 0 is only supported with persistence", vs.addr.str()));
        }
    }
}

bool Validator::script_runs(const std::string& cmd)
{
    std::string prog = first_word(cmd);
    if (prog.empty()) {
        return false;
    }
    // A command the shell reads as a redirection has no program to check: keepalived lets it pass.
    if (prog[0] == '<' || prog[0] == '>') {
        return true;
    }
    if (!_env.find_executable(prog)) {
        return false;
    }
    _insecure = true;  // runs; whether as root is decided below
    return true;
}

void Validator::scripts()
{
    auto& g = _cfg.global;
    // The default script user: keepalived_script if that user exists, else root.
    bool default_user_root = g.script_user.empty() ? !_env.user_exists("keepalived_script") : g.script_user == "root";
    bool any_root_script = false;
    if (!g.script_user.empty() && !_env.user_exists(g.script_user)) {
        _d.error({}, fmt::format("script_user {} does not exist", g.script_user));
    }
    std::set<std::string> disabled;
    std::vector<VrrpScript> kept;
    for (auto& s : _cfg.scripts) {
        bool root = s.user.empty() ? default_user_root : s.user == "root";
        if (g.enable_script_security && root && s.user.empty() && g.script_user.empty()) {
            _d.error(s.loc, fmt::format("Unable to set default user for vrrp script {} - removing", s.name));
            disabled.insert(s.name);
            continue;
        }
        _insecure = false;
        if (!script_runs(s.script)) {
            _d.warn({}, fmt::format("Disabling track script {} since not found/accessible", s.name));
            disabled.insert(s.name);
            continue;
        }
        any_root_script = any_root_script || (_insecure && root);
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
    // Notify scripts, misc checks and quorum scripts run as the script user too.
    auto consider = [&](const std::string& cmd) {
        if (cmd.empty()) {
            return;
        }
        _insecure = false;
        if (script_runs(cmd) && _insecure && default_user_root) {
            any_root_script = true;
        }
    };
    for (const auto& vi : _cfg.instances) {
        for (const auto* c : {&vi.notify.notify, &vi.notify.master, &vi.notify.backup, &vi.notify.fault, &vi.notify.stop}) {
            consider(*c);
        }
    }
    for (const auto& sg : _cfg.sync_groups) {
        for (const auto* c : {&sg.notify.notify, &sg.notify.master, &sg.notify.backup, &sg.notify.fault, &sg.notify.stop}) {
            consider(*c);
        }
    }
    for (const auto& vs : _cfg.virtual_servers) {
        consider(vs.quorum_up);
        consider(vs.quorum_down);
        for (const auto& rs : vs.real_servers) {
            consider(rs.notify_up);
            consider(rs.notify_down);
            for (const auto& c : rs.checkers) {
                consider(c.misc_path);
            }
        }
    }
    if (any_root_script && !g.enable_script_security) {
        _d.security({}, "SECURITY VIOLATION - scripts are being executed but script_security not enabled.");
    }
}

} // namespace

void validate(Config& cfg, Diagnostics& diags, const Environment& env)
{
    Validator(cfg, diags, env).run();
}

} // namespace conf

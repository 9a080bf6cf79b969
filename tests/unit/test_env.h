// A host for config tests: which interfaces, programs, files and users "exist" is set by the test, so
// no judgement depends on the machine the tests run on.
#pragma once

#include "conf/parser.h"

#include <map>
#include <set>
#include <string>

struct FakeEnv : conf::Environment {
    std::set<std::string> interfaces{"eth0", "eth1", "eth2", "eth3", "ens33"};
    std::set<std::string> programs{"/bin/true", "/usr/bin/killall"};
    std::set<std::string> users{"root"};
    std::set<std::string> files;     // existing paths that are not programs (e.g. /etc/hostname)
    std::set<std::string> insecure;  // existing paths a root script must not be run from

    bool interface_exists(const std::string& n) const override { return interfaces.contains(n); }
    std::optional<std::string> find_executable(const std::string& p) const override
    {
        for (const auto& prog : programs) {
            if (prog == p || prog.ends_with("/" + p)) {
                return prog;
            }
        }
        return std::nullopt;
    }
    bool user_exists(const std::string& n) const override { return users.contains(n); }
    // root is 0:0 and nobody 65534:65534, as on Debian; any other user is 1000:1000.
    std::optional<Ids> user_ids(const std::string& n) const override
    {
        if (!users.contains(n)) {
            return std::nullopt;
        }
        return n == "root" ? Ids{0, 0} : n == "nobody" ? Ids{65534, 65534} : Ids{1000, 1000};
    }
    std::map<std::string, uint32_t> groups{{"root", 0}, {"daemon", 1}, {"nogroup", 65534}};
    std::optional<uint32_t> group_id(const std::string& n) const override
    {
        auto it = groups.find(n);
        return it == groups.end() ? std::nullopt : std::optional<uint32_t>(it->second);
    }
    bool path_exists(const std::string& p) const override { return programs.contains(p) || files.contains(p); }
    bool secure_for_root(const std::string& p) const override { return path_exists(p) && !insecure.contains(p); }
};

inline conf::Loaded load(const std::string& text, const FakeEnv& env = FakeEnv(), std::string id = "node1")
{
    return conf::load_text("test.conf", text, {.config_id = std::move(id)}, env);
}

// All diagnostics (not notes) as "line: message", for readable assertions.
inline std::string complaints(const conf::Loaded& l)
{
    std::string out;
    for (const auto& d : l.diags.all()) {
        if (d.severity != conf::Severity::note) {
            out += std::to_string(d.loc.line) + ": " + d.message + "\n";
        }
    }
    return out;
}

// keepalived.conf in, conf::Config and diagnostics out: the parser, the cross-reference checks and
// the host checks (interfaces, scripts) that `keepalived -t` makes, behind one call.
#pragma once

#include "conf/diag.h"
#include "conf/model.h"

#include <optional>
#include <string>

namespace conf {

struct ParseOptions {
    std::string config_id;  // for `@id` lines; keepalived's default is the host name
};

// What the checks ask of the host. The default looks at the real machine; tests substitute their own.
class Environment {
public:
    virtual ~Environment() = default;
    virtual bool interface_exists(const std::string& name) const;
    // The absolute path of an executable `program` (searched on PATH when relative), if there is one.
    virtual std::optional<std::string> find_executable(const std::string& program) const;
    virtual bool user_exists(const std::string& name) const;
    struct Ids {
        uint32_t uid = 0, gid = 0;  // the user's, and its primary group
    };
    // A user's ids, a group's id: what a script is run as, looked up once when the config is read.
    virtual std::optional<Ids> user_ids(const std::string& name) const;
    virtual std::optional<uint32_t> group_id(const std::string& name) const;
    // Whether `path` exists at all (a script named by path counts as one even when not executable).
    virtual bool path_exists(const std::string& path) const;
    // Whether a script at `path` is safe to run as root: a regular file, and every component of its real
    // path owned by root and not writable by group or others (sticky directories excepted).
    virtual bool secure_for_root(const std::string& path) const;
};

struct Loaded {
    Config config;
    Diagnostics diags;
    int exit_code() const { return diags.exit_code(); }
};

Loaded load_file(const std::string& path, const ParseOptions& opts = {}, const Environment& env = Environment());
Loaded load_text(std::string name, std::string text, const ParseOptions& opts = {}, const Environment& env = Environment());

// The host name as keepalived uses it for the default router_id and config id.
std::string host_name();

} // namespace conf

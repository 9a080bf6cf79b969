// Diagnostics for keepalived.conf: every complaint carries file:line:col, the offending text and a
// severity that maps onto the exit codes keepalived 2.2.7 really returns for `-t`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace conf {

// A position in a config source. `file` indexes Diagnostics::files() (0 is the main file); line and
// column are 1-based; line 0 means "not tied to a line" (cross-reference checks after parsing).
struct Location {
    uint32_t file = 0;
    uint32_t line = 0;
    uint32_t col = 0;
};

enum class Severity : uint8_t {
    note,      // vipd-only remark (e.g. accepted but not used by vipd yet), shown with -D: exit code unchanged
    info,      // keepalived logs it but does not count it (e.g. a missing include): exit code unchanged
    warning,   // keepalived complains and fixes up or ignores: exit 5
    error,     // keepalived refuses the item (drops it) but runs: exit 5
    security,  // script security violation: exit 6
    fatal,     // keepalived cannot run with this config: exit 4 (only when nothing worse was found)
    abort,     // keepalived stops reading at once (a keyword missing its value): exit 2
};

struct Diagnostic {
    Severity severity;
    Location loc;
    std::string message;
};

// keepalived 2.2.7's `-t` exit codes (its man page says 3/4/5; the binary returns 4/5/6).
enum ExitCode : int {
    exit_ok = 0,
    exit_aborted = 2,
    exit_cannot_run = 4,
    exit_config_errors = 5,
    exit_security = 6,
};

class Diagnostics {
public:
    uint32_t add_file(std::string path);
    const std::vector<std::string>& files() const { return _files; }

    void report(Severity sev, Location loc, std::string message);
    void note(Location loc, std::string m) { report(Severity::note, loc, std::move(m)); }
    void info(Location loc, std::string m) { report(Severity::info, loc, std::move(m)); }
    void warn(Location loc, std::string m) { report(Severity::warning, loc, std::move(m)); }
    void error(Location loc, std::string m) { report(Severity::error, loc, std::move(m)); }
    void fatal(Location loc, std::string m) { report(Severity::fatal, loc, std::move(m)); }
    void security(Location loc, std::string m) { report(Severity::security, loc, std::move(m)); }

    const std::vector<Diagnostic>& all() const { return _diags; }
    bool has(Severity sev) const;
    bool has_line(uint32_t file, uint32_t line) const;  // any complaint (not a note or info) on that line
    int exit_code() const;                               // as keepalived -t would return

    // "file:line:col: warning: message", the path relative as given.
    std::string format(const Diagnostic& d) const;

private:
    std::vector<std::string> _files;
    std::vector<Diagnostic> _diags;
};

std::string_view to_string(Severity sev);

} // namespace conf

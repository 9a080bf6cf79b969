// Collects and formats config diagnostics; decides the keepalived-compatible exit code.
#include "conf/diag.h"

#include <fmt/format.h>

namespace conf {

uint32_t Diagnostics::add_file(std::string path)
{
    _files.push_back(std::move(path));
    return static_cast<uint32_t>(_files.size() - 1);
}

void Diagnostics::report(Severity sev, Location loc, std::string message)
{
    _diags.push_back({.severity = sev, .loc = loc, .message = std::move(message)});
}

bool Diagnostics::has(Severity sev) const
{
    for (const auto& d : _diags) {
        if (d.severity == sev) {
            return true;
        }
    }
    return false;
}

bool Diagnostics::has_line(uint32_t file, uint32_t line) const
{
    for (const auto& d : _diags) {
        if (d.severity > Severity::info && d.loc.file == file && d.loc.line == line) {
            return true;
        }
    }
    return false;
}

int Diagnostics::exit_code() const
{
    // keepalived keeps the worst error class it saw, ordered "cannot run" < "fixed up" < security;
    // a keyword missing its value stops it outright.
    if (has(Severity::abort)) {
        return exit_aborted;
    }
    if (has(Severity::security)) {
        return exit_security;
    }
    if (has(Severity::warning) || has(Severity::error)) {
        return exit_config_errors;
    }
    if (has(Severity::fatal)) {
        return exit_cannot_run;
    }
    return exit_ok;
}

std::string_view to_string(Severity sev)
{
    switch (sev) {
    case Severity::note: return "note";
    case Severity::info: return "info";
    case Severity::abort: return "error";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
    case Severity::security: return "security";
    case Severity::fatal: return "fatal";
    }
    return "?";
}

std::string Diagnostics::format(const Diagnostic& d) const
{
    const std::string& file = d.loc.file < _files.size() ? _files[d.loc.file] : std::string();
    if (d.loc.line == 0) {
        return fmt::format("{}: {}: {}", file, to_string(d.severity), d.message);
    }
    return fmt::format("{}:{}:{}: {}: {}", file, d.loc.line, d.loc.col, to_string(d.severity), d.message);
}

} // namespace conf

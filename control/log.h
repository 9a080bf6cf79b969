// vipd's log: keepalived's wording and shape ("Sun Nov 22 23:32:03 2026: (VI_1) Entering MASTER STATE")
// on stderr with -l, else syslog (daemon facility, ident "vipd"), through spdlog.
#pragma once

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace vlog {

void init(bool console, bool detail);
void line(std::string_view text);         // an event as keepalived would log it (LOG_INFO)
void warn(std::string_view text);         // LOG_WARNING
void error(std::string_view text);        // LOG_ERR
void debug(std::string_view text);        // only with -D

// The same levels with a format string, checked at compile time: vlog::warn("{} is down", name). A
// text that is already whole (a std::string, a diagnostic) takes the plain overload above, so braces
// in it are never read as a format.
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args)
{
    line(fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args)
{
    warn(std::string_view(fmt::format(f, std::forward<Args>(args)...)));
}

template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args)
{
    error(std::string_view(fmt::format(f, std::forward<Args>(args)...)));
}

template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args)
{
    debug(std::string_view(fmt::format(f, std::forward<Args>(args)...)));
}

} // namespace vlog

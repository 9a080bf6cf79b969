// vipd's log: keepalived's wording and shape ("Sun Nov 22 23:32:03 2026: (VI_1) Entering MASTER STATE")
// on stderr with -l, else syslog (daemon facility, ident "vipd"), through spdlog.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace vlog {

void init(bool console, bool detail);
void line(std::string_view text);         // an event as keepalived would log it (LOG_INFO)
void warn(std::string_view text);         // LOG_WARNING
void error(std::string_view text);        // LOG_ERR
void debug(std::string_view text);        // only with -D

template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args)
{
    line(fmt::format(f, std::forward<Args>(args)...));
}

} // namespace vlog

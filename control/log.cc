// spdlog set up once for the control thread: console (-l) or syslog, keepalived's timestamp format.
#include "control/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include <syslog.h>

namespace vlog {

namespace {
std::shared_ptr<spdlog::logger> g_log;
bool g_detail = false;

spdlog::logger& logger()
{
    if (!g_log) {
        init(true, false);
    }
    return *g_log;
}
} // namespace

void init(bool console, bool detail)
{
    g_detail = detail;
    if (console) {
        g_log = std::make_shared<spdlog::logger>("vipd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
        g_log->set_pattern("%a %b %d %H:%M:%S %Y: %v");
    } else {
        g_log = std::make_shared<spdlog::logger>("vipd", std::make_shared<spdlog::sinks::syslog_sink_mt>("vipd", LOG_PID, LOG_DAEMON, true));
        g_log->set_pattern("%v");
    }
    g_log->set_level(detail ? spdlog::level::debug : spdlog::level::info);
    g_log->flush_on(spdlog::level::debug);
}

void line(std::string_view text) { logger().info("{}", text); }
void warn(std::string_view text) { logger().warn("{}", text); }
void error(std::string_view text) { logger().error("{}", text); }
void debug(std::string_view text)
{
    if (g_detail) {
        logger().debug("{}", text);
    }
}

} // namespace vlog

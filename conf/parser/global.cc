// The global_defs keyword table: router id, VRRP defaults, script security, SMTP and nftables.
#include "conf/parser/block.h"

#include <fmt/format.h>

#include <climits>

namespace conf::parser {

namespace {

constexpr char no_router_id[] = "routerid name missing - ignoring";
constexpr char no_email_from[] = "emailfrom missing - ignoring";

}  // namespace

void Parser::global_defs(const Line& head)
{
    using G = GlobalDefs;
    // `[vrrp_|lvs_]notify_fifo FILENAME [user [group]]` into `f`; `type` is the keyword's prefix, for
    // keepalived's own complaints.
    static constexpr auto fifo_path = [](Parser& p, const Line& l, NotifyFifo& f, std::string_view type) {
        if (l.argc() < 2) {
            p._d.error(l.at(0), fmt::format("No {}notify_fifo name specified", type));
            return;
        }
        if (!f.path.empty()) {
            p._d.error(l.at(1), fmt::format("{}notify_fifo already specified - ignoring {}", type, l.words[1].text));
            return;
        }
        f.path = std::string(l.words[1].text);
        f.loc = l.at(1);
        if (l.argc() > 2) {
            f.user = std::string(l.words[2].text);
        }
        if (l.argc() > 3) {
            f.group = std::string(l.words[3].text);
        }
    };

    static constexpr auto fifo_script = [](Parser& p, const Line& l, NotifyFifo& f, std::string_view type) {
        if (l.argc() < 2) {
            p._d.error(l.at(0), fmt::format("No {}notify_fifo_script specified", type));
            return;
        }
        if (!f.script.empty()) {
            p._d.error(l.at(1), fmt::format("{}notify_fifo_script already specified - ignoring {}", type, l.words[1].text));
            return;
        }
        f.script = p.notify_command(l);
    };
    static const Table<G> table = {
        {"router_id", required_word<&G::router_id, no_router_id>},
        {"vrrp_version", number<&G::vrrp_version, 2, 3>},
        {"script_user",
         [](Parser& p, const Line& l, G& g) {
             std::string user = str(p.text(l, 1));
             if (user.empty()) {
                 return;
             }
             if (!p._env.user_exists(user)) {
                 p._d.error(l.at(1), fmt::format("Error setting global script uid/gid: no user '{}'", user));
                 return;
             }
             g.script_user = user;
             if (l.argc() > 2) {
                 g.script_group = str(l.words[2].text);
             }
         }},
        {"enable_script_security", flag<&G::enable_script_security>},
        {"notify_fifo", [](Parser& p, const Line& l, G& g) { fifo_path(p, l, g.notify_fifo, ""); }},
        {"notify_fifo_script", [](Parser& p, const Line& l, G& g) { fifo_script(p, l, g.notify_fifo, ""); }},
        {"vrrp_notify_fifo", [](Parser& p, const Line& l, G& g) { fifo_path(p, l, g.vrrp_notify_fifo, "vrrp_"); }},
        {"vrrp_notify_fifo_script", [](Parser& p, const Line& l, G& g) { fifo_script(p, l, g.vrrp_notify_fifo, "vrrp_"); }},
        {"lvs_notify_fifo", [](Parser& p, const Line& l, G& g) { fifo_path(p, l, g.lvs_notify_fifo, "lvs_"); }},
        {"lvs_notify_fifo_script", [](Parser& p, const Line& l, G& g) { fifo_script(p, l, g.lvs_notify_fifo, "lvs_"); }},
        {"vrrp_strict", flag<&G::vrrp_strict>},
        {"vrrp_skip_check_adv_addr", flag<&G::vrrp_skip_check_adv_addr>},
        {"vrrp_check_unicast_src", flag<&G::vrrp_check_unicast_src>},
        {"vrrp_garp_interval", decimal_seconds<&G::vrrp_garp_interval_us, 1, 4294967295ULL>},
        {"vrrp_gna_interval", decimal_seconds<&G::vrrp_gna_interval_us, 1, 4294967295ULL>},
        {"vrrp_garp_master_delay", whole_seconds<&G::vrrp_garp_master_delay_us, 0, UINT32_MAX / 1000000>},
        {"vrrp_garp_master_repeat", repeat<&G::vrrp_garp_master_repeat>},
        {"vrrp_garp_master_refresh", whole_seconds<&G::vrrp_garp_master_refresh_us, 0, UINT32_MAX / 1000000>},
        {"vrrp_garp_master_refresh_repeat", repeat<&G::vrrp_garp_master_refresh_repeat>},
        {"vrrp_mcast_group4",
         [](Parser& p, const Line& l, G& g) {
             if (auto v = p.ip(l, 1, "vrrp_mcast_group4"); v && v->is_v4()) {
                 g.vrrp_mcast_group4 = *v;
             }
         }},
        {"vrrp_mcast_group6",
         [](Parser& p, const Line& l, G& g) {
             if (auto v = p.ip(l, 1, "vrrp_mcast_group6"); v && !v->is_v4()) {
                 g.vrrp_mcast_group6 = *v;
             }
         }},
        {"notification_email",
         [](Parser& p, const Line& l, G& g) {
             for (auto& [w, loc] : p.word_block(l)) {
                 g.notification_email.push_back(w);
             }
         }},
        {"notification_email_from", required_word<&G::notification_email_from, no_email_from>},
        {"smtp_server",
         [](Parser& p, const Line& l, G& g) {
             std::string_view host = p.text(l, 1);
             if (host.empty()) {
                 return;
             }
             if (!Ip::parse(host)) {
                 p._d.error(l.at(1), fmt::format("Invalid smtp server {} (allowed: an IP address [port])", host));
                 return;
             }
             if (l.argc() > 2 && !p.integer(l, 2, 1, 65535)) {
                 return;
             }
             g.smtp_server = str(host);
         }},
        {"smtp_connect_timeout",
         [](Parser& p, const Line& l, G& g) {
             p.whole_seconds_at_least_one(l, g.smtp_connect_timeout_us, "smtp_connect_timeout");
         }},
        {"lvs_sync_daemon", word<&G::lvs_sync_daemon>},
        {"dynamic_interfaces", flag<&G::dynamic_interfaces>},
        {"nftables",
         [](Parser& p, const Line& l, G& g) {
             // keepalived: the table name (default "keepalived", under 256 bytes); it resets the priority.
             if (l.argc() > 1 && l.words[1].text.size() >= 256) {
                 p._d.error(l.at(1), "nftables table name too long - ignoring");
                 return;
             }
             g.nftables_table = l.argc() > 1 ? str(l.words[1].text) : std::string("keepalived");
             g.nftables_priority = -1;
         }},
        {"nftables_priority", number<&G::nftables_priority, INT32_MIN, INT32_MAX>},
        {"nftables_counters", flag<&G::nftables_counters>},
        {"smtp_alert",
         [](Parser& p, const Line& l, G&) {
             if (l.argc() > 1) {
                 std::string_view v = l.words[1].text;
                 if (v != "yes" && v != "no" && v != "true" && v != "false" && v != "on" && v != "off") {
                     p._d.error(l.at(1), fmt::format("Invalid value '{}' for global smtp_alert specified (allowed: "
                                                     "yes, no, true, false, on, off)",
                                                     v));
                 }
             }
         }},
    };
    // Keywords keepalived knows in global_defs that vipd records without acting on.
    static const Ignored<G> ignored = {
        .accepted = {"smtp_helo_name",
                     "smtp_alert_vrrp",
                     "smtp_alert_checker",
                     "router_id_from_hostname",
                     "vrrp_garp_lower_prio_delay",
                     "vrrp_garp_lower_prio_repeat",
                     "vrrp_garp_interval_lower",
                     "vrrp_lower_prio_no_advert",
                     "vrrp_higher_prio_send_advert",
                     "vrrp_iptables",
                     "vrrp_ipsets",
                     "vrrp_no_swap",
                     "checker_no_swap",
                     "vrrp_priority",
                     "checker_priority",
                     "bfd_priority",
                     "vrrp_rt_priority",
                     "checker_rt_priority",
                     "max_auto_priority",
                     "min_auto_priority_delay",
                     "no_email_faults",
                     "lvs_timeouts",
                     "lvs_flush",
                     "lvs_flush_onstop",
                     "default_interface",
                     "script_user_default",
                     "vrrp_startup_delay",
                     "vrrp_netlink_cmd_rcv_bufs",
                     "vrrp_netlink_monitor_rcv_bufs",
                     "lvs_netlink_cmd_rcv_bufs",
                     "lvs_netlink_monitor_rcv_bufs",
                     "enable_snmp_vrrp",
                     "enable_snmp_checker",
                     "enable_snmp_rfc",
                     "enable_snmp_rfcv2",
                     "enable_snmp_rfcv3",
                     "enable_traps",
                     "enable_dbus",
                     "snmp_socket",
                     "vrrp_min_garp",
                     "vrrp_mcast_group4_ignore",
                     "vrrp_rx_bufs_policy",
                     "vrrp_rx_bufs_multiplier",
                     "net_namespace",
                     "instance",
                     "uid",
                     "tmp_config_directory",
                     "process_names",
                     "process_name",
                     "vrrp_process_name",
                     "checker_process_name",
                     "bfd_process_name",
                     "reload_check_config",
                     "reload_time_file",
                     "reload_repeat",
                     "reload_file",
                     "data_use_instance",
                     "config_save_dir",
                     "umask",
                     "disable_local_igmp",
                     "vrrp_strict_mode",
                     "random_seed",
                     "fifo_write_vrrp_states_on_reload"},
        .accept = [](Parser& p, const Line& l, G& g) { p.accepted(l, &g.other); },
        .dropped = {"nftables_ifindex"},
    };
    read_block(head, table, ignored, _cfg.global);
}

}  // namespace conf::parser

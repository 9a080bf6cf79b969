// keepalived.conf parser: a keyword table per block, as keepalived has, filling the typed model and
// reporting what keepalived 2.2.7 reports, with file:line:col and the allowed values. The block
// mechanics, the value helpers and the handlers keywords share are in conf/parser/block.h.
#include "conf/parser.h"

#include "conf/lexer.h"
#include "conf/parser/block.h"
#include "conf/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <climits>
#include <iterator>

#include <unistd.h>

namespace conf {

namespace parser {

// --- global ---------------------------------------------------------------------------------
namespace {

constexpr char no_router_id[] = "routerid name missing - ignoring";
constexpr char no_email_from[] = "emailfrom missing - ignoring";

}  // namespace

void Parser::global_defs(const Line& head)
{
    using G = GlobalDefs;
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
                     "vrrp_notify_fifo",
                     "vrrp_notify_fifo_script",
                     "lvs_notify_fifo",
                     "lvs_notify_fifo_script",
                     "notify_fifo",
                     "notify_fifo_script",
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
    if (!expect_block(head)) {
        return;
    }
    run_block(table, ignored, _cfg.global);
}

// --- vrrp -----------------------------------------------------------------------------------
namespace {

// The notify scripts a vrrp_instance and a vrrp_sync_group both have.
template <class T>
Table<T> with_notify(Table<T> t)
{
    t.emplace("notify_master", Parser::script<&T::notify, &Notify::master>);
    t.emplace("notify_backup", Parser::script<&T::notify, &Notify::backup>);
    t.emplace("notify_fault", Parser::script<&T::notify, &Notify::fault>);
    t.emplace("notify_stop", Parser::script<&T::notify, &Notify::stop>);
    t.emplace("notify", Parser::script<&T::notify, &Notify::notify>);
    return t;
}

}  // namespace

// --- vrrp_script / track_file ------------------------------------------------------------------

void Parser::vrrp_script(const Line& head)
{
    using S = VrrpScript;
    static const Table<S> table = {
        {"script", [](Parser& p, const Line& l, S& s) { s.script = p.command(l, 1); }},
        {"interval",
         [](Parser& p, const Line& l, S& s) {
             p.whole_seconds_at_least_one(l, s.interval_us, fmt::format("({}): vrrp script interval", s.name));
         }},
        {"timeout",
         [](Parser& p, const Line& l, S& s) {
             p.whole_seconds_at_least_one(l, s.timeout_us, fmt::format("({}): vrrp script timeout", s.name));
         }},
        {"weight", weight<S, 253>},
        {"rise", number<&S::rise, 1, INT_MAX>},
        {"fall", number<&S::fall, 1, INT_MAX>},
        {"user",
         [](Parser& p, const Line& l, S& s) {
             s.user = str(p.text(l, 1));
             if (!s.user.empty() && !p._env.user_exists(s.user)) {
                 p._d.error(l.at(1), fmt::format("Unable to set uid/gid for script '{}': no user '{}' - removing",
                                                 s.script, s.user));
                 s.disabled = true;
             }
             if (l.argc() > 2) {
                 s.group = str(l.words[2].text);
             }
         }},
        {"init_fail", flag<&S::init_fail>},
    };
    VrrpScript s;
    s.name = head.argc() > 1 ? str(head.words[1].text) : std::string();
    s.loc = head.loc;
    if (s.name.empty()) {
        _d.error(head.at(0), "vrrp_script requires a name");
    }
    if (!expect_block(head)) {
        return;
    }
    run_block(table, s);
    if (s.script.empty()) {
        _d.error(_block_end, fmt::format("No script set for vrrp_script {} - removing", s.name));
        return;
    }
    if (s.disabled) {
        return;
    }
    if (s.user.empty() && default_user_missing(_block_end)) {
        _d.error(_block_end, fmt::format("Unable to set default user for vrrp script {} - removing", s.name));
        return;
    }
    if (s.name.empty()) {
        return;
    }
    for (const auto& other : _cfg.scripts) {
        if (other.name == s.name) {
            _d.error(head.at(1), fmt::format("vrrp_script {} already defined - ignoring this one", s.name));
            return;
        }
    }
    _cfg.scripts.push_back(std::move(s));
}

void Parser::track_file(const Line& head)
{
    using T = TrackFile;
    static const Table<T> table = {
        {"file", word<&T::path>},
        {"weight", weight<T, 254>},
        {"init_file",
         [](Parser& p, const Line& l, T& t) {
             // keepalived: [VALUE] [overwrite] in any order; a value outside [-254, 254] is kept, with a warning.
             t.init_value = 0;
             for (size_t i = 1; i < l.argc(); ++i) {
                 std::string_view w = l.words[i].text;
                 if (!w.empty() && (std::isdigit(static_cast<unsigned char>(w[0])) != 0 || w[0] == '-')) {
                     auto v = p.integer(l, i, INT_MIN, INT_MAX);
                     t.init_value = v ? static_cast<int>(*v) : 0;
                     if (v && (*v < -254 || *v > 254)) {
                         p._d.warn(l.at(i), fmt::format("Track file {} init value {} is outside sensible range "
                                                        "[-254, 254]",
                                                        t.name, *v));
                     }
                 } else if (w == "overwrite") {
                     t.init_overwrite = true;
                 } else {
                     p._d.error(l.at(i), fmt::format("Unknown track file init option {}", w));
                 }
             }
         }},
    };
    TrackFile t;
    t.name = head.argc() > 1 ? str(head.words[1].text) : std::string();
    t.loc = head.loc;
    if (!expect_block(head)) {
        return;
    }
    run_block(table, t);
    if (t.path.empty()) {
        _d.error(_block_end, fmt::format("No file set for track_file {} - ignoring", t.name));
        return;
    }
    _cfg.track_files.push_back(std::move(t));
}

// --- track_interface / track_script / track_file blocks ----------------------------------------

void Parser::track_block(const Line& head, std::vector<TrackRef>& out, int min_weight, int max_weight)
{
    each_line(head, [&](const Line& l) {
        TrackRef t{.name = str(l.words[0].text), .weight = std::nullopt, .reverse = false, .loc = l.loc};
        bool drop = false;
        for (size_t i = 1; i < l.argc(); ++i) {
            if (l.words[i].text == "weight" && i + 1 == l.argc()) {
                // keepalived reports it and ignores the entry (a missing value elsewhere stops its parser).
                const std::string_view kw = head.words[0].text;
                _d.error(l.at(i), fmt::format("weight without value specified for {} {} - ignoring",
                                              kw == "track_script" ? "track script"
                                              : kw == "track_file" ? "track file"
                                                                   : kw,
                                              t.name));
                drop = true;
            } else if (l.words[i].text == "weight") {
                if (auto v = integer(l, i + 1, min_weight, max_weight)) {
                    t.weight = static_cast<int>(*v);
                }
                ++i;
            } else if (l.words[i].text == "reverse") {
                t.reverse = true;
            } else if (l.words[i].text == "noreverse") {
                t.noreverse = true;
            } else {
                _d.error(l.at(i), fmt::format("{}: unknown option '{}' (allowed: weight N [reverse|noreverse])",
                                              head.words[0].text, l.words[i].text));
            }
        }
        if (!drop) {
            out.push_back(std::move(t));
        }
    });
}

void Parser::track_files(const Line& head, const std::string& who, std::vector<TrackRef>& out)
{
    std::vector<TrackRef> refs;
    track_block(head, refs, -254, 254);
    for (auto& r : refs) {
        const bool known = std::any_of(_cfg.track_files.begin(), _cfg.track_files.end(),
                                       [&](const TrackFile& f) { return f.name == r.name; });
        if (!known) {
            // keepalived resolves the name when it reads it (2.2.7 then crashes on an unknown one).
            _d.error(r.loc, fmt::format("({}) track file {} not found, ignoring...", who, r.name));
            continue;
        }
        if (std::any_of(out.begin(), out.end(), [&](const TrackRef& o) { return o.name == r.name; })) {
            _d.error(r.loc, fmt::format("({}) duplicate track_file {} - ignoring", who, r.name));
            continue;
        }
        out.push_back(std::move(r));
    }
}

void Parser::track_scripts(const Line& head, VrrpInstance* vi, std::vector<TrackRef>& out)
{
    std::vector<TrackRef> refs;
    track_block(head, refs, -253, 253);
    for (auto& r : refs) {
        bool found = false;
        for (const auto& s : _cfg.scripts) {
            found = found || s.name == r.name;
        }
        if (!found) {
            // keepalived resolves track_script when it reads it: a script defined later is not found.
            _d.warn(r.loc, fmt::format("{}track script {} not found, ignoring...",
                                       vi ? fmt::format("({}) ", vi->name) : std::string(), r.name));
            continue;
        }
        out.push_back(std::move(r));
    }
}

// --- vrrp_sync_group ---------------------------------------------------------------------------

void Parser::sync_group(const Line& head)
{
    using G = SyncGroup;
    static const Table<G> table = with_notify<G>({
        {"group",
         [](Parser& p, const Line& l, G& g) {
             auto words = p.word_block(l);
             if (words.empty()) {
                 p._d.warn(l.at(0), fmt::format("Warning - sync group {} has empty group block", g.name));
             }
             for (auto& [w, loc] : words) {
                 g.members.push_back(w);
                 g.member_locs.push_back(loc);
             }
         }},
        {"smtp_alert", flag<&G::smtp_alert>},
        {"track_script", [](Parser& p, const Line& l, G& g) { p.track_scripts(l, nullptr, g.track_scripts); }},
        {"track_interface", [](Parser& p, const Line& l, G& g) { p.track_block(l, g.track_interfaces, -254, 254); }},
        {"track_file", [](Parser& p, const Line& l, G& g) { p.track_files(l, g.name, g.track_files); }},
        {"sync_group_tracking_weight", flag<&G::tracking_weight>},
    });
    static const Ignored<G> ignored = {.dropped = {"global_tracking"}};
    SyncGroup g;
    g.name = head.argc() > 1 ? str(head.words[1].text) : std::string();
    g.loc = head.loc;
    if (!expect_block(head)) {
        return;
    }
    run_block(table, ignored, g);
    _cfg.sync_groups.push_back(std::move(g));
}

// --- vrrp_instance -----------------------------------------------------------------------------

namespace {

// An instance's own address keywords say which instance in their complaints: "(VI_1) unicast_src_ip".
std::string in_instance(const Line& l, const VrrpInstance& v)
{
    return fmt::format("({}) {}", v.name, l.words[0].text);
}

}  // namespace

void Parser::vrrp_instance(const Line& head)
{
    using V = VrrpInstance;
    static const Table<V> auth = {
        {"auth_type",
         [](Parser& p, const Line& l, V& v) {
             std::string_view t = p.text(l, 1);
             if (t == "PASS") {
                 v.auth_type = AuthType::pass;
             } else if (t == "AH") {
                 v.auth_type = AuthType::ah;
             } else if (!t.empty()) {
                 p._d.error(l.at(1),
                            fmt::format("({}) unknown authentication type '{}' (allowed: PASS, AH)", v.name, t));
             }
         }},
        {"auth_pass",
         [](Parser& p, const Line& l, V& v) {
             std::string_view pw = p.text(l, 1);
             if (pw.size() > 8) {
                 p._d.warn(l.at(1), fmt::format("({}) Truncating auth_pass to 8 characters", v.name));
                 pw = pw.substr(0, 8);
             }
             v.auth_pass = str(pw);
         }},
    };
    static const Table<V> table = with_notify<V>({
        {"state",
         [](Parser& p, const Line& l, V& v) {
             std::string_view s = p.text(l, 1);
             v.state_set = true;
             if (s == "MASTER") {
                 v.state = InitialState::master;
             } else if (s == "BACKUP") {
                 v.state = InitialState::backup;
             } else if (!s.empty()) {
                 p._d.warn(l.at(1), fmt::format("({}) unknown state '{}', defaulting to BACKUP "
                                                "(allowed: MASTER, BACKUP)",
                                                v.name, s));
                 v.state = InitialState::backup;
             }
         }},
        {"interface",
         [](Parser& p, const Line& l, V& v) {
             v.interface = str(p.text(l, 1));
             v.interface_loc = l.at(1);
         }},
        {"virtual_router_id", number<&V::vrid, 1, 255>},
        {"priority",
         [](Parser& p, const Line& l, V& v) {
             if (auto n = p.integer(l, 1, 1, 255)) {
                 v.priority = static_cast<int>(*n);
                 v.priority_set = true;
             }
         }},
        {"advert_int", decimal_seconds<&V::advert_int_us, 10000, 255 * usec_per_sec>},
        {"version", number<&V::version, 2, 3>},
        {"nopreempt", flag<&V::preempt, false>},
        {"preempt", flag<&V::preempt>},
        {"preempt_delay", decimal_seconds<&V::preempt_delay_us, 0, 1000 * usec_per_sec>},
        {"authentication",
         [](Parser& p, const Line& l, V& v) {
             if (p.expect_block(l)) {
                 p.run_block(auth, v);
             }
         }},
        {"virtual_ipaddress", [](Parser& p, const Line& l, V& v) { p.vip_block(l, v.vips, in_instance(l, v)); }},
        {"virtual_ipaddress_excluded",
         [](Parser& p, const Line& l, V& v) { p.vip_block(l, v.excluded_vips, in_instance(l, v)); }},
        {"virtual_routes", [](Parser& p, const Line& l, V& v) { p.route_block(l, v.routes, true); }},
        {"virtual_rules", [](Parser& p, const Line& l, V& v) { p.rule_block(l, v.rules, true); }},
        {"unicast_src_ip", address<&V::unicast_src_ip, in_instance>},
        {"mcast_src_ip", address<&V::mcast_src_ip, in_instance>},
        {"unicast_peer",
         [](Parser& p, const Line& l, V& v) {
             p.each_line(l, [&](const Line& x) {
                 if (auto a = p.ip(x, 0, in_instance(l, v))) {
                     v.unicast_peers.push_back(*a);
                 }
             });
         }},
        {"use_vmac",
         [](Parser&, const Line& l, V& v) {
             v.use_vmac = true;
             if (l.argc() > 1) {
                 v.vmac_name = str(l.words[1].text);
             }
         }},
        {"vmac_xmit_base", flag<&V::vmac_xmit_base>},
        {"track_interface",
         [](Parser& p, const Line& l, V& v) {
             p.track_block(l, v.track_interfaces, -254, 254);
             for (auto& t : v.track_interfaces) {
                 if (t.weight && (*t.weight == 254 || *t.weight == -254)) {
                     p._d.warn(t.loc, fmt::format("({}) weight for {} cannot be +/-254. Setting to +/-253", v.name,
                                                  t.name));
                     t.weight = *t.weight > 0 ? 253 : -253;
                 }
             }
         }},
        {"track_script", [](Parser& p, const Line& l, V& v) { p.track_scripts(l, &v, v.track_scripts); }},
        {"track_file", [](Parser& p, const Line& l, V& v) { p.track_files(l, v.name, v.track_files); }},
        {"garp_master_delay", whole_seconds<&V::garp_master_delay_us, 0, 86400>},
        {"garp_master_repeat",
         [](Parser& p, const Line& l, V& v) {
             int repeat = 0;
             p.at_least_one(l, p.integer(l, 1, 0, INT_MAX), repeat, fmt::format("({}): garp_master_repeat", v.name));
             if (repeat != 0) {
                 v.garp_master_repeat = repeat;
             }
         }},
        {"garp_master_refresh", whole_seconds<&V::garp_master_refresh_us, 0, UINT32_MAX / 1000000>},
        {"garp_master_refresh_repeat", number<&V::garp_master_refresh_repeat, 0, INT_MAX>},
        {"notify_deleted", script<&V::notify, &Notify::deleted>},
        {"smtp_alert", flag<&V::smtp_alert>},
        {"dont_track_primary", flag<&V::dont_track_primary>},
        {"accept", flag<&V::accept>},
        {"no_accept", flag<&V::accept, false>},
        {"lvs_sync_daemon_interface",
         [](Parser& p, const Line& l, V& v) {
             p._d.warn(l.at(0), fmt::format("({}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. "
                                            "Please use global lvs_sync_daemon",
                                            v.name));
             v.lvs_sync_daemon_interface = str(p.text(l, 1));
         }},
    });
    static const Ignored<V> ignored = {
        .accepted = {"debug",
                     "strict_mode",
                     "skip_check_adv_addr",
                     "check_unicast_src",
                     "native_ipv6",
                     "unicast_ttl",
                     "unicast_fault_no_peer",
                     "kernel_rx_buf_size",
                     "track_process",
                     "track_bfd",
                     "linkbeat_use_polling",
                     "promote_secondaries",
                     "garp_lower_prio_delay",
                     "garp_lower_prio_repeat",
                     "lower_prio_no_advert",
                     "higher_prio_send_advert",
                     "old_unicast_checksum",
                     "use_ipvlan",
                     "mcast_dst_ip",
                     "notify_priority_changes",
                     "down_timer_adverts"},
        .accept = [](Parser& p, const Line& l, V& v) { p.unused(l, fmt::format("({}) ", v.name)); },
    };
    VrrpInstance v;
    v.name = head.argc() == 2 ? str(head.words[1].text) : std::string();
    v.loc = head.loc;
    if (v.name.empty()) {
        _d.error(head.at(0), "vrrp_instance must have a name (exactly one word) - skipping the block");
        if (enter(head)) {
            skip_block();
        }
        return;
    }
    if (!expect_block(head)) {
        return;
    }
    run_block(table, ignored, v);
    for (const auto& other : _cfg.instances) {
        if (!v.name.empty() && other.name == v.name) {
            _d.error(head.at(1), fmt::format("vrrp instance {} already defined - ignoring the second", v.name));
            return;
        }
    }
    _cfg.instances.push_back(std::move(v));
}

// --- addresses ------------------------------------------------------------------------------
std::optional<VirtualIp> Parser::vip_line(const Line& l, const std::string& context)
{
    std::string_view a = l.words[0].text;
    VirtualIp v;
    v.loc = l.loc;
    std::string_view addr = a;
    std::optional<int64_t> prefix;
    if (auto slash = a.find('/'); slash != std::string_view::npos) {
        addr = a.substr(0, slash);
        std::string_view pl = a.substr(slash + 1);
        int64_t n = -1;
        auto [ptr, ec] = std::from_chars(pl.data(), pl.data() + pl.size(), n);
        if (ec != std::errc() || ptr != pl.data() + pl.size()) {
            n = -1;
        }
        prefix = n;
    }
    auto ip = Ip::parse(addr);
    if (!ip) {
        _d.error(l.at(0), fmt::format("{}: invalid IP address '{}' - skipping", context, a));
        return std::nullopt;
    }
    v.addr = *ip;
    v.prefix = ip->max_prefix();
    if (prefix) {
        if (*prefix < 0 || *prefix > ip->max_prefix()) {
            _d.error(l.at(0), fmt::format("{}: invalid address prefix len in '{}' (allowed: 0-{}) - using {}", context,
                                          a, ip->max_prefix(), ip->max_prefix()));
        } else {
            v.prefix = static_cast<uint8_t>(*prefix);
        }
    }
    bool incomplete = false;
    for (size_t i = 1; i < l.argc(); ++i) {
        std::string_view w = l.words[i].text;
        auto value = [&]() -> std::string_view {
            if (i + 1 >= l.argc()) {
                // keepalived drops the whole address, not just the option.
                _d.error(l.at(i), fmt::format("{}: No {} parameter specified for {} - skipping", context, w, a));
                incomplete = true;
                return {};
            }
            return l.words[++i].text;
        };
        if (w == "dev") {
            v.dev = str(value());
        } else if (w == "label") {
            v.label = str(value());
        } else if (w == "scope") {
            std::string_view s = value();
            if (s != "global" && s != "site" && s != "link" && s != "host" && s != "nowhere" && !s.empty()) {
                _d.error(l.at(i), fmt::format("{}: invalid scope '{}' (allowed: global, site, link, host, nowhere)",
                                              context, s));
            } else {
                v.scope = str(s);
            }
        } else if (w == "brd" || w == "broadcast") {
            std::string_view b = value();
            if (b != "+" && b != "-") {
                if (auto bi = Ip::parse(b)) {
                    v.broadcast = bi;
                } else {
                    _d.error(l.at(i), fmt::format("{}: invalid broadcast address '{}'", context, b));
                }
            }
        } else if (w == "peer" || w == "track_group" || w == "preferred_lft") {
            value();
        } else if (w == "home" || w == "-nodad" || w == "nodad" || w == "noprefixroute" || w == "autojoin" ||
                   w == "no_track") {
        } else {
            _d.error(l.at(i), fmt::format("{}: unknown option '{}' for address {}", context, w, a));
        }
    }
    if (incomplete) {
        return std::nullopt;
    }
    return v;
}

void Parser::vip_block(const Line& head, std::vector<VirtualIp>& out, const std::string& context)
{
    each_line(head, [&](const Line& l) {
        if (auto v = vip_line(l, context)) {
            out.push_back(std::move(*v));
        }
    });
}

namespace {

// The words of an `ip route` line that take a value (but onlink), and those that stand alone.
const Keywords route_options = {"table",         "metric",   "priority", "preference", "scope",    "proto",
                                "protocol",      "realms",   "mtu",      "advmss",     "tos",      "dsfield",
                                "weight",        "onlink",   "type",     "initcwnd",   "initrwnd", "features",
                                "quickack",      "congctl",  "rto_min",  "hoplimit",   "window",   "rtt",
                                "rttvar",        "ssthresh", "cwnd",     "expires",    "pref",     "fastopen_no_cookie",
                                "ttl-propagate", "encap"};
const Keywords route_flags = {"blackhole", "unreachable", "prohibit", "throw", "nexthop", "no_track"};
// The words of an `ip rule` line that take a value (the addresses and the preference aside).
const Keywords rule_options = {"table",
                               "fwmark",
                               "iif",
                               "oif",
                               "tos",
                               "dsfield",
                               "goto",
                               "realms",
                               "suppress_prefixlength",
                               "suppress_ifgroup",
                               "uidrange",
                               "sport",
                               "dport",
                               "ipproto",
                               "protocol",
                               "l3mdev",
                               "type",
                               "lookup"};

}  // namespace

void Parser::route_block(const Line& head, std::vector<OpaqueLine>& out, bool vrrp)
{
    each_line(head, [&](const Line& l) {
        bool has_dev = false;
        bool dest_seen = false;
        std::string dest;
        for (size_t i = 0; i < l.argc(); ++i) {
            std::string_view w = l.words[i].text;
            auto check_ip = [&](size_t at) {
                if (at >= l.argc()) {
                    _d.error(l.at(i), fmt::format("Route: '{}' needs an address", w));
                    return;
                }
                std::string_view a = l.words[at].text;
                if (!Ip::parse(a.substr(0, a.find('/')))) {
                    _d.error(l.at(at), fmt::format("Route: invalid address '{}'", a));
                }
            };
            if (w == "src" || w == "via" || w == "gw" || w == "or" || w == "from") {
                if (w == "gw") {
                    _d.warn(l.at(i), "\"gw\" for routes is deprecated. Please use \"via\"");
                } else if (w == "or") {
                    _d.warn(l.at(i), "\"or\" for routes is deprecated. Please use \"nexthop\"");
                }
                check_ip(i + 1);
                ++i;
            } else if (w == "dev" || w == "oif") {
                has_dev = true;
                ++i;
            } else if (route_options.contains(w)) {
                if (w != "onlink") {
                    ++i;
                }
            } else if (route_flags.contains(w)) {
            } else if (!dest_seen) {
                dest_seen = true;
                dest = str(w);
                std::string_view a = w == "default" ? std::string_view("0.0.0.0") : w.substr(0, w.find('/'));
                if (!Ip::parse(a)) {
                    _d.error(l.at(i), fmt::format("Route: invalid destination '{}'", w));
                }
            }
        }
        if (vrrp && !has_dev && dest_seen) {
            _d.warn(l.at(0),
                    fmt::format("Warning - cannot track route {} with no interface specified, not tracking", dest));
        }
        out.push_back(opaque(l));
    });
}

void Parser::rule_block(const Line& head, std::vector<OpaqueLine>& out, bool vrrp)
{
    each_line(head, [&](const Line& l) {
        bool has_pref = false;
        bool bad = false;
        for (size_t i = 0; i < l.argc(); ++i) {
            std::string_view w = l.words[i].text;
            if (w == "preference" || w == "prio" || w == "priority" || w == "pref") {
                has_pref = true;
                ++i;
            } else if (w == "from" || w == "to") {
                if (i + 1 < l.argc()) {
                    std::string_view a = l.words[i + 1].text;
                    if (a != "all" && !Ip::parse(a.substr(0, a.find('/')))) {
                        _d.error(l.at(i + 1), fmt::format("Invalid rule {} address {}", w, a));
                        bad = true;
                    }
                }
                ++i;
            } else if (rule_options.contains(w)) {
                ++i;
            }
        }
        if (!bad && !has_pref) {
            int& pref = vrrp ? _vrrp_rule_pref : _static_rule_pref;
            _d.warn(l.at(0), fmt::format("Rule has no preference specified - setting to {}. This is probably not "
                                         "what you want.",
                                         pref));
            pref -= 2;
        }
        if (!bad) {
            out.push_back(opaque(l));
        }
    });
}

// --- ipvs -----------------------------------------------------------------------------------
namespace {

constexpr uint64_t max_seconds = 4294ULL * usec_per_sec;  // keepalived's timers: at most UINT32_MAX microseconds

// The timers a checker has, and a virtual_server gives its checkers as defaults (connect_timeout
// aside, which a MISC_CHECK has not).
template <class T>
Table<T> with_timers(Table<T> t)
{
    t.emplace("retry", Parser::number<&T::retry, 0, INT_MAX>);
    t.emplace("delay_before_retry", Parser::decimal_seconds<&T::delay_before_retry_us, 0, max_seconds>);
    t.emplace("warmup", Parser::decimal_seconds<&T::warmup_us, 0, max_seconds>);
    t.emplace("delay_loop", Parser::decimal_seconds<&T::delay_loop_us, 1, max_seconds>);
    return t;
}

constexpr size_t checker_types = static_cast<size_t>(CheckerType::bfd_check) + 1;

// The checker a real_server keyword names: its name in the model, or ICMP_CHECK, PING_CHECK's other name.
CheckerType checker_named(std::string_view kw)
{
    for (size_t i = 0; i < checker_types; ++i) {
        if (to_string(static_cast<CheckerType>(i)) == kw) {
            return static_cast<CheckerType>(i);
        }
    }
    return CheckerType::ping_check;
}

constexpr char not_a_scheduler[] = "is not a scheduler (allowed: rr wrr lc wlc lblc lblcr dh sh mh sed nq fo ovf)";
constexpr char not_a_method[] = "is not a forwarding method (allowed: NAT, DR, TUN)";
constexpr char not_a_protocol[] = "is not supported (allowed: TCP, UDP, SCTP)";

}  // namespace

// --- virtual_server_group ------------------------------------------------------------------------

void Parser::vs_group(const Line& head)
{
    VirtualServerGroup g;
    g.name = head.argc() > 1 ? str(head.words[1].text) : std::string();
    g.loc = head.loc;
    each_line(head, [&](const Line& l) {
        VsGroupEntry e;
        e.loc = l.loc;
        std::string_view w = l.words[0].text;
        if (w == "fwmark") {
            if (auto n = integer(l, 1, 1, UINT32_MAX)) {
                e.is_fwmark = true;
                e.fwmark = static_cast<uint32_t>(*n);
                g.entries.push_back(e);
            }
            return;
        }
        // "A.B.C.D-E PORT": the last octet may be a range end.
        std::string_view addr = w;
        std::string_view range_end;
        if (auto dash = w.rfind('-'); dash != std::string_view::npos) {
            addr = w.substr(0, dash);
            range_end = w.substr(dash + 1);
        }
        auto ip = Ip::parse(addr);
        if (!ip) {
            _d.error(l.at(0), fmt::format("virtual_server_group {}: invalid address '{}' - skipping", g.name, w));
            return;
        }
        e.first = e.last = *ip;
        if (!range_end.empty()) {
            unsigned end = 0;
            auto [p, ec] =
                std::from_chars(range_end.data(), range_end.data() + range_end.size(), end, ip->is_v4() ? 10 : 16);
            if (ec != std::errc() || p != range_end.data() + range_end.size() || end > (ip->is_v4() ? 255U : 65535U)) {
                _d.error(l.at(0), fmt::format("virtual_server_group {}: invalid address range '{}'", g.name, w));
                return;
            }
            if (ip->is_v4()) {
                e.last.bytes[3] = static_cast<uint8_t>(end);
            } else {
                e.last.bytes[14] = static_cast<uint8_t>(end >> 8);
                e.last.bytes[15] = static_cast<uint8_t>(end & 0xff);
            }
        }
        if (l.argc() > 1) {
            auto pt = port(l, 1);
            if (!pt) {
                return;
            }
            e.port = *pt;
        }
        g.entries.push_back(e);
    });
    if (g.entries.empty()) {
        _d.warn(_block_end, fmt::format("virtual server group {} has no entries - removing", g.name));
        return;
    }
    _cfg.vs_groups.push_back(std::move(g));
}

// --- url / checkers ------------------------------------------------------------------------------

void Parser::url(const Line& head, Checker& c)
{
    static const Table<Url> table = {
        {"path", word<&Url::path>},
        {"digest",
         [](Parser& p, const Line& l, Url& u) {
             std::string_view d = p.text(l, 1);
             bool hex = d.size() == 32;
             for (char ch : d) {
                 hex = hex && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'));
             }
             if (!hex) {
                 p._d.error(l.at(1), fmt::format("digest '{}' is not 32 hex digits (an MD5 sum) - ignoring", d));
                 return;
             }
             u.digest = str(d);
         }},
        {"status_code",
         [](Parser& p, const Line& l, Url& u) {
             for (size_t i = 1; i < l.argc(); ++i) {
                 std::string_view w = l.words[i].text;
                 auto dash = w.find('-');
                 std::string_view a = w.substr(0, dash);
                 std::string_view b = dash == std::string_view::npos ? a : w.substr(dash + 1);
                 unsigned lo = 0, hi = 0;
                 auto r1 = std::from_chars(a.data(), a.data() + a.size(), lo);
                 auto r2 = std::from_chars(b.data(), b.data() + b.size(), hi);
                 if (r1.ec != std::errc() || r1.ptr != a.data() + a.size() || r2.ec != std::errc() ||
                     r2.ptr != b.data() + b.size() || lo < 100 || hi > 599 || lo > hi) {
                     p._d.error(l.at(i),
                                fmt::format("status_code: invalid '{}' (allowed: codes or ranges within 100-599)", w));
                     continue;
                 }
                 u.status.push_back({static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)});
             }
         }},
        {"virtualhost", word<&Url::virtualhost>},
    };
    static const Ignored<Url> ignored = {
        .dropped = {"regex", "regex_no_match", "regex_options", "regex_stack", "regex_min_offset", "regex_max_offset",
                    "fast_recovery"},
    };
    Url u;
    u.loc = head.loc;
    if (!expect_block(head)) {
        return;
    }
    run_block(table, ignored, u);
    if (u.path.empty()) {
        _d.error(_block_end, "HTTP/SSL_GET checker url has no path - ignoring");
        return;
    }
    c.http->urls.push_back(std::move(u));
}

void Parser::checker(const Line& head, CheckerType type, RealServer& rs)
{
    using C = Checker;
    // What a checker block reads, by type: the keywords every checker has (a MISC_CHECK only their
    // timers), HTTP_GET/SSL_GET's and MISC_CHECK's own, and the other checkers' keywords, which vipd
    // keeps as written.
    struct Keys {
        Table<C> table;
        Ignored<C> ignored;
    };
    static const std::array<Keys, checker_types> by_type = [] {
        const Table<C> common = with_timers<C>({
            {"connect_ip", address<&C::connect_ip>},
            {"connect_port", number<&C::connect_port, 1, 65535>},
            {"bindto", address<&C::bindto>},
            {"bind_port", number<&C::bind_port, 0, 65535>},
            {"connect_timeout", decimal_seconds<&C::connect_timeout_us, 1, max_seconds>},
        });
        const Table<C> http = {
            {"url", [](Parser& p, const Line& l, C& c) { p.url(l, c); }},
            {"virtualhost", [](Parser& p, const Line& l, C& c) { c.http->virtualhost = str(p.text(l, 1)); }},
            {"enable_sni", [](Parser&, const Line&, C& c) { c.http->enable_sni = true; }},
            {"nb_get_retry",
             [](Parser& p, const Line& l, C& c) {
                 p._d.warn(l.at(0), "nb_get_retry is deprecated - please use 'retry'");
                 if (auto v = p.integer(l, 1, 0, INT_MAX)) {
                     c.retry = static_cast<int>(*v);
                 }
             }},
        };
        const Table<C> misc = with_timers<C>({
            {"misc_path", [](Parser& p, const Line& l, C& c) { c.misc->path = p.command(l, 1); }},
            {"misc_timeout",
             [](Parser& p, const Line& l, C& c) {
                 if (auto v = p.integer(l, 1, 1, UINT32_MAX / 1000000)) {
                     c.misc->timeout_us = static_cast<uint64_t>(*v) * usec_per_sec;
                 }
             }},
            {"misc_dynamic", [](Parser&, const Line&, C& c) { c.misc->dynamic = true; }},
            {"user",
             [](Parser& p, const Line& l, C& c) {
                 c.misc->user = str(p.text(l, 1));
                 if (l.argc() > 2) {
                     c.misc->group = str(l.words[2].text);
                 }
             }},
        });
        const Table<C> dns = {
            {"type",
             [](Parser& p, const Line& l, C& c) {
                 static const std::array<std::string_view, 7> types = {"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"};
                 std::string_view t = p.text(l, 1);
                 if (std::find(types.begin(), types.end(), t) == types.end()) {
                     p._d.error(l.at(1), fmt::format("Unknown DNS check type {} - ignoring (allowed: A NS CNAME SOA MX "
                                                     "TXT AAAA)",
                                                     t));
                 } else {
                     c.other.push_back(opaque(l));
                 }
             }},
        };
        const Table<C> file = {
            {"track_file",
             [](Parser& p, const Line& l, C& c) {
                 std::string_view name = p.text(l, 1);
                 bool found = false;
                 for (const auto& t : p._cfg.track_files) {
                     found = found || t.name == name;
                 }
                 if (found) {
                     c.other.push_back(opaque(l));
                 } else {
                     p._d.error(l.at(1), fmt::format("track_file {} not found", name));
                 }
             }},
        };
        // vipd has no BFD yet, so no bfd_instance is ever configured.
        const Handler<C> no_bfd = [](Parser& p, const Line& l, C&) {
            p._d.error(l.at(1), fmt::format("([{}]:{}) BFD_CHECK - BFD {} not configured", p._rs_checked->addr.str(),
                                            p._rs_checked->port, p.text(l, 1)));
        };
        std::array<Keys, checker_types> out;
        for (size_t i = 0; i < checker_types; ++i) {
            const auto t = static_cast<CheckerType>(i);
            Keys& k = out[i];
            k.ignored.accept = [](Parser& p, const Line& l, C& c) { p.accepted(l, &c.other); };
            if (t == CheckerType::misc_check) {
                k.table = misc;
            } else {
                k.table = common;
                k.ignored.dropped = {"alpha", "fwmark", "log_all_failures", "checker_name", "bind_if"};
            }
            switch (t) {
            case CheckerType::http_get:
            case CheckerType::ssl_get:
                k.table.insert(http.begin(), http.end());
                k.ignored.dropped.insert({"http_protocol", "tls_compliant"});
                break;
            case CheckerType::dns_check:
                k.table.insert(dns.begin(), dns.end());
                k.ignored.accepted = {"name"};
                break;
            case CheckerType::smtp_check: k.ignored.accepted = {"helo_name", "host"}; break;
            case CheckerType::udp_check:
                k.ignored.accepted = {"require_reply", "payload", "min_reply_length", "max_reply_length"};
                break;
            case CheckerType::file_check:
                k.table.insert(file.begin(), file.end());
                k.ignored.accepted = {"weight", "default_down"};
                break;
            case CheckerType::bfd_check:
                k.table.emplace("name", no_bfd);
                k.table.emplace("bfd_name", no_bfd);
                k.ignored.accepted = {"weight"};
                break;
            default: break;
            }
        }
        return out;
    }();
    Checker c;
    c.type = type;
    c.loc = head.loc;
    if (type == CheckerType::http_get || type == CheckerType::ssl_get) {
        c.http.emplace();
    } else if (type == CheckerType::misc_check) {
        c.misc.emplace();
    }
    if (!expect_block(head)) {
        rs.checkers.push_back(std::move(c));
        return;
    }
    const Keys& keys = by_type[static_cast<size_t>(type)];
    _rs_checked = &rs;
    run_block(keys.table, keys.ignored, c);
    if (type == CheckerType::misc_check && c.misc->path.empty()) {
        _d.error(_block_end, "No script path has been specified for MISC_CHECKER - skipping");
        return;
    }
    if (type == CheckerType::misc_check && c.misc->user.empty() && default_user_missing(_block_end)) {
        _d.error(_block_end, fmt::format("Unable to set default user for misc script '{}' - removing", c.misc->path));
        return;
    }
    auto names_track_file = [&] {
        return std::any_of(c.other.begin(), c.other.end(),
                           [](const OpaqueLine& o) { return !o.words.empty() && o.words[0] == "track_file"; });
    };
    if (type == CheckerType::file_check && !names_track_file()) {
        _d.error(_block_end, "FILE_CHECK has no track_file specified - ignoring");
        return;
    }
    if (c.http && c.http->urls.empty()) {
        // keepalived 2.2.7 prints this and then crashes (SIGSEGV); vipd drops the checker.
        _d.error(_block_end, "HTTP/SSL_GET checker has no urls specified - ignoring");
        return;
    }
    rs.checkers.push_back(std::move(c));
}

// --- real_server / virtual_server ----------------------------------------------------------------

void Parser::real_server(const Line& head, VirtualServer& vs)
{
    using R = RealServer;
    static const Table<R> table = [] {
        Table<R> t = {
            {"weight", number<&R::weight, 0, INT_MAX>},
            {"inhibit_on_failure",
             [](Parser&, const Line& l, R& r) {
                 r.inhibit_on_failure = !(l.argc() > 1 && (l.words[1].text == "false" || l.words[1].text == "off" ||
                                                           l.words[1].text == "no"));
             }},
            {"notify_up", script<&R::notify_up>},
            {"notify_down", script<&R::notify_down>},
            {"uthreshold", number<&R::uthreshold, 0, UINT32_MAX>},
            {"lthreshold", number<&R::lthreshold, 0, UINT32_MAX>},
            {"delay_loop", decimal_seconds<&R::delay_loop_us, 1, max_seconds>},
        };
        const Handler<R> check = [](Parser& p, const Line& l, R& r) {
            p.checker(l, checker_named(l.words[0].text), r);
        };
        for (size_t i = 0; i < checker_types; ++i) {
            t.emplace(to_string(static_cast<CheckerType>(i)), check);
        }
        t.emplace("ICMP_CHECK", check);
        return t;
    }();
    static const Ignored<R> ignored = {
        .dropped = {"retry", "delay_before_retry", "warmup", "connect_timeout", "smtp_alert", "virtualhost", "alpha",
                    "log_all_failures"},
    };
    RealServer r;
    r.loc = head.loc;
    bool ok = true;
    if (auto a = ip(head, 1, "real_server")) {
        r.addr = *a;
    } else {
        ok = false;
    }
    if (head.argc() > 2) {
        if (auto pt = port(head, 2)) {
            r.port = *pt;
        } else {
            ok = false;
        }
    }
    if (!enter(head)) {
        _d.error(head.at(0), "real_server expects a block: missing '{'");
    } else {
        run_block(table, ignored, r);
    }
    if (ok) {
        vs.real_servers.push_back(std::move(r));
    }
}

void Parser::virtual_server(const Line& head)
{
    using V = VirtualServer;
    static const Table<V> table = with_timers<V>({
        {"lb_algo", one_of<&V::algo, &V::algo_set, parse_lb_algo, not_a_scheduler>},
        {"lvs_sched", one_of<&V::algo, &V::algo_set, parse_lb_algo, nullptr>},
        {"lb_kind", one_of<&V::kind, &V::kind_set, parse_lb_kind, not_a_method>},
        {"lvs_method", one_of<&V::kind, &V::kind_set, parse_lb_kind, nullptr>},
        {"protocol", one_of<&V::protocol, &V::protocol_set, parse_protocol, not_a_protocol>},
        {"persistence_timeout", number<&V::persistence_timeout_s, 1, 2678400>},
        {"persistence_granularity", address<&V::persistence_granularity>},
        {"quorum",
         [](Parser& p, const Line& l, V& v) { p.at_least_one(l, p.integer(l, 1, 0, UINT32_MAX), v.quorum, "Quorum"); }},
        {"hysteresis", number<&V::hysteresis, 0, UINT32_MAX>},
        {"quorum_up", script<&V::quorum_up>},
        {"quorum_down", script<&V::quorum_down>},
        {"sorry_server",
         [](Parser& p, const Line& l, V& v) {
             RealServer r;
             r.loc = l.loc;
             if (auto a = p.ip(l, 1, "sorry_server")) {
                 r.addr = *a;
                 if (l.argc() > 2) {
                     if (auto pt = p.port(l, 2)) {
                         r.port = *pt;
                     }
                 }
                 v.sorry_server = r;
             }
         }},
        {"sorry_server_inhibit", flag<&V::sorry_server_inhibit>},
        {"alpha", flag<&V::alpha>},
        {"omega", flag<&V::omega>},
        {"ha_suspend", flag<&V::ha_suspend>},
        {"inhibit_on_failure", flag<&V::inhibit_on_failure>},
        {"virtualhost", word<&V::virtualhost>},
        {"connect_timeout", decimal_seconds<&V::connect_timeout_us, 1, max_seconds>},
        {"real_server", [](Parser& p, const Line& l, V& v) { p.real_server(l, v); }},
    });
    static const Ignored<V> ignored = {
        .dropped = {"ops", "one_packet_scheduling", "lb_flags", "lvs_flags", "hashed", "flag-1", "flag-2", "flag-3",
                    "sh-port", "sh-fallback", "mh-port", "mh-fallback", "smtp_alert", "ip_family", "log_all_failures"},
    };
    VirtualServer v;
    v.loc = head.loc;
    bool ok = true;
    std::string_view first = head.argc() > 1 ? head.words[1].text : std::string_view();
    if (first == "fwmark") {
        v.by = VirtualServer::By::fwmark;
        if (auto n = integer(head, 2, 1, UINT32_MAX)) {
            v.fwmark = static_cast<uint32_t>(*n);
        } else {
            ok = false;
        }
    } else if (first == "group") {
        v.by = VirtualServer::By::group;
        v.group = str(text(head, 2));
        ok = !v.group.empty();
    } else if (auto a = ip(head, 1, "virtual_server")) {
        v.addr = *a;
        if (head.argc() > 2) {
            if (auto pt = port(head, 2)) {
                v.port = *pt;
            } else {
                ok = false;
            }
        }
    } else {
        ok = false;
    }
    if (!expect_block(head)) {
        return;
    }
    // Real servers collect in a reused scratch vector and move into one of exact size: with tens of
    // thousands of services, growth slack per service would cost more than the servers themselves.
    _rs_scratch.clear();
    std::swap(v.real_servers, _rs_scratch);
    run_block(table, ignored, v);
    std::swap(v.real_servers, _rs_scratch);
    v.real_servers.reserve(_rs_scratch.size());
    std::move(_rs_scratch.begin(), _rs_scratch.end(), std::back_inserter(v.real_servers));
    if (ok) {
        _cfg.virtual_servers.push_back(std::move(v));
    }
}


void Parser::run()
{
    static const Table<Config> table = {
        {"global_defs", [](Parser& p, const Line& l, Config&) { p.global_defs(l); }},
        {"vrrp_script", [](Parser& p, const Line& l, Config&) { p.vrrp_script(l); }},
        {"vrrp_track_file", [](Parser& p, const Line& l, Config&) { p.track_file(l); }},
        {"track_file", [](Parser& p, const Line& l, Config&) { p.track_file(l); }},
        {"vrrp_sync_group", [](Parser& p, const Line& l, Config&) { p.sync_group(l); }},
        {"vrrp_instance", [](Parser& p, const Line& l, Config&) { p.vrrp_instance(l); }},
        {"virtual_server_group", [](Parser& p, const Line& l, Config&) { p.vs_group(l); }},
        {"virtual_server", [](Parser& p, const Line& l, Config&) { p.virtual_server(l); }},
        {"linkbeat_interfaces",
         [](Parser& p, const Line& l, Config&) {
             for (auto& [name, loc] : p.word_block(l)) {
                 if (!p._env.interface_exists(name)) {
                     p._d.fatal(loc, fmt::format("unknown interface {} specified for linkbeat interface", name));
                 }
             }
         }},
        {"static_ipaddress",
         [](Parser& p, const Line& l, Config& c) { p.vip_block(l, c.static_ipaddress, "static_ipaddress"); }},
        {"static_routes", [](Parser& p, const Line& l, Config& c) { p.route_block(l, c.static_routes, false); }},
        {"static_rules", [](Parser& p, const Line& l, Config& c) { p.rule_block(l, c.static_rules, false); }},
    };
    static const Ignored<Config> ignored = {
        .accepted = {"net_namespace",       "net_namespace_ipvs",   "namespace_with_ipsets", "instance",
                     "use_pid_dir",         "linkbeat_use_polling", "child_wait_time",       "garp_group",
                     "bfd_instance",        "vrrp_track_process",   "track_process",         "static_track_group",
                     "lvs_flush",           "lvs_flush_onstop",     "snmp_socket",           "enable_snmp_vrrp",
                     "enable_snmp_checker", "enable_snmp_rfc",      "enable_traps",          "enable_dbus"},
        .accept = [](Parser& p, const Line& l, Config& c) { p.unused(l, "", &c.global.other); },
    };
    Line l;
    while (read(l)) {
        if (l.is_close()) {
            _d.warn(l.at(0), "Unknown keyword '}'");
            continue;
        }
        if (l.is_open_only()) {
            _d.warn(l.at(0), "Unexpected '{' - ignoring");
            continue;
        }
        _unbraced_block.clear();
        dispatch(table, ignored, l, _cfg);
    }
    if (_braces > 0) {
        _d.warn(_lex.end_location(),
                fmt::format("There are {} missing '}}'s or extra '{{'s - closing them at end of file", _braces));
    }
}

}  // namespace parser

std::string host_name()
{
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) {
        return {};
    }
    return buf;
}

namespace {

Loaded load(Lexer& lex, Loaded&& out, const Environment& env)
{
    parser::Parser p(lex, out.diags, out.config, env);
    p.run();
    validate(out.config, out.diags, env);
    return std::move(out);
}

}  // namespace

Loaded load_file(const std::string& path, const ParseOptions& opts, const Environment& env)
{
    Loaded out;
    Lexer lex(out.diags, {.config_id = opts.config_id});
    if (!lex.open(path)) {
        return out;
    }
    return load(lex, std::move(out), env);
}

Loaded load_text(std::string name, std::string text, const ParseOptions& opts, const Environment& env)
{
    Loaded out;
    Lexer lex(out.diags, {.config_id = opts.config_id});
    lex.open_text(std::move(name), std::move(text));
    return load(lex, std::move(out), env);
}

}  // namespace conf

// keepalived.conf parser: a keyword table per block, as keepalived has, filling the typed model and
// reporting what keepalived 2.2.7 reports, with file:line:col and the allowed values.
#include "conf/parser.h"

#include "conf/lexer.h"
#include "conf/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <cctype>
#include <climits>
#include <unordered_map>

namespace conf {

namespace {

class Parser;
template <class T>
using Handler = void (*)(Parser&, const Line&, T&);
template <class T>
using Table = std::unordered_map<std::string_view, Handler<T>>;

std::string str(std::string_view s)
{
    return std::string(s);
}

// Timers in keepalived's decimal seconds ("1", "0.05") to microseconds; false if malformed.
bool parse_decimal_us(std::string_view s, uint64_t& out)
{
    uint64_t whole = 0;
    uint64_t frac = 0;
    size_t i = 0;
    if (s.empty()) {
        return false;
    }
    bool digits = false;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
        digits = true;
        if (whole > UINT32_MAX) {
            return false;
        }
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        uint64_t scale = 100000;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
            frac += static_cast<uint64_t>(s[i] - '0') * scale;
            scale /= 10;
            digits = true;
        }
    }
    if (i != s.size() || !digits) {
        return false;
    }
    out = whole * usec_per_sec + frac;
    return true;
}

std::string format_us(uint64_t us)
{
    if (us % usec_per_sec == 0) {
        return fmt::format("{}", us / usec_per_sec);
    }
    std::string s = fmt::format("{}.{:06}", us / usec_per_sec, us % usec_per_sec);
    while (s.back() == '0') {
        s.pop_back();
    }
    return s;
}

class Parser {
public:
    Parser(Lexer& lex, Diagnostics& d, Config& cfg, const Environment& env) : _lex(lex), _d(d), _cfg(cfg), _env(env) {}

    void run();

    // --- block mechanics -------------------------------------------------------------------
    // Every line is read here so braces are counted as keepalived counts them: a `}` that closes
    // nothing is "Extra", and what stays open at the end of input is reported there.
    bool read(Line& line)
    {
        if (!_lex.next(line)) {
            return false;
        }
        if (line.opens_block()) {
            ++_braces;
        } else if (line.is_close() && --_braces < 0) {
            _d.warn(line.at(0), "Extra '}' found");
            _braces = 0;
        }
        return true;
    }
    // True when `head` opens a block (`{` at its end or alone on the next line).
    bool enter(const Line& head)
    {
        if (head.opens_block()) {
            return true;
        }
        const Line* next = _lex.peek();
        if (next != nullptr && next->is_open_only()) {
            Line brace;
            read(brace);
            return true;
        }
        return false;
    }
    // A block keyword without `{`: keepalived says so and reads the following lines as its body anyway.
    bool expect_block(const Line& head)
    {
        if (enter(head)) {
            return true;
        }
        const Line* next = _lex.peek();
        _d.warn(next != nullptr ? next->loc : head.loc, fmt::format("Missing '{{' at beginning of configuration block '{}'", head.words[0].text));
        if (_braces == 0) {
            // keepalived then reads every line up to the block's end as a stray top-level keyword too;
            // vipd points at each of them once, naming the block they were meant for.
            _unbraced_block = fmt::format("{} {}", head.words[0].text, head.argc() > 1 ? head.words[1].text : std::string_view());
        }
        return true;
    }
    // The next line inside the current block; false at its `}` (consumed) or at the end of input.
    bool next_in_block(Line& line)
    {
        while (read(line)) {
            if (!_unbraced_block.empty()) {
                _d.warn(line.at(0), fmt::format("'{}' is read as part of '{}', which lacks its '{{'", line.words[0].text, _unbraced_block));
            }
            if (line.is_close()) {
                _block_end = line.loc;
                return false;
            }
            if (line.is_open_only()) {
                _d.warn(line.at(0), "Unexpected '{' - ignoring");
                continue;
            }
            return true;
        }
        _block_end = _lex.end_location();
        return false;
    }
    // Skips the block of a keyword vipd accepts without reading (its braces still count).
    void skip_block()
    {
        Line l;
        int depth = 1;
        while (depth > 0 && read(l)) {
            if (l.is_close()) {
                --depth;
            } else if (l.opens_block()) {
                ++depth;
            }
        }
    }
    template <class T>
    void run_block(const Table<T>& table, T& obj)
    {
        Line l;
        while (next_in_block(l)) {
            auto it = table.find(l.words[0].text);
            if (it == table.end()) {
                unknown(l);
                continue;
            }
            it->second(*this, l, obj);
        }
    }
    // keepalived does not skip an unknown keyword's block: its `{` is "unexpected" and the body is read
    // as keywords of the enclosing block, whose `}` then closes the enclosing block.
    void unknown(const Line& l)
    {
        _d.warn(l.at(0), fmt::format("Unknown keyword '{}'", l.words[0].text));
        if (l.opens_block()) {
            _d.warn(l.at(l.words.size() - 1), "Unexpected '{' - ignoring");
        }
    }
    // A keyword keepalived accepts that vipd records but does not act on yet.
    void accepted(const Line& l, std::vector<OpaqueLine>* keep = nullptr)
    {
        if (keep != nullptr) {
            keep->push_back(opaque(l));
        }
        if (enter(l)) {
            skip_block();
        }
    }
    static OpaqueLine opaque(const Line& l)
    {
        OpaqueLine o{.words = {}, .loc = l.loc};
        for (size_t i = 0; i < l.argc(); ++i) {
            o.words.push_back(str(l.words[i].text));
        }
        return o;
    }

    // --- values ----------------------------------------------------------------------------
    std::optional<std::string_view> arg(const Line& l, size_t i)
    {
        if (i < l.argc()) {
            return l.words[i].text;
        }
        _d.report(Severity::abort, l.at(0), fmt::format("Configuration line starting '{}' is missing a parameter after keyword '{}' at word position {}",
                                                         l.words[0].text, l.words[0].text, i));
        return std::nullopt;
    }
    // Integer in [lo, hi]; on failure reports (keepalived drops the setting) and returns nullopt.
    std::optional<int64_t> integer(const Line& l, size_t i, int64_t lo, int64_t hi)
    {
        auto a = arg(l, i);
        if (!a) {
            return std::nullopt;
        }
        int64_t v = 0;
        auto [p, ec] = std::from_chars(a->data(), a->data() + a->size(), v);
        if (ec != std::errc() || p != a->data() + a->size()) {
            _d.error(l.at(i), fmt::format("{}: '{}' is not a valid number (allowed: integer in [{}, {}])", l.words[0].text, *a, lo, hi));
            return std::nullopt;
        }
        if (v < lo || v > hi) {
            _d.error(l.at(i), fmt::format("{}: number '{}' outside range [{}, {}]", l.words[0].text, *a, lo, hi));
            return std::nullopt;
        }
        return v;
    }
    // Decimal seconds in [lo, hi] microseconds.
    std::optional<uint64_t> seconds(const Line& l, size_t i, uint64_t lo_us, uint64_t hi_us)
    {
        auto a = arg(l, i);
        if (!a) {
            return std::nullopt;
        }
        uint64_t us = 0;
        if (!parse_decimal_us(*a, us)) {
            _d.error(l.at(i), fmt::format("{}: '{}' is not a valid number of seconds (allowed: [{}, {}])", l.words[0].text, *a, format_us(lo_us), format_us(hi_us)));
            return std::nullopt;
        }
        if (us < lo_us || us > hi_us) {
            _d.error(l.at(i), fmt::format("{}: number '{}' outside range [{}, {}]", l.words[0].text, *a, format_us(lo_us), format_us(hi_us)));
            return std::nullopt;
        }
        return us;
    }
    std::optional<Ip> ip(const Line& l, size_t i, std::string_view what)
    {
        auto a = arg(l, i);
        if (!a) {
            return std::nullopt;
        }
        auto v = Ip::parse(*a);
        if (!v) {
            _d.error(l.at(i), fmt::format("{}: invalid IP address '{}' - skipping", what, *a));
        }
        return v;
    }
    std::optional<uint16_t> port(const Line& l, size_t i)
    {
        auto v = integer(l, i, 0, 65535);
        if (!v) {
            return std::nullopt;
        }
        return static_cast<uint16_t>(*v);
    }
    std::string_view text(const Line& l, size_t i) { return arg(l, i).value_or(std::string_view()); }
    // A script's command: the one word (or quoted string) after the keyword, as keepalived takes it;
    // further words are a notify line's user and group, and are ignored elsewhere.
    std::string command(const Line& l, size_t from)
    {
        std::string out = from < l.argc() ? std::string(l.words[from].text) : std::string();
        if (out.empty()) {
            _d.error(l.at(0), fmt::format("{}: missing script", l.words[0].text));
        }
        return out;
    }
    // `notify_* COMMAND [user [group]]` (and quorum_up/down, notify_up/down): the user and group are
    // not arguments of the script but who it runs as.
    Command notify_command(const Line& l)
    {
        Command c;
        c.text = command(l, 1);
        c.loc = l.at(1);
        if (l.argc() > 2) {
            c.user = str(l.words[2].text);
        }
        if (l.argc() > 3) {
            c.group = str(l.words[3].text);
        }
        if (!c.text.empty() && c.user.empty()) {
            (void)default_user_missing(l.at(0));
        }
        return c;
    }

    // With enable_script_security and no script_user, scripts run as keepalived_script; where that
    // user does not exist keepalived removes every script that has no user of its own.
    bool default_user_missing(Location at)
    {
        const auto& g = _cfg.global;
        if (!g.enable_script_security || !g.script_user.empty() || _env.user_exists("keepalived_script")) {
            return false;
        }
        if (!_default_user_reported) {
            _d.error(at, "Unable to set default user keepalived_script for script");
            _default_user_reported = true;
        }
        return true;
    }
    // Fix-up of a counter that must be at least 1, as keepalived does for repeats and timeouts.
    template <class T>
    void at_least_one(const Line& l, std::optional<int64_t> v, T& out, std::string_view what)
    {
        if (!v) {
            return;
        }
        if (*v == 0) {
            _d.warn(l.at(1), fmt::format("{} must be greater than 0, setting to 1", what));
            out = 1;
            return;
        }
        out = static_cast<T>(*v);
    }

    // --- blocks ----------------------------------------------------------------------------
    void global_defs(const Line& head);
    void vrrp_script(const Line& head);
    void track_file(const Line& head);
    void sync_group(const Line& head);
    void vrrp_instance(const Line& head);
    void vs_group(const Line& head);
    void virtual_server(const Line& head);
    void real_server(const Line& head, VirtualServer& vs);
    void checker(const Line& head, CheckerType type, RealServer& rs);
    void url(const Line& head, Checker& c);

    void vip_block(const Line& head, std::vector<VirtualIp>& out, const std::string& context);
    std::optional<VirtualIp> vip_line(const Line& l, const std::string& context);
    void route_block(const Line& head, std::vector<OpaqueLine>& out, bool vrrp);
    void rule_block(const Line& head, std::vector<OpaqueLine>& out, bool vrrp);
    void track_block(const Line& head, std::vector<TrackRef>& out, int min_weight, int max_weight);
    void track_scripts(const Line& head, VrrpInstance* vi, std::vector<TrackRef>& out);
    void track_files(const Line& head, const std::string& who, std::vector<TrackRef>& out);
    std::vector<std::pair<std::string, Location>> word_block(const Line& head);

    Lexer& _lex;
    Diagnostics& _d;
    Config& _cfg;
    const Environment& _env;
    bool _default_user_reported = false;
    int _braces = 0;              // open `{` not yet closed
    std::string _unbraced_block;  // set while reading the body of a top-level block that lacks its `{`
    std::vector<RealServer> _rs_scratch;
    Location _block_end;
    int _static_rule_pref = 16384;
    int _vrrp_rule_pref = 16383;
};

// ---------------------------------------------------------------------------------------------

void Parser::run()
{
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
        std::string_view kw = l.words[0].text;
        if (kw == "global_defs") {
            global_defs(l);
        } else if (kw == "vrrp_script") {
            vrrp_script(l);
        } else if (kw == "vrrp_track_file" || kw == "track_file") {
            track_file(l);
        } else if (kw == "vrrp_sync_group") {
            sync_group(l);
        } else if (kw == "vrrp_instance") {
            vrrp_instance(l);
        } else if (kw == "virtual_server_group") {
            vs_group(l);
        } else if (kw == "virtual_server") {
            virtual_server(l);
        } else if (kw == "linkbeat_interfaces") {
            for (auto& [name, loc] : word_block(l)) {
                if (!_env.interface_exists(name)) {
                    _d.fatal(loc, fmt::format("unknown interface {} specified for linkbeat interface", name));
                }
            }
        } else if (kw == "static_ipaddress") {
            vip_block(l, _cfg.static_ipaddress, "static_ipaddress");
        } else if (kw == "static_routes") {
            route_block(l, _cfg.static_routes, false);
        } else if (kw == "static_rules") {
            rule_block(l, _cfg.static_rules, false);
        } else if (kw == "net_namespace" || kw == "net_namespace_ipvs" || kw == "namespace_with_ipsets" || kw == "instance" ||
                   kw == "use_pid_dir" || kw == "linkbeat_use_polling" || kw == "child_wait_time" || kw == "garp_group" ||
                   kw == "bfd_instance" || kw == "vrrp_track_process" || kw == "track_process" || kw == "static_track_group" ||
                   kw == "lvs_flush" || kw == "lvs_flush_onstop" || kw == "snmp_socket" || kw == "enable_snmp_vrrp" ||
                   kw == "enable_snmp_checker" || kw == "enable_snmp_rfc" || kw == "enable_traps" || kw == "enable_dbus") {
            _d.note(l.at(0), fmt::format("'{}' is accepted but not used by vipd", kw));
            accepted(l, &_cfg.global.other);
        } else {
            unknown(l);
        }
    }
    if (_braces > 0) {
        _d.warn(_lex.end_location(), fmt::format("There are {} missing '}}'s or extra '{{'s - closing them at end of file", _braces));
    }
}

// --- global_defs ----------------------------------------------------------------------------

void Parser::global_defs(const Line& head)
{
    static const Table<GlobalDefs> table = {
        {"router_id", [](Parser& p, const Line& l, GlobalDefs& g) {
             if (l.argc() < 2) {
                 p._d.error(l.at(0), "routerid name missing - ignoring");
                 return;
             }
             g.router_id = str(l.words[1].text);
         }},
        {"vrrp_version", [](Parser& p, const Line& l, GlobalDefs& g) {
             if (auto v = p.integer(l, 1, 2, 3)) {
                 g.vrrp_version = static_cast<int>(*v);
             }
         }},
        {"script_user", [](Parser& p, const Line& l, GlobalDefs& g) {
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
        {"enable_script_security", [](Parser&, const Line&, GlobalDefs& g) { g.enable_script_security = true; }},
        {"vrrp_strict", [](Parser&, const Line&, GlobalDefs& g) { g.vrrp_strict = true; }},
        {"vrrp_skip_check_adv_addr", [](Parser&, const Line&, GlobalDefs& g) { g.vrrp_skip_check_adv_addr = true; }},
        {"vrrp_check_unicast_src", [](Parser&, const Line&, GlobalDefs& g) { g.vrrp_check_unicast_src = true; }},
        {"vrrp_garp_interval", [](Parser& p, const Line& l, GlobalDefs& g) {
             if (auto v = p.seconds(l, 1, 1, 4294967295ULL)) {
                 g.vrrp_garp_interval_us = *v;
             }
         }},
        {"vrrp_gna_interval", [](Parser& p, const Line& l, GlobalDefs& g) {
             if (auto v = p.seconds(l, 1, 1, 4294967295ULL)) {
                 g.vrrp_gna_interval_us = *v;
             }
         }},
        {"vrrp_garp_master_delay", [](Parser& p, const Line& l, GlobalDefs& g) {
             if (auto v = p.integer(l, 1, 0, UINT32_MAX / 1000000)) {
                 g.vrrp_garp_master_delay_us = static_cast<uint64_t>(*v) * usec_per_sec;
             }
         }},
        {"vrrp_garp_master_repeat", [](Parser& p, const Line& l, GlobalDefs& g) {
             p.at_least_one(l, p.integer(l, 1, 0, INT_MAX), g.vrrp_garp_master_repeat, "vrrp_garp_master_repeat");
         }},
        {"vrrp_garp_master_refresh", [](Parser& p, const Line& l, GlobalDefs& g) {
             if (auto v = p.integer(l, 1, 0, UINT32_MAX / 1000000)) {
                 g.vrrp_garp_master_refresh_us = static_cast<uint64_t>(*v) * usec_per_sec;
             }
         }},
        {"vrrp_garp_master_refresh_repeat", [](Parser& p, const Line& l, GlobalDefs& g) {
             p.at_least_one(l, p.integer(l, 1, 0, INT_MAX), g.vrrp_garp_master_refresh_repeat, "vrrp_garp_master_refresh_repeat");
         }},
        {"vrrp_mcast_group4", [](Parser& p, const Line& l, GlobalDefs& g) {
             if (auto v = p.ip(l, 1, "vrrp_mcast_group4"); v && v->is_v4()) {
                 g.vrrp_mcast_group4 = *v;
             }
         }},
        {"vrrp_mcast_group6", [](Parser& p, const Line& l, GlobalDefs& g) {
             if (auto v = p.ip(l, 1, "vrrp_mcast_group6"); v && !v->is_v4()) {
                 g.vrrp_mcast_group6 = *v;
             }
         }},
        {"notification_email", [](Parser& p, const Line& l, GlobalDefs& g) {
             for (auto& [w, loc] : p.word_block(l)) {
                 g.notification_email.push_back(w);
             }
         }},
        {"notification_email_from", [](Parser& p, const Line& l, GlobalDefs& g) {
             if (l.argc() < 2) {
                 p._d.error(l.at(0), "emailfrom missing - ignoring");
                 return;
             }
             g.notification_email_from = str(l.words[1].text);
         }},
        {"smtp_server", [](Parser& p, const Line& l, GlobalDefs& g) {
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
        {"smtp_connect_timeout", [](Parser& p, const Line& l, GlobalDefs& g) {
             uint64_t secs = 0;
             p.at_least_one(l, p.integer(l, 1, 0, 4294), secs, "smtp_connect_timeout");
             if (secs != 0) {
                 g.smtp_connect_timeout_us = secs * usec_per_sec;
             }
         }},
        {"lvs_sync_daemon", [](Parser& p, const Line& l, GlobalDefs& g) { g.lvs_sync_daemon = str(p.text(l, 1)); }},
        {"dynamic_interfaces", [](Parser&, const Line&, GlobalDefs& g) { g.dynamic_interfaces = true; }},
        {"nftables", [](Parser& p, const Line& l, GlobalDefs& g) {
             // keepalived: the table name (default "keepalived", under 256 bytes); it resets the priority.
             if (l.argc() > 1 && l.words[1].text.size() >= 256) {
                 p._d.error(l.at(1), "nftables table name too long - ignoring");
                 return;
             }
             g.nftables_table = l.argc() > 1 ? str(l.words[1].text) : std::string("keepalived");
             g.nftables_priority = -1;
         }},
        {"nftables_priority", [](Parser& p, const Line& l, GlobalDefs& g) {
             if (auto v = p.integer(l, 1, INT32_MIN, INT32_MAX)) {
                 g.nftables_priority = static_cast<int>(*v);
             }
         }},
        {"nftables_counters", [](Parser&, const Line&, GlobalDefs& g) { g.nftables_counters = true; }},
        {"nftables_ifindex", [](Parser&, const Line&, GlobalDefs&) {}},
        {"smtp_alert", [](Parser& p, const Line& l, GlobalDefs&) {
             if (l.argc() > 1) {
                 std::string_view v = l.words[1].text;
                 if (v != "yes" && v != "no" && v != "true" && v != "false" && v != "on" && v != "off") {
                     p._d.error(l.at(1), fmt::format("Invalid value '{}' for global smtp_alert specified (allowed: yes, no, true, false, on, off)", v));
                 }
             }
         }},
    };
    // Keywords keepalived knows in global_defs that vipd records without acting on.
    static const std::unordered_map<std::string_view, bool> known = {
        {"smtp_helo_name", true}, {"smtp_alert_vrrp", true}, {"smtp_alert_checker", true},
        {"router_id_from_hostname", true}, {"vrrp_garp_lower_prio_delay", true}, {"vrrp_garp_lower_prio_repeat", true},
        {"vrrp_garp_interval_lower", true}, {"vrrp_lower_prio_no_advert", true}, {"vrrp_higher_prio_send_advert", true},
        {"vrrp_iptables", true}, {"vrrp_ipsets", true}, {"vrrp_no_swap", true}, {"checker_no_swap", true},
        {"vrrp_priority", true}, {"checker_priority", true}, {"bfd_priority", true}, {"vrrp_rt_priority", true},
        {"checker_rt_priority", true}, {"max_auto_priority", true}, {"min_auto_priority_delay", true},
        {"no_email_faults", true}, {"lvs_timeouts", true}, {"lvs_flush", true},
        {"lvs_flush_onstop", true}, {"default_interface", true}, {"vrrp_notify_fifo", true}, {"vrrp_notify_fifo_script", true},
        {"lvs_notify_fifo", true}, {"lvs_notify_fifo_script", true}, {"notify_fifo", true}, {"notify_fifo_script", true},
        {"script_user_default", true}, {"vrrp_startup_delay", true}, {"vrrp_netlink_cmd_rcv_bufs", true},
        {"vrrp_netlink_monitor_rcv_bufs", true}, {"lvs_netlink_cmd_rcv_bufs", true}, {"lvs_netlink_monitor_rcv_bufs", true},
        {"enable_snmp_vrrp", true}, {"enable_snmp_checker", true}, {"enable_snmp_rfc", true}, {"enable_snmp_rfcv2", true},
        {"enable_snmp_rfcv3", true}, {"enable_traps", true}, {"enable_dbus", true}, {"snmp_socket", true},
        {"vrrp_min_garp", true}, {"vrrp_mcast_group4_ignore", true}, {"vrrp_rx_bufs_policy", true}, {"vrrp_rx_bufs_multiplier", true},
        {"net_namespace", true}, {"instance", true}, {"uid", true}, {"tmp_config_directory", true}, {"process_names", true},
        {"process_name", true}, {"vrrp_process_name", true}, {"checker_process_name", true}, {"bfd_process_name", true},
        {"reload_check_config", true}, {"reload_time_file", true}, {"reload_repeat", true}, {"reload_file", true},
        {"data_use_instance", true}, {"config_save_dir", true}, {"umask", true}, {"disable_local_igmp", true},
        {"vrrp_strict_mode", true}, {"random_seed", true}, {"fifo_write_vrrp_states_on_reload", true},
    };
    if (!expect_block(head)) {
        return;
    }
    Line l;
    while (next_in_block(l)) {
        std::string_view kw = l.words[0].text;
        if (auto it = table.find(kw); it != table.end()) {
            it->second(*this, l, _cfg.global);
        } else if (known.contains(kw)) {
            accepted(l, &_cfg.global.other);
        } else {
            unknown(l);
        }
    }
}

std::vector<std::pair<std::string, Location>> Parser::word_block(const Line& head)
{
    std::vector<std::pair<std::string, Location>> out;
    if (!expect_block(head)) {
        return out;
    }
    Line l;
    while (next_in_block(l)) {
        for (size_t i = 0; i < l.argc(); ++i) {
            out.emplace_back(str(l.words[i].text), l.at(i));
        }
        if (enter(l)) {
            skip_block();
        }
    }
    return out;
}

// --- vrrp_script / track_file -----------------------------------------------------------------

void Parser::vrrp_script(const Line& head)
{
    static const Table<VrrpScript> table = {
        {"script", [](Parser& p, const Line& l, VrrpScript& s) { s.script = p.command(l, 1); }},
        {"interval", [](Parser& p, const Line& l, VrrpScript& s) {
             uint64_t secs = 0;
             p.at_least_one(l, p.integer(l, 1, 0, 4294), secs, fmt::format("({}): vrrp script interval", s.name));
             if (secs != 0) {
                 s.interval_us = secs * usec_per_sec;
             }
         }},
        {"timeout", [](Parser& p, const Line& l, VrrpScript& s) {
             uint64_t secs = 0;
             p.at_least_one(l, p.integer(l, 1, 0, UINT32_MAX / 1000000), secs, fmt::format("({}): vrrp script timeout", s.name));
             if (secs != 0) {
                 s.timeout_us = secs * usec_per_sec;
             }
         }},
        {"weight", [](Parser& p, const Line& l, VrrpScript& s) {
             if (auto v = p.integer(l, 1, -253, 253)) {
                 s.weight = static_cast<int>(*v);
             }
             s.weight_reverse = l.argc() > 2 && l.words[2].text == "reverse";
         }},
        {"rise", [](Parser& p, const Line& l, VrrpScript& s) {
             if (auto v = p.integer(l, 1, 1, INT_MAX)) {
                 s.rise = static_cast<int>(*v);
             }
         }},
        {"fall", [](Parser& p, const Line& l, VrrpScript& s) {
             if (auto v = p.integer(l, 1, 1, INT_MAX)) {
                 s.fall = static_cast<int>(*v);
             }
         }},
        {"user", [](Parser& p, const Line& l, VrrpScript& s) {
             s.user = str(p.text(l, 1));
             if (!s.user.empty() && !p._env.user_exists(s.user)) {
                 p._d.error(l.at(1), fmt::format("Unable to set uid/gid for script '{}': no user '{}' - removing", s.script, s.user));
                 s.disabled = true;
             }
             if (l.argc() > 2) {
                 s.group = str(l.words[2].text);
             }
         }},
        {"init_fail", [](Parser&, const Line&, VrrpScript& s) { s.init_fail = true; }},
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
    static const Table<TrackFile> table = {
        {"file", [](Parser& p, const Line& l, TrackFile& t) { t.path = str(p.text(l, 1)); }},
        {"weight", [](Parser& p, const Line& l, TrackFile& t) {
             if (auto v = p.integer(l, 1, -254, 254)) {
                 t.weight = static_cast<int>(*v);
             }
             t.weight_reverse = l.argc() > 2 && l.words[2].text == "reverse";
         }},
        {"init_file", [](Parser& p, const Line& l, TrackFile& t) {
             // keepalived: [VALUE] [overwrite] in any order; a value outside [-254, 254] is kept, with a warning.
             t.init_value = 0;
             for (size_t i = 1; i < l.argc(); ++i) {
                 std::string_view w = l.words[i].text;
                 if (!w.empty() && (std::isdigit(static_cast<unsigned char>(w[0])) != 0 || w[0] == '-')) {
                     auto v = p.integer(l, i, INT_MIN, INT_MAX);
                     t.init_value = v ? static_cast<int>(*v) : 0;
                     if (v && (*v < -254 || *v > 254)) {
                         p._d.warn(l.at(i), fmt::format("Track file {} init value {} is outside sensible range [-254, 254]", t.name, *v));
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

// --- vrrp_sync_group --------------------------------------------------------------------------

void Parser::sync_group(const Line& head)
{
    static const Table<SyncGroup> table = {
        {"group", [](Parser& p, const Line& l, SyncGroup& g) {
             auto words = p.word_block(l);
             if (words.empty()) {
                 p._d.warn(l.at(0), fmt::format("Warning - sync group {} has empty group block", g.name));
             }
             for (auto& [w, loc] : words) {
                 g.members.push_back(w);
                 g.member_locs.push_back(loc);
             }
         }},
        {"notify_master", [](Parser& p, const Line& l, SyncGroup& g) { g.notify.master = p.notify_command(l); }},
        {"notify_backup", [](Parser& p, const Line& l, SyncGroup& g) { g.notify.backup = p.notify_command(l); }},
        {"notify_fault", [](Parser& p, const Line& l, SyncGroup& g) { g.notify.fault = p.notify_command(l); }},
        {"notify_stop", [](Parser& p, const Line& l, SyncGroup& g) { g.notify.stop = p.notify_command(l); }},
        {"notify", [](Parser& p, const Line& l, SyncGroup& g) { g.notify.notify = p.notify_command(l); }},
        {"smtp_alert", [](Parser&, const Line&, SyncGroup& g) { g.smtp_alert = true; }},
        {"track_script", [](Parser& p, const Line& l, SyncGroup& g) { p.track_scripts(l, nullptr, g.track_scripts); }},
        {"track_interface", [](Parser& p, const Line& l, SyncGroup& g) { p.track_block(l, g.track_interfaces, -254, 254); }},
        {"track_file", [](Parser& p, const Line& l, SyncGroup& g) { p.track_files(l, g.name, g.track_files); }},
        {"global_tracking", [](Parser&, const Line&, SyncGroup&) {}},
        {"sync_group_tracking_weight", [](Parser&, const Line&, SyncGroup& g) { g.tracking_weight = true; }},
    };
    SyncGroup g;
    g.name = head.argc() > 1 ? str(head.words[1].text) : std::string();
    g.loc = head.loc;
    if (!expect_block(head)) {
        return;
    }
    run_block(table, g);
    _cfg.sync_groups.push_back(std::move(g));
}

// --- vrrp_instance ----------------------------------------------------------------------------

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
            _d.error(l.at(0), fmt::format("{}: invalid address prefix len in '{}' (allowed: 0-{}) - using {}", context, a, ip->max_prefix(), ip->max_prefix()));
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
                _d.error(l.at(i), fmt::format("{}: invalid scope '{}' (allowed: global, site, link, host, nowhere)", context, s));
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
        } else if (w == "home" || w == "-nodad" || w == "nodad" || w == "noprefixroute" || w == "autojoin" || w == "no_track") {
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
    if (!expect_block(head)) {
        return;
    }
    Line l;
    while (next_in_block(l)) {
        if (auto v = vip_line(l, context)) {
            out.push_back(std::move(*v));
        }
        if (enter(l)) {
            skip_block();
        }
    }
}

void Parser::route_block(const Line& head, std::vector<OpaqueLine>& out, bool vrrp)
{
    if (!expect_block(head)) {
        return;
    }
    Line l;
    while (next_in_block(l)) {
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
            } else if (w == "table" || w == "metric" || w == "priority" || w == "preference" || w == "scope" || w == "proto" ||
                       w == "protocol" || w == "realms" || w == "mtu" || w == "advmss" || w == "tos" || w == "dsfield" ||
                       w == "weight" || w == "onlink" || w == "type" || w == "initcwnd" || w == "initrwnd" || w == "features" ||
                       w == "quickack" || w == "congctl" || w == "rto_min" || w == "hoplimit" || w == "window" || w == "rtt" ||
                       w == "rttvar" || w == "ssthresh" || w == "cwnd" || w == "expires" || w == "pref" || w == "fastopen_no_cookie" ||
                       w == "ttl-propagate" || w == "encap") {
                if (w != "onlink") {
                    ++i;
                }
            } else if (w == "blackhole" || w == "unreachable" || w == "prohibit" || w == "throw" || w == "nexthop" || w == "no_track") {
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
            _d.warn(l.at(0), fmt::format("Warning - cannot track route {} with no interface specified, not tracking", dest));
        }
        out.push_back(opaque(l));
        if (enter(l)) {
            skip_block();
        }
    }
}

void Parser::rule_block(const Line& head, std::vector<OpaqueLine>& out, bool vrrp)
{
    if (!expect_block(head)) {
        return;
    }
    Line l;
    while (next_in_block(l)) {
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
            } else if (w == "table" || w == "fwmark" || w == "iif" || w == "oif" || w == "tos" || w == "dsfield" || w == "goto" ||
                       w == "realms" || w == "suppress_prefixlength" || w == "suppress_ifgroup" || w == "uidrange" || w == "sport" ||
                       w == "dport" || w == "ipproto" || w == "protocol" || w == "l3mdev" || w == "type" || w == "lookup") {
                ++i;
            }
        }
        if (!bad && !has_pref) {
            int& pref = vrrp ? _vrrp_rule_pref : _static_rule_pref;
            _d.warn(l.at(0), fmt::format("Rule has no preference specified - setting to {}. This is probably not what you want.", pref));
            pref -= 2;
        }
        if (!bad) {
            out.push_back(opaque(l));
        }
        if (enter(l)) {
            skip_block();
        }
    }
}

void Parser::track_block(const Line& head, std::vector<TrackRef>& out, int min_weight, int max_weight)
{
    if (!expect_block(head)) {
        return;
    }
    Line l;
    while (next_in_block(l)) {
        TrackRef t{.name = str(l.words[0].text), .weight = std::nullopt, .reverse = false, .loc = l.loc};
        bool drop = false;
        for (size_t i = 1; i < l.argc(); ++i) {
            if (l.words[i].text == "weight" && i + 1 == l.argc()) {
                // keepalived reports it and ignores the entry (a missing value elsewhere stops its parser).
                const std::string_view kw = head.words[0].text;
                _d.error(l.at(i), fmt::format("weight without value specified for {} {} - ignoring",
                                              kw == "track_script" ? "track script" : kw == "track_file" ? "track file" : kw, t.name));
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
                _d.error(l.at(i), fmt::format("{}: unknown option '{}' (allowed: weight N [reverse|noreverse])", head.words[0].text, l.words[i].text));
            }
        }
        if (!drop) {
            out.push_back(std::move(t));
        }
        if (enter(l)) {
            skip_block();
        }
    }
}

void Parser::track_files(const Line& head, const std::string& who, std::vector<TrackRef>& out)
{
    std::vector<TrackRef> refs;
    track_block(head, refs, -254, 254);
    for (auto& r : refs) {
        const bool known = std::any_of(_cfg.track_files.begin(), _cfg.track_files.end(), [&](const TrackFile& f) { return f.name == r.name; });
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
            _d.warn(r.loc, fmt::format("{}track script {} not found, ignoring...", vi ? fmt::format("({}) ", vi->name) : std::string(), r.name));
            continue;
        }
        out.push_back(std::move(r));
    }
}

void Parser::vrrp_instance(const Line& head)
{
    static const Table<VrrpInstance> table = {
        {"state", [](Parser& p, const Line& l, VrrpInstance& v) {
             std::string_view s = p.text(l, 1);
             v.state_set = true;
             if (s == "MASTER") {
                 v.state = InitialState::master;
             } else if (s == "BACKUP") {
                 v.state = InitialState::backup;
             } else if (!s.empty()) {
                 p._d.warn(l.at(1), fmt::format("({}) unknown state '{}', defaulting to BACKUP (allowed: MASTER, BACKUP)", v.name, s));
                 v.state = InitialState::backup;
             }
         }},
        {"interface", [](Parser& p, const Line& l, VrrpInstance& v) {
             v.interface = str(p.text(l, 1));
             v.interface_loc = l.at(1);
         }},
        {"virtual_router_id", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (auto n = p.integer(l, 1, 1, 255)) {
                 v.vrid = static_cast<int>(*n);
             }
         }},
        {"priority", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (auto n = p.integer(l, 1, 1, 255)) {
                 v.priority = static_cast<int>(*n);
                 v.priority_set = true;
             }
         }},
        {"advert_int", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (auto n = p.seconds(l, 1, 10000, 255 * usec_per_sec)) {
                 v.advert_int_us = *n;
             }
         }},
        {"version", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (auto n = p.integer(l, 1, 2, 3)) {
                 v.version = static_cast<int>(*n);
             }
         }},
        {"nopreempt", [](Parser&, const Line&, VrrpInstance& v) { v.preempt = false; }},
        {"preempt", [](Parser&, const Line&, VrrpInstance& v) { v.preempt = true; }},
        {"preempt_delay", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (auto n = p.seconds(l, 1, 0, 1000 * usec_per_sec)) {
                 v.preempt_delay_us = *n;
             }
         }},
        {"authentication", [](Parser& p, const Line& l, VrrpInstance& v) {
             static const Table<VrrpInstance> auth = {
                 {"auth_type", [](Parser& p, const Line& l, VrrpInstance& v) {
                      std::string_view t = p.text(l, 1);
                      if (t == "PASS") {
                          v.auth_type = AuthType::pass;
                      } else if (t == "AH") {
                          v.auth_type = AuthType::ah;
                      } else if (!t.empty()) {
                          p._d.error(l.at(1), fmt::format("({}) unknown authentication type '{}' (allowed: PASS, AH)", v.name, t));
                      }
                  }},
                 {"auth_pass", [](Parser& p, const Line& l, VrrpInstance& v) {
                      std::string_view pw = p.text(l, 1);
                      if (pw.size() > 8) {
                          p._d.warn(l.at(1), fmt::format("({}) Truncating auth_pass to 8 characters", v.name));
                          pw = pw.substr(0, 8);
                      }
                      v.auth_pass = str(pw);
                  }},
             };
             if (p.expect_block(l)) {
                 p.run_block(auth, v);
             }
         }},
        {"virtual_ipaddress", [](Parser& p, const Line& l, VrrpInstance& v) { p.vip_block(l, v.vips, fmt::format("({}) virtual_ipaddress", v.name)); }},
        {"virtual_ipaddress_excluded", [](Parser& p, const Line& l, VrrpInstance& v) { p.vip_block(l, v.excluded_vips, fmt::format("({}) virtual_ipaddress_excluded", v.name)); }},
        {"virtual_routes", [](Parser& p, const Line& l, VrrpInstance& v) { p.route_block(l, v.routes, true); }},
        {"virtual_rules", [](Parser& p, const Line& l, VrrpInstance& v) { p.rule_block(l, v.rules, true); }},
        {"unicast_src_ip", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (auto a = p.ip(l, 1, fmt::format("({}) unicast_src_ip", v.name))) {
                 v.unicast_src_ip = a;
             }
         }},
        {"mcast_src_ip", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (auto a = p.ip(l, 1, fmt::format("({}) mcast_src_ip", v.name))) {
                 v.mcast_src_ip = a;
             }
         }},
        {"unicast_peer", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (!p.expect_block(l)) {
                 return;
             }
             Line x;
             while (p.next_in_block(x)) {
                 if (auto a = p.ip(x, 0, fmt::format("({}) unicast_peer", v.name))) {
                     v.unicast_peers.push_back(*a);
                 }
                 if (p.enter(x)) {
                     p.skip_block();
                 }
             }
         }},
        {"use_vmac", [](Parser&, const Line& l, VrrpInstance& v) {
             v.use_vmac = true;
             if (l.argc() > 1) {
                 v.vmac_name = str(l.words[1].text);
             }
         }},
        {"vmac_xmit_base", [](Parser&, const Line&, VrrpInstance& v) { v.vmac_xmit_base = true; }},
        {"track_interface", [](Parser& p, const Line& l, VrrpInstance& v) {
             p.track_block(l, v.track_interfaces, -254, 254);
             for (auto& t : v.track_interfaces) {
                 if (t.weight && (*t.weight == 254 || *t.weight == -254)) {
                     p._d.warn(t.loc, fmt::format("({}) weight for {} cannot be +/-254. Setting to +/-253", v.name, t.name));
                     t.weight = *t.weight > 0 ? 253 : -253;
                 }
             }
         }},
        {"track_script", [](Parser& p, const Line& l, VrrpInstance& v) { p.track_scripts(l, &v, v.track_scripts); }},
        {"track_file", [](Parser& p, const Line& l, VrrpInstance& v) { p.track_files(l, v.name, v.track_files); }},
        {"garp_master_delay", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (auto n = p.integer(l, 1, 0, 86400)) {
                 v.garp_master_delay_us = static_cast<uint64_t>(*n) * usec_per_sec;
             }
         }},
        {"garp_master_repeat", [](Parser& p, const Line& l, VrrpInstance& v) {
             int repeat = 0;
             p.at_least_one(l, p.integer(l, 1, 0, INT_MAX), repeat, fmt::format("({}): garp_master_repeat", v.name));
             if (repeat != 0) {
                 v.garp_master_repeat = repeat;
             }
         }},
        {"garp_master_refresh", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (auto n = p.integer(l, 1, 0, UINT32_MAX / 1000000)) {
                 v.garp_master_refresh_us = static_cast<uint64_t>(*n) * usec_per_sec;
             }
         }},
        {"garp_master_refresh_repeat", [](Parser& p, const Line& l, VrrpInstance& v) {
             if (auto n = p.integer(l, 1, 0, INT_MAX)) {
                 v.garp_master_refresh_repeat = static_cast<int>(*n);
             }
         }},
        {"notify_master", [](Parser& p, const Line& l, VrrpInstance& v) { v.notify.master = p.notify_command(l); }},
        {"notify_backup", [](Parser& p, const Line& l, VrrpInstance& v) { v.notify.backup = p.notify_command(l); }},
        {"notify_fault", [](Parser& p, const Line& l, VrrpInstance& v) { v.notify.fault = p.notify_command(l); }},
        {"notify_stop", [](Parser& p, const Line& l, VrrpInstance& v) { v.notify.stop = p.notify_command(l); }},
        {"notify_deleted", [](Parser& p, const Line& l, VrrpInstance& v) { v.notify.deleted = p.notify_command(l); }},
        {"notify", [](Parser& p, const Line& l, VrrpInstance& v) { v.notify.notify = p.notify_command(l); }},
        {"smtp_alert", [](Parser&, const Line&, VrrpInstance& v) { v.smtp_alert = true; }},
        {"dont_track_primary", [](Parser&, const Line&, VrrpInstance& v) { v.dont_track_primary = true; }},
        {"accept", [](Parser&, const Line&, VrrpInstance& v) { v.accept = true; }},
        {"no_accept", [](Parser&, const Line&, VrrpInstance& v) { v.accept = false; }},
        {"lvs_sync_daemon_interface", [](Parser& p, const Line& l, VrrpInstance& v) {
             p._d.warn(l.at(0), fmt::format("({}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon", v.name));
             v.lvs_sync_daemon_interface = str(p.text(l, 1));
         }},
    };
    static const std::unordered_map<std::string_view, bool> known = {
        {"debug", true}, {"strict_mode", true}, {"skip_check_adv_addr", true}, {"check_unicast_src", true}, {"native_ipv6", true},
        {"unicast_ttl", true}, {"unicast_fault_no_peer", true}, {"kernel_rx_buf_size", true}, {"track_process", true},
        {"track_bfd", true}, {"linkbeat_use_polling", true}, {"promote_secondaries", true}, {"garp_lower_prio_delay", true},
        {"garp_lower_prio_repeat", true}, {"lower_prio_no_advert", true}, {"higher_prio_send_advert", true},
        {"old_unicast_checksum", true}, {"vmac_xmit_base", true}, {"use_ipvlan", true}, {"mcast_dst_ip", true},
        {"notify_priority_changes", true}, {"no_accept", true}, {"down_timer_adverts", true}, {"version", true},
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
    Line l;
    while (next_in_block(l)) {
        std::string_view kw = l.words[0].text;
        if (auto it = table.find(kw); it != table.end()) {
            it->second(*this, l, v);
        } else if (known.contains(kw)) {
            _d.note(l.at(0), fmt::format("({}) '{}' is accepted but not used by vipd", v.name, kw));
            accepted(l);
        } else {
            unknown(l);
        }
    }
    for (const auto& other : _cfg.instances) {
        if (!v.name.empty() && other.name == v.name) {
            _d.error(head.at(1), fmt::format("vrrp instance {} already defined - ignoring the second", v.name));
            return;
        }
    }
    _cfg.instances.push_back(std::move(v));
}

// --- virtual_server_group / virtual_server ----------------------------------------------------

void Parser::vs_group(const Line& head)
{
    VirtualServerGroup g;
    g.name = head.argc() > 1 ? str(head.words[1].text) : std::string();
    g.loc = head.loc;
    if (!expect_block(head)) {
        return;
    }
    Line l;
    while (next_in_block(l)) {
        VsGroupEntry e;
        e.loc = l.loc;
        std::string_view w = l.words[0].text;
        if (w == "fwmark") {
            if (auto n = integer(l, 1, 1, UINT32_MAX)) {
                e.is_fwmark = true;
                e.fwmark = static_cast<uint32_t>(*n);
                g.entries.push_back(e);
            }
        } else {
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
            } else {
                e.first = e.last = *ip;
                bool ok = true;
                if (!range_end.empty()) {
                    unsigned end = 0;
                    auto [p, ec] = std::from_chars(range_end.data(), range_end.data() + range_end.size(), end, ip->is_v4() ? 10 : 16);
                    if (ec != std::errc() || p != range_end.data() + range_end.size() || end > (ip->is_v4() ? 255U : 65535U)) {
                        _d.error(l.at(0), fmt::format("virtual_server_group {}: invalid address range '{}'", g.name, w));
                        ok = false;
                    } else if (ip->is_v4()) {
                        e.last.bytes[3] = static_cast<uint8_t>(end);
                    } else {
                        e.last.bytes[14] = static_cast<uint8_t>(end >> 8);
                        e.last.bytes[15] = static_cast<uint8_t>(end & 0xff);
                    }
                }
                if (ok && l.argc() > 1) {
                    if (auto pt = port(l, 1)) {
                        e.port = *pt;
                    } else {
                        ok = false;
                    }
                }
                if (ok) {
                    g.entries.push_back(e);
                }
            }
        }
        if (enter(l)) {
            skip_block();
        }
    }
    if (g.entries.empty()) {
        _d.warn(_block_end, fmt::format("virtual server group {} has no entries - removing", g.name));
        return;
    }
    _cfg.vs_groups.push_back(std::move(g));
}

void Parser::url(const Line& head, Checker& c)
{
    static const Table<Url> table = {
        {"path", [](Parser& p, const Line& l, Url& u) { u.path = str(p.text(l, 1)); }},
        {"digest", [](Parser& p, const Line& l, Url& u) {
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
        {"status_code", [](Parser& p, const Line& l, Url& u) {
             for (size_t i = 1; i < l.argc(); ++i) {
                 std::string_view w = l.words[i].text;
                 auto dash = w.find('-');
                 std::string_view a = w.substr(0, dash);
                 std::string_view b = dash == std::string_view::npos ? a : w.substr(dash + 1);
                 unsigned lo = 0, hi = 0;
                 auto r1 = std::from_chars(a.data(), a.data() + a.size(), lo);
                 auto r2 = std::from_chars(b.data(), b.data() + b.size(), hi);
                 if (r1.ec != std::errc() || r1.ptr != a.data() + a.size() || r2.ec != std::errc() || r2.ptr != b.data() + b.size() ||
                     lo < 100 || hi > 599 || lo > hi) {
                     p._d.error(l.at(i), fmt::format("status_code: invalid '{}' (allowed: codes or ranges within 100-599)", w));
                     continue;
                 }
                 u.status.push_back({static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)});
             }
         }},
        {"virtualhost", [](Parser& p, const Line& l, Url& u) { u.virtualhost = str(p.text(l, 1)); }},
        {"regex", [](Parser&, const Line&, Url&) {}},
        {"regex_no_match", [](Parser&, const Line&, Url&) {}},
        {"regex_options", [](Parser&, const Line&, Url&) {}},
        {"regex_stack", [](Parser&, const Line&, Url&) {}},
        {"regex_min_offset", [](Parser&, const Line&, Url&) {}},
        {"regex_max_offset", [](Parser&, const Line&, Url&) {}},
        {"fast_recovery", [](Parser&, const Line&, Url&) {}},
    };
    Url u;
    u.loc = head.loc;
    if (!expect_block(head)) {
        return;
    }
    run_block(table, u);
    if (u.path.empty()) {
        _d.error(_block_end, "HTTP/SSL_GET checker url has no path - ignoring");
        return;
    }
    c.http->urls.push_back(std::move(u));
}

void Parser::checker(const Line& head, CheckerType type, RealServer& rs)
{
    static const Table<Checker> common = {
        {"connect_ip", [](Parser& p, const Line& l, Checker& c) {
             if (auto a = p.ip(l, 1, "connect_ip")) {
                 c.connect_ip = a;
             }
         }},
        {"connect_port", [](Parser& p, const Line& l, Checker& c) {
             if (auto v = p.integer(l, 1, 1, 65535)) {
                 c.connect_port = static_cast<uint16_t>(*v);
             }
         }},
        {"bindto", [](Parser& p, const Line& l, Checker& c) {
             if (auto a = p.ip(l, 1, "bindto")) {
                 c.bindto = a;
             }
         }},
        {"bind_port", [](Parser& p, const Line& l, Checker& c) {
             if (auto v = p.port(l, 1)) {
                 c.bind_port = v;
             }
         }},
        {"connect_timeout", [](Parser& p, const Line& l, Checker& c) {
             if (auto v = p.seconds(l, 1, 1, 4294ULL * usec_per_sec)) {
                 c.connect_timeout_us = *v;
             }
         }},
        {"retry", [](Parser& p, const Line& l, Checker& c) {
             if (auto v = p.integer(l, 1, 0, INT_MAX)) {
                 c.retry = static_cast<int>(*v);
             }
         }},
        {"delay_before_retry", [](Parser& p, const Line& l, Checker& c) {
             if (auto v = p.seconds(l, 1, 0, 4294ULL * usec_per_sec)) {
                 c.delay_before_retry_us = *v;
             }
         }},
        {"warmup", [](Parser& p, const Line& l, Checker& c) {
             if (auto v = p.seconds(l, 1, 0, 4294ULL * usec_per_sec)) {
                 c.warmup_us = *v;
             }
         }},
        {"delay_loop", [](Parser& p, const Line& l, Checker& c) {
             if (auto v = p.seconds(l, 1, 1, 4294ULL * usec_per_sec)) {
                 c.delay_loop_us = *v;
             }
         }},
        {"alpha", [](Parser&, const Line&, Checker&) {}},
        {"fwmark", [](Parser&, const Line&, Checker&) {}},
        {"log_all_failures", [](Parser&, const Line&, Checker&) {}},
        {"checker_name", [](Parser&, const Line&, Checker&) {}},
        {"bind_if", [](Parser&, const Line&, Checker&) {}},
    };
    static const Table<Checker> http = {
        {"url", [](Parser& p, const Line& l, Checker& c) { p.url(l, c); }},
        {"virtualhost", [](Parser& p, const Line& l, Checker& c) { c.http->virtualhost = str(p.text(l, 1)); }},
        {"enable_sni", [](Parser&, const Line&, Checker& c) { c.http->enable_sni = true; }},
        {"nb_get_retry", [](Parser& p, const Line& l, Checker& c) {
             p._d.warn(l.at(0), "nb_get_retry is deprecated - please use 'retry'");
             if (auto v = p.integer(l, 1, 0, INT_MAX)) {
                 c.retry = static_cast<int>(*v);
             }
         }},
        {"http_protocol", [](Parser&, const Line&, Checker&) {}},
        {"tls_compliant", [](Parser&, const Line&, Checker&) {}},
    };
    static const Table<Checker> misc = {
        {"misc_path", [](Parser& p, const Line& l, Checker& c) { c.misc->path = p.command(l, 1); }},
        {"misc_timeout", [](Parser& p, const Line& l, Checker& c) {
             if (auto v = p.integer(l, 1, 1, UINT32_MAX / 1000000)) {
                 c.misc->timeout_us = static_cast<uint64_t>(*v) * usec_per_sec;
             }
         }},
        {"misc_dynamic", [](Parser&, const Line&, Checker& c) { c.misc->dynamic = true; }},
        {"user", [](Parser& p, const Line& l, Checker& c) {
             c.misc->user = str(p.text(l, 1));
             if (l.argc() > 2) {
                 c.misc->group = str(l.words[2].text);
             }
         }},
    };
    // The other checkers' own keywords: accepted and kept as written.
    static const std::unordered_map<std::string_view, CheckerType> opaque_keywords = {
        {"helo_name", CheckerType::smtp_check}, {"host", CheckerType::smtp_check}, {"name", CheckerType::dns_check},
        {"require_reply", CheckerType::udp_check}, {"payload", CheckerType::udp_check}, {"min_reply_length", CheckerType::udp_check},
        {"max_reply_length", CheckerType::udp_check}, {"track_file", CheckerType::file_check}, {"weight", CheckerType::file_check},
        {"default_down", CheckerType::file_check}, {"bfd_name", CheckerType::bfd_check},
    };
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
    Line l;
    while (next_in_block(l)) {
        std::string_view kw = l.words[0].text;
        if (auto it = common.find(kw); it != common.end() && type != CheckerType::misc_check) {
            it->second(*this, l, c);
        } else if (auto h = http.find(kw); h != http.end() && (type == CheckerType::http_get || type == CheckerType::ssl_get)) {
            h->second(*this, l, c);
        } else if (auto m = misc.find(kw); m != misc.end() && type == CheckerType::misc_check) {
            m->second(*this, l, c);
        } else if (type == CheckerType::misc_check && (kw == "warmup" || kw == "retry" || kw == "delay_before_retry" || kw == "delay_loop")) {
            common.at(kw)(*this, l, c);
        } else if (type == CheckerType::dns_check && kw == "type") {
            static const std::array<std::string_view, 7> types = {"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"};
            std::string_view t = text(l, 1);
            if (std::find(types.begin(), types.end(), t) == types.end()) {
                _d.error(l.at(1), fmt::format("Unknown DNS check type {} - ignoring (allowed: A NS CNAME SOA MX TXT AAAA)", t));
            } else {
                c.other.push_back(opaque(l));
            }
        } else if (type == CheckerType::file_check && kw == "track_file") {
            std::string_view name = text(l, 1);
            bool found = false;
            for (const auto& t : _cfg.track_files) {
                found = found || t.name == name;
            }
            if (found) {
                c.other.push_back(opaque(l));
            } else {
                _d.error(l.at(1), fmt::format("track_file {} not found", name));
            }
        } else if (type == CheckerType::bfd_check && (kw == "name" || kw == "bfd_name")) {
            // vipd has no BFD yet, so no bfd_instance is ever configured.
            _d.error(l.at(1), fmt::format("([{}]:{}) BFD_CHECK - BFD {} not configured", rs.addr.str(), rs.port, text(l, 1)));
        } else if (auto o = opaque_keywords.find(kw); o != opaque_keywords.end() &&
                   (o->second == type || (kw == "name" && type == CheckerType::bfd_check) || (kw == "weight" && type == CheckerType::bfd_check))) {
            accepted(l, &c.other);
        } else {
            unknown(l);
        }
    }
    if (type == CheckerType::misc_check && c.misc->path.empty()) {
        _d.error(_block_end, "No script path has been specified for MISC_CHECKER - skipping");
        return;
    }
    if (type == CheckerType::misc_check && c.misc->user.empty() && default_user_missing(_block_end)) {
        _d.error(_block_end, fmt::format("Unable to set default user for misc script '{}' - removing", c.misc->path));
        return;
    }
    auto names_track_file = [&] {
        return std::any_of(c.other.begin(), c.other.end(), [](const OpaqueLine& o) { return !o.words.empty() && o.words[0] == "track_file"; });
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

void Parser::real_server(const Line& head, VirtualServer& vs)
{
    static const Table<RealServer> table = {
        {"weight", [](Parser& p, const Line& l, RealServer& r) {
             if (auto v = p.integer(l, 1, 0, INT_MAX)) {
                 r.weight = static_cast<int>(*v);
             }
         }},
        {"inhibit_on_failure", [](Parser&, const Line& l, RealServer& r) {
             r.inhibit_on_failure = !(l.argc() > 1 && (l.words[1].text == "false" || l.words[1].text == "off" || l.words[1].text == "no"));
         }},
        {"notify_up", [](Parser& p, const Line& l, RealServer& r) { r.notify_up = p.notify_command(l); }},
        {"notify_down", [](Parser& p, const Line& l, RealServer& r) { r.notify_down = p.notify_command(l); }},
        {"uthreshold", [](Parser& p, const Line& l, RealServer& r) {
             if (auto v = p.integer(l, 1, 0, UINT32_MAX)) {
                 r.uthreshold = static_cast<uint32_t>(*v);
             }
         }},
        {"lthreshold", [](Parser& p, const Line& l, RealServer& r) {
             if (auto v = p.integer(l, 1, 0, UINT32_MAX)) {
                 r.lthreshold = static_cast<uint32_t>(*v);
             }
         }},
        {"delay_loop", [](Parser& p, const Line& l, RealServer& r) {
             if (auto v = p.seconds(l, 1, 1, 4294ULL * usec_per_sec)) {
                 r.delay_loop_us = *v;
             }
         }},
        {"HTTP_GET", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::http_get, r); }},
        {"SSL_GET", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::ssl_get, r); }},
        {"TCP_CHECK", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::tcp_check, r); }},
        {"MISC_CHECK", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::misc_check, r); }},
        {"DNS_CHECK", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::dns_check, r); }},
        {"SMTP_CHECK", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::smtp_check, r); }},
        {"UDP_CHECK", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::udp_check, r); }},
        {"PING_CHECK", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::ping_check, r); }},
        {"ICMP_CHECK", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::ping_check, r); }},
        {"FILE_CHECK", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::file_check, r); }},
        {"BFD_CHECK", [](Parser& p, const Line& l, RealServer& r) { p.checker(l, CheckerType::bfd_check, r); }},
        {"retry", [](Parser&, const Line&, RealServer&) {}},
        {"delay_before_retry", [](Parser&, const Line&, RealServer&) {}},
        {"warmup", [](Parser&, const Line&, RealServer&) {}},
        {"connect_timeout", [](Parser&, const Line&, RealServer&) {}},
        {"smtp_alert", [](Parser&, const Line&, RealServer&) {}},
        {"virtualhost", [](Parser&, const Line&, RealServer&) {}},
        {"alpha", [](Parser&, const Line&, RealServer&) {}},
        {"log_all_failures", [](Parser&, const Line&, RealServer&) {}},
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
        run_block(table, r);
    }
    if (ok) {
        vs.real_servers.push_back(std::move(r));
    }
}

void Parser::virtual_server(const Line& head)
{
    static const Table<VirtualServer> table = {
        {"delay_loop", [](Parser& p, const Line& l, VirtualServer& v) {
             if (auto n = p.seconds(l, 1, 1, 4294ULL * usec_per_sec)) {
                 v.delay_loop_us = *n;
             }
         }},
        {"lb_algo", [](Parser& p, const Line& l, VirtualServer& v) {
             std::string_view s = p.text(l, 1);
             if (auto a = parse_lb_algo(s)) {
                 v.algo = *a;
                 v.algo_set = true;
             } else if (!s.empty()) {
                 p._d.error(l.at(1), fmt::format("lb_algo '{}' is not a scheduler (allowed: rr wrr lc wlc lblc lblcr dh sh mh sed nq fo ovf)", s));
             }
         }},
        {"lvs_sched", [](Parser& p, const Line& l, VirtualServer& v) {
             if (auto a = parse_lb_algo(p.text(l, 1))) {
                 v.algo = *a;
                 v.algo_set = true;
             }
         }},
        {"lb_kind", [](Parser& p, const Line& l, VirtualServer& v) {
             std::string_view s = p.text(l, 1);
             if (auto k = parse_lb_kind(s)) {
                 v.kind = *k;
                 v.kind_set = true;
             } else if (!s.empty()) {
                 p._d.error(l.at(1), fmt::format("lb_kind '{}' is not a forwarding method (allowed: NAT, DR, TUN)", s));
             }
         }},
        {"lvs_method", [](Parser& p, const Line& l, VirtualServer& v) {
             if (auto k = parse_lb_kind(p.text(l, 1))) {
                 v.kind = *k;
                 v.kind_set = true;
             }
         }},
        {"protocol", [](Parser& p, const Line& l, VirtualServer& v) {
             std::string_view s = p.text(l, 1);
             if (auto pr = parse_protocol(s)) {
                 v.protocol = *pr;
                 v.protocol_set = true;
             } else if (!s.empty()) {
                 p._d.error(l.at(1), fmt::format("protocol '{}' is not supported (allowed: TCP, UDP, SCTP)", s));
             }
         }},
        {"persistence_timeout", [](Parser& p, const Line& l, VirtualServer& v) {
             if (auto n = p.integer(l, 1, 1, 2678400)) {
                 v.persistence_timeout_s = static_cast<uint32_t>(*n);
             }
         }},
        {"persistence_granularity", [](Parser& p, const Line& l, VirtualServer& v) {
             if (auto a = p.ip(l, 1, "persistence_granularity")) {
                 v.persistence_granularity = a;
             }
         }},
        {"quorum", [](Parser& p, const Line& l, VirtualServer& v) {
             p.at_least_one(l, p.integer(l, 1, 0, UINT32_MAX), v.quorum, "Quorum");
         }},
        {"hysteresis", [](Parser& p, const Line& l, VirtualServer& v) {
             if (auto n = p.integer(l, 1, 0, UINT32_MAX)) {
                 v.hysteresis = static_cast<uint32_t>(*n);
             }
         }},
        {"quorum_up", [](Parser& p, const Line& l, VirtualServer& v) { v.quorum_up = p.notify_command(l); }},
        {"quorum_down", [](Parser& p, const Line& l, VirtualServer& v) { v.quorum_down = p.notify_command(l); }},
        {"sorry_server", [](Parser& p, const Line& l, VirtualServer& v) {
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
        {"sorry_server_inhibit", [](Parser&, const Line&, VirtualServer& v) { v.sorry_server_inhibit = true; }},
        {"alpha", [](Parser&, const Line&, VirtualServer& v) { v.alpha = true; }},
        {"omega", [](Parser&, const Line&, VirtualServer& v) { v.omega = true; }},
        {"ha_suspend", [](Parser&, const Line&, VirtualServer& v) { v.ha_suspend = true; }},
        {"inhibit_on_failure", [](Parser&, const Line&, VirtualServer& v) { v.inhibit_on_failure = true; }},
        {"virtualhost", [](Parser& p, const Line& l, VirtualServer& v) { v.virtualhost = str(p.text(l, 1)); }},
        {"retry", [](Parser& p, const Line& l, VirtualServer& v) {
             if (auto n = p.integer(l, 1, 0, INT_MAX)) {
                 v.retry = static_cast<int>(*n);
             }
         }},
        {"delay_before_retry", [](Parser& p, const Line& l, VirtualServer& v) {
             if (auto n = p.seconds(l, 1, 0, 4294ULL * usec_per_sec)) {
                 v.delay_before_retry_us = *n;
             }
         }},
        {"warmup", [](Parser& p, const Line& l, VirtualServer& v) {
             if (auto n = p.seconds(l, 1, 0, 4294ULL * usec_per_sec)) {
                 v.warmup_us = *n;
             }
         }},
        {"connect_timeout", [](Parser& p, const Line& l, VirtualServer& v) {
             if (auto n = p.seconds(l, 1, 1, 4294ULL * usec_per_sec)) {
                 v.connect_timeout_us = *n;
             }
         }},
        {"real_server", [](Parser& p, const Line& l, VirtualServer& v) { p.real_server(l, v); }},
        {"ops", [](Parser&, const Line&, VirtualServer&) {}},
        {"one_packet_scheduling", [](Parser&, const Line&, VirtualServer&) {}},
        {"lb_flags", [](Parser&, const Line&, VirtualServer&) {}},
        {"lvs_flags", [](Parser&, const Line&, VirtualServer&) {}},
        {"hashed", [](Parser&, const Line&, VirtualServer&) {}},
        {"flag-1", [](Parser&, const Line&, VirtualServer&) {}},
        {"flag-2", [](Parser&, const Line&, VirtualServer&) {}},
        {"flag-3", [](Parser&, const Line&, VirtualServer&) {}},
        {"sh-port", [](Parser&, const Line&, VirtualServer&) {}},
        {"sh-fallback", [](Parser&, const Line&, VirtualServer&) {}},
        {"mh-port", [](Parser&, const Line&, VirtualServer&) {}},
        {"mh-fallback", [](Parser&, const Line&, VirtualServer&) {}},
        {"smtp_alert", [](Parser&, const Line&, VirtualServer&) {}},
        {"ip_family", [](Parser&, const Line&, VirtualServer&) {}},
        {"log_all_failures", [](Parser&, const Line&, VirtualServer&) {}},
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
    run_block(table, v);
    std::swap(v.real_servers, _rs_scratch);
    v.real_servers.reserve(_rs_scratch.size());
    std::move(_rs_scratch.begin(), _rs_scratch.end(), std::back_inserter(v.real_servers));
    if (ok) {
        _cfg.virtual_servers.push_back(std::move(v));
    }
}

} // namespace

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
    Parser p(lex, out.diags, out.config, env);
    p.run();
    validate(out.config, out.diags, env);
    return std::move(out);
}
} // namespace

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

} // namespace conf

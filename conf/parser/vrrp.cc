// The VRRP keyword tables: vrrp_script, track_file, vrrp_sync_group and vrrp_instance, with the
// track_* blocks they share (the address, route and rule blocks are in addresses.cc).
#include "conf/parser/block.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <climits>

namespace conf::parser {

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
    auto s = named_item<VrrpScript>(head);
    if (s.name.empty()) {
        _d.error(head.at(0), "vrrp_script requires a name");
    }
    if (!read_block(head, table, s)) {
        return;
    }
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
    auto t = named_item<TrackFile>(head);
    if (!read_block(head, table, t)) {
        return;
    }
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
    auto g = named_item<SyncGroup>(head);
    if (!read_block(head, table, ignored, g)) {
        return;
    }
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
    if (!read_block(head, table, ignored, v)) {
        return;
    }
    for (const auto& other : _cfg.instances) {
        if (!v.name.empty() && other.name == v.name) {
            _d.error(head.at(1), fmt::format("vrrp instance {} already defined - ignoring the second", v.name));
            return;
        }
    }
    _cfg.instances.push_back(std::move(v));
}

}  // namespace conf::parser

// The IPVS keyword tables: virtual_server_group, virtual_server, real_server, the health checkers
// and their urls.
#include "conf/parser/block.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <iterator>

namespace conf::parser {

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
    auto g = named_item<VirtualServerGroup>(head);
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
    if (!read_block(head, table, ignored, u)) {
        return;
    }
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

}  // namespace conf::parser

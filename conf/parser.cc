// keepalived.conf parser: a keyword table per block, as keepalived has, filling the typed model and
// reporting what keepalived 2.2.7 reports, with file:line:col and the allowed values. This file holds
// the top level and the public calls; conf/parser/ the block mechanics (block.h) and the tables of
// global_defs (global.cc), VRRP (vrrp.cc, addresses.cc) and IPVS (ipvs.cc).
#include "conf/parser.h"

#include "conf/lexer.h"
#include "conf/parser/block.h"
#include "conf/validate.h"

#include <fmt/format.h>

#include <unistd.h>

namespace conf {

namespace parser {

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

// The blocks of addresses, routes and rules: an instance's virtual_ipaddress, virtual_routes and
// virtual_rules, and the top level's static_ipaddress, static_routes and static_rules.
#include "conf/parser/block.h"

#include <fmt/format.h>

#include <charconv>

namespace conf::parser {

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

}  // namespace conf::parser

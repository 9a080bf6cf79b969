// Serializes conf::Config with nlohmann::json; times in seconds, as keepalived.conf writes them.
#include "conf/json.h"

#include <nlohmann/json.hpp>

namespace conf {

namespace {

using nlohmann::json;

double secs(uint64_t us)
{
    return static_cast<double>(us) / usec_per_sec;
}

json opt_ip(const std::optional<Ip>& ip)
{
    return ip ? json(ip->str()) : json(nullptr);
}

json lines(const std::vector<OpaqueLine>& ls)
{
    json a = json::array();
    for (const auto& l : ls) {
        a.push_back(l.words);
    }
    return a;
}

json vips(const std::vector<VirtualIp>& vs)
{
    json a = json::array();
    for (const auto& v : vs) {
        a.push_back({{"address", v.addr.str()}, {"prefix", v.prefix}, {"dev", v.dev}, {"label", v.label}, {"scope", v.scope.empty() ? "global" : v.scope},
                     {"broadcast", opt_ip(v.broadcast)}});
    }
    return a;
}

json tracks(const std::vector<TrackRef>& ts)
{
    json a = json::array();
    for (const auto& t : ts) {
        a.push_back({{"name", t.name}, {"weight", t.weight ? json(*t.weight) : json(nullptr)}, {"reverse", t.reverse}, {"noreverse", t.noreverse}});
    }
    return a;
}

json notify(const Notify& n)
{
    return {{"notify", n.notify.text}, {"master", n.master.text}, {"backup", n.backup.text}, {"fault", n.fault.text}, {"stop", n.stop.text}};
}

json real_server(const RealServer& r)
{
    json checkers = json::array();
    for (const auto& c : r.checkers) {
        json urls = json::array();
        for (const auto& u : c.http ? c.http->urls : std::vector<Url>{}) {
            json status = json::array();
            for (const auto& s : u.status) {
                status.push_back({s.lo, s.hi});
            }
            urls.push_back({{"path", u.path}, {"digest", u.digest}, {"status_code", status}, {"virtualhost", u.virtualhost}});
        }
        checkers.push_back({{"type", to_string(c.type)},
                            {"connect_ip", opt_ip(c.connect_ip)},
                            {"connect_port", c.connect_port ? json(*c.connect_port) : json(nullptr)},
                            {"bindto", opt_ip(c.bindto)},
                            {"connect_timeout", secs(c.connect_timeout_us)},
                            {"retry", c.retry ? json(*c.retry) : json(nullptr)},
                            {"delay_before_retry", c.delay_before_retry_us ? json(secs(*c.delay_before_retry_us)) : json(nullptr)},
                            {"warmup", c.warmup_us ? json(secs(*c.warmup_us)) : json(nullptr)},
                            {"url", urls},
                            {"virtualhost", c.http ? json(c.http->virtualhost) : json(nullptr)},
                            {"misc_path", c.misc ? json(c.misc->path) : json(nullptr)},
                            {"misc_timeout", c.misc ? json(secs(c.misc->timeout_us)) : json(nullptr)},
                            {"misc_dynamic", c.misc ? json(c.misc->dynamic) : json(nullptr)},
                            {"other", lines(c.other)}});
    }
    return {{"address", r.addr.str()}, {"port", r.port}, {"weight", r.weight},
            {"inhibit_on_failure", r.inhibit_on_failure ? json(*r.inhibit_on_failure) : json(nullptr)},
            {"notify_up", r.notify_up.text}, {"notify_down", r.notify_down.text}, {"uthreshold", r.uthreshold}, {"lthreshold", r.lthreshold},
            {"checkers", checkers}};
}

json instance(const Config& cfg, const VrrpInstance& vi)
{
    json peers = json::array();
    for (const auto& p : vi.unicast_peers) {
        peers.push_back(p.str());
    }
    return json{
            {"name", vi.name},
            {"state", vi.state == InitialState::master ? "MASTER" : "BACKUP"},
            {"interface", vi.interface},
            {"virtual_router_id", vi.vrid},
            {"priority", vi.priority},
            {"advert_int", secs(vi.advert_int_us)},
            {"version", cfg.instance_version(vi)},
            {"preempt", vi.preempt},
            {"preempt_delay", secs(vi.preempt_delay_us)},
            {"authentication", {{"auth_type", vi.auth_type == AuthType::pass ? "PASS" : vi.auth_type == AuthType::ah ? "AH" : "none"}, {"auth_pass", vi.auth_pass}}},
            {"virtual_ipaddress", vips(vi.vips)},
            {"virtual_ipaddress_excluded", vips(vi.excluded_vips)},
            {"virtual_routes", lines(vi.routes)},
            {"virtual_rules", lines(vi.rules)},
            {"unicast_src_ip", opt_ip(vi.unicast_src_ip)},
            {"unicast_peer", peers},
            {"mcast_src_ip", opt_ip(vi.mcast_src_ip)},
            {"use_vmac", vi.use_vmac},
            {"track_interface", tracks(vi.track_interfaces)},
            {"track_script", tracks(vi.track_scripts)},
            {"track_file", tracks(vi.track_files)},
            {"garp_master_delay", secs(vi.garp_master_delay_us.value_or(cfg.global.vrrp_garp_master_delay_us))},
            {"garp_master_repeat", vi.garp_master_repeat.value_or(cfg.global.vrrp_garp_master_repeat)},
            {"garp_master_refresh", secs(vi.garp_master_refresh_us.value_or(cfg.global.vrrp_garp_master_refresh_us))},
            {"notify", notify(vi.notify)},
            {"smtp_alert", vi.smtp_alert},
            {"dont_track_primary", vi.dont_track_primary},
            {"accept", vi.accept.value_or(!cfg.global.vrrp_strict)},
            {"sync_group", vi.sync_group},
    };
}

} // namespace

std::string to_json(const Config& cfg, const VrrpInstance& vi)
{
    return instance(cfg, vi).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string to_json(const Config& cfg, int indent)
{
    const auto& g = cfg.global;
    json j;
    j["global_defs"] = {{"router_id", g.router_id},
                        {"vrrp_version", g.vrrp_version},
                        {"script_user", g.script_user},
                        {"enable_script_security", g.enable_script_security},
                        {"vrrp_strict", g.vrrp_strict},
                        {"dynamic_interfaces", g.dynamic_interfaces},
                        {"nftables", g.nftables_table},
                        {"nftables_priority", g.nftables_priority},
                        {"nftables_counters", g.nftables_counters},
                        {"vrrp_garp_interval", secs(g.vrrp_garp_interval_us)},
                        {"vrrp_gna_interval", secs(g.vrrp_gna_interval_us)},
                        {"vrrp_garp_master_delay", secs(g.vrrp_garp_master_delay_us)},
                        {"vrrp_garp_master_repeat", g.vrrp_garp_master_repeat},
                        {"vrrp_garp_master_refresh", secs(g.vrrp_garp_master_refresh_us)},
                        {"vrrp_mcast_group4", g.vrrp_mcast_group4.str()},
                        {"notification_email", g.notification_email},
                        {"notification_email_from", g.notification_email_from},
                        {"smtp_server", g.smtp_server}};
    j["vrrp_scripts"] = json::array();
    for (const auto& s : cfg.scripts) {
        j["vrrp_scripts"].push_back({{"name", s.name}, {"script", s.script}, {"interval", secs(s.interval_us)},
                                     {"timeout", secs(s.timeout_us ? s.timeout_us : s.interval_us)}, {"weight", s.weight},
                                     {"rise", s.rise}, {"fall", s.fall}, {"user", s.user}});
    }
    j["track_files"] = json::array();
    for (const auto& t : cfg.track_files) {
        j["track_files"].push_back({{"name", t.name}, {"file", t.path}, {"weight", t.weight}, {"reverse", t.weight_reverse},
                                    {"init_file", t.init_value ? json(*t.init_value) : json(nullptr)}, {"overwrite", t.init_overwrite}});
    }
    j["vrrp_sync_groups"] = json::array();
    for (const auto& sg : cfg.sync_groups) {
        j["vrrp_sync_groups"].push_back({{"name", sg.name}, {"group", sg.members}, {"notify", notify(sg.notify)}, {"track_script", tracks(sg.track_scripts)}, {"track_file", tracks(sg.track_files)}});
    }
    j["vrrp_instances"] = json::array();
    for (const auto& vi : cfg.instances) {
        j["vrrp_instances"].push_back(instance(cfg, vi));
    }
    j["virtual_server_groups"] = json::array();
    for (const auto& g2 : cfg.vs_groups) {
        json entries = json::array();
        for (const auto& e : g2.entries) {
            if (e.is_fwmark) {
                entries.push_back({{"fwmark", e.fwmark}});
            } else {
                entries.push_back({{"first", e.first.str()}, {"last", e.last.str()}, {"port", e.port}});
            }
        }
        j["virtual_server_groups"].push_back({{"name", g2.name}, {"entries", entries}});
    }
    j["virtual_servers"] = json::array();
    for (const auto& vs : cfg.virtual_servers) {
        json rs = json::array();
        for (const auto& r : vs.real_servers) {
            rs.push_back(real_server(r));
        }
        json v = {{"delay_loop", secs(vs.delay_loop_us)},
                  {"lb_algo", to_string(vs.algo)},
                  {"lb_kind", to_string(vs.kind)},
                  {"protocol", to_string(vs.protocol)},
                  {"persistence_timeout", vs.persistence_timeout_s},
                  {"persistence_granularity", opt_ip(vs.persistence_granularity)},
                  {"quorum", vs.quorum},
                  {"hysteresis", vs.hysteresis},
                  {"quorum_up", vs.quorum_up.text},
                  {"quorum_down", vs.quorum_down.text},
                  {"sorry_server", vs.sorry_server ? real_server(*vs.sorry_server) : json(nullptr)},
                  {"alpha", vs.alpha},
                  {"omega", vs.omega},
                  {"ha_suspend", vs.ha_suspend},
                  {"virtualhost", vs.virtualhost},
                  {"real_servers", rs}};
        switch (vs.by) {
        case VirtualServer::By::address:
            v["address"] = vs.addr.str();
            v["port"] = vs.port;
            break;
        case VirtualServer::By::fwmark:
            v["fwmark"] = vs.fwmark;
            break;
        case VirtualServer::By::group:
            v["group"] = vs.group;
            break;
        }
        j["virtual_servers"].push_back(std::move(v));
    }
    j["static_ipaddress"] = vips(cfg.static_ipaddress);
    j["static_routes"] = lines(cfg.static_routes);
    j["static_rules"] = lines(cfg.static_rules);
    // Configs are not always UTF-8 (GBK comments and names exist in the wild): replace, never throw.
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace conf

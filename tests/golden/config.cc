// The golden node's keepalived.conf. VI_1 (10.0.0.100) is this node's as MASTER, VI_2 (10.0.0.101)
// the peer's; node() says which the node owns, as VRRP would have decided. Services on 10.0.0.100:
//   :80 DR rr TCP over web1 and web2, :53 DR UDP, :8080 and :8081 NAT to web1:80 (one real server for two
//   services), :5353 NAT UDP to web2:53, :82 TUN to web2, :81 DR to web3 whose MAC is unknown, :8443 DR
//   with persistence, :9001…:9009 one per scheduler over web1 (weight 1) and web2 (weight 3), :83 TUN
//   to 198.51.100.9 (no route), :84 DR with every real server quiesced (weight 0).
#include "tests/golden/config.h"

#include "conf/parser.h"

#include <stdexcept>
#include <string>

namespace golden {
namespace {

constexpr std::string_view text = R"(global_defs {
    router_id golden
}

vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.0.0.100
    }
}

vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 90
    virtual_ipaddress {
        10.0.0.101
    }
}

virtual_server 10.0.0.100 80 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 80 { }
    real_server 10.0.0.12 80 { }
}

virtual_server 10.0.0.100 53 {
    lb_algo rr
    lb_kind DR
    protocol UDP
    real_server 10.0.0.11 53 { }
}

virtual_server 10.0.0.100 8080 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.0.0.11 80 { }
}

# web3 (10.0.0.13): a backend whose MAC the node does not know
virtual_server 10.0.0.100 81 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 10.0.0.13 81 { }
}

# web1:80 again: one real server behind two NAT services, told apart by the flow table
virtual_server 10.0.0.100 8081 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.0.0.11 80 { }
}

virtual_server 10.0.0.100 5353 {
    lb_algo rr
    lb_kind NAT
    protocol UDP
    real_server 10.0.0.12 53 { }
}

virtual_server 10.0.0.100 82 {
    lb_algo rr
    lb_kind TUN
    protocol TCP
    real_server 10.0.0.12 82 { }
}

virtual_server 10.0.0.100 8443 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    persistence_timeout 300
    real_server 10.0.0.11 8443 { }
    real_server 10.0.0.12 8443 { }
}

# persistence by the client's /24 (IPVS's netmask on the template)
virtual_server 10.0.0.100 8444 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    real_server 10.0.0.11 8444 { }
    real_server 10.0.0.12 8444 { }
}

# 9001 to 9009: every scheduler the dataplane builds, over web1 (weight 1) and web2 (weight 3)
virtual_server 10.0.0.100 9001 {
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 9001 { weight 1 }
    real_server 10.0.0.12 9001 { weight 3 }
}

virtual_server 10.0.0.100 9002 {
    lb_algo fo
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 9002 { weight 1 }
    real_server 10.0.0.12 9002 { weight 3 }
}

virtual_server 10.0.0.100 9003 {
    lb_algo lc
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 9003 { weight 1 }
    real_server 10.0.0.12 9003 { weight 3 }
}

virtual_server 10.0.0.100 9004 {
    lb_algo wlc
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 9004 { weight 1 }
    real_server 10.0.0.12 9004 { weight 3 }
}

virtual_server 10.0.0.100 9005 {
    lb_algo sh
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 9005 { weight 1 }
    real_server 10.0.0.12 9005 { weight 3 }
}

virtual_server 10.0.0.100 9006 {
    lb_algo mh
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 9006 { weight 1 }
    real_server 10.0.0.12 9006 { weight 3 }
}

virtual_server 10.0.0.100 9007 {
    lb_algo sed
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 9007 { weight 1 }
    real_server 10.0.0.12 9007 { weight 3 }
}

virtual_server 10.0.0.100 9008 {
    lb_algo nq
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 9008 { weight 1 }
    real_server 10.0.0.12 9008 { weight 3 }
}

virtual_server 10.0.0.100 9009 {
    lb_algo ovf
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 9009 { weight 1 }
    real_server 10.0.0.12 9009 { weight 3 }
}

# 198.51.100.9 has no route from this node
virtual_server 10.0.0.100 83 {
    lb_algo rr
    lb_kind TUN
    protocol TCP
    real_server 198.51.100.9 83 { }
}

# every real server quiesced
virtual_server 10.0.0.100 84 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 10.0.0.11 84 { weight 0 }
    real_server 10.0.0.12 84 { weight 0 }
}
)";

// The host as the golden config sees it: eth0 exists, nothing else is asked for.
struct Host : conf::Environment {
    bool interface_exists(const std::string& name) const override { return name == "eth0"; }
};

}  // namespace

std::string_view keepalived_conf() noexcept { return text; }

conf::Loaded load() { return conf::load_text("golden.conf", std::string(text), {.config_id = "golden"}, Host()); }

conf::Config config()
{
    conf::Loaded l = load();
    std::string complaints;
    for (const conf::Diagnostic& d : l.diags.all()) {
        if (d.severity >= conf::Severity::error) {
            complaints += l.diags.format(d) + "\n";
        }
    }
    if (!complaints.empty()) {
        throw std::runtime_error("the golden keepalived.conf does not read:\n" + complaints);
    }
    return std::move(l.config);
}

Setup setup() { return {.config = config(), .node = node()}; }

}  // namespace golden

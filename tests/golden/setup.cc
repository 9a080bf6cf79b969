// The golden node and the tests' one way from a configuration and a node to a forwarding table.
#include "tests/golden/setup.h"

#include <algorithm>
#include <cstddef>

namespace golden {

Node node()
{
    return {.port_mac = port_mac,
            .port_ip = node_ip,
            .prefix = 24,
            .mtu = 1500,
            .ports = 2,
            .gateway = gateway,
            .via_gateway = {{ip(192, 0, 2, 0), 24}},
            .owned = {vip},
            .neighbours = {{web1, web1_mac}, {web2, web2_mac}, {client, client_mac}, {gateway, gw_mac}},
            .local = {node_ip2}};
}

fwd::Inputs inputs(const Node& node, const TableOptions& options)
{
    fwd::Inputs in;
    in.ports.resize(std::max<size_t>(options.port + 1u, node.ports));
    in.ports[options.port] = {.mac = node.port_mac, .ip = net(node.port_ip), .prefix = node.prefix, .mtu = node.mtu};
    for (const auto& [dst, prefix] : node.via_gateway) {
        in.routes.push_back({.dst = net(dst), .prefix = prefix, .port = options.port, .gateway = net(node.gateway)});
    }
    for (uint32_t a : node.owned) {
        in.owned.push_back(net(a));
    }
    for (const auto& [a, mac] : node.neighbours) {
        in.neighbours.emplace_back(net(a), mac);
    }
    for (uint32_t a : node.local) {
        in.local.push_back(net(a));
    }
    in.max_services = options.max_services;
    in.max_backends = options.max_backends;
    in.generation = options.generation;
    return in;
}

fwd::BuildResult build_table(const conf::Config& config, const Node& node, const TableOptions& options)
{
    return fwd::Table::build(config, inputs(node, options));
}

}  // namespace golden

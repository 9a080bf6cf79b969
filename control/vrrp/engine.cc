// VRRP engine: routing, checking and sync-group plumbing around the per-instance state machines.
#include "control/vrrp/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace vrrp {

Engine::Engine(const conf::Config& cfg, Io& io, const std::function<conf::Ip(const conf::VrrpInstance&)>& primary_of)
    : _io(io)
{
    _members.reserve(cfg.instances.size());
    for (const auto& vi : cfg.instances) {
        auto ic = InstanceConfig::from(cfg, vi);
        ic.primary = primary_of(vi);
        Member m{.config = &vi, .fsm = std::make_unique<Instance>(ic), .expect = {}, .advert = {}, .counters = {}, .group = nullptr};
        const int version = cfg.instance_version(vi);
        std::array<uint8_t, 8> pass{};
        std::memcpy(pass.data(), vi.auth_pass.data(), std::min<size_t>(vi.auth_pass.size(), pass.size()));
        const auto interval_cs = static_cast<uint16_t>(vi.advert_int_us / 10000);
        std::vector<conf::Ip> addrs;
        for (const auto& v : vi.vips) {
            addrs.push_back(v.addr);
        }
        const auto auth = version == 2 ? vi.auth_type : conf::AuthType::none;
        m.advert = Advert{.version = static_cast<uint8_t>(version), .vrid = static_cast<uint8_t>(vi.vrid), .priority = 0,
                          .interval_cs = interval_cs, .auth = auth, .auth_data = pass, .addrs = addrs};
        m.expect = Expect{.version = static_cast<uint8_t>(version), .vrid = static_cast<uint8_t>(vi.vrid), .auth = auth,
                          .auth_data = pass, .interval_cs = interval_cs, .addrs = addrs,
                          .check_addrs = !cfg.global.vrrp_skip_check_adv_addr, .unicast_peers = vi.unicast_peers,
                          .check_unicast_src = true, .peer_on_link = std::vector<uint8_t>(vi.unicast_peers.size(), 0),
                          .owner = vi.priority == priority_owner, .mcast_group = cfg.global.vrrp_mcast_group4};
        _members.push_back(std::move(m));
    }
    for (const auto& sg : cfg.sync_groups) {
        std::vector<Instance*> fsms;
        for (auto& m : _members) {
            if (std::find(sg.members.begin(), sg.members.end(), m.config->name) != sg.members.end()) {
                fsms.push_back(m.fsm.get());
            }
        }
        _groups.push_back(std::make_unique<SyncGroup>(sg.name, std::move(fsms)));
        for (auto& m : _members) {
            if (m.config->sync_group == sg.name) {
                m.group = _groups.back().get();
            }
        }
    }
    for (auto& m : _members) {
        if (m.group != nullptr) {
            set_gate(m);
        }
    }
}

void Engine::set_gate(Member& m)
{
    m.fsm->set_master_gate([this, group = m.group, self = m.fsm.get()](Time now) {
        for (const auto& other : _members) {
            if (other.group == group && other.fsm && other.fsm.get() != self && !other.fsm->wants_master(now)) {
                return false;
            }
        }
        return true;
    });
}

void Engine::apply(size_t inst, Outputs& out, Time now, bool following)
{
    Member& m = _members[inst];
    bool changed = false;
    for (const auto& o : out) {
        switch (o.kind) {
        case Output::Kind::send_advert: {
            Advert a = m.advert;
            a.priority = static_cast<uint8_t>(o.priority);
            _io.send_advert(inst, a);
            ++m.adverts_sent;
            m.priority_zero_sent += o.priority == 0 ? 1 : 0;
            break;
        }
        case Output::Kind::add_vips: _io.set_vips(inst, true); break;
        case Output::Kind::remove_vips: _io.set_vips(inst, false); break;
        case Output::Kind::send_garp: _io.send_garp(inst, o.count); break;
        case Output::Kind::state_change:
            changed = true;
            m.became_master += o.to == State::master ? 1 : 0;
            m.released_master += o.from == State::master ? 1 : 0;
            _io.state_changed(inst, o.from, o.to);
            break;
        case Output::Kind::log: _io.log(o.text); break;
        }
    }
    if (!changed || following || m.group == nullptr) {
        return;
    }
    for (size_t j = 0; j < _members.size(); ++j) {
        if (j != inst && _members[j].group == m.group) {
            Outputs theirs;
            SyncGroup::follow(*_members[j].fsm, m.fsm->state(), now, theirs);
            apply(j, theirs, now, true);
        }
    }
}

void Engine::adopt(Engine& old, const std::function<bool(const conf::VrrpInstance&, const conf::VrrpInstance&)>& same, Time now)
{
    for (size_t j = 0; j < old._members.size(); ++j) {
        Member& o = old._members[j];
        auto it = std::find_if(_members.begin(), _members.end(), [&](const Member& m) {
            return !m.adopted && m.config->name == o.config->name && same(*m.config, *o.config);
        });
        if (it == _members.end() || !o.fsm) {
            old.stop_instance(j, now);
            continue;
        }
        // The state machine and its counters move over; the new engine's sync groups point at it.
        Instance* fresh = it->fsm.get();
        it->fsm = std::move(o.fsm);
        it->counters = o.counters;
        it->expect.peer_on_link = o.expect.peer_on_link;  // same config, so the same peers in the same order
        it->adverts_sent = o.adverts_sent;
        it->became_master = o.became_master;
        it->released_master = o.released_master;
        it->priority_zero_received = o.priority_zero_received;
        it->priority_zero_sent = o.priority_zero_sent;
        it->adopted = true;
        if (it->group != nullptr) {
            set_gate(*it);
        } else {
            it->fsm->set_master_gate({});
        }
        for (auto& g : _groups) {
            g->replace(fresh, it->fsm.get());
        }
    }
}

void Engine::start(Time now)
{
    for (size_t i = 0; i < _members.size(); ++i) {
        if (_members[i].adopted) {
            continue;
        }
        Outputs out;
        _members[i].fsm->start(now, out);
        apply(i, out, now);
    }
}

void Engine::receive(Time now, const std::string& ifname, std::span<const uint8_t> packet)
{
    Received r;
    if (Drop d = decode_ipv4(packet, r); d != Drop::none) {
        _unmatched.count(d);
        return;
    }
    for (size_t i = 0; i < _members.size(); ++i) {
        Member& m = _members[i];
        if (m.config->interface != ifname || m.config->vrid != r.advert.vrid) {
            continue;
        }
        const Drop d = check(r, m.expect);
        m.counters.count(d);
        if (d != Drop::none) {
            return;
        }
        m.priority_zero_received += r.advert.priority == 0 ? 1 : 0;
        learn_on_link(m, r);
        Outputs out;
        m.fsm->on_advert(now, Heard{.priority = r.advert.priority, .advert_int = Micros(int64_t{r.advert.interval_cs} * 10000), .src = r.src}, out);
        apply(i, out, now);
        return;
    }
    _unmatched.count(Drop::vrid_mismatch);
}

void Engine::learn_on_link(Member& m, const Received& r)
{
    // Unicast: a peer heard at TTL 255 is on-link, and from then on must always be (vrrp::check).
    // A routed peer never is, and keeps being accepted at any TTL, as keepalived accepts it.
    const int peer = peer_index(m.expect, r.src);
    if (peer < 0 || r.ttl != ip_ttl || size_t(peer) >= m.expect.peer_on_link.size() || m.expect.peer_on_link[size_t(peer)] != 0) {
        return;
    }
    m.expect.peer_on_link[size_t(peer)] = 1;
    _io.log(fmt::format("({}) unicast peer {} is on-link (TTL 255): its adverts with another TTL are dropped from now on",
                        m.config->name, r.src.str()));
}

std::string Engine::stats() const
{
    std::string out;
    auto counters = [&](const Counters& c) {
        out += fmt::format("  Advertisements accepted: {}\n  Dropped:\n", c.accepted);
        for (size_t d = 1; d < c.drops.size(); ++d) {
            out += fmt::format("    {}: {}\n", to_string(static_cast<Drop>(d)), c.drops[d]);
        }
    };
    for (const auto& m : _members) {
        out += fmt::format("VRRP Instance: {}\n  State: {}\n  Priority: {}\n", m.config->name,
                           m.fsm ? to_string(m.fsm->state()) : "-", m.fsm ? m.fsm->priority() : 0);
        out += fmt::format("  Advertisements sent: {}\n  Became master: {}\n  Released master: {}\n", m.adverts_sent, m.became_master,
                           m.released_master);
        out += fmt::format("  Priority zero received: {}\n  Priority zero sent: {}\n", m.priority_zero_received, m.priority_zero_sent);
        const Shed shed = m.fsm ? m.fsm->shed() : Shed{};
        out += fmt::format("  Adverts answering lower priority: {}\n  Answers held back by rate limit: {}\n"
                           "  Log lines held back by rate limit: {}\n",
                           shed.answers, shed.answers_held, shed.logs_held);
        counters(m.counters);
    }
    out += "Unmatched (undecodable, or no instance for the VRID on that interface):\n";
    counters(_unmatched);
    return out;
}

void Engine::on_timer(Time now)
{
    for (size_t i = 0; i < _members.size(); ++i) {
        if (_members[i].fsm->deadline() <= now) {
            Outputs out;
            _members[i].fsm->on_timer(now, out);
            apply(i, out, now);
        }
    }
}

Time Engine::deadline() const
{
    Time t = Time::max();
    for (const auto& m : _members) {
        t = std::min(t, m.fsm->deadline());
    }
    return t;
}

void Engine::set_tracking(size_t inst, int weight_sum, bool fault, Time now)
{
    Outputs out;
    _members[inst].fsm->set_tracking(weight_sum, fault, now, out);
    apply(inst, out, now);
}

void Engine::stop(Time now)
{
    for (size_t i = 0; i < _members.size(); ++i) {
        stop_instance(i, now);
    }
}

void Engine::stop_instance(size_t inst, Time now)
{
    if (!_members[inst].fsm) {
        return;
    }
    Outputs out;
    _members[inst].fsm->stop(now, out);
    apply(inst, out, now, true);
}

} // namespace vrrp

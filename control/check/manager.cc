// The checker scheduler and keepalived's ipwrapper.c logic on top of it: retries, up/down per real
// server, inhibit_on_failure, misc_dynamic weights, quorum with hysteresis, the sorry server, notify
// and quorum scripts, and the state a reload carries over.
#include "control/check/check.h"

#include "conf/words.h"
#include "control/check/probe.h"
#include "control/log.h"
#include "control/process.h"

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <climits>
#include <random>

namespace check {

namespace {

using us = std::chrono::microseconds;
constexpr us script_timeout{60 * conf::usec_per_sec};  // notify/quorum scripts
constexpr us stop_script_timeout{conf::usec_per_sec};  // keepalived: TIMER_HZ at shutdown

std::string proto_lc(conf::Protocol p)
{
    switch (p) {
    case conf::Protocol::tcp: return "tcp";
    case conf::Protocol::udp: return "udp";
    case conf::Protocol::sctp: return "sctp";
    }
    return "tcp";
}

// keepalived's inet_sockaddrtotrio: "[10.0.0.12]:tcp:80".
std::string fmt_rs(const conf::RealServer& rs, const conf::VirtualServer& vs)
{
    return fmt::format("[{}]:{}:{}", rs.addr.str(), proto_lc(vs.protocol), rs.port);
}

// keepalived's format_vs.
std::string fmt_vs(const conf::VirtualServer& vs)
{
    switch (vs.by) {
    case conf::VirtualServer::By::group: return fmt::format("[{}]:{}", vs.group, vs.port);
    case conf::VirtualServer::By::fwmark: return fmt::format("FWM {}", vs.fwmark);
    case conf::VirtualServer::By::address: break;
    }
    return fmt::format("[{}]:{}:{}", vs.addr.str(), proto_lc(vs.protocol), vs.port);
}

uint32_t real_weight(int64_t w)
{
    return static_cast<uint32_t>(std::clamp<int64_t>(w, 0, INT32_MAX));
}

bool supported(conf::CheckerType t)
{
    return t == conf::CheckerType::http_get || t == conf::CheckerType::ssl_get || t == conf::CheckerType::tcp_check ||
           t == conf::CheckerType::misc_check;
}

bool same_vs(const conf::VirtualServer& a, const conf::VirtualServer& b)
{
    if (a.by != b.by) {
        return false;
    }
    switch (a.by) {
    case conf::VirtualServer::By::group: return a.group == b.group && a.port == b.port;
    case conf::VirtualServer::By::fwmark: return a.fwmark == b.fwmark;
    case conf::VirtualServer::By::address: break;
    }
    return a.addr == b.addr && a.port == b.port && a.protocol == b.protocol;
}

bool same_urls(const std::vector<conf::Url>& a, const std::vector<conf::Url>& b)
{
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].path != b[i].path || a[i].digest != b[i].digest || a[i].virtualhost != b[i].virtualhost ||
            a[i].status.size() != b[i].status.size()) {
            return false;
        }
        for (size_t j = 0; j < a[i].status.size(); ++j) {
            if (a[i].status[j].lo != b[i].status[j].lo || a[i].status[j].hi != b[i].status[j].hi) {
                return false;
            }
        }
    }
    return true;
}

bool same_checker(const conf::Checker& a, const conf::Checker& b)
{
    if (a.type != b.type || a.connect_ip != b.connect_ip || a.connect_port != b.connect_port || a.bindto != b.bindto ||
        a.bind_port != b.bind_port || bool(a.http) != bool(b.http) || bool(a.misc) != bool(b.misc)) {
        return false;
    }
    if (a.http && (a.http->virtualhost != b.http->virtualhost || a.http->enable_sni != b.http->enable_sni ||
                   !same_urls(a.http->urls, b.http->urls))) {
        return false;
    }
    if (a.misc && (a.misc->path != b.misc->path || a.misc->dynamic != b.misc->dynamic || a.misc->user != b.misc->user || a.misc->group != b.misc->group)) {
        return false;
    }
    return true;
}

bool same_checkers(const conf::RealServer& a, const conf::RealServer& b)
{
    if (a.checkers.size() != b.checkers.size()) {
        return false;
    }
    for (size_t i = 0; i < a.checkers.size(); ++i) {
        if (!same_checker(a.checkers[i], b.checkers[i])) {
            return false;
        }
    }
    return true;
}

using conf::first_word;

} // namespace

struct ChkState {
    const conf::Checker* cfg = nullptr;
    size_t vs = 0, rs = 0;
    bool is_up = true;
    bool has_run = false;
    unsigned retry_it = 0;
    unsigned retry = 1;
    us delay_loop{}, delay_before_retry{}, warmup{}, timeout{};
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::shared_ptr<Probe> probe;
    uint64_t gen = 0;
};

struct RsState {
    bool alive = false;
    int64_t weight = 0;      // effective weight (misc_dynamic changes it)
    unsigned failed = 0;     // checkers that are down
    bool inhibit = false;
    std::vector<size_t> chks;
};

struct VsState {
    bool quorum_up = false;
    bool sorry_alive = false;
    std::vector<RsState> rs;
};

struct Manager::Impl : std::enable_shared_from_this<Manager::Impl> {
    Impl(boost::asio::io_context& i, const conf::Config& cfg, std::function<void()> cb,
         std::function<void(std::string_view)> ev)
        : io(i), vss(cfg.virtual_servers), on_change(std::move(cb)), on_event(std::move(ev)),
          rng(std::random_device{}())
    {
    }

    boost::asio::io_context& io;
    std::vector<conf::VirtualServer> vss;
    std::function<void()> on_change;
    std::function<void(std::string_view)> on_event;  // notify-FIFO lines (keepalived's notify_fifo_vs/_rs)
    std::vector<VsState> vs;
    std::vector<ChkState> chks;
    std::vector<VsLive> live;
    bool started = false;
    bool stopped = false;
    std::mt19937_64 rng;

    const conf::VirtualServer& vcfg(size_t v) const { return vss[v]; }
    const conf::RealServer& rcfg(size_t v, size_t r) const { return vss[v].real_servers[r]; }
    std::string rs_name(const ChkState& c) const { return fmt_rs(rcfg(c.vs, c.rs), vcfg(c.vs)); }

    void init()
    {
        vs.resize(vss.size());
        for (size_t v = 0; v < vss.size(); ++v) {
            const auto& vc = vss[v];
            vs[v].rs.resize(vc.real_servers.size());
            for (size_t r = 0; r < vc.real_servers.size(); ++r) {
                const auto& rc = vc.real_servers[r];
                auto& rs = vs[v].rs[r];
                rs.weight = rc.weight;
                rs.inhibit = rc.inhibit_on_failure.value_or(vc.inhibit_on_failure);
                for (const auto& cc : rc.checkers) {
                    if (!supported(cc.type)) {
                        vlog::warn("{} for service {} of VS {} is not implemented by vipd - ignoring",
                                   conf::to_string(cc.type), fmt_rs(rc, vc), fmt_vs(vc));
                        continue;
                    }
                    ChkState c;
                    c.cfg = &cc;
                    c.vs = v;
                    c.rs = r;
                    c.delay_loop = us(cc.delay_loop_us.value_or(rc.delay_loop_us.value_or(vc.delay_loop_us)));
                    c.retry = static_cast<unsigned>(cc.retry.value_or(vc.retry.value_or(1)));
                    bool web = cc.type == conf::CheckerType::http_get || cc.type == conf::CheckerType::ssl_get;
                    c.delay_before_retry = us(cc.delay_before_retry_us.value_or(
                        vc.delay_before_retry_us.value_or((web ? 3 : 1) * conf::usec_per_sec)));
                    c.warmup = us(cc.warmup_us.value_or(vc.warmup_us.value_or(c.delay_loop.count())));
                    c.timeout = us(cc.connect_timeout_us);
                    if (cc.connect_timeout_us == 5 * conf::usec_per_sec && vc.connect_timeout_us) {
                        c.timeout = us(*vc.connect_timeout_us);  // the checker's is keepalived's default
                    }
                    if (cc.type == conf::CheckerType::misc_check) {
                        c.timeout = us(cc.misc->timeout_us ? cc.misc->timeout_us : vc.delay_loop_us);
                    }
                    c.timer = std::make_unique<boost::asio::steady_timer>(io);
                    // keepalived: in alpha mode a checker is down until it has succeeded; one failure
                    // is enough for the first verdict either way.
                    if (vc.alpha) {
                        c.is_up = false;
                        ++rs.failed;
                    }
                    c.retry_it = c.retry;
                    rs.chks.push_back(chks.size());
                    chks.push_back(std::move(c));
                }
                rs.alive = rs.failed == 0;
            }
        }
        live = compute();
    }

    std::vector<VsLive> compute() const
    {
        std::vector<VsLive> out(vs.size());
        for (size_t v = 0; v < vs.size(); ++v) {
            out[v].sorry = vs[v].sorry_alive;
            out[v].quorum = vs[v].quorum_up;
            out[v].rs.resize(vs[v].rs.size());
            for (size_t r = 0; r < vs[v].rs.size(); ++r) {
                const auto& rs = vs[v].rs[r];
                bool in = rs.alive && !vs[v].sorry_alive;
                out[v].rs[r] = RsLive{.weight = in ? real_weight(rs.weight) : 0, .up = in || rs.inhibit};
            }
        }
        return out;
    }

    static bool equal(const std::vector<VsLive>& a, const std::vector<VsLive>& b)
    {
        if (a.size() != b.size()) {
            return false;
        }
        for (size_t v = 0; v < a.size(); ++v) {
            if (a[v].sorry != b[v].sorry || a[v].quorum != b[v].quorum || a[v].rs.size() != b[v].rs.size()) {
                return false;
            }
            for (size_t r = 0; r < a[v].rs.size(); ++r) {
                if (a[v].rs[r].weight != b[v].rs[r].weight || a[v].rs[r].up != b[v].rs[r].up) {
                    return false;
                }
            }
        }
        return true;
    }

    void refresh()
    {
        auto now = compute();
        if (!equal(now, live)) {
            live = now;  // copy-assign: the sizes never change, so references into live() stay valid
            if (on_change) {
                on_change();
            }
        }
    }

    // Runs as validation resolved it (user, group, path); one it dropped does not run.
    void script(const conf::Command& cmd, us timeout)
    {
        if (!cmd.exec) {
            return;
        }
        control::run_script(io, *cmd.exec, {}, std::chrono::duration_cast<std::chrono::milliseconds>(timeout),
                            [](control::ScriptResult) {});
    }

    int64_t weigh_live(size_t v) const
    {
        int64_t sum = 0;
        for (const auto& rs : vs[v].rs) {
            if (rs.alive) {
                sum += real_weight(rs.weight);
            }
        }
        return sum;
    }

    // ipwrapper.c's update_quorum_state.
    void update_quorum(size_t v, bool init)
    {
        auto& s = vs[v];
        const auto& vc = vss[v];
        int64_t sum = weigh_live(v);
        int64_t q = vc.quorum, h = vc.hysteresis;
        int64_t threshold = q + (s.quorum_up ? -1 : 1) * h;
        if (!s.quorum_up && sum >= threshold) {
            s.quorum_up = true;
            vlog::info("Gained quorum {}+{}={} <= {} for VS {}", q, h, threshold, sum, fmt_vs(vc));
            if (vc.sorry_server && s.sorry_alive) {
                vlog::info("{} sorry server {} from VS {}", vc.sorry_server_inhibit ? "Disabling" : "Removing",
                           fmt_rs(*vc.sorry_server, vc), fmt_vs(vc));
                s.sorry_alive = false;
                vlog::info("Adding alive servers to the pool for VS {}", fmt_vs(vc));
            }
            script(vc.quorum_up, script_timeout);
            event(fmt::format("VS {} UP\n", fmt_vs(vc)));
        } else if ((s.quorum_up && (sum == 0 || sum < threshold)) ||
                   (init && !s.quorum_up && vc.sorry_server && !s.sorry_alive)) {
            s.quorum_up = false;
            vlog::info("{} {}-{}={} > {} for VS {}", init ? "Starting with quorum down" : "Lost quorum", q, h, threshold,
                       sum, fmt_vs(vc));
            if (vc.sorry_server && !s.sorry_alive) {
                vlog::info("{} sorry server {} to VS {}", vc.sorry_server_inhibit ? "Enabling" : "Adding",
                           fmt_rs(*vc.sorry_server, vc), fmt_vs(vc));
                vlog::info("Removing alive servers from the pool for VS {}", fmt_vs(vc));
                s.sorry_alive = true;
            }
            script(vc.quorum_down, script_timeout);
            event(fmt::format("VS {} DOWN\n", fmt_vs(vc)));
        }
    }

    void event(const std::string& line) const
    {
        if (on_event) {
            on_event(line);
        }
    }

    // ipwrapper.c's perform_svr_state.
    void perform_svr_state(size_t v, size_t r, bool alive)
    {
        auto& rs = vs[v].rs[r];
        if (rs.alive == alive) {
            return;
        }
        const auto& vc = vss[v];
        vlog::info("{}ing service {} {} VS {}", alive ? (rs.inhibit ? "Enabl" : "Add") : (rs.inhibit ? "Disabl" : "Remov"),
                   fmt_rs(vc.real_servers[r], vc), rs.inhibit ? "of" : alive ? "to" : "from", fmt_vs(vc));
        rs.alive = alive;
        rs_notify(v, r);
        update_quorum(v, false);
    }

    // ipwrapper.c's do_rs_notifies: the script, then the FIFOs' line.
    void rs_notify(size_t v, size_t r)
    {
        const auto& rc = vss[v].real_servers[r];
        script(vs[v].rs[r].alive ? rc.notify_up : rc.notify_down, script_timeout);
        event(fmt::format("RS {} {} {}\n", fmt_rs(rc, vss[v]), fmt_vs(vss[v]), vs[v].rs[r].alive ? "UP" : "DOWN"));
    }

    // ipwrapper.c's update_svr_checker_state and set_checker_state.
    void set_checker(ChkState& c, bool up)
    {
        auto& rs = vs[c.vs].rs[c.rs];
        if (c.is_up == up) {
            if (!c.has_run && (vss[c.vs].alpha || !up)) {
                rs_notify(c.vs, c.rs);
            }
            return;
        }
        if (up && rs.failed <= 1) {
            perform_svr_state(c.vs, c.rs, true);
        } else if (!up && rs.failed == 0) {
            perform_svr_state(c.vs, c.rs, false);
        }
        c.is_up = up;
        if (!up) {
            ++rs.failed;
        } else if (rs.failed) {
            --rs.failed;
        }
    }

    // ipwrapper.c's update_svr_wgt.
    void update_weight(size_t v, size_t r, int64_t w)
    {
        auto& rs = vs[v].rs[r];
        uint32_t old_w = real_weight(rs.weight), new_w = real_weight(w);
        rs.weight = w;
        if (old_w != new_w) {
            const auto& vc = vss[v];
            vlog::info("Changing weight from {} to {} for {}active service {} of VS {}", old_w, new_w, rs.alive ? "" : "in",
                       fmt_rs(vc.real_servers[r], vc), fmt_vs(vc));
            update_quorum(v, false);
        }
    }

    void schedule(size_t i, us delay)
    {
        auto& c = chks[i];
        c.timer->expires_after(delay);
        std::weak_ptr<Impl> weak = shared_from_this();
        uint64_t gen = c.gen;
        c.timer->async_wait([weak, i, gen](const boost::system::error_code& ec) {
            auto self = weak.lock();
            if (ec || !self || self->stopped || self->chks[i].gen != gen) {
                return;
            }
            self->run_check(i);
        });
    }

    Target target(const ChkState& c) const
    {
        const auto& rc = rcfg(c.vs, c.rs);
        const auto& cc = *c.cfg;
        Target t;
        t.dst = {to_asio(cc.connect_ip.value_or(rc.addr)), cc.connect_port.value_or(rc.port)};
        if (cc.bindto || cc.bind_port) {
            auto addr = cc.bindto ? to_asio(*cc.bindto)
                                  : (t.dst.address().is_v4() ? boost::asio::ip::address(boost::asio::ip::address_v4::any())
                                                             : boost::asio::ip::address(boost::asio::ip::address_v6::any()));
            t.bind = boost::asio::ip::tcp::endpoint(addr, cc.bind_port.value_or(0));
        }
        t.timeout = c.timeout;
        return t;
    }

    void run_check(size_t i)
    {
        auto& c = chks[i];
        uint64_t gen = ++c.gen;
        std::weak_ptr<Impl> weak = shared_from_this();
        Done done = [weak, i, gen](Outcome o) {
            auto self = weak.lock();
            if (!self || self->stopped || self->chks[i].gen != gen) {
                return;
            }
            self->chks[i].probe.reset();
            self->result(i, std::move(o));
        };
        const auto& cc = *c.cfg;
        const auto& vc = vcfg(c.vs);
        const auto& rc = rcfg(c.vs, c.rs);
        switch (cc.type) {
        case conf::CheckerType::tcp_check:
            c.probe = probe_tcp(io, target(c), std::move(done));
            break;
        case conf::CheckerType::http_get:
        case conf::CheckerType::ssl_get: {
            Target t = target(c);
            HttpSpec spec;
            spec.ssl = cc.type == conf::CheckerType::ssl_get;
            std::string fallback = t.dst.address().is_v6() ? fmt::format("[{}]:{}", t.dst.address().to_string(), t.dst.port())
                                                           : fmt::format("{}:{}", t.dst.address().to_string(), t.dst.port());
            for (const auto& u : cc.http->urls) {
                std::string vhost = !u.virtualhost.empty() ? u.virtualhost
                                    : !cc.http->virtualhost.empty() ? cc.http->virtualhost
                                                                     : vc.virtualhost;
                std::string digest = u.digest;
                std::transform(digest.begin(), digest.end(), digest.begin(), [](unsigned char ch) { return std::tolower(ch); });
                spec.urls.push_back({.path = u.path, .host = vhost.empty() ? fallback : vhost, .status = u.status, .digest = digest});
                if (cc.http->enable_sni && spec.sni.empty() && !vhost.empty()) {
                    spec.sni = vhost;
                }
            }
            c.probe = probe_http(io, t, spec, std::move(done));
            break;
        }
        case conf::CheckerType::misc_check:
            probe_misc(io, cc.misc->exec, c.timeout, cc.misc->dynamic, std::move(done));
            break;
        default:
            break;
        }
        (void)rc;
    }

    std::string success_line(const ChkState& c) const
    {
        switch (c.cfg->type) {
        case conf::CheckerType::tcp_check: return fmt::format("TCP connection to {} success.", rs_name(c));
        case conf::CheckerType::misc_check:
            return fmt::format("Misc check to [{}] for [{}] succeeded.", rcfg(c.vs, c.rs).addr.str(), first_word(c.cfg->misc->path));
        default: return fmt::format("Remote Web server {} succeed on service.", rs_name(c));
        }
    }

    std::string failure_line(const ChkState& c, const Outcome& o) const
    {
        switch (c.cfg->type) {
        case conf::CheckerType::misc_check:
            return fmt::format("Misc check to [{}] for [{}] {}{}{}.", rcfg(c.vs, c.rs).addr.str(), first_word(c.cfg->misc->path),
                               o.reason, o.detail.empty() ? "" : " ", o.detail);
        case conf::CheckerType::tcp_check:
            return c.retry && c.has_run ? fmt::format("TCP_CHECK on service {} failed after {} retries.", rs_name(c), c.retry)
                                        : fmt::format("TCP_CHECK on service {} failed.", rs_name(c));
        default:
            return c.retry && c.has_run ? fmt::format("HTTP_CHECK on service {} failed after {} retries.", rs_name(c), c.retry)
                                        : fmt::format("HTTP_CHECK on service {} failed.", rs_name(c));
        }
    }

    // The epilog every keepalived checker shares (check_tcp.c's tcp_epilog, check_http.c's epilog).
    void result(size_t i, Outcome o)
    {
        auto& c = chks[i];
        if (o.ok && o.weight) {
            update_weight(c.vs, c.rs, *o.weight);
        }
        if (o.ok && !c.is_up) {
            for (const auto& [what, path] : o.successes) {
                vlog::info("{} success to {} url({})", what, rs_name(c), path);
            }
        }
        if (!o.ok && c.is_up && c.cfg->type != conf::CheckerType::misc_check) {
            // keepalived logs these only with log_all_failures
            if (c.cfg->type == conf::CheckerType::tcp_check) {
                vlog::debug("TCP connection to {} {}. ({})", rs_name(c), o.reason, o.detail);
            } else {
                vlog::debug("{} server {}. {}", o.reason, rs_name(c), o.detail);
            }
        }
        us delay = c.delay_loop;
        if (o.ok || c.retry_it >= c.retry) {
            c.retry_it = 0;
            if (o.ok && (!c.is_up || !c.has_run)) {
                vlog::line(success_line(c));
                set_checker(c, true);
            } else if (!o.ok && (c.is_up || !c.has_run)) {
                vlog::line(failure_line(c, o));
                set_checker(c, false);
            }
        } else {
            delay = c.delay_before_retry;
            ++c.retry_it;
        }
        c.has_run = true;
        schedule(i, delay);
        refresh();
    }

    void cancel_all()
    {
        for (auto& c : chks) {
            ++c.gen;
            c.timer->cancel();
            if (c.probe) {
                c.probe->cancel();
                c.probe.reset();
            }
        }
    }
};

Manager::Manager(boost::asio::io_context& io, const conf::Config& cfg, std::function<void()> on_change,
                 std::function<void(std::string_view)> on_event)
    : _impl(std::make_shared<Impl>(io, cfg, std::move(on_change), std::move(on_event)))
{
    _impl->init();
}

Manager::~Manager()
{
    _impl->stopped = true;
    _impl->cancel_all();
}

void Manager::adopt(const Manager& old)
{
    auto& n = *_impl;
    const auto& o = *old._impl;
    for (size_t v = 0; v < n.vss.size(); ++v) {
        for (size_t ov = 0; ov < o.vss.size(); ++ov) {
            if (!same_vs(n.vss[v], o.vss[ov])) {
                continue;
            }
            // ipwrapper.c's clear_diff_services: the VS keeps its quorum and sorry-server state.
            n.vs[v].quorum_up = o.vs[ov].quorum_up;
            n.vs[v].sorry_alive = o.vs[ov].sorry_alive && n.vss[v].sorry_server && o.vss[ov].sorry_server &&
                                  n.vss[v].sorry_server->addr == o.vss[ov].sorry_server->addr &&
                                  n.vss[v].sorry_server->port == o.vss[ov].sorry_server->port;
            for (size_t r = 0; r < n.vss[v].real_servers.size(); ++r) {
                const auto& nrc = n.vss[v].real_servers[r];
                for (size_t orr = 0; orr < o.vss[ov].real_servers.size(); ++orr) {
                    const auto& orc = o.vss[ov].real_servers[orr];
                    if (nrc.addr != orc.addr || nrc.port != orc.port || !same_checkers(nrc, orc)) {
                        continue;
                    }
                    auto& nrs = n.vs[v].rs[r];
                    const auto& ors = o.vs[ov].rs[orr];
                    nrs.alive = ors.alive;
                    nrs.failed = ors.failed;
                    // A changed configured weight wins over the old dynamic one.
                    nrs.weight = nrc.weight == orc.weight ? ors.weight : nrc.weight;
                    for (size_t k = 0; k < nrs.chks.size() && k < ors.chks.size(); ++k) {
                        auto& nc = n.chks[nrs.chks[k]];
                        const auto& oc = o.chks[ors.chks[k]];
                        nc.is_up = oc.is_up;
                        nc.has_run = oc.has_run;
                        // ipwrapper.c's migrate_checkers
                        nc.retry_it = !nc.is_up ? nc.retry : std::min(oc.retry_it, nc.retry);
                    }
                    break;
                }
            }
            break;
        }
    }
    n.live = n.compute();
}

void Manager::start()
{
    auto& m = *_impl;
    if (m.started) {
        return;
    }
    m.started = true;
    for (size_t v = 0; v < m.vs.size(); ++v) {
        m.update_quorum(v, true);
    }
    for (size_t i = 0; i < m.chks.size(); ++i) {
        auto& c = m.chks[i];
        vlog::info("Activating healthchecker for service {} for VS {}", m.rs_name(c), fmt_vs(m.vcfg(c.vs)));
        // keepalived: a random delay up to warmup spreads the first checks.
        us delay{0};
        if (c.warmup.count() > 0) {
            delay = us(std::uniform_int_distribution<int64_t>(0, c.warmup.count())(m.rng));
        }
        m.schedule(i, delay);
    }
    m.refresh();
}

void Manager::stop()
{
    auto& m = *_impl;
    if (m.stopped) {
        return;
    }
    m.stopped = true;
    m.cancel_all();
    if (!m.started) {
        return;
    }
    // ipwrapper.c's clear_services at shutdown: scripts only with omega.
    for (size_t v = 0; v < m.vs.size(); ++v) {
        const auto& vc = m.vss[v];
        for (size_t r = 0; r < vc.real_servers.size(); ++r) {
            auto& rs = m.vs[v].rs[r];
            vlog::info("Shutting down {}service {} from VS {}", rs.inhibit && !rs.alive ? "(inhibited) " : "", fmt_rs(vc.real_servers[r], vc), fmt_vs(vc));
            if (rs.alive && vc.omega) {
                m.script(vc.real_servers[r].notify_down, stop_script_timeout);
            }
        }
        m.vs[v].quorum_up = false;
        if (vc.omega) {
            m.script(vc.quorum_down, stop_script_timeout);
        }
    }
}

const std::vector<VsLive>& Manager::live() const
{
    return _impl->live;
}

} // namespace check

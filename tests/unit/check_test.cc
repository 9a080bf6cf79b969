// The health checkers against real servers on 127.0.0.1 (TCP, HTTP, HTTPS with a certificate made
// here) and real /bin/sh scripts, with configs written as a user would write keepalived.conf.
#include "control/check/check.h"

#include "control/check/probe.h"

#include "control/log.h"
#include "control/process.h"
#include "test_env.h"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

// GCC 12 reports Boost 1.74's coroutine frame allocator as mismatched new/delete (a false positive:
// the frame's operator new and delete are a pair, GCC sees only one of them after inlining).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// Runs the loop until `pred` holds or `limit` passes.
template <class Pred>
bool run_until(asio::io_context& io, Pred pred, std::chrono::milliseconds limit = 5000ms)
{
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) {
            return true;
        }
        io.run_for(10ms);
    }
    return pred();
}

// vlog's console output (stderr) into a file the test reads while the loop runs, so it can await a
// log line — the proof that a check ran and what it found. Restores stderr when it goes.
class StderrLog {
public:
    StderrLog()
    {
        std::fflush(stderr);
        char name[] = "/tmp/vipd-check-log-XXXXXX";
        _fd = ::mkstemp(name);
        EXPECT_GE(_fd, 0);
        _path = name;
        _saved = ::dup(2);
        ::dup2(_fd, 2);
    }
    ~StderrLog()
    {
        std::fflush(stderr);
        ::dup2(_saved, 2);
        ::close(_saved);
        ::close(_fd);
        std::filesystem::remove(_path);
    }
    StderrLog(const StderrLog&) = delete;
    StderrLog& operator=(const StderrLog&) = delete;
    std::string text() const
    {
        std::fflush(stderr);
        std::ifstream f(_path);
        return std::string(std::istreambuf_iterator<char>(f), {});
    }
    /// Whether `line` was logged after the first `from` bytes (a size() taken earlier).
    bool has(const std::string& line, size_t from = 0) const { return text().find(line, from) != std::string::npos; }
    size_t size() const { return text().size(); }

private:
    int _fd = -1;
    int _saved = -1;
    std::string _path;
};

// Accepts and closes connections; close() stops listening, listen() starts again on the same port.
class TcpServer {
public:
    explicit TcpServer(asio::io_context& io) : _io(io) { listen(0); }
    uint16_t port() const { return _port; }
    void listen(uint16_t port)
    {
        _acc = std::make_unique<tcp::acceptor>(_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port ? port : _port));
        _port = _acc->local_endpoint().port();
        accept();
    }
    void close() { _acc.reset(); }

private:
    void accept()
    {
        _acc->async_accept([this, acc = _acc.get()](const boost::system::error_code& ec, tcp::socket) {
            if (!ec && _acc.get() == acc) {
                accept();
            }
        });
    }
    asio::io_context& _io;
    std::unique_ptr<tcp::acceptor> _acc;
    uint16_t _port = 0;
};

struct Page {
    unsigned status;
    std::string body;
};

// A self-signed certificate for "localhost", made with OpenSSL's API.
void make_cert(asio::ssl::context& ctx)
{
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    SSL_CTX_use_certificate(ctx.native_handle(), x);
    SSL_CTX_use_PrivateKey(ctx.native_handle(), key);
    X509_free(x);
    EVP_PKEY_free(key);
}

// HTTP/1.0 (optionally over TLS) with fixed pages; records the Host headers and SNI names it saw.
class HttpServer {
public:
    HttpServer(asio::io_context& io, std::map<std::string, Page> pages, bool tls = false)
        : _io(io), _acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), _ctx(asio::ssl::context::tls_server),
          _pages(std::move(pages)), _tls(tls)
    {
        if (tls) {
            make_cert(_ctx);
        }
        accept();
    }
    uint16_t port() const { return _acc.local_endpoint().port(); }
    std::set<std::string> hosts, snis;

private:
    void accept()
    {
        _acc.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
            if (ec) {
                return;
            }
            asio::co_spawn(_io, serve(std::move(s)), asio::detached);
            accept();
        });
    }
    http::response<http::string_body> answer(const http::request<http::string_body>& req)
    {
        hosts.insert(std::string(req[http::field::host]));
        auto it = _pages.find(std::string(req.target()));
        Page p = it == _pages.end() ? Page{404, "not found"} : it->second;
        http::response<http::string_body> res{static_cast<http::status>(p.status), req.version()};
        res.body() = p.body;
        res.prepare_payload();
        return res;
    }
    asio::awaitable<void> serve(tcp::socket s)
    {
        try {
            boost::beast::flat_buffer buf;
            http::request<http::string_body> req;
            if (_tls) {
                asio::ssl::stream<tcp::socket&> tls(s, _ctx);
                co_await tls.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
                if (const char* sni = SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name)) {
                    snis.insert(sni);
                }
                co_await http::async_read(tls, buf, req, asio::use_awaitable);
                auto res = answer(req);
                co_await http::async_write(tls, res, asio::use_awaitable);
                co_await tls.async_shutdown(asio::use_awaitable);
            } else {
                co_await http::async_read(s, buf, req, asio::use_awaitable);
                auto res = answer(req);
                co_await http::async_write(s, res, asio::use_awaitable);
            }
        } catch (const std::exception&) {
        }
    }
    asio::io_context& _io;
    tcp::acceptor _acc;
    asio::ssl::context _ctx;
    std::map<std::string, Page> _pages;
    bool _tls;
};

class CheckTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        vlog::init(true, false);
        _dir = std::filesystem::temp_directory_path() / ("vipd-check-" + std::to_string(::getpid()) + "-" +
                                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(_dir);
    }
    void TearDown() override { std::filesystem::remove_all(_dir); }

    std::string script(const std::string& name, const std::string& body)
    {
        auto p = _dir / name;
        std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
        std::filesystem::permissions(p, std::filesystem::perms::owner_all);
        _env.programs.insert(p.string());
        return p.string();
    }
    std::string path(const std::string& name) const { return (_dir / name).string(); }

    conf::Config config(const std::string& text)
    {
        auto l = load(text, _env);
        for (const auto& vs : l.config.virtual_servers) {
            EXPECT_FALSE(vs.real_servers.empty()) << text;
        }
        return l.config;
    }

    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> _work = asio::make_work_guard(io);
    std::filesystem::path _dir;
    FakeEnv _env;
};

std::string vs_head(const std::string& extra = "")
{
    return "virtual_server 10.0.0.100 80 {\n delay_loop 0.2\n lb_algo rr\n lb_kind NAT\n protocol TCP\n" + extra;
}

std::string tcp_rs(const std::string& ip, uint16_t port, int weight, const std::string& extra = "")
{
    return fmt::format("real_server {} {} {{\n weight {}\n {}\n TCP_CHECK {{\n connect_timeout 1\n retry 1\n"
                       " delay_before_retry 0.1\n warmup 0\n }}\n}}\n",
                       ip, port, weight, extra);
}

} // namespace

TEST_F(CheckTest, TcpCheckRemovesAfterRetriesAndAddsBack)
{
    TcpServer srv(io);
    auto cfg = config(vs_head() + tcp_rs("127.0.0.1", srv.port(), 3) + "}\n");
    int changes = 0;
    check::Manager m(io, cfg, [&] { ++changes; });
    ASSERT_EQ(m.live().size(), 1u);
    ASSERT_EQ(m.live()[0].rs.size(), 1u);
    testing::internal::CaptureStderr();
    m.start();
    EXPECT_TRUE(m.live()[0].rs[0].up);
    EXPECT_EQ(m.live()[0].rs[0].weight, 3u);
    io.run_for(300ms);  // a success or two

    srv.close();
    ASSERT_TRUE(run_until(io, [&] { return !m.live()[0].rs[0].up; }));
    EXPECT_EQ(m.live()[0].rs[0].weight, 0u);
    EXPECT_GE(changes, 1);
    int after_down = changes;

    srv.listen(srv.port());
    ASSERT_TRUE(run_until(io, [&] { return m.live()[0].rs[0].up; }));
    EXPECT_EQ(m.live()[0].rs[0].weight, 3u);
    EXPECT_GT(changes, after_down);
    m.stop();
    std::string log = testing::internal::GetCapturedStderr();
    std::string rs = fmt::format("[127.0.0.1]:tcp:{}", srv.port());
    EXPECT_NE(log.find("Activating healthchecker for service " + rs + " for VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
    EXPECT_NE(log.find("TCP connection to " + rs + " success."), std::string::npos) << log;
    EXPECT_NE(log.find("TCP_CHECK on service " + rs + " failed after 1 retries."), std::string::npos) << log;
    EXPECT_NE(log.find("Removing service " + rs + " from VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
    EXPECT_NE(log.find("Adding service " + rs + " to VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
    EXPECT_NE(log.find("Shutting down service " + rs + " from VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
}

TEST_F(CheckTest, HttpGetStatusRangesDigestAndVirtualhost)
{
    HttpServer srv(io, {{"/ok", {200, "hello"}}, {"/teapot", {418, "short and stout"}}});
    auto web = [&](const std::string& ip, const std::string& url) {
        return fmt::format("real_server {} 80 {{\n HTTP_GET {{\n connect_ip 127.0.0.1\n connect_port {}\n"
                           " connect_timeout 1\n retry 0\n warmup 0\n {}\n }}\n}}\n",
                           ip, srv.port(), url);
    };
    std::string md5_hello = "5d41402abc4b2a76b9719d911017c592";
    auto cfg = config(vs_head(" alpha\n virtualhost vs.example\n") +
                      web("10.1.0.1", "url {\n path /ok\n }\n virtualhost www.example.com") +   // 200 in 200-299
                      web("10.1.0.2", "url {\n path /missing\n }") +                             // 404 not in 200-299
                      web("10.1.0.3", "url {\n path /missing\n status_code 404\n }") +
                      web("10.1.0.4", "url {\n path /ok\n digest " + md5_hello + "\n }") +
                      web("10.1.0.5", "url {\n path /ok\n digest 00000000000000000000000000000000\n }") +
                      web("10.1.0.6", "url {\n path /teapot\n status_code 400-499\n }") +
                      web("10.1.0.7", "url {\n path /ok\n }\n url {\n path /teapot\n }") +     // one of two fails
                      "}\n");
    ASSERT_EQ(cfg.virtual_servers.at(0).real_servers.size(), 7u);
    check::Manager m(io, cfg, [] {});
    for (const auto& rs : m.live()[0].rs) {
        EXPECT_FALSE(rs.up);  // alpha: down until a check succeeds
    }
    StderrLog captured;
    m.start();
    std::vector<bool> want = {true, false, true, true, false, true, false};
    auto matches = [&] {
        for (size_t i = 0; i < want.size(); ++i) {
            if (m.live()[0].rs[i].up != want[i]) {
                return false;
            }
        }
        return true;
    };
    // Under alpha the failing ones start down: only their checks' failures prove they were judged.
    auto failed = [&](const char* rs) { return captured.has(fmt::format("HTTP_CHECK on service [{}]:tcp:80 failed.", rs)); };
    ASSERT_TRUE(run_until(io, [&] { return matches() && failed("10.1.0.2") && failed("10.1.0.5") && failed("10.1.0.7"); }))
        << captured.text();
    EXPECT_TRUE(matches());
    std::string log = captured.text();
    EXPECT_NE(log.find("HTTP status code success to [10.1.0.1]:tcp:80 url(/ok)"), std::string::npos) << log;
    EXPECT_NE(log.find("MD5 digest success to [10.1.0.4]:tcp:80 url(/ok)"), std::string::npos) << log;
    EXPECT_NE(log.find("Remote Web server [10.1.0.3]:tcp:80 succeed on service."), std::string::npos) << log;
    EXPECT_NE(log.find("Adding service [10.1.0.6]:tcp:80 to VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
    EXPECT_TRUE(srv.hosts.contains("www.example.com"));  // the checker's virtualhost over the VS's
    EXPECT_TRUE(srv.hosts.contains("vs.example"));
}

TEST_F(CheckTest, SslGetWithSni)
{
    HttpServer srv(io, {{"/health", {200, "fine"}}}, true);
    auto cfg = config(vs_head(" alpha\n") +
                      fmt::format("real_server 127.0.0.1 {} {{\n SSL_GET {{\n connect_timeout 2\n warmup 0\n"
                                  " enable_sni\n virtualhost sni.example\n url {{\n path /health\n digest {}\n }}\n }}\n}}\n",
                                  srv.port(), check::md5_hex("fine")) +
                      fmt::format("real_server 127.0.0.2 {} {{\n SSL_GET {{\n connect_ip 127.0.0.1\n connect_timeout 2\n"
                                  " retry 0\n warmup 0\n url {{\n path /nothing\n }}\n }}\n}}\n",
                                  srv.port()) +
                      "}\n");
    check::Manager m(io, cfg, [] {});
    StderrLog captured;
    m.start();
    ASSERT_TRUE(run_until(io, [&] { return m.live()[0].rs[0].up; }));
    const std::string failed = fmt::format("HTTP_CHECK on service [127.0.0.2]:tcp:{} failed.", srv.port());
    ASSERT_TRUE(run_until(io, [&] { return captured.has(failed); })) << captured.text();
    EXPECT_FALSE(m.live()[0].rs[1].up);  // 404 over TLS
    EXPECT_TRUE(srv.snis.contains("sni.example"));
    EXPECT_TRUE(srv.hosts.contains("sni.example"));
}

TEST_F(CheckTest, MiscCheckAndDynamicWeights)
{
    std::string up = script("up.sh", "exit 0");
    std::string down = script("down.sh", "exit 1");
    std::ofstream(path("code")) << "9\n";
    // Each run records the code it exits with: the proof that a check ran with a given code.
    std::string dyn = script("dyn.sh", "c=$(cat " + path("code") + "); echo $c >> " + path("runs") + "; exit $c");
    auto runs = [&] {
        std::ifstream f(path("runs"));
        return std::string(std::istreambuf_iterator<char>(f), {});
    };
    auto misc = [](const std::string& ip, const std::string& body) {
        return fmt::format("real_server {} 80 {{\n weight 1\n MISC_CHECK {{\n {}\n retry 0\n delay_loop 0.1\n warmup 0\n }}\n}}\n", ip, body);
    };
    auto cfg = config(vs_head() + misc("10.2.0.1", "misc_path " + up) + misc("10.2.0.2", "misc_path \"" + down + " arg\"") +
                      misc("10.2.0.3", "misc_path " + dyn + "\n misc_dynamic") + "}\n");
    ASSERT_EQ(cfg.virtual_servers.at(0).real_servers.size(), 3u);
    ASSERT_EQ(cfg.virtual_servers[0].real_servers[2].checkers.size(), 1u);
    check::Manager m(io, cfg, [] {});
    StderrLog captured;
    m.start();
    const auto& rs = m.live()[0].rs;
    ASSERT_TRUE(run_until(io, [&] { return !rs[1].up && rs[2].weight == 7; }));
    EXPECT_TRUE(rs[0].up);
    EXPECT_EQ(rs[0].weight, 1u);
    EXPECT_TRUE(rs[2].up);

    std::ofstream(path("code")) << "1\n";  // misc_dynamic: 1 is down
    ASSERT_TRUE(run_until(io, [&] { return !rs[2].up; }));
    std::ofstream(path("code")) << "2\n";  // up with weight 0
    ASSERT_TRUE(run_until(io, [&] { return rs[2].up; }));
    EXPECT_EQ(rs[2].weight, 0u);
    std::ofstream(path("code")) << "0\n";  // 0: up, weight unchanged
    // A run that exited 0 has been judged once the next run has started (a checker's runs follow
    // one another, each scheduled by the result of the one before).
    ASSERT_TRUE(run_until(io, [&] {
        const std::string r = runs();
        const size_t zero = r.find("0\n");
        return zero != std::string::npos && r.size() > zero + 2;
    })) << runs();
    EXPECT_TRUE(rs[2].up);
    EXPECT_EQ(rs[2].weight, 0u);
    std::string log = captured.text();
    EXPECT_NE(log.find("Misc check to [10.2.0.2] for [" + down + "] failed (exited with status 1)."), std::string::npos) << log;
    EXPECT_NE(log.find("Changing weight from 1 to 7 for active service [10.2.0.3]:tcp:80 of VS [10.0.0.100]:tcp:80"),
              std::string::npos) << log;
    EXPECT_NE(log.find("Misc check to [10.2.0.3] for [" + dyn + "] succeeded."), std::string::npos) << log;
}

TEST_F(CheckTest, InhibitOnFailureKeepsWeightZero)
{
    TcpServer srv(io);
    uint16_t port = srv.port();
    srv.close();
    auto cfg = config(vs_head() + tcp_rs("127.0.0.1", port, 5, "inhibit_on_failure") + "}\n");
    check::Manager m(io, cfg, [] {});
    testing::internal::CaptureStderr();
    m.start();
    ASSERT_TRUE(run_until(io, [&] { return m.live()[0].rs[0].weight == 0; }));
    EXPECT_TRUE(m.live()[0].rs[0].up);
    srv.listen(port);
    ASSERT_TRUE(run_until(io, [&] { return m.live()[0].rs[0].weight == 5; }));
    std::string log = testing::internal::GetCapturedStderr();
    std::string rs = fmt::format("[127.0.0.1]:tcp:{}", port);
    EXPECT_NE(log.find("TCP_CHECK on service " + rs + " failed."), std::string::npos) << log;
    EXPECT_NE(log.find("Disabling service " + rs + " of VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
    EXPECT_NE(log.find("Enabling service " + rs + " of VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
}

TEST_F(CheckTest, QuorumHysteresisSorryServerAndOmega)
{
    TcpServer a(io), b(io);
    std::string qup = script("qup.sh", "echo up >> " + path("quorum"));
    std::string qdown = script("qdown.sh", "echo down >> " + path("quorum"));
    auto cfg = config(vs_head(" quorum 3\n hysteresis 1\n omega\n sorry_server 192.168.0.9 80\n quorum_up " + qup +
                              "\n quorum_down " + qdown + "\n") +
                      tcp_rs("127.0.0.1", a.port(), 2) + tcp_rs("127.0.0.1", b.port(), 2) + "}\n");
    check::Manager m(io, cfg, [] {});
    StderrLog captured;
    m.start();
    const auto& vs = m.live()[0];
    auto quorum_file = [&] {
        std::ifstream f(path("quorum"));
        return std::string(std::istreambuf_iterator<char>(f), {});
    };
    EXPECT_TRUE(vs.quorum);  // 4 >= 3+1
    EXPECT_FALSE(vs.sorry);
    ASSERT_TRUE(run_until(io, [&] { return quorum_file() == "up\n"; }));

    a.close();
    ASSERT_TRUE(run_until(io, [&] { return !vs.rs[0].up; }));
    io.run_for(200ms);
    EXPECT_TRUE(vs.quorum);  // 2 is not < 3-1
    EXPECT_FALSE(vs.sorry);
    EXPECT_TRUE(vs.rs[1].up);

    b.close();
    ASSERT_TRUE(run_until(io, [&] { return vs.sorry; }));
    EXPECT_FALSE(vs.quorum);
    EXPECT_FALSE(vs.rs[1].up);
    ASSERT_TRUE(run_until(io, [&] { return quorum_file() == "up\ndown\n"; }));

    const size_t before = captured.size();  // a's first success was logged at the start
    a.listen(a.port());  // 2 < 3+1: still no quorum, the sorry server stays
    ASSERT_TRUE(run_until(io, [&] {
        return captured.has(fmt::format("TCP connection to [127.0.0.1]:tcp:{} success.", a.port()), before);
    })) << captured.text();
    EXPECT_FALSE(vs.quorum);
    EXPECT_TRUE(vs.sorry);
    EXPECT_FALSE(vs.rs[0].up);  // alive, but out of the pool while the sorry server serves

    b.listen(b.port());
    ASSERT_TRUE(run_until(io, [&] { return vs.quorum; }));
    EXPECT_FALSE(vs.sorry);
    EXPECT_TRUE(vs.rs[0].up);
    EXPECT_TRUE(vs.rs[1].up);
    ASSERT_TRUE(run_until(io, [&] { return quorum_file() == "up\ndown\nup\n"; }));

    m.stop();  // omega: quorum_down at shutdown
    ASSERT_TRUE(run_until(io, [&] { return quorum_file() == "up\ndown\nup\ndown\n"; }));
    std::string log = captured.text();
    EXPECT_NE(log.find("Gained quorum 3+1=4 <= 4 for VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
    EXPECT_NE(log.find("Lost quorum 3-1=2 > 0 for VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
    EXPECT_NE(log.find("Adding sorry server [192.168.0.9]:tcp:80 to VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
    EXPECT_NE(log.find("Removing sorry server [192.168.0.9]:tcp:80 from VS [10.0.0.100]:tcp:80"), std::string::npos) << log;
}

TEST_F(CheckTest, AlphaStartsDown)
{
    TcpServer srv(io);
    auto cfg = config(vs_head(" alpha\n") + tcp_rs("127.0.0.1", srv.port(), 1) + "real_server 10.3.0.1 80 {\n weight 2\n}\n}\n");
    check::Manager m(io, cfg, [] {});
    m.start();
    EXPECT_FALSE(m.live()[0].rs[0].up);
    EXPECT_TRUE(m.live()[0].rs[1].up);  // no checkers: always up
    EXPECT_EQ(m.live()[0].rs[1].weight, 2u);
    ASSERT_TRUE(run_until(io, [&] { return m.live()[0].rs[0].up; }));
}

TEST_F(CheckTest, AdoptKeepsStateOfUnchangedServers)
{
    TcpServer live_srv(io), dead_srv(io);
    uint16_t dead = dead_srv.port();
    dead_srv.close();
    std::ofstream(path("code")) << "9\n";
    std::string dyn = script("dyn.sh", "exit $(cat " + path("code") + ")");
    std::string text = vs_head() + tcp_rs("127.0.0.1", live_srv.port(), 1) + tcp_rs("127.0.0.1", dead, 1) +
                       "real_server 10.4.0.1 80 {\n weight 1\n MISC_CHECK {\n misc_path " + dyn +
                       "\n misc_dynamic\n warmup 0\n }\n}\n}\n";
    auto cfg = config(text);
    // The first server's checker probes the dead port: down in m1.
    cfg.virtual_servers[0].real_servers[0].checkers[0].connect_port = dead;
    auto m1 = std::make_unique<check::Manager>(io, cfg, [] {});
    m1->start();
    ASSERT_TRUE(run_until(io, [&] {
        return !m1->live()[0].rs[0].up && !m1->live()[0].rs[1].up && m1->live()[0].rs[2].weight == 7;
    }));

    // The same config, but the first server's checker changed: that one starts afresh (up, as a new
    // server without alpha), not with m1's "down"; the others keep m1's state.
    auto cfg2 = cfg;
    cfg2.virtual_servers[0].real_servers[0].checkers[0].connect_port = live_srv.port();
    check::Manager m2(io, cfg2, [] {});
    EXPECT_TRUE(m2.live()[0].rs[1].up);  // before adopt: a new server starts up
    m2.adopt(*m1);
    EXPECT_FALSE(m2.live()[0].rs[1].up);
    EXPECT_EQ(m2.live()[0].rs[2].weight, 7u);
    EXPECT_TRUE(m2.live()[0].rs[0].up) << "the changed checker's server was down in m1: adopted, not afresh";
    m1.reset();
    testing::internal::CaptureStderr();
    m2.start();
    io.run_for(400ms);
    EXPECT_FALSE(m2.live()[0].rs[1].up);
    EXPECT_EQ(m2.live()[0].rs[2].weight, 7u);
    std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(log.find("Removing service"), std::string::npos) << log;  // no flap through "up"
}

namespace {

// Answers every request with a 200 header and then an endless body: a check that reads the whole
// body never ends (or gives up at a length limit).
class EndlessServer {
public:
    explicit EndlessServer(asio::io_context& io) : _io(io), _acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0))
    {
        _acc.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
            if (!ec) {
                asio::co_spawn(_io, serve(std::move(s)), asio::detached);
            }
        });
    }
    uint16_t port() const { return _acc.local_endpoint().port(); }
    size_t sent = 0;

private:
    asio::awaitable<void> serve(tcp::socket s)
    {
        try {
            std::string req;
            co_await asio::async_read_until(s, asio::dynamic_buffer(req), "\r\n\r\n", asio::use_awaitable);
            std::string head = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n";
            co_await asio::async_write(s, asio::buffer(head), asio::use_awaitable);
            std::string chunk(64 * 1024, 'x');
            for (;;) {
                co_await asio::async_write(s, asio::buffer(chunk), asio::use_awaitable);
                sent += chunk.size();
            }
        } catch (const std::exception&) {
        }
    }
    asio::io_context& _io;
    tcp::acceptor _acc;
};

check::Target local(uint16_t port)
{
    return {.dst = tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), .bind = {}, .timeout = 5s};
}

} // namespace

// M11: without a digest only the status matters: the header is read and the connection closed, so an
// endless (or huge) body costs nothing. Before, the body was read into memory up to 16 MiB and the
// check failed at that limit.
TEST_F(CheckTest, HttpGetWithoutDigestReadsOnlyTheHeader)
{
    EndlessServer srv(io);
    std::optional<check::Outcome> got;
    check::HttpSpec spec;
    spec.urls.push_back({.path = "/", .host = "127.0.0.1", .status = {}, .digest = ""});
    auto p = check::probe_http(io, local(srv.port()), spec, [&](check::Outcome o) { got = std::move(o); });
    ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }, 10000ms));
    EXPECT_TRUE(got->ok) << got->reason << " " << got->detail;
    EXPECT_LT(srv.sent, 16u * 1024 * 1024);  // it stopped reading long before the old limit
}

// M11: with a digest the body is streamed through MD5 in chunks: a body of several chunks matches.
TEST_F(CheckTest, HttpGetDigestIsStreamed)
{
    std::string big;
    for (int i = 0; big.size() < 3 * 1024 * 1024; ++i) {
        big += std::to_string(i) + "\n";
    }
    HttpServer srv(io, {{"/big", {200, big}}});
    for (const auto& digest : {check::md5_hex(big), std::string(32, '0')}) {
        std::optional<check::Outcome> got;
        check::HttpSpec spec;
        spec.urls.push_back({.path = "/big", .host = "127.0.0.1", .status = {}, .digest = digest});
        auto p = check::probe_http(io, local(srv.port()), spec, [&](check::Outcome o) { got = std::move(o); });
        ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }, 10000ms));
        EXPECT_EQ(got->ok, digest == check::md5_hex(big)) << got->reason << " " << got->detail;
        if (!got->ok) {
            EXPECT_EQ(got->reason, "MD5 digest error to");
            EXPECT_NE(got->detail.find(check::md5_hex(big)), std::string::npos) << got->detail;
        }
    }
}

// M6: a script starts without making vipd's memory copy-on-write. A fork write-protects every
// private page of the parent (the lcores' flow tables), which then faults on its next write to each,
// child gone or not; a vfork (posix_spawn) shares the pages and changes none. Counted, not timed:
// the writes after the script ran fault only where the start write-protected the pages.
TEST_F(CheckTest, ScriptStartLeavesTheParentsPagesWritable)
{
    constexpr size_t pages = 4096;
    const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    auto* mem = static_cast<uint8_t*>(::mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(mem, MAP_FAILED);
    ::madvise(mem, pages * page, MADV_NOHUGEPAGE);  // 4096 pages, not two huge ones
    for (size_t i = 0; i < pages; ++i) {
        mem[i * page] = 1;
    }
    conf::Exec e{.argv = {"/bin/true"}, .path = "/bin/true", .user = "self", .uid = ::getuid(), .gid = ::getgid()};
    control::ScriptResult result;
    bool ended = false;
    ASSERT_GT(control::run_script(io, e, {}, 5000ms, [&](control::ScriptResult r) {
        result = r;
        ended = true;
    }), 0);
    ASSERT_TRUE(run_until(io, [&] { return ended; }));
    EXPECT_TRUE(result.spawned);
    EXPECT_EQ(result.exit_status, 0);
    rusage before{}, after{};
    ::getrusage(RUSAGE_SELF, &before);
    for (size_t i = 0; i < pages; ++i) {
        mem[i * page] = 2;
    }
    ::getrusage(RUSAGE_SELF, &after);
    ::munmap(mem, pages * page);
    EXPECT_LT(after.ru_minflt - before.ru_minflt, 64) << "writes faulted after the script's start: it forked vipd";
}

// What vipd-script does with its arguments: the script's argv, a file without #! through /bin/sh,
// a missing one 127, a `</path` test through /bin/sh -c.
TEST_F(CheckTest, ScriptsRunThroughTheHelper)
{
    ASSERT_FALSE(control::script_helper().empty());
    const std::string out = path("args");
    const std::string plain = path("plain.sh");
    {
        std::ofstream f(plain);
        f << "echo \"$0 $1 $2\" > " << out << "\n";
    }
    std::filesystem::permissions(plain, std::filesystem::perms::owner_all);
    const auto run = [&](conf::Exec e, std::vector<std::string> extra) {
        e.user = "self";
        e.uid = ::getuid();
        e.gid = ::getgid();
        control::ScriptResult result;
        bool ended = false;
        control::run_script(io, e, extra, 5000ms, [&](control::ScriptResult r) {
            result = r;
            ended = true;
        });
        EXPECT_TRUE(run_until(io, [&] { return ended; }));
        return result.exit_status;
    };
    EXPECT_EQ(run({.argv = {plain, "one"}, .path = plain}, {"two"}), 0);
    std::ifstream f(out);
    std::string line;
    std::getline(f, line);
    EXPECT_EQ(line, plain + " one two") << "no #!: /bin/sh runs it with its arguments, $0 the file";
    EXPECT_EQ(run({.argv = {"/nonexistent/x"}, .path = "/nonexistent/x"}, {}), 127);
    EXPECT_EQ(run({.argv = {"</bin/true"}, .path = ""}, {}), 0);
    EXPECT_NE(run({.argv = {"</nonexistent"}, .path = ""}, {}), 0) << "the shell's redirection fails (dash: 2, bash: 1)";
}

// M12: with a broker held, scripts start from it (its child, not vipd's), report their exit status,
// are killed whole at their timeout, and a stop's grace lets one end by itself; without the broker,
// run_script spawns again itself.
TEST_F(CheckTest, ScriptBrokerRunsTimesOutAndStopsScripts)
{
    std::string why;
    auto broker = control::ScriptBroker::start(io, why);
    ASSERT_TRUE(broker) << why;
    const auto sh = [](const std::string& line) {
        return conf::Exec{.argv = {"/bin/sh", "-c", line}, .path = "/bin/sh", .user = "self", .uid = ::getuid(), .gid = ::getgid()};
    };
    const auto run = [&](const conf::Exec& e, std::chrono::milliseconds timeout) {
        control::ScriptResult result;
        bool ended = false;
        const control::ScriptId id = control::run_script(io, e, {}, timeout, [&](control::ScriptResult r) {
            result = r;
            ended = true;
        });
        EXPECT_NE(id, 0u);
        EXPECT_TRUE(run_until(io, [&] { return ended; }, 10000ms));
        return result;
    };
    const std::string parent = path("ppid");
    auto r = run(sh("echo $PPID > " + parent + "; exit 3"), 5000ms);
    EXPECT_TRUE(r.spawned);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_status, 3);
    std::ifstream f(parent);
    int ppid = 0;
    f >> ppid;
    EXPECT_EQ(ppid, broker->pid()) << "the broker started it";

    const std::string child = path("child");
    const auto t0 = std::chrono::steady_clock::now();
    r = run(sh("sleep 30 & echo $! > " + child + "; wait"), 300ms);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.exit_status, 128 + SIGKILL);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    std::ifstream c(child);
    pid_t sleeper = 0;
    c >> sleeper;
    ASSERT_GT(sleeper, 0);
    EXPECT_TRUE(run_until(io, [&] { return ::kill(sleeper, 0) != 0; }, 2000ms)) << "the script's child went with its group";

    // A stop: SIGTERM after the grace, not before.
    control::ScriptResult stopped;
    bool ended = false;
    const auto t1 = std::chrono::steady_clock::now();
    const control::ScriptId id = control::run_script(io, sh("exec sleep 30"), {}, 20000ms, [&](control::ScriptResult res) {
        stopped = res;
        ended = true;
    });
    ASSERT_NE(id, 0u);
    control::stop_script(id, 300ms);
    ASSERT_TRUE(run_until(io, [&] { return ended; }, 5000ms));
    EXPECT_EQ(stopped.exit_status, 128 + SIGTERM);
    EXPECT_GE(std::chrono::steady_clock::now() - t1, 300ms);

    broker.reset();
    r = run(sh("exit 4"), 5000ms);
    EXPECT_EQ(r.exit_status, 4) << "without the broker, vipd spawns the script itself";
}

// M10: notify scripts of one key run one at a time in order; at most `limit` run at once in all.
TEST_F(CheckTest, ScriptQueueIsSerialPerKeyAndBoundedOverall)
{
    const std::string out = path("order");
    auto job = [&](const std::string& name, const std::string& pause) {
        conf::Exec e;
        e.argv = {"/bin/sh", "-c", "echo start " + name + " >> " + out + "; sleep " + pause + "; echo end " + name + " >> " + out};
        e.path = "/bin/sh";
        e.user = "self";
        e.uid = ::getuid();
        e.gid = ::getgid();
        return e;
    };
    auto lines = [&] {
        std::ifstream f(out);
        std::string all, l;
        while (std::getline(f, l)) {
            all += (all.empty() ? "" : "|") + l;
        }
        return all;
    };
    {
        // One key: the second waits for the first even though it is quicker.
        control::ScriptQueue q(io, 4);
        q.run("I VI_1", job("a1", "0.3"), {}, 5000ms);
        q.run("I VI_1", job("a2", "0"), {}, 5000ms);
        ASSERT_TRUE(run_until(io, [&] { return q.idle(); }, 10000ms));
        EXPECT_EQ(lines(), "start a1|end a1|start a2|end a2");
    }
    std::filesystem::remove(out);
    {
        // Two keys, one at a time in all: b waits for a, and a's second waits its turn after b.
        control::ScriptQueue q(io, 1);
        q.run("I A", job("a1", "0.2"), {}, 5000ms);
        q.run("I B", job("b1", "0"), {}, 5000ms);
        q.run("I A", job("a2", "0"), {}, 5000ms);
        EXPECT_EQ(q.running(), 1u);
        bool idle = false;
        q.when_idle([&] { idle = true; });
        ASSERT_TRUE(run_until(io, [&] { return idle; }, 10000ms));
        EXPECT_EQ(lines(), "start a1|end a1|start b1|end b1|start a2|end a2");
    }
}

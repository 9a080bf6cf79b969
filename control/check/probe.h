// The probes behind the checkers: one attempt each (a TCP connect, the GETs of an HTTP_GET/SSL_GET,
// a MISC_CHECK script run), reporting an Outcome; the retry, delay and up/down logic is manager.cc's.
#pragma once

#include "conf/model.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace check {

struct Target {
    boost::asio::ip::tcp::endpoint dst;
    std::optional<boost::asio::ip::tcp::endpoint> bind;  // bindto / bind_port
    std::chrono::microseconds timeout{};                  // connect_timeout: a whole connect or request
};

struct Outcome {
    bool ok = false;
    std::optional<int> weight;  // misc_dynamic: the weight the exit status asks for
    std::string reason;         // on failure: keepalived's phrase ("HTTP status code error to", "timed out"...)
    std::string detail;         // on failure: what was seen (status code, digest, error text)
    std::vector<std::pair<std::string, std::string>> successes;  // HTTP: {"HTTP status code" | "MD5 digest", path}
};

using Done = std::function<void(Outcome)>;

// A probe in flight. cancel() aborts it; `done` is not called after cancel().
class Probe {
public:
    virtual ~Probe() = default;
    virtual void cancel() = 0;
};

// What the TCP and HTTP probes share: a socket opened (and bound) as the checker says, a timer that
// closes it when connect_timeout passes, and cancel().
class SocketProbe : public Probe {
public:
    void cancel() override
    {
        _cancelled = true;
        _timer.cancel();
        boost::system::error_code ignored;
        _sock.close(ignored);
    }

protected:
    explicit SocketProbe(boost::asio::io_context& io) : _sock(io), _timer(io) {}

    // A fresh socket for t.dst, bound to t.bind when the checker has bindto / bind_port.
    boost::system::error_code open(const Target& t)
    {
        boost::system::error_code ec;
        _sock = boost::asio::ip::tcp::socket(_sock.get_executor());
        _sock.open(t.dst.protocol(), ec);
        if (!ec && t.bind) {
            _sock.set_option(boost::asio::socket_base::reuse_address(true), ec);
            _sock.bind(*t.bind, ec);
        }
        return ec;
    }
    // Arms the timer: when `timeout` passes first, _timed_out is set and the socket closed (which
    // fails the pending operation). `owner` keeps the probe alive or, weak, lets it go.
    template <class Owner>
    void arm(std::chrono::microseconds timeout, Owner owner)
    {
        _timed_out = false;
        _timer.expires_after(timeout);
        _timer.async_wait([owner](const boost::system::error_code& e) {
            auto self = lock(owner);
            if (self && !e) {
                self->_timed_out = true;
                boost::system::error_code ignored;
                self->_sock.close(ignored);
            }
        });
    }

    boost::asio::ip::tcp::socket _sock;
    boost::asio::steady_timer _timer;
    bool _timed_out = false;
    bool _cancelled = false;

private:
    template <class T>
    static std::shared_ptr<T> lock(const std::shared_ptr<T>& p) { return p; }
    template <class T>
    static std::shared_ptr<T> lock(const std::weak_ptr<T>& p) { return p.lock(); }
};

struct HttpUrl {
    std::string path;
    std::string host;                 // the Host header
    std::vector<conf::StatusRange> status;  // empty: 200-299
    std::string digest;               // lower-case hex MD5 of the body, or empty
};

struct HttpSpec {
    std::vector<HttpUrl> urls;
    bool ssl = false;
    std::string sni;                  // SSL_GET with enable_sni: the server name to send
};

std::shared_ptr<Probe> probe_tcp(boost::asio::io_context& io, const Target& t, Done done);
std::shared_ptr<Probe> probe_http(boost::asio::io_context& io, const Target& t, const HttpSpec& spec, Done done);
// MISC_CHECK: exit 0 up; with `dynamic`, 2..255 up with weight status-2; anything else down.
// `exec` as validation resolved it (unset: it does not run, and the check fails).
void probe_misc(boost::asio::io_context& io, const std::optional<conf::Exec>& exec, std::chrono::microseconds timeout,
                bool dynamic, Done done);

// 32 lower-case hex digits: the MD5 of `data` (OpenSSL EVP).
std::string md5_hex(std::string_view data);
boost::asio::ip::address to_asio(const conf::Ip& ip);

} // namespace check

// HTTP_GET / SSL_GET: each url fetched in turn (HTTP/1.0, as keepalived asks), its status code checked
// against the url's ranges and its body's MD5 against the digest; certificates are not verified. Only
// what the check needs is read: the header alone without a digest, else the body streamed through MD5
// (never held), up to a bound.
#include "control/check/probe.h"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>
#include <openssl/evp.h>

// GCC 12 reports Boost 1.74's coroutine frame allocator as mismatched new/delete (a false positive:
// the frame's operator new and delete are a pair, GCC sees only one of them after inlining).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace check {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

std::string md5_hex(std::string_view data)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += fmt::format("{:02x}", md[i]);
    }
    return out;
}

asio::ip::address to_asio(const conf::Ip& ip)
{
    if (ip.is_v4()) {
        return asio::ip::address_v4({ip.bytes[0], ip.bytes[1], ip.bytes[2], ip.bytes[3]});
    }
    asio::ip::address_v6::bytes_type b;
    std::copy(ip.bytes.begin(), ip.bytes.end(), b.begin());
    return asio::ip::address_v6(b);
}

namespace {

// A body longer than this fails a digest check: it bounds how long one probe reads, not memory.
constexpr uint64_t max_digest_body = 16 * 1024 * 1024;

class Md5 {
public:
    Md5() : _ctx(EVP_MD_CTX_new()) { EVP_DigestInit_ex(_ctx, EVP_md5(), nullptr); }
    ~Md5() { EVP_MD_CTX_free(_ctx); }
    Md5(const Md5&) = delete;
    Md5& operator=(const Md5&) = delete;
    void update(const void* p, size_t n) { EVP_DigestUpdate(_ctx, p, n); }
    std::string hex()
    {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(_ctx, md, &len);
        std::string out;
        for (unsigned i = 0; i < len; ++i) {
            out += fmt::format("{:02x}", md[i]);
        }
        return out;
    }

private:
    EVP_MD_CTX* _ctx;
};

using Parser = http::response_parser<http::buffer_body>;

bool status_ok(unsigned code, const std::vector<conf::StatusRange>& ranges)
{
    if (ranges.empty()) {
        return code >= 200 && code <= 299;
    }
    for (const auto& r : ranges) {
        if (code >= r.lo && code <= r.hi) {
            return true;
        }
    }
    return false;
}

class HttpProbe : public SocketProbe, public std::enable_shared_from_this<HttpProbe> {
public:
    HttpProbe(asio::io_context& io, Target t, HttpSpec spec, Done done)
        : SocketProbe(io), _io(io), _ctx(asio::ssl::context::tls_client), _target(std::move(t)),
          _spec(std::move(spec)), _done(std::move(done))
    {
        _ctx.set_verify_mode(asio::ssl::verify_none);
    }

    void start()
    {
        // An exception that is not a network error (bad_alloc, a parser's length_error) ends the
        // coroutine: it is reported as a failed check, never swallowed with the checker left silent.
        auto self = shared_from_this();
        asio::co_spawn(_io, run(self), [self](std::exception_ptr e) {
            if (!e || self->_cancelled) {
                return;
            }
            Outcome o;
            o.reason = "Error processing HTTP_GET to";
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                o.detail = x.what();
            } catch (...) {
                o.detail = "unknown error";
            }
            self->_cancelled = true;
            self->_timer.cancel();
            boost::system::error_code ignored;
            self->_sock.close(ignored);
            auto done = std::move(self->_done);
            done(std::move(o));
        });
    }

private:
    static asio::awaitable<void> run(std::shared_ptr<HttpProbe> self)
    {
        Outcome o;
        o.ok = true;
        for (const auto& url : self->_spec.urls) {
            Outcome one = co_await self->fetch(url);
            if (self->_cancelled) {
                co_return;
            }
            if (!one.ok) {
                o = std::move(one);
                break;
            }
            o.successes.insert(o.successes.end(), one.successes.begin(), one.successes.end());
        }
        if (self->_cancelled) {
            co_return;
        }
        self->_cancelled = true;
        auto done = std::move(self->_done);
        done(std::move(o));
    }

    asio::awaitable<Outcome> fetch(const HttpUrl& url)
    {
        Outcome o;
        if (const boost::system::error_code ec = open(_target)) {
            o.reason = "Error connecting";
            o.detail = ec.message();
            co_return o;
        }
        arm(_target.timeout, std::weak_ptr<HttpProbe>(shared_from_this()));
        const char* stage = "Error connecting";
        try {
            co_await _sock.async_connect(_target.dst, asio::use_awaitable);
            http::request<http::empty_body> req{http::verb::get, url.path, 10};
            req.set(http::field::user_agent, "KeepAliveClient");
            req.set(http::field::host, url.host);
            boost::beast::flat_buffer buf;
            Parser parser;
            parser.body_limit(max_digest_body);
            const bool digest = !url.digest.empty();
            Md5 md5;
            // The socket is closed after the header (no digest) or once the body has been read.
            auto read = [&](auto& stream, auto truncated) -> asio::awaitable<void> {
                stage = "Read error with";
                auto ec = co_await read_header(stream, buf, parser);
                if (ec && !truncated(ec)) {
                    throw boost::system::system_error(ec);
                }
                if (digest && status_ok(parser.get().result_int(), url.status)) {
                    ec = co_await read_body(stream, buf, parser, md5);
                    if (ec && !truncated(ec)) {
                        throw boost::system::system_error(ec);
                    }
                }
            };
            if (_spec.ssl) {
                asio::ssl::stream<tcp::socket&> tls(_sock, _ctx);
                if (!_spec.sni.empty()) {
                    SSL_set_tlsext_host_name(tls.native_handle(), _spec.sni.c_str());
                }
                stage = "SSL handshake/communication error connecting to";
                co_await tls.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
                stage = "Cannot send get request to";
                co_await http::async_write(tls, req, asio::use_awaitable);
                // A server that closes without close_notify: fine once what was needed has come.
                co_await read(tls, [&](const boost::system::error_code& e) {
                    return e == asio::ssl::error::stream_truncated && (parser.is_done() || (!digest && parser.is_header_done()));
                });
            } else {
                stage = "Cannot send get request to";
                co_await http::async_write(_sock, req, asio::use_awaitable);
                co_await read(_sock, [](const boost::system::error_code&) { return false; });
            }
            _timer.cancel();
            boost::system::error_code ignored;
            _sock.close(ignored);
            unsigned code = parser.get().result_int();
            if (!status_ok(code, url.status)) {
                o.reason = "HTTP status code error to";
                o.detail = fmt::format("url({}), status_code [{}]", url.path, code);
                co_return o;
            }
            if (digest) {
                std::string got = md5.hex();
                if (got != url.digest) {
                    o.reason = "MD5 digest error to";
                    o.detail = fmt::format("url({}), digest [{}]", url.path, got);
                    co_return o;
                }
                o.successes.emplace_back("MD5 digest", url.path);
            } else {
                o.successes.emplace_back("HTTP status code", url.path);
            }
            o.ok = true;
            co_return o;
        } catch (const boost::system::system_error& e) {
            _timer.cancel();
            boost::system::error_code ignored;
            _sock.close(ignored);
            o.reason = _timed_out ? "Timeout connecting" : stage;
            o.detail = fmt::format("url({}): {}", url.path, _timed_out ? "timeout" : e.code().message());
            co_return o;
        }
    }

    template <class Stream>
    static asio::awaitable<boost::system::error_code> read_header(Stream& s, boost::beast::flat_buffer& buf, Parser& p)
    {
        boost::system::error_code ec;
        co_await http::async_read_header(s, buf, p, asio::redirect_error(asio::use_awaitable, ec));
        co_return ec;
    }
    // The body through a fixed buffer into MD5: memory stays one chunk whatever the server sends.
    template <class Stream>
    static asio::awaitable<boost::system::error_code> read_body(Stream& s, boost::beast::flat_buffer& buf, Parser& p, Md5& md5)
    {
        std::vector<char> chunk(16 * 1024);
        while (!p.is_done()) {
            p.get().body().data = chunk.data();
            p.get().body().size = chunk.size();
            boost::system::error_code ec;
            co_await http::async_read(s, buf, p, asio::redirect_error(asio::use_awaitable, ec));
            md5.update(chunk.data(), chunk.size() - p.get().body().size);
            if (ec == http::error::need_buffer) {
                continue;
            }
            if (ec) {
                co_return ec;
            }
        }
        co_return boost::system::error_code{};
    }

    asio::io_context& _io;
    asio::ssl::context _ctx;
    Target _target;
    HttpSpec _spec;
    Done _done;
};

} // namespace

std::shared_ptr<Probe> probe_http(asio::io_context& io, const Target& t, const HttpSpec& spec, Done done)
{
    auto p = std::make_shared<HttpProbe>(io, t, spec, std::move(done));
    p->start();
    return p;
}

} // namespace check

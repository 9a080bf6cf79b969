// TCP_CHECK: the server is up when a TCP connection to it completes within connect_timeout.
#include "control/check/probe.h"

#include <boost/asio/steady_timer.hpp>

namespace check {

namespace {

class TcpProbe : public Probe, public std::enable_shared_from_this<TcpProbe> {
public:
    TcpProbe(boost::asio::io_context& io, Done done) : _sock(io), _timer(io), _done(std::move(done)) {}

    void start(const Target& t)
    {
        boost::system::error_code ec;
        _sock.open(t.dst.protocol(), ec);
        if (!ec && t.bind) {
            _sock.set_option(boost::asio::socket_base::reuse_address(true), ec);
            _sock.bind(*t.bind, ec);
        }
        auto self = shared_from_this();
        if (ec) {
            boost::asio::post(_sock.get_executor(), [self, ec] { self->finish(ec); });
            return;
        }
        _timer.expires_after(t.timeout);
        _timer.async_wait([self](const boost::system::error_code& e) {
            if (!e) {
                self->_timed_out = true;
                boost::system::error_code ignored;
                self->_sock.close(ignored);
            }
        });
        _sock.async_connect(t.dst, [self](const boost::system::error_code& e) {
            self->_timer.cancel();
            self->finish(e);
        });
    }

    void cancel() override
    {
        _cancelled = true;
        _timer.cancel();
        boost::system::error_code ignored;
        _sock.close(ignored);
    }

private:
    void finish(const boost::system::error_code& ec)
    {
        if (_cancelled) {
            return;
        }
        _cancelled = true;
        Outcome o;
        o.ok = !ec && !_timed_out;
        if (!o.ok) {
            o.reason = _timed_out ? "timedout" : "failed";
            o.detail = _timed_out ? "connect timeout" : ec.message();
        }
        boost::system::error_code ignored;
        _sock.close(ignored);
        auto done = std::move(_done);
        done(std::move(o));
    }

    boost::asio::ip::tcp::socket _sock;
    boost::asio::steady_timer _timer;
    Done _done;
    bool _timed_out = false;
    bool _cancelled = false;
};

} // namespace

std::shared_ptr<Probe> probe_tcp(boost::asio::io_context& io, const Target& t, Done done)
{
    auto p = std::make_shared<TcpProbe>(io, std::move(done));
    p->start(t);
    return p;
}

} // namespace check

// TCP_CHECK: the server is up when a TCP connection to it completes within connect_timeout.
#include "control/check/probe.h"

#include <boost/asio/post.hpp>

namespace check {

namespace {

class TcpProbe : public SocketProbe, public std::enable_shared_from_this<TcpProbe> {
public:
    TcpProbe(boost::asio::io_context& io, Done done) : SocketProbe(io), _done(std::move(done)) {}

    void start(const Target& t)
    {
        const boost::system::error_code ec = open(t);
        auto self = shared_from_this();
        if (ec) {
            boost::asio::post(_sock.get_executor(), [self, ec] { self->finish(ec); });
            return;
        }
        arm(t.timeout, self);
        _sock.async_connect(t.dst, [self](const boost::system::error_code& e) {
            self->_timer.cancel();
            self->finish(e);
        });
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

    Done _done;
};

} // namespace

std::shared_ptr<Probe> probe_tcp(boost::asio::io_context& io, const Target& t, Done done)
{
    auto p = std::make_shared<TcpProbe>(io, std::move(done));
    p->start(t);
    return p;
}

} // namespace check

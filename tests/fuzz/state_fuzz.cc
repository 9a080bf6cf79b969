// libFuzzer target: the DPDK node's state file, which root reads at start and the guardian reads
// after a crash to put addresses and routes back. Any bytes must load without a crash; what loads
// must be well-formed (IPv4 only, prefixes within 0..32) and must survive save → load unchanged.
#include "dataplane/dpdk/control/guardian.h"
#include "tests/fuzz/require.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace {

void require(bool ok, const char* what) { fuzz::require(ok, "state_fuzz", what); }

// The run's scratch directory, removed when the fuzzer exits (it ends with exit(), which runs the
// destructors of statics).
struct Scratch {
    Scratch()
    {
        char tmpl[] = "/tmp/vipd-state-fuzz.XXXXXX";
        const char* made = ::mkdtemp(tmpl);
        require(made != nullptr, "mkdtemp");
        path = made;
    }
    ~Scratch()
    {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string path;
};

const std::string& dir()
{
    static const Scratch d;
    return d.path;
}

bool same(const kernel::Route4& a, const kernel::Route4& b)
{
    return a.dst == b.dst && a.prefix == b.prefix && a.gateway == b.gateway && a.prefsrc == b.prefsrc &&
           a.metric == b.metric && a.protocol == b.protocol && a.scope == b.scope;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    {
        std::ofstream out(std::filesystem::path(dir()) / "in.addresses", std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    const node::SavedInterface s = node::load_interface_state(dir(), "in");
    for (const auto& [ip, prefix] : s.addrs) {
        require(ip.is_v4() && prefix <= 32, "an address that is not IPv4/0..32 was loaded");
    }
    for (const auto& r : s.routes) {
        require(r.dst.is_v4() && r.prefix <= 32, "a route that is not IPv4/0..32 was loaded");
        require((!r.gateway || r.gateway->is_v4()) && (!r.prefsrc || r.prefsrc->is_v4()), "a route with a non-IPv4 gateway or source was loaded");
    }
    require(s.tap.find_first_of(" \t\r\n") == std::string::npos, "a TAP name with white space was loaded");
    require(node::save_interface_state(dir(), "again", s).empty(), "cannot save what was loaded");
    const node::SavedInterface t = node::load_interface_state(dir(), "again");
    require(t.tap == s.tap && t.addrs == s.addrs && t.routes.size() == s.routes.size(), "save -> load changed the state");
    for (size_t i = 0; i < s.routes.size(); ++i) {
        require(same(s.routes[i], t.routes[i]), "save -> load changed a route");
    }
    return 0;
}

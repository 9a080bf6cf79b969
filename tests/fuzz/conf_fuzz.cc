// libFuzzer target: any bytes through the keepalived.conf lexer, parser and validation must end in
// diagnostics, never in a crash, a hang or undefined behaviour.
#include "conf/json.h"
#include "conf/parser.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

// No host lookups while fuzzing: the result must depend on the input alone.
class FuzzEnvironment : public conf::Environment {
public:
    bool interface_exists(const std::string& name) const override { return name == "eth0" || name == "eth1"; }
    std::optional<std::string> find_executable(const std::string& p) const override
    {
        return p == "/bin/true" ? std::optional<std::string>(p) : std::nullopt;
    }
    bool user_exists(const std::string& name) const override { return name == "root"; }
    bool path_exists(const std::string& p) const override { return p == "/bin/true"; }
    bool secure_for_root(const std::string& p) const override { return p == "/bin/true"; }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const FuzzEnvironment env;
    std::string text(reinterpret_cast<const char*>(data), size);
    auto loaded = conf::load_text("fuzz.conf", std::move(text), {.config_id = "fuzz"}, env);
    for (const auto& d : loaded.diags.all()) {
        (void)loaded.diags.format(d);
    }
    (void)conf::to_json(loaded.config);
    return 0;
}

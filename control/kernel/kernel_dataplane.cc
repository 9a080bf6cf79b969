// Kernel mode's Dataplane: holds no interface, forwards nothing.
#include "control/kernel/kernel_dataplane.h"

namespace kernel {
namespace {

class KernelDataplane final : public control::Dataplane {
public:
    std::string name() const override { return "kernel"; }
    vipd::Status start(const conf::Config&) override { return {}; }
    void stop() override {}
    bool holds(const std::string&) const override { return false; }
    std::string kernel_name(const std::string& ifname) const override { return ifname; }
    bool forwards() const override { return false; }
    void apply(std::shared_ptr<const fwd::Snapshot>) override {}
    bool send_vrrp(const std::string&, std::span<const uint8_t>, const conf::Ip&) override { return false; }
    bool send_garp(const std::string&, const conf::Ip&) override { return false; }
    size_t poll(const VrrpSink&) override { return 0; }
    std::string stats() const override { return {}; }
};

} // namespace

std::unique_ptr<control::Dataplane> make_kernel_dataplane()
{
    return std::make_unique<KernelDataplane>();
}

} // namespace kernel

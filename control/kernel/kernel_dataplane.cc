// Kernel mode's Dataplane: holds no interface, forwards nothing, is never polled.
#include "control/kernel/kernel_dataplane.h"

namespace kernel {
namespace {

class KernelDataplane final : public control::Dataplane {
public:
    std::string name() const override { return "kernel"; }
    std::string description() const override { return "kernel mode"; }
    vipd::Status start(const conf::Config&) override { return {}; }
    void stop() override {}
    bool holds(const std::string&) const override { return false; }
    std::string kernel_name(const std::string& ifname) const override { return ifname; }
    bool forwards() const override { return false; }
    void apply(std::shared_ptr<const fwd::Snapshot>) override {}
    // Only ever asked for an interface it holds, and it holds none: VrrpIo's raw and packet sockets
    // carry kernel mode's adverts and gratuitous ARPs.
    bool send_vrrp(const std::string&, std::span<const uint8_t>, const conf::Ip&) override { return false; }
    bool send_garp(const std::string&, const conf::Ip&) override { return false; }
    size_t poll(const VrrpSink&) override { return 0; }
    bool polled() const override { return false; }
    std::string stats() const override { return {}; }
};

} // namespace

std::unique_ptr<control::Dataplane> make_kernel_dataplane()
{
    return std::make_unique<KernelDataplane>();
}

} // namespace kernel

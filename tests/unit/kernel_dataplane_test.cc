// Kernel mode's Dataplane contract, which the daemon relies on instead of asking whether a dataplane
// exists: it holds no interface (VrrpIo's raw sockets carry VRRP and the VIPs go on the named
// interface), forwards nothing (no snapshot, no checkers), is never polled, and names itself on the
// start line as "kernel mode" (scripts grep "Starting vipd ... (kernel mode)").
#include "control/kernel/kernel_dataplane.h"

#include <gtest/gtest.h>

namespace {

TEST(KernelDataplane, HoldsNothingAndForwardsNothing)
{
    auto dp = kernel::make_kernel_dataplane();
    for (const char* ifname : {"eth0", "ens33", "lo", ""}) {
        EXPECT_FALSE(dp->holds(ifname)) << ifname;
        EXPECT_EQ(dp->kernel_name(ifname), ifname);
    }
    EXPECT_FALSE(dp->forwards());
    EXPECT_FALSE(dp->polled());
}

TEST(KernelDataplane, StartsStopsAndPollsWithoutSideEffects)
{
    auto dp = kernel::make_kernel_dataplane();
    conf::Config cfg;
    EXPECT_TRUE(dp->start(cfg).ok());
    bool called = false;
    EXPECT_EQ(dp->poll([&](const std::string&, std::span<const uint8_t>) { called = true; }), 0u);
    EXPECT_FALSE(called);
    EXPECT_EQ(dp->stats(), "");
    dp->stop();
}

TEST(KernelDataplane, NamesItselfAsTheStartLineDid)
{
    auto dp = kernel::make_kernel_dataplane();
    EXPECT_EQ(dp->name(), "kernel");
    EXPECT_EQ(dp->description(), "kernel mode");
}

} // namespace

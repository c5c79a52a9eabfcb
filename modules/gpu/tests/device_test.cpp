// SPDX-License-Identifier: Apache-2.0
#include <limits>

#include <gtest/gtest.h>

#include <tradpal/config.hpp>
#include <tradpal/gpu/device.hpp>

namespace tradpal::gpu {
namespace {

DeviceInfo device(int index, std::uint64_t free_gib) {
    DeviceInfo d;
    d.index = index;
    d.name = "test";
    d.free_bytes = free_gib << 30;
    d.total_bytes = std::uint64_t{80} << 30;
    return d;
}

TEST(ChooseDevice, MostFreeMemoryUnlessOneIsAsked) {
    const std::vector<DeviceInfo> devices{device(0, 10), device(1, 70), device(2, 70)};
    EXPECT_EQ(choose_device(devices, std::nullopt).value(), 1);  // lowest index of equals
    EXPECT_EQ(choose_device(devices, 0).value(), 0);
    const auto missing = choose_device(devices, 3);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(missing.error().message, "there is no CUDA device 3 (this machine has 3)");
    EXPECT_EQ(choose_device({}, std::nullopt).error().code, ErrorCode::Unavailable);
}

TEST(MemoryBudget, TheLimitsShareOfTheTotalAtMostWhatIsFree) {
    EXPECT_EQ(memory_budget(device(0, 70), 0.5), std::uint64_t{40} << 30);
    EXPECT_EQ(memory_budget(device(0, 10), 0.5), std::uint64_t{10} << 30);
}

TEST(PlanPasses, EachPassFitsNextToTheInputs) {
    const std::vector<std::uint64_t> items{30, 30, 30, 50, 10, 10};
    // Budget 100 with 20 of inputs: 80 per pass.
    EXPECT_EQ(plan_passes(20, items, 100, "test").value(), (std::vector<std::size_t>{2, 4, 6}));
    EXPECT_EQ(plan_passes(0, items, 1000, "test").value(), (std::vector<std::size_t>{6}));
    EXPECT_TRUE(plan_passes(20, {}, 100, "test").value().empty());
    const auto refused = plan_passes(60, items, 100, "gpu sweep");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(refused.error().message.rfind("gpu sweep: its inputs", 0), 0U)
        << refused.error().message;
}

TEST(BatchTarget, TheHostLoopNeedsNoDevice) {
    BatchOptions options(Backend::HostLoop);
    const BatchTarget unbounded = batch_target(options).value();
    EXPECT_EQ(unbounded.device, -1);
    EXPECT_EQ(unbounded.budget, std::numeric_limits<std::uint64_t>::max());
    options.memory_bytes = 1234;
    EXPECT_EQ(batch_target(options).value().budget, 1234U);
}

TEST(CudaVersion, AsText) {
    EXPECT_EQ(cuda_version_text(13000), "13.0");
    EXPECT_EQ(cuda_version_text(12040), "12.4");
}

// On a machine with a GPU the report lists it; elsewhere the reason is one clear line.
TEST(QueryDevices, ListsDevicesOrSaysWhyNot) {
    const auto report = query_devices();
    if (!report) {
        EXPECT_EQ(report.error().code, ErrorCode::Unavailable);
        EXPECT_FALSE(report.error().message.empty());
        EXPECT_EQ(report.error().message.find('\n'), std::string::npos);
        if (!TRADPAL_HAS_CUDA) {
            EXPECT_NE(report.error().message.find("without the CUDA toolkit"), std::string::npos);
        }
        return;
    }
    ASSERT_FALSE(report->devices.empty());
    EXPECT_GT(report->runtime_version, 0);
    EXPECT_GE(report->driver_version, 0);
    for (const DeviceInfo& d : report->devices) {
        EXPECT_FALSE(d.name.empty());
        EXPECT_GT(d.total_bytes, 0U);
        EXPECT_LE(d.free_bytes, d.total_bytes);
        EXPECT_GE(d.compute_major, 1);
    }
}

}  // namespace
}  // namespace tradpal::gpu

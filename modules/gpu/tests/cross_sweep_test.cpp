// SPDX-License-Identifier: Apache-2.0
// The GPU sweep's per-thread code, run by the host loop, against the CPU simulator: the same
// metrics to the bit. (cross_device_test.cpp checks the device the same way.)
#include <gtest/gtest.h>

#include <tradpal/gpu/device.hpp>

#include "cross_fixture.hpp"

namespace tradpal::gpu {
namespace {

using testing::CrossCase;
using testing::expect_same;

void check_host_loop(const CrossCase& c) {
    auto gpu = simulate_cross_batch(c.batch, Backend::HostLoop);
    ASSERT_TRUE(gpu) << gpu.error().message;
    ASSERT_EQ(gpu->size(), c.batch.runs.size());
    backtest::SimulationWorkspace workspace;
    std::size_t traded = 0;
    for (std::size_t k = 0; k < c.batch.runs.size(); ++k) {
        SCOPED_TRACE(k);
        const backtest::Metrics cpu = c.cpu(k, workspace);
        expect_same((*gpu)[k], cpu);
        traded += cpu.trades > 0 ? 1 : 0;
    }
    EXPECT_GT(traded, c.batch.runs.size() / 2);  // the comparison is about trades, mostly
}

TEST(CrossSweep, HostLoopEqualsSimulatorOnMinuteBars) {
    check_host_loop(CrossCase(6000, 11, Timeframe("1m")));
}

TEST(CrossSweep, HostLoopEqualsSimulatorOnHourBars) {
    check_host_loop(CrossCase(3000, 12, Timeframe("1h")));
}

TEST(CrossSweep, RunsKeepTheirOrderWhateverTheLines) {
    CrossCase c(500, 13, Timeframe("1h"));
    std::reverse(c.batch.runs.begin(), c.batch.runs.end());
    check_host_loop(c);
}

TEST(CrossSweep, RefusesWhatItDoesNotPort) {
    backtest::Config config;
    EXPECT_TRUE(cross_unsupported(config, {}).empty());
    backtest::Protection stops;
    stops.stop_loss = 0.02;
    EXPECT_FALSE(cross_unsupported(config, stops).empty());
    config.sizing.mode = backtest::SizingMode::RiskAtr;
    EXPECT_FALSE(cross_unsupported(config, {}).empty());

    CrossCase c(100, 14, Timeframe("1h"));
    c.batch.configs[0] = config;
    const auto out = simulate_cross_batch(c.batch, Backend::HostLoop);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::InvalidArgument);
}

TEST(CrossSweep, ChecksIndicesAndLengths) {
    CrossCase c(100, 15, Timeframe("1h"));
    c.batch.runs.push_back({0, 99, 0, 0, false});
    EXPECT_FALSE(simulate_cross_batch(c.batch, Backend::HostLoop));
    c.batch.runs.back() = {0, 0, 1, 0, false};
    c.batch.lines[1] = c.batch.lines[1].first(50);
    EXPECT_FALSE(simulate_cross_batch(c.batch, Backend::HostLoop));
}

TEST(CrossSweep, WithoutADeviceTheAnswerIsUnavailable) {
    if (query_devices()) {
        GTEST_SKIP() << "this machine has a CUDA device (the gpu-labelled tests use it)";
    }
    const auto out = simulate_cross_batch(CrossCase(100, 16, Timeframe("1h")).batch);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::Unavailable);
}

}  // namespace
}  // namespace tradpal::gpu

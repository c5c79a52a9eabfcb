// SPDX-License-Identifier: Apache-2.0
// The GPU sweep's per-thread code, run by the host loop, against the CPU simulator: the same
// metrics to the bit. (sweep_device_test.cpp checks the device the same way.)
#include <algorithm>

#include <gtest/gtest.h>

#include <tradpal/gpu/device.hpp>

#include "sweep_fixture.hpp"

namespace tradpal::gpu {
namespace {

using testing::CrossCase;
using testing::RuleCase;

template <class Case>
void check_host_loop(const Case& c, const BatchOptions& options = Backend::HostLoop) {
    const std::size_t traded = testing::expect_sweep_equals_cpu(c, options);
    EXPECT_GT(traded, c.batch.runs.size() / 2);  // the comparison is about trades, mostly
}

TEST(GpuSweep, HostLoopEqualsSimulatorOnMinuteBars) {
    check_host_loop(CrossCase(6000, 11, Timeframe("1m")));
}

TEST(GpuSweep, HostLoopEqualsSimulatorOnHourBars) {
    check_host_loop(CrossCase(3000, 12, Timeframe("1h")));
}

TEST(GpuSweep, RsiReversionEqualsSimulator) {
    check_host_loop(RuleCase("rsi_reversion",
                             {{"period=14", "lower=30", "upper=70"},
                              {"period=5", "lower=20", "upper=80"},
                              {"period=9", "lower=45", "upper=55"}},
                             4000, 31, Timeframe("1h")));
}

TEST(GpuSweep, BollingerReversionEqualsSimulator) {
    check_host_loop(
        RuleCase("bollinger_reversion",
                 {{"period=20", "devs=2"}, {"period=10", "devs=1.5"}, {"period=40", "devs=1"}},
                 4000, 32, Timeframe("1m")));
}

TEST(GpuSweep, DonchianBreakoutEqualsSimulator) {
    check_host_loop(
        RuleCase("donchian_breakout",
                 {{"entry=20", "exit=10"}, {"entry=5", "exit=3"}, {"entry=10", "exit=30"}}, 4000,
                 33, Timeframe("1h")));
}

TEST(GpuSweep, MacdCrossEqualsSimulator) {
    check_host_loop(RuleCase(
        "macd_cross", {{"fast=12", "slow=26", "signal=9"}, {"fast=5", "slow=35", "signal=5"}}, 4000,
        34, Timeframe("1m")));
}

TEST(GpuSweep, RunsKeepTheirOrderWhateverTheLines) {
    CrossCase c(500, 13, Timeframe("1h"));
    std::reverse(c.batch.runs.begin(), c.batch.runs.end());
    check_host_loop(c);
}

TEST(GpuSweep, ABatchOverTheMemoryBudgetRunsInPassesWithTheSameResults) {
    // 500 hourly bars are 21 days: a run holds 21 returns, its state and its launch record.
    const CrossCase c(500, 17, Timeframe("1h"));
    BatchOptions options(Backend::HostLoop);
    const std::uint64_t inputs = 500 * 40 + c.lines.size() * 500 * 8;
    options.memory_bytes = inputs + 20'000;  // room for a few dozen runs per pass
    check_host_loop(c, options);
    options.memory_bytes = inputs + 200;  // the bars and lines fit, no run does
    const auto refused = simulate_sweep(c.batch, options);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::Unavailable);
    EXPECT_NE(refused.error().message.find("memory_limit"), std::string::npos)
        << refused.error().message;
}

TEST(GpuSweep, RiskAtrSizingNeedsTheAtrLine) {
    CrossCase c(100, 14, Timeframe("1h"));
    for (SweepRun& run : c.batch.runs) {
        run.atr_line = kNoLine;  // fine for every config but RiskAtr
    }
    const auto out = simulate_sweep(c.batch, Backend::HostLoop);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(out.error().message.find("risk_atr"), std::string::npos) << out.error().message;
}

TEST(GpuSweep, ChecksIndicesAndLengths) {
    CrossCase c(100, 15, Timeframe("1h"));
    c.batch.runs.push_back({.kind = RuleKind::Cross, .lines = {99, 0}});
    EXPECT_FALSE(simulate_sweep(c.batch, Backend::HostLoop));
    c.batch.runs.back() = {.kind = RuleKind::Breakout, .lines = {0, 1, 2, 99}};
    EXPECT_FALSE(simulate_sweep(c.batch, Backend::HostLoop));  // the fourth line counts
    c.batch.runs.back() = {.kind = RuleKind::Levels, .lines = {0, 99}, .lower = 30, .upper = 70};
    EXPECT_TRUE(simulate_sweep(c.batch, Backend::HostLoop));  // a second line does not
    c.batch.runs.back() = {.kind = RuleKind::Cross, .lines = {0, 1}};
    c.batch.lines[1] = c.batch.lines[1].first(50);
    EXPECT_FALSE(simulate_sweep(c.batch, Backend::HostLoop));
}

TEST(GpuSweep, WithoutADeviceTheAnswerIsUnavailable) {
    if (query_devices()) {
        GTEST_SKIP() << "this machine has a CUDA device (the gpu-labelled tests use it)";
    }
    const auto out = simulate_sweep(CrossCase(100, 16, Timeframe("1h")).batch);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::Unavailable);
}

}  // namespace
}  // namespace tradpal::gpu

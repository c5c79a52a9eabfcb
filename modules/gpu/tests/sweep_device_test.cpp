// SPDX-License-Identifier: Apache-2.0
// The GPU sweep on the device against the CPU simulator: the same metrics to the bit. Skips
// where query_devices() finds no CUDA device.
#include <gtest/gtest.h>

#include <tradpal/gpu/device.hpp>

#include "sweep_fixture.hpp"

namespace tradpal::gpu {
namespace {

using testing::CrossCase;
using testing::RuleCase;

template <class Case>
void check_device(const Case& c, const BatchOptions& options = {}) {
    if (auto devices = query_devices(); !devices) {
        GTEST_SKIP() << devices.error().message;
    }
    testing::expect_sweep_equals_cpu(c, options);
}

TEST(GpuSweepDevice, EqualsSimulatorOnMinuteBars) {
    check_device(CrossCase(20000, 21, Timeframe("1m")));
}

TEST(GpuSweepDevice, EqualsSimulatorOnHourBars) {
    check_device(CrossCase(5000, 22, Timeframe("1h")));
}

TEST(GpuSweepDevice, ThresholdBandAndBreakoutRulesEqualSimulator) {
    check_device(
        RuleCase("rsi_reversion",
                 {{"period=14", "lower=30", "upper=70"}, {"period=5", "lower=20", "upper=80"}},
                 8000, 41, Timeframe("1h")));
    check_device(RuleCase("bollinger_reversion",
                          {{"period=20", "devs=2"}, {"period=10", "devs=1.5"}}, 8000, 42,
                          Timeframe("1m")));
    check_device(RuleCase("donchian_breakout", {{"entry=20", "exit=10"}, {"entry=5", "exit=3"}},
                          8000, 43, Timeframe("1h")));
    check_device(
        RuleCase("macd_cross", {{"fast=12", "slow=26", "signal=9"}}, 8000, 44, Timeframe("1m")));
}

TEST(GpuSweepDevice, PassesWithinAMemoryBudgetGiveTheSameMetrics) {
    // A budget of the inputs and ~40 runs: the batch takes dozens of passes.
    const CrossCase c(2000, 23, Timeframe("1h"));
    BatchOptions options;
    options.memory_bytes = 2000 * 40 + c.lines.size() * 2000 * 8 + 40 * (84 * 8 + 512);
    check_device(c, options);
}

}  // namespace
}  // namespace tradpal::gpu

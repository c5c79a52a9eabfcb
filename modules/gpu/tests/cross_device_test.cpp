// SPDX-License-Identifier: Apache-2.0
// The GPU sweep on the device against the CPU simulator: the same metrics to the bit. Skips
// where query_devices() finds no CUDA device.
#include <gtest/gtest.h>

#include <tradpal/gpu/device.hpp>

#include "cross_fixture.hpp"

namespace tradpal::gpu {
namespace {

using testing::CrossCase;
using testing::expect_same;

void check_device(const CrossCase& c) {
    if (auto devices = query_devices(); !devices) {
        GTEST_SKIP() << devices.error().message;
    }
    auto gpu = simulate_cross_batch(c.batch, Backend::Device);
    ASSERT_TRUE(gpu) << gpu.error().message;
    ASSERT_EQ(gpu->size(), c.batch.runs.size());
    backtest::SimulationWorkspace workspace;
    for (std::size_t k = 0; k < c.batch.runs.size(); ++k) {
        SCOPED_TRACE(k);
        expect_same((*gpu)[k], c.cpu(k, workspace));
    }
}

TEST(CrossSweepDevice, EqualsSimulatorOnMinuteBars) {
    check_device(CrossCase(20000, 21, Timeframe("1m")));
}

TEST(CrossSweepDevice, EqualsSimulatorOnHourBars) {
    check_device(CrossCase(5000, 22, Timeframe("1h")));
}

}  // namespace
}  // namespace tradpal::gpu

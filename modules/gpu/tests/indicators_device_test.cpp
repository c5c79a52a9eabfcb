// SPDX-License-Identifier: Apache-2.0
// The batch indicators on the device against modules/indicators. Skips where query_devices()
// finds no CUDA device.
#include <gtest/gtest.h>

#include "indicators_fixture.hpp"

namespace tradpal::gpu {
namespace {

TEST(BatchIndicatorsDevice, EqualsCpuOnRandomWalks) {
    if (auto devices = query_devices(); !devices) {
        GTEST_SKIP() << devices.error().message;
    }
    testing::check_batch({testing::random_walk(20000, 1), testing::random_walk(3000, 2),
                          testing::random_walk(10, 4)},
                         Backend::Device, testing::expect_close);
}

TEST(BatchIndicatorsDevice, EqualsCpuOnBitstampHourly) {
    if (auto devices = query_devices(); !devices) {
        GTEST_SKIP() << devices.error().message;
    }
    auto bitstamp = testing::bitstamp_hourly();
    if (!bitstamp) {
        GTEST_SKIP() << "../shared/data is not available";
    }
    testing::check_batch({*bitstamp}, Backend::Device, testing::expect_close);
}

}  // namespace
}  // namespace tradpal::gpu

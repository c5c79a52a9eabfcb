// SPDX-License-Identifier: Apache-2.0
// The batch indicators' per-thread code, run by the host loop, against modules/indicators.
// (indicators_device_test.cpp checks the device the same way.)
#include <gtest/gtest.h>

#include "indicators_fixture.hpp"

namespace tradpal::gpu {
namespace {

using testing::check_batch;

TEST(BatchIndicators, HostLoopEqualsCpuOnRandomWalks) {
    check_batch({testing::random_walk(5000, 1), testing::random_walk(3000, 2),
                 testing::random_walk(150, 3), testing::random_walk(10, 4)},
                Backend::HostLoop);
}

TEST(BatchIndicators, HostLoopEqualsCpuOnBitstampHourly) {
    auto bitstamp = testing::bitstamp_hourly();
    if (!bitstamp) {
        GTEST_SKIP() << "../shared/data is not available";
    }
    check_batch({*bitstamp}, Backend::HostLoop);
}

TEST(BatchIndicators, RefusesBadParameters) {
    const testing::Columns c = testing::random_walk(100, 5);
    const IndicatorSeries series[] = {c.view()};
    const BatchIndicator bad[] = {{IndicatorKind::Rsi, 1},
                                  {IndicatorKind::Macd, 26, 12, 9},
                                  {IndicatorKind::Sma, 0},
                                  {IndicatorKind::Bbands, 20, 0, 0, -1, 2}};
    for (const BatchIndicator& b : bad) {
        const auto out = batch_indicators(series, std::span(&b, 1), Backend::HostLoop);
        ASSERT_FALSE(out);
        EXPECT_EQ(out.error().code, ErrorCode::InvalidArgument);
    }
    const IndicatorSeries no_range[] = {{{}, {}, c.close}};
    const BatchIndicator atr{IndicatorKind::Atr, 14};
    EXPECT_FALSE(batch_indicators(no_range, std::span(&atr, 1), Backend::HostLoop));
}

TEST(BatchIndicators, WithoutADeviceTheAnswerIsUnavailable) {
    if (query_devices()) {
        GTEST_SKIP() << "this machine has a CUDA device (the gpu-labelled tests use it)";
    }
    const testing::Columns c = testing::random_walk(100, 6);
    const IndicatorSeries series[] = {c.view()};
    const BatchIndicator sma{IndicatorKind::Sma, 5};
    const auto out = batch_indicators(series, std::span(&sma, 1));
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::Unavailable);
}

}  // namespace
}  // namespace tradpal::gpu

// SPDX-License-Identifier: Apache-2.0
// The batch indicators' per-thread code, run by the host loop, against modules/indicators:
// both run tradpal/indicators/kernels.hpp, so every value is the same bits.
// (indicators_device_test.cpp checks the device within 1e-9.)
#include <gtest/gtest.h>

#include "indicators_fixture.hpp"

namespace tradpal::gpu {
namespace {

/// Every indicator of six_indicators() over every series, on the host loop, equal to the CPU's
/// batch forms bit for bit (NaN included).
void check_batch_bits(const std::vector<testing::Columns>& series,
                      const BatchOptions& options = Backend::HostLoop) {
    testing::check_batch(series, options, testing::expect_same_bits);
}

TEST(BatchIndicators, HostLoopEqualsCpuOnRandomWalks) {
    check_batch_bits({testing::random_walk(5000, 1), testing::random_walk(3000, 2),
                      testing::random_walk(150, 3), testing::random_walk(10, 4)});
}

TEST(BatchIndicators, HostLoopEqualsCpuOnBitstampHourly) {
    auto bitstamp = testing::bitstamp_hourly();
    if (!bitstamp) {
        GTEST_SKIP() << "../shared/data is not available";
    }
    check_batch_bits({*bitstamp});
}

TEST(BatchIndicators, ABatchOverTheMemoryBudgetRunsInPassesWithTheSameOutputs) {
    // Three series of 2,000 bars: 144 KB of columns; a task's outputs take 16-48 KB.
    const std::vector<testing::Columns> series = {testing::random_walk(2000, 7),
                                                  testing::random_walk(2000, 8),
                                                  testing::random_walk(2000, 9)};
    BatchOptions options(Backend::HostLoop);
    options.memory_bytes = 3 * 2000 * 24 + 100'000;  // a few tasks per pass
    check_batch_bits(series, options);
    options.memory_bytes = 3 * 2000 * 24 + 1'000;  // the columns fit, no task does
    std::vector<IndicatorSeries> views;
    for (const testing::Columns& c : series) {
        views.push_back(c.view());
    }
    const auto refused = batch_indicators(views, testing::six_indicators(), options);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::Unavailable);
    EXPECT_NE(refused.error().message.find("memory_limit"), std::string::npos)
        << refused.error().message;
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

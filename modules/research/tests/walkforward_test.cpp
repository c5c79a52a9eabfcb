// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/research/walkforward.hpp>

namespace tradpal::research {
namespace {

namespace bt = tradpal::backtest;
using ::testing::HasSubstr;

constexpr std::int64_t kDay = 86'400'000'000'000;

SweepRequest sma_grid(std::vector<const char*> axes) {
    std::vector<ParamAxis> parsed;
    for (const char* axis : axes) {
        parsed.push_back(ParamAxis::parse(axis).value());
    }
    SweepRequest request;
    request.strategy = "sma_cross";
    request.grid = ParameterGrid::make(std::move(parsed)).value();
    for (std::uint64_t k = 0; k < request.grid.size(); ++k) {
        request.sets.push_back(k);
    }
    return request;
}

WalkForwardOptions options_of(std::int64_t train_days, std::int64_t test_days, bool anchored) {
    WalkForwardOptions options;
    options.train_ns = train_days * kDay;
    options.test_ns = test_days * kDay;
    options.anchored = anchored;
    options.metric = parse_metric("total_return").value();
    options.threads = 2;
    return options;
}

TEST(WalkForward, EachTestWindowTradesTheBestSetOfItsTrainingWindow) {
    const BarSeries bars = data_testing::synthetic_ohlcv(400 * 24, 21);  // 400 days of hours
    const bt::SymbolSeries series{"X", bars.view()};
    const SweepRequest request = sma_grid({"fast=4:12:4", "slow=24:72:24"});
    const WalkForwardResult r = walk_forward(series, request, options_of(100, 30, false)).value();
    // Windows start every 30 days while 130 days fit up to the last bar (day 399 23:00):
    // days 0, 30, ..., 240.
    ASSERT_EQ(r.windows.size(), 9U);
    std::size_t test_bars = 0;
    std::uint64_t changes = 0;
    for (std::size_t k = 0; k < r.windows.size(); ++k) {
        const WalkWindow& w = r.windows[k];
        EXPECT_EQ(w.train_end_ns - w.train_start_ns, 100 * kDay);
        EXPECT_EQ(w.test_end_ns - w.train_end_ns, 30 * kDay);
        // The choice is the best of a sweep over the training bars alone.
        const bt::SymbolSeries train{
            "X", bars.view().between(Timestamp(w.train_start_ns), Timestamp(w.train_end_ns))};
        SweepOptions sweep;
        sweep.metric = parse_metric("total_return").value();
        sweep.top = 1;
        const SweepOutcome best = run_sweep(std::span(&train, 1), request, sweep);
        EXPECT_EQ(w.chosen, best.top.front().set) << k;
        test_bars += w.out_of_sample.bars;
        changes += k > 0 && r.windows[k - 1].chosen != w.chosen ? 1 : 0;
    }
    EXPECT_EQ(r.parameter_changes, changes);
    ASSERT_EQ(r.equity.size(), test_bars);
    // Each window starts flat with the equity the one before ended with.
    std::size_t at = 0;
    double carried = 100'000;
    for (const WalkWindow& w : r.windows) {
        EXPECT_EQ(r.equity[at], carried);
        at += w.out_of_sample.bars;
        carried = r.equity[at - 1];
    }
    EXPECT_EQ(r.stitched.final_value, r.equity.back());
    EXPECT_EQ(r.stitched.bars, test_bars);
}

TEST(WalkForward, AnchoredWindowsAllStartAtTheFirstBar) {
    const BarSeries bars = data_testing::synthetic_ohlcv(200 * 24, 22);
    const bt::SymbolSeries series{"X", bars.view()};
    const WalkForwardResult r =
        walk_forward(series, sma_grid({"fast=4,8", "slow=24"}), options_of(60, 20, true)).value();
    ASSERT_GE(r.windows.size(), 5U);
    for (const WalkWindow& w : r.windows) {
        EXPECT_EQ(w.train_start_ns, bars.view().ts().front());
    }
    EXPECT_EQ(r.windows[1].train_end_ns - r.windows[0].train_end_ns, 20 * kDay);
}

TEST(WalkForward, TooShortOrEmptyWindowsAreErrors) {
    const BarSeries bars = data_testing::synthetic_ohlcv(50 * 24, 23);
    const bt::SymbolSeries series{"X", bars.view()};
    const SweepRequest request = sma_grid({"fast=4", "slow=24"});
    EXPECT_THAT(walk_forward(series, request, options_of(40, 20, false)).error().message,
                HasSubstr("shorter than one training plus one test window"));
    EXPECT_FALSE(walk_forward(series, request, options_of(0, 20, false)).has_value());
}

}  // namespace
}  // namespace tradpal::research

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/backtest/metrics.hpp>
#include <tradpal/backtest/signals.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::backtest {
namespace {

using signals::kNaN;

/// The mean of each window by summing it afresh with exact_sum (Shewchuk's algorithm): an
/// independent way to the same correctly rounded numbers.
std::vector<double> reference_mean(const std::vector<double>& x, int period) {
    std::vector<double> out(x.size(), kNaN);
    const auto p = static_cast<std::size_t>(period);
    for (std::size_t i = p - 1; i < x.size(); ++i) {
        out[i] = signals::exact_sum(std::span<const double>(x).subspan(i + 1 - p, p)) / period;
    }
    return out;
}

void expect_bitwise_equal(const std::vector<double>& a, const std::vector<double>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(b[i])) {
            ASSERT_TRUE(std::isnan(a[i])) << "at " << i;
        } else {
            ASSERT_EQ(a[i], b[i]) << "at " << i;
        }
    }
}

TEST(ExactSum, MatchesPythonFsum) {
    // Values printed by Python 3.11's math.fsum for the same inputs.
    EXPECT_EQ(signals::exact_sum(std::vector<double>{1e16, 1.0, -1e16}), 1.0);
    EXPECT_EQ(signals::exact_sum(std::vector<double>(30, 0.1)), 3.0);
    EXPECT_EQ(
        signals::exact_sum(std::vector<double>{1.0, std::ldexp(1.0, -53), std::ldexp(1.0, -106)}),
        1.0000000000000002);
    EXPECT_EQ(signals::exact_sum(std::vector<double>{12345.67, 0.0001, -12345.6, 1e-9, 3.3}),
              3.3701000009997086);
    EXPECT_EQ(signals::exact_sum(std::vector<double>{}), 0.0);
    EXPECT_TRUE(std::isnan(signals::exact_sum(std::vector<double>{1.0, kNaN})));
}

TEST(ExactMean, EqualsTheWindowSumRoundedOnce) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> step(0, 1);
    std::vector<double> x(5000);
    double price = 20000;
    for (double& v : x) {
        price += step(rng);
        v = std::round(price * 100) / 100;  // two decimals, like exchange prices
    }
    for (const int period : {1, 2, 10, 30, 200}) {
        std::vector<double> out(x.size());
        signals::sma(x, period, out);
        expect_bitwise_equal(out, reference_mean(x, period));
    }
}

TEST(ExactMean, HandlesFlatStretchesZerosAndWideRanges) {
    // Flat prices, zeros (RSI's moves), tiny and huge values in one window (beyond 128 bits:
    // the slow exact path), and a cancellation.
    std::vector<double> x = {0.1,    0.1, 0.1,  0.1, 0,     0, 0, 1e-300, 1e300,
                             -1e300, 7,   1e16, 1,   -1e16, 3, 3, 3};
    for (int k = 0; k < 50; ++k) {
        x.push_back(0.1 * k);
    }
    for (const int period : {1, 3, 4, 7}) {
        std::vector<double> out(x.size());
        signals::sma(x, period, out);
        expect_bitwise_equal(out, reference_mean(x, period));
    }
}

TEST(ExactMean, WindowSumsMoveFrom64To128BitsAsTheRangeWidens) {
    // A long stretch in two binades (sums fit 63 bits), then a trend through ten more (128-bit
    // sums), then negative values and a cancellation: every mean is still the exact one.
    std::vector<double> x;
    std::uint64_t state = 12345;
    const auto noise = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) * 0x1.0p-53;
    };
    for (int k = 0; k < 3000; ++k) {
        x.push_back(100.0 + 50.0 * noise());
    }
    for (int k = 0; k < 3000; ++k) {
        x.push_back(x.back() * (1.0 + 0.004 * noise()));
    }
    for (int k = 0; k < 500; ++k) {
        x.push_back(-x[static_cast<std::size_t>(k) * 7]);
    }
    for (const int period : {2, 30, 200}) {
        std::vector<double> out(x.size());
        signals::sma(x, period, out);
        expect_bitwise_equal(out, reference_mean(x, period));
    }
}

TEST(ExactMean, SkipsALeadingNaNPrefix) {
    const std::vector<double> x = {kNaN, kNaN, 1, 2, 3, 4};
    std::vector<double> out(x.size());
    signals::sma(x, 2, out);
    EXPECT_TRUE(std::isnan(out[2]));
    EXPECT_EQ(out[3], 1.5);
    EXPECT_EQ(out[5], 3.5);
}

TEST(Smoother, EmaIsSeededWithTheMeanThenBacktradersRecurrence) {
    const std::vector<double> x = {1, 2, 3, 4, 5, 6};
    std::vector<double> out(x.size());
    signals::ema(x, 3, out);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_EQ(out[2], 2.0);
    const double alpha = 2.0 / (1.0 + 3);
    EXPECT_EQ(out[3], 2.0 * (1.0 - alpha) + 4.0 * alpha);
    EXPECT_EQ(out[4], out[3] * (1.0 - alpha) + 5.0 * alpha);
}

TEST(Rsi, WilderSmoothingAndItsZeroRules) {
    // Only rises: the down average is 0 -> 100. Flat: both 0 -> 50.
    std::vector<double> up = {1, 2, 3, 4, 5};
    std::vector<double> out(up.size());
    signals::rsi(up, 2, out);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_EQ(out[2], 100.0);
    const std::vector<double> flat = {5, 5, 5, 5};
    std::vector<double> flat_out(flat.size());
    signals::rsi(flat, 2, flat_out);
    EXPECT_EQ(flat_out[3], 50.0);
    // By hand: moves +1, -2, +3 with period 2.
    const std::vector<double> x = {10, 11, 9, 12};
    std::vector<double> r(x.size());
    signals::rsi(x, 2, r);
    const double avg_up_2 = (1.0 + 0.0) / 2;
    const double avg_down_2 = (0.0 + 2.0) / 2;
    EXPECT_EQ(r[2], 100.0 - 100.0 / (1.0 + avg_up_2 / avg_down_2));
    const double avg_up_3 = avg_up_2 * (1.0 - 1.0 / 2) + 3.0 * (1.0 / 2);
    const double avg_down_3 = avg_down_2 * (1.0 - 1.0 / 2) + 0.0 * (1.0 / 2);
    EXPECT_EQ(r[3], 100.0 - 100.0 / (1.0 + avg_up_3 / avg_down_3));
}

TEST(Signals, StreamingFormsEqualTheBatchForms) {
    const BarSeries bars = data_testing::synthetic_ohlcv(3000, 11);
    const auto close = bars.view().close();
    const std::size_t n = close.size();
    std::vector<double> macd(n), signal(n), mid(n), top(n), bottom(n), atr(n), hi(n), lo(n);
    signals::macd(close, 12, 26, 9, macd, signal);
    signals::bollinger(close, 20, 2, mid, top, bottom);
    signals::atr(bars.view().high(), bars.view().low(), close, 14, atr);
    signals::channel(bars.view().high(), bars.view().low(), 20, hi, lo);
    signals::Macd m(12, 26, 9);
    signals::Bollinger b(20, 2);
    signals::Atr a(14);
    signals::Channel c(20);
    for (std::size_t i = 0; i < n; ++i) {
        m.update(close[i]);
        b.update(close[i]);
        const double atr_now = a.update(bars.view().high()[i], bars.view().low()[i], close[i]);
        c.update(bars.view().high()[i], bars.view().low()[i]);
        if (i >= 40) {
            ASSERT_EQ(m.macd(), macd[i]);
            ASSERT_EQ(m.signal(), signal[i]);
            ASSERT_EQ(b.top(), top[i]);
            ASSERT_EQ(atr_now, atr[i]);
            ASSERT_EQ(c.highest(), hi[i]);
        }
    }
    // MACD's signal starts once the slow EMA and then `signal` MACD values exist.
    EXPECT_TRUE(std::isnan(signal[25 + 7]));
    EXPECT_FALSE(std::isnan(signal[25 + 8]));
}

TEST(Signals, BollingerUsesTheCLibraryPow) {
    const std::vector<double> x = {1, 2, 3, 4};
    std::vector<double> mid(4), top(4), bottom(4);
    signals::bollinger(x, 4, 2, mid, top, bottom);
    const double mean_square = (1.0 + 4.0 + 9.0 + 16.0) / 4;
    const double deviation = 2 * std::sqrt(std::fabs(mean_square - 2.5 * 2.5));
    EXPECT_EQ(mid[3], 2.5);
    EXPECT_DOUBLE_EQ(top[3], 2.5 + deviation);
    EXPECT_DOUBLE_EQ(bottom[3], 2.5 - deviation);
}

TEST(Signals, CrossesNeedBothBarsAndIgnoreNaN) {
    const std::vector<double> a = {kNaN, 1, 2, 2, 1, 3};
    const std::vector<double> b = {0, 1.5, 1.5, 2, 2, 2};
    std::vector<std::uint8_t> up(6), down(6);
    signals::cross_up(a, b, up);
    signals::cross_down(a, b, down);
    EXPECT_EQ(up, (std::vector<std::uint8_t>{0, 0, 1, 0, 0, 1}));
    EXPECT_EQ(down, (std::vector<std::uint8_t>{0, 0, 0, 0, 1, 0}));
}

TEST(Signals, InvalidPeriodsAreRejected) {
    EXPECT_THROW(signals::ExactMean(0), Exception);
    EXPECT_THROW(signals::Macd(26, 12, 9), Exception);
}

TEST(AverageMemo, SharesAveragesAndDropsTheLeastRecentlyUsedPastItsBudget) {
    const std::vector<double> close = {1, 2, 3, 4, 5, 6, 7, 8};
    AverageMemo memo(3 * close.size() * sizeof(double));  // room for three averages
    const auto sma2 = memo.average(false, 2, close);
    const auto sma3 = memo.average(false, 3, close);
    const auto ema2 = memo.average(true, 2, close);
    EXPECT_EQ(memo.average(false, 2, close), sma2);   // shared; now the most recent
    const auto sma4 = memo.average(false, 4, close);  // evicts sma3, the least recently used
    EXPECT_EQ(memo.average(false, 2, close), sma2);
    EXPECT_EQ(memo.average(true, 2, close), ema2);
    EXPECT_EQ(memo.average(false, 4, close), sma4);
    const auto again = memo.average(false, 3, close);
    EXPECT_NE(again, sma3);  // computed anew, with the same values after the warm-up
    EXPECT_TRUE(std::equal(again->begin() + 2, again->end(), sma3->begin() + 2));
    std::vector<double> expected(close.size());
    signals::sma(close, 4, expected);
    EXPECT_TRUE(std::equal(expected.begin() + 3, expected.end(), sma4->begin() + 3));

    AverageMemo tiny(close.size() * sizeof(double) - 1);  // not even one: nothing is kept
    EXPECT_NE(tiny.average(false, 2, close), tiny.average(false, 2, close));
}

TEST(AverageMemo, ConcurrentCallersShareOneAverageAndFailuresAreNotKept) {
    std::vector<double> close(200'000);
    for (std::size_t i = 0; i < close.size(); ++i) {
        close[i] = 100 + std::sin(static_cast<double>(i) / 50.0);
    }
    AverageMemo memo;
    std::vector<std::shared_ptr<const std::vector<double>>> got(8);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < got.size(); ++t) {
        threads.emplace_back([&, t] { got[t] = memo.average(false, 20, close); });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    for (const auto& values : got) {
        EXPECT_EQ(values, got[0]);
    }
    // An invalid period throws for every caller, every time (no broken entry is left).
    EXPECT_THROW(memo.average(false, 0, close), Exception);
    EXPECT_THROW(memo.average(false, 0, close), Exception);
}

TEST(DayStarts, FirstBarOfEachUtcDayIncludingBefore1970) {
    constexpr std::int64_t kDay = 86'400'000'000'000;
    constexpr std::int64_t kHour = kDay / 24;
    const std::vector<std::int64_t> ts = {-kDay - kHour, -kHour, -1,       0,
                                          23 * kHour,    kDay,   kDay + 1, 3 * kDay};
    EXPECT_EQ(day_starts(ts), (std::vector<std::size_t>{0, 1, 3, 5, 7}));
    EXPECT_TRUE(day_starts({}).empty());
}

}  // namespace
}  // namespace tradpal::backtest

namespace tradpal::backtest {
namespace {

TEST(ForecastSignals, EnterAboveEntryExitBelowExitAndNaNMeansFlat) {
    const std::vector<std::string> params{"entry=0.01", "exit=-0.005", "allow_short=true"};
    const StrategySpec spec = StrategySpec::make("ml", params).value();
    EXPECT_EQ(spec.canonical(), "ml(entry=0.01,exit=-0.005,allow_short=true)");
    const std::vector<double> edge{0.02, 0.005, -0.004, -0.006, -0.02, 0.004, 0.006, kNaN};
    const SignalSet set = forecast_signals(spec, edge).value();
    EXPECT_TRUE(set.allow_short);
    // Hysteresis: between exit and entry nothing happens.
    EXPECT_EQ(set.long_entry, (std::vector<std::uint8_t>{1, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(set.long_exit, (std::vector<std::uint8_t>{0, 0, 0, 1, 1, 0, 0, 1}));
    EXPECT_EQ(set.short_entry, (std::vector<std::uint8_t>{0, 0, 0, 0, 1, 0, 0, 0}));
    EXPECT_EQ(set.short_exit, (std::vector<std::uint8_t>{1, 0, 0, 0, 0, 0, 1, 1}));
}

TEST(ForecastSignals, OnlyTheMlStrategyAndOnlyWithForecasts) {
    const std::vector<std::string> none;
    const StrategySpec ml = StrategySpec::make("ml", none).value();
    EXPECT_EQ(ml.warmup(), 0U);
    const BarSeries bars = data_testing::synthetic_ohlcv(50, 3);
    const auto signals = build_signals(ml, bars.view());
    ASSERT_FALSE(signals.has_value());
    EXPECT_NE(signals.error().message.find("--model DIR"), std::string::npos);
    EXPECT_FALSE(make_strategy(ml).has_value());

    const StrategySpec sma = StrategySpec::make("sma_cross", none).value();
    EXPECT_FALSE(forecast_signals(sma, std::vector<double>{0.1}).has_value());
    const std::vector<std::string> crossed{"entry=0.001", "exit=0.002"};
    const auto bad = StrategySpec::make("ml", crossed);
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("exit (0.002) must not exceed entry (0.001)"),
              std::string::npos);
}

}  // namespace
}  // namespace tradpal::backtest

// SPDX-License-Identifier: Apache-2.0
// Trend indicators beyond the registry-wide checks: hand-worked cases, TA-Lib's start-up and
// tie rules, the batch forms against the streaming classes bit for bit (AROON's batch uses a
// different algorithm), and the O(1) regression against a per-window computation.
#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/core/rng.hpp>
#include <tradpal/indicators/trend.hpp>

namespace tradpal::indicators {
namespace {

struct Hlc {
    std::vector<double> high, low, close;
};

Hlc random_bars(std::size_t n, std::uint64_t seed, double level = 100.0) {
    Rng rng(seed);
    Hlc b;
    double close = level;
    for (std::size_t i = 0; i < n; ++i) {
        const double open = close;
        close = open * (1 + 0.01 * rng.normal());
        b.high.push_back(std::max(open, close) * (1 + 0.005 * rng.uniform()));
        b.low.push_back(std::min(open, close) * (1 - 0.005 * rng.uniform()));
        b.close.push_back(close);
    }
    return b;
}

// Few distinct prices, so equal highs and lows (ties) are common.
Hlc tied_bars(std::size_t n, std::uint64_t seed) {
    Rng rng(seed);
    Hlc b;
    for (std::size_t i = 0; i < n; ++i) {
        const double low = static_cast<double>(rng.next() % 5);
        b.low.push_back(low);
        b.high.push_back(low + static_cast<double>(rng.next() % 3));
        b.close.push_back(low);
    }
    return b;
}

bool same(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

TEST(TrendLookbacks, FollowTaLib) {
    EXPECT_EQ(plus_di_lookback(14), 14U);
    EXPECT_EQ(minus_di_lookback(14), 14U);
    EXPECT_EQ(adx_lookback(14), 27U);
    EXPECT_EQ(adxr_lookback(14), 40U);
    EXPECT_EQ(aroon_lookback(14), 14U);
    EXPECT_EQ(aroonosc_lookback(14), 14U);
    EXPECT_EQ(sar_lookback(), 1U);
    EXPECT_EQ(ht_trendline_lookback(), 63U);
    EXPECT_EQ(linearreg_lookback(14), 13U);
    EXPECT_EQ(linearreg_slope_lookback(14), 13U);
}

TEST(TrendParameters, AreChecked) {
    const Hlc b = random_bars(50, 1);
    std::vector<double> out(50);
    std::vector<double> out2(50);
    EXPECT_THROW(adx(b.high, b.low, b.close, 1, out), Exception);
    EXPECT_THROW(plus_di(b.high, b.low, b.close, 100'001, out), Exception);
    EXPECT_THROW(aroon(b.high, b.low, 1, out, out2), Exception);
    EXPECT_THROW(linearreg(b.close, 1, out), Exception);
    EXPECT_THROW(sar(b.high, b.low, -0.1, 0.2, out), Exception);
    EXPECT_THROW(sar(b.high, b.low, 0.02, std::nan(""), out), Exception);
    EXPECT_THROW(Adx(0), Exception);
    EXPECT_THROW(Sar(0.02, -1), Exception);
    EXPECT_THROW(LinearReg(100'001), Exception);
    std::vector<double> short_out(49);
    EXPECT_THROW(adxr(b.high, b.low, b.close, 5, short_out), Exception);
    EXPECT_THROW(sar(b.high, std::span<const double>(b.low).first(49), 0.02, 0.2, out), Exception);
    EXPECT_THROW(ht_trendline(b.close, short_out), Exception);
}

TEST(DirectionalMovement, CountsOnlyTheLargerOutwardMove) {
    // Outside bar with equal moves: neither counts (TA-Lib's case 7).
    auto m = detail::directional_move(10, 8, 9, 11, 7);
    EXPECT_EQ(m.plus, 0.0);
    EXPECT_EQ(m.minus, 0.0);
    EXPECT_EQ(m.range, 4.0);
    m = detail::directional_move(10, 8, 9, 12, 7);
    EXPECT_EQ(m.plus, 2.0);
    EXPECT_EQ(m.minus, 0.0);
    // Inside bar: no movement; the true range reaches the previous close.
    m = detail::directional_move(10, 8, 12, 9.5, 8.5);
    EXPECT_EQ(m.plus, 0.0);
    EXPECT_EQ(m.minus, 0.0);
    EXPECT_EQ(m.range, 3.5);
}

TEST(Adx, FlatMarketsGiveZeroNotNaN) {
    const std::vector<double> flat(60, 42.0);
    std::vector<double> out(60);
    adx(flat, flat, flat, 5, out);
    EXPECT_TRUE(std::isnan(out[8]));
    EXPECT_EQ(out[9], 0.0);
    EXPECT_EQ(out[59], 0.0);
    plus_di(flat, flat, flat, 5, out);
    EXPECT_EQ(out[5], 0.0);
}

TEST(Adx, StrongTrendApproachesOneHundred) {
    std::vector<double> high;
    std::vector<double> low;
    std::vector<double> close;
    for (int i = 0; i < 200; ++i) {
        high.push_back(100 + i + 1.0);
        low.push_back(100 + i);
        close.push_back(100 + i + 0.5);
    }
    std::vector<double> out(200);
    adx(high, low, close, 14, out);
    EXPECT_NEAR(out[199], 100.0, 1e-9);
    minus_di(high, low, close, 14, out);
    EXPECT_EQ(out[199], 0.0);
}

TEST(Adxr, AveragesAdxWithItsValuePeriodMinusOneBarsBack) {
    const Hlc b = random_bars(300, 2);
    std::vector<double> a(300);
    std::vector<double> r(300);
    adx(b.high, b.low, b.close, 7, a);
    adxr(b.high, b.low, b.close, 7, r);
    EXPECT_TRUE(std::isnan(r[18]));
    for (std::size_t t = 19; t < 300; ++t) {
        ASSERT_EQ(r[t], (a[t] + a[t - 6]) / 2.0) << t;
    }
}

TEST(Aroon, HandWorkedWindowWithTies) {
    // Period 3: windows of 4 bars; the latest of equal extremes counts.
    const std::vector<double> high = {5, 7, 7, 6, 4, 4};
    const std::vector<double> low = {2, 1, 3, 1, 3, 2};
    std::vector<double> down(6);
    std::vector<double> up(6);
    std::vector<double> osc(6);
    aroon(high, low, 3, down, up);
    aroonosc(high, low, 3, osc);
    EXPECT_TRUE(std::isnan(up[2]) && std::isnan(down[2]) && std::isnan(osc[2]));
    const double f = 100.0 / 3;
    // Bar 3: highest 7 at bar 2 (1 bar ago), lowest 1 at bar 3 (tie with bar 1).
    EXPECT_EQ(up[3], f * 2);
    EXPECT_EQ(down[3], f * 3);
    // Bar 5: window 2..5: highest 7 at bar 2, lowest 1 at bar 3.
    EXPECT_EQ(up[5], f * 0);
    EXPECT_EQ(down[5], f * 1);
    EXPECT_EQ(osc[5], f * (2 - 3));
}

TEST(Aroon, BatchMatchesStreamingExactly) {
    // The batch form splits windows at block boundaries; the streaming one keeps deques.
    std::vector<Hlc> cases = {random_bars(3000, 3), tied_bars(3000, 4)};
    Hlc rising;
    Hlc falling;
    for (int i = 0; i < 500; ++i) {
        rising.high.push_back(i);
        rising.low.push_back(i);
        falling.high.push_back(-i);
        falling.low.push_back(-i);
    }
    cases.push_back(rising);
    cases.push_back(falling);
    Hlc holes = random_bars(600, 5);
    holes.high[100] = kNaN;
    holes.low[101] = kNaN;
    holes.high[300] = kNaN;
    holes.low[300] = kNaN;
    holes.high[0] = kNaN;
    cases.push_back(holes);
    for (const Hlc& b : cases) {
        for (int period : {2, 3, 14, 25, 700}) {
            const std::size_t n = b.high.size();
            std::vector<double> down(n);
            std::vector<double> up(n);
            std::vector<double> osc(n);
            aroon(b.high, b.low, period, down, up);
            aroonosc(b.high, b.low, period, osc);
            Aroon s(period);
            for (std::size_t i = 0; i < n; ++i) {
                s.update(b.high[i], b.low[i]);
                ASSERT_TRUE(same(down[i], s.down())) << period << " " << i;
                ASSERT_TRUE(same(up[i], s.up())) << period << " " << i;
                ASSERT_TRUE(same(osc[i], s.oscillator())) << period << " " << i;
                if (!std::isnan(up[i])) {
                    ASSERT_NEAR(osc[i], up[i] - down[i], 1e-12);
                }
            }
        }
    }
}

TEST(Aroon, NaNBlanksExactlyTheWindowsThatHoldIt) {
    Hlc b = random_bars(100, 6);
    b.high[40] = kNaN;
    std::vector<double> down(100);
    std::vector<double> up(100);
    aroon(b.high, b.low, 5, down, up);
    EXPECT_FALSE(std::isnan(up[39]));
    for (std::size_t i = 40; i <= 45; ++i) {
        EXPECT_TRUE(std::isnan(up[i]) && std::isnan(down[i])) << i;
    }
    EXPECT_FALSE(std::isnan(up[46]));
}

TEST(Sar, StartsFromTheFirstBarInTheDirectionOfBarOnesMinusDm) {
    // Bar 1 falls below bar 0 (-DM > 0): short, SAR starts at bar 0's high.
    std::vector<double> high = {10, 9.5, 9, 8.5, 8};
    std::vector<double> low = {9, 8.5, 8, 7.5, 7};
    std::vector<double> out(5);
    sar(high, low, 0.02, 0.2, out);
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_EQ(out[1], 10.0);
    // Then SAR += af * (ep - SAR) with af = 0.02 (bar 1 set no new low), above bar 1's high.
    EXPECT_EQ(out[2], 10.0 + 0.02 * (8.5 - 10.0));
    // No -DM on bar 1 starts long from bar 0's low.
    high = {10, 10, 11, 12, 13};
    low = {9, 9.5, 10, 11, 12};
    sar(high, low, 0.02, 0.2, out);
    EXPECT_EQ(out[1], 9.0);
    EXPECT_GT(out[4], out[2]);
}

TEST(Sar, AccelerationAboveTheMaximumIsLoweredToIt) {
    const Hlc b = random_bars(400, 7);
    std::vector<double> a(400);
    std::vector<double> c(400);
    sar(b.high, b.low, 0.5, 0.2, a);
    sar(b.high, b.low, 0.2, 0.2, c);
    for (std::size_t i = 0; i < 400; ++i) {
        ASSERT_TRUE(same(a[i], c[i])) << i;
    }
}

TEST(Sar, NaNBarGivesNaNAndTheTrendCarriesOn) {
    Hlc b = random_bars(300, 8);
    std::vector<double> clean(300);
    sar(b.high, b.low, 0.02, 0.2, clean);
    b.low[150] = kNaN;
    std::vector<double> out(300);
    sar(b.high, b.low, 0.02, 0.2, out);
    EXPECT_TRUE(std::isnan(out[150]));
    EXPECT_EQ(out[149], clean[149]);
    for (std::size_t i = 151; i < 300; ++i) {
        ASSERT_TRUE(std::isfinite(out[i])) << i;
    }
}

TEST(HtTrendline, ConstantInputGivesTheConstant) {
    const std::vector<double> x(200, 5.25);
    std::vector<double> out(200);
    ht_trendline(x, out);
    EXPECT_TRUE(std::isnan(out[62]));
    for (std::size_t i = 63; i < 200; ++i) {
        ASSERT_NEAR(out[i], 5.25, 1e-12) << i;
    }
}

// TA-Lib's per-window least squares (x = bars ago), for comparison.
void naive_regression(const std::vector<double>& y, int period, std::vector<double>& value,
                      std::vector<double>& slope) {
    const double n = period;
    const double sum_x = n * (n - 1) * 0.5;
    const double sum_x2 = n * (n - 1) * (2 * n - 1) / 6;
    const double divisor = sum_x * sum_x - n * sum_x2;
    value.assign(y.size(), kNaN);
    slope.assign(y.size(), kNaN);
    for (std::size_t t = static_cast<std::size_t>(period) - 1; t < y.size(); ++t) {
        double sum_xy = 0;
        double sum_y = 0;
        for (int i = period; i-- != 0;) {
            const double v = y[t - static_cast<std::size_t>(i)];
            sum_y += v;
            sum_xy += i * v;
        }
        const double m = (n * sum_xy - sum_x * sum_y) / divisor;
        const double b = (sum_y - m * sum_x) / n;
        value[t] = b + m * (n - 1);
        slope[t] = m;
    }
}

TEST(LinearReg, FitsALineExactly) {
    std::vector<double> y;
    for (int i = 0; i < 40; ++i) {
        y.push_back(3.0 + 0.5 * i);
    }
    std::vector<double> value(40);
    std::vector<double> slope(40);
    linearreg(y, 10, value);
    linearreg_slope(y, 10, slope);
    EXPECT_TRUE(std::isnan(value[8]));
    for (std::size_t t = 9; t < 40; ++t) {
        EXPECT_NEAR(value[t], y[t], 1e-12);
        EXPECT_NEAR(slope[t], 0.5, 1e-12);
    }
}

TEST(LinearReg, RunningSumsStayWithinTheToleranceOverLongSeries) {
    // A long walk that falls from 30000 to below 1: the running sums are rebuilt every period
    // bars, so no drift builds up.
    Rng rng(9);
    std::vector<double> y;
    double x = 30'000;
    for (int i = 0; i < 200'000; ++i) {
        x *= 1 + 0.002 * rng.normal() - (i > 100'000 ? 1e-4 : 0.0);
        y.push_back(x);
    }
    for (int period : {2, 14, 97}) {
        std::vector<double> value_ref;
        std::vector<double> slope_ref;
        naive_regression(y, period, value_ref, slope_ref);
        std::vector<double> value(y.size());
        std::vector<double> slope(y.size());
        linearreg(y, period, value);
        linearreg_slope(y, period, slope);
        for (std::size_t t = 0; t < y.size(); ++t) {
            if (std::isnan(value_ref[t])) {
                ASSERT_TRUE(std::isnan(value[t]) && std::isnan(slope[t]));
                continue;
            }
            ASSERT_LE(std::fabs(value[t] - value_ref[t]),
                      1e-11 * std::max(1.0, std::fabs(value_ref[t])))
                << period << " " << t;
            ASSERT_LE(std::fabs(slope[t] - slope_ref[t]),
                      1e-10 * std::max(1.0, std::fabs(slope_ref[t])))
                << period << " " << t;
        }
    }
}

TEST(LinearReg, NaNBlanksExactlyTheWindowsThatHoldIt) {
    std::vector<double> y = random_bars(200, 10).close;
    y[5] = kNaN;
    y[120] = kNaN;
    std::vector<double> value_ref;
    std::vector<double> slope_ref;
    naive_regression(y, 14, value_ref, slope_ref);
    std::vector<double> value(200);
    LinearReg s(14);
    linearreg(y, 14, value);
    for (std::size_t t = 0; t < 200; ++t) {
        EXPECT_EQ(std::isnan(value[t]), std::isnan(value_ref[t])) << t;
        EXPECT_TRUE(same(s.update(y[t]), value[t])) << t;
    }
}

TEST(TrendStreams, MatchTheBatchFormsBitForBit) {
    Hlc b = random_bars(2000, 11, 3e4);
    b.high[700] = kNaN;
    b.close[900] = kNaN;
    const std::size_t n = b.close.size();
    for (int period : {2, 5, 14, 33}) {
        std::vector<double> di_plus(n);
        std::vector<double> di_minus(n);
        std::vector<double> a(n);
        std::vector<double> ar(n);
        std::vector<double> lr(n);
        std::vector<double> ls(n);
        plus_di(b.high, b.low, b.close, period, di_plus);
        minus_di(b.high, b.low, b.close, period, di_minus);
        adx(b.high, b.low, b.close, period, a);
        adxr(b.high, b.low, b.close, period, ar);
        linearreg(b.close, period, lr);
        linearreg_slope(b.close, period, ls);
        PlusDi sp(period);
        MinusDi sm(period);
        Adx sa(period);
        Adxr sr(period);
        LinearReg sl(period);
        LinearRegSlope ss(period);
        for (std::size_t i = 0; i < n; ++i) {
            const double h = b.high[i];
            const double l = b.low[i];
            const double c = b.close[i];
            ASSERT_TRUE(same(sp.update(h, l, c), di_plus[i])) << period << " " << i;
            ASSERT_TRUE(same(sm.update(h, l, c), di_minus[i])) << period << " " << i;
            ASSERT_TRUE(same(sa.update(h, l, c), a[i])) << period << " " << i;
            ASSERT_TRUE(same(sr.update(h, l, c), ar[i])) << period << " " << i;
            ASSERT_TRUE(same(sl.update(c), lr[i])) << period << " " << i;
            ASSERT_TRUE(same(ss.update(c), ls[i])) << period << " " << i;
        }
    }
    for (double accel : {0.0, 0.02, 0.1}) {
        std::vector<double> out(n);
        sar(b.high, b.low, accel, 0.2, out);
        Sar s(accel, 0.2);
        for (std::size_t i = 0; i < n; ++i) {
            ASSERT_TRUE(same(s.update(b.high[i], b.low[i]), out[i])) << accel << " " << i;
        }
    }
    std::vector<double> out(n);
    ht_trendline(b.close, out);
    HtTrendline s;
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(same(s.update(b.close[i]), out[i])) << i;
    }
}

}  // namespace
}  // namespace tradpal::indicators

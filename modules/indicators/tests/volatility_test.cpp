// SPDX-License-Identifier: Apache-2.0
// Volatility indicators on hand-checked inputs, and the parts the registry-wide tests do not
// reach: every BBANDS moving-average type, odd and even lengths of the paired batch loops, and
// parameter checks. Golden comparison and streaming == batch on the reference series live in
// golden_test.cpp and registry_test.cpp.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/indicators/volatility.hpp>

#include "random_walk.hpp"

namespace tradpal::indicators {
namespace {

bool same(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

Bar bar(double high, double low, double close) {
    Bar b;
    b.open = close;
    b.high = high;
    b.low = low;
    b.close = close;
    return b;
}

using testing::random_walk;

TEST(TrueRange, TakesTheGapFromThePreviousClose) {
    EXPECT_EQ(true_range(10, 8, 9), 2.0);
    EXPECT_EQ(true_range(10, 8, 12), 4.0);  // gap down: |12 - 8|
    EXPECT_EQ(true_range(10, 8, 5), 5.0);   // gap up: |5 - 10|
    EXPECT_EQ(true_range(10, 8, kNaN), 2.0);
    EXPECT_TRUE(std::isnan(true_range(kNaN, 8, 9)));

    const std::vector<double> h = {10, 11, 13};
    const std::vector<double> l = {9, 10, 12};
    const std::vector<double> c = {9.5, 10.5, 12.5};
    std::vector<double> out(3);
    trange(h, l, c, out);
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_EQ(out[1], 1.5);
    EXPECT_EQ(out[2], 2.5);
}

TEST(Atr, IsSeededByTheMeanTrueRangeThenSmoothedByWilder) {
    const std::vector<double> h = {10, 11, 12, 11, 13, 12};
    const std::vector<double> l = {9, 9, 10, 10, 11, 10};
    const std::vector<double> c = {9.5, 10, 11, 10.5, 12, 11};
    std::vector<double> out(h.size());
    atr(h, l, c, 3, out);
    ASSERT_EQ(atr_lookback(3), 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_TRUE(std::isnan(out[i]));
    }
    // TR[1..5] = 2, 2, 1, 2.5, 2
    const double seed = (2.0 + 2.0 + 1.0) / 3;
    EXPECT_DOUBLE_EQ(out[3], seed);
    EXPECT_DOUBLE_EQ(out[4], (seed * 2 + 2.5) / 3);
    EXPECT_DOUBLE_EQ(out[5], (out[4] * 2 + 2.0) / 3);

    Atr s(3);
    for (std::size_t i = 0; i < h.size(); ++i) {
        const double v = s.update(bar(h[i], l[i], c[i]));
        EXPECT_TRUE(same(v, out[i])) << i;
        EXPECT_EQ(s.ready(), i >= 3) << i;
    }
}

TEST(Atr, PeriodOneIsTheTrueRange) {
    const auto c = random_walk(50, 1);
    std::vector<double> h, l;
    for (double x : c) {
        h.push_back(x * 1.01);
        l.push_back(x * 0.99);
    }
    std::vector<double> a(c.size()), tr(c.size());
    atr(h, l, c, 1, a);
    trange(h, l, c, tr);
    for (std::size_t i = 0; i < c.size(); ++i) {
        EXPECT_TRUE(same(a[i], tr[i])) << i;
    }
}

TEST(Natr, IsAtrOverCloseAndZeroForAZeroClose) {
    EXPECT_EQ(normalized_atr(2.0, 50.0), 4.0);
    EXPECT_EQ(normalized_atr(2.0, 0.0), 0.0);
    EXPECT_EQ(normalized_atr(2.0, 1e-15), 0.0);
    const std::vector<double> h = {2, 2, 2, 2};
    const std::vector<double> l = {0, 0, 0, 0};
    const std::vector<double> c = {1, 1, 0, 2};
    std::vector<double> out(4);
    natr(h, l, c, 1, out);
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_EQ(out[1], 200.0);
    EXPECT_EQ(out[2], 0.0);
    EXPECT_EQ(out[3], 100.0);
}

TEST(Variance, IsThePopulationVarianceOfTheWindow) {
    const std::vector<double> x = {1, 2, 3, 4, 5, 7};
    std::vector<double> v(x.size()), sd(x.size());
    var(x, 5, v);
    stddev(x, 5, 2.0, sd);
    EXPECT_TRUE(std::isnan(v[3]));
    EXPECT_EQ(v[4], 2.0);
    EXPECT_DOUBLE_EQ(v[5], (4 + 9 + 16 + 25 + 49) / 5.0 - 4.2 * 4.2);
    EXPECT_EQ(sd[4], 2.0 * std::sqrt(2.0));
    EXPECT_EQ(stddev_lookback(5), 4U);

    std::vector<double> one(x.size());
    var(x, 1, one);
    for (double value : one) {
        EXPECT_EQ(value, 0.0);
    }
}

TEST(Stddev, IsZeroForAFlatWindowAndForNegativeResidue) {
    const std::vector<double> flat(30, 0.1);  // running sums of 0.1 leave rounding residue
    std::vector<double> sd(flat.size());
    stddev(flat, 7, 1.0, sd);
    for (std::size_t i = 6; i < flat.size(); ++i) {
        EXPECT_EQ(sd[i], 0.0) << i;
    }
    EXPECT_EQ(guarded_sqrt(-5e-13), 0.0);
    EXPECT_EQ(guarded_sqrt(9e-15), 0.0);
    EXPECT_EQ(guarded_sqrt(4.0), 2.0);
    EXPECT_TRUE(std::isnan(guarded_sqrt(kNaN)));
}

TEST(Bbands, SmaBandsAreTheMeanPlusAndMinusTheDeviation) {
    const std::vector<double> x = {1, 2, 3, 4, 5};
    std::vector<double> up(5), mid(5), lo(5);
    bbands(x, 5, 2.0, 1.0, MaType::Sma, up, mid, lo);
    EXPECT_EQ(mid[4], 3.0);
    EXPECT_EQ(up[4], 3.0 + 2.0 * std::sqrt(2.0));
    EXPECT_EQ(lo[4], 3.0 - std::sqrt(2.0));
    EXPECT_TRUE(std::isnan(up[3]) && std::isnan(mid[3]) && std::isnan(lo[3]));
}

// Batch and streaming agree bit for bit for every MA type and for lengths that end the paired
// loop on an odd and an even bar.
TEST(Bbands, EveryMaTypeMatchesItsStreamingFormAndItsMovingAverage) {
    const auto x = random_walk(260, 7);
    for (MaType type : {MaType::Sma, MaType::Ema, MaType::Wma, MaType::Dema, MaType::Tema,
                        MaType::Trima, MaType::Kama, MaType::T3}) {
        const int period = 6;
        const std::size_t lookback = bbands_lookback(period, type);
        EXPECT_EQ(lookback, ma_lookback(type, period)) << to_string(type);
        for (std::size_t n : {lookback, lookback + 1, lookback + 2, lookback + 3, x.size()}) {
            const std::span<const double> in(x.data(), n);
            std::vector<double> up(n), mid(n), lo(n), ma_out(n);
            bbands(in, period, 2.0, 1.5, type, up, mid, lo);
            ma(type, in, period, ma_out);
            Bbands s(period, 2.0, 1.5, type);
            std::vector<double> v(3);
            for (std::size_t i = 0; i < n; ++i) {
                s.update(in[i]);
                s.values(v);
                ASSERT_EQ(s.ready(), i >= lookback) << to_string(type) << " " << i;
                ASSERT_TRUE(same(v[0], up[i]) && same(v[1], mid[i]) && same(v[2], lo[i]))
                    << to_string(type) << " n " << n << " row " << i;
                ASSERT_TRUE(same(mid[i], ma_out[i])) << to_string(type) << " " << i;
                if (i < lookback) {
                    ASSERT_TRUE(std::isnan(up[i]) && std::isnan(lo[i]));
                    continue;
                }
                // The deviation is the window's population standard deviation.
                double mean = 0;
                for (std::size_t k = i + 1 - period; k <= i; ++k) {
                    mean += in[k] / period;
                }
                double sq = 0;
                for (std::size_t k = i + 1 - period; k <= i; ++k) {
                    sq += (in[k] - mean) * (in[k] - mean) / period;
                }
                EXPECT_NEAR((up[i] - mid[i]) / 2.0, std::sqrt(sq), 1e-9 * in[i]);
                EXPECT_NEAR((mid[i] - lo[i]) / 1.5, std::sqrt(sq), 1e-9 * in[i]);
            }
        }
    }
}

TEST(Variance, BatchMatchesStreamingForOddAndEvenLengths) {
    const auto x = random_walk(41, 3);
    for (int period : {1, 2, 5}) {
        for (std::size_t n = 0; n < x.size(); ++n) {
            const std::span<const double> in(x.data(), n);
            std::vector<double> v(n), sd(n);
            if (period > 1) {
                stddev(in, period, 1.5, sd);
            }
            var(in, period, v);
            Var sv(period);
            for (std::size_t i = 0; i < n; ++i) {
                ASSERT_TRUE(same(sv.update(in[i]), v[i])) << period << " " << n << " " << i;
            }
            if (period > 1) {
                Stddev ss(period, 1.5);
                for (std::size_t i = 0; i < n; ++i) {
                    ASSERT_TRUE(same(ss.update(in[i]), sd[i])) << period << " " << n << " " << i;
                }
            }
        }
    }
}

TEST(Volatility, RefusesBadParametersAndSizes) {
    const std::vector<double> x(10, 1.0);
    std::vector<double> out(10), short_out(9);
    EXPECT_THROW(atr(x, x, x, 0, out), Exception);
    EXPECT_THROW(atr(x, x, x, 100'001, out), Exception);
    EXPECT_THROW(atr(x, x, x, 3, short_out), Exception);
    EXPECT_THROW(natr(x, short_out, x, 3, out), Exception);
    EXPECT_THROW(trange(x, x, x, short_out), Exception);
    EXPECT_THROW(var(x, 0, out), Exception);
    EXPECT_THROW(stddev(x, 1, 1.0, out), Exception);
    EXPECT_THROW(stddev(x, 5, -1.0, out), Exception);
    EXPECT_THROW(stddev(x, 5, kNaN, out), Exception);
    std::vector<double> a(10), b(10), c(10);
    EXPECT_THROW(bbands(x, 1, 2, 2, MaType::Sma, a, b, c), Exception);
    EXPECT_THROW(bbands(x, 5, 101, 2, MaType::Sma, a, b, c), Exception);
    EXPECT_THROW(bbands(x, 5, 2, 2, static_cast<MaType>(7), a, b, c), Exception);
    EXPECT_THROW(bbands(x, 5, 2, 2, MaType::Sma, a, short_out, c), Exception);
    EXPECT_THROW(Atr(0), Exception);
    EXPECT_THROW(Var(0), Exception);
    EXPECT_THROW(Stddev(1, 1.0), Exception);
    EXPECT_THROW(Bbands(1, 2, 2, MaType::Ema), Exception);
    EXPECT_THROW(Bbands(5, 2, -2, MaType::Ema), Exception);
}

}  // namespace
}  // namespace tradpal::indicators

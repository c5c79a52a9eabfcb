// SPDX-License-Identifier: Apache-2.0
// Price transforms and window statistics against brute force, including NaN holes, the block
// boundaries of the batch extremes and every length around the period; parameter checks.
// Golden comparison lives in golden_test.cpp.
#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/core/rng.hpp>
#include <tradpal/indicators/price.hpp>

namespace tradpal::indicators {
namespace {

bool same(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

std::vector<double> noisy(std::size_t n, std::uint64_t seed, bool holes) {
    Rng rng(seed);
    std::vector<double> x;
    double v = 100;
    for (std::size_t i = 0; i < n; ++i) {
        v *= 1 + 0.01 * rng.normal();
        // Repeated values exercise ties in the deques.
        x.push_back(i % 9 == 4 ? x.back() : v);
        if (holes && (i % 37 == 11 || i == 60)) {
            x.back() = kNaN;
        }
    }
    return x;
}

// The window [i - period + 1, i] by brute force: NaN if short or holding a NaN.
template <class F>
double brute(std::span<const double> x, std::size_t i, int period, F f) {
    const auto p = static_cast<std::size_t>(period);
    if (i + 1 < p) {
        return kNaN;
    }
    double hi = -INFINITY;
    double lo = INFINITY;
    for (std::size_t k = i + 1 - p; k <= i; ++k) {
        if (std::isnan(x[k])) {
            return kNaN;
        }
        hi = std::max(hi, x[k]);
        lo = std::min(lo, x[k]);
    }
    return f(hi, lo);
}

TEST(PriceTransforms, FollowTaLibFormulas) {
    const std::vector<double> h = {12, 10};
    const std::vector<double> l = {8, 10};
    const std::vector<double> c = {11, 10};
    std::vector<double> out(2);
    medprice(h, l, out);
    EXPECT_EQ(out, (std::vector<double>{10, 10}));
    typprice(h, l, c, out);
    EXPECT_EQ(out[0], 31.0 / 3.0);
    wclprice(h, l, c, out);
    EXPECT_EQ(out[0], 10.5);
    Bar b;
    b.high = 12;
    b.low = 8;
    b.close = 11;
    WclPrice s;
    EXPECT_FALSE(s.ready());
    EXPECT_EQ(s.update(b), 10.5);
    EXPECT_TRUE(s.ready());
    EXPECT_EQ(medprice_lookback() + typprice_lookback() + wclprice_lookback(), 0U);
}

TEST(WindowExtremes, MatchBruteForceAndTheStreamingForms) {
    const auto hi_all = noisy(300, 5, true);
    const auto lo_all = noisy(300, 6, true);
    for (int period : {2, 3, 5, 8, 17, 64}) {
        const auto p = static_cast<std::size_t>(period);
        for (std::size_t n :
             {std::size_t{0}, std::size_t{1}, p - 1, p, p + 1, 2 * p, 3 * p + 2, hi_all.size()}) {
            const std::span<const double> x(hi_all.data(), n);
            const std::span<const double> y(lo_all.data(), n);
            std::vector<double> mx(n), mn(n), mid(n), midp(n);
            max(x, period, mx);
            min(x, period, mn);
            midpoint(x, period, mid);
            midprice(x, y, period, midp);
            Max smx(period);
            Min smn(period);
            MidPoint smid(period);
            MidPrice smidp(period);
            for (std::size_t i = 0; i < n; ++i) {
                const double e_max = brute(x, i, period, [](double a, double) { return a; });
                const double e_min = brute(x, i, period, [](double, double b) { return b; });
                const double e_mid =
                    brute(x, i, period, [](double a, double b) { return (a + b) / 2.0; });
                // Highest of x as highs, lowest of y as lows.
                const double hx = brute(x, i, period, [](double a, double) { return a; });
                const double ly = brute(y, i, period, [](double, double b) { return b; });
                const double e_midp = (hx + ly) / 2.0;
                ASSERT_TRUE(same(mx[i], e_max)) << period << " " << n << " " << i;
                ASSERT_TRUE(same(mn[i], e_min)) << period << " " << n << " " << i;
                ASSERT_TRUE(same(mid[i], e_mid)) << period << " " << n << " " << i;
                ASSERT_TRUE(same(midp[i], e_midp)) << period << " " << n << " " << i;
                Bar b;
                b.high = x[i];
                b.low = y[i];
                ASSERT_TRUE(same(smx.update(x[i]), e_max)) << period << " " << i;
                ASSERT_TRUE(same(smn.update(x[i]), e_min)) << period << " " << i;
                ASSERT_TRUE(same(smid.update(x[i]), e_mid)) << period << " " << i;
                ASSERT_TRUE(same(smidp.update(b), e_midp)) << period << " " << i;
                ASSERT_EQ(smx.ready(), i + 1 >= p);
            }
        }
    }
}

TEST(Sum, IsTheRunningSumOfTheWindow) {
    const std::vector<double> x = {1, 2, 3, 4, 5};
    std::vector<double> out(x.size());
    sum(x, 3, out);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_EQ(out[2], 6.0);
    EXPECT_EQ(out[4], 12.0);
    EXPECT_EQ(sum_lookback(3), 2U);

    const auto y = noisy(100, 9, false);
    std::vector<double> batch(y.size());
    sum(y, 7, batch);
    Sum s(7);
    for (std::size_t i = 0; i < y.size(); ++i) {
        ASSERT_TRUE(same(s.update(y[i]), batch[i])) << i;
    }
}

TEST(Price, RefusesBadPeriodsAndSizes) {
    const std::vector<double> x(10, 1.0);
    std::vector<double> out(10), short_out(9);
    EXPECT_THROW(max(x, 1, out), Exception);
    EXPECT_THROW(min(x, 100'001, out), Exception);
    EXPECT_THROW(sum(x, 1, out), Exception);
    EXPECT_THROW(midpoint(x, 0, out), Exception);
    EXPECT_THROW(midprice(x, x, 1, out), Exception);
    EXPECT_THROW(max(x, 3, short_out), Exception);
    EXPECT_THROW(midprice(x, short_out, 3, out), Exception);
    EXPECT_THROW(medprice(x, short_out, out), Exception);
    EXPECT_THROW(typprice(x, x, x, short_out), Exception);
    EXPECT_THROW(Max(1), Exception);
    EXPECT_THROW(MidPrice(100'001), Exception);
}

}  // namespace
}  // namespace tradpal::indicators

// SPDX-License-Identifier: Apache-2.0
// Volume indicators on hand-checked inputs, TA-Lib's guards, NaN handling and parameter checks.
// Golden comparison and streaming == batch on the reference series live in golden_test.cpp and
// registry_test.cpp.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/indicators/volume.hpp>

namespace tradpal::indicators {
namespace {

bool same(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

Bar bar(double high, double low, double close, double volume) {
    Bar b;
    b.open = close;
    b.high = high;
    b.low = low;
    b.close = close;
    b.volume = volume;
    return b;
}

TEST(Obv, StartsAtTheFirstVolumeAndFollowsTheCloseDirection) {
    const std::vector<double> c = {10, 11, 11, 10, 12};
    const std::vector<double> v = {5, 3, 4, 2, 6};
    std::vector<double> out(c.size());
    obv(c, v, out);
    EXPECT_EQ(out, (std::vector<double>{5, 8, 8, 6, 12}));
    Obv s;
    EXPECT_FALSE(s.ready());
    for (std::size_t i = 0; i < c.size(); ++i) {
        Bar b = bar(c[i], c[i], c[i], v[i]);
        EXPECT_EQ(s.update(b), out[i]);
    }
    EXPECT_EQ(obv_lookback(), 0U);
}

TEST(Obv, ANaNCloseMakesTheTotalNaNFromThatBarOn) {
    const std::vector<double> c = {10, 11, kNaN, 10, 12};
    const std::vector<double> v = {5, 3, 4, 2, 6};
    std::vector<double> out(c.size());
    obv(c, v, out);
    EXPECT_EQ(out[1], 8.0);
    for (std::size_t i = 2; i < c.size(); ++i) {
        EXPECT_TRUE(std::isnan(out[i])) << i;
    }
    EXPECT_TRUE(std::isnan(obv_step(kNaN, 1.0, 1.0)));
    EXPECT_TRUE(std::isnan(obv_step(1.0, kNaN, 1.0)));
}

TEST(Ad, AddsTheCloseLocationTimesVolume) {
    EXPECT_EQ(ad_step(10, 8, 9.5, 100), 50.0);  // ((1.5 - 0.5) / 2) * 100
    EXPECT_EQ(ad_step(10, 8, 8, 100), -100.0);
    EXPECT_EQ(ad_step(9, 9, 9, 100), 0.0);  // no range: nothing added
    EXPECT_EQ(ad_step(9, 9, 9, kNaN), 0.0);
    EXPECT_TRUE(std::isnan(ad_step(kNaN, 8, 9, 100)));
    const std::vector<double> h = {10, 9, 10};
    const std::vector<double> l = {8, 9, 8};
    const std::vector<double> c = {9.5, 9, 10};
    const std::vector<double> v = {100, 50, 10};
    std::vector<double> out(3);
    ad(h, l, c, v, out);
    EXPECT_EQ(out, (std::vector<double>{50, 50, 60}));
}

TEST(Adosc, IsTheDifferenceOfTwoEmasSeededWithTheFirstAdValue) {
    const std::vector<double> h = {10, 10, 10, 10};
    const std::vector<double> l = {8, 8, 8, 8};
    const std::vector<double> c = {10, 8, 10, 9};
    const std::vector<double> v = {1, 2, 4, 8};
    // A/D line: 1, -1, 3, 3
    std::vector<double> out(4);
    adosc(h, l, c, v, 2, 3, out);
    ASSERT_EQ(adosc_lookback(2, 3), 2U);
    EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
    double fast = 1;
    double slow = 1;
    for (double line : {-1.0, 3.0, 3.0}) {
        fast = (2.0 / 3 * line) + ((1 - 2.0 / 3) * fast);
        slow = (0.5 * line) + (0.5 * slow);
    }
    EXPECT_DOUBLE_EQ(out[3], fast - slow);

    std::vector<double> swapped(4);
    adosc(h, l, c, v, 3, 2, swapped);
    EXPECT_EQ(swapped[3], -out[3]);
    EXPECT_EQ(adosc_lookback(3, 2), 2U);
}

TEST(Mfi, IsTheShareOfPositiveMoneyFlow) {
    // Typical prices 10, 11, 10, 12 with volume 1: flows +11, -10, +12.
    const std::vector<double> p = {10, 11, 10, 12};
    const std::vector<double> v = {1, 1, 1, 1};
    std::vector<double> out(p.size());
    mfi(p, p, p, v, 2, out);
    ASSERT_EQ(mfi_lookback(2), 2U);
    EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
    EXPECT_DOUBLE_EQ(out[2], 100.0 * 11 / 21);
    EXPECT_DOUBLE_EQ(out[3], 100.0 * 12 / 22);

    Mfi s(2);
    for (std::size_t i = 0; i < p.size(); ++i) {
        EXPECT_TRUE(same(s.update(bar(p[i], p[i], p[i], v[i])), out[i])) << i;
    }
}

TEST(Mfi, IsZeroWhenTheFlowIsBelowOneAndBoundedOtherwise) {
    std::vector<double> up, down;
    for (int i = 0; i < 20; ++i) {
        up.push_back(100 + i);
        down.push_back(100 - i);
    }
    const std::vector<double> volume(20, 1.0);
    const std::vector<double> tiny(20, 1e-4);
    std::vector<double> out(20);
    mfi(up, up, up, volume, 5, out);
    EXPECT_EQ(out[19], 100.0);
    mfi(down, down, down, volume, 5, out);
    EXPECT_EQ(out[19], 0.0);
    mfi(up, up, up, tiny, 5, out);  // flows of ~0.01 each
    EXPECT_EQ(out[19], 0.0);
}

TEST(Mfi, ANaNBarReachesTheOutputInBothForms) {
    std::vector<double> p = {10, 11, 12, 11, 13, 12, 14};
    p[4] = kNaN;
    const std::vector<double> v(p.size(), 1.0);
    std::vector<double> out(p.size());
    mfi(p, p, p, v, 2, out);
    Mfi s(2);
    for (std::size_t i = 0; i < p.size(); ++i) {
        EXPECT_TRUE(same(s.update(bar(p[i], p[i], p[i], v[i])), out[i])) << i;
    }
    EXPECT_FALSE(std::isnan(out[3]));
    EXPECT_TRUE(std::isnan(out[4]));
}

TEST(Volume, RefusesBadParametersAndSizes) {
    const std::vector<double> x(10, 1.0);
    std::vector<double> out(10), short_out(9);
    EXPECT_THROW(obv(x, short_out, out), Exception);
    EXPECT_THROW(obv(x, x, short_out), Exception);
    EXPECT_THROW(ad(x, x, x, short_out, out), Exception);
    EXPECT_THROW(adosc(x, x, x, x, 1, 10, out), Exception);
    EXPECT_THROW(adosc(x, x, x, x, 3, 100'001, out), Exception);
    EXPECT_THROW(mfi(x, x, x, x, 1, out), Exception);
    EXPECT_THROW(mfi(x, x, x, x, 14, short_out), Exception);
    EXPECT_THROW(Adosc(3, 1), Exception);
    EXPECT_THROW(Mfi(1), Exception);
}

}  // namespace
}  // namespace tradpal::indicators

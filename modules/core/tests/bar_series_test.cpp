// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <tradpal/core/bar_series.hpp>

namespace tradpal {
namespace {

BarSeries hourly(int n) {
    BarSeries s;
    for (int i = 0; i < n; ++i) {
        const double p = 100 + i;
        s.push_back({Timestamp(i * kNanosPerHour), p, p + 1, p - 1, p + 0.5, 10.0 * i});
    }
    return s;
}

TEST(BarSeries, ViewsShareTheColumns) {
    const BarSeries s = hourly(5);
    const BarSeriesView v = s.view();
    ASSERT_EQ(v.size(), 5U);
    EXPECT_EQ(v.close()[2], 102.5);
    EXPECT_EQ(v.bar(3).high, 104.0);
    EXPECT_EQ(v.time(4), Timestamp(4 * kNanosPerHour));
}

TEST(BarSeries, SliceClampsToTheSeries) {
    const BarSeries s = hourly(5);
    EXPECT_EQ(s.view().slice(3, 10).size(), 2U);
    EXPECT_EQ(s.view().slice(7, 1).size(), 0U);
}

TEST(BarSeries, BetweenFindsAHalfOpenRange) {
    const BarSeries s = hourly(10);
    const auto r = s.view().between(Timestamp(2 * kNanosPerHour), Timestamp(5 * kNanosPerHour));
    ASSERT_EQ(r.size(), 3U);
    EXPECT_EQ(r.time(0), Timestamp(2 * kNanosPerHour));
    EXPECT_EQ(s.view().between(Timestamp::min(), Timestamp::max()).size(), 10U);
}

TEST(BarSeries, AppendCopiesRows) {
    BarSeries a = hourly(3);
    const BarSeries b = hourly(2);
    a.append(b);
    EXPECT_EQ(a.size(), 5U);
    EXPECT_EQ(a.bar(4).open, 101.0);
}

}  // namespace
}  // namespace tradpal

// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <tradpal/core/timeframe.hpp>

namespace tradpal {
namespace {

TEST(Timeframe, ParsesTheUsualTimeframes) {
    EXPECT_EQ(Timeframe("1m").nominal_ns(), kNanosPerMinute);
    EXPECT_EQ(Timeframe("5m").nominal_ns(), 5 * kNanosPerMinute);
    EXPECT_EQ(Timeframe("15m").nominal_ns(), 15 * kNanosPerMinute);
    EXPECT_EQ(Timeframe("1h").nominal_ns(), kNanosPerHour);
    EXPECT_EQ(Timeframe("4h").nominal_ns(), 4 * kNanosPerHour);
    EXPECT_EQ(Timeframe("1d").nominal_ns(), kNanosPerDay);
    EXPECT_EQ(Timeframe("1w").nominal_ns(), 7 * kNanosPerDay);
    EXPECT_TRUE(Timeframe("1M").is_calendar());
    EXPECT_EQ(Timeframe("1M").to_string(), "1M");
    EXPECT_EQ(Timeframe("1D").to_string(), "1d");
}

TEST(Timeframe, RejectsBadText) {
    for (const char* bad : {"", "m", "0m", "-1h", "1x", "1.5h", "h1", "1 h"}) {
        EXPECT_FALSE(Timeframe::parse(bad).has_value()) << bad;
    }
}

TEST(Timeframe, AlignsBucketsToTheEpoch) {
    const Timeframe h4("4h");
    EXPECT_EQ(h4.bucket_start(Timestamp("2024-01-01T05:59:00Z")),
              Timestamp("2024-01-01T04:00:00Z"));
    EXPECT_EQ(Timeframe("1d").bucket_start(Timestamp("1962-01-02T13:00:00Z")),
              Timestamp("1962-01-02"));
    EXPECT_EQ(h4.next_bucket(Timestamp("2024-01-01T04:00:00Z")), Timestamp("2024-01-01T08:00:00Z"));
}

TEST(Timeframe, WeeksStartOnMonday) {
    const Timeframe w("1w");
    EXPECT_EQ(w.bucket_start(Timestamp("2024-01-07T23:00:00Z")), Timestamp("2024-01-01"));  // Sun
    EXPECT_EQ(w.bucket_start(Timestamp("2024-01-08")), Timestamp("2024-01-08"));            // Mon
    EXPECT_EQ(w.bucket_start(Timestamp("1970-01-01")), Timestamp("1969-12-29"));
}

TEST(Timeframe, MonthsFollowTheCalendar) {
    const Timeframe m("1M");
    EXPECT_EQ(m.bucket_start(Timestamp("2024-02-29T12:00:00Z")), Timestamp("2024-02-01"));
    EXPECT_EQ(m.next_bucket(Timestamp("2024-12-01")), Timestamp("2025-01-01"));
    EXPECT_EQ(Timeframe("3M").bucket_start(Timestamp("2024-05-15")), Timestamp("2024-04-01"));
    EXPECT_EQ(m.bucket_start(Timestamp("1969-12-31")), Timestamp("1969-12-01"));
}

TEST(Timeframe, KnowsWhichTimeframesNest) {
    EXPECT_TRUE(Timeframe("1d").is_multiple_of(Timeframe("1h")));
    EXPECT_TRUE(Timeframe("1w").is_multiple_of(Timeframe("1d")));
    EXPECT_TRUE(Timeframe("1M").is_multiple_of(Timeframe("1d")));
    EXPECT_TRUE(Timeframe("1h").is_multiple_of(Timeframe("1h")));
    EXPECT_FALSE(Timeframe("1h").is_multiple_of(Timeframe("1d")));
    EXPECT_FALSE(Timeframe("90m").is_multiple_of(Timeframe("1h")));
    EXPECT_FALSE(Timeframe("1M").is_multiple_of(Timeframe("1w")));
    EXPECT_FALSE(Timeframe("14d").is_multiple_of(Timeframe("1w")));
}

}  // namespace
}  // namespace tradpal

// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <tradpal/core/timestamp.hpp>

namespace tradpal {
namespace {

std::int64_t ns(std::string_view text) {
    return Timestamp::parse(text).value().ns();
}

TEST(Timestamp, ParsesDatesAsMidnightUtc) {
    EXPECT_EQ(ns("1970-01-01"), 0);
    EXPECT_EQ(ns("2024-01-01"), 1'704'067'200LL * kNanosPerSecond);
    EXPECT_EQ(ns("2024/01/01"), 1'704'067'200LL * kNanosPerSecond);
    EXPECT_EQ(ns("1962-01-02"), -252'374'400LL * kNanosPerSecond);
}

TEST(Timestamp, ParsesIsoDateTimesWithZonesAndFractions) {
    const std::int64_t base = 1'704'110'400LL * kNanosPerSecond;  // 2024-01-01T12:00:00Z
    EXPECT_EQ(ns("2024-01-01T12:00:00Z"), base);
    EXPECT_EQ(ns("2024-01-01 12:00:00"), base);
    EXPECT_EQ(ns("2024-01-01 12:00"), base);
    EXPECT_EQ(ns("2024-01-01T14:00:00+02:00"), base);
    EXPECT_EQ(ns("2024-01-01T07:00:00-0500"), base);
    EXPECT_EQ(ns("2024-01-01 12:00:00+00:00"), base);
    EXPECT_EQ(ns("2024-01-01T12:00:00.5Z"), base + 500'000'000);
    EXPECT_EQ(ns("2024-01-01 12:00:00.000001"), base + 1'000);
    EXPECT_EQ(ns("2024-01-01T12:00:00.123456789Z"), base + 123'456'789);
    EXPECT_EQ(ns("20240101 12:00"), base);
}

TEST(Timestamp, DetectsEpochUnitsByMagnitude) {
    const std::int64_t t = 1'700'000'000LL * kNanosPerSecond;
    EXPECT_EQ(ns("1700000000"), t);
    EXPECT_EQ(ns("1700000000000"), t);
    EXPECT_EQ(ns("1700000000000000"), t);
    EXPECT_EQ(ns("1700000000000000000"), t);
    EXPECT_EQ(ns("1506106800.0"), 1'506'106'800LL * kNanosPerSecond);
    EXPECT_EQ(ns("1700000000.25"), t + 250'000'000);
    EXPECT_EQ(ns("-86400"), -kNanosPerDay);
}

TEST(Timestamp, HonoursAnExplicitEpochUnit) {
    EXPECT_EQ(Timestamp::parse("1000", EpochUnit::Millis).value().ns(), kNanosPerSecond);
    EXPECT_EQ(Timestamp::parse("1.5", EpochUnit::Millis).value().ns(), 1'500'000);
}

TEST(Timestamp, RejectsGarbageWithAClearError) {
    for (const char* bad : {"", "abc", "2024-13-01", "2024-02-30", "2024-01-01X",
                            "2024-01-01 25:00", "2024-01-01T12:00:00+2", "1.2.3", "12a",
                            "99999999999999999999", "3000-01-01", "2024-01-01 12:00:00 PST"}) {
        auto r = Timestamp::parse(bad);
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        EXPECT_NE(r.error().message.find("is not a time"), std::string::npos);
    }
    EXPECT_THROW(Timestamp("nope"), Exception);
}

TEST(TimestampParser, ReusesTheDateOnlyWhileItMatches) {
    TimestampParser parser;
    const char* texts[] = {"2024-01-01 00:00:00",
                           "2024-01-01 23:59:59",
                           "2024-01-01T23:59:59Z",
                           "2024-01-01 12:30",
                           "2024-01-01",
                           "2024-01-01 24:00:00",
                           "2024-01-01T1:00:00Z",
                           "2024-01-01 12:60:00",
                           "2024-01-01X12:00:00",
                           "2024-01-01 12:00:00+01:00",
                           "2024-01-01 12:00:00.5",
                           "2024-01-02 00:00:00",
                           "2024-01-02T01:00:00+01:00",
                           "20240103 09:30",
                           "2024-01-03",
                           "1700000000",
                           "2024/01/04 12:00",
                           "2024-01-0",
                           "2024-01-01 24:00"};
    for (const char* text : texts) {
        EXPECT_EQ(parser.parse(text), try_parse_timestamp(text)) << text;
    }
    EXPECT_EQ(parser.parse("2024-01-02 00:00:00")->ns() - parser.parse("2024-01-01 00:00:00")->ns(),
              kNanosPerDay);
}

TEST(Timestamp, FormatsIso8601) {
    EXPECT_EQ(format_iso(Timestamp(0)), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_iso(Timestamp("2024-02-29T23:59:59.25Z")), "2024-02-29T23:59:59.250Z");
    EXPECT_EQ(format_iso(Timestamp(1)), "1970-01-01T00:00:00.000000001Z");
    EXPECT_EQ(format_iso(Timestamp("1962-01-02")), "1962-01-02T00:00:00Z");
    EXPECT_EQ(format_date(Timestamp("2021-06-10T05:00:00Z")), "2021-06-10");
    EXPECT_EQ(format_human(Timestamp("2021-06-10T05:00:00Z")), "2021-06-10 05:00");
}

TEST(Timestamp, RoundTripsThroughText) {
    for (std::int64_t v :
         {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1'234'567'890'123'456'789},
          std::int64_t{-5'000'000'000'000'000'000}}) {
        EXPECT_EQ(Timestamp::parse(format_iso(Timestamp(v))).value().ns(), v);
    }
}

TEST(Timestamp, CivilFieldsIncludeIsoWeekday) {
    const CivilTime c = to_civil(Timestamp("2024-01-01T05:06:07Z"));  // a Monday
    EXPECT_EQ(c.year, 2024);
    EXPECT_EQ(c.month, 1U);
    EXPECT_EQ(c.day, 1U);
    EXPECT_EQ(c.hour, 5U);
    EXPECT_EQ(c.minute, 6U);
    EXPECT_EQ(c.second, 7U);
    EXPECT_EQ(c.weekday, 0U);
    EXPECT_EQ(to_civil(Timestamp("1970-01-01")).weekday, 3U);  // Thursday
}

TEST(Timestamp, FloorDivRoundsDown) {
    EXPECT_EQ(floor_div(7, 2), 3);
    EXPECT_EQ(floor_div(-7, 2), -4);
    EXPECT_EQ(floor_div(-8, 2), -4);
    EXPECT_EQ(Timestamp(-1).seconds(), -1);
}

}  // namespace
}  // namespace tradpal

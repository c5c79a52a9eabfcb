// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/data/validate.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::data {
namespace {

using ::testing::HasSubstr;

BarSeries bars(std::initializer_list<Bar> list) {
    BarSeries s;
    for (const Bar& b : list) {
        s.push_back(b);
    }
    return s;
}

Bar ok(std::int64_t hour) {
    return Bar{Timestamp(hour * kNanosPerHour), 10, 12, 9, 11, 5};
}

TEST(RowIssues, FlagsEachKindOfBadBar) {
    const auto has = [](const Bar& b, Issue i) {
        return (row_issues(b) & (1U << static_cast<unsigned>(i))) != 0;
    };
    EXPECT_EQ(row_issues(ok(0)), 0U);
    EXPECT_TRUE(has({Timestamp(0), 10, 9.5, 9, 11, 1}, Issue::OhlcInconsistent));    // high < close
    EXPECT_TRUE(has({Timestamp(0), 10, 12, 10.5, 11, 1}, Issue::OhlcInconsistent));  // low > open
    EXPECT_TRUE(has({Timestamp(0), 0, 12, 9, 11, 1}, Issue::NonPositivePrice));
    EXPECT_TRUE(has({Timestamp(0), 10, 12, 9, 11, -1}, Issue::NegativeVolume));
    EXPECT_TRUE(has({Timestamp(0), std::nan(""), 12, 9, 11, 1}, Issue::NonFinite));
    EXPECT_TRUE(has({Timestamp(0), 10, std::numeric_limits<double>::infinity(), 9, 11, 1},
                    Issue::NonFinite));
}

TEST(Validator, CountsIssuesWithExamples) {
    const BarSeries s =
        bars({ok(0), ok(1), ok(1), ok(0), ok(4), {Timestamp(5 * kNanosPerHour), 10, 9, 9, 11, 1}});
    Validator v(Timeframe("1h"));
    v.consume(s, 0);
    const ValidationReport& r = v.report();
    EXPECT_EQ(r.rows, 6U);
    EXPECT_EQ(r.count(Issue::Duplicate), 1U);
    EXPECT_EQ(r.count(Issue::Unsorted), 1U);
    EXPECT_EQ(r.count(Issue::Gap), 1U);  // 0 -> 4: hours 1..3 missing
    EXPECT_EQ(r.missing_bars, 3U);
    EXPECT_EQ(r.count(Issue::OhlcInconsistent), 1U);
    EXPECT_EQ(r.invalid_rows, 1U);
    ASSERT_EQ(r.examples[static_cast<std::size_t>(Issue::Duplicate)].size(), 1U);
    EXPECT_EQ(r.examples[static_cast<std::size_t>(Issue::Duplicate)][0].row, 2U);
    EXPECT_TRUE(r.has_errors());
}

TEST(Validator, TheFastPathMissesNothing) {
    // Every kind of bad bar, each after a regular step, so only the bar itself can flag it.
    const double nan = std::nan("");
    const double inf = std::numeric_limits<double>::infinity();
    const BarSeries s = bars({ok(0),
                              {Timestamp(kNanosPerHour), inf, inf, 9, 11, 5},
                              {Timestamp(2 * kNanosPerHour), 10, 12, 9, nan, 5},
                              {Timestamp(3 * kNanosPerHour), 10, 12, 9, 11, inf},
                              {Timestamp(4 * kNanosPerHour), 10, 12, -9, 11, 5},
                              {Timestamp(5 * kNanosPerHour), 10, 12, 9, 11, -5},
                              {Timestamp(6 * kNanosPerHour), 10, 10.5, 9, 11, 5},
                              ok(7)});
    Validator v(Timeframe("1h"));
    v.consume(s, 0);
    EXPECT_EQ(v.report().count(Issue::NonFinite), 3U);
    EXPECT_EQ(v.report().count(Issue::NonPositivePrice), 1U);
    EXPECT_EQ(v.report().count(Issue::NegativeVolume), 1U);
    EXPECT_EQ(v.report().count(Issue::OhlcInconsistent), 1U);  // high 10.5 < close 11
    EXPECT_EQ(v.report().invalid_rows, 6U);
    EXPECT_EQ(v.report().count(Issue::Gap), 0U);
}

TEST(Validator, GapsAloneAreNotErrors) {
    const BarSeries s = bars({ok(0), ok(1), ok(5)});
    Validator v(Timeframe("1h"));
    v.consume(s, 0);
    EXPECT_FALSE(v.report().has_errors());
    EXPECT_EQ(v.report().largest_gap_ns, 4 * kNanosPerHour);
    EXPECT_EQ(v.report().largest_gap_start, Timestamp(kNanosPerHour));
}

TEST(Validator, ChecksTheSeamBetweenChunksAndWithStoredRows) {
    Validator v(Timeframe("1h"));
    v.set_previous(Timestamp(3 * kNanosPerHour));
    v.consume(bars({ok(3)}), 10);
    v.consume(bars({ok(6)}), 11);
    EXPECT_EQ(v.report().count(Issue::Duplicate), 1U);
    EXPECT_EQ(v.report().count(Issue::Gap), 1U);
    EXPECT_EQ(v.report().missing_bars, 2U);
}

TEST(Validator, MonthlyGapsFollowTheCalendar) {
    BarSeries s;
    for (const char* d : {"2024-01-31", "2024-02-29", "2024-05-31"}) {
        s.push_back({Timestamp(d), 1, 1, 1, 1, 1});
    }
    Validator v(Timeframe("1M"));
    v.consume(s, 0);
    EXPECT_EQ(v.report().count(Issue::Gap), 1U);
    EXPECT_EQ(v.report().missing_bars, 2U);  // March and April
}

TEST(PlanFix, SortsDropsInvalidAndKeepsTheLastDuplicate) {
    BarSeries s =
        bars({ok(2), ok(0), ok(1), ok(1), ok(3), {Timestamp(4 * kNanosPerHour), 0, 1, 1, 1, 1}});
    s.close()[3] = 11.5;  // the second copy of hour 1 must win
    const FixPlan plan = plan_fix(s);
    EXPECT_EQ(plan.keep, (std::vector<std::uint64_t>{1, 3, 0, 4}));
    EXPECT_EQ(plan.out_of_order, 1U);
    EXPECT_EQ(plan.duplicates, 1U);
    EXPECT_EQ(plan.invalid, 1U);
    EXPECT_TRUE(plan.changes(s.size()));
    EXPECT_THAT(plan.describe(),
                HasSubstr("removed 1 duplicate (kept the last copy of each time)"));
    EXPECT_THAT(plan.describe(),
                HasSubstr("dropped 1 invalid row (1 ohlc_inconsistent, 1 non_positive_price)"));
}

TEST(PlanFix, PrefersAValidCopyOverAnInvalidLaterOne) {
    const BarSeries s = bars({ok(0), {Timestamp(0), 10, 9, 9, 11, 1}});
    const FixPlan plan = plan_fix(s);
    EXPECT_EQ(plan.keep, (std::vector<std::uint64_t>{0}));
    EXPECT_EQ(plan.duplicates, 0U);
    EXPECT_EQ(plan.invalid, 1U);
}

TEST(PlanFix, CleanDataNeedsNoFix) {
    const BarSeries s = data_testing::synthetic_ohlcv(100, 1);
    const FixPlan plan = plan_fix(s);
    EXPECT_FALSE(plan.changes(s.size()));
    EXPECT_EQ(plan.describe(), "nothing to fix");
}

TEST(FixSeries, RewritesTheStoredSeries) {
    data_testing::TempDir dir;
    const Store store(dir.path());
    const SeriesKey key{"csv", "X", Timeframe("1h")};
    {
        SeriesWriter w = SeriesWriter::open(store, key, SeriesWriter::Mode::Append).value();
        w.stage(bars({ok(0), {Timestamp(kNanosPerHour), 10, 9, 9, 11, 1}, ok(2)}));
        w.commit();
    }
    const ValidationReport before = validate_series(store.open(key).value(), 2);
    EXPECT_EQ(before.count(Issue::OhlcInconsistent), 1U);
    const FixResult fixed = fix_series(store, key);
    EXPECT_TRUE(fixed.changed);
    EXPECT_EQ(fixed.meta.rows, 2U);
    EXPECT_THAT(fixed.meta.origin, HasSubstr("fixed: dropped 1 invalid row"));
    const ValidationReport after = validate_series(store.open(key).value(), 2);
    EXPECT_FALSE(after.has_errors());
    EXPECT_EQ(after.count(Issue::Gap), 1U);
    EXPECT_FALSE(fix_series(store, key).changed);
}

}  // namespace
}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
// Scores against values worked out by hand (or with numpy, where said), and the baselines on
// series whose forward return is known exactly.
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/core/timestamp.hpp>
#include <tradpal/ml/dataset.hpp>
#include <tradpal/ml/evaluate.hpp>

namespace tradpal::ml {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// 2024-01-01 00:00 UTC, a Monday.
constexpr std::int64_t kMonday = 1'704'067'200LL * kNanosPerSecond;

std::vector<std::int64_t> same_day(std::size_t n) {
    std::vector<std::int64_t> ts;
    for (std::size_t i = 0; i < n; ++i) {
        ts.push_back(kMonday + static_cast<std::int64_t>(i) * kNanosPerHour);
    }
    return ts;
}

TEST(Score, MatchesHandValues) {
    const std::vector<double> p = {0.1, -0.2, 0.3, 0.0, 0.5};
    const std::vector<double> a = {0.2, -0.1, -0.3, 0.1, 0.4};
    const Scores s = score(p, a, same_day(5));
    EXPECT_EQ(s.samples, 5U);
    // (0.01 + 0.01 + 0.36 + 0.01 + 0.01) / 5
    EXPECT_NEAR(s.mse, 0.08, 1e-15);
    // hits: yes, yes, no, half (zero forecast), yes
    EXPECT_DOUBLE_EQ(s.directional_accuracy, 3.5 / 5);
    // numpy: np.corrcoef(p, a)[0, 1]
    EXPECT_NEAR(s.ic, 0.3698630136986302, 1e-14);
    // ranks p = 3 1 4 2 5, a = 4 2 1 3 5: 1 - 6 * (1 + 1 + 9 + 1 + 0) / (5 * 24) = 0.4
    EXPECT_NEAR(s.rank_ic, 0.4, 1e-14);
    // One day: its IC is the rank IC, and one day gives no ICIR.
    EXPECT_EQ(s.days, 1U);
    EXPECT_NEAR(s.daily_ic_mean, 0.4, 1e-14);
    EXPECT_EQ(s.icir, 0.0);
}

TEST(Score, TiesTakeAverageRanks) {
    const std::vector<double> p = {1, 2, 2, 3, 4, 4};
    const std::vector<double> a = {1, 3, 2, 5, 4, 4};
    // numpy: np.corrcoef of the ranks [1, 2.5, 2.5, 4, 5.5, 5.5] and [1, 3, 2, 6, 4.5, 4.5]
    EXPECT_NEAR(score(p, a, same_day(6)).rank_ic, 0.8060599359358183, 1e-14);
    // Without averaging (ties ranked by position) it would read 0.7714285714285715.
}

TEST(Score, SkipsNaNPairs) {
    const std::vector<double> p = {0.1, kNaN, -0.2, 0.3, 0.0, 0.7, 0.5};
    const std::vector<double> a = {0.2, 0.9, -0.1, -0.3, 0.1, kNaN, 0.4};
    const Scores s = score(p, a, same_day(7));
    EXPECT_EQ(s.samples, 5U);
    EXPECT_NEAR(s.mse, 0.08, 1e-15);
    EXPECT_NEAR(s.ic, 0.3698630136986302, 1e-14);
    EXPECT_NEAR(s.rank_ic, 0.4, 1e-14);
    EXPECT_EQ(score(std::vector<double>{kNaN}, std::vector<double>{1.0}, same_day(1)).samples, 0U);
}

TEST(Score, DailyIcGroupsByUtcDay) {
    const auto at = [](int day, int hour, int minute) {
        return kMonday + day * kNanosPerDay + hour * kNanosPerHour + minute * kNanosPerMinute;
    };
    // Day 0: 4 samples in the same order (IC 1). Day 1: 3 samples, ranks 1 2 3 against 1 3 2
    // (IC 1 - 6 * 2 / 24 = 0.5). Day 2: 2 samples in reverse order, too few to count. The days
    // are interleaved: grouping is by time, not by position.
    const std::vector<std::int64_t> ts = {at(0, 1, 0),   at(1, 0, 0), at(0, 5, 0),
                                          at(1, 10, 0),  at(2, 0, 0), at(0, 12, 0),
                                          at(1, 23, 59), at(2, 1, 0), at(0, 23, 59)};
    const std::vector<double> p = {1, 1, 2, 2, 1, 3, 3, 2, 4};
    const std::vector<double> a = {10, 1, 20, 3, 2, 30, 2, 1, 40};
    const Scores s = score(p, a, ts);
    EXPECT_EQ(s.days, 2U);
    EXPECT_NEAR(s.daily_ic_mean, 0.75, 1e-14);
    // Sample std of {1, 0.5}: sqrt(2 * 0.25^2 / 1) = 0.25 * sqrt(2).
    EXPECT_NEAR(s.icir, 0.75 / (0.25 * std::numbers::sqrt2), 1e-12);
}

TEST(Score, ZeroForecastHasNoCorrelation) {
    const std::vector<double> a = {0.2, -0.1, -0.3, 0.1, 0.4, 0.0};
    const Scores s = score(std::vector<double>(6, 0.0), a, same_day(6));
    EXPECT_NEAR(s.mse, (0.04 + 0.01 + 0.09 + 0.01 + 0.16) / 6, 1e-15);
    EXPECT_EQ(s.directional_accuracy, 0.5);
    EXPECT_EQ(s.ic, 0.0);
    EXPECT_EQ(s.rank_ic, 0.0);
    EXPECT_EQ(s.icir, 0.0);

    const Scores none = score({}, {}, {});
    EXPECT_EQ(none.samples, 0U);
    EXPECT_EQ(none.mse, 0.0);
}

TEST(Score, ToJsonHoldsEveryField) {
    const std::vector<double> p = {0.1, -0.2, 0.3, 0.0, 0.5};
    const std::vector<double> a = {0.2, -0.1, -0.3, 0.1, 0.4};
    const Scores s = score(p, a, same_day(5));
    const auto j = to_json(s);
    EXPECT_EQ(j.at("samples"), 5);
    EXPECT_EQ(j.at("mse").get<double>(), s.mse);
    EXPECT_EQ(j.at("directional_accuracy").get<double>(), 0.7);
    EXPECT_EQ(j.at("ic").get<double>(), s.ic);
    EXPECT_EQ(j.at("rank_ic").get<double>(), s.rank_ic);
    EXPECT_EQ(j.at("daily_ic_mean").get<double>(), s.daily_ic_mean);
    EXPECT_EQ(j.at("icir").get<double>(), 0.0);
    EXPECT_EQ(j.at("days"), 1);
}

// ---- baselines

TEST(Baselines, LinearRegressionRecoversAnExactLinearRelation) {
    // The next bar's return is 0.01 * sin(2 pi hour / 24) + 0.0005: linear in hour_sin. logret(1)
    // is then an exact combination of hour_sin and hour_cos, so the regression also has to cope
    // with collinear columns.
    BarSeries bars;
    double close = 100;
    for (std::int64_t t = 0; t < 600; ++t) {
        bars.push_back(Bar{Timestamp(kMonday + t * kNanosPerHour), close, close, close, close, 1});
        close *= std::exp(0.01 * std::sin(2 * std::numbers::pi * static_cast<double>(t % 24) / 24) +
                          0.0005);
    }
    Dataset d = build_dataset(bars, FeatureSpec::parse("logret(1),hour").value(),
                              LabelSpec::parse("ret(1)").value())
                    .value();
    const Splits splits = chronological_splits(d, 0.6, 0.2, 8, 1).value();
    Normalizer::fit(d, Range{d.valid.begin, splits.train.end}).apply(d);
    const auto b = score_baselines(d, splits);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->linear.samples, splits.test.size());
    EXPECT_LT(b->linear.mse, 1e-14);
    EXPECT_NEAR(b->linear.ic, 1.0, 1e-9);
    EXPECT_EQ(b->linear.directional_accuracy, 1.0);

    // The zero forecast scores the plain returns; the last return is the bar before's.
    std::vector<double> actual;
    std::vector<double> last;
    std::vector<std::int64_t> ts;
    for (std::size_t t = splits.test.begin; t < splits.test.end; ++t) {
        actual.push_back(d.forward_returns[t]);
        last.push_back(d.forward_returns[t - 1]);
        ts.push_back(d.ts[t]);
    }
    double sq = 0;
    for (const double r : actual) {
        sq += r * r;
    }
    EXPECT_NEAR(b->zero.mse, sq / static_cast<double>(actual.size()), 1e-18);
    EXPECT_EQ(b->zero.ic, 0.0);
    const Scores expect_last = score(last, actual, ts);
    EXPECT_EQ(b->last_return.mse, expect_last.mse);
    EXPECT_EQ(b->last_return.ic, expect_last.ic);
    EXPECT_GT(b->last_return.mse, 1e-6);
}

// A dataset of 40 rows, valid [2, 37) (so a 3-bar horizon), one feature; forward returns repeat
// every 3 rows, so the return of the last 3 bars is exactly the next one.
Dataset periodic() {
    Dataset d;
    d.rows = 40;
    d.cols = 1;
    d.valid = {2, 37};
    d.columns = {"x"};
    d.forward_returns.assign(d.rows, kNaN);
    d.labels.assign(d.rows, std::numeric_limits<float>::quiet_NaN());
    const double cycle[3] = {0.01, -0.02, 0.005};
    for (std::size_t t = 0; t < d.rows; ++t) {
        d.ts.push_back(kMonday + static_cast<std::int64_t>(t) * kNanosPerHour);
        d.features.push_back(static_cast<float>(t % 5) - 2.0F);
        if (t >= d.valid.begin && t < d.valid.end) {
            d.forward_returns[t] = cycle[t % 3];
            d.labels[t] = static_cast<float>(cycle[t % 3]);
        }
    }
    return d;
}

TEST(Baselines, LastReturnLooksBackOneHorizon) {
    const Dataset d = periodic();
    const auto b = score_baselines(d, Splits{{5, 20}, {20, 25}, {3, 37}});
    ASSERT_TRUE(b) << b.error().message;
    // Rows 3 and 4 have no return 3 bars back (rows 0 and 1 are before the valid rows).
    EXPECT_EQ(b->last_return.samples, 32U);
    EXPECT_EQ(b->last_return.mse, 0.0);
    EXPECT_NEAR(b->last_return.ic, 1.0, 1e-12);
    EXPECT_EQ(b->zero.samples, 34U);
    EXPECT_EQ(b->linear.samples, 34U);
}

TEST(Baselines, RejectEmptyOrInvalidRanges) {
    const Dataset d = periodic();
    for (const Splits& s :
         {Splits{{5, 20}, {20, 25}, {30, 30}}, Splits{{5, 5}, {20, 25}, {30, 37}},
          Splits{{0, 20}, {20, 25}, {30, 37}}, Splits{{5, 20}, {20, 25}, {30, 38}}}) {
        const auto b = score_baselines(d, s);
        ASSERT_FALSE(b);
        EXPECT_EQ(b.error().code, ErrorCode::InvalidArgument);
    }
}

}  // namespace
}  // namespace tradpal::ml

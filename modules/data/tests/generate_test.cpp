// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include <tradpal/data/generate.hpp>
#include <tradpal/data/validate.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::data {
namespace {

TEST(SyntheticMarket, SameSeedGivesIdenticalBars) {
    SyntheticSpec spec;
    spec.bars = 5000;
    const BarSeries a = synthetic_bars(spec);
    const BarSeries b = synthetic_bars(spec);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(std::memcmp(a.view().close().data(), b.view().close().data(), a.size() * 8), 0);
    EXPECT_EQ(std::memcmp(a.view().volume().data(), b.view().volume().data(), a.size() * 8), 0);
    spec.seed = 43;
    EXPECT_NE(synthetic_bars(spec).bar(10).close, a.bar(10).close);
}

TEST(SyntheticMarket, BarsAreValidAndConsecutive) {
    SyntheticSpec spec;
    spec.bars = 20'000;
    const BarSeries s = synthetic_bars(spec);
    Validator v(spec.timeframe);
    v.consume(s, 0);
    EXPECT_FALSE(v.report().has_errors());
    EXPECT_EQ(v.report().count(Issue::Gap), 0U);
    EXPECT_EQ(s.bar(0).ts, Timestamp("2020-01-01"));
    for (std::size_t i = 1; i < s.size(); ++i) {
        ASSERT_EQ(s.bar(i).open, s.bar(i - 1).close);
        ASSERT_GT(s.bar(i).volume, 0.0);
    }
}

TEST(SyntheticMarket, VolatilityIsNearTheTarget) {
    SyntheticSpec spec;
    spec.timeframe = Timeframe("1h");
    spec.bars = 24 * 365 * 4;
    spec.jumps_per_year = 0;
    const BarSeries s = synthetic_bars(spec);
    double sum = 0;
    double sq = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const double r = std::log(s.bar(i).close / s.bar(i).open);
        sum += r;
        sq += r * r;
    }
    const double n = static_cast<double>(s.size());
    const double annual = std::sqrt((sq / n - (sum / n) * (sum / n)) * 24 * 365.25);
    EXPECT_NEAR(annual, spec.annual_volatility, 0.1);
}

TEST(SyntheticMarket, RejectsImpossibleParameters) {
    SyntheticSpec spec;
    spec.garch_alpha = 0.5;
    spec.garch_beta = 0.6;
    EXPECT_THROW(SyntheticMarket{spec}, Exception);
}

TEST(GenerateSeries, WritesAndProtectsOtherData) {
    data_testing::TempDir dir;
    const Store store(dir.path());
    SyntheticSpec spec;
    spec.bars = 70'000;  // more than one internal batch
    const SeriesMeta meta = generate_series(store, spec, "synthetic", false);
    EXPECT_EQ(meta.rows, 70'000U);
    const StoredSeries s = store.open(meta.key).value();
    EXPECT_EQ(s.view().close()[69'999], synthetic_bars(spec).bar(69'999).close);
    EXPECT_EQ(generate_series(store, spec, "synthetic", false).version,
              2U);  // regenerating is fine

    const SeriesKey other{"csv", "SYN/USD", Timeframe("1m")};
    {
        SeriesWriter w = SeriesWriter::open(store, other, SeriesWriter::Mode::Append).value();
        w.stage(data_testing::synthetic_ohlcv(5, 1, Timeframe("1m")));
        w.set_origin("import real.csv (generic)");
        w.commit();
    }
    EXPECT_THROW(generate_series(store, spec, "csv", false), Exception);
    EXPECT_EQ(store.read_meta(other).value().rows, 5U);
}

}  // namespace
}  // namespace tradpal::data

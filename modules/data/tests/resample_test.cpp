// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/data/resample.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::data {
namespace {

using data_testing::synthetic_ohlcv;
using ::testing::HasSubstr;

BarSeries resample_all(const BarSeriesView& in, Timeframe from, Timeframe to, std::size_t chunk) {
    Resampler r = Resampler::create(from, to).value();
    BarSeries out;
    for (std::size_t i = 0; i < in.size(); i += chunk) {
        r.consume(in.slice(i, chunk), out);
    }
    r.finish(out);
    return out;
}

TEST(Resampler, AggregatesFirstMaxMinLastSum) {
    BarSeries in;
    const Timestamp t0("2024-01-01T00:00:00Z");
    const auto minute = [&](int i) {
        return Timestamp(t0.ns() + i * kNanosPerMinute);
    };
    in.push_back({minute(0), 10, 11, 9, 10.5, 1});
    in.push_back({minute(1), 10.5, 15, 10, 11, 2});  // the bucket's high
    in.push_back({minute(2), 11, 12, 8, 11.5, 3});   // the bucket's low
    in.push_back({minute(3), 11.5, 12, 11, 12, 4});
    in.push_back({minute(4), 12, 13, 11.5, 14.5, 5});
    in.push_back({minute(5), 15, 16, 14, 15.5, 6});
    in.push_back({minute(6), 15.5, 17, 15, 16, 7});
    const BarSeries out = resample_all(in, Timeframe("1m"), Timeframe("5m"), 3);
    ASSERT_EQ(out.size(), 2U);
    const Bar a = out.bar(0);
    EXPECT_EQ(a.ts, t0);
    EXPECT_EQ(a.open, 10.0);
    EXPECT_EQ(a.high, 15.0);
    EXPECT_EQ(a.low, 8.0);
    EXPECT_EQ(a.close, 14.5);
    EXPECT_EQ(a.volume, 15.0);
    const Bar b = out.bar(1);
    EXPECT_EQ(b.ts, Timestamp(t0.ns() + 5 * kNanosPerMinute));
    EXPECT_EQ(b.open, 15.0);
    EXPECT_EQ(b.volume, 13.0);
}

TEST(Resampler, ChunkingDoesNotChangeTheResult) {
    const BarSeries in = synthetic_ohlcv(10'000, 3, Timeframe("1m"));
    const BarSeries whole = resample_all(in, Timeframe("1m"), Timeframe("1h"), in.size());
    const BarSeries pieces = resample_all(in, Timeframe("1m"), Timeframe("1h"), 77);
    ASSERT_EQ(whole.size(), pieces.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
        EXPECT_EQ(whole.bar(i).ts, pieces.bar(i).ts);
        EXPECT_EQ(whole.bar(i).high, pieces.bar(i).high);
        EXPECT_EQ(whole.bar(i).volume, pieces.bar(i).volume);
    }
}

TEST(Resampler, EmptyBucketsMakeNoBar) {
    BarSeries in;
    for (const char* t : {"2024-01-01T00:10:00Z", "2024-01-01T03:20:00Z"}) {
        in.push_back({Timestamp(t), 1, 1, 1, 1, 1});
    }
    const BarSeries out = resample_all(in, Timeframe("1m"), Timeframe("1h"), 10);
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out.bar(1).ts, Timestamp("2024-01-01T03:00:00Z"));
}

TEST(Resampler, WeeksStartMondayAndMonthsOnTheFirst) {
    const BarSeries days = synthetic_ohlcv(60, 4, Timeframe("1d"), Timestamp("2024-01-03"));
    const BarSeries weeks = resample_all(days, Timeframe("1d"), Timeframe("1w"), 7);
    EXPECT_EQ(weeks.bar(0).ts, Timestamp("2024-01-01"));
    EXPECT_EQ(weeks.bar(1).ts, Timestamp("2024-01-08"));
    const BarSeries months = resample_all(days, Timeframe("1d"), Timeframe("1M"), 7);
    ASSERT_EQ(months.size(), 3U);
    EXPECT_EQ(months.bar(1).ts, Timestamp("2024-02-01"));
    EXPECT_EQ(months.bar(1).open, days.bar(29).open);  // 2024-02-01 is day 29 from 2024-01-03
}

TEST(Resampler, RefusesTimeframesThatDoNotNest) {
    EXPECT_FALSE(Resampler::create(Timeframe("1h"), Timeframe("90m")).has_value());
    EXPECT_FALSE(Resampler::create(Timeframe("1w"), Timeframe("1M")).has_value());
    EXPECT_FALSE(Resampler::create(Timeframe("1d"), Timeframe("1h")).has_value());
    EXPECT_FALSE(Resampler::create(Timeframe("1h"), Timeframe("1h")).has_value());
}

TEST(Resampler, RefusesUnsortedInput) {
    BarSeries in;
    in.push_back({Timestamp(kNanosPerHour), 1, 1, 1, 1, 1});
    in.push_back({Timestamp(0), 1, 1, 1, 1, 1});
    Resampler r = Resampler::create(Timeframe("1h"), Timeframe("1d")).value();
    BarSeries out;
    EXPECT_THROW(r.consume(in, out), Exception);
}

TEST(ResampleSeries, WritesTheTargetAndProtectsForeignData) {
    data_testing::TempDir dir;
    const Store store(dir.path());
    const SeriesKey hourly{"csv", "BTC/USD", Timeframe("1h")};
    const BarSeries bars = synthetic_ohlcv(24 * 10, 5);
    {
        SeriesWriter w = SeriesWriter::open(store, hourly, SeriesWriter::Mode::Append).value();
        w.stage(bars);
        w.commit();
    }
    const ResampleResult r = resample_series(store, hourly, Timeframe("1d"), 50, false);
    EXPECT_EQ(r.input_rows, 240U);
    EXPECT_EQ(r.target.rows, 10U);
    EXPECT_THAT(r.target.origin, HasSubstr("resample 1h -> 1d"));
    // Running it again replaces the earlier result.
    EXPECT_EQ(resample_series(store, hourly, Timeframe("1d"), 50, false).target.version, 2U);

    const SeriesKey weekly{"csv", "BTC/USD", Timeframe("1w")};
    {
        SeriesWriter w = SeriesWriter::open(store, weekly, SeriesWriter::Mode::Append).value();
        w.stage(synthetic_ohlcv(3, 6, Timeframe("1w")));
        w.set_origin("import weekly.csv (generic)");
        w.commit();
    }
    try {
        resample_series(store, hourly, Timeframe("1w"), 50, false);
        FAIL() << "expected AlreadyExists";
    } catch (const Exception& e) {
        EXPECT_EQ(e.code(), ErrorCode::AlreadyExists);
    }
    EXPECT_EQ(store.read_meta(weekly).value().rows, 3U);
    EXPECT_EQ(resample_series(store, hourly, Timeframe("1w"), 50, true).target.rows, 2U);
}

}  // namespace
}  // namespace tradpal::data

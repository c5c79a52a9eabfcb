// SPDX-License-Identifier: Apache-2.0
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/data/store.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::data {
namespace {

using data_testing::synthetic_ohlcv;
using ::testing::HasSubstr;

class StoreTest : public ::testing::Test {
protected:
    SeriesKey key_{"csv", "BTC/USD", Timeframe("1h")};
    data_testing::TempDir dir_{"tradpal_store"};
    Store store_{dir_.path() / "store"};

    SeriesMeta write(const BarSeriesView& rows,
                     SeriesWriter::Mode mode = SeriesWriter::Mode::Append) {
        SeriesWriter w = SeriesWriter::open(store_, key_, mode).value();
        w.stage(rows);
        return w.commit();
    }
    std::filesystem::path series_dir() { return store_.series_dir(key_).value(); }
    std::filesystem::path column(std::string_view name, std::uint64_t generation) {
        return series_dir() / (std::string(name) + ".g" + std::to_string(generation) +
                               (name == "ts" ? ".i64" : ".f64"));
    }
};

void expect_same(const BarSeriesView& a, const BarSeriesView& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a.ts()[i], b.ts()[i]) << i;
        ASSERT_EQ(a.open()[i], b.open()[i]) << i;
        ASSERT_EQ(a.high()[i], b.high()[i]) << i;
        ASSERT_EQ(a.low()[i], b.low()[i]) << i;
        ASSERT_EQ(a.close()[i], b.close()[i]) << i;
        ASSERT_EQ(a.volume()[i], b.volume()[i]) << i;
    }
}

TEST(SanitizeSymbol, MapsSlashesAndRejectsPathTricks) {
    EXPECT_EQ(sanitize_symbol("BTC/USDT").value(), "BTC-USDT");
    EXPECT_EQ(sanitize_symbol("EURUSD=X").value(), "EURUSD=X");
    EXPECT_EQ(sanitize_symbol("^GSPC").value(), "^GSPC");
    EXPECT_EQ(sanitize_symbol("BRK.B").value(), "BRK.B");
    for (std::string_view bad :
         {std::string_view("../../etc"), std::string_view(".."), std::string_view(".hidden"),
          std::string_view(""), std::string_view("a\\b"), std::string_view("a b"),
          std::string_view("a\nb"), std::string_view("a\0b", 3), std::string_view("A/../B")}) {
        auto r = sanitize_symbol(bad);
        EXPECT_FALSE(r.has_value()) << bad;
        if (!r) {
            EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        }
    }
    EXPECT_FALSE(sanitize_symbol(std::string(101, 'A')).has_value());
    EXPECT_FALSE(sanitize_source("CSV").has_value());
    EXPECT_FALSE(sanitize_source("../x").has_value());
}

TEST_F(StoreTest, RoundTripsASeries) {
    const BarSeries bars = synthetic_ohlcv(1000, 1);
    const SeriesMeta meta = write(bars);
    EXPECT_EQ(meta.rows, 1000U);
    EXPECT_EQ(meta.version, 1U);
    EXPECT_EQ(meta.first, bars.bar(0).ts);
    EXPECT_EQ(meta.last, bars.bar(999).ts);
    const StoredSeries s = store_.open(key_).value();
    expect_same(s.view(), bars);
    EXPECT_TRUE(s.verify().has_value());
    EXPECT_EQ(s.bytes(), 1000U * 48U);
    const StoredSeries copy = store_.open(key_, {.map = false}).value();
    expect_same(copy.view(), bars);
}

TEST_F(StoreTest, AppendAddsRowsAndBumpsTheVersion) {
    const BarSeries bars = synthetic_ohlcv(600'000, 2);  // spans three checksum blocks
    write(bars.view().slice(0, 300'000));
    const SeriesMeta meta = write(bars.view().slice(300'000, 300'000));
    EXPECT_EQ(meta.rows, 600'000U);
    EXPECT_EQ(meta.version, 2U);
    const StoredSeries s = store_.open(key_).value();
    expect_same(s.view(), bars);
    EXPECT_TRUE(s.verify().has_value());
}

TEST_F(StoreTest, AnUncommittedWriterLeavesTheSeriesUntouched) {
    const BarSeries bars = synthetic_ohlcv(100, 3);
    write(bars.view().slice(0, 50));
    {
        SeriesWriter w = SeriesWriter::open(store_, key_, SeriesWriter::Mode::Append).value();
        w.stage(bars.view().slice(50, 50));
    }  // dropped without commit
    EXPECT_EQ(std::filesystem::file_size(column("close", 1)), 50U * 8U);
    const StoredSeries s = store_.open(key_).value();
    expect_same(s.view(), bars.view().slice(0, 50));
}

TEST_F(StoreTest, OnlyOneWriterAtATime) {
    SeriesWriter first = SeriesWriter::open(store_, key_, SeriesWriter::Mode::Append).value();
    auto second = SeriesWriter::open(store_, key_, SeriesWriter::Mode::Append);
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().code, ErrorCode::Locked);
    EXPECT_THAT(second.error().message, HasSubstr("being written by another process"));
}

TEST_F(StoreTest, TailGarbageFromACrashIsInvisibleAndRepaired) {
    const BarSeries bars = synthetic_ohlcv(100, 4);
    write(bars.view().slice(0, 60));
    // A crash after appending columns but before meta.json: extra bytes on some columns.
    for (std::string_view name : {"ts", "open", "close"}) {
        std::ofstream(column(name, 1), std::ios::app | std::ios::binary) << "garbage!garbage!";
    }
    expect_same(store_.open(key_).value().view(), bars.view().slice(0, 60));
    write(bars.view().slice(60, 40));
    const StoredSeries s = store_.open(key_).value();
    expect_same(s.view(), bars);
    EXPECT_TRUE(s.verify().has_value());
}

TEST_F(StoreTest, ShortColumnFilesAreReportedAsDamage) {
    write(synthetic_ohlcv(100, 5));
    std::filesystem::resize_file(column("low", 1), 80);
    auto r = store_.open(key_);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::Corrupt);
    EXPECT_THAT(r.error().message, HasSubstr("low.g1.f64"));
    EXPECT_THAT(r.error().message, HasSubstr("meta.json says 100 rows"));
    EXPECT_EQ(store_.open(key_, {.map = false}).error().code, ErrorCode::Corrupt);
    auto w = SeriesWriter::open(store_, key_, SeriesWriter::Mode::Append);
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error().code, ErrorCode::Corrupt);
    // Replacing the series repairs it.
    write(synthetic_ohlcv(10, 6), SeriesWriter::Mode::Replace);
    EXPECT_EQ(store_.open(key_).value().meta().rows, 10U);
}

TEST_F(StoreTest, DamagedMetaJsonIsReported) {
    write(synthetic_ohlcv(10, 7));
    write_file_atomic(series_dir() / "meta.json", "{\"schema_version\": 1, \"rows\": ");
    auto r = store_.open(key_);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::Corrupt);
    EXPECT_THAT(r.error().message, HasSubstr("meta.json is damaged"));
    std::vector<std::string> problems;
    EXPECT_TRUE(store_.list(&problems).empty());
    EXPECT_EQ(problems.size(), 1U);
}

TEST_F(StoreTest, ChecksumsCatchFlippedBytes) {
    write(synthetic_ohlcv(1000, 8));
    {
        std::fstream f(column("close", 1), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(8 * 500 + 3);
        f.put('\x5a');
    }
    const auto r = store_.open(key_).value().verify();
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().message, HasSubstr("column close rows 0..999"));
}

TEST_F(StoreTest, ReplaceWritesANewGenerationWhileOldSnapshotsStayValid) {
    const BarSeries old_bars = synthetic_ohlcv(100, 9);
    write(old_bars);
    const StoredSeries old_snapshot = store_.open(key_).value();
    const BarSeries new_bars = synthetic_ohlcv(30, 10);
    const SeriesMeta meta = write(new_bars, SeriesWriter::Mode::Replace);
    EXPECT_EQ(meta.generation, 2U);
    EXPECT_FALSE(std::filesystem::exists(column("close", 1)));
    expect_same(old_snapshot.view(), old_bars);
    expect_same(store_.open(key_).value().view(), new_bars);
}

TEST_F(StoreTest, RefusesRowsOutOfOrderAndKeepsTheOldData) {
    const BarSeries bars = synthetic_ohlcv(10, 11);
    write(bars.view().slice(5, 5));
    SeriesWriter w = SeriesWriter::open(store_, key_, SeriesWriter::Mode::Append).value();
    w.stage(bars.view().slice(0, 5));  // earlier than what is stored
    try {
        w.commit();
        FAIL() << "expected ValidationFailed";
    } catch (const Exception& e) {
        EXPECT_EQ(e.code(), ErrorCode::ValidationFailed);
    }
    expect_same(store_.open(key_).value().view(), bars.view().slice(5, 5));
}

TEST_F(StoreTest, ReversesAndReordersStagedRows) {
    const BarSeries bars = synthetic_ohlcv(200'001, 12);
    BarSeries reversed;
    for (std::size_t i = bars.size(); i-- > 0;) {
        reversed.push_back(bars.bar(i));
    }
    SeriesWriter w = SeriesWriter::open(store_, key_, SeriesWriter::Mode::Append).value();
    w.stage(reversed);
    w.reverse_staged();
    expect_same(w.staged().view(), bars);
    std::vector<std::uint64_t> keep = {5, 1, 3};
    w.keep_staged(keep);
    ASSERT_EQ(w.staged_rows(), 3U);
    const StoredSeries staged = w.staged();
    EXPECT_EQ(staged.view().ts()[0], bars.view().ts()[5]);
    EXPECT_EQ(staged.view().close()[2], bars.view().close()[3]);
}

TEST_F(StoreTest, RangeReadsAndChunksCoverTheSeries) {
    const BarSeries bars = synthetic_ohlcv(1000, 13);
    write(bars);
    const StoredSeries s = store_.open(key_).value();
    const auto r = s.between(bars.bar(10).ts, bars.bar(20).ts);
    ASSERT_EQ(r.size(), 10U);
    EXPECT_EQ(r.ts()[0], bars.view().ts()[10]);
    std::uint64_t seen = 0;
    std::uint64_t expected_first = 0;
    s.for_each_chunk(128, [&](const BarSeriesView& chunk, std::uint64_t first) {
        EXPECT_EQ(first, expected_first);
        EXPECT_EQ(chunk.ts()[0], bars.view().ts()[first]);
        expected_first += chunk.size();
        seen += chunk.size();
    });
    EXPECT_EQ(seen, 1000U);
}

TEST_F(StoreTest, ListsResolvesAndRemovesSeries) {
    write(synthetic_ohlcv(10, 14));
    SeriesKey daily = key_;
    daily.timeframe = Timeframe("1d");
    {
        SeriesWriter w = SeriesWriter::open(store_, daily, SeriesWriter::Mode::Append).value();
        w.stage(synthetic_ohlcv(5, 15, Timeframe("1d")));
        w.commit();
    }
    const auto all = store_.list();
    ASSERT_EQ(all.size(), 2U);
    EXPECT_EQ(all[0].key.timeframe, Timeframe("1h"));
    EXPECT_EQ(all[0].key.symbol, "BTC/USD");

    EXPECT_EQ(store_.resolve("BTC/USD", Timeframe("1d"), std::nullopt).value(), daily);
    auto ambiguous = store_.resolve("BTC/USD", std::nullopt, std::nullopt);
    ASSERT_FALSE(ambiguous.has_value());
    EXPECT_THAT(ambiguous.error().message, HasSubstr("1h (csv), 1d (csv)"));
    auto missing = store_.resolve("BTC/USD", Timeframe("1m"), std::nullopt);
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
    EXPECT_THAT(missing.error().message, HasSubstr("stored for BTC/USD"));

    EXPECT_TRUE(store_.remove(daily).has_value());
    EXPECT_EQ(store_.list().size(), 1U);
    EXPECT_EQ(store_.remove(daily).error().code, ErrorCode::NotFound);
}

TEST_F(StoreTest, BadSymbolsNeverTouchThePath) {
    SeriesKey evil{"csv", "../../etc", Timeframe("1h")};
    auto w = SeriesWriter::open(store_, evil, SeriesWriter::Mode::Append);
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error().code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(std::filesystem::exists(dir_.path() / "etc"));
}

}  // namespace
}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/core/file.hpp>
#include <tradpal/data/export.hpp>
#include <tradpal/data/import.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::data {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class ExportTest : public ::testing::Test {
protected:
    void SetUp() override {
        SeriesWriter w = SeriesWriter::open(store_, key_, SeriesWriter::Mode::Append).value();
        w.stage(bars_);
        w.commit();
    }

    data_testing::TempDir dir_{"tradpal_export"};
    Store store_{dir_.path() / "store"};
    SeriesKey key_{"csv", "ETH/USD", Timeframe("1h")};
    BarSeries bars_ = data_testing::synthetic_ohlcv(1000, 9);
};

TEST_F(ExportTest, CsvRoundTripsExactly) {
    const StoredSeries s = store_.open(key_).value();
    ExportOptions options;
    options.chunk_rows = 100;
    const auto out = dir_.path() / "out.csv";
    EXPECT_EQ(export_csv(s, s.view(), out, options), 1000U);
    const std::string text = read_text_file(out).value();
    EXPECT_THAT(text, StartsWith("timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,"));

    const SeriesKey copy{"csv", "COPY", Timeframe("1h")};
    import_csv(store_, copy, out, {});
    const StoredSeries back = store_.open(copy).value();
    ASSERT_EQ(back.meta().rows, 1000U);
    for (std::size_t i = 0; i < 1000; ++i) {
        ASSERT_EQ(back.view().ts()[i], s.view().ts()[i]);
        ASSERT_EQ(back.view().high()[i], s.view().high()[i]);
        ASSERT_EQ(back.view().volume()[i], s.view().volume()[i]);
    }
}

TEST_F(ExportTest, RangesAndEpochFormats) {
    const StoredSeries s = store_.open(key_).value();
    ExportOptions options;
    options.time_format = TimeFormat::UnixMs;
    const auto out = dir_.path() / "range.csv";
    const auto range = s.between(Timestamp("2024-01-02"), Timestamp("2024-01-03"));
    EXPECT_EQ(export_csv(s, range, out, options), 24U);
    const std::string text = read_text_file(out).value();
    EXPECT_THAT(text, HasSubstr("\n1704153600000,"));
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 25);
    EXPECT_FALSE(std::filesystem::exists(dir_.path() / "range.csv.tmp"));
    EXPECT_EQ(parse_time_format("unix").value(), TimeFormat::Unix);
    EXPECT_FALSE(parse_time_format("excel").has_value());
}

TEST_F(ExportTest, Hdf5WritesOneDatasetPerColumn) {
    const StoredSeries s = store_.open(key_).value();
    const auto out = dir_.path() / "bars.h5";
    if (!hdf5_available()) {
        EXPECT_THROW(export_hdf5(s, s.view(), out, {}), Exception);
        GTEST_SKIP() << "built without HDF5";
    }
    EXPECT_EQ(export_hdf5(s, s.view(), out, {}), 1000U);
    const std::string bytes = read_text_file(out).value();
    EXPECT_THAT(bytes, StartsWith("\x89HDF\r\n"));
    EXPECT_GT(bytes.size(), 48'000U);
}

}  // namespace
}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/data/import.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::data {
namespace {

using data_testing::synthetic_ohlcv;
using data_testing::to_csv;
using ::testing::HasSubstr;

class ImportTest : public ::testing::Test {
protected:
    data_testing::TempDir dir_{"tradpal_import"};
    Store store_{dir_.path() / "store"};
    SeriesKey key_{"csv", "BTC/USD", Timeframe("1h")};

    ImportReport import(std::string_view csv, ImportOptions options = {}) {
        const auto path = dir_.write("in.csv", csv);
        return import_csv(store_, key_, path, options);
    }
    // The failure of an import; the test fails when it succeeds.
    Exception import_error(std::string_view csv, ImportOptions options = {}) {
        try {
            import(csv, options);
        } catch (const Exception& e) {
            return e;
        }
        ADD_FAILURE() << "expected the import to fail";
        return Exception(ErrorCode::Internal, "");
    }
    BarSeriesView stored_view() {
        snapshot_ = std::make_unique<StoredSeries>(store_.open(key_).value());
        return snapshot_->view();
    }

    std::unique_ptr<StoredSeries> snapshot_;
};

std::string reversed_csv(const BarSeriesView& bars) {
    const std::string csv = to_csv(bars);
    std::vector<std::string> lines;
    std::size_t start = csv.find('\n') + 1;
    while (start < csv.size()) {
        const std::size_t end = csv.find('\n', start);
        lines.push_back(csv.substr(start, end - start + 1));
        start = end + 1;
    }
    std::string out = csv.substr(0, csv.find('\n') + 1);
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        out += *it;
    }
    return out;
}

TEST_F(ImportTest, ImportsAndValidates) {
    const BarSeries bars = synthetic_ohlcv(500, 1);
    const ImportReport r = import(to_csv(bars));
    EXPECT_EQ(r.rows_written, 500U);
    EXPECT_EQ(r.meta.rows, 500U);
    EXPECT_FALSE(r.order.reversed);
    EXPECT_FALSE(r.validation.has_errors());
    EXPECT_THAT(r.meta.origin, HasSubstr("import in.csv (generic)"));
    const auto v = stored_view();
    EXPECT_EQ(v.close()[499], bars.view().close()[499]);
}

TEST_F(ImportTest, ReversesNewestFirstFiles) {
    const BarSeries bars = synthetic_ohlcv(300, 2);
    const ImportReport r = import(reversed_csv(bars));
    EXPECT_TRUE(r.order.reversed);
    const auto v = stored_view();
    ASSERT_EQ(v.size(), 300U);
    EXPECT_EQ(v.ts()[0], bars.view().ts()[0]);
    EXPECT_EQ(v.open()[299], bars.view().open()[299]);
}

TEST_F(ImportTest, RefusesUnsortedAndDuplicatedTimesWithoutFix) {
    const std::string unsorted =
        "time,open,high,low,close\n2024-01-01T02:00:00Z,1,2,1,2\n2024-01-01T01:00:00Z,1,2,1,2\n"
        "2024-01-01T03:00:00Z,1,2,1,2\n";
    const Exception e = import_error(unsorted);
    EXPECT_EQ(e.code(), ErrorCode::ValidationFailed);
    EXPECT_THAT(e.what(), HasSubstr("in.csv:3: 2024-01-01T01:00:00Z is earlier than"));
    EXPECT_THAT(e.what(), HasSubstr("--fix"));
    EXPECT_FALSE(store_.read_meta(key_).has_value());  // nothing was created

    const std::string dup =
        "time,open,high,low,close\n2024-01-01T01:00:00Z,1,2,1,2\n2024-01-01T01:00:00Z,1,2,1,1.5\n";
    EXPECT_THAT(import_error(dup).what(),
                HasSubstr("in.csv:3: 2024-01-01T01:00:00Z repeats line 2"));

    ImportOptions fix;
    fix.fix = true;
    const ImportReport r = import(unsorted + "2024-01-01T03:00:00Z,1,2,1,1.5\n", fix);
    EXPECT_EQ(r.meta.rows, 3U);
    EXPECT_EQ(r.fix.duplicates, 1U);
    const auto v = stored_view();
    EXPECT_EQ(v.ts()[0], Timestamp("2024-01-01T01:00:00Z").ns());
    EXPECT_EQ(v.close()[2], 1.5);  // the last copy of 03:00 was kept
}

TEST_F(ImportTest, NewestFirstDuplicatesKeepTheCopyNearestTheTop) {
    // The CryptoDataDownload pattern: newest first, each duplicated hour written twice in a row.
    const std::string csv =
        "time,open,high,low,close\n2024-01-01T02:00:00Z,1,2,1,2\n2024-01-01T01:00:00Z,1,2,1,1.25\n"
        "2024-01-01T01:00:00Z,1,2,1,1.3\n2024-01-01T00:00:00Z,1,2,1,2\n";
    ImportOptions fix;
    fix.fix = true;
    const ImportReport r = import(csv, fix);
    EXPECT_TRUE(r.order.reversed);
    EXPECT_EQ(r.meta.rows, 3U);
    EXPECT_EQ(stored_view().close()[1], 1.25);
}

TEST_F(ImportTest, AppendsOnlyNewRowsAndCanReplace) {
    const BarSeries bars = synthetic_ohlcv(100, 3);
    import(to_csv(bars.view().slice(0, 60)));
    const ImportReport r = import(to_csv(bars));  // an updated file holding the old rows too
    EXPECT_EQ(r.already_stored, 60U);
    EXPECT_EQ(r.rows_written, 40U);
    EXPECT_EQ(r.meta.rows, 100U);
    EXPECT_EQ(r.meta.version, 2U);

    ImportOptions replace;
    replace.mode = ImportMode::Replace;
    EXPECT_EQ(import(to_csv(bars.view().slice(0, 10)), replace).meta.rows, 10U);
}

TEST_F(ImportTest, AFailedImportLosesNothing) {
    const BarSeries bars = synthetic_ohlcv(100, 4);
    import(to_csv(bars.view().slice(0, 50)));
    std::string bad = to_csv(bars.view().slice(50, 50));
    bad += "2030-01-01T00:00:00Z,1,2,oops,1,1\n";
    const Exception e = import_error(bad);
    EXPECT_EQ(e.code(), ErrorCode::ParseError);
    EXPECT_THAT(e.what(), HasSubstr("in.csv:52: 'low' is not a number: 'oops'"));
    const auto v = stored_view();
    ASSERT_EQ(v.size(), 50U);
    EXPECT_EQ(v.close()[49], bars.view().close()[49]);
    EXPECT_TRUE(snapshot_->verify().has_value());
}

TEST_F(ImportTest, EmptyAndHeaderOnlyFilesAreErrors) {
    EXPECT_THAT(import_error("").what(), HasSubstr("is empty"));
    EXPECT_THAT(import_error("time,open,high,low,close\n").what(), HasSubstr("has no data rows"));
    EXPECT_THAT(import_error("time,open,high,low,close\n2024-01-01,null,null,null,null\n").what(),
                HasSubstr("1 without prices"));
}

TEST_F(ImportTest, SuspiciousBarsAreReportedAndFixDropsThem) {
    const std::string csv =
        "time,open,high,low,close\n2024-01-01T00:00:00Z,0,2,1,2\n2024-01-01T01:00:00Z,1,2,1,2\n"
        "2024-01-01T05:00:00Z,1,0.5,1,2\n";
    const ImportReport r = import(csv);
    EXPECT_EQ(r.meta.rows, 3U);
    EXPECT_EQ(r.validation.count(Issue::NonPositivePrice), 1U);
    EXPECT_EQ(r.validation.count(Issue::OhlcInconsistent), 2U);  // open 0 is below low too
    EXPECT_EQ(r.validation.count(Issue::Gap), 1U);

    ImportOptions fix;
    fix.fix = true;
    fix.mode = ImportMode::Replace;
    const ImportReport fixed = import(csv, fix);
    EXPECT_EQ(fixed.meta.rows, 1U);
    EXPECT_EQ(fixed.fix.invalid, 2U);
}

TEST_F(ImportTest, SkipModeImportsTheGoodRows) {
    ImportOptions options;
    options.csv.on_error = OnError::Skip;
    const ImportReport r = import(
        "time,open,high,low,close\n2024-01-01T00:00:00Z,1,2,1,2\n2024-01-01T01:00:00Z,1,x,1,2\n"
        "2024-01-01T02:00:00Z,1,2,1,2\n",
        options);
    EXPECT_EQ(r.meta.rows, 2U);
    EXPECT_EQ(r.csv.rejected, 1U);
}

TEST_F(ImportTest, ALockedSeriesIsRefused) {
    SeriesWriter held = SeriesWriter::open(store_, key_, SeriesWriter::Mode::Append).value();
    EXPECT_EQ(import_error(to_csv(synthetic_ohlcv(5, 5))).code(), ErrorCode::Locked);
}

}  // namespace
}  // namespace tradpal::data

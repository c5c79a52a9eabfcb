// SPDX-License-Identifier: Apache-2.0
#include <tuple>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <tradpal/data/csv.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::data {
namespace {

using ::testing::HasSubstr;

CsvReader reader_for(std::string text, CsvOptions options = {}) {
    return CsvReader::from_string(std::move(text), options, "t.csv").value();
}

BarSeries read_all(CsvReader& reader) {
    BarSeries all;
    BarSeries batch;
    while (reader.read_batch(batch).value() > 0) {
        all.append(batch);
    }
    return all;
}

// The error of reading the whole text (open or read); fails the test when there is none.
Error read_error(std::string text, CsvOptions options = {}) {
    auto reader = CsvReader::from_string(std::move(text), options, "t.csv");
    if (!reader) {
        return reader.error();
    }
    BarSeries batch;
    for (;;) {
        auto n = reader->read_batch(batch);
        if (!n) {
            return n.error();
        }
        if (*n == 0) {
            ADD_FAILURE() << "expected an error";
            return {};
        }
    }
}

TEST(CsvReader, ReadsAGenericFileByHeaderNames) {
    CsvReader r = reader_for(
        "Date,Open,High,Low,Close,Volume\n"
        "2024-01-01,1,2,0.5,1.5,100\n"
        "2024-01-02,1.5,2.5,1,2,200\n");
    const BarSeries s = read_all(r);
    ASSERT_EQ(s.size(), 2U);
    EXPECT_EQ(s.bar(0).ts, Timestamp("2024-01-01"));
    EXPECT_EQ(s.bar(1).close, 2.0);
    EXPECT_EQ(s.bar(1).volume, 200.0);
    EXPECT_EQ(r.layout().format, CsvFormat::Generic);
    EXPECT_EQ(r.stats().rows, 2U);
}

TEST(CsvReader, MapsAliasesInAnyOrderAndPrefersUnixTimes) {
    // btc-usd-daily order: timestamp,open,close,volume,unix_timestamp,high,low
    CsvReader r = reader_for(
        "timestamp,open,close,volume,unix_timestamp,high,low\n"
        "2011-08-19 00:00:00,10.9,11.69,1.92,1313712000,11.85,10.9\n");
    const Bar b = read_all(r).bar(0);
    EXPECT_EQ(b.ts, Timestamp("2011-08-19"));
    EXPECT_EQ(b.open, 10.9);
    EXPECT_EQ(b.high, 11.85);
    EXPECT_EQ(b.low, 10.9);
    EXPECT_EQ(b.close, 11.69);
    EXPECT_EQ(b.volume, 1.92);
}

TEST(CsvReader, DetectsOtherDelimiters) {
    CsvReader semi = reader_for("time;o;h;l;c;vol\n1700000000;1;2;1;2;3\n");
    EXPECT_EQ(semi.layout().delimiter, ';');
    EXPECT_EQ(read_all(semi).bar(0).volume, 3.0);
    CsvReader tab = reader_for("time\topen\thigh\tlow\tclose\n1700000000\t1\t2\t1\t2\n");
    EXPECT_EQ(read_all(tab).bar(0).high, 2.0);
}

TEST(CsvReader, ReadsKaggleBitstampAndSkipsNanMinutes) {
    CsvReader r = reader_for(
        "Timestamp,Open,High,Low,Close,Volume_(BTC),Volume_(Currency),Weighted_Price\n"
        "1325317920,4.39,4.39,4.39,4.39,0.455,2.0,4.39\n"
        "1325317980,NaN,NaN,NaN,NaN,NaN,NaN,NaN\n"
        "1325318040,4.39,4.40,4.38,4.40,1.5,6.6,4.39\n");
    const BarSeries s = read_all(r);
    EXPECT_EQ(r.layout().format, CsvFormat::Kaggle);
    ASSERT_EQ(s.size(), 2U);
    EXPECT_EQ(s.bar(0).volume, 0.455);
    EXPECT_EQ(s.bar(1).ts, Timestamp::from_seconds(1325318040));
    EXPECT_EQ(r.stats().empty_rows, 1U);
    ASSERT_EQ(r.stats().examples.size(), 1U);
    EXPECT_EQ(r.stats().examples[0].line, 3U);
}

TEST(CsvReader, ReadsYahooSkipsNullRowsAndCanAdjust) {
    const std::string text =
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "1981-08-07,10,12,9,11,5.5,100\n"
        "1981-08-10,null,null,null,null,null,null\n"
        "1981-08-11,11,13,10,12,6,200\n";
    CsvReader raw = reader_for(text);
    const BarSeries s = read_all(raw);
    EXPECT_EQ(raw.layout().format, CsvFormat::Yahoo);
    ASSERT_EQ(s.size(), 2U);
    EXPECT_EQ(s.bar(0).close, 11.0);
    EXPECT_EQ(raw.stats().empty_rows, 1U);

    CsvOptions adjust;
    adjust.adjust = true;
    CsvReader adj = reader_for(text, adjust);
    const Bar b = read_all(adj).bar(0);
    EXPECT_DOUBLE_EQ(b.close, 5.5);
    EXPECT_DOUBLE_EQ(b.open, 5.0);
    EXPECT_DOUBLE_EQ(b.high, 6.0);
    EXPECT_EQ(b.volume, 100.0);
}

TEST(CsvReader, ScalesPricesButNotVolume) {
    CsvOptions options;
    options.price_scale = 0.0001;
    CsvReader r = reader_for("19980102 00:00,973100,975300,965300,973600,2150000\n", options);
    const Bar b = read_all(r).bar(0);
    EXPECT_EQ(b.ts, Timestamp("1998-01-02"));
    EXPECT_DOUBLE_EQ(b.open, 97.31);
    EXPECT_DOUBLE_EQ(b.close, 97.36);
    EXPECT_EQ(b.volume, 2150000.0);
    options.price_scale = 0;
    EXPECT_FALSE(CsvReader::from_string("t,o,h,l,c\n", options).has_value());
}

TEST(CsvReader, MapsYahooColumnsByNameWhenVolumeAndAdjCloseAreSwapped) {
    CsvReader r = reader_for(
        "Date,Open,High,Low,Close,Volume,Adj Close\n1997-01-02,51,52,50,51.5,123,16.2\n");
    const Bar b = read_all(r).bar(0);
    EXPECT_EQ(b.volume, 123.0);
    EXPECT_EQ(b.close, 51.5);
}

TEST(CsvReader, ReadsCryptoDataDownloadWithBannerAndMixedEpochs) {
    CsvReader r = reader_for(
        "https://www.CryptoDataDownload.com\n"
        "unix,date,symbol,open,high,low,close,Volume BTC,Volume USDT,tradecount\n"
        "1596326400000,2020-08-02 00:00:00,BTC/USDT,11800,11900,11700,11850,100,1180000,5000\n"
        "1596322800.0,2020-08-01 11-PM,BTC/USDT,11801.17,11850,11750,11800,2194.6,25000000,NULL\n");
    const BarSeries s = read_all(r);
    EXPECT_EQ(r.layout().format, CsvFormat::CryptoDataDownload);
    EXPECT_EQ(r.layout().banner_lines, 1U);
    ASSERT_EQ(s.size(), 2U);
    EXPECT_EQ(s.bar(0).ts, Timestamp::from_seconds(1596326400));
    EXPECT_EQ(s.bar(1).ts, Timestamp::from_seconds(1596322800));
    EXPECT_EQ(s.bar(0).volume, 100.0);  // the base-asset volume column
}

TEST(CsvReader, ReadsHeaderlessBinanceKlines) {
    CsvReader r = reader_for(
        "1706630400000,43300.1,43350,43250.5,43310,12.5,1706633999999,541000,900,6,260000,0\n");
    const BarSeries s = read_all(r);
    EXPECT_EQ(r.layout().format, CsvFormat::Binance);
    EXPECT_FALSE(r.layout().header);
    ASSERT_EQ(s.size(), 1U);
    EXPECT_EQ(s.bar(0).ts, Timestamp("2024-01-30T16:00:00Z"));
    EXPECT_EQ(s.bar(0).volume, 12.5);
}

TEST(CsvReader, ReadsHeaderlessFilesByPosition) {
    CsvReader r = reader_for("1672531200,16535.97,16535.97,16522.66,16522.66,0.01429883,2\n");
    const Bar b = read_all(r).bar(0);
    EXPECT_EQ(r.layout().format, CsvFormat::Generic);
    EXPECT_EQ(b.low, 16522.66);
    EXPECT_EQ(b.volume, 0.01429883);
}

TEST(CsvReader, ReadsPandasIndexColumnsAndFilesWithoutVolume) {
    CsvReader pandas =
        reader_for(",Open,High,Low,Close,Volume\n2004-08-19,100,104.06,95.96,100.34,22351900\n");
    EXPECT_EQ(read_all(pandas).bar(0).ts, Timestamp("2004-08-19"));
    CsvReader fx =
        reader_for("timestamp,open,high,low,close\n2012-02-01 00:00:00+00:00,1.5,1.6,1.4,1.55\n");
    EXPECT_EQ(read_all(fx).bar(0).volume, 0.0);
    EXPECT_THAT(fx.stats().notes, ::testing::Contains(HasSubstr("no volume column")));
}

TEST(CsvReader, HonoursColumnOverrides) {
    CsvOptions options;
    options.columns[BarField::Time] = "when";
    options.columns[BarField::Volume] = "6";
    CsvReader r =
        reader_for("when,open,high,low,close,qty,other\n2024-01-01,1,2,1,2,7,9\n", options);
    const Bar b = read_all(r).bar(0);
    EXPECT_EQ(b.volume, 9.0);

    options.columns[BarField::Volume] = "missing";
    auto bad = CsvReader::from_string("when,open,high,low,close\n", options, "t.csv");
    ASSERT_FALSE(bad.has_value());
    EXPECT_THAT(bad.error().message, HasSubstr("no column named 'missing'"));
}

TEST(CsvReader, HandlesBomCrlfQuotesAndNoTrailingNewline) {
    CsvReader r = reader_for(
        "\xEF\xBB\xBFtime,open,high,low,close,volume\r\n"
        "2024-01-01T00:00:00Z,\"1\",2, 0.5 ,+1.5,10\r\n"
        "2024-01-01T01:00:00Z,1,2,0.5,1.5,11");
    const BarSeries s = read_all(r);
    ASSERT_EQ(s.size(), 2U);
    EXPECT_EQ(s.bar(0).open, 1.0);
    EXPECT_EQ(s.bar(0).low, 0.5);
    EXPECT_EQ(s.bar(0).close, 1.5);
    EXPECT_EQ(s.bar(1).volume, 11.0);
}

TEST(CsvReader, ReturnsRowsInBatchesWithLineNumbers) {
    CsvOptions options;
    options.block_bytes = 1;  // one line per block
    options.threads = 1;      // four blocks per thread: four lines per batch
    CsvReader r =
        reader_for("t,o,h,l,c\n1,1,1,1,1\n\n2,1,1,1,1\n3,1,1,1,1\n\n\n\n\n\n4,1,1,1,1\n", options);
    BarSeries batch;
    std::vector<std::uint64_t> lines;
    EXPECT_EQ(r.read_batch(batch, &lines).value(), 3U);
    EXPECT_EQ(lines, (std::vector<std::uint64_t>{2, 4, 5}));
    EXPECT_EQ(r.read_batch(batch, &lines).value(), 1U);  // past the blank lines
    EXPECT_EQ(lines, (std::vector<std::uint64_t>{11}));
    EXPECT_EQ(r.stats().lines, 11U);
    EXPECT_EQ(r.read_batch(batch, &lines).value(), 0U);
}

TEST(CsvReader, ParallelBlocksGiveTheSameRowsLinesAndProblems) {
    std::string text = "time,open,high,low,close,volume\n";
    const BarSeries bars = data_testing::synthetic_ohlcv(3000, 7);
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const Bar b = bars.bar(i);
        if (i % 500 == 17) {
            text += "\n";  // blank lines do not count as rows
        }
        if (i % 700 == 3) {
            text += format_iso(b.ts) + ",null,null,null,null,null\n";  // an empty row
            continue;
        }
        if (i % 900 == 5) {
            text += format_iso(b.ts) + ",1,x,1,1,1\n";  // a bad row
            continue;
        }
        text += fmt::format("{},{},{},{},{},{}\n", format_iso(b.ts), b.open, b.high, b.low, b.close,
                            b.volume);
    }
    const auto read = [&](int threads, std::size_t block_bytes) {
        CsvOptions options;
        options.on_error = OnError::Skip;
        options.threads = threads;
        options.block_bytes = block_bytes;
        options.max_examples = 100;
        CsvReader r = reader_for(text, options);
        BarSeries all;
        std::vector<std::uint64_t> all_lines;
        BarSeries batch;
        std::vector<std::uint64_t> lines;
        while (r.read_batch(batch, &lines).value() > 0) {
            all.append(batch);
            all_lines.insert(all_lines.end(), lines.begin(), lines.end());
        }
        return std::tuple(std::move(all), std::move(all_lines), r.stats());
    };
    const auto [one, one_lines, one_stats] = read(1, std::size_t{1} << 20);
    const auto [many, many_lines, many_stats] = read(4, 97);
    ASSERT_EQ(one.size(), many.size());
    EXPECT_EQ(one.view().ts()[one.size() - 1], many.view().ts()[many.size() - 1]);
    EXPECT_EQ(one_lines, many_lines);
    EXPECT_EQ(one_stats.lines, many_stats.lines);
    EXPECT_EQ(one_stats.empty_rows, 5U);
    EXPECT_EQ(many_stats.empty_rows, 5U);
    EXPECT_EQ(one_stats.rejected, many_stats.rejected);
    ASSERT_EQ(one_stats.examples.size(), many_stats.examples.size());
    for (std::size_t i = 0; i < one_stats.examples.size(); ++i) {
        EXPECT_EQ(one_stats.examples[i].line, many_stats.examples[i].line);
    }
    for (std::size_t i = 0; i < one.size(); ++i) {
        ASSERT_EQ(one.view().close()[i], many.view().close()[i]);
    }
}

TEST(CsvReader, TheFirstBadRowIsReportedWhateverTheBlocks) {
    std::string text = "t,o,h,l,c\n";
    for (int i = 1; i <= 2000; ++i) {
        text += i == 1500 || i == 1900 ? "x,1,1,1,1\n" : fmt::format("{},1,1,1,1\n", i);
    }
    CsvOptions options;
    options.threads = 4;
    options.block_bytes = 64;
    const Error e = read_error(text, options);
    EXPECT_THAT(e.message, HasSubstr("t.csv:1501: 'x' in column 'time' is not a time"));
}

TEST(CsvReader, ReadsGzipFiles) {
    data_testing::TempDir dir;
    const auto path = dir.path() / "bars.csv.gz";
    gzFile gz = gzopen(path.c_str(), "wb");
    const std::string text = "time,open,high,low,close\n2024-01-01,1,2,1,2\n";
    gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
    gzclose(gz);
    CsvReader r = CsvReader::open(path, {}).value();
    EXPECT_EQ(read_all(r).size(), 1U);
}

// ---- bad input: every error names the file and line

TEST(CsvReaderBadInput, EmptyFile) {
    const Error e = read_error("");
    EXPECT_EQ(e.code, ErrorCode::ParseError);
    EXPECT_THAT(e.message, HasSubstr("t.csv is empty"));
}

TEST(CsvReaderBadInput, HeaderOnlyGivesNoRows) {
    CsvReader r = reader_for("time,open,high,low,close\n");
    BarSeries batch;
    EXPECT_EQ(r.read_batch(batch).value(), 0U);
}

TEST(CsvReaderBadInput, WrongColumnCount) {
    const Error more = read_error("t,o,h,l,c\n1,1,1,1,1\n2,1,1,1,1,9\n");
    EXPECT_EQ(more.code, ErrorCode::ParseError);
    EXPECT_THAT(more.message, HasSubstr("t.csv:3: expected 5 fields, found 6"));
    const Error fewer = read_error("t,o,h,l,c\n1,1,1,1\n");
    EXPECT_THAT(fewer.message, HasSubstr("t.csv:2: expected 5 fields, found 4"));
}

TEST(CsvReaderBadInput, NonNumericAndEmptyFields) {
    EXPECT_THAT(read_error("t,o,h,l,c\n1,1,abc,1,1\n").message,
                HasSubstr("t.csv:2: 'high' is not a number: 'abc'"));
    EXPECT_THAT(read_error("t,o,h,l,c\n1,1,,1,1\n").message,
                HasSubstr("t.csv:2: 'high' is missing"));
    EXPECT_THAT(read_error("t,o,h,l,c\n1,1,1e999,1,1\n").message,
                HasSubstr("t.csv:2: 'high' is not finite: '1e999'"));
}

TEST(CsvReaderBadInput, NanAndInfinity) {
    EXPECT_THAT(read_error("t,o,h,l,c\n1,1,NaN,1,1\n").message,
                HasSubstr("t.csv:2: 'high' is missing"));
    EXPECT_THAT(read_error("t,o,h,l,c\n1,1,inf,1,1\n").message,
                HasSubstr("t.csv:2: 'high' is not finite"));
    EXPECT_THAT(read_error("t,o,h,l,c,v\n1,1,1,1,1,-inf\n").message, HasSubstr("t.csv:2:"));
}

TEST(CsvReaderBadInput, NegativePricesAndVolumes) {
    EXPECT_THAT(read_error("t,o,h,l,c\n1,1,1,-1,1\n").message,
                HasSubstr("t.csv:2: negative price in 'low'"));
    EXPECT_THAT(read_error("t,o,h,l,c,v\n1,1,1,1,1,-5\n").message,
                HasSubstr("t.csv:2: negative volume"));
}

TEST(CsvReaderBadInput, BadTimes) {
    EXPECT_THAT(read_error("t,o,h,l,c\n2024-02-30,1,1,1,1\n").message,
                HasSubstr("t.csv:2: '2024-02-30' in column 'time' is not a time"));
}

TEST(CsvReaderBadInput, TruncatedLastLine) {
    const Error e = read_error("t,o,h,l,c\n1,1,1,1,1\n2,1,1");
    EXPECT_THAT(e.message, HasSubstr("t.csv:3: expected 5 fields, found 3"));
    EXPECT_THAT(e.message, HasSubstr("truncated"));
}

TEST(CsvReaderBadInput, MissingRequiredColumn) {
    auto r = CsvReader::from_string("time,open,high,close\n2024-01-01,1,1,1\n", {}, "t.csv");
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().message, HasSubstr("no 'low' column"));
}

TEST(CsvReaderBadInput, DirectoryAndMissingPath) {
    data_testing::TempDir dir;
    auto d = CsvReader::open(dir.path(), {});
    ASSERT_FALSE(d.has_value());
    EXPECT_THAT(d.error().message, HasSubstr("is a directory"));
    auto m = CsvReader::open(dir.path() / "nope.csv", {});
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().code, ErrorCode::NotFound);
}

TEST(CsvReaderBadInput, OverlongLines) {
    const Error e = read_error("t,o,h,l,c\n" + std::string(2 << 20, '1') + "\n");
    EXPECT_THAT(e.message, HasSubstr("longer than 1 MiB"));
}

TEST(CsvReaderBadInput, SkipModeCountsAndKeepsExamples) {
    CsvOptions options;
    options.on_error = OnError::Skip;
    CsvReader r = reader_for("t,o,h,l,c\n1,1,1,1,1\n2,x,1,1,1\n3,1,1,1\n4,1,1,1,1\n", options);
    EXPECT_EQ(read_all(r).size(), 2U);
    EXPECT_EQ(r.stats().rejected, 2U);
    ASSERT_EQ(r.stats().examples.size(), 2U);
    EXPECT_EQ(r.stats().examples[0].line, 3U);
    EXPECT_EQ(r.stats().examples[1].line, 4U);
}

TEST(CsvReaderBadInput, ForcedFormatMustFit) {
    CsvOptions options;
    options.format = CsvFormat::Yahoo;
    auto r = CsvReader::from_string("1,1,1,1,1\n", options, "t.csv");
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().message, HasSubstr("expects a header"));
}

TEST(CsvFormat, NamesRoundTrip) {
    for (CsvFormat f : {CsvFormat::Auto, CsvFormat::Generic, CsvFormat::Kaggle, CsvFormat::Yahoo,
                        CsvFormat::CryptoDataDownload, CsvFormat::Binance}) {
        EXPECT_EQ(parse_csv_format(to_string(f)).value(), f);
    }
    EXPECT_FALSE(parse_csv_format("excel").has_value());
    EXPECT_EQ(parse_bar_field("adj_close").value(), BarField::AdjClose);
}

}  // namespace
}  // namespace tradpal::data

namespace tradpal::data {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kHeader = "timestamp,open,high,low,close,volume\n";

TEST(ReadBarsCsv, PutsANewestFirstFileInTimeOrder) {
    data_testing::TempDir dir("read_bars");
    const auto path = dir.write("b.csv", std::string(kHeader) +
                                             "2024-01-03,3,3,3,3,30\n"
                                             "2024-01-02,2,2,2,2,20\n"
                                             "2024-01-01,1,1,1,1,10\n");
    auto bars = read_bars_csv(path);
    ASSERT_TRUE(bars.has_value()) << bars.error().message;
    const auto view = bars->view();
    ASSERT_EQ(view.size(), 3U);
    EXPECT_LT(view.ts()[0], view.ts()[1]);
    EXPECT_EQ(view.close()[0], 1.0);
    EXPECT_EQ(view.volume()[2], 30.0);
}

TEST(ReadBarsCsv, RepeatedTimeNamesTheLine) {
    data_testing::TempDir dir("read_bars");
    const auto path = dir.write("b.csv", std::string(kHeader) +
                                             "2024-01-01,1,1,1,1,10\n"
                                             "2024-01-02,2,2,2,2,20\n"
                                             "2024-01-02,2,2,2,2,20\n");
    auto bars = read_bars_csv(path);
    ASSERT_FALSE(bars.has_value());
    EXPECT_EQ(bars.error().code, ErrorCode::ValidationFailed);
    EXPECT_THAT(bars.error().message, HasSubstr(":4: time 2024-01-02"));
    EXPECT_THAT(bars.error().message, HasSubstr("repeats"));
}

TEST(ReadBarsCsv, UnsortedTimeIsAnError) {
    data_testing::TempDir dir("read_bars");
    const auto path = dir.write("b.csv", std::string(kHeader) +
                                             "2024-01-01,1,1,1,1,10\n"
                                             "2024-01-03,2,2,2,2,20\n"
                                             "2024-01-02,2,2,2,2,20\n");
    auto bars = read_bars_csv(path);
    ASSERT_FALSE(bars.has_value());
    EXPECT_THAT(bars.error().message, HasSubstr("is earlier than"));
}

TEST(ReadBarsCsv, RowWithoutPricesIsAnError) {
    data_testing::TempDir dir("read_bars");
    const auto path = dir.write("b.csv", std::string(kHeader) +
                                             "2024-01-01,1,1,1,1,10\n"
                                             "2024-01-02,,,,,\n");
    auto bars = read_bars_csv(path);
    ASSERT_FALSE(bars.has_value());
    EXPECT_THAT(bars.error().message, HasSubstr("have no prices"));
}

TEST(ReadBarsCsv, MissingFileIsAnError) {
    auto bars = read_bars_csv("/nonexistent/bars.csv");
    ASSERT_FALSE(bars.has_value());
}

}  // namespace
}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
// Imports every CSV dataset of ../shared/data and checks rows and time range against each
// dataset's SOURCE.md (after the fixes the SOURCE.md documents: newest-first files are reversed,
// duplicated times need --fix). Skips when ../shared is absent.
#include <cmath>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/backtest/report.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/core/output.hpp>
#include <tradpal/data/import.hpp>
#include <tradpal/data/validate.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal {
namespace {

struct Dataset {
    const char* path;  // under data/
    const char* timeframe;
    std::uint64_t rows;  // after the documented fixes
    const char* first;
    const char* last;
    bool fix = false;  // duplicated times (SOURCE.md: "rows to clean")
    double price_scale = 1.0;
    bool zipped = false;  // LEAN zip: read through `unzip -p`
};

void PrintTo(const Dataset& d, std::ostream* os) {
    *os << d.path;
}

// clang-format off
const Dataset kDatasets[] = {
    {"backtesting-py/BTCUSD.csv", "1M", 156, "2012-01-31", "2024-12-31"},
    {"backtesting-py/EURUSD.csv", "1h", 5'000, "2017-04-19 09:00", "2018-02-07 15:00"},
    {"backtesting-py/GOOG.csv", "1d", 2'148, "2004-08-19", "2013-03-01"},
    {"btc-1m-binanceus-2023-03/binance/BTCUSDT_1m_20230301_20230321.csv", "1m", 30'240, "2023-03-01 00:00", "2023-03-21 23:59"},
    {"btc-1m-binanceus-2023-03/binance/BTCUSDC_1m_20230301_20230321.csv", "1m", 30'240, "2023-03-01 00:00", "2023-03-21 23:59"},
    {"btc-1m-binanceus-2023-03/kraken/BTCUSDC_1m_20230301_20230321.csv", "1m", 56'717, "2023-01-01 00:00", "2023-03-31 23:59"},
    {"btc-bitstamp-1h/Bitstamp_BTCUSD_1h.csv", "1h", 37'387, "2018-05-15 06:00", "2022-08-20 00:00"},
    {"btc-bitstamp-1h/Bitstamp_BTCUSD_d.csv", "1d", 2'823, "2014-11-28", "2022-08-20"},
    {"btc-usd-daily-2011-2025/BTCUSD_1d_candles_full.csv", "1d", 5'152, "2011-08-18", "2025-09-24"},
    {"btc-usd-daily-2011-2025/BTCUSD_1w_candles_full.csv", "1w", 737, "2011-08-21", "2025-09-28"},
    {"btc-usd-daily-2011-2025/BTCUSD_5m_candles_2011.csv", "5m", 39'017, "2011-08-18 12:35", "2011-12-31 23:55"},
    {"crypto-binance-1h/Binance_ADAUSDT_1h.csv", "1h", 7'478, "2020-08-01 23:00", "2021-06-10 00:00"},
    {"crypto-binance-1h/Binance_BNBUSDT_1h.csv", "1h", 7'478, "2020-08-01 23:00", "2021-06-10 00:00"},
    {"crypto-binance-1h/Binance_BNBUSDT_d.csv", "1d", 1'272, "2017-12-18", "2021-06-11"},
    {"crypto-binance-1h/Binance_BTCUSDT_1h.csv", "1h", 33'413, "2017-08-17 04:00", "2021-06-10 00:00", true},
    {"crypto-binance-1h/Binance_ETHUSDT_1h.csv", "1h", 33'413, "2017-08-17 04:00", "2021-06-10 00:00", true},
    {"crypto-binance-1h/Binance_BTCUSDT_d.csv", "1d", 1'395, "2017-08-17", "2021-06-11", true},
    {"crypto-gemini-binancefut-1h/gemini_BTCUSD_1hr.csv", "1h", 45'825, "2015-10-08 13:00", "2020-12-30 00:00"},
    {"crypto-gemini-binancefut-1h/BTCUSDT_Binance_futures_data_hour.csv", "1h", 3'599, "2020-08-02 02:00", "2020-12-30 00:00"},
    {"crypto-gemini-binancefut-1h/ETHUSDT_Binance_futures_data_hour.csv", "1h", 3'599, "2020-08-02 02:00", "2020-12-30 00:00"},
    {"crypto-gemini-binancefut-1h/BTCUSDT_Binance_futures_data_day.csv", "1d", 480, "2019-09-08", "2020-12-30"},
    {"crypto-gemini-binancefut-1h/ETHUSDT_Binance_futures_data_day.csv", "1d", 400, "2019-11-27", "2020-12-30"},
    {"crypto-gemini-binancefut-1h/Binance_ETCBTC_1h.csv", "1h", 27'783, "2017-09-22 19:00", "2020-12-30 00:00"},
    {"crypto-gemini-binancefut-1h/Binance_ETHUSDT_d.csv", "1d", 1'232, "2017-08-17", "2020-12-30", true},
    {"nautilus-1m/btc-perp-20211231-20220201_1m.csv", "1m", 45'031, "2021-12-31 23:01", "2022-02-01 05:31"},
    {"nautilus-1m/gbpusd-m1-bid-2012.csv", "1m", 30'117, "2012-02-01 00:00", "2012-03-01 00:00"},
    {"nautilus-1m/gbpusd-m1-ask-2012.csv", "1m", 30'117, "2012-02-01 00:00", "2012-03-01 00:00"},
    {"nautilus-1m/usdjpy-m1-bid-2013.csv", "1m", 28'761, "2013-02-01 00:00", "2013-03-01 00:00"},
    {"nautilus-1m/usdjpy-m1-ask-2013.csv", "1m", 28'761, "2013-02-01 00:00", "2013-03-01 00:00"},
    {"nautilus-1m/6EH4.XCME_1min_bars_20240101_20240131.csv.gz", "1m", 29'996, "2024-01-01 23:01", "2024-01-31 23:59"},
    {"us-equities-daily-backtrader/orcl-1995-2014.txt", "1d", 5'036, "1995-01-03", "2014-12-31"},
    {"us-equities-daily-backtrader/yhoo-1996-2015.txt", "1d", 4'965, "1996-04-12", "2015-12-31"},
    {"us-equities-daily-backtrader/nvda-1999-2014.txt", "1d", 4'012, "1999-01-22", "2014-12-31"},
    {"us-equities-daily-backtrader/daily-KO.csv", "1d", 356, "1997-01-02", "1998-06-01"},
    {"us-equities-daily-backtrader/daily-PEP.csv", "1d", 356, "1997-01-02", "1998-06-01"},
    {"us-equities-daily-mplfinance/yahoofinance-SPY-20080101-20180101.csv", "1d", 2'519, "2007-12-31", "2017-12-29"},
    {"us-equities-daily-mplfinance/yahoofinance-AAPL-20040819-20180120.csv", "1d", 3'379, "2004-08-19", "2018-01-19"},
    {"us-equities-daily-mplfinance/yahoofinance-GOOG-20040819-20180120.csv", "1d", 3'379, "2004-08-19", "2018-01-19"},
    {"us-equities-daily-mplfinance/yahoofinance-INTC-19950101-20040412.csv", "1d", 2'335, "1995-01-03", "2004-04-08"},
    {"us-equities-daily-yahoo-1980-2020/MSFT.csv", "1d", 8'761, "1986-03-13", "2020-12-11"},
    {"us-equities-daily-yahoo-1980-2020/AAPL.csv", "1d", 10'086, "1980-12-12", "2020-12-11"},  // one all-null row
    {"us-equities-daily-yahoo-1980-2020/AMZN.csv", "1d", 5'935, "1997-05-15", "2020-12-11"},
    {"us-equities-daily-yahoo-1980-2020/NVDA.csv", "1d", 5'510, "1999-01-22", "2020-12-11"},
    {"us-equities-daily-yahoo-1980-2020/INTC.csv", "1d", 10'275, "1980-03-17", "2020-12-11"},
    {"us-equities-daily-yahoo-1980-2020/JPM.csv", "1d", 10'275, "1980-03-17", "2020-12-11"},
    {"us-equities-daily-yahoo-1980-2020/IBM.csv", "1d", 14'840, "1962-01-02", "2020-12-11"},
    {"us-equities-daily-yahoo-1980-2020/XOM.csv", "1d", 14'840, "1962-01-02", "2020-12-11"},
    {"us-equities-daily-yahoo-1980-2020/KO.csv", "1d", 14'840, "1962-01-02", "2020-12-11"},
    {"us-equities-daily-yahoo-1980-2020/GE.csv", "1d", 14'840, "1962-01-02", "2020-12-11"},
    {"us-equities-daily-yahoo-1980-2020/QQQ.csv", "1d", 5'478, "1999-03-10", "2020-12-11"},
    {"us-equities-daily-yahoo-1980-2020/TLT.csv", "1d", 4'627, "2002-07-30", "2020-12-11"},
    {"lean-sample/equity/usa/daily/spy.zip", "1d", 5'849, "1998-01-02", "2021-03-31", false, 1e-4, true},
    {"lean-sample/equity/usa/daily/aapl.zip", "1d", 5'849, "1998-01-02", "2021-03-31", false, 1e-4, true},
    {"lean-sample/equity/usa/daily/ibm.zip", "1d", 5'849, "1998-01-02", "2021-03-31", false, 1e-4, true},
    {"lean-sample/equity/usa/daily/iwm.zip", "1d", 5'244, "2000-05-26", "2021-03-31", false, 1e-4, true},
    {"lean-sample/equity/usa/daily/qqq.zip", "1d", 3'964, "1999-03-10", "2021-03-31", false, 1e-4, true},
    {"lean-sample/crypto/coinbase/daily/btcusd_trade.zip", "1d", 1'318, "2014-12-01", "2018-08-13", false, 1.0, true},
    {"lean-sample/crypto/bitfinex/hour/btcusd_trade.zip", "1h", 733, "2013-10-01 00:00", "2013-10-31 21:00", false, 1.0, true},
    {"lean-sample/crypto/binance/hour/btcusdt_trade.zip", "1h", 120, "2018-05-01 00:00", "2018-05-05 23:00", false, 1.0, true},
};
// clang-format on
// Not imported: LEAN equity hourly files (New York local times need a time-zone database) and
// LEAN crypto minute files (milliseconds since midnight, the date only in the file name).

class SharedDatasets : public ::testing::TestWithParam<Dataset> {
protected:
    /// Imports the dataset into a fresh store under dir_ as csv/X/<timeframe>, the way its
    /// SOURCE.md says; nullopt (with the reason in skip_) when it cannot run here.
    std::optional<data::ImportReport> import() {
        const auto shared = data_testing::shared_dir();
        if (!shared) {
            skip_ = "../shared is absent";
            return std::nullopt;
        }
        const Dataset& d = GetParam();
        std::filesystem::path file = *shared / "data" / d.path;
        EXPECT_TRUE(std::filesystem::exists(file)) << file;
        if (d.zipped) {
            const auto csv = dir_.path() / "unzipped.csv";
            const std::string cmd =
                fmt::format("unzip -p '{}' > '{}'", file.string(), csv.string());
            if (std::system(cmd.c_str()) != 0) {
                skip_ = "unzip is not installed";
                return std::nullopt;
            }
            file = csv;
        }
        data::ImportOptions options;
        options.fix = d.fix;
        options.csv.price_scale = d.price_scale;
        return data::import_csv(store_, key_, file, options);
    }

    data_testing::TempDir dir_{"tradpal_shared"};
    const data::Store store_{dir_.path() / "store"};
    const data::SeriesKey key_{"csv", "X", Timeframe(GetParam().timeframe)};
    std::string skip_;
};

TEST_P(SharedDatasets, ImportMatchesSourceMd) {
    const auto report = import();
    if (!report) {
        GTEST_SKIP() << skip_;
    }
    const Dataset& d = GetParam();
    const data::ImportReport& r = *report;
    EXPECT_EQ(r.meta.rows, d.rows);
    EXPECT_EQ(r.meta.first, Timestamp(d.first));
    EXPECT_EQ(r.meta.last, Timestamp(d.last));
    EXPECT_EQ(r.csv.rejected, 0U);
    // What is stored is exactly what a reader sees, checksums included.
    const data::StoredSeries s = store_.open(key_).value();
    EXPECT_TRUE(s.verify().has_value());
    EXPECT_EQ(s.view().size(), d.rows);
}

// A backtest with its HTML report on every dataset: the run completes, the final value is cash plus
// the open position at the last close, and the report is written.
TEST_P(SharedDatasets, BacktestAndReportRun) {
    if (!import()) {
        GTEST_SKIP() << skip_;
    }
    const data::StoredSeries as_imported = store_.open(key_).value();
    // Bars whose prices cannot be traded (not finite, or <= 0) are refused with the cure named;
    // after it, the run goes on. (A bar whose low is above its open is traded as it is.)
    const auto& by_issue = data::plan_fix(as_imported.view()).invalid_by_issue;
    if (by_issue[static_cast<std::size_t>(data::Issue::NonFinite)] +
            by_issue[static_cast<std::size_t>(data::Issue::NonPositivePrice)] >
        0) {
        const backtest::SymbolSeries bad{"X", as_imported.view()};
        auto strategy =
            backtest::make_strategy(backtest::StrategySpec::make("sma_cross", {}).value()).value();
        try {
            backtest::run_backtest(bad, *strategy, backtest::Config{});
            ADD_FAILURE() << "a series with invalid bars was backtested";
        } catch (const Exception& e) {
            EXPECT_THAT(e.what(), ::testing::HasSubstr("tradpal data validate --fix"));
        }
        data::fix_series(store_, key_);
    }
    const data::StoredSeries stored = store_.open(key_).value();
    const std::size_t rows = stored.view().size();

    const backtest::SymbolSeries series{"X", stored.view()};
    for (const char* strategy_name : {"sma_cross", "bollinger_reversion"}) {
        const std::string params[] = {"allow_short=true", "stop_loss=0.05"};
        const auto spec = backtest::StrategySpec::make(strategy_name, params).value();
        auto strategy = backtest::make_strategy(spec).value();
        const backtest::BacktestResult result =
            backtest::run_backtest(series, *strategy, backtest::Config{});
        ASSERT_EQ(result.equity.size(), rows);
        // (Equity may go below zero: a short held through a rally is never liquidated.)
        const double last_close = stored.view().close()[rows - 1];
        const double identity = result.final_cash + result.final_positions[0] * last_close;
        EXPECT_NEAR(result.equity.back(), identity, 1e-9 * std::abs(identity)) << strategy_name;

        const backtest::ReportContext report{&result, {&series, 1}, spec.canonical(), "event"};
        const auto html = dir_.path() / "report.html";
        auto out = OutputFile::open(html).value();
        backtest::write_html_report(report, out);
        out.commit();
        EXPECT_GT(std::filesystem::file_size(html), 10'000U);
    }
}

INSTANTIATE_TEST_SUITE_P(AllCsv, SharedDatasets, ::testing::ValuesIn(kDatasets),
                         [](const ::testing::TestParamInfo<Dataset>& param) {
                             std::string name;
                             for (const char* p = param.param.path; *p != '\0'; ++p) {
                                 name +=
                                     std::isalnum(static_cast<unsigned char>(*p)) != 0 ? *p : '_';
                             }
                             return name;
                         });

TEST(SharedDatasetsDetail, KnownQuirksAreReported) {
    const auto shared = data_testing::shared_dir();
    if (!shared) {
        GTEST_SKIP() << "../shared is absent";
    }
    data_testing::TempDir dir("tradpal_shared");
    const data::Store store(dir.path());
    const auto import = [&](const char* path, const char* tf, bool fix) {
        data::ImportOptions options;
        options.fix = fix;
        return data::import_csv(store, {"csv", path, Timeframe(tf)}, *shared / "data" / path,
                                options);
    };
    // Binance BTC/USDT: newest first, 2,649 duplicated hours, 8 gaps with 16 missing hours.
    const auto btc = import("crypto-binance-1h/Binance_BTCUSDT_1h.csv", "1h", true);
    EXPECT_TRUE(btc.order.reversed);
    EXPECT_EQ(btc.fix.duplicates, 2'649U);
    EXPECT_EQ(btc.validation.count(data::Issue::Gap), 8U);
    EXPECT_EQ(btc.validation.missing_bars, 16U);
    // The duplicated hours keep the precise (new-format) copy.
    const auto s = store.open(btc.meta.key).value();
    const auto hour =
        s.between(Timestamp("2020-08-01T23:00:00Z"), Timestamp("2020-08-02T00:00:00Z"));
    ASSERT_EQ(hour.size(), 1U);
    EXPECT_EQ(hour.close()[0], 11801.17);
    EXPECT_EQ(hour.volume()[0], 2194.598589);  // the rounded copy says 2194.6
    // Without --fix the same file is refused.
    EXPECT_THROW(import("crypto-binance-1h/Binance_ETHUSDT_1h.csv", "1h", false), Exception);
    // Yahoo AAPL: the all-null row of 1981-08-10 is skipped and counted.
    const auto aapl = import("us-equities-daily-yahoo-1980-2020/AAPL.csv", "1d", false);
    EXPECT_EQ(aapl.csv.empty_rows, 1U);
    // Yahoo XOM: Open = 0 on 1,987 rows and one row with High < Low.
    const auto xom = import("us-equities-daily-yahoo-1980-2020/XOM.csv", "1d", false);
    EXPECT_EQ(xom.validation.count(data::Issue::NonPositivePrice), 1'987U);
    EXPECT_GE(xom.validation.count(data::Issue::OhlcInconsistent), 1U);
    // SPY (mplfinance): two rows with Open < Low.
    const auto spy =
        import("us-equities-daily-mplfinance/yahoofinance-SPY-20080101-20180101.csv", "1d", false);
    EXPECT_EQ(spy.validation.count(data::Issue::OhlcInconsistent), 2U);
    // Gemini: 3 missing hours in 3 gaps; the first bar has open = low = 0.
    const auto gemini = import("crypto-gemini-binancefut-1h/gemini_BTCUSD_1hr.csv", "1h", false);
    EXPECT_EQ(gemini.validation.count(data::Issue::Gap), 3U);
    EXPECT_EQ(gemini.validation.missing_bars, 3U);
    EXPECT_EQ(gemini.validation.count(data::Issue::NonPositivePrice), 1U);
}

}  // namespace
}  // namespace tradpal

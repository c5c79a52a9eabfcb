// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tradpal/backtest/report.hpp>
#include <tradpal/core/file.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::backtest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Json = nlohmann::ordered_json;

constexpr std::int64_t kStart = 1'704'067'200;  // 2024-01-01T00:00:00Z
constexpr std::int64_t kHour = 3600;

std::int64_t ns(std::int64_t seconds) {
    return seconds * kNanosPerSecond;
}

Fill fill(std::uint32_t symbol, std::size_t step, double size, double price, double commission,
          double cash_after, double position_after) {
    Fill f;
    f.symbol = symbol;
    f.step = step;
    f.bar = step;
    f.size = size;
    f.price = price;
    f.commission = commission;
    f.cash_after = cash_after;
    f.position_after = position_after;
    return f;
}

/// One symbol, six hourly bars: a long trade (bars 1 to 3) and a short still open from bar 4.
/// Every amount is exact in binary, so the expected text is exact too.
struct SingleRun {
    BarSeries bars = data_testing::synthetic_ohlcv(6, 1);
    std::vector<SymbolSeries> series;
    BacktestResult result;

    SingleRun() {
        series.push_back({"BTC", bars.view()});
        result.symbols = {"BTC"};
        result.fills = {fill(0, 1, 2, 100, 0.25, 99799.75, 2),
                        fill(0, 3, -2, 110, 0.5, 100019.25, 0),
                        fill(0, 4, -1, 104, 0.125, 100123.125, -1)};
        Trade t;
        t.entry_bar = 1;
        t.exit_bar = 3;
        t.entry_ns = ns(kStart + kHour);
        t.exit_ns = ns(kStart + 3 * kHour);
        t.size = 2;
        t.entry_price = 100;
        t.exit_price = 110;
        t.gross_pnl = 20;
        t.commission = 0.75;
        t.net_pnl = 19.25;
        result.trades = {t};
        OpenTrade open;
        open.side = Side::Short;
        open.entry_bar = 4;
        open.entry_ns = ns(kStart + 4 * kHour);
        open.size = 1;
        open.entry_price = 104;
        open.entry_commission = 0.125;
        open.last_price = 102;
        open.unrealized_pnl = 2;
        result.open_trades = {open};
        result.equity = {100000, 99999.75, 100005.5, 100019.25, 100019.125, 100021.125};
        result.final_cash = 100123.125;
        result.final_positions = {-1};
        result.rejected_orders = 1;
        result.unfilled_orders = 2;
        result.traded_value = 544;
        Metrics& m = result.metrics;
        m.start_value = 100000;
        m.final_value = 100021.125;
        m.total_return = 0.00021125;
        m.annual_return = 0.5;
        m.annual_volatility = std::numeric_limits<double>::quiet_NaN();
        m.sortino = 1.5;
        m.max_drawdown_pct = 0.00025;
        m.max_drawdown_bars = 2;
        m.max_drawdown_ns = ns(2 * kHour);
        m.bars = 6;
        m.days = 1;
        m.exposure = 0.75;
        m.turnover = 0.1;
        m.total_commission = 0.875;
        m.trades = 1;
        m.wins = 1;
        m.win_rate = 1.0;
        m.avg_win = 19.25;
        m.expectancy = 19.25;
        m.best_trade = 19.25;
        m.worst_trade = 19.25;
        m.avg_trade_bars = 2;
    }
    SingleRun(const SingleRun&) = delete;
    SingleRun& operator=(const SingleRun&) = delete;

    ReportContext report(std::string strategy = "sma_cross(fast=2,slow=3)") const {
        return {&result, series, std::move(strategy), "event"};
    }
};

/// Two symbols on a five-step timeline: AAA has bars at steps 0-3, BBB at steps 1-4.
struct PortfolioRun {
    BarSeries aaa = data_testing::synthetic_ohlcv(4, 1);
    BarSeries bbb = data_testing::synthetic_ohlcv(4, 2, Timeframe("1h"),
                                                  Timestamp::from_seconds(kStart + kHour));
    std::vector<SymbolSeries> series;
    BacktestResult result;

    PortfolioRun() {
        series.push_back({"AAA", aaa.view()});
        series.push_back({"BBB", bbb.view()});
        result.symbols = {"AAA", "BBB"};
        for (std::int64_t i = 0; i < 5; ++i) {
            result.step_ns.push_back(ns(kStart + i * kHour));
        }
        // Step 4 has two fills: the row shows the account after the second.
        result.fills = {fill(0, 1, 1, 50, 0.5, 99949.5, 1), fill(1, 2, -2, 25, 0, 99999.5, -2),
                        fill(0, 3, -1, 55, 0, 100054.5, 0), fill(1, 4, 1, 24, 0, 100030.5, -1),
                        fill(0, 4, 2, 10, 0, 100010.5, 2)};
        Trade t;
        t.symbol = 0;
        t.entry_ns = ns(kStart + kHour);
        t.exit_ns = ns(kStart + 3 * kHour);
        t.size = 1;
        t.entry_price = 50;
        t.exit_price = 55;
        t.gross_pnl = 5;
        t.commission = 0.5;
        t.net_pnl = 4.5;
        result.trades = {t};
        OpenTrade short_bbb;
        short_bbb.symbol = 1;
        short_bbb.side = Side::Short;
        short_bbb.entry_ns = ns(kStart + 2 * kHour);
        short_bbb.size = 1;
        short_bbb.entry_price = 25;
        short_bbb.last_price = 24;
        short_bbb.unrealized_pnl = 1;
        OpenTrade long_aaa;
        long_aaa.symbol = 0;
        long_aaa.entry_ns = ns(kStart + 4 * kHour);
        long_aaa.size = 2;
        long_aaa.entry_price = 10;
        long_aaa.last_price = 10;
        result.open_trades = {long_aaa, short_bbb};
        result.equity = {100000, 99999.5, 100000, 100005, 100011.5};
        result.final_cash = 100010.5;
        result.final_positions = {2, -1};
        result.metrics.start_value = 100000;
        result.metrics.final_value = 100011.5;
        result.metrics.bars = 5;
    }
    PortfolioRun(const PortfolioRun&) = delete;
    PortfolioRun& operator=(const PortfolioRun&) = delete;

    ReportContext report() const { return {&result, series, "sma_cross", "event"}; }
};

std::string write_to_string(const ReportContext& report,
                            void (*write)(const ReportContext&, OutputFile&)) {
    const data_testing::TempDir dir("tradpal_report");
    const auto path = dir.path() / "out";
    OutputFile out = OutputFile::open(path).value();
    write(report, out);
    out.commit();
    return read_text_file(path).value();
}

std::vector<std::string> keys(const Json& object) {
    std::vector<std::string> out;
    for (const auto& item : object.items()) {
        out.push_back(item.key());
    }
    return out;
}

TEST(Report, JsonHasEveryKeyInOrderWithNulls) {
    const SingleRun run;
    const Json j = Json::parse(summary_json(run.report()));
    const std::vector<std::string> expected = {"strategy",
                                               "engine",
                                               "symbols",
                                               "start",
                                               "end",
                                               "bars",
                                               "days",
                                               "start_value",
                                               "final_value",
                                               "final_cash",
                                               "final_position",
                                               "n_trades",
                                               "open_trade",
                                               "total_commission",
                                               "total_return",
                                               "annual_return",
                                               "annual_volatility",
                                               "sharpe",
                                               "sortino",
                                               "calmar",
                                               "max_drawdown_pct",
                                               "max_drawdown_bars",
                                               "max_drawdown_duration_s",
                                               "win_rate",
                                               "profit_factor",
                                               "wins",
                                               "losses",
                                               "avg_win",
                                               "avg_loss",
                                               "expectancy",
                                               "best_trade",
                                               "worst_trade",
                                               "avg_trade_bars",
                                               "exposure",
                                               "turnover",
                                               "rejected_orders",
                                               "unfilled_orders",
                                               "config"};
    EXPECT_EQ(keys(j), expected);
    EXPECT_EQ(keys(j["config"]),
              (std::vector<std::string>{"cash", "commission", "commission_fixed", "slippage_bps",
                                        "sizing", "size_fraction", "lot_step", "fill_price",
                                        "stop_same_bar", "annualization", "risk_free"}));

    EXPECT_EQ(j["strategy"], "sma_cross(fast=2,slow=3)");
    EXPECT_EQ(j["engine"], "event");
    EXPECT_EQ(j["symbols"], Json::array({"BTC"}));
    EXPECT_EQ(j["start"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(j["end"], "2024-01-01T05:00:00Z");
    EXPECT_EQ(j["bars"], 6);
    EXPECT_EQ(j["days"], 1);
    EXPECT_EQ(j["final_value"].get<double>(), 100021.125);
    EXPECT_EQ(j["final_cash"].get<double>(), 100123.125);
    EXPECT_EQ(j["final_position"].get<double>(), -1);
    EXPECT_EQ(j["n_trades"], 1);
    const Json& open = j["open_trade"];
    EXPECT_EQ(keys(open),
              (std::vector<std::string>{"symbol", "side", "size", "entry_time", "entry_price",
                                        "entry_commission", "last_price", "unrealized_pnl"}));
    EXPECT_EQ(open["symbol"], "BTC");
    EXPECT_EQ(open["side"], "short");
    EXPECT_EQ(open["entry_time"], kStart + 4 * kHour);
    EXPECT_EQ(open["entry_commission"].get<double>(), 0.125);
    EXPECT_EQ(j["total_commission"].get<double>(), 0.875);
    EXPECT_EQ(j["total_return"].get<double>(), 0.00021125);
    EXPECT_TRUE(j["annual_volatility"].is_null());  // NaN
    EXPECT_TRUE(j["sharpe"].is_null());
    EXPECT_EQ(j["sortino"].get<double>(), 1.5);
    EXPECT_TRUE(j["calmar"].is_null());
    EXPECT_EQ(j["max_drawdown_bars"], 2);
    EXPECT_EQ(j["max_drawdown_duration_s"], 7200);
    EXPECT_EQ(j["win_rate"].get<double>(), 1.0);
    EXPECT_TRUE(j["profit_factor"].is_null());
    EXPECT_EQ(j["wins"], 1);
    EXPECT_EQ(j["losses"], 0);
    EXPECT_TRUE(j["avg_loss"].is_null());
    EXPECT_EQ(j["avg_trade_bars"].get<double>(), 2);
    EXPECT_EQ(j["rejected_orders"], 1);
    EXPECT_EQ(j["unfilled_orders"], 2);
    EXPECT_EQ(j["config"]["cash"].get<double>(), 100000);
    EXPECT_EQ(j["config"]["commission"].get<double>(), 0.001);
    EXPECT_EQ(j["config"]["sizing"], "fraction");
    EXPECT_EQ(j["config"]["lot_step"].get<double>(), 1e-8);
    EXPECT_EQ(j["config"]["fill_price"], "next_open");
    EXPECT_EQ(j["config"]["stop_same_bar"], false);
    EXPECT_EQ(j["config"]["annualization"].get<double>(), 252);
}

TEST(Report, JsonNumbersRoundTripAndOneLineWithoutIndent) {
    SingleRun run;
    run.result.metrics.total_return = 0.1 + 0.2;
    run.result.metrics.turnover = std::numeric_limits<double>::infinity();
    run.result.open_trades.clear();
    const std::string text = summary_json(run.report(), -1);
    EXPECT_EQ(text.find('\n'), std::string::npos);
    EXPECT_THAT(text, HasSubstr("\"total_return\":0.30000000000000004"));
    const Json j = Json::parse(text);
    EXPECT_TRUE(j["turnover"].is_null());
    EXPECT_TRUE(j["open_trade"].is_null());
}

TEST(Report, TradesCsvExactText) {
    SingleRun run;
    Trade t;
    t.side = Side::Short;
    t.exit_role = OrderRole::StopLoss;
    t.entry_ns = ns(kStart + 4 * kHour);
    t.exit_ns = ns(kStart + 5 * kHour) + 500'000'000;  // unix seconds are whole: rounded down
    t.size = 0.1;
    t.entry_price = 0.1 + 0.2;
    t.exit_price = 1e-7;
    t.gross_pnl = -1.5;
    t.commission = 0;
    t.net_pnl = -1.5;
    run.result.trades.push_back(t);
    EXPECT_EQ(write_to_string(run.report(), write_trades_csv),
              "entry_time,exit_time,side,size,entry_price,exit_price,gross_pnl,commission,"
              "net_pnl,exit_type\n"
              "1704070800,1704078000,long,2,100,110,20,0.75,19.25,signal\n"
              "1704081600,1704085200,short,0.1,0.30000000000000004,1e-07,-1.5,0,-1.5,"
              "stop_loss\n");
}

TEST(Report, EquityCsvRebuildsCashAndPositionFromFills) {
    const SingleRun run;
    EXPECT_EQ(write_to_string(run.report(), write_equity_csv),
              "timestamp,value,cash,position\n"
              "1704067200,100000,100000,0\n"
              "1704070800,99999.75,99799.75,2\n"
              "1704074400,100005.5,99799.75,2\n"
              "1704078000,100019.25,100019.25,0\n"
              "1704081600,100019.125,100123.125,-1\n"
              "1704085200,100021.125,100123.125,-1\n");
}

TEST(Report, EquityCsvRejectsSeriesOfAnotherRun) {
    const SingleRun run;
    ReportContext report = run.report();
    report.symbols = {};  // no timeline for six equity values
    EXPECT_THROW(write_to_string(report, write_equity_csv), Exception);
}

TEST(Report, PortfolioCsvsHaveSymbolColumns) {
    const PortfolioRun run;
    EXPECT_EQ(write_to_string(run.report(), write_trades_csv),
              "entry_time,exit_time,side,size,entry_price,exit_price,gross_pnl,commission,"
              "net_pnl,exit_type,symbol\n"
              "1704070800,1704078000,long,1,50,55,5,0.5,4.5,signal,AAA\n");
    EXPECT_EQ(write_to_string(run.report(), write_equity_csv),
              "timestamp,value,cash,position_AAA,position_BBB\n"
              "1704067200,100000,100000,0,0\n"
              "1704070800,99999.5,99949.5,1,0\n"
              "1704074400,100000,99999.5,1,-2\n"
              "1704078000,100005,100054.5,0,-2\n"
              "1704081600,100011.5,100010.5,2,-1\n");
}

TEST(Report, PortfolioJsonHasPositionObjectOpenListAndPerSymbol) {
    const PortfolioRun run;
    const Json j = Json::parse(summary_json(run.report()));
    EXPECT_EQ(j["symbols"], Json::array({"AAA", "BBB"}));
    EXPECT_EQ(j["start"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(j["end"], "2024-01-01T04:00:00Z");
    EXPECT_EQ(j["final_position"], Json::parse(R"({"AAA":2,"BBB":-1})"));
    ASSERT_TRUE(j["open_trade"].is_array());
    ASSERT_EQ(j["open_trade"].size(), 2U);
    EXPECT_EQ(j["open_trade"][0]["symbol"], "AAA");
    EXPECT_EQ(j["open_trade"][1]["symbol"], "BBB");
    EXPECT_EQ(j["open_trade"][1]["side"], "short");
    EXPECT_EQ(keys(j).back(), "per_symbol");
    const Json& per = j["per_symbol"];
    ASSERT_EQ(per.size(), 2U);
    EXPECT_EQ(keys(per[0]), (std::vector<std::string>{"symbol", "n_trades", "net_pnl", "commission",
                                                      "final_position"}));
    EXPECT_EQ(per[0]["symbol"], "AAA");
    EXPECT_EQ(per[0]["n_trades"], 1);
    EXPECT_EQ(per[0]["net_pnl"].get<double>(), 4.5);
    EXPECT_EQ(per[0]["commission"].get<double>(), 0.5);
    EXPECT_EQ(per[1]["n_trades"], 0);
    EXPECT_EQ(per[1]["final_position"].get<double>(), -1);
}

TEST(Report, SummaryTableFormatsMoneyPercentAndNull) {
    const SingleRun run;
    const std::string table = summary_table(run.report());
    EXPECT_THAT(table, HasSubstr("sma_cross(fast=2,slow=3)"));
    EXPECT_THAT(table, ::testing::ContainsRegex("Start value +100,000.00\n"));
    EXPECT_THAT(table, HasSubstr("0.02%\n"));   // total return
    EXPECT_THAT(table, HasSubstr("75.00%\n"));  // exposure
    EXPECT_THAT(table, ::testing::ContainsRegex("Sharpe +-\n"));
    EXPECT_THAT(table, ::testing::ContainsRegex("Sortino +1.50\n"));
    EXPECT_THAT(table, HasSubstr("2024-01-01 00:00 to 2024-01-01 05:00"));
    EXPECT_THAT(table, HasSubstr("6 (1 day)\n"));
}

/// The page without its HTML comments.
std::string strip_comments(std::string html) {
    for (std::size_t at = html.find("<!--"); at != std::string::npos; at = html.find("<!--", at)) {
        const std::size_t end = html.find("-->", at);
        html.erase(at, end == std::string::npos ? std::string::npos : end + 3 - at);
    }
    return html;
}

TEST(Report, HtmlIsSelfContainedAndEscapesText) {
    const SingleRun run;
    const std::string html =
        write_to_string(run.report("evil<script>alert(1)</script>&co"), write_html_report);
    EXPECT_THAT(html, StartsWith("<!DOCTYPE html>"));
    EXPECT_THAT(html, HasSubstr("<svg"));
    EXPECT_THAT(html, HasSubstr("</html>\n"));
    EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
    EXPECT_THAT(html, HasSubstr("evil&lt;script&gt;alert(1)&lt;/script&gt;&amp;co"));
    const std::string code = strip_comments(html);
    EXPECT_THAT(code, Not(HasSubstr("http://")));
    EXPECT_THAT(code, Not(HasSubstr("https://")));
    // A long entry, a winning exit and the open short.
    EXPECT_THAT(html, HasSubstr("<path class=\"long\""));
    EXPECT_THAT(html, HasSubstr("<circle class=\"win\""));
    EXPECT_THAT(html, HasSubstr("<path class=\"short\""));
    EXPECT_THAT(html, HasSubstr("<h2>Drawdown</h2>"));
    EXPECT_THAT(html, HasSubstr("<h2>Open positions</h2>"));
}

TEST(Report, EntryMarkersSitAtTheOpeningFillNotAtTheAveragePrice) {
    // The open short was added to later: its average entry price (130) is not where the price
    // was when it opened (104, the fill of bar 4).
    SingleRun run;
    run.result.open_trades.front().entry_price = 130;
    const std::string html = write_to_string(run.report(), write_html_report);
    EXPECT_THAT(html, HasSubstr("sell short 1 2024-01-01 04:00 @ 104</title>"));
    EXPECT_THAT(html, Not(HasSubstr("2024-01-01 04:00 @ 130</title>")));
}

TEST(Report, HtmlPortfolioHasOnePriceChartPerSymbol) {
    const PortfolioRun run;
    const std::string html = write_to_string(run.report(), write_html_report);
    EXPECT_THAT(html, HasSubstr("<h2>Price: AAA</h2>"));
    EXPECT_THAT(html, HasSubstr("<h2>Price: BBB</h2>"));
    EXPECT_THAT(html, HasSubstr("<th class=\"l\">Symbol</th>"));
}

/// The `attribute` value of the first element after `anchor`.
std::string attribute_after(const std::string& html, std::string_view anchor,
                            std::string_view attribute) {
    const std::size_t from = html.find(anchor);
    const std::string key = std::string(attribute) + "=\"";
    const std::size_t begin = html.find(key, from) + key.size();
    return html.substr(begin, html.find('"', begin) - begin);
}

TEST(Report, HtmlOfTwoMillionStepsStaysSmallAndKeepsSpikes) {
    constexpr std::size_t kSteps = 2'000'000;
    const BarSeries bars = data_testing::synthetic_ohlcv(kSteps, 7, Timeframe("1m"));
    const std::vector<SymbolSeries> series = {{"BTC", bars.view()}};
    BacktestResult result;
    result.symbols = {"BTC"};
    result.final_positions = {0};
    result.equity.resize(kSteps);
    for (std::size_t i = 0; i < kSteps; ++i) {
        result.equity[i] = 1000 * bars.view().close()[i];
    }
    // One bar of ten times the equity must still reach the top of the chart.
    result.equity[1'234'567] = 2e6;
    for (std::size_t k = 0; k < 5000; ++k) {
        Trade t;
        t.entry_bar = k * 400;
        t.exit_bar = k * 400 + 200;
        t.entry_ns = bars.view().ts()[t.entry_bar];
        t.exit_ns = bars.view().ts()[t.exit_bar];
        t.size = 1;
        t.entry_price = bars.view().open()[t.entry_bar];
        t.exit_price = bars.view().open()[t.exit_bar];
        t.net_pnl = t.gross_pnl = t.exit_price - t.entry_price;
        result.trades.push_back(t);
    }
    const ReportContext report{&result, series, "sma_cross", "event"};

    const data_testing::TempDir dir("tradpal_report");
    const auto path = dir.path() / "report.html";
    OutputFile out = OutputFile::open(path).value();
    write_html_report(report, out);
    out.commit();
    EXPECT_LT(std::filesystem::file_size(path), 5U << 20);

    const std::string html = read_text_file(path).value();
    EXPECT_THAT(html, HasSubstr("Showing the first 500 of 5,000 trades"));
    EXPECT_THAT(html, HasSubstr("Markers for one in 10 of the 5,000 trades."));
    // Close to four years of minutes: the time axis is labelled by calendar year.
    EXPECT_THAT(html, HasSubstr(">2026</text>"));
    const std::string points = attribute_after(html, "<h2>Equity</h2>", "points");
    EXPECT_LE(std::count(points.begin(), points.end(), ' ') + 1, 2000);
    EXPECT_GT(std::stod(attribute_after(html, "<h2>Equity</h2>", "data-v1")), 2e6);
}

}  // namespace
}  // namespace tradpal::backtest

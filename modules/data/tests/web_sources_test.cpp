// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/data/sources.hpp>
#include <tradpal/data_testing/fake_http.hpp>
#include <tradpal/data_testing/helpers.hpp>

#include "../src/web_source.hpp"
#include "fake_api_support.hpp"

namespace tradpal::data {
namespace {

using data_testing::FakeReply;
using data_testing::FakeServer;
using data_testing::SeenRequest;
using data_testing::synthetic_ohlcv;
using namespace fake_api;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr std::int64_t kHourNs = kNanosPerHour;
constexpr std::int64_t kDayNs = kNanosPerDay;

WebSourceOptions options_for(const FakeServer& server) {
    return {server.url(), fast_client()};
}

FetchRequest request(std::string symbol, std::string_view timeframe, Timestamp start, Timestamp end,
                     Timestamp now) {
    return {std::move(symbol), Timeframe(timeframe), start, end, now};
}

// A recorded body from the shared fixtures, or nullopt when the shared folder is absent.
std::optional<std::string> fixture(std::string_view name) {
    const auto dir = data_testing::shared_dir();
    if (!dir) {
        return std::nullopt;
    }
    std::ifstream in(*dir / "data" / "api-fixtures" / name, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void expect_increasing(const BarSeriesView& bars) {
    const auto ts = bars.ts();
    EXPECT_TRUE(std::adjacent_find(ts.begin(), ts.end(), std::greater_equal<>()) == ts.end());
}

// --- symbol and interval names ---------------------------------------------------------------

TEST(SourceNames, Binance) {
    EXPECT_EQ(binance_symbol("BTC/USDT"), "BTCUSDT");
    EXPECT_EQ(binance_symbol("eth/btc"), "ETHBTC");
    EXPECT_EQ(binance_symbol("SOL/FDUSD"), "SOLFDUSD");
    EXPECT_EQ(binance_symbol("BTC/TRY"), "BTCTRY");
    EXPECT_EQ(binance_symbol("BTC/USD"), std::nullopt);  // binance.com has no USD quote
    EXPECT_EQ(binance_symbol("BTCUSDT"), std::nullopt);
    EXPECT_EQ(binance_symbol("AAPL"), std::nullopt);
    EXPECT_EQ(binance_symbol("BRK/B"), std::nullopt);
    EXPECT_EQ(binance_symbol("/USDT"), std::nullopt);
    EXPECT_EQ(binance_symbol("BTC-X/USDT"), std::nullopt);

    EXPECT_EQ(binance_interval(Timeframe("1m")), "1m");
    EXPECT_EQ(binance_interval(Timeframe("3m")), "3m");
    EXPECT_EQ(binance_interval(Timeframe("1h")), "1h");
    EXPECT_EQ(binance_interval(Timeframe("60m")), "1h");
    EXPECT_EQ(binance_interval(Timeframe("4h")), "4h");
    EXPECT_EQ(binance_interval(Timeframe("1d")), "1d");
    EXPECT_EQ(binance_interval(Timeframe("3d")), "3d");
    EXPECT_EQ(binance_interval(Timeframe("1w")), "1w");
    EXPECT_EQ(binance_interval(Timeframe("1M")), "1M");
    EXPECT_EQ(binance_interval(Timeframe("7m")), std::nullopt);
    EXPECT_EQ(binance_interval(Timeframe("7d")), std::nullopt);
    EXPECT_EQ(binance_interval(Timeframe("2w")), std::nullopt);
    EXPECT_EQ(binance_interval(Timeframe("3M")), std::nullopt);
}

TEST(SourceNames, Kraken) {
    EXPECT_EQ(kraken_pair("BTC/USD"), "XBTUSD");
    EXPECT_EQ(kraken_pair("btc/eur"), "XBTEUR");
    EXPECT_EQ(kraken_pair("ETH/BTC"), "ETHXBT");
    EXPECT_EQ(kraken_pair("DOGE/USD"), "XDGUSD");
    EXPECT_EQ(kraken_pair("BTC/USDT"), "XBTUSDT");
    EXPECT_EQ(kraken_pair("XBTUSD"), std::nullopt);
    EXPECT_EQ(kraken_pair("AAPL"), std::nullopt);

    EXPECT_EQ(kraken_interval(Timeframe("1m")), 1);
    EXPECT_EQ(kraken_interval(Timeframe("15m")), 15);
    EXPECT_EQ(kraken_interval(Timeframe("1h")), 60);
    EXPECT_EQ(kraken_interval(Timeframe("4h")), 240);
    EXPECT_EQ(kraken_interval(Timeframe("1d")), 1440);
    EXPECT_EQ(kraken_interval(Timeframe("1w")), 10080);
    EXPECT_EQ(kraken_interval(Timeframe("15d")), 21600);
    EXPECT_EQ(kraken_interval(Timeframe("2h")), std::nullopt);
    EXPECT_EQ(kraken_interval(Timeframe("1M")), std::nullopt);
}

TEST(SourceNames, Yahoo) {
    EXPECT_EQ(yahoo_symbol("BTC/USD"), "BTC-USD");
    EXPECT_EQ(yahoo_symbol("AAPL"), "AAPL");
    EXPECT_EQ(yahoo_symbol("EURUSD=X"), "EURUSD=X");
    EXPECT_EQ(yahoo_symbol("^GSPC"), "^GSPC");

    EXPECT_EQ(yahoo_interval(Timeframe("1m")), "1m");
    EXPECT_EQ(yahoo_interval(Timeframe("2m")), "2m");
    EXPECT_EQ(yahoo_interval(Timeframe("30m")), "30m");
    EXPECT_EQ(yahoo_interval(Timeframe("1h")), "60m");
    EXPECT_EQ(yahoo_interval(Timeframe("60m")), "60m");
    EXPECT_EQ(yahoo_interval(Timeframe("90m")), "90m");
    EXPECT_EQ(yahoo_interval(Timeframe("1d")), "1d");
    EXPECT_EQ(yahoo_interval(Timeframe("5d")), "5d");
    EXPECT_EQ(yahoo_interval(Timeframe("1w")), "1wk");
    EXPECT_EQ(yahoo_interval(Timeframe("1M")), "1mo");
    EXPECT_EQ(yahoo_interval(Timeframe("3M")), "3mo");
    EXPECT_EQ(yahoo_interval(Timeframe("4h")), std::nullopt);
    EXPECT_EQ(yahoo_interval(Timeframe("2w")), std::nullopt);
    EXPECT_EQ(yahoo_interval(Timeframe("10m")), std::nullopt);
}

TEST(SourceNames, Supports) {
    const WebSourceOptions offline{"http://127.0.0.1:9", fast_client()};
    const auto yahoo = make_yahoo_source(offline);
    const auto binance = make_binance_source(offline);
    const auto kraken = make_kraken_source(offline);
    EXPECT_EQ(yahoo->name(), "yahoo");
    EXPECT_EQ(binance->name(), "binance");
    EXPECT_EQ(kraken->name(), "kraken");

    EXPECT_TRUE(yahoo->supports("AAPL", Timeframe("1d")));
    EXPECT_TRUE(yahoo->supports("BTC/USD", Timeframe("1h")));
    EXPECT_TRUE(yahoo->supports("EURUSD=X", Timeframe("1w")));
    EXPECT_TRUE(yahoo->supports("AAPL", Timeframe("1M")));
    EXPECT_FALSE(yahoo->supports("AAPL", Timeframe("4h")));
    EXPECT_FALSE(yahoo->supports("AAPL", Timeframe("5d")));  // Yahoo's own bucket starts

    EXPECT_TRUE(binance->supports("BTC/USDT", Timeframe("4h")));
    EXPECT_FALSE(binance->supports("BTC/USDT", Timeframe("7m")));
    EXPECT_FALSE(binance->supports("AAPL", Timeframe("1d")));
    EXPECT_FALSE(binance->supports("BTC/USD", Timeframe("1d")));

    EXPECT_TRUE(kraken->supports("BTC/USD", Timeframe("1h")));
    EXPECT_TRUE(kraken->supports("ETH/EUR", Timeframe("1w")));
    EXPECT_FALSE(kraken->supports("BTC/USD", Timeframe("2h")));
    EXPECT_FALSE(kraken->supports("AAPL", Timeframe("1d")));
}

TEST(SourceNames, BinanceWeightPause) {
    using std::chrono::system_clock;
    const system_clock::time_point at_59_250s{std::chrono::milliseconds(1'704'067'259'250)};
    EXPECT_EQ(detail::binance_weight_pause("4999", at_59_250s), 0ms);
    EXPECT_EQ(detail::binance_weight_pause("5000", at_59_250s), 0ms);
    EXPECT_EQ(detail::binance_weight_pause("", at_59_250s), 0ms);
    EXPECT_EQ(detail::binance_weight_pause("5x", at_59_250s), 0ms);
    // Until the next minute boundary plus a margin.
    EXPECT_EQ(detail::binance_weight_pause("5001", at_59_250s), 750ms + 500ms);
    EXPECT_EQ(detail::binance_weight_pause("6000", at_59_250s - 59'250ms), 60'000ms + 500ms);
}

// --- Binance ---------------------------------------------------------------------------------

std::string klines_body(const BarSeriesView& bars, std::size_t from, std::size_t count,
                        std::int64_t bar_ms) {
    std::string body = "[";
    for (std::size_t i = from; i < std::min(bars.size(), from + count); ++i) {
        const Bar b = bars.bar(i);
        const std::int64_t open_ms = b.ts.ns() / kNanosPerMilli;
        body += fmt::format(R"({}[{},"{}","{}","{}","{}","{}",{},"0",7,"0","0","0"])",
                            i == from ? "" : ",", open_ms, b.open, b.high, b.low, b.close, b.volume,
                            open_ms + bar_ms - 1);
    }
    return body + "]";
}

// Answers klines requests from `bars` like Binance (startTime, endTime and limit honoured);
// with `repeat_last`, every page after the first starts with the bar before startTime.
FakeServer::Handler klines_server(const BarSeries& bars, bool repeat_last = false) {
    return [&bars, repeat_last](const SeenRequest& seen) {
        const std::int64_t start_ms = query_int(seen, "startTime");
        const std::int64_t end_ms = query_int(seen, "endTime");
        const auto limit = static_cast<std::size_t>(query_int(seen, "limit"));
        const auto ts = bars.view().ts();
        auto first = static_cast<std::size_t>(
            std::lower_bound(ts.begin(), ts.end(), start_ms * kNanosPerMilli) - ts.begin());
        if (repeat_last && first > 0 && first < ts.size()) {
            --first;
        }
        std::size_t count = 0;
        while (first + count < ts.size() && count < limit &&
               ts[first + count] / kNanosPerMilli <= end_ms) {
            ++count;
        }
        FakeReply reply = json(klines_body(bars, first, count, kHourNs / kNanosPerMilli));
        reply.headers.emplace("X-MBX-USED-WEIGHT-1m", "12");
        return reply;
    };
}

class BinancePaging : public ::testing::TestWithParam<bool> {};

TEST_P(BinancePaging, ReturnsEveryBarOnceOverFourPages) {
    const BarSeries bars = synthetic_ohlcv(3500, 7);
    FakeServer server(klines_server(bars, GetParam()));
    auto source = make_binance_source(options_for(server));
    const Timestamp first(bars.view().ts().front());
    const Timestamp last(bars.view().ts().back());
    // The last bar is still forming.
    const auto req = request("BTC/USDT", "1h", first, Timestamp(last.ns() + 10 * kHourNs),
                             Timestamp(last.ns() + 30 * kNanosPerMinute));
    std::vector<std::pair<std::uint64_t, Timestamp>> progress;
    auto result = source->fetch(
        req, [&](std::uint64_t n, Timestamp reached) { progress.emplace_back(n, reached); });
    ASSERT_TRUE(result) << result.error().message;

    expect_same_bars(result->bars, bars.view().slice(0, 3499));
    EXPECT_EQ(result->partial, 1U);
    EXPECT_EQ(result->duplicates, GetParam() ? 3U : 0U);
    EXPECT_EQ(result->requests, 4U);
    EXPECT_TRUE(result->note.empty());

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 4U);
    EXPECT_EQ(seen[0].path, "/api/v3/klines");
    EXPECT_EQ(seen[0].query.at("symbol"), "BTCUSDT");
    EXPECT_EQ(seen[0].query.at("interval"), "1h");
    EXPECT_EQ(seen[0].query.at("limit"), "1000");
    EXPECT_EQ(query_int(seen[0], "startTime"), first.ns() / kNanosPerMilli);
    EXPECT_EQ(query_int(seen[0], "endTime"), req.end.ns() / kNanosPerMilli - 1);
    for (std::size_t i = 1; i < seen.size(); ++i) {
        // Each page starts just after the last open time received.
        const std::size_t last_of_previous = GetParam() ? i * 999 : i * 1000 - 1;
        EXPECT_EQ(query_int(seen[i], "startTime"),
                  bars.view().ts()[last_of_previous] / kNanosPerMilli + 1);
    }

    ASSERT_EQ(progress.size(), 4U);
    EXPECT_EQ(progress[0].first, 1000U);
    EXPECT_EQ(progress.back().first, 3499U);
    EXPECT_EQ(progress.back().second, last);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutRepeatedBars, BinancePaging, ::testing::Bool());

TEST(BinanceSource, KeepsStartInclusiveEndExclusive) {
    const BarSeries bars = synthetic_ohlcv(3000, 11);
    FakeServer server(klines_server(bars));
    auto source = make_binance_source(options_for(server));
    const auto ts = bars.view().ts();
    // A start inside bar 9 begins at bar 10; the bar opening at the end is left out.
    const auto req = request("BTC/USDT", "1h", Timestamp(ts[9] + kHourNs / 2), Timestamp(ts[2500]),
                             Timestamp(ts.back() + kDayNs));
    auto result = source->fetch(req);
    ASSERT_TRUE(result) << result.error().message;
    expect_same_bars(result->bars, bars.view().slice(10, 2490));
    EXPECT_EQ(result->requests, 3U);
    EXPECT_EQ(result->partial, 0U);
    expect_increasing(result->bars);
}

TEST(BinanceSource, RecordedKlines) {
    const auto body =
        fixture("ccxt-binance/api_v3_klines_BTCUSDT_1h_startTime1706628191000_limit3.body.json");
    if (!body) {
        GTEST_SKIP() << "shared api-fixtures not available";
    }
    FakeServer server([&](const SeenRequest&) { return json(*body); });
    auto source = make_binance_source(options_for(server));
    auto result = source->fetch(request("BTC/USDT", "1h", Timestamp("2024-01-30T16:00:00Z"),
                                        Timestamp("2024-01-31"), Timestamp("2024-02-01")));
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_EQ(result->bars.size(), 3U);
    EXPECT_EQ(result->requests, 1U);  // a page shorter than the limit is the last
    const Bar first = result->bars.bar(0);
    EXPECT_EQ(first.ts, Timestamp("2024-01-30T16:00:00Z"));
    EXPECT_DOUBLE_EQ(first.open, 43519.34);
    EXPECT_DOUBLE_EQ(first.high, 43936.0);
    EXPECT_DOUBLE_EQ(first.low, 43171.0);
    EXPECT_DOUBLE_EQ(first.close, 43488.71);
    EXPECT_DOUBLE_EQ(first.volume, 20.55495);
    EXPECT_EQ(result->bars.bar(2).ts, Timestamp("2024-01-30T18:00:00Z"));
    EXPECT_DOUBLE_EQ(result->bars.bar(2).close, 43361.11);
}

TEST(BinanceSource, HighWeightOnTheLastPageDoesNotWait) {
    const BarSeries bars = synthetic_ohlcv(5, 4);
    FakeServer server([&](const SeenRequest&) {
        FakeReply reply = json(klines_body(bars, 0, 5, kHourNs / kNanosPerMilli));
        reply.headers.emplace("X-MBX-USED-WEIGHT-1m", "5990");
        return reply;
    });
    auto source = make_binance_source(options_for(server));
    const auto began = std::chrono::steady_clock::now();
    auto result = source->fetch(request("BTC/USDT", "1h", bars.view().time(0),
                                        Timestamp(bars.view().ts().back() + kHourNs),
                                        Timestamp("2030-01-01")));
    ASSERT_TRUE(result) << result.error().message;
    expect_same_bars(result->bars, bars);
    EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
}

TEST(BinanceSource, EmptyAnswerIsNoBars) {
    FakeServer server([](const SeenRequest&) { return json("[]"); });
    auto source = make_binance_source(options_for(server));
    auto result = source->fetch(request("BTC/USDT", "1h", Timestamp("2017-01-01"),
                                        Timestamp("2017-02-01"), Timestamp("2024-01-01")));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(result->bars.empty());
    EXPECT_EQ(result->requests, 1U);
}

TEST(BinanceSource, EmptyRangeSendsNothing) {
    FakeServer server([](const SeenRequest&) { return json("[]"); });
    auto source = make_binance_source(options_for(server));
    const Timestamp t("2024-01-01");
    auto result = source->fetch(request("BTC/USDT", "1h", t, t, Timestamp("2024-02-01")));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(result->bars.empty());
    EXPECT_EQ(result->requests, 0U);
    EXPECT_TRUE(server.requests().empty());
}

Error binance_error(FakeServer::Handler handler) {
    FakeServer server(std::move(handler));
    auto source = make_binance_source(options_for(server));
    auto result = source->fetch(request("BTC/USDT", "1h", Timestamp("2024-01-01"),
                                        Timestamp("2024-01-02"), Timestamp("2024-02-01")));
    if (result) {
        ADD_FAILURE() << "expected the fetch to fail";
        return fail(ErrorCode::Internal, "");
    }
    return result.error();
}

TEST(BinanceSource, UnknownSymbolIsNotFound) {
    const Error error = binance_error(
        [](const SeenRequest&) { return json(R"({"code":-1121,"msg":"Invalid symbol."})", 400); });
    EXPECT_EQ(error.code, ErrorCode::NotFound);
    EXPECT_THAT(error.message, HasSubstr("binance BTC/USDT"));
    EXPECT_THAT(error.message, HasSubstr("Invalid symbol."));
}

TEST(BinanceSource, OtherApiErrorIsInvalidArgument) {
    const Error error = binance_error([](const SeenRequest&) {
        return json(R"({"code":-1120,"msg":"Invalid interval."})", 400);
    });
    EXPECT_EQ(error.code, ErrorCode::InvalidArgument);
    EXPECT_THAT(error.message, HasSubstr("Invalid interval."));
}

TEST(BinanceSource, HtmlBadGatewayAfterRetriesIsUnavailable) {
    std::atomic<int> calls = 0;
    const Error error = binance_error([&](const SeenRequest&) {
        ++calls;
        return html(502);
    });
    EXPECT_EQ(error.code, ErrorCode::Unavailable);
    EXPECT_THAT(error.message, HasSubstr("HTTP 502"));
    EXPECT_EQ(calls.load(), 3);  // the client retried before giving up
}

TEST(BinanceSource, RateLimitedAfterRetriesIsUnavailable) {
    const Error error = binance_error([](const SeenRequest&) {
        FakeReply reply = json(R"({"code":-1003,"msg":"Too many requests."})", 429);
        reply.headers.emplace("Retry-After", "0");
        return reply;
    });
    EXPECT_EQ(error.code, ErrorCode::Unavailable);
    EXPECT_THAT(error.message, HasSubstr("429"));
}

TEST(BinanceSource, TruncatedJsonIsParseError) {
    const BarSeries bars = synthetic_ohlcv(10, 3);
    const std::string body = klines_body(bars, 0, 10, kHourNs / kNanosPerMilli);
    const Error error =
        binance_error([&](const SeenRequest&) { return json(body.substr(0, body.size() / 2)); });
    EXPECT_EQ(error.code, ErrorCode::ParseError);
}

TEST(BinanceSource, HtmlPageWithStatus200IsParseError) {
    const Error error = binance_error([](const SeenRequest&) { return html(200); });
    EXPECT_EQ(error.code, ErrorCode::ParseError);
}

TEST(BinanceSource, UnsupportedSymbolIsInvalidArgument) {
    auto source = make_binance_source({"http://127.0.0.1:9", fast_client()});
    auto result = source->fetch(request("AAPL", "1d", Timestamp("2024-01-01"),
                                        Timestamp("2024-02-01"), Timestamp("2024-03-01")));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
}

// --- Yahoo -----------------------------------------------------------------------------------

// A chart body for `bars` (volumes rounded, as Yahoo sends integers); rows in `null_rows` have
// null prices and volume.
std::string chart_body(const BarSeriesView& bars, const std::set<std::size_t>& null_rows = {},
                       std::string_view events = "") {
    std::string timestamps, open, high, low, close, volume;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const Bar b = bars.bar(i);
        const char* comma = i == 0 ? "" : ",";
        timestamps += fmt::format("{}{}", comma, b.ts.seconds());
        if (null_rows.count(i) != 0) {
            open += fmt::format("{}null", comma);
            high += fmt::format("{}null", comma);
            low += fmt::format("{}null", comma);
            close += fmt::format("{}null", comma);
            volume += fmt::format("{}null", comma);
        } else {
            open += fmt::format("{}{}", comma, b.open);
            high += fmt::format("{}{}", comma, b.high);
            low += fmt::format("{}{}", comma, b.low);
            close += fmt::format("{}{}", comma, b.close);
            volume += fmt::format("{}{}", comma, std::llround(b.volume));
        }
    }
    return fmt::format(
        R"({{"chart":{{"result":[{{"meta":{{"currency":"USD","symbol":"TEST","exchangeName":"CCC",)"
        R"("instrumentType":"CRYPTOCURRENCY","gmtoffset":0,"timezone":"UTC",)"
        R"("exchangeTimezoneName":"UTC","dataGranularity":"1m"}},"timestamp":[{}],{})"
        R"("indicators":{{"quote":[{{"open":[{}],"high":[{}],"low":[{}],"close":[{}],)"
        R"("volume":[{}]}}]}}}}],"error":null}}}})",
        timestamps, events, open, high, low, close, volume);
}

// `bars` with volumes rounded like chart_body() writes them.
BarSeries rounded_volumes(const BarSeriesView& bars) {
    BarSeries out;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        Bar b = bars.bar(i);
        b.volume = static_cast<double>(std::llround(b.volume));
        out.push_back(b);
    }
    return out;
}

constexpr std::string_view kNotFoundChart =
    R"({"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}})";

TEST(YahooSource, RecordedDailyWithSplitAndDividend) {
    const auto body = fixture("yahoo-chart/chart-AAPL-2020-08-31-to-2020-11-07.body.json");
    if (!body) {
        GTEST_SKIP() << "shared api-fixtures not available";
    }
    FakeServer server([&](const SeenRequest&) { return json(*body); });
    auto source = make_yahoo_source(options_for(server));
    const auto req = request("AAPL", "1d", Timestamp("2020-08-31"), Timestamp("2020-11-07"),
                             Timestamp("2025-01-01"));
    auto result = source->fetch(req);
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_EQ(result->bars.size(), 49U);
    EXPECT_EQ(result->requests, 1U);
    // Daily bars stay at the session open Yahoo reports.
    EXPECT_EQ(result->bars.bar(0).ts, Timestamp::from_seconds(1598880600));
    EXPECT_DOUBLE_EQ(result->bars.bar(0).open, 127.58000183105469);
    EXPECT_DOUBLE_EQ(result->bars.bar(0).close, 129.0399932861328);
    EXPECT_DOUBLE_EQ(result->bars.bar(0).volume, 225702700);
    EXPECT_EQ(result->bars.bar(48).ts, Timestamp::from_seconds(1604673000));
    EXPECT_DOUBLE_EQ(result->bars.bar(48).close, 118.69000244140625);
    EXPECT_EQ(result->null_rows, 0U);
    EXPECT_THAT(result->note, HasSubstr("split 4:1 on 2020-08-31"));
    EXPECT_THAT(result->note, HasSubstr("1 dividend"));

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(seen[0].path, "/v8/finance/chart/AAPL");
    EXPECT_EQ(seen[0].query.at("interval"), "1d");
    EXPECT_EQ(seen[0].query.at("events"), "div|split");
    EXPECT_EQ(seen[0].query.at("includePrePost"), "false");
    EXPECT_EQ(query_int(seen[0], "period1"), Timestamp("2020-08-31").seconds());
    EXPECT_EQ(query_int(seen[0], "period2"), Timestamp("2020-11-07").seconds());
}

TEST(YahooSource, RecordedFullHistoryIsOneRequest) {
    const auto body =
        fixture("yahoo-chart/historical-via-chart-dividends-TSLA-no-dividends.body.json");
    if (!body) {
        GTEST_SKIP() << "shared api-fixtures not available";
    }
    FakeServer server([&](const SeenRequest&) { return json(*body); });
    auto source = make_yahoo_source(options_for(server));
    auto result = source->fetch(request("TSLA", "1d", Timestamp("2010-01-01"),
                                        Timestamp("2023-08-12"), Timestamp("2024-01-01")));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->bars.size(), 3303U);
    EXPECT_EQ(result->requests, 1U);
    EXPECT_TRUE(result->note.empty());
    expect_increasing(result->bars);
}

TEST(YahooSource, RecordedCryptoAndFxSymbols) {
    const auto btc = fixture("yahoo-chart/chart-BTC-USD-2020-01-01-to-2020-01-03.body.json");
    const auto fx = fixture("yahoo-chart/chart-EURUSD=X-2020-01-01-to-2020-01-03.body.json");
    if (!btc || !fx) {
        GTEST_SKIP() << "shared api-fixtures not available";
    }
    FakeServer server([&](const SeenRequest& seen) {
        if (seen.path.ends_with("/BTC-USD")) {
            return json(*btc);
        }
        if (seen.path.ends_with("/EURUSD=X") || seen.path.ends_with("/EURUSD%3DX")) {
            return json(*fx);
        }
        return json(std::string(kNotFoundChart), 404);
    });
    auto source = make_yahoo_source(options_for(server));
    for (const char* symbol : {"BTC/USD", "EURUSD=X"}) {
        auto result = source->fetch(request(symbol, "1d", Timestamp("2019-12-31"),
                                            Timestamp("2020-01-04"), Timestamp("2024-01-01")));
        ASSERT_TRUE(result) << symbol << ": " << result.error().message;
        EXPECT_EQ(result->bars.size(), 3U) << symbol;
    }
}

TEST(YahooSource, RecordedWeekendWithoutTimestampsIsNoBars) {
    const auto body = fixture(
        "yahoo-chart/"
        "chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.body.json");
    if (!body) {
        GTEST_SKIP() << "shared api-fixtures not available";
    }
    FakeServer server([&](const SeenRequest&) { return json(*body); });
    auto source = make_yahoo_source(options_for(server));
    auto result = source->fetch(request("AAPL", "1m", Timestamp("2025-02-01"),
                                        Timestamp("2025-02-02"), Timestamp("2025-02-10")));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(result->bars.empty());
    EXPECT_EQ(result->requests, 1U);
    EXPECT_TRUE(result->note.empty());
}

// Answers chart requests with one minute bar per minute in [period1, period2] (both ends, so
// neighbouring requests overlap by a bar), prices derived from the time.
FakeReply minute_chart(const SeenRequest& seen) {
    BarSeries bars;
    for (std::int64_t t = query_int(seen, "period1"); t <= query_int(seen, "period2"); t += 60) {
        const double price = 100.0 + static_cast<double>(t / 60 % 1000) * 0.25;
        bars.push_back({Timestamp::from_seconds(t), price, price + 1, price - 1, price + 0.5, 10});
    }
    return json(chart_body(bars));
}

TEST(YahooSource, MinuteBarsOverTwentyDaysTakeThreeRequests) {
    FakeServer server(minute_chart);
    auto source = make_yahoo_source(options_for(server));
    const Timestamp start("2024-03-01");
    const Timestamp end(start.ns() + 20 * kDayNs);
    std::uint64_t progress_calls = 0;
    auto result = source->fetch(request("BTC/USD", "1m", start, end, Timestamp(end.ns() + kDayNs)),
                                [&](std::uint64_t, Timestamp) { ++progress_calls; });
    ASSERT_TRUE(result) << result.error().message;

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 3U);
    EXPECT_EQ(result->requests, 3U);
    EXPECT_EQ(progress_calls, 3U);
    EXPECT_EQ(query_int(seen.front(), "period1"), start.seconds());
    EXPECT_EQ(query_int(seen.back(), "period2"), end.seconds());
    for (std::size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i].path, "/v8/finance/chart/BTC-USD");
        EXPECT_EQ(seen[i].query.at("interval"), "1m");
        EXPECT_LE(query_int(seen[i], "period2") - query_int(seen[i], "period1"), 7 * 86400);
        if (i > 0) {
            EXPECT_EQ(query_int(seen[i], "period1"), query_int(seen[i - 1], "period2"));
        }
    }
    // Every minute once: the bars at request boundaries came twice.
    EXPECT_EQ(result->bars.size(), 20U * 1440U);
    EXPECT_EQ(result->duplicates, 2U);
    EXPECT_EQ(result->bars.bar(0).ts, start);
    EXPECT_EQ(result->bars.view().time(result->bars.size() - 1),
              Timestamp(end.ns() - kNanosPerMinute));
    expect_increasing(result->bars);
    EXPECT_TRUE(result->note.empty());
}

TEST(YahooSource, NothingIsRequestedAfterNow) {
    FakeServer server(minute_chart);
    auto source = make_yahoo_source(options_for(server));
    const Timestamp now("2024-03-10T12:00:00Z");
    auto result = source->fetch(request("BTC/USD", "1m", Timestamp(now.ns() - 3 * kDayNs),
                                        Timestamp(now.ns() + 30 * kDayNs), now));
    ASSERT_TRUE(result) << result.error().message;
    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(query_int(seen[0], "period2"), now.seconds());
    EXPECT_EQ(result->bars.size(), 3U * 1440U);
    EXPECT_EQ(result->partial, 1U);  // the bar opening at `now`
}

TEST(YahooSource, MinuteBarsOlderThanThirtyDaysAreNotRequested) {
    FakeServer server(minute_chart);
    auto source = make_yahoo_source(options_for(server));
    const Timestamp now("2024-06-01T12:00:00Z");
    const auto req = request("AAPL", "1m", Timestamp(now.ns() - 40 * kDayNs),
                             Timestamp(now.ns() - 20 * kDayNs), now);
    auto result = source->fetch(req);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_THAT(result->note, HasSubstr("30 days"));
    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 2U);  // the ten days Yahoo still has, in 7-day requests
    EXPECT_GE(query_int(seen.front(), "period1"), (now.ns() - 30 * kDayNs) / kNanosPerSecond);
    EXPECT_EQ(query_int(seen.back(), "period2"), req.end.seconds());
    ASSERT_FALSE(result->bars.empty());
    EXPECT_GE(result->bars.bar(0).ts.ns(), now.ns() - 30 * kDayNs);

    // A range wholly before the cut-off sends nothing.
    auto old = source->fetch(request("AAPL", "5m", Timestamp(now.ns() - 100 * kDayNs),
                                     Timestamp(now.ns() - 90 * kDayNs), now));
    ASSERT_TRUE(old) << old.error().message;
    EXPECT_TRUE(old->bars.empty());
    EXPECT_EQ(old->requests, 0U);
    EXPECT_THAT(old->note, HasSubstr("60 days"));
    EXPECT_EQ(server.requests().size(), 2U);
}

TEST(YahooSource, HourlyOverThreeYearsIsOneRequestOfTheLast730Days) {
    FakeServer server([](const SeenRequest&) { return json(chart_body(BarSeries{})); });
    auto source = make_yahoo_source(options_for(server));
    const Timestamp now("2024-06-01");
    auto result =
        source->fetch(request("AAPL", "1h", Timestamp(now.ns() - 1100 * kDayNs), now, now));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_THAT(result->note, HasSubstr("730 days"));
    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(seen[0].query.at("interval"), "60m");
    EXPECT_LE(query_int(seen[0], "period2") - query_int(seen[0], "period1"), 730 * 86400);
}

TEST(YahooSource, NullRowsAndTheFormingBarAreDropped) {
    const BarSeries bars = rounded_volumes(synthetic_ohlcv(8, 5, Timeframe("1h")));
    const std::string body = chart_body(bars, {2, 5});
    FakeServer server([&](const SeenRequest&) { return json(body); });
    auto source = make_yahoo_source(options_for(server));
    const auto ts = bars.view().ts();
    // `now` is inside the last bar.
    auto result =
        source->fetch(request("AAPL", "1h", Timestamp(ts.front()), Timestamp(ts.back() + kDayNs),
                              Timestamp(ts.back() + kHourNs / 2)));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->null_rows, 2U);
    EXPECT_EQ(result->partial, 1U);
    BarSeries want;
    for (const std::size_t i : std::vector<std::size_t>{0, 1, 3, 4, 6}) {
        want.push_back(bars.bar(i));
    }
    expect_same_bars(result->bars, want);
}

TEST(YahooSource, SplitNoteFromHandWrittenEvents) {
    const BarSeries bars = rounded_volumes(synthetic_ohlcv(5, 9, Timeframe("1d")));
    const std::int64_t split_s = bars.view().time(2).seconds();
    const std::string events = fmt::format(
        R"("events":{{"splits":{{"{0}":{{"date":{0},"numerator":2,"denominator":1,"splitRatio":"2:1"}}}}}},)",
        split_s);
    const std::string body = chart_body(bars, {}, events);
    FakeServer server([&](const SeenRequest&) { return json(body); });
    auto source = make_yahoo_source(options_for(server));
    auto result = source->fetch(request("XYZ", "1d", bars.view().time(0),
                                        Timestamp(bars.view().ts().back() + kDayNs),
                                        Timestamp("2030-01-01")));
    ASSERT_TRUE(result) << result.error().message;
    expect_same_bars(result->bars, bars);
    EXPECT_THAT(result->note,
                HasSubstr(fmt::format("split 2:1 on {}", format_date(bars.view().time(2)))));
    EXPECT_THAT(result->note, Not(HasSubstr("dividend")));
}

Error yahoo_error(FakeServer::Handler handler) {
    FakeServer server(std::move(handler));
    auto source = make_yahoo_source(options_for(server));
    auto result = source->fetch(request("NOPE", "1d", Timestamp("2024-01-01"),
                                        Timestamp("2024-02-01"), Timestamp("2024-03-01")));
    if (result) {
        ADD_FAILURE() << "expected the fetch to fail";
        return fail(ErrorCode::Internal, "");
    }
    return result.error();
}

TEST(YahooSource, UnknownSymbolIsNotFound) {
    const Error error =
        yahoo_error([](const SeenRequest&) { return json(std::string(kNotFoundChart), 404); });
    EXPECT_EQ(error.code, ErrorCode::NotFound);
    EXPECT_THAT(error.message, HasSubstr("yahoo NOPE"));
}

TEST(YahooSource, HtmlBadGatewayAfterRetriesIsUnavailable) {
    const Error error = yahoo_error([](const SeenRequest&) { return html(502); });
    EXPECT_EQ(error.code, ErrorCode::Unavailable);
    EXPECT_THAT(error.message, HasSubstr("Bad Gateway"));
}

TEST(YahooSource, HtmlNotFoundPageIsParseError) {
    const Error error = yahoo_error([](const SeenRequest&) { return html(404); });
    EXPECT_EQ(error.code, ErrorCode::ParseError);
}

TEST(YahooSource, TruncatedJsonIsParseError) {
    const std::string body = chart_body(synthetic_ohlcv(20, 1, Timeframe("1d")));
    const Error error =
        yahoo_error([&](const SeenRequest&) { return json(body.substr(0, body.size() - 40)); });
    EXPECT_EQ(error.code, ErrorCode::ParseError);
}

TEST(YahooSource, CutConnectionIsUnavailable) {
    const std::string body = chart_body(synthetic_ohlcv(200, 1, Timeframe("1d")));
    const Error error = yahoo_error([&](const SeenRequest&) {
        FakeReply reply = json(body);
        reply.cut = true;
        return reply;
    });
    EXPECT_EQ(error.code, ErrorCode::Unavailable);
}

// --- Kraken ----------------------------------------------------------------------------------

std::string ohlc_body(const BarSeriesView& bars, std::size_t from, std::size_t count,
                      std::int64_t last) {
    std::string rows;
    for (std::size_t i = from; i < std::min(bars.size(), from + count); ++i) {
        const Bar b = bars.bar(i);
        rows += fmt::format(R"({}[{},"{}","{}","{}","{}","{}","{}",5])", i == from ? "" : ",",
                            b.ts.seconds(), b.open, b.high, b.low, b.close, b.close, b.volume);
    }
    return fmt::format(R"({{"error":[],"result":{{"XXBTZUSD":[{}],"last":{}}}}})", rows, last);
}

TEST(KrakenSource, PagesWithLastUntilNothingNew) {
    const BarSeries bars = synthetic_ohlcv(2000, 21);
    // Like Kraken: up to 720 bars after `since`, and `last` is the newest committed bar but one,
    // so every page after the first repeats a bar.
    FakeServer server([&](const SeenRequest& seen) {
        const std::int64_t since = query_int(seen, "since");
        const auto ts = bars.view().ts();
        const auto first = static_cast<std::size_t>(
            std::upper_bound(ts.begin(), ts.end(), since * kNanosPerSecond) - ts.begin());
        const std::size_t count = std::min<std::size_t>(720, ts.size() - first);
        const std::int64_t last = count >= 2 ? ts[first + count - 2] / kNanosPerSecond : since;
        return json(ohlc_body(bars, first, count, last));
    });
    auto source = make_kraken_source(options_for(server));
    const auto ts = bars.view().ts();
    std::uint64_t progress_calls = 0;
    auto result =
        source->fetch(request("BTC/USD", "1h", Timestamp(ts.front()),
                              Timestamp(ts.back() + kHourNs), Timestamp(ts.back() + kDayNs)),
                      [&](std::uint64_t, Timestamp) { ++progress_calls; });
    ASSERT_TRUE(result) << result.error().message;
    expect_same_bars(result->bars, bars);
    EXPECT_EQ(result->duplicates, 3U);
    EXPECT_EQ(result->requests, 4U);
    EXPECT_EQ(progress_calls, 4U);
    EXPECT_TRUE(result->note.empty());

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 4U);
    EXPECT_EQ(seen[0].path, "/0/public/OHLC");
    EXPECT_EQ(seen[0].query.at("pair"), "XBTUSD");
    EXPECT_EQ(seen[0].query.at("interval"), "60");
    EXPECT_EQ(query_int(seen[0], "since"), ts.front() / kNanosPerSecond - 1);
    EXPECT_EQ(query_int(seen[1], "since"), ts[718] / kNanosPerSecond);
}

TEST(KrakenSource, RecordedMinutesWithTheLast720BarsNote) {
    const auto body = fixture("nautilus/kraken/http_ohlc.json");
    if (!body) {
        GTEST_SKIP() << "shared api-fixtures not available";
    }
    FakeServer server([&](const SeenRequest&) { return json(*body); });
    auto source = make_kraken_source(options_for(server));
    // `now` is inside the last row's minute: that bar is still forming.
    auto result = source->fetch(request("BTC/USDT", "1m", Timestamp("2025-11-10T12:00:00Z"),
                                        Timestamp("2025-11-11T01:00:00Z"),
                                        Timestamp("2025-11-11T00:17:30Z")));
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_EQ(result->bars.size(), 720U);
    EXPECT_EQ(result->partial, 1U);
    EXPECT_EQ(result->requests, 1U);
    EXPECT_EQ(result->bars.bar(0).ts, Timestamp::from_seconds(1762777020));
    EXPECT_DOUBLE_EQ(result->bars.bar(0).open, 106038.2);
    EXPECT_DOUBLE_EQ(result->bars.bar(0).volume, 0.0);
    EXPECT_EQ(result->bars.bar(719).ts, Timestamp::from_seconds(1762820160));
    EXPECT_THAT(result->note, HasSubstr("Kraken serves only the last 720 bars"));
    EXPECT_THAT(result->note, HasSubstr("2025-11-10T12:17:00Z"));
    EXPECT_EQ(server.requests().at(0).query.at("pair"), "XBTUSDT");
    expect_increasing(result->bars);
}

Error kraken_error(FakeServer::Handler handler) {
    FakeServer server(std::move(handler));
    auto source = make_kraken_source(options_for(server));
    auto result = source->fetch(request("FOO/USD", "1h", Timestamp("2024-01-01"),
                                        Timestamp("2024-01-02"), Timestamp("2024-02-01")));
    if (result) {
        ADD_FAILURE() << "expected the fetch to fail";
        return fail(ErrorCode::Internal, "");
    }
    return result.error();
}

TEST(KrakenSource, UnknownPairIsNotFound) {
    const Error error = kraken_error(
        [](const SeenRequest&) { return json(R"({"error":["EQuery:Unknown asset pair"]})"); });
    EXPECT_EQ(error.code, ErrorCode::NotFound);
    EXPECT_THAT(error.message, HasSubstr("kraken FOO/USD"));
}

TEST(KrakenSource, HtmlBadGatewayAfterRetriesIsUnavailable) {
    const Error error = kraken_error([](const SeenRequest&) { return html(502); });
    EXPECT_EQ(error.code, ErrorCode::Unavailable);
}

TEST(KrakenSource, TruncatedJsonIsParseError) {
    const std::string body = ohlc_body(synthetic_ohlcv(30, 2), 0, 30, 0);
    const Error error =
        kraken_error([&](const SeenRequest&) { return json(body.substr(0, body.size() / 2)); });
    EXPECT_EQ(error.code, ErrorCode::ParseError);
}

TEST(KrakenSource, EmptyAnswerIsNoBars) {
    FakeServer server([](const SeenRequest&) {
        return json(R"({"error":[],"result":{"XXBTZUSD":[],"last":1704067200}})");
    });
    auto source = make_kraken_source(options_for(server));
    auto result = source->fetch(request("BTC/USD", "1h", Timestamp("2024-01-01"),
                                        Timestamp("2024-01-02"), Timestamp("2024-02-01")));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(result->bars.empty());
    EXPECT_EQ(result->requests, 1U);
    EXPECT_TRUE(result->note.empty());
}

}  // namespace
}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/data/api_formats.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::data {
namespace {

using ::testing::HasSubstr;

// A recorded body under shared/data/api-fixtures, or nullopt when the shared folder is absent.
std::optional<std::string> fixture(const std::string& name) {
    const auto shared = data_testing::shared_dir();
    if (!shared) {
        return std::nullopt;
    }
    std::ifstream in(*shared / "data" / "api-fixtures" / name, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Skips the test when the shared data folder (or the recorded body) is absent.
#define SKIP_IF_ABSENT(body)                                               \
    do {                                                                   \
        if (!(body)) {                                                     \
            GTEST_SKIP() << "api fixture absent (see TRADPAL_SHARED_DIR)"; \
        }                                                                  \
    } while (false)

Timestamp utc(std::int64_t seconds) {
    return Timestamp::from_seconds(seconds);
}

// The error of a parse that must fail.
template <class T>
Error error_of(const Result<T>& result) {
    EXPECT_FALSE(result.has_value());
    return result.has_value() ? Error{} : result.error();
}

// Every strict prefix of `body` (without its trailing newline) must be a ParseError; `step` thins
// out the prefixes of long bodies.
template <class Parse>
void expect_prefixes_fail(std::string_view body, Parse parse, std::size_t step = 1) {
    body = body.substr(0, body.find_last_not_of(" \r\n") + 1);
    for (std::size_t n = 0; n < body.size(); n += step) {
        const auto result = parse(body.substr(0, n));
        ASSERT_FALSE(result.has_value()) << "prefix of " << n << " bytes parsed";
        ASSERT_EQ(result.error().code, ErrorCode::ParseError)
            << n << ": " << result.error().message;
    }
}

// ---- Yahoo chart: recorded bodies

constexpr const char* kAaplDaily = "yahoo-chart/chart-AAPL-2020-08-31-to-2020-11-07.body.json";

TEST(YahooChartTest, AaplDailyBarsAndEvents) {
    const std::optional<std::string> body = fixture(kAaplDaily);
    SKIP_IF_ABSENT(body);
    const YahooChart chart = parse_yahoo_chart(*body).value();
    EXPECT_EQ(chart.symbol, "AAPL");
    EXPECT_EQ(chart.currency, "USD");
    EXPECT_EQ(chart.exchange_timezone, "America/New_York");
    EXPECT_EQ(chart.gmtoffset, -18000);
    EXPECT_EQ(chart.null_rows, 0u);
    ASSERT_EQ(chart.bars.size(), 49u);

    const Bar first = chart.bars.bar(0);
    EXPECT_EQ(first.ts, utc(1598880600));  // 2020-08-31 13:30 UTC, the session open
    EXPECT_EQ(format_iso(first.ts), "2020-08-31T13:30:00Z");
    EXPECT_EQ(first.open, 127.58000183105469);
    EXPECT_EQ(first.high, 131.0);
    EXPECT_EQ(first.low, 126.0);
    EXPECT_EQ(first.close, 129.0399932861328);
    EXPECT_EQ(first.volume, 225702700.0);
    const Bar last = chart.bars.bar(48);
    EXPECT_EQ(last.ts, utc(1604673000));
    EXPECT_EQ(last.open, 118.31999969482422);
    EXPECT_EQ(last.high, 119.19999694824219);
    EXPECT_EQ(last.low, 116.12999725341797);
    EXPECT_EQ(last.close, 118.69000244140625);
    EXPECT_EQ(last.volume, 114457900.0);

    // Sums in body order, computed from the file with Python.
    double close_sum = 0;
    double volume_sum = 0;
    for (std::size_t i = 0; i < chart.bars.size(); ++i) {
        close_sum += chart.bars.bar(i).close;
        volume_sum += chart.bars.bar(i).volume;
    }
    EXPECT_EQ(close_sum, 5679.63996887207);
    EXPECT_EQ(volume_sum, 7615186100.0);

    // The split comes first: events are in time order.
    ASSERT_EQ(chart.events.size(), 2u);
    EXPECT_EQ(chart.events[0].kind, YahooEvent::Kind::Split);
    EXPECT_EQ(format_date(chart.events[0].ts), "2020-08-31");
    EXPECT_EQ(chart.events[0].numerator, 4.0);
    EXPECT_EQ(chart.events[0].denominator, 1.0);
    EXPECT_EQ(chart.events[1].kind, YahooEvent::Kind::Dividend);
    EXPECT_EQ(chart.events[1].ts, utc(1604673000));
    EXPECT_EQ(chart.events[1].amount, 0.205);
}

TEST(YahooChartTest, TslaFullHistory) {
    const std::optional<std::string> body =
        fixture("yahoo-chart/historical-via-chart-dividends-TSLA-no-dividends.body.json");
    SKIP_IF_ABSENT(body);
    const YahooChart chart = parse_yahoo_chart(*body).value();
    EXPECT_EQ(chart.symbol, "TSLA");
    ASSERT_EQ(chart.bars.size(), 3303u);
    EXPECT_TRUE(chart.events.empty());
    const Bar first = chart.bars.bar(0);
    EXPECT_EQ(first.ts, utc(1277818200));
    EXPECT_EQ(first.open, 1.2666670083999634);
    EXPECT_EQ(first.high, 1.6666669845581055);
    EXPECT_EQ(first.low, 1.1693329811096191);
    EXPECT_EQ(first.close, 1.5926669836044312);
    EXPECT_EQ(first.volume, 281494500.0);
    const Bar last = chart.bars.bar(3302);
    EXPECT_EQ(last.ts, utc(1691760600));
    EXPECT_EQ(last.close, 242.64999389648438);
    EXPECT_EQ(last.volume, 98866600.0);
    double close_sum = 0;
    double volume_sum = 0;
    for (std::size_t i = 0; i < chart.bars.size(); ++i) {
        close_sum += chart.bars.bar(i).close;
        volume_sum += chart.bars.bar(i).volume;
    }
    EXPECT_EQ(close_sum, 216186.71127843857);
    EXPECT_EQ(volume_sum, 317582240400.0);
    const auto ts = chart.bars.view().ts();
    EXPECT_TRUE(std::is_sorted(ts.begin(), ts.end()));
}

TEST(YahooChartTest, MsftDividends) {
    const std::optional<std::string> body = fixture(
        "yahoo-chart/historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv."
        "body.json");
    SKIP_IF_ABSENT(body);
    const YahooChart chart = parse_yahoo_chart(*body).value();
    ASSERT_EQ(chart.bars.size(), 252u);
    EXPECT_EQ(chart.bars.bar(0).ts, utc(1612189800));
    EXPECT_EQ(chart.bars.bar(0).close, 239.64999389648438);
    EXPECT_EQ(chart.bars.bar(251).ts, utc(1643380200));
    EXPECT_EQ(chart.bars.bar(251).close, 308.260009765625);
    ASSERT_EQ(chart.events.size(), 4u);
    const std::int64_t dates[] = {1613572200, 1621431000, 1629293400, 1637159400};
    const double amounts[] = {0.56, 0.56, 0.56, 0.62};
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(chart.events[i].kind, YahooEvent::Kind::Dividend);
        EXPECT_EQ(chart.events[i].ts, utc(dates[i]));
        EXPECT_EQ(chart.events[i].amount, amounts[i]);
    }
}

TEST(YahooChartTest, NvdaSplit) {
    const std::optional<std::string> body = fixture(
        "yahoo-chart/historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv."
        "body.json");
    SKIP_IF_ABSENT(body);
    const YahooChart chart = parse_yahoo_chart(*body).value();
    ASSERT_EQ(chart.bars.size(), 252u);
    EXPECT_EQ(chart.bars.bar(0).open, 13.053250312805176);
    EXPECT_EQ(chart.bars.bar(251).close, 22.84000015258789);
    ASSERT_EQ(chart.events.size(), 1u);
    EXPECT_EQ(chart.events[0].kind, YahooEvent::Kind::Split);
    EXPECT_EQ(format_date(chart.events[0].ts), "2021-07-20");
    EXPECT_EQ(chart.events[0].numerator, 4.0);
    EXPECT_EQ(chart.events[0].denominator, 1.0);
}

TEST(YahooChartTest, CryptoAndFx) {
    const std::optional<std::string> btc =
        fixture("yahoo-chart/chart-BTC-USD-2020-01-01-to-2020-01-03.body.json");
    SKIP_IF_ABSENT(btc);
    const std::optional<std::string> fx =
        fixture("yahoo-chart/chart-EURUSD=X-2020-01-01-to-2020-01-03.body.json");
    SKIP_IF_ABSENT(fx);
    const YahooChart crypto = parse_yahoo_chart(*btc).value();
    EXPECT_EQ(crypto.exchange_timezone, "UTC");
    EXPECT_EQ(crypto.gmtoffset, 0);
    ASSERT_EQ(crypto.bars.size(), 3u);
    EXPECT_EQ(format_iso(crypto.bars.bar(0).ts), "2020-01-01T00:00:00Z");
    EXPECT_EQ(crypto.bars.bar(0).open, 7194.89208984375);
    EXPECT_EQ(crypto.bars.bar(0).volume, 18565664997.0);
    EXPECT_EQ(crypto.bars.bar(2).close, 7344.88427734375);

    const YahooChart euro = parse_yahoo_chart(*fx).value();
    EXPECT_EQ(euro.symbol, "EURUSD=X");
    EXPECT_EQ(euro.exchange_timezone, "Europe/London");
    ASSERT_EQ(euro.bars.size(), 3u);
    EXPECT_EQ(euro.bars.bar(0).open, 1.1220825910568237);
    EXPECT_EQ(euro.bars.bar(2).close, 1.1171437501907349);
    EXPECT_EQ(euro.bars.bar(1).volume, 0.0);
}

TEST(YahooChartTest, NoTradingGivesNoBars) {
    const std::optional<std::string> body = fixture(
        "yahoo-chart/"
        "chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.body.json");
    SKIP_IF_ABSENT(body);
    const YahooChart chart = parse_yahoo_chart(*body).value();
    EXPECT_EQ(chart.symbol, "AAPL");
    EXPECT_TRUE(chart.bars.empty());
    EXPECT_TRUE(chart.events.empty());
    EXPECT_EQ(chart.null_rows, 0u);
}

TEST(YahooChartTest, TruncatedRecordedBodyIsParseError) {
    const std::optional<std::string> body = fixture(kAaplDaily);
    SKIP_IF_ABSENT(body);
    expect_prefixes_fail(*body, parse_yahoo_chart);
}

// ---- Yahoo chart: hand-written bodies

std::string yahoo_body(std::string_view result) {
    return fmt::format(R"({{"chart":{{"result":[{}],"error":null}}}})", result);
}

TEST(YahooChartTest, NullRowsAreSkippedAndNullVolumeIsZero) {
    const std::string body = yahoo_body(R"({
        "meta": {"symbol": "X", "currency": null, "gmtoffset": 3600},
        "timestamp": [100, 200, 300, 400],
        "indicators": {"quote": [{
            "open": [1, 2, null, 4], "high": [1.5, 2.5, 3.5, 4.5], "low": [0.5, 1.5, 2.5, 3.5],
            "close": [1.25, null, 3.25, 4.25], "volume": [10, 20, 30, null]}],
            "adjclose": [{"adjclose": [1, 2, 3, 4]}]}})");
    const YahooChart chart = parse_yahoo_chart(body).value();
    EXPECT_EQ(chart.symbol, "X");
    EXPECT_EQ(chart.currency, "");
    EXPECT_EQ(chart.gmtoffset, 3600);
    EXPECT_EQ(chart.null_rows, 2u);
    ASSERT_EQ(chart.bars.size(), 2u);
    EXPECT_EQ(chart.bars.bar(0).ts, utc(100));
    EXPECT_EQ(chart.bars.bar(0).close, 1.25);
    EXPECT_EQ(chart.bars.bar(0).volume, 10.0);
    EXPECT_EQ(chart.bars.bar(1).ts, utc(400));
    EXPECT_EQ(chart.bars.bar(1).open, 4.0);
    EXPECT_EQ(chart.bars.bar(1).volume, 0.0);
}

TEST(YahooChartTest, EventsAreSortedByTime) {
    const std::string body = yahoo_body(R"({
        "timestamp": [],
        "events": {
            "dividends": {"300": {"amount": 0.3, "date": 300}, "100": {"amount": 0.1, "date": 100}},
            "splits": {"200": {"date": 200, "numerator": 3, "denominator": 2, "splitRatio": "3:2"}},
            "earnings": {"50": {"date": 50}}},
        "indicators": {"quote": [{"open": [], "high": [], "low": [], "close": [], "volume": []}]}})");
    const YahooChart chart = parse_yahoo_chart(body).value();
    EXPECT_TRUE(chart.bars.empty());
    ASSERT_EQ(chart.events.size(), 3u);
    EXPECT_EQ(chart.events[0].ts, utc(100));
    EXPECT_EQ(chart.events[0].amount, 0.1);
    EXPECT_EQ(chart.events[1].kind, YahooEvent::Kind::Split);
    EXPECT_EQ(chart.events[1].numerator, 3.0);
    EXPECT_EQ(chart.events[1].denominator, 2.0);
    EXPECT_EQ(chart.events[2].ts, utc(300));
}

TEST(YahooChartTest, ApiErrors) {
    const Error not_found = error_of(parse_yahoo_chart(
        R"({"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}})"));
    EXPECT_EQ(not_found.code, ErrorCode::NotFound);
    EXPECT_THAT(not_found.message, HasSubstr("No data found, symbol may be delisted"));

    const Error bad = error_of(parse_yahoo_chart(
        R"({"chart":{"result":null,"error":{"code":"Bad Request","description":"Invalid input - interval=7m is not supported"}}})"));
    EXPECT_EQ(bad.code, ErrorCode::InvalidArgument);
    EXPECT_THAT(bad.message, HasSubstr("interval=7m is not supported"));
    EXPECT_THAT(bad.message, HasSubstr("Bad Request"));
}

TEST(YahooChartTest, WrongShapesAreParseErrors) {
    const char* bodies[] = {
        R"({})",
        R"([])",
        R"({"chart":null})",
        R"({"chart":{"result":null,"error":null}})",
        R"({"chart":{"result":[],"error":null}})",
        R"({"chart":{"result":[{"timestamp":["100"],"indicators":{"quote":[{}]}}],"error":null}})",
        R"({"chart":{"result":[{"timestamp":[100],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1]}]}}],"error":null}})",
        R"({"chart":{"result":[{"timestamp":[100,200],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[1]}]}}],"error":null}})",
        R"({"chart":{"result":[{"timestamp":[100],"indicators":{"quote":[{"open":["1"],"high":[1],"low":[1],"close":[1],"volume":[1]}]}}],"error":null}})",
        R"({"chart":{"result":[{"meta":{"symbol":7}}],"error":null}})",
        R"({"chart":{"result":[{"events":{"dividends":{"1":{"amount":0.1}}}}],"error":null}})",
        R"({"chart":{"result":[{"events":{"splits":{"1":{"date":1,"splitRatio":"4:1"}}}}],"error":null}})",
        R"({"chart":{"result":[{"timestamp":[99999999999999],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[1]}]}}],"error":null}})",
        R"({"chart":{"result":null,"error":null}}})",
        R"({"chart":{"result":null,"error":null}} x)",
    };
    for (const char* body : bodies) {
        const Error error = error_of(parse_yahoo_chart(body));
        EXPECT_EQ(error.code, ErrorCode::ParseError) << body << ": " << error.message;
        EXPECT_THAT(error.message, HasSubstr("Yahoo chart: ")) << body;
    }
}

TEST(YahooChartTest, LengthMismatchNamesTheColumn) {
    const Error error = error_of(parse_yahoo_chart(yahoo_body(
        R"({"timestamp":[1,2],"indicators":{"quote":[{"open":[1,2],"high":[1,2],"low":[1],"close":[1,2],"volume":[1,2]}]}})")));
    EXPECT_EQ(error.code, ErrorCode::ParseError);
    EXPECT_THAT(error.message, HasSubstr("low has 1 values for 2 timestamps"));
}

// ---- not JSON at all, for every parser

TEST(ApiFormatsTest, HtmlPageIsQuoted) {
    const std::string html = "<html><body>502 Bad Gateway</body></html>";
    for (const Error& error :
         {error_of(parse_yahoo_chart(html)), error_of(parse_binance_klines(html)),
          error_of(parse_kraken_ohlc(html))}) {
        EXPECT_EQ(error.code, ErrorCode::ParseError);
        EXPECT_THAT(error.message, HasSubstr("not a JSON object or array"));
        EXPECT_THAT(error.message, HasSubstr("\"<html><body>502 Bad Gateway</body></html>\""));
    }
}

TEST(ApiFormatsTest, LongBinaryBodyIsQuotedShortAndPrintable) {
    std::string body = "\r\n Too Many Requests\x01\xff\n";
    body += std::string(200, 'z');
    const Error error = error_of(parse_binance_klines(body));
    EXPECT_EQ(error.code, ErrorCode::ParseError);
    EXPECT_THAT(error.message, HasSubstr("\"Too Many Requests?? zzz"));
    EXPECT_THAT(error.message, HasSubstr("z...\""));
    EXPECT_LT(error.message.size(), 160u);
}

TEST(ApiFormatsTest, EmptyBodies) {
    for (const char* body : {"", " \r\n\t"}) {
        for (const Error& error :
             {error_of(parse_yahoo_chart(body)), error_of(parse_binance_klines(body)),
              error_of(parse_kraken_ohlc(body))}) {
            EXPECT_EQ(error.code, ErrorCode::ParseError);
            EXPECT_THAT(error.message, HasSubstr("empty body"));
        }
    }
}

TEST(ApiFormatsTest, MalformedJson) {
    const std::string deep = std::string(5000, '[') + std::string(5000, ']');
    const std::string bodies[] = {
        R"([[1,"2")",
        R"({"error":[],"result":{"P":[],"last":1)",
        R"([[1,"2"])",
        "[1}",
        R"({"a" 1})",
        "[\"\xff\xfe\"]",
        deep,
        R"([[1706630400000,"1","1","1","1","1",1,]])",
        R"({"chart":{]})",
    };
    for (const std::string& body : bodies) {
        for (const Error& error :
             {error_of(parse_yahoo_chart(body)), error_of(parse_binance_klines(body)),
              error_of(parse_kraken_ohlc(body))}) {
            EXPECT_EQ(error.code, ErrorCode::ParseError)
                << body.substr(0, 60) << ": " << error.message;
        }
    }
}

// A parse that succeeded or failed with one of the documented codes.
template <class T>
void expect_clean(const Result<T>& result) {
    if (!result) {
        const ErrorCode code = result.error().code;
        EXPECT_TRUE(code == ErrorCode::ParseError || code == ErrorCode::NotFound ||
                    code == ErrorCode::InvalidArgument)
            << result.error().message;
    }
}

// Random byte changes to recorded bodies never crash a parser (the sanitizer build checks that
// nothing is read out of bounds either).
TEST(ApiFormatsTest, MutatedBodiesFailCleanly) {
    const std::optional<std::string> yahoo = fixture(kAaplDaily);
    SKIP_IF_ABSENT(yahoo);
    const std::optional<std::string> binance =
        fixture("ccxt-binance/fapi_v1_klines_BTCUSDT_1m_limit3.body.json");
    SKIP_IF_ABSENT(binance);
    const std::optional<std::string> kraken = fixture("nautilus/kraken/http_ohlc.json");
    SKIP_IF_ABSENT(kraken);
    const char alphabet[] = "[]{}\",:0123456789.-enul \\\x80";
    std::mt19937_64 random(11);
    for (int i = 0; i < 1000; ++i) {
        std::string bodies[] = {*yahoo, *binance, *kraken};
        for (std::string& body : bodies) {
            for (int change = 0; change < 3; ++change) {
                body[random() % body.size()] = alphabet[random() % (sizeof alphabet - 1)];
            }
        }
        expect_clean(parse_yahoo_chart(bodies[0]));
        expect_clean(parse_binance_klines(bodies[1]));
        expect_clean(parse_kraken_ohlc(bodies[2]));
    }
}

// ---- Binance klines

constexpr const char* kBinanceSpot =
    "ccxt-binance/api_v3_klines_BTCUSDT_1h_startTime1706628191000_limit3.body.json";

TEST(BinanceKlinesTest, SpotKlines) {
    const std::optional<std::string> body = fixture(kBinanceSpot);
    SKIP_IF_ABSENT(body);
    const BinanceKlines klines = parse_binance_klines(*body).value();
    ASSERT_EQ(klines.bars.size(), 3u);
    ASSERT_EQ(klines.close_time_ms.size(), 3u);
    const Bar first = klines.bars.bar(0);
    EXPECT_EQ(format_iso(first.ts), "2024-01-30T16:00:00Z");
    EXPECT_EQ(first.ts, Timestamp(1706630400000 * kNanosPerMilli));
    EXPECT_EQ(first.open, 43519.34);
    EXPECT_EQ(first.high, 43936.0);
    EXPECT_EQ(first.low, 43171.0);
    EXPECT_EQ(first.close, 43488.71);
    EXPECT_EQ(first.volume, 20.55495);
    EXPECT_EQ(klines.close_time_ms[0], 1706633999999);
    const Bar last = klines.bars.bar(2);
    EXPECT_EQ(format_iso(last.ts), "2024-01-30T18:00:00Z");
    EXPECT_EQ(last.open, 43374.81);
    EXPECT_EQ(last.high, 44048.0);
    EXPECT_EQ(last.low, 43062.0);
    EXPECT_EQ(last.close, 43361.11);
    EXPECT_EQ(last.volume, 23.66547);
    EXPECT_EQ(klines.close_time_ms[2], 1706641199999);
}

TEST(BinanceKlinesTest, FuturesAndIndexKlines) {
    const std::optional<std::string> usdt =
        fixture("ccxt-binance/fapi_v1_klines_BTCUSDT_1m_limit3.body.json");
    SKIP_IF_ABSENT(usdt);
    const std::optional<std::string> index =
        fixture("ccxt-binance/dapi_v1_indexPriceKlines_BTCUSD_1d_limit3.body.json");
    SKIP_IF_ABSENT(index);
    const BinanceKlines futures = parse_binance_klines(*usdt).value();
    ASSERT_EQ(futures.bars.size(), 3u);
    EXPECT_EQ(futures.bars.bar(0).ts, Timestamp(1712738460000 * kNanosPerMilli));
    EXPECT_EQ(futures.bars.bar(0).open, 71481.9);
    EXPECT_EQ(futures.bars.bar(0).volume, 0.002);
    EXPECT_EQ(futures.bars.bar(2).low, 70459.4);
    EXPECT_EQ(futures.bars.bar(2).volume, 1.542);

    const BinanceKlines prices = parse_binance_klines(*index).value();
    ASSERT_EQ(prices.bars.size(), 3u);
    EXPECT_EQ(format_date(prices.bars.bar(0).ts), "2024-04-08");
    EXPECT_EQ(prices.bars.bar(0).open, 69362.49174406);
    EXPECT_EQ(prices.bars.bar(2).close, 68921.797496);
    EXPECT_EQ(prices.bars.bar(2).volume, 0.0);
    EXPECT_EQ(prices.close_time_ms[2], 1712793599999);
}

TEST(BinanceKlinesTest, DocumentationExampleIsExact) {
    const std::optional<std::string> body = fixture("nautilus/binance/klines_response.json");
    SKIP_IF_ABSENT(body);
    const BinanceKlines klines = parse_binance_klines(*body).value();
    ASSERT_EQ(klines.bars.size(), 1u);
    const Bar bar = klines.bars.bar(0);
    EXPECT_EQ(bar.ts, Timestamp(1499040000000 * kNanosPerMilli));
    EXPECT_EQ(bar.open, std::strtod("0.01634790", nullptr));
    EXPECT_EQ(bar.high, std::strtod("0.80000000", nullptr));
    EXPECT_EQ(bar.low, std::strtod("0.01575800", nullptr));
    EXPECT_EQ(bar.close, std::strtod("0.01577100", nullptr));
    EXPECT_EQ(bar.volume, std::strtod("148976.11427815", nullptr));
    EXPECT_EQ(klines.close_time_ms[0], 1499644799999);
}

TEST(BinanceKlinesTest, NumberStringsMatchStrtod) {
    std::mt19937_64 random(7);
    std::uniform_int_distribution<std::int64_t> units(0, 99'999'999'999'999);
    std::string body = "[";
    std::vector<std::string> prices;
    for (std::int64_t i = 0; i < 2000; ++i) {
        const std::int64_t u = units(random);
        prices.push_back(fmt::format("{}.{:08}", u / 100'000'000, u % 100'000'000));
        body += fmt::format(R"({}[{},"{}","{}","{}","{}","{}",{},"0",1,"0","0","0"])",
                            i == 0 ? "" : ",", 1'700'000'000'000 + i * 60'000, prices.back(),
                            prices.back(), prices.back(), prices.back(), prices.back(),
                            1'700'000'059'999 + i * 60'000);
    }
    body += "]";
    const BinanceKlines klines = parse_binance_klines(body).value();
    ASSERT_EQ(klines.bars.size(), prices.size());
    for (std::size_t i = 0; i < prices.size(); ++i) {
        const double expected = std::strtod(prices[i].c_str(), nullptr);
        ASSERT_EQ(klines.bars.bar(i).open, expected) << prices[i];
        ASSERT_EQ(klines.bars.bar(i).volume, expected) << prices[i];
    }
}

TEST(BinanceKlinesTest, EmptyArrayIsNoBars) {
    const BinanceKlines klines = parse_binance_klines(" [ ]\n").value();
    EXPECT_TRUE(klines.bars.empty());
    EXPECT_TRUE(klines.close_time_ms.empty());
}

TEST(BinanceKlinesTest, ApiErrors) {
    const Error invalid =
        error_of(parse_binance_klines(R"({"code":-1121,"msg":"Invalid symbol."})"));
    EXPECT_EQ(invalid.code, ErrorCode::NotFound);
    EXPECT_THAT(invalid.message, HasSubstr("Invalid symbol."));
    EXPECT_THAT(invalid.message, HasSubstr("-1121"));

    const Error interval =
        error_of(parse_binance_klines(R"({"code":-1120,"msg":"Invalid interval."})"));
    EXPECT_EQ(interval.code, ErrorCode::InvalidArgument);
    EXPECT_THAT(interval.message, HasSubstr("Invalid interval."));

    const Error limit = error_of(parse_binance_klines(
        R"({"msg":"Illegal characters found in parameter 'symbol'.","code":-1100})"));
    EXPECT_EQ(limit.code, ErrorCode::InvalidArgument);
    EXPECT_THAT(limit.message, HasSubstr("Illegal characters"));
}

TEST(BinanceKlinesTest, WrongShapesAreParseErrors) {
    const char* bodies[] = {
        R"({"msg":"no code"})",
        R"({"code":"-1121","msg":"code as a string"})",
        R"([[1499040000000,0.0163479,"0.8","0.01","0.01","1",1499644799999,"0",1,"0","0","0"]])",
        R"([["1499040000000","0.01","0.8","0.01","0.01","1",1499644799999,"0",1,"0","0","0"]])",
        R"([[1499040000000,"0.01","0.8","0.01","0.01","1"]])",
        R"([[1499040000000,"0.01","0.8","0.01","0.01","1",1499644799999.5]])",
        R"([[1499040000000,"abc","0.8","0.01","0.01","1",1499644799999]])",
        R"([[1499040000000,"0.01 ","0.8","0.01","0.01","1",1499644799999]])",
        R"([[1499040000000,"","0.8","0.01","0.01","1",1499644799999]])",
        R"([[1499040000000,"nan","0.8","0.01","0.01","1",1499644799999]])",
        R"([[1499040000000,"1e400","0.8","0.01","0.01","1",1499644799999]])",
        R"([[1499040000000,null,"0.8","0.01","0.01","1",1499644799999]])",
        R"([[9223372036854775,"1","1","1","1","1",1]])",
        R"([{"open":1}])",
        R"([7])",
        R"(["x"])",
    };
    for (const char* body : bodies) {
        const Error error = error_of(parse_binance_klines(body));
        EXPECT_EQ(error.code, ErrorCode::ParseError) << body << ": " << error.message;
        EXPECT_THAT(error.message, HasSubstr("Binance klines: ")) << body;
    }
}

TEST(BinanceKlinesTest, ErrorNamesTheKlineAndField) {
    const Error error =
        error_of(parse_binance_klines(R"([[1,"1","1","1","1","1",1],[2,"1","1","x1","1","1",2]])"));
    EXPECT_EQ(error.code, ErrorCode::ParseError);
    EXPECT_THAT(error.message, HasSubstr("kline 1: low: \"x1\" is not a number"));
    EXPECT_THAT(error.message, HasSubstr("near byte"));
}

TEST(BinanceKlinesTest, TruncatedBodiesAreParseErrors) {
    const std::optional<std::string> spot = fixture(kBinanceSpot);
    SKIP_IF_ABSENT(spot);
    const std::optional<std::string> doc = fixture("nautilus/binance/klines_response.json");
    SKIP_IF_ABSENT(doc);
    expect_prefixes_fail(*spot, parse_binance_klines);
    expect_prefixes_fail(*doc, parse_binance_klines);
    expect_prefixes_fail(R"({"code":-1121,"msg":"Invalid symbol."})", parse_binance_klines);
}

// ---- Kraken OHLC

constexpr const char* kKraken = "nautilus/kraken/http_ohlc.json";

TEST(KrakenOhlcTest, RecordedMinuteBars) {
    const std::optional<std::string> body = fixture(kKraken);
    SKIP_IF_ABSENT(body);
    const KrakenOhlc ohlc = parse_kraken_ohlc(*body).value();
    ASSERT_EQ(ohlc.bars.size(), 721u);
    EXPECT_EQ(ohlc.last, 1762820160);
    const Bar first = ohlc.bars.bar(0);
    EXPECT_EQ(first.ts, utc(1762777020));
    EXPECT_EQ(format_iso(first.ts), "2025-11-10T12:17:00Z");
    EXPECT_EQ(first.open, 106038.2);
    EXPECT_EQ(first.close, 106038.2);
    EXPECT_EQ(first.volume, 0.0);
    const Bar third = ohlc.bars.bar(2);  // the first with a trade
    EXPECT_EQ(third.ts, utc(1762777140));
    EXPECT_EQ(third.high, 106038.3);
    EXPECT_EQ(third.volume, 0.00032101);
    // The last row is the still open minute after `last`.
    const Bar last = ohlc.bars.bar(720);
    EXPECT_EQ(last.ts, utc(1762820220));
    EXPECT_EQ(format_iso(last.ts), "2025-11-11T00:17:00Z");
    EXPECT_EQ(last.low, 105899.4);

    double volume_sum = 0;
    double close_sum = 0;
    std::size_t zero_volume = 0;
    for (std::size_t i = 0; i < ohlc.bars.size(); ++i) {
        const Bar bar = ohlc.bars.bar(i);
        volume_sum += bar.volume;
        close_sum += bar.close;
        zero_volume += bar.volume == 0 ? 1 : 0;
        if (i > 0) {
            ASSERT_EQ(bar.ts.ns() - ohlc.bars.bar(i - 1).ts.ns(), kNanosPerMinute);
        }
    }
    // Sums in body order, computed from the file with Python.
    EXPECT_EQ(volume_sum, 137.57368379);
    EXPECT_EQ(close_sum, 76258353.70000017);
    EXPECT_EQ(zero_volume, 216u);
}

TEST(KrakenOhlcTest, TruncatedRecordedBodyIsParseError) {
    const std::optional<std::string> body = fixture(kKraken);
    SKIP_IF_ABSENT(body);
    expect_prefixes_fail(*body, parse_kraken_ohlc, 499);
    const std::string small =
        R"({"error":[],"result":{"XXBTZUSD":[[1,"2.5","3","1","2","2.1","0.5",3]],"last":1}})";
    ASSERT_TRUE(parse_kraken_ohlc(small).has_value());
    expect_prefixes_fail(small, parse_kraken_ohlc);
}

TEST(KrakenOhlcTest, EmptyRowsAndWarnings) {
    const KrakenOhlc empty =
        parse_kraken_ohlc(R"({"error":[],"result":{"XXBTZUSD":[],"last":1762820160}})").value();
    EXPECT_TRUE(empty.bars.empty());
    EXPECT_EQ(empty.last, 1762820160);

    const KrakenOhlc warned =
        parse_kraken_ohlc(
            R"({"error":["WGeneral:Deprecated"],"result":{"last":60,"XETHZEUR":[[0,"1","2","0.5","1.5","1.2","10",4]]}})")
            .value();
    ASSERT_EQ(warned.bars.size(), 1u);
    EXPECT_EQ(warned.bars.bar(0).high, 2.0);
    EXPECT_EQ(warned.bars.bar(0).volume, 10.0);
    EXPECT_EQ(warned.last, 60);
}

TEST(KrakenOhlcTest, ApiErrors) {
    const Error unknown = error_of(parse_kraken_ohlc(R"({"error":["EQuery:Unknown asset pair"]})"));
    EXPECT_EQ(unknown.code, ErrorCode::NotFound);
    EXPECT_THAT(unknown.message, HasSubstr("EQuery:Unknown asset pair"));

    const Error several = error_of(parse_kraken_ohlc(
        R"({"error":["EGeneral:Invalid arguments","EService:Unavailable"],"result":{}})"));
    EXPECT_EQ(several.code, ErrorCode::InvalidArgument);
    EXPECT_THAT(several.message, HasSubstr("EGeneral:Invalid arguments; EService:Unavailable"));
}

TEST(KrakenOhlcTest, WrongShapesAreParseErrors) {
    const char* bodies[] = {
        R"([])",
        R"({"error":[]})",
        R"({"error":[],"result":{"last":1}})",
        R"({"error":[],"result":{"XXBTZUSD":[]}})",
        R"({"error":[],"result":{"A":[],"B":[],"last":1}})",
        R"({"error":[],"result":{"XXBTZUSD":[],"last":"1"}})",
        R"({"error":"EQuery:Unknown asset pair"})",
        R"({"error":[7]})",
        R"({"error":[],"result":{"XXBTZUSD":[[1,2.5,"3","1","2","2.1","0.5",3]],"last":1}})",
        R"({"error":[],"result":{"XXBTZUSD":[["1","2.5","3","1","2","2.1","0.5",3]],"last":1}})",
        R"({"error":[],"result":{"XXBTZUSD":[[1,"2.5","3","1","2","2.1"]],"last":1}})",
        R"({"error":[],"result":{"XXBTZUSD":{"rows":[]},"last":1}})",
    };
    for (const char* body : bodies) {
        const Error error = error_of(parse_kraken_ohlc(body));
        EXPECT_EQ(error.code, ErrorCode::ParseError) << body << ": " << error.message;
        EXPECT_THAT(error.message, HasSubstr("Kraken OHLC: ")) << body;
    }
}

}  // namespace
}  // namespace tradpal::data

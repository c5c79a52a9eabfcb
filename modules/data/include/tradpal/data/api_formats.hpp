// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/result.hpp>

namespace tradpal::data {

// Parsers of the market-data APIs' JSON bodies (simdjson). Every parser:
// - returns bars in the order of the body, timestamps as bar open times in UTC nanoseconds;
// - fails with ParseError for a body that is not the expected JSON (truncated, an HTML error
//   page, wrong shape), quoting the first bytes of the body when it is not JSON at all;
// - maps the API's own error object to NotFound when it says the symbol/pair is unknown, and to
//   InvalidArgument otherwise, with the API's message.

/// A Yahoo corporate action from the chart API's `events`.
struct YahooEvent {
    enum class Kind { Dividend, Split };
    Kind kind = Kind::Dividend;
    Timestamp ts;
    double amount = 0;       ///< dividend per share
    double numerator = 0;    ///< split ratio numerator (4 for 4:1)
    double denominator = 0;  ///< split ratio denominator
};

/// A decoded `/v8/finance/chart/{symbol}` body.
struct YahooChart {
    BarSeries bars;                  ///< rows with a null price are skipped (counted below)
    std::uint64_t null_rows = 0;     ///< rows skipped because open/high/low/close was null
    std::vector<YahooEvent> events;  ///< dividends and splits, in time order
    std::string symbol;              ///< meta.symbol
    std::string currency;            ///< meta.currency
    std::string exchange_timezone;   ///< meta.exchangeTimezoneName
    std::int64_t gmtoffset = 0;      ///< meta.gmtoffset, seconds
};
/// Parses a chart body. A body with no `timestamp` (no trading in the range) gives no bars.
/// A null volume counts as 0. Errors: NotFound for `"code":"Not Found"`, InvalidArgument for
/// other `chart.error` objects, ParseError.
Result<YahooChart> parse_yahoo_chart(std::string_view body);

/// A decoded Binance `/api/v3/klines` body.
struct BinanceKlines {
    BarSeries bars;                           ///< volume = base asset volume (field 5)
    std::vector<std::int64_t> close_time_ms;  ///< field 6, per bar
};
/// Parses a klines array (prices and volumes are JSON strings, times integers). Errors: NotFound
/// for `{"code":-1121,...}` (invalid symbol), InvalidArgument for other `{"code","msg"}` bodies,
/// ParseError.
Result<BinanceKlines> parse_binance_klines(std::string_view body);

/// A decoded Kraken `/0/public/OHLC` body.
struct KrakenOhlc {
    BarSeries bars;         ///< volume = field 6
    std::int64_t last = 0;  ///< `result.last`: the `since` for the next request (seconds)
};
/// Parses an OHLC body (the pair's key under `result` is whatever Kraken calls it, e.g.
/// "XXBTZUSD"). Errors: NotFound for "EQuery:Unknown asset pair", InvalidArgument for other
/// entries of `error`, ParseError.
Result<KrakenOhlc> parse_kraken_ohlc(std::string_view body);

}  // namespace tradpal::data

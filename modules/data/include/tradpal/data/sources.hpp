// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/result.hpp>
#include <tradpal/core/timeframe.hpp>
#include <tradpal/core/timestamp.hpp>
#include <tradpal/data/http.hpp>

namespace tradpal::data {

/// Bars of one symbol and timeframe with start <= open time < end.
struct FetchRequest {
    std::string symbol;  ///< as the user writes it: "BTC/USDT", "AAPL", "EURUSD=X"
    Timeframe timeframe{"1h"};
    Timestamp start;
    Timestamp end;
    /// The current time: a bar whose close (open + timeframe) is after `now` is still forming
    /// and is not returned.
    Timestamp now;
};

/// Called after every page: bars received so far and the open time reached.
using FetchProgress = std::function<void(std::uint64_t bars, Timestamp reached)>;

/// What a source returned.
struct FetchResult {
    BarSeries bars;                ///< strictly increasing open times inside the request
    std::uint64_t requests = 0;    ///< HTTP requests (pages) it took
    std::uint64_t duplicates = 0;  ///< repeated bars dropped (page boundaries)
    std::uint64_t partial = 0;     ///< still-forming bars dropped
    std::uint64_t null_rows = 0;   ///< rows without prices dropped
    std::string
        note;  ///< anything a person should know (e.g. "Kraken serves only the last 720 bars")
};

/// A place bars come from: a web API, a local file, the store.
class Source {
public:
    virtual ~Source() = default;
    /// "yahoo", "binance", ...
    virtual std::string_view name() const = 0;
    /// False when the source cannot serve this symbol form or timeframe at all (the chain then
    /// skips it without asking).
    virtual bool supports(std::string_view symbol, const Timeframe& timeframe) const = 0;
    /// True for web APIs: their answers are cached (settings `ttl_api`) and served from the
    /// cache, even stale, when every source fails.
    virtual bool is_remote() const { return false; }
    /// Errors: NotFound (symbol unknown to this source), Unavailable (network, server errors after
    /// retries, rate limited past the retries), ParseError (an answer that is not the API's JSON),
    /// InvalidArgument (the API refused the request).
    virtual Result<FetchResult> fetch(const FetchRequest& request,
                                      const FetchProgress& progress = {}) = 0;
};

/// Where a web source sends its requests (settings `[data] yahoo_url`, ... ; tests point these at
/// a local fake server).
struct WebSourceOptions {
    std::string base_url;  ///< scheme://host[:port], no trailing slash
    std::shared_ptr<HttpClient> client;
};

/// Yahoo Finance chart API `GET {base}/v8/finance/chart/{symbol}?period1&period2&interval
/// &events=div|split&includePrePost=false`. Splits a range into requests Yahoo accepts (1m: 7
/// days per request and only the last 30 days; 2m-30m: 60 days; 1h: 730 days; daily and up: one).
std::unique_ptr<Source> make_yahoo_source(WebSourceOptions options);
/// Binance `GET {base}/api/v3/klines?symbol&interval&startTime&endTime&limit=1000`, paging by
/// startTime; reads X-MBX-USED-WEIGHT-1m and slows down near the 6000 weight limit.
std::unique_ptr<Source> make_binance_source(WebSourceOptions options);
/// Kraken `GET {base}/0/public/OHLC?pair&interval&since`, paging by `last`.
std::unique_ptr<Source> make_kraken_source(WebSourceOptions options);

/// "BTC/USDT" -> "BTCUSDT"; nullopt for forms Binance does not have (no '/', stock tickers).
std::optional<std::string> binance_symbol(std::string_view symbol);
/// "1m" -> "1m", "1h" -> "1h", "1d" -> "1d", "1w" -> "1w", "1M" -> "1M"; nullopt otherwise.
std::optional<std::string> binance_interval(const Timeframe& timeframe);
/// "BTC/USD" -> "XBTUSD" (Kraken calls bitcoin XBT); nullopt without '/'.
std::optional<std::string> kraken_pair(std::string_view symbol);
/// Minutes for Kraken's `interval` (1, 5, 15, 30, 60, 240, 1440, 10080, 21600); nullopt otherwise.
std::optional<int> kraken_interval(const Timeframe& timeframe);
/// "BTC/USD" -> "BTC-USD"; "AAPL" -> "AAPL"; "EURUSD=X" unchanged.
std::string yahoo_symbol(std::string_view symbol);
/// "1m", "2m", "5m", "15m", "30m", "60m" (for 1h), "90m", "1d", "5d", "1wk", "1mo", "3mo".
std::optional<std::string> yahoo_interval(const Timeframe& timeframe);

}  // namespace tradpal::data

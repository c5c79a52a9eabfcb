// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/cache/cache.hpp>
#include <tradpal/core/result.hpp>
#include <tradpal/core/settings.hpp>
#include <tradpal/data/sources.hpp>
#include <tradpal/data/store.hpp>
#include <tradpal/data/validate.hpp>

namespace tradpal::data {

/// The bars already in the store: of the stored series with this symbol and timeframe (any
/// source), the one reaching furthest.
std::unique_ptr<Source> make_store_source(const Store& store);

/// A Kaggle Bitstamp one-minute CSV (settings `[data] kaggle_path`) for BTC/USD: imported into
/// the store (source "kaggle") on first use and again only when the file changed (rows after the
/// last stored bar), then served from there, aggregated for coarser timeframes.
std::unique_ptr<Source> make_kaggle_source(const Store& store, std::filesystem::path csv);

/// One step of the fallback chain, as it happened.
struct ChainStep {
    enum class Outcome {
        Served,   ///< this source's bars were used
        Skipped,  ///< the source cannot serve the symbol or timeframe
        Failed,   ///< an error (network, unknown symbol, unreadable answer)
        Empty,    ///< no bars in the range
        Invalid,  ///< bars that fail validation
    };
    std::string source;
    Outcome outcome = Outcome::Skipped;
    std::string reason;
};
/// "served", "skipped", "failed", "empty", "invalid".
std::string_view to_string(ChainStep::Outcome outcome) noexcept;

/// What the chain returned.
struct ChainResult {
    FetchResult result;
    std::string source;       ///< the source whose bars these are
    bool from_cache = false;  ///< a cached answer of that source
    bool stale = false;       ///< cached longer ago than `ttl_api`
    std::vector<ChainStep> steps;
};

struct ChainOptions {
    /// Answers of remote sources are kept here: served again while fresh (`ttl_api`) and, when
    /// every source fails, served stale as the last resort. Null: no caching.
    cache::Cache* cache = nullptr;
    std::int64_t ttl_api_seconds = 1800;
    /// How long cached answers are kept for that last resort.
    std::int64_t keep_stale_seconds = 7 * 86'400;
    /// Whether the last resort is tried ("cache" in the fallback order).
    bool stale_fallback = true;
};

/// Sources tried in order: a source that cannot serve the request is skipped; a failure, an
/// empty answer or bars failing validation move on to the next, each step logged with its
/// reason. Thread-safe if the sources are (the web sources are).
class SourceChain {
public:
    SourceChain(std::vector<std::unique_ptr<Source>> sources, ChainOptions options);

    /// The request each source gets (incremental fetches start after that source's own stored
    /// bars); a request with start >= end is "up to date" and served with no bars.
    using RequestFor = std::function<FetchRequest(const Source&)>;

    /// Errors: when no source serves bars and no cached copy exists, Unavailable if a source
    /// failed for another reason than not knowing the symbol (network, server, unreadable
    /// answer), else NotFound; the message lists what each source said.
    Result<ChainResult> fetch(const RequestFor& request_for, const FetchProgress& progress = {});
    Result<ChainResult> fetch(const FetchRequest& request, const FetchProgress& progress = {});

    const std::vector<std::unique_ptr<Source>>& sources() const noexcept { return sources_; }

private:
    std::vector<std::unique_ptr<Source>> sources_;
    ChainOptions options_;
};

/// The sources named in a fallback order such as "store,kaggle,yahoo,binance,kraken,cache"
/// ("cache" is the chain's last resort, see ChainOptions, and is not a source), with base URLs,
/// rate limits and timeouts from `[data]` applied to `client`. A Kaggle source without
/// kaggle_path is left out. Errors: InvalidArgument for an unknown name (listing the known ones).
Result<std::vector<std::unique_ptr<Source>>> make_sources(std::string_view order,
                                                          const DataSettings& settings,
                                                          const Store& store,
                                                          std::shared_ptr<HttpClient> client);

/// What update_series() did.
struct UpdateReport {
    ChainResult chain;
    SeriesKey key;  ///< the series written (the serving source's)
    std::uint64_t bars_added = 0;
    std::uint64_t already_stored = 0;  ///< bars at or before the last stored bar, skipped
    ValidationReport validation;       ///< of the bars added (gaps)
    SeriesMeta meta;                   ///< the series after the update
    bool up_to_date = false;           ///< nothing was asked: the store already had every bar
};

/// `tradpal fetch` for one symbol: asks the chain for bars after each source's last stored bar
/// (from `start` for a new series) up to `end`, and appends them to the series (source, symbol,
/// timeframe) of the source that served them, all or none.
/// Errors: the chain's; Locked; IoError; InvalidArgument for a chain holding the store source.
/// On any error the store is left as it was.
Result<UpdateReport> update_series(const Store& store, SourceChain& chain, std::string_view symbol,
                                   const Timeframe& timeframe, Timestamp start, Timestamp end,
                                   Timestamp now, const FetchProgress& progress = {});

}  // namespace tradpal::data

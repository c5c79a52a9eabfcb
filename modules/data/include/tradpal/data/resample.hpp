// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/progress.hpp>
#include <tradpal/core/result.hpp>
#include <tradpal/core/timeframe.hpp>
#include <tradpal/data/store.hpp>

namespace tradpal::data {

/// Streaming OHLCV aggregation into coarser, aligned buckets: open = first, high = max,
/// low = min, close = last, volume = sum; a bar is stamped with its bucket's start and no bar is
/// made for an empty bucket. Feed sorted chunks; memory stays constant.
class Resampler {
public:
    /// Errors: InvalidArgument when buckets of `from` do not nest inside buckets of `to`
    /// (e.g. 1h -> 90m, 1w -> 1M).
    static Result<Resampler> create(Timeframe from, Timeframe to);

    /// Aggregates rows; finished bars are appended to `out`.
    /// Throws: tradpal::Exception (ValidationFailed) when time goes backwards.
    void consume(const BarSeriesView& rows, BarSeries& out);
    /// Appends the last, possibly partial, bar.
    void finish(BarSeries& out);

private:
    explicit Resampler(Timeframe to) : to_(to) {}

    Timeframe to_;
    std::optional<Bar> current_;
    Timestamp next_bucket_;
    std::int64_t last_ts_ = 0;
};

/// What resample_series() did.
struct ResampleResult {
    std::uint64_t input_rows = 0;
    SeriesMeta target;
};

/// Resamples stored series `from` into (from.source, from.symbol, to), reading chunk by chunk and
/// replacing an earlier resampled series atomically.
/// Throws: tradpal::Exception (InvalidArgument for timeframes that do not nest; AlreadyExists
/// when the target holds data that was not resampled and `force` is false; Locked; IoError).
ResampleResult resample_series(const Store& store, const SeriesKey& from, Timeframe to,
                               std::size_t chunk_rows, bool force, const ProgressFn& progress = {});

}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <fmt/format.h>

#include <tradpal/data/resample.hpp>

namespace tradpal::data {

Result<Resampler> Resampler::create(Timeframe from, Timeframe to) {
    if (to == from || !to.is_multiple_of(from)) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("cannot resample {} bars to {}: the target must be coarser and its "
                                "buckets must contain whole {} bars (e.g. 1m -> 5m, 1h -> 4h, "
                                "1h -> 1d, 1d -> 1w, 1d -> 1M)",
                                from.to_string(), to.to_string(), from.to_string()));
    }
    return Resampler(to);
}

void Resampler::consume(const BarSeriesView& rows, BarSeries& out) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::int64_t ts = rows.ts()[i];
        if (current_ && ts <= last_ts_) {
            throw Exception(
                ErrorCode::ValidationFailed,
                fmt::format("bars are not in time order at {} (after {}); run "
                            "tradpal data validate --fix first",
                            format_iso(Timestamp(ts)), format_iso(Timestamp(last_ts_))));
        }
        last_ts_ = ts;
        if (current_ && ts < next_bucket_.ns()) {
            Bar& b = *current_;
            b.high = std::max(b.high, rows.high()[i]);
            b.low = std::min(b.low, rows.low()[i]);
            b.close = rows.close()[i];
            b.volume += rows.volume()[i];
            continue;
        }
        if (current_) {
            out.push_back(*current_);
        }
        const Timestamp start = to_.bucket_start(Timestamp(ts));
        current_ = Bar{start,         rows.open()[i],  rows.high()[i],
                       rows.low()[i], rows.close()[i], rows.volume()[i]};
        next_bucket_ = to_.next_bucket(start);
    }
}

void Resampler::finish(BarSeries& out) {
    if (current_) {
        out.push_back(*current_);
        current_.reset();
    }
}

ResampleResult resample_series(const Store& store, const SeriesKey& from, Timeframe to,
                               std::size_t chunk_rows, bool force, const ProgressFn& progress) {
    Resampler resampler = Resampler::create(from.timeframe, to).value();
    const StoredSeries source = store.open(from).value();
    const SeriesKey target{from.source, from.symbol, to};
    SeriesWriter writer = SeriesWriter::open(store, target, SeriesWriter::Mode::Replace).value();
    if (writer.previous() && !writer.previous()->origin.starts_with("resample") && !force) {
        throw Exception(
            ErrorCode::AlreadyExists,
            fmt::format("{} already holds data from '{}'; pass --force to replace it "
                        "with bars resampled from {}",
                        target.to_string(), writer.previous()->origin, from.timeframe.to_string()));
    }
    BarSeries out;
    const std::uint64_t total = source.meta().rows;
    source.for_each_chunk(chunk_rows, [&](const BarSeriesView& chunk, std::uint64_t first) {
        out.clear();
        resampler.consume(chunk, out);
        writer.stage(out);
        if (progress) {
            progress(first + chunk.size(), total);
        }
    });
    out.clear();
    resampler.finish(out);
    writer.stage(out);
    writer.set_origin(fmt::format("resample {} -> {} of version {}", from.timeframe.to_string(),
                                  to.to_string(), source.meta().version));
    return {total, writer.commit()};
}

}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include <tradpal/core/progress.hpp>
#include <tradpal/core/result.hpp>
#include <tradpal/data/store.hpp>

namespace tradpal::data {

/// How exported CSV writes times.
enum class TimeFormat {
    Iso,     ///< 2024-01-01T00:00:00Z
    Unix,    ///< epoch seconds (a fraction when needed)
    UnixMs,  ///< epoch milliseconds
    UnixNs,  ///< epoch nanoseconds
};
/// Parses "iso", "unix", "unix_ms", "unix_ns".
Result<TimeFormat> parse_time_format(std::string_view text);

struct ExportOptions {
    TimeFormat time_format = TimeFormat::Iso;
    std::size_t chunk_rows = 262'144;  ///< rows per pass (bounded memory)
    ProgressFn progress;               ///< rows written of rows
};

/// Writes `rows` (a view of `series`) as CSV "timestamp,open,high,low,close,volume" with
/// shortest round-trip numbers. `out` "-" is standard output; a file appears under its name only
/// when complete (written to a temporary name, then renamed). Returns the rows written.
/// Throws: tradpal::Exception (IoError).
std::uint64_t export_csv(const StoredSeries& series, const BarSeriesView& rows,
                         const std::filesystem::path& out, const ExportOptions& options);

/// True when this build can write HDF5.
bool hdf5_available() noexcept;

/// Writes `rows` as HDF5: datasets timestamp (int64 ns UTC), open, high, low, close, volume
/// (float64), with symbol, timeframe and source attributes; readable with h5py (pandas:
/// pd.DataFrame({k: f[k][:] for k in f})). Returns the rows written.
/// Throws: tradpal::Exception (Unavailable when built without HDF5, IoError).
std::uint64_t export_hdf5(const StoredSeries& series, const BarSeriesView& rows,
                          const std::filesystem::path& out, const ExportOptions& options);

}  // namespace tradpal::data

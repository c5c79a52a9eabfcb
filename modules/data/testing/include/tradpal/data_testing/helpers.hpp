// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/timeframe.hpp>

namespace tradpal::data_testing {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
    explicit TempDir(std::string_view tag = "tradpal");
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const std::filesystem::path& path() const noexcept { return path_; }
    /// Writes `content` to path()/name and returns the full path.
    std::filesystem::path write(std::string_view name, std::string_view content) const;

private:
    std::filesystem::path path_;
};

/// `n` valid bars, one per `timeframe` from `start`, a seeded random walk.
BarSeries synthetic_ohlcv(std::size_t n, std::uint64_t seed, Timeframe timeframe = Timeframe("1h"),
                          Timestamp start = Timestamp(1'704'067'200LL * kNanosPerSecond));

/// The series as CSV "timestamp,open,high,low,close,volume" (ISO times).
std::string to_csv(const BarSeriesView& bars);

/// The shared reference data directory (TRADPAL_SHARED_DIR env, else the build's default),
/// or nullopt when it does not exist.
std::optional<std::filesystem::path> shared_dir();

}  // namespace tradpal::data_testing

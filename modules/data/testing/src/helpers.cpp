// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <unistd.h>

#include <tradpal/core/file.hpp>
#include <tradpal/core/rng.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::data_testing {

TempDir::TempDir(std::string_view tag) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("{}_{}_{}", tag, ::getpid(), counter++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(std::string_view name, std::string_view content) const {
    const auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    write_file_atomic(p, content);
    return p;
}

BarSeries synthetic_ohlcv(std::size_t n, std::uint64_t seed, Timeframe timeframe, Timestamp start) {
    Rng rng(seed);
    BarSeries s;
    s.reserve(n);
    double close = 100.0;
    Timestamp t = timeframe.bucket_start(start);
    for (std::size_t i = 0; i < n; ++i) {
        const double open = close;
        close = open * std::exp(0.01 * rng.normal());
        const double high = std::max(open, close) * (1.0 + 0.002 * rng.uniform());
        const double low = std::min(open, close) * (1.0 - 0.002 * rng.uniform());
        s.push_back({t, open, high, low, close, 1.0 + 100.0 * rng.uniform()});
        t = timeframe.next_bucket(t);
    }
    return s;
}

std::string to_csv(const BarSeriesView& bars) {
    std::string out = "timestamp,open,high,low,close,volume\n";
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const Bar b = bars.bar(i);
        out += fmt::format("{},{},{},{},{},{}\n", format_iso(b.ts), b.open, b.high, b.low, b.close,
                           b.volume);
    }
    return out;
}

std::optional<std::filesystem::path> shared_dir() {
    const char* env = std::getenv("TRADPAL_SHARED_DIR");
    std::filesystem::path dir = (env != nullptr && *env != '\0') ? env : TRADPAL_SHARED_DIR;
    std::error_code ec;
    if (std::filesystem::is_directory(dir / "data", ec)) {
        return dir;
    }
    return std::nullopt;
}

}  // namespace tradpal::data_testing

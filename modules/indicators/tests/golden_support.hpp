// SPDX-License-Identifier: Apache-2.0
// Reading golden CSV files: "timestamp,<outputs>" with empty cells where there is no value.
#pragma once

#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators::testing {

struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<double>> columns;  // one per header field; NaN for an empty cell
};

/// Reads a golden CSV; throws std::runtime_error on anything unexpected.
inline Table read_table(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot open " + path.string());
    }
    Table t;
    std::string line;
    std::getline(in, line);
    for (std::size_t start = 0;;) {
        const std::size_t comma = line.find(',', start);
        t.header.push_back(line.substr(start, comma - start));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    t.columns.resize(t.header.size());
    while (std::getline(in, line)) {
        if (line.empty()) {
            continue;
        }
        std::size_t start = 0;
        for (std::size_t c = 0; c < t.header.size(); ++c) {
            const std::size_t comma = line.find(',', start);
            const std::size_t end = comma == std::string::npos ? line.size() : comma;
            double v = kNaN;
            if (end > start) {
                const auto [ptr, ec] = std::from_chars(line.data() + start, line.data() + end, v);
                if (ec != std::errc{} || ptr != line.data() + end) {
                    throw std::runtime_error("bad number in " + path.string() + ": " + line);
                }
            }
            t.columns[c].push_back(v);
            start = end + 1;
        }
    }
    return t;
}

/// ../shared/oracle/talib, or nullopt when absent.
inline std::optional<std::filesystem::path> oracle_dir() {
    const auto shared = data_testing::shared_dir();
    if (!shared || !std::filesystem::exists(*shared / "oracle/talib/visible_gbm_5000.csv")) {
        return std::nullopt;
    }
    return *shared / "oracle/talib";
}

/// The bars TA-Lib's reference outputs were computed from.
inline BarSeries golden_input(const std::filesystem::path& oracle) {
    const Table t = read_table(oracle / "visible_gbm_5000.csv");
    BarSeries bars;
    for (std::size_t i = 0; i < t.columns[0].size(); ++i) {
        bars.push_back({Timestamp::from_seconds(static_cast<std::int64_t>(t.columns[0][i])),
                        t.columns[1][i], t.columns[2][i], t.columns[3][i], t.columns[4][i],
                        t.columns[5][i]});
    }
    return bars;
}

/// Where our own golden files (for indicators TA-Lib lacks) live.
inline std::filesystem::path our_golden_dir() {
    return std::filesystem::path(TRADPAL_SOURCE_DIR) / "testdata/golden/indicators";
}

}  // namespace tradpal::indicators::testing

// SPDX-License-Identifier: Apache-2.0
// Datasets built with the GPU's indicators next to the CPU's: the feature sets, equality of
// two datasets within the GPU's tolerance, and the log lines build_dataset writes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <tradpal/ml/dataset.hpp>

namespace tradpal::ml::dataset_testing {

/// Every output of the six GPU indicators with a few parameter choices, and indicators the GPU
/// lacks (adx, bbands on an EMA) beside them: those stay on the CPU.
inline constexpr std::string_view kGpuFeatures =
    "ind:sma(20),ind:sma(200),ind:ema(12),ind:ema(50),ind:ema(1),ind:rsi(14),ind:rsi(2),"
    "ind:atr(14),ind:atr(1),ind:bbands(20,2,2,sma).upper,ind:bbands(20,2,2,sma).middle,"
    "ind:bbands(20,2,2,sma).lower,ind:bbands(50,1.5,2.5,sma).upper,ind:macd(12,26,9).macd,"
    "ind:macd(12,26,9).signal,ind:macd(12,26,9).hist,ind:macd(5,35,5).hist,ind:adx(14),"
    "ind:bbands(20,2,2,ema).upper,logret(1),hour";
/// How many of kGpuFeatures' columns the GPU computes (all ind: items but the last two), and
/// how many columns there are (hour has two).
inline constexpr std::size_t kGpuFeaturesOnGpu = 17;
inline constexpr std::size_t kGpuFeaturesColumns = 22;
/// Of kDefaultFeatures: rsi, macd hist, bbands upper and lower, atr; of 14 columns.
inline constexpr std::size_t kDefaultOnGpu = 5;
inline constexpr std::size_t kDefaultColumns = 14;

inline Dataset build_with(const BarSeriesView& bars, std::string_view features,
                          FeatureCompute::Where where) {
    return build_dataset(bars, FeatureSpec::parse(features).value(),
                         LabelSpec::parse("class3(3,0.001)").value(), 1,
                         FeatureCompute{where, std::nullopt})
        .value();
}

inline bool same_bits(float a, float b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}
inline bool same_bits(double a, double b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

/// `gpu` equals `cpu`: the same columns, rows, valid range, times, labels and forward returns
/// (to the bit), and features within the GPU's tolerance. The GPU's indicators agree with the
/// CPU's within 1e-9 relative (modules/gpu's tests check the doubles). A feature is such an
/// indicator scaled by the close (value / close - 1 for price levels, near 0, so that the
/// indicator's relative difference becomes an absolute one: 1e-9 x max(1, |cpu|)), then
/// rounded to float, where two doubles that close can still fall on neighbouring floats: one
/// float step more. NaN (the lookback) must be NaN on both. Returns how many features differ.
inline std::size_t expect_same_dataset(const Dataset& cpu, const Dataset& gpu) {
    EXPECT_EQ(gpu.columns, cpu.columns);
    EXPECT_EQ(gpu.rows, cpu.rows);
    EXPECT_EQ(gpu.cols, cpu.cols);
    EXPECT_EQ(gpu.valid, cpu.valid);
    EXPECT_EQ(gpu.ts, cpu.ts);
    EXPECT_TRUE(std::equal(cpu.labels.begin(), cpu.labels.end(), gpu.labels.begin(),
                           gpu.labels.end(), [](float a, float b) { return same_bits(a, b); }));
    EXPECT_TRUE(std::equal(cpu.forward_returns.begin(), cpu.forward_returns.end(),
                           gpu.forward_returns.begin(), gpu.forward_returns.end(),
                           [](double a, double b) { return same_bits(a, b); }));
    if (gpu.features.size() != cpu.features.size() || cpu.features.size() != cpu.rows * cpu.cols) {
        ADD_FAILURE() << "feature matrices of different sizes";
        return 0;
    }
    std::size_t differ = 0;
    std::size_t failures = 0;
    for (std::size_t t = 0; t < cpu.rows; ++t) {
        for (std::size_t c = 0; c < cpu.cols; ++c) {
            const float want = cpu.at(t, c);
            const float got = gpu.at(t, c);
            if (same_bits(want, got)) {
                continue;
            }
            ++differ;
            const double step = std::nextafter(std::fabs(want), std::numeric_limits<float>::max()) -
                                std::fabs(want);
            const double tolerance = 1e-9 * std::max(1.0, std::fabs(double{want})) + step;
            const bool ok = std::isfinite(want) && std::isfinite(got) &&
                            std::fabs(double{got} - double{want}) <= tolerance;
            if (!ok && ++failures <= 10) {
                ADD_FAILURE() << cpu.columns[c] << " row " << t << ": cpu " << want << ", gpu "
                              << got;
            }
        }
    }
    return differ;
}

/// Collects what is logged while it lives (the default logger's sink replaced).
class LogCapture {
public:
    LogCapture()
        : previous_(spdlog::default_logger()),
          logger_(std::make_shared<spdlog::logger>(
              "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(text_))) {
        logger_->set_level(spdlog::level::info);
        spdlog::set_default_logger(logger_);
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
    ~LogCapture() { spdlog::set_default_logger(previous_); }
    std::string text() const { return text_.str(); }

private:
    std::ostringstream text_;
    std::shared_ptr<spdlog::logger> previous_;
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace tradpal::ml::dataset_testing

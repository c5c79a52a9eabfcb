// SPDX-License-Identifier: Apache-2.0
// Batch indicators of the GPU next to modules/indicators' batch forms: random walks and, when
// ../shared is there, Bitstamp's hourly BTC/USD; equal to the bit (host loop) or within 1e-9
// relative.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/gpu/indicators.hpp>
#include <tradpal/indicators/ma.hpp>
#include <tradpal/indicators/momentum.hpp>
#include <tradpal/indicators/volatility.hpp>

namespace tradpal::gpu::testing {

struct Columns {
    std::vector<double> high;
    std::vector<double> low;
    std::vector<double> close;

    IndicatorSeries view() const { return {high, low, close}; }
};

inline Columns random_walk(std::size_t n, std::uint64_t seed) {
    const BarSeries bars = data_testing::synthetic_ohlcv(n, seed);
    const BarSeriesView v = bars.view();
    return {{v.high().begin(), v.high().end()},
            {v.low().begin(), v.low().end()},
            {v.close().begin(), v.close().end()}};
}

/// High, low and close of ../shared's hourly Bitstamp file (CryptoDataDownload's layout).
inline std::optional<Columns> bitstamp_hourly() {
    const auto shared = data_testing::shared_dir();
    if (!shared) {
        return std::nullopt;
    }
    std::ifstream file(*shared / "data" / "btc-bitstamp-1h" / "Bitstamp_BTCUSD_1h.csv");
    if (!file) {
        return std::nullopt;
    }
    Columns c;
    std::string line;
    std::getline(file, line);  // the source's address
    std::getline(file, line);  // the header
    while (std::getline(file, line)) {
        std::stringstream fields(line);
        std::string cell[7];
        for (std::string& f : cell) {
            std::getline(fields, f, ',');
        }
        c.high.push_back(std::stod(cell[4]));
        c.low.push_back(std::stod(cell[5]));
        c.close.push_back(std::stod(cell[6]));
    }
    return c;
}

/// The six indicators with a few parameter choices each.
inline std::vector<BatchIndicator> six_indicators() {
    return {
        {IndicatorKind::Sma, 20},
        {IndicatorKind::Sma, 200},
        {IndicatorKind::Ema, 12},
        {IndicatorKind::Ema, 50},
        {IndicatorKind::Rsi, 14},
        {IndicatorKind::Rsi, 2},
        {IndicatorKind::Atr, 14},
        {IndicatorKind::Atr, 1},
        {IndicatorKind::Bbands, 20, 0, 0, 2, 2},
        {IndicatorKind::Bbands, 50, 0, 0, 1.5, 2.5},
        {IndicatorKind::Macd, 12, 26, 9},
        {IndicatorKind::Macd, 5, 35, 5},
    };
}

/// What modules/indicators gives for `b` over `c`, outputs one after the other.
inline std::vector<double> cpu_values(const Columns& c, const BatchIndicator& b) {
    const std::size_t n = c.close.size();
    std::vector<double> out(output_count(b.kind) * n);
    const std::span<double> all(out);
    switch (b.kind) {
        case IndicatorKind::Sma:
            indicators::sma(c.close, b.period, all);
            break;
        case IndicatorKind::Ema:
            indicators::ema(c.close, b.period, all);
            break;
        case IndicatorKind::Rsi:
            indicators::rsi(c.close, b.period, all);
            break;
        case IndicatorKind::Atr:
            indicators::atr(c.high, c.low, c.close, b.period, all);
            break;
        case IndicatorKind::Bbands:
            indicators::bbands(c.close, b.period, b.up_devs, b.down_devs, indicators::MaType::Sma,
                               all.first(n), all.subspan(n, n), all.subspan(2 * n));
            break;
        case IndicatorKind::Macd:
            indicators::macd(c.close, b.period, b.slow, b.signal, all.first(n), all.subspan(n, n),
                             all.subspan(2 * n));
            break;
    }
    return out;
}

/// Both NaN, or within 1e-9 relative (of the larger magnitude, at least 1e-12 absolute).
inline void expect_close(const std::vector<double>& gpu, const std::vector<double>& cpu) {
    ASSERT_EQ(gpu.size(), cpu.size());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < cpu.size(); ++i) {
        const double x = gpu[i];
        const double y = cpu[i];
        if (std::isnan(x) || std::isnan(y)) {
            bad += std::isnan(x) != std::isnan(y) ? 1 : 0;
            continue;
        }
        const double scale = std::max({std::fabs(x), std::fabs(y), 1e-3});
        if (std::fabs(x - y) > 1e-9 * scale) {
            if (++bad <= 3) {
                ADD_FAILURE() << "value " << i << ": " << x << " vs " << y;
            }
        }
    }
    EXPECT_EQ(bad, 0U);
}

/// Every value the same bits as the CPU's (NaN included).
inline void expect_same_bits(const std::vector<double>& gpu, const std::vector<double>& cpu) {
    ASSERT_EQ(gpu.size(), cpu.size());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < cpu.size(); ++i) {
        if (std::bit_cast<std::uint64_t>(gpu[i]) != std::bit_cast<std::uint64_t>(cpu[i]) &&
            ++bad <= 3) {
            ADD_FAILURE() << "value " << i << ": " << gpu[i] << " vs " << cpu[i];
        }
    }
    EXPECT_EQ(bad, 0U);
}

/// Every indicator of six_indicators() over every series, with `options`, against the CPU's
/// batch forms, each output compared by `compare` (expect_close or expect_same_bits).
inline void check_batch(const std::vector<Columns>& series, const BatchOptions& options,
                        void (*compare)(const std::vector<double>&, const std::vector<double>&)) {
    std::vector<IndicatorSeries> views;
    for (const Columns& c : series) {
        views.push_back(c.view());
    }
    const std::vector<BatchIndicator> list = six_indicators();
    auto out = batch_indicators(views, list, options);
    ASSERT_TRUE(out) << out.error().message;
    ASSERT_EQ(out->size(), series.size() * list.size());
    for (std::size_t s = 0; s < series.size(); ++s) {
        for (std::size_t k = 0; k < list.size(); ++k) {
            SCOPED_TRACE(::testing::Message() << "series " << s << ", indicator " << k);
            compare((*out)[s * list.size() + k], cpu_values(series[s], list[k]));
        }
    }
}

}  // namespace tradpal::gpu::testing

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/error.hpp>
#include <tradpal/indicators/kernels.hpp>

namespace tradpal::indicators {

// The value written for bars before an indicator's lookback, and TA-Lib's absolute zero guard.
using kernels::kEpsilon;
using kernels::kNaN;

/// Bar fields an indicator reads (bit flags).
enum InputField : unsigned {
    kOpen = 1U << 0,
    kHigh = 1U << 1,
    kLow = 1U << 2,
    kClose = 1U << 3,
    kVolume = 1U << 4,
    kTime = 1U << 5,
};

/// Batch inputs: columns of equal length (those an indicator does not read may be empty).
struct Inputs {
    std::span<const std::int64_t> ts;
    std::span<const double> open, high, low, close, volume;

    std::size_t size() const noexcept { return close.size(); }
    /// All columns of a bar series.
    static Inputs from(const BarSeriesView& bars) noexcept {
        return {bars.ts(), bars.open(), bars.high(), bars.low(), bars.close(), bars.volume()};
    }
    /// A single series, used as close (for indicators of one input).
    static Inputs of(std::span<const double> values) noexcept {
        Inputs in;
        in.close = values;
        return in;
    }
};

/// Moving-average kinds of TA-Lib's MA-type parameters (same numbering; MAMA is not offered).
enum class MaType { Sma = 0, Ema = 1, Wma = 2, Dema = 3, Tema = 4, Trima = 5, Kama = 6, T3 = 8 };
std::string_view to_string(MaType type) noexcept;

/// Throws tradpal::Exception (InvalidArgument) saying `what` when `ok` is false.
inline void require(bool ok, const char* what) {
    if (!ok) {
        throw Exception(ErrorCode::InvalidArgument, what);
    }
}

/// Throws unless every output span has the input's length.
void require_sizes(std::size_t n, std::span<const std::span<double>> outputs);

}  // namespace tradpal::indicators

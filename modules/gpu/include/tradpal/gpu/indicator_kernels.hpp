// SPDX-License-Identifier: Apache-2.0
// The work of one GPU thread of the batch indicators: one indicator over one series. The
// arithmetic is modules/indicators' own (tradpal/indicators/kernels.hpp, which the CPU batch
// forms call too), so sma, ema, rsi, atr, bbands and macd give the CPU's bits. The CUDA kernel
// calls run_indicator once per (series, indicator); a host loop calls it for the tests that
// run without a GPU.
#pragma once

#include <cstddef>

#include <tradpal/core/hd.hpp>
#include <tradpal/indicators/kernels.hpp>

namespace tradpal::gpu {

/// The indicators the GPU computes in batches.
enum class IndicatorKind : unsigned char { Sma, Ema, Rsi, Atr, Bbands, Macd };

/// One indicator with its parameters: `period` (macd: the fast period), `slow` and `signal`
/// (macd), `up_devs` and `down_devs` (bbands).
struct BatchIndicator {
    IndicatorKind kind = IndicatorKind::Sma;
    int period = 14;
    int slow = 26;
    int signal = 9;
    double up_devs = 2;
    double down_devs = 2;
};

/// Outputs of a kind: 1, or 3 for bbands (upper, middle, lower) and macd (macd, signal, hist).
TRADPAL_HD constexpr std::size_t output_count(IndicatorKind kind) noexcept {
    return kind == IndicatorKind::Bbands || kind == IndicatorKind::Macd ? 3 : 1;
}

}  // namespace tradpal::gpu

namespace tradpal::gpu::detail {

/// A series' columns (high and low only for atr).
struct SeriesColumns {
    const double* high = nullptr;
    const double* low = nullptr;
    const double* close = nullptr;
    std::size_t n = 0;
};

/// The work of one thread: `indicator` over `s`, its outputs one after the other in `out`.
TRADPAL_HD inline void run_indicator(const SeriesColumns& s, const BatchIndicator& indicator,
                                     double* out) {
    namespace k = indicators::kernels;
    const std::size_t n = s.n;
    switch (indicator.kind) {
        case IndicatorKind::Sma:
            k::sma_series(s.close, n, indicator.period, out);
            break;
        case IndicatorKind::Ema:
            k::ema_series(s.close, n, indicator.period, out);
            break;
        case IndicatorKind::Rsi:
            k::rsi_series(s.close, n, indicator.period, out);
            break;
        case IndicatorKind::Atr:
            k::atr_series(s.high, s.low, s.close, n, indicator.period, out);
            break;
        case IndicatorKind::Bbands:
            k::bbands_sma_series(s.close, n, indicator.period, indicator.up_devs,
                                 indicator.down_devs, out, out + n, out + 2 * n);
            break;
        case IndicatorKind::Macd:
            k::macd_series(s.close, n, indicator.period, indicator.slow, indicator.signal, out,
                           out + n, out + 2 * n);
            break;
    }
}

}  // namespace tradpal::gpu::detail

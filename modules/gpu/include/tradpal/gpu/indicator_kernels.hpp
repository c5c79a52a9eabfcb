// SPDX-License-Identifier: Apache-2.0
// The work of one GPU thread of the batch indicators: one indicator over one series, with
// the arithmetic of modules/indicators' batch forms (TA-Lib's conventions: NaN before the
// first value). sma, ema, rsi, atr and macd keep the CPU's order of operations; bbands
// computes each window's deviation in two passes (the CPU keeps running moments), so its
// bands agree to ~1e-12 relative rather than to the bit. The CUDA kernel calls these once per
// (series, indicator); a host loop calls them for the tests that run without a GPU.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include <tradpal/core/hd.hpp>

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

inline constexpr double kIndicatorNaN = std::numeric_limits<double>::quiet_NaN();

TRADPAL_HD inline void fill_nan(double* out, std::size_t count, std::size_t n) {
    for (std::size_t i = 0; i < count && i < n; ++i) {
        out[i] = kIndicatorNaN;
    }
}

TRADPAL_HD inline void sma_series(const double* in, std::size_t n, int period, double* out) {
    const auto p = static_cast<std::size_t>(period);
    const double count = period;
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sum += in[i];
        if (i + 1 < p) {
            out[i] = kIndicatorNaN;
            continue;
        }
        out[i] = sum / count;
        sum -= in[i + 1 - p];
    }
}

TRADPAL_HD inline void ema_series(const double* in, std::size_t n, int period, double* out) {
    const auto p = static_cast<std::size_t>(period);
    const double k = 2.0 / (period + 1);
    double value = 0;
    for (std::size_t i = 0; i < p && i < n; ++i) {
        value += in[i];
        out[i] = kIndicatorNaN;
    }
    if (n < p) {
        return;
    }
    value /= period;
    out[p - 1] = value;
    for (std::size_t i = p; i < n; ++i) {
        value = (in[i] - value) * k + value;
        out[i] = value;
    }
}

/// Wilder's RSI with the CPU's fast step (avg x (period-1)/period + part x 1/period).
TRADPAL_HD inline void rsi_series(const double* x, std::size_t n, int period, double* out) {
    const auto p = static_cast<std::size_t>(period);
    fill_nan(out, p, n);
    if (n <= p) {
        return;
    }
    const double count = period;
    const double keep = static_cast<double>(period - 1) / period;
    const double inv = 1.0 / period;
    const auto value = [](double gain, double loss) {
        const double total = gain + loss;
        return -1e-14 < total && total < 1e-14 ? 0.0 : 100.0 * (gain / total);
    };
    double prev = x[0];
    double gain = 0;
    double loss = 0;
    for (std::size_t i = 1; i <= p; ++i) {
        const double change = x[i] - prev;
        prev = x[i];
        gain += (change + std::fabs(change)) * 0.5;
        loss += (std::fabs(change) - change) * 0.5;
    }
    gain /= count;
    loss /= count;
    out[p] = value(gain, loss);
    for (std::size_t i = p + 1; i < n; ++i) {
        const double change = x[i] - prev;
        prev = x[i];
        gain = gain * keep + ((change + std::fabs(change)) * 0.5) * inv;
        loss = loss * keep + ((std::fabs(change) - change) * 0.5) * inv;
        out[i] = value(gain, loss);
    }
}

TRADPAL_HD inline double true_range(double high, double low, double prev_close) {
    double greatest = high - low;
    const double to_high = std::fabs(prev_close - high);
    const double to_low = std::fabs(prev_close - low);
    greatest = to_high > greatest ? to_high : greatest;
    greatest = to_low > greatest ? to_low : greatest;
    return greatest;
}

TRADPAL_HD inline void atr_series(const double* high, const double* low, const double* close,
                                  std::size_t n, int period, double* out) {
    const auto p = static_cast<std::size_t>(period);
    fill_nan(out, p, n);
    if (n <= p) {
        return;
    }
    double seed = 0;
    for (std::size_t i = 1; i <= p; ++i) {
        seed += true_range(high[i], low[i], close[i - 1]);
    }
    double value = seed / period;
    out[p] = value;
    if (period == 1) {
        for (std::size_t i = 2; i < n; ++i) {
            out[i] = true_range(high[i], low[i], close[i - 1]);
        }
        return;
    }
    const double decay = (period - 1.0) / period;
    const double gain = 1.0 / period;
    for (std::size_t i = p + 1; i < n; ++i) {
        value = (value * decay) + (true_range(high[i], low[i], close[i - 1]) * gain);
        out[i] = value;
    }
}

/// Bollinger bands on the simple average: upper, middle, lower.
TRADPAL_HD inline void bbands_series(const double* in, std::size_t n, int period, double up_devs,
                                     double down_devs, double* upper, double* middle,
                                     double* lower) {
    sma_series(in, n, period, middle);
    const auto p = static_cast<std::size_t>(period);
    fill_nan(upper, p - 1, n);
    fill_nan(lower, p - 1, n);
    for (std::size_t i = p - 1; i < n; ++i) {
        const double mean = middle[i];
        double squares = 0;
        for (std::size_t j = i + 1 - p; j <= i; ++j) {
            const double d = in[j] - mean;
            squares += d * d;
        }
        const double variance = squares / period;
        const double sd = variance > 0 ? std::sqrt(variance) : 0.0;
        upper[i] = mean + (sd * up_devs);
        lower[i] = mean - (sd * down_devs);
    }
}

/// MACD line, signal line and histogram (EMAs seeded by their simple means, TA-Lib's way).
TRADPAL_HD inline void macd_series(const double* close, std::size_t n, int fast, int slow,
                                   int signal, double* macd_out, double* signal_out,
                                   double* hist_out) {
    const std::size_t lookback =
        static_cast<std::size_t>(slow - 1) + static_cast<std::size_t>(signal - 1);
    fill_nan(macd_out, lookback, n);
    fill_nan(signal_out, lookback, n);
    fill_nan(hist_out, lookback, n);
    if (n <= lookback) {
        return;
    }
    const auto s0 = static_cast<std::size_t>(slow - 1);
    const auto f0 = static_cast<std::size_t>(slow - fast);
    double slow_ema = 0;
    double fast_ema = 0;
    for (std::size_t i = 0; i < s0; ++i) {
        slow_ema += close[i];
        if (i >= f0) {
            fast_ema += close[i];
        }
    }
    slow_ema = (slow_ema + close[s0]) / static_cast<double>(slow);
    fast_ema = (fast_ema + close[s0]) / static_cast<double>(fast);
    double m = fast_ema - slow_ema;
    const double k_fast = 2.0 / (fast + 1);
    const double k_slow = 2.0 / (slow + 1);
    const double k_signal = 2.0 / (signal + 1);
    double sig = 0;
    for (std::size_t i = s0 + 1; i <= lookback; ++i) {
        sig += m;
        slow_ema = ((close[i] - slow_ema) * k_slow) + slow_ema;
        fast_ema = ((close[i] - fast_ema) * k_fast) + fast_ema;
        m = fast_ema - slow_ema;
    }
    sig = (sig + m) / static_cast<double>(signal);
    macd_out[lookback] = m;
    signal_out[lookback] = sig;
    hist_out[lookback] = m - sig;
    for (std::size_t i = lookback + 1; i < n; ++i) {
        slow_ema = ((close[i] - slow_ema) * k_slow) + slow_ema;
        fast_ema = ((close[i] - fast_ema) * k_fast) + fast_ema;
        m = fast_ema - slow_ema;
        sig = ((m - sig) * k_signal) + sig;
        macd_out[i] = m;
        signal_out[i] = sig;
        hist_out[i] = m - sig;
    }
}

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
    const std::size_t n = s.n;
    switch (indicator.kind) {
        case IndicatorKind::Sma:
            sma_series(s.close, n, indicator.period, out);
            break;
        case IndicatorKind::Ema:
            ema_series(s.close, n, indicator.period, out);
            break;
        case IndicatorKind::Rsi:
            rsi_series(s.close, n, indicator.period, out);
            break;
        case IndicatorKind::Atr:
            atr_series(s.high, s.low, s.close, n, indicator.period, out);
            break;
        case IndicatorKind::Bbands:
            bbands_series(s.close, n, indicator.period, indicator.up_devs, indicator.down_devs, out,
                          out + n, out + 2 * n);
            break;
        case IndicatorKind::Macd:
            macd_series(s.close, n, indicator.period, indicator.slow, indicator.signal, out,
                        out + n, out + 2 * n);
            break;
    }
}

}  // namespace tradpal::gpu::detail

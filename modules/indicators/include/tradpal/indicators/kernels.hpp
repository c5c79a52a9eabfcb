// SPDX-License-Identifier: Apache-2.0
// The recurrences of the batch indicators over plain arrays, for the CPU batch forms and for
// the GPU's batch indicators (modules/gpu compiles them with nvcc, so this header has no
// std::span, exceptions or allocation). One copy, so that both give the same bits. Parameters
// are checked by the callers; outputs have the input's length with NaN for the lookback.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include <tradpal/core/hd.hpp>

namespace tradpal::indicators::kernels {

/// The value written for bars before an indicator's lookback.
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// TA-Lib's absolute zero guard (TA_EPSILON): denominators below it count as zero.
inline constexpr double kEpsilon = 1e-14;

/// NaN into out[0 .. min(count, n)).
TRADPAL_HD inline void fill_nan(double* out, std::size_t count, std::size_t n) noexcept {
    for (std::size_t i = 0; i < count && i < n; ++i) {
        out[i] = kNaN;
    }
}

// ---- building blocks

/// The rising part of a change, max(d, 0), as arithmetic: GCC turns the ternary form into a
/// data-dependent branch, which mispredicts on every other bar of a random walk.
TRADPAL_HD inline double gain_part(double d) noexcept {
    return (d + std::fabs(d)) * 0.5;
}
/// The falling part of a change, max(-d, 0).
TRADPAL_HD inline double loss_part(double d) noexcept {
    return (std::fabs(d) - d) * 0.5;
}
/// TA-Lib's TA_IS_ZERO with its absolute epsilon.
TRADPAL_HD inline bool is_zero(double v) noexcept {
    return -kEpsilon < v && v < kEpsilon;
}
/// RSI from Wilder's average gain and loss.
TRADPAL_HD inline double rsi_value(double gain, double loss) noexcept {
    const double total = gain + loss;
    return is_zero(total) ? 0.0 : 100.0 * (gain / total);
}

/// How a Wilder average takes a step.
enum class WilderStep {
    /// TA-Lib's (avg * (period - 1) + change) / period, bit for bit.
    Exact,
    /// avg * ((period - 1) / period) + change * (1 / period): RSI's, as the division in the
    /// loop-carried chain would triple its cost per bar; within ~1e-15 of Exact.
    Fast,
};

/// The constants of a Wilder step over `period` bars.
struct WilderFactors {
    double prior;  // period - 1
    double n;      // period
    double keep;   // (period - 1) / period
    double inv;    // 1 / period
};
TRADPAL_HD inline WilderFactors wilder_factors(int period) noexcept {
    return {static_cast<double>(period - 1), static_cast<double>(period),
            static_cast<double>(period - 1) / period, 1.0 / period};
}
/// One Wilder step of an average towards `part`.
template <WilderStep Step>
TRADPAL_HD inline double wilder_step(double avg, double part, const WilderFactors& f) noexcept {
    if constexpr (Step == WilderStep::Exact) {
        return (avg * f.prior + part) / f.n;
    } else {
        return avg * f.keep + part * f.inv;
    }
}

/// True range of a bar: the largest of high - low, |prev_close - high| and |prev_close - low|.
/// A NaN high or low gives NaN; a NaN previous close falls back to high - low (as TA-Lib).
TRADPAL_HD inline double true_range(double high, double low, double prev_close) noexcept {
    double greatest = high - low;
    const double to_high = std::fabs(prev_close - high);
    const double to_low = std::fabs(prev_close - low);
    greatest = to_high > greatest ? to_high : greatest;
    greatest = to_low > greatest ? to_low : greatest;
    return greatest;
}

/// sqrt(variance), or 0 where variance < 1e-14 (TA-Lib's guard against running-sum residue).
TRADPAL_HD inline double guarded_sqrt(double variance) noexcept {
    return variance < kEpsilon ? 0.0 : std::sqrt(variance);
}

// ---- whole series (period >= 1 unless said otherwise)

/// Simple moving average (a running sum).
TRADPAL_HD inline void sma_series(const double* in, std::size_t n, int period,
                                  double* out) noexcept {
    const auto p = static_cast<std::size_t>(period);
    const double count = period;
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sum += in[i];
        if (i + 1 < p) {
            out[i] = kNaN;
            continue;
        }
        out[i] = sum / count;
        sum -= in[i + 1 - p];
    }
}

/// Exponential moving average seeded by the mean of the first `period` values.
TRADPAL_HD inline void ema_series(const double* in, std::size_t n, int period,
                                  double* out) noexcept {
    const auto p = static_cast<std::size_t>(period);
    const double k = 2.0 / (period + 1);
    double value = 0;
    for (std::size_t i = 0; i < p && i < n; ++i) {
        value += in[i];
        out[i] = kNaN;
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

/// Wilder's average gain and loss of successive changes, seeded with the mean of the first
/// `period` changes; out[i] = value(gain, loss) from bar `period` on (RSI, CMO). Period >= 2.
template <WilderStep Step, class Value>
TRADPAL_HD inline void gain_loss_series(const double* x, std::size_t n, int period, double* out,
                                        Value value) noexcept {
    const auto p = static_cast<std::size_t>(period);
    fill_nan(out, p, n);
    if (n <= p) {
        return;
    }
    const WilderFactors f = wilder_factors(period);
    double prev = x[0];
    double gain = 0;
    double loss = 0;
    for (std::size_t i = 1; i <= p; ++i) {
        const double change = x[i] - prev;
        prev = x[i];
        gain += gain_part(change);
        loss += loss_part(change);
    }
    gain /= f.n;
    loss /= f.n;
    out[p] = value(gain, loss);
    for (std::size_t i = p + 1; i < n; ++i) {
        const double change = x[i] - prev;
        prev = x[i];
        gain = wilder_step<Step>(gain, gain_part(change), f);
        loss = wilder_step<Step>(loss, loss_part(change), f);
        out[i] = value(gain, loss);
    }
}

/// Relative Strength Index with the fast Wilder step; period >= 2.
TRADPAL_HD inline void rsi_series(const double* x, std::size_t n, int period,
                                  double* out) noexcept {
    gain_loss_series<WilderStep::Fast>(
        x, n, period, out, [](double gain, double loss) noexcept { return rsi_value(gain, loss); });
}

/// True range from the second bar on (the first has no previous close).
TRADPAL_HD inline void true_range_series(const double* high, const double* low, const double* close,
                                         std::size_t n, double* out) noexcept {
    fill_nan(out, 1, n);
    for (std::size_t i = 1; i < n; ++i) {
        out[i] = true_range(high[i], low[i], close[i - 1]);
    }
}

/// The ATR recursion over whole columns; emit(i, atr) for every bar from `period` on.
template <class Emit>
TRADPAL_HD inline void atr_loop(const double* high, const double* low, const double* close,
                                std::size_t n, int period, Emit emit) noexcept {
    const auto p = static_cast<std::size_t>(period);
    if (n <= p) {
        return;
    }
    double seed = 0;
    for (std::size_t i = 1; i <= p; ++i) {
        seed += true_range(high[i], low[i], close[i - 1]);
    }
    double value = seed / period;
    emit(p, value);
    if (period == 1) {
        for (std::size_t i = 2; i < n; ++i) {
            emit(i, true_range(high[i], low[i], close[i - 1]));
        }
        return;
    }
    // Multiplying by (n-1)/n and 1/n instead of TA-Lib's "* (n-1), + tr, / n" takes the
    // division off the loop-carried chain; the smoothing damps the last-bit difference.
    const double decay = (period - 1.0) / period;
    const double gain = 1.0 / period;
    for (std::size_t i = p + 1; i < n; ++i) {
        value = (value * decay) + (true_range(high[i], low[i], close[i - 1]) * gain);
        emit(i, value);
    }
}

/// Average true range.
TRADPAL_HD inline void atr_series(const double* high, const double* low, const double* close,
                                  std::size_t n, int period, double* out) noexcept {
    fill_nan(out, static_cast<std::size_t>(period), n);
    atr_loop(high, low, close, n, period, [out](std::size_t i, double v) noexcept { out[i] = v; });
}

/// Bollinger bands on the simple average (upper, middle, lower); period >= 2. The mean and
/// variance come from running sums of x and x² (RunningMoments' arithmetic), in the order of
/// the CPU's two-lane loop (volatility.cpp), so the bands are the same bits.
TRADPAL_HD inline void bbands_sma_series(const double* in, std::size_t n, int period,
                                         double up_devs, double down_devs, double* upper,
                                         double* middle, double* lower) noexcept {
    const auto p = static_cast<std::size_t>(period);
    fill_nan(upper, p - 1, n);
    fill_nan(middle, p - 1, n);
    fill_nan(lower, p - 1, n);
    if (n < p) {
        return;
    }
    const double count = period;
    double sum = 0;
    double squares = 0;
    for (std::size_t j = 0; j + 1 < p; ++j) {
        sum += in[j];
        squares += in[j] * in[j];
    }
    for (std::size_t i = p - 1; i < n; ++i) {
        sum += in[i];
        squares += in[i] * in[i];
        const double mean = sum / count;
        const double mean_square = squares / count;
        const double leaving = in[i + 1 - p];
        sum -= leaving;
        squares -= leaving * leaving;
        const double sd = guarded_sqrt(mean_square - (mean * mean));
        middle[i] = mean;
        upper[i] = mean + (sd * up_devs);
        lower[i] = mean - (sd * down_devs);
    }
}

/// MACD line, signal line and histogram, TA-Lib style: both EMAs start at the slow EMA's first
/// bar (the fast one seeded by the mean of its last `fast` closes there); 2 <= fast < slow.
/// Macd::update's arithmetic, one phase per loop.
TRADPAL_HD inline void macd_series(const double* close, std::size_t n, int fast, int slow,
                                   int signal, double* macd_out, double* signal_out,
                                   double* hist_out) noexcept {
    const std::size_t lookback =
        static_cast<std::size_t>(slow - 1) + static_cast<std::size_t>(signal - 1);
    fill_nan(macd_out, lookback, n);
    fill_nan(signal_out, lookback, n);
    fill_nan(hist_out, lookback, n);
    if (n <= lookback) {
        return;
    }
    const auto s0 = static_cast<std::size_t>(slow - 1);  // the slow EMA's first bar
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

}  // namespace tradpal::indicators::kernels

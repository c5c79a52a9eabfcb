// SPDX-License-Identifier: Apache-2.0
// The indicators that strategies trade on, computed with backtrader's arithmetic.
//
// Strategies cross one average over another. Where prices stand still for a while, two
// averages of the same flat prices are equal up to the last bit or two, and whether one is
// "above" the other then depends on how each was rounded. To give backtrader's trades on such
// data, the averages here are rounded exactly as backtrader rounds them: a simple mean is the
// window's sum rounded once (Python's math.fsum) divided by the period, and exponential
// smoothing is prev * (1 - alpha) + x * alpha seeded with that mean. They differ from the
// TA-Lib-compatible kernels of the indicators module by a few ulps at most.
//
// Every function fills `out` (as long as the input) with NaN until its first value. A NaN
// prefix of the input (e.g. a MACD line) is skipped; inputs must be finite after it.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include <tradpal/backtest/detail/exact_sum.hpp>
#include <tradpal/indicators/rolling.hpp>

namespace tradpal::backtest::signals {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// --- streaming forms: update() takes the next value and returns the indicator (NaN until it
// has enough data); leading NaN inputs are skipped. The batch functions below run these.

/// Mean of the last `period` values, their sum rounded once (backtrader's Average).
class ExactMean {
public:
    /// Throws: tradpal::Exception (InvalidArgument) unless 1 <= period <= 100000.
    explicit ExactMean(int period);

    [[gnu::always_inline]] double update(double x) {
        // The common case: a full window summed in fixed point and a value in the exponent
        // range seen so far. Everything else (warm-up, zeros, a new exponent, NaN, the exact
        // fallback) takes the out-of-line path.
        const auto bits = std::bit_cast<std::uint64_t>(x);
        const int exponent = static_cast<int>((bits >> 52) & 0x7ff);
        if (static_cast<unsigned>(exponent - fast_min_exponent_) <= fast_exponent_span_)
            [[likely]] {
            if (narrow_) {
                // The window sum fits 63 bits: the conversion to double rounds it once, in
                // hardware, and the scale by a power of two is exact.
                const std::int64_t v = detail::to_fixed64(bits, exponent, min_exponent_);
                sum64_ += v - static_cast<std::int64_t>(fixed_window_[pos_]);
                fixed_window_[pos_] = v;
                value_ = static_cast<double>(sum64_) * unit_ / period_;
            } else {
                const detail::Int128 v = detail::to_fixed(x, min_exponent_);
                sum_ += v - fixed_window_[pos_];
                fixed_window_[pos_] = v;
                value_ = detail::fixed_to_double(sum_, unit_exponent_) / period_;
            }
            pos_ = pos_ + 1 == period_size_ ? 0 : pos_ + 1;
            return value_;
        }
        return update_slow(x);
    }
    bool ready() const noexcept { return count_ == fixed_window_.size(); }
    double value() const noexcept { return value_; }

private:
    double update_slow(double x);
    /// A value outside the exponent range seen so far: rescale the sums, or give up the
    /// fixed-point sum when the range no longer fits 128 bits (or x is not finite).
    void widen(double x);
    /// The exact sum of the window, computed afresh from the values.
    double slow_mean();

    std::vector<detail::Int128> fixed_window_;  // the window's values in fixed point
    std::vector<double> window_;                // the same as doubles, kept only after a fallback
    std::size_t pos_ = 0;
    std::size_t count_ = 0;
    double period_;
    int window_bits_;  // bits a window sum needs beyond the exponent range
    bool started_ = false;
    bool fixed_ = true;
    // The fast path's exponent range [min, min + span]: that of the values seen while the
    // window is full and summed in fixed point, else empty (a minimum no exponent reaches).
    int fast_min_exponent_ = 4096;
    unsigned fast_exponent_span_ = 0;
    std::size_t period_size_;
    bool narrow_ = false;  // fixed point and every window sum fits 63 bits: sum64_ holds it
    bool have_exponent_ = false;
    int min_exponent_ = 2047;  // of the nonzero values seen (have_exponent_)
    int max_exponent_ = 0;
    int unit_exponent_ = 0;
    detail::Int128 sum_ = 0;  // the window sum unless narrow_
    std::int64_t sum64_ = 0;
    double unit_ = 0;  // 2^unit_exponent_
    double value_ = kNaN;
    std::vector<double> partials_;
};

/// prev * (1 - alpha) + x * alpha, seeded with the ExactMean of the first `period` values
/// (backtrader's ExponentialSmoothing: EMA with alpha = 2 / (1 + period), Wilder with 1 / period).
class Smoother {
public:
    Smoother(int period, double alpha) : seed_(period), alpha_(alpha), keep_(1.0 - alpha) {}
    static Smoother ema(int period) { return Smoother(period, 2.0 / (1.0 + period)); }
    static Smoother wilder(int period) { return Smoother(period, 1.0 / period); }

    double update(double x) {
        if (seeded_) [[likely]] {
            value_ = value_ * keep_ + x * alpha_;
        } else if (const double mean = seed_.update(x); !std::isnan(mean)) {
            seeded_ = true;
            value_ = mean;
        }
        return value_;
    }
    double value() const noexcept { return value_; }

private:
    ExactMean seed_;
    double alpha_;
    double keep_;
    bool seeded_ = false;
    double value_ = kNaN;
};

/// Wilder's RSI over closes; a zero down average gives 100 (50 when the up average is zero too).
class Rsi {
public:
    explicit Rsi(int period) : up_(Smoother::wilder(period)), down_(Smoother::wilder(period)) {}

    double update(double close) {
        if (std::isnan(prev_)) {
            prev_ = close;
            return kNaN;
        }
        const double up = std::max(close - prev_, 0.0);
        const double down = std::max(prev_ - close, 0.0);
        prev_ = close;
        const double avg_up = up_.update(up);
        const double avg_down = down_.update(down);
        if (std::isnan(avg_up)) {
            return kNaN;
        }
        double rs;
        if (avg_down == 0) {
            rs = avg_up == 0 ? 1.0 : std::numeric_limits<double>::infinity();
        } else {
            rs = avg_up / avg_down;
        }
        return 100.0 - 100.0 / (1.0 + rs);
    }

private:
    Smoother up_;
    Smoother down_;
    double prev_ = kNaN;
};

/// MACD line (EMA fast - EMA slow) and its signal line (EMA of the MACD line).
class Macd {
public:
    /// Throws: tradpal::Exception (InvalidArgument) unless 1 <= fast < slow and signal >= 1.
    Macd(int fast, int slow, int signal);

    void update(double close) {
        const double fast = fast_.update(close);
        const double slow = slow_.update(close);
        macd_ = fast - slow;
        signal_value_ = signal_.update(macd_);
    }
    double macd() const noexcept { return macd_; }
    double signal() const noexcept { return signal_value_; }

private:
    Smoother fast_;
    Smoother slow_;
    Smoother signal_;
    double macd_ = kNaN;
    double signal_value_ = kNaN;
};

/// Bollinger bands: mid = mean, deviation = sqrt(|mean(x^2) - mean^2|) as backtrader computes it
/// (with the C library's pow), bands = mid +- devs x deviation.
class Bollinger {
public:
    Bollinger(int period, double devs) : mean_(period), mean_square_(period), devs_(devs) {}

    void update(double close);
    double mid() const noexcept { return mid_; }
    double top() const noexcept { return top_; }
    double bottom() const noexcept { return bottom_; }

private:
    ExactMean mean_;
    ExactMean mean_square_;
    double devs_;
    double mid_ = kNaN;
    double top_ = kNaN;
    double bottom_ = kNaN;
};

/// Highest high and lowest low of the last `period` bars, the current one included.
class Channel {
public:
    explicit Channel(int period) : range_(period) {}
    void update(double high, double low) noexcept { range_.update(high, low); }
    double highest() const noexcept { return range_.full() ? range_.highest() : kNaN; }
    double lowest() const noexcept { return range_.full() ? range_.lowest() : kNaN; }

private:
    indicators::RollingRange range_;
};

/// Average true range: Wilder's smoothing of max(high, prev close) - min(low, prev close).
class Atr {
public:
    explicit Atr(int period) : smoother_(Smoother::wilder(period)) {}

    double update(double high, double low, double close) {
        if (std::isnan(prev_close_)) {
            prev_close_ = close;
            return kNaN;
        }
        const double true_range = std::max(high, prev_close_) - std::min(low, prev_close_);
        prev_close_ = close;
        return smoother_.update(true_range);
    }

private:
    Smoother smoother_;
    double prev_close_ = kNaN;
};

// --- batch forms: `out` as long as the input, NaN until the first value.

/// Simple moving average: the correctly rounded sum of each window / period.
void sma(std::span<const double> x, int period, std::span<double> out);
/// Exponential moving average, alpha = 2 / (1 + period), seeded with the SMA of the first
/// `period` values.
void ema(std::span<const double> x, int period, std::span<double> out);
/// Wilder's smoothing (alpha = 1 / period), seeded with the SMA of the first `period` values.
void smma(std::span<const double> x, int period, std::span<double> out);
void rsi(std::span<const double> close, int period, std::span<double> out);
void macd(std::span<const double> close, int fast, int slow, int signal, std::span<double> macd_out,
          std::span<double> signal_out);
void bollinger(std::span<const double> close, int period, double devs, std::span<double> mid,
               std::span<double> top, std::span<double> bottom);
void channel(std::span<const double> high, std::span<const double> low, int period,
             std::span<double> highest, std::span<double> lowest);
void atr(std::span<const double> high, std::span<const double> low, std::span<const double> close,
         int period, std::span<double> out);

/// out[t] = a[t] > b[t] && a[t-1] <= b[t-1] (false where any value is NaN, and at t = 0).
void cross_up(std::span<const double> a, std::span<const double> b, std::span<std::uint8_t> out);
/// out[t] = a[t] < b[t] && a[t-1] >= b[t-1].
void cross_down(std::span<const double> a, std::span<const double> b, std::span<std::uint8_t> out);

/// The correctly rounded sum of `values` (what Python's math.fsum returns).
double exact_sum(std::span<const double> values);

/// x^y through the C library's pow, as Python computes x ** y: never folded by the compiler
/// into x * x (which differs from pow(x, 2) in about one case in a thousand).
double libm_pow(double x, double y) noexcept;

}  // namespace tradpal::backtest::signals

// SPDX-License-Identifier: Apache-2.0
// Trend indicators, TA-Lib compatible: directional movement (+DI, -DI, ADX, ADXR), Aroon, the
// parabolic SAR, the Hilbert-transform trendline and linear regression. Batch functions fill
// outputs of the input's length with NaN for the lookback; streaming classes take one bar at a
// time in O(1) without allocating. Both forms run the same arithmetic, so they agree bit for bit.
// Throws: tradpal::Exception (InvalidArgument) for parameters out of range or wrong sizes.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/indicators/rolling.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators {

/// Bars before the first +DI / -DI: period.
std::size_t plus_di_lookback(int period);
/// Bars before the first -DI: period.
std::size_t minus_di_lookback(int period);
/// Bars before the first ADX: 2 period - 1.
std::size_t adx_lookback(int period);
/// Bars before the first ADXR: 3 period - 2.
std::size_t adxr_lookback(int period);
/// Bars before the first Aroon value: period.
std::size_t aroon_lookback(int period);
/// Bars before the first Aroon oscillator value: period.
std::size_t aroonosc_lookback(int period);
/// Bars before the first SAR: 1.
std::size_t sar_lookback();
/// Bars before the first Hilbert trendline value: 63 (fixed).
std::size_t ht_trendline_lookback();
/// Bars before the first regression value: period - 1.
std::size_t linearreg_lookback(int period);
/// Bars before the first regression slope: period - 1.
std::size_t linearreg_slope_lookback(int period);

/// Plus directional indicator: 100 * Wilder(+DM) / Wilder(TR); period 2..100000.
void plus_di(std::span<const double> high, std::span<const double> low,
             std::span<const double> close, int period, std::span<double> out);
/// Minus directional indicator: 100 * Wilder(-DM) / Wilder(TR); period 2..100000.
void minus_di(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, int period, std::span<double> out);
/// Average directional movement index: the Wilder average of DX; period 2..100000.
void adx(std::span<const double> high, std::span<const double> low, std::span<const double> close,
         int period, std::span<double> out);
/// ADX rating: (ADX[t] + ADX[t - (period - 1)]) / 2; period 2..100000.
void adxr(std::span<const double> high, std::span<const double> low, std::span<const double> close,
          int period, std::span<double> out);
/// Aroon down and up: 100 * (period - bars since the lowest low / highest high) / period over the
/// last period + 1 bars (the latest of equal extremes counts); period 2..100000.
void aroon(std::span<const double> high, std::span<const double> low, int period,
           std::span<double> down, std::span<double> up);
/// Aroon oscillator: Aroon up - Aroon down; period 2..100000.
void aroonosc(std::span<const double> high, std::span<const double> low, int period,
              std::span<double> out);
/// Parabolic SAR (Wilder) started as TA-Lib does; acceleration and maximum >= 0 (an acceleration
/// above the maximum is lowered to it).
void sar(std::span<const double> high, std::span<const double> low, double acceleration,
         double maximum, std::span<double> out);
/// Hilbert transform instantaneous trendline (Ehlers), TA-Lib's form.
void ht_trendline(std::span<const double> in, std::span<double> out);
/// Least-squares line over the last `period` values, evaluated at the newest bar; 2..100000.
void linearreg(std::span<const double> in, int period, std::span<double> out);
/// Slope per bar of the least-squares line over the last `period` values; 2..100000.
void linearreg_slope(std::span<const double> in, int period, std::span<double> out);

namespace detail {

/// One bar's directional movement and true range against the bar before it.
struct DirectionalMove {
    double plus;
    double minus;
    double range;
};

/// a > b ? a : b, NaN-ordered like TA-Lib's `if (b > a)` updates (one maxsd on x86).
inline double larger(double a, double b) noexcept {
    return a > b ? a : b;
}

/// +DM, -DM and true range with TA-Lib's rules: the larger outward move counts, a tie counts
/// for neither, and a NaN comparison counts as false (so NaN reaches the range, not the DMs).
/// Selects, not branches: the winner changes unpredictably from bar to bar, and a loop of these
/// vectorises.
inline DirectionalMove directional_move(double prev_high, double prev_low, double prev_close,
                                        double high, double low) noexcept {
    const double up = high - prev_high;
    const double down = prev_low - low;
    double range = high - low;
    range = larger(std::fabs(high - prev_close), range);
    range = larger(std::fabs(low - prev_close), range);
    // up > max(0, down) is "up > 0 && up > down"; a NaN down makes it false, as in TA-Lib.
    return {up > larger(0.0, down) ? up : 0.0, down > larger(0.0, up) ? down : 0.0, range};
}

/// TA-Lib's zero test (TA_IS_ZERO): NaN is not zero.
inline bool is_zero(double v) noexcept {
    return -kEpsilon < v && v < kEpsilon;
}

/// Whether a bar's DX counts (TA-Lib skips it when the range sum or the DI sum is zero).
inline bool dx_counts(double plus, double minus, double range) noexcept {
    // The DI sum 100 (plus + minus) / range compared with the epsilon without dividing.
    return !is_zero(range) && !(100.0 * (plus + minus) < kEpsilon * range);
}

/// DX from the directional sums: the range cancels out of the DI ratio, but a NaN range still
/// makes DX NaN, as it makes TA-Lib's DIs NaN.
inline double dx_value(double plus, double minus, double range) noexcept {
    const double dx = 100.0 * (std::fabs(minus - plus) / (minus + plus));
    return std::isnan(range) ? range : dx;
}

/// Wilder running sums of +DM, -DM and true range: plain sums over bars 1..period-1, then
/// sum * (period - 1) / period + new value from bar `period` on. TA-Lib writes
/// sum - sum / period; multiplying takes the division off the bar-to-bar dependency chain (the
/// ADX family runs about twice as fast) and moves results by ~1e-15 relative.
class DirectionalSums {
public:
    explicit DirectionalSums(int period);
    /// Feeds a bar; true when the sums are smoothed (bar `period` on).
    bool update(double high, double low, double close) noexcept {
        if (seen_ == 0) {
            prev_high_ = high;
            prev_low_ = low;
            prev_close_ = close;
            seen_ = 1;
            return false;
        }
        const DirectionalMove m = directional_move(prev_high_, prev_low_, prev_close_, high, low);
        prev_high_ = high;
        prev_low_ = low;
        prev_close_ = close;
        if (seen_ < period_) {
            plus_ += m.plus;
            minus_ += m.minus;
            range_ += m.range;
            ++seen_;
            return false;
        }
        plus_ = plus_ * keep_ + m.plus;
        minus_ = minus_ * keep_ + m.minus;
        range_ = range_ * keep_ + m.range;
        seen_ = period_ + 1;
        return true;
    }
    /// True once a smoothed bar has been fed.
    bool smoothed() const noexcept { return seen_ > period_; }
    /// The +DM sum.
    double plus() const noexcept { return plus_; }
    /// The -DM sum.
    double minus() const noexcept { return minus_; }
    /// The true-range sum.
    double range() const noexcept { return range_; }

private:
    int period_;
    double keep_;  // (period - 1) / period
    int seen_ = 0;
    double prev_high_ = 0;
    double prev_low_ = 0;
    double prev_close_ = 0;
    double plus_ = 0;
    double minus_ = 0;
    double range_ = 0;
};

/// Parabolic SAR state after the first two bars; step() takes one more bar.
struct SarState {
    double sar;
    double ep;  // extreme point of the current trade
    double af;  // acceleration factor
    double prev_high;
    double prev_low;
    bool is_long;
};

/// The SAR for the bar (high, low), then the state moved on to the next bar. TA-Lib's order of
/// operations, so switches happen on exactly the same bars.
inline double sar_step(SarState& s, double high, double low, double acceleration,
                       double maximum) noexcept {
    // The SAR may not enter the last two bars' range. Taking the bound of the two bars first
    // (off the bar-to-bar dependency chain) leaves one clamp on it instead of two; min and max
    // are exact, so the result is TA-Lib's, and a NaN bar is skipped as its comparisons skip it.
    const double floor = std::isnan(s.prev_low) ? low : (low < s.prev_low ? low : s.prev_low);
    const double ceiling =
        std::isnan(s.prev_high) ? high : (high > s.prev_high ? high : s.prev_high);
    double out;
    if (s.is_long) {
        if (low <= s.sar) {
            s.is_long = false;
            double v = s.ep;
            v = v < s.prev_high ? s.prev_high : v;
            v = v < high ? high : v;
            out = v;
            s.af = acceleration;
            s.ep = low;
            v = v + s.af * (s.ep - v);
            v = v < s.prev_high ? s.prev_high : v;
            s.sar = v < high ? high : v;
        } else {
            out = s.sar;
            // A new extreme is a coin flip in a trend, so no branch: acceleration * 1 or * 0 is
            // exact, and af never exceeds the maximum, so capping every bar changes nothing.
            const bool extends = high > s.ep;
            s.ep = extends ? high : s.ep;
            s.af += acceleration * static_cast<double>(extends);
            s.af = s.af > maximum ? maximum : s.af;
            const double v = s.sar + s.af * (s.ep - s.sar);
            s.sar = v > floor ? floor : v;
        }
    } else {
        if (high >= s.sar) {
            s.is_long = true;
            double v = s.ep;
            v = v > s.prev_low ? s.prev_low : v;
            v = v > low ? low : v;
            out = v;
            s.af = acceleration;
            s.ep = high;
            v = v + s.af * (s.ep - v);
            v = v > s.prev_low ? s.prev_low : v;
            s.sar = v > low ? low : v;
        } else {
            out = s.sar;
            const bool extends = low < s.ep;
            s.ep = extends ? low : s.ep;
            s.af += acceleration * static_cast<double>(extends);
            s.af = s.af > maximum ? maximum : s.af;
            const double v = s.sar + s.af * (s.ep - s.sar);
            s.sar = v < ceiling ? ceiling : v;
        }
    }
    s.prev_high = high;
    s.prev_low = low;
    return out;
}

/// The state at bar 1: direction from bar 1's -DM (short when positive), SAR at bar 0's low
/// (long) or high (short), extreme point at bar 1's high or low.
inline SarState sar_start(double high0, double low0, double high1, double low1,
                          double acceleration) noexcept {
    const DirectionalMove m = directional_move(high0, low0, 0.0, high1, low1);
    const bool is_long = !(m.minus > 0);
    // Bar 1 is its own "previous" bar, so step() at bar 1 clamps to bar 1's range only.
    return {is_long ? low0 : high0, is_long ? high1 : low1, acceleration, high1, low1, is_long};
}

}  // namespace detail

// ---- streaming forms: update() returns the new value (NaN until ready()).

/// Streaming +DI (Plus = true) and -DI: 100 x the smoothed directional movement over the
/// smoothed true range (0 when the range is 0).
template <bool Plus>
class DirectionalIndicator {
public:
    explicit DirectionalIndicator(int period) : sums_(period) {}
    double update(double high, double low, double close) noexcept {
        if (sums_.update(high, low, close)) {
            const double movement = Plus ? sums_.plus() : sums_.minus();
            value_ = detail::is_zero(sums_.range()) ? 0.0 : 100.0 * (movement / sums_.range());
        }
        return value_;
    }
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return sums_.smoothed(); }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    detail::DirectionalSums sums_;
    double value_ = kNaN;
};
using PlusDi = DirectionalIndicator<true>;
using MinusDi = DirectionalIndicator<false>;

/// Streaming ADX: the mean of the first `period` DX values, then Wilder-smoothed as
/// adx * (period - 1) / period + dx / period (TA-Lib divides the sum; same reason as above).
class Adx {
public:
    explicit Adx(int period);
    double update(double high, double low, double close) noexcept {
        if (!sums_.update(high, low, close)) {
            return kNaN;
        }
        const double plus = sums_.plus();
        const double minus = sums_.minus();
        const bool counts = detail::dx_counts(plus, minus, sums_.range());
        if (dx_count_ < period_) {
            dx_sum_ += counts ? detail::dx_value(plus, minus, sums_.range()) : 0.0;
            if (++dx_count_ == period_) {
                value_ = dx_sum_ / period_;
            }
            return value_;
        }
        if (counts) {
            value_ = value_ * keep_ + detail::dx_value(plus, minus, sums_.range()) * inv_period_;
        }
        return value_;
    }
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return dx_count_ == period_; }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    detail::DirectionalSums sums_;
    int period_;
    double keep_;
    double inv_period_;
    int dx_count_ = 0;
    double dx_sum_ = 0;
    double value_ = kNaN;
};

/// Streaming ADXR.
class Adxr {
public:
    explicit Adxr(int period);
    double update(double high, double low, double close) noexcept {
        const double a = adx_.update(high, low, close);
        if (!adx_.ready()) {
            return kNaN;
        }
        history_.push(a);
        if (history_.full()) {
            value_ = (a + history_.oldest()) / 2.0;
        }
        return value_;
    }
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return history_.full(); }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    Adx adx_;
    RingBuffer<double> history_;  // the last `period` ADX values
    double value_ = kNaN;
};

/// Streaming Aroon (values(): down, up). A NaN high or low gives NaN while it is in the window.
class Aroon {
public:
    explicit Aroon(int period);
    void update(double high, double low) noexcept {
        // A NaN never wins TA-Lib's comparisons; infinities stand in so the deques stay ordered,
        // and the output is NaN for as long as the bad bar is in the window anyway.
        const bool bad = std::isnan(high) || std::isnan(low);
        highest_.push(std::isnan(high) ? -kInf : high);
        lowest_.push(std::isnan(low) ? kInf : low);
        since_bad_ = bad ? 0 : (since_bad_ < period_ + 1 ? since_bad_ + 1 : since_bad_);
        if (count_ <= period_) {
            ++count_;
        }
    }
    void update(const Bar& bar) noexcept { update(bar.high, bar.low); }
    bool ready() const noexcept { return count_ > period_; }
    /// 100 (period - bars since the lowest low) / period.
    double down() const noexcept {
        return valid() ? factor_ * static_cast<double>(period_ - lowest_.age()) : kNaN;
    }
    /// 100 (period - bars since the highest high) / period.
    double up() const noexcept {
        return valid() ? factor_ * static_cast<double>(period_ - highest_.age()) : kNaN;
    }
    /// up - down, as TA-Lib's AROONOSC computes it (from the two positions).
    double oscillator() const noexcept {
        return valid() ? factor_ * static_cast<double>(lowest_.age() - highest_.age()) : kNaN;
    }
    void values(std::span<double> out) const noexcept {
        out[0] = down();
        out[1] = up();
    }

private:
    static constexpr double kInf = std::numeric_limits<double>::infinity();
    bool valid() const noexcept { return count_ > period_ && since_bad_ > period_; }

    std::int64_t period_;
    double factor_;
    RollingMax highest_;
    RollingMin lowest_;
    std::int64_t count_ = 0;
    std::int64_t since_bad_;
};

/// Streaming Aroon oscillator.
class AroonOsc {
public:
    explicit AroonOsc(int period) : aroon_(period) {}
    double update(double high, double low) noexcept {
        aroon_.update(high, low);
        return value();
    }
    void update(const Bar& bar) noexcept { update(bar.high, bar.low); }
    bool ready() const noexcept { return aroon_.ready(); }
    double value() const noexcept { return aroon_.oscillator(); }
    void values(std::span<double> out) const noexcept { out[0] = value(); }

private:
    Aroon aroon_;
};

/// Streaming parabolic SAR. A bar with a NaN high or low gives NaN; the state moves on as
/// TA-Lib's arithmetic leaves it (its comparisons with NaN are false).
class Sar {
public:
    Sar(double acceleration, double maximum);
    double update(double high, double low) noexcept {
        if (count_ < 2) {
            if (count_++ == 0) {
                high0_ = high;
                low0_ = low;
                return kNaN;
            }
            state_ = detail::sar_start(high0_, low0_, high, low, acceleration_);
        }
        const double v = detail::sar_step(state_, high, low, acceleration_, maximum_);
        value_ = std::isnan(high) || std::isnan(low) ? kNaN : v;
        return value_;
    }
    void update(const Bar& bar) noexcept { update(bar.high, bar.low); }
    bool ready() const noexcept { return count_ >= 2; }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    double acceleration_;
    double maximum_;
    int count_ = 0;
    double high0_ = 0;
    double low0_ = 0;
    detail::SarState state_{};
    double value_ = kNaN;
};

/// Streaming Hilbert transform instantaneous trendline.
class HtTrendline {
public:
    HtTrendline();
    double update(double x) noexcept;
    bool ready() const noexcept { return count_ > kLookback; }
    double value() const noexcept { return value_; }

private:
    static constexpr std::int64_t kLookback = 63;
    static constexpr std::size_t kHistory = 64;  // raw inputs kept (the trendline needs 50)

    /// One of the four Hilbert filters, with separate odd- and even-bar histories.
    struct Hilbert {
        std::array<double, 3> odd{};
        std::array<double, 3> even{};
        double prev_odd = 0;
        double prev_even = 0;
        double prev_input_odd = 0;
        double prev_input_even = 0;
        double value = 0;
    };
    template <bool Even>
    static void transform(Hilbert& h, double input, double adjusted_period,
                          std::size_t idx) noexcept;
    /// The input `bars` bars ago (0 = the newest).
    double back(std::size_t bars) const noexcept { return history_[(pos_ - bars) % kHistory]; }

    std::array<double, kHistory> history_{};
    std::size_t pos_ = 0;  // slot of the newest input
    std::int64_t count_ = 0;
    double wma_sum_ = 0;  // weighted (4, 3, 2, 1) sum of the price smoother
    double wma_sub_ = 0;  // plain sum of its window
    Hilbert detrender_, q1_, ji_, jq_;
    std::size_t hilbert_idx_ = 0;
    double period_ = 0;
    double smooth_period_ = 0;
    double prev_i2_ = 0;
    double prev_q2_ = 0;
    double re_ = 0;
    double im_ = 0;
    double i1_odd_prev2_ = 0;
    double i1_odd_prev3_ = 0;
    double i1_even_prev2_ = 0;
    double i1_even_prev3_ = 0;
    double trend1_ = 0;
    double trend2_ = 0;
    double trend3_ = 0;
    double value_ = kNaN;
};

namespace detail {

/// Running sums of a regression window (y and bars-ago * y), moved in O(1) per bar and rebuilt
/// from the window every `period` bars so rounding cannot drift; a rebuild is also forced once a
/// non-finite value has left the window, so NaN marks exactly the windows that hold one.
class RegressionSums {
public:
    explicit RegressionSums(int period);
    /// Feeds a value; true once the window is full.
    bool update(double y) noexcept {
        const auto n = static_cast<std::size_t>(period_);
        if (count_ < n) {
            window_[count_] = y;
            if (!std::isfinite(y)) {
                until_rebuild_ = static_cast<int>(count_) + 1;
            }
            if (++count_ < n) {
                return false;
            }
            rebuild();
            return true;
        }
        const double old = window_[pos_];
        window_[pos_] = y;
        pos_ = pos_ + 1 == n ? 0 : pos_ + 1;
        if (!std::isfinite(y)) {
            until_rebuild_ = period_ + 1;
        }
        if (--until_rebuild_ == 0) {
            rebuild();
            until_rebuild_ = period_;
        } else {
            sum_xy_ += sum_y_ - n_ * old;
            sum_y_ += y - old;
        }
        return true;
    }
    /// True once `period` values have been fed.
    bool full() const noexcept { return count_ == window_.size(); }
    /// Sum of the window's values.
    double sum_y() const noexcept { return sum_y_; }
    /// Sum of bars-ago * value over the window.
    double sum_xy() const noexcept { return sum_xy_; }

private:
    void rebuild() noexcept;

    int period_;
    double n_;
    std::vector<double> window_;  // ring, oldest at pos_ once full
    std::size_t pos_ = 0;
    std::size_t count_ = 0;
    int until_rebuild_;
    double sum_y_ = 0;
    double sum_xy_ = 0;
};

/// The constants of a regression over `period` points at x = 0 (newest) .. period - 1 (oldest).
/// TA-Lib divides by the divisor and by n and writes the value as b + m (n - 1) with
/// b = (sum_y - m sum_x) / n; reciprocals and the equivalent mean + m (n - 1) / 2 save two
/// divisions a bar and differ in the last bits only.
struct RegressionConstants {
    explicit RegressionConstants(int period);
    double n;
    double sum_x;
    double inv_divisor;  // 1 / (sum_x^2 - n sum_x2)
    double inv_n;
    double half_span;  // (period - 1) / 2: from the mean x to the newest bar

    /// Slope per bar (TA-Lib's sign: rising prices give a positive slope).
    double slope(double sum_y, double sum_xy) const noexcept {
        return (n * sum_xy - sum_x * sum_y) * inv_divisor;
    }
    /// The fitted value at the newest bar.
    double value(double sum_y, double sum_xy) const noexcept {
        return sum_y * inv_n + slope(sum_y, sum_xy) * half_span;
    }
};

}  // namespace detail

/// Streaming linear regression (the fitted value at the newest bar).
class LinearReg {
public:
    explicit LinearReg(int period);
    double update(double x) noexcept {
        if (sums_.update(x)) {
            value_ = c_.value(sums_.sum_y(), sums_.sum_xy());
        }
        return value_;
    }
    bool ready() const noexcept { return sums_.full(); }
    double value() const noexcept { return value_; }

private:
    detail::RegressionSums sums_;
    detail::RegressionConstants c_;
    double value_ = kNaN;
};

/// Streaming linear regression slope.
class LinearRegSlope {
public:
    explicit LinearRegSlope(int period);
    double update(double x) noexcept {
        if (sums_.update(x)) {
            value_ = c_.slope(sums_.sum_y(), sums_.sum_xy());
        }
        return value_;
    }
    bool ready() const noexcept { return sums_.full(); }
    double value() const noexcept { return value_; }

private:
    detail::RegressionSums sums_;
    detail::RegressionConstants c_;
    double value_ = kNaN;
};

}  // namespace tradpal::indicators

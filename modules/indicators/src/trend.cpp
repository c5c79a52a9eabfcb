// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <vector>

#include <tradpal/indicators/trend.hpp>

#include "registry_util.hpp"

namespace tradpal::indicators {
namespace {

constexpr int kMaxPeriod = 100'000;
// TA-Lib's upper bound for real parameters (TA_REAL_MAX).
constexpr double kRealMax = 3e37;

void check_period(int period, const char* what) {
    require(period >= 2 && period <= kMaxPeriod, what);
}

/// Throws unless the other inputs and the outputs all have the first input's length `n`.
void check_lengths(std::size_t n, std::initializer_list<std::size_t> inputs,
                   std::initializer_list<std::size_t> outputs) {
    for (const std::size_t size : inputs) {
        require(size == n, "indicator inputs must have equal lengths");
    }
    for (const std::size_t size : outputs) {
        require(size == n, "indicator output must have the input's length");
    }
}

/// NaN for the first `count` outputs (all of them when the series is shorter).
void fill_lookback(std::span<double> out, std::size_t count) {
    std::fill_n(out.begin(), std::min(count, out.size()), kNaN);
}

void check_sar(double acceleration, double maximum) {
    require(acceleration >= 0 && acceleration <= kRealMax,
            "sar: acceleration must be a number from 0 to 3e37");
    require(maximum >= 0 && maximum <= kRealMax, "sar: maximum must be a number from 0 to 3e37");
}

double keep_factor(int period) {
    return static_cast<double>(period - 1) / period;
}

}  // namespace

// ---- lookbacks

std::size_t plus_di_lookback(int period) {
    return static_cast<std::size_t>(period);
}
std::size_t minus_di_lookback(int period) {
    return static_cast<std::size_t>(period);
}
std::size_t adx_lookback(int period) {
    return static_cast<std::size_t>(2 * period - 1);
}
std::size_t adxr_lookback(int period) {
    return static_cast<std::size_t>(3 * period - 2);
}
std::size_t aroon_lookback(int period) {
    return static_cast<std::size_t>(period);
}
std::size_t aroonosc_lookback(int period) {
    return static_cast<std::size_t>(period);
}
std::size_t sar_lookback() {
    return 1;
}
std::size_t ht_trendline_lookback() {
    return 63;
}
std::size_t linearreg_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}
std::size_t linearreg_slope_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

// ---- streaming forms

namespace detail {

DirectionalSums::DirectionalSums(int period) : period_(period), keep_(keep_factor(period)) {
    check_period(period, "directional movement: period must be between 2 and 100000");
}

RegressionSums::RegressionSums(int period)
    : period_(period),
      n_(period),
      window_(static_cast<std::size_t>(std::clamp(period, 2, kMaxPeriod))),
      until_rebuild_(period) {
    check_period(period, "linearreg: period must be between 2 and 100000");
}

void RegressionSums::rebuild() noexcept {
    // Oldest first with x = bars ago, the order TA-Lib sums each window in.
    const std::size_t n = window_.size();
    double sum_y = 0;
    double sum_xy = 0;
    std::size_t k = pos_;
    for (std::size_t i = n; i-- != 0;) {
        const double v = window_[k];
        sum_y += v;
        sum_xy += static_cast<double>(i) * v;
        k = k + 1 == n ? 0 : k + 1;
    }
    sum_y_ = sum_y;
    sum_xy_ = sum_xy;
}

RegressionConstants::RegressionConstants(int period) : n(period) {
    const auto p = static_cast<std::int64_t>(period);
    sum_x = n * (n - 1) * 0.5;
    // Exact in 64-bit integers (TA-Lib's int arithmetic overflows above period ~1000).
    const auto sum_x2 = static_cast<double>(p * (p - 1) * (2 * p - 1) / 6);
    inv_divisor = 1.0 / (sum_x * sum_x - n * sum_x2);
    inv_n = 1.0 / n;
    half_span = (n - 1) * 0.5;
}

}  // namespace detail

Adx::Adx(int period)
    : sums_(period), period_(period), keep_(keep_factor(period)), inv_period_(1.0 / period) {}

Adxr::Adxr(int period)
    : adx_(period), history_(static_cast<std::size_t>(std::clamp(period, 2, kMaxPeriod))) {}

Aroon::Aroon(int period)
    : period_(period),
      factor_(100.0 / period),
      highest_(static_cast<std::size_t>(std::clamp(period, 2, kMaxPeriod)) + 1),
      lowest_(static_cast<std::size_t>(std::clamp(period, 2, kMaxPeriod)) + 1),
      since_bad_(period_ + 1) {
    check_period(period, "aroon: period must be between 2 and 100000");
}

Sar::Sar(double acceleration, double maximum)
    : acceleration_(std::min(acceleration, maximum)), maximum_(maximum) {
    check_sar(acceleration, maximum);
}

LinearReg::LinearReg(int period) : sums_(period), c_(period) {}

LinearRegSlope::LinearRegSlope(int period) : sums_(period), c_(period) {}

namespace {

// Ehlers' Hilbert filter coefficients and the price smoother's start, as in TA-Lib.
constexpr double kHilbertA = 0.0962;
constexpr double kHilbertB = 0.5769;
constexpr std::int64_t kFirstHilbertBar = 37;  // 3 + 34 bars warm the 4-bar price smoother
const double kRad2Deg = 45.0 / std::atan(1.0);

}  // namespace

HtTrendline::HtTrendline() = default;

template <bool Even>
void HtTrendline::transform(Hilbert& h, double input, double adjusted_period,
                            std::size_t idx) noexcept {
    auto& hist = Even ? h.even : h.odd;
    double& prev = Even ? h.prev_even : h.prev_odd;
    double& prev_input = Even ? h.prev_input_even : h.prev_input_odd;
    // TA-Lib's operation order: the filter is sensitive to it through the period estimate.
    const double scaled = kHilbertA * input;
    double v = -hist[idx];
    hist[idx] = scaled;
    v += scaled;
    v -= prev;
    prev = kHilbertB * prev_input;
    v += prev;
    prev_input = input;
    v *= adjusted_period;
    h.value = v;
}

double HtTrendline::update(double x) noexcept {
    const std::int64_t today = count_++;
    pos_ = static_cast<std::size_t>(today) % kHistory;
    history_[pos_] = x;
    if (today < 3) {
        wma_sub_ += x;
        wma_sum_ += x * static_cast<double>(today + 1);
        return kNaN;
    }
    // The price smoother: a 4-bar WMA kept as running sums.
    wma_sub_ += x;
    wma_sub_ -= today >= 4 ? back(4) : 0.0;
    wma_sum_ += x * 4.0;
    const double smoothed = wma_sum_ * 0.1;
    wma_sum_ -= wma_sub_;
    if (today < kFirstHilbertBar) {
        return kNaN;
    }

    const double adjusted = (0.075 * period_) + 0.54;
    double q2;
    double i2;
    if (today % 2 == 0) {
        transform<true>(detrender_, smoothed, adjusted, hilbert_idx_);
        transform<true>(q1_, detrender_.value, adjusted, hilbert_idx_);
        transform<true>(ji_, i1_even_prev3_, adjusted, hilbert_idx_);
        transform<true>(jq_, q1_.value, adjusted, hilbert_idx_);
        hilbert_idx_ = hilbert_idx_ == 2 ? 0 : hilbert_idx_ + 1;
        q2 = (0.2 * (q1_.value + ji_.value)) + (0.8 * prev_q2_);
        i2 = (0.2 * (i1_even_prev3_ - jq_.value)) + (0.8 * prev_i2_);
        i1_odd_prev3_ = i1_odd_prev2_;
        i1_odd_prev2_ = detrender_.value;
    } else {
        transform<false>(detrender_, smoothed, adjusted, hilbert_idx_);
        transform<false>(q1_, detrender_.value, adjusted, hilbert_idx_);
        transform<false>(ji_, i1_odd_prev3_, adjusted, hilbert_idx_);
        transform<false>(jq_, q1_.value, adjusted, hilbert_idx_);
        q2 = (0.2 * (q1_.value + ji_.value)) + (0.8 * prev_q2_);
        i2 = (0.2 * (i1_odd_prev3_ - jq_.value)) + (0.8 * prev_i2_);
        i1_even_prev3_ = i1_even_prev2_;
        i1_even_prev2_ = detrender_.value;
    }
    re_ = (0.2 * ((i2 * prev_i2_) + (q2 * prev_q2_))) + (0.8 * re_);
    im_ = (0.2 * ((i2 * prev_q2_) - (q2 * prev_i2_))) + (0.8 * im_);
    prev_q2_ = q2;
    prev_i2_ = i2;

    const double previous = period_;
    if (im_ != 0.0 && re_ != 0.0) {
        period_ = 360.0 / (std::atan(im_ / re_) * kRad2Deg);
    }
    period_ = period_ > 1.5 * previous ? 1.5 * previous : period_;
    period_ = period_ < 0.67 * previous ? 0.67 * previous : period_;
    if (period_ < 6) {
        period_ = 6;
    } else if (period_ > 50) {
        period_ = 50;
    }
    period_ = (0.2 * period_) + (0.8 * previous);
    smooth_period_ = (0.33 * period_) + (0.67 * smooth_period_);

    // The trendline averages the raw inputs over the smoothed dominant cycle (at most 50 bars);
    // the cast truncates as TA-Lib's does, so everything up to here follows its arithmetic.
    const double cycle = smooth_period_ + 0.5;
    double trend = kNaN;
    if (!std::isnan(cycle)) {
        const int bars = static_cast<int>(std::min(cycle, 50.0));
        double sum = 0.0;
        for (int i = 0; i < bars; ++i) {
            sum += back(static_cast<std::size_t>(i));
        }
        trend = bars > 0 ? sum / bars : 0.0;
    }
    const double out = ((4.0 * trend) + (3.0 * trend1_) + (2.0 * trend2_) + trend3_) / 10.0;
    trend3_ = trend2_;
    trend2_ = trend1_;
    trend1_ = trend;
    if (today >= kLookback) {
        value_ = out;
    }
    return value_;
}

// ---- batch forms

namespace {

/// Runs a streaming class with update(double) over a series.
template <class S>
void run_close(S& s, std::span<const double> in, std::span<double> out) noexcept {
    for (std::size_t i = 0; i < in.size(); ++i) {
        const double v = s.update(in[i]);
        out[i] = s.ready() ? v : kNaN;
    }
}

/// The three inputs of the directional family, checked.
void check_hlc(std::span<const double> high, std::span<const double> low,
               std::span<const double> close, int period, std::span<double> out) {
    check_period(period, "directional movement: period must be between 2 and 100000");
    check_lengths(close.size(), {high.size(), low.size()}, {out.size()});
}

/// The moves of up to kBlock bars, computed in a loop without carried state (it vectorises)
/// so the recurrences that follow run over plain arrays.
struct MoveBlock {
    static constexpr std::size_t kBlock = 256;
    double plus[kBlock];
    double minus[kBlock];
    double range[kBlock];

    /// Fills the moves of bars [base, min(base + kBlock, end)); returns how many.
    std::size_t fill(std::span<const double> high, std::span<const double> low,
                     std::span<const double> close, std::size_t base, std::size_t end) noexcept {
        const std::size_t count = std::min(kBlock, end - base);
        for (std::size_t k = 0; k < count; ++k) {
            const std::size_t i = base + k;
            const auto m =
                detail::directional_move(high[i - 1], low[i - 1], close[i - 1], high[i], low[i]);
            plus[k] = m.plus;
            minus[k] = m.minus;
            range[k] = m.range;
        }
        return count;
    }
};

/// DirectionalSums' plain sums over bars 1 .. period - 1.
void seed_sums(std::span<const double> high, std::span<const double> low,
               std::span<const double> close, std::size_t period, double& plus, double& minus,
               double& range) noexcept {
    for (std::size_t i = 1; i < period; ++i) {
        const auto m =
            detail::directional_move(high[i - 1], low[i - 1], close[i - 1], high[i], low[i]);
        plus += m.plus;
        minus += m.minus;
        range += m.range;
    }
}

/// +DI (Plus = true) or -DI with DirectionalSums' arithmetic.
template <bool Plus>
void directional_indicator(std::span<const double> high, std::span<const double> low,
                           std::span<const double> close, int period, std::span<double> out) {
    check_hlc(high, low, close, period, out);
    const std::size_t n = close.size();
    const auto p = static_cast<std::size_t>(period);
    fill_lookback(out, p);
    if (n <= p) {
        return;
    }
    const double keep = keep_factor(period);
    double plus = 0;
    double minus = 0;
    double range = 0;
    seed_sums(high, low, close, p, plus, minus, range);
    double dm = Plus ? plus : minus;
    MoveBlock block;
    for (std::size_t base = p; base < n; base += MoveBlock::kBlock) {
        const std::size_t count = block.fill(high, low, close, base, n);
        const double* moves = Plus ? block.plus : block.minus;
        for (std::size_t k = 0; k < count; ++k) {
            dm = dm * keep + moves[k];
            range = range * keep + block.range[k];
            out[base + k] = detail::is_zero(range) ? 0.0 : 100.0 * (dm / range);
        }
    }
}

}  // namespace

void plus_di(std::span<const double> high, std::span<const double> low,
             std::span<const double> close, int period, std::span<double> out) {
    directional_indicator<true>(high, low, close, period, out);
}

void minus_di(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, int period, std::span<double> out) {
    directional_indicator<false>(high, low, close, period, out);
}

void adx(std::span<const double> high, std::span<const double> low, std::span<const double> close,
         int period, std::span<double> out) {
    check_hlc(high, low, close, period, out);
    const std::size_t n = close.size();
    const auto p = static_cast<std::size_t>(period);
    const std::size_t lookback = 2 * p - 1;
    fill_lookback(out, lookback);
    if (n <= lookback) {
        return;
    }
    // Adx::update's arithmetic with the state held in locals (registers).
    const double keep = keep_factor(period);
    const double inv_period = 1.0 / period;
    double plus = 0;
    double minus = 0;
    double range = 0;
    seed_sums(high, low, close, p, plus, minus, range);
    double dx_sum = 0;
    for (std::size_t i = p; i <= lookback; ++i) {
        const auto m =
            detail::directional_move(high[i - 1], low[i - 1], close[i - 1], high[i], low[i]);
        plus = plus * keep + m.plus;
        minus = minus * keep + m.minus;
        range = range * keep + m.range;
        dx_sum +=
            detail::dx_counts(plus, minus, range) ? detail::dx_value(plus, minus, range) : 0.0;
    }
    double value = dx_sum / period;
    out[lookback] = value;
    MoveBlock block;
    for (std::size_t base = lookback + 1; base < n; base += MoveBlock::kBlock) {
        const std::size_t count = block.fill(high, low, close, base, n);
        for (std::size_t k = 0; k < count; ++k) {
            plus = plus * keep + block.plus[k];
            minus = minus * keep + block.minus[k];
            range = range * keep + block.range[k];
            if (detail::dx_counts(plus, minus, range)) {
                value = value * keep + detail::dx_value(plus, minus, range) * inv_period;
            }
            out[base + k] = value;
        }
    }
}

void adxr(std::span<const double> high, std::span<const double> low, std::span<const double> close,
          int period, std::span<double> out) {
    adx(high, low, close, period, out);
    // In place, newest first, so ADX[t - (period - 1)] is still there when ADXR[t] is written.
    const auto lag = static_cast<std::size_t>(period - 1);
    const std::size_t first = adxr_lookback(period);
    for (std::size_t t = out.size(); t-- > first;) {
        out[t] = (out[t] + out[t - lag]) / 2.0;
    }
    fill_lookback(out, first);
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// `index` when `take`, else `keep`, without a branch: which bar holds the extreme changes
/// unpredictably, and mispredictions would cost more than the whole update.
std::size_t pick(bool take, std::size_t index, std::size_t keep) noexcept {
    const std::size_t mask = std::size_t{0} - static_cast<std::size_t>(take);
    return (index & mask) | (keep & ~mask);
}

/// Aroon over a series (Osc: the oscillator into `first`; else down into `first`, up into
/// `second`), matching the streaming class bar for bar. The window of period + 1 bars is split
/// at a block boundary (van Herk / Gil-Werman): a suffix of the previous block, whose running
/// extremes are precomputed backwards, and a prefix of the current one, extended forwards. Each
/// bar costs a fixed handful of selects, O(1) without data-dependent branches. Of equal extremes
/// the latest wins, as in TA-Lib; a NaN high or low never wins (it stands as -inf / +inf) and
/// makes the output NaN while it is in the window.
template <bool Osc>
void aroon_scan(std::span<const double> high, std::span<const double> low, int period,
                std::span<double> first, std::span<double> second) {
    const std::size_t n = high.size();
    const auto w = static_cast<std::size_t>(period) + 1;
    const auto p = static_cast<std::int64_t>(period);
    const double factor = 100.0 / period;
    std::vector<double> suffix_high(w);
    std::vector<double> suffix_low(w);
    std::vector<std::size_t> suffix_high_at(w);
    std::vector<std::size_t> suffix_low_at(w);
    std::size_t clean_from = w - 1;  // first bar whose window is complete and free of NaN
    for (std::size_t start = 0; start < n; start += w) {
        if (start > 0) {
            double hv = -kInf;
            double lv = kInf;
            std::size_t hi = start - 1;
            std::size_t li = start - 1;
            for (std::size_t k = w; k-- > 0;) {
                const std::size_t j = start - w + k;
                const double x = detail::larger(high[j], -kInf);
                const double y = low[j] < kInf ? low[j] : kInf;
                hi = pick(x > hv, j, hi);
                hv = detail::larger(x, hv);
                li = pick(y < lv, j, li);
                lv = y < lv ? y : lv;
                suffix_high[k] = hv;
                suffix_high_at[k] = hi;
                suffix_low[k] = lv;
                suffix_low_at[k] = li;
            }
        }
        double hv = -kInf;
        double lv = kInf;
        std::size_t hi = start;
        std::size_t li = start;
        const std::size_t end = std::min(start + w, n);
        for (std::size_t i = start; i < end; ++i) {
            const double x = detail::larger(high[i], -kInf);
            const double y = low[i] < kInf ? low[i] : kInf;
            hi = pick(x >= hv, i, hi);
            hv = detail::larger(x, hv);
            li = pick(y <= lv, i, li);
            lv = y < lv ? y : lv;
            if (std::isnan(high[i]) || std::isnan(low[i])) {
                clean_from = i + w;
            }
            if (i < clean_from) {
                first[i] = kNaN;
                if (!Osc) {
                    second[i] = kNaN;
                }
                continue;
            }
            std::size_t best_high = hi;
            std::size_t best_low = li;
            if (const std::size_t k = i + 1 - start; k < w) {
                best_high = pick(suffix_high[k] > hv, suffix_high_at[k], hi);
                best_low = pick(suffix_low[k] < lv, suffix_low_at[k], li);
            }
            const auto high_age = static_cast<std::int64_t>(i - best_high);
            const auto low_age = static_cast<std::int64_t>(i - best_low);
            if (Osc) {
                first[i] = factor * static_cast<double>(low_age - high_age);
            } else {
                first[i] = factor * static_cast<double>(p - low_age);
                second[i] = factor * static_cast<double>(p - high_age);
            }
        }
    }
}

}  // namespace

void aroon(std::span<const double> high, std::span<const double> low, int period,
           std::span<double> down, std::span<double> up) {
    check_period(period, "aroon: period must be between 2 and 100000");
    check_lengths(high.size(), {low.size()}, {down.size(), up.size()});
    aroon_scan<false>(high, low, period, down, up);
}

void aroonosc(std::span<const double> high, std::span<const double> low, int period,
              std::span<double> out) {
    check_period(period, "aroonosc: period must be between 2 and 100000");
    check_lengths(high.size(), {low.size()}, {out.size()});
    aroon_scan<true>(high, low, period, out, out);
}

void sar(std::span<const double> high, std::span<const double> low, double acceleration,
         double maximum, std::span<double> out) {
    check_sar(acceleration, maximum);
    check_lengths(high.size(), {low.size()}, {out.size()});
    const std::size_t n = high.size();
    fill_lookback(out, 1);
    if (n < 2) {
        return;
    }
    acceleration = std::min(acceleration, maximum);
    detail::SarState s = detail::sar_start(high[0], low[0], high[1], low[1], acceleration);
    for (std::size_t i = 1; i < n; ++i) {
        const double h = high[i];
        const double l = low[i];
        const double v = detail::sar_step(s, h, l, acceleration, maximum);
        out[i] = std::isnan(h) || std::isnan(l) ? kNaN : v;
    }
}

void ht_trendline(std::span<const double> in, std::span<double> out) {
    check_lengths(in.size(), {}, {out.size()});
    HtTrendline s;
    run_close(s, in, out);
}

namespace {

/// A regression over a series: RegressionSums' arithmetic (same O(1) moves, same rebuilds) read
/// straight from the input instead of a ring.
template <bool Slope>
void regression(std::span<const double> in, int period, std::span<double> out) {
    check_period(period, "linearreg: period must be between 2 and 100000");
    check_lengths(in.size(), {}, {out.size()});
    const std::size_t n = in.size();
    const auto p = static_cast<std::size_t>(period);
    fill_lookback(out, p - 1);
    if (n < p) {
        return;
    }
    const detail::RegressionConstants c(period);
    const auto rebuild = [&](std::size_t start, double& sum_y, double& sum_xy) {
        sum_y = 0;
        sum_xy = 0;
        for (std::size_t i = p; i-- != 0;) {
            const double v = in[start++];
            sum_y += v;
            sum_xy += static_cast<double>(i) * v;
        }
    };
    const auto emit = [&](double sum_y, double sum_xy) {
        return Slope ? c.slope(sum_y, sum_xy) : c.value(sum_y, sum_xy);
    };
    int until_rebuild = period;
    for (std::size_t i = 0; i < p; ++i) {
        if (!std::isfinite(in[i])) {
            until_rebuild = static_cast<int>(i) + 1;
        }
    }
    double sum_y;
    double sum_xy;
    rebuild(0, sum_y, sum_xy);
    out[p - 1] = emit(sum_y, sum_xy);
    const double nd = period;
    for (std::size_t i = p; i < n; ++i) {
        const double y = in[i];
        const double old = in[i - p];
        if (!std::isfinite(y)) {
            until_rebuild = period + 1;
        }
        if (--until_rebuild == 0) {
            rebuild(i + 1 - p, sum_y, sum_xy);
            until_rebuild = period;
        } else {
            sum_xy += sum_y - nd * old;
            sum_y += y - old;
        }
        out[i] = emit(sum_y, sum_xy);
    }
}

}  // namespace

void linearreg(std::span<const double> in, int period, std::span<double> out) {
    regression<false>(in, period, out);
}

void linearreg_slope(std::span<const double> in, int period, std::span<double> out) {
    regression<true>(in, period, out);
}

}  // namespace tradpal::indicators

// ---- registry entries

namespace tradpal::indicators::detail {
namespace {

template <void (*F)(std::span<const double>, std::span<const double>, std::span<const double>, int,
                    std::span<double>)>
void batch_hlc_period(const Inputs& in, const Params& p, OutputSpans out) {
    F(in.high, in.low, in.close, p.integer(0), out[0]);
}

template <class S>
std::unique_ptr<IndicatorStream> stream_bar_period(const Params& p) {
    return std::make_unique<BarStream<S>>(S(p.integer(0)));
}

IndicatorInfo entry(std::string_view name, std::string_view title, unsigned inputs,
                    std::string_view golden) {
    return describe("trend", name, title, inputs, {period_param(14)}, golden);
}

}  // namespace

void register_trend(std::vector<IndicatorInfo>& out) {
    constexpr unsigned kHlc = kHigh | kLow | kClose;
    constexpr unsigned kHl = kHigh | kLow;

    IndicatorInfo info = entry("plus_di", "Plus Directional Indicator", kHlc, "plus_di(14)");
    info.lookback = lookback_period<plus_di_lookback>;
    info.batch = batch_hlc_period<plus_di>;
    info.stream = stream_bar_period<PlusDi>;
    out.push_back(std::move(info));

    info = entry("minus_di", "Minus Directional Indicator", kHlc, "minus_di(14)");
    info.lookback = lookback_period<minus_di_lookback>;
    info.batch = batch_hlc_period<minus_di>;
    info.stream = stream_bar_period<MinusDi>;
    out.push_back(std::move(info));

    info = entry("adx", "Average Directional Movement Index", kHlc, "adx(14)");
    info.lookback = lookback_period<adx_lookback>;
    info.batch = batch_hlc_period<adx>;
    info.stream = stream_bar_period<Adx>;
    out.push_back(std::move(info));

    info = entry("adxr", "Average Directional Movement Index Rating", kHlc, "adxr(14)");
    info.lookback = lookback_period<adxr_lookback>;
    info.batch = batch_hlc_period<adxr>;
    info.stream = stream_bar_period<Adxr>;
    out.push_back(std::move(info));

    info = entry("aroon", "Aroon", kHl, "aroon(14)");
    info.outputs = {"down", "up"};
    info.lookback = lookback_period<aroon_lookback>;
    info.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        aroon(in.high, in.low, p.integer(0), o[0], o[1]);
    };
    info.stream = stream_bar_period<Aroon>;
    out.push_back(std::move(info));

    info = entry("aroonosc", "Aroon Oscillator", kHl, "aroonosc(14)");
    info.lookback = lookback_period<aroonosc_lookback>;
    info.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        aroonosc(in.high, in.low, p.integer(0), o[0]);
    };
    info.stream = stream_bar_period<AroonOsc>;
    out.push_back(std::move(info));

    info = entry("sar", "Parabolic SAR", kHl, "sar(0.02,0.2)");
    info.params = {{"acceleration", ParamKind::Real, 0.02, 0, kRealMax, "acceleration factor step"},
                   {"maximum", ParamKind::Real, 0.2, 0, kRealMax, "acceleration factor cap"}};
    info.lookback = [](const Params&) {
        return sar_lookback();
    };
    info.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        sar(in.high, in.low, p.real(0), p.real(1), o[0]);
    };
    info.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Sar>>(Sar(p.real(0), p.real(1)));
    };
    out.push_back(std::move(info));

    info = entry("ht_trendline", "Hilbert Transform - Instantaneous Trendline", kClose,
                 "ht_trendline");
    info.params = {};
    info.lookback = [](const Params&) {
        return ht_trendline_lookback();
    };
    info.batch = [](const Inputs& in, const Params&, OutputSpans o) {
        ht_trendline(in.close, o[0]);
    };
    info.stream = [](const Params&) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<CloseStream<HtTrendline>>(HtTrendline());
    };
    out.push_back(std::move(info));

    info = entry("linearreg", "Linear Regression", kClose, "linearreg(14)");
    info.lookback = lookback_period<linearreg_lookback>;
    info.batch = batch_close_period<linearreg>;
    info.stream = stream_close_period<LinearReg>;
    out.push_back(std::move(info));

    info = entry("linearreg_slope", "Linear Regression Slope", kClose, "linearreg_slope(14)");
    info.lookback = lookback_period<linearreg_slope_lookback>;
    info.batch = batch_close_period<linearreg_slope>;
    info.stream = stream_close_period<LinearRegSlope>;
    out.push_back(std::move(info));
}

}  // namespace tradpal::indicators::detail

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include <tradpal/backtest/signals.hpp>
#include <tradpal/core/error.hpp>

namespace tradpal::backtest::signals {
namespace {

void require_period(int period, const char* what) {
    if (period < 1 || period > 100'000) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("{} must be between 1 and 100000, got {}", what, period));
    }
}

/// Values may not need more bits than this in the fixed-point window sum (sign bit spare).
constexpr int kFixedBits = 126;

}  // namespace

ExactMean::ExactMean(int period) {
    require_period(period, "period");
    fixed_window_.assign(static_cast<std::size_t>(period), 0);
    period_ = period;
    period_size_ = fixed_window_.size();
    window_bits_ = 53 + static_cast<int>(std::bit_width(static_cast<unsigned>(period))) + 1;
}

double ExactMean::update_slow(double x) {
    if (narrow_) {
        sum_ = sum64_;
    }
    if (!started_) {
        if (std::isnan(x)) {
            return kNaN;
        }
        started_ = true;
    }
    if (fixed_ && x != 0) {
        const int exponent = detail::biased_exponent(x);
        if (exponent < min_exponent_ || exponent > max_exponent_ || !std::isfinite(x)) {
            widen(x);
        }
    }
    const std::size_t slot = pos_;
    pos_ = pos_ + 1 == fixed_window_.size() ? 0 : pos_ + 1;
    count_ += count_ < fixed_window_.size() ? 1 : 0;
    const bool full = count_ == fixed_window_.size();
    if (fixed_) {
        const detail::Int128 v = x == 0 ? 0 : detail::to_fixed(x, min_exponent_);
        sum_ += v - fixed_window_[slot];
        fixed_window_[slot] = v;
        if (full) {
            value_ = detail::fixed_to_double(sum_, unit_exponent_) / period_;
        }
    } else {
        window_[slot] = x;
        if (full) {
            value_ = slow_mean();
        }
    }
    const bool fast = fixed_ && full && have_exponent_;
    fast_min_exponent_ = fast ? min_exponent_ : 4096;
    fast_exponent_span_ = fast ? static_cast<unsigned>(max_exponent_ - min_exponent_) : 0;
    if (narrow_) {
        sum64_ = static_cast<std::int64_t>(sum_);
    }
    return value_;
}

void ExactMean::widen(double x) {
    const int exponent = detail::biased_exponent(x);
    const int new_min = have_exponent_ ? std::min(min_exponent_, exponent) : exponent;
    const int new_max = have_exponent_ ? std::max(max_exponent_, exponent) : exponent;
    const int unit_exponent = new_min - 1075;
    // The sum must fit 127 bits, and its conversion's scale factors must be normal doubles.
    if (!std::isfinite(x) || new_max - new_min + window_bits_ > kFixedBits ||
        unit_exponent < -1022 + 62 || new_max > 1900) {
        // From now on each window is summed exactly from its doubles (the fixed-point values
        // convert back exactly).
        fixed_ = false;
        narrow_ = false;
        window_.resize(fixed_window_.size());
        const double unit = std::ldexp(1.0, unit_exponent_);
        for (std::size_t k = 0; k < fixed_window_.size(); ++k) {
            window_[k] = static_cast<double>(fixed_window_[k]) * unit;
        }
        return;
    }
    if (have_exponent_ && new_min < min_exponent_) {
        const int shift = min_exponent_ - new_min;  // exact: the range check above leaves room
        sum_ <<= shift;
        for (detail::Int128& v : fixed_window_) {
            v <<= shift;
        }
    }
    have_exponent_ = true;
    min_exponent_ = new_min;
    max_exponent_ = new_max;
    unit_exponent_ = unit_exponent;
    unit_ = detail::pow2(unit_exponent);
    // A value is below 2^(53 + max - min) units, a window of them below 2^(window_bits_ - 1)
    // times that: it fits an int64 when that stays below 2^63.
    narrow_ = new_max - new_min + window_bits_ - 1 <= 63;
}

double ExactMean::slow_mean() {
    // The ring buffer's oldest value is at pos_; the window in time order is [pos_, end) + [0,
    // pos_).
    const std::span<const double> all(window_);
    return detail::exact_sum(all.subspan(pos_), all.first(pos_), partials_) / period_;
}

Macd::Macd(int fast, int slow, int signal)
    : fast_(Smoother::ema(fast)), slow_(Smoother::ema(slow)), signal_(Smoother::ema(signal)) {
    if (fast >= slow) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("MACD needs fast < slow, got fast={} slow={}", fast, slow));
    }
}

void Bollinger::update(double close) {
    mid_ = mean_.update(close);
    const double mean_square = mean_square_.update(std::isnan(close) ? close : libm_pow(close, 2));
    if (std::isnan(mid_)) {
        return;
    }
    const double deviation = devs_ * libm_pow(std::fabs(mean_square - libm_pow(mid_, 2)), 0.5);
    top_ = mid_ + deviation;
    bottom_ = mid_ - deviation;
}

void sma(std::span<const double> x, int period, std::span<double> out) {
    ExactMean mean(period);
    for (std::size_t i = 0; i < x.size(); ++i) {
        out[i] = mean.update(x[i]);
    }
}

void ema(std::span<const double> x, int period, std::span<double> out) {
    Smoother smoother = Smoother::ema(period);
    for (std::size_t i = 0; i < x.size(); ++i) {
        out[i] = smoother.update(x[i]);
    }
}

void smma(std::span<const double> x, int period, std::span<double> out) {
    Smoother smoother = Smoother::wilder(period);
    for (std::size_t i = 0; i < x.size(); ++i) {
        out[i] = smoother.update(x[i]);
    }
}

void rsi(std::span<const double> close, int period, std::span<double> out) {
    Rsi indicator(period);
    for (std::size_t i = 0; i < close.size(); ++i) {
        out[i] = indicator.update(close[i]);
    }
}

void macd(std::span<const double> close, int fast, int slow, int signal, std::span<double> macd_out,
          std::span<double> signal_out) {
    Macd indicator(fast, slow, signal);
    for (std::size_t i = 0; i < close.size(); ++i) {
        indicator.update(close[i]);
        macd_out[i] = indicator.macd();
        signal_out[i] = indicator.signal();
    }
}

void bollinger(std::span<const double> close, int period, double devs, std::span<double> mid,
               std::span<double> top, std::span<double> bottom) {
    Bollinger bands(period, devs);
    for (std::size_t i = 0; i < close.size(); ++i) {
        bands.update(close[i]);
        mid[i] = bands.mid();
        top[i] = bands.top();
        bottom[i] = bands.bottom();
    }
}

void channel(std::span<const double> high, std::span<const double> low, int period,
             std::span<double> highest, std::span<double> lowest) {
    Channel range(period);
    for (std::size_t i = 0; i < high.size(); ++i) {
        range.update(high[i], low[i]);
        highest[i] = range.highest();
        lowest[i] = range.lowest();
    }
}

void atr(std::span<const double> high, std::span<const double> low, std::span<const double> close,
         int period, std::span<double> out) {
    Atr indicator(period);
    for (std::size_t i = 0; i < close.size(); ++i) {
        out[i] = indicator.update(high[i], low[i], close[i]);
    }
}

void cross_up(std::span<const double> a, std::span<const double> b, std::span<std::uint8_t> out) {
    if (out.empty()) {
        return;
    }
    out[0] = 0;
    for (std::size_t t = 1; t < out.size(); ++t) {
        out[t] = static_cast<std::uint8_t>(a[t] > b[t] && a[t - 1] <= b[t - 1]);
    }
}

void cross_down(std::span<const double> a, std::span<const double> b, std::span<std::uint8_t> out) {
    if (out.empty()) {
        return;
    }
    out[0] = 0;
    for (std::size_t t = 1; t < out.size(); ++t) {
        out[t] = static_cast<std::uint8_t>(a[t] < b[t] && a[t - 1] >= b[t - 1]);
    }
}

double exact_sum(std::span<const double> values) {
    std::vector<double> partials;
    return detail::exact_sum(values, {}, partials);
}

double libm_pow(double x, double y) noexcept {
    static volatile double exponent_barrier = 0;
    return std::pow(x, y + exponent_barrier);
}

}  // namespace tradpal::backtest::signals

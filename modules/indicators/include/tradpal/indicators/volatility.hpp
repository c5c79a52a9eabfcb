// SPDX-License-Identifier: Apache-2.0
// Volatility indicators, TA-Lib compatible: true range, ATR, NATR, Bollinger bands, standard
// deviation and variance. Batch functions fill outputs of the input's length (NaN for the
// lookback); streaming classes take one value or bar at a time in O(1) without allocating.
// Throws: tradpal::Exception (InvalidArgument) for parameters out of range or wrong sizes.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>

#include <tradpal/indicators/ma.hpp>
#include <tradpal/indicators/rolling.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators {

/// Largest nbdev multiplier accepted by STDDEV and BBANDS (range 0..100; TA-Lib takes any real).
inline constexpr double kMaxNbDev = 100.0;

/// True range of a bar (kernels.hpp): the largest of high - low, |prev_close - high| and
/// |prev_close - low|. A NaN high or low gives NaN; a NaN previous close falls back to
/// high - low (as TA-Lib).
using kernels::true_range;

/// TA-Lib's NATR from an ATR value: 100 * atr / close, 0 where |close| < 1e-14.
inline double normalized_atr(double atr, double close) noexcept {
    return std::fabs(close) < kEpsilon ? 0.0 : (atr / close) * 100.0;
}

/// True range (TRANGE); lookback 1 (the first bar has no previous close).
std::size_t trange_lookback();
/// TRANGE over whole columns of equal length.
void trange(std::span<const double> high, std::span<const double> low,
            std::span<const double> close, std::span<double> out);

/// Average true range (Wilder); period 1..100000; lookback = period. Seeded by the mean of
/// TR[1..period], then atr = atr * (period - 1) / period + tr / period.
std::size_t atr_lookback(int period);
/// ATR over whole columns of equal length.
void atr(std::span<const double> high, std::span<const double> low, std::span<const double> close,
         int period, std::span<double> out);

/// Normalised ATR: 100 * ATR / close; period 1..100000; lookback = period.
std::size_t natr_lookback(int period);
/// NATR over whole columns of equal length.
void natr(std::span<const double> high, std::span<const double> low, std::span<const double> close,
          int period, std::span<double> out);

/// Population variance of the last `period` values from running sums, E[x²] - E[x]² (TA-Lib's
/// VAR, whose nbdev parameter has no effect); period 1..100000; lookback = period - 1.
std::size_t var_lookback(int period);
/// VAR over a whole series.
void var(std::span<const double> in, int period, std::span<double> out);

/// Standard deviation: nbdev * sqrt(VAR), 0 where VAR < 1e-14; period 2..100000,
/// nbdev 0..100; lookback = period - 1.
std::size_t stddev_lookback(int period);
/// STDDEV over a whole series.
void stddev(std::span<const double> in, int period, double nbdev, std::span<double> out);

/// Bollinger bands: middle = MA(type, period), upper/lower = middle +/- nbdev * STDDEV(period);
/// period 2..100000, nbdevup/nbdevdn 0..100; lookback = the MA's lookback.
std::size_t bbands_lookback(int period, MaType type);
/// BBANDS over a whole series into three outputs of the input's length.
void bbands(std::span<const double> in, int period, double nbdevup, double nbdevdn, MaType type,
            std::span<double> upper, std::span<double> middle, std::span<double> lower);

// ---- streaming forms: update() returns the new value (NaN until ready()).

/// Streaming TRANGE.
class TrueRange {
public:
    double update(const Bar& bar) noexcept {
        value_ = count_ > 0 ? true_range(bar.high, bar.low, prev_close_) : kNaN;
        prev_close_ = bar.close;
        count_ = count_ < 2 ? count_ + 1 : 2;
        return value_;
    }
    bool ready() const noexcept { return count_ >= 2; }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    int count_ = 0;
    double prev_close_ = kNaN;
    double value_ = kNaN;
};

/// Streaming ATR.
class Atr {
public:
    explicit Atr(int period);
    double update(const Bar& bar) noexcept {
        if (count_ == 0) {
            prev_close_ = bar.close;
            count_ = 1;
            return kNaN;
        }
        const double tr = true_range(bar.high, bar.low, prev_close_);
        prev_close_ = bar.close;
        if (count_ <= period_) {
            seed_ += tr;
            if (count_++ < period_) {
                return kNaN;
            }
            value_ = seed_ / period_;
            return value_;
        }
        value_ = period_ == 1 ? tr : (value_ * decay_) + (tr * gain_);
        return value_;
    }
    bool ready() const noexcept { return count_ > period_; }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    int period_;
    double decay_;  // (period - 1) / period
    double gain_;   // 1 / period
    int count_ = 0;
    double seed_ = 0;
    double prev_close_ = kNaN;
    double value_ = kNaN;
};

/// Streaming NATR.
class Natr {
public:
    explicit Natr(int period) : atr_(period) {}
    double update(const Bar& bar) noexcept {
        const double a = atr_.update(bar);
        value_ = atr_.ready() ? normalized_atr(a, bar.close) : kNaN;
        return value_;
    }
    bool ready() const noexcept { return atr_.ready(); }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    Atr atr_;
    double value_ = kNaN;
};

/// Mean and population variance of the last `period` values from running sums of x and x²,
/// in TA-Lib's order: add the new value, take both means, then drop the oldest value.
class RunningMoments {
public:
    explicit RunningMoments(int period);
    /// Adds x; true once `period` values are held (mean() and variance() are then current).
    bool update(double x) noexcept {
        window_.push(x);
        sum_ += x;
        sum_sq_ += x * x;
        if (!window_.full()) {
            return false;
        }
        mean_ = sum_ / period_;
        const double mean_sq = sum_sq_ / period_;
        const double oldest = window_.oldest();  // leaves with the next update
        sum_ -= oldest;
        sum_sq_ -= oldest * oldest;
        variance_ = mean_sq - (mean_ * mean_);
        return true;
    }
    bool ready() const noexcept { return window_.full(); }
    double mean() const noexcept { return mean_; }
    double variance() const noexcept { return variance_; }

private:
    double period_;
    RingBuffer<double> window_;
    double sum_ = 0;
    double sum_sq_ = 0;
    double mean_ = kNaN;
    double variance_ = kNaN;
};

/// sqrt(variance), or 0 where variance < 1e-14 (kernels.hpp).
using kernels::guarded_sqrt;

/// Streaming VAR.
class Var {
public:
    explicit Var(int period);
    double update(double x) noexcept {
        value_ = moments_.update(x) ? moments_.variance() : kNaN;
        return value_;
    }
    bool ready() const noexcept { return moments_.ready(); }
    double value() const noexcept { return value_; }

private:
    RunningMoments moments_;
    double value_ = kNaN;
};

/// Streaming STDDEV.
class Stddev {
public:
    Stddev(int period, double nbdev);
    double update(double x) noexcept {
        value_ = moments_.update(x) ? guarded_sqrt(moments_.variance()) * nbdev_ : kNaN;
        return value_;
    }
    bool ready() const noexcept { return moments_.ready(); }
    double value() const noexcept { return value_; }

private:
    RunningMoments moments_;
    double nbdev_;
    double value_ = kNaN;
};

/// Streaming BBANDS; values() writes upper, middle, lower.
class Bbands {
public:
    Bbands(int period, double nbdevup, double nbdevdn, MaType type);
    /// Feeds the bar's close.
    void update(const Bar& bar) noexcept { update(bar.close); }
    void update(double x) noexcept {
        // TA-Lib starts the deviation's running sums so that they fill up exactly when the MA
        // gives its first value (for SMA that is bar 0 and the mean is the middle band).
        const double ma = sma_ ? kNaN : ma_.update(x);
        if (count_ < start_) {
            ++count_;
            return;
        }
        if (!moments_.update(x)) {
            return;
        }
        middle_ = sma_ ? moments_.mean() : ma;
        const double sd = guarded_sqrt(moments_.variance());
        upper_ = middle_ + (sd * nbdevup_);
        lower_ = middle_ - (sd * nbdevdn_);
    }
    bool ready() const noexcept { return moments_.ready(); }
    void values(std::span<double> out) const noexcept {
        out[0] = upper_;
        out[1] = middle_;
        out[2] = lower_;
    }
    double upper() const noexcept { return upper_; }
    double middle() const noexcept { return middle_; }
    double lower() const noexcept { return lower_; }

private:
    MovingAverage ma_;  // a period-1 placeholder for SMA, whose middle band is the running mean
    RunningMoments moments_;
    double nbdevup_, nbdevdn_;
    bool sma_;
    std::size_t start_;  // bars before the running sums start
    std::size_t count_ = 0;
    double upper_ = kNaN, middle_ = kNaN, lower_ = kNaN;
};

}  // namespace tradpal::indicators

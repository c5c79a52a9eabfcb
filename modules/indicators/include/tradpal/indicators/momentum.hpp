// SPDX-License-Identifier: Apache-2.0
// Momentum indicators, TA-Lib compatible: batch functions (whole series) and streaming classes
// (one bar at a time, O(1) per bar; CCI O(period)). Batch outputs have the input's length with NaN
// for the lookback. Throws: tradpal::Exception (InvalidArgument) for parameters out of range, fast
// periods not below slow ones, or input/output columns of different lengths.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/indicators/ma.hpp>
#include <tradpal/indicators/rolling.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators {

// ---- batch forms

/// Relative Strength Index (Wilder smoothing seeded by the mean of the first `period` changes);
/// period 2..100000.
std::size_t rsi_lookback(int period);
/// Batch RSI of `close` into `out`.
void rsi(std::span<const double> close, int period, std::span<double> out);
/// Chande Momentum Oscillator (RSI's Wilder averages: 100 (gain - loss) / (gain + loss)).
std::size_t cmo_lookback(int period);
/// Batch CMO of `close` into `out`; period 2..100000.
void cmo(std::span<const double> close, int period, std::span<double> out);
/// Momentum: close[t] - close[t - period].
std::size_t mom_lookback(int period);
/// Batch momentum; period 1..100000.
void mom(std::span<const double> close, int period, std::span<double> out);
/// Rate of change in percent: (close[t] / close[t - period] - 1) * 100, 0 when the old close is 0.
std::size_t roc_lookback(int period);
/// Batch rate of change; period 1..100000.
void roc(std::span<const double> close, int period, std::span<double> out);
/// MACD, TA-Lib style: both EMAs start at the slow EMA's first bar (the fast one is seeded by the
/// mean of its last `fast` closes there), signal = EMA(signal) of MACD; fast < slow.
std::size_t macd_lookback(int fast, int slow, int signal);
/// Batch MACD: writes the MACD line, its signal line and the histogram (MACD - signal).
void macd(std::span<const double> close, int fast, int slow, int signal, std::span<double> macd_out,
          std::span<double> signal_out, std::span<double> hist_out);
/// Absolute price oscillator: MA(fast) - MA(slow), both run from the first bar; fast < slow.
std::size_t apo_lookback(int fast, int slow, MaType type);
/// Batch APO of `close` into `out`.
void apo(std::span<const double> close, int fast, int slow, MaType type, std::span<double> out);
/// Percentage price oscillator: (MA(fast) - MA(slow)) / MA(slow) * 100 (0 when MA(slow) ~ 0).
std::size_t ppo_lookback(int fast, int slow, MaType type);
/// Batch PPO of `close` into `out`.
void ppo(std::span<const double> close, int fast, int slow, MaType type, std::span<double> out);
/// TRIX: one-bar rate of change (percent) of a triple EMA; period 1..100000.
std::size_t trix_lookback(int period);
/// Batch TRIX of `close` into `out`.
void trix(std::span<const double> close, int period, std::span<double> out);
/// Slow stochastic: %K over `fastk` bars smoothed by MA(slowk), then MA(slowd) of that.
std::size_t stoch_lookback(int fastk, int slowk, MaType slowk_type, int slowd, MaType slowd_type);
/// Batch slow stochastic: writes slow %K and slow %D.
void stoch(std::span<const double> high, std::span<const double> low, std::span<const double> close,
           int fastk, int slowk, MaType slowk_type, int slowd, MaType slowd_type,
           std::span<double> slowk_out, std::span<double> slowd_out);
/// Fast stochastic: raw %K over `fastk` bars and its MA(fastd).
std::size_t stochf_lookback(int fastk, int fastd, MaType fastd_type);
/// Batch fast stochastic: writes fast %K and fast %D.
void stochf(std::span<const double> high, std::span<const double> low,
            std::span<const double> close, int fastk, int fastd, MaType fastd_type,
            std::span<double> fastk_out, std::span<double> fastd_out);
/// Stochastic RSI: the fast stochastic of RSI(period) (RSI as high, low and close).
std::size_t stochrsi_lookback(int period, int fastk, int fastd, MaType fastd_type);
/// Batch stochastic RSI: writes fast %K and fast %D.
void stochrsi(std::span<const double> close, int period, int fastk, int fastd, MaType fastd_type,
              std::span<double> fastk_out, std::span<double> fastd_out);
/// Williams' %R over `period` bars (0 when the range is 0); period 2..100000.
std::size_t willr_lookback(int period);
/// Batch Williams' %R into `out`.
void willr(std::span<const double> high, std::span<const double> low, std::span<const double> close,
           int period, std::span<double> out);
/// Ultimate oscillator; the periods are sorted, the shortest weighs 4, the middle 2, the longest 1.
std::size_t ultosc_lookback(int period1, int period2, int period3);
/// Batch ultimate oscillator into `out`.
void ultosc(std::span<const double> high, std::span<const double> low,
            std::span<const double> close, int period1, int period2, int period3,
            std::span<double> out);
/// Commodity Channel Index of the typical price (high + low + close) / 3; period 2..100000.
std::size_t cci_lookback(int period);
/// Batch CCI into `out`.
void cci(std::span<const double> high, std::span<const double> low, std::span<const double> close,
         int period, std::span<double> out);
/// Balance of power: (close - open) / (high - low), 0 when high - low is ~0.
std::size_t bop_lookback();
/// Batch balance of power into `out`.
void bop(std::span<const double> open, std::span<const double> high, std::span<const double> low,
         std::span<const double> close, std::span<double> out);

// ---- building blocks shared by the batch loops and the streaming classes

namespace momentum_detail {

// The Wilder averages' arithmetic and RSI's value live in kernels.hpp (the GPU runs them too).
using kernels::gain_part;
using kernels::is_zero;
using kernels::loss_part;
using kernels::rsi_value;
using kernels::wilder_factors;
using kernels::wilder_step;
using kernels::WilderFactors;
using kernels::WilderStep;

/// CMO from the same averages.
inline double cmo_value(double gain, double loss) noexcept {
    const double total = gain + loss;
    return is_zero(total) ? 0.0 : 100.0 * ((gain - loss) / total);
}
/// Stochastic %K of `close` in [lowest, highest]; TA-Lib scales the range first.
inline double stoch_k(double close, double highest, double lowest) noexcept {
    const double scaled = (highest - lowest) / 100.0;
    return scaled != 0.0 ? (close - lowest) / scaled : 0.0;
}
/// Williams' %R of `close` in [lowest, highest].
inline double willr_value(double close, double highest, double lowest) noexcept {
    const double scaled = (highest - lowest) / -100.0;
    return scaled != 0.0 ? (highest - close) / scaled : 0.0;
}
/// x[0] + x[1] + ... in index order, starting from 0 (TA-Lib's order for CCI's mean).
inline double ordered_sum(const double* x, std::size_t n) noexcept {
    double sum = 0;
    std::size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        sum += x[j];
        sum += x[j + 1];
        sum += x[j + 2];
        sum += x[j + 3];
    }
    for (; j < n; ++j) {
        sum += x[j];
    }
    return sum;
}
/// `acc` + |x[0] - mean| + |x[1] - mean| + ..., in index order.
inline double add_abs_deviations(double acc, const double* x, std::size_t n, double mean) noexcept {
    for (std::size_t j = 0; j < n; ++j) {
        acc += std::fabs(x[j] - mean);
    }
    return acc;
}
/// CCI from the typical price's distance to the mean and 0.015 * mean deviation.
/// TA-Lib's guard (0 when either is 0) in arithmetic form: GCC sinks a division that only one
/// branch uses into that branch, and a loop with a conditional division does not vectorize.
/// A distance of 0 needs no mask: 0 / deviation is already 0.
inline double cci_value(double distance, double scaled_deviation) noexcept {
    const double defined = scaled_deviation != 0.0 ? 1.0 : 0.0;
    // + 0.0 turns the -0.0 of a negative distance times 0 into 0.
    return (distance / (scaled_deviation + (1.0 - defined))) * defined + 0.0;
}

/// Wilder's average gain and loss of successive changes (RSI, CMO, STOCHRSI), seeded with the
/// mean of the first `period` changes.
template <WilderStep Step>
class GainLoss {
public:
    explicit GainLoss(int period) : period_(period), f_(wilder_factors(period)) {
        require(period >= 2 && period <= 100'000, "period must be between 2 and 100000");
    }
    /// Feeds the next value; true once the averages exist.
    bool update(double x) noexcept {
        const double change = x - prev_;
        prev_ = x;
        if (seen_ > period_) {
            gain_ = wilder_step<Step>(gain_, gain_part(change), f_);
            loss_ = wilder_step<Step>(loss_, loss_part(change), f_);
            return true;
        }
        if (++seen_ == 1) {
            return false;
        }
        gain_ += gain_part(change);
        loss_ += loss_part(change);
        if (seen_ <= period_) {
            return false;
        }
        gain_ /= f_.n;
        loss_ /= f_.n;
        return true;
    }
    bool ready() const noexcept { return seen_ > period_; }
    double gain() const noexcept { return gain_; }
    double loss() const noexcept { return loss_; }

private:
    int period_;
    WilderFactors f_;
    int seen_ = 0;  // bars seen, saturating at period_ + 1
    double prev_ = 0;
    double gain_ = 0;
    double loss_ = 0;
};

}  // namespace momentum_detail

// ---- streaming forms

/// Streaming RSI.
class Rsi {
public:
    explicit Rsi(int period);
    /// Feeds a close; returns the RSI (NaN before ready()).
    double update(double x) noexcept {
        if (avg_.update(x)) {
            value_ = momentum_detail::rsi_value(avg_.gain(), avg_.loss());
        }
        return value_;
    }
    bool ready() const noexcept { return avg_.ready(); }
    double value() const noexcept { return value_; }

private:
    momentum_detail::GainLoss<momentum_detail::WilderStep::Fast> avg_;
    double value_ = kNaN;
};

/// Streaming CMO.
class Cmo {
public:
    explicit Cmo(int period);
    /// Feeds a close; returns the CMO (NaN before ready()).
    double update(double x) noexcept {
        if (avg_.update(x)) {
            value_ = momentum_detail::cmo_value(avg_.gain(), avg_.loss());
        }
        return value_;
    }
    bool ready() const noexcept { return avg_.ready(); }
    double value() const noexcept { return value_; }

private:
    momentum_detail::GainLoss<momentum_detail::WilderStep::Exact> avg_;
    double value_ = kNaN;
};

/// Streaming momentum.
class Mom {
public:
    explicit Mom(int period);
    /// Feeds a close; returns close - close[period bars ago] (NaN before ready()).
    double update(double x) noexcept {
        window_.push(x);
        if (window_.full()) {
            value_ = x - window_.oldest();
        }
        return value_;
    }
    bool ready() const noexcept { return window_.full(); }
    double value() const noexcept { return value_; }

private:
    RingBuffer<double> window_;  // the last period + 1 closes
    double value_ = kNaN;
};

/// Streaming rate of change.
class Roc {
public:
    explicit Roc(int period);
    /// Feeds a close; returns the rate of change in percent (NaN before ready()).
    double update(double x) noexcept {
        window_.push(x);
        if (window_.full()) {
            const double old = window_.oldest();
            value_ = old != 0.0 ? ((x / old) - 1.0) * 100.0 : 0.0;
        }
        return value_;
    }
    bool ready() const noexcept { return window_.full(); }
    double value() const noexcept { return value_; }

private:
    RingBuffer<double> window_;  // the last period + 1 closes
    double value_ = kNaN;
};

/// Streaming MACD (same arithmetic as the batch form).
class Macd {
public:
    Macd(int fast, int slow, int signal);
    /// Feeds a close.
    void update(double x) noexcept {
        const std::int64_t t = seen_++;
        if (t < slow_ - 1) {
            slow_ema_ += x;  // still the seed sums
            if (t >= slow_ - fast_) {
                fast_ema_ += x;
            }
            return;
        }
        if (t == slow_ - 1) {
            slow_ema_ = (slow_ema_ + x) / slow_n_;
            fast_ema_ = (fast_ema_ + x) / fast_n_;
        } else {
            slow_ema_ = ((x - slow_ema_) * k_slow_) + slow_ema_;
            fast_ema_ = ((x - fast_ema_) * k_fast_) + fast_ema_;
        }
        const double m = fast_ema_ - slow_ema_;
        if (t < lookback_) {
            signal_ += m;
            return;
        }
        if (t == lookback_) {
            signal_ = (signal_ + m) / signal_n_;
        } else {
            signal_ = ((m - signal_) * k_signal_) + signal_;
        }
        macd_ = m;
        hist_ = m - signal_;
    }
    void update(const Bar& bar) noexcept { update(bar.close); }
    bool ready() const noexcept { return seen_ > lookback_; }
    /// Writes {macd, signal, hist} (NaN before ready()).
    void values(std::span<double> out) const noexcept {
        const bool r = ready();
        out[0] = r ? macd_ : kNaN;
        out[1] = r ? signal_ : kNaN;
        out[2] = r ? hist_ : kNaN;
    }

private:
    std::int64_t fast_, slow_, lookback_;
    double fast_n_, slow_n_, signal_n_;  // the periods, as divisors
    double k_fast_, k_slow_, k_signal_;
    std::int64_t seen_ = 0;
    double fast_ema_ = 0;  // the seed sum until the slow EMA's first bar
    double slow_ema_ = 0;
    double signal_ = 0;  // the seed sum until the first output
    double macd_ = kNaN;
    double hist_ = kNaN;
};

/// Streaming APO.
class Apo {
public:
    Apo(int fast, int slow, MaType type);
    /// Feeds a close; returns MA(fast) - MA(slow) (NaN before ready()).
    double update(double x) noexcept {
        const double f = fast_.update(x);
        const double s = slow_.update(x);
        if (slow_.ready()) {
            value_ = f - s;
        }
        return value_;
    }
    bool ready() const noexcept { return slow_.ready(); }
    double value() const noexcept { return value_; }

private:
    MovingAverage fast_, slow_;
    double value_ = kNaN;
};

/// Streaming PPO.
class Ppo {
public:
    Ppo(int fast, int slow, MaType type);
    /// Feeds a close; returns the PPO in percent (NaN before ready()).
    double update(double x) noexcept {
        const double f = fast_.update(x);
        const double s = slow_.update(x);
        if (slow_.ready()) {
            value_ = momentum_detail::is_zero(s) ? 0.0 : ((f - s) / s) * 100.0;
        }
        return value_;
    }
    bool ready() const noexcept { return slow_.ready(); }
    double value() const noexcept { return value_; }

private:
    MovingAverage fast_, slow_;
    double value_ = kNaN;
};

/// Streaming TRIX.
class Trix {
public:
    explicit Trix(int period);
    /// Feeds a close; returns TRIX (NaN before ready()).
    double update(double x) noexcept;
    bool ready() const noexcept { return ready_; }
    double value() const noexcept { return value_; }

private:
    Ema e1_, e2_, e3_;
    double prev_ = kNaN;  // the triple EMA one bar ago
    bool have_prev_ = false;
    bool ready_ = false;
    double value_ = kNaN;
};

/// Streaming fast stochastic.
class StochF {
public:
    StochF(int fastk, int fastd, MaType fastd_type);
    /// Feeds a bar.
    void update(double high, double low, double close) noexcept;
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return ready_; }
    /// Writes {fastk, fastd} (NaN before ready()).
    void values(std::span<double> out) const noexcept {
        out[0] = fastk_;
        out[1] = fastd_;
    }

private:
    RollingRange range_;
    MovingAverage fastd_ma_;
    bool ready_ = false;
    double fastk_ = kNaN;
    double fastd_ = kNaN;
};

/// Streaming slow stochastic.
class Stoch {
public:
    Stoch(int fastk, int slowk, MaType slowk_type, int slowd, MaType slowd_type);
    /// Feeds a bar.
    void update(double high, double low, double close) noexcept;
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return ready_; }
    /// Writes {slowk, slowd} (NaN before ready()).
    void values(std::span<double> out) const noexcept {
        out[0] = slowk_;
        out[1] = slowd_;
    }

private:
    RollingRange range_;
    MovingAverage slowk_ma_, slowd_ma_;
    bool ready_ = false;
    double slowk_ = kNaN;
    double slowd_ = kNaN;
};

/// Streaming stochastic RSI.
class StochRsi {
public:
    StochRsi(int period, int fastk, int fastd, MaType fastd_type);
    /// Feeds a close.
    void update(double x) noexcept {
        if (avg_.update(x)) {
            const double r = momentum_detail::rsi_value(avg_.gain(), avg_.loss());
            stoch_.update(r, r, r);
        }
    }
    void update(const Bar& bar) noexcept { update(bar.close); }
    bool ready() const noexcept { return stoch_.ready(); }
    /// Writes {fastk, fastd} (NaN before ready()).
    void values(std::span<double> out) const noexcept { stoch_.values(out); }

private:
    // Exact steps: %K of RSI magnifies RSI's last bits on flat runs, so keep TA-Lib's.
    momentum_detail::GainLoss<momentum_detail::WilderStep::Exact> avg_;
    StochF stoch_;
};

/// Streaming Williams' %R.
class WillR {
public:
    explicit WillR(int period);
    /// Feeds a bar; returns %R (NaN before ready()).
    double update(double high, double low, double close) noexcept {
        range_.update(high, low);
        if (range_.full()) {
            value_ = momentum_detail::willr_value(close, range_.highest(), range_.lowest());
        }
        return value_;
    }
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return range_.full(); }
    double value() const noexcept { return value_; }
    /// Writes {willr}.
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    RollingRange range_;
    double value_ = kNaN;
};

/// Streaming ultimate oscillator.
class UltOsc {
public:
    UltOsc(int period1, int period2, int period3);
    /// Feeds a bar; returns the oscillator (NaN before ready()).
    double update(double high, double low, double close) noexcept;
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return seen_ > longest_; }
    double value() const noexcept { return value_; }
    /// Writes {ultosc}.
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    std::size_t periods_[3];  // ascending: weights 4, 2, 1
    std::size_t longest_;
    RingBuffer<double> buying_;  // close - true low, the last `longest_` bars
    RingBuffer<double> ranges_;  // true range, the last `longest_` bars
    double buying_sum_[3] = {};
    double range_sum_[3] = {};
    double prev_close_ = kNaN;
    std::size_t seen_ = 0;
    double value_ = kNaN;
};

/// Streaming CCI: O(period) per bar. The window mean is summed in the order TA-Lib sums its
/// circular buffer (slot = bar index mod period, slot 0 first), which reproduces TA-Lib's mean bit
/// for bit: on flat runs that decides whether CCI is 0 or +-66.67 (rounding noise over rounding
/// noise). The mean deviation is summed oldest bar first, as the batch form does.
class Cci {
public:
    explicit Cci(int period);
    /// Feeds a bar; returns CCI (NaN before ready()).
    double update(double high, double low, double close) noexcept {
        const double tp = (high + low + close) / 3;
        if (!window_.full()) {
            window_.push(tp);
            sum_ += tp;
            if (!window_.full()) {
                return kNaN;
            }
        } else {
            const double leaving = window_.oldest();
            window_.push(tp);
            sum_ += tp - leaving;  // one add on the bar-to-bar chain, not two
        }
        if (++since_sync_ == window_.size()) {
            // Re-add the window now and then, so that the running sum cannot drift (it would by
            // ~1e-7 of a price over 10M bars: much at CCI's scale).
            since_sync_ = 0;
            sum_ = 0;
            for (std::size_t j = 0; j < window_.size(); ++j) {
                sum_ += window_[j];
            }
        }
        const double mean = sum_ / n_;
        double deviation = 0;  // oldest first, as the batch form sums it
        for (std::size_t j = 0; j < window_.size(); ++j) {
            deviation += std::fabs(window_[j] - mean);
        }
        value_ = momentum_detail::cci_value(tp - mean, scale_ * deviation);
        return value_;
    }
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return window_.full(); }
    double value() const noexcept { return value_; }
    /// Writes {cci}.
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    double n_;
    double scale_;  // 0.015 / period: the mean deviation's factor
    RingBuffer<double> window_;
    double sum_ = 0;              // running sum of the window's typical prices
    std::size_t since_sync_ = 0;  // bars since the running sum was last re-added
    double value_ = kNaN;
};

/// Streaming balance of power (no lookback).
class Bop {
public:
    /// Feeds a bar; returns its balance of power.
    double update(double open, double high, double low, double close) noexcept {
        const double range = high - low;
        value_ = range < kEpsilon ? 0.0 : (close - open) / range;
        seen_ = true;
        return value_;
    }
    void update(const Bar& bar) noexcept { update(bar.open, bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return seen_; }
    double value() const noexcept { return value_; }
    /// Writes {bop}.
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    double value_ = kNaN;
    bool seen_ = false;
};

}  // namespace tradpal::indicators

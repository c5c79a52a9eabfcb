// SPDX-License-Identifier: Apache-2.0
// Volume indicators, TA-Lib compatible: on-balance volume, Chaikin accumulation/distribution
// line and oscillator, money flow index. Batch functions fill outputs of the input's length
// (NaN for the lookback); streaming classes take one bar at a time in O(1) without allocating.
// A NaN price or volume makes the running totals NaN from that bar on (TA-Lib would skip a bar
// whose comparisons fail on NaN). Throws: tradpal::Exception (InvalidArgument) for parameters
// out of range or wrong sizes.
#pragma once

#include <cstddef>
#include <span>

#include <tradpal/indicators/price.hpp>
#include <tradpal/indicators/rolling.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators {

/// The OBV change of one bar: +volume on a higher close, -volume on a lower one, 0 on an equal
/// one, NaN when either close is NaN.
inline double obv_step(double close, double prev_close, double volume) noexcept {
    // The sign goes through integers so that the compiler emits set-on-condition instead of a
    // branch, which a random walk would mispredict every other bar.
    const int sign = static_cast<int>(close > prev_close) - static_cast<int>(close < prev_close);
    // (close - prev_close) * 0 is 0 for numbers and NaN for NaN: adding it keeps TA-Lib's
    // values exactly and lets NaN through.
    return (static_cast<double>(sign) * volume) + ((close - prev_close) * 0.0);
}

/// The A/D change of one bar: ((close - low) - (high - close)) / (high - low) * volume, 0 when
/// high - low <= 0, NaN when high or low is NaN.
inline double ad_step(double high, double low, double close, double volume) noexcept {
    const double range = high - low;
    const double divisor = range > 0.0 ? range : 1.0;
    const double step = (((close - low) - (high - close)) / divisor) * volume;
    return range <= 0.0 ? 0.0 : step;
}

/// On-balance volume, starting from the first bar's volume; lookback 0.
std::size_t obv_lookback();
/// OBV over close and volume columns of equal length.
void obv(std::span<const double> close, std::span<const double> volume, std::span<double> out);

/// Chaikin accumulation/distribution line, starting from 0; lookback 0.
std::size_t ad_lookback();
/// AD over whole columns of equal length.
void ad(std::span<const double> high, std::span<const double> low, std::span<const double> close,
        std::span<const double> volume, std::span<double> out);

/// Chaikin A/D oscillator: EMA(fast) - EMA(slow) of the A/D line, both EMAs seeded with the
/// first A/D value; fast and slow 2..100000 (either may be the larger); lookback
/// max(fast, slow) - 1.
std::size_t adosc_lookback(int fast, int slow);
/// ADOSC over whole columns of equal length.
void adosc(std::span<const double> high, std::span<const double> low, std::span<const double> close,
           std::span<const double> volume, int fast, int slow, std::span<double> out);

/// Money flow index over `period` bars (2..100000); lookback = period. 0 whenever the window's
/// total money flow is below 1.0 (TA-Lib's absolute guard).
std::size_t mfi_lookback(int period);
/// MFI over whole columns of equal length.
void mfi(std::span<const double> high, std::span<const double> low, std::span<const double> close,
         std::span<const double> volume, int period, std::span<double> out);

// ---- streaming forms: update() returns the new value (NaN until ready()).

/// Streaming OBV.
class Obv {
public:
    double update(const Bar& bar) noexcept {
        if (!started_) {
            value_ = bar.volume;
            prev_close_ = bar.close;
            started_ = true;
        }
        value_ += obv_step(bar.close, prev_close_, bar.volume);
        prev_close_ = bar.close;
        return value_;
    }
    bool ready() const noexcept { return started_; }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    double value_ = kNaN;
    double prev_close_ = kNaN;
    bool started_ = false;
};

/// Streaming AD.
class Ad {
public:
    double update(const Bar& bar) noexcept {
        total_ += ad_step(bar.high, bar.low, bar.close, bar.volume);
        started_ = true;
        return total_;
    }
    bool ready() const noexcept { return started_; }
    double value() const noexcept { return started_ ? total_ : kNaN; }
    void values(std::span<double> out) const noexcept { out[0] = value(); }

private:
    double total_ = 0;
    bool started_ = false;
};

/// Streaming ADOSC.
class Adosc {
public:
    Adosc(int fast, int slow);
    double update(const Bar& bar) noexcept {
        total_ += ad_step(bar.high, bar.low, bar.close, bar.volume);
        if (count_ == 0) {
            fast_ema_ = total_;
            slow_ema_ = total_;
        } else {
            fast_ema_ = (fast_k_ * total_) + (fast_rest_ * fast_ema_);
            slow_ema_ = (slow_k_ * total_) + (slow_rest_ * slow_ema_);
        }
        if (count_ < lookback_) {
            ++count_;
            return kNaN;
        }
        count_ = lookback_ + 1;
        value_ = fast_ema_ - slow_ema_;
        return value_;
    }
    bool ready() const noexcept { return count_ > lookback_; }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    double fast_k_, fast_rest_;  // 2 / (fast + 1) and 1 minus it
    double slow_k_, slow_rest_;
    std::size_t lookback_;
    std::size_t count_ = 0;
    double total_ = 0;
    double fast_ema_ = 0, slow_ema_ = 0;
    double value_ = kNaN;
};

/// Streaming MFI.
class Mfi {
public:
    explicit Mfi(int period);
    double update(const Bar& bar) noexcept {
        const double typical = typical_price(bar.high, bar.low, bar.close);
        if (!started_) {
            prev_typical_ = typical;
            started_ = true;
            return kNaN;
        }
        if (positive_.full()) {
            pos_sum_ -= positive_.oldest();
            neg_sum_ -= negative_.oldest();
        }
        const double change = typical - prev_typical_;
        prev_typical_ = typical;
        const double flow = typical * bar.volume;
        // The side the flow does not go to gets 0 (-0 on a fall, harmless in the sums), or
        // NaN when the change is NaN, so that a NaN bar reaches the output.
        const double none = change * 0.0;
        const double pos = change > 0 ? flow : none;
        const double neg = change < 0 ? flow : none;
        positive_.push(pos);
        negative_.push(neg);
        pos_sum_ += pos;
        neg_sum_ += neg;
        if (!positive_.full()) {
            return kNaN;
        }
        const double total = pos_sum_ + neg_sum_;
        value_ = total < 1.0 ? 0.0 : 100.0 * (pos_sum_ / total);
        return value_;
    }
    bool ready() const noexcept { return positive_.full(); }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    RingBuffer<double> positive_, negative_;
    double pos_sum_ = 0, neg_sum_ = 0;
    double prev_typical_ = kNaN;
    bool started_ = false;
    double value_ = kNaN;
};

}  // namespace tradpal::indicators

// SPDX-License-Identifier: Apache-2.0
// Price transforms and window statistics, TA-Lib compatible: median, typical and weighted-close
// prices; highest, lowest, sum, midpoint and midprice over a window. Batch functions fill
// outputs of the input's length (NaN for the lookback); streaming classes take one value or bar
// at a time without allocating. Window extremes are O(1) amortised per bar (monotonic deques,
// where TA-Lib rescans the window); a window holding a NaN gives NaN. Throws:
// tradpal::Exception (InvalidArgument) for periods out of range or wrong sizes.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include <tradpal/indicators/rolling.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators {

/// (high + low) / 2.
inline double median_price(double high, double low) noexcept {
    return (high + low) / 2.0;
}
/// (high + low + close) / 3.
inline double typical_price(double high, double low, double close) noexcept {
    return (high + low + close) / 3.0;
}
/// (high + low + 2 close) / 4.
inline double weighted_close_price(double high, double low, double close) noexcept {
    return (high + low + (close * 2.0)) / 4.0;
}

/// Median price (MEDPRICE); lookback 0.
std::size_t medprice_lookback();
/// MEDPRICE over high and low columns of equal length.
void medprice(std::span<const double> high, std::span<const double> low, std::span<double> out);

/// Typical price (TYPPRICE); lookback 0.
std::size_t typprice_lookback();
/// TYPPRICE over whole columns of equal length.
void typprice(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, std::span<double> out);

/// Weighted close price (WCLPRICE); lookback 0.
std::size_t wclprice_lookback();
/// WCLPRICE over whole columns of equal length.
void wclprice(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, std::span<double> out);

/// Highest value over `period` values (MAX); period 2..100000; lookback = period - 1.
std::size_t max_lookback(int period);
/// MAX over a whole series.
void max(std::span<const double> in, int period, std::span<double> out);

/// Lowest value over `period` values (MIN); period 2..100000; lookback = period - 1.
std::size_t min_lookback(int period);
/// MIN over a whole series.
void min(std::span<const double> in, int period, std::span<double> out);

/// Sum over `period` values (SUM, TA-Lib's running sum); period 2..100000;
/// lookback = period - 1.
std::size_t sum_lookback(int period);
/// SUM over a whole series.
void sum(std::span<const double> in, int period, std::span<double> out);

/// (highest + lowest) / 2 over `period` values (MIDPOINT); period 2..100000;
/// lookback = period - 1.
std::size_t midpoint_lookback(int period);
/// MIDPOINT over a whole series.
void midpoint(std::span<const double> in, int period, std::span<double> out);

/// (highest high + lowest low) / 2 over `period` bars (MIDPRICE); period 2..100000;
/// lookback = period - 1.
std::size_t midprice_lookback(int period);
/// MIDPRICE over high and low columns of equal length.
void midprice(std::span<const double> high, std::span<const double> low, int period,
              std::span<double> out);

// ---- streaming forms: update() returns the new value (NaN until ready()).

/// Streaming form of a price computed from each bar alone: ready from the first bar.
template <double (*Formula)(const Bar&) noexcept>
class BarPrice {
public:
    double update(const Bar& bar) noexcept {
        started_ = true;
        return value_ = Formula(bar);
    }
    bool ready() const noexcept { return started_; }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    double value_ = kNaN;
    bool started_ = false;
};

inline double median_price_of(const Bar& bar) noexcept {
    return median_price(bar.high, bar.low);
}
inline double typical_price_of(const Bar& bar) noexcept {
    return typical_price(bar.high, bar.low, bar.close);
}
inline double weighted_close_price_of(const Bar& bar) noexcept {
    return weighted_close_price(bar.high, bar.low, bar.close);
}

/// Streaming MEDPRICE, TYPPRICE and WCLPRICE.
using MedPrice = BarPrice<&median_price_of>;
using TypPrice = BarPrice<&typical_price_of>;
using WclPrice = BarPrice<&weighted_close_price_of>;

/// Streaming MAX.
class Max {
public:
    explicit Max(int period);
    double update(double x) noexcept {
        range_.update(x, x);
        return value_ = range_.full() ? range_.highest() : kNaN;
    }
    bool ready() const noexcept { return range_.full(); }
    double value() const noexcept { return value_; }

private:
    RollingRange range_;
    double value_ = kNaN;
};

/// Streaming MIN.
class Min {
public:
    explicit Min(int period);
    double update(double x) noexcept {
        range_.update(x, x);
        return value_ = range_.full() ? range_.lowest() : kNaN;
    }
    bool ready() const noexcept { return range_.full(); }
    double value() const noexcept { return value_; }

private:
    RollingRange range_;
    double value_ = kNaN;
};

/// Streaming SUM.
class Sum {
public:
    explicit Sum(int period);
    double update(double x) noexcept {
        window_.push(x);
        total_ += x;
        if (!window_.full()) {
            return kNaN;
        }
        value_ = total_;
        total_ -= window_.oldest();  // the value that leaves with the next update
        return value_;
    }
    bool ready() const noexcept { return window_.full(); }
    double value() const noexcept { return value_; }

private:
    RingBuffer<double> window_;
    double total_ = 0;
    double value_ = kNaN;
};

/// Streaming MIDPOINT.
class MidPoint {
public:
    explicit MidPoint(int period);
    double update(double x) noexcept {
        range_.update(x, x);
        return value_ = range_.full() ? (range_.highest() + range_.lowest()) / 2.0 : kNaN;
    }
    bool ready() const noexcept { return range_.full(); }
    double value() const noexcept { return value_; }

private:
    RollingRange range_;
    double value_ = kNaN;
};

/// Streaming MIDPRICE.
class MidPrice {
public:
    explicit MidPrice(int period);
    double update(const Bar& bar) noexcept {
        range_.update(bar.high, bar.low);
        return value_ = range_.full() ? (range_.highest() + range_.lowest()) / 2.0 : kNaN;
    }
    bool ready() const noexcept { return range_.full(); }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    RollingRange range_;
    double value_ = kNaN;
};

}  // namespace tradpal::indicators

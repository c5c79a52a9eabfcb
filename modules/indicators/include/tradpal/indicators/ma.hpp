// SPDX-License-Identifier: Apache-2.0
// Moving averages, TA-Lib compatible: batch functions (whole series) and streaming classes (one
// value at a time, O(1)). Batch outputs have the input's length with NaN for the lookback.
// Throws: tradpal::Exception (InvalidArgument) for periods out of range or wrong output sizes.
#pragma once

#include <cstddef>
#include <span>
#include <variant>

#include <tradpal/indicators/rolling.hpp>
#include <tradpal/indicators/stream.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators {

/// Simple moving average; period >= 1.
std::size_t sma_lookback(int period);
void sma(std::span<const double> in, int period, std::span<double> out);
/// Exponential moving average seeded by the SMA of the first `period` values (TA-Lib's EMA);
/// k = 2 / (period + 1).
std::size_t ema_lookback(int period);
void ema(std::span<const double> in, int period, std::span<double> out);
/// Linearly weighted moving average (weights 1..period).
std::size_t wma_lookback(int period);
void wma(std::span<const double> in, int period, std::span<double> out);
/// Double EMA: 2 EMA - EMA(EMA).
std::size_t dema_lookback(int period);
void dema(std::span<const double> in, int period, std::span<double> out);
/// Triple EMA: 3 EMA - 3 EMA(EMA) + EMA(EMA(EMA)).
std::size_t tema_lookback(int period);
void tema(std::span<const double> in, int period, std::span<double> out);
/// Triangular moving average: an SMA of an SMA.
std::size_t trima_lookback(int period);
void trima(std::span<const double> in, int period, std::span<double> out);
/// Kaufman adaptive moving average (efficiency ratio over `period`, fast 2, slow 30).
std::size_t kama_lookback(int period);
void kama(std::span<const double> in, int period, std::span<double> out);
/// Tillson T3: six chained EMAs combined with volume factor `vfactor`.
std::size_t t3_lookback(int period);
void t3(std::span<const double> in, int period, double vfactor, std::span<double> out);
/// Any of the above by type (T3 with vfactor 0.7, as TA-Lib's MA); period 1 copies the input.
std::size_t ma_lookback(MaType type, int period);
void ma(MaType type, std::span<const double> in, int period, std::span<double> out);

// ---- streaming forms: update(x) returns the new value (NaN until ready()).

class Sma {
public:
    explicit Sma(int period);
    double update(double x) noexcept {
        window_.push(x);
        sum_ += x;
        if (!window_.full()) {
            return kNaN;
        }
        value_ = sum_ / period_;
        sum_ -= window_.oldest();  // the value that leaves with the next update
        return value_;
    }
    bool ready() const noexcept { return window_.full(); }
    double value() const noexcept { return value_; }

private:
    double period_;
    RingBuffer<double> window_;
    double sum_ = 0;
    double value_ = kNaN;
};

class Ema {
public:
    explicit Ema(int period);
    /// An EMA with an explicit smoothing factor (MACD's fixed 0.15 / 0.075), still seeded by
    /// the SMA of the first `period` values.
    Ema(int period, double k);
    double update(double x) noexcept {
        if (count_ < period_) {
            sum_ += x;
            if (++count_ < period_) {
                return kNaN;
            }
            value_ = sum_ / period_;
            return value_;
        }
        value_ = (x - value_) * k_ + value_;
        return value_;
    }
    bool ready() const noexcept { return count_ >= period_; }
    double value() const noexcept { return value_; }

private:
    int period_;
    double k_;
    int count_ = 0;
    double sum_ = 0;
    double value_ = kNaN;
};

class Wma {
public:
    explicit Wma(int period);
    double update(double x) noexcept;
    bool ready() const noexcept { return count_ >= period_; }
    double value() const noexcept { return value_; }

private:
    int period_;
    double divider_;
    RingBuffer<double> window_;
    int count_ = 0;
    double sum_ = 0;  // weighted sum
    double sub_ = 0;  // plain sum
    double value_ = kNaN;
};

class Dema {
public:
    explicit Dema(int period) : e1_(period), e2_(period) {}
    double update(double x) noexcept {
        const double a = e1_.update(x);
        if (!e1_.ready()) {
            return kNaN;
        }
        const double b = e2_.update(a);
        value_ = e2_.ready() ? (2.0 * a) - b : kNaN;
        return value_;
    }
    bool ready() const noexcept { return e2_.ready(); }
    double value() const noexcept { return value_; }

private:
    Ema e1_, e2_;
    double value_ = kNaN;
};

class Tema {
public:
    explicit Tema(int period) : e1_(period), e2_(period), e3_(period) {}
    double update(double x) noexcept {
        const double a = e1_.update(x);
        if (!e1_.ready()) {
            return kNaN;
        }
        const double b = e2_.update(a);
        if (!e2_.ready()) {
            return kNaN;
        }
        const double c = e3_.update(b);
        value_ = e3_.ready() ? c + ((3.0 * a) - (3.0 * b)) : kNaN;
        return value_;
    }
    bool ready() const noexcept { return e3_.ready(); }
    double value() const noexcept { return value_; }

private:
    Ema e1_, e2_, e3_;
    double value_ = kNaN;
};

class Trima {
public:
    explicit Trima(int period);
    double update(double x) noexcept {
        const double a = first_.update(x);
        if (!first_.ready()) {
            return kNaN;
        }
        return second_.update(a);
    }
    bool ready() const noexcept { return second_.ready(); }
    double value() const noexcept { return second_.value(); }

private:
    Sma first_, second_;
};

class Kama {
public:
    explicit Kama(int period);
    double update(double x) noexcept;
    bool ready() const noexcept { return count_ > period_; }
    double value() const noexcept { return value_; }

private:
    int period_;
    RingBuffer<double> window_;  // the last period + 1 inputs
    int count_ = 0;
    double sum_roc_ = 0;  // sum of |x[t] - x[t-1]| over the period
    double value_ = kNaN;
};

class T3 {
public:
    T3(int period, double vfactor);
    double update(double x) noexcept;
    bool ready() const noexcept { return seeded_ == 6; }
    double value() const noexcept { return value_; }

private:
    int period_;
    double k_, one_minus_k_;
    double c1_, c2_, c3_, c4_;
    double e_[6] = {};
    int seeded_ = 0;  // levels seeded so far
    int count_ = 0;   // values summed for the next level's seed
    double sum_ = 0;
    double value_ = kNaN;
};

/// Any moving average chosen at run time (for MA-type parameters). Period 1 passes values
/// through.
class MovingAverage {
public:
    MovingAverage(MaType type, int period);
    double update(double x) noexcept {
        return std::visit([x](auto& m) { return m.update(x); }, impl_);
    }
    bool ready() const noexcept {
        return std::visit([](const auto& m) { return m.ready(); }, impl_);
    }
    double value() const noexcept {
        return std::visit([](const auto& m) { return m.value(); }, impl_);
    }

private:
    struct Identity {
        double v = kNaN;
        double update(double x) noexcept { return v = x; }
        bool ready() const noexcept { return v == v; }
        double value() const noexcept { return v; }
    };
    std::variant<Identity, Sma, Ema, Wma, Dema, Tema, Trima, Kama, T3> impl_;
};

}  // namespace tradpal::indicators

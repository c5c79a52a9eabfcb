// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators {

/// The last `capacity` values pushed, oldest first: the window of a streaming indicator.
/// push() is O(1) and never allocates after construction.
template <class T>
class RingBuffer {
public:
    explicit RingBuffer(std::size_t capacity) : data_(capacity == 0 ? 1 : capacity) {}

    /// Adds a value, dropping the oldest when full.
    void push(T value) noexcept {
        data_[head_] = value;
        head_ = head_ + 1 == data_.size() ? 0 : head_ + 1;
        if (size_ < data_.size()) {
            ++size_;
        }
    }
    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return data_.size(); }
    bool full() const noexcept { return size_ == data_.size(); }
    /// The i-th oldest value held (0 = oldest).
    T operator[](std::size_t i) const noexcept {
        std::size_t k = head_ + (data_.size() - size_) + i;
        if (k >= data_.size()) {
            k -= data_.size();
        }
        if (k >= data_.size()) {
            k -= data_.size();
        }
        return data_[k];
    }
    T oldest() const noexcept { return (*this)[0]; }
    T newest() const noexcept { return data_[head_ == 0 ? data_.size() - 1 : head_ - 1]; }
    void clear() noexcept {
        head_ = 0;
        size_ = 0;
    }

private:
    std::vector<T> data_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

/// Maximum (Greater = true) or minimum of the last `period` values in O(1) amortised time: a
/// monotonic deque of (index, value) in a ring. Of equal values the latest is kept, as TA-Lib
/// does when it reports positions (AROON).
template <bool Greater>
class RollingExtreme {
public:
    explicit RollingExtreme(std::size_t period)
        : period_(period == 0 ? 1 : period), index_(period_ + 1), value_(period_ + 1) {}

    /// Adds the next value; then value() and age() describe the extreme of the window.
    void push(double x) noexcept {
        while (count_ > 0) {
            const std::size_t back = wrap(head_ + count_ - 1);
            if (Greater ? value_[back] > x : value_[back] < x) {
                break;
            }
            --count_;
        }
        const std::size_t slot = wrap(head_ + count_);
        index_[slot] = next_;
        value_[slot] = x;
        ++count_;
        if (next_ >= period_ && index_[head_] <= next_ - period_) {
            head_ = wrap(head_ + 1);
            --count_;
        }
        ++next_;
    }
    /// The extreme of the last `period` values pushed.
    double value() const noexcept { return value_[head_]; }
    /// Bars since the extreme (0 = the newest value).
    std::int64_t age() const noexcept {
        return static_cast<std::int64_t>(next_ - 1 - index_[head_]);
    }
    void clear() noexcept {
        head_ = 0;
        count_ = 0;
        next_ = 0;
    }

private:
    std::size_t wrap(std::size_t k) const noexcept {
        return k >= index_.size() ? k - index_.size() : k;
    }

    std::size_t period_;
    std::vector<std::uint64_t> index_;
    std::vector<double> value_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::uint64_t next_ = 0;
};

using RollingMax = RollingExtreme<true>;
using RollingMin = RollingExtreme<false>;

/// Highest high and lowest low of the last `period` bars in O(1) per bar without data-dependent
/// branches (van Herk / Gil-Werman blocks: the window is the suffix of the previous block of
/// `period` bars plus the prefix of the current one). A NaN high or low makes both extremes NaN
/// while it is in the window. The sliding max/min of every batch and streaming form that needs
/// no position (STOCH, WILLR, MAX, MIN, MIDPOINT, MIDPRICE, Donchian, Ichimoku); RollingExtreme
/// below also gives the age of the extreme (AROON) but pops a data-dependent number of entries,
/// which random walks mispredict: it is 5-10x slower.
class RollingRange {
public:
    // Defined here, like the rest of the class, so a batch loop's local instance never escapes
    // to an out-of-line call and its state can stay in registers.
    explicit RollingRange(int period)
        : period_(static_cast<std::size_t>(period < 1 ? 1 : period)),
          hi_(period_ + 1, -std::numeric_limits<double>::infinity()),
          lo_(period_ + 1, std::numeric_limits<double>::infinity()),
          since_nan_(period_) {
        require(period >= 1 && period <= 100'000, "period must be between 1 and 100000");
    }
    /// Feeds the next bar's high and low.
    void update(double high, double low) noexcept {
        // Slot pos_ of the suffix arrays still holds the previous block's suffix extreme until
        // this bar overwrites it with its raw value; pos_ + 1 is what the window needs of it.
        hi_run_ = high > hi_run_ ? high : hi_run_;
        lo_run_ = low < lo_run_ ? low : lo_run_;
        const double old_hi = hi_[pos_ + 1];
        const double old_lo = lo_[pos_ + 1];
        highest_ = old_hi > hi_run_ ? old_hi : hi_run_;
        lowest_ = old_lo < lo_run_ ? old_lo : lo_run_;
        hi_[pos_] = high;
        lo_[pos_] = low;
        since_nan_ = std::isnan(high) || std::isnan(low) ? 0 : since_nan_ + 1;
        ++seen_;
        if (++pos_ == period_) {
            close_block();
        }
    }
    /// True once `period` bars have been seen.
    bool full() const noexcept { return seen_ >= period_; }
    double highest() const noexcept { return since_nan_ < period_ ? kNaN : highest_; }
    double lowest() const noexcept { return since_nan_ < period_ ? kNaN : lowest_; }

private:
    // Turns the finished block's raw values into suffix extremes for the next block to read.
    void close_block() noexcept {
        double h = -std::numeric_limits<double>::infinity();
        double l = std::numeric_limits<double>::infinity();
        for (std::size_t k = period_; k-- > 0;) {
            h = hi_[k] > h ? hi_[k] : h;
            l = lo_[k] < l ? lo_[k] : l;
            hi_[k] = h;
            lo_[k] = l;
        }
        pos_ = 0;
        hi_run_ = -std::numeric_limits<double>::infinity();
        lo_run_ = std::numeric_limits<double>::infinity();
    }

    std::size_t period_;
    std::vector<double> hi_;  // period_ + 1 slots; the last one is always -inf
    std::vector<double> lo_;  // period_ + 1 slots; the last one is always +inf
    std::size_t pos_ = 0;     // position of the next bar in its block
    double hi_run_ = -std::numeric_limits<double>::infinity();
    double lo_run_ = std::numeric_limits<double>::infinity();
    double highest_ = kNaN;
    double lowest_ = kNaN;
    std::uint64_t since_nan_;  // bars since the last NaN high or low
    std::uint64_t seen_ = 0;
};

}  // namespace tradpal::indicators

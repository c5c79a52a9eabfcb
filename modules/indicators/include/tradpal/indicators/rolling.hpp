// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

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

}  // namespace tradpal::indicators

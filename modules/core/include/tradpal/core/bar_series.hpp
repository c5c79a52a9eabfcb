// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include <tradpal/core/error.hpp>
#include <tradpal/core/timestamp.hpp>

namespace tradpal {

/// One OHLCV bar; `ts` is the bar's open time.
struct Bar {
    Timestamp ts;
    double open = 0;
    double high = 0;
    double low = 0;
    double close = 0;
    double volume = 0;
};
static_assert(std::is_trivially_copyable_v<Bar>);

/// Non-owning view of a bar series: six parallel columns of equal length. `ts` holds int64
/// nanoseconds since the epoch (UTC). The viewed memory (vector or mmap) must outlive the view.
class BarSeriesView {
public:
    BarSeriesView() = default;
    /// All spans must have the same length (asserted in debug builds).
    BarSeriesView(std::span<const std::int64_t> ts, std::span<const double> open,
                  std::span<const double> high, std::span<const double> low,
                  std::span<const double> close, std::span<const double> volume) noexcept
        : ts_(ts), open_(open), high_(high), low_(low), close_(close), volume_(volume) {
        TRADPAL_ASSERT(open.size() == ts.size() && high.size() == ts.size() &&
                           low.size() == ts.size() && close.size() == ts.size() &&
                           volume.size() == ts.size(),
                       "bar columns must have equal length");
    }

    std::size_t size() const noexcept { return ts_.size(); }
    bool empty() const noexcept { return ts_.empty(); }

    std::span<const std::int64_t> ts() const noexcept { return ts_; }
    std::span<const double> open() const noexcept { return open_; }
    std::span<const double> high() const noexcept { return high_; }
    std::span<const double> low() const noexcept { return low_; }
    std::span<const double> close() const noexcept { return close_; }
    std::span<const double> volume() const noexcept { return volume_; }

    /// Time of bar i.
    Timestamp time(std::size_t i) const noexcept { return Timestamp(ts_[i]); }
    /// Bar i as a struct.
    Bar bar(std::size_t i) const noexcept {
        return Bar{Timestamp(ts_[i]), open_[i], high_[i], low_[i], close_[i], volume_[i]};
    }
    /// Rows [begin, begin + count), clamped to the series.
    BarSeriesView slice(std::size_t begin, std::size_t count) const noexcept;
    /// Bars with start <= ts < end, found by binary search (the series must be sorted).
    BarSeriesView between(Timestamp start, Timestamp end) const noexcept;

private:
    std::span<const std::int64_t> ts_;
    std::span<const double> open_, high_, low_, close_, volume_;
};

/// An owning bar series backed by vectors.
class BarSeries {
public:
    BarSeries() = default;

    std::size_t size() const noexcept { return ts_.size(); }
    bool empty() const noexcept { return ts_.empty(); }
    void reserve(std::size_t n);
    void clear() noexcept;
    void push_back(const Bar& bar) {
        ts_.push_back(bar.ts.ns());
        open_.push_back(bar.open);
        high_.push_back(bar.high);
        low_.push_back(bar.low);
        close_.push_back(bar.close);
        volume_.push_back(bar.volume);
    }
    /// Appends all rows of a view.
    void append(const BarSeriesView& rows);

    BarSeriesView view() const noexcept { return {ts_, open_, high_, low_, close_, volume_}; }
    operator BarSeriesView() const noexcept {
        return view();
    }  // NOLINT(google-explicit-constructor)
    Bar bar(std::size_t i) const noexcept { return view().bar(i); }

    std::vector<std::int64_t>& ts() noexcept { return ts_; }
    std::vector<double>& open() noexcept { return open_; }
    std::vector<double>& high() noexcept { return high_; }
    std::vector<double>& low() noexcept { return low_; }
    std::vector<double>& close() noexcept { return close_; }
    std::vector<double>& volume() noexcept { return volume_; }

private:
    std::vector<std::int64_t> ts_;
    std::vector<double> open_, high_, low_, close_, volume_;
};

}  // namespace tradpal

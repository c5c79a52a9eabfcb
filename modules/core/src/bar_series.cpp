// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tradpal/core/bar_series.hpp>

namespace tradpal {

BarSeriesView BarSeriesView::slice(std::size_t begin, std::size_t count) const noexcept {
    begin = std::min(begin, size());
    count = std::min(count, size() - begin);
    return {ts_.subspan(begin, count),    open_.subspan(begin, count),
            high_.subspan(begin, count),  low_.subspan(begin, count),
            close_.subspan(begin, count), volume_.subspan(begin, count)};
}

BarSeriesView BarSeriesView::between(Timestamp start, Timestamp end) const noexcept {
    const auto first = std::lower_bound(ts_.begin(), ts_.end(), start.ns());
    const auto last = std::lower_bound(first, ts_.end(), end.ns());
    return slice(static_cast<std::size_t>(first - ts_.begin()),
                 static_cast<std::size_t>(last - first));
}

void BarSeries::reserve(std::size_t n) {
    ts_.reserve(n);
    open_.reserve(n);
    high_.reserve(n);
    low_.reserve(n);
    close_.reserve(n);
    volume_.reserve(n);
}

void BarSeries::clear() noexcept {
    ts_.clear();
    open_.clear();
    high_.clear();
    low_.clear();
    close_.clear();
    volume_.clear();
}

void BarSeries::append(const BarSeriesView& rows) {
    ts_.insert(ts_.end(), rows.ts().begin(), rows.ts().end());
    open_.insert(open_.end(), rows.open().begin(), rows.open().end());
    high_.insert(high_.end(), rows.high().begin(), rows.high().end());
    low_.insert(low_.end(), rows.low().begin(), rows.low().end());
    close_.insert(close_.end(), rows.close().begin(), rows.close().end());
    volume_.insert(volume_.end(), rows.volume().begin(), rows.volume().end());
}

}  // namespace tradpal

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators {

/// A streaming indicator behind one interface (the registry hands these out): O(1) per bar, no
/// allocation after construction. Values agree with the batch form to 1e-12 relative.
class IndicatorStream {
public:
    virtual ~IndicatorStream() = default;

    /// Feeds the next bar.
    virtual void update(const Bar& bar) noexcept = 0;
    /// True once the lookback has passed (values are NaN before).
    virtual bool ready() const noexcept = 0;
    /// Writes the current value of each output (NaN before ready()).
    virtual void values(std::span<double> out) const noexcept = 0;
};

/// Which bar field a single-input streaming indicator reads (TA-Lib's default is the close).
enum class Source { Open, High, Low, Close, Volume };

inline double source_value(const Bar& bar, Source source) noexcept {
    switch (source) {
        case Source::Open:
            return bar.open;
        case Source::High:
            return bar.high;
        case Source::Low:
            return bar.low;
        case Source::Volume:
            return bar.volume;
        case Source::Close:
            break;
    }
    return bar.close;
}

/// Runs a streaming class over a series: the batch form of any streaming indicator.
template <class S>
void run_stream(S& s, std::span<const double> in, std::span<double> out) noexcept {
    for (std::size_t i = 0; i < in.size(); ++i) {
        const double v = s.update(in[i]);
        out[i] = s.ready() ? v : kNaN;
    }
}

/// Adapts a streaming class with `update(double)`, `ready()` and `value()` to IndicatorStream,
/// feeding it the close.
template <class S>
class CloseStream final : public IndicatorStream {
public:
    explicit CloseStream(S s) : s_(std::move(s)) {}
    void update(const Bar& bar) noexcept override { s_.update(bar.close); }
    bool ready() const noexcept override { return s_.ready(); }
    void values(std::span<double> out) const noexcept override { out[0] = s_.value(); }

private:
    S s_;
};

/// Adapts a streaming class with `update(const Bar&)`, `ready()` and `values(span)`.
template <class S>
class BarStream final : public IndicatorStream {
public:
    explicit BarStream(S s) : s_(std::move(s)) {}
    void update(const Bar& bar) noexcept override { s_.update(bar); }
    bool ready() const noexcept override { return s_.ready(); }
    void values(std::span<double> out) const noexcept override { s_.values(out); }

private:
    S s_;
};

}  // namespace tradpal::indicators

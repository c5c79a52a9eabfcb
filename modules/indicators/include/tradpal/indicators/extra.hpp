// SPDX-License-Identifier: Apache-2.0
// Indicators TA-Lib lacks (VWAP, session VWAP, Supertrend, Keltner, Donchian, Hull MA, z-score,
// Ichimoku), with TA-Lib's conventions: batch outputs have the input's length with NaN before
// the lookback, every value at bar t uses bars <= t only, and each indicator has a streaming
// class (O(1) per bar, no allocation after construction) that the batch form runs.
//
// NaN inputs. Window indicators (vwap, vwap_session, donchian, hma, zscore, ichimoku) give NaN
// while a bar with a NaN in a field they read lies inside the window that the value is computed
// from (the session, for vwap_session), and exact values again once it has left, like pandas'
// rolling windows. Recursive ones (supertrend, keltner: EMA and Wilder ATR) give NaN from that bar
// on, as TA-Lib's EMA and ATR do, since the recursion carries it forever.
//
// Throws: tradpal::Exception (InvalidArgument) for parameters out of range and for input or
// output columns of different lengths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/indicators/ma.hpp>
#include <tradpal/indicators/rolling.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators {

namespace extra_detail {

/// Bars since the last one with a NaN input (saturating): a window of `w` bars ending at the
/// current bar is free of NaN when clean(w).
class NanAge {
public:
    /// Records the current bar: `nan` when one of the fields read is NaN.
    void update(bool nan) noexcept {
        if (nan) {
            age_ = 0;
        } else if (age_ < kNever) {
            ++age_;
        }
    }
    /// True when none of the last `window` bars (current included) had a NaN.
    bool clean(std::size_t window) const noexcept { return age_ >= window; }

private:
    static constexpr std::size_t kNever = static_cast<std::size_t>(1) << 62;
    std::size_t age_ = kNever;
};

/// Wilder's average true range as TA-Lib's ATR computes it (a private copy for supertrend and
/// keltner): TR[t] = max(high - low, |high - close[t-1]|, |low - close[t-1]|) from bar 1; the first
/// ATR (bar `period`) is the mean of TR[1..period], then atr = (atr * (period - 1) + TR) / period.
/// Lookback `period`. A NaN in any field read makes this and every later value NaN.
class WilderAtr {
public:
    explicit WilderAtr(int period);
    /// Feeds a bar; returns the ATR (NaN until ready()).
    double update(double high, double low, double close) noexcept;
    bool ready() const noexcept { return count_ > period_; }
    double value() const noexcept { return value_; }

private:
    int period_;
    int count_ = 0;  // bars seen, saturating at period_ + 1
    double prev_close_ = kNaN;
    double sum_ = 0;
    double value_ = kNaN;
};

}  // namespace extra_detail

// ---- rolling VWAP

/// Rolling VWAP over the last `period` bars (period >= 1; lookback period - 1):
/// sum(tp * volume) / sum(volume) with tp = (high + low + close) / 3. When the window's volume
/// sum is not positive (no volume traded) the value is the plain mean of tp over the window, the
/// limit of equal weights, so it stays finite and between the window's lowest low and highest
/// high. Volumes are expected to be >= 0.
std::size_t vwap_lookback(int period);
/// Batch rolling VWAP (see vwap_lookback for the definition).
void vwap(std::span<const double> high, std::span<const double> low, std::span<const double> close,
          std::span<const double> volume, int period, std::span<double> out);

/// Streaming rolling VWAP: running sums over a ring of the window, summed afresh from the ring
/// every `period` bars so that rounding never accumulates (O(1) amortised).
class Vwap {
public:
    explicit Vwap(int period);
    /// Feeds a bar; returns the VWAP (NaN before the lookback).
    double update(double high, double low, double close, double volume) noexcept;
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close, bar.volume); }
    bool ready() const noexcept { return count_ >= period_; }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    struct Slot {
        double pv = 0;  // tp * volume
        double v = 0;   // volume
        double tp = 0;  // typical price
    };
    void resync() noexcept;

    std::size_t period_;
    RingBuffer<Slot> window_;
    extra_detail::NanAge nan_;
    std::size_t count_ = 0;  // bars seen, saturating at period_
    std::size_t since_sync_ = 0;
    std::size_t traded_ = 0;  // bars in the window with volume != 0
    double sum_pv_ = 0;
    double sum_v_ = 0;
    double sum_tp_ = 0;
    double value_ = kNaN;
};

// ---- session VWAP

/// Session-anchored VWAP: sum(tp * volume) / sum(volume) over the bars of the current session so
/// far, tp = (high + low + close) / 3. Sessions are the epoch-aligned intervals
/// [k * minutes, (k + 1) * minutes) of UTC time since 1970-01-01 00:00 (minutes = 1440: each UTC
/// day; a bar belongs to the session holding its timestamp, and a new session starts whenever a
/// bar's session differs from the previous bar's). Lookback 0 (the first bar of a session gives
/// its own tp). While the session has no volume the value is the plain mean of its tp values.
std::size_t vwap_session_lookback(int minutes);
/// Batch session VWAP; `ts` holds int64 nanoseconds since the epoch (UTC).
void vwap_session(std::span<const std::int64_t> ts, std::span<const double> high,
                  std::span<const double> low, std::span<const double> close,
                  std::span<const double> volume, int minutes, std::span<double> out);

/// Streaming session VWAP (see vwap_session_lookback for the definition).
class VwapSession {
public:
    explicit VwapSession(int minutes);
    /// Feeds a bar whose open time is `ts_ns` (ns since the epoch, UTC); returns the VWAP.
    double update(std::int64_t ts_ns, double high, double low, double close,
                  double volume) noexcept;
    void update(const Bar& bar) noexcept {
        update(bar.ts.ns(), bar.high, bar.low, bar.close, bar.volume);
    }
    bool ready() const noexcept { return started_; }
    double value() const noexcept { return value_; }
    void values(std::span<double> out) const noexcept { out[0] = value_; }

private:
    std::int64_t length_ns_;
    std::int64_t session_ = 0;
    bool started_ = false;
    bool dirty_ = false;  // a NaN bar in this session
    double bars_ = 0;     // bars in this session
    double sum_pv_ = 0;
    double sum_v_ = 0;
    double sum_tp_ = 0;
    double value_ = kNaN;
};

// ---- Supertrend

/// Supertrend (TradingView's ta.supertrend): with hl2 = (high + low) / 2 and atr = the Wilder
/// ATR over `period` bars (TA-Lib's ATR), basic bands hl2 +/- multiplier * atr; the final upper
/// band takes the basic one when it is lower than the previous final upper or the previous close
/// was above that, else keeps the previous (the lower band mirrors it). Direction starts short (-1)
/// on the first bar; short turns long (+1) when close > final upper, long turns short when close <
/// final lower. supertrend = final lower band when long, final upper band when short. Outputs
/// {supertrend, direction}; lookback `period` (period >= 1, multiplier >= 0).
std::size_t supertrend_lookback(int period);
/// Batch Supertrend (see supertrend_lookback for the definition).
void supertrend(std::span<const double> high, std::span<const double> low,
                std::span<const double> close, int period, double multiplier,
                std::span<double> supertrend_out, std::span<double> direction_out);

/// Streaming Supertrend (see supertrend_lookback for the definition).
class Supertrend {
public:
    Supertrend(int period, double multiplier);
    /// Feeds a bar; then value() and direction() describe it (NaN before the lookback).
    void update(double high, double low, double close) noexcept;
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return atr_.ready(); }
    /// The Supertrend line.
    double value() const noexcept { return value_; }
    /// +1 long, -1 short.
    double direction() const noexcept { return direction_; }
    /// The final upper band (the line while short; NaN before the lookback).
    double upper_band() const noexcept { return direction_ == direction_ ? upper_ : kNaN; }
    /// The final lower band (the line while long; NaN before the lookback).
    double lower_band() const noexcept { return direction_ == direction_ ? lower_ : kNaN; }
    /// Writes {supertrend, direction}.
    void values(std::span<double> out) const noexcept {
        out[0] = value_;
        out[1] = direction_;
    }

private:
    extra_detail::WilderAtr atr_;
    double multiplier_;
    bool started_ = false;
    bool poisoned_ = false;  // a NaN bar was seen
    double upper_ = 0;
    double lower_ = 0;
    double prev_close_ = kNaN;
    double dir_ = -1;
    double value_ = kNaN;
    double direction_ = kNaN;
};

// ---- Keltner channels

/// Keltner channels: middle = EMA(close, period) (TA-Lib's EMA, seeded by the SMA of the first
/// `period` closes), upper/lower = middle +/- multiplier * ATR(atr_period) (Wilder, as TA-Lib's
/// ATR). Outputs {upper, middle, lower}; lookback max(period - 1, atr_period).
std::size_t keltner_lookback(int period, int atr_period);
/// Batch Keltner channels (see keltner_lookback for the definition).
void keltner(std::span<const double> high, std::span<const double> low,
             std::span<const double> close, int period, double multiplier, int atr_period,
             std::span<double> upper, std::span<double> middle, std::span<double> lower);

/// Streaming Keltner channels (see keltner_lookback for the definition).
class Keltner {
public:
    Keltner(int period, double multiplier, int atr_period);
    /// Feeds a bar; then values() describes it (NaN before the lookback).
    void update(double high, double low, double close) noexcept;
    void update(const Bar& bar) noexcept { update(bar.high, bar.low, bar.close); }
    bool ready() const noexcept { return count_ > lookback_; }
    /// Writes {upper, middle, lower}.
    void values(std::span<double> out) const noexcept {
        out[0] = upper_;
        out[1] = middle_;
        out[2] = lower_;
    }

private:
    Ema ema_;
    extra_detail::WilderAtr atr_;
    double multiplier_;
    std::size_t lookback_;
    std::size_t count_ = 0;  // bars seen, saturating at lookback_ + 1
    double upper_ = kNaN;
    double middle_ = kNaN;
    double lower_ = kNaN;
};

// ---- Donchian channels

/// Donchian channels over the last `period` bars, the current one included: upper = highest
/// high, lower = lowest low, middle = (upper + lower) / 2. Outputs {upper, middle, lower};
/// lookback period - 1 (period >= 1).
std::size_t donchian_lookback(int period);
/// Batch Donchian channels (see donchian_lookback for the definition).
void donchian(std::span<const double> high, std::span<const double> low, int period,
              std::span<double> upper, std::span<double> middle, std::span<double> lower);

/// Streaming Donchian channels: O(1) per bar with RollingRange.
class Donchian {
public:
    explicit Donchian(int period);
    /// Feeds a bar; then values() describes it (NaN before the lookback).
    void update(double high, double low) noexcept;
    void update(const Bar& bar) noexcept { update(bar.high, bar.low); }
    bool ready() const noexcept { return range_.full(); }
    /// Writes {upper, middle, lower}.
    void values(std::span<double> out) const noexcept {
        out[0] = upper_;
        out[1] = middle_;
        out[2] = lower_;
    }

private:
    RollingRange range_;
    double upper_ = kNaN;
    double middle_ = kNaN;
    double lower_ = kNaN;
};

// ---- Hull moving average

/// Hull moving average: WMA(2 * WMA(close, period / 2) - WMA(close, period), floor(sqrt(period)))
/// with integer period / 2 and TA-Lib's WMA (weights 1..n). Lookback
/// (period - 1) + (floor(sqrt(period)) - 1), e.g. 10 for period 9 (period >= 2).
std::size_t hma_lookback(int period);
/// Batch Hull moving average (see hma_lookback for the definition).
void hma(std::span<const double> in, int period, std::span<double> out);

/// Streaming Hull moving average (see hma_lookback for the definition).
class Hma {
public:
    explicit Hma(int period);
    /// Feeds a value; returns the HMA (NaN before the lookback).
    double update(double x) noexcept;
    bool ready() const noexcept { return outer_.ready(); }
    double value() const noexcept { return value_; }

private:
    Wma half_;
    Wma full_;
    Wma outer_;
    std::size_t window_;  // inputs one value depends on: lookback + 1
    extra_detail::NanAge nan_;
    double value_ = kNaN;
};

// ---- rolling z-score

/// Rolling z-score: (close - mean) / sd over the last `period` closes, with the mean and the
/// population standard deviation (divide by period) of that same window. Zero variance: when all
/// closes of the window are equal (or rounding leaves a variance <= 0) the z-score is 0. Lookback
/// period - 1 (period >= 2).
std::size_t zscore_lookback(int period);
/// Batch rolling z-score (see zscore_lookback for the definition).
void zscore(std::span<const double> in, int period, std::span<double> out);

/// Streaming rolling z-score: running sums of deviations from a shift that is reset to the
/// window's mean, with the sums recomputed exactly from the window, every `period` values (no
/// cancellation at high price levels, no drift).
class Zscore {
public:
    explicit Zscore(int period);
    /// Feeds a value; returns the z-score (NaN before the lookback).
    double update(double x) noexcept;
    bool ready() const noexcept { return count_ >= period_; }
    double value() const noexcept { return value_; }

private:
    void resync() noexcept;

    std::size_t period_;
    RingBuffer<double> window_;
    extra_detail::NanAge nan_;
    std::size_t count_ = 0;  // values seen, saturating at period_
    std::size_t since_sync_ = 0;
    std::size_t run_ = 0;  // how many of the latest values are equal (saturating at period_)
    double shift_ = 0;
    double sum_ = 0;     // sum of (x - shift_)
    double sum_sq_ = 0;  // sum of (x - shift_)^2
    double value_ = kNaN;
};

// ---- Ichimoku

/// Ichimoku cloud, causal: tenkan = (highest high + lowest low) / 2 over `tenkan` bars, kijun the
/// same over `kijun` bars; senkou_a at bar t = (tenkan + kijun) / 2 computed at bar t - kijun and
/// senkou_b at bar t = the midpoint over `senkou` bars computed at bar t - kijun: the cloud that
/// applies at bar t (charts draw it `kijun` bars ahead of the bar it was computed on). The chikou
/// span is left out: it is the close plotted `kijun` bars back, not information at time t.
/// Outputs {tenkan, kijun, senkou_a, senkou_b}, all starting at the one lookback
/// max(tenkan, kijun, senkou) - 1 + kijun (77 for 9, 26, 52), when senkou_b first exists. A bar
/// with a NaN high or low gives NaN in all four outputs at that bar (and in tenkan/kijun while it
/// is in their windows, in the senkou spans while it is in the windows they were computed from).
std::size_t ichimoku_lookback(int tenkan, int kijun, int senkou);
/// Batch Ichimoku (see ichimoku_lookback for the definition).
void ichimoku(std::span<const double> high, std::span<const double> low, int tenkan, int kijun,
              int senkou, std::span<double> tenkan_out, std::span<double> kijun_out,
              std::span<double> senkou_a_out, std::span<double> senkou_b_out);

/// Streaming Ichimoku (see ichimoku_lookback for the definition).
class Ichimoku {
public:
    Ichimoku(int tenkan, int kijun, int senkou);
    /// Feeds a bar; then values() describes it (NaN before the lookback).
    void update(double high, double low) noexcept;
    void update(const Bar& bar) noexcept { update(bar.high, bar.low); }
    bool ready() const noexcept { return count_ > lookback_; }
    /// Writes {tenkan, kijun, senkou_a, senkou_b}.
    void values(std::span<double> out) const noexcept;

private:
    /// Midpoint of a window, or NaN when it is not full or holds a NaN bar.
    static double midpoint(const RollingRange& range) noexcept {
        return range.full() ? (range.highest() + range.lowest()) / 2.0 : kNaN;
    }

    std::size_t lookback_;
    RollingRange tenkan_range_, kijun_range_, senkou_range_;
    RingBuffer<double> span_a_;  // (tenkan + kijun) / 2 of the last kijun + 1 bars
    RingBuffer<double> span_b_;  // the senkou midpoint of the last kijun + 1 bars
    bool nan_bar_ = false;       // the latest bar has a NaN high or low
    std::size_t count_ = 0;      // bars seen, saturating at lookback_ + 1
    double tenkan_ = kNaN;
    double kijun_ = kNaN;
};

}  // namespace tradpal::indicators

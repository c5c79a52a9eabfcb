// SPDX-License-Identifier: Apache-2.0
// Indicators TA-Lib lacks: the streaming classes, their batch forms (runs of the streaming
// classes, so both agree exactly) and the registry entries of the "extra" group.
#include <algorithm>
#include <cmath>

#include <tradpal/indicators/extra.hpp>

#include "registry_util.hpp"

namespace tradpal::indicators {
namespace {

constexpr int kMaxPeriod = 100'000;
constexpr int kMaxSessionMinutes = 527'040;  // 366 days
constexpr double kMaxMultiplier = 1'000;

void check_period(int period, int min, const char* what) {
    require(period >= min && period <= kMaxPeriod, what);
}

void check_multiplier(double m, const char* what) {
    require(std::isfinite(m) && m >= 0 && m <= kMaxMultiplier, what);
}

template <class... Spans>
void check_sizes(std::size_t n, const Spans&... spans) {
    require(((spans.size() == n) && ...),
            "indicator inputs and outputs must all have the input's length");
}

/// Floor of sqrt(n) for n >= 0, exact.
int isqrt(int n) {
    if (n <= 0) {
        return 0;
    }
    int r = static_cast<int>(std::sqrt(static_cast<double>(n)));
    while (r > 0 && r * r > n) {
        --r;
    }
    while ((r + 1) * (r + 1) <= n) {
        ++r;
    }
    return r;
}

/// Floor division for a positive divisor.
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

}  // namespace

// ---- Wilder ATR

namespace extra_detail {

WilderAtr::WilderAtr(int period) : period_(period) {
    check_period(period, 1, "atr: period must be between 1 and 100000");
}

double WilderAtr::update(double high, double low, double close) noexcept {
    if (count_ == 0) {  // bar 0 only gives the previous close of bar 1
        count_ = 1;
        prev_close_ = close;
        return kNaN;
    }
    // TA-Lib's TRANGE order; any NaN (also in the previous close) gives a NaN range.
    double tr = kNaN;
    if (!std::isnan(high) && !std::isnan(low) && !std::isnan(prev_close_)) {
        tr = high - low;
        const double up = std::fabs(prev_close_ - high);
        if (up > tr) {
            tr = up;
        }
        const double down = std::fabs(prev_close_ - low);
        if (down > tr) {
            tr = down;
        }
    }
    prev_close_ = close;
    if (count_ <= period_) {  // bars 1 .. period: the seed is the mean of their ranges
        sum_ += tr;
        if (++count_ <= period_) {
            return kNaN;
        }
        value_ = sum_ / period_;
        return value_;
    }
    value_ = ((value_ * (period_ - 1)) + tr) / period_;
    return value_;
}

}  // namespace extra_detail

// ---- rolling VWAP

std::size_t vwap_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

Vwap::Vwap(int period) : period_(static_cast<std::size_t>(std::max(period, 1))), window_(period_) {
    check_period(period, 1, "vwap: period must be between 1 and 100000");
}

void Vwap::resync() noexcept {
    sum_pv_ = 0;
    sum_v_ = 0;
    sum_tp_ = 0;
    for (std::size_t i = 0; i < window_.size(); ++i) {
        const Slot s = window_[i];
        sum_pv_ += s.pv;
        sum_v_ += s.v;
        sum_tp_ += s.tp;
    }
}

double Vwap::update(double high, double low, double close, double volume) noexcept {
    const double tp = (high + low + close) / 3.0;
    const bool nan = std::isnan(tp) || std::isnan(volume);
    nan_.update(nan);
    // A NaN bar enters the sums as zeros and masks the output while it is in the window.
    const Slot in = nan ? Slot{} : Slot{tp * volume, volume, tp};
    if (window_.full()) {
        const Slot out = window_.oldest();
        sum_pv_ -= out.pv;
        sum_v_ -= out.v;
        sum_tp_ -= out.tp;
        traded_ -= out.v != 0 ? 1 : 0;
    }
    window_.push(in);
    sum_pv_ += in.pv;
    sum_v_ += in.v;
    sum_tp_ += in.tp;
    traded_ += in.v != 0 ? 1 : 0;
    if (++since_sync_ == period_) {
        since_sync_ = 0;
        resync();
    }
    if (count_ < period_) {
        ++count_;
    }
    if (count_ < period_ || !nan_.clean(period_)) {
        value_ = kNaN;
    } else if (traded_ > 0 && sum_v_ > 0) {
        value_ = sum_pv_ / sum_v_;
    } else {
        value_ = sum_tp_ / static_cast<double>(period_);
    }
    return value_;
}

void vwap(std::span<const double> high, std::span<const double> low, std::span<const double> close,
          std::span<const double> volume, int period, std::span<double> out) {
    Vwap s(period);
    check_sizes(close.size(), high, low, volume, out);
    for (std::size_t i = 0; i < close.size(); ++i) {
        const double v = s.update(high[i], low[i], close[i], volume[i]);
        out[i] = s.ready() ? v : kNaN;
    }
}

// ---- session VWAP

std::size_t vwap_session_lookback(int /*minutes*/) {
    return 0;
}

VwapSession::VwapSession(int minutes) : length_ns_(std::int64_t{minutes} * kNanosPerMinute) {
    require(minutes >= 1 && minutes <= kMaxSessionMinutes,
            "vwap_session: minutes must be between 1 and 527040");
}

double VwapSession::update(std::int64_t ts_ns, double high, double low, double close,
                           double volume) noexcept {
    const std::int64_t session = floor_div(ts_ns, length_ns_);
    if (!started_ || session != session_) {
        started_ = true;
        session_ = session;
        dirty_ = false;
        bars_ = 0;
        sum_pv_ = 0;
        sum_v_ = 0;
        sum_tp_ = 0;
    }
    const double tp = (high + low + close) / 3.0;
    if (std::isnan(tp) || std::isnan(volume)) {
        dirty_ = true;  // NaN until the session ends
    } else {
        bars_ += 1;
        sum_pv_ += tp * volume;
        sum_v_ += volume;
        sum_tp_ += tp;
    }
    if (dirty_) {
        value_ = kNaN;
    } else if (sum_v_ > 0) {
        value_ = sum_pv_ / sum_v_;
    } else {
        value_ = sum_tp_ / bars_;
    }
    return value_;
}

void vwap_session(std::span<const std::int64_t> ts, std::span<const double> high,
                  std::span<const double> low, std::span<const double> close,
                  std::span<const double> volume, int minutes, std::span<double> out) {
    VwapSession s(minutes);
    check_sizes(close.size(), ts, high, low, volume, out);
    for (std::size_t i = 0; i < close.size(); ++i) {
        out[i] = s.update(ts[i], high[i], low[i], close[i], volume[i]);
    }
}

// ---- Supertrend

std::size_t supertrend_lookback(int period) {
    return static_cast<std::size_t>(period);
}

Supertrend::Supertrend(int period, double multiplier) : atr_(period), multiplier_(multiplier) {
    check_period(period, 1, "supertrend: period must be between 1 and 100000");
    check_multiplier(multiplier, "supertrend: multiplier must be between 0 and 1000");
}

void Supertrend::update(double high, double low, double close) noexcept {
    const double atr = atr_.update(high, low, close);
    poisoned_ = poisoned_ || std::isnan(high) || std::isnan(low) || std::isnan(close);
    if (!atr_.ready() || poisoned_) {
        prev_close_ = close;
        value_ = kNaN;
        direction_ = kNaN;
        return;
    }
    const double hl2 = (high + low) / 2.0;
    const double basic_upper = hl2 + (multiplier_ * atr);
    const double basic_lower = hl2 - (multiplier_ * atr);
    if (!started_) {
        started_ = true;
        upper_ = basic_upper;
        lower_ = basic_lower;
        dir_ = -1;  // TradingView starts short
    } else {
        if (basic_upper < upper_ || prev_close_ > upper_) {
            upper_ = basic_upper;
        }
        if (basic_lower > lower_ || prev_close_ < lower_) {
            lower_ = basic_lower;
        }
        if (dir_ < 0) {
            dir_ = close > upper_ ? 1 : -1;
        } else {
            dir_ = close < lower_ ? -1 : 1;
        }
    }
    prev_close_ = close;
    value_ = dir_ > 0 ? lower_ : upper_;
    direction_ = dir_;
}

void supertrend(std::span<const double> high, std::span<const double> low,
                std::span<const double> close, int period, double multiplier,
                std::span<double> supertrend_out, std::span<double> direction_out) {
    Supertrend s(period, multiplier);
    check_sizes(close.size(), high, low, supertrend_out, direction_out);
    for (std::size_t i = 0; i < close.size(); ++i) {
        s.update(high[i], low[i], close[i]);
        supertrend_out[i] = s.ready() ? s.value() : kNaN;
        direction_out[i] = s.ready() ? s.direction() : kNaN;
    }
}

// ---- Keltner channels

std::size_t keltner_lookback(int period, int atr_period) {
    return std::max(static_cast<std::size_t>(period - 1), static_cast<std::size_t>(atr_period));
}

Keltner::Keltner(int period, double multiplier, int atr_period)
    : ema_(period),
      atr_(atr_period),
      multiplier_(multiplier),
      lookback_(keltner_lookback(period, atr_period)) {
    check_period(period, 1, "keltner: period must be between 1 and 100000");
    check_period(atr_period, 1, "keltner: atr_period must be between 1 and 100000");
    check_multiplier(multiplier, "keltner: multiplier must be between 0 and 1000");
}

void Keltner::update(double high, double low, double close) noexcept {
    const double mid = ema_.update(close);
    const double atr = atr_.update(high, low, close);
    if (count_ <= lookback_) {
        ++count_;
    }
    if (count_ <= lookback_) {
        return;
    }
    middle_ = mid;
    upper_ = mid + (multiplier_ * atr);
    lower_ = mid - (multiplier_ * atr);
}

void keltner(std::span<const double> high, std::span<const double> low,
             std::span<const double> close, int period, double multiplier, int atr_period,
             std::span<double> upper, std::span<double> middle, std::span<double> lower) {
    Keltner s(period, multiplier, atr_period);
    check_sizes(close.size(), high, low, upper, middle, lower);
    double v[3];
    for (std::size_t i = 0; i < close.size(); ++i) {
        s.update(high[i], low[i], close[i]);
        s.values(v);
        const bool ok = s.ready();
        upper[i] = ok ? v[0] : kNaN;
        middle[i] = ok ? v[1] : kNaN;
        lower[i] = ok ? v[2] : kNaN;
    }
}

// ---- Donchian channels

std::size_t donchian_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

Donchian::Donchian(int period) : range_(period) {
    check_period(period, 1, "donchian: period must be between 1 and 100000");
}

void Donchian::update(double high, double low) noexcept {
    range_.update(high, low);  // NaN while a NaN bar is in the window
    if (!range_.full()) {
        return;
    }
    upper_ = range_.highest();
    lower_ = range_.lowest();
    middle_ = (upper_ + lower_) / 2.0;
}

void donchian(std::span<const double> high, std::span<const double> low, int period,
              std::span<double> upper, std::span<double> middle, std::span<double> lower) {
    Donchian s(period);
    check_sizes(high.size(), low, upper, middle, lower);
    double v[3];
    for (std::size_t i = 0; i < high.size(); ++i) {
        s.update(high[i], low[i]);
        s.values(v);
        upper[i] = v[0];
        middle[i] = v[1];
        lower[i] = v[2];
    }
}

// ---- Hull moving average

std::size_t hma_lookback(int period) {
    return static_cast<std::size_t>(period - 1) + static_cast<std::size_t>(isqrt(period) - 1);
}

Hma::Hma(int period)
    : half_((check_period(period, 2, "hma: period must be between 2 and 100000"), period / 2)),
      full_(period),
      outer_(isqrt(period)),
      window_(hma_lookback(period) + 1) {}

double Hma::update(double x) noexcept {
    // A NaN enters the WMAs as 0 and masks the output while it is in the window.
    nan_.update(std::isnan(x));
    const double v = std::isnan(x) ? 0.0 : x;
    const double a = half_.update(v);
    const double b = full_.update(v);
    if (!full_.ready()) {
        value_ = kNaN;
        return value_;
    }
    const double h = outer_.update((2.0 * a) - b);
    value_ = outer_.ready() && nan_.clean(window_) ? h : kNaN;
    return value_;
}

void hma(std::span<const double> in, int period, std::span<double> out) {
    Hma s(period);
    check_sizes(in.size(), out);
    run_stream(s, in, out);
}

// ---- rolling z-score

std::size_t zscore_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

Zscore::Zscore(int period)
    : period_(static_cast<std::size_t>(std::max(period, 2))), window_(period_) {
    check_period(period, 2, "zscore: period must be between 2 and 100000");
}

void Zscore::resync() noexcept {
    // Two passes over the window: the new shift is its mean, then the sums around it.
    double total = 0;
    for (std::size_t i = 0; i < window_.size(); ++i) {
        total += window_[i];
    }
    shift_ = total / static_cast<double>(window_.size());
    if (!std::isfinite(shift_)) {
        shift_ = 0;
    }
    sum_ = 0;
    sum_sq_ = 0;
    for (std::size_t i = 0; i < window_.size(); ++i) {
        const double d = window_[i] - shift_;
        sum_ += d;
        sum_sq_ += d * d;
    }
}

double Zscore::update(double x) noexcept {
    const bool nan = std::isnan(x);
    nan_.update(nan);
    // A NaN enters the window as the shift (a zero deviation) and masks the output while there.
    const double v = nan ? shift_ : x;
    run_ = !nan && window_.size() > 0 && window_.newest() == v ? std::min(run_ + 1, period_) : 1;
    if (window_.full()) {
        const double d = window_.oldest() - shift_;
        sum_ -= d;
        sum_sq_ -= d * d;
    }
    window_.push(v);
    const double d = v - shift_;
    sum_ += d;
    sum_sq_ += d * d;
    if (++since_sync_ == period_) {
        since_sync_ = 0;
        resync();
    }
    if (count_ < period_) {
        ++count_;
    }
    if (count_ < period_ || !nan_.clean(period_)) {
        value_ = kNaN;
        return value_;
    }
    const auto n = static_cast<double>(period_);
    const double mean_dev = sum_ / n;
    const double variance = (sum_sq_ / n) - (mean_dev * mean_dev);
    if (run_ >= period_ || !(variance > 0)) {
        value_ = 0;  // a flat window
    } else {
        value_ = ((v - shift_) - mean_dev) / std::sqrt(variance);
    }
    return value_;
}

void zscore(std::span<const double> in, int period, std::span<double> out) {
    Zscore s(period);
    check_sizes(in.size(), out);
    run_stream(s, in, out);
}

// ---- Ichimoku

std::size_t ichimoku_lookback(int tenkan, int kijun, int senkou) {
    return static_cast<std::size_t>(std::max({tenkan, kijun, senkou}) - 1) +
           static_cast<std::size_t>(kijun);
}

Ichimoku::Ichimoku(int tenkan, int kijun, int senkou)
    : lookback_(ichimoku_lookback(std::max(tenkan, 1), std::max(kijun, 1), std::max(senkou, 1))),
      tenkan_range_(tenkan),
      kijun_range_(kijun),
      senkou_range_(senkou),
      span_a_(static_cast<std::size_t>(std::max(kijun, 1)) + 1),
      span_b_(static_cast<std::size_t>(std::max(kijun, 1)) + 1) {
    check_period(tenkan, 1, "ichimoku: tenkan must be between 1 and 100000");
    check_period(kijun, 1, "ichimoku: kijun must be between 1 and 100000");
    check_period(senkou, 1, "ichimoku: senkou must be between 1 and 100000");
}

void Ichimoku::update(double high, double low) noexcept {
    tenkan_range_.update(high, low);
    kijun_range_.update(high, low);
    senkou_range_.update(high, low);
    nan_bar_ = std::isnan(high) || std::isnan(low);
    if (count_ <= lookback_) {
        ++count_;
    }
    tenkan_ = midpoint(tenkan_range_);
    kijun_ = midpoint(kijun_range_);
    span_a_.push((tenkan_ + kijun_) / 2.0);
    span_b_.push(midpoint(senkou_range_));
}

void Ichimoku::values(std::span<double> out) const noexcept {
    // A NaN bar gives NaN in every output at that bar, the cloud computed kijun bars ago too.
    if (!ready() || nan_bar_) {
        out[0] = out[1] = out[2] = out[3] = kNaN;
        return;
    }
    out[0] = tenkan_;
    out[1] = kijun_;
    out[2] = span_a_.oldest();  // computed kijun bars ago
    out[3] = span_b_.oldest();
}

void ichimoku(std::span<const double> high, std::span<const double> low, int tenkan, int kijun,
              int senkou, std::span<double> tenkan_out, std::span<double> kijun_out,
              std::span<double> senkou_a_out, std::span<double> senkou_b_out) {
    Ichimoku s(tenkan, kijun, senkou);
    check_sizes(high.size(), low, tenkan_out, kijun_out, senkou_a_out, senkou_b_out);
    double v[4];
    for (std::size_t i = 0; i < high.size(); ++i) {
        s.update(high[i], low[i]);
        s.values(v);
        tenkan_out[i] = v[0];
        kijun_out[i] = v[1];
        senkou_a_out[i] = v[2];
        senkou_b_out[i] = v[3];
    }
}

}  // namespace tradpal::indicators

// ---- registry entries

namespace tradpal::indicators::detail {
namespace {

ParamInfo multiplier_param(double default_value, std::string_view description) {
    return {"multiplier", ParamKind::Real, default_value, 0, kMaxMultiplier, description};
}

IndicatorInfo make(std::string_view name, std::string_view title, unsigned inputs,
                   std::vector<ParamInfo> params, std::vector<std::string_view> outputs,
                   std::string_view golden) {
    IndicatorInfo info =
        describe("extra", name, title, inputs, std::move(params), golden, std::move(outputs));
    info.talib = false;
    return info;
}

}  // namespace

void register_extra(std::vector<IndicatorInfo>& out) {
    constexpr unsigned kHl = kHigh | kLow;
    constexpr unsigned kHlc = kHigh | kLow | kClose;

    IndicatorInfo vwap_info = make("vwap", "Rolling Volume-Weighted Average Price", kHlc | kVolume,
                                   {period_param(14, 1)}, {"vwap"}, "vwap(14)");
    vwap_info.lookback = lookback_period<vwap_lookback>;
    vwap_info.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        vwap(in.high, in.low, in.close, in.volume, p.integer(0), o[0]);
    };
    vwap_info.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Vwap>>(Vwap(p.integer(0)));
    };
    out.push_back(std::move(vwap_info));

    IndicatorInfo session_info = make(
        "vwap_session", "Session-Anchored Volume-Weighted Average Price", kHlc | kVolume | kTime,
        {{"minutes", ParamKind::Integer, 1440, 1, kMaxSessionMinutes,
          "session length in minutes, aligned to the epoch (1440: UTC days)"}},
        {"vwap_session"}, "vwap_session(1440)");
    session_info.lookback = lookback_period<vwap_session_lookback>;
    session_info.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        vwap_session(in.ts, in.high, in.low, in.close, in.volume, p.integer(0), o[0]);
    };
    session_info.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<VwapSession>>(VwapSession(p.integer(0)));
    };
    out.push_back(std::move(session_info));

    IndicatorInfo st_info =
        make("supertrend", "Supertrend", kHlc,
             {period_param(10, 1), multiplier_param(3, "ATR multiple of the bands")},
             {"supertrend", "direction"}, "supertrend(10,3)");
    st_info.lookback = lookback_period<supertrend_lookback>;
    st_info.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        supertrend(in.high, in.low, in.close, p.integer(0), p.real(1), o[0], o[1]);
    };
    st_info.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Supertrend>>(Supertrend(p.integer(0), p.real(1)));
    };
    out.push_back(std::move(st_info));

    IndicatorInfo kc_info =
        make("keltner", "Keltner Channels", kHlc,
             {period_param(20, 1), multiplier_param(2, "ATR multiple of the bands"),
              period_param(10, 1, "atr_period")},
             {"upper", "middle", "lower"}, "keltner(20,2,10)");
    kc_info.lookback = [](const Params& p) {
        return keltner_lookback(p.integer(0), p.integer(2));
    };
    kc_info.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        keltner(in.high, in.low, in.close, p.integer(0), p.real(1), p.integer(2), o[0], o[1], o[2]);
    };
    kc_info.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Keltner>>(Keltner(p.integer(0), p.real(1), p.integer(2)));
    };
    out.push_back(std::move(kc_info));

    IndicatorInfo dc_info = make("donchian", "Donchian Channels", kHl, {period_param(20, 1)},
                                 {"upper", "middle", "lower"}, "donchian(20)");
    dc_info.lookback = lookback_period<donchian_lookback>;
    dc_info.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        donchian(in.high, in.low, p.integer(0), o[0], o[1], o[2]);
    };
    dc_info.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Donchian>>(Donchian(p.integer(0)));
    };
    out.push_back(std::move(dc_info));

    IndicatorInfo hma_info =
        make("hma", "Hull Moving Average", kClose, {period_param(9, 2)}, {"hma"}, "hma(9)");
    hma_info.lookback = lookback_period<hma_lookback>;
    hma_info.batch = batch_close_period<hma>;
    hma_info.stream = stream_close_period<Hma>;
    out.push_back(std::move(hma_info));

    IndicatorInfo z_info =
        make("zscore", "Rolling Z-Score", kClose, {period_param(20, 2)}, {"zscore"}, "zscore(20)");
    z_info.lookback = lookback_period<zscore_lookback>;
    z_info.batch = batch_close_period<zscore>;
    z_info.stream = stream_close_period<Zscore>;
    out.push_back(std::move(z_info));

    IndicatorInfo ichi_info = make(
        "ichimoku", "Ichimoku Cloud (causal, without chikou)", kHl,
        {period_param(9, 1, "tenkan"), period_param(26, 1, "kijun"), period_param(52, 1, "senkou")},
        {"tenkan", "kijun", "senkou_a", "senkou_b"}, "ichimoku(9,26,52)");
    ichi_info.lookback = [](const Params& p) {
        return ichimoku_lookback(p.integer(0), p.integer(1), p.integer(2));
    };
    ichi_info.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        ichimoku(in.high, in.low, p.integer(0), p.integer(1), p.integer(2), o[0], o[1], o[2], o[3]);
    };
    ichi_info.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Ichimoku>>(
            Ichimoku(p.integer(0), p.integer(1), p.integer(2)));
    };
    out.push_back(std::move(ichi_info));
}

}  // namespace tradpal::indicators::detail

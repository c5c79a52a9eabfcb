// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>

#include <tradpal/indicators/ma.hpp>

#include "registry_util.hpp"

namespace tradpal::indicators {
namespace {

constexpr int kMaxPeriod = 100'000;

void check_period(int period, int min, const char* what) {
    require(period >= min && period <= kMaxPeriod, what);
}

void check_out(std::span<const double> in, std::span<double> out) {
    require(out.size() == in.size(), "indicator output must have the input's length");
}

// KAMA's smoothing bounds: EMA factors of periods 2 (fast) and 30 (slow), as in TA-Lib.
constexpr double kKamaSlow = 2.0 / (30 + 1);
constexpr double kKamaSpread = 2.0 / (2 + 1) - kKamaSlow;

}  // namespace

std::string_view to_string(MaType type) noexcept {
    switch (type) {
        case MaType::Sma:
            return "sma";
        case MaType::Ema:
            return "ema";
        case MaType::Wma:
            return "wma";
        case MaType::Dema:
            return "dema";
        case MaType::Tema:
            return "tema";
        case MaType::Trima:
            return "trima";
        case MaType::Kama:
            return "kama";
        case MaType::T3:
            return "t3";
    }
    return "sma";
}

void require_sizes(std::size_t n, std::span<const std::span<double>> outputs) {
    for (const auto& o : outputs) {
        require(o.size() == n, "indicator output must have the input's length");
    }
}

// ---- constructors of the streaming forms

Sma::Sma(int period) : period_(period), window_(static_cast<std::size_t>(std::max(period, 1))) {
    check_period(period, 1, "sma: period must be between 1 and 100000");
}

Ema::Ema(int period) : Ema(period, 2.0 / (period + 1)) {}

Ema::Ema(int period, double k) : period_(period), k_(k) {
    check_period(period, 1, "ema: period must be between 1 and 100000");
}

Wma::Wma(int period)
    : period_(period),
      divider_(static_cast<double>((period * (period + 1)) >> 1)),
      window_(static_cast<std::size_t>(std::max(period, 1))) {
    check_period(period, 1, "wma: period must be between 1 and 100000");
}

double Wma::update(double x) noexcept {
    // TA-Lib's running form: sub_ is the plain sum of the window, sum_ the weighted one; after
    // each output the weights all drop by one (sum_ -= sub_).
    if (count_ < period_ - 1) {
        sub_ += x;
        sum_ += x * (count_ + 1);
        window_.push(x);
        ++count_;
        return kNaN;
    }
    sub_ += x;
    if (count_ >= period_) {
        sub_ -= window_.oldest();
    }
    sum_ += x * period_;
    window_.push(x);
    ++count_;
    value_ = sum_ / divider_;
    sum_ -= sub_;
    return value_;
}

Trima::Trima(int period)
    : first_(period % 2 == 1 ? (period + 1) / 2 : period / 2),
      second_(period % 2 == 1 ? (period + 1) / 2 : period / 2 + 1) {
    check_period(period, 2, "trima: period must be between 2 and 100000");
}

Kama::Kama(int period)
    : period_(period), window_(static_cast<std::size_t>(std::max(period, 1)) + 1) {
    check_period(period, 2, "kama: period must be between 2 and 100000");
}

double Kama::update(double x) noexcept {
    const double previous = window_.size() > 0 ? window_.newest() : x;
    // The value leaving the efficiency window: x[t - period], and the step it took.
    const bool sliding = count_ > period_;
    const double leaving = sliding ? window_[1] : 0.0;
    const double leaving_step = sliding ? std::fabs(window_[0] - window_[1]) : 0.0;
    window_.push(x);
    ++count_;
    if (count_ == 1) {
        return kNaN;
    }
    if (sliding) {
        sum_roc_ -= leaving_step;
    }
    sum_roc_ += std::fabs(previous - x);
    if (count_ <= period_) {
        return kNaN;
    }
    if (count_ == period_ + 1) {
        value_ = window_[period_ - 1];  // seeded by x[period - 1]
    }
    const double change = x - (sliding ? leaving : window_[0]);
    double efficiency = 1.0;
    if (!(sum_roc_ <= change) && !(std::fabs(sum_roc_) < kEpsilon)) {
        efficiency = std::fabs(change / sum_roc_);
    }
    double smoothing = (efficiency * kKamaSpread) + kKamaSlow;
    smoothing *= smoothing;
    value_ = ((x - value_) * smoothing) + value_;
    return value_;
}

T3::T3(int period, double vfactor)
    : period_(period), k_(2.0 / (period + 1.0)), one_minus_k_(1.0 - k_) {
    check_period(period, 1, "t3: period must be between 1 and 100000");
    require(vfactor >= 0 && vfactor <= 1, "t3: vfactor must be between 0 and 1");
    const double v2 = vfactor * vfactor;
    c1_ = -(v2 * vfactor);
    c2_ = 3.0 * (v2 - c1_);
    c3_ = -6.0 * v2 - 3.0 * (vfactor - c1_);
    c4_ = 1.0 + 3.0 * vfactor - c1_ + 3.0 * v2;
}

double T3::update(double x) noexcept {
    // Level i (e_[i]) is seeded with the mean of the first `period` values of level i - 1 and
    // then follows e = k * input + (1 - k) * e, the form TA-Lib's T3 uses.
    double input = x;
    for (int level = 0; level < seeded_; ++level) {
        e_[level] = (k_ * input) + (one_minus_k_ * e_[level]);
        input = e_[level];
    }
    if (seeded_ < 6) {
        sum_ = count_ == 0 ? input : sum_ + input;
        ++count_;
        while (seeded_ < 6 && count_ == period_) {
            e_[seeded_] = sum_ / period_;
            ++seeded_;
            sum_ = e_[seeded_ - 1];  // a new level's seed is the first value of the next level
            count_ = 1;
        }
        if (seeded_ < 6) {
            return kNaN;
        }
    }
    value_ = c1_ * e_[5] + c2_ * e_[4] + c3_ * e_[3] + c4_ * e_[2];
    return value_;
}

MovingAverage::MovingAverage(MaType type, int period) : impl_(Identity{}) {
    if (period == 1) {
        return;
    }
    switch (type) {
        case MaType::Sma:
            impl_.emplace<Sma>(period);
            break;
        case MaType::Ema:
            impl_.emplace<Ema>(period);
            break;
        case MaType::Wma:
            impl_.emplace<Wma>(period);
            break;
        case MaType::Dema:
            impl_.emplace<Dema>(period);
            break;
        case MaType::Tema:
            impl_.emplace<Tema>(period);
            break;
        case MaType::Trima:
            impl_.emplace<Trima>(period);
            break;
        case MaType::Kama:
            impl_.emplace<Kama>(period);
            break;
        case MaType::T3:
            impl_.emplace<T3>(period, 0.7);
            break;
    }
}

// ---- batch forms

std::size_t sma_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

void sma(std::span<const double> in, int period, std::span<double> out) {
    check_period(period, 1, "sma: period must be between 1 and 100000");
    check_out(in, out);
    kernels::sma_series(in.data(), in.size(), period, out.data());
}

std::size_t ema_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

void ema(std::span<const double> in, int period, std::span<double> out) {
    check_period(period, 1, "ema: period must be between 1 and 100000");
    check_out(in, out);
    kernels::ema_series(in.data(), in.size(), period, out.data());
}

std::size_t wma_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}
void wma(std::span<const double> in, int period, std::span<double> out) {
    Wma s(period);
    check_out(in, out);
    run_stream(s, in, out);
}

std::size_t dema_lookback(int period) {
    return 2 * static_cast<std::size_t>(period - 1);
}
void dema(std::span<const double> in, int period, std::span<double> out) {
    check_period(period, 1, "dema: period must be between 1 and 100000");
    Dema s(period);
    check_out(in, out);
    run_stream(s, in, out);
}

std::size_t tema_lookback(int period) {
    return 3 * static_cast<std::size_t>(period - 1);
}
void tema(std::span<const double> in, int period, std::span<double> out) {
    check_period(period, 1, "tema: period must be between 1 and 100000");
    Tema s(period);
    check_out(in, out);
    run_stream(s, in, out);
}

std::size_t trima_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}
void trima(std::span<const double> in, int period, std::span<double> out) {
    Trima s(period);
    check_out(in, out);
    run_stream(s, in, out);
}

std::size_t kama_lookback(int period) {
    return static_cast<std::size_t>(period);
}
void kama(std::span<const double> in, int period, std::span<double> out) {
    check_period(period, 2, "kama: period must be between 2 and 100000");
    check_out(in, out);
    // The arithmetic of Kama::update, with the window read from the input directly.
    const auto p = static_cast<std::size_t>(period);
    const std::size_t n = in.size();
    double sum_roc = 0;
    for (std::size_t t = 0; t < std::min(n, p + 1); ++t) {
        if (t > 0) {
            sum_roc += std::fabs(in[t - 1] - in[t]);
        }
        out[t] = kNaN;
    }
    if (n <= p) {
        return;
    }
    const auto step = [&](std::size_t t, double value) {
        const double change = in[t] - in[t - p];
        const double efficiency = (sum_roc <= change) || (std::fabs(sum_roc) < kEpsilon)
                                      ? 1.0
                                      : std::fabs(change / sum_roc);
        double smoothing = (efficiency * kKamaSpread) + kKamaSlow;
        smoothing *= smoothing;
        return ((in[t] - value) * smoothing) + value;
    };
    double value = step(p, in[p - 1]);
    out[p] = value;
    for (std::size_t t = p + 1; t < n; ++t) {
        sum_roc -= std::fabs(in[t - p - 1] - in[t - p]);
        sum_roc += std::fabs(in[t - 1] - in[t]);
        value = step(t, value);
        out[t] = value;
    }
}

std::size_t t3_lookback(int period) {
    return 6 * static_cast<std::size_t>(period - 1);
}
void t3(std::span<const double> in, int period, double vfactor, std::span<double> out) {
    T3 s(period, vfactor);
    check_out(in, out);
    run_stream(s, in, out);
}

std::size_t ma_lookback(MaType type, int period) {
    if (period == 1) {
        return 0;
    }
    switch (type) {
        case MaType::Sma:
            return sma_lookback(period);
        case MaType::Ema:
            return ema_lookback(period);
        case MaType::Wma:
            return wma_lookback(period);
        case MaType::Dema:
            return dema_lookback(period);
        case MaType::Tema:
            return tema_lookback(period);
        case MaType::Trima:
            return trima_lookback(period);
        case MaType::Kama:
            return kama_lookback(period);
        case MaType::T3:
            return t3_lookback(period);
    }
    return 0;
}

void ma(MaType type, std::span<const double> in, int period, std::span<double> out) {
    check_out(in, out);
    if (period == 1) {
        std::copy(in.begin(), in.end(), out.begin());
        return;
    }
    switch (type) {
        case MaType::Sma:
            return sma(in, period, out);
        case MaType::Ema:
            return ema(in, period, out);
        case MaType::Wma:
            return wma(in, period, out);
        case MaType::Dema:
            return dema(in, period, out);
        case MaType::Tema:
            return tema(in, period, out);
        case MaType::Trima:
            return trima(in, period, out);
        case MaType::Kama:
            return kama(in, period, out);
        case MaType::T3:
            return t3(in, period, 0.7, out);
    }
}

}  // namespace tradpal::indicators

// ---- registry entries

namespace tradpal::indicators::detail {

void register_overlap(std::vector<IndicatorInfo>& out) {
    const auto add = [&](std::string_view name, std::string_view title, double period,
                         std::string_view golden, std::size_t (*lookback)(const Params&),
                         void (*batch)(const Inputs&, const Params&, OutputSpans),
                         std::unique_ptr<IndicatorStream> (*stream)(const Params&)) {
        IndicatorInfo info =
            describe("overlap", name, title, kClose,
                     {period_param(period, name == "sma" || name == "ema" ? 1 : 2)}, golden);
        info.lookback = lookback;
        info.batch = batch;
        info.stream = stream;
        out.push_back(std::move(info));
    };
    add("sma", "Simple Moving Average", 30, "sma(20)", lookback_period<sma_lookback>,
        batch_close_period<sma>, stream_close_period<Sma>);
    add("ema", "Exponential Moving Average", 30, "ema(20)", lookback_period<ema_lookback>,
        batch_close_period<ema>, stream_close_period<Ema>);
    add("wma", "Weighted Moving Average", 30, "wma(20)", lookback_period<wma_lookback>,
        batch_close_period<wma>, stream_close_period<Wma>);
    add("dema", "Double Exponential Moving Average", 30, "dema(20)", lookback_period<dema_lookback>,
        batch_close_period<dema>, stream_close_period<Dema>);
    add("tema", "Triple Exponential Moving Average", 30, "tema(20)", lookback_period<tema_lookback>,
        batch_close_period<tema>, stream_close_period<Tema>);
    add("trima", "Triangular Moving Average", 30, "trima(20)", lookback_period<trima_lookback>,
        batch_close_period<trima>, stream_close_period<Trima>);
    add("kama", "Kaufman Adaptive Moving Average", 30, "kama(30)", lookback_period<kama_lookback>,
        batch_close_period<kama>, stream_close_period<Kama>);

    IndicatorInfo t3_info = describe(
        "overlap", "t3", "Tillson T3 Moving Average", kClose,
        {period_param(5), {"vfactor", ParamKind::Real, 0.7, 0, 1, "volume factor"}}, "t3(5,0.7)");
    t3_info.lookback = [](const Params& p) {
        return t3_lookback(p.integer(0));
    };
    t3_info.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        t3(in.close, p.integer(0), p.real(1), o[0]);
    };
    t3_info.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<CloseStream<T3>>(T3(p.integer(0), p.real(1)));
    };
    out.push_back(std::move(t3_info));
}

}  // namespace tradpal::indicators::detail

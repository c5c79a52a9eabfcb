// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <tradpal/indicators/volatility.hpp>

#include "registry_util.hpp"

namespace tradpal::indicators {
namespace {

constexpr int kMaxPeriod = 100'000;

void check_period(int period, int min, const char* what) {
    require(period >= min && period <= kMaxPeriod, what);
}

// For constructor initialiser lists: validates before any member is built with the value.
int checked_period(int period, int min, const char* what) {
    check_period(period, min, what);
    return period;
}

void check_nbdev(double nbdev, const char* what) {
    require(nbdev >= 0 && nbdev <= kMaxNbDev, what);  // false for NaN too
}

void check_columns(std::span<const double> high, std::span<const double> low,
                   std::span<const double> close, std::span<double> out) {
    const std::size_t n = close.size();
    require(high.size() == n && low.size() == n, "high, low and close must have equal length");
    require(out.size() == n, "indicator output must have the input's length");
}

bool known_ma(MaType type) {
    switch (type) {
        case MaType::Sma:
        case MaType::Ema:
        case MaType::Wma:
        case MaType::Dema:
        case MaType::Tema:
        case MaType::Trima:
        case MaType::Kama:
        case MaType::T3:
            return true;
    }
    return false;
}

void fill_nan(std::span<double> out, std::size_t count) {
    std::fill_n(out.begin(), std::min(count, out.size()), kNaN);
}

// Two doubles as one value: the two running sums (x and x²) of a window, or one quantity for
// two neighbouring bars. With SSE2 one divpd or sqrtpd does the work of two scalar
// instructions (the divider is what limits VAR, STDDEV and BBANDS) with bit-identical results.
#if defined(__SSE2__)
using Pair = __m128d;
inline Pair make_pair(double lane0, double lane1) {
    return _mm_set_pd(lane1, lane0);
}
inline Pair splat(double v) {
    return _mm_set1_pd(v);
}
inline Pair add(Pair a, Pair b) {
    return _mm_add_pd(a, b);
}
inline Pair sub(Pair a, Pair b) {
    return _mm_sub_pd(a, b);
}
inline Pair mul(Pair a, Pair b) {
    return _mm_mul_pd(a, b);
}
inline Pair div(Pair a, Pair b) {
    return _mm_div_pd(a, b);
}
inline Pair lanes0(Pair a, Pair b) {
    return _mm_unpacklo_pd(a, b);
}
inline Pair lanes1(Pair a, Pair b) {
    return _mm_unpackhi_pd(a, b);
}
inline double lane0(Pair a) {
    return _mm_cvtsd_f64(a);
}
inline double lane1(Pair a) {
    return _mm_cvtsd_f64(_mm_unpackhi_pd(a, a));
}
inline Pair load(const double* p) {
    return _mm_loadu_pd(p);
}
inline void store(double* p, Pair v) {
    _mm_storeu_pd(p, v);
}
inline Pair guarded_sqrt(Pair v) {
    // Same as the scalar guarded_sqrt: below the epsilon (or negative) becomes sqrt(0) = 0.
    return _mm_sqrt_pd(_mm_andnot_pd(_mm_cmplt_pd(v, _mm_set1_pd(kEpsilon)), v));
}
#else
struct Pair {
    double a, b;
};
inline Pair make_pair(double lane0, double lane1) {
    return {lane0, lane1};
}
inline Pair splat(double v) {
    return {v, v};
}
inline Pair add(Pair x, Pair y) {
    return {x.a + y.a, x.b + y.b};
}
inline Pair sub(Pair x, Pair y) {
    return {x.a - y.a, x.b - y.b};
}
inline Pair mul(Pair x, Pair y) {
    return {x.a * y.a, x.b * y.b};
}
inline Pair div(Pair x, Pair y) {
    return {x.a / y.a, x.b / y.b};
}
inline Pair lanes0(Pair x, Pair y) {
    return {x.a, y.a};
}
inline Pair lanes1(Pair x, Pair y) {
    return {x.b, y.b};
}
inline double lane0(Pair x) {
    return x.a;
}
inline double lane1(Pair x) {
    return x.b;
}
inline Pair load(const double* p) {
    return {p[0], p[1]};
}
inline void store(double* p, Pair v) {
    p[0] = v.a;
    p[1] = v.b;
}
inline Pair guarded_sqrt(Pair v) {
    return {indicators::guarded_sqrt(v.a), indicators::guarded_sqrt(v.b)};
}
#endif

// RunningMoments' arithmetic over a whole series: for every full window ending at i (from
// period - 1 on) calls pair_out(i, mean, variance) for bars i and i + 1 together, and
// one_out(i, mean, variance) for a last odd bar.
template <class PairOut, class OneOut>
void for_each_moment(const double* x, std::size_t n, std::size_t period, PairOut pair_out,
                     OneOut one_out) {
    if (n < period) {
        return;
    }
    const Pair divisor = splat(static_cast<double>(period));
    const auto terms = [](double v) {
        return make_pair(v, v * v);
    };
    Pair sums = splat(0.0);
    for (std::size_t j = 0; j + 1 < period; ++j) {
        sums = add(sums, terms(x[j]));
    }
    const auto step = [&](std::size_t k) {
        sums = add(sums, terms(x[k]));
        const Pair means = div(sums, divisor);
        sums = sub(sums, terms(x[k + 1 - period]));
        return means;
    };
    std::size_t i = period - 1;
    for (; i + 1 < n; i += 2) {
        const Pair a = step(i);
        const Pair b = step(i + 1);
        const Pair mean = lanes0(a, b);
        pair_out(i, mean, sub(lanes1(a, b), mul(mean, mean)));
    }
    if (i < n) {
        const Pair a = step(i);
        const double mean = lane0(a);
        one_out(i, mean, lane1(a) - (mean * mean));
    }
}

}  // namespace

// ---- constructors of the streaming forms

Atr::Atr(int period) : period_(period), decay_((period - 1.0) / period), gain_(1.0 / period) {
    check_period(period, 1, "atr: period must be between 1 and 100000");
}

RunningMoments::RunningMoments(int period)
    : period_(period), window_(static_cast<std::size_t>(std::max(period, 1))) {
    check_period(period, 1, "period must be between 1 and 100000");
}

Var::Var(int period)
    : moments_(checked_period(period, 1, "var: period must be between 1 and 100000")) {}

Stddev::Stddev(int period, double nbdev)
    : moments_(checked_period(period, 2, "stddev: period must be between 2 and 100000")),
      nbdev_(nbdev) {
    check_nbdev(nbdev, "stddev: nbdev must be between 0 and 100");
}

Bbands::Bbands(int period, double nbdevup, double nbdevdn, MaType type)
    : ma_((require(known_ma(type), "bbands: unknown moving-average type"), type),
          type == MaType::Sma
              ? 1
              : checked_period(period, 2, "bbands: period must be between 2 and 100000")),
      moments_(checked_period(period, 2, "bbands: period must be between 2 and 100000")),
      nbdevup_(nbdevup),
      nbdevdn_(nbdevdn),
      sma_(type == MaType::Sma),
      start_(bbands_lookback(period, type) - static_cast<std::size_t>(period - 1)) {
    check_nbdev(nbdevup, "bbands: nbdevup must be between 0 and 100");
    check_nbdev(nbdevdn, "bbands: nbdevdn must be between 0 and 100");
}

// ---- batch forms

std::size_t trange_lookback() {
    return 1;
}

void trange(std::span<const double> high, std::span<const double> low,
            std::span<const double> close, std::span<double> out) {
    check_columns(high, low, close, out);
    kernels::true_range_series(high.data(), low.data(), close.data(), close.size(), out.data());
}

std::size_t atr_lookback(int period) {
    return static_cast<std::size_t>(period);
}

void atr(std::span<const double> high, std::span<const double> low, std::span<const double> close,
         int period, std::span<double> out) {
    check_period(period, 1, "atr: period must be between 1 and 100000");
    check_columns(high, low, close, out);
    kernels::atr_series(high.data(), low.data(), close.data(), close.size(), period, out.data());
}

std::size_t natr_lookback(int period) {
    return static_cast<std::size_t>(period);
}

void natr(std::span<const double> high, std::span<const double> low, std::span<const double> close,
          int period, std::span<double> out) {
    check_period(period, 1, "natr: period must be between 1 and 100000");
    check_columns(high, low, close, out);
    fill_nan(out, natr_lookback(period));
    double* o = out.data();
    const double* c = close.data();
    kernels::atr_loop(high.data(), low.data(), c, close.size(), period,
                      [o, c](std::size_t i, double v) { o[i] = normalized_atr(v, c[i]); });
}

std::size_t var_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

void var(std::span<const double> in, int period, std::span<double> out) {
    check_period(period, 1, "var: period must be between 1 and 100000");
    require(out.size() == in.size(), "indicator output must have the input's length");
    fill_nan(out, var_lookback(period));
    double* o = out.data();
    for_each_moment(
        in.data(), in.size(), static_cast<std::size_t>(period),
        [o](std::size_t i, Pair, Pair variance) { store(o + i, variance); },
        [o](std::size_t i, double, double variance) { o[i] = variance; });
}

std::size_t stddev_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

void stddev(std::span<const double> in, int period, double nbdev, std::span<double> out) {
    check_period(period, 2, "stddev: period must be between 2 and 100000");
    check_nbdev(nbdev, "stddev: nbdev must be between 0 and 100");
    require(out.size() == in.size(), "indicator output must have the input's length");
    fill_nan(out, stddev_lookback(period));
    double* o = out.data();
    const Pair k = splat(nbdev);
    for_each_moment(
        in.data(), in.size(), static_cast<std::size_t>(period),
        [o, k](std::size_t i, Pair, Pair variance) {
            store(o + i, mul(guarded_sqrt(variance), k));
        },
        [o, nbdev](std::size_t i, double, double variance) {
            o[i] = guarded_sqrt(variance) * nbdev;
        });
}

std::size_t bbands_lookback(int period, MaType type) {
    return ma_lookback(type, period);
}

void bbands(std::span<const double> in, int period, double nbdevup, double nbdevdn, MaType type,
            std::span<double> upper, std::span<double> middle, std::span<double> lower) {
    check_period(period, 2, "bbands: period must be between 2 and 100000");
    check_nbdev(nbdevup, "bbands: nbdevup must be between 0 and 100");
    check_nbdev(nbdevdn, "bbands: nbdevdn must be between 0 and 100");
    require(known_ma(type), "bbands: unknown moving-average type");
    const std::size_t n = in.size();
    require(upper.size() == n && middle.size() == n && lower.size() == n,
            "indicator output must have the input's length");
    const std::size_t lookback = bbands_lookback(period, type);
    fill_nan(upper, lookback);
    fill_nan(lower, lookback);
    double* up = upper.data();
    double* mid = middle.data();
    double* lo = lower.data();
    const Pair up_k = splat(nbdevup);
    const Pair dn_k = splat(nbdevdn);
    const auto p = static_cast<std::size_t>(period);
    if (type == MaType::Sma) {
        // The running mean is exactly TA-Lib's SMA, so one pass gives all three bands.
        // kernels::bbands_sma_series (the GPU's) is the scalar form of this loop, same bits.
        fill_nan(middle, lookback);
        for_each_moment(
            in.data(), n, p,
            [=](std::size_t i, Pair mean, Pair variance) {
                const Pair sd = guarded_sqrt(variance);
                store(mid + i, mean);
                store(up + i, add(mean, mul(sd, up_k)));
                store(lo + i, sub(mean, mul(sd, dn_k)));
            },
            [=](std::size_t i, double mean, double variance) {
                const double sd = guarded_sqrt(variance);
                mid[i] = mean;
                up[i] = mean + (sd * nbdevup);
                lo[i] = mean - (sd * nbdevdn);
            });
        return;
    }
    ma(type, in, period, middle);
    if (n <= lookback) {
        return;
    }
    // TA-Lib computes the deviation from the MA's first output on, so its running sums start
    // period - 1 bars before it.
    const std::size_t start = lookback - (p - 1);
    for_each_moment(
        in.data() + start, n - start, p,
        [=](std::size_t i, Pair, Pair variance) {
            const Pair sd = guarded_sqrt(variance);
            const Pair m = load(mid + start + i);
            store(up + start + i, add(m, mul(sd, up_k)));
            store(lo + start + i, sub(m, mul(sd, dn_k)));
        },
        [=](std::size_t i, double, double variance) {
            const double sd = guarded_sqrt(variance);
            const double m = mid[start + i];
            up[start + i] = m + (sd * nbdevup);
            lo[start + i] = m - (sd * nbdevdn);
        });
}

}  // namespace tradpal::indicators

// ---- registry entries

namespace tradpal::indicators::detail {
namespace {

constexpr unsigned kHlc = kHigh | kLow | kClose;

IndicatorInfo entry(std::string_view name, std::string_view title, unsigned inputs,
                    std::vector<ParamInfo> params, std::string_view golden) {
    return describe("volatility", name, title, inputs, std::move(params), golden);
}

ParamInfo nbdev_param(std::string_view name, double default_value, std::string_view what) {
    return {name, ParamKind::Real, default_value, 0, kMaxNbDev, what};
}

}  // namespace

void register_volatility(std::vector<IndicatorInfo>& out) {
    IndicatorInfo tr = entry("trange", "True Range", kHlc, {}, "trange");
    tr.lookback = [](const Params&) {
        return trange_lookback();
    };
    tr.batch = [](const Inputs& in, const Params&, OutputSpans o) {
        trange(in.high, in.low, in.close, o[0]);
    };
    tr.stream = [](const Params&) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<TrueRange>>(TrueRange());
    };
    out.push_back(std::move(tr));

    IndicatorInfo a = entry("atr", "Average True Range", kHlc, {period_param(14, 1)}, "atr(14)");
    a.lookback = lookback_period<atr_lookback>;
    a.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        atr(in.high, in.low, in.close, p.integer(0), o[0]);
    };
    a.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Atr>>(Atr(p.integer(0)));
    };
    out.push_back(std::move(a));

    IndicatorInfo na =
        entry("natr", "Normalized Average True Range", kHlc, {period_param(14, 1)}, "natr(14)");
    na.lookback = lookback_period<natr_lookback>;
    na.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        natr(in.high, in.low, in.close, p.integer(0), o[0]);
    };
    na.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Natr>>(Natr(p.integer(0)));
    };
    out.push_back(std::move(na));

    IndicatorInfo v =
        entry("var", "Variance", kClose,
              {period_param(5, 1), nbdev_param("nbdev", 1, "unused (as in TA-Lib)")}, "var(20,1)");
    v.tolerance = 1e-7;
    v.lookback = lookback_period<var_lookback>;
    v.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        var(in.close, p.integer(0), o[0]);
    };
    v.stream = stream_close_period<Var>;
    out.push_back(std::move(v));

    IndicatorInfo sd =
        entry("stddev", "Standard Deviation", kClose,
              {period_param(5), nbdev_param("nbdev", 1, "multiplier")}, "stddev(20,1)");
    sd.tolerance = 1e-7;
    sd.lookback = lookback_period<stddev_lookback>;
    sd.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        stddev(in.close, p.integer(0), p.real(1), o[0]);
    };
    sd.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<CloseStream<Stddev>>(Stddev(p.integer(0), p.real(1)));
    };
    out.push_back(std::move(sd));

    IndicatorInfo bb = entry("bbands", "Bollinger Bands", kClose,
                             {period_param(5), nbdev_param("nbdevup", 2, "upper band multiplier"),
                              nbdev_param("nbdevdn", 2, "lower band multiplier"),
                              ma_param("matype", "moving average of the middle band")},
                             "bbands(20,2,2,sma)");
    bb.outputs = {"upper", "middle", "lower"};
    bb.tolerance = 1e-7;
    bb.lookback = [](const Params& p) {
        return bbands_lookback(p.integer(0), p.ma(3));
    };
    bb.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        bbands(in.close, p.integer(0), p.real(1), p.real(2), p.ma(3), o[0], o[1], o[2]);
    };
    bb.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Bbands>>(
            Bbands(p.integer(0), p.real(1), p.real(2), p.ma(3)));
    };
    out.push_back(std::move(bb));
}

}  // namespace tradpal::indicators::detail

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <tradpal/indicators/price.hpp>

#include "registry_util.hpp"

namespace tradpal::indicators {
namespace {

constexpr int kMaxPeriod = 100'000;

// For constructor initialiser lists: validates before any member is built with the value.
std::size_t checked_period(int period, const char* what) {
    require(period >= 2 && period <= kMaxPeriod, what);
    return static_cast<std::size_t>(period);
}

void check_columns(std::size_t n, std::initializer_list<std::span<const double>> columns,
                   std::span<double> out) {
    for (const auto& c : columns) {
        require(c.size() == n, "input columns must have equal length");
    }
    require(out.size() == n, "indicator output must have the input's length");
}

}  // namespace

// ---- constructors of the streaming forms

Max::Max(int period)
    : range_(static_cast<int>(checked_period(period, "max: period must be between 2 and 100000"))) {
}

Min::Min(int period)
    : range_(static_cast<int>(checked_period(period, "min: period must be between 2 and 100000"))) {
}

Sum::Sum(int period)
    : window_(checked_period(period, "sum: period must be between 2 and 100000")) {}

MidPoint::MidPoint(int period)
    : range_(static_cast<int>(
          checked_period(period, "midpoint: period must be between 2 and 100000"))) {}

MidPrice::MidPrice(int period)
    : range_(static_cast<int>(
          checked_period(period, "midprice: period must be between 2 and 100000"))) {}

// ---- batch forms

std::size_t medprice_lookback() {
    return 0;
}

void medprice(std::span<const double> high, std::span<const double> low, std::span<double> out) {
    const std::size_t n = low.size();
    check_columns(n, {high}, out);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = median_price(high[i], low[i]);
    }
}

std::size_t typprice_lookback() {
    return 0;
}

void typprice(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, std::span<double> out) {
    const std::size_t n = close.size();
    check_columns(n, {high, low}, out);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = typical_price(high[i], low[i], close[i]);
    }
}

std::size_t wclprice_lookback() {
    return 0;
}

void wclprice(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, std::span<double> out) {
    const std::size_t n = close.size();
    check_columns(n, {high, low}, out);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = weighted_close_price(high[i], low[i], close[i]);
    }
}

std::size_t max_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

void max(std::span<const double> in, int period, std::span<double> out) {
    Max m(period);
    check_columns(in.size(), {}, out);
    run_stream(m, in, out);
}

std::size_t min_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

void min(std::span<const double> in, int period, std::span<double> out) {
    Min m(period);
    check_columns(in.size(), {}, out);
    run_stream(m, in, out);
}

std::size_t sum_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

void sum(std::span<const double> in, int period, std::span<double> out) {
    const std::size_t p = checked_period(period, "sum: period must be between 2 and 100000");
    check_columns(in.size(), {}, out);
    double total = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        total += in[i];
        if (i + 1 < p) {
            out[i] = kNaN;
            continue;
        }
        out[i] = total;
        total -= in[i + 1 - p];
    }
}

std::size_t midpoint_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

void midpoint(std::span<const double> in, int period, std::span<double> out) {
    MidPoint m(period);
    check_columns(in.size(), {}, out);
    run_stream(m, in, out);
}

std::size_t midprice_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

void midprice(std::span<const double> high, std::span<const double> low, int period,
              std::span<double> out) {
    MidPrice m(period);
    const std::size_t n = low.size();
    check_columns(n, {high}, out);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = m.update(Bar{Timestamp(), kNaN, high[i], low[i], kNaN, kNaN});
    }
}

}  // namespace tradpal::indicators

// ---- registry entries

namespace tradpal::indicators::detail {
namespace {

IndicatorInfo entry(std::string_view name, std::string_view title, unsigned inputs,
                    std::vector<ParamInfo> params, std::string_view golden) {
    return describe("price", name, title, inputs, std::move(params), golden);
}

}  // namespace

void register_price(std::vector<IndicatorInfo>& out) {
    IndicatorInfo med = entry("medprice", "Median Price", kHigh | kLow, {}, "medprice");
    med.lookback = [](const Params&) {
        return medprice_lookback();
    };
    med.batch = [](const Inputs& in, const Params&, OutputSpans o) {
        medprice(in.high, in.low, o[0]);
    };
    med.stream = [](const Params&) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<MedPrice>>(MedPrice());
    };
    out.push_back(std::move(med));

    IndicatorInfo typ = entry("typprice", "Typical Price", kHigh | kLow | kClose, {}, "typprice");
    typ.lookback = [](const Params&) {
        return typprice_lookback();
    };
    typ.batch = [](const Inputs& in, const Params&, OutputSpans o) {
        typprice(in.high, in.low, in.close, o[0]);
    };
    typ.stream = [](const Params&) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<TypPrice>>(TypPrice());
    };
    out.push_back(std::move(typ));

    IndicatorInfo wcl =
        entry("wclprice", "Weighted Close Price", kHigh | kLow | kClose, {}, "wclprice");
    wcl.lookback = [](const Params&) {
        return wclprice_lookback();
    };
    wcl.batch = [](const Inputs& in, const Params&, OutputSpans o) {
        wclprice(in.high, in.low, in.close, o[0]);
    };
    wcl.stream = [](const Params&) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<WclPrice>>(WclPrice());
    };
    out.push_back(std::move(wcl));

    IndicatorInfo hi =
        entry("max", "Highest Value Over a Period", kClose, {period_param(30)}, "max(20)");
    hi.lookback = lookback_period<max_lookback>;
    hi.batch = batch_close_period<max>;
    hi.stream = stream_close_period<Max>;
    out.push_back(std::move(hi));

    IndicatorInfo lo =
        entry("min", "Lowest Value Over a Period", kClose, {period_param(30)}, "min(20)");
    lo.lookback = lookback_period<min_lookback>;
    lo.batch = batch_close_period<min>;
    lo.stream = stream_close_period<Min>;
    out.push_back(std::move(lo));

    IndicatorInfo total = entry("sum", "Summation", kClose, {period_param(30)}, "sum(20)");
    total.lookback = lookback_period<sum_lookback>;
    total.batch = batch_close_period<sum>;
    total.stream = stream_close_period<Sum>;
    out.push_back(std::move(total));

    IndicatorInfo mp =
        entry("midpoint", "MidPoint over Period", kClose, {period_param(14)}, "midpoint(14)");
    mp.lookback = lookback_period<midpoint_lookback>;
    mp.batch = batch_close_period<midpoint>;
    mp.stream = stream_close_period<MidPoint>;
    out.push_back(std::move(mp));

    IndicatorInfo mpr = entry("midprice", "Midpoint Price over Period", kHigh | kLow,
                              {period_param(14)}, "midprice(14)");
    mpr.lookback = lookback_period<midprice_lookback>;
    mpr.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        midprice(in.high, in.low, p.integer(0), o[0]);
    };
    mpr.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<MidPrice>>(MidPrice(p.integer(0)));
    };
    out.push_back(std::move(mpr));
}

}  // namespace tradpal::indicators::detail

// SPDX-License-Identifier: Apache-2.0
// Adapters that turn plain batch functions and streaming classes into registry entries.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include <tradpal/indicators/registry.hpp>

namespace tradpal::indicators::detail {

/// Common parameter declarations.
inline ParamInfo period_param(double default_value, double min = 2,
                              std::string_view name = "period") {
    return {name, ParamKind::Integer, default_value, min, 100'000, "bars in the window"};
}
inline ParamInfo ma_param(std::string_view name, std::string_view description) {
    return {name, ParamKind::Ma, 0, 0, 8, description};
}

/// The descriptive part of a registry entry; the family fills in lookback, batch and stream.
/// An empty `outputs` means one output named like the indicator.
inline IndicatorInfo describe(std::string_view group, std::string_view name, std::string_view title,
                              unsigned inputs, std::vector<ParamInfo> params,
                              std::string_view golden, std::vector<std::string_view> outputs = {}) {
    IndicatorInfo info;
    info.name = name;
    info.title = title;
    info.group = group;
    info.inputs = inputs;
    info.params = std::move(params);
    info.outputs = outputs.empty() ? std::vector<std::string_view>{name} : std::move(outputs);
    info.golden = golden;
    return info;
}

/// Batch adapter for `f(close, period, out)`.
template <void (*F)(std::span<const double>, int, std::span<double>)>
void batch_close_period(const Inputs& in, const Params& p, OutputSpans out) {
    F(in.close, p.integer(0), out[0]);
}

/// Lookback adapter for `f(period)`.
template <std::size_t (*F)(int)>
std::size_t lookback_period(const Params& p) {
    return F(p.integer(0));
}

/// Streaming adapter for a class `S(int period)` fed with closes.
template <class S>
std::unique_ptr<IndicatorStream> stream_close_period(const Params& p) {
    return std::make_unique<CloseStream<S>>(S(p.integer(0)));
}

/// Registration functions, one per family (each in its own source file).
void register_overlap(std::vector<IndicatorInfo>& out);
void register_momentum(std::vector<IndicatorInfo>& out);
void register_volatility(std::vector<IndicatorInfo>& out);
void register_volume(std::vector<IndicatorInfo>& out);
void register_trend(std::vector<IndicatorInfo>& out);
void register_price(std::vector<IndicatorInfo>& out);
void register_extra(std::vector<IndicatorInfo>& out);

}  // namespace tradpal::indicators::detail

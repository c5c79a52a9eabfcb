// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <tradpal/core/text.hpp>
#include <tradpal/core/timestamp.hpp>
#include <tradpal/gpu/indicators.hpp>
#include <tradpal/indicators/registry.hpp>
#include <tradpal/ml/dataset.hpp>

namespace tradpal::ml {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Periods above this are surely typos (and would overflow int arithmetic far later).
constexpr int kMaxPeriod = 1'000'000;

constexpr std::string_view kFeatureForms =
    "logret(k), vol(n), volz(n), ind:SPEC[.OUTPUT], hour or dow";
constexpr std::string_view kLabelForms = "ret(k), sign(k) or class3(k,band)";

// Splits at commas outside parentheses: "logret(1),ind:macd(12,26,9).hist" has two items.
std::vector<std::string_view> split_items(std::string_view text) {
    std::vector<std::string_view> out;
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || (text[i] == ',' && depth == 0)) {
            out.push_back(trim(text.substr(start, i - start)));
            start = i + 1;
        } else if (text[i] == '(') {
            ++depth;
        } else if (text[i] == ')') {
            --depth;
        }
    }
    return out;
}

// "name(a,b)" -> name and its arguments; "name" -> no arguments. nullopt when malformed.
struct Call {
    std::string name;
    std::vector<std::string_view> args;
};
std::optional<Call> parse_call(std::string_view text) {
    const std::size_t open = text.find('(');
    if (open == std::string_view::npos) {
        return Call{to_lower(trim(text)), {}};
    }
    if (text.back() != ')') {
        return std::nullopt;
    }
    Call call{to_lower(trim(text.substr(0, open))), {}};
    const std::string_view inside = text.substr(open + 1, text.size() - open - 2);
    std::size_t start = 0;
    for (std::size_t i = 0; i <= inside.size(); ++i) {
        if (i == inside.size() || inside[i] == ',') {
            call.args.push_back(trim(inside.substr(start, i - start)));
            start = i + 1;
        }
    }
    return call;
}

std::optional<int> parse_int(std::string_view text, int min) {
    int v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || v < min || v > kMaxPeriod) {
        return std::nullopt;
    }
    return v;
}

std::optional<double> parse_real(std::string_view text) {
    double v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

// An "ind:" item split into the indicator spec and the output asked for (empty: the only one).
// The output follows the first '.' after the closing parenthesis, since real parameters such as
// sar(0.02,0.2) hold dots of their own.
struct IndicatorItem {
    indicators::Spec spec;
    std::size_t output = 0;
};
Result<IndicatorItem> parse_indicator_item(std::string_view body) {
    const std::size_t close = body.rfind(')');
    const std::size_t dot = body.find('.', close == std::string_view::npos ? 0 : close);
    auto spec = indicators::Spec::parse(body.substr(0, dot));
    if (!spec) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("feature 'ind:{}': {}", body, spec.error().message));
    }
    const auto& outputs = spec->info().outputs;
    const std::string all = fmt::format("{}", fmt::join(outputs, ", "));
    if (dot == std::string_view::npos) {
        if (outputs.size() != 1) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("feature 'ind:{}' has several outputs; pick one with "
                                    "'.OUTPUT' ({})",
                                    body, all));
        }
        return IndicatorItem{*spec, 0};
    }
    const std::string wanted = to_lower(trim(body.substr(dot + 1)));
    const auto it = std::find(outputs.begin(), outputs.end(), wanted);
    if (it == outputs.end()) {
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("feature 'ind:{}': no output '{}' (outputs: {})", body, wanted, all));
    }
    return IndicatorItem{*spec, static_cast<std::size_t>(it - outputs.begin())};
}

std::string indicator_canonical(const IndicatorItem& item) {
    const auto& outputs = item.spec.info().outputs;
    return outputs.size() == 1
               ? fmt::format("ind:{}", item.spec.canonical())
               : fmt::format("ind:{}.{}", item.spec.canonical(), outputs[item.output]);
}

Result<std::string> canonical_item(std::string_view item) {
    const auto bad = [&](std::string_view why) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("feature '{}': {} (allowed: {})", item, why, kFeatureForms));
    };
    if (item.empty()) {
        return bad("empty item");
    }
    if (to_lower(item.substr(0, 4)) == "ind:") {
        auto parsed = parse_indicator_item(trim(item.substr(4)));
        if (!parsed) {
            return parsed.error();
        }
        return indicator_canonical(*parsed);
    }
    const auto call = parse_call(item);
    if (!call) {
        return bad("unbalanced parentheses");
    }
    if (call->name == "hour" || call->name == "dow") {
        if (!call->args.empty()) {
            return bad("takes no parameters");
        }
        return call->name;
    }
    if (call->name == "logret" && call->args.empty()) {
        return std::string("logret(1)");
    }
    if (call->name == "logret" || call->name == "vol" || call->name == "volz") {
        // One bar's volume or return has no spread, so vol and volz need two bars.
        const int min = call->name == "logret" ? 1 : 2;
        const auto n = call->args.size() == 1 ? parse_int(call->args[0], min) : std::nullopt;
        if (!n) {
            return bad(
                fmt::format("{} takes one integer from {} to {}", call->name, min, kMaxPeriod));
        }
        return fmt::format("{}({})", call->name, *n);
    }
    return bad("unknown feature");
}

// ---- feature columns

// The parameter of a canonical "name(n)" item.
std::size_t period_of(std::string_view canonical) {
    const std::size_t open = canonical.find('(');
    return static_cast<std::size_t>(
        *parse_int(canonical.substr(open + 1, canonical.size() - open - 2), 1));
}

// How an indicator output is made comparable across price levels:
//  - Level: in price units and tracking the price (moving averages, bands, channels, stops,
//    vwap): value / close - 1, the distance from the close.
//  - Spread: a price difference (atr, true range, stddev, macd/apo/mom, regression slope):
//    value / close.
//  - Squared: var, in price units squared: value / close^2.
//  - anything else (oscillators, volume, already normalized values) is kept as it is.
// Levels are what the chart draws on the price axis (indicators::on_price_axis), and the
// "price" group's sum, a multiple of the price.
enum class Scale { None, Level, Spread, Squared };
Scale scale_of(const indicators::IndicatorInfo& info, std::string_view output) {
    static constexpr std::array<std::string_view, 7> kSpread = {
        "atr", "trange", "stddev", "linearreg_slope", "macd", "apo", "mom"};
    if (indicators::on_price_axis(info, output) || info.group == "price") {
        return Scale::Level;
    }
    if (std::find(kSpread.begin(), kSpread.end(), info.name) != kSpread.end()) {
        return Scale::Spread;
    }
    return info.name == "var" ? Scale::Squared : Scale::None;
}

// A computed feature column and the first row where it is defined.
struct Column {
    std::string name;
    std::vector<double> values;
    std::size_t first = 0;
};

std::vector<double> log_returns(std::span<const double> close, std::size_t k) {
    std::vector<double> out(close.size(), kNaN);
    for (std::size_t t = k; t < close.size(); ++t) {
        out[t] = std::log(close[t] / close[t - k]);
    }
    return out;
}

// Population standard deviation of x[t-n+1..t] for every t >= first + n - 1 (two passes: exact
// for constant windows).
std::vector<double> rolling_std(std::span<const double> x, std::size_t n, std::size_t first,
                                std::vector<double>* mean_out = nullptr) {
    std::vector<double> out(x.size(), kNaN);
    if (mean_out != nullptr) {
        mean_out->assign(x.size(), kNaN);
    }
    for (std::size_t t = first + n - 1; t < x.size(); ++t) {
        double mean = 0;
        for (std::size_t i = t + 1 - n; i <= t; ++i) {
            mean += x[i];
        }
        mean /= static_cast<double>(n);
        double ss = 0;
        for (std::size_t i = t + 1 - n; i <= t; ++i) {
            ss += (x[i] - mean) * (x[i] - mean);
        }
        out[t] = std::sqrt(ss / static_cast<double>(n));
        if (mean_out != nullptr) {
            (*mean_out)[t] = mean;
        }
    }
    return out;
}

void add_calendar(const BarSeriesView& bars, bool hour, std::vector<Column>& out) {
    const std::size_t n = bars.size();
    const std::string base = hour ? "hour" : "dow";
    Column s{base + "_sin", std::vector<double>(n), 0};
    Column c{base + "_cos", std::vector<double>(n), 0};
    for (std::size_t t = 0; t < n; ++t) {
        const std::int64_t ns = bars.ts()[t];
        // hour: the time of day (fractions of an hour included); dow: 0 = Monday .. 6 = Sunday.
        const double cycle =
            hour ? static_cast<double>(ns - floor_div(ns, kNanosPerDay) * kNanosPerDay) /
                       static_cast<double>(kNanosPerDay)
                 : static_cast<double>(to_civil(Timestamp(ns)).weekday) / 7.0;
        s.values[t] = std::sin(2 * std::numbers::pi * cycle);
        c.values[t] = std::cos(2 * std::numbers::pi * cycle);
    }
    out.push_back(std::move(s));
    out.push_back(std::move(c));
}

// Outputs of indicator specs, computed once per spec (bbands upper and lower share one run).
using IndicatorCache = std::map<std::string, std::vector<std::vector<double>>>;

// The GPU's batch form of a spec, when the GPU has the indicator: bbands only on the simple
// average (the GPU has no other middle band). The registry's parameter ranges lie inside the
// GPU's (periods up to 100000, deviations up to 100).
std::optional<gpu::BatchIndicator> batch_form(const indicators::Spec& spec) {
    using gpu::IndicatorKind;
    const std::string_view name = spec.info().name;
    const indicators::Params& p = spec.params();
    const auto single = [&](IndicatorKind kind) {
        return gpu::BatchIndicator{.kind = kind, .period = p.integer(0)};
    };
    if (name == "sma") {
        return single(IndicatorKind::Sma);
    }
    if (name == "ema") {
        return single(IndicatorKind::Ema);
    }
    if (name == "rsi") {
        return single(IndicatorKind::Rsi);
    }
    if (name == "atr") {
        return single(IndicatorKind::Atr);
    }
    if (name == "bbands" && p.ma(3) == indicators::MaType::Sma) {
        return gpu::BatchIndicator{.kind = IndicatorKind::Bbands,
                                   .period = p.integer(0),
                                   .up_devs = p.real(1),
                                   .down_devs = p.real(2)};
    }
    if (name == "macd") {
        return gpu::BatchIndicator{.kind = IndicatorKind::Macd,
                                   .period = p.integer(0),
                                   .slow = p.integer(1),
                                   .signal = p.integer(2)};
    }
    return std::nullopt;
}

// Every indicator of the canonical `items` that the GPU has, in one batch_indicators() call,
// into `cache` (so that indicator_column() finds them computed). Returns how many feature
// columns those indicators give.
Result<std::size_t> gpu_indicators(const BarSeriesView& bars, std::span<const std::string> items,
                                   const FeatureCompute& compute, IndicatorCache& cache) {
    std::vector<indicators::Spec> specs;
    std::vector<gpu::BatchIndicator> batch;
    std::size_t columns = 0;
    for (const std::string& item : items) {
        if (!item.starts_with("ind:")) {
            continue;
        }
        auto parsed = parse_indicator_item(std::string_view(item).substr(4));
        const auto form = parsed ? batch_form(parsed->spec) : std::nullopt;
        if (!form) {
            continue;
        }
        ++columns;
        const std::string key = parsed->spec.canonical();
        if (std::none_of(specs.begin(), specs.end(),
                         [&](const indicators::Spec& s) { return s.canonical() == key; })) {
            specs.push_back(parsed->spec);
            batch.push_back(*form);
        }
    }
    if (batch.empty()) {
        return columns;
    }
    const gpu::IndicatorSeries series{bars.high(), bars.low(), bars.close()};
    gpu::BatchOptions options(compute.where == FeatureCompute::Where::Gpu ? gpu::Backend::Device
                                                                          : gpu::Backend::HostLoop);
    options.device = compute.device;
    options.memory_limit = compute.memory_limit;
    auto outputs = gpu::batch_indicators(std::span(&series, 1), batch, options);
    if (!outputs) {
        return outputs.error();
    }
    // Entry k holds spec k's outputs one after the other, each as long as the series.
    const auto n = static_cast<std::ptrdiff_t>(bars.size());
    for (std::size_t k = 0; k < specs.size(); ++k) {
        auto& columns_of_spec = cache[specs[k].canonical()];
        const auto first = (*outputs)[k].begin();
        for (std::size_t o = 0; o < specs[k].output_count(); ++o) {
            const auto at = first + static_cast<std::ptrdiff_t>(o) * n;
            columns_of_spec.emplace_back(at, at + n);
        }
    }
    return columns;
}

Result<Column> indicator_column(const BarSeriesView& bars, std::string_view body,
                                IndicatorCache& cache) {
    auto item = parse_indicator_item(body);
    if (!item) {
        return item.error();
    }
    const indicators::Spec& spec = item->spec;
    auto& outputs = cache[spec.canonical()];
    if (outputs.empty()) {
        outputs.assign(spec.output_count(), std::vector<double>(bars.size(), kNaN));
        std::vector<std::span<double>> spans(outputs.begin(), outputs.end());
        try {
            spec.compute(indicators::Inputs::from(bars), spans);
        } catch (const Exception& e) {
            return fail(e.code(), fmt::format("feature 'ind:{}': {}", body, e.what()));
        }
    }
    const std::string_view output = spec.info().outputs[item->output];
    Column col{spec.output_names()[item->output], outputs[item->output], spec.lookback()};
    const Scale scale = scale_of(spec.info(), output);
    const auto close = bars.close();
    for (std::size_t t = 0; t < col.values.size(); ++t) {
        double& v = col.values[t];
        switch (scale) {
            case Scale::Level:
                v = v / close[t] - 1;
                break;
            case Scale::Spread:
                v /= close[t];
                break;
            case Scale::Squared:
                v /= close[t] * close[t];
                break;
            case Scale::None:
                break;
        }
    }
    return col;
}

Result<void> add_feature(const BarSeriesView& bars, const std::string& item, IndicatorCache& cache,
                         std::vector<Column>& out) {
    const auto close = bars.close();
    if (item.starts_with("ind:")) {
        auto col = indicator_column(bars, std::string_view(item).substr(4), cache);
        if (!col) {
            return col.error();
        }
        out.push_back(std::move(*col));
    } else if (item == "hour" || item == "dow") {
        add_calendar(bars, item == "hour", out);
    } else if (item.starts_with("logret(")) {
        const std::size_t k = period_of(item);
        out.push_back({item, log_returns(close, k), k});
    } else if (item.starts_with("vol(")) {
        const std::size_t n = period_of(item);
        out.push_back({item, rolling_std(log_returns(close, 1), n, 1), n});
    } else {
        // volz(n): a constant window has no spread; its z-score is 0 (volume at its mean).
        const std::size_t n = period_of(item);
        std::vector<double> mean;
        std::vector<double> sd = rolling_std(bars.volume(), n, 0, &mean);
        for (std::size_t t = n - 1; t < sd.size(); ++t) {
            sd[t] = sd[t] == 0 ? 0.0 : (bars.volume()[t] - mean[t]) / sd[t];
        }
        out.push_back({item, std::move(sd), n - 1});
    }
    return {};
}

double label_of(const LabelSpec& label, double ret) {
    switch (label.kind) {
        case LabelSpec::Kind::Return:
            return ret;
        case LabelSpec::Kind::Sign:
            return ret > 0 ? 1.0 : 0.0;
        case LabelSpec::Kind::Class3:
            break;
    }
    return ret < -label.band ? 0.0 : (ret > label.band ? 2.0 : 1.0);
}

Result<void> check_fractions(double validation_fraction) {
    if (!(validation_fraction > 0 && validation_fraction < 1)) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("validation fraction must be between 0 and 1 (exclusive), got {}",
                                validation_fraction));
    }
    return {};
}

// The samples of a split over rows [first, last): every window of seq_len rows inside them and,
// unless it is the last split, ending `horizon` rows before `last` so that its labels (which
// read up to row t + horizon) stop before the next split's first row. With the next split's
// windows starting at `last` or later this gives, for any sample t here and u there,
// t + horizon < u - seq_len + 1.
Result<Range> samples_of(std::string_view what, std::size_t first, std::size_t last,
                         std::size_t seq_len, std::size_t gap) {
    const Range r{first + seq_len - 1, last > gap ? last - gap : 0};
    if (r.size() == 0) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("the {} split holds no sample: {} rows, but a window needs {} "
                                "and {} more rows must separate it from the next split",
                                what, last - first, seq_len, gap));
    }
    return r;
}

Result<void> check_window(const Dataset& data, std::size_t seq_len) {
    if (seq_len == 0) {
        return fail(ErrorCode::InvalidArgument, "seq_len must be at least 1");
    }
    if (data.valid.size() == 0) {
        return fail(ErrorCode::InvalidArgument, "the dataset has no valid rows");
    }
    return {};
}

// Train, validation and test sample ranges of rows [begin, mid1), [mid1, mid2), [mid2, end).
Result<Splits> make_splits(std::size_t begin, std::size_t mid1, std::size_t mid2, std::size_t end,
                           std::size_t seq_len, std::size_t horizon) {
    auto train = samples_of("train", begin, mid1, seq_len, horizon);
    if (!train) {
        return train.error();
    }
    auto validation = samples_of("validation", mid1, mid2, seq_len, horizon);
    if (!validation) {
        return validation.error();
    }
    auto test = samples_of("test", mid2, end, seq_len, 0);
    if (!test) {
        return test.error();
    }
    return Splits{*train, *validation, *test};
}

}  // namespace

// ---- specs

Result<FeatureSpec> FeatureSpec::parse(std::string_view text) {
    FeatureSpec spec;
    for (const std::string_view item : split_items(trim(text))) {
        auto canonical = canonical_item(item);
        if (!canonical) {
            return canonical.error();
        }
        if (std::find(spec.items.begin(), spec.items.end(), *canonical) != spec.items.end()) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("feature '{}' is given twice", *canonical));
        }
        spec.items.push_back(std::move(*canonical));
    }
    return spec;
}

std::string FeatureSpec::canonical() const {
    return fmt::format("{}", fmt::join(items, ","));
}

Result<LabelSpec> LabelSpec::parse(std::string_view text) {
    const auto bad = [&](std::string_view why) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("label '{}': {} (allowed: {})", text, why, kLabelForms));
    };
    const auto call = parse_call(trim(text));
    if (!call) {
        return bad("unbalanced parentheses");
    }
    LabelSpec spec;
    if (call->name == "ret" || call->name == "sign") {
        spec.kind = call->name == "ret" ? Kind::Return : Kind::Sign;
        const auto k = call->args.size() == 1 ? parse_int(call->args[0], 1) : std::nullopt;
        if (!k) {
            return bad(fmt::format("the horizon k must be an integer from 1 to {}", kMaxPeriod));
        }
        spec.horizon = *k;
        return spec;
    }
    if (call->name == "class3") {
        spec.kind = Kind::Class3;
        const auto k = call->args.size() == 2 ? parse_int(call->args[0], 1) : std::nullopt;
        const auto band = call->args.size() == 2 ? parse_real(call->args[1]) : std::nullopt;
        if (!k || !band || *band < 0) {
            return bad(
                fmt::format("class3 takes a horizon from 1 to {} and a band >= 0", kMaxPeriod));
        }
        spec.horizon = *k;
        spec.band = *band;
        return spec;
    }
    return bad("unknown label");
}

std::string LabelSpec::canonical() const {
    switch (kind) {
        case Kind::Return:
            return fmt::format("ret({})", horizon);
        case Kind::Sign:
            return fmt::format("sign({})", horizon);
        case Kind::Class3:
            break;
    }
    return fmt::format("class3({},{})", horizon, band);
}

// ---- dataset

Result<Dataset> build_dataset(const BarSeriesView& bars, const FeatureSpec& features,
                              const LabelSpec& label, std::size_t min_rows,
                              const FeatureCompute& compute) {
    if (features.items.empty()) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("no features given (allowed: {})", kFeatureForms));
    }
    std::vector<std::string> items;
    for (const std::string& item : features.items) {
        // Specs read back from a file may not have come through parse().
        auto canonical = canonical_item(item);
        if (!canonical) {
            return canonical.error();
        }
        items.push_back(std::move(*canonical));
    }
    IndicatorCache cache;
    std::optional<std::size_t> gpu_columns;
    if (compute.where != FeatureCompute::Where::Cpu) {
        auto on_gpu = gpu_indicators(bars, items, compute, cache);
        if (on_gpu) {
            gpu_columns = *on_gpu;
        } else if (on_gpu.error().code == ErrorCode::Unavailable) {
            // No device is no reason to fail a training: the CPU gives the same features.
            spdlog::info("ml: computing the features on the CPU, the GPU is unavailable: {}",
                         on_gpu.error().message);
            cache.clear();
        } else {
            return fail(on_gpu.error().code,
                        fmt::format("features on the GPU: {}", on_gpu.error().message));
        }
    }
    std::vector<Column> columns;
    for (const std::string& item : items) {
        if (auto added = add_feature(bars, item, cache, columns); !added) {
            return added.error();
        }
    }
    if (gpu_columns) {
        spdlog::info("ml: {} of {} feature columns computed on the GPU{}", *gpu_columns,
                     columns.size(),
                     compute.where == FeatureCompute::Where::GpuHostLoop ? " (host loop)" : "");
    }

    Dataset data;
    data.rows = bars.size();
    data.cols = columns.size();
    data.ts.assign(bars.ts().begin(), bars.ts().end());
    std::size_t first = 0;
    for (const Column& col : columns) {
        data.columns.push_back(col.name);
        first = std::max(first, col.first);
    }
    const auto horizon = static_cast<std::size_t>(label.horizon);
    data.valid = {first, data.rows > horizon ? data.rows - horizon : 0};
    // At least one row: a dataset without samples is of no use to anyone.
    if (data.valid.size() < std::max<std::size_t>(min_rows, 1)) {
        return fail(ErrorCode::ValidationFailed,
                    fmt::format("{} bars leave {} valid rows, fewer than the {} needed (the "
                                "features need {} bars of history, the label {} bars ahead)",
                                data.rows, data.valid.size(), std::max<std::size_t>(min_rows, 1),
                                first, horizon));
    }

    const auto close = bars.close();
    const auto not_finite = [&](std::string_view what, std::size_t t) {
        return fail(ErrorCode::ValidationFailed,
                    fmt::format("{} is not finite at {} (row {}); a missing or non-positive "
                                "price or volume?",
                                what, format_iso(Timestamp(data.ts[t])), t));
    };
    data.features.assign(data.rows * data.cols, std::numeric_limits<float>::quiet_NaN());
    for (std::size_t c = 0; c < data.cols; ++c) {
        for (std::size_t t = 0; t < data.rows; ++t) {
            data.features[t * data.cols + c] = static_cast<float>(columns[c].values[t]);
        }
    }
    data.labels.assign(data.rows, std::numeric_limits<float>::quiet_NaN());
    data.forward_returns.assign(data.rows, kNaN);
    // Row by row, so that the error names the earliest bad bar. The last `horizon` rows have
    // features (forecasts for the latest bars) but no label.
    for (std::size_t t = data.valid.begin; t < data.rows; ++t) {
        for (std::size_t c = 0; c < data.cols; ++c) {
            if (!std::isfinite(data.at(t, c))) {
                return not_finite(fmt::format("feature '{}'", data.columns[c]), t);
            }
        }
        if (t >= data.valid.end) {
            continue;
        }
        const double ret = std::log(close[t + horizon] / close[t]);
        if (!std::isfinite(ret)) {
            return not_finite(fmt::format("the label {}", label.canonical()), t);
        }
        data.forward_returns[t] = ret;
        data.labels[t] = static_cast<float>(label_of(label, ret));
    }
    return data;
}

// ---- normalizer

Normalizer Normalizer::fit(const Dataset& data, Range rows) {
    rows.end = std::min(rows.end, data.rows);
    Normalizer n;
    n.mean.assign(data.cols, 0.0);
    n.stddev.assign(data.cols, 1.0);
    if (rows.size() == 0) {
        return n;
    }
    const auto count = static_cast<double>(rows.size());
    for (std::size_t c = 0; c < data.cols; ++c) {
        double sum = 0;
        for (std::size_t t = rows.begin; t < rows.end; ++t) {
            sum += data.at(t, c);
        }
        const double mean = sum / count;
        double ss = 0;
        for (std::size_t t = rows.begin; t < rows.end; ++t) {
            const double d = data.at(t, c) - mean;
            ss += d * d;
        }
        const double sd = std::sqrt(ss / count);
        n.mean[c] = mean;
        n.stddev[c] = sd > 0 ? sd : 1.0;
    }
    return n;
}

void Normalizer::apply(Dataset& data) const {
    TRADPAL_ASSERT(mean.size() == data.cols && stddev.size() == data.cols,
                   "normalizer fitted on other columns");
    for (std::size_t t = 0; t < data.rows; ++t) {
        for (std::size_t c = 0; c < data.cols; ++c) {
            float& x = data.features[t * data.cols + c];
            x = static_cast<float>((x - mean[c]) / stddev[c]);
        }
    }
}

nlohmann::json Normalizer::to_json() const {
    return {{"mean", mean}, {"stddev", stddev}};
}

Result<Normalizer> Normalizer::from_json(const nlohmann::json& j, std::size_t cols) {
    const auto column = [&](const char* key, bool positive) -> Result<std::vector<double>> {
        const auto bad = [&](std::string_view why) {
            return fail(ErrorCode::ParseError, fmt::format("normalizer '{}': {}", key, why));
        };
        if (!j.is_object() || !j.contains(key) || !j[key].is_array()) {
            return bad("missing or not an array");
        }
        if (j[key].size() != cols) {
            return bad(fmt::format("{} values for {} columns", j[key].size(), cols));
        }
        std::vector<double> out;
        for (const auto& v : j[key]) {
            if (!v.is_number() || !std::isfinite(v.get<double>()) ||
                (positive && v.get<double>() <= 0)) {
                return bad(positive ? "values must be finite and positive"
                                    : "values must be finite numbers");
            }
            out.push_back(v.get<double>());
        }
        return out;
    };
    auto mean = column("mean", false);
    if (!mean) {
        return mean.error();
    }
    auto sd = column("stddev", true);
    if (!sd) {
        return sd.error();
    }
    return Normalizer{std::move(*mean), std::move(*sd)};
}

// ---- splits

Result<Splits> chronological_splits(const Dataset& data, double train_fraction,
                                    double validation_fraction, std::size_t seq_len,
                                    std::size_t horizon) {
    if (auto ok = check_window(data, seq_len); !ok) {
        return ok.error();
    }
    if (auto ok = check_fractions(validation_fraction); !ok) {
        return ok.error();
    }
    if (!(train_fraction > 0 && train_fraction + validation_fraction < 1)) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("train fraction must be > 0 and leave rows for the test split "
                                "(train {} + validation {} < 1)",
                                train_fraction, validation_fraction));
    }
    const std::size_t n = data.valid.size();
    const std::size_t begin = data.valid.begin;
    const auto part = [&](double fraction) {
        return static_cast<std::size_t>(std::floor(static_cast<double>(n) * fraction));
    };
    const std::size_t mid1 = begin + part(train_fraction);
    const std::size_t mid2 = mid1 + part(validation_fraction);
    return make_splits(begin, mid1, mid2, data.valid.end, seq_len, horizon);
}

Result<std::vector<Splits>> walk_forward_splits(const Dataset& data, std::size_t folds,
                                                double validation_fraction, std::size_t seq_len,
                                                std::size_t horizon) {
    if (auto ok = check_window(data, seq_len); !ok) {
        return ok.error();
    }
    if (auto ok = check_fractions(validation_fraction); !ok) {
        return ok.error();
    }
    const std::size_t n = data.valid.size();
    if (folds == 0 || folds >= n) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("folds must be from 1 to {} (the valid rows), got {}",
                                n > 1 ? n - 1 : 0, folds));
    }
    // valid rows in folds + 1 blocks of `block` rows: the first (with the remainder) only trains,
    // each later one is a test block.
    const std::size_t block = n / (folds + 1);
    std::vector<Splits> out;
    for (std::size_t k = 0; k < folds; ++k) {
        const std::size_t test_begin = data.valid.end - (folds - k) * block;
        const std::size_t before = test_begin - data.valid.begin;
        const auto validation_rows =
            static_cast<std::size_t>(std::floor(static_cast<double>(before) * validation_fraction));
        auto splits = make_splits(data.valid.begin, test_begin - validation_rows, test_begin,
                                  test_begin + block, seq_len, horizon);
        if (!splits) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("fold {} of {}: {}", k + 1, folds, splits.error().message));
        }
        out.push_back(*splits);
    }
    return out;
}

}  // namespace tradpal::ml

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <fmt/format.h>

#include <tradpal/core/text.hpp>
#include <tradpal/indicators/registry.hpp>

#include "registry_util.hpp"

namespace tradpal::indicators {
namespace {

std::vector<IndicatorInfo> build_registry() {
    std::vector<IndicatorInfo> all;
    detail::register_overlap(all);
    detail::register_momentum(all);
    detail::register_volatility(all);
    detail::register_volume(all);
    detail::register_trend(all);
    detail::register_price(all);
    detail::register_extra(all);
    std::sort(all.begin(), all.end(),
              [](const IndicatorInfo& a, const IndicatorInfo& b) { return a.name < b.name; });
    return all;
}

const std::vector<IndicatorInfo>& registry() {
    static const std::vector<IndicatorInfo> all = build_registry();
    return all;
}

std::string format_param(const ParamInfo& info, double v) {
    switch (info.kind) {
        case ParamKind::Integer:
            return std::to_string(static_cast<long long>(v));
        case ParamKind::Ma:
            return std::string(to_string(static_cast<MaType>(static_cast<int>(v))));
        case ParamKind::Real:
            break;
    }
    return fmt::format("{}", v);
}

std::string describe_range(const IndicatorInfo& ind, const ParamInfo& p) {
    switch (p.kind) {
        case ParamKind::Integer:
            return fmt::format("{}: {} must be an integer from {} to {}", ind.name, p.name, p.min,
                               p.max);
        case ParamKind::Real:
            return fmt::format("{}: {} must be a number from {} to {}", ind.name, p.name, p.min,
                               p.max);
        case ParamKind::Ma:
            break;
    }
    return fmt::format(
        "{}: {} must be a moving-average type (sma, ema, wma, dema, tema, trima, "
        "kama, t3)",
        ind.name, p.name);
}

Result<double> parse_param(const IndicatorInfo& ind, const ParamInfo& p, std::string_view text) {
    text = trim(text);
    const auto bad = [&] {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{}, got '{}'", describe_range(ind, p), text));
    };
    if (p.kind == ParamKind::Ma) {
        auto t = parse_ma_type(text);
        if (t) {
            return static_cast<double>(static_cast<int>(*t));
        }
        int code = -1;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
        if (ec == std::errc{} && ptr == text.data() + text.size() && code >= 0 && code <= 8 &&
            code != 7) {
            return static_cast<double>(code);
        }
        return bad();
    }
    double v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(v) || v < p.min ||
        v > p.max || (p.kind == ParamKind::Integer && v != std::floor(v))) {
        return bad();
    }
    return v;
}

}  // namespace

std::span<const IndicatorInfo> all_indicators() {
    return registry();
}

const IndicatorInfo* find_indicator(std::string_view name) {
    const std::string key = to_lower(trim(name));
    for (const IndicatorInfo& info : registry()) {
        if (info.name == key) {
            return &info;
        }
    }
    return nullptr;
}

bool on_price_axis(const IndicatorInfo& info, std::string_view output) {
    // Groups mix kinds outside "overlap", so the price-level members of the others are named.
    static constexpr std::array<std::string_view, 10> kLevels = {
        "bbands",       "sar",     "ht_trendline", "linearreg", "vwap",
        "vwap_session", "keltner", "donchian",     "ichimoku",  "hma"};
    if (info.group == "overlap" || (info.group == "price" && info.name != "sum")) {
        return true;
    }
    if (std::find(kLevels.begin(), kLevels.end(), info.name) != kLevels.end()) {
        return true;
    }
    return info.name == "supertrend" && output == "supertrend";
}

Result<MaType> parse_ma_type(std::string_view text) {
    const std::string key = to_lower(trim(text));
    for (MaType t : {MaType::Sma, MaType::Ema, MaType::Wma, MaType::Dema, MaType::Tema,
                     MaType::Trima, MaType::Kama, MaType::T3}) {
        if (key == to_string(t)) {
            return t;
        }
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("unknown moving-average type '{}' (sma, ema, wma, dema, tema, trima, "
                            "kama, t3)",
                            text));
}

Result<Spec> Spec::parse(std::string_view text) {
    text = trim(text);
    const std::size_t open = text.find('(');
    const std::string_view name = trim(text.substr(0, open));
    const IndicatorInfo* info = find_indicator(name);
    if (info == nullptr) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("unknown indicator '{}' (see: tradpal indicators list)", name));
    }
    Params params;
    params.count = info->params.size();
    for (std::size_t i = 0; i < info->params.size(); ++i) {
        params.v[i] = info->params[i].default_value;
    }
    if (open != std::string_view::npos) {
        if (text.back() != ')') {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("'{}': expected name(p1,p2,...)", text));
        }
        std::string_view args = text.substr(open + 1, text.size() - open - 2);
        std::size_t i = 0;
        while (!trim(args).empty()) {
            const std::size_t comma = args.find(',');
            const std::string_view arg = args.substr(0, comma);
            if (i >= info->params.size()) {
                return fail(
                    ErrorCode::InvalidArgument,
                    fmt::format("{} takes {} parameter{}, got more: '{}'", info->name,
                                info->params.size(), info->params.size() == 1 ? "" : "s", text));
            }
            auto v = parse_param(*info, info->params[i], arg);
            if (!v) {
                return v.error();
            }
            params.v[i++] = *v;
            if (comma == std::string_view::npos) {
                break;
            }
            args.remove_prefix(comma + 1);
        }
    }
    if (info->check != nullptr) {
        if (auto r = info->check(params); !r) {
            return r.error();
        }
    }
    return Spec(*info, params);
}

Result<std::vector<Spec>> Spec::parse_list(std::string_view text) {
    std::vector<Spec> out;
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        const char c = i < text.size() ? text[i] : ',';
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        if (c == ',' && depth == 0) {
            const std::string_view item = trim(text.substr(start, i - start));
            if (!item.empty()) {
                auto spec = parse(item);
                if (!spec) {
                    return spec.error();
                }
                out.push_back(std::move(*spec));
            }
            start = i + 1;
        }
    }
    if (out.empty()) {
        return fail(ErrorCode::InvalidArgument, "no indicator given (e.g. \"rsi(14),macd\")");
    }
    return out;
}

Spec::Spec(const IndicatorInfo& info, const Params& params) : info_(&info), params_(params) {
    require(params.count == info.params.size(), "parameter count does not match the indicator");
}

std::string Spec::canonical() const {
    std::string out(info_->name);
    if (params_.count == 0) {
        return out;  // "obv", as the golden files name it
    }
    out += '(';
    for (std::size_t i = 0; i < params_.count; ++i) {
        out += i == 0 ? "" : ",";
        out += format_param(info_->params[i], params_.v[i]);
    }
    out += ')';
    return out;
}

std::vector<std::string> Spec::output_names() const {
    const std::string base = canonical();
    if (info_->outputs.size() == 1) {
        return {base};
    }
    std::vector<std::string> out;
    for (std::string_view o : info_->outputs) {
        out.push_back(fmt::format("{}.{}", base, o));
    }
    return out;
}

std::string Spec::file_stem() const {
    std::string out(info_->name);
    for (std::size_t i = 0; i < params_.count; ++i) {
        out += '_';
        out += format_param(info_->params[i], params_.v[i]);
    }
    return out;
}

void Spec::compute(const Inputs& in, OutputSpans out) const {
    const unsigned need = info_->inputs;
    std::size_t n = 0;
    bool sized = false;
    const auto column = [&](unsigned bit, std::size_t size, const char* name) {
        if ((need & bit) == 0) {
            return;
        }
        if (!sized) {
            n = size;
            sized = true;
        }
        require(
            size == n,
            fmt::format("{}: input column '{}' has a different length", info_->name, name).c_str());
    };
    column(kOpen, in.open.size(), "open");
    column(kHigh, in.high.size(), "high");
    column(kLow, in.low.size(), "low");
    column(kClose, in.close.size(), "close");
    column(kVolume, in.volume.size(), "volume");
    column(kTime, in.ts.size(), "time");
    require(out.size() == info_->outputs.size(), "wrong number of output columns");
    require_sizes(n, out);
    info_->batch(in, params_, out);
}

std::vector<std::vector<double>> compute_columns(std::span<const Spec> specs, const Inputs& inputs,
                                                 int threads) {
    std::vector<std::vector<double>> columns;
    for (const Spec& spec : specs) {
        for (std::size_t o = 0; o < spec.output_count(); ++o) {
            columns.emplace_back(inputs.size());
        }
    }
    std::vector<ComputeJob> jobs;
    std::size_t c = 0;
    for (const Spec& spec : specs) {
        ComputeJob& job = jobs.emplace_back(ComputeJob{&spec, inputs, {}});
        for (std::size_t o = 0; o < spec.output_count(); ++o) {
            job.outputs.emplace_back(columns[c++]);
        }
    }
    compute_all(jobs, threads);
    return columns;
}

void compute_all(std::span<const ComputeJob> jobs, int threads) {
    std::vector<std::optional<Error>> errors(jobs.size());
#ifdef _OPENMP
    const int n = threads > 0 ? threads : omp_get_max_threads();
#else
    const int n = 1;
    (void)threads;
#endif
    const auto count = static_cast<std::ptrdiff_t>(jobs.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(n) if (count > 1)
    for (std::ptrdiff_t i = 0; i < count; ++i) {
        const auto k = static_cast<std::size_t>(i);
        try {
            jobs[k].spec->compute(jobs[k].inputs, jobs[k].outputs);
        } catch (const Exception& e) {
            errors[k] = Error{e.code(), e.what()};
        }
    }
    for (const auto& e : errors) {
        if (e) {
            throw Exception(*e);
        }
    }
}

}  // namespace tradpal::indicators

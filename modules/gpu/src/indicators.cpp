// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <tradpal/gpu/indicators.hpp>

#include "indicator_launch.hpp"

namespace tradpal::gpu {
namespace {

constexpr int kMaxPeriod = 100'000;  // modules/indicators' bound

Result<void> check_indicator(const BatchIndicator& b) {
    const int min = b.kind == IndicatorKind::Rsi || b.kind == IndicatorKind::Bbands ? 2 : 1;
    if (b.period < min || b.period > kMaxPeriod) {
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("gpu indicators: period must be between {} and {}", min, kMaxPeriod));
    }
    if (b.kind == IndicatorKind::Macd &&
        (b.slow <= b.period || b.slow > kMaxPeriod || b.signal < 1 || b.signal > kMaxPeriod)) {
        return fail(ErrorCode::InvalidArgument,
                    "gpu indicators: macd needs fast < slow <= 100000 and 1 <= signal <= 100000");
    }
    if (b.kind == IndicatorKind::Bbands &&
        !(b.up_devs >= 0 && b.up_devs <= 100 && b.down_devs >= 0 && b.down_devs <= 100)) {
        return fail(ErrorCode::InvalidArgument,
                    "gpu indicators: bbands deviations must be between 0 and 100");
    }
    return {};
}

}  // namespace

Result<std::vector<std::vector<double>>> batch_indicators(
    std::span<const IndicatorSeries> series, std::span<const BatchIndicator> indicators,
    Backend backend, std::optional<int> device) {
    bool needs_range = false;
    for (const BatchIndicator& b : indicators) {
        if (auto ok = check_indicator(b); !ok) {
            return ok.error();
        }
        needs_range = needs_range || b.kind == IndicatorKind::Atr;
    }
    std::vector<detail::SeriesColumns> columns;
    for (const IndicatorSeries& s : series) {
        const std::size_t n = s.close.size();
        if (needs_range && (s.high.size() != n || s.low.size() != n)) {
            return fail(ErrorCode::InvalidArgument,
                        "gpu indicators: atr needs high and low as long as close");
        }
        columns.push_back({s.high.data(), s.low.data(), s.close.data(), n});
    }
    std::vector<detail::IndicatorTask> tasks;
    std::size_t total = 0;
    for (std::size_t s = 0; s < series.size(); ++s) {
        for (const BatchIndicator& b : indicators) {
            tasks.push_back({s, b, total});
            total += output_count(b.kind) * columns[s].n;
        }
    }
    std::vector<double> flat(total);
    if (backend == Backend::HostLoop) {
#pragma omp parallel for schedule(dynamic, 1)
        for (std::int64_t j = 0; j < static_cast<std::int64_t>(tasks.size()); ++j) {
            const detail::IndicatorTask& t = tasks[static_cast<std::size_t>(j)];
            detail::run_indicator(columns[t.series], t.indicator, flat.data() + t.out_offset);
        }
    } else {
        auto chosen = usable_device(device);
        if (!chosen) {
            return chosen.error();
        }
        if (auto ok = detail::launch_indicators(columns, tasks, *chosen, flat); !ok) {
            return ok.error();
        }
    }
    std::vector<std::vector<double>> out(tasks.size());
    for (std::size_t k = 0; k < tasks.size(); ++k) {
        const auto first = flat.begin() + static_cast<std::ptrdiff_t>(tasks[k].out_offset);
        const std::size_t size = output_count(tasks[k].indicator.kind) * columns[tasks[k].series].n;
        out[k].assign(first, first + static_cast<std::ptrdiff_t>(size));
    }
    return out;
}

}  // namespace tradpal::gpu

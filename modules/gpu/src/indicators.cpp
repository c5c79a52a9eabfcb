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
    const BatchOptions& options) {
    bool needs_range = false;
    for (const BatchIndicator& b : indicators) {
        if (auto ok = check_indicator(b); !ok) {
            return ok.error();
        }
        needs_range = needs_range || b.kind == IndicatorKind::Atr;
    }
    std::vector<detail::SeriesColumns> columns;
    std::uint64_t input_bytes = 0;
    for (const IndicatorSeries& s : series) {
        const std::size_t n = s.close.size();
        if (needs_range && (s.high.size() != n || s.low.size() != n)) {
            return fail(ErrorCode::InvalidArgument,
                        "gpu indicators: atr needs high and low as long as close");
        }
        columns.push_back({s.high.data(), s.low.data(), s.close.data(), n});
        input_bytes += s.close.size_bytes() + s.high.size_bytes() + s.low.size_bytes() +
                       sizeof(detail::SeriesColumns);
    }
    auto target = batch_target(options);
    if (!target) {
        return target.error();
    }
    std::vector<detail::IndicatorTask> tasks;
    std::vector<std::uint64_t> task_bytes;
    for (std::size_t s = 0; s < series.size(); ++s) {
        for (const BatchIndicator& b : indicators) {
            tasks.push_back({s, b, 0});
            task_bytes.push_back(output_count(b.kind) * columns[s].n * sizeof(double) +
                                 sizeof(detail::IndicatorTask));
        }
    }
    auto ends = plan_passes(input_bytes, task_bytes, target->budget, "gpu indicators");
    if (!ends) {
        return ends.error();
    }
    std::vector<detail::IndicatorPass> passes;
    std::vector<std::size_t> out_at;  // of each task in the flat output
    std::size_t total = 0;
    for (const std::size_t end : *ends) {
        detail::IndicatorPass pass{passes.empty() ? 0 : passes.back().end, end, total, 0};
        for (std::size_t k = pass.begin; k < end; ++k) {
            tasks[k].out_offset = pass.out_size;
            out_at.push_back(total + pass.out_size);
            pass.out_size += output_count(tasks[k].indicator.kind) * columns[tasks[k].series].n;
        }
        total += pass.out_size;
        passes.push_back(pass);
    }
    std::vector<double> flat(total);
    if (options.backend == Backend::HostLoop) {
        for (const detail::IndicatorPass& pass : passes) {
#pragma omp parallel for schedule(dynamic, 1)
            for (std::int64_t j = static_cast<std::int64_t>(pass.begin);
                 j < static_cast<std::int64_t>(pass.end); ++j) {
                const detail::IndicatorTask& t = tasks[static_cast<std::size_t>(j)];
                detail::run_indicator(columns[t.series], t.indicator,
                                      flat.data() + pass.out_begin + t.out_offset);
            }
        }
    } else {
        if (auto ok = detail::launch_indicators(columns, tasks, passes, target->device, flat);
            !ok) {
            return ok.error();
        }
    }
    std::vector<std::vector<double>> out(tasks.size());
    for (std::size_t k = 0; k < tasks.size(); ++k) {
        const auto first = flat.begin() + static_cast<std::ptrdiff_t>(out_at[k]);
        const std::size_t size = output_count(tasks[k].indicator.kind) * columns[tasks[k].series].n;
        out[k].assign(first, first + static_cast<std::ptrdiff_t>(size));
    }
    return out;
}

}  // namespace tradpal::gpu

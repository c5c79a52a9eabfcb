// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <numeric>
#include <tuple>

#include <fmt/format.h>

#include <tradpal/gpu/device.hpp>
#include <tradpal/gpu/sweep.hpp>

#include "cross_launch.hpp"

namespace tradpal::gpu {
namespace {

namespace bt = tradpal::backtest;

Result<void> check_batch(const CrossBatch& batch) {
    for (const CrossRun& run : batch.runs) {
        if (run.symbol >= batch.symbols.size() || run.a >= batch.lines.size() ||
            run.b >= batch.lines.size() || run.config >= batch.configs.size()) {
            return fail(ErrorCode::InvalidArgument, "gpu sweep: a run's index is out of range");
        }
        const std::size_t n = batch.symbols[run.symbol].size();
        if (batch.lines[run.a].size() != n || batch.lines[run.b].size() != n) {
            return fail(
                ErrorCode::InvalidArgument,
                fmt::format("gpu sweep: a line does not have the {} values of its symbol", n));
        }
        if (const std::string_view why = cross_unsupported(batch.configs[run.config], {});
            !why.empty()) {
            return fail(ErrorCode::InvalidArgument, fmt::format("gpu sweep: {}", why));
        }
    }
    return {};
}

/// The metrics of a run from its final state, with the simulator's own finishing code.
bt::Metrics finish_run(const detail::CrossState& state, std::span<const double> returns,
                       const bt::Config& config) {
    bt::EquityStats stats(config.cash);
    stats.restore(state.equity, returns.first(state.days_pushed), state.in_position_bars);
    bt::Metrics m;
    bt::detail::finish_metrics(m, stats, bt::TradeStats(state.trades), state.open_fees,
                               state.traded_value, config);
    return m;
}

}  // namespace

std::string_view cross_unsupported(const bt::Config& config,
                                   const bt::Protection& protection) noexcept {
    if (protection.any()) {
        return "protective orders (stop_loss, take_profit, trailing_stop) run on the CPU";
    }
    if (config.sizing.mode == bt::SizingMode::RiskAtr) {
        return "risk_atr sizing runs on the CPU";
    }
    return {};
}

Result<std::vector<bt::Metrics>> simulate_cross_batch(const CrossBatch& batch, Backend backend,
                                                      std::optional<int> device) {
    if (auto ok = check_batch(batch); !ok) {
        return ok.error();
    }
    std::vector<detail::CrossBars> symbols;
    std::vector<std::size_t> days;
    for (const BarSeriesView& bars : batch.symbols) {
        symbols.push_back({bars.ts().data(), bars.open().data(), bars.close().data(), bars.size()});
        days.push_back(bt::day_starts(bars.ts()).size());
    }
    // Neighbouring threads take runs of the same lines (a warp then reads one line, not 32).
    std::vector<std::size_t> order(batch.runs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        const CrossRun& p = batch.runs[x];
        const CrossRun& q = batch.runs[y];
        return std::tie(p.symbol, p.a, p.b) < std::tie(q.symbol, q.a, q.b);
    });
    std::vector<detail::CrossParams> params;
    std::vector<detail::LaunchRun> runs;
    std::size_t returns_size = 0;
    for (const std::size_t k : order) {
        const CrossRun& run = batch.runs[k];
        const bt::Config& config = batch.configs[run.config];
        params.push_back({config.cash, config.costs, config.sizing,
                          config.fill_price == bt::FillPrice::Close, run.allow_short});
        runs.push_back({run.symbol, run.a, run.b, static_cast<std::uint32_t>(params.size() - 1),
                        returns_size});
        returns_size += days[run.symbol];
    }
    std::vector<detail::CrossState> states(runs.size());
    std::vector<double> returns(returns_size);
    if (backend == Backend::HostLoop) {
#pragma omp parallel for schedule(dynamic, 1)
        for (std::int64_t j = 0; j < static_cast<std::int64_t>(runs.size()); ++j) {
            const detail::LaunchRun& run = runs[static_cast<std::size_t>(j)];
            detail::run_cross(symbols[run.symbol], batch.lines[run.a].data(),
                              batch.lines[run.b].data(), params[run.params],
                              returns.data() + run.returns_offset,
                              states[static_cast<std::size_t>(j)]);
        }
    } else {
        auto chosen = usable_device(device);
        if (!chosen) {
            return chosen.error();
        }
        const detail::CrossLaunch launch{symbols, batch.lines, params, runs, returns_size};
        if (auto ok = detail::launch_cross(launch, *chosen, states, returns); !ok) {
            return ok.error();
        }
    }
    std::vector<bt::Metrics> out(batch.runs.size());
    for (std::size_t j = 0; j < runs.size(); ++j) {
        const std::span<const double> slice(returns.data() + runs[j].returns_offset,
                                            days[runs[j].symbol]);
        out[order[j]] = finish_run(states[j], slice, batch.configs[batch.runs[order[j]].config]);
    }
    return out;
}

}  // namespace tradpal::gpu

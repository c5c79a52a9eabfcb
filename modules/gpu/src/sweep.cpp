// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <numeric>
#include <tuple>

#include <fmt/format.h>

#include <tradpal/gpu/device.hpp>
#include <tradpal/gpu/sweep.hpp>

#include "sweep_launch.hpp"

namespace tradpal::gpu {
namespace {

namespace bt = tradpal::backtest;

Result<void> check_batch(const SweepBatch& batch) {
    for (const SweepRun& run : batch.runs) {
        if (run.symbol >= batch.symbols.size() || run.config >= batch.configs.size()) {
            return fail(ErrorCode::InvalidArgument, "gpu sweep: a run's index is out of range");
        }
        const std::size_t n = batch.symbols[run.symbol].size();
        const auto check_line = [&](std::uint32_t line) -> Result<void> {
            if (line >= batch.lines.size()) {
                return fail(ErrorCode::InvalidArgument,
                            "gpu sweep: a run's line index is out of range");
            }
            if (batch.lines[line].size() != n) {
                return fail(
                    ErrorCode::InvalidArgument,
                    fmt::format("gpu sweep: a line does not have the {} values of its symbol", n));
            }
            return {};
        };
        for (std::size_t k = 0; k < line_count(run.kind); ++k) {
            if (auto ok = check_line(run.lines[k]); !ok) {
                return ok;
            }
        }
        if (batch.configs[run.config].sizing.mode == bt::SizingMode::RiskAtr) {
            if (run.atr_line == kNoLine) {
                return fail(ErrorCode::InvalidArgument,
                            "gpu sweep: risk_atr sizing needs the symbol's ATR line");
            }
            if (auto ok = check_line(run.atr_line); !ok) {
                return ok;
            }
        }
    }
    return {};
}

/// The metrics of a run from its final state, with the simulator's own finishing code.
bt::Metrics finish_run(const detail::RunState& state, std::span<const double> returns,
                       const bt::Config& config) {
    bt::EquityStats stats(config.cash);
    stats.restore(state.equity, returns.first(state.days_pushed), state.in_position_bars);
    bt::Metrics m;
    bt::detail::finish_metrics(m, stats, bt::TradeStats(state.trades), state.open_fees,
                               state.traded_value, config);
    return m;
}

/// The device memory the bars and lines of a batch take for all its passes.
std::uint64_t input_bytes(const SweepBatch& batch) {
    std::uint64_t bytes = 0;
    for (const BarSeriesView& bars : batch.symbols) {
        bytes +=
            bars.size() * (sizeof(std::int64_t) + 4 * sizeof(double)) + sizeof(detail::RunBars);
    }
    for (const std::span<const double> line : batch.lines) {
        bytes += line.size_bytes() + sizeof(const double*);
    }
    return bytes;
}

}  // namespace

Result<std::vector<bt::Metrics>> simulate_sweep(const SweepBatch& batch,
                                                const BatchOptions& options) {
    if (auto ok = check_batch(batch); !ok) {
        return ok.error();
    }
    auto target = batch_target(options);
    if (!target) {
        return target.error();
    }
    std::vector<detail::RunBars> symbols;
    std::vector<std::size_t> days;
    for (const BarSeriesView& bars : batch.symbols) {
        symbols.push_back({bars.ts().data(), bars.open().data(), bars.high().data(),
                           bars.low().data(), bars.close().data(), bars.size()});
        days.push_back(bt::day_starts(bars.ts()).size());
    }
    // Neighbouring threads take runs of the same rule and lines (a warp then reads one line,
    // not 32).
    std::vector<std::size_t> order(batch.runs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        const SweepRun& p = batch.runs[x];
        const SweepRun& q = batch.runs[y];
        return std::tie(p.symbol, p.kind, p.lines) < std::tie(q.symbol, q.kind, q.lines);
    });
    std::vector<std::uint64_t> run_bytes;
    for (const std::size_t k : order) {
        run_bytes.push_back(days[batch.runs[k].symbol] * sizeof(double) +
                            sizeof(detail::LaunchRun) + sizeof(detail::RunState));
    }
    auto ends = plan_passes(input_bytes(batch), run_bytes, target->budget, "gpu sweep");
    if (!ends) {
        return ends.error();
    }
    std::vector<detail::LaunchRun> runs;
    std::vector<detail::Pass> passes;
    std::vector<std::size_t> returns_at;  // of each run in the batch's buffer
    std::size_t returns_size = 0;
    for (const std::size_t end : *ends) {
        detail::Pass pass{runs.size(), end, returns_size, 0};
        for (std::size_t j = pass.begin; j < end; ++j) {
            const SweepRun& run = batch.runs[order[j]];
            const bt::Config& config = batch.configs[run.config];
            detail::LaunchRun launch;
            detail::RunParams& params = launch.params;
            params.cash = config.cash;
            params.costs = config.costs;
            params.sizing = config.sizing;
            params.at_close = config.fill_price == bt::FillPrice::Close;
            params.stop_same_bar = config.stop_same_bar;
            params.allow_short = run.allow_short;
            params.protection = run.protection;
            params.kind = run.kind;
            params.lower = run.lower;
            params.upper = run.upper;
            launch.symbol = run.symbol;
            for (std::size_t k = 0; k < 4; ++k) {
                launch.lines[k] = k < line_count(run.kind) ? run.lines[k] : run.lines[0];
            }
            launch.lines[4] = run.atr_line != kNoLine ? run.atr_line : run.lines[0];
            launch.returns_offset = pass.returns_size;
            returns_at.push_back(returns_size + pass.returns_size);
            pass.returns_size += days[run.symbol];
            runs.push_back(launch);
        }
        returns_size += pass.returns_size;
        passes.push_back(pass);
    }
    std::vector<detail::RunState> states(runs.size());
    std::vector<double> returns(returns_size);
    if (options.backend == Backend::HostLoop) {
        std::vector<const double*> lines;
        for (const std::span<const double> line : batch.lines) {
            lines.push_back(line.data());
        }
        for (const detail::Pass& pass : passes) {
#pragma omp parallel for schedule(dynamic, 1)
            for (std::int64_t j = static_cast<std::int64_t>(pass.begin);
                 j < static_cast<std::int64_t>(pass.end); ++j) {
                const detail::LaunchRun& run = runs[static_cast<std::size_t>(j)];
                detail::run_signals(symbols[run.symbol], detail::lines_of(run, lines.data()),
                                    run.params,
                                    returns.data() + pass.returns_begin + run.returns_offset,
                                    states[static_cast<std::size_t>(j)]);
            }
        }
    } else {
        const detail::SweepLaunch launch{symbols, batch.lines, runs, passes};
        if (auto ok = detail::launch_sweep(launch, target->device, states, returns); !ok) {
            return ok.error();
        }
    }
    std::vector<bt::Metrics> out(batch.runs.size());
    for (std::size_t j = 0; j < runs.size(); ++j) {
        const SweepRun& run = batch.runs[order[j]];
        const std::span<const double> slice(returns.data() + returns_at[j], days[run.symbol]);
        out[order[j]] = finish_run(states[j], slice, batch.configs[run.config]);
    }
    return out;
}

}  // namespace tradpal::gpu

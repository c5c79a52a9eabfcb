// SPDX-License-Identifier: Apache-2.0
// Runs of the GPU sweep next to the CPU simulator on the same synthetic bars, and a check
// that two Metrics are the same numbers to the bit.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tradpal/backtest/signals.hpp>
#include <tradpal/backtest/simulator.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/timeframe.hpp>
#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/gpu/sweep.hpp>

namespace tradpal::gpu::testing {

namespace bt = tradpal::backtest;

inline void expect_same(double x, double y, const char* what) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(x), std::bit_cast<std::uint64_t>(y))
        << what << ": " << x << " vs " << y;
}

inline void expect_same(const std::optional<double>& x, const std::optional<double>& y,
                        const char* what) {
    ASSERT_EQ(x.has_value(), y.has_value()) << what;
    if (x) {
        expect_same(*x, *y, what);
    }
}

/// Every field of `gpu` equals the one of `cpu`, bit for bit.
inline void expect_same(const bt::Metrics& gpu, const bt::Metrics& cpu) {
#define TRADPAL_SAME(field) expect_same(gpu.field, cpu.field, #field)
#define TRADPAL_EQ(field) EXPECT_EQ(gpu.field, cpu.field) << #field
    TRADPAL_SAME(start_value);
    TRADPAL_SAME(final_value);
    TRADPAL_SAME(total_return);
    TRADPAL_SAME(annual_return);
    TRADPAL_SAME(annual_volatility);
    TRADPAL_SAME(sharpe);
    TRADPAL_SAME(sortino);
    TRADPAL_SAME(calmar);
    TRADPAL_SAME(daily_skewness);
    TRADPAL_SAME(daily_kurtosis);
    TRADPAL_SAME(max_drawdown_pct);
    TRADPAL_EQ(max_drawdown_bars);
    TRADPAL_EQ(max_drawdown_ns);
    TRADPAL_EQ(bars);
    TRADPAL_EQ(days);
    TRADPAL_SAME(exposure);
    TRADPAL_SAME(turnover);
    TRADPAL_SAME(total_commission);
    TRADPAL_EQ(trades);
    TRADPAL_EQ(wins);
    TRADPAL_EQ(losses);
    TRADPAL_SAME(win_rate);
    TRADPAL_SAME(profit_factor);
    TRADPAL_SAME(avg_win);
    TRADPAL_SAME(avg_loss);
    TRADPAL_SAME(expectancy);
    TRADPAL_SAME(best_trade);
    TRADPAL_SAME(worst_trade);
    TRADPAL_SAME(avg_trade_bars);
    TRADPAL_EQ(start_ns);
    TRADPAL_EQ(end_ns);
#undef TRADPAL_SAME
#undef TRADPAL_EQ
}

/// Configs of every kind: the default, fills at the close, costs of every kind, each sizing
/// mode, protective orders that may fill on the entry's bar.
inline std::vector<bt::Config> gpu_configs() {
    std::vector<bt::Config> configs(7);
    configs[1].fill_price = bt::FillPrice::Close;
    configs[2].costs.slippage_bps = 3;
    configs[2].costs.commission_fixed = 1.5;
    configs[3].sizing.mode = bt::SizingMode::FixedQuantity;
    configs[3].sizing.quantity = 7;
    configs[4].sizing.mode = bt::SizingMode::FixedCash;
    configs[4].sizing.cash_amount = 25000;
    configs[4].costs.commission = 0;
    configs[5].sizing.mode = bt::SizingMode::RiskAtr;
    configs[5].sizing.risk_fraction = 0.01;
    configs[6].stop_same_bar = true;
    configs[6].costs.slippage_bps = 2;
    return configs;
}

/// Protective orders of each kind, alone and together.
inline std::vector<bt::Protection> gpu_protections() {
    return {{}, {0.01, 0, 0}, {0, 0.015, 0}, {0, 0, 0.01}, {0.02, 0.03, 0.012}};
}

/// The ATR that RiskAtr sizing reads (every config keeps the default atr_period).
inline std::vector<double> atr_of(const BarSeriesView& bars) {
    std::vector<double> atr(bars.size());
    bt::signals::atr(bars.high(), bars.low(), bars.close(), bt::Sizing{}.atr_period, atr);
    return atr;
}

/// Simple and exponential averages of a few periods over `bars`, and every run of pairs of
/// them (fast < slow, either kind) x configs x long-only or with shorts.
struct CrossCase {
    BarSeries series;
    std::vector<std::vector<double>> lines;
    SweepBatch batch;

    CrossCase(std::size_t n, std::uint64_t seed, Timeframe timeframe)
        : series(data_testing::synthetic_ohlcv(n, seed, timeframe)) {
        const BarSeriesView bars = series.view();
        for (const bool ema : {false, true}) {
            for (const int period : {3, 8, 21, 50}) {
                std::vector<double> line(bars.size());
                (ema ? bt::signals::ema : bt::signals::sma)(bars.close(), period, line);
                lines.push_back(std::move(line));
            }
        }
        const auto count = static_cast<std::uint32_t>(lines.size());
        lines.push_back(atr_of(bars));
        batch.symbols = {bars};
        for (const auto& line : lines) {
            batch.lines.emplace_back(line);
        }
        batch.configs = gpu_configs();
        for (std::uint32_t a = 0; a < count; ++a) {
            for (std::uint32_t b = 0; b < count; ++b) {
                if (a % 4 >= b % 4) {
                    continue;  // fast period below slow, as sma_cross asks
                }
                for (std::uint32_t c = 0; c < batch.configs.size(); ++c) {
                    for (const bt::Protection& protection : gpu_protections()) {
                        for (const bool shorts : {false, true}) {
                            batch.runs.push_back(
                                {0, RuleKind::Cross, {a, b}, 0, 0, c, shorts, protection, count});
                        }
                    }
                }
            }
        }
    }

    /// What the CPU simulator gives for run k.
    bt::Metrics cpu(std::size_t k, bt::SimulationWorkspace& workspace) const {
        const SweepRun& run = batch.runs[k];
        const bt::Config& config = batch.configs[run.config];
        const bool risk_atr = config.sizing.mode == bt::SizingMode::RiskAtr;
        return bt::simulate_cross_metrics(
            series.view(), batch.lines[run.lines[0]], batch.lines[run.lines[1]], run.allow_short,
            run.protection, config,
            risk_atr ? batch.lines[run.atr_line] : std::span<const double>(), workspace);
    }
};

/// Runs of the threshold, band and breakout strategies (and macd_cross): each parameter set
/// of `sets` with its lines computed as build_signals() does, x configs x protective orders
/// x long-only or with shorts; the CPU's answer is simulate_metrics() over build_signals()'
/// arrays.
struct RuleCase {
    BarSeries series;
    std::vector<std::vector<double>> lines;
    std::vector<bt::StrategySpec> specs;  ///< of each run
    SweepBatch batch;

    RuleCase(std::string_view strategy, const std::vector<std::vector<std::string>>& sets,
             std::size_t n, std::uint64_t seed, Timeframe timeframe)
        : series(data_testing::synthetic_ohlcv(n, seed, timeframe)) {
        const BarSeriesView bars = series.view();
        batch.symbols = {bars};
        batch.configs = gpu_configs();
        for (const std::vector<std::string>& set : sets) {
            const bt::StrategySpec spec = bt::StrategySpec::make(strategy, set).value();
            SweepRun run;
            const auto first = static_cast<std::uint32_t>(lines.size());
            if (strategy == "rsi_reversion") {
                run.kind = RuleKind::Levels;
                run.lower = spec.get("lower");
                run.upper = spec.get("upper");
                add_lines(1, [&](auto& l) {
                    bt::signals::rsi(bars.close(), spec.integer("period"), l[0]);
                });
            } else if (strategy == "bollinger_reversion") {
                run.kind = RuleKind::Bands;
                add_lines(3, [&](auto& l) {
                    bt::signals::bollinger(bars.close(), spec.integer("period"), spec.get("devs"),
                                           l[0], l[2], l[1]);
                });
            } else if (strategy == "donchian_breakout") {
                run.kind = RuleKind::Breakout;
                add_lines(4, [&](auto& l) {
                    bt::signals::channel(bars.high(), bars.low(), spec.integer("entry"), l[0],
                                         l[1]);
                    bt::signals::channel(bars.high(), bars.low(), spec.integer("exit"), l[2], l[3]);
                });
            } else {
                run.kind = RuleKind::Cross;
                add_lines(2, [&](auto& l) {
                    bt::signals::macd(bars.close(), spec.integer("fast"), spec.integer("slow"),
                                      spec.integer("signal"), l[0], l[1]);
                });
            }
            for (std::uint32_t k = 0; k < line_count(run.kind); ++k) {
                run.lines[k] = first + k;
            }
            for (std::uint32_t c = 0; c < batch.configs.size(); ++c) {
                for (const bt::Protection& protection : gpu_protections()) {
                    for (const bool shorts : {false, true}) {
                        run.config = c;
                        run.allow_short = shorts;
                        run.protection = protection;
                        batch.runs.push_back(run);
                        std::vector<std::string> full = set;
                        full.push_back(shorts ? "allow_short=1" : "allow_short=0");
                        full.push_back(fmt::format("stop_loss={}", protection.stop_loss));
                        full.push_back(fmt::format("take_profit={}", protection.take_profit));
                        full.push_back(fmt::format("trailing_stop={}", protection.trailing_stop));
                        specs.push_back(bt::StrategySpec::make(strategy, full).value());
                    }
                }
            }
        }
        const auto atr_line = static_cast<std::uint32_t>(lines.size());
        lines.push_back(atr_of(bars));
        for (SweepRun& run : batch.runs) {
            run.atr_line = atr_line;
        }
        for (const auto& line : lines) {
            batch.lines.emplace_back(line);
        }
    }

    /// What the CPU simulator gives for run k.
    bt::Metrics cpu(std::size_t k, bt::SimulationWorkspace& workspace) const {
        const bt::SignalSet signals = bt::build_signals(specs[k], series.view()).value();
        const SweepRun& run = batch.runs[k];
        const bt::Config& config = batch.configs[run.config];
        const bool risk_atr = config.sizing.mode == bt::SizingMode::RiskAtr;
        return bt::simulate_metrics(
            series.view(), bt::SignalView::of(signals), config,
            risk_atr ? batch.lines[run.atr_line] : std::span<const double>(), workspace);
    }

private:
    template <class Compute>
    void add_lines(std::size_t count, Compute compute) {
        std::vector<std::vector<double>> fresh(count, std::vector<double>(series.size()));
        compute(fresh);
        for (auto& line : fresh) {
            lines.push_back(std::move(line));
        }
    }
};

/// Runs the batch of `c` (a CrossCase or a RuleCase) with `options` and expects every run's
/// metrics to be the CPU simulator's, bit for bit; returns how many runs traded.
template <class Case>
std::size_t expect_sweep_equals_cpu(const Case& c, const BatchOptions& options) {
    auto gpu = simulate_sweep(c.batch, options);
    EXPECT_TRUE(gpu) << gpu.error().message;
    if (!gpu) {
        return 0;
    }
    EXPECT_EQ(gpu->size(), c.batch.runs.size());
    bt::SimulationWorkspace workspace;
    std::size_t traded = 0;
    for (std::size_t k = 0; k < c.batch.runs.size() && k < gpu->size(); ++k) {
        SCOPED_TRACE(k);
        const bt::Metrics cpu = c.cpu(k, workspace);
        expect_same((*gpu)[k], cpu);
        traded += cpu.trades > 0 ? 1 : 0;
    }
    return traded;
}

}  // namespace tradpal::gpu::testing

// SPDX-License-Identifier: Apache-2.0
// The vectorized signal simulator: the rules of BACKTEST_SEMANTICS.md applied to precomputed
// signal arrays in one tight pass over the bars, with the metrics gathered in the same pass.
// For the same signals it gives the same trades, equity and metrics as the event-driven engine
// running the same strategy (tests check this bit for bit). Sweeps run on it.
#pragma once

#include <cstdint>
#include <span>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/backtest/metrics.hpp>
#include <tradpal/backtest/strategies.hpp>

namespace tradpal::backtest {

/// Signal arrays to simulate (1 = the condition holds at that close), each as long as the series.
struct SignalView {
    std::span<const std::uint8_t> long_entry;
    std::span<const std::uint8_t> long_exit;
    std::span<const std::uint8_t> short_entry;  ///< read only when allow_short
    std::span<const std::uint8_t> short_exit;   ///< read only when allow_short
    bool allow_short = false;
    Protection protection;

    static SignalView of(const SignalSet& set) noexcept {
        return {set.long_entry, set.long_exit,   set.short_entry,
                set.short_exit, set.allow_short, set.protection};
    }
};

struct SimulationOptions {
    bool keep_trades = true;  ///< the trade list and the fills
    bool keep_equity = true;  ///< the equity column
};

/// Simulates the signals over one series. Throws: tradpal::Exception (InvalidArgument) for a
/// bad config, series or array length.
BacktestResult simulate(const SymbolSeries& series, const SignalView& signals, const Config& config,
                        SimulationOptions options = {});

/// Simulates target positions: where target[t] is not NaN and differs from the last target
/// applied, the position is brought at that close to sign(w) x q(|w|), with q the fraction
/// sizing at fraction |w| of equity (w in [-1, 1]; negative needs allow_short).
BacktestResult simulate_targets(const SymbolSeries& series, std::span<const double> target,
                                const Config& config, bool allow_short,
                                SimulationOptions options = {});

/// The event-driven strategy doing what simulate_targets() does (the reference for tests).
std::unique_ptr<Strategy> make_target_strategy(std::span<const double> target, bool allow_short);

/// Memory reused across many metric-only simulations of one series (sweeps).
class SimulationWorkspace {
public:
    explicit SimulationWorkspace(double start_cash = 0) : stats_(start_cash) {}

private:
    friend Metrics simulate_metrics(const BarSeriesView&, const SignalView&, const Config&,
                                    std::span<const double>, SimulationWorkspace&);
    friend Metrics simulate_cross_metrics(const BarSeriesView&, std::span<const double>,
                                          std::span<const double>, bool, Protection, const Config&,
                                          std::span<const double>, SimulationWorkspace&);
    /// The day boundaries of `bars` (day_starts), computed on the first run over a series and
    /// reused while the runs stay on it (the same time column: address, length, first and
    /// last time; sweeps never change bars in place).
    std::span<const std::size_t> days_of(const BarSeriesView& bars);

    EquityStats stats_;
    std::vector<std::size_t> day_starts_;
    std::span<const std::int64_t> days_ts_;
    std::int64_t days_first_ = 0;
    std::int64_t days_last_ = 0;
};

/// Metrics only: no trade list, no equity column, no allocation once `workspace` has grown.
/// `atr` is the ATR column for RiskAtr sizing (empty otherwise). The bars must have passed
/// validate_bars().
Metrics simulate_metrics(const BarSeriesView& bars, const SignalView& signals, const Config& config,
                         std::span<const double> atr, SimulationWorkspace& workspace);

/// simulate_metrics for a strategy whose signals are the crossings of line `a` over line `b`
/// (sma_cross with its two averages, macd_cross with its MACD and signal lines): the same
/// metrics, bit for bit, without building the four signal arrays. Lines are NaN before their
/// first value.
Metrics simulate_cross_metrics(const BarSeriesView& bars, std::span<const double> a,
                               std::span<const double> b, bool allow_short, Protection protection,
                               const Config& config, std::span<const double> atr,
                               SimulationWorkspace& workspace);

}  // namespace tradpal::backtest

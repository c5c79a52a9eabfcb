// SPDX-License-Identifier: Apache-2.0
// Many separate backtests at once: one per symbol, each with its own account, on all cores.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/core/result.hpp>

namespace tradpal::research {

/// Which engine runs each backtest; both give the same trades.
enum class Engine { Event, Vectorized };
Result<Engine> parse_engine(std::string_view text);
std::string_view to_string(Engine engine) noexcept;

/// One backtest of `spec` on one series, by `engine`.
/// Throws: tradpal::Exception for bad bars or a bad config.
backtest::BacktestResult run_one(const backtest::SymbolSeries& series,
                                 const backtest::StrategySpec& spec, const backtest::Config& config,
                                 Engine engine);

/// Called after each finished backtest with the number done so far and the total (from any
/// thread, one call at a time).
using RunProgress = std::function<void(std::size_t done, std::size_t total)>;

/// One backtest per series, each with its own account of `config.cash`, on up to `threads`
/// threads (0: all cores; dynamic scheduling, so a long series does not hold the others).
/// Results are in the order of `series` and do not depend on the number of threads. If any
/// run throws, the first error in series order is rethrown after all runs have stopped.
std::vector<backtest::BacktestResult> run_each(std::span<const backtest::SymbolSeries> series,
                                               const backtest::StrategySpec& spec,
                                               const backtest::Config& config, Engine engine,
                                               int threads, const RunProgress& progress = {});

/// The separate accounts taken together: money summed, ratios of the sums, trade counts over
/// all trades, and the worst drawdown and the mean Sharpe of the accounts.
struct Aggregate {
    std::size_t accounts = 0;
    double start_value = 0;
    double final_value = 0;
    double total_return = 0;  ///< final_value / start_value - 1
    double total_commission = 0;
    std::size_t trades = 0;
    std::size_t wins = 0;
    std::optional<double> win_rate;     ///< wins / trades over every closed trade
    std::optional<double> mean_sharpe;  ///< over the accounts whose Sharpe is defined
    double worst_max_drawdown_pct = 0;
};
Aggregate aggregate(std::span<const backtest::BacktestResult> runs);

}  // namespace tradpal::research

// SPDX-License-Identifier: Apache-2.0
// Parameter sweeps: many parameter sets of one strategy over one or more series, each set run
// by the vectorized simulator with metrics only, on all cores; a bounded best-K and an
// optional stream of every row, in a fixed order whatever the number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/backtest/metrics.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/core/result.hpp>
#include <tradpal/research/grid.hpp>
#include <tradpal/research/overfitting.hpp>

namespace tradpal::research {

/// The metric sets are ranked by. NaN (an undefined ratio) ranks last.
struct RankMetric {
    std::string_view name;
    bool lower_is_better = false;  ///< max_drawdown_pct
    double (*value)(const backtest::Metrics&) = nullptr;
};
/// sharpe, sortino, calmar, total_return, annual_return, final_value, max_drawdown_pct,
/// profit_factor, win_rate, expectancy. Errors: InvalidArgument listing them.
Result<RankMetric> parse_metric(std::string_view name);

/// Grid axes with these names set the execution config instead of a strategy parameter.
inline constexpr std::string_view kConfigAxes[] = {"commission", "commission_fixed", "slippage_bps",
                                                   "size_fraction"};

struct SweepRequest {
    std::string strategy;             ///< a built-in strategy or "rules"
    std::vector<std::string> fixed;   ///< --param assignments shared by every set
    backtest::RuleTexts rules;        ///< for "rules"
    ParameterGrid grid;               ///< the swept axes
    std::vector<std::uint64_t> sets;  ///< indices into grid, ascending
    backtest::Config config;
};

/// Where the sets run.
enum class SweepDevice {
    Cpu,
    /// Sets of the built-in strategies (sma_cross, macd_cross, rsi_reversion,
    /// bollinger_reversion, donchian_breakout; any protective orders and sizing) on the CUDA
    /// device (the gpu module), rule sets on the CPU; all on the CPU when there is no device.
    Gpu,
    /// As Gpu, with the device threads' code run by a host loop (tests without a device).
    GpuHostLoop,
};

struct SweepOptions {
    RankMetric metric;
    std::size_t top = 20;
    int threads = 0;  ///< 0: all cores
    SweepDevice device = SweepDevice::Cpu;
    std::optional<int> gpu_device;  ///< the CUDA device (default: the most free memory)
    double gpu_memory_limit = 0.8;  ///< [gpu] memory_limit: the share of its memory a batch holds
    /// A budget in bytes instead (tests: the host loop honours it too).
    std::optional<std::uint64_t> gpu_memory_bytes;
};

/// One (symbol, parameter set) result.
struct SweepRow {
    std::size_t symbol = 0;
    std::uint64_t set = 0;  ///< index into the grid
    backtest::Metrics metrics;
};

struct SweepOutcome {
    std::uint64_t evaluated = 0;            ///< (symbol, set) pairs run
    std::uint64_t skipped = 0;              ///< sets refused by the strategy (x symbols)
    std::vector<std::string> skip_reasons;  ///< distinct reasons, the first five
    std::vector<SweepRow> top;              ///< best first; ties: lower symbol, then set
    /// The daily Sharpe ratios of every run with one (the trials behind the best).
    SharpeTrials trials;
    /// The best run's Deflated Sharpe Ratio over those trials: the probability that its true
    /// Sharpe ratio is above 0 once the number of trials is accounted for (empty when it has
    /// no Sharpe ratio).
    std::optional<double> best_deflated_sharpe;
    /// With a GPU device: the (symbol, set) pairs the GPU ran, the pairs it left to the CPU
    /// (a strategy it does not take), and why the GPU ran nothing, if so.
    std::uint64_t gpu_evaluated = 0;
    std::uint64_t gpu_fallback = 0;
    std::string gpu_unavailable;
};

/// Called with every row, in (symbol, set) order.
using RowSink = std::function<void(const SweepRow&)>;
/// Called from the calling thread after each block of sets, with pairs done and total.
using SweepProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// Runs every set of `request` on every series. Sets the strategy refuses (fast >= slow...)
/// are counted with their reasons, not run. Moving averages of sma_cross are computed once per
/// series and period and shared by the sets; each thread reuses one simulation workspace.
/// Throws: tradpal::Exception for a bad series or an error that is not about the parameters.
SweepOutcome run_sweep(std::span<const backtest::SymbolSeries> series, const SweepRequest& request,
                       const SweepOptions& options, const RowSink& sink = {},
                       const SweepProgress& progress = {});

}  // namespace tradpal::research

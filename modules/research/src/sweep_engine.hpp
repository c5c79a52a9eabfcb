// SPDX-License-Identifier: Apache-2.0
// The machinery of run_sweep, shared with the MPI sweep: sets checked once, blocks of sets run
// on all cores, rows consumed in order into the ranking and the sink.
#pragma once

#include <cmath>
#include <cstddef>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <vector>

#include <tradpal/backtest/simulator.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/research/sweep.hpp>

namespace tradpal::research::detail {

/// The strategy and config of one set, or the reason the strategy refuses it.
struct PreparedSet {
    std::optional<backtest::StrategySpec> spec;
    backtest::Config config;
    std::string refusal;
};

/// Set `set` of the request: its strategy and config, or why the strategy refuses it.
PreparedSet prepare(const SweepRequest& request, std::uint64_t set);

/// True when a ranks before b.
struct Better {
    const RankMetric* metric;
    bool operator()(const SweepRow& a, const SweepRow& b) const {
        const double x = metric->value(a.metrics);
        const double y = metric->value(b.metrics);
        if (std::isnan(x) != std::isnan(y)) {
            return std::isnan(y);
        }
        if (!std::isnan(x) && x != y) {
            return metric->lower_is_better ? x < y : x > y;
        }
        return a.symbol != b.symbol ? a.symbol < b.symbol : a.set < b.set;
    }
};

class SweepEngine {
public:
    /// `block` sets per block (0: 64 per thread); every process of an MPI sweep must use the
    /// same.
    SweepEngine(std::span<const backtest::SymbolSeries> series, const SweepRequest& request,
                const SweepOptions& options, std::size_t block = 0);

    /// Blocks are numbered symbol by symbol, sets in request order within a symbol.
    std::size_t block_count() const noexcept;
    std::size_t block_size(std::size_t b) const noexcept;
    /// Appends block b's rows (the sets the strategy accepts), in set order. Blocks of one
    /// engine must come in increasing order. Throws: tradpal::Exception.
    void compute(std::size_t b, std::vector<SweepRow>& out);
    /// One row, in (symbol, set) order: counted, ranked, handed to `sink`.
    void consume(const SweepRow& row, const RowSink& sink);
    SweepOutcome finish();

private:
    std::span<const backtest::SymbolSeries> series_;
    const SweepRequest& request_;
    SweepOptions options_;
    int workers_;
    std::size_t block_;
    std::size_t blocks_per_symbol_ = 0;
    std::vector<PreparedSet> prepared_;
    SweepOutcome outcome_;
    std::priority_queue<SweepRow, std::vector<SweepRow>, Better> best_;
    std::vector<backtest::SimulationWorkspace> workspaces_;
    std::size_t symbol_ = 0;
    std::unique_ptr<backtest::AverageMemo> memo_;
    std::vector<double> atr_;
    /// With a GPU device: the metrics of the current symbol's sets that it ran, by set slot.
    std::vector<std::optional<backtest::Metrics>> gpu_rows_;
    bool gpu_off_ = false;  // no device (said once in outcome_.gpu_unavailable)

    /// Runs the current symbol's sets that the GPU takes there, into gpu_rows_.
    void run_gpu(const backtest::SymbolSeries& s);
};

}  // namespace tradpal::research::detail

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <exception>
#include <mutex>

#include <fmt/format.h>
#include <omp.h>

#include <tradpal/backtest/simulator.hpp>
#include <tradpal/research/multi.hpp>

namespace tradpal::research {

namespace bt = tradpal::backtest;

Result<Engine> parse_engine(std::string_view text) {
    if (text == "event") {
        return Engine::Event;
    }
    if (text == "vectorized") {
        return Engine::Vectorized;
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("unknown engine '{}' (event, vectorized)", text));
}

std::string_view to_string(Engine engine) noexcept {
    return engine == Engine::Event ? "event" : "vectorized";
}

bt::BacktestResult run_one(const bt::SymbolSeries& series, const bt::StrategySpec& spec,
                           const bt::Config& config, Engine engine) {
    if (engine == Engine::Vectorized) {
        const bt::SignalSet set = bt::build_signals(spec, series.bars).value();
        return bt::simulate(series, bt::SignalView::of(set), config);
    }
    std::unique_ptr<bt::Strategy> strategy = bt::make_strategy(spec).value();
    return bt::run_backtest(series, *strategy, config);
}

std::vector<bt::BacktestResult> run_each(std::span<const bt::SymbolSeries> series,
                                         const bt::StrategySpec& spec, const bt::Config& config,
                                         Engine engine, int threads, const RunProgress& progress) {
    const auto count = static_cast<std::int64_t>(series.size());
    std::vector<bt::BacktestResult> results(series.size());
    std::vector<std::exception_ptr> errors(series.size());
    std::mutex progress_mutex;
    std::size_t done = 0;
    const int workers =
        std::max(1, std::min<int>(threads > 0 ? threads : omp_get_max_threads(),
                                  static_cast<int>(std::max<std::int64_t>(count, 1))));
    // Exceptions may not leave an OpenMP region: each run keeps its own and the first one in
    // series order is rethrown afterwards.
#pragma omp parallel for schedule(dynamic, 1) num_threads(workers)
    for (std::int64_t k = 0; k < count; ++k) {
        const auto index = static_cast<std::size_t>(k);
        try {
            results[index] = run_one(series[index], spec, config, engine);
        } catch (...) {
            errors[index] = std::current_exception();
        }
        if (progress) {
            const std::lock_guard lock(progress_mutex);
            progress(++done, series.size());
        }
    }
    for (const std::exception_ptr& error : errors) {
        if (error) {
            std::rethrow_exception(error);
        }
    }
    return results;
}

Aggregate aggregate(std::span<const bt::BacktestResult> runs) {
    Aggregate a;
    double sharpe_sum = 0;
    std::size_t sharpes = 0;
    for (const bt::BacktestResult& r : runs) {
        const bt::Metrics& m = r.metrics;
        ++a.accounts;
        a.start_value += m.start_value;
        a.final_value += m.final_value;
        a.total_commission += m.total_commission;
        a.trades += m.trades;
        a.wins += m.wins;
        a.worst_max_drawdown_pct = std::max(a.worst_max_drawdown_pct, m.max_drawdown_pct);
        if (m.sharpe) {
            sharpe_sum += *m.sharpe;
            ++sharpes;
        }
    }
    a.total_return = a.start_value > 0 ? a.final_value / a.start_value - 1 : 0;
    if (a.trades > 0) {
        a.win_rate = static_cast<double>(a.wins) / static_cast<double>(a.trades);
    }
    if (sharpes > 0) {
        a.mean_sharpe = sharpe_sum / static_cast<double>(sharpes);
    }
    return a;
}

}  // namespace tradpal::research

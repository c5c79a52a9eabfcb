// SPDX-License-Identifier: Apache-2.0
// Backtest benchmarks on synthetic one-minute bars (data generate --seed 42), one core.
//   build/modules/backtest/tradpal_backtest_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true         (results: docs/BENCHMARKS.md)
#include <benchmark/benchmark.h>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/backtest/signals.hpp>
#include <tradpal/backtest/simulator.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/data/generate.hpp>

namespace tradpal::backtest {
namespace {

const BarSeries& bars_1m(std::size_t n) {
    static std::map<std::size_t, BarSeries> cache;
    auto it = cache.find(n);
    if (it == cache.end()) {
        data::SyntheticSpec spec;
        spec.bars = n;
        it = cache.emplace(n, data::synthetic_bars(spec)).first;
    }
    return it->second;
}

StrategySpec spec_of(const char* name, std::vector<std::string> params = {}) {
    return StrategySpec::make(name, params).value();
}

void set_bars_per_second(benchmark::State& state, std::size_t n) {
    state.counters["bars_per_s"] =
        benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate);
}

/// Event-driven sma_cross 10/30, indicators included (streaming exact SMAs), trades and equity
/// kept: the whole backtest a user runs.
void BM_EventSmaCross(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const SymbolSeries series{"SYN", bars_1m(n)};
    const StrategySpec spec = spec_of("sma_cross");
    for (auto _ : state) {
        auto strategy = make_strategy(spec).value();
        BacktestResult r = run_backtest(series, *strategy, Config{});
        benchmark::DoNotOptimize(r.metrics.final_value);
    }
    set_bars_per_second(state, n);
}
BENCHMARK(BM_EventSmaCross)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

/// The same with stops, take-profits and reversals.
void BM_EventSmaCrossShortStops(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const SymbolSeries series{"SYN", bars_1m(n)};
    const StrategySpec spec =
        spec_of("sma_cross", {"allow_short=true", "stop_loss=0.01", "take_profit=0.02"});
    for (auto _ : state) {
        auto strategy = make_strategy(spec).value();
        BacktestResult r = run_backtest(series, *strategy, Config{});
        benchmark::DoNotOptimize(r.metrics.final_value);
    }
    set_bars_per_second(state, n);
}
BENCHMARK(BM_EventSmaCrossShortStops)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

/// Signal arrays for sma_cross (the two exact SMAs and the crosses).
void BM_BuildSignalsSmaCross(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const StrategySpec spec = spec_of("sma_cross");
    for (auto _ : state) {
        SignalSet set = build_signals(spec, bars_1m(n)).value();
        benchmark::DoNotOptimize(set.long_entry.data());
    }
    set_bars_per_second(state, n);
}
BENCHMARK(BM_BuildSignalsSmaCross)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

/// The vectorized simulator from precomputed signals, metrics only (how sweeps run it).
void BM_SimulateMetrics(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const BarSeries& bars = bars_1m(n);
    const SignalSet set = build_signals(spec_of("sma_cross"), bars).value();
    const Config config;
    SimulationWorkspace workspace;
    for (auto _ : state) {
        Metrics m = simulate_metrics(bars, SignalView::of(set), config, {}, workspace);
        benchmark::DoNotOptimize(m.final_value);
    }
    set_bars_per_second(state, n);
}
BENCHMARK(BM_SimulateMetrics)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

/// The same with fewer trades (sma_cross 50/200: about a third as many round trips), to show
/// how the speed depends on how often the strategy trades.
void BM_SimulateMetricsSlowCross(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const BarSeries& bars = bars_1m(n);
    const SignalSet set =
        build_signals(spec_of("sma_cross", {"fast=50", "slow=200"}), bars).value();
    const Config config;
    SimulationWorkspace workspace;
    std::size_t trades = 0;
    for (auto _ : state) {
        Metrics m = simulate_metrics(bars, SignalView::of(set), config, {}, workspace);
        trades = m.trades;
        benchmark::DoNotOptimize(m.final_value);
    }
    state.counters["trades"] = static_cast<double>(trades);
    set_bars_per_second(state, n);
}
BENCHMARK(BM_SimulateMetricsSlowCross)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

/// The simulator from the two averages of sma_cross, finding the crossings as it goes: what
/// one parameter set of `tradpal sweep` costs once the averages are shared.
void BM_SimulateCrossMetrics(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const BarSeries& bars = bars_1m(n);
    std::vector<double> fast(n);
    std::vector<double> slow(n);
    signals::sma(bars.view().close(), 10, fast);
    signals::sma(bars.view().close(), 30, slow);
    const Config config;
    SimulationWorkspace workspace;
    for (auto _ : state) {
        Metrics m = simulate_cross_metrics(bars, fast, slow, false, {}, config, {}, workspace);
        benchmark::DoNotOptimize(m.final_value);
    }
    set_bars_per_second(state, n);
}
BENCHMARK(BM_SimulateCrossMetrics)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

/// The vectorized simulator keeping trades, fills and the equity column.
void BM_SimulateDetailed(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const SymbolSeries series{"SYN", bars_1m(n)};
    const SignalSet set = build_signals(spec_of("sma_cross"), series.bars).value();
    for (auto _ : state) {
        BacktestResult r = simulate(series, SignalView::of(set), Config{});
        benchmark::DoNotOptimize(r.metrics.final_value);
    }
    set_bars_per_second(state, n);
}
BENCHMARK(BM_SimulateDetailed)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

/// The exact (correctly rounded) rolling mean the strategies trade on.
void BM_ExactSma(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto close = bars_1m(n).view().close();
    std::vector<double> out(n);
    for (auto _ : state) {
        signals::sma(close, 30, out);
        benchmark::DoNotOptimize(out.data());
    }
    set_bars_per_second(state, n);
}
BENCHMARK(BM_ExactSma)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tradpal::backtest
BENCHMARK_MAIN();

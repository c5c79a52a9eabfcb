// SPDX-License-Identifier: Apache-2.0
// The GPU sweep next to the CPU simulator on all cores, on the same runs: sma_cross with
// 100 fast x 100 slow simple averages (10,000 sets) over 1M one-minute bars. The GPU time
// includes the upload of the bars and lines, the kernel, the download and the finishing of
// the metrics; the lines are computed once beforehand (BM_HostLines times that).
// The batch indicators (sma 20, ema 12, rsi 14, atr 14, bbands 20, macd 12/26/9) over 100
// series of 1M bars on the GPU (transfers included) next to modules/indicators on one core.
//   tradpal_gpu_bench [--benchmark_filter=...]   (TRADPAL_BENCH_BARS, TRADPAL_BENCH_SIDE,
//   TRADPAL_BENCH_SERIES: the bars, the periods per side and the indicator series, default
//   1000000, 100 and 100; scripts/gpu-check.sh runs it)
#include <cstdlib>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <omp.h>

#include <tradpal/backtest/signals.hpp>
#include <tradpal/backtest/simulator.hpp>
#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/gpu/device.hpp>
#include <tradpal/gpu/indicators.hpp>
#include <tradpal/gpu/sweep.hpp>
#include <tradpal/indicators/ma.hpp>
#include <tradpal/indicators/momentum.hpp>
#include <tradpal/indicators/volatility.hpp>

namespace {

namespace bt = tradpal::backtest;
namespace gpu = tradpal::gpu;

std::size_t env_or(const char* name, std::size_t fallback) {
    const char* text = std::getenv(name);
    return text != nullptr ? std::stoul(text) : fallback;
}

/// The bars, the lines and the batch of the benchmark, built once.
struct Sweep {
    tradpal::BarSeries series;
    std::vector<std::vector<double>> lines;
    gpu::SweepBatch batch;

    Sweep()
        : series(tradpal::data_testing::synthetic_ohlcv(env_or("TRADPAL_BENCH_BARS", 1'000'000), 7,
                                                        tradpal::Timeframe("1m"))) {
        const std::size_t side = env_or("TRADPAL_BENCH_SIDE", 100);
        lines.resize(2 * side);
        const tradpal::BarSeriesView bars = series.view();
#pragma omp parallel for schedule(dynamic, 1)
        for (std::int64_t k = 0; k < static_cast<std::int64_t>(lines.size()); ++k) {
            const auto slot = static_cast<std::size_t>(k);
            // Fast periods 5.., slow periods from 20 + side on: every pair is a valid set.
            const int period = static_cast<int>(slot < side ? 5 + slot : 20 + slot);
            lines[slot].resize(bars.size());
            bt::signals::sma(bars.close(), period, lines[slot]);
        }
        batch.symbols = {bars};
        for (const auto& line : lines) {
            batch.lines.emplace_back(line);
        }
        batch.configs = {bt::Config{}};
        for (std::uint32_t f = 0; f < side; ++f) {
            for (std::uint32_t s = 0; s < side; ++s) {
                batch.runs.push_back({.kind = gpu::RuleKind::Cross,
                                      .lines = {f, static_cast<std::uint32_t>(side + s)}});
            }
        }
    }
};

const Sweep& sweep() {
    static const Sweep instance;
    return instance;
}

void set_counters(benchmark::State& state, const Sweep& s) {
    state.counters["sets"] = static_cast<double>(s.batch.runs.size());
    state.counters["bars"] = static_cast<double>(s.series.size());
}

void BM_GpuCrossSweep(benchmark::State& state) {
    const Sweep& s = sweep();
    if (auto devices = gpu::query_devices(); !devices) {
        state.SkipWithError(devices.error().message.c_str());
        return;
    }
    for (auto _ : state) {
        auto metrics = gpu::simulate_sweep(s.batch);
        if (!metrics) {
            state.SkipWithError(metrics.error().message.c_str());
            return;
        }
        benchmark::DoNotOptimize(metrics->data());
    }
    set_counters(state, s);
}
BENCHMARK(BM_GpuCrossSweep)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_CpuCrossSweep(benchmark::State& state) {
    const Sweep& s = sweep();
    std::vector<bt::SimulationWorkspace> workspaces(
        static_cast<std::size_t>(omp_get_max_threads()));
    std::vector<bt::Metrics> out(s.batch.runs.size());
    for (auto _ : state) {
#pragma omp parallel for schedule(dynamic, 1)
        for (std::int64_t k = 0; k < static_cast<std::int64_t>(out.size()); ++k) {
            const gpu::SweepRun& run = s.batch.runs[static_cast<std::size_t>(k)];
            out[static_cast<std::size_t>(k)] = bt::simulate_cross_metrics(
                s.series.view(), s.batch.lines[run.lines[0]], s.batch.lines[run.lines[1]],
                run.allow_short, {}, s.batch.configs[run.config], {},
                workspaces[static_cast<std::size_t>(omp_get_thread_num())]);
        }
        benchmark::DoNotOptimize(out.data());
    }
    set_counters(state, s);
    state.counters["threads"] = omp_get_max_threads();
}
BENCHMARK(BM_CpuCrossSweep)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

void BM_HostLines(benchmark::State& state) {
    for (auto _ : state) {
        const Sweep fresh;
        benchmark::DoNotOptimize(fresh.lines.data());
    }
}
BENCHMARK(BM_HostLines)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

/// The series of the indicator benchmarks, built once.
struct Market {
    std::vector<tradpal::BarSeries> bars;
    std::vector<gpu::IndicatorSeries> series;
    std::vector<gpu::BatchIndicator> indicators = {
        {gpu::IndicatorKind::Sma, 20},    {gpu::IndicatorKind::Ema, 12},
        {gpu::IndicatorKind::Rsi, 14},    {gpu::IndicatorKind::Atr, 14},
        {gpu::IndicatorKind::Bbands, 20}, {gpu::IndicatorKind::Macd, 12, 26, 9}};

    Market() {
        const std::size_t count = env_or("TRADPAL_BENCH_SERIES", 100);
        const std::size_t n = env_or("TRADPAL_BENCH_BARS", 1'000'000);
        bars.resize(count);
#pragma omp parallel for schedule(dynamic, 1)
        for (std::int64_t k = 0; k < static_cast<std::int64_t>(count); ++k) {
            bars[static_cast<std::size_t>(k)] = tradpal::data_testing::synthetic_ohlcv(
                n, 100 + static_cast<std::uint64_t>(k), tradpal::Timeframe("1m"));
        }
        for (const tradpal::BarSeries& b : bars) {
            const tradpal::BarSeriesView v = b.view();
            series.push_back({v.high(), v.low(), v.close()});
        }
    }
};

const Market& market() {
    static const Market instance;
    return instance;
}

void BM_GpuIndicators(benchmark::State& state) {
    const Market& m = market();
    if (auto devices = gpu::query_devices(); !devices) {
        state.SkipWithError(devices.error().message.c_str());
        return;
    }
    for (auto _ : state) {
        auto out = gpu::batch_indicators(m.series, m.indicators);
        if (!out) {
            state.SkipWithError(out.error().message.c_str());
            return;
        }
        benchmark::DoNotOptimize(out->data());
    }
    state.counters["series"] = static_cast<double>(m.series.size());
}
BENCHMARK(BM_GpuIndicators)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_CpuIndicatorsOneCore(benchmark::State& state) {
    namespace ind = tradpal::indicators;
    const Market& m = market();
    const std::size_t n = m.series.empty() ? 0 : m.series[0].close.size();
    std::vector<double> a(n);
    std::vector<double> b(n);
    std::vector<double> c(n);
    for (auto _ : state) {
        for (const gpu::IndicatorSeries& s : m.series) {
            ind::sma(s.close, 20, a);
            ind::ema(s.close, 12, a);
            ind::rsi(s.close, 14, a);
            ind::atr(s.high, s.low, s.close, 14, a);
            ind::bbands(s.close, 20, 2, 2, ind::MaType::Sma, a, b, c);
            ind::macd(s.close, 12, 26, 9, a, b, c);
            benchmark::DoNotOptimize(a.data());
        }
    }
    state.counters["series"] = static_cast<double>(m.series.size());
}
BENCHMARK(BM_CpuIndicatorsOneCore)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();

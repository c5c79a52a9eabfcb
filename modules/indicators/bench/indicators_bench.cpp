// SPDX-License-Identifier: Apache-2.0
// Indicator benchmarks on 10M synthetic one-minute bars, one core unless said otherwise.
// Run: build/modules/indicators/tradpal_indicators_bench --benchmark_repetitions=5
//      --benchmark_report_aggregates_only=true     (results: docs/BENCHMARKS.md)
// The 14 indicators are those of TA-Lib's figures in ../shared/docs/PERFORMANCE_ANCHORS.md.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <tradpal/data/generate.hpp>
#include <tradpal/indicators/registry.hpp>

namespace tradpal::indicators {
namespace {

constexpr std::size_t kBars = 10'000'000;

const auto& kFourteen = kBenchmarkSet;

}  // namespace

/// The 10M benchmark bars (shared with talib_compare_bench.cpp).
const BarSeries& bench_bars() {
    static const BarSeries series = [] {
        data::SyntheticSpec spec;
        spec.bars = kBars;
        return data::synthetic_bars(spec);
    }();
    return series;
}

namespace {

const BarSeries& bars() {
    return bench_bars();
}

// Output columns reused across iterations (the caller provides them: no allocation per call).
struct Outputs {
    std::vector<std::vector<double>> columns;
    std::vector<std::span<double>> spans;
    explicit Outputs(std::size_t count) : columns(count, std::vector<double>(kBars)) {
        spans.assign(columns.begin(), columns.end());
    }
};

void BM_Batch(benchmark::State& state, const char* text) {
    auto spec = Spec::parse(text);
    if (!spec) {
        state.SkipWithError(spec.error().message.c_str());
        return;
    }
    const Inputs in = Inputs::from(bars());
    Outputs out(spec->output_count());
    for (auto _ : state) {
        spec->compute(in, out.spans);
        benchmark::DoNotOptimize(out.columns[0].data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBars));
    state.counters["ns_per_bar"] =
        benchmark::Counter(static_cast<double>(state.iterations() * kBars),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_AllFourteen(benchmark::State& state) {
    std::vector<Spec> specs;
    std::vector<Outputs> outs;
    for (const char* text : kFourteen) {
        auto spec = Spec::parse(text);
        if (!spec) {
            state.SkipWithError(spec.error().message.c_str());
            return;
        }
        outs.emplace_back(spec->output_count());
        specs.push_back(std::move(*spec));
    }
    const Inputs in = Inputs::from(bars());
    for (auto _ : state) {
        for (std::size_t k = 0; k < specs.size(); ++k) {
            specs[k].compute(in, outs[k].spans);
        }
        benchmark::ClobberMemory();
    }
    state.counters["ns_per_bar"] =
        benchmark::Counter(static_cast<double>(state.iterations() * kBars),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_AllFourteen)->Unit(benchmark::kMillisecond);

// Streaming: one update per bar through the registry's IndicatorStream interface.
void BM_Stream(benchmark::State& state, const char* text) {
    auto spec = Spec::parse(text);
    if (!spec) {
        state.SkipWithError(spec.error().message.c_str());
        return;
    }
    const BarSeries& b = bars();
    const std::size_t n = 1'000'000;
    std::vector<double> v(spec->output_count());
    for (auto _ : state) {
        auto s = spec->stream();
        for (std::size_t i = 0; i < n; ++i) {
            s->update(b.bar(i));
        }
        s->values(v);
        benchmark::DoNotOptimize(v.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// Many indicators on many symbols on every core (8 symbols x the 14 indicators).
void BM_ComputeAllParallel(benchmark::State& state) {
    const int threads = static_cast<int>(state.range(0));
    constexpr std::size_t kSymbols = 8;
    constexpr std::size_t kSymbolBars = 1'000'000;
    const BarSeries& b = bars();
    std::vector<Spec> specs;
    for (const char* text : kFourteen) {
        auto spec = Spec::parse(text);
        if (!spec) {
            state.SkipWithError(spec.error().message.c_str());
            return;
        }
        specs.push_back(std::move(*spec));
    }
    std::vector<std::vector<double>> storage;
    std::vector<ComputeJob> jobs;
    for (std::size_t s = 0; s < kSymbols; ++s) {
        const Inputs in = Inputs::from(b.view().slice(s * kSymbolBars, kSymbolBars));
        for (const Spec& spec : specs) {
            ComputeJob job{&spec, in, {}};
            for (std::size_t o = 0; o < spec.output_count(); ++o) {
                storage.emplace_back(kSymbolBars);
            }
            jobs.push_back(std::move(job));
        }
    }
    std::size_t next = 0;
    for (ComputeJob& job : jobs) {
        for (std::size_t o = 0; o < job.spec->output_count(); ++o) {
            job.outputs.emplace_back(storage[next++]);
        }
    }
    for (auto _ : state) {
        compute_all(jobs, threads);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kSymbols * kSymbolBars));
}
BENCHMARK(BM_ComputeAllParallel)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

int register_all = [] {
    for (const char* text : kFourteen) {
        benchmark::RegisterBenchmark((std::string("BM_Batch/") + text).c_str(), BM_Batch, text)
            ->Unit(benchmark::kMillisecond);
    }
    for (const char* text : {"sma(20)", "ema(20)", "rsi(14)", "atr(14)"}) {
        benchmark::RegisterBenchmark((std::string("BM_Stream/") + text).c_str(), BM_Stream, text)
            ->Unit(benchmark::kMillisecond);
    }
    return 0;
}();

}  // namespace
}  // namespace tradpal::indicators

BENCHMARK_MAIN();

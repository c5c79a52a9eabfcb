// SPDX-License-Identifier: Apache-2.0
// What monitoring costs: a stage timer (on and off), a recorded duration, one process sample
// (two /proc reads), a failed NVML load (what a machine without a driver pays once), and all
// that `--profile` adds to a command: the sampler thread started and stopped (a sample at each
// end, the NVML attempt), three stages, the table and the JSON.
// Run: build/modules/monitor/tradpal_monitor_bench --benchmark_repetitions=5
//      --benchmark_report_aggregates_only=true
#include <chrono>
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <tradpal/monitor/nvml.hpp>
#include <tradpal/monitor/performance_monitor.hpp>
#include <tradpal/monitor/process.hpp>
#include <tradpal/monitor/timers.hpp>

namespace tradpal::monitor {
namespace {

// Every duration is kept, so the timers are emptied now and then to keep memory flat; the
// amortised cost of that is part of the figure (it is part of long runs too).
constexpr std::uint64_t kClearEvery = 1 << 20;

void BM_ScopedTimer(benchmark::State& state) {
    static Timers timers;  // shared by the threads of ->Threads(2)
    std::uint64_t n = 0;
    for (auto _ : state) {
        ScopedTimer t = timers.scope("stage");
        benchmark::DoNotOptimize(t);
        if (++n % kClearEvery == 0 && state.thread_index() == 0) {
            timers.clear();
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScopedTimer)->Threads(1)->Threads(2);

void BM_ScopedTimerOff(benchmark::State& state) {
    for (auto _ : state) {
        ScopedTimer t(nullptr, "stage");  // what a command pays without --profile
        benchmark::DoNotOptimize(t);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScopedTimerOff);

void BM_TimersRecord(benchmark::State& state) {
    Timers timers;
    std::uint64_t n = 0;
    for (auto _ : state) {
        timers.record("stage", 1e-3);
        if (++n % kClearEvery == 0) {
            timers.clear();
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimersRecord);

void BM_TimersStats(benchmark::State& state) {
    Timers timers;
    for (std::int64_t i = 0; i < state.range(0); ++i) {
        timers.record("stage", static_cast<double>(i % 977) * 1e-6);
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(timers.stats());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TimersStats)->Arg(10)->Arg(10000);

void BM_ProcessSample(benchmark::State& state) {
    ProcessSampler sampler;
    for (auto _ : state) {
        benchmark::DoNotOptimize(sampler.sample());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProcessSample);

void BM_NvmlOpen(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(Nvml::open());
    }
}
BENCHMARK(BM_NvmlOpen)->Iterations(20);

void BM_ProfiledCommand(benchmark::State& state) {
    for (auto _ : state) {
        PerformanceMonitor monitor;
        monitor.start(std::chrono::milliseconds(100));
        for (const char* stage : {"load", "backtest", "report"}) {
            const ScopedTimer t = monitor.stage(stage);
        }
        monitor.stop();
        std::string table = monitor.table();
        std::string json = monitor.to_json().dump(2);
        benchmark::DoNotOptimize(table);
        benchmark::DoNotOptimize(json);
    }
}
BENCHMARK(BM_ProfiledCommand)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tradpal::monitor

BENCHMARK_MAIN();

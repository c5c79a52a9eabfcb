// SPDX-License-Identifier: Apache-2.0
// The 14 indicators of the indicator benchmarks on 1M synthetic one-minute bars: computing them
// against reading them back from each cache level (docs/BENCHMARKS.md, "Cache").
//   build/modules/cache/tradpal_cache_levels_bench
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// The Redis case needs a server: TRADPAL_BENCH_REDIS_PORT=6379 (it is skipped otherwise).
#include <cstdlib>
#include <filesystem>

#include <benchmark/benchmark.h>

#include <tradpal/cache/cache.hpp>
#include <tradpal/data/generate.hpp>
#include <tradpal/indicators/registry.hpp>

namespace tradpal::cache {
namespace {

constexpr std::size_t kBars = 1'000'000;

const BarSeries& bars() {
    static const BarSeries series = [] {
        data::SyntheticSpec spec;
        spec.bars = kBars;
        return data::synthetic_bars(spec);
    }();
    return series;
}

/// What `indicators --cache` would store: the times and every output column.
Value compute_fourteen() {
    const BarSeriesView view = bars();
    const indicators::Inputs in = indicators::Inputs::from(view);
    Value value;
    value.columns.push_back(Column::of("ts", view.ts()));
    for (const char* text : indicators::kBenchmarkSet) {
        const indicators::Spec spec = indicators::Spec::parse(text).value();
        std::vector<std::vector<double>> columns(spec.output_count(), std::vector<double>(kBars));
        std::vector<std::span<double>> spans(columns.begin(), columns.end());
        spec.compute(in, spans);
        const std::vector<std::string> names = spec.output_names();
        for (std::size_t o = 0; o < columns.size(); ++o) {
            value.columns.push_back(Column::of(names[o], columns[o]));
        }
    }
    return value;
}

const Key& bench_key() {
    static const Key key = KeyBuilder("indicators").add("bench", "fourteen").build();
    return key;
}

std::filesystem::path bench_dir() {
    return std::filesystem::temp_directory_path() / "tradpal_cache_bench";
}

void set_counters(benchmark::State& state, const Value& value) {
    state.counters["MB"] = static_cast<double>(value.payload_bytes()) / 1e6;
}

void BM_CacheRecompute(benchmark::State& state) {
    (void)bars();
    for (auto _ : state) {
        Value v = compute_fourteen();
        benchmark::DoNotOptimize(v.columns.data());
    }
}
BENCHMARK(BM_CacheRecompute)->Unit(benchmark::kMillisecond);

/// One level on, the others off; the value stored once before timing.
void run_hit(benchmark::State& state, CacheConfig config) {
    Cache cache(config);
    const Value value = compute_fourteen();
    cache.put(bench_key(), value);
    for (auto _ : state) {
        auto hit = cache.get(bench_key());
        if (!hit) {
            state.SkipWithError("the value was not found in the cache");
            return;
        }
        benchmark::DoNotOptimize(hit.get());
    }
    set_counters(state, value);
    state.counters["stored_MB"] = static_cast<double>(encode(value).size()) / 1e6;
}

CacheConfig only(bool memory, bool redis, bool files) {
    CacheConfig c;
    c.memory = memory;
    c.redis = redis;
    c.files = files;
    c.file_dir = bench_dir();
    c.ttl_seconds = {{"indicators", 3600}};
    return c;
}

void BM_CacheMemoryHit(benchmark::State& state) {
    run_hit(state, only(true, false, false));
}
BENCHMARK(BM_CacheMemoryHit)->Unit(benchmark::kMillisecond);

void BM_CacheFileHit(benchmark::State& state) {
    run_hit(state, only(false, false, true));
    std::filesystem::remove_all(bench_dir());
}
BENCHMARK(BM_CacheFileHit)->Unit(benchmark::kMillisecond);

void BM_CacheRedisHit(benchmark::State& state) {
    const char* port = std::getenv("TRADPAL_BENCH_REDIS_PORT");
    if (port == nullptr) {
        state.SkipWithError("set TRADPAL_BENCH_REDIS_PORT to a running redis-server");
        return;
    }
    CacheConfig config = only(false, true, false);
    config.redis_options.port = std::atoi(port);
    config.redis_options.command_timeout = std::chrono::milliseconds(10'000);
    run_hit(state, config);
}
BENCHMARK(BM_CacheRedisHit)->Unit(benchmark::kMillisecond);

/// Writing through every level but Redis: encoding (checksum, compression) and the file.
void BM_CachePutFiles(benchmark::State& state) {
    Cache cache(only(false, false, true));
    const Value value = compute_fourteen();
    for (auto _ : state) {
        cache.put(bench_key(), value);
    }
    set_counters(state, value);
    std::filesystem::remove_all(bench_dir());
}
BENCHMARK(BM_CachePutFiles)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tradpal::cache

BENCHMARK_MAIN();

// SPDX-License-Identifier: Apache-2.0
// Data module benchmarks. Run: build/modules/data/tradpal_data_bench --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true   (results and commands: docs/BENCHMARKS.md)
#include <map>
#include <memory>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <tradpal/data/csv.hpp>
#include <tradpal/data/generate.hpp>
#include <tradpal/data/resample.hpp>
#include <tradpal/data/validate.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::data {
namespace {

// A synthetic 1-minute series in a temporary store, made once per size.
struct Fixture {
    data_testing::TempDir dir{"tradpal_bench"};
    Store store{dir.path()};
    SeriesKey key;
    std::string csv;  // the same bars as CSV text (made on demand)

    explicit Fixture(std::uint64_t bars) {
        SyntheticSpec spec;
        spec.bars = bars;
        key = generate_series(store, spec, "bench", true).key;
    }
    const std::string& csv_text() {
        if (csv.empty()) {
            const StoredSeries s = store.open(key).value();
            csv = data_testing::to_csv(s.view());
        }
        return csv;
    }
};

Fixture& fixture(std::uint64_t bars) {
    static std::map<std::uint64_t, std::unique_ptr<Fixture>> all;
    auto& f = all[bars];
    if (!f) {
        f = std::make_unique<Fixture>(bars);
    }
    return *f;
}

// Parsing CSV text in memory: arg 0 = rows, arg 1 = threads.
void BM_CsvParse(benchmark::State& state) {
    const std::string& text = fixture(static_cast<std::uint64_t>(state.range(0))).csv_text();
    CsvOptions options;
    options.threads = static_cast<int>(state.range(1));
    for (auto _ : state) {
        CsvReader reader = CsvReader::from_string(text, options).value();
        std::size_t rows = 0;
        while (const std::size_t n =
                   reader
                       .read_blocks([](const BarSeriesView& b, std::span<const std::uint64_t>) {
                           benchmark::DoNotOptimize(b.close().data());
                       })
                       .value()) {
            rows += n;
        }
        benchmark::DoNotOptimize(rows);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CsvParse)->Args({1'000'000, 1})->Args({1'000'000, 2})->Unit(benchmark::kMillisecond);

// Open a stored series (meta.json + mmap) and sum its closes: page cache warm after the first.
void BM_StoreOpenSumClose(benchmark::State& state) {
    Fixture& f = fixture(static_cast<std::uint64_t>(state.range(0)));
    for (auto _ : state) {
        const StoredSeries s = f.store.open(f.key).value();
        double sum = 0;
        for (double c : s.view().close()) {
            sum += c;
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_StoreOpenSumClose)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

void BM_ValidateSeries(benchmark::State& state) {
    Fixture& f = fixture(static_cast<std::uint64_t>(state.range(0)));
    const StoredSeries s = f.store.open(f.key).value();
    for (auto _ : state) {
        benchmark::DoNotOptimize(validate_series(s, 262'144).rows);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ValidateSeries)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

void BM_Resample1mTo1h(benchmark::State& state) {
    Fixture& f = fixture(static_cast<std::uint64_t>(state.range(0)));
    const StoredSeries s = f.store.open(f.key).value();
    BarSeries out;
    for (auto _ : state) {
        Resampler r = Resampler::create(Timeframe("1m"), Timeframe("1h")).value();
        out.clear();
        r.consume(s.view(), out);
        r.finish(out);
        benchmark::DoNotOptimize(out.size());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Resample1mTo1h)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

void BM_TimestampParseIso(benchmark::State& state) {
    const std::string text = "2024-03-01T12:34:56Z";
    TimestampParser parser;
    for (auto _ : state) {
        benchmark::DoNotOptimize(parser.parse(text));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimestampParseIso);

}  // namespace
}  // namespace tradpal::data

BENCHMARK_MAIN();

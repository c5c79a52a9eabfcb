// SPDX-License-Identifier: Apache-2.0
// Cache value codec: encode and decode speed (bytes/s of column data) and the ratio of column
// data to encoded bytes, per compression and filter. Real 1m crypto data is used when the shared
// folder is present (TRADPAL_SHARED_DIR, else ../shared beside the repository).
// Run: build/modules/cache/tradpal_cache_bench --benchmark_min_time=0.1 --benchmark_repetitions=3
// --benchmark_report_aggregates_only=true   (about 2 minutes on 2 cores)
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <tradpal/cache/codec.hpp>
#include <tradpal/data/csv.hpp>
#include <tradpal/data/generate.hpp>

namespace tradpal::cache {
namespace {

struct Case {
    std::string name;
    Value value;
};

struct Mode {
    std::string name;
    EncodeOptions options;
};

std::optional<std::filesystem::path> shared_data_dir() {
    const char* env = std::getenv("TRADPAL_SHARED_DIR");
    const std::filesystem::path shared =
        env != nullptr && *env != '\0'
            ? std::filesystem::path(env)
            : std::filesystem::path(__FILE__).parent_path() / "../../../../shared";
    std::error_code ec;
    if (!std::filesystem::is_directory(shared / "data", ec)) {
        return std::nullopt;
    }
    return shared / "data";
}

Value bar_columns(const BarSeriesView& b) {
    return {{Column::of("ts", b.ts()), Column::of("open", b.open()), Column::of("high", b.high()),
             Column::of("low", b.low()), Column::of("close", b.close()),
             Column::of("volume", b.volume())}};
}

void add_series(std::vector<Case>& cases, const std::string& tag, const BarSeriesView& b) {
    const std::string rows = std::to_string(b.size() / 1000) + "k";
    cases.push_back({tag + "_close_" + rows, {{Column::of("close", b.close())}}});
    cases.push_back({tag + "_ts_" + rows, {{Column::of("ts", b.ts())}}});
    cases.push_back({tag + "_bars_" + rows, bar_columns(b)});
}

std::vector<Case> make_cases() {
    std::vector<Case> cases;
    data::SyntheticSpec spec;
    spec.bars = 1'000'000;
    add_series(cases, "synthetic", data::synthetic_bars(spec).view());
    const auto dir = shared_data_dir();
    if (!dir) {
        std::cerr << "shared data folder absent: real 1m crypto cases skipped\n";
        return cases;
    }
    const std::pair<const char*, const char*> files[] = {
        {"btcperp", "nautilus-1m/btc-perp-20211231-20220201_1m.csv"},
        {"btcusdt", "btc-1m-binanceus-2023-03/binance/BTCUSDT_1m_20230301_20230321.csv"},
    };
    for (const auto& [tag, file] : files) {
        auto bars = data::read_bars_csv(*dir / file);
        if (!bars) {
            std::cerr << file << ": " << bars.error().message << " (skipped)\n";
            continue;
        }
        add_series(cases, tag, bars->view());
    }
    return cases;
}

std::vector<Mode> modes() {
    const auto mode = [](Compression c, Filter f, int level = 1) {
        std::string name(to_string(c));
        if (c == Compression::Zstd) {
            name += std::to_string(level);
        }
        return Mode{name + "/" + std::string(to_string(f)), EncodeOptions{c, level, f}};
    };
    return {mode(Compression::None, Filter::None),
            mode(Compression::Lz4, Filter::None),
            mode(Compression::Lz4, Filter::Shuffle),
            mode(Compression::Lz4, Filter::Delta),
            mode(Compression::Lz4, Filter::Auto),
            mode(Compression::Zstd, Filter::None),
            mode(Compression::Zstd, Filter::Shuffle),
            mode(Compression::Zstd, Filter::Delta),
            mode(Compression::Zstd, Filter::Auto),
            mode(Compression::Zstd, Filter::Auto, 3),
            mode(Compression::Auto, Filter::Auto, EncodeOptions{}.zstd_level)};
}

void report(benchmark::State& state, const Value& value, const std::vector<std::uint8_t>& encoded) {
    const auto data_bytes = static_cast<std::int64_t>(value.payload_bytes());
    state.SetBytesProcessed(state.iterations() * data_bytes);
    state.counters["ratio"] = static_cast<double>(data_bytes) / static_cast<double>(encoded.size());
    state.SetLabel(std::string(to_string(peek(encoded)->compression)));
}

void encode_bench(benchmark::State& state, const Value& value, const EncodeOptions& options) {
    std::vector<std::uint8_t> encoded;
    for (auto _ : state) {
        encoded = encode(value, 0, options);
        benchmark::DoNotOptimize(encoded.data());
    }
    report(state, value, encoded);
}

void decode_bench(benchmark::State& state, const Value& value, const EncodeOptions& options) {
    const std::vector<std::uint8_t> encoded = encode(value, 0, options);
    for (auto _ : state) {
        Result<Value> decoded = decode(encoded);
        if (!decoded) {
            state.SkipWithError(decoded.error().message.c_str());
            return;
        }
        benchmark::DoNotOptimize(decoded->columns.data());
    }
    report(state, value, encoded);
}

// Small JSON text (a backtest summary) cut to `bytes`: where compression stops paying.
void BM_CodecSmallText(benchmark::State& state, Compression compression) {
    std::string json;
    for (int i = 0; json.size() < 4096; ++i) {
        json += "{\"set\":" + std::to_string(i) + ",\"fast\":" + std::to_string(5 + i % 20) +
                ",\"slow\":" + std::to_string(50 + i % 7 * 10) +
                ",\"trades\":" + std::to_string(100 + i * 37 % 400) +
                ",\"sharpe\":" + std::to_string(0.5 + (i * 7919 % 1000) / 997.0) +
                ",\"max_drawdown\":" + std::to_string((i * 104729 % 1000) / 3001.0) + "},";
    }
    const Value value{
        {Column::text("result", json.substr(0, static_cast<std::size_t>(state.range(0))))}};
    EncodeOptions options;
    options.compression = compression;
    encode_bench(state, value, options);
}
BENCHMARK_CAPTURE(BM_CodecSmallText, none, Compression::None)->RangeMultiplier(2)->Range(64, 4096);
BENCHMARK_CAPTURE(BM_CodecSmallText, lz4, Compression::Lz4)->RangeMultiplier(2)->Range(64, 4096);
BENCHMARK_CAPTURE(BM_CodecSmallText, zstd, Compression::Zstd)->RangeMultiplier(2)->Range(64, 4096);

}  // namespace
}  // namespace tradpal::cache

int main(int argc, char** argv) {
    namespace cache = tradpal::cache;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    // Registered benchmarks keep references to these until the run ends.
    static const std::vector<cache::Case> cases = cache::make_cases();
    static const std::vector<cache::Mode> all_modes = cache::modes();
    for (const cache::Case& c : cases) {
        for (const cache::Mode& m : all_modes) {
            benchmark::RegisterBenchmark(
                ("BM_CodecEncode/" + c.name + "/" + m.name).c_str(),
                [&c, &m](benchmark::State& s) { cache::encode_bench(s, c.value, m.options); })
                ->Unit(benchmark::kMicrosecond);
            benchmark::RegisterBenchmark(
                ("BM_CodecDecode/" + c.name + "/" + m.name).c_str(),
                [&c, &m](benchmark::State& s) { cache::decode_bench(s, c.value, m.options); })
                ->Unit(benchmark::kMicrosecond);
        }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

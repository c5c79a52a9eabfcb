// SPDX-License-Identifier: Apache-2.0
// API body parsers on synthetic bodies in the exchanges' wire formats (compact JSON). Run:
// build/modules/data/tradpal_data_bench --benchmark_filter='Api' --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true
#include <algorithm>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <tradpal/data/api_formats.hpp>

namespace tradpal::data {
namespace {

// A random walk of prices around `start`, for every body below.
class Walk {
public:
    explicit Walk(double start) : price_(start) {}
    double next() {
        price_ *= 1 + step_(random_);
        return price_;
    }
    double volume() { return volume_(random_); }

private:
    std::mt19937_64 random_{42};
    std::normal_distribution<double> step_{0, 0.001};
    std::exponential_distribution<double> volume_{0.05};
    double price_;
};

// `n` one-minute klines as /api/v3/klines sends them: 12 fields, 8-decimal number strings.
std::string binance_body(std::size_t n) {
    Walk walk(43'500);
    std::string body = "[";
    std::int64_t open_ms = 1'706'630'400'000;
    for (std::size_t i = 0; i < n; ++i, open_ms += 60'000) {
        const double open = walk.next();
        const double close = walk.next();
        const double volume = walk.volume();
        fmt::format_to(
            std::back_inserter(body),
            R"({}[{},"{:.8f}","{:.8f}","{:.8f}","{:.8f}","{:.8f}",{},"{:.8f}",{},"{:.8f}",)"
            R"("{:.8f}","0"])",
            i == 0 ? "" : ",", open_ms, open, std::max(open, close) * 1.0005,
            std::min(open, close) * 0.9995, close, volume, open_ms + 59'999, volume * close,
            1000 + i % 3000, volume / 2, volume * close / 2);
    }
    body += "]";
    return body;
}

// `n` one-minute rows of /0/public/OHLC: 1-decimal prices, 8-decimal vwap and volume strings.
std::string kraken_body(std::size_t n) {
    Walk walk(106'000);
    std::string body = R"({"error":[],"result":{"XXBTZUSD":[)";
    std::int64_t time = 1'762'777'020;
    for (std::size_t i = 0; i < n; ++i, time += 60) {
        const double open = walk.next();
        const double close = walk.next();
        fmt::format_to(std::back_inserter(body),
                       R"({}[{},"{:.1f}","{:.1f}","{:.1f}","{:.1f}","{:.1f}","{:.8f}",{}])",
                       i == 0 ? "" : ",", time, open, std::max(open, close) + 10,
                       std::min(open, close) - 10, close, (open + close) / 2, walk.volume() / 100,
                       i % 40);
    }
    // `last` is the newest closed minute: the row before the still open one.
    fmt::format_to(std::back_inserter(body), R"(],"last":{}}}}})", time - 120);
    return body;
}

// `n` daily rows of /v8/finance/chart: parallel arrays of float32 prices printed as doubles
// (127.58000183105469), as Yahoo sends them.
std::string yahoo_body(std::size_t n) {
    Walk walk(120);
    std::vector<double> columns[4];
    std::string volumes;
    std::string times;
    for (std::size_t i = 0; i < n; ++i) {
        const double open = walk.next();
        const double close = walk.next();
        const double prices[] = {open, std::max(open, close) * 1.001, std::min(open, close) * 0.999,
                                 close};
        for (std::size_t c = 0; c < 4; ++c) {
            columns[c].push_back(static_cast<float>(prices[c]));
        }
        fmt::format_to(std::back_inserter(volumes), "{}{}", i == 0 ? "" : ",",
                       static_cast<std::int64_t>(walk.volume() * 1e7));
        fmt::format_to(std::back_inserter(times), "{}{}", i == 0 ? "" : ",",
                       1'277'818'200 + static_cast<std::int64_t>(i) * 86'400);
    }
    std::string body =
        R"({"chart":{"result":[{"meta":{"currency":"USD","symbol":"TSLA","exchangeName":"NMS",)"
        R"("gmtoffset":-18000,"exchangeTimezoneName":"America/New_York"},"timestamp":[)";
    body += times;
    body += R"(],"events":{"splits":{"1598880600":{"date":1598880600,"numerator":5,)"
            R"("denominator":1,"splitRatio":"5:1"}}},"indicators":{"quote":[{)";
    const char* names[] = {"open", "high", "low", "close"};
    for (std::size_t c = 0; c < 4; ++c) {
        fmt::format_to(std::back_inserter(body), R"("{}":[{}],)", names[c],
                       fmt::join(columns[c], ","));
    }
    fmt::format_to(std::back_inserter(body),
                   R"("volume":[{}]}}],"adjclose":[{{"adjclose":[{}]}}]}})"
                   R"(}}],"error":null}}}})",
                   volumes, fmt::join(columns[3], ","));
    return body;
}

const std::string& body(std::string (*make)(std::size_t), std::size_t n) {
    static std::map<std::pair<std::string (*)(std::size_t), std::size_t>, std::string> all;
    std::string& text = all[{make, n}];
    if (text.empty()) {
        text = make(n);
    }
    return text;
}

void report(benchmark::State& state, std::size_t bytes) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ApiBinanceKlines(benchmark::State& state) {
    const std::string& text = body(binance_body, static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        benchmark::DoNotOptimize(parse_binance_klines(text).value().bars.size());
    }
    report(state, text.size());
}
BENCHMARK(BM_ApiBinanceKlines)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_ApiKrakenOhlc(benchmark::State& state) {
    const std::string& text = body(kraken_body, static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        benchmark::DoNotOptimize(parse_kraken_ohlc(text).value().bars.size());
    }
    report(state, text.size());
}
BENCHMARK(BM_ApiKrakenOhlc)->Arg(720)->Unit(benchmark::kMicrosecond);

void BM_ApiYahooChart(benchmark::State& state) {
    const std::string& text = body(yahoo_body, static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        benchmark::DoNotOptimize(parse_yahoo_chart(text).value().bars.size());
    }
    report(state, text.size());
}
BENCHMARK(BM_ApiYahooChart)->Arg(10'000)->Unit(benchmark::kMicrosecond);

// What the parsers pay before simdjson starts: a fresh buffer and a copy of the body (the
// padding simdjson needs), for comparison with BM_ApiBinanceKlines.
void BM_ApiBodyCopy(benchmark::State& state) {
    const std::string& text = body(binance_body, static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        const auto copy = std::make_unique_for_overwrite<char[]>(text.size() + 64);
        std::memcpy(copy.get(), text.data(), text.size());
        benchmark::DoNotOptimize(copy.get());
    }
    report(state, text.size());
}
BENCHMARK(BM_ApiBodyCopy)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tradpal::data

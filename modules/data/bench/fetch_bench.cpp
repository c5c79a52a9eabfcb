// SPDX-License-Identifier: Apache-2.0
// Fetching many symbols through the Binance source from a fake server on loopback: is the time
// set by the configured rate limit or by our client? Run:
//   build/modules/data/tradpal_data_fetch_bench
// (results and commands: docs/BENCHMARKS.md, "Data sources").
#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <tradpal/data/sources.hpp>
#include <tradpal/data_testing/fake_http.hpp>

namespace tradpal::data {
namespace {

using data_testing::FakeReply;
using data_testing::FakeServer;
using data_testing::SeenRequest;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kStartMs = 1'577'836'800'000;  // 2020-01-01T00:00:00Z
constexpr std::int64_t kPageBars = 1000;              // what the Binance source asks for

// Full pages of one-minute klines in Binance's format, whatever the symbol.
FakeReply klines(const SeenRequest& seen) {
    const std::int64_t from = std::stoll(seen.query.at("startTime"));
    const std::int64_t to = std::stoll(seen.query.at("endTime"));
    std::int64_t t = std::max(kStartMs, (from + kMinuteMs - 1) / kMinuteMs * kMinuteMs);
    FakeReply reply;
    reply.body.reserve(kPageBars * 150);
    reply.body += '[';
    for (std::int64_t n = 0; n < kPageBars && t <= to; ++n, t += kMinuteMs) {
        const double price = 40'000 + static_cast<double>((t / kMinuteMs) % 997);
        fmt::format_to(std::back_inserter(reply.body),
                       R"({}[{},"{:.8f}","{:.8f}","{:.8f}","{:.8f}","12.34500000",{},)"
                       R"("493800.00000000",321,"6.10000000","244000.00000000","0"])",
                       n == 0 ? "" : ",", t, price, price + 5, price - 5, price + 1,
                       t + kMinuteMs - 1);
    }
    reply.body += ']';
    return reply;
}

// args: symbols, pages per symbol, requests per second (0 = no limit), workers.
void BM_FetchManySymbols(benchmark::State& state) {
    const auto symbols = static_cast<int>(state.range(0));
    const std::int64_t pages = state.range(1);
    const auto rate = static_cast<double>(state.range(2));
    const auto workers = static_cast<int>(state.range(3));
    FakeServer server(klines);
    std::uint64_t requests = 0;
    std::uint64_t bars = 0;
    for (auto _ : state) {
        auto client = std::make_shared<HttpClient>();
        HostPolicy policy;
        policy.rate = rate > 0 ? rate : 1e9;
        policy.burst = rate > 0 ? std::max(1.0, rate / 20) : 1e9;
        client->set_policy(server.url(), policy);
        const auto source = make_binance_source({server.url(), client});
        const FetchRequest request{
            "BTC/USDT", Timeframe("1m"), Timestamp(kStartMs * 1'000'000),
            Timestamp((kStartMs + pages * kPageBars * kMinuteMs) * 1'000'000), Timestamp::max()};
        std::atomic<int> next{0};
        std::atomic<std::uint64_t> got{0};
        std::atomic<bool> failed{false};
        const auto work = [&] {
            while (next++ < symbols) {
                auto result = source->fetch(request);
                if (!result) {
                    failed = true;
                    return;
                }
                got += result->bars.size();
            }
        };
        std::vector<std::jthread> threads;
        for (int w = 0; w < workers; ++w) {
            threads.emplace_back(work);
        }
        threads.clear();
        if (failed) {
            state.SkipWithError("a fetch failed");
            return;
        }
        requests = client->stats().requests;
        bars = got;
    }
    state.counters["requests"] = static_cast<double>(requests);
    state.counters["bars"] = static_cast<double>(bars);
    state.counters["requests_per_s"] =
        benchmark::Counter(static_cast<double>(requests), benchmark::Counter::kIsRate);
    if (rate > 0) {
        // Time the limiter alone allows: the burst goes at once, then one request per 1/rate.
        state.counters["limit_s"] = (static_cast<double>(requests) - rate / 20) / rate;
    }
}
BENCHMARK(BM_FetchManySymbols)
    ->ArgNames({"symbols", "pages", "rate", "workers"})
    ->Args({20, 1000, 0, 8})
    ->Args({20, 1000, 500, 8})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace tradpal::data

BENCHMARK_MAIN();

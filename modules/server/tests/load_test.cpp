// SPDX-License-Identifier: Apache-2.0
// 100 clients for 10 s against one server: no errors, and the resident set does not grow
// with the number of requests (label slow).
#include <atomic>
#include <fstream>

#include <fmt/format.h>
#include <unistd.h>

#include "server_fixture.hpp"

namespace tradpal::server::testing {
namespace {

std::int64_t rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::int64_t pages = 0;
    std::int64_t resident = 0;
    statm >> pages >> resident;
    return resident * ::sysconf(_SC_PAGESIZE);
}

/// Runs `clients` threads of mixed requests for `seconds`; returns {requests, failures}.
std::pair<std::uint64_t, std::uint64_t> hammer(int port, int clients, int seconds) {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> failures{0};
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    const std::string ind =
        R"J({"series":{"source":"csv","symbol":"BTC/USD","timeframe":"1h"},"specs":["rsi(14)"],
            "limit":1000,"tail":true})J";
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&, t] {
            httplib::Client c("127.0.0.1", port);
            c.set_keep_alive(true);
            for (std::uint64_t i = 0; std::chrono::steady_clock::now() < until; ++i) {
                const auto t0 = std::chrono::steady_clock::now();
                const auto r = [&] {
                    switch ((i + static_cast<std::uint64_t>(t)) % 4) {
                        case 0:
                            return c.Get("/health");
                        case 1:
                            return c.Get("/v1/series/csv/BTC-USD/1h/bars?limit=100");
                        case 2:
                            return c.Post("/v1/indicators", ind, "application/json");
                        default:
                            return c.Get("/v1/jobs");
                    }
                }();
                requests.fetch_add(1);
                if (!r || r->status != 200) {
                    if (failures.fetch_add(1) < 5) {
                        std::cout << fmt::format(
                            "failed: {} kind {} after {} ms\n",
                            r ? std::to_string(r->status) + " " + r->body
                              : httplib::to_string(r.error()),
                            (i + static_cast<std::uint64_t>(t)) % 4,
                            std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - t0)
                                .count());
                    }
                }
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    return {requests.load(), failures.load()};
}

TEST_F(ServerTest, HundredClientsForTenSeconds) {
    Settings s = settings();
    s.server.http_threads = 128;
    start(s);
    // A short warm-up fills the caches and the thread pool before the first measurement.
    hammer(port_, 100, 1);
    const std::int64_t before = rss_bytes();
    const auto [requests, failures] = hammer(port_, 100, 10);
    const std::int64_t after = rss_bytes();
    std::cout << fmt::format("{} requests, {} failed; RSS {:.1f} -> {:.1f} MiB\n", requests,
                             failures, static_cast<double>(before) / (1 << 20),
                             static_cast<double>(after) / (1 << 20));
    EXPECT_EQ(failures, 0U);
    EXPECT_GT(requests, 1000U);
    // Client threads live in this process too; what matters is no growth per request. Under
    // AddressSanitizer freed memory waits in its quarantine (hundreds of MiB), so RSS says
    // nothing there; LeakSanitizer checks leaks at exit instead.
#if !defined(__SANITIZE_ADDRESS__)
    EXPECT_LT(after - before, std::int64_t{64} << 20);
#endif
}

}  // namespace
}  // namespace tradpal::server::testing

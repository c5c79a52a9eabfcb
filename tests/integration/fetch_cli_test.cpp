// SPDX-License-Identifier: Apache-2.0
// `tradpal fetch` end to end against fake Yahoo, Binance and Kraken servers on loopback.
#include <atomic>
#include <cmath>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/data_testing/fake_http.hpp>

#include "cli_run.hpp"

namespace tradpal {
namespace {

using data_testing::FakeReply;
using data_testing::FakeServer;
using data_testing::SeenRequest;
using ::testing::HasSubstr;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kJan2024Ms = 1'704'067'200'000;  // 2024-01-01T00:00:00Z

// Hourly klines of a made-up market from 2024-01-01, as Binance pages them.
FakeReply klines(const SeenRequest& seen) {
    FakeReply reply;
    const std::string& symbol = seen.query.at("symbol");
    if (symbol == "NOPEUSDT") {
        reply.status = 400;
        reply.body = R"({"code":-1121,"msg":"Invalid symbol."})";
        return reply;
    }
    const double offset = symbol == "ETHUSDT" ? 1000 : 0;
    const std::int64_t from = std::stoll(seen.query.at("startTime"));
    const std::int64_t to = std::stoll(seen.query.at("endTime"));
    const std::int64_t limit = std::stoll(seen.query.at("limit"));
    std::int64_t t = std::max(kJan2024Ms, (from + kHourMs - 1) / kHourMs * kHourMs);
    reply.body = "[";
    for (std::int64_t n = 0; n < limit && t <= to; ++n, t += kHourMs) {
        const double price = offset + 100 + static_cast<double>((t / kHourMs) % 50);
        reply.body += fmt::format(
            R"({}[{},"{:.2f}","{:.2f}","{:.2f}","{:.2f}","10.0",{},"0",1,"0","0","0"])",
            n == 0 ? "" : ",", t, price, price + 1, price - 1, price + 0.5, t + kHourMs - 1);
    }
    reply.body += "]";
    return reply;
}

class FetchCliTest : public CliTest {
protected:
    FetchCliTest()
        : server_([this](const SeenRequest& seen) {
              if (seen.path.starts_with("/api/v3/klines")) {
                  ++binance_requests_;
                  return klines(seen);
              }
              FakeReply reply;
              if (seen.path.starts_with("/v8/finance/chart/")) {
                  reply.status = 404;
                  reply.body = R"({"chart":{"result":null,"error":{"code":"Not Found",)"
                               R"("description":"No data found, symbol may be delisted"}}})";
              } else {
                  reply.status = 500;  // Kraken is down
                  reply.body = "internal error";
              }
              return reply;
          }) {}

    // `tradpal fetch` with every web source pointed at the fake server.
    CliRun fetch(const std::string& args) {
        return tradpal(fmt::format(
            "--json --set data.yahoo_url={0} --set data.binance_url={0} --set data.kraken_url={0} "
            "--set data.http_attempts=2 fetch {1}",
            server_.url(), args));
    }

    std::atomic<int> binance_requests_{0};
    FakeServer server_;
};

TEST_F(FetchCliTest, FallsBackFromYahooToBinanceAndUpdatesIncrementally) {
    const CliRun first = fetch(
        "--symbols BTC/USDT,ETH/USDT --timeframe 1h --start-date 2024-01-01 --end-date 2024-03-01");
    ASSERT_EQ(first.code, 0) << first.err;
    const auto symbols = first.json()["symbols"];
    ASSERT_EQ(symbols.size(), 2U);
    for (const auto& s : symbols) {
        EXPECT_EQ(s["source"], "binance") << s.dump();
        EXPECT_EQ(s["bars_added"], (31 + 29 + 1) * 24) << s.dump();  // through March 1st
        EXPECT_EQ(s["gaps"], 0);
        // Yahoo came first but keeps hourly bars for two years only.
        EXPECT_EQ(s["steps"][0]["source"], "yahoo");
        EXPECT_EQ(s["steps"][0]["outcome"], "empty");
        EXPECT_THAT(s["steps"][0]["reason"].get<std::string>(), HasSubstr("730 days"));
        EXPECT_EQ(s["steps"][1]["outcome"], "served");
    }
    const CliRun info = tradpal("--json data info BTC/USDT -t 1h --source binance");
    ASSERT_EQ(info.code, 0) << info.err;
    EXPECT_EQ(info.json()["rows"], 1464);

    // Nothing new: no bars added and nothing asked from Binance.
    const int asked = binance_requests_;
    const CliRun again =
        fetch("--symbols BTC/USDT --timeframe 1h --start-date 2024-01-01 --end-date 2024-03-01");
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(again.json()["symbols"][0]["bars_added"], 0);
    EXPECT_EQ(binance_requests_, asked);

    // Three more days: only those are asked for and appended.
    const CliRun more =
        fetch("--symbols BTC/USDT --timeframe 1h --start-date 2024-01-01 --end-date 2024-03-04");
    ASSERT_EQ(more.code, 0) << more.err;
    EXPECT_EQ(more.json()["symbols"][0]["bars_added"], 72);
    EXPECT_EQ(more.json()["symbols"][0]["already_stored"], 0);
    const auto seen = server_.requests();
    EXPECT_EQ(std::stoll(seen.back().query.at("startTime")), kJan2024Ms + 1464 * kHourMs);
    EXPECT_EQ(tradpal("--json data info BTC/USDT -t 1h --source binance").json()["rows"], 1536);
}

TEST_F(FetchCliTest, APinnedSourceThatIsDownFailsAndLeavesTheStoreAsItWas) {
    const CliRun down = fetch(
        "--symbols BTC/USD --timeframe 1h --start-date 2024-01-01 --end-date 2024-01-02 "
        "--data-source kraken");
    EXPECT_EQ(down.code, 9) << down.err;  // Unavailable
    EXPECT_THAT(down.err, HasSubstr("kraken: failed"));
    EXPECT_THAT(down.err, HasSubstr("500"));
    EXPECT_EQ(tradpal("--json data list").json()["series"].size(), 0U);
}

TEST_F(FetchCliTest, ASymbolNoSourceKnowsIsNotFound) {
    const CliRun unknown = fetch(
        "--symbols NOPE/USDT --timeframe 1h --start-date 2024-01-01 --end-date 2024-01-02 "
        "--data-source binance");
    EXPECT_EQ(unknown.code, 3) << unknown.err;  // NotFound
    EXPECT_THAT(unknown.err, HasSubstr("Invalid symbol"));
}

}  // namespace
}  // namespace tradpal

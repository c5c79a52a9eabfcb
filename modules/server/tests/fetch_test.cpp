// SPDX-License-Identifier: Apache-2.0
// POST /v1/data/fetch against a fake Binance on loopback.
#include <fmt/format.h>

#include <tradpal/data_testing/fake_http.hpp>

#include "server_fixture.hpp"

namespace tradpal::server::testing {
namespace {

using data_testing::FakeReply;
using data_testing::SeenRequest;
using nlohmann::json;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kStartMs = 1'704'067'200'000;  // 2024-01-01T00:00:00Z

// Hourly klines from 2024-01-01 for 3 days, in Binance's layout; other APIs fail.
FakeReply fake_api(const SeenRequest& seen) {
    FakeReply reply;
    if (!seen.path.starts_with("/api/v3/klines")) {
        reply.status = 404;
        reply.body = "{}";
        return reply;
    }
    const std::int64_t from = std::stoll(seen.query.at("startTime"));
    const std::int64_t to =
        std::min<std::int64_t>(std::stoll(seen.query.at("endTime")), kStartMs + 72 * kHourMs);
    const std::int64_t limit = std::stoll(seen.query.at("limit"));
    std::vector<std::string> rows;
    for (std::int64_t t =
             std::max<std::int64_t>(kStartMs, (from + kHourMs - 1) / kHourMs * kHourMs);
         t < to && static_cast<std::int64_t>(rows.size()) < limit; t += kHourMs) {
        const double p = 100.0 + static_cast<double>((t / kHourMs) % 7);
        rows.push_back(
            fmt::format(R"J([{},"{:.2f}","{:.2f}","{:.2f}","{:.2f}","5.0",{},"0",1,"0","0","0"])J",
                        t, p, p + 1, p - 1, p + 0.5, t + kHourMs - 1));
    }
    reply.body = fmt::format("[{}]", fmt::join(rows, ","));
    return reply;
}

TEST_F(ServerTest, FetchesFromTheSourcesAsAJob) {
    data_testing::FakeServer api(fake_api);
    Settings s = settings();
    s.data.binance_url = api.url();
    s.data.yahoo_url = api.url();
    s.data.kraken_url = api.url();
    s.data.http_attempts = 1;
    start(s);
    auto c = client();
    const std::string id =
        submit_job("/v1/data/fetch", R"J({"symbol":"BTC/USDT","timeframe":"1h","source":"binance",
                              "start":"2024-01-01T00:00:00Z","end":"2024-01-04T00:00:00Z"})J");
    ASSERT_FALSE(id.empty());
    const json job = wait_job(id);
    ASSERT_EQ(job["state"], "done") << job.dump();
    const json result = body(c.Get("/v1/jobs/" + id + "/result"));
    EXPECT_EQ(result["source"], "binance");
    EXPECT_EQ(result["bars_added"], 72);
    EXPECT_EQ(body(c.Get("/v1/series/binance/BTC-USDT/1h/bars"))["ts"].size(), 72U);

    const auto unknown = c.Post("/v1/data/fetch", auth(),
                                R"J({"symbol":"BTC/USDT","timeframe":"1h","source":"nowhere"})J",
                                "application/json");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 400);
    const auto no_token =
        c.Post("/v1/data/fetch", R"J({"symbol":"BTC/USDT"})J", "application/json");
    ASSERT_TRUE(no_token);
    EXPECT_EQ(no_token->status, 401);
}

}  // namespace
}  // namespace tradpal::server::testing

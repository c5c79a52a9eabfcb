// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include <tradpal/data/http.hpp>
#include <tradpal/data_testing/fake_http.hpp>

namespace tradpal::data {
namespace {

using data_testing::FakeReply;
using data_testing::FakeServer;
using data_testing::SeenRequest;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Quick retries so failure paths stay fast; max_delay leaves room for "Retry-After: 1".
HostPolicy quick_policy() {
    HostPolicy policy;
    policy.rate = 1000;
    policy.burst = 1000;
    policy.timeout = milliseconds(2'000);
    policy.max_attempts = 3;
    policy.base_delay = milliseconds(10);
    policy.max_delay = milliseconds(2'000);
    return policy;
}

FakeReply reply(int status, std::string body = {},
                std::map<std::string, std::string> headers = {}) {
    FakeReply out;
    out.status = status;
    out.body = std::move(body);
    out.headers = std::move(headers);
    return out;
}

// A 200 with `size` bytes declared and half of them sent.
FakeReply cut_reply(std::size_t size) {
    FakeReply out = reply(200, std::string(size, 'x'));
    out.cut = true;
    return out;
}

// Answers `first` to the first `times` requests, then 200 "ok".
FakeServer::Handler fail_then_succeed(FakeReply first, int times) {
    auto count = std::make_shared<std::atomic<int>>(0);
    return [first, times, count](const SeenRequest&) {
        return count->fetch_add(1) < times ? first : reply(200, "ok");
    };
}

TEST(HttpClient, ReturnsBodyHeadersAndQuery) {
    FakeServer server([](const SeenRequest&) {
        return reply(200, R"({"price": 1})", {{"X-Weight", "7"}});
    });
    HttpClient client;
    client.set_policy(server.url(), quick_policy());
    const auto response =
        client.get(server.url() + "/api/v3/klines?symbol=" + url_encode("BTC USDT") + "&limit=2",
                   {"X-Api-Key: secret"});
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, R"({"price": 1})");
    EXPECT_EQ(response->headers.at("x-weight"), "7");
    EXPECT_EQ(response->headers.at("content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(response->attempts, 1);

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(seen[0].path, "/api/v3/klines");
    EXPECT_EQ(seen[0].query,
              (std::map<std::string, std::string>{{"symbol", "BTC USDT"}, {"limit", "2"}}));
    const auto stats = client.stats();
    EXPECT_EQ(stats.requests, 1U);
    EXPECT_EQ(stats.retries, 0U);
    EXPECT_EQ(stats.bytes, response->body.size());
}

TEST(HttpClient, ReturnsClientErrorsWithoutRetrying) {
    FakeServer server([](const SeenRequest&) { return reply(404, "no"); });
    HttpClient client;
    client.set_policy(server.url(), quick_policy());
    const auto response = client.get(server.url() + "/missing");
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 404);
    EXPECT_EQ(response->body, "no");
    EXPECT_EQ(response->attempts, 1);
    EXPECT_EQ(server.requests().size(), 1U);
}

TEST(HttpClient, RetriesServerErrors) {
    FakeServer server(fail_then_succeed(reply(500), 2));
    HttpClient client;
    client.set_policy(server.url(), quick_policy());
    const auto response = client.get(server.url() + "/x");
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "ok");
    EXPECT_EQ(response->attempts, 3);
    EXPECT_EQ(client.stats().requests, 3U);
    EXPECT_EQ(client.stats().retries, 2U);
}

TEST(HttpClient, ReturnsLastServerErrorWhenAttemptsRunOut) {
    FakeServer server([](const SeenRequest&) { return reply(503, "busy"); });
    HttpClient client;
    client.set_policy(server.url(), quick_policy());
    const auto response = client.get(server.url() + "/x");
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 503);
    EXPECT_EQ(response->body, "busy");
    EXPECT_EQ(response->attempts, 3);
    EXPECT_EQ(server.requests().size(), 3U);
}

class HttpThrottleTest : public ::testing::TestWithParam<int> {};

TEST_P(HttpThrottleTest, WaitsForRetryAfter) {
    FakeServer server(fail_then_succeed(reply(GetParam(), "", {{"Retry-After", "1"}}), 1));
    HttpClient client;
    client.set_policy(server.url(), quick_policy());
    const auto response = client.get(server.url() + "/x");
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->attempts, 2);

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_GE(seen[1].at - seen[0].at, milliseconds(950));
    const auto stats = client.stats();
    EXPECT_EQ(stats.throttled, 1U);
    EXPECT_EQ(stats.retries, 1U);
    EXPECT_GE(stats.wait_seconds, 0.9);
}

TEST_P(HttpThrottleTest, ReturnsAnswerWhenRetryAfterExceedsMaxDelay) {
    FakeServer server([](const SeenRequest&) {
        // Past what a steady_clock duration holds, too: the wait must be clamped, not overflow.
        return reply(GetParam(), "", {{"Retry-After", "99999999999999"}});
    });
    HttpClient client;
    client.set_policy(server.url(), quick_policy());
    const auto response = client.get(server.url() + "/x");
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, GetParam());
    EXPECT_EQ(response->headers.at("retry-after"), "99999999999999");
    EXPECT_EQ(response->attempts, 1);
}

TEST_P(HttpThrottleTest, BacksOffWithoutRetryAfter) {
    FakeServer server(fail_then_succeed(reply(GetParam()), 2));
    HttpClient client;
    client.set_policy(server.url(), quick_policy());
    const auto response = client.get(server.url() + "/x");
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->attempts, 3);
    EXPECT_EQ(client.stats().throttled, 2U);
}

INSTANTIATE_TEST_SUITE_P(TooManyRequestsAndBanned, HttpThrottleTest, ::testing::Values(429, 418));

TEST(HttpClient, RetriesTimeoutsThenFails) {
    FakeServer server([](const SeenRequest&) {
        FakeReply late = reply(200, "late");
        late.delay = milliseconds(2'000);
        return late;
    });
    HttpClient client;
    HostPolicy policy = quick_policy();
    policy.timeout = milliseconds(200);
    client.set_policy(server.url(), policy);
    const auto response = client.get(server.url() + "/slow");
    ASSERT_FALSE(response.has_value());
    EXPECT_EQ(response.error().code, ErrorCode::Unavailable);
    EXPECT_NE(response.error().message.find(server.url() + "/slow"), std::string::npos);
    EXPECT_NE(response.error().message.find("imed out"), std::string::npos)
        << response.error().message;
    EXPECT_EQ(server.requests().size(), 3U);
    EXPECT_EQ(client.stats().retries, 2U);
}

TEST(HttpClient, RetriesCutBody) {
    FakeServer server(fail_then_succeed(cut_reply(1000), 1));
    HttpClient client;
    client.set_policy(server.url(), quick_policy());
    const auto response = client.get(server.url() + "/x");
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->body, "ok");
    EXPECT_EQ(response->attempts, 2);
}

TEST(HttpClient, NeverReturnsCutBody) {
    FakeServer server([](const SeenRequest&) { return cut_reply(100'000); });
    HttpClient client;
    client.set_policy(server.url(), quick_policy());
    const auto response = client.get(server.url() + "/x");
    ASSERT_FALSE(response.has_value()) << response->body.size() << " bytes returned";
    EXPECT_EQ(response.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(server.requests().size(), 3U);
}

TEST(HttpClient, FailsQuicklyWhenNothingListens) {
    std::string url;
    {
        FakeServer closed([](const SeenRequest&) { return FakeReply{}; });
        url = closed.url() + "/x";
    }
    HttpClient client;
    client.set_default_policy(quick_policy());
    const auto start = Clock::now();
    const auto response = client.get(url);
    ASSERT_FALSE(response.has_value());
    EXPECT_EQ(response.error().code, ErrorCode::Unavailable);
    EXPECT_NE(response.error().message.find(url), std::string::npos);
    EXPECT_LT(Clock::now() - start, milliseconds(1'500)) << "refused, not timed out";
}

TEST(HttpClient, RejectsMalformedUrls) {
    HttpClient client;
    for (const std::string url : {"not a url", "", "ftp://example.com/file"}) {
        const auto response = client.get(url);
        ASSERT_FALSE(response.has_value()) << url;
        EXPECT_EQ(response.error().code, ErrorCode::InvalidArgument) << url;
    }
}

TEST(HttpClient, ThreadsShareTheHostRateLimit) {
    FakeServer server([](const SeenRequest&) { return reply(200, "ok"); });
    HttpClient client;
    HostPolicy policy = quick_policy();
    policy.rate = 20;
    policy.burst = 5;
    client.set_policy(server.url(), policy);

    constexpr int kThreads = 4;
    constexpr int kEach = 15;
    std::atomic<int> failures{0};
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) {
                const auto response = client.get(server.url() + "/x");
                if (!response || response->status != 200) {
                    ++failures;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const auto elapsed = Clock::now() - start;

    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(server.requests().size(), std::size_t{kThreads * kEach});
    EXPECT_LE(server.max_in_window(milliseconds(1'000)), 25U);
    // The first 5 go at once, the other 55 at 20/s.
    EXPECT_GE(elapsed, milliseconds(2'749));
}

TEST(HttpClient, ReusesConnections) {
    FakeServer server([](const SeenRequest&) { return reply(200, "ok"); });
    HttpClient client;
    client.set_policy(server.url(), quick_policy());
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(client.get(server.url() + "/x").has_value());
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                EXPECT_TRUE(client.get(server.url() + "/y").has_value());
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const auto seen = server.requests();
    std::set<int> ports;
    for (std::size_t i = 0; i < 5; ++i) {
        ports.insert(seen[i].remote_port);
    }
    EXPECT_EQ(ports.size(), 1U) << "one thread, one connection";
    for (const auto& request : seen) {
        ports.insert(request.remote_port);
    }
    EXPECT_LE(ports.size(), 4U) << "at most one connection per thread";
}

TEST(RateLimiter, SpendsBurstThenPaces) {
    const auto start = Clock::now();
    RateLimiter limiter(50, 3);
    for (int i = 0; i < 8; ++i) {
        limiter.acquire();
    }
    // 3 saved tokens, then 5 more at 50/s.
    EXPECT_GE(Clock::now() - start, milliseconds(100));
}

TEST(RateLimiter, PauseHoldsTokensAndNeverShortens) {
    RateLimiter limiter(1000, 10);
    const auto start = Clock::now();
    limiter.pause_until(start + milliseconds(200));
    limiter.pause_until(start + milliseconds(50));
    limiter.acquire();
    EXPECT_GE(Clock::now() - start, milliseconds(200));
}

TEST(ParseRetryAfter, ReadsDeltaSecondsAndDates) {
    const auto now = std::chrono::sys_days{std::chrono::year{2015} / 10 / 21} +
                     std::chrono::hours{7} + std::chrono::minutes{27} + std::chrono::seconds{30};
    EXPECT_EQ(parse_retry_after("1", now), 1.0);
    EXPECT_EQ(parse_retry_after(" 120 ", now), 120.0);
    EXPECT_EQ(parse_retry_after("0", now), 0.0);
    EXPECT_EQ(parse_retry_after("99999999999999", now), 99'999'999'999'999.0);
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 30.0);
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), 0.0) << "in the past";
    EXPECT_EQ(parse_retry_after("Thu, 22 Oct 2015 07:27:30 GMT", now), 86'400.0);
}

TEST(ParseRetryAfter, RejectsUnreadableValues) {
    const auto now = std::chrono::system_clock::now();
    for (const std::string_view bad :
         {"", "soon", "-5", "1.5", "Wed, 32 Oct 2015 07:28:00 GMT", "Wed, 21 Foo 2015 07:28:00 GMT",
          "Wed, 21 Oct 2015 25:28:00 GMT", "Wed, 21 Oct 2015 07:28:00 UTC",
          "Wednesday, 21-Oct-15 07:28:00 GMT"}) {
        EXPECT_EQ(parse_retry_after(bad, now), std::nullopt) << bad;
    }
}

TEST(UrlOrigin, KeepsSchemeHostAndExplicitPort) {
    EXPECT_EQ(url_origin("https://api.binance.com/api/v3/klines?symbol=BTCUSDT"),
              "https://api.binance.com");
    EXPECT_EQ(url_origin("HTTPS://API.Binance.com:443/x"), "https://api.binance.com");
    EXPECT_EQ(url_origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    EXPECT_EQ(url_origin("https://query1.finance.yahoo.com:8443/v8"),
              "https://query1.finance.yahoo.com:8443");
    EXPECT_EQ(url_origin("api.binance.com/x"), "");
    EXPECT_EQ(url_origin("not a url"), "");
    EXPECT_EQ(url_origin(""), "");
}

TEST(UrlEncode, EscapesAllButUnreserved) {
    EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
    EXPECT_EQ(url_encode("a b&c=d/e?"), "a%20b%26c%3Dd%2Fe%3F");
    EXPECT_EQ(url_encode("\xC3\xA9"), "%C3%A9");
    EXPECT_EQ(url_encode(""), "");
}

}  // namespace
}  // namespace tradpal::data

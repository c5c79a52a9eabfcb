// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the tests of the HTTP sources and the fallback chain: fast clients, fake
// API answers and bar comparisons.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/data/http.hpp>
#include <tradpal/data_testing/fake_http.hpp>

namespace tradpal::data::fake_api {

/// Retries and timeouts short enough that error paths cost milliseconds.
inline HostPolicy fast_policy() {
    using namespace std::chrono_literals;
    return HostPolicy{.rate = 10'000,
                      .burst = 10'000,
                      .timeout = 500ms,
                      .max_attempts = 3,
                      .base_delay = 1ms,
                      .max_delay = 4ms};
}

inline std::shared_ptr<HttpClient> fast_client() {
    auto client = std::make_shared<HttpClient>();
    client->set_default_policy(fast_policy());
    return client;
}

inline std::int64_t query_int(const data_testing::SeenRequest& seen, const std::string& key) {
    return std::stoll(seen.query.at(key));
}

inline data_testing::FakeReply json(std::string body, int status = 200) {
    data_testing::FakeReply reply;
    reply.status = status;
    reply.body = std::move(body);
    return reply;
}

inline data_testing::FakeReply html(int status) {
    data_testing::FakeReply reply;
    reply.status = status;
    reply.content_type = "text/html";
    reply.body = "<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>";
    return reply;
}

/// Every field of every bar equal (exact doubles).
inline void expect_same_bars(const BarSeriesView& got, const BarSeriesView& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const Bar a = got.bar(i);
        const Bar b = want.bar(i);
        ASSERT_EQ(a.ts, b.ts) << "bar " << i;
        ASSERT_EQ(a.open, b.open) << "bar " << i;
        ASSERT_EQ(a.high, b.high) << "bar " << i;
        ASSERT_EQ(a.low, b.low) << "bar " << i;
        ASSERT_EQ(a.close, b.close) << "bar " << i;
        ASSERT_EQ(a.volume, b.volume) << "bar " << i;
    }
}

}  // namespace tradpal::data::fake_api

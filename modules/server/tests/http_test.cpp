// SPDX-License-Identifier: Apache-2.0
// The pieces every route shares: status mapping, errors, token comparison, JSON limits,
// patterns and the OpenAPI document.
#include <gtest/gtest.h>

#include <tradpal/server/http.hpp>

namespace tradpal::server {
namespace {

TEST(HttpStatus, MapsEveryErrorCode) {
    EXPECT_EQ(http_status(ErrorCode::InvalidArgument), 400);
    EXPECT_EQ(http_status(ErrorCode::ParseError), 400);
    EXPECT_EQ(http_status(ErrorCode::ValidationFailed), 400);
    EXPECT_EQ(http_status(ErrorCode::NotFound), 404);
    EXPECT_EQ(http_status(ErrorCode::AlreadyExists), 409);
    EXPECT_EQ(http_status(ErrorCode::Locked), 409);
    EXPECT_EQ(http_status(ErrorCode::Unavailable), 503);
    EXPECT_EQ(http_status(ErrorCode::Corrupt), 500);
    EXPECT_EQ(http_status(ErrorCode::Internal), 500);
}

HttpResponse response_of(const auto& thrower) {
    try {
        thrower();
    } catch (...) {
        return error_response(std::current_exception());
    }
    return {};
}

TEST(ErrorResponse, IsJsonWithCodeAndMessage) {
    const HttpResponse r =
        response_of([] { throw Exception(ErrorCode::NotFound, "no series BTC/USD"); });
    EXPECT_EQ(r.status, 404);
    const auto doc = nlohmann::json::parse(r.body);
    EXPECT_EQ(doc["error"]["code"], "not_found");
    EXPECT_EQ(doc["error"]["message"], "no series BTC/USD");
}

TEST(ErrorResponse, HidesForeignExceptions) {
    const HttpResponse r = response_of([] { throw std::out_of_range("vector::at secret detail"); });
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "internal");
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
}

TEST(ErrorResponse, QueueFullCarriesRetryAfter) {
    const HttpResponse r = response_of([] {
        ApiError e(429, "queue_full", "full");
        e.retry_after_s = 5;
        throw e;
    });
    EXPECT_EQ(r.status, 429);
    ASSERT_EQ(r.headers.size(), 1U);
    EXPECT_EQ(r.headers[0].first, "Retry-After");
}

TEST(Tokens, CompareExactly) {
    EXPECT_TRUE(tokens_equal("abc123", "abc123"));
    EXPECT_FALSE(tokens_equal("abc124", "abc123"));
    EXPECT_FALSE(tokens_equal("abc12", "abc123"));
    EXPECT_FALSE(tokens_equal("abc1234", "abc123"));
    EXPECT_FALSE(tokens_equal("", "abc123"));
    EXPECT_FALSE(tokens_equal("", ""));  // no token configured: nothing matches
}

TEST(JsonBody, RefusesDeepNesting) {
    EXPECT_NO_THROW(parse_json_body(R"J({"a":[[1]]})J", 8));
    const std::string deep = std::string(100, '[') + std::string(100, ']');
    try {
        parse_json_body(deep, 32);
        FAIL() << "deep JSON accepted";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.status(), 400);
    }
    EXPECT_THROW(parse_json_body("{\"a\":", 8), ApiError);
    EXPECT_THROW(parse_json_body("", 8), ApiError);
}

TEST(Patterns, BecomeRegexesAndParams) {
    EXPECT_EQ(pattern_regex("/v1/jobs/{id}/result"), "/v1/jobs/([^/]+)/result");
    EXPECT_EQ(pattern_regex("/openapi.json"), "/openapi\\.json");
    EXPECT_EQ(pattern_params("/v1/series/{source}/{symbol}/{timeframe}/bars"),
              (std::vector<std::string>{"source", "symbol", "timeframe"}));
}

}  // namespace
}  // namespace tradpal::server

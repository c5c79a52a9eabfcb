// SPDX-License-Identifier: Apache-2.0
// The route table of the HTTP API and what every route shares: requests and responses without
// the HTTP library's types, errors as {"error": {code, message}} with one status mapping, the
// bearer-token check and bounded JSON parsing. The OpenAPI document comes from the same table.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <tradpal/core/error.hpp>

namespace tradpal::server {

enum class Method { Get, Post, Delete };
std::string_view to_string(Method method) noexcept;

/// A request as a handler sees it: path parameters in pattern order, decoded query values.
struct HttpRequest {
    Method method = Method::Get;
    std::string path;
    std::vector<std::string> path_params;
    std::multimap<std::string, std::string, std::less<>> query;
    std::string body;

    /// The first value of query parameter `name`.
    std::optional<std::string> query_value(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    static HttpResponse json(const nlohmann::json& doc, int status = 200);
};

/// A failure with an HTTP status that no ErrorCode names (401, 409, 413, 429, 503), or one
/// that does; error_response() turns both into the JSON body.
class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string code, const std::string& message)
        : std::runtime_error(message), status_(status), code_(std::move(code)) {}

    int status() const noexcept { return status_; }
    const std::string& code() const noexcept { return code_; }
    /// Seconds for a Retry-After header (429); 0 for none.
    int retry_after_s = 0;

private:
    int status_;
    std::string code_;
};

/// The one mapping from a failure kind to an HTTP status: 400 for bad input (invalid_argument,
/// parse_error, validation_failed), 404 not_found, 409 already_exists and locked, 503
/// unavailable, 500 for the rest.
int http_status(ErrorCode code) noexcept;

/// The response for the exception in flight (call from a catch block): ApiError, a
/// tradpal::Exception (through http_status) or anything else (500 "internal", whose text is
/// logged but never sent).
HttpResponse error_response(const std::exception_ptr& error);
/// {"error": {"code": code, "message": message}} with `status`.
HttpResponse error_response(int status, std::string_view code, std::string_view message);

/// Parses a JSON body, refusing more than `max_depth` levels of nesting.
/// Throws: ApiError 400 (invalid_argument) for malformed JSON or too deep a document.
nlohmann::json parse_json_body(std::string_view body, int max_depth);

/// Compares a presented token with the expected one in time that depends only on the
/// expected token's length (not on where they differ).
bool tokens_equal(std::string_view presented, std::string_view expected) noexcept;

/// One documented parameter of a route.
struct RouteParam {
    std::string name;
    std::string in = "query";  ///< "path" or "query"
    std::string type = "string";
    std::string description;
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

/// One route: served by the HTTP server and described in /openapi.json.
struct Route {
    Method method = Method::Get;
    std::string pattern;  ///< "/v1/jobs/{id}"; each {name} matches one path segment
    std::string service;  ///< "ops", "data", "indicators", "backtest", "ml", "web"
    bool needs_token = false;
    std::string summary;
    std::vector<RouteParam> params;  ///< path parameters are added from the pattern
    bool has_body = false;           ///< takes a JSON body
    int success_status = 200;
    Handler handler;
};

/// The regular expression httplib matches a pattern with: "{id}" becomes "([^/]+)".
std::string pattern_regex(std::string_view pattern);
/// The names of a pattern's path parameters, in order.
std::vector<std::string> pattern_params(std::string_view pattern);

/// An OpenAPI 3.0 document listing every route (`web` routes other than "/" are left out).
nlohmann::json openapi_document(const std::vector<Route>& routes, std::string_view version);

}  // namespace tradpal::server

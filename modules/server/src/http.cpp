// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <tradpal/server/http.hpp>

namespace tradpal::server {

std::string_view to_string(Method method) noexcept {
    switch (method) {
        case Method::Get:
            return "GET";
        case Method::Post:
            return "POST";
        case Method::Delete:
            return "DELETE";
    }
    return "GET";
}

std::optional<std::string> HttpRequest::query_value(std::string_view name) const {
    const auto it = query.find(name);
    if (it == query.end()) {
        return std::nullopt;
    }
    return it->second;
}

HttpResponse HttpResponse::json(const nlohmann::json& doc, int status) {
    HttpResponse r;
    r.status = status;
    // Invalid UTF-8 in echoed input is replaced rather than failing the response.
    r.body = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

int http_status(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::InvalidArgument:
        case ErrorCode::ParseError:
        case ErrorCode::ValidationFailed:
            return 400;
        case ErrorCode::NotFound:
            return 404;
        case ErrorCode::AlreadyExists:
        case ErrorCode::Locked:
            return 409;
        case ErrorCode::Unavailable:
            return 503;
        case ErrorCode::Corrupt:
        case ErrorCode::IoError:
        case ErrorCode::Internal:
            return 500;
    }
    return 500;
}

HttpResponse error_response(int status, std::string_view code, std::string_view message) {
    return HttpResponse::json({{"error", {{"code", code}, {"message", message}}}}, status);
}

HttpResponse error_response(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const ApiError& e) {
        HttpResponse r = error_response(e.status(), e.code(), e.what());
        if (e.retry_after_s > 0) {
            r.headers.emplace_back("Retry-After", std::to_string(e.retry_after_s));
        }
        return r;
    } catch (const Exception& e) {
        const int status = http_status(e.code());
        if (status == 500) {
            spdlog::error("request failed: {}: {}", to_string(e.code()), e.what());
        }
        return error_response(status, to_string(e.code()), e.what());
    } catch (const std::exception& e) {
        // Library internals stay in the log; the client learns only that it was our fault.
        spdlog::error("request failed: {}", e.what());
    } catch (...) {
        spdlog::error("request failed: unknown exception");
    }
    return error_response(500, "internal", "internal error (see the server log)");
}

nlohmann::json parse_json_body(std::string_view body, int max_depth) {
    if (body.empty()) {
        throw ApiError(400, "invalid_argument", "a JSON body is required");
    }
    bool too_deep = false;
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(
            body, [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
                if (depth > max_depth) {
                    too_deep = true;
                    throw ApiError(400, "invalid_argument",
                                   fmt::format("JSON nested deeper than {} levels", max_depth));
                }
                return true;
            });
    } catch (const nlohmann::json::exception& e) {
        throw ApiError(400, "invalid_argument", fmt::format("malformed JSON: {}", e.what()));
    }
    if (too_deep) {
        throw ApiError(400, "invalid_argument", "JSON nested too deeply");
    }
    return doc;
}

bool tokens_equal(std::string_view presented, std::string_view expected) noexcept {
    // Every byte of the expected token is compared whatever the presented one holds, so the
    // time tells nothing about the position of the first difference.
    unsigned diff = presented.size() == expected.size() ? 0U : 1U;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const char p = i < presented.size() ? presented[i] : '\0';
        diff |= static_cast<unsigned char>(p ^ expected[i]);
    }
    return diff == 0 && !expected.empty();
}

std::string pattern_regex(std::string_view pattern) {
    std::string out;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '{') {
            i = pattern.find('}', i);
            out += "([^/]+)";
        } else if (c == '.' || c == '+' || c == '*' || c == '?' || c == '(' || c == ')' ||
                   c == '[' || c == ']' || c == '^' || c == '$' || c == '|' || c == '\\') {
            out += '\\';
            out += c;
        } else {
            out += c;
        }
    }
    return out;
}

std::vector<std::string> pattern_params(std::string_view pattern) {
    std::vector<std::string> names;
    std::size_t pos = 0;
    while ((pos = pattern.find('{', pos)) != std::string_view::npos) {
        const std::size_t end = pattern.find('}', pos);
        names.emplace_back(pattern.substr(pos + 1, end - pos - 1));
        pos = end;
    }
    return names;
}

nlohmann::json openapi_document(const std::vector<Route>& routes, std::string_view version) {
    using nlohmann::json;
    const json error_schema = {
        {"type", "object"},
        {"properties",
         {{"error",
           {{"type", "object"},
            {"properties",
             {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}};
    json paths = json::object();
    for (const Route& r : routes) {
        json params = json::array();
        for (const std::string& name : pattern_params(r.pattern)) {
            params.push_back({{"name", name},
                              {"in", "path"},
                              {"required", true},
                              {"schema", {{"type", "string"}}}});
        }
        for (const RouteParam& p : r.params) {
            params.push_back({{"name", p.name},
                              {"in", p.in},
                              {"required", p.in == "path"},
                              {"description", p.description},
                              {"schema", {{"type", p.type}}}});
        }
        json op = {{"summary", r.summary},
                   {"tags", {r.service}},
                   {"operationId", fmt::format("{}{}", to_string(r.method), r.pattern)},
                   {"parameters", params},
                   {"responses",
                    {{std::to_string(r.success_status), {{"description", "success"}}},
                     {"default",
                      {{"description", "error"},
                       {"content", {{"application/json", {{"schema", error_schema}}}}}}}}}};
        if (r.has_body) {
            op["requestBody"] = {
                {"required", true},
                {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
        }
        if (r.needs_token) {
            op["security"] = json::array({{{"bearer", json::array()}}});
        }
        std::string method(to_string(r.method));
        std::transform(method.begin(), method.end(), method.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        paths[r.pattern][method] = op;
    }
    return {{"openapi", "3.0.3"},
            {"info", {{"title", "TradPal API"}, {"version", version}}},
            {"paths", paths},
            {"components",
             {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
}

}  // namespace tradpal::server

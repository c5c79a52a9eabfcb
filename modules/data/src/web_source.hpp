// SPDX-License-Identifier: Apache-2.0
// Pieces the Yahoo, Binance and Kraken sources share: URL and time helpers, the mapping of HTTP
// answers to errors and the page collector that enforces FetchResult's promises.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/result.hpp>
#include <tradpal/core/timeframe.hpp>
#include <tradpal/data/http.hpp>
#include <tradpal/data/sources.hpp>

namespace tradpal::data::detail {

/// Milliseconds of t, rounded up (so a bound never lets in an earlier bar).
inline std::int64_t ceil_millis(Timestamp t) noexcept {
    return -floor_div(-t.ns(), kNanosPerMilli);
}
inline std::int64_t ceil_seconds(Timestamp t) noexcept {
    return -floor_div(-t.ns(), kNanosPerSecond);
}

/// "{base}{path}?k1=v1&k2=v2" with every value percent-encoded.
inline std::string make_url(std::string_view base, std::string_view path,
                            const std::vector<std::pair<std::string_view, std::string>>& query) {
    std::string url = fmt::format("{}{}", base, path);
    char separator = '?';
    for (const auto& [key, value] : query) {
        url += separator;
        url += key;
        url += '=';
        url += url_encode(value);
        separator = '&';
    }
    return url;
}

/// The start of a body for an error message, on one line.
inline std::string body_excerpt(std::string_view body) {
    constexpr std::size_t kMax = 120;
    std::string out;
    for (const char c : body.substr(0, kMax)) {
        out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    if (body.size() > kMax) {
        out += "...";
    }
    return out;
}

/// "source symbol: message", so a failure in a chain of sources says where it happened.
inline Error source_error(std::string_view source, std::string_view symbol, const Error& error) {
    return fail(error.code, fmt::format("{} {}: {}", source, symbol, error.message));
}

/// The error for a non-2xx answer. Rate limits and server errors are still there after the
/// client's retries, so they are outages (Unavailable) whatever the body says: another source or a
/// later run may succeed. Other statuses carry the API's own error object, which `parse` (the
/// body parser) turns into NotFound or InvalidArgument; a body that is not the API's JSON (an HTML
/// page from a proxy) is a ParseError.
template <class Parser>
Error http_error(std::string_view source, std::string_view symbol, const HttpResponse& response,
                 Parser&& parse) {
    if (response.status == 429 || response.status == 418 || response.status >= 500) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("{} {}: HTTP {} after {} attempt(s): {}", source, symbol,
                                response.status, response.attempts, body_excerpt(response.body)));
    }
    auto parsed = parse(response.body);
    if (!parsed) {
        return fail(parsed.error().code, fmt::format("{} {}: HTTP {}: {}", source, symbol,
                                                     response.status, parsed.error().message));
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("{} {}: HTTP {}: {}", source, symbol, response.status,
                            body_excerpt(response.body)));
}

inline bool is_success(const HttpResponse& response) noexcept {
    return response.status >= 200 && response.status < 300;
}

/// Gathers the bars of successive pages: keeps those inside [start, end) that are complete and
/// newer than the last one kept, and counts what it drops.
class PageCollector {
public:
    explicit PageCollector(const FetchRequest& request) : request_(request) {}

    /// Adds one page (in time order); returns how many of its bars were kept.
    std::size_t add(const BarSeriesView& page) {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < page.size(); ++i) {
            const Timestamp ts = page.time(i);
            if (ts < request_.start || ts >= request_.end) {
                continue;
            }
            if (request_.timeframe.next_bucket(ts) > request_.now) {
                ++result_.partial;
            } else if (!result_.bars.empty() && ts.ns() <= result_.bars.ts().back()) {
                ++result_.duplicates;
            } else {
                result_.bars.push_back(page.bar(i));
                ++kept;
            }
        }
        return kept;
    }

    /// Sends one request through `client`, counting it.
    Result<HttpResponse> get(HttpClient& client, const std::string& url) {
        ++result_.requests;
        return client.get(url);
    }

    void add_note(std::string_view note) {
        if (!result_.note.empty()) {
            result_.note += "; ";
        }
        result_.note += note;
    }

    void report(const FetchProgress& progress, Timestamp reached) const {
        if (progress) {
            progress(result_.bars.size(), reached);
        }
    }

    FetchResult& result() noexcept { return result_; }

private:
    const FetchRequest& request_;
    FetchResult result_;
};

/// How long to wait before the next Binance request given the X-MBX-USED-WEIGHT-1m header: until
/// just after the next minute boundary (when Binance resets the weight) once the weight used is
/// above 5000 of 6000, zero otherwise or when the header is unreadable.
std::chrono::milliseconds binance_weight_pause(std::string_view used_weight,
                                               std::chrono::system_clock::time_point now);

}  // namespace tradpal::data::detail

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/core/result.hpp>

namespace tradpal::data {

/// One HTTP answer. Header names are lower-case; a repeated header keeps its last value.
struct HttpResponse {
    long status = 0;
    std::string body;
    std::map<std::string, std::string, std::less<>> headers;
    int attempts = 1;  ///< requests made for this answer (1 + retries)
};

/// Token bucket: `rate` tokens per second, at most `burst` saved up. Thread-safe.
class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    /// rate > 0 tokens/s; burst >= 1.
    RateLimiter(double rate, double burst);
    /// Blocks until a token is free and takes it.
    void acquire();
    /// Nobody gets a token before `until` (a server's Retry-After); never moves the pause earlier.
    void pause_until(Clock::time_point until);
    double rate() const noexcept { return rate_; }
    double burst() const noexcept { return burst_; }

private:
    std::mutex mutex_;
    double rate_;
    double burst_;
    double tokens_;
    Clock::time_point refilled_;
    Clock::time_point paused_until_{};
};

/// How requests to one host are paced and retried.
struct HostPolicy {
    double rate = 10;   ///< requests per second
    double burst = 10;  ///< requests that may go at once after a quiet spell
    std::chrono::milliseconds timeout{10'000};  ///< whole request, connect included
    int max_attempts = 5;                       ///< 1 = no retries
    std::chrono::milliseconds base_delay{250};  ///< first back-off; doubles, with jitter
    /// Longest back-off or Retry-After wait; a 429/418 that asks for longer is returned as is.
    std::chrono::milliseconds max_delay{30'000};
};

/// Counters of one client, for reports and benchmarks.
struct HttpStats {
    std::uint64_t requests = 0;   ///< requests sent (retries included)
    std::uint64_t retries = 0;    ///< requests repeated after a 5xx, 429/418 or a timeout
    std::uint64_t throttled = 0;  ///< 429/418 answers
    std::uint64_t bytes = 0;      ///< body bytes received
    double wait_seconds = 0;      ///< time spent waiting for the rate limiter or Retry-After
};

/// A libcurl client for GET requests, shared by worker threads: connections are reused (per
/// thread), each host is paced by its own RateLimiter, and transient failures are retried with
/// exponential back-off and jitter. 429 and 418 answers pause the host's limiter for their
/// Retry-After (seconds or an HTTP date), so every thread waits, not just the one that was told.
/// 5xx answers and timeouts are retried; other statuses are returned as they are.
class HttpClient {
public:
    HttpClient();
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Policy for every URL whose scheme://host[:port] is `origin`, e.g. "https://api.binance.com".
    /// URLs of other origins use the default policy.
    void set_policy(std::string origin, HostPolicy policy);
    void set_default_policy(HostPolicy policy);

    /// GET `url` with extra request headers ("Name: value"). Returns the last answer of any
    /// status once retries are spent or not needed. Errors: Unavailable (could not connect, timed
    /// out, connection cut, after all attempts; the message names the URL and curl's reason),
    /// InvalidArgument (malformed URL).
    Result<HttpResponse> get(const std::string& url, const std::vector<std::string>& headers = {});

    HttpStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// "https://host:port" of a URL (the RateLimiter key); empty for a malformed one.
std::string url_origin(std::string_view url);
/// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(std::string_view text);
/// Seconds in a Retry-After value (delta seconds or an IMF-fixdate); nullopt when unreadable.
std::optional<double> parse_retry_after(std::string_view value,
                                        std::chrono::system_clock::time_point now);

}  // namespace tradpal::data

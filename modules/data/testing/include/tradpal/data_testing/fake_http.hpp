// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tradpal::data_testing {

/// A request as the fake server saw it.
struct SeenRequest {
    std::string path;                          ///< "/api/v3/klines"
    std::map<std::string, std::string> query;  ///< decoded query parameters
    std::chrono::steady_clock::time_point at;  ///< when it arrived
    int remote_port = 0;                       ///< the client's port, one per connection
};

/// What a handler answers.
struct FakeReply {
    int status = 200;
    std::string body{};
    /// As the real APIs send it; a bare "application/json" would make cpp-httplib compress the
    /// body for curl (brotli, ~0.3 s per 150 kB page).
    std::string content_type = "application/json; charset=utf-8";
    std::map<std::string, std::string> headers{};  ///< e.g. {"Retry-After", "1"}
    std::chrono::milliseconds delay{0};            ///< stall before answering (timeouts)
    bool cut = false;  ///< send the headers and half the body, then close the connection
};

/// An HTTP server on 127.0.0.1 and a free port, answering GETs from a handler, in its own thread,
/// for tests and benchmarks of the web sources. Records every request.
class FakeServer {
public:
    using Handler = std::function<FakeReply(const SeenRequest&)>;
    explicit FakeServer(Handler handler);
    ~FakeServer();  ///< stops the server
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    /// "http://127.0.0.1:<port>".
    std::string url() const;
    /// Every request so far, in arrival order.
    std::vector<SeenRequest> requests() const;
    /// Most requests that arrived within any window of `window` (for checking rate limits).
    std::size_t max_in_window(std::chrono::milliseconds window) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tradpal::data_testing

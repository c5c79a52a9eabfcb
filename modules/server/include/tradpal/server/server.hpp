// SPDX-License-Identifier: Apache-2.0
// The HTTP API server (docs/API.md): every route of the selected services over one
// cpp-httplib server, jobs on a bounded pool, /metrics, /openapi.json and the dashboard.
#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <tradpal/core/result.hpp>
#include <tradpal/core/settings.hpp>
#include <tradpal/server/http.hpp>

namespace tradpal::server {

/// The services one process can offer; ops routes (health, ready, metrics, openapi) always.
inline constexpr std::string_view kServices[] = {"data", "indicators", "backtest", "ml", "web"};

/// Parses "data,indicators" or "all". Errors: InvalidArgument naming an unknown service.
Result<std::set<std::string>> parse_services(std::string_view text);

struct ServerOptions {
    Settings settings;  ///< [server] limits, [data] store, [cache] for job results
    std::set<std::string> services{std::begin(kServices), std::end(kServices)};
    int threads = 0;  ///< threads of one computation (0: all cores)
};

class Server {
public:
    /// Builds the routes and the job pool; listens nothing yet.
    explicit Server(ServerOptions options);
    /// Shuts down (without grace) if still running.
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// The routes this server serves, in matching order.
    const std::vector<Route>& routes() const noexcept;

    /// Binds [server] bind and port (0: a free one) and returns the port.
    /// Errors: IoError when the address cannot be bound.
    Result<int> bind();
    /// Serves until stop(); call after bind(), on a thread of its own if needed.
    void serve();
    /// Draining: /ready answers 503 and jobs are refused; jobs running may finish for up to
    /// `grace`, the rest are recorded as cancelled; then the listener stops and serve() returns.
    void shutdown(std::chrono::milliseconds grace);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tradpal::server

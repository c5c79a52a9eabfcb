// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <tradpal/cache/cache.hpp>
#include <tradpal/config.hpp>
#include <tradpal/core/file.hpp>
#include <tradpal/monitor/performance_monitor.hpp>
#include <tradpal/server/server.hpp>
#include <tradpal/server/web_assets.hpp>

#include "api.hpp"

namespace tradpal::server {
namespace {

using Clock = std::chrono::steady_clock;

// Connections waiting to be accepted (the kernel caps it at net.core.somaxconn).
constexpr int kListenBacklog = 1024;

// Latency histogram buckets (seconds), Prometheus style: cumulative, then +Inf.
constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                             0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

/// Counters of one route: requests by status and a latency histogram.
struct RouteMetrics {
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_ns{0};
    std::mutex mutex;
    std::map<int, std::uint64_t> statuses;

    void record(int status, std::int64_t ns) {
        const double s = static_cast<double>(ns) / 1e9;
        std::size_t b = 0;
        while (b < kBuckets.size() && s > kBuckets[b]) {
            ++b;
        }
        buckets[b].fetch_add(1, std::memory_order_relaxed);
        count.fetch_add(1, std::memory_order_relaxed);
        sum_ns.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
        const std::lock_guard lock(mutex);
        ++statuses[status];
    }
};

// Set by the pre-routing handler and the route, read by the logger, all on the thread that
// serves the request.
thread_local Clock::time_point t_request_start;
thread_local std::size_t t_route = 0;

void write_response(const HttpResponse& r, httplib::Response& res) {
    res.status = r.status;
    for (const auto& [name, value] : r.headers) {
        res.set_header(name, value);
    }
    res.set_content(r.body, r.content_type);
}

}  // namespace

Result<std::set<std::string>> parse_services(std::string_view text) {
    std::set<std::string> out;
    if (text == "all") {
        out.insert(std::begin(kServices), std::end(kServices));
        return out;
    }
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        const std::string_view name = text.substr(pos, comma - pos);
        if (std::find(std::begin(kServices), std::end(kServices), name) == std::end(kServices)) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("unknown service '{}' (data, indicators, backtest, ml, web "
                                    "or all)",
                                    name));
        }
        out.emplace(name);
        pos = comma + 1;
    }
    return out;
}

struct Server::Impl {
    ServerOptions options;
    std::unique_ptr<cache::Cache> cache;
    std::unique_ptr<JobQueue> jobs;
    std::unique_ptr<detail::Api> api;
    monitor::PerformanceMonitor monitor;
    std::vector<Route> routes;
    // One per route, then one for requests no route matched.
    std::vector<std::unique_ptr<RouteMetrics>> metrics;
    httplib::Server http;
    std::atomic<bool> draining{false};
    socket_t listen_socket = INVALID_SOCKET;
    std::mutex shutdown_mutex;
    bool shut_down = false;

    explicit Impl(ServerOptions o) : options(std::move(o)) {
        cache::CacheConfig cc = cache::CacheConfig::from_settings(options.settings.cache);
        cache = std::make_unique<cache::Cache>(std::move(cc));
        const ServerSettings& s = options.settings.server;
        jobs = std::make_unique<JobQueue>(
            JobQueueOptions{static_cast<int>(s.workers), static_cast<std::size_t>(s.queue),
                            s.job_ttl},
            *cache);
        api = std::make_unique<detail::Api>(
            options, data::Store(expand_user(options.settings.data.store_dir)), *cache, *jobs,
            static_cast<std::size_t>(s.backtests_kept));
        build_routes();
        install();
    }

    bool has(std::string_view service) const {
        return options.services.contains(std::string(service));
    }

    void build_routes() {
        const auto add = [&](std::vector<Route> more) {
            for (Route& r : more) {
                routes.push_back(std::move(r));
            }
        };
        add(ops_routes());
        if (has("data")) {
            add(detail::data_routes(*api));
        }
        if (has("indicators")) {
            add(detail::indicator_routes(*api));
        }
        if (has("backtest")) {
            add(detail::backtest_routes(*api));
        }
        if (has("ml")) {
            add(detail::ml_routes(*api));
        }
        if (has("data") || has("backtest") || has("ml")) {
            add(detail::job_routes(*api));
        }
        if (has("web")) {
            add(web_routes());
        }
        for (std::size_t i = 0; i <= routes.size(); ++i) {
            metrics.push_back(std::make_unique<RouteMetrics>());
        }
    }

    std::vector<Route> ops_routes() {
        std::vector<Route> out(4);
        out[0].pattern = "/health";
        out[0].summary = "Liveness";
        out[0].handler = [](const HttpRequest&) {
            HttpResponse r;
            r.body = R"({"status":"ok"})";
            return r;
        };
        out[1].pattern = "/ready";
        out[1].summary = "Readiness: 503 while draining";
        out[1].handler = [this](const HttpRequest&) {
            if (draining.load()) {
                return error_response(503, "not_ready", "shutting down");
            }
            return HttpResponse::json({{"ready", true}});
        };
        out[2].pattern = "/metrics";
        out[2].summary = "Prometheus text: requests, latency, jobs, cache, process";
        out[2].handler = [this](const HttpRequest&) {
            HttpResponse r;
            r.content_type = "text/plain; version=0.0.4";
            r.body = metrics_text();
            return r;
        };
        out[3].pattern = "/openapi.json";
        out[3].summary = "This document";
        out[3].handler = [this](const HttpRequest&) {
            return HttpResponse::json(openapi_document(routes, TRADPAL_VERSION));
        };
        for (Route& r : out) {
            r.service = "ops";
        }
        return out;
    }

    std::vector<Route> web_routes() {
        const auto serve = [](std::string_view path) {
            const auto asset = web_asset(path);
            if (!asset) {
                throw ApiError(404, "not_found", fmt::format("no file '{}'", path));
            }
            HttpResponse r;
            r.content_type = std::string(asset->content_type);
            r.body = std::string(asset->body);
            return r;
        };
        std::vector<Route> out(3);
        out[0].pattern = "/";
        out[0].summary = "The dashboard";
        out[0].handler = [serve](const HttpRequest&) {
            return serve("/");
        };
        out[1].pattern = "/index.html";
        out[1].summary = "The dashboard";
        out[1].handler = out[0].handler;
        out[2].pattern = "/static/{file}";
        out[2].summary = "The dashboard's assets";
        out[2].handler = [serve](const HttpRequest& req) {
            return serve("/static/" + req.path_params[0]);
        };
        for (Route& r : out) {
            r.service = "web";
        }
        return out;
    }

    void dispatch(std::size_t index, const httplib::Request& req, httplib::Response& res) {
        t_route = index;
        const Route& route = routes[index];
        HttpResponse out;
        try {
            if (route.needs_token) {
                check_token(req);
            }
            HttpRequest r;
            r.method = route.method;
            r.path = req.path;
            for (std::size_t i = 1; i < req.matches.size(); ++i) {
                r.path_params.push_back(req.matches[i].str());
            }
            for (const auto& [k, v] : req.params) {
                r.query.emplace(k, v);
            }
            r.body = req.body;
            out = route.handler(r);
        } catch (...) {
            out = error_response(std::current_exception());
        }
        write_response(out, res);
    }

    void check_token(const httplib::Request& req) const {
        const std::string& expected = options.settings.server.token;
        if (expected.empty()) {
            throw ApiError(401, "unauthorized",
                           "this server has no token ([server] token or TRADPAL_SERVER_TOKEN), "
                           "so it refuses every changing route");
        }
        const std::string header = req.get_header_value("Authorization");
        constexpr std::string_view kBearer = "Bearer ";
        if (!header.starts_with(kBearer) ||
            !tokens_equal(std::string_view(header).substr(kBearer.size()), expected)) {
            throw ApiError(401, "unauthorized", "missing or wrong bearer token");
        }
    }

    void install() {
        const ServerSettings& s = options.settings.server;
        const auto threads = static_cast<std::size_t>(s.http_threads);
        http.new_task_queue = [threads] {
            return new httplib::ThreadPool(threads);
        };
        http.set_payload_max_length(static_cast<std::size_t>(s.body_limit));
        http.set_read_timeout(static_cast<time_t>(s.timeout_s), 0);
        http.set_write_timeout(static_cast<time_t>(s.timeout_s), 0);
        http.set_keep_alive_max_count(1000);
        // Headers and body go out in separate writes: without this, Nagle and delayed ACKs add
        // 40 ms to every keep-alive response.
        http.set_tcp_nodelay(true);
        // httplib listens with a backlog of 5, too few for a burst of new connections (they are
        // reset); bind() listens again on the same socket with a longer one.
        http.set_socket_options([this](socket_t sock) {
            httplib::default_socket_options(sock);
            listen_socket = sock;
        });
        http.set_pre_routing_handler([this](const httplib::Request&, httplib::Response&) {
            t_request_start = Clock::now();
            t_route = routes.size();
            return httplib::Server::HandlerResponse::Unhandled;
        });
        for (std::size_t i = 0; i < routes.size(); ++i) {
            const std::string re = pattern_regex(routes[i].pattern);
            auto h = [this, i](const httplib::Request& req, httplib::Response& res) {
                dispatch(i, req, res);
            };
            switch (routes[i].method) {
                case Method::Get:
                    http.Get(re, h);
                    break;
                case Method::Post:
                    http.Post(re, h);
                    break;
                case Method::Delete:
                    http.Delete(re, h);
                    break;
            }
        }
        // Statuses httplib sets itself (404 no route, 413 body too large, 400 bad request)
        // get the same JSON error body as ours.
        const httplib::Server::HandlerWithResponse on_error = [](const httplib::Request&,
                                                                 httplib::Response& res) {
            if (!res.body.empty()) {
                return httplib::Server::HandlerResponse::Unhandled;
            }
            const char* code = res.status == 404   ? "not_found"
                               : res.status == 413 ? "payload_too_large"
                               : res.status == 405 ? "method_not_allowed"
                                                   : "invalid_argument";
            write_response(error_response(res.status, code, fmt::format("HTTP {}", res.status)),
                           res);
            return httplib::Server::HandlerResponse::Handled;
        };
        http.set_error_handler(on_error);
        http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
            const auto ns =
                std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t_request_start)
                    .count();
            const std::size_t route = std::min(t_route, routes.size());
            metrics[route]->record(res.status, ns);
            // Structured access log; query strings and headers (the token) are never logged.
            spdlog::info("access method={} path={} route={} status={} ms={:.3f} bytes={} peer={}",
                         req.method, req.path, route < routes.size() ? routes[route].pattern : "-",
                         res.status, static_cast<double>(ns) / 1e6, res.body.size(),
                         req.remote_addr);
        });
    }

    std::string metrics_text() const {
        std::string out;
        out +=
            "# HELP tradpal_http_requests_total HTTP requests by route and status.\n"
            "# TYPE tradpal_http_requests_total counter\n";
        const auto name_of = [&](std::size_t i) {
            return i < routes.size()
                       ? fmt::format("{} {}", to_string(routes[i].method), routes[i].pattern)
                       : std::string("unmatched");
        };
        for (std::size_t i = 0; i < metrics.size(); ++i) {
            const std::lock_guard lock(metrics[i]->mutex);
            for (const auto& [status, n] : metrics[i]->statuses) {
                out += fmt::format("tradpal_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                                   name_of(i), status, n);
            }
        }
        out +=
            "# HELP tradpal_http_request_duration_seconds Time to answer, by route.\n"
            "# TYPE tradpal_http_request_duration_seconds histogram\n";
        for (std::size_t i = 0; i < metrics.size(); ++i) {
            const RouteMetrics& m = *metrics[i];
            if (m.count.load() == 0) {
                continue;
            }
            std::uint64_t cumulative = 0;
            for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
                cumulative += m.buckets[b].load();
                out += fmt::format(
                    "tradpal_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                    name_of(i), b < kBuckets.size() ? fmt::format("{}", kBuckets[b]) : "+Inf",
                    cumulative);
            }
            out += fmt::format("tradpal_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n",
                               name_of(i), static_cast<double>(m.sum_ns.load()) / 1e9);
            out += fmt::format("tradpal_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                               name_of(i), m.count.load());
        }
        out += fmt::format(
            "# HELP tradpal_jobs_queued Jobs waiting for a worker.\n# TYPE tradpal_jobs_queued "
            "gauge\ntradpal_jobs_queued {}\n# HELP tradpal_jobs_running Jobs running.\n# TYPE "
            "tradpal_jobs_running gauge\ntradpal_jobs_running {}\n",
            jobs->queued(), jobs->running());
        out +=
            "# HELP tradpal_jobs_finished_total Jobs ended, by state.\n"
            "# TYPE tradpal_jobs_finished_total counter\n";
        for (const auto& [state, n] : jobs->finished_counts()) {
            out += fmt::format("tradpal_jobs_finished_total{{state=\"{}\"}} {}\n", state, n);
        }
        const cache::CacheStats stats = cache->stats();
        out +=
            "# HELP tradpal_cache_hits_total Cache hits by level.\n"
            "# TYPE tradpal_cache_hits_total counter\n"
            "# HELP tradpal_cache_misses_total Cache misses by level.\n"
            "# TYPE tradpal_cache_misses_total counter\n";

        for (std::size_t l = 0; l < 3; ++l) {
            out += fmt::format("tradpal_cache_hits_total{{level=\"{}\"}} {}\n",
                               cache::kLevelNames[l], stats[l].hits);
            out += fmt::format("tradpal_cache_misses_total{{level=\"{}\"}} {}\n",
                               cache::kLevelNames[l], stats[l].misses);
        }
        out += monitor.prometheus_text();
        return out;
    }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
    shutdown(std::chrono::milliseconds(0));
}

const std::vector<Route>& Server::routes() const noexcept {
    return impl_->routes;
}

Result<int> Server::bind() {
    const ServerSettings& s = impl_->options.settings.server;
    const int port = s.port == 0 ? impl_->http.bind_to_any_port(s.bind)
                                 : (impl_->http.bind_to_port(s.bind, static_cast<int>(s.port))
                                        ? static_cast<int>(s.port)
                                        : -1);
    if (port <= 0) {
        return fail(ErrorCode::IoError, fmt::format("cannot listen on {}:{}", s.bind, s.port));
    }
    if (impl_->listen_socket != INVALID_SOCKET) {
        ::listen(impl_->listen_socket, kListenBacklog);
    }
    // CPU and memory of the process for /metrics.
    impl_->monitor.start(std::chrono::milliseconds(1000));
    return port;
}

void Server::serve() {
    impl_->http.listen_after_bind();
}

void Server::shutdown(std::chrono::milliseconds grace) {
    {
        const std::lock_guard lock(impl_->shutdown_mutex);
        if (impl_->shut_down) {
            return;
        }
        impl_->shut_down = true;
    }
    impl_->draining.store(true);
    impl_->jobs->shutdown(grace);
    impl_->http.stop();
    impl_->monitor.stop();
}

}  // namespace tradpal::server

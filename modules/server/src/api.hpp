// SPDX-License-Identifier: Apache-2.0
// The routes of each service and what their handlers share.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tradpal/backtest/types.hpp>
#include <tradpal/cache/cache.hpp>
#include <tradpal/data/store.hpp>
#include <tradpal/server/http.hpp>
#include <tradpal/server/jobs.hpp>
#include <tradpal/server/server.hpp>

namespace tradpal::server::detail {

/// A finished backtest kept for its report, trades and equity routes.
struct StoredBacktest {
    std::string id;
    nlohmann::json request;
    nlohmann::json summary;
    std::string symbol;
    std::vector<backtest::Trade> trades;             ///< turned into JSON when asked for
    std::shared_ptr<const data::StoredSeries> bars;  ///< keeps `ts` mapped
    std::span<const std::int64_t> ts;
    std::vector<double> equity;
};

/// The last `capacity` backtests; older ones are dropped.
class BacktestStore {
public:
    explicit BacktestStore(std::size_t capacity) : capacity_(capacity) {}
    void add(std::shared_ptr<const StoredBacktest> bt);
    /// Throws: ApiError 404.
    std::shared_ptr<const StoredBacktest> get(const std::string& id) const;

private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::deque<std::shared_ptr<const StoredBacktest>> items_;
};

/// What the handlers share; owned by the server.
struct Api {
    Api(const ServerOptions& o, data::Store s, cache::Cache& c, JobQueue& j, std::size_t kept)
        : options(o), store(std::move(s)), cache(c), jobs(j), backtests(kept) {}

    const ServerOptions& options;
    data::Store store;
    cache::Cache& cache;
    JobQueue& jobs;
    BacktestStore backtests;

    const ServerSettings& limits() const noexcept { return options.settings.server; }
    nlohmann::json body(const HttpRequest& req) const {
        return parse_json_body(req.body, static_cast<int>(limits().json_depth));
    }
};

std::vector<Route> data_routes(Api& api);
std::vector<Route> indicator_routes(Api& api);
std::vector<Route> backtest_routes(Api& api);
std::vector<Route> ml_routes(Api& api);
std::vector<Route> job_routes(Api& api);

}  // namespace tradpal::server::detail

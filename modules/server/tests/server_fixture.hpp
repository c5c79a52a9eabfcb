// SPDX-License-Identifier: Apache-2.0
// A server on a free loopback port over a temporary store, and a client for it.
#pragma once

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <tradpal/data/store.hpp>
#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/server/server.hpp>

namespace tradpal::server::testing {

inline constexpr const char* kToken = "test-token-0123456789";

/// Writes `bars` to the store as `key`.
inline void store_bars(const data::Store& store, const data::SeriesKey& key,
                       const BarSeriesView& bars) {
    auto w = data::SeriesWriter::open(store, key, data::SeriesWriter::Mode::Replace).value();
    w.stage(bars);
    w.commit();
}

class ServerTest : public ::testing::Test {
protected:
    /// Settings of the server under test; change them before start().
    Settings settings() const {
        Settings s;
        s.data.store_dir = (dir_.path() / "store").string();
        s.cache.file_dir = (dir_.path() / "cache").string();
        s.cache.redis_enabled = false;
        s.server.token = kToken;
        s.server.port = 0;
        s.server.max_bars = 10'000;
        s.server.body_limit = 1 << 20;
        s.server.json_depth = 32;
        s.server.workers = 1;
        s.server.queue = 2;
        s.server.http_threads = 16;
        s.log.level = "warn";
        return s;
    }

    void SetUp() override {
        // Access logs only when a test fails to be understood; quiet by default.
        spdlog::set_level(std::getenv("TRADPAL_TEST_LOG") ? spdlog::level::info
                                                          : spdlog::level::warn);
        const data::Store store(dir_.path() / "store");
        store_bars(store, {"csv", "BTC/USD", Timeframe("1h")},
                   data_testing::synthetic_ohlcv(2000, 7).view());
    }

    void start(Settings s) {
        ServerOptions o;
        o.settings = std::move(s);
        o.threads = 1;
        server_ = std::make_unique<Server>(std::move(o));
        port_ = server_->bind().value();
        thread_ = std::thread([this] { server_->serve(); });
    }
    void start() { start(settings()); }

    void TearDown() override {
        if (server_) {
            server_->shutdown(std::chrono::milliseconds(0));
            thread_.join();
        }
    }

    httplib::Client client() const {
        httplib::Client c("127.0.0.1", port_);
        c.set_read_timeout(60, 0);
        return c;
    }
    static httplib::Headers auth(const std::string& token = kToken) {
        return {{"Authorization", "Bearer " + token}};
    }
    static nlohmann::json body(const httplib::Result& r) {
        EXPECT_TRUE(r) << "no response";
        return r ? nlohmann::json::parse(r->body) : nlohmann::json();
    }
    /// Posts a job with the token and expects 202: its id (empty after a failed expectation).
    std::string submit_job(const std::string& path, const std::string& request) const {
        auto c = client();
        const auto r = c.Post(path, auth(), request, "application/json");
        if (!r || r->status != 202) {
            ADD_FAILURE() << path << ": " << (r ? r->body : "no response");
            return {};
        }
        return nlohmann::json::parse(r->body)["job"]["id"];
    }
    /// Polls a job until it has ended (or 60 s pass); returns its last state.
    nlohmann::json wait_job(const std::string& id, std::string_view until = "") const {
        auto c = client();
        nlohmann::json job;
        for (int i = 0; i < 6000; ++i) {
            job = body(c.Get("/v1/jobs/" + id))["job"];
            const std::string state = job["state"];
            if (until.empty() ? (state != "queued" && state != "running") : state == until) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return job;
    }

    data_testing::TempDir dir_{"tradpal_server"};
    std::unique_ptr<Server> server_;
    std::thread thread_;
    int port_ = 0;
};

}  // namespace tradpal::server::testing

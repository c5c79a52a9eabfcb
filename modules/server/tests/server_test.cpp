// SPDX-License-Identifier: Apache-2.0
// Every route over real loopback HTTP: answers, auth, limits, traversal, jobs.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "server_fixture.hpp"

namespace tradpal::server::testing {
namespace {

using nlohmann::json;

const char* kSeries = R"J({"source":"csv","symbol":"BTC/USD","timeframe":"1h"})J";

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

/// A sweep that runs for a while on one thread: many sets over a long series.
std::string long_sweep() {
    return R"J({"series":{"source":"csv","symbol":"LONG","timeframe":"1h"},"strategy":"sma_cross",
              "grid":{"fast":"2:60:1","slow":"61:260:1"}})J";
}

class ApiTest : public ServerTest {
protected:
    void SetUp() override {
        ServerTest::SetUp();
        start();
    }
    void add_long_series() {
        store_bars(data::Store(dir_.path() / "store"), {"csv", "LONG", Timeframe("1h")},
                   data_testing::synthetic_ohlcv(200'000, 3).view());
    }
};

TEST_F(ApiTest, HealthReadyMetrics) {
    auto c = client();
    EXPECT_EQ(body(c.Get("/health")), json({{"status", "ok"}}));
    EXPECT_EQ(body(c.Get("/ready")), json({{"ready", true}}));
    const auto m = c.Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->status, 200);
    EXPECT_NE(m->body.find("tradpal_http_requests_total{route=\"GET /health\",status=\"200\"} 1"),
              std::string::npos)
        << m->body;
    EXPECT_NE(m->body.find("tradpal_http_request_duration_seconds_bucket"), std::string::npos);
    EXPECT_NE(m->body.find("tradpal_jobs_queued 0"), std::string::npos);
    EXPECT_NE(m->body.find("tradpal_cache_hits_total"), std::string::npos);
}

TEST_F(ApiTest, OpenApiListsEveryRoute) {
    const json doc = body(client().Get("/openapi.json"));
    EXPECT_EQ(doc["openapi"], "3.0.3");
    ASSERT_FALSE(server_->routes().empty());
    for (const Route& r : server_->routes()) {
        const std::string method = lower(to_string(r.method));
        EXPECT_TRUE(doc["paths"].contains(r.pattern) && doc["paths"][r.pattern].contains(method))
            << method << " " << r.pattern;
        if (r.needs_token) {
            EXPECT_TRUE(doc["paths"][r.pattern][method].contains("security")) << r.pattern;
        }
    }
}

TEST_F(ApiTest, UnknownRouteIsJson404) {
    const auto r = client().Get("/v1/nothing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(json::parse(r->body)["error"]["code"], "not_found");
}

TEST_F(ApiTest, ServesTheDashboard) {
    auto c = client();
    for (const char* path : {"/", "/index.html"}) {
        const auto page = c.Get(path);
        ASSERT_TRUE(page);
        EXPECT_EQ(page->status, 200) << path;
        EXPECT_EQ(page->get_header_value("Content-Type").rfind("text/html", 0), 0u) << path;
        EXPECT_NE(page->body.find("/static/app.js"), std::string::npos) << path;
    }
    const auto script = c.Get("/static/app.js");
    ASSERT_TRUE(script);
    EXPECT_EQ(script->status, 200);
    EXPECT_NE(script->get_header_value("Content-Type").find("javascript"), std::string::npos);
    const auto missing = c.Get("/static/nothing.js");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
}

TEST_F(ApiTest, ListsSeries) {
    const json doc = body(client().Get("/v1/series"));
    ASSERT_EQ(doc["series"].size(), 1U);
    EXPECT_EQ(doc["series"][0]["symbol"], "BTC/USD");
    EXPECT_EQ(doc["series"][0]["rows"], 2000);
    EXPECT_EQ(doc["series"][0]["path"], "csv/BTC-USD/1h");
    EXPECT_EQ(doc["series"][0]["first"], "2024-01-01T00:00:00Z");
}

TEST_F(ApiTest, PagesThroughBars) {
    auto c = client();
    std::vector<std::int64_t> ts;
    std::string url = "/v1/series/csv/BTC-USD/1h/bars?limit=700";
    for (int page = 0; page < 10; ++page) {
        const json doc = body(c.Get(url));
        ASSERT_EQ(doc["ts"].size(), doc["close"].size());
        for (const auto& t : doc["ts"]) {
            ts.push_back(t.get<std::int64_t>());
        }
        if (doc["next_cursor"].is_null()) {
            break;
        }
        url = "/v1/series/csv/BTC-USD/1h/bars?limit=700&cursor=" +
              doc["next_cursor"].get<std::string>();
    }
    ASSERT_EQ(ts.size(), 2000U);
    EXPECT_TRUE(std::is_sorted(ts.begin(), ts.end()));
    EXPECT_EQ(std::adjacent_find(ts.begin(), ts.end()), ts.end());

    const json tail = body(c.Get("/v1/series/csv/BTC-USD/1h/bars?limit=10&tail=1"));
    ASSERT_EQ(tail["ts"].size(), 10U);
    EXPECT_EQ(tail["ts"][9].get<std::int64_t>(), ts.back());
    const json range = body(c.Get(
        "/v1/series/csv/BTC-USD/1h/bars?start=2024-01-02T00:00:00Z&end=2024-01-03T00:00:00Z"));
    EXPECT_EQ(range["ts"].size(), 24U);
}

TEST_F(ApiTest, RefusesTooManyBars) {
    const auto r = client().Get("/v1/series/csv/BTC-USD/1h/bars?limit=20000");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(json::parse(r->body)["error"]["code"], "invalid_argument");
    const auto missing = client().Get("/v1/series/csv/ETH-USD/1h/bars");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
}

TEST_F(ApiTest, RefusesPathTraversal) {
    auto c = client();
    for (const char* path :
         {"/v1/series/csv/../1h/bars", "/v1/series/csv/%2e%2e/1h/bars",
          "/v1/series/csv/..%2f..%2fetc/1h/bars", "/v1/series/csv/BTC%00USD/1h/bars",
          "/v1/series/..%2F..%2Ftmp/BTC-USD/1h/bars", "/v1/series/csv/.hidden/1h/bars",
          "/v1/series/csv/BTC-USD/..%2f1h/bars", "/static/..%2f..%2fetc%2fpasswd"}) {
        const auto r = c.Get(path);
        ASSERT_TRUE(r) << path;
        EXPECT_TRUE(r->status == 400 || r->status == 404) << path << " -> " << r->status;
        EXPECT_TRUE(json::parse(r->body).contains("error")) << path;
    }
    const auto r = c.Post("/v1/indicators",
                          R"J({"series":{"source":"csv","symbol":"../../etc","timeframe":"1h"},
                              "specs":["rsi(14)"]})J",
                          "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
}

TEST_F(ApiTest, ChangingRoutesNeedTheToken) {
    auto c = client();
    const std::string req = fmt::format(R"J({{"series":{}}})J", kSeries);
    const auto none = c.Post("/v1/backtests", req, "application/json");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401);
    EXPECT_EQ(json::parse(none->body)["error"]["code"], "unauthorized");
    const auto wrong =
        c.Post("/v1/backtests", auth("test-token-0123456788"), req, "application/json");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401);
    const auto prefix = c.Post("/v1/backtests", auth("test-token"), req, "application/json");
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->status, 401);
    const auto sweep = c.Post("/v1/sweeps", req, "application/json");
    ASSERT_TRUE(sweep);
    EXPECT_EQ(sweep->status, 401);
    const auto del = c.Delete("/v1/jobs/job-0");
    ASSERT_TRUE(del);
    EXPECT_EQ(del->status, 401);
    const auto ok = c.Post("/v1/backtests", auth(), req, "application/json");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 201) << ok->body;
}

TEST_F(ApiTest, LimitsBodies) {
    auto c = client();
    const std::string big(2 << 20, ' ');
    const auto large = c.Post("/v1/indicators", big, "application/json");
    ASSERT_TRUE(large);
    EXPECT_EQ(large->status, 413);
    EXPECT_EQ(json::parse(large->body)["error"]["code"], "payload_too_large");

    const std::string deep = std::string(200, '[') + std::string(200, ']');
    const auto nested = c.Post("/v1/indicators", deep, "application/json");
    ASSERT_TRUE(nested);
    EXPECT_EQ(nested->status, 400);

    const auto malformed = c.Post("/v1/indicators", "{\"specs\":", "application/json");
    ASSERT_TRUE(malformed);
    EXPECT_EQ(malformed->status, 400);

    json bars = {{"ts", json::array()},  {"open", json::array()},  {"high", json::array()},
                 {"low", json::array()}, {"close", json::array()}, {"volume", json::array()}};
    for (int i = 0; i < 10'001; ++i) {
        bars["ts"].push_back(i);
        for (const char* k : {"open", "high", "low", "close", "volume"}) {
            bars[k].push_back(1);
        }
    }
    const auto many = c.Post("/v1/indicators", json({{"bars", bars}, {"specs", {"sma(5)"}}}).dump(),
                             "application/json");
    ASSERT_TRUE(many);
    EXPECT_EQ(many->status, 400);
    EXPECT_NE(many->body.find("max_bars"), std::string::npos);
}

TEST_F(ApiTest, ListsIndicatorsAndStrategies) {
    auto c = client();
    const json ind = body(c.Get("/v1/indicators"));
    const auto rsi = std::find_if(ind["indicators"].begin(), ind["indicators"].end(),
                                  [](const json& i) { return i["name"] == "rsi"; });
    ASSERT_NE(rsi, ind["indicators"].end());
    EXPECT_EQ((*rsi)["params"][0]["name"], "period");
    EXPECT_EQ((*rsi)["params"][0]["default"], 14);
    EXPECT_EQ((*rsi)["overlay"], false);
    const auto find = [&](std::string_view name) {
        return *std::find_if(ind["indicators"].begin(), ind["indicators"].end(),
                             [&](const json& i) { return i["name"] == name; });
    };
    // On the price axis outside the "overlap" group too; supertrend's direction is not.
    EXPECT_EQ(find("bbands")["price_outputs"], json({"upper", "middle", "lower"}));
    EXPECT_EQ(find("supertrend")["price_outputs"], json({"supertrend"}));
    EXPECT_EQ(find("sum")["overlay"], false);
    const json st = body(c.Get("/v1/strategies"));
    const auto sma = std::find_if(st["strategies"].begin(), st["strategies"].end(),
                                  [](const json& s) { return s["name"] == "sma_cross"; });
    ASSERT_NE(sma, st["strategies"].end());
    EXPECT_FALSE((*sma)["params"].empty());
}

TEST_F(ApiTest, ComputesIndicatorsOverSeriesAndPostedBars) {
    auto c = client();
    const std::string req = fmt::format(
        R"J({{"series":{},"specs":["rsi(14)","bbands(20,2)"],"limit":1000,"tail":true}})J",
        kSeries);
    const auto r1 = c.Post("/v1/indicators", req, "application/json");
    ASSERT_TRUE(r1);
    ASSERT_EQ(r1->status, 200) << r1->body;
    const json doc = json::parse(r1->body);
    ASSERT_EQ(doc["ts"].size(), 1000U);
    ASSERT_EQ(doc["columns"]["rsi(14)"].size(), 1000U);
    EXPECT_TRUE(doc["columns"]["rsi(14)"][0].is_null());  // lookback
    EXPECT_TRUE(doc["columns"]["rsi(14)"][999].is_number());
    EXPECT_TRUE(doc["columns"].contains("bbands(20,2,2,sma).upper"));
    // The same question again comes from the cache, with the same answer.
    const auto r2 = c.Post("/v1/indicators", req, "application/json");
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->body, r1->body);

    const json bars = body(c.Get("/v1/series/csv/BTC-USD/1h/bars?limit=1000&tail=1"));
    json posted = bars;
    posted.erase("next_cursor");
    const auto r3 =
        c.Post("/v1/indicators", json({{"bars", posted}, {"specs", {"rsi(14)"}}}).dump(),
               "application/json");
    ASSERT_TRUE(r3);
    ASSERT_EQ(r3->status, 200) << r3->body;
    EXPECT_EQ(json::parse(r3->body)["columns"]["rsi(14)"], doc["columns"]["rsi(14)"]);

    const auto bad =
        c.Post("/v1/indicators", fmt::format(R"J({{"series":{},"specs":["nope(3)"]}})J", kSeries),
               "application/json");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
}

TEST_F(ApiTest, RunsABacktestAndKeepsItsReport) {
    auto c = client();
    const std::string req = fmt::format(
        R"J({{"series":{},"strategy":"sma_cross","params":{{"fast":5,"slow":20}},
            "config":{{"cash":50000,"commission":0.001}}}})J",
        kSeries);
    const auto r = c.Post("/v1/backtests", auth(), req, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    const json run = json::parse(r->body);
    const std::string id = run["id"];
    EXPECT_EQ(id.rfind("bt-", 0), 0U);
    EXPECT_EQ(run["metrics"]["start_value"], 50000);
    EXPECT_GT(run["trades"].get<int>(), 0);

    const json report = body(c.Get("/v1/backtests/" + id));
    EXPECT_EQ(report["metrics"], run["metrics"]);
    EXPECT_EQ(report["request"]["strategy"], "sma_cross");
    const json trades = body(c.Get("/v1/backtests/" + id + "/trades"));
    EXPECT_EQ(trades["trades"].size(), run["trades"].get<std::size_t>());
    EXPECT_TRUE(trades["trades"][0].contains("net_pnl"));
    const json equity = body(c.Get("/v1/backtests/" + id + "/equity"));
    EXPECT_EQ(equity["equity"].size(), 2000U);
    const json small = body(c.Get("/v1/backtests/" + id + "/equity?points=100"));
    EXPECT_LE(small["equity"].size(), 101U);
    EXPECT_EQ(small["drawdown_pct"].size(), small["equity"].size());

    const auto missing = c.Get("/v1/backtests/bt-none");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    const auto bad =
        c.Post("/v1/backtests", auth(),
               fmt::format(R"J({{"series":{},"params":{{"fast":50,"slow":20}}}})J", kSeries),
               "application/json");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    const auto bad_config = c.Post(
        "/v1/backtests", auth(), fmt::format(R"J({{"series":{},"config":{{"cahs":1}}}})J", kSeries),
        "application/json");
    ASSERT_TRUE(bad_config);
    EXPECT_EQ(bad_config->status, 400);
}

// Each request of this client is a connection of its own: the one that submitted the job is
// closed long before the job ends, which the job does not notice.
TEST_F(ApiTest, SweepJobRunsToAResult) {
    auto c = client();
    const std::string id = submit_job(
        "/v1/sweeps",
        fmt::format(R"J({{"series":{},"grid":{{"fast":"5:20:5","slow":[30,40]}},"top":3}})J",
                    kSeries));
    ASSERT_FALSE(id.empty());
    const json job = wait_job(id);
    ASSERT_EQ(job["state"], "done") << job.dump();
    EXPECT_EQ(job["progress"], 1.0);
    const json result = body(c.Get("/v1/jobs/" + id + "/result"));
    EXPECT_EQ(result["evaluated"], 8);
    ASSERT_EQ(result["top"].size(), 3U);
    EXPECT_TRUE(result["top"][0]["params"].contains("fast"));
    const json jobs = body(c.Get("/v1/jobs"));
    EXPECT_EQ(jobs["jobs"][0]["id"], id);

    const auto too_big = c.Post(
        "/v1/sweeps", auth(),
        fmt::format(R"J({{"series":{},"grid":{{"fast":"1:1000:1","slow":"1:1000:1"}}}})J", kSeries),
        "application/json");
    ASSERT_TRUE(too_big);
    EXPECT_EQ(too_big->status, 400);
}

TEST_F(ApiTest, WalkForwardJob) {
    auto c = client();
    const std::string id = submit_job(
        "/v1/walkforwards",
        fmt::format(R"J({{"series":{},"grid":{{"fast":"5:10:5","slow":[30]}},"train":"20d",
                        "test":"10d"}})J",
                    kSeries));
    ASSERT_FALSE(id.empty());
    ASSERT_EQ(wait_job(id)["state"], "done");
    const json result = body(c.Get("/v1/jobs/" + id + "/result"));
    EXPECT_FALSE(result["windows"].empty());
    EXPECT_EQ(result["ts"].size(), result["equity"].size());
}

TEST_F(ApiTest, CancelledJobLeavesNoResult) {
    add_long_series();
    auto c = client();
    const std::string id = submit_job("/v1/sweeps", long_sweep());
    ASSERT_FALSE(id.empty());
    ASSERT_EQ(wait_job(id, "running")["state"], "running");
    const auto del = c.Delete("/v1/jobs/" + id, auth());
    ASSERT_TRUE(del);
    EXPECT_EQ(del->status, 200) << del->body;
    const json job = wait_job(id);
    EXPECT_EQ(job["state"], "cancelled");
    EXPECT_LT(job["progress"].get<double>(), 1.0);
    const auto result = c.Get("/v1/jobs/" + id + "/result");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 409);
    const auto again = c.Delete("/v1/jobs/" + id, auth());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 409);
}

TEST_F(ApiTest, FullQueueAnswers429WithRetryAfter) {
    add_long_series();
    auto c = client();
    std::vector<std::string> ids;
    // One worker and a queue of two: the first runs, two wait, the fourth is refused.
    for (int i = 0; i < 3; ++i) {
        ids.push_back(submit_job("/v1/sweeps", long_sweep()));
        ASSERT_FALSE(ids.back().empty());
        if (i == 0) {
            wait_job(ids[0], "running");
        }
    }
    const auto full = c.Post("/v1/sweeps", auth(), long_sweep(), "application/json");
    ASSERT_TRUE(full);
    EXPECT_EQ(full->status, 429);
    EXPECT_EQ(json::parse(full->body)["error"]["code"], "queue_full");
    EXPECT_TRUE(full->has_header("Retry-After"));
    for (const std::string& id : ids) {
        const auto del = c.Delete("/v1/jobs/" + id, auth());
        ASSERT_TRUE(del);
        EXPECT_EQ(del->status, 200);
    }
    EXPECT_EQ(body(c.Get("/v1/jobs/" + ids[2]))["job"]["state"], "cancelled");
}

TEST_F(ApiTest, ImportsCsvAsAJob) {
    auto c = client();
    const std::string csv = data_testing::to_csv(data_testing::synthetic_ohlcv(50, 9).view());
    const std::string id = submit_job(
        "/v1/data/import", json({{"symbol", "ETH/USD"}, {"timeframe", "1h"}, {"csv", csv}}).dump());
    ASSERT_FALSE(id.empty());
    ASSERT_EQ(wait_job(id)["state"], "done");
    EXPECT_EQ(body(c.Get("/v1/jobs/" + id + "/result"))["series"]["rows"], 50);
    EXPECT_EQ(body(c.Get("/v1/series/csv/ETH-USD/1h/bars"))["ts"].size(), 50U);

    const auto bad = c.Post("/v1/data/import", auth(),
                            json({{"symbol", "../x"}, {"timeframe", "1h"}, {"csv", csv}}).dump(),
                            "application/json");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
}

TEST_F(ServerTest, ServicesSelectRoutes) {
    Settings s = settings();
    ServerOptions o;
    o.settings = s;
    o.services = parse_services("indicators").value();
    Server srv(std::move(o));
    bool has_bars = false;
    bool has_indicators = false;
    bool has_health = false;
    for (const Route& r : srv.routes()) {
        has_bars |= r.pattern.find("/bars") != std::string::npos;
        has_indicators |= r.pattern == "/v1/indicators";
        has_health |= r.pattern == "/health";
    }
    EXPECT_FALSE(has_bars);
    EXPECT_TRUE(has_indicators);
    EXPECT_TRUE(has_health);
    EXPECT_FALSE(parse_services("data,nope"));
}

TEST_F(ServerTest, WithoutATokenChangingRoutesAreRefused) {
    Settings s = settings();
    s.server.token.clear();
    start(s);
    const auto r = client().Post("/v1/backtests", auth(""),
                                 fmt::format(R"J({{"series":{}}})J", kSeries), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
}

}  // namespace
}  // namespace tradpal::server::testing

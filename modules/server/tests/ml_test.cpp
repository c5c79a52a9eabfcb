// SPDX-License-Identifier: Apache-2.0
// The ml service over loopback HTTP: a tiny model trained as a job, listed, its forecasts
// equal to ml::Predictor's; cancelling leaves no model; names, tokens and unknown models.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <tradpal/config.hpp>
#include <tradpal/core/timestamp.hpp>
#include <tradpal/ml/pipeline.hpp>

#include "server_fixture.hpp"

namespace tradpal::server::testing {
namespace {

using nlohmann::json;

std::string train_body(const std::string& name, int epochs) {
    return json{{"series", {{"source", "csv"}, {"symbol", "BTC/USD"}, {"timeframe", "1h"}}},
                {"model", "mlp"},
                {"features", "logret(1),logret(5),vol(20)"},
                {"seq_len", 16},
                {"hidden", 16},
                {"epochs", epochs},
                {"batch_size", 64},
                {"seed", 3},
                {"name", name}}
        .dump();
}

class MlApiTest : public ServerTest {
protected:
    void SetUp() override {
        ServerTest::SetUp();
        Settings s = settings();
        s.ml.checkpoint_dir = models().string();
        s.gpu.enabled = false;
        start(std::move(s));
    }
    std::filesystem::path models() const { return dir_.path() / "models"; }
    /// Everything in the models directory, hidden temporary directories included.
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(models(), ec)) {
            out.push_back(e.path().filename().string());
        }
        return out;
    }
};

TEST_F(MlApiTest, TrainsListsAndPredicts) {
    if (!TRADPAL_HAS_TORCH) {
        GTEST_SKIP() << "built without libtorch";
    }
    auto c = client();
    const std::string id = submit_job("/v1/ml/train", train_body("tiny", 2));
    ASSERT_FALSE(id.empty());
    const json job = wait_job(id);
    ASSERT_EQ(job["state"], "done") << job.dump();
    EXPECT_DOUBLE_EQ(job["progress"].get<double>(), 1.0);
    const json result = body(c.Get("/v1/jobs/" + id + "/result"));
    EXPECT_EQ(result["model"], "tiny");
    EXPECT_EQ(result["history"].size(), 2U);
    for (const char* f : {"model", "zero", "last_return", "linear"}) {
        EXPECT_TRUE(result["test"][f].contains("mse")) << f;
    }
    EXPECT_EQ(entries(), std::vector<std::string>{"tiny"});  // no temporary directory left

    const json listed = body(c.Get("/v1/ml/models"));
    ASSERT_EQ(listed["models"].size(), 1U) << listed.dump();
    const json& m = listed["models"][0];
    EXPECT_EQ(m["name"], "tiny");
    EXPECT_EQ(m["kind"], "mlp");
    EXPECT_EQ(m["symbol"], "BTC/USD");
    EXPECT_EQ(m["timeframe"], "1h");
    EXPECT_EQ(m["label"], "ret(1)");
    EXPECT_EQ(m["features"].size(), 3U);
    EXPECT_EQ(m["test"], result["test"]);

    const auto p = c.Post("/v1/ml/predict", json{{"model", "tiny"}}.dump(), "application/json");
    ASSERT_TRUE(p);
    ASSERT_EQ(p->status, 200) << p->body;
    const json forecasts = json::parse(p->body)["forecasts"];

    // The same rows through ml::Predictor directly.
    const ml::Predictor predictor = ml::Predictor::load(models() / "tiny", "cpu").value();
    const auto stored =
        data::Store(dir_.path() / "store").open({"csv", "BTC/USD", Timeframe("1h")}).value();
    const ml::Dataset data = ml::dataset_for(predictor.meta(), stored.view());
    const std::size_t first = ml::first_out_of_sample(predictor.meta(), data);
    const std::vector<double> expected = predictor.predict(data, {first, data.rows}).value();
    ASSERT_EQ(forecasts.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(forecasts[i]["ts"], format_iso(Timestamp(data.ts[first + i])));
        EXPECT_DOUBLE_EQ(forecasts[i]["forecast"].get<double>(), expected[i]) << i;
        EXPECT_FALSE(forecasts[i]["in_sample"].get<bool>());
    }

    // `all` adds the rows it trained on; start/end narrow them.
    const json all = body(c.Post("/v1/ml/predict", json{{"model", "tiny"}, {"all", true}}.dump(),
                                 "application/json"));
    EXPECT_GT(all["forecasts"].size(), expected.size());
    EXPECT_TRUE(all["forecasts"][0]["in_sample"].get<bool>());
    const std::string from = forecasts[10]["ts"];
    const std::string to = forecasts[20]["ts"];
    const json some =
        body(c.Post("/v1/ml/predict", json{{"model", "tiny"}, {"start", from}, {"end", to}}.dump(),
                    "application/json"));
    ASSERT_EQ(some["forecasts"].size(), 10U);
    EXPECT_EQ(some["forecasts"][0]["ts"], from);
}

TEST_F(MlApiTest, CancelledTrainingLeavesNoModel) {
    if (!TRADPAL_HAS_TORCH) {
        GTEST_SKIP() << "built without libtorch";
    }
    auto c = client();
    const std::string id = submit_job("/v1/ml/train", train_body("long", 5000));
    ASSERT_FALSE(id.empty());
    json job = json::object();
    for (int i = 0; i < 6000 && job.value("message", "").empty(); ++i) {  // an epoch done
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        job = body(c.Get("/v1/jobs/" + id))["job"];
    }
    ASSERT_EQ(job["state"], "running") << job.dump();
    ASSERT_EQ(c.Delete("/v1/jobs/" + id, auth())->status, 200);
    EXPECT_EQ(wait_job(id)["state"], "cancelled");
    EXPECT_EQ(c.Get("/v1/jobs/" + id + "/result")->status, 409);
    EXPECT_TRUE(entries().empty()) << fmt::format("{}", fmt::join(entries(), ", "));
    EXPECT_TRUE(body(c.Get("/v1/ml/models"))["models"].empty());
}

TEST_F(MlApiTest, RefusesBadRequests) {
    auto c = client();
    const auto no_token = c.Post("/v1/ml/train", train_body("x", 1), "application/json");
    ASSERT_TRUE(no_token);
    EXPECT_EQ(no_token->status, 401);

    const auto unknown =
        c.Post("/v1/ml/predict", json{{"model", "nope"}}.dump(), "application/json");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404) << unknown->body;
    EXPECT_EQ(json::parse(unknown->body)["error"]["code"], "not_found");

    for (const char* name : {"../escape", "a/b", "..", ".hidden", ""}) {
        const auto p = c.Post("/v1/ml/predict", json{{"model", name}}.dump(), "application/json");
        ASSERT_TRUE(p);
        EXPECT_EQ(p->status, 400) << name << ": " << p->body;
        const auto t = c.Post("/v1/ml/train", auth(), train_body(name, 1), "application/json");
        ASSERT_TRUE(t);
        // Without libtorch every training request is refused first.
        EXPECT_EQ(t->status, TRADPAL_HAS_TORCH ? 400 : 503) << name << ": " << t->body;
    }
    EXPECT_TRUE(entries().empty());

    if (!TRADPAL_HAS_TORCH) {
        const auto t = c.Post("/v1/ml/train", auth(), train_body("x", 1), "application/json");
        EXPECT_EQ(json::parse(t->body)["error"]["code"], "unavailable");
        EXPECT_EQ(json::parse(t->body)["error"]["message"],
                  "this TradPal was built without libtorch (README, 'ML')");
    }
    EXPECT_EQ(body(c.Get("/v1/ml/models"))["models"], json::array());
}

TEST_F(ServerTest, TheMlServiceHasTheMlRoutesAndJobs) {
    ServerOptions o;
    o.settings = settings();
    o.services = parse_services("ml").value();
    const Server srv(std::move(o));
    std::vector<std::string> patterns;
    for (const Route& r : srv.routes()) {
        patterns.push_back(r.pattern);
    }
    for (const char* p : {"/v1/ml/models", "/v1/ml/train", "/v1/ml/predict", "/v1/jobs/{id}"}) {
        EXPECT_NE(std::find(patterns.begin(), patterns.end(), p), patterns.end()) << p;
    }
    EXPECT_EQ(std::find(patterns.begin(), patterns.end(), "/v1/backtests"), patterns.end());
}

}  // namespace
}  // namespace tradpal::server::testing

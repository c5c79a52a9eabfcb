// SPDX-License-Identifier: Apache-2.0
// train -> ml evaluate -> predict -> backtest --strategy ml through the binary, on a series with a
// planted signal; and the requests the ml commands refuse. Skipped without libtorch.
#include <cmath>
#include <random>
#include <sstream>
#include <vector>

#include <tradpal/config.hpp>

#include "cli_run.hpp"

namespace tradpal {
namespace {

using nlohmann::json;

constexpr std::int64_t kFirstBar = 1'577'836'800;  // 2020-01-01T00:00:00Z
constexpr std::size_t kBars = 3000;

// Hourly bars whose log returns follow an AR(1) with coefficient 0.5: each return predicts
// half of the next one.
std::string ar1_csv(std::size_t bars) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0.0, 0.01);
    std::uniform_real_distribution<double> volume(1000.0, 1100.0);
    std::string csv = "time,open,high,low,close,volume\n";
    double ret = 0;
    double price = 100;
    for (std::size_t i = 0; i < bars; ++i) {
        ret = 0.5 * ret + noise(rng);
        const double open = price;
        price *= std::exp(ret);
        csv += fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f},{:.3f}\n",
                           kFirstBar + 3600 * static_cast<std::int64_t>(i), open,
                           std::max(open, price) * 1.001, std::min(open, price) * 0.999, price,
                           volume(rng));
    }
    return csv;
}

struct PredictionRow {
    std::string time;
    double value = 0;
    int in_sample = 0;
};

std::vector<PredictionRow> read_predictions(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "time,prediction,in_sample");
    std::vector<PredictionRow> rows;
    while (std::getline(in, line)) {
        const auto a = line.find(',');
        const auto b = line.rfind(',');
        rows.push_back({line.substr(0, a), std::stod(line.substr(a + 1, b - a - 1)),
                        std::stoi(line.substr(b + 1))});
    }
    return rows;
}

class MlCliTest : public CliTest {
protected:
    void SetUp() override {
        if (!TRADPAL_HAS_TORCH) {
            GTEST_SKIP() << "built without libtorch";
        }
        const CliRun imported = tradpal(fmt::format(
            "data import '{}' --symbol AR/USD --timeframe 1h", file("ar.csv", ar1_csv(kBars))));
        ASSERT_EQ(imported.code, 0) << imported.err;
    }

    std::string model_dir() const { return (dir_.path() / "model").string(); }

    CliRun train() {
        return tradpal(fmt::format(
            "--json train --symbol AR/USD --model mlp --seq-len 16 --hidden 32 --epochs 6 "
            "--features 'logret(1),logret(5),vol(20)' --out '{}'",
            model_dir()));
    }
};

TEST_F(MlCliTest, TrainEvaluatePredictBacktestEndToEnd) {
    const CliRun trained = train();
    ASSERT_EQ(trained.code, 0) << trained.err;
    const json t = trained.json();
    EXPECT_EQ(t["device"], "cpu");
    const json& test = t["test"];
    // The planted signal is learned: clearly better than forecasting zero.
    EXPECT_LT(test["model"]["mse"].get<double>(), 0.9 * test["zero"]["mse"].get<double>());
    EXPECT_GT(test["model"]["ic"].get<double>(), 0.2);

    // ml evaluate scores the same test rows with the saved weights.
    const CliRun evaluated = tradpal(fmt::format("--json ml evaluate --model '{}'", model_dir()));
    ASSERT_EQ(evaluated.code, 0) << evaluated.err;
    const json scores = evaluated.json()["test"];
    for (const char* forecast : {"model", "zero", "last_return", "linear"}) {
        SCOPED_TRACE(forecast);
        const json& again = scores[forecast];
        EXPECT_EQ(again["samples"], test[forecast]["samples"]);
        EXPECT_NEAR(again["mse"].get<double>(), test[forecast]["mse"].get<double>(),
                    1e-9 * test[forecast]["mse"].get<double>());
    }

    // predict: out of sample by default, up to the last bar (whose label is still unknown).
    const std::string csv = (dir_.path() / "predictions.csv").string();
    const CliRun predicted =
        tradpal(fmt::format("predict --model '{}' --out '{}'", model_dir(), csv));
    ASSERT_EQ(predicted.code, 0) << predicted.err;
    const std::vector<PredictionRow> rows = read_predictions(read_text_file(csv).value());
    ASSERT_EQ(rows.size(), test["model"]["samples"].get<std::size_t>() + 1);
    EXPECT_EQ(rows.back().time, "2020-05-04T23:00:00Z");  // bar 2999
    for (const PredictionRow& r : rows) {
        ASSERT_EQ(r.in_sample, 0) << r.time;
        ASSERT_TRUE(std::isfinite(r.value)) << r.time;
    }
    const CliRun all =
        tradpal(fmt::format("predict --model '{}' --all --out '{}.all'", model_dir(), csv));
    ASSERT_EQ(all.code, 0) << all.err;
    const std::vector<PredictionRow> all_rows =
        read_predictions(read_text_file(csv + ".all").value());
    ASSERT_GT(all_rows.size(), rows.size());
    EXPECT_EQ(all_rows.front().in_sample, 1);
    // The out-of-sample tail of --all is the default output, forecast for forecast.
    const std::size_t offset = all_rows.size() - rows.size();
    EXPECT_EQ(all_rows[offset - 1].in_sample, 1);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        ASSERT_EQ(all_rows[offset + i].time, rows[i].time);
        ASSERT_NEAR(all_rows[offset + i].value, rows[i].value, 1e-6 * std::abs(rows[i].value));
    }

    // backtest --strategy ml trades the forecasts on the out-of-sample bars; both engines agree.
    const std::string backtest =
        fmt::format("--json backtest --strategy ml --model '{}' --param entry=0.002", model_dir());
    const CliRun event = tradpal(backtest);
    ASSERT_EQ(event.code, 0) << event.err;
    const CliRun vectorized = tradpal(backtest + " --engine vectorized");
    ASSERT_EQ(vectorized.code, 0) << vectorized.err;
    const json e = event.json();
    const json v = vectorized.json();
    EXPECT_EQ(e["start"], rows.front().time);
    EXPECT_EQ(e["bars"], rows.size());
    EXPECT_EQ(e["model"]["out_of_sample_from"], rows.front().time);
    EXPECT_EQ(e["strategy"], fmt::format("ml(entry=0.002,exit=0) with model {}", model_dir()));
    EXPECT_GT(e["n_trades"].get<int>(), 5);
    EXPECT_EQ(v["n_trades"], e["n_trades"]);
    EXPECT_DOUBLE_EQ(v["final_value"].get<double>(), e["final_value"].get<double>());
    EXPECT_GT(e["total_return"].get<double>(), 0);  // the planted signal pays after costs

    // A start date inside the training data does not bring in-sample bars back.
    const CliRun early = tradpal(backtest + " --start-date 2020-01-10");
    ASSERT_EQ(early.code, 0) << early.err;
    EXPECT_EQ(early.json()["start"], rows.front().time);
    const CliRun late = tradpal(backtest + " --start-date 2020-05-01");
    ASSERT_EQ(late.code, 0) << late.err;
    EXPECT_EQ(late.json()["start"], "2020-05-01T00:00:00Z");
}

TEST_F(MlCliTest, RefusesBadRequestsNamingTheCulprit) {
    const auto refused = [this](const std::string& args, const std::string& expected) {
        SCOPED_TRACE(args);
        const CliRun r = tradpal(args);
        EXPECT_NE(r.code, 0);
        EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
    };
    refused("backtest --strategy ml --symbol AR/USD", "--model DIR");
    refused(fmt::format("backtest --strategy ml --model '{}'", model_dir()), "model.json");
    refused("backtest --symbol AR/USD --model somewhere", "--model goes with --strategy ml");
    refused("train --symbol AR/USD --features 'logret(0)'", "logret");
    refused("train --symbol NOPE/USD", "NOPE/USD");

    ASSERT_EQ(train().code, 0);
    refused(fmt::format("backtest --strategy ml --model '{}' --param entry=0.001 --param exit=0.01",
                        model_dir()),
            "exit (0.01) must not exceed entry (0.001)");
    refused(fmt::format("backtest --strategy ml --model '{}' --portfolio --symbols AR/USD",
                        model_dir()),
            "--portfolio");
    refused(fmt::format("backtest --strategy ml --model '{}' --end-date 2020-02-01", model_dir()),
            "no out-of-sample bars in the date range");
    refused("sweep --symbol AR/USD --strategy ml --grid entry=0,0.001",
            "--strategy ml --model DIR");

    // A series too short for one window of the model.
    std::string short_csv = "time,open,high,low,close,volume\n";
    for (int i = 0; i < 20; ++i) {
        short_csv += fmt::format("{},100,101,99,100.5,10\n", kFirstBar + 3600 * i);
    }
    ASSERT_EQ(tradpal(fmt::format("data import '{}' --symbol SHORT/USD --timeframe 1h",
                                  file("short.csv", short_csv)))
                  .code,
              0);
    refused(fmt::format("predict --model '{}' --symbol SHORT/USD", model_dir()), "valid rows");
}

}  // namespace
}  // namespace tradpal

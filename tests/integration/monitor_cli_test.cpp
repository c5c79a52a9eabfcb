// SPDX-License-Identifier: Apache-2.0
// --profile, --metrics-out and --baseline around a backtest, and `tradpal gpu monitor`, through
// the binary. TRADPAL_NVML_LIBRARY points NVML at a library that does not exist (as on a
// machine without a driver) or at the tests' made-up driver, so the answers do not depend on
// the machine.
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "cli_run.hpp"

namespace tradpal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kNoDriver = "TRADPAL_NVML_LIBRARY=libtradpal-no-such-nvml.so.1";

class MonitorCliTest : public CliTest {
protected:
    void SetUp() override {
        ASSERT_EQ(tradpal("data generate --symbol S --timeframe 1h --bars 3000 --seed 5").code, 0);
    }
    std::string path(const std::string& name) const { return (dir_.path() / name).string(); }
};

std::vector<std::string> timer_names(const nlohmann::json& metrics) {
    std::vector<std::string> names;
    for (const nlohmann::json& t : metrics.at("timers")) {
        names.push_back(t.at("name").get<std::string>());
    }
    return names;
}

TEST_F(MonitorCliTest, ProfilePrintsTheStagesOnStderr) {
    ASSERT_EQ(tradpal(fmt::format("data export S --out {}", path("bars.csv"))).code, 0);
    const CliRun r =
        tradpal(fmt::format("--profile backtest --input {}", path("bars.csv")), kNoDriver);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, Not(HasSubstr("STAGE")));
    EXPECT_THAT(r.err, HasSubstr("STAGE"));
    for (const char* stage : {"\nload ", "\nbacktest ", "\nreport "}) {
        EXPECT_THAT(r.err, HasSubstr(stage)) << stage;
    }
    EXPECT_THAT(r.err, HasSubstr("\nprocess: cpu "));
    EXPECT_THAT(r.err,
                HasSubstr("\ngpu: libtradpal-no-such-nvml.so.1 not found (no NVIDIA driver)"));

    // With --json the table stays off stdout, which remains one JSON document.
    const CliRun json = tradpal("--json --profile backtest --symbol S", kNoDriver);
    ASSERT_EQ(json.code, 0) << json.err;
    EXPECT_NO_THROW(static_cast<void>(json.json()));
    EXPECT_THAT(json.err, HasSubstr("STAGE"));

    // Without the flags nothing is measured or printed.
    const CliRun plain = tradpal("backtest --symbol S", kNoDriver);
    ASSERT_EQ(plain.code, 0) << plain.err;
    EXPECT_THAT(plain.err, Not(HasSubstr("STAGE")));
}

TEST_F(MonitorCliTest, MetricsOutWritesTheStagesAsJson) {
    const CliRun r =
        tradpal(fmt::format("backtest --symbol S --metrics-out {}", path("m.json")), kNoDriver);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("STAGE")));
    const nlohmann::json m = nlohmann::json::parse(read_text_file(path("m.json")).value());
    EXPECT_EQ(timer_names(m), (std::vector<std::string>{"load", "backtest", "report"}));
    for (const nlohmann::json& t : m["timers"]) {
        EXPECT_EQ(t["count"], 1);
        EXPECT_GE(t["p50_s"].get<double>(), 0);
        EXPECT_GE(t["max_s"].get<double>(), t["p50_s"].get<double>());
    }
    ASSERT_TRUE(m["process"].is_object());
    EXPECT_GE(m["process"]["samples"].get<int>(), 2);
    EXPECT_EQ(m["process"]["interval_ms"], 100);
    EXPECT_GT(m["process"]["peak_rss_bytes"].get<double>(), 0);
    EXPECT_TRUE(m["gpu"].is_null());
    EXPECT_EQ(m["gpu_unavailable"], "libtradpal-no-such-nvml.so.1 not found (no NVIDIA driver)");

    // The indicators command times its own stages.
    const CliRun ind = tradpal(fmt::format("indicators --symbol S --ind 'rsi(14)' --out {} "
                                           "--metrics-out {}",
                                           path("i.csv"), path("i.json")),
                               kNoDriver);
    ASSERT_EQ(ind.code, 0) << ind.err;
    EXPECT_EQ(timer_names(nlohmann::json::parse(read_text_file(path("i.json")).value())),
              (std::vector<std::string>{"load", "compute", "write"}));
}

TEST_F(MonitorCliTest, BaselineWarnsAboutSlowerStagesOnly) {
    // A doctored baseline: the backtest once took a nanosecond.
    const std::string fast = file("fast.json", R"({"timers": [{"name": "backtest", "p50_s": 1e-9},
                                          {"name": "load", "p50_s": 1e-9}]})");
    const CliRun slower = tradpal("backtest --symbol S --baseline " + fast, kNoDriver);
    ASSERT_EQ(slower.code, 0) << slower.err;
    EXPECT_THAT(slower.err, HasSubstr("stage backtest: p50 "));
    EXPECT_THAT(slower.err, HasSubstr("x its baseline 0.00 us (--baseline " + fast + ")"));
    EXPECT_THAT(slower.err, HasSubstr("stage load: p50 "));
    EXPECT_THAT(slower.err, Not(HasSubstr("STAGE")));  // --baseline alone prints no table

    const std::string slow =
        file("slow.json", R"({"timers": [{"name": "backtest", "p50_s": 1000}]})");
    const CliRun faster = tradpal("backtest --symbol S --baseline " + slow, kNoDriver);
    ASSERT_EQ(faster.code, 0) << faster.err;
    EXPECT_THAT(faster.err, Not(HasSubstr("baseline")));

    // A run's own metrics make a baseline; a file that is none is refused before the run.
    ASSERT_EQ(tradpal("backtest --symbol S --metrics-out " + path("m.json"), kNoDriver).code, 0);
    EXPECT_EQ(tradpal("backtest --symbol S --baseline " + path("m.json"), kNoDriver).code, 0);
    const CliRun missing = tradpal("backtest --symbol S --baseline " + path("none.json"));
    EXPECT_EQ(missing.code, 3) << missing.err;
    const CliRun garbled = tradpal("backtest --symbol S --baseline " + file("bad.json", "{"));
    EXPECT_EQ(garbled.code, 4) << garbled.err;
    const CliRun other = tradpal("backtest --symbol S --baseline " + file("other.json", "[1]"));
    EXPECT_EQ(other.code, 2) << other.err;
    EXPECT_THAT(other.err, HasSubstr("not a metrics file"));
    EXPECT_THAT(other.out, Not(HasSubstr("bars in")));  // the backtest did not run
    EXPECT_EQ(tradpal("backtest --symbol S --baseline-factor 0 --baseline " + fast).code, 2);
}

TEST_F(MonitorCliTest, GpuMonitorWithoutDriverFailsWithTheReason) {
    const CliRun r = tradpal("gpu monitor --count 1", kNoDriver);
    EXPECT_EQ(r.code, 9);
    EXPECT_EQ(r.err, "error: libtradpal-no-such-nvml.so.1 not found (no NVIDIA driver)\n");
    EXPECT_EQ(r.out, "");

    // This machine's own driver, when it has none, answers the same way.
    const CliRun here = tradpal("gpu monitor --count 1");
    if (here.code != 0) {
        EXPECT_EQ(here.code, 9);
        EXPECT_THAT(here.err, HasSubstr("error: "));
        EXPECT_EQ(here.err.find('\n'), here.err.size() - 1) << "one line: " << here.err;
    }

    EXPECT_EQ(tradpal("gpu").code, 2);
    EXPECT_EQ(tradpal("gpu monitor --interval 0", kNoDriver).code, 2);
}

#ifdef TRADPAL_FAKE_NVML
TEST_F(MonitorCliTest, GpuInfoListsTheDevicesOrSaysWhyNot) {
    const CliRun r = tradpal("--json gpu info");
    if (r.code != 0) {  // no CUDA toolkit in the build, no driver or no device
        EXPECT_EQ(r.code, 9);
        EXPECT_THAT(r.out, HasSubstr("\"code\": \"unavailable\""));
        return;
    }
    const nlohmann::json j = r.json();
    ASSERT_FALSE(j["devices"].empty());
    bool chosen_is_listed = false;
    for (const auto& d : j["devices"]) {
        chosen_is_listed = chosen_is_listed || d["index"] == j["chosen"];
    }
    EXPECT_TRUE(chosen_is_listed) << r.out;
    EXPECT_EQ(tradpal("gpu info --device 99").code, 2);
}

TEST_F(MonitorCliTest, GpuMonitorPrintsEveryGpuEachInterval) {
    const std::string fake = std::string("TRADPAL_NVML_LIBRARY=") + TRADPAL_FAKE_NVML;
    const CliRun r = tradpal("gpu monitor --interval 0.05 --count 2", fake);
    ASSERT_EQ(r.code, 0) << r.err;
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < r.out.size();) {
        const std::size_t end = r.out.find('\n', start);
        lines.push_back(r.out.substr(start, end - start));
        start = end + 1;
    }
    ASSERT_EQ(lines.size(), 5U) << r.out;
    EXPECT_EQ(lines[0], "driver 999.1.2, 2 GPUs; every 0.05 s");
    EXPECT_THAT(lines[1], HasSubstr("  gpu 0  Fake GPU 0    util  42%  mem   1.0 GiB / 16.0 GiB "
                                    "   55 C"));
    EXPECT_THAT(lines[2], HasSubstr("  gpu 1  Fake \"GPU\" 1  util   7%"));
    EXPECT_THAT(lines[4], HasSubstr("  gpu 1  "));

    const CliRun json = tradpal("--json gpu monitor --interval 0.01 --count 2", fake);
    ASSERT_EQ(json.code, 0) << json.err;
    const std::size_t newline = json.out.find('\n');
    ASSERT_NE(newline, std::string::npos);
    const nlohmann::json first = nlohmann::json::parse(json.out.substr(0, newline));
    ASSERT_EQ(first["gpus"].size(), 2U);
    EXPECT_EQ(first["gpus"][0]["utilization_percent"], 42.0);
    EXPECT_TRUE(first["gpus"][1]["temperature_c"].is_null());
    EXPECT_TRUE(nlohmann::json::accept(json.out.substr(newline + 1)));

    const CliRun profiled = tradpal("--profile backtest --symbol S", fake);
    ASSERT_EQ(profiled.code, 0) << profiled.err;
    EXPECT_THAT(profiled.err, HasSubstr("\ngpu 0 Fake GPU 0: utilisation 42% mean"));
}
#endif

}  // namespace
}  // namespace tradpal

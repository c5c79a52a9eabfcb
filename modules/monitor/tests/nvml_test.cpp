// SPDX-License-Identifier: Apache-2.0
// NVML through dlopen: the real driver when this machine has one (skipped otherwise), and a
// made-up driver library (fake_nvml.cpp) for every path in between.
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>

#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/monitor/nvml.hpp>
#include <tradpal/monitor/performance_monitor.hpp>

#include "prometheus_check.hpp"

namespace tradpal::monitor {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::uint64_t kGiB = 1ULL << 30;

TEST(Nvml, WithoutADriverSaysWhyInOneLine) {
    const Result<Nvml> nvml = Nvml::open();
    if (nvml.has_value()) {
        GTEST_SKIP() << "this machine has an NVIDIA driver (Nvml.GpusOfThisMachine tests it)";
    }
    EXPECT_EQ(nvml.error().code, ErrorCode::Unavailable);
    EXPECT_FALSE(nvml.error().message.empty());
    EXPECT_EQ(nvml.error().message.find('\n'), std::string::npos);
    // Where the library is missing altogether, the message is exactly this.
    if (void* h = ::dlopen(kNvmlLibrary, RTLD_LAZY); h == nullptr) {
        EXPECT_EQ(nvml.error().message, "libnvidia-ml.so.1 not found (no NVIDIA driver)");
    } else {
        ::dlclose(h);
    }
}

TEST(Nvml, GpusOfThisMachine) {
    const Result<Nvml> nvml = Nvml::open();
    if (!nvml.has_value()) {
        GTEST_SKIP() << "no NVML here: " << nvml.error().message;
    }
    EXPECT_FALSE(nvml->driver_version().empty());
    const std::vector<GpuDevice> devices = nvml->devices();
    const std::vector<GpuSample> samples = nvml->sample();
    ASSERT_EQ(samples.size(), devices.size());
    for (const GpuSample& s : samples) {
        EXPECT_FALSE(s.name.empty());
        EXPECT_GT(s.memory_total_bytes, 0U);
        EXPECT_LE(s.memory_used_bytes, s.memory_total_bytes);
        if (!std::isnan(s.utilization_percent)) {
            EXPECT_GE(s.utilization_percent, 0);
            EXPECT_LE(s.utilization_percent, 100);
        }
    }
}

TEST(Nvml, MissingLibraryIsNamed) {
    const Result<Nvml> nvml = Nvml::open("libtradpal-no-such-nvml.so.1");
    ASSERT_FALSE(nvml.has_value());
    EXPECT_EQ(nvml.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(nvml.error().message, "libtradpal-no-such-nvml.so.1 not found (no NVIDIA driver)");
}

TEST(Nvml, FileThatIsNoLibraryIsNamed) {
    const data_testing::TempDir dir("tradpal_nvml");
    const std::string path = dir.write("libnvidia-ml.so.1", "not a shared object\n").string();
    const Result<Nvml> nvml = Nvml::open(path);
    ASSERT_FALSE(nvml.has_value());
    EXPECT_EQ(nvml.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(nvml.error().message.rfind(path + " could not be loaded: ", 0), 0U)
        << nvml.error().message;
}

TEST(FakeNvml, ListsAndSamplesItsGpus) {
    const Result<Nvml> nvml = Nvml::open(TRADPAL_FAKE_NVML);
    ASSERT_TRUE(nvml.has_value()) << nvml.error().message;
    EXPECT_EQ(nvml->driver_version(), "999.1.2");
    const std::vector<GpuDevice> devices = nvml->devices();
    ASSERT_EQ(devices.size(), 2U);
    EXPECT_EQ(devices[0].index, 0U);
    EXPECT_EQ(devices[0].name, "Fake GPU 0");
    EXPECT_EQ(devices[1].memory_total_bytes, 24 * kGiB);

    const std::vector<GpuSample> samples = nvml->sample();
    ASSERT_EQ(samples.size(), 2U);
    EXPECT_EQ(samples[0].name, "Fake GPU 0");
    EXPECT_DOUBLE_EQ(samples[0].utilization_percent, 42);
    EXPECT_EQ(samples[0].memory_used_bytes, 1 * kGiB);
    EXPECT_EQ(samples[0].memory_total_bytes, 16 * kGiB);
    EXPECT_DOUBLE_EQ(samples[0].temperature_c, 55);
    EXPECT_EQ(samples[1].index, 1U);
    EXPECT_TRUE(std::isnan(samples[1].temperature_c));  // no sensor
}

TEST(FakeNvml, ShutsDownOnceWhenTheLastOwnerGoes) {
    void* handle = ::dlopen(TRADPAL_FAKE_NVML, RTLD_NOW);
    ASSERT_NE(handle, nullptr);
    const auto live = reinterpret_cast<int (*)()>(::dlsym(handle, "tradpal_fake_nvml_live"));
    ASSERT_NE(live, nullptr);
    const int before = live();
    {
        Result<Nvml> opened = Nvml::open(TRADPAL_FAKE_NVML);
        ASSERT_TRUE(opened.has_value());
        EXPECT_EQ(live(), before + 1);
        Nvml moved = std::move(opened).value();
        Nvml target = std::move(moved);
        EXPECT_EQ(live(), before + 1);
    }
    EXPECT_EQ(live(), before);
    ::dlclose(handle);
}

TEST(FakeNvml, RefusedStartGivesNvmlsReason) {
    ::setenv("TRADPAL_FAKE_NVML_INIT_ERROR", "9", 1);
    const Result<Nvml> nvml = Nvml::open(TRADPAL_FAKE_NVML);
    ::unsetenv("TRADPAL_FAKE_NVML_INIT_ERROR");
    ASSERT_FALSE(nvml.has_value());
    EXPECT_EQ(nvml.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(nvml.error().message, "NVML did not start: Driver Not Loaded (NVML error 9)");
}

TEST(FakeNvml, MissingFunctionIsNamed) {
    const Result<Nvml> nvml = Nvml::open(TRADPAL_FAKE_NVML_PARTIAL);
    ASSERT_FALSE(nvml.has_value());
    EXPECT_EQ(nvml.error().code, ErrorCode::Unavailable);
    EXPECT_NE(nvml.error().message.find("has no nvmlDeviceGetMemoryInfo"), std::string::npos)
        << nvml.error().message;
}

TEST(FakeNvml, MonitorReportsEveryGpu) {
    PerformanceMonitor m(TRADPAL_FAKE_NVML);
    m.start(5ms);
    std::this_thread::sleep_for(30ms);
    m.stop();
    EXPECT_EQ(m.gpu_unavailable(), "");

    const json doc = m.to_json();
    ASSERT_TRUE(doc["gpu"].is_array());
    ASSERT_EQ(doc["gpu"].size(), 2U);
    EXPECT_FALSE(doc.contains("gpu_unavailable"));
    const json& g0 = doc["gpu"][0];
    EXPECT_EQ(g0["index"], 0);
    EXPECT_EQ(g0["name"], "Fake GPU 0");
    EXPECT_GE(g0["samples"].get<int>(), 1);
    EXPECT_DOUBLE_EQ(g0["utilization_percent"]["mean"].get<double>(), 42);
    EXPECT_EQ(g0["memory_used_max_bytes"], 1 * kGiB);
    EXPECT_EQ(g0["memory_total_bytes"], 16 * kGiB);
    EXPECT_EQ(g0["temperature_max_c"], 55.0);
    EXPECT_TRUE(doc["gpu"][1]["temperature_max_c"].is_null());

    const std::string table = m.table();
    EXPECT_NE(table.find("gpu 0 Fake GPU 0: utilisation 42% mean, 42% max; memory 1.0 GiB max"),
              std::string::npos)
        << table;

    const std::string text = m.prometheus_text();
    std::set<std::string> names;
    expect_well_formed_prometheus(text, names);
    for (const char* name : {"tradpal_gpu_utilization_percent", "tradpal_gpu_memory_used_bytes",
                             "tradpal_gpu_memory_total_bytes", "tradpal_gpu_temperature_celsius"}) {
        EXPECT_TRUE(names.count(name)) << name;
    }
    EXPECT_NE(text.find("tradpal_gpu_utilization_percent{gpu=\"0\",name=\"Fake GPU 0\"} 42\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("tradpal_gpu_temperature_celsius{gpu=\"1\",name=\"Fake \\\"GPU\\\" 1\"} "
                        "NaN\n"),
              std::string::npos)
        << text;
}

}  // namespace
}  // namespace tradpal::monitor

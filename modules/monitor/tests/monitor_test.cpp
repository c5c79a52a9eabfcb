// SPDX-License-Identifier: Apache-2.0
// Process sampling, timers, the sampler thread and the reports. Bounds on measured times and
// CPU figures are loose on purpose: the test machines are shared.
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/monitor/performance_monitor.hpp>
#include <tradpal/monitor/process.hpp>
#include <tradpal/monitor/timers.hpp>

#include "prometheus_check.hpp"

namespace tradpal::monitor {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr std::uint64_t kMiB = 1 << 20;

// Spins on this thread until it has used `cpu` of CPU time, however busy the machine is.
void spin_for_cpu(std::chrono::milliseconds cpu) {
    const auto thread_cpu = [] {
        timespec ts{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
    };
    const auto until = thread_cpu() + cpu;
    volatile std::uint64_t sink = 0;
    while (thread_cpu() < until) {
        for (int i = 0; i < 10000; ++i) {
            sink = sink + static_cast<std::uint64_t>(i);
        }
    }
}

TEST(ProcessSampler, ReportsMemoryAndThreads) {
    ProcessSampler sampler;
    const Result<ProcessSample> s = sampler.sample();
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_GT(s->rss_bytes, 1 * kMiB);
    EXPECT_GE(s->peak_rss_bytes, s->rss_bytes);
    EXPECT_GE(s->threads, 1);
    EXPECT_GE(s->cpu_percent, 0);
    EXPECT_GE(s->cpu_seconds, 0);
}

TEST(ProcessSampler, CpuPercentRisesWhileAThreadSpins) {
    ProcessSampler sampler;
    ASSERT_TRUE(sampler.sample().has_value());
    std::this_thread::sleep_for(300ms);
    const auto before_idle = std::chrono::steady_clock::now();
    const Result<ProcessSample> idle = sampler.sample();
    ASSERT_TRUE(idle.has_value());

    std::thread spinner(spin_for_cpu, 400ms);
    spinner.join();
    const Result<ProcessSample> busy = sampler.sample();
    const std::chrono::duration<double> outer = std::chrono::steady_clock::now() - before_idle;
    ASSERT_TRUE(busy.has_value());
    const double cpu = busy->cpu_seconds - idle->cpu_seconds;
    EXPECT_GE(cpu, 0.35);
    // The sampler's interval lies inside `outer`: its percentage is at least the CPU time over
    // the outer wall time, however little of the cores a loaded machine left the spinner.
    EXPECT_GE(busy->cpu_percent, 99 * cpu / outer.count());
    EXPECT_GT(busy->cpu_percent, idle->cpu_percent);
    EXPECT_LT(idle->cpu_percent, 25.0);
}

TEST(ProcessSampler, RssGrowsAfterTouchingMemoryAndPeakStays) {
    ProcessSampler sampler;
    const Result<ProcessSample> before = sampler.sample();
    ASSERT_TRUE(before.has_value());
    std::uint64_t touched_rss = 0;
    {
        std::vector<char> block(64 * kMiB);
        std::memset(block.data(), 1, block.size());
        const Result<ProcessSample> touched = sampler.sample();
        ASSERT_TRUE(touched.has_value());
        volatile char keep = block[block.size() / 2];
        static_cast<void>(keep);
        EXPECT_GE(touched->rss_bytes, before->rss_bytes + 48 * kMiB);
        touched_rss = touched->rss_bytes;
    }
    const Result<ProcessSample> after = sampler.sample();
    ASSERT_TRUE(after.has_value());
    // The kernel's RSS counters are batched per CPU, so two readings may disagree by a few
    // pages; the peak must still hold the 64 MiB.
    EXPECT_GE(after->peak_rss_bytes + kMiB, touched_rss);
    EXPECT_GE(after->peak_rss_bytes, before->rss_bytes + 48 * kMiB);
}

TEST(ProcessSampler, UnreadableProcIsAClearError) {
    ProcessSampler sampler("/nonexistent-proc/self");
    const Result<ProcessSample> s = sampler.sample();
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().code, ErrorCode::IoError);
    EXPECT_NE(s.error().message.find("/nonexistent-proc/self/stat"), std::string::npos);
    EXPECT_NE(s.error().message.find("/proc"), std::string::npos);
}

TEST(ProcessSampler, ReadsFilesAsTheKernelWritesThem) {
    // A command name holding ") (" and spaces: fields are counted from the last ')'.
    const data_testing::TempDir dir("tradpal_monitor");
    std::filesystem::create_directories(dir.path() / "self");
    dir.write("self/stat",
              "4242 (odd ) (name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 "
              "0 0\n");
    dir.write("self/status",
              "Name:\todd\nThreads:\t3\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nVmSwap:\t 0 kB\n");
    const long ticks = ::sysconf(_SC_CLK_TCK);
    // Started 1000 ticks after boot, 10 s of uptime later: 300 ticks of CPU over that time.
    dir.write("uptime", fmt::format("{:.2f} 1.00\n", 1000.0 / static_cast<double>(ticks) + 10.0));
    ProcessSampler sampler(dir.path() / "self");
    const Result<ProcessSample> s = sampler.sample();
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(s->threads, 3);
    EXPECT_EQ(s->rss_bytes, 1024U * 1024U);
    EXPECT_EQ(s->peak_rss_bytes, 2048U * 1024U);
    EXPECT_DOUBLE_EQ(s->cpu_seconds, 300.0 / static_cast<double>(ticks));
    EXPECT_NEAR(s->cpu_percent, 100.0 * s->cpu_seconds / 10.0, 0.01);

    dir.write("self/stat", "4242 (x) S 1 2 3\n");
    const Result<ProcessSample> short_stat = sampler.sample();
    ASSERT_FALSE(short_stat.has_value());
    EXPECT_EQ(short_stat.error().code, ErrorCode::ParseError);
}

TEST(ProcessSampler, SharedSamplerWorksFromAnyThread) {
    std::thread other([] { EXPECT_TRUE(sample_process().has_value()); });
    other.join();
    EXPECT_TRUE(sample_process().has_value());
}

TEST(Timers, StatsOfKnownSleeps) {
    Timers timers;
    for (int i = 0; i < 3; ++i) {
        const ScopedTimer t = timers.scope("sleep");
        std::this_thread::sleep_for(20ms);
    }
    const std::vector<TimerStats> stats = timers.stats();
    ASSERT_EQ(stats.size(), 1U);
    EXPECT_EQ(stats[0].name, "sleep");
    EXPECT_EQ(stats[0].count, 3U);
    EXPECT_GE(stats[0].p50_s, 0.019);
    EXPECT_LT(stats[0].p50_s, 2.0);
    EXPECT_GE(stats[0].total_s, 0.057);
    EXPECT_GE(stats[0].max_s, stats[0].p95_s);
    EXPECT_GE(stats[0].p95_s, stats[0].p50_s);
}

TEST(Timers, ExactQuantilesOfRecordedDurations) {
    Timers timers;
    for (int i = 100; i >= 1; --i) {  // out of order on purpose
        timers.record("load", static_cast<double>(i));
    }
    timers.record("one", 0.25);
    timers.record("two", 1.0);
    timers.record("two", 2.0);
    const std::vector<TimerStats> stats = timers.stats();
    ASSERT_EQ(stats.size(), 3U);
    EXPECT_EQ(stats[0].name, "load");  // order of first use
    EXPECT_EQ(stats[0].count, 100U);
    EXPECT_DOUBLE_EQ(stats[0].total_s, 5050.0);
    EXPECT_DOUBLE_EQ(stats[0].p50_s, 50.5);
    EXPECT_DOUBLE_EQ(stats[0].p95_s, 95.05);
    EXPECT_DOUBLE_EQ(stats[0].max_s, 100.0);
    EXPECT_DOUBLE_EQ(stats[1].p50_s, 0.25);
    EXPECT_DOUBLE_EQ(stats[1].p95_s, 0.25);
    EXPECT_DOUBLE_EQ(stats[2].p50_s, 1.5);
    EXPECT_DOUBLE_EQ(stats[2].p95_s, 1.95);
    timers.clear();
    EXPECT_TRUE(timers.stats().empty());
}

TEST(Timers, EightThreadsRecordEveryDuration) {
    Timers timers;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&timers, t] {
            for (int i = 0; i < 1000; ++i) {
                if (i % 2 == 0) {
                    const ScopedTimer s = timers.scope("work");
                } else {
                    timers.record("work", 0.001 * t);
                }
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    const std::vector<TimerStats> stats = timers.stats();
    ASSERT_EQ(stats.size(), 1U);
    EXPECT_EQ(stats[0].count, 8000U);
}

TEST(ScopedTimer, StopsOnceAndMovesItsMeasurement) {
    Timers timers;
    ScopedTimer a = timers.scope("a");
    ScopedTimer b = std::move(a);
    EXPECT_EQ(a.stop(), 0.0);  // NOLINT(bugprone-use-after-move): moved-from is inert
    EXPECT_GE(b.stop(), 0.0);
    EXPECT_EQ(b.stop(), 0.0);
    const ScopedTimer inert;
    ASSERT_EQ(timers.stats().size(), 1U);
    EXPECT_EQ(timers.stats()[0].count, 1U);
}

TEST(Range, SkipsNanAndKeepsARunningMean) {
    Range r;
    for (const double v : {2.0, std::nan(""), 4.0, 9.0}) {
        r.add(v);
    }
    EXPECT_EQ(r.count, 3U);
    EXPECT_DOUBLE_EQ(r.min, 2.0);
    EXPECT_DOUBLE_EQ(r.mean, 5.0);
    EXPECT_DOUBLE_EQ(r.max, 9.0);
}

TEST(PerformanceMonitor, SamplerStartsAndStopsTwiceWithoutLeavingThreads) {
    const int threads_before = sample_process()->threads;
    PerformanceMonitor m;
    EXPECT_FALSE(m.running());
    m.stop();  // nothing to stop
    for (int round = 0; round < 2; ++round) {
        m.start(10ms);
        EXPECT_TRUE(m.running());
        std::this_thread::sleep_for(60ms);
        m.stop();
        m.stop();
        EXPECT_FALSE(m.running());
    }
    m.start(5ms);
    m.start(5ms);  // restarts
    const ProcessSummary p = m.process();
    m.stop();
    EXPECT_EQ(sample_process()->threads, threads_before);
    const ProcessSummary after = m.process();
    EXPECT_GE(after.samples, 4U);  // at least one at each start and stop
    EXPECT_GE(after.samples, p.samples);
    EXPECT_GT(after.rss_bytes.min, 0);
    EXPECT_GE(after.peak_rss_bytes, static_cast<std::uint64_t>(after.rss_bytes.max));
    EXPECT_GE(after.cpu_percent.count, 3U);
    EXPECT_EQ(m.process_unavailable(), "");
}

TEST(PerformanceMonitor, DestructorStopsARunningSampler) {
    const int threads_before = sample_process()->threads;
    {
        PerformanceMonitor m;
        m.start(1000s);  // the destructor must not wait for the interval
        const auto began = std::chrono::steady_clock::now();
        m.stop();
        EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
        m.start(1000s);
    }
    EXPECT_EQ(sample_process()->threads, threads_before);
}

TEST(PerformanceMonitor, WithoutSamplingReportsWhy) {
    PerformanceMonitor m;
    { const ScopedTimer t = m.stage("load"); }
    const json doc = m.to_json();
    EXPECT_TRUE(doc["process"].is_null());
    EXPECT_EQ(doc["process_unavailable"], "not sampled");
    EXPECT_TRUE(doc["gpu"].is_null());
    EXPECT_EQ(doc["gpu_unavailable"], "not sampled");
    EXPECT_NE(m.table().find("process: not sampled"), std::string::npos);
}

TEST(PerformanceMonitor, JsonRoundTripKeepsItsKeys) {
    PerformanceMonitor m("libtradpal-no-such-nvml.so.1");
    m.start(5ms);
    {
        const ScopedTimer t = m.stage("load");
        std::this_thread::sleep_for(5ms);
    }
    m.timers().record("backtest", 0.5);
    m.stop();
    const json doc = json::parse(m.to_json().dump(2));

    ASSERT_TRUE(doc["timers"].is_array());
    ASSERT_EQ(doc["timers"].size(), 2U);
    EXPECT_EQ(doc["timers"][0]["name"], "load");
    EXPECT_EQ(doc["timers"][1]["name"], "backtest");
    for (const json& t : doc["timers"]) {
        for (const char* key : {"name", "count", "total_s", "p50_s", "p95_s", "max_s"}) {
            EXPECT_TRUE(t.contains(key)) << key;
        }
    }
    EXPECT_DOUBLE_EQ(doc["timers"][1]["p50_s"].get<double>(), 0.5);
    const json& p = doc["process"];
    ASSERT_TRUE(p.is_object());
    for (const char* key : {"samples", "interval_ms", "wall_s", "cpu_s", "cpu_percent", "rss_bytes",
                            "peak_rss_bytes", "threads_max"}) {
        EXPECT_TRUE(p.contains(key)) << key;
    }
    EXPECT_EQ(p["interval_ms"], 5);
    for (const char* key : {"min", "mean", "max"}) {
        EXPECT_TRUE(p["rss_bytes"].contains(key)) << key;
    }
    EXPECT_TRUE(doc["gpu"].is_null());
    EXPECT_EQ(doc["gpu_unavailable"], "libtradpal-no-such-nvml.so.1 not found (no NVIDIA driver)");

    // Compared with itself nothing is slower.
    const auto warnings = m.compare_with_baseline(doc, 2.0);
    ASSERT_TRUE(warnings.has_value());
    EXPECT_TRUE(warnings->empty());
}

TEST(PerformanceMonitor, TableListsStagesProcessAndGpu) {
    PerformanceMonitor m("libtradpal-no-such-nvml.so.1");
    m.start(5ms);
    m.timers().record("load", 0.25);
    m.timers().record("a-much-longer-stage-name", 0.000'012);
    m.stop();
    const std::string table = m.table();
    std::istringstream lines(table);
    std::string header;
    std::string load;
    std::string longer;
    std::getline(lines, header);
    std::getline(lines, load);
    std::getline(lines, longer);
    EXPECT_EQ(header.rfind("STAGE", 0), 0U);
    EXPECT_EQ(load.rfind("load ", 0), 0U);
    EXPECT_NE(load.find("0.25 s"), std::string::npos);
    EXPECT_NE(longer.find("12.00 us"), std::string::npos);
    EXPECT_EQ(header.size(), load.size());  // fixed width
    EXPECT_EQ(load.size(), longer.size());
    EXPECT_NE(table.find("\nprocess: cpu "), std::string::npos);
    EXPECT_NE(table.find("\ngpu: libtradpal-no-such-nvml.so.1 not found"), std::string::npos);
}

TEST(PerformanceMonitor, BaselineWarnsOnlyBeyondTheFactor) {
    PerformanceMonitor m;
    m.timers().record("load", 0.30);      // 3x its baseline
    m.timers().record("backtest", 0.15);  // 1.5x
    m.timers().record("report", 0.01);    // not in the baseline
    m.timers().record("zero", 1.0);       // baseline 0: not comparable
    const json baseline = {{"timers",
                            {{{"name", "load"}, {"p50_s", 0.10}},
                             {{"name", "backtest"}, {"p50_s", 0.10}},
                             {{"name", "zero"}, {"p50_s", 0.0}},
                             {{"name", "gone"}, {"p50_s", 0.10}}}}};
    const auto warnings = m.compare_with_baseline(baseline, 2.0);
    ASSERT_TRUE(warnings.has_value());
    ASSERT_EQ(warnings->size(), 1U);
    EXPECT_EQ(warnings->front(), "stage load: p50 0.30 s is 3.0x its baseline 0.10 s");

    const auto looser = m.compare_with_baseline(baseline, 1.2);
    ASSERT_TRUE(looser.has_value());
    EXPECT_EQ(looser->size(), 2U);
}

TEST(PerformanceMonitor, BaselineThatIsNoMetricsFileIsRefused) {
    PerformanceMonitor m;
    m.timers().record("load", 1);
    for (const json& bad :
         {json::array(), json{{"timers", 3}}, json{{"timers", {{{"name", "load"}}}}},
          json{{"timers", {{{"name", 1}, {"p50_s", 1}}}}}}) {
        const auto r = m.compare_with_baseline(bad, 2.0);
        ASSERT_FALSE(r.has_value()) << bad.dump();
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    }
    EXPECT_FALSE(m.compare_with_baseline(json{{"timers", json::array()}}, 0.0).has_value());
}

TEST(PerformanceMonitor, PrometheusTextIsWellFormed) {
    PerformanceMonitor m("libtradpal-no-such-nvml.so.1");
    m.start(5ms);
    { const ScopedTimer t = m.stage("load"); }
    m.timers().record("we\"ird\\stage\nname", 0.5);
    m.timers().record("we\"ird\\stage\nname", 1.5);
    m.stop();
    const std::string text = m.prometheus_text();
    std::set<std::string> names;
    expect_well_formed_prometheus(text, names);
    for (const char* name : {"tradpal_stage_seconds_total", "tradpal_stage_count",
                             "tradpal_process_rss_bytes", "tradpal_process_cpu_percent",
                             "tradpal_process_peak_rss_bytes", "tradpal_process_threads"}) {
        EXPECT_TRUE(names.count(name)) << name;
    }
    EXPECT_NE(text.find("tradpal_stage_count{stage=\"load\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("tradpal_stage_seconds_total{stage=\"we\\\"ird\\\\stage\\nname\"} 2\n"),
              std::string::npos);
    EXPECT_EQ(text.find("tradpal_gpu"), std::string::npos);
}

TEST(FormatDuration, PicksAUnit) {
    EXPECT_EQ(format_duration(2.345), "2.35 s");
    EXPECT_EQ(format_duration(0.1), "0.10 s");
    EXPECT_EQ(format_duration(0.0123), "12.30 ms");
    EXPECT_EQ(format_duration(0.000'045), "45.00 us");
    EXPECT_EQ(format_duration(0), "0.00 us");
}

}  // namespace
}  // namespace tradpal::monitor

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <tradpal/core/result.hpp>
#include <tradpal/monitor/nvml.hpp>
#include <tradpal/monitor/process.hpp>
#include <tradpal/monitor/timers.hpp>

namespace tradpal::monitor {

/// Smallest, mean and largest of the values seen; NaN values are skipped.
struct Range {
    std::size_t count = 0;
    double min = 0;
    double mean = 0;
    double max = 0;

    void add(double value) noexcept;
};

/// The process over the sampled time.
struct ProcessSummary {
    std::size_t samples = 0;
    double wall_seconds = 0;  ///< from the first sample to the last
    double cpu_seconds = 0;   ///< CPU time used meanwhile, all threads
    Range cpu_percent;        ///< per sampling interval (the first sample only starts the clock)
    Range rss_bytes;
    std::uint64_t peak_rss_bytes = 0;
    int threads_max = 0;
    std::optional<ProcessSample> last;
};

/// One GPU over the sampled time.
struct GpuSummary {
    unsigned index = 0;
    std::string name;
    std::size_t samples = 0;
    Range utilization_percent;
    std::uint64_t memory_used_max_bytes = 0;
    std::uint64_t memory_total_bytes = 0;
    double temperature_max_c = 0;  ///< NaN when the GPU reports no temperature
    GpuSample last;
};

/// Stage timers plus a background sampler of this process's CPU and memory and of the GPUs
/// (through NVML, when there is a driver), reported as a table, JSON or Prometheus text.
/// Timers work whether or not the sampler runs. Thread-safe.
class PerformanceMonitor {
public:
    /// `nvml_library`: what the sampler loads for GPU figures (a path in tests).
    explicit PerformanceMonitor(std::string nvml_library = kNvmlLibrary);
    PerformanceMonitor(const PerformanceMonitor&) = delete;
    PerformanceMonitor& operator=(const PerformanceMonitor&) = delete;
    /// Stops the sampler.
    ~PerformanceMonitor();

    Timers& timers() noexcept { return timers_; }
    /// A timer for one stage of the work ("load", "backtest").
    ScopedTimer stage(std::string name) { return timers_.scope(std::move(name)); }

    /// Starts sampling every `interval` on a thread of its own (one sample at once, one at
    /// stop()); a running sampler is stopped first. NVML is loaded on that thread, once, so a
    /// slow driver start does not hold up the caller.
    void start(std::chrono::milliseconds interval);
    /// Takes a last sample and ends the sampler thread; nothing when it is not running.
    void stop();
    bool running() const;

    /// The process figures so far; samples == 0 before any (see process_unavailable()).
    ProcessSummary process() const;
    /// Why there are no process figures ("" when there are).
    std::string process_unavailable() const;
    /// One entry per GPU seen; empty without NVML (see gpu_unavailable()).
    std::vector<GpuSummary> gpus() const;
    /// Why there are no GPU figures: NVML's reason, "no NVIDIA GPU found", or "not sampled".
    std::string gpu_unavailable() const;

    /// {"timers": [{name, count, total_s, p50_s, p95_s, max_s}], "process": {...} or null,
    /// "gpu": [...] or null, with "process_unavailable" / "gpu_unavailable" reasons when null}.
    nlohmann::json to_json() const;
    /// The stages as a fixed-width table, then a line for the process and one per GPU.
    std::string table() const;
    /// A warning for each stage whose p50 exceeds `factor` times its p50 in `baseline` (a
    /// to_json() document from an earlier run): "stage load: p50 0.52 s is 2.6x its baseline
    /// 0.20 s". Stages missing on either side are not compared.
    /// Errors: InvalidArgument when `baseline` is not such a document or factor <= 0.
    Result<std::vector<std::string>> compare_with_baseline(const nlohmann::json& baseline,
                                                           double factor) const;
    /// Prometheus text exposition format (0.0.4): tradpal_stage_seconds_total{stage=...},
    /// tradpal_stage_count, tradpal_process_* and tradpal_gpu_* gauges, with HELP and TYPE.
    std::string prometheus_text() const;

private:
    void run(std::chrono::milliseconds interval);
    void sample_once(ProcessSampler& sampler, bool first);
    /// Asks the sampler thread to stop and waits for it; true if one was running. Callers hold
    /// control_.
    bool join_sampler();

    std::string nvml_library_;
    Timers timers_;

    std::mutex control_;  // serialises start() and stop()
    std::thread thread_;
    // Touched by the sampler thread alone (threads of successive runs are joined in between).
    bool nvml_tried_ = false;
    std::optional<Nvml> nvml_;

    mutable std::mutex mutex_;  // guards everything below
    std::condition_variable wake_;
    bool running_ = false;
    bool stop_requested_ = false;
    std::chrono::milliseconds interval_{0};
    ProcessSummary process_;
    std::string process_error_;
    std::string gpu_error_ = "not sampled";
    std::vector<GpuSummary> gpus_;
};

/// Seconds for people: "0.52 s", "12.30 ms", "45.00 us".
std::string format_duration(double seconds);

}  // namespace tradpal::monitor

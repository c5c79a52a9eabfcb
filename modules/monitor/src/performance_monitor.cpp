// SPDX-License-Identifier: Apache-2.0
// The sampler thread; the reports (JSON, table, baseline, Prometheus) are in report.cpp.
#include <algorithm>
#include <cmath>
#include <utility>

#include <tradpal/monitor/performance_monitor.hpp>

namespace tradpal::monitor {

void Range::add(double value) noexcept {
    if (std::isnan(value)) {
        return;
    }
    if (count == 0) {
        min = max = mean = value;
    } else {
        min = std::min(min, value);
        max = std::max(max, value);
        mean += (value - mean) / static_cast<double>(count + 1);
    }
    ++count;
}

PerformanceMonitor::PerformanceMonitor(std::string nvml_library)
    : nvml_library_(std::move(nvml_library)) {}

PerformanceMonitor::~PerformanceMonitor() {
    stop();
}

bool PerformanceMonitor::join_sampler() {
    if (!thread_.joinable()) {
        return false;
    }
    {
        const std::lock_guard lock(mutex_);
        stop_requested_ = true;
    }
    wake_.notify_all();
    thread_.join();
    return true;
}

void PerformanceMonitor::start(std::chrono::milliseconds interval) {
    const std::lock_guard control(control_);
    join_sampler();
    {
        const std::lock_guard lock(mutex_);
        stop_requested_ = false;
        running_ = true;
        // A zero interval would spin a core on /proc reads.
        interval_ = std::max(interval, std::chrono::milliseconds(1));
    }
    thread_ = std::thread([this, interval = interval_] { run(interval); });
}

void PerformanceMonitor::stop() {
    const std::lock_guard control(control_);
    if (!join_sampler()) {
        return;
    }
    const std::lock_guard lock(mutex_);
    running_ = false;
}

bool PerformanceMonitor::running() const {
    const std::lock_guard lock(mutex_);
    return running_;
}

void PerformanceMonitor::run(std::chrono::milliseconds interval) {
    ProcessSampler sampler;
    sample_once(sampler, true);
    if (!nvml_tried_) {
        nvml_tried_ = true;
        auto nvml = Nvml::open(nvml_library_);
        std::string reason;
        if (!nvml) {
            reason = nvml.error().message;
        } else if (nvml->devices().empty()) {
            reason = "no NVIDIA GPU found";
        } else {
            nvml_.emplace(std::move(nvml).value());
        }
        const std::lock_guard lock(mutex_);
        gpu_error_ = std::move(reason);
    }
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval, [this] { return stop_requested_; })) {
        lock.unlock();
        sample_once(sampler, false);
        lock.lock();
    }
    lock.unlock();
    sample_once(sampler, false);
}

void PerformanceMonitor::sample_once(ProcessSampler& sampler, bool first) {
    // Reads happen outside the lock: reports stay quick while /proc or the driver is slow.
    const Result<ProcessSample> s = sampler.sample();
    const std::vector<GpuSample> gpu = nvml_ ? nvml_->sample() : std::vector<GpuSample>{};

    const std::lock_guard lock(mutex_);
    if (!s) {
        process_error_ = s.error().message;
    } else {
        ProcessSummary& p = process_;
        // The first sample of a run starts the clock; its CPU figure would cover the time
        // before the run.
        if (!first && p.last) {
            p.cpu_percent.add(s->cpu_percent);
            p.wall_seconds += std::chrono::duration<double>(s->at - p.last->at).count();
            p.cpu_seconds += s->cpu_seconds - p.last->cpu_seconds;
        }
        p.rss_bytes.add(static_cast<double>(s->rss_bytes));
        p.peak_rss_bytes = std::max(p.peak_rss_bytes, s->peak_rss_bytes);
        p.threads_max = std::max(p.threads_max, s->threads);
        ++p.samples;
        p.last = *s;
    }
    for (const GpuSample& g : gpu) {
        auto it = std::find_if(gpus_.begin(), gpus_.end(),
                               [&](const GpuSummary& x) { return x.index == g.index; });
        if (it == gpus_.end()) {
            GpuSummary fresh;
            fresh.index = g.index;
            fresh.name = g.name;
            fresh.temperature_max_c = NAN;
            it = gpus_.insert(gpus_.end(), std::move(fresh));
        }
        it->utilization_percent.add(g.utilization_percent);
        it->memory_used_max_bytes = std::max(it->memory_used_max_bytes, g.memory_used_bytes);
        it->memory_total_bytes = g.memory_total_bytes;
        if (!std::isnan(g.temperature_c) &&
            (std::isnan(it->temperature_max_c) || g.temperature_c > it->temperature_max_c)) {
            it->temperature_max_c = g.temperature_c;
        }
        ++it->samples;
        it->last = g;
    }
}

ProcessSummary PerformanceMonitor::process() const {
    const std::lock_guard lock(mutex_);
    return process_;
}

std::string PerformanceMonitor::process_unavailable() const {
    const std::lock_guard lock(mutex_);
    if (process_.samples > 0) {
        return {};
    }
    return process_error_.empty() ? "not sampled" : process_error_;
}

std::vector<GpuSummary> PerformanceMonitor::gpus() const {
    const std::lock_guard lock(mutex_);
    return gpus_;
}

std::string PerformanceMonitor::gpu_unavailable() const {
    const std::lock_guard lock(mutex_);
    if (!gpus_.empty()) {
        return {};
    }
    // Empty: NVML started and found GPUs that the next sample will show.
    return gpu_error_.empty() ? "not sampled yet" : gpu_error_;
}

}  // namespace tradpal::monitor

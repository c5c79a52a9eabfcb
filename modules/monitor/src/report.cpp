// SPDX-License-Identifier: Apache-2.0
// What a PerformanceMonitor tells: JSON, a table for people, baseline warnings, Prometheus text.
#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tradpal/core/file.hpp>
#include <tradpal/monitor/performance_monitor.hpp>

namespace tradpal::monitor {
namespace {

using nlohmann::json;

json range_json(const Range& r) {
    if (r.count == 0) {
        return nullptr;
    }
    return {{"min", r.min}, {"mean", r.mean}, {"max", r.max}};
}

// NaN becomes null in nlohmann's output; said explicitly so the intent is visible.
json number_or_null(double v) {
    return std::isnan(v) ? json(nullptr) : json(v);
}

std::string percent(double v) {
    return std::isnan(v) ? std::string("-") : fmt::format("{:.0f}%", v);
}

// A table whose first column is left-aligned and the others right-aligned.
std::string fixed_width(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()), 0);
        for (std::size_t c = 0; c < row.size(); ++c) {
            width[c] = std::max(width[c], row[c].size());
        }
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            line += c == 0 ? fmt::format("{:<{}}", row[c], width[c])
                           : fmt::format("  {:>{}}", row[c], width[c]);
        }
        out += line + '\n';
    }
    return out;
}

// Prometheus label values escape backslash, double quote and line feed.
std::string label(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string sample_value(double v) {
    if (std::isnan(v)) {
        return "NaN";
    }
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    return fmt::format("{}", v);
}

class Exposition {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, std::string_view labels, double value) {
        out_ += labels.empty() ? fmt::format("{} {}\n", name, sample_value(value))
                               : fmt::format("{}{{{}}} {}\n", name, labels, sample_value(value));
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

}  // namespace

std::string format_duration(double seconds) {
    if (seconds >= 0.1) {
        return fmt::format("{:.2f} s", seconds);
    }
    if (seconds >= 1e-4) {
        return fmt::format("{:.2f} ms", seconds * 1e3);
    }
    return fmt::format("{:.2f} us", seconds * 1e6);
}

nlohmann::json PerformanceMonitor::to_json() const {
    json timers = json::array();
    for (const TimerStats& t : timers_.stats()) {
        timers.push_back({{"name", t.name},
                          {"count", t.count},
                          {"total_s", t.total_s},
                          {"p50_s", t.p50_s},
                          {"p95_s", t.p95_s},
                          {"max_s", t.max_s}});
    }
    json doc = {{"timers", timers}};

    const ProcessSummary p = process();
    if (p.samples == 0) {
        doc["process"] = nullptr;
        doc["process_unavailable"] = process_unavailable();
    } else {
        std::chrono::milliseconds interval;
        {
            const std::lock_guard lock(mutex_);
            interval = interval_;
        }
        doc["process"] = {{"samples", p.samples},
                          {"interval_ms", interval.count()},
                          {"wall_s", p.wall_seconds},
                          {"cpu_s", p.cpu_seconds},
                          {"cpu_percent", range_json(p.cpu_percent)},
                          {"rss_bytes", range_json(p.rss_bytes)},
                          {"peak_rss_bytes", p.peak_rss_bytes},
                          {"threads_max", p.threads_max}};
    }

    const std::vector<GpuSummary> gpus = this->gpus();
    if (gpus.empty()) {
        doc["gpu"] = nullptr;
        doc["gpu_unavailable"] = gpu_unavailable();
    } else {
        json list = json::array();
        for (const GpuSummary& g : gpus) {
            list.push_back({{"index", g.index},
                            {"name", g.name},
                            {"samples", g.samples},
                            {"utilization_percent", range_json(g.utilization_percent)},
                            {"memory_used_max_bytes", g.memory_used_max_bytes},
                            {"memory_total_bytes", g.memory_total_bytes},
                            {"temperature_max_c", number_or_null(g.temperature_max_c)}});
        }
        doc["gpu"] = list;
    }
    return doc;
}

std::string PerformanceMonitor::table() const {
    std::vector<std::vector<std::string>> rows = {{"STAGE", "COUNT", "TOTAL", "P50", "P95", "MAX"}};
    for (const TimerStats& t : timers_.stats()) {
        rows.push_back({t.name, std::to_string(t.count), format_duration(t.total_s),
                        format_duration(t.p50_s), format_duration(t.p95_s),
                        format_duration(t.max_s)});
    }
    std::string out = fixed_width(rows);

    const ProcessSummary p = process();
    if (p.samples == 0) {
        out += fmt::format("process: {}\n", process_unavailable());
    } else {
        const std::string cpu = p.cpu_percent.count == 0 ? std::string("cpu -")
                                                         : fmt::format("cpu {} mean, {} max",
                                                                       percent(p.cpu_percent.mean),
                                                                       percent(p.cpu_percent.max));
        out +=
            fmt::format("process: {}; rss {} mean, {} peak; {} threads max; {} samples over {}\n",
                        cpu, format_bytes(static_cast<std::uint64_t>(p.rss_bytes.mean)),
                        format_bytes(p.peak_rss_bytes), p.threads_max, p.samples,
                        format_duration(p.wall_seconds));
    }
    const std::vector<GpuSummary> gpus = this->gpus();
    if (gpus.empty()) {
        out += fmt::format("gpu: {}\n", gpu_unavailable());
    }
    for (const GpuSummary& g : gpus) {
        out += fmt::format(
            "gpu {} {}: utilisation {} mean, {} max; memory {} max of {}; {}\n", g.index, g.name,
            percent(g.utilization_percent.count ? g.utilization_percent.mean : NAN),
            percent(g.utilization_percent.count ? g.utilization_percent.max : NAN),
            format_bytes(g.memory_used_max_bytes), format_bytes(g.memory_total_bytes),
            std::isnan(g.temperature_max_c) ? std::string("temperature -")
                                            : fmt::format("{:.0f} C max", g.temperature_max_c));
    }
    return out;
}

Result<std::vector<std::string>> PerformanceMonitor::compare_with_baseline(
    const nlohmann::json& baseline, double factor) const {
    if (!(factor > 0)) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("a baseline factor must be > 0, got {}", factor));
    }
    const auto not_metrics = [](std::string_view why) {
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("the baseline is not a metrics file written by --metrics-out: {}", why));
    };
    if (!baseline.is_object() || !baseline.contains("timers") || !baseline["timers"].is_array()) {
        return not_metrics("no \"timers\" list");
    }
    std::vector<std::pair<std::string, double>> before;
    for (const json& t : baseline["timers"]) {
        if (!t.is_object() || !t.contains("name") || !t["name"].is_string() ||
            !t.contains("p50_s") || !t["p50_s"].is_number()) {
            return not_metrics("a timer without a name or p50_s");
        }
        before.emplace_back(t["name"].get<std::string>(), t["p50_s"].get<double>());
    }
    std::vector<std::string> warnings;
    for (const TimerStats& t : timers_.stats()) {
        const auto it = std::find_if(before.begin(), before.end(),
                                     [&](const auto& b) { return b.first == t.name; });
        if (it == before.end() || !(it->second > 0) || t.count == 0) {
            continue;
        }
        if (t.p50_s > factor * it->second) {
            warnings.push_back(fmt::format("stage {}: p50 {} is {:.1f}x its baseline {}", t.name,
                                           format_duration(t.p50_s), t.p50_s / it->second,
                                           format_duration(it->second)));
        }
    }
    return warnings;
}

std::string PerformanceMonitor::prometheus_text() const {
    Exposition e;
    const std::vector<TimerStats> stats = timers_.stats();
    e.family("tradpal_stage_seconds_total", "counter", "Seconds spent in each stage, all runs.");
    for (const TimerStats& t : stats) {
        e.sample("tradpal_stage_seconds_total", fmt::format("stage=\"{}\"", label(t.name)),
                 t.total_s);
    }
    e.family("tradpal_stage_count", "counter", "Runs of each stage.");
    for (const TimerStats& t : stats) {
        e.sample("tradpal_stage_count", fmt::format("stage=\"{}\"", label(t.name)),
                 static_cast<double>(t.count));
    }

    const ProcessSummary p = process();
    if (p.last) {
        e.family("tradpal_process_cpu_percent", "gauge",
                 "CPU use of the process over the last sampling interval, percent of one core.");
        e.sample("tradpal_process_cpu_percent", "", p.last->cpu_percent);
        e.family("tradpal_process_rss_bytes", "gauge", "Resident set size of the process.");
        e.sample("tradpal_process_rss_bytes", "", static_cast<double>(p.last->rss_bytes));
        e.family("tradpal_process_peak_rss_bytes", "gauge",
                 "Highest resident set size of the process so far.");
        e.sample("tradpal_process_peak_rss_bytes", "", static_cast<double>(p.peak_rss_bytes));
        e.family("tradpal_process_threads", "gauge", "Threads of the process.");
        e.sample("tradpal_process_threads", "", p.last->threads);
    }

    const std::vector<GpuSummary> gpus = this->gpus();
    if (!gpus.empty()) {
        const auto labels = [](const GpuSummary& g) {
            return fmt::format("gpu=\"{}\",name=\"{}\"", g.index, label(g.name));
        };
        e.family("tradpal_gpu_utilization_percent", "gauge",
                 "Time a kernel ran on the GPU over the driver's last sample period, percent.");
        for (const GpuSummary& g : gpus) {
            e.sample("tradpal_gpu_utilization_percent", labels(g), g.last.utilization_percent);
        }
        e.family("tradpal_gpu_memory_used_bytes", "gauge", "GPU memory in use.");
        for (const GpuSummary& g : gpus) {
            e.sample("tradpal_gpu_memory_used_bytes", labels(g),
                     static_cast<double>(g.last.memory_used_bytes));
        }
        e.family("tradpal_gpu_memory_total_bytes", "gauge", "GPU memory in all.");
        for (const GpuSummary& g : gpus) {
            e.sample("tradpal_gpu_memory_total_bytes", labels(g),
                     static_cast<double>(g.last.memory_total_bytes));
        }
        e.family("tradpal_gpu_temperature_celsius", "gauge", "GPU die temperature.");
        for (const GpuSummary& g : gpus) {
            e.sample("tradpal_gpu_temperature_celsius", labels(g), g.last.temperature_c);
        }
    }
    return e.take();
}

}  // namespace tradpal::monitor

// SPDX-License-Identifier: Apache-2.0
// tradpal gpu info: the CUDA devices and the one TradPal would use; tradpal gpu monitor: the
// NVIDIA GPUs' utilisation, memory and temperature through NVML.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include <tradpal/core/file.hpp>
#include <tradpal/core/timestamp.hpp>
#include <tradpal/gpu/device.hpp>
#include <tradpal/monitor/nvml.hpp>

#include "context.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

using nlohmann::json;

struct GpuMonitorArgs {
    double interval = 1.0;
    std::uint64_t count = 0;
};

std::string now_iso() {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return format_iso(Timestamp::from_seconds(
        std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count()));
}

json sample_json(const monitor::GpuSample& s) {
    const auto or_null = [](double v) {
        return std::isnan(v) ? json(nullptr) : json(v);
    };
    return {{"index", s.index},
            {"name", s.name},
            {"utilization_percent", or_null(s.utilization_percent)},
            {"memory_used_bytes", s.memory_used_bytes},
            {"memory_total_bytes", s.memory_total_bytes},
            {"temperature_c", or_null(s.temperature_c)}};
}

std::string sample_line(const std::string& time, const monitor::GpuSample& s,
                        std::size_t name_width) {
    return fmt::format(
        "{}  gpu {}  {:<{}}  util {:>4}  mem {:>9} / {:<9}  {:>5}", time, s.index, s.name,
        name_width,
        std::isnan(s.utilization_percent) ? "-" : fmt::format("{:.0f}%", s.utilization_percent),
        format_bytes(s.memory_used_bytes), format_bytes(s.memory_total_bytes),
        std::isnan(s.temperature_c) ? "-" : fmt::format("{:.0f} C", s.temperature_c));
}

int run_gpu_monitor(const Context& ctx, const GpuMonitorArgs& a) {
    if (!(a.interval > 0)) {
        throw Exception(ErrorCode::InvalidArgument, "--interval must be a number of seconds > 0");
    }
    const monitor::Nvml nvml = monitor::Nvml::open(nvml_library()).value();
    const std::vector<monitor::GpuDevice> devices = nvml.devices();
    if (devices.empty()) {
        throw Exception(ErrorCode::Unavailable,
                        fmt::format("no NVIDIA GPU found (driver {})", nvml.driver_version()));
    }
    std::size_t name_width = 0;
    for (const monitor::GpuDevice& d : devices) {
        name_width = std::max(name_width, d.name.size());
    }
    if (!ctx.json) {
        std::cout << fmt::format("driver {}, {} GPU{}; every {} s\n", nvml.driver_version(),
                                 devices.size(), devices.size() == 1 ? "" : "s", a.interval)
                  << std::flush;
    }
    const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(a.interval));
    auto next = std::chrono::steady_clock::now();
    for (std::uint64_t n = 0; a.count == 0 || n < a.count; ++n) {
        if (n > 0) {
            // Sleeping to a schedule, not for a period, keeps the lines from drifting.
            next += period;
            std::this_thread::sleep_until(next);
        }
        const std::string time = now_iso();
        const std::vector<monitor::GpuSample> samples = nvml.sample();
        if (ctx.json) {
            // One compact document per line (JSON Lines), so a pipe can read it as it comes.
            json gpus = json::array();
            for (const monitor::GpuSample& s : samples) {
                gpus.push_back(sample_json(s));
            }
            std::cout << json{{"time", time}, {"gpus", gpus}}.dump() << '\n' << std::flush;
            continue;
        }
        for (const monitor::GpuSample& s : samples) {
            std::cout << sample_line(time, s, name_width) << '\n';
        }
        std::cout << std::flush;
    }
    return 0;
}

int run_gpu_info(const Context& ctx, const std::optional<int>& requested) {
    const gpu::DeviceReport report = gpu::query_devices().value();
    const int chosen = gpu::choose_device(report.devices, requested).value();
    if (ctx.json) {
        nlohmann::json devices = nlohmann::json::array();
        for (const gpu::DeviceInfo& d : report.devices) {
            devices.push_back(
                {{"index", d.index},
                 {"name", d.name},
                 {"total_bytes", d.total_bytes},
                 {"free_bytes", d.free_bytes},
                 {"compute_capability", fmt::format("{}.{}", d.compute_major, d.compute_minor)},
                 {"multiprocessors", d.multiprocessors}});
        }
        Context::print_json({{"driver_cuda", gpu::cuda_version_text(report.driver_version)},
                             {"runtime_cuda", gpu::cuda_version_text(report.runtime_version)},
                             {"devices", devices},
                             {"chosen", chosen}});
        return 0;
    }
    std::cout << fmt::format("CUDA driver {}, runtime {}\n",
                             gpu::cuda_version_text(report.driver_version),
                             gpu::cuda_version_text(report.runtime_version));
    Table table({"", "DEVICE", "NAME", "MEMORY", "FREE", "COMPUTE", "SMS"});
    for (const gpu::DeviceInfo& d : report.devices) {
        table.add_row({d.index == chosen ? "*" : "", fmt::format("cuda:{}", d.index), d.name,
                       fmt::format("{:.1f} GiB", static_cast<double>(d.total_bytes) / (1 << 30)),
                       fmt::format("{:.1f} GiB", static_cast<double>(d.free_bytes) / (1 << 30)),
                       fmt::format("{}.{}", d.compute_major, d.compute_minor),
                       std::to_string(d.multiprocessors)});
    }
    table.print(std::cout);
    std::cout << fmt::format("* the device TradPal uses{}\n",
                             requested ? " (--device)" : ": the most free memory");
    return 0;
}

}  // namespace

void add_gpu_commands(CLI::App& app, std::vector<Command>& commands) {
    CLI::App* gpu = app.add_subcommand("gpu", "CUDA devices and NVIDIA GPUs");
    gpu->require_subcommand(1);
    auto device = std::make_shared<std::optional<int>>();
    CLI::App* info = gpu->add_subcommand(
        "info",
        "CUDA devices (name, memory, compute capability, driver and runtime versions) and the one "
        "TradPal uses; exit code 9 with the reason when there is none");
    info->add_option("--device", *device, "Device TradPal should use (default: most free memory)");
    commands.push_back({info, [device](Context& ctx) {
                            return run_gpu_info(ctx, *device);
                        }});
    auto a = std::make_shared<GpuMonitorArgs>();
    CLI::App* m = gpu->add_subcommand(
        "monitor",
        "Utilisation, memory and temperature of every GPU: a line per GPU per interval (with "
        "--json a JSON document per interval)");
    m->add_option("--interval", a->interval, "Seconds between samples");
    m->add_option("--count", a->count, "Samples to take; 0 = until interrupted");
    commands.push_back({m, [a](Context& ctx) {
                            return run_gpu_monitor(ctx, *a);
                        }});
}

}  // namespace tradpal::cli

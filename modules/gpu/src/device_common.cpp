// SPDX-License-Identifier: Apache-2.0
// The parts of device.hpp that need no CUDA.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include <tradpal/gpu/device.hpp>

namespace tradpal::gpu {

Result<int> choose_device(const std::vector<DeviceInfo>& devices, std::optional<int> requested) {
    if (devices.empty()) {
        return fail(ErrorCode::Unavailable, "no CUDA device");
    }
    if (requested) {
        for (const DeviceInfo& d : devices) {
            if (d.index == *requested) {
                return d.index;
            }
        }
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("there is no CUDA device {} (this machine has {})", *requested,
                                devices.size()));
    }
    const DeviceInfo* best = &devices.front();
    for (const DeviceInfo& d : devices) {
        if (d.free_bytes > best->free_bytes ||
            (d.free_bytes == best->free_bytes && d.index < best->index)) {
            best = &d;
        }
    }
    return best->index;
}

std::uint64_t memory_budget(const DeviceInfo& device, double memory_limit) noexcept {
    const auto share =
        static_cast<std::uint64_t>(static_cast<double>(device.total_bytes) * memory_limit);
    return std::min(share, device.free_bytes);
}

Result<std::vector<std::size_t>> plan_passes(std::uint64_t fixed,
                                             std::span<const std::uint64_t> item_bytes,
                                             std::uint64_t budget, std::string_view what) {
    std::vector<std::size_t> ends;
    std::uint64_t used = fixed;
    for (std::size_t k = 0; k < item_bytes.size(); ++k) {
        const std::uint64_t item = item_bytes[k];
        if (fixed > budget || item > budget - fixed) {
            return fail(ErrorCode::Unavailable,
                        fmt::format("{}: its inputs ({:.1f} MiB) and one task ({:.1f} MiB) do not "
                                    "fit the {:.1f} MiB of device memory [gpu] memory_limit allows",
                                    what, static_cast<double>(fixed) / (1 << 20),
                                    static_cast<double>(item) / (1 << 20),
                                    static_cast<double>(budget) / (1 << 20)));
        }
        if (item > budget - used) {  // this item starts a new pass
            ends.push_back(k);
            used = fixed;
        }
        used += item;
    }
    if (!item_bytes.empty()) {
        ends.push_back(item_bytes.size());
    }
    return ends;
}

Result<BatchTarget> batch_target(const BatchOptions& options) {
    BatchTarget target;
    target.budget = options.memory_bytes.value_or(std::numeric_limits<std::uint64_t>::max());
    if (options.backend == Backend::HostLoop) {
        return target;
    }
    auto report = query_devices();
    if (!report) {
        return report.error();
    }
    auto chosen = choose_device(report->devices, options.device);
    if (!chosen) {
        return chosen.error();
    }
    target.device = *chosen;
    if (!options.memory_bytes) {
        for (const DeviceInfo& d : report->devices) {
            if (d.index == *chosen) {
                target.budget = memory_budget(d, options.memory_limit);
            }
        }
    }
    return target;
}

std::string cuda_version_text(int version) {
    return fmt::format("{}.{}", version / 1000, (version % 1000) / 10);
}

}  // namespace tradpal::gpu

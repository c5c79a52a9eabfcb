// SPDX-License-Identifier: Apache-2.0
// The parts of device.hpp that need no CUDA.
#include <fmt/format.h>

#include <tradpal/gpu/device.hpp>

namespace tradpal::gpu {

Result<int> usable_device(std::optional<int> requested) {
    auto report = query_devices();
    if (!report) {
        return report.error();
    }
    return choose_device(report->devices, requested);
}

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

std::string cuda_version_text(int version) {
    return fmt::format("{}.{}", version / 1000, (version % 1000) / 10);
}

}  // namespace tradpal::gpu

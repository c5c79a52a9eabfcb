// SPDX-License-Identifier: Apache-2.0
// CUDA devices: what the machine has, and which one to use. Works in every build: without the
// CUDA toolkit, or on a machine without a driver or a GPU, the answer is Unavailable with a
// one-line reason, and callers fall back to the CPU.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tradpal/core/result.hpp>

namespace tradpal::gpu {

struct DeviceInfo {
    int index = 0;
    std::string name;
    std::uint64_t total_bytes = 0;
    std::uint64_t free_bytes = 0;
    int compute_major = 0;  ///< compute capability, e.g. 9.0 for an H100
    int compute_minor = 0;
    int multiprocessors = 0;
};

struct DeviceReport {
    int driver_version = 0;   ///< CUDA version the driver supports, e.g. 13000
    int runtime_version = 0;  ///< CUDA runtime TradPal was built with
    std::vector<DeviceInfo> devices;
};

/// Every CUDA device with its free memory now. Errors: Unavailable ("built without the CUDA
/// toolkit", "no NVIDIA driver", "no CUDA device", or the runtime's own words).
Result<DeviceReport> query_devices();

/// The device to use: `requested` when given (InvalidArgument if there is no such device),
/// else the one with the most free memory (the lowest index among equals). Errors:
/// Unavailable when `devices` is empty.
Result<int> choose_device(const std::vector<DeviceInfo>& devices, std::optional<int> requested);

/// choose_device() over query_devices(): the device a batch of GPU work runs on. Errors:
/// those of both.
Result<int> usable_device(std::optional<int> requested);

/// Where a batch of GPU work (sweep.hpp, indicators.hpp) runs.
enum class Backend {
    Device,    ///< the CUDA device (query_devices, choose_device)
    HostLoop,  ///< the threads' code in a loop on the host, on all cores (tests, no device)
};

/// 13000 -> "13.0", 12040 -> "12.4".
std::string cuda_version_text(int version);

}  // namespace tradpal::gpu

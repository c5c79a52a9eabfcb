// SPDX-License-Identifier: Apache-2.0
// CUDA devices: what the machine has, and which one to use. Works in every build: without the
// CUDA toolkit, or on a machine without a driver or a GPU, the answer is Unavailable with a
// one-line reason, and callers fall back to the CPU.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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

/// Where a batch of GPU work (sweep.hpp, indicators.hpp) runs.
enum class Backend {
    Device,    ///< the CUDA device (query_devices, choose_device)
    HostLoop,  ///< the threads' code in a loop on the host, on all cores (tests, no device)
};

/// Where a batch of GPU work runs, and how much device memory it may hold.
struct BatchOptions {
    BatchOptions(Backend where = Backend::Device)
        : backend(where) {}  // NOLINT: a Backend is enough

    Backend backend = Backend::Device;
    std::optional<int> device;  ///< the CUDA device (else the one with the most free memory)
    /// [gpu] memory_limit: the share of the device's memory a batch may hold; a larger batch
    /// runs in passes that each fit.
    double memory_limit = 0.8;
    /// A budget in bytes instead of the share (the host loop, which has no device, honours it
    /// too, so that tests can check the passes without one).
    std::optional<std::uint64_t> memory_bytes;
};

/// The device memory a batch may hold on `device`: `memory_limit` of its total, at most what
/// is free now.
std::uint64_t memory_budget(const DeviceInfo& device, double memory_limit) noexcept;

/// Splits a batch of items into passes that each fit `budget` bytes of device memory, next to
/// `fixed` bytes the whole batch holds (its inputs): the end of each pass, in order (none for
/// no items). Errors: Unavailable when the fixed part and one item do not fit, the message
/// starting with `what` and giving both sizes.
Result<std::vector<std::size_t>> plan_passes(std::uint64_t fixed,
                                             std::span<const std::uint64_t> item_bytes,
                                             std::uint64_t budget, std::string_view what);

/// The device a batch runs on (for Backend::Device) and its memory budget (memory_bytes, or
/// memory_budget() of the device; unbounded for the host loop without memory_bytes). Errors:
/// those of query_devices() and choose_device().
struct BatchTarget {
    int device = -1;
    std::uint64_t budget = 0;
};
Result<BatchTarget> batch_target(const BatchOptions& options);

/// 13000 -> "13.0", 12040 -> "12.4".
std::string cuda_version_text(int version);

}  // namespace tradpal::gpu

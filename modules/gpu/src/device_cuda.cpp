// SPDX-License-Identifier: Apache-2.0
// Device discovery through the CUDA runtime (linked statically, so that the binary runs on a
// machine without CUDA and says so).
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <tradpal/gpu/device.hpp>

namespace tradpal::gpu {
namespace {

Error cuda_error(cudaError_t code, std::string_view what) {
    switch (code) {
        case cudaErrorInsufficientDriver:
            return {ErrorCode::Unavailable,
                    "no NVIDIA driver, or one too old for this CUDA runtime"};
        case cudaErrorNoDevice:
            return {ErrorCode::Unavailable, "no CUDA device"};
        default:
            return {ErrorCode::Unavailable, fmt::format("{}: {}", what, cudaGetErrorString(code))};
    }
}

}  // namespace

Result<DeviceReport> query_devices() {
    DeviceReport report;
    cudaRuntimeGetVersion(&report.runtime_version);
    if (const cudaError_t e = cudaDriverGetVersion(&report.driver_version); e != cudaSuccess) {
        return cuda_error(e, "cudaDriverGetVersion");
    }
    if (report.driver_version == 0) {
        return cuda_error(cudaErrorInsufficientDriver, "");
    }
    int count = 0;
    if (const cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
        return cuda_error(e, "cudaGetDeviceCount");
    }
    // Reading free memory makes each device current in turn: the caller's choice comes back.
    int current = 0;
    cudaGetDevice(&current);
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp prop{};
        if (const cudaError_t e = cudaGetDeviceProperties(&prop, i); e != cudaSuccess) {
            return cuda_error(e, "cudaGetDeviceProperties");
        }
        DeviceInfo d;
        d.index = i;
        d.name = prop.name;
        d.total_bytes = prop.totalGlobalMem;
        d.compute_major = prop.major;
        d.compute_minor = prop.minor;
        d.multiprocessors = prop.multiProcessorCount;
        std::size_t free = 0;
        std::size_t total = 0;
        // Free memory needs a context on the device (created here, kept for later use).
        if (cudaSetDevice(i) == cudaSuccess && cudaMemGetInfo(&free, &total) == cudaSuccess) {
            d.free_bytes = free;
        }
        report.devices.push_back(std::move(d));
    }
    cudaSetDevice(current);
    if (report.devices.empty()) {
        return cuda_error(cudaErrorNoDevice, "");
    }
    return report;
}

}  // namespace tradpal::gpu

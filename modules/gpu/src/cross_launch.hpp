// SPDX-License-Identifier: Apache-2.0
// Between the host side of the GPU sweep (cross_sweep.cpp) and its CUDA side (cross_cuda.cu,
// or cross_unavailable.cpp in a build without the toolkit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <tradpal/core/result.hpp>
#include <tradpal/gpu/cross_kernel.hpp>

namespace tradpal::gpu::detail {

/// A run as the kernel reads it.
struct LaunchRun {
    std::uint32_t symbol = 0;
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    std::uint32_t params = 0;
    std::size_t returns_offset = 0;  ///< its slice of the returns buffer
};

/// One batch: host columns and lines, runs ordered so that neighbouring threads share lines.
struct CrossLaunch {
    std::span<const CrossBars> symbols;
    std::span<const std::span<const double>> lines;
    std::span<const CrossParams> params;
    std::span<const LaunchRun> runs;
    std::size_t returns_size = 0;
};

/// Runs every run of `launch` on device `device`, writing states[k] for runs[k] and the
/// returns buffer. Errors: Unavailable with the runtime's words.
Result<void> launch_cross(const CrossLaunch& launch, int device, std::span<CrossState> states,
                          std::span<double> returns);

}  // namespace tradpal::gpu::detail

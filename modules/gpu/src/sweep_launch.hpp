// SPDX-License-Identifier: Apache-2.0
// Between the host side of the GPU sweep (sweep.cpp) and its CUDA side (kernels.cu, or
// kernels_unavailable.cpp in a build without the toolkit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <tradpal/core/result.hpp>
#include <tradpal/gpu/sweep_kernel.hpp>

namespace tradpal::gpu::detail {

/// A run as the kernel reads it.
struct LaunchRun {
    RunParams params;
    std::uint32_t symbol = 0;
    /// Indices into the launch's lines: the rule's four (unused: the first's) and the ATR.
    std::uint32_t lines[5] = {};
    std::size_t returns_offset = 0;  ///< its slice of its pass's returns
};

/// Runs [begin, end) of a launch, run together within the memory budget; their returns take
/// [returns_begin, returns_begin + returns_size) of the batch's returns.
struct Pass {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t returns_begin = 0;
    std::size_t returns_size = 0;
};

/// One batch: host columns and lines, runs ordered so that neighbouring threads share lines,
/// split into passes.
struct SweepLaunch {
    std::span<const RunBars> symbols;
    std::span<const std::span<const double>> lines;
    std::span<const LaunchRun> runs;
    std::span<const Pass> passes;
};

/// The lines of `run` among `lines` (pointers to host or device copies).
TRADPAL_HD inline RunLines lines_of(const LaunchRun& run, const double* const* lines) {
    return {{lines[run.lines[0]], lines[run.lines[1]], lines[run.lines[2]], lines[run.lines[3]]},
            lines[run.lines[4]]};
}

/// Runs every pass of `launch` on device `device` (bars and lines uploaded once), writing
/// states[k] for runs[k] and the returns buffer. Errors: Unavailable with the runtime's words.
Result<void> launch_sweep(const SweepLaunch& launch, int device, std::span<RunState> states,
                          std::span<double> returns);

}  // namespace tradpal::gpu::detail

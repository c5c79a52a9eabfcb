// SPDX-License-Identifier: Apache-2.0
// Between the host side of the batch indicators (indicators.cpp) and their CUDA side
// (indicators_cuda.cu, or cross_unavailable.cpp without the toolkit).
#pragma once

#include <cstddef>
#include <span>

#include <tradpal/core/result.hpp>
#include <tradpal/gpu/indicator_kernels.hpp>

namespace tradpal::gpu::detail {

/// One thread's task: an indicator over a series, written at `out_offset` of the output.
struct IndicatorTask {
    std::size_t series = 0;
    BatchIndicator indicator;
    std::size_t out_offset = 0;
};

/// Runs every task on device `device` into `out` (host memory). Errors: Unavailable.
Result<void> launch_indicators(std::span<const SeriesColumns> series,
                               std::span<const IndicatorTask> tasks, int device,
                               std::span<double> out);

}  // namespace tradpal::gpu::detail

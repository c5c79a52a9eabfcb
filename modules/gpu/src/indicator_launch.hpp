// SPDX-License-Identifier: Apache-2.0
// Between the host side of the batch indicators (indicators.cpp) and their CUDA side
// (kernels.cu, or kernels_unavailable.cpp without the toolkit).
#pragma once

#include <cstddef>
#include <span>

#include <tradpal/core/result.hpp>
#include <tradpal/gpu/indicator_kernels.hpp>

namespace tradpal::gpu::detail {

/// One thread's task: an indicator over a series, written at `out_offset` of its pass's
/// outputs.
struct IndicatorTask {
    std::size_t series = 0;
    BatchIndicator indicator;
    std::size_t out_offset = 0;
};

/// Tasks [begin, end), run together within the memory budget; their outputs take
/// [out_begin, out_begin + out_size) of the batch's output.
struct IndicatorPass {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t out_begin = 0;
    std::size_t out_size = 0;
};

/// Runs every pass on device `device` (the columns uploaded once) into `out` (host memory).
/// Errors: Unavailable.
Result<void> launch_indicators(std::span<const SeriesColumns> series,
                               std::span<const IndicatorTask> tasks,
                               std::span<const IndicatorPass> passes, int device,
                               std::span<double> out);

}  // namespace tradpal::gpu::detail

// SPDX-License-Identifier: Apache-2.0
// Batch indicators on the GPU for feature building: sma, ema, rsi, atr, bbands (simple
// average) and macd over many series at once, one CUDA thread per (series, indicator), equal
// to modules/indicators' batch forms within 1e-9 relative (the same arithmetic; see
// indicator_kernels.hpp).
#pragma once

#include <span>
#include <vector>

#include <tradpal/core/result.hpp>
#include <tradpal/gpu/device.hpp>
#include <tradpal/gpu/indicator_kernels.hpp>

namespace tradpal::gpu {

/// One series; high and low may be empty when no atr is asked for.
struct IndicatorSeries {
    std::span<const double> high;
    std::span<const double> low;
    std::span<const double> close;
};

/// Every indicator over every series: entry [s * indicators.size() + k] holds the
/// output_count(kind) outputs of indicator k over series s, one after the other, each as long
/// as the series. Errors: InvalidArgument (a period out of range, macd without fast < slow,
/// columns of different lengths, atr without high and low), Unavailable (no toolkit, driver
/// or device, the device failed, or the columns alone exceed the memory budget: the caller
/// computes on the CPU). A batch larger than the budget runs in passes.
Result<std::vector<std::vector<double>>> batch_indicators(
    std::span<const IndicatorSeries> series, std::span<const BatchIndicator> indicators,
    const BatchOptions& options = {});

}  // namespace tradpal::gpu

// SPDX-License-Identifier: Apache-2.0
// The device side of the GPU sweep and batch indicators in a build without the CUDA toolkit
// (query_devices already says so, so the public functions never get here).
#include "indicator_launch.hpp"
#include "sweep_launch.hpp"

namespace tradpal::gpu::detail {

Result<void> launch_sweep(const SweepLaunch& /*launch*/, int /*device*/,
                          std::span<RunState> /*states*/, std::span<double> /*returns*/) {
    return fail(ErrorCode::Unavailable, "this TradPal was built without the CUDA toolkit");
}

Result<void> launch_indicators(std::span<const SeriesColumns> /*series*/,
                               std::span<const IndicatorTask> /*tasks*/,
                               std::span<const IndicatorPass> /*passes*/, int /*device*/,
                               std::span<double> /*out*/) {
    return fail(ErrorCode::Unavailable, "this TradPal was built without the CUDA toolkit");
}

}  // namespace tradpal::gpu::detail

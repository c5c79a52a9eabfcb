// SPDX-License-Identifier: Apache-2.0
// The GPU sweep's device side in a build without the CUDA toolkit (query_devices already says
// so; this is never reached through simulate_cross_batch).
#include "cross_launch.hpp"

namespace tradpal::gpu::detail {

Result<void> launch_cross(const CrossLaunch& /*launch*/, int /*device*/,
                          std::span<CrossState> /*states*/, std::span<double> /*returns*/) {
    return fail(ErrorCode::Unavailable, "this TradPal was built without the CUDA toolkit");
}

}  // namespace tradpal::gpu::detail

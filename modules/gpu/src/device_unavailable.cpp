// SPDX-License-Identifier: Apache-2.0
// Device discovery in a build without the CUDA toolkit.
#include <tradpal/gpu/device.hpp>

namespace tradpal::gpu {

Result<DeviceReport> query_devices() {
    return fail(ErrorCode::Unavailable,
                "this TradPal was built without the CUDA toolkit (README, 'Optional parts')");
}

}  // namespace tradpal::gpu

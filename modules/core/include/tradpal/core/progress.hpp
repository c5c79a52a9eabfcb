// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>

namespace tradpal {

/// Reports progress of a long operation: `done` of `total` units (total 0 when unknown).
/// Called from the working thread, at most a few times per second's worth of work.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

}  // namespace tradpal

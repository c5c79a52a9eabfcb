// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

#include <tradpal/core/result.hpp>

namespace tradpal {

/// Sends spdlog's default logger to stderr at `level` (trace, debug, info, warn, error, off).
/// Modules log through spdlog::info(...) etc. Errors: InvalidArgument for an unknown level.
Result<void> init_logging(std::string_view level);

}  // namespace tradpal

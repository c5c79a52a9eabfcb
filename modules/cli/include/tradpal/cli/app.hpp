// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <tradpal/core/error.hpp>

namespace tradpal::cli {

/// Runs the `tradpal` command line and returns the process exit code.
int run(int argc, char** argv);

/// The exit code for a failure of kind `code`; the one mapping used by every command:
/// 2 invalid argument, 3 not found, 4 parse error, 5 validation failed, 6 corrupt, 7 locked,
/// 8 I/O error, 9 unavailable, 10 already exists, 1 internal.
int exit_code(ErrorCode code) noexcept;

}  // namespace tradpal::cli

// SPDX-License-Identifier: Apache-2.0
#include <tradpal/core/error.hpp>

namespace tradpal {

std::string_view to_string(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::InvalidArgument:
            return "invalid_argument";
        case ErrorCode::NotFound:
            return "not_found";
        case ErrorCode::AlreadyExists:
            return "already_exists";
        case ErrorCode::ParseError:
            return "parse_error";
        case ErrorCode::ValidationFailed:
            return "validation_failed";
        case ErrorCode::Corrupt:
            return "corrupt";
        case ErrorCode::Locked:
            return "locked";
        case ErrorCode::IoError:
            return "io_error";
        case ErrorCode::Unavailable:
            return "unavailable";
        case ErrorCode::Internal:
            return "internal";
    }
    return "internal";
}

}  // namespace tradpal

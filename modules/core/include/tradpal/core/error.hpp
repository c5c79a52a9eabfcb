// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tradpal {

/// What went wrong, coarsely; the CLI maps it to an exit code and the server to an HTTP status.
enum class ErrorCode {
    InvalidArgument,   ///< a value given by the user is malformed or out of range
    NotFound,          ///< a file, series or setting does not exist
    AlreadyExists,     ///< refusing to overwrite something
    ParseError,        ///< input text (CSV, TOML, JSON) does not follow its format
    ValidationFailed,  ///< data parsed but breaks a rule (unsorted, duplicates, ...)
    Corrupt,           ///< stored data is inconsistent with its metadata
    Locked,            ///< another process holds the writer lock
    IoError,           ///< the operating system refused a read or write
    Unavailable,       ///< an optional part was not built or a service is down
    Internal,          ///< a bug
};

/// Stable lower-case name of a code, e.g. "parse_error".
std::string_view to_string(ErrorCode code) noexcept;

/// An expected, recoverable failure: a code and a message for a person.
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
};

/// Makes an Error; the one way failures are created (so Result can later become std::expected).
inline Error fail(ErrorCode code, std::string message) {
    return Error{code, std::move(message)};
}

/// A failure that aborts the whole run, import or request.
class Exception : public std::runtime_error {
public:
    Exception(ErrorCode code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    explicit Exception(const Error& error) : Exception(error.code, error.message) {}

    /// The coarse kind of failure.
    ErrorCode code() const noexcept { return code_; }

private:
    ErrorCode code_;
};

namespace detail {
[[noreturn]] inline void assert_fail(const char* cond, const char* why, const char* file,
                                     int line) {
    std::fprintf(stderr, "%s:%d: assertion '%s' failed: %s\n", file, line, cond, why);
    std::abort();
}
}  // namespace detail

}  // namespace tradpal

/// Checks a programmer invariant in Debug and sanitizer builds; never use it on user input.
#ifdef NDEBUG
#define TRADPAL_ASSERT(cond, why) static_cast<void>(0)
#else
#define TRADPAL_ASSERT(cond, why) \
    ((cond) ? static_cast<void>(0) : ::tradpal::detail::assert_fail(#cond, why, __FILE__, __LINE__))
#endif

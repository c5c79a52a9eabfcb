// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <unistd.h>

#include <tradpal/core/error.hpp>

namespace tradpal::data::detail {

/// An output file that appears under its name only when complete: it is written under a
/// temporary name beside the target and renamed by commit(); without commit() the temporary
/// file is removed.
class AtomicOutput {
public:
    explicit AtomicOutput(std::filesystem::path target) : target_(std::move(target)) {
        temp_ = target_;
        temp_ += fmt::format(".tmp{}", ::getpid());
    }
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;
    ~AtomicOutput() {
        if (!committed_) {
            std::error_code ec;
            std::filesystem::remove(temp_, ec);
        }
    }

    /// Where to write.
    const std::filesystem::path& temp_path() const noexcept { return temp_; }

    /// Renames the finished file into place. Throws: tradpal::Exception (IoError).
    void commit() {
        std::error_code ec;
        std::filesystem::rename(temp_, target_, ec);
        if (ec) {
            throw Exception(ErrorCode::IoError,
                            fmt::format("cannot create {}: {}", target_.string(), ec.message()));
        }
        committed_ = true;
    }

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    bool committed_ = false;
};

}  // namespace tradpal::data::detail

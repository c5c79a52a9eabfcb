// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string_view>

#include <tradpal/core/file.hpp>

namespace tradpal {

/// A path that receives its file only when the file is complete: write to temp_path(), then
/// commit() renames it into place; without commit() the temporary file is removed.
class AtomicOutput {
public:
    explicit AtomicOutput(std::filesystem::path target);
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;
    ~AtomicOutput();

    /// Where to write: beside the target, so that the rename is atomic.
    const std::filesystem::path& temp_path() const noexcept { return temp_; }
    /// Renames the finished file into place. Throws: tradpal::Exception (IoError).
    void commit();

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    bool committed_ = false;
};

/// Buffered text output to a file (atomically, as AtomicOutput), to standard output ("-"), or
/// straight to a device or pipe such as /dev/null.
/// Write by reserve() + advance(), or write(). Not thread-safe.
class OutputFile {
public:
    /// Errors: IoError (cannot create the file).
    static Result<OutputFile> open(const std::filesystem::path& path);

    OutputFile(OutputFile&&) noexcept;
    OutputFile& operator=(OutputFile&&) noexcept;
    ~OutputFile();

    /// Room for at least n bytes (n <= 64 KiB); write there, then advance() past what was written.
    /// Throws: tradpal::Exception (IoError) when a flush fails.
    char* reserve(std::size_t n);
    void advance(char* end) noexcept;
    /// Appends text. Throws: tradpal::Exception (IoError).
    void write(std::string_view text);
    /// Flushes; for a file also syncs it and renames it into place. Throws: IoError.
    void commit();
    /// True when writing to standard output.
    bool is_stdout() const noexcept;

private:
    struct Impl;
    explicit OutputFile(std::unique_ptr<Impl> impl) noexcept;
    void flush();

    std::unique_ptr<Impl> impl_;
};

}  // namespace tradpal

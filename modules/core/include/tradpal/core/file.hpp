// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include <tradpal/core/result.hpp>

namespace tradpal {

/// An open file descriptor with whole-buffer reads and writes at offsets. Move-only.
/// Errors name the path and the operating system's reason.
class File {
public:
    enum class Mode { Read, ReadWrite, ReadWriteCreate };

    /// Errors: NotFound, IoError (a directory is refused with a clear message).
    static Result<File> open(const std::filesystem::path& path, Mode mode);

    File(File&& other) noexcept;
    File& operator=(File&& other) noexcept;
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    ~File();

    int fd() const noexcept { return fd_; }
    const std::filesystem::path& path() const noexcept { return path_; }

    /// Size in bytes. Throws: tradpal::Exception (IoError).
    std::uint64_t size() const;
    /// Writes all of `bytes` at `offset`. Throws: tradpal::Exception (IoError).
    void write_at(std::uint64_t offset, std::span<const std::byte> bytes);
    /// Reads exactly bytes.size() bytes at `offset`. Throws: tradpal::Exception (IoError, Corrupt
    /// on a short read).
    void read_at(std::uint64_t offset, std::span<std::byte> bytes) const;
    /// Reads up to bytes.size() bytes from the current position; 0 at end of file.
    /// Throws: tradpal::Exception (IoError).
    std::size_t read_some(std::span<std::byte> bytes);
    /// Makes the contents durable. Throws: tradpal::Exception (IoError).
    void sync();
    /// Starts writing [offset, offset + length) to disk without waiting, so that a later sync()
    /// has less left to do. Best effort: failures show up at sync().
    void start_writeback(std::uint64_t offset, std::uint64_t length) noexcept;
    /// Sets the length. Throws: tradpal::Exception (IoError).
    void truncate(std::uint64_t length);

private:
    File(int fd, std::filesystem::path path) noexcept : fd_(fd), path_(std::move(path)) {}

    int fd_ = -1;
    std::filesystem::path path_;
};

/// A read-only memory mapping of the first `length` bytes of a file. Move-only.
class MappedFile {
public:
    /// Maps `length` bytes (0 maps an empty region without touching the file).
    /// Errors: NotFound, IoError, Corrupt when the file is shorter than `length`.
    static Result<MappedFile> open(const std::filesystem::path& path, std::size_t length);
    /// Maps the first `length` bytes of an open file (the caller checked its size).
    /// Errors: IoError.
    static Result<MappedFile> map(const File& file, std::size_t length);

    MappedFile() = default;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    std::span<const std::byte> bytes() const noexcept { return {data_, length_}; }
    /// The mapping viewed as an array of T (length must be a multiple of sizeof(T)).
    template <class T>
    std::span<const T> as() const noexcept {
        return {reinterpret_cast<const T*>(data_), length_ / sizeof(T)};
    }
    /// Tells the kernel the mapping will be read front to back (more read-ahead).
    void advise_sequential() const noexcept;
    /// Tells the kernel the byte range [offset, offset + length) will not be read again soon, so
    /// its pages leave this process's resident set (the data stays valid and in the page cache).
    void release(std::size_t offset, std::size_t length) const noexcept;

private:
    std::byte* data_ = nullptr;
    std::size_t length_ = 0;
};

/// An exclusive advisory lock (flock) on a lock file, held until destruction. Move-only.
class FileLock {
public:
    /// Takes the lock without waiting. Errors: Locked when another process holds it, IoError.
    static Result<FileLock> try_lock(const std::filesystem::path& path);

    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

private:
    explicit FileLock(int fd) noexcept : fd_(fd) {}

    int fd_ = -1;
};

/// Reads a whole (small) file. Errors: NotFound, IoError.
Result<std::string> read_text_file(const std::filesystem::path& path);

/// Replaces `path` with `content` atomically: a temp file is written, synced and renamed over it,
/// then the directory is synced. Readers see the old or the new file, never a mix.
/// Throws: tradpal::Exception (IoError).
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

/// Makes a directory entry change (create, rename, unlink) durable. Throws: tradpal::Exception.
void sync_directory(const std::filesystem::path& dir);

/// "~/x" -> "$HOME/x"; other paths unchanged.
std::filesystem::path expand_user(const std::string& path);

/// "1.5 GiB"-style size text.
std::string format_bytes(std::uint64_t bytes);

}  // namespace tradpal

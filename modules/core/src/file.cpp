// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tradpal/core/file.hpp>

namespace tradpal {
namespace {

Error os_error(std::string_view what, const std::filesystem::path& path, int err) {
    const ErrorCode code = (err == ENOENT) ? ErrorCode::NotFound : ErrorCode::IoError;
    return fail(code, fmt::format("{} {}: {}", what, path.string(), std::strerror(err)));
}

[[noreturn]] void throw_os_error(std::string_view what, const std::filesystem::path& path,
                                 int err) {
    throw Exception(os_error(what, path, err));
}

std::size_t page_size() noexcept {
    static const auto size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return size;
}

}  // namespace

// ---- File

Result<File> File::open(const std::filesystem::path& path, Mode mode) {
    int flags = O_CLOEXEC;
    switch (mode) {
        case Mode::Read:
            flags |= O_RDONLY;
            break;
        case Mode::ReadWrite:
            flags |= O_RDWR;
            break;
        case Mode::ReadWriteCreate:
            flags |= O_RDWR | O_CREAT;
            break;
    }
    const int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) {
        return os_error("cannot open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{} is a directory, not a file", path.string()));
    }
    return File(fd, path);
}

File::File(File&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

File& File::operator=(File&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

File::~File() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

std::uint64_t File::size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        throw_os_error("cannot stat", path_, errno);
    }
    return static_cast<std::uint64_t>(st.st_size);
}

void File::write_at(std::uint64_t offset, std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_os_error("cannot write", path_, errno);
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
}

void File::read_at(std::uint64_t offset, std::span<std::byte> bytes) const {
    while (!bytes.empty()) {
        const ssize_t n = ::pread(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_os_error("cannot read", path_, errno);
        }
        if (n == 0) {
            throw Exception(ErrorCode::Corrupt,
                            fmt::format("{} ends early: {} bytes missing at offset {}",
                                        path_.string(), bytes.size(), offset));
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
}

std::size_t File::read_some(std::span<std::byte> bytes) {
    for (;;) {
        const ssize_t n = ::read(fd_, bytes.data(), bytes.size());
        if (n >= 0) {
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
            throw_os_error("cannot read", path_, errno);
        }
    }
}

void File::sync() {
    if (::fsync(fd_) != 0) {
        throw_os_error("cannot sync", path_, errno);
    }
}

void File::start_writeback(std::uint64_t offset, std::uint64_t length) noexcept {
    ::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length),
                      SYNC_FILE_RANGE_WRITE);
}

void File::truncate(std::uint64_t length) {
    if (::ftruncate(fd_, static_cast<off_t>(length)) != 0) {
        throw_os_error("cannot truncate", path_, errno);
    }
}

// ---- MappedFile

Result<MappedFile> MappedFile::open(const std::filesystem::path& path, std::size_t length) {
    auto file = File::open(path, File::Mode::Read);
    if (!file) {
        return std::move(file).error();
    }
    const std::uint64_t size = file->size();
    if (size < length) {
        return fail(ErrorCode::Corrupt, fmt::format("{} has {} bytes but {} are expected",
                                                    path.string(), size, length));
    }
    return map(*file, length);
}

Result<MappedFile> MappedFile::map(const File& file, std::size_t length) {
    MappedFile mapped;
    if (length == 0) {
        return mapped;
    }
    void* p = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, file.fd(), 0);
    if (p == MAP_FAILED) {
        return os_error("cannot map", file.path(), errno);
    }
    mapped.data_ = static_cast<std::byte*>(p);
    mapped.length_ = length;
    return mapped;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), length_(std::exchange(other.length_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        if (data_ != nullptr) {
            ::munmap(data_, length_);
        }
        data_ = std::exchange(other.data_, nullptr);
        length_ = std::exchange(other.length_, 0);
    }
    return *this;
}

MappedFile::~MappedFile() {
    if (data_ != nullptr) {
        ::munmap(data_, length_);
    }
}

void MappedFile::advise_sequential() const noexcept {
    if (data_ != nullptr) {
        ::madvise(data_, length_, MADV_SEQUENTIAL);
    }
}

void MappedFile::release(std::size_t offset, std::size_t length) const noexcept {
    if (data_ == nullptr || offset >= length_) {
        return;
    }
    // Only whole pages inside the range can be dropped.
    const std::size_t page = page_size();
    const std::size_t begin = (offset + page - 1) / page * page;
    const std::size_t end = std::min(offset + length, length_) / page * page;
    if (end > begin) {
        ::madvise(data_ + begin, end - begin, MADV_DONTNEED);
    }
}

// ---- FileLock

Result<FileLock> FileLock::try_lock(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return os_error("cannot open lock file", path, errno);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) {
            return fail(ErrorCode::Locked,
                        fmt::format("another process is writing here (lock {} is held); wait for "
                                    "it to finish",
                                    path.string()));
        }
        return os_error("cannot lock", path, err);
    }
    return FileLock(fd);
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

FileLock::~FileLock() {
    if (fd_ >= 0) {
        ::close(fd_);  // closing the descriptor releases the flock
    }
}

// ---- helpers

Result<std::string> read_text_file(const std::filesystem::path& path) {
    auto file = File::open(path, File::Mode::Read);
    if (!file) {
        return std::move(file).error();
    }
    std::string text(file->size(), '\0');
    try {
        file->read_at(0, std::as_writable_bytes(std::span(text)));
    } catch (const Exception& e) {
        return fail(e.code(), e.what());
    }
    return text;
}

void sync_directory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        throw_os_error("cannot open directory", dir, errno);
    }
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        throw_os_error("cannot sync directory", dir, err);
    }
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
    std::filesystem::path tmp = path;
    tmp += fmt::format(".tmp{}", ::getpid());
    {
        File out = File::open(tmp, File::Mode::ReadWriteCreate).value();
        out.truncate(0);
        out.write_at(0, std::as_bytes(std::span(content)));
        out.sync();
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw_os_error("cannot rename into place", path, err);
    }
    sync_directory(path.has_parent_path() ? path.parent_path() : std::filesystem::path("."));
}

std::filesystem::path expand_user(const std::string& path) {
    if (path == "~" || path.starts_with("~/")) {
        const char* home = std::getenv("HOME");
        if (home != nullptr && *home != '\0') {
            return std::filesystem::path(home) / path.substr(path.size() > 1 ? 2 : 1);
        }
    }
    return path;
}

std::string format_bytes(std::uint64_t bytes) {
    constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    auto value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
        value /= 1024.0;
        ++unit;
    }
    return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

}  // namespace tradpal

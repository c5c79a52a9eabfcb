// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include <tradpal/core/output.hpp>

namespace tradpal {
namespace {
constexpr std::size_t kFlushBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxReserve = std::size_t{64} << 10;
}  // namespace

AtomicOutput::AtomicOutput(std::filesystem::path target) : target_(std::move(target)) {
    temp_ = target_;
    temp_ += fmt::format(".tmp{}", ::getpid());
}

AtomicOutput::~AtomicOutput() {
    if (!committed_) {
        std::error_code ec;
        std::filesystem::remove(temp_, ec);
    }
}

void AtomicOutput::commit() {
    std::error_code ec;
    std::filesystem::rename(temp_, target_, ec);
    if (ec) {
        throw Exception(ErrorCode::IoError,
                        fmt::format("cannot create {}: {}", target_.string(), ec.message()));
    }
    committed_ = true;
}

struct OutputFile::Impl {
    std::string name;
    std::optional<AtomicOutput> target;  // absent for standard output
    std::optional<File> file;
    std::vector<char> buffer = std::vector<char>(kFlushBytes + kMaxReserve);
    std::size_t size = 0;

    int fd() const noexcept { return file ? file->fd() : STDOUT_FILENO; }
};

OutputFile::OutputFile(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
OutputFile::OutputFile(OutputFile&&) noexcept = default;
OutputFile& OutputFile::operator=(OutputFile&&) noexcept = default;
OutputFile::~OutputFile() = default;

Result<OutputFile> OutputFile::open(const std::filesystem::path& path) {
    auto impl = std::make_unique<Impl>();
    if (path == "-") {
        impl->name = "<stdout>";
        return OutputFile(std::move(impl));
    }
    impl->name = path.string();
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
        // A device or a pipe (/dev/null, a FIFO): write to it directly; renaming over it would
        // replace it.
        auto device = File::open(path, File::Mode::ReadWrite);
        if (!device) {
            return std::move(device).error();
        }
        impl->file = std::move(*device);
        return OutputFile(std::move(impl));
    }
    impl->target.emplace(path);
    auto file = File::open(impl->target->temp_path(), File::Mode::ReadWriteCreate);
    if (!file) {
        return std::move(file).error();
    }
    try {
        file->truncate(0);
    } catch (const Exception& e) {
        return fail(e.code(), e.what());
    }
    impl->file = std::move(*file);
    return OutputFile(std::move(impl));
}

bool OutputFile::is_stdout() const noexcept {
    return !impl_->file;
}

char* OutputFile::reserve(std::size_t n) {
    TRADPAL_ASSERT(n <= kMaxReserve, "reserve() asks for too much");
    if (impl_->size + n > impl_->buffer.size()) {
        flush();
    }
    return impl_->buffer.data() + impl_->size;
}

void OutputFile::advance(char* end) noexcept {
    impl_->size = static_cast<std::size_t>(end - impl_->buffer.data());
}

void OutputFile::write(std::string_view text) {
    while (!text.empty()) {
        const std::size_t n = std::min(text.size(), kMaxReserve);
        char* p = reserve(n);
        std::memcpy(p, text.data(), n);
        advance(p + n);
        text.remove_prefix(n);
    }
    if (impl_->size >= kFlushBytes) {
        flush();
    }
}

void OutputFile::flush() {
    std::size_t done = 0;
    while (done < impl_->size) {
        const ssize_t n = ::write(impl_->fd(), impl_->buffer.data() + done, impl_->size - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw Exception(ErrorCode::IoError,
                            fmt::format("cannot write {}: {}", impl_->name, std::strerror(errno)));
        }
        done += static_cast<std::size_t>(n);
    }
    impl_->size = 0;
}

void OutputFile::commit() {
    flush();
    if (impl_->target) {
        impl_->file->sync();
        impl_->target->commit();
    }
}

}  // namespace tradpal

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <limits>
#include <random>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <tradpal/cache/file_cache.hpp>
#include <tradpal/core/file.hpp>

namespace tradpal::cache {
namespace {

namespace fs = std::filesystem;

// Changing the layout changes the magic: files of an older layout then read as broken and are
// deleted, which is all a cache needs as a migration.
constexpr std::string_view kMagic = "TPC4";
// Values from this size are mapped rather than read: a hit then costs the checksum pass over the
// page cache, not a copy into freshly faulted memory (3-5x slower on the machines measured).
constexpr std::uint64_t kMapMinBytes = 64 * 1024;

constexpr std::size_t kHashHex = 32;
constexpr std::string_view kTempMark = ".tmp.";
// Far longer than a put takes (its mtime moves with each write), so such a file has no writer.
constexpr auto kStaleTempAge = std::chrono::minutes(1);

bool is_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool valid_namespace(std::string_view ns) {
    return !ns.empty() && ns.size() <= FileCache::kMaxNamespaceBytes &&
           std::all_of(ns.begin(), ns.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
           });
}

std::string errno_text(int err) {
    return std::error_code(err, std::generic_category()).message();
}

fs::path entry_file(const fs::path& dir, std::string_view ns, std::string_view key) {
    constexpr std::string_view kDigits = "0123456789abcdef";
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits(key.data(), key.size()));
    std::string name;
    name.reserve(kHashHex);
    for (const unsigned char byte : canonical.digest) {
        name += kDigits[byte >> 4U];
        name += kDigits[byte & 0xfU];
    }
    return dir / ns / name.substr(0, 2) / name;
}

std::uint64_t process_token() {
    try {
        std::random_device device;
        return (std::uint64_t{device()} << 32U) ^ device();
    } catch (const std::exception&) {
        return static_cast<std::uint64_t>(
            std::chrono::steady_clock::now().time_since_epoch().count());
    }
}

// pid + counter is unique on one host; the random token keeps it unique across containers that
// share the directory (each may run as pid 1).
std::string temp_suffix() {
    static const std::uint64_t token = process_token();
    static std::atomic<std::uint64_t> counter{0};
    return fmt::format("{}{}.{:016x}.{}", kTempMark, ::getpid(), token,
                       counter.fetch_add(1, std::memory_order_relaxed));
}

// Deletes the temp file unless the write got as far as renaming it.
class TempGuard {
public:
    explicit TempGuard(const fs::path& path) : path_(path) {}
    TempGuard(const TempGuard&) = delete;
    TempGuard& operator=(const TempGuard&) = delete;
    ~TempGuard() {
        if (armed_) {
            ::unlink(path_.c_str());
        }
    }
    void disarm() noexcept { armed_ = false; }

private:
    const fs::path& path_;
    bool armed_ = true;
};

enum class FileKind { Entry, Temp };

std::optional<FileKind> classify(std::string_view name) {
    if (name.size() < kHashHex || !is_hex(name.substr(0, kHashHex))) {
        return std::nullopt;
    }
    if (name.size() == kHashHex) {
        return FileKind::Entry;
    }
    if (name.substr(kHashHex).starts_with(kTempMark)) {
        return FileKind::Temp;
    }
    return std::nullopt;
}

// A missing directory is an empty one; other failures go to `error` (the first one is kept).
std::vector<fs::directory_entry> list_dir(const fs::path& path, std::string& error) {
    std::vector<fs::directory_entry> entries;
    std::error_code ec;
    fs::directory_iterator it(path, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        entries.push_back(*it);
    }
    if (ec && ec != std::errc::no_such_file_or_directory && error.empty()) {
        error = fmt::format("cannot list {}: {}", path.string(), ec.message());
    }
    return entries;
}

// Calls visit(entry, kind) for each entry or temp file of `ns` (of all namespaces when empty).
// Only names this class makes are visited, so a cache dir set to the wrong place loses nothing
// else.
template <class Visit>
void walk(const fs::path& dir, std::string_view ns, std::string& error, Visit&& visit) {
    std::vector<fs::path> ns_dirs;
    if (!ns.empty()) {
        ns_dirs.push_back(dir / ns);
    } else {
        for (const auto& entry : list_dir(dir, error)) {
            std::error_code ec;
            if (valid_namespace(entry.path().filename().native()) && entry.is_directory(ec)) {
                ns_dirs.push_back(entry.path());
            }
        }
    }
    for (const auto& ns_dir : ns_dirs) {
        for (const auto& shard : list_dir(ns_dir, error)) {
            const std::string shard_name = shard.path().filename().native();
            std::error_code ec;
            if (shard_name.size() != 2 || !is_hex(shard_name) || !shard.is_directory(ec)) {
                continue;
            }
            for (const auto& file : list_dir(shard.path(), error)) {
                if (const auto kind = classify(file.path().filename().native())) {
                    visit(file, *kind);
                }
            }
        }
    }
}

void put_u32_le(std::string& out, std::size_t offset, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) {
        out[offset + i] = static_cast<char>((v >> (8U * i)) & 0xffU);
    }
}

std::uint32_t get_u32_le(std::string_view in, std::size_t offset) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        v |= std::uint32_t{static_cast<unsigned char>(in[offset + i])} << (8U * i);
    }
    return v;
}

}  // namespace

FileCache::FileCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

bool FileCache::put(std::string_view ns, std::string_view key,
                    std::span<const std::uint8_t> value) {
    if (!check_namespace(ns, "put")) {
        return false;
    }
    if (key.size() > std::numeric_limits<std::uint32_t>::max()) {
        note_write_error(fmt::format("cache put: a key of {} bytes is too long", key.size()));
        return false;
    }
    try {
        const fs::path target = entry_file(dir_, ns, key);
        fs::path temp = target;
        temp += temp_suffix();
        TempGuard guard(temp);
        {
            auto file = File::open(temp, File::Mode::ReadWriteCreate);
            if (!file && file.error().code == ErrorCode::NotFound) {
                // Directories are made on first use only, so the common put costs no extra calls.
                std::error_code ec;
                fs::create_directories(target.parent_path(), ec);
                if (ec) {
                    note_write_error(fmt::format("cache put: cannot create {}: {}",
                                                 target.parent_path().string(), ec.message()));
                    return false;
                }
                file = File::open(temp, File::Mode::ReadWriteCreate);
            }
            if (!file) {
                note_write_error("cache put: " + file.error().message);
                return false;
            }
            std::string head(value_offset(key.size()), '\0');
            std::copy(kMagic.begin(), kMagic.end(), head.begin());
            put_u32_le(head, kMagic.size(), static_cast<std::uint32_t>(key.size()));
            std::copy(key.begin(), key.end(), head.begin() + kHeaderBytes);
            file->write_at(0, std::as_bytes(std::span(head)));
            file->write_at(head.size(), std::as_bytes(value));
        }  // closed before the rename publishes it
        if (::rename(temp.c_str(), target.c_str()) != 0) {
            const int err = errno;
            note_write_error(fmt::format("cache put: cannot rename {} to {}: {}", temp.string(),
                                         target.string(), errno_text(err)));
            return false;
        }
        guard.disarm();
        return true;
    } catch (const std::exception& e) {
        note_write_error(fmt::format("cache put: {}", e.what()));
        return false;
    }
}

std::optional<std::vector<std::uint8_t>> FileCache::get(std::string_view ns, std::string_view key) {
    auto shared = get_shared(ns, key);
    if (!shared) {
        return std::nullopt;
    }
    return std::vector<std::uint8_t>(shared->bytes.begin(), shared->bytes.end());
}

std::optional<SharedBytes> FileCache::get_shared(std::string_view ns, std::string_view key) {
    if (!check_namespace(ns, "get")) {
        return std::nullopt;
    }
    try {
        const fs::path path = entry_file(dir_, ns, key);
        auto file = File::open(path, File::Mode::Read);
        if (!file) {
            if (file.error().code != ErrorCode::NotFound) {
                note_error("cache get: " + file.error().message);
            }
            return std::nullopt;
        }
        // Only what belongs to this header: broken means deleted, because no writer can ever
        // make such a file visible (it renames complete files only).
        const auto drop_broken = [&] {
            struct stat held {};
            struct stat now {};
            // Unlink only if the path still names the file read; a put may have renamed a good
            // one over it meanwhile.
            if (::fstat(file->fd(), &held) == 0 && ::stat(path.c_str(), &now) == 0 &&
                held.st_dev == now.st_dev && held.st_ino == now.st_ino &&
                ::unlink(path.c_str()) == 0) {
                corrupt_removed_.fetch_add(1, std::memory_order_relaxed);
            }
            return std::nullopt;
        };
        const std::uint64_t size = file->size();
        const std::size_t offset = value_offset(key.size());
        std::string head(std::min<std::uint64_t>(size, offset), '\0');
        file->read_at(0, std::as_writable_bytes(std::span(head)));
        if (head.size() < kHeaderBytes || !head.starts_with(kMagic)) {
            return drop_broken();
        }
        const std::uint64_t key_bytes = get_u32_le(head, kMagic.size());
        if (kHeaderBytes + key_bytes > size) {
            return drop_broken();
        }
        // Another key with the same hash: a miss; its file stays for its own key.
        if (key_bytes != key.size() ||
            std::string_view(head).substr(kHeaderBytes, key_bytes) != key) {
            return std::nullopt;
        }
        if (size < offset) {
            return drop_broken();
        }
        // A short value is not checked here: the codec's checksum above catches it.
        const auto value_bytes = static_cast<std::size_t>(size - offset);
        if (value_bytes >= kMapMinBytes) {
            // The mapping stays valid when the file is replaced or deleted (puts rename whole
            // files over it and nothing writes into a published file).
            auto mapped = MappedFile::map(*file, static_cast<std::size_t>(size));
            if (!mapped) {
                note_error("cache get: " + mapped.error().message);
                return std::nullopt;
            }
            auto owner = std::make_shared<const MappedFile>(std::move(*mapped));
            const auto all = owner->as<std::uint8_t>();
            return SharedBytes{all.subspan(offset), std::move(owner)};
        }
        auto value = std::make_shared<std::vector<std::uint8_t>>(value_bytes);
        file->read_at(offset, std::as_writable_bytes(std::span(*value)));
        return SharedBytes{*value, std::move(value)};
    } catch (const std::exception& e) {
        note_error(fmt::format("cache get: {}", e.what()));
        return std::nullopt;
    }
}

bool FileCache::remove(std::string_view ns, std::string_view key) {
    if (!check_namespace(ns, "remove")) {
        return false;
    }
    try {
        const fs::path path = entry_file(dir_, ns, key);
        if (::unlink(path.c_str()) == 0) {
            return true;
        }
        const int err = errno;
        if (err != ENOENT) {
            note_error(
                fmt::format("cache remove: cannot delete {}: {}", path.string(), errno_text(err)));
        }
    } catch (const std::exception& e) {
        note_error(fmt::format("cache remove: {}", e.what()));
    }
    return false;
}

std::size_t FileCache::clear(std::string_view ns) {
    if (!ns.empty() && !check_namespace(ns, "clear")) {
        return 0;
    }
    std::size_t removed = 0;
    std::string error;
    try {
        const auto stale_before = fs::file_time_type::clock::now() - kStaleTempAge;
        walk(dir_, ns, error, [&](const fs::directory_entry& file, FileKind kind) {
            if (kind == FileKind::Temp) {
                std::error_code ec;
                const auto written = file.last_write_time(ec);
                if (ec || written > stale_before) {
                    return;  // a write may still be in progress
                }
            }
            if (::unlink(file.path().c_str()) == 0) {
                removed += kind == FileKind::Entry ? 1 : 0;
            } else if (const int err = errno; err != ENOENT && error.empty()) {
                error = fmt::format("cannot delete {}: {}", file.path().string(), errno_text(err));
            }
        });
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) {
        note_error("cache clear: " + error);
    }
    return removed;
}

FileCache::Usage FileCache::usage(std::string_view ns) const {
    Usage usage;
    if (!ns.empty() && !check_namespace(ns, "usage")) {
        return usage;
    }
    std::string error;
    try {
        walk(dir_, ns, error, [&](const fs::directory_entry& file, FileKind kind) {
            std::error_code ec;
            const std::uintmax_t bytes = file.file_size(ec);
            if (kind == FileKind::Entry && !ec) {  // ec: deleted since it was listed
                ++usage.entries;
                usage.bytes += bytes;
            }
        });
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) {
        note_error("cache usage: " + error);
    }
    return usage;
}

std::size_t FileCache::corrupt_removed() const noexcept {
    return corrupt_removed_.load(std::memory_order_relaxed);
}

std::string FileCache::last_error() const {
    const std::lock_guard lock(error_mutex_);
    return last_error_;
}

std::filesystem::path FileCache::entry_path(std::string_view ns, std::string_view key) const {
    return valid_namespace(ns) ? entry_file(dir_, ns, key) : fs::path();
}

void FileCache::note_error(std::string message) const {
    const std::lock_guard lock(error_mutex_);
    last_error_ = std::move(message);
}

void FileCache::note_write_error(std::string message) {
    if (!write_warned_.exchange(true)) {
        spdlog::warn(
            "file cache {}: {} (the command goes on without it; later failures are not "
            "logged)",
            dir_.string(), message);
    }
    note_error(std::move(message));
}

bool FileCache::check_namespace(std::string_view ns, std::string_view op) const {
    if (valid_namespace(ns)) {
        return true;
    }
    note_error(fmt::format("cache {}: namespace '{}' is not 1-{} characters of [a-z0-9_-]", op,
                           ns.substr(0, 2 * kMaxNamespaceBytes), kMaxNamespaceBytes));
    return false;
}

}  // namespace tradpal::cache

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/cache/codec.hpp>

namespace tradpal::cache {

/// Level 3 of the cache: a directory of files, one per key, shared safely by several processes.
///
/// An entry lives at <dir>/<namespace>/<2 hex>/<32 hex of XXH3-128(key)>. The file holds a small
/// header (magic "TPC4", key length as u32 little-endian), the full key (checked on read, so a
/// hash collision is a miss), zero bytes up to a multiple of 8, and the value bytes. A put writes a
/// unique temp file in the same directory and renames it over the target: readers see the old file
/// or the new one, never half of one, and the last rename wins when two processes write one key.
/// There is no fsync: a crash may lose the last writes but never mixes them.
///
/// Values are opaque bytes here. This level only checks its own header: a file whose header is
/// broken (bad magic, truncated before the value) is deleted and counted. A value that is cut
/// short is returned as it is; the codec above carries a checksum and detects that.
///
/// Failures never throw: the call returns false / nullopt / 0 and last_error() says why, so a
/// cache that cannot write only makes the user's command slower. The first failure of a put is
/// logged once (spdlog::warn).
///
/// Thread-safety: every method may be called from several threads at once. Not copyable or
/// movable.
class FileCache {
public:
    /// Bytes before the key: magic (4) and key length (4).
    static constexpr std::size_t kHeaderBytes = 8;
    /// Where the value starts in an entry's file: after the header and the key, rounded up to a
    /// multiple of 8 so that a mapped value keeps the alignment of its columns.
    static constexpr std::size_t value_offset(std::size_t key_bytes) noexcept {
        return (kHeaderBytes + key_bytes + 7) / 8 * 8;
    }
    /// Longest namespace name; names are [a-z0-9_-]{1,64}.
    static constexpr std::size_t kMaxNamespaceBytes = 64;

    /// Entries and the bytes their files take (headers and keys included).
    struct Usage {
        std::size_t entries = 0;
        std::uint64_t bytes = 0;
    };

    /// `dir` as given ("~" is expanded by the caller); directories are created by the first put.
    explicit FileCache(std::filesystem::path dir);
    FileCache(const FileCache&) = delete;
    FileCache& operator=(const FileCache&) = delete;

    /// Stores `value` under (ns, key), replacing what was there. Keys are any bytes.
    /// Errors: false + last_error() for a refused namespace or a failed write; an existing value
    /// under the key then stays as it was and no temp file is left behind.
    bool put(std::string_view ns, std::string_view key, std::span<const std::uint8_t> value);

    /// The value stored under (ns, key); nullopt on a miss. A file with a broken header is
    /// deleted, counted in corrupt_removed() and is a miss; a file holding another key (a hash
    /// collision) is a miss and stays. Errors: nullopt + last_error() (a refused namespace, an
    /// unreadable file); a plain miss sets no error.
    std::optional<std::vector<std::uint8_t>> get(std::string_view ns, std::string_view key);

    /// The same without a copy: values of 64 KiB or more are mapped, and the bytes stay valid
    /// (the owner keeps the mapping) even if the entry is replaced or removed meanwhile.
    std::optional<SharedBytes> get_shared(std::string_view ns, std::string_view key);

    /// Deletes the file of (ns, key); true when one was deleted, false when there was none or on
    /// an error (then last_error() says why).
    bool remove(std::string_view ns, std::string_view key);

    /// Deletes the entries of `ns` (of every namespace when `ns` is empty) and returns how many.
    /// Temp files older than a minute (left by a killed writer) go too; fresh ones may belong to
    /// a write in progress and stay. Only files named like entries or temp files are touched, and
    /// the directories stay (so a concurrent put never finds its directory gone).
    std::size_t clear(std::string_view ns = {});

    /// Entries and bytes of `ns` (of every namespace when `ns` is empty); temp files not counted.
    /// Complexity: one stat per file.
    Usage usage(std::string_view ns = {}) const;

    /// Files deleted by get() because their own header was broken.
    std::size_t corrupt_removed() const noexcept;

    /// The message of the most recent failure; empty when none has happened.
    std::string last_error() const;

    /// The cache directory as given to the constructor.
    const std::filesystem::path& dir() const noexcept { return dir_; }

    /// The file that holds (ns, key), whether or not it exists; empty for a refused namespace.
    std::filesystem::path entry_path(std::string_view ns, std::string_view key) const;

private:
    void note_error(std::string message) const;
    void note_write_error(std::string message);
    bool check_namespace(std::string_view ns, std::string_view op) const;

    std::filesystem::path dir_;
    mutable std::mutex error_mutex_;
    mutable std::string last_error_;
    std::atomic<std::size_t> corrupt_removed_{0};
    std::atomic<bool> write_warned_{false};
};

}  // namespace tradpal::cache

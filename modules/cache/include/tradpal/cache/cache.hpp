// SPDX-License-Identifier: Apache-2.0
// The cache of repeated work: L1 memory -> L2 Redis -> L3 files, read through with promotion,
// written through to every enabled level. A key names everything its value depends on
// (docs/CACHE.md), so a value can expire but never go stale; a value that fails its checksum
// is a miss, deleted and counted, never returned. Every level fails soft: a cache problem
// costs time, never the user's result.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <tradpal/cache/codec.hpp>
#include <tradpal/cache/file_cache.hpp>
#include <tradpal/cache/memory_cache.hpp>
#include <tradpal/cache/redis_client.hpp>
#include <tradpal/core/result.hpp>
#include <tradpal/core/settings.hpp>

namespace tradpal::cache {

/// A cache key: the namespace (indicators, api, backtest, models) and a hash of a canonical
/// description of every input of the value.
struct Key {
    std::string ns;
    std::string id;           ///< 32 hex digits of XXH3-128(description)
    std::string description;  ///< "name=value;..." (kept for diagnostics)
    /// The Redis key, "tradpal:v1:<ns>:<id>".
    std::string full() const;
};

/// Builds a Key from named parts, in the order given.
class KeyBuilder {
public:
    explicit KeyBuilder(std::string ns);
    KeyBuilder& add(std::string_view name, std::string_view value);
    KeyBuilder& add(std::string_view name, std::int64_t value);
    KeyBuilder& add(std::string_view name, std::uint64_t value);
    Key build() const;

private:
    std::string ns_;
    std::string description_;
};

/// "bytes=<size>;xxh3=<32 hex>" of a file's contents: how a key names a file input.
/// Errors: NotFound, IoError.
Result<std::string> file_fingerprint(const std::filesystem::path& path);

enum class Level : std::uint8_t { Memory = 0, Redis = 1, File = 2 };
inline constexpr std::array<std::string_view, 3> kLevelNames = {"memory", "redis", "file"};

struct LevelCounters {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t writes = 0;
    std::uint64_t write_failures = 0;  ///< including values too large for the level
    std::uint64_t corrupt = 0;         ///< values that failed decoding, deleted
    std::uint64_t bytes_read = 0;      ///< encoded bytes of the hits (memory: decoded bytes)
    std::uint64_t bytes_written = 0;
};
using CacheStats = std::array<LevelCounters, 3>;

struct CacheConfig {
    bool memory = true;
    std::size_t memory_bytes = std::size_t{256} << 20;
    bool redis = false;
    RedisOptions redis_options;
    bool files = true;
    std::filesystem::path file_dir;
    /// Seconds a value of a namespace stays fresh (0: no expiry); unknown namespaces use
    /// ttl_indicators.
    std::map<std::string, std::int64_t, std::less<>> ttl_seconds;
    /// Now, in ns since the epoch (tests move it).
    std::function<std::int64_t()> clock;

    /// From the [cache] settings ("~/" in file_dir is the home directory).
    static CacheConfig from_settings(const CacheSettings& settings);
};

class Cache {
public:
    explicit Cache(CacheConfig config);
    /// Adds this process's counters to the shared ones (flush_stats).
    ~Cache();
    Cache(const Cache&) = delete;
    Cache& operator=(const Cache&) = delete;

    /// The value, from the first level that has it fresh and intact (copied into the levels
    /// above it), or null.
    std::shared_ptr<const Value> get(const Key& key);
    /// Stores `value` in every enabled level, fresh for the namespace's TTL. Values over
    /// Redis's 512 MB limit go to the other levels only.
    std::shared_ptr<const Value> put(const Key& key, Value value);
    /// The same with a TTL of its own (seconds, 0: none), e.g. for copies that must outlive
    /// their freshness (the data sources serve stale API answers when every source fails).
    std::shared_ptr<const Value> put(const Key& key, Value value, std::int64_t ttl_seconds);
    /// get(), or compute(), put() and return it.
    std::shared_ptr<const Value> get_or_compute(const Key& key,
                                                const std::function<Value()>& compute);

    struct Cleared {
        std::size_t memory = 0;
        std::size_t redis = 0;
        std::size_t files = 0;
    };
    /// Removes a namespace's values (every namespace when ns is empty) from every level.
    Cleared clear(std::string_view ns = {});

    /// This process's counters since the last flush.
    CacheStats stats() const;
    /// Adds this process's counters to the counters kept in Redis (when reachable) and in
    /// <file_dir>/stats.json, then zeroes them.
    void flush_stats();
    /// The counters kept across processes in Redis (nullopt when Redis is off or down).
    std::optional<CacheStats> redis_stats();
    /// The counters kept across processes in the file directory.
    CacheStats file_stats() const;

    std::int64_t ttl_seconds(std::string_view ns) const;
    const CacheConfig& config() const noexcept { return config_; }
    /// Level objects, for `cache stats` (null when the level is off).
    RedisClient* redis() noexcept { return redis_.get(); }
    FileCache* files() noexcept { return files_.get(); }
    MemoryCache* memory() noexcept { return memory_.get(); }

private:
    struct AtomicCounters {
        std::atomic<std::uint64_t> hits{0}, misses{0}, writes{0}, write_failures{0}, corrupt{0},
            bytes_read{0}, bytes_written{0};
    };
    AtomicCounters& counters(Level level) { return counters_[static_cast<std::size_t>(level)]; }
    std::int64_t now() const { return config_.clock(); }
    /// Decodes bytes read from a level; null (counted as corrupt) when they fail, and null
    /// when expired at now().
    std::shared_ptr<const Value> decode_from(Level level, const SharedBytes& bytes,
                                             std::int64_t& expires_at_ns);
    /// A read from the Redis or the file level: the decoded value (promoted to the levels
    /// above; it may borrow the level's bytes, so promotion copies nothing) or null, counted
    /// either way.
    std::shared_ptr<const Value> from_level(Level level, const Key& key,
                                            const std::optional<SharedBytes>& bytes);
    void store_redis(const Key& key, std::span<const std::uint8_t> bytes, std::int64_t expires_at);

    CacheConfig config_;
    std::unique_ptr<MemoryCache> memory_;
    std::unique_ptr<RedisClient> redis_;
    std::unique_ptr<FileCache> files_;
    std::array<AtomicCounters, 3> counters_;
};

}  // namespace tradpal::cache

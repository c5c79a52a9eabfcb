// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <xxhash.h>

#include <tradpal/cache/cache.hpp>

namespace tradpal::cache {
namespace {

constexpr std::string_view kKeyPrefix = "tradpal:v1:";
/// The shared counters live beside the values, not under kKeyPrefix, so that clearing every
/// value is one prefix and leaves them.
constexpr std::string_view kCounterPrefix = "tradpal:stats:v1:";
constexpr std::array<std::string_view, 7> kCounterNames = {
    "hits", "misses", "writes", "write_failures", "corrupt", "bytes_read", "bytes_written"};

std::int64_t system_now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::filesystem::path expand_home(const std::string& path) {
    if (path == "~" || path.starts_with("~/")) {
        const char* home = std::getenv("HOME");
        return std::filesystem::path(home != nullptr ? home : "/tmp") /
               (path.size() > 2 ? path.substr(2) : std::string());
    }
    return path;
}

std::string counter_key(std::size_t level, std::size_t field) {
    return fmt::format("{}{}:{}", kCounterPrefix, kLevelNames[level], kCounterNames[field]);
}

std::array<std::uint64_t*, 7> fields(LevelCounters& c) {
    return {&c.hits,    &c.misses,     &c.writes,       &c.write_failures,
            &c.corrupt, &c.bytes_read, &c.bytes_written};
}

/// Whole seconds from now until `expires_at_ns`, at least 1 (0: no expiry).
std::chrono::seconds remaining(std::int64_t expires_at_ns, std::int64_t now_ns) {
    if (expires_at_ns == 0) {
        return std::chrono::seconds(0);
    }
    const std::int64_t left = (expires_at_ns - now_ns + 999'999'999) / 1'000'000'000;
    return std::chrono::seconds(std::max<std::int64_t>(left, 1));
}

}  // namespace

std::string Key::full() const {
    return fmt::format("{}{}:{}", kKeyPrefix, ns, id);
}

KeyBuilder::KeyBuilder(std::string ns) : ns_(std::move(ns)) {}

KeyBuilder& KeyBuilder::add(std::string_view name, std::string_view value) {
    // Lengths first, so that no choice of names and values can make two descriptions equal.
    fmt::format_to(std::back_inserter(description_), "{}:{}={}:{};", name.size(), name,
                   value.size(), value);
    return *this;
}

KeyBuilder& KeyBuilder::add(std::string_view name, std::int64_t value) {
    return add(name, std::string_view(std::to_string(value)));
}

KeyBuilder& KeyBuilder::add(std::string_view name, std::uint64_t value) {
    return add(name, std::string_view(std::to_string(value)));
}

Key KeyBuilder::build() const {
    const XXH128_hash_t h = XXH3_128bits(description_.data(), description_.size());
    return Key{ns_, fmt::format("{:016x}{:016x}", h.high64, h.low64), description_};
}

Result<std::string> file_fingerprint(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::error_code ec;
        return fail(std::filesystem::exists(path, ec) ? ErrorCode::IoError : ErrorCode::NotFound,
                    fmt::format("cannot read {}", path.string()));
    }
    XXH3_state_t* state = XXH3_createState();
    XXH3_128bits_reset(state);
    std::vector<char> buffer(std::size_t{1} << 20);
    std::uint64_t bytes = 0;
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        XXH3_128bits_update(state, buffer.data(), got);
        bytes += got;
    }
    const bool failed = in.bad();
    const XXH128_hash_t h = XXH3_128bits_digest(state);
    XXH3_freeState(state);
    if (failed) {
        return fail(ErrorCode::IoError, fmt::format("reading {} failed", path.string()));
    }
    return fmt::format("bytes={};xxh3={:016x}{:016x}", bytes, h.high64, h.low64);
}

CacheConfig CacheConfig::from_settings(const CacheSettings& s) {
    CacheConfig c;
    c.memory = s.memory_enabled && s.memory_mb > 0;
    c.memory_bytes = static_cast<std::size_t>(s.memory_mb) << 20;
    c.redis = s.redis_enabled;
    c.redis_options.host = s.redis_host;
    c.redis_options.port = static_cast<int>(s.redis_port);
    c.redis_options.command_timeout = std::chrono::milliseconds(s.redis_timeout_ms);
    c.files = s.file_enabled && !s.file_dir.empty();
    c.file_dir = expand_home(s.file_dir);
    c.ttl_seconds = {{"indicators", s.ttl_indicators},
                     {"api", s.ttl_api},
                     {"backtest", s.ttl_backtest},
                     {"models", s.ttl_models}};
    return c;
}

Cache::Cache(CacheConfig config) : config_(std::move(config)) {
    if (!config_.clock) {
        config_.clock = system_now;
    }
    if (config_.memory) {
        memory_ = std::make_unique<MemoryCache>(config_.memory_bytes);
    }
    if (config_.redis) {
        redis_ = std::make_unique<RedisClient>(config_.redis_options);
    }
    if (config_.files) {
        files_ = std::make_unique<FileCache>(config_.file_dir);
    }
}

Cache::~Cache() {
    try {
        flush_stats();
    } catch (...) {  // counters are best effort; a destructor must not throw
    }
}

std::int64_t Cache::ttl_seconds(std::string_view ns) const {
    const auto it = config_.ttl_seconds.find(ns);
    if (it != config_.ttl_seconds.end()) {
        return it->second;
    }
    const auto fallback = config_.ttl_seconds.find("indicators");
    return fallback != config_.ttl_seconds.end() ? fallback->second : 3600;
}

std::shared_ptr<const Value> Cache::decode_from(Level level, const SharedBytes& bytes,
                                                std::int64_t& expires_at_ns) {
    Result<Value> value = decode(bytes);
    if (!value) {
        counters(level).corrupt.fetch_add(1);
        spdlog::warn("cache: a {} value failed its check and was deleted: {}",
                     kLevelNames[static_cast<std::size_t>(level)], value.error().message);
        return nullptr;
    }
    expires_at_ns = peek(bytes.bytes).value().expires_at_ns;
    if (expires_at_ns != 0 && now() >= expires_at_ns) {
        return nullptr;
    }
    return std::make_shared<const Value>(std::move(value).value());
}

std::shared_ptr<const Value> Cache::get(const Key& key) {
    const std::string full = key.full();
    if (memory_) {
        if (auto hit = memory_->get(full, now())) {
            counters(Level::Memory).hits.fetch_add(1);
            counters(Level::Memory).bytes_read.fetch_add(hit->payload_bytes());
            return hit;
        }
        counters(Level::Memory).misses.fetch_add(1);
    }
    if (redis_) {
        if (auto hit = from_level(Level::Redis, key, redis_->get_shared(full))) {
            return hit;
        }
    }
    if (files_) {
        if (auto hit = from_level(Level::File, key, files_->get_shared(key.ns, full))) {
            return hit;
        }
    }
    return nullptr;
}

std::shared_ptr<const Value> Cache::from_level(Level level, const Key& key,
                                               const std::optional<SharedBytes>& bytes) {
    AtomicCounters& c = counters(level);
    if (bytes) {
        std::int64_t expires_at = 0;
        if (auto value = decode_from(level, *bytes, expires_at)) {
            c.hits.fetch_add(1);
            c.bytes_read.fetch_add(bytes->bytes.size());
            if (memory_) {
                memory_->put(key.full(), value, expires_at);
            }
            if (level == Level::File && redis_) {
                store_redis(key, bytes->bytes, expires_at);
            }
            return value;
        }
        // Corrupt or expired: gone from this level.
        if (level == Level::Redis) {
            redis_->del(key.full());
        } else {
            files_->remove(key.ns, key.full());
        }
    }
    c.misses.fetch_add(1);
    return nullptr;
}

void Cache::store_redis(const Key& key, std::span<const std::uint8_t> bytes,
                        std::int64_t expires_at) {
    AtomicCounters& c = counters(Level::Redis);
    if (redis_->set(key.full(), bytes, remaining(expires_at, now()))) {
        c.writes.fetch_add(1);
        c.bytes_written.fetch_add(bytes.size());
    } else {
        c.write_failures.fetch_add(1);  // down, slow, or over Redis's 512 MB by design
    }
}

std::shared_ptr<const Value> Cache::put(const Key& key, Value value) {
    return put(key, std::move(value), ttl_seconds(key.ns));
}

std::shared_ptr<const Value> Cache::put(const Key& key, Value value, std::int64_t ttl_seconds) {
    const std::int64_t expires_at = ttl_seconds > 0 ? now() + ttl_seconds * 1'000'000'000 : 0;
    auto shared = std::make_shared<const Value>(std::move(value));
    if (memory_) {
        memory_->put(key.full(), shared, expires_at);
        counters(Level::Memory).writes.fetch_add(1);
        counters(Level::Memory).bytes_written.fetch_add(shared->payload_bytes());
    }
    if (!redis_ && !files_) {
        return shared;
    }
    const std::vector<std::uint8_t> bytes = encode(*shared, expires_at);
    if (redis_) {
        store_redis(key, bytes, expires_at);
    }
    if (files_) {
        AtomicCounters& c = counters(Level::File);
        if (files_->put(key.ns, key.full(), bytes)) {
            c.writes.fetch_add(1);
            c.bytes_written.fetch_add(bytes.size());
        } else {
            c.write_failures.fetch_add(1);
        }
    }
    return shared;
}

std::shared_ptr<const Value> Cache::get_or_compute(const Key& key,
                                                   const std::function<Value()>& compute) {
    if (auto hit = get(key)) {
        return hit;
    }
    return put(key, compute());
}

Cache::Cleared Cache::clear(std::string_view ns) {
    Cleared out;
    const std::string prefix =
        ns.empty() ? std::string(kKeyPrefix) : fmt::format("{}{}:", kKeyPrefix, ns);
    if (memory_) {
        out.memory = memory_->remove_prefix(prefix);
    }
    if (redis_) {
        out.redis = redis_->del_prefix(prefix);
    }
    if (files_) {
        out.files = files_->clear(ns);
    }
    return out;
}

CacheStats Cache::stats() const {
    CacheStats out;
    for (std::size_t l = 0; l < out.size(); ++l) {
        const AtomicCounters& c = counters_[l];
        out[l] = LevelCounters{c.hits.load(),           c.misses.load(),  c.writes.load(),
                               c.write_failures.load(), c.corrupt.load(), c.bytes_read.load(),
                               c.bytes_written.load()};
    }
    return out;
}

void Cache::flush_stats() {
    CacheStats delta;
    bool any = false;
    for (std::size_t l = 0; l < delta.size(); ++l) {
        AtomicCounters& c = counters_[l];
        delta[l] = LevelCounters{c.hits.exchange(0),         c.misses.exchange(0),
                                 c.writes.exchange(0),       c.write_failures.exchange(0),
                                 c.corrupt.exchange(0),      c.bytes_read.exchange(0),
                                 c.bytes_written.exchange(0)};
        for (const std::uint64_t* v : fields(delta[l])) {
            any = any || *v != 0;
        }
    }
    if (!any) {
        return;
    }
    if (redis_) {
        for (std::size_t l = 0; l < delta.size(); ++l) {
            const auto values = fields(delta[l]);
            for (std::size_t f = 0; f < values.size(); ++f) {
                if (*values[f] != 0) {
                    redis_->incr_by(counter_key(l, f), static_cast<long long>(*values[f]));
                }
            }
        }
    }
    if (!files_) {
        return;
    }
    // <file_dir>/stats.json, read-modify-written under an exclusive lock on stats.lock so that
    // processes finishing together add up instead of overwriting each other.
    std::error_code ec;
    std::filesystem::create_directories(config_.file_dir, ec);
    const std::filesystem::path lock_path = config_.file_dir / "stats.lock";
    std::FILE* lock = std::fopen(lock_path.c_str(), "a");
    if (lock == nullptr) {
        return;
    }
    if (flock(fileno(lock), LOCK_EX) == 0) {
        CacheStats total = file_stats();
        for (std::size_t l = 0; l < total.size(); ++l) {
            const auto sum = fields(total[l]);
            const auto add = fields(delta[l]);
            for (std::size_t f = 0; f < sum.size(); ++f) {
                *sum[f] += *add[f];
            }
        }
        nlohmann::json doc = nlohmann::json::object();
        for (std::size_t l = 0; l < total.size(); ++l) {
            const auto values = fields(total[l]);
            for (std::size_t f = 0; f < values.size(); ++f) {
                doc[std::string(kLevelNames[l])][std::string(kCounterNames[f])] = *values[f];
            }
        }
        const std::filesystem::path path = config_.file_dir / "stats.json";
        const std::filesystem::path temp = config_.file_dir / "stats.json.tmp";
        {
            std::ofstream out(temp);
            out << doc.dump(2) << '\n';
        }
        std::filesystem::rename(temp, path, ec);
        flock(fileno(lock), LOCK_UN);
    }
    std::fclose(lock);
}

std::optional<CacheStats> Cache::redis_stats() {
    if (!redis_ || !redis_->available()) {
        return std::nullopt;
    }
    CacheStats out;
    for (std::size_t l = 0; l < out.size(); ++l) {
        const auto values = fields(out[l]);
        for (std::size_t f = 0; f < values.size(); ++f) {
            const auto v = redis_->get_int(counter_key(l, f));
            *values[f] = v && *v > 0 ? static_cast<std::uint64_t>(*v) : 0;
        }
    }
    return out;
}

CacheStats Cache::file_stats() const {
    CacheStats out;
    std::ifstream in(config_.file_dir / "stats.json");
    if (!in) {
        return out;
    }
    const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
    if (!doc.is_object()) {
        return out;  // unreadable counters start over; they are statistics, not data
    }
    for (std::size_t l = 0; l < out.size(); ++l) {
        const auto level = doc.find(std::string(kLevelNames[l]));
        if (level == doc.end() || !level->is_object()) {
            continue;
        }
        const auto values = fields(out[l]);
        for (std::size_t f = 0; f < values.size(); ++f) {
            const auto v = level->find(std::string(kCounterNames[f]));
            if (v != level->end() && v->is_number_unsigned()) {
                *values[f] = v->get<std::uint64_t>();
            }
        }
    }
    return out;
}

}  // namespace tradpal::cache

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tradpal/cache/codec.hpp>

namespace tradpal::cache {

/// Where the Redis server is and how long to wait for it.
struct RedisOptions {
    std::string host = "127.0.0.1";
    int port = 6379;
    /// Limit on the TCP connect; the PING that follows it is bounded by command_timeout.
    std::chrono::milliseconds connect_timeout{200};
    /// Limit on each socket read or write; a reply that stalls this long counts as a failure.
    std::chrono::milliseconds command_timeout{500};
    /// After a failure, wait this long before reconnecting, doubling after each failed attempt...
    std::chrono::milliseconds first_backoff{250};
    /// ...up to this.
    std::chrono::milliseconds max_backoff{30'000};
};

/// The second cache level: one connection to a Redis server, connected lazily.
///
/// Every call fails soft: a miss, false, nullopt or 0 when the server is down, slow (no reply
/// within command_timeout), refuses, or answers with an error or a reply of the wrong type; the
/// reason is in last_error(). Nothing here throws on a network or server problem. After an I/O
/// failure or a timeout the connection is dropped and calls return at once, without trying to
/// connect, until the back-off has passed; then one call tries to reconnect, and a success
/// resets the back-off. One warning is logged per outage (spdlog), not one per call.
/// A build without hiredis (TRADPAL_HAS_REDIS 0) has the same class, permanently unavailable.
///
/// Thread-safety: all methods may be called from any thread; they are serialised by one mutex,
/// so a call may wait for another thread's connect or command.
class RedisClient {
public:
    /// Redis's limit on one string value; set() refuses anything larger without sending it.
    static constexpr std::size_t kMaxValueBytes = 512ull << 20;

    /// Stores the options; does not connect.
    explicit RedisClient(RedisOptions options);
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    /// True when a connection is up: connects (with a PING) if there is none and the back-off
    /// allows; an open connection is checked for a closed socket without a round trip.
    bool available();

    /// The value stored at key; nullopt on a miss or any failure.
    std::optional<std::vector<std::uint8_t>> get(const std::string& key);
    /// The same without a copy: the bytes are those of hiredis's reply, which the owner keeps.
    std::optional<SharedBytes> get_shared(const std::string& key);

    /// GET for each key, pipelined (all commands written, then all replies read): one entry per
    /// key, in order. If the connection breaks halfway, that entry and all later ones are misses.
    std::vector<std::optional<std::vector<std::uint8_t>>> mget(std::span<const std::string> keys);

    /// SET key value [EX ttl]; ttl 0 = no expiry. False, with nothing sent, when value.size() >
    /// kMaxValueBytes or ttl is negative. A value over 16 KiB goes from the span to the socket
    /// without a copy.
    bool set(const std::string& key, std::span<const std::uint8_t> value, std::chrono::seconds ttl);

    /// Removes key (UNLINK); true when the server confirmed it is gone, whether or not it existed.
    bool del(const std::string& key);

    /// Removes every key that starts with prefix (SCAN MATCH with the glob characters of prefix
    /// escaped, then UNLINK, in batches); the number removed. An empty prefix removes nothing.
    std::size_t del_prefix(const std::string& prefix);

    /// INCRBY key by; false when the key holds something other than an integer or on failure.
    bool incr_by(const std::string& key, long long by);

    /// The integer stored at key (as written by incr_by); nullopt if missing, not an integer, or
    /// on failure.
    std::optional<long long> get_int(const std::string& key);

    /// Seconds until key expires, -1 when it has no expiry; nullopt if missing or on failure.
    std::optional<long long> ttl(const std::string& key);

    /// Why the last call that failed did so (empty until something fails).
    std::string last_error() const;

    /// True once a connection has succeeded; for a "Redis is not running" warning at start.
    bool ever_connected() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tradpal::cache

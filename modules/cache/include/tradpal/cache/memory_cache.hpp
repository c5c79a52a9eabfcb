// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <tradpal/cache/codec.hpp>

namespace tradpal::cache {

/// Level 1: decoded values in this process, least recently used first out, bounded by the
/// bytes of their columns. A hit hands out the shared value itself (no copy, no decoding).
/// Thread-safe.
class MemoryCache {
public:
    explicit MemoryCache(std::size_t budget_bytes) : budget_(budget_bytes) {}

    /// The value under `key` unless it expired at `now_ns` (then it is dropped).
    std::shared_ptr<const Value> get(const std::string& key, std::int64_t now_ns);
    /// Keeps `value` until `expires_at_ns` (0: no expiry); a value larger than the whole
    /// budget is not kept. Older entries make room.
    void put(const std::string& key, std::shared_ptr<const Value> value,
             std::int64_t expires_at_ns);
    void remove(const std::string& key);
    /// Drops the entries whose key starts with `prefix`; the number dropped.
    std::size_t remove_prefix(std::string_view prefix);

    std::size_t entries() const;
    std::size_t bytes() const;

private:
    struct Entry {
        std::string key;
        std::shared_ptr<const Value> value;
        std::size_t bytes = 0;
        std::int64_t expires_at_ns = 0;
    };
    using Order = std::list<Entry>;  // most recently used first

    void erase(Order::iterator it);

    mutable std::mutex mutex_;
    Order order_;
    std::unordered_map<std::string, Order::iterator> index_;
    std::size_t used_ = 0;
    std::size_t budget_;
};

}  // namespace tradpal::cache

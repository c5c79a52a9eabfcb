// SPDX-License-Identifier: Apache-2.0
#include <tradpal/cache/memory_cache.hpp>

namespace tradpal::cache {

std::shared_ptr<const Value> MemoryCache::get(const std::string& key, std::int64_t now_ns) {
    const std::lock_guard lock(mutex_);
    const auto found = index_.find(key);
    if (found == index_.end()) {
        return nullptr;
    }
    const Order::iterator it = found->second;
    if (it->expires_at_ns != 0 && now_ns >= it->expires_at_ns) {
        erase(it);
        return nullptr;
    }
    order_.splice(order_.begin(), order_, it);
    return it->value;
}

void MemoryCache::put(const std::string& key, std::shared_ptr<const Value> value,
                      std::int64_t expires_at_ns) {
    const std::size_t bytes = value->payload_bytes() + key.size();
    const std::lock_guard lock(mutex_);
    if (const auto found = index_.find(key); found != index_.end()) {
        erase(found->second);
    }
    if (bytes > budget_) {
        return;
    }
    while (used_ + bytes > budget_ && !order_.empty()) {
        erase(std::prev(order_.end()));
    }
    order_.push_front(Entry{key, std::move(value), bytes, expires_at_ns});
    index_.emplace(key, order_.begin());
    used_ += bytes;
}

void MemoryCache::remove(const std::string& key) {
    const std::lock_guard lock(mutex_);
    if (const auto found = index_.find(key); found != index_.end()) {
        erase(found->second);
    }
}

std::size_t MemoryCache::remove_prefix(std::string_view prefix) {
    const std::lock_guard lock(mutex_);
    std::size_t removed = 0;
    for (auto it = order_.begin(); it != order_.end();) {
        const auto next = std::next(it);
        if (std::string_view(it->key).starts_with(prefix)) {
            erase(it);
            ++removed;
        }
        it = next;
    }
    return removed;
}

std::size_t MemoryCache::entries() const {
    const std::lock_guard lock(mutex_);
    return order_.size();
}

std::size_t MemoryCache::bytes() const {
    const std::lock_guard lock(mutex_);
    return used_;
}

void MemoryCache::erase(Order::iterator it) {
    used_ -= it->bytes;
    index_.erase(it->key);
    order_.erase(it);
}

}  // namespace tradpal::cache

// SPDX-License-Identifier: Apache-2.0
// The multi-level cache with a real Redis as its second level (label redis).
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include <tradpal/cache/cache.hpp>
#include <tradpal/data_testing/helpers.hpp>

#include "redis_server.hpp"

namespace tradpal::cache {
namespace {

Value sample_value(double scale = 1.0) {
    std::vector<double> values(2000);
    for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = scale * static_cast<double>(i);
    }
    Value v;
    v.columns.push_back(Column::of("x", values));
    return v;
}

CacheConfig redis_config(int port, const std::filesystem::path& dir) {
    CacheConfig c;
    c.redis = true;
    c.redis_options.port = port;
    c.redis_options.command_timeout = std::chrono::milliseconds(300);
    c.redis_options.first_backoff = std::chrono::milliseconds(50);
    c.redis_options.max_backoff = std::chrono::milliseconds(200);
    c.file_dir = dir;
    c.ttl_seconds = {{"indicators", 3600}};
    return c;
}

class CacheWithRedis : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cache_testing::RedisServer::installed()) {
            GTEST_SKIP() << "redis-server is not installed";
        }
        server_ = std::make_unique<cache_testing::RedisServer>();
        ASSERT_TRUE(server_->start()) << server_->log();
    }
    std::unique_ptr<cache_testing::RedisServer> server_;
    data_testing::TempDir dir_;
};

TEST_F(CacheWithRedis, AnotherProcessFindsTheValueInRedisWithItsTtl) {
    const Key key = KeyBuilder("indicators").add("spec", "sma(20)").build();
    {
        Cache writer(redis_config(server_->port(), dir_.path()));
        writer.put(key, sample_value());
        EXPECT_EQ(writer.stats()[1].writes, 1u);
    }
    CacheConfig config = redis_config(server_->port(), dir_.path());
    config.files = false;  // only Redis can answer
    Cache reader(config);
    const auto hit = reader.get(key);
    ASSERT_NE(hit, nullptr);
    EXPECT_EQ(hit->find("x")->f64(), sample_value().find("x")->f64());
    EXPECT_EQ(reader.stats()[1].hits, 1u);
    const auto ttl = reader.redis()->ttl(key.full());
    ASSERT_TRUE(ttl.has_value());
    EXPECT_GT(*ttl, 3500);
    EXPECT_LE(*ttl, 3600);
}

TEST_F(CacheWithRedis, AFileHitIsCopiedIntoRedis) {
    const Key key = KeyBuilder("indicators").add("spec", "ema(9)").build();
    CacheConfig files_only = redis_config(server_->port(), dir_.path());
    files_only.redis = false;
    Cache(files_only).put(key, sample_value());
    Cache both(redis_config(server_->port(), dir_.path()));
    ASSERT_NE(both.get(key), nullptr);
    EXPECT_EQ(both.stats()[2].hits, 1u);
    EXPECT_TRUE(both.redis()->get(key.full()).has_value());
}

TEST_F(CacheWithRedis, ACorruptRedisValueIsAMissDeletedAndCounted) {
    const Key key = KeyBuilder("indicators").add("spec", "rsi(14)").build();
    CacheConfig config = redis_config(server_->port(), dir_.path());
    config.files = false;
    Cache cache(config);
    cache.put(key, sample_value());
    auto bytes = cache.redis()->get(key.full()).value();
    bytes[bytes.size() / 2] ^= 0x01;
    ASSERT_TRUE(cache.redis()->set(key.full(), bytes, std::chrono::seconds(0)));
    Cache reader(config);
    EXPECT_EQ(reader.get(key), nullptr);
    EXPECT_EQ(reader.stats()[1].corrupt, 1u);
    EXPECT_FALSE(reader.redis()->get(key.full()).has_value());
}

TEST_F(CacheWithRedis, RedisDownAtStartLeavesMemoryAndFiles) {
    const int port = server_->port();
    server_->stop();
    const Key key = KeyBuilder("indicators").add("spec", "atr(14)").build();
    Cache cache(redis_config(port, dir_.path()));
    const auto start = std::chrono::steady_clock::now();
    cache.put(key, sample_value());
    EXPECT_NE(cache.get(key), nullptr);
    Cache other(redis_config(port, dir_.path()));
    EXPECT_NE(other.get(key), nullptr);  // from the file level
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    EXPECT_EQ(cache.stats()[1].writes, 0u);
}

TEST_F(CacheWithRedis, RedisKilledMidRunThenBackIsUsedAgain) {
    CacheConfig config = redis_config(server_->port(), dir_.path());
    Cache cache(config);
    const Key before = KeyBuilder("indicators").add("k", "before").build();
    const Key during = KeyBuilder("indicators").add("k", "during").build();
    const Key after = KeyBuilder("indicators").add("k", "after").build();
    cache.put(before, sample_value());
    EXPECT_EQ(cache.stats()[1].writes, 1u);
    server_->stop();
    EXPECT_NO_THROW(cache.put(during, sample_value(2)));
    EXPECT_NE(cache.get(during), nullptr);  // memory and files carry on
    ASSERT_TRUE(server_->start()) << server_->log();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the back-off
    cache.put(after, sample_value(3));
    EXPECT_EQ(cache.stats()[1].writes, 2u);
    EXPECT_TRUE(cache.redis()->get(after.full()).has_value());
}

TEST_F(CacheWithRedis, CountersAreSharedThroughRedis) {
    const Key key = KeyBuilder("indicators").add("k", "v").build();
    for (int run = 0; run < 2; ++run) {
        CacheConfig config = redis_config(server_->port(), dir_.path());
        config.memory = false;
        Cache cache(config);
        (void)cache.get(key);
        cache.put(key, sample_value());
    }
    Cache reader(redis_config(server_->port(), dir_.path()));
    const auto shared = reader.redis_stats();
    ASSERT_TRUE(shared.has_value());
    EXPECT_EQ((*shared)[1].misses, 1u);
    EXPECT_EQ((*shared)[1].hits, 1u);
    EXPECT_EQ((*shared)[1].writes, 2u);
    // Clearing every value, of any namespace, leaves the counters.
    const Key other = KeyBuilder("features").add("k", "v").build();
    reader.put(other, sample_value());
    EXPECT_EQ(reader.clear().redis, 2u);
    EXPECT_FALSE(reader.redis()->get(other.full()).has_value());
    EXPECT_EQ((*reader.redis_stats())[1].writes, 2u);
}

TEST_F(CacheWithRedis, ClearRemovesTheNamespaceFromRedis) {
    Cache cache(redis_config(server_->port(), dir_.path()));
    const Key a = KeyBuilder("indicators").add("k", "a").build();
    const Key b = KeyBuilder("backtest").add("k", "b").build();
    cache.put(a, sample_value());
    cache.put(b, sample_value());
    const Cache::Cleared cleared = cache.clear("indicators");
    EXPECT_EQ(cleared.redis, 1u);
    EXPECT_FALSE(cache.redis()->get(a.full()).has_value());
    EXPECT_TRUE(cache.redis()->get(b.full()).has_value());
}

}  // namespace
}  // namespace tradpal::cache

// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <tradpal/cache/cache.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::cache {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

Value sample_value(double scale = 1.0, std::size_t n = 1000) {
    std::vector<double> values(n);
    std::vector<std::int64_t> times(n);
    for (std::size_t i = 0; i < n; ++i) {
        values[i] = scale * static_cast<double>(i) + 0.25;
        times[i] = static_cast<std::int64_t>(i) * 60 * kSecond;
    }
    Value v;
    v.columns.push_back(Column::of("ts", times));
    v.columns.push_back(Column::of("sma", values));
    return v;
}

std::shared_ptr<const Value> shared(Value v) {
    return std::make_shared<const Value>(std::move(v));
}

/// A config of the memory and file levels over `dir`, with a clock the test moves.
CacheConfig local_config(const std::filesystem::path& dir, std::int64_t* now) {
    CacheConfig c;
    c.file_dir = dir;
    c.ttl_seconds = {{"indicators", 3600}, {"api", 60}, {"backtest", 0}};
    c.clock = [now] {
        return *now;
    };
    return c;
}

TEST(MemoryCache, DropsTheLeastRecentlyUsedToStayWithinItsBytes) {
    const std::size_t one = sample_value().payload_bytes() + std::string("a").size();
    MemoryCache memory(3 * one);
    memory.put("a", shared(sample_value(1)), 0);
    memory.put("b", shared(sample_value(2)), 0);
    memory.put("c", shared(sample_value(3)), 0);
    ASSERT_NE(memory.get("a", 0), nullptr);  // a is now the most recent
    memory.put("d", shared(sample_value(4)), 0);
    EXPECT_EQ(memory.get("b", 0), nullptr);
    EXPECT_NE(memory.get("a", 0), nullptr);
    EXPECT_NE(memory.get("c", 0), nullptr);
    EXPECT_NE(memory.get("d", 0), nullptr);
    EXPECT_EQ(memory.entries(), 3u);
    EXPECT_LE(memory.bytes(), 3 * one);

    memory.put("huge", shared(sample_value(1, 100'000)), 0);  // larger than the budget
    EXPECT_EQ(memory.get("huge", 0), nullptr);
    EXPECT_EQ(memory.entries(), 3u);
}

TEST(MemoryCache, ExpiresAndRemovesByPrefix) {
    MemoryCache memory(1 << 20);
    memory.put("ns1:a", shared(sample_value()), 100);
    memory.put("ns1:b", shared(sample_value()), 0);
    memory.put("ns2:a", shared(sample_value()), 0);
    EXPECT_NE(memory.get("ns1:a", 99), nullptr);
    EXPECT_EQ(memory.get("ns1:a", 100), nullptr);  // expired, and dropped
    EXPECT_EQ(memory.entries(), 2u);
    EXPECT_EQ(memory.remove_prefix("ns1:"), 1u);
    EXPECT_EQ(memory.get("ns1:b", 0), nullptr);
    EXPECT_NE(memory.get("ns2:a", 0), nullptr);
}

TEST(KeyBuilder, EveryPartCountsAndBoundariesCannotShift) {
    const Key a = KeyBuilder("indicators").add("x", "ab").add("y", "c").build();
    const Key b = KeyBuilder("indicators").add("x", "a").add("y", "bc").build();
    const Key same = KeyBuilder("indicators").add("x", "ab").add("y", "c").build();
    const Key other_ns = KeyBuilder("backtest").add("x", "ab").add("y", "c").build();
    EXPECT_NE(a.id, b.id);
    EXPECT_EQ(a.id, same.id);
    EXPECT_EQ(a.id, other_ns.id);
    EXPECT_NE(a.full(), other_ns.full());
    EXPECT_EQ(a.full(), "tradpal:v1:indicators:" + a.id);
    EXPECT_EQ(a.id.size(), 32u);
    EXPECT_NE(KeyBuilder("api").add("rows", std::int64_t{10}).build().id,
              KeyBuilder("api").add("rows", std::int64_t{11}).build().id);
}

TEST(Cache, ReadsThroughTheLevelsAndPromotes) {
    data_testing::TempDir dir;
    std::int64_t now = 1'000 * kSecond;
    const Key key = KeyBuilder("indicators").add("spec", "sma(20)").build();
    {
        Cache writer(local_config(dir.path(), &now));
        EXPECT_EQ(writer.get(key), nullptr);
        writer.put(key, sample_value());
        const auto hit = writer.get(key);
        ASSERT_NE(hit, nullptr);
        EXPECT_EQ(writer.stats()[0].hits, 1u);
    }
    // Another process: its memory is empty, the file level has the value.
    Cache reader(local_config(dir.path(), &now));
    const auto from_file = reader.get(key);
    ASSERT_NE(from_file, nullptr);
    EXPECT_EQ(from_file->find("sma")->f64(), sample_value().find("sma")->f64());
    EXPECT_EQ(reader.stats()[2].hits, 1u);
    ASSERT_NE(reader.get(key), nullptr);  // promoted: now a memory hit
    EXPECT_EQ(reader.stats()[0].hits, 1u);
    EXPECT_EQ(reader.stats()[2].hits, 1u);
}

TEST(Cache, AFileHitOfALargePlainValueBorrowsTheMappedFile) {
    data_testing::TempDir dir;
    std::int64_t now = 1'000 * kSecond;
    const Key key = KeyBuilder("indicators").add("spec", "big").build();
    // Full-mantissa doubles over 8 MiB: stored plainly, so a hit maps the file instead of copying.
    Value big;
    std::vector<double> values(std::size_t{1} << 20);
    for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = std::sin(static_cast<double>(i) * 0.001) * 1e3;
    }
    big.columns.push_back(Column::of("a", values));
    big.columns.push_back(Column::of("b", values));
    Cache(local_config(dir.path(), &now)).put(key, big);
    Cache reader(local_config(dir.path(), &now));
    const auto hit = reader.get(key);
    ASSERT_NE(hit, nullptr);
    EXPECT_TRUE(hit->find("a")->borrows());
    EXPECT_EQ(*hit, big);
    reader.clear();  // the file goes; the value read keeps its mapping
    EXPECT_EQ(hit->find("b")->f64_view()[12345], values[12345]);
}

TEST(Cache, ValuesExpireAfterTheirNamespacesTtlInEveryLevel) {
    data_testing::TempDir dir;
    std::int64_t now = 1'000 * kSecond;
    Cache cache(local_config(dir.path(), &now));
    const Key api = KeyBuilder("api").add("url", "x").build();             // 60 s
    const Key kept = KeyBuilder("backtest").add("strategy", "x").build();  // no expiry
    cache.put(api, sample_value());
    cache.put(kept, sample_value());
    now += 59 * kSecond;
    EXPECT_NE(cache.get(api), nullptr);
    now += 2 * kSecond;
    EXPECT_EQ(cache.get(api), nullptr);
    EXPECT_EQ(cache.files()->usage("api").entries, 0u);  // the expired file is gone too
    now += 365 * 86'400 * kSecond;
    EXPECT_NE(cache.get(kept), nullptr);
}

TEST(Cache, ACorruptFileIsAMissDeletedAndCounted) {
    data_testing::TempDir dir;
    std::int64_t now = 1'000 * kSecond;
    const Key key = KeyBuilder("indicators").add("spec", "rsi(14)").build();
    {
        Cache writer(local_config(dir.path(), &now));
        writer.put(key, sample_value());
    }
    std::size_t flipped = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
        if (entry.is_regular_file() &&
            entry.path().parent_path().parent_path().filename() == "indicators") {
            std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
            f.seekg(-100, std::ios::end);
            char c = 0;
            f.read(&c, 1);
            f.seekp(-100, std::ios::end);
            c = static_cast<char>(c ^ 0x10);
            f.write(&c, 1);
            ++flipped;
        }
    }
    ASSERT_EQ(flipped, 1u);
    Cache reader(local_config(dir.path(), &now));
    EXPECT_EQ(reader.get(key), nullptr);
    EXPECT_EQ(reader.stats()[2].corrupt, 1u);
    EXPECT_EQ(reader.files()->usage("indicators").entries, 0u);
}

TEST(Cache, AnUnwritableDirectoryOnlyCostsTheFileLevel) {
    data_testing::TempDir dir;
    const auto blocker = dir.path() / "a-file";
    std::ofstream(blocker) << "not a directory";
    std::int64_t now = 1'000 * kSecond;
    Cache cache(local_config(blocker / "cache", &now));
    const Key key = KeyBuilder("indicators").add("spec", "ema(5)").build();
    EXPECT_NO_THROW(cache.put(key, sample_value()));
    EXPECT_NE(cache.get(key), nullptr);  // still served from memory
    EXPECT_EQ(cache.stats()[2].write_failures, 1u);
    EXPECT_NO_THROW(cache.flush_stats());
}

TEST(Cache, LevelsCanBeSwitchedOff) {
    data_testing::TempDir dir;
    std::int64_t now = 1'000 * kSecond;
    CacheConfig config = local_config(dir.path(), &now);
    config.memory = false;
    const Key key = KeyBuilder("indicators").add("spec", "atr(14)").build();
    {
        Cache files_only(config);
        EXPECT_EQ(files_only.memory(), nullptr);
        files_only.put(key, sample_value());
        EXPECT_NE(files_only.get(key), nullptr);
    }
    config.memory = true;
    config.files = false;
    Cache memory_only(config);
    EXPECT_EQ(memory_only.files(), nullptr);
    EXPECT_EQ(memory_only.get(key), nullptr);  // the files are not read
}

TEST(Cache, ClearRemovesOneNamespaceOrAll) {
    data_testing::TempDir dir;
    std::int64_t now = 1'000 * kSecond;
    Cache cache(local_config(dir.path(), &now));
    const Key a = KeyBuilder("indicators").add("k", "a").build();
    const Key b = KeyBuilder("backtest").add("k", "b").build();
    cache.put(a, sample_value());
    cache.put(b, sample_value());
    const Cache::Cleared one = cache.clear("indicators");
    EXPECT_EQ(one.memory, 1u);
    EXPECT_EQ(one.files, 1u);
    EXPECT_EQ(cache.get(a), nullptr);
    EXPECT_NE(cache.get(b), nullptr);
    cache.clear();
    EXPECT_EQ(cache.get(b), nullptr);
}

TEST(Cache, CountersAddUpAcrossProcessesInTheFileDirectory) {
    data_testing::TempDir dir;
    std::int64_t now = 1'000 * kSecond;
    const Key key = KeyBuilder("indicators").add("k", "v").build();
    for (int run = 0; run < 2; ++run) {
        Cache cache(local_config(dir.path(), &now));
        (void)cache.get(key);  // run 0: misses everywhere; run 1: a file hit
        cache.put(key, sample_value());
    }
    Cache reader(local_config(dir.path(), &now));
    const CacheStats total = reader.file_stats();
    EXPECT_EQ(total[2].misses, 1u);
    EXPECT_EQ(total[2].hits, 1u);
    EXPECT_EQ(total[2].writes, 2u);
    EXPECT_EQ(total[0].writes, 2u);
    EXPECT_GT(total[2].bytes_written, 0u);
}

}  // namespace
}  // namespace tradpal::cache

// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tradpal/cache/file_cache.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::cache {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using data_testing::TempDir;

Bytes bytes_of(std::string_view text) {
    return {text.begin(), text.end()};
}

/// n bytes that differ from pattern(n, other seed) at every position, so any mix of two is seen.
Bytes pattern(std::size_t n, std::uint8_t seed) {
    Bytes v(n);
    for (std::size_t i = 0; i < n; ++i) {
        v[i] = static_cast<std::uint8_t>(i % 251 + seed);
    }
    return v;
}

std::vector<fs::path> files_under(const fs::path& root) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (!e.is_directory()) {
            files.push_back(e.path());
        }
    }
    return files;
}

bool has_temp_files(const fs::path& dir) {
    for (const auto& file : files_under(dir)) {
        if (file.filename().string().find(".tmp.") != std::string::npos) {
            return true;
        }
    }
    return false;
}

/// Waits for a forked child; its exit code, or -1 when it did not exit normally.
int wait_child(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

TEST(FileCache, PutGetRemoveRoundTrip) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path() / "cache");
    EXPECT_EQ(cache.dir(), tmp.path() / "cache");
    EXPECT_FALSE(cache.get("bars", "k").has_value());

    ASSERT_TRUE(cache.put("bars", "k", bytes_of("first")));
    EXPECT_EQ(cache.get("bars", "k"), bytes_of("first"));
    ASSERT_TRUE(cache.put("bars", "k", bytes_of("second, longer")));
    EXPECT_EQ(cache.get("bars", "k"), bytes_of("second, longer"));
    EXPECT_FALSE(cache.get("other", "k").has_value());  // namespaces are separate

    EXPECT_TRUE(cache.remove("bars", "k"));
    EXPECT_FALSE(cache.get("bars", "k").has_value());
    EXPECT_FALSE(cache.remove("bars", "k"));
    EXPECT_EQ(cache.last_error(), "");  // misses are not errors
    EXPECT_FALSE(has_temp_files(tmp.path()));
}

TEST(FileCache, EmptyValue) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    ASSERT_TRUE(cache.put("ns", "empty", {}));
    EXPECT_EQ(cache.get("ns", "empty"), Bytes());
}

TEST(FileCache, FiftyMegabyteValue) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    const Bytes big = pattern(50U << 20U, 3);
    ASSERT_TRUE(cache.put("ns", "big", big)) << cache.last_error();
    EXPECT_EQ(cache.get("ns", "big"), big);
    EXPECT_EQ(cache.usage().bytes, FileCache::value_offset(3) + big.size());
}

TEST(FileCache, SharedReadsOfLargeValuesAreMappedAlignedAndOutliveTheEntry) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    const Bytes big = pattern(1U << 20U, 7);
    for (const std::string key : {"k", "a-longer-key"}) {  // alignment whatever the key length
        ASSERT_TRUE(cache.put("ns", key, big)) << cache.last_error();
        auto shared = cache.get_shared("ns", key);
        ASSERT_TRUE(shared.has_value());
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(shared->bytes.data()) % 8, 0U) << key;
        // Replaced and then deleted: the bytes read stay what they were.
        ASSERT_TRUE(cache.put("ns", key, pattern(1U << 20U, 8)));
        ASSERT_TRUE(cache.remove("ns", key));
        EXPECT_TRUE(std::ranges::equal(shared->bytes, big)) << key;
    }
    ASSERT_TRUE(cache.put("ns", "small", pattern(100, 1)));  // small values are read, not mapped
    auto small = cache.get_shared("ns", "small");
    ASSERT_TRUE(small.has_value());
    EXPECT_TRUE(std::ranges::equal(small->bytes, pattern(100, 1)));
}

TEST(FileCache, OddKeysStayInsideTheDirectory) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path() / "cache");
    const std::vector<std::string> keys = {
        "a/b",
        "../../../escape",
        "..",
        ".",
        "/abs/path",
        "with spaces  ",
        "ünïcødé 日本",
        std::string(std::size_t{10} * 1024, 'k'),
        std::string("nul\0inside", 10),
        "",
    };
    for (std::size_t i = 0; i < keys.size(); ++i) {
        ASSERT_TRUE(cache.put("ns", keys[i], pattern(100 + i, static_cast<std::uint8_t>(i))))
            << cache.last_error();
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        EXPECT_EQ(cache.get("ns", keys[i]), pattern(100 + i, static_cast<std::uint8_t>(i)))
            << "key " << i;
    }
    // Every file is <dir>/ns/<2 hex>/<32 hex>, and nothing was written beside the cache dir.
    std::size_t n = 0;
    for (const auto& file : files_under(tmp.path())) {
        const auto rel = fs::relative(file, tmp.path() / "cache");
        const std::vector<fs::path> parts(rel.begin(), rel.end());
        ASSERT_EQ(parts.size(), 3U) << file;
        EXPECT_EQ(parts[0], "ns");
        EXPECT_EQ(parts[1].string().size(), 2U);
        EXPECT_EQ(parts[2].string().size(), 32U);
        EXPECT_EQ(parts[2].string().substr(0, 2), parts[1]);
        ++n;
    }
    EXPECT_EQ(n, keys.size());
}

TEST(FileCache, RefusesBadNamespaces) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path() / "cache");
    const std::vector<std::string> bad = {"",
                                          "Bars",
                                          "a.b",
                                          "..",
                                          "../x",
                                          "a/b",
                                          "sp ace",
                                          "é",
                                          std::string(65, 'a'),
                                          std::string("a\0b", 3)};
    for (const auto& ns : bad) {
        SCOPED_TRACE(ns);
        EXPECT_FALSE(cache.put(ns, "k", bytes_of("v")));
        EXPECT_NE(cache.last_error(), "");
        EXPECT_FALSE(cache.get(ns, "k").has_value());
        EXPECT_FALSE(cache.remove(ns, "k"));
        EXPECT_TRUE(cache.entry_path(ns, "k").empty());
    }
    EXPECT_EQ(cache.clear("Bad"), 0U);
    EXPECT_EQ(cache.usage("Bad").entries, 0U);
    EXPECT_FALSE(fs::exists(tmp.path() / "cache"));  // nothing was written

    for (const auto& ns : std::vector<std::string>{"a", "z9_-", std::string(64, 'x')}) {
        EXPECT_TRUE(cache.put(ns, "k", bytes_of("v"))) << ns;
        EXPECT_EQ(cache.get(ns, "k"), bytes_of("v")) << ns;
    }
}

TEST(FileCache, ClearOneNamespace) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(cache.put("one", std::to_string(i), bytes_of("x")));
    }
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(cache.put("two", std::to_string(i), bytes_of("y")));
    }
    EXPECT_EQ(cache.clear("one"), 3U);
    EXPECT_EQ(cache.usage("one").entries, 0U);
    EXPECT_FALSE(cache.get("one", "0").has_value());
    EXPECT_EQ(cache.usage("two").entries, 2U);
    EXPECT_EQ(cache.get("two", "1"), bytes_of("y"));
    EXPECT_EQ(cache.clear("three"), 0U);  // never written: nothing to do, no error
    EXPECT_EQ(cache.last_error(), "");
}

TEST(FileCache, ClearAllTouchesOnlyItsOwnFiles) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    ASSERT_TRUE(cache.put("one", "a", bytes_of("x")));
    ASSERT_TRUE(cache.put("two", "b", bytes_of("y")));
    ASSERT_TRUE(cache.put("three", "c", bytes_of("z")));
    // Files the cache did not make: a cache dir set to a wrong place must not lose them.
    const auto shard = cache.entry_path("one", "a").parent_path();
    const auto mine = tmp.write("notes.txt", "keep");
    const auto beside = shard / "README";
    tmp.write(fs::relative(beside, tmp.path()).string(), "keep");

    EXPECT_EQ(cache.clear(), 3U);
    EXPECT_EQ(cache.usage().entries, 0U);
    EXPECT_FALSE(cache.get("two", "b").has_value());
    EXPECT_TRUE(fs::exists(mine));
    EXPECT_TRUE(fs::exists(beside));
    EXPECT_EQ(cache.clear(), 0U);
    ASSERT_TRUE(cache.put("one", "a", bytes_of("again")));  // directories are still usable
    EXPECT_EQ(cache.get("one", "a"), bytes_of("again"));
}

TEST(FileCache, UsageCountsEntriesAndBytes) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    EXPECT_EQ(cache.usage().entries, 0U);  // the directory does not exist yet
    EXPECT_EQ(cache.last_error(), "");
    ASSERT_TRUE(cache.put("ns", "ab", pattern(100, 0)));
    ASSERT_TRUE(cache.put("ns", "cde", pattern(1000, 0)));
    ASSERT_TRUE(cache.put("other", "f", pattern(10, 0)));
    const auto ns = cache.usage("ns");
    EXPECT_EQ(ns.entries, 2U);
    EXPECT_EQ(ns.bytes, FileCache::value_offset(2) + 100 + FileCache::value_offset(3) + 1000);
    const auto all = cache.usage();
    EXPECT_EQ(all.entries, 3U);
    EXPECT_EQ(all.bytes, ns.bytes + FileCache::value_offset(1) + 10);
    ASSERT_TRUE(cache.put("ns", "ab", pattern(50, 0)));  // replacing adds no entry
    EXPECT_EQ(cache.usage("ns").entries, 2U);
}

// Layout: "TPC3", key length (u32 LE), key, value. A cut inside the first three is this level's
// to detect; a cut inside the value is the codec's (its checksum), so the bytes come back as is.
TEST(FileCacheCorrupt, BrokenHeaderIsAMissDeletedAndCounted) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    const std::string key = "sixteen-byte-key";
    const auto path = cache.entry_path("ns", key);
    const std::size_t key_end = FileCache::kHeaderBytes + key.size();
    std::size_t broken = 0;
    for (const std::size_t length :
         {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{4}, std::size_t{7},
          FileCache::kHeaderBytes, FileCache::kHeaderBytes + 5, key_end - 1}) {
        SCOPED_TRACE(length);
        ASSERT_TRUE(cache.put("ns", key, pattern(64, 1)));
        fs::resize_file(path, length);
        EXPECT_FALSE(cache.get("ns", key).has_value());
        EXPECT_FALSE(fs::exists(path));
        EXPECT_EQ(cache.corrupt_removed(), ++broken);
    }
    // A flipped magic byte, and a key length that points past the end of the file.
    for (const std::size_t offset : {std::size_t{0}, std::size_t{7}}) {
        SCOPED_TRACE(offset);
        ASSERT_TRUE(cache.put("ns", key, pattern(64, 1)));
        {
            std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(static_cast<std::streamoff>(offset));
            f.put('\x7f');
        }
        EXPECT_FALSE(cache.get("ns", key).has_value());
        EXPECT_FALSE(fs::exists(path));
        EXPECT_EQ(cache.corrupt_removed(), ++broken);
    }
    EXPECT_EQ(cache.last_error(), "");                  // broken entries are counted, not errors
    ASSERT_TRUE(cache.put("ns", key, pattern(64, 1)));  // and the key works again
    EXPECT_EQ(cache.get("ns", key), pattern(64, 1));
}

TEST(FileCacheCorrupt, TruncatedValueIsReturnedAsIs) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    const Bytes value = pattern(1000, 5);
    ASSERT_TRUE(cache.put("ns", "key", value));
    const auto path = cache.entry_path("ns", "key");
    fs::resize_file(path, FileCache::value_offset(3) + 400);
    EXPECT_EQ(cache.get("ns", "key"), Bytes(value.begin(), value.begin() + 400));
    fs::resize_file(path, FileCache::value_offset(3));  // the whole value cut off
    EXPECT_EQ(cache.get("ns", "key"), Bytes());
    EXPECT_TRUE(fs::exists(path));
    EXPECT_EQ(cache.corrupt_removed(), 0U);
}

TEST(FileCache, HashCollisionIsAMissAndKeepsTheFile) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    // A's file holding B's key is what a collision of XXH3-128 would look like.
    ASSERT_TRUE(cache.put("ns", "key-b", bytes_of("value of b")));
    const auto path_a = cache.entry_path("ns", "key-a");
    fs::create_directories(path_a.parent_path());
    fs::copy_file(cache.entry_path("ns", "key-b"), path_a);
    // And a key of the same length differing only in its last byte.
    ASSERT_TRUE(cache.put("ns", "key-c", bytes_of("value of c")));
    const auto path_d = cache.entry_path("ns", "key-d");
    fs::create_directories(path_d.parent_path());
    fs::copy_file(cache.entry_path("ns", "key-c"), path_d);

    EXPECT_FALSE(cache.get("ns", "key-a").has_value());
    EXPECT_FALSE(cache.get("ns", "key-d").has_value());
    EXPECT_TRUE(fs::exists(path_a));
    EXPECT_TRUE(fs::exists(path_d));
    EXPECT_EQ(cache.corrupt_removed(), 0U);
    EXPECT_EQ(cache.get("ns", "key-b"), bytes_of("value of b"));
    ASSERT_TRUE(cache.put("ns", "key-a", bytes_of("value of a")));  // the last put wins the path
    EXPECT_EQ(cache.get("ns", "key-a"), bytes_of("value of a"));
}

TEST(FileCacheFailure, DirThroughARegularFileFailsSoft) {
    TempDir tmp("file_cache");
    const auto file = tmp.write("plain", "not a directory");
    FileCache cache(file / "sub");
    EXPECT_NO_THROW({
        EXPECT_FALSE(cache.put("ns", "k", bytes_of("v")));
        EXPECT_NE(cache.last_error(), "");
        EXPECT_FALSE(cache.get("ns", "k").has_value());
        EXPECT_FALSE(cache.remove("ns", "k"));
        EXPECT_EQ(cache.clear(), 0U);
        EXPECT_EQ(cache.clear("ns"), 0U);
        EXPECT_EQ(cache.usage().entries, 0U);
    });
    EXPECT_NE(cache.last_error().find("plain"), std::string::npos) << cache.last_error();
}

// Works as root too: RLIMIT_FSIZE binds every user. The forked child reports by its exit code.
TEST(FileCacheFailure, DiskFullFailsSoftAndKeepsTheOldValue) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    const Bytes old = pattern(1000, 7);
    ASSERT_TRUE(cache.put("ns", "key", old));
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::signal(SIGXFSZ, SIG_IGN);  // so the write returns EFBIG instead of killing the child
        const rlimit limit{1U << 20U, 1U << 20U};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
            ::_exit(10);
        }
        int code = 0;
        if (cache.put("ns", "key", pattern(4U << 20U, 8))) {
            code = 1;
        } else if (cache.last_error().empty()) {
            code = 2;
        } else if (has_temp_files(tmp.path())) {
            code = 3;
        } else if (cache.get("ns", "key") != old) {
            code = 4;
        } else if (cache.put("ns", "other", pattern(4U << 20U, 8))) {  // a new key fails too
            code = 5;
        } else if (has_temp_files(tmp.path()) || cache.get("ns", "other").has_value()) {
            code = 6;
        }
        ::_exit(code);
    }
    EXPECT_EQ(wait_child(pid), 0);
    EXPECT_EQ(cache.get("ns", "key"), old);
}

// Each writer puts its own 4 MB value in a loop while the parent reads: every hit must be one of
// the two values whole.
TEST(FileCacheConcurrency, TwoProcessesWritingOneKey) {
    TempDir tmp("file_cache");
    constexpr std::size_t kBytes = 4U << 20U;
    constexpr int kPuts = 200;
    const Bytes a = pattern(kBytes, 1);
    const Bytes b = pattern(kBytes, 2);
    std::vector<pid_t> writers;
    for (const Bytes* value : {&a, &b}) {
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            FileCache mine(tmp.path());
            int failed = 0;
            for (int i = 0; i < kPuts; ++i) {
                failed += mine.put("ns", "shared", *value) ? 0 : 1;
            }
            ::_exit(failed == 0 ? 0 : 1);
        }
        writers.push_back(pid);
    }
    FileCache cache(tmp.path());
    int hits = 0;
    int torn = 0;
    std::size_t running = writers.size();
    std::vector<int> codes(writers.size(), -1);
    while (running > 0) {
        if (const auto got = cache.get("ns", "shared")) {
            ++hits;
            torn += (*got == a || *got == b) ? 0 : 1;
        }
        for (std::size_t w = 0; w < writers.size(); ++w) {
            int status = 0;
            if (codes[w] == -1 && ::waitpid(writers[w], &status, WNOHANG) == writers[w]) {
                codes[w] = WIFEXITED(status) ? WEXITSTATUS(status) : 100;
                --running;
            }
        }
    }
    EXPECT_EQ(codes, std::vector<int>(writers.size(), 0));
    EXPECT_EQ(torn, 0);
    EXPECT_GT(hits, 0);
    const auto last = cache.get("ns", "shared");
    ASSERT_TRUE(last.has_value());
    EXPECT_TRUE(*last == a || *last == b);
    EXPECT_EQ(cache.corrupt_removed(), 0U);
    EXPECT_FALSE(has_temp_files(tmp.path()));
    EXPECT_EQ(cache.usage().entries, 1U);
}

TEST(FileCacheConcurrency, EightThreadsWritingOneKey) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    constexpr int kThreads = 8;
    constexpr int kRounds = 25;
    std::vector<Bytes> values;
    values.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        values.push_back(pattern(256U << 10U, static_cast<std::uint8_t>(t * 30)));
    }
    std::atomic<int> failed_puts{0};
    std::atomic<int> torn{0};
    std::atomic<int> hits{0};
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kRounds; ++i) {
                failed_puts += cache.put("ns", "shared", values[t]) ? 0 : 1;
                if (const auto got = cache.get("ns", "shared")) {
                    ++hits;
                    bool whole = false;
                    for (const auto& v : values) {
                        whole = whole || *got == v;
                    }
                    torn += whole ? 0 : 1;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(failed_puts.load(), 0) << cache.last_error();
    EXPECT_EQ(torn.load(), 0);
    EXPECT_EQ(hits.load(), kThreads * kRounds);  // the key exists once any put is done
    EXPECT_FALSE(has_temp_files(tmp.path()));
}

TEST(FileCacheStaleTemp, ClearSweepsOldTempFilesOnly) {
    TempDir tmp("file_cache");
    FileCache cache(tmp.path());
    ASSERT_TRUE(cache.put("ns", "key", bytes_of("v")));
    const auto entry = cache.entry_path("ns", "key");
    // Named like the temp files of a put: <entry>.tmp.<pid>.<token>.<counter>.
    auto old_temp = entry;
    old_temp += ".tmp.123.00000000deadbeef.0";
    auto fresh_temp = entry;
    fresh_temp += ".tmp.124.00000000deadbeef.0";
    tmp.write(fs::relative(old_temp, tmp.path()).string(), "half a write");
    tmp.write(fs::relative(fresh_temp, tmp.path()).string(), "a write in progress");
    fs::last_write_time(old_temp, fs::file_time_type::clock::now() - std::chrono::minutes(2));

    EXPECT_EQ(cache.usage("ns").entries, 1U);  // temp files are not entries
    EXPECT_EQ(cache.clear("ns"), 1U);
    EXPECT_FALSE(fs::exists(entry));
    EXPECT_FALSE(fs::exists(old_temp));
    EXPECT_TRUE(fs::exists(fresh_temp));

    fs::last_write_time(fresh_temp, fs::file_time_type::clock::now() - std::chrono::minutes(2));
    EXPECT_EQ(cache.clear(), 0U);  // clear() of all namespaces sweeps as well
    EXPECT_FALSE(fs::exists(fresh_temp));
}

}  // namespace
}  // namespace tradpal::cache

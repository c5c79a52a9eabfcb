// SPDX-License-Identifier: Apache-2.0
// RedisClient against a real redis-server: the one scripts/test.sh starts (TRADPAL_TEST_REDIS_PORT)
// or a private one. Tests that stop, freeze or reconfigure a server always start their own.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <tradpal/cache/redis_client.hpp>
#include <tradpal/config.hpp>

#include "redis_server.hpp"

namespace tradpal::cache {
namespace {

using namespace std::chrono_literals;
using cache_testing::RawConnection;
using cache_testing::RedisServer;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

Bytes bytes_of(std::string_view text) {
    return {text.begin(), text.end()};
}

// Every byte value, NULs and CR LF included, in an order that differs per seed.
Bytes binary_bytes(std::size_t size, std::uint32_t seed) {
    Bytes out(size);
    std::mt19937 rng(seed);
    for (std::size_t i = 0; i < size; ++i) {
        out[i] = static_cast<std::uint8_t>(i % 7 == 0 ? 0 : rng());
    }
    return out;
}

std::chrono::milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// Why Redis tests cannot run in this build or on this machine; empty when they can.
std::string cannot_run() {
    if (!TRADPAL_HAS_REDIS) {
        return "built without Redis support (TRADPAL_HAS_REDIS 0)";
    }
    if (std::getenv("TRADPAL_TEST_REDIS_PORT") == nullptr && !RedisServer::installed()) {
        return fmt::format("{} is not installed and TRADPAL_TEST_REDIS_PORT is unset",
                           RedisServer::kExecutable);
    }
    return {};
}

// For tests that need a server of their own (to stop, freeze or reconfigure it).
std::string cannot_run_private() {
    if (!TRADPAL_HAS_REDIS) {
        return "built without Redis support (TRADPAL_HAS_REDIS 0)";
    }
    if (!RedisServer::installed()) {
        return fmt::format("{} is not installed", RedisServer::kExecutable);
    }
    return {};
}

// The server for tests that only read and write keys: TRADPAL_TEST_REDIS_PORT, else a private
// one started once per process and stopped at exit. 0 when none could be started.
int shared_port() {
    static const int port = [] {
        if (const char* env = std::getenv("TRADPAL_TEST_REDIS_PORT")) {
            return std::atoi(env);
        }
        static RedisServer server;
        return server.start() ? server.port() : 0;
    }();
    return port;
}

RedisOptions options_for(int port) {
    RedisOptions options;
    options.port = port;
    return options;
}

// Keys of one test: ctest runs tests as parallel processes against one shared server.
std::string test_prefix() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return fmt::format("tradpal-test:{}:{}.{}:", ::getpid(), info->test_suite_name(), info->name());
}

class RedisClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (const std::string why = cannot_run(); !why.empty()) {
            GTEST_SKIP() << why;
        }
        port_ = shared_port();
        ASSERT_NE(port_, 0) << "could not start " << RedisServer::kExecutable;
        prefix_ = test_prefix();
        client_ = std::make_unique<RedisClient>(options_for(port_));
        ASSERT_TRUE(client_->available()) << client_->last_error();
    }

    void TearDown() override {
        if (client_) {
            client_->del_prefix(prefix_);
        }
    }

    std::string key(std::string_view name) const { return prefix_ + std::string(name); }

    int port_ = 0;
    std::string prefix_;
    std::unique_ptr<RedisClient> client_;
};

TEST_F(RedisClientTest, SetGetDelRoundTrip) {
    RedisClient& redis = *client_;
    EXPECT_EQ(redis.get(key("a")), std::nullopt);
    EXPECT_EQ(redis.last_error(), "") << "a miss is not an error";

    ASSERT_TRUE(redis.set(key("a"), bytes_of("first"), 0s)) << redis.last_error();
    EXPECT_EQ(redis.get(key("a")), bytes_of("first"));
    ASSERT_TRUE(redis.set(key("a"), bytes_of("second"), 0s));
    EXPECT_EQ(redis.get(key("a")), bytes_of("second"));

    EXPECT_TRUE(redis.del(key("a")));
    EXPECT_EQ(redis.get(key("a")), std::nullopt);
    EXPECT_TRUE(redis.del(key("a"))) << "deleting a missing key still succeeds";
    EXPECT_TRUE(redis.ever_connected());
}

TEST_F(RedisClientTest, BinaryKeysAndValuesRoundTrip) {
    RedisClient& redis = *client_;
    const Bytes value = binary_bytes(4096, 1);
    ASSERT_GE(std::count(value.begin(), value.end(), 0), (4096 + 6) / 7);
    constexpr char kOddName[] = "nul\0 and\r\nspace *?";
    const std::string odd_key = key(std::string(kOddName, sizeof(kOddName) - 1));
    ASSERT_TRUE(redis.set(odd_key, value, 0s)) << redis.last_error();
    EXPECT_EQ(redis.get(odd_key), value);
    EXPECT_EQ(redis.get(key("nul")), std::nullopt) << "the key must not stop at its NUL";

    ASSERT_TRUE(redis.set(key("empty"), Bytes{}, 0s));
    EXPECT_EQ(redis.get(key("empty")), Bytes{}) << "an empty value is a hit, not a miss";
}

TEST_F(RedisClientTest, MegabyteValuesRoundTrip) {
    RedisClient& redis = *client_;
    const Bytes one_mb = binary_bytes(1 << 20, 2);
    const Bytes odd_size = binary_bytes((3 << 20) + 17, 3);
    ASSERT_TRUE(redis.set(key("1mb"), one_mb, 0s)) << redis.last_error();
    ASSERT_TRUE(redis.set(key("3mb"), odd_size, 0s)) << redis.last_error();
    EXPECT_EQ(redis.get(key("1mb")), one_mb);
    // Read into a buffer of its own, aligned for the codec to lend columns from.
    const auto shared = redis.get_shared(key("3mb"));
    ASSERT_TRUE(shared.has_value()) << redis.last_error();
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(shared->bytes.data()) % 8, 0U);
    EXPECT_TRUE(std::ranges::equal(shared->bytes, odd_size));
    const std::vector<std::string> keys = {key("3mb"), key("1mb")};
    const auto values = redis.mget(keys);
    ASSERT_EQ(values.size(), 2u);
    EXPECT_EQ(values[0], odd_size);
    EXPECT_EQ(values[1], one_mb);
}

TEST_F(RedisClientTest, MgetKeepsOrderOfHitsAndMisses) {
    RedisClient& redis = *client_;
    EXPECT_TRUE(redis.mget({}).empty());

    // More keys than one pipelined round, so the rounds must line up too.
    constexpr int kKeys = 700;
    std::vector<std::string> keys;
    for (int i = 0; i < kKeys; ++i) {
        keys.push_back(key(fmt::format("k{}", i)));
        if (i % 3 != 1) {
            ASSERT_TRUE(redis.set(keys.back(), bytes_of(fmt::format("value {}", i)), 0s));
        }
    }
    const auto values = redis.mget(keys);
    ASSERT_EQ(values.size(), keys.size());
    for (int i = 0; i < kKeys; ++i) {
        if (i % 3 == 1) {
            EXPECT_EQ(values[i], std::nullopt) << i;
        } else {
            EXPECT_EQ(values[i], bytes_of(fmt::format("value {}", i))) << i;
        }
    }
}

TEST_F(RedisClientTest, TtlIsSetAndVisible) {
    RedisClient& redis = *client_;
    ASSERT_TRUE(redis.set(key("expiring"), bytes_of("x"), 100s));
    const auto left = redis.ttl(key("expiring"));
    ASSERT_TRUE(left.has_value()) << redis.last_error();
    EXPECT_GT(left.value_or(0), 90);
    EXPECT_LE(left.value_or(0), 100);

    ASSERT_TRUE(redis.set(key("forever"), bytes_of("x"), 0s));
    EXPECT_EQ(redis.ttl(key("forever")), -1);
    EXPECT_EQ(redis.ttl(key("missing")), std::nullopt);

    EXPECT_FALSE(redis.set(key("negative"), bytes_of("x"), -5s));
    EXPECT_EQ(redis.get(key("negative")), std::nullopt);
}

TEST_F(RedisClientTest, IncrByAndGetInt) {
    RedisClient& redis = *client_;
    EXPECT_EQ(redis.get_int(key("n")), std::nullopt);
    ASSERT_TRUE(redis.incr_by(key("n"), 5)) << redis.last_error();
    EXPECT_EQ(redis.get_int(key("n")), 5);
    ASSERT_TRUE(redis.incr_by(key("n"), -7));
    EXPECT_EQ(redis.get_int(key("n")), -2);

    ASSERT_TRUE(redis.set(key("text"), bytes_of("12abc"), 0s));
    EXPECT_EQ(redis.get_int(key("text")), std::nullopt);
    EXPECT_FALSE(redis.incr_by(key("text"), 1));
    EXPECT_NE(redis.last_error(), "");
    EXPECT_EQ(redis.get_int(key("n")), -2) << "the connection stays usable";
}

TEST_F(RedisClientTest, DelPrefixRemovesOnlyThePrefix) {
    RedisClient& redis = *client_;
    const Bytes v = bytes_of("v");
    ASSERT_TRUE(redis.set(key("p:a"), v, 0s));
    ASSERT_TRUE(redis.set(key("p:b"), v, 0s));
    ASSERT_TRUE(redis.set(key("p:c:d"), v, 0s));
    ASSERT_TRUE(redis.set(key("p"), v, 0s));
    ASSERT_TRUE(redis.set(key("q:a"), v, 0s));
    EXPECT_EQ(redis.del_prefix(key("p:")), 3u);
    EXPECT_EQ(redis.get(key("p:a")), std::nullopt);
    EXPECT_EQ(redis.get(key("p:c:d")), std::nullopt);
    EXPECT_EQ(redis.get(key("p")), v);
    EXPECT_EQ(redis.get(key("q:a")), v);
    EXPECT_EQ(redis.del_prefix(key("p:")), 0u);

    // Unescaped, this prefix is a pattern that would also match the decoys.
    const std::string glob = key("a*b?c[d]e\\f:");
    ASSERT_TRUE(redis.set(glob + "1", v, 0s));
    ASSERT_TRUE(redis.set(glob + "2", v, 0s));
    const std::vector<std::string> decoys = {key("aZZbQcdef:1"), key("a*b?cde\\f:1"),
                                             key("a*b?c[d]e\\f")};
    for (const std::string& decoy : decoys) {
        ASSERT_TRUE(redis.set(decoy, v, 0s));
    }
    EXPECT_EQ(redis.del_prefix(glob), 2u);
    EXPECT_EQ(redis.get(glob + "1"), std::nullopt);
    for (const std::string& decoy : decoys) {
        EXPECT_EQ(redis.get(decoy), v) << decoy;
    }

    EXPECT_EQ(redis.del_prefix(""), 0u) << "an empty prefix would remove every key";
    EXPECT_EQ(redis.get(key("p")), v);
}

TEST_F(RedisClientTest, DelPrefixCountsAcrossScanRounds) {
    RedisClient& redis = *client_;
    constexpr std::size_t kKeys = 2500;  // several SCAN rounds of COUNT 1000
    for (std::size_t i = 0; i < kKeys; ++i) {
        ASSERT_TRUE(redis.set(key(fmt::format("many:{}", i)), bytes_of("v"), 0s));
    }
    EXPECT_EQ(redis.del_prefix(key("many:")), kKeys);
    EXPECT_EQ(redis.get(key("many:0")), std::nullopt);
}

TEST_F(RedisClientTest, ReplyOfTheWrongTypeIsAMiss) {
    RedisClient& redis = *client_;
    RawConnection raw(port_);
    ASSERT_TRUE(raw.ok());
    ASSERT_EQ(raw.command({"RPUSH", key("list"), "x"}), ":1");
    ASSERT_TRUE(redis.set(key("a"), bytes_of("A"), 0s));
    ASSERT_TRUE(redis.set(key("b"), bytes_of("B"), 0s));

    EXPECT_EQ(redis.get(key("list")), std::nullopt);
    EXPECT_NE(redis.last_error().find("WRONGTYPE"), std::string::npos) << redis.last_error();
    const std::vector<std::string> keys = {key("a"), key("list"), key("b")};
    const auto values = redis.mget(keys);
    ASSERT_EQ(values.size(), 3u);
    EXPECT_EQ(values[0], bytes_of("A"));
    EXPECT_EQ(values[1], std::nullopt);
    EXPECT_EQ(values[2], bytes_of("B"));
    EXPECT_EQ(redis.get_int(key("list")), std::nullopt);
    EXPECT_FALSE(redis.incr_by(key("list"), 1));
    EXPECT_EQ(redis.ttl(key("list")), -1);
    EXPECT_EQ(redis.get(key("b")), bytes_of("B"));
}

TEST_F(RedisClientTest, ValueOverTheLimitIsRefusedWithoutSending) {
    RedisClient& redis = *client_;
    // A real span of kMaxValueBytes + 1 bytes that costs no memory: reserved address space with
    // no access rights, so reading (sending or copying) even one byte would crash the test.
    const std::size_t size = RedisClient::kMaxValueBytes + 1;
    void* reserved =
        ::mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reserved == MAP_FAILED) {
        GTEST_SKIP() << "cannot reserve " << size << " bytes of address space";
    }
    const std::span<const std::uint8_t> huge(static_cast<const std::uint8_t*>(reserved), size);
    EXPECT_FALSE(redis.set(key("huge"), huge, 0s));
    EXPECT_NE(redis.last_error().find("limit"), std::string::npos) << redis.last_error();
    ::munmap(reserved, size);
    EXPECT_EQ(redis.get(key("huge")), std::nullopt);
    EXPECT_TRUE(redis.available()) << "refusing is not an outage";
}

TEST_F(RedisClientTest, EightThreadsShareOneClient) {
    RedisClient& redis = *client_;
    constexpr int kThreads = 8;
    constexpr int kRounds = 250;
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kRounds; ++i) {
                const std::string k = key(fmt::format("t{}:{}", t, i % 16));
                const Bytes value = bytes_of(fmt::format("thread {} round {}", t, i));
                if (!redis.set(k, value, 60s) || redis.get(k) != value) {
                    ++wrong;
                }
                if (i % 50 == 0) {
                    const std::vector<std::string> both = {k, key(fmt::format("t{}:none", t))};
                    const auto values = redis.mget(both);
                    if (values.size() != 2 || values[0] != value || values[1].has_value()) {
                        ++wrong;
                    }
                }
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(wrong.load(), 0) << redis.last_error();
}

TEST(RedisNotRunning, FailsSoftAndFastWithNothingListening) {
    if (!TRADPAL_HAS_REDIS) {
        GTEST_SKIP() << "built without Redis support";
    }
    RedisOptions options = options_for(cache_testing::free_loopback_port());
    options.connect_timeout = 200ms;
    RedisClient redis(options);
    const auto start = Clock::now();
    // Every call, in a lambda so that EXPECT_NO_THROW sees one argument.
    const auto call_all = [&] {
        EXPECT_FALSE(redis.available());
        EXPECT_EQ(redis.get("k"), std::nullopt);
        EXPECT_FALSE(redis.set("k", bytes_of("v"), 0s));
        const std::vector<std::string> keys = {"a", "b", "c"};
        EXPECT_EQ(redis.mget(keys), decltype(redis.mget(keys))(3));
        EXPECT_FALSE(redis.del("k"));
        EXPECT_EQ(redis.del_prefix("k"), 0u);
        EXPECT_FALSE(redis.incr_by("k", 1));
        EXPECT_EQ(redis.get_int("k"), std::nullopt);
        EXPECT_EQ(redis.ttl("k"), std::nullopt);
    };
    EXPECT_NO_THROW(call_all());
    EXPECT_LT(since(start), options.connect_timeout + 800ms);
    EXPECT_FALSE(redis.ever_connected());
    EXPECT_NE(redis.last_error().find(std::to_string(options.port)), std::string::npos)
        << redis.last_error();
}

TEST(RedisBackoff, NoConnectDuringBackoffAndItDoubles) {
    if (const std::string why = cannot_run_private(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    RedisServer server;  // not started yet: its port refuses connections
    RedisOptions options = options_for(server.port());
    options.first_backoff = 400ms;
    options.max_backoff = 10s;
    RedisClient redis(options);

    EXPECT_FALSE(redis.available());  // refused: next try after 400 ms
    std::this_thread::sleep_for(450ms);
    const auto second_failure = Clock::now();
    EXPECT_FALSE(redis.available());  // refused again: next try after 800 ms
    ASSERT_TRUE(server.start()) << server.log();

    // The server answers now, but the doubled back-off (800 ms) forbids trying; a back-off that
    // did not double (400 ms) would have let this call connect.
    std::this_thread::sleep_until(second_failure + 600ms);
    ASSERT_LT(since(second_failure), 750ms) << "the machine stalled; timing check void";
    EXPECT_FALSE(redis.available());
    EXPECT_FALSE(redis.ever_connected());

    std::this_thread::sleep_until(second_failure + 950ms);
    EXPECT_TRUE(redis.available()) << redis.last_error();
    EXPECT_TRUE(redis.ever_connected());
}

// Waits until the client reconnects (its back-off passes); false after `limit`.
bool wait_available(RedisClient& redis, std::chrono::milliseconds limit) {
    const auto start = Clock::now();
    while (since(start) < limit) {
        if (redis.available()) {
            return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

TEST(RedisOutage, KilledServerFailsSoftThenReconnects) {
    if (const std::string why = cannot_run_private(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    RedisServer server;
    ASSERT_TRUE(server.start()) << server.log();
    RedisOptions options = options_for(server.port());
    options.first_backoff = 100ms;
    options.max_backoff = 400ms;
    RedisClient redis(options);
    ASSERT_TRUE(redis.set("a", bytes_of("A"), 0s)) << redis.last_error();
    ASSERT_EQ(redis.get("a"), bytes_of("A"));

    server.stop();
    const auto start = Clock::now();
    const auto call_some = [&] {
        EXPECT_EQ(redis.get("a"), std::nullopt);
        EXPECT_FALSE(redis.set("b", bytes_of("B"), 0s));
        const std::vector<std::string> keys = {"a", "b"};
        EXPECT_EQ(redis.mget(keys), decltype(redis.mget(keys))(2));
        EXPECT_FALSE(redis.available());
    };
    EXPECT_NO_THROW(call_some());
    EXPECT_LT(since(start), 1000ms);
    EXPECT_NE(redis.last_error(), "");

    ASSERT_TRUE(server.start()) << server.log();
    ASSERT_TRUE(wait_available(redis, 3s)) << redis.last_error();
    EXPECT_EQ(redis.get("a"), std::nullopt) << "a new server without persistence";
    ASSERT_TRUE(redis.set("a", bytes_of("A2"), 0s)) << redis.last_error();
    EXPECT_EQ(redis.get("a"), bytes_of("A2"));
}

TEST(RedisOutage, ConnectionClosedWhileIdleReconnectsAtOnce) {
    if (const std::string why = cannot_run_private(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    RedisServer server;
    ASSERT_TRUE(server.start()) << server.log();
    RedisOptions options = options_for(server.port());
    options.first_backoff = 10s;  // a failure would show as a miss for the rest of the test
    RedisClient redis(options);
    ASSERT_TRUE(redis.set("a", bytes_of("A"), 0s)) << redis.last_error();

    RawConnection raw(server.port());
    ASSERT_EQ(raw.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}), ":1");
    std::this_thread::sleep_for(20ms);  // let the close reach the client's socket
    EXPECT_EQ(redis.get("a"), bytes_of("A")) << redis.last_error();
}

TEST(RedisOutage, MgetBrokenHalfwayLeavesTheRestAsMisses) {
    if (const std::string why = cannot_run_private(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    RedisServer server;
    ASSERT_TRUE(server.start()) << server.log();
    RedisOptions options = options_for(server.port());
    options.first_backoff = 50ms;
    RedisClient redis(options);
    const Bytes big = binary_bytes(2 << 20, 4);
    ASSERT_TRUE(redis.set("big", big, 0s)) << redis.last_error();
    for (const char* name : {"s0", "s1", "s2", "s3"}) {
        ASSERT_TRUE(redis.set(name, bytes_of(name), 0s));
    }
    // The server drops a client whose pending replies pass 1 MB: the connection breaks at "big".
    RawConnection raw(server.port());
    ASSERT_EQ(raw.command({"CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"}),
              "+OK");

    const std::vector<std::string> keys = {"s0", "s1", "big", "s2", "s3"};
    const auto values = redis.mget(keys);
    ASSERT_EQ(values.size(), keys.size());
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_TRUE(!values[i] || *values[i] == bytes_of(keys[i])) << i;  // a hit must be right
    }
    for (std::size_t i = 2; i < keys.size(); ++i) {
        EXPECT_EQ(values[i], std::nullopt) << i;
    }

    // After the reconnect, no reply of the broken pipeline may turn up as a later answer.
    ASSERT_EQ(raw.command({"CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"}), "+OK");
    ASSERT_TRUE(wait_available(redis, 3s)) << redis.last_error();
    EXPECT_EQ(redis.get("s2"), bytes_of("s2"));
    EXPECT_EQ(redis.mget(keys), decltype(values)({bytes_of("s0"), bytes_of("s1"), big,
                                                  bytes_of("s2"), bytes_of("s3")}));
}

TEST(RedisSlowServer, CommandTimeoutGivesAMissWellBeforeTheServerWakes) {
    if (const std::string why = cannot_run_private(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    RedisServer server;
    ASSERT_TRUE(server.start()) << server.log();
    RedisOptions options = options_for(server.port());
    options.command_timeout = 200ms;
    options.first_backoff = 50ms;
    RedisClient redis(options);
    ASSERT_TRUE(redis.set("a", bytes_of("A"), 0s)) << redis.last_error();
    ASSERT_TRUE(redis.set("b", bytes_of("B"), 0s)) << redis.last_error();

    RawConnection sleeper(server.port());
    ASSERT_TRUE(sleeper.send({"DEBUG", "SLEEP", "2"}));
    std::this_thread::sleep_for(50ms);  // let the server start sleeping
    const auto start = Clock::now();
    EXPECT_EQ(redis.get("a"), std::nullopt);
    EXPECT_LT(since(start), 1000ms);
    EXPECT_NE(redis.last_error().find("200 ms"), std::string::npos) << redis.last_error();

    ASSERT_EQ(sleeper.read_line(4s), "+OK") << "DEBUG SLEEP refused: " << server.log();
    ASSERT_TRUE(wait_available(redis, 3s)) << redis.last_error();
    EXPECT_EQ(redis.get("b"), bytes_of("B")) << "not the late reply to GET a";
    EXPECT_EQ(redis.get("a"), bytes_of("A"));
}

TEST(RedisSlowServer, ConnectToAFrozenServerTimesOut) {
    if (const std::string why = cannot_run_private(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    RedisServer server;
    ASSERT_TRUE(server.start()) << server.log();
    server.freeze();  // the kernel still accepts connections; the PING gets no answer
    RedisOptions options = options_for(server.port());
    options.connect_timeout = 200ms;
    options.command_timeout = 200ms;
    options.first_backoff = 50ms;
    RedisClient redis(options);
    {
        // Without a working timeout available() would wait for the thaw below: end it after 3 s.
        std::jthread watchdog([&server](const std::stop_token& stop) {
            std::mutex mutex;
            std::unique_lock lock(mutex);
            std::condition_variable_any().wait_for(lock, stop, 3s, [] { return false; });
            if (!stop.stop_requested()) {
                server.thaw();
            }
        });
        const auto start = Clock::now();
        EXPECT_FALSE(redis.available());
        EXPECT_LT(since(start), 1200ms);
        EXPECT_FALSE(redis.ever_connected());
    }  // stops and joins the watchdog

    server.thaw();
    ASSERT_TRUE(wait_available(redis, 3s)) << redis.last_error();
    EXPECT_TRUE(redis.ever_connected());
}

TEST(RedisWithoutSupport, ReportsUnavailableWithAClearMessage) {
    if (TRADPAL_HAS_REDIS) {
        GTEST_SKIP() << "this build has Redis support";
    }
    RedisClient redis(RedisOptions{});
    EXPECT_FALSE(redis.available());
    EXPECT_EQ(redis.get("k"), std::nullopt);
    EXPECT_FALSE(redis.set("k", bytes_of("v"), 0s));
    EXPECT_FALSE(redis.ever_connected());
    EXPECT_NE(redis.last_error().find("no Redis support"), std::string::npos) << redis.last_error();
}

// Percentile of sorted durations in microseconds.
double percentile_us(const std::vector<std::int64_t>& sorted_ns, double p) {
    const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted_ns.size() - 1));
    return static_cast<double>(sorted_ns[index]) / 1000.0;
}

constexpr std::size_t kWarmUp = 1000;  // untimed GETs first: connect, caches, branch predictors

// GETs of existing keys with 100-byte values, timed one by one; appends the durations.
void time_gets(int port, std::size_t ops, std::uint32_t seed, std::span<const std::string> keys,
               std::vector<std::int64_t>& out_ns, std::atomic<int>& misses) {
    RedisClient redis(options_for(port));
    std::mt19937 rng(seed);
    out_ns.reserve(out_ns.size() + ops);
    for (std::size_t i = 0; i < ops + kWarmUp; ++i) {
        const std::string& k = keys[rng() % keys.size()];
        const auto start = Clock::now();
        const auto value = redis.get(k);
        const auto took = Clock::now() - start;
        if (!value || value->size() != 100) {
            ++misses;
        }
        if (i >= kWarmUp) {
            out_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
        }
    }
}

// `wall_s` covers all_ops GETs (timed ones and warm-up) by all threads.
void print_latency(const char* label, std::vector<std::int64_t> ns, std::size_t all_ops,
                   double wall_s) {
    std::sort(ns.begin(), ns.end());
    std::printf("%-26s timed %7zu  p50 %6.1f us  p99 %6.1f us  p99.9 %7.1f us  %7.0f GET/s\n",
                label, ns.size(), percentile_us(ns, 0.50), percentile_us(ns, 0.99),
                percentile_us(ns, 0.999), static_cast<double>(all_ops) / wall_s);
}

// A measurement, not a check: run with
//   --gtest_also_run_disabled_tests --gtest_filter='*Latency*'
TEST(RedisLatency, DISABLED_SmallGetsOneAndEightThreads) {
    if (const std::string why = cannot_run(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    const int port = shared_port();
    ASSERT_NE(port, 0);
    const std::string prefix = test_prefix();
    constexpr std::size_t kOps = 20'000;
    std::vector<std::string> keys;
    {
        RedisClient writer(options_for(port));
        const Bytes value = binary_bytes(100, 5);
        for (int i = 0; i < 1000; ++i) {
            keys.push_back(prefix + std::to_string(i));
            ASSERT_TRUE(writer.set(keys.back(), value, 600s)) << writer.last_error();
        }
    }
    std::atomic<int> misses{0};

    std::vector<std::int64_t> single;
    auto start = Clock::now();
    time_gets(port, kOps, 1, keys, single, misses);
    print_latency("1 thread", single, kOps + kWarmUp,
                  std::chrono::duration<double>(Clock::now() - start).count());

    constexpr int kThreads = 8;
    std::vector<std::vector<std::int64_t>> per_thread(kThreads);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    start = Clock::now();
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            time_gets(port, kOps, static_cast<std::uint32_t>(t + 2), keys, per_thread[t], misses);
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<std::int64_t> all;
    for (const auto& ns : per_thread) {
        all.insert(all.end(), ns.begin(), ns.end());
    }
    print_latency("8 threads, own clients", std::move(all), kThreads * (kOps + kWarmUp), wall_s);
    std::printf("hardware threads: %u\n", std::thread::hardware_concurrency());
    EXPECT_EQ(misses.load(), 0);

    RedisClient cleaner(options_for(port));
    cleaner.del_prefix(prefix);
}

}  // namespace
}  // namespace tradpal::cache

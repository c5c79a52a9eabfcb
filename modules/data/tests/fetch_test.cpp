// SPDX-License-Identifier: Apache-2.0
// The fallback chain, the store and Kaggle sources, make_sources and update_series, against
// loopback fake servers and in-process sources.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/cache/cache.hpp>
#include <tradpal/data/fetch.hpp>
#include <tradpal/data_testing/fake_http.hpp>
#include <tradpal/data_testing/helpers.hpp>

#include "fake_api_support.hpp"

namespace tradpal::data {
namespace {

using data_testing::FakeReply;
using data_testing::FakeServer;
using data_testing::SeenRequest;
using data_testing::synthetic_ohlcv;
using data_testing::TempDir;
using namespace fake_api;
using Outcome = ChainStep::Outcome;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using namespace std::chrono_literals;

constexpr std::int64_t kHourNs = kNanosPerHour;
constexpr std::int64_t kMinuteNs = kNanosPerMinute;

template <class... S>
std::vector<std::unique_ptr<Source>> sources_of(S... sources) {
    std::vector<std::unique_ptr<Source>> out;
    (out.push_back(std::move(sources)), ...);
    return out;
}

std::vector<std::pair<std::string, Outcome>> outcomes(const std::vector<ChainStep>& steps) {
    std::vector<std::pair<std::string, Outcome>> out;
    for (const ChainStep& step : steps) {
        out.emplace_back(step.source, step.outcome);
    }
    return out;
}

FakeReply server_error() {
    return json(R"({"code":-1000,"msg":"An unknown error occurred."})", 500);
}

FetchRequest request_for_bars(std::string symbol, const BarSeriesView& bars,
                              Timeframe timeframe = Timeframe("1h")) {
    const Timestamp end = timeframe.next_bucket(bars.time(bars.size() - 1));
    return {std::move(symbol), timeframe, bars.time(0), end, Timestamp(end.ns() + kNanosPerDay)};
}

// --- answers of the fake APIs ----------------------------------------------------------------

// Binance's klines endpoint over `bars`: startTime and endTime (inclusive ms) and limit honoured.
FakeReply klines_page(const BarSeriesView& bars, const SeenRequest& seen) {
    const auto ts = bars.ts();
    const std::int64_t start_ns = query_int(seen, "startTime") * kNanosPerMilli;
    const std::int64_t end_ns = query_int(seen, "endTime") * kNanosPerMilli;
    const auto limit = static_cast<std::size_t>(query_int(seen, "limit"));
    const auto first =
        static_cast<std::size_t>(std::lower_bound(ts.begin(), ts.end(), start_ns) - ts.begin());
    std::string body = "[";
    for (std::size_t i = first; i < ts.size() && i - first < limit && ts[i] <= end_ns; ++i) {
        const Bar b = bars.bar(i);
        const std::int64_t open_ms = b.ts.ns() / kNanosPerMilli;
        body += fmt::format(R"({}[{},"{}","{}","{}","{}","{}",{},"0",7,"0","0","0"])",
                            i == first ? "" : ",", open_ms, b.open, b.high, b.low, b.close,
                            b.volume, open_ms + kHourNs / kNanosPerMilli - 1);
    }
    return json(body + "]");
}

// Kraken's OHLC endpoint over `bars`: at most 720 bars after `since`, `last` the newest sent.
FakeReply ohlc_page(const BarSeriesView& bars, const SeenRequest& seen) {
    const std::int64_t since = query_int(seen, "since");
    const auto ts = bars.ts();
    const auto first = static_cast<std::size_t>(
        std::upper_bound(ts.begin(), ts.end(), since * kNanosPerSecond) - ts.begin());
    const std::size_t count = std::min<std::size_t>(720, ts.size() - first);
    std::string rows;
    for (std::size_t i = first; i < first + count; ++i) {
        const Bar b = bars.bar(i);
        rows += fmt::format(R"({}[{},"{}","{}","{}","{}","{}","{}",5])", i == first ? "" : ",",
                            b.ts.seconds(), b.open, b.high, b.low, b.close, b.close, b.volume);
    }
    const std::int64_t last = count > 0 ? ts[first + count - 1] / kNanosPerSecond : since;
    return json(
        fmt::format(R"({{"error":[],"result":{{"XXBTZUSD":[{}],"last":{}}}}})", rows, last));
}

// Yahoo's chart answer for `bars` (volumes as integers, like Yahoo's).
FakeReply chart(const BarSeriesView& bars) {
    std::string timestamps, open, high, low, close, volume;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const Bar b = bars.bar(i);
        const char* comma = i == 0 ? "" : ",";
        timestamps += fmt::format("{}{}", comma, b.ts.seconds());
        open += fmt::format("{}{}", comma, b.open);
        high += fmt::format("{}{}", comma, b.high);
        low += fmt::format("{}{}", comma, b.low);
        close += fmt::format("{}{}", comma, b.close);
        volume += fmt::format("{}{}", comma, std::llround(b.volume));
    }
    return json(fmt::format(
        R"({{"chart":{{"result":[{{"meta":{{"currency":"USD","symbol":"TEST","gmtoffset":0,)"
        R"("timezone":"UTC","dataGranularity":"1d"}},"timestamp":[{}],)"
        R"("indicators":{{"quote":[{{"open":[{}],"high":[{}],"low":[{}],"close":[{}],)"
        R"("volume":[{}]}}]}}}}],"error":null}}}})",
        timestamps, open, high, low, close, volume));
}

constexpr std::string_view kYahooNotFound =
    R"({"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}})";
constexpr std::string_view kBinanceInvalidSymbol = R"({"code":-1121,"msg":"Invalid symbol."})";
constexpr std::string_view kKrakenUnknownPair = R"({"error":["EQuery:Unknown asset pair"]})";

// An in-process source answering with `answer`, counting its calls.
class ScriptedSource final : public Source {
public:
    using Answer = std::function<Result<FetchResult>(const FetchRequest&)>;
    ScriptedSource(std::string name, bool remote, Answer answer)
        : name_(std::move(name)), remote_(remote), answer_(std::move(answer)) {}

    std::string_view name() const override { return name_; }
    bool supports(std::string_view, const Timeframe&) const override { return true; }
    bool is_remote() const override { return remote_; }
    Result<FetchResult> fetch(const FetchRequest& request, const FetchProgress&) override {
        ++calls;
        return answer_(request);
    }

    std::atomic<int> calls{0};

private:
    std::string name_;
    bool remote_;
    Answer answer_;
};

// --- the chain: order, reasons, errors -------------------------------------------------------

TEST(SourceChain, FallsThroughYahooAndBinanceToKraken) {
    const BarSeries bars = synthetic_ohlcv(48, 3);
    FakeServer yahoo([](const SeenRequest&) { return json(std::string(kYahooNotFound), 404); });
    FakeServer binance([](const SeenRequest&) { return server_error(); });
    FakeServer kraken([&](const SeenRequest& seen) { return ohlc_page(bars, seen); });
    const auto client = fast_client();
    SourceChain chain(sources_of(make_yahoo_source({yahoo.url(), client}),
                                 make_binance_source({binance.url(), client}),
                                 make_kraken_source({kraken.url(), client})),
                      {});

    auto result = chain.fetch(request_for_bars("BTC/USDT", bars));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->source, "kraken");
    EXPECT_FALSE(result->from_cache);
    EXPECT_FALSE(result->stale);
    expect_same_bars(result->result.bars, bars);
    EXPECT_THAT(outcomes(result->steps),
                ElementsAre(Pair("yahoo", Outcome::Failed), Pair("binance", Outcome::Failed),
                            Pair("kraken", Outcome::Served)));
    EXPECT_THAT(result->steps[0].reason,
                AllOf(HasSubstr("yahoo BTC/USDT"), HasSubstr("No data found")));
    EXPECT_THAT(result->steps[1].reason, AllOf(HasSubstr("binance BTC/USDT"), HasSubstr("500")));
    EXPECT_THAT(result->steps[2].reason, HasSubstr("48 bars"));
    EXPECT_EQ(binance.requests().size(), 3U);  // the client's retries came first
    EXPECT_EQ(yahoo.requests().size(), 1U);    // a 404 is not retried
}

TEST(SourceChain, SkipsSourcesWithoutTheSymbolWithoutAskingThem) {
    const BarSeries bars = synthetic_ohlcv(20, 5, Timeframe("1d"));
    FakeServer binance([](const SeenRequest&) { return server_error(); });
    FakeServer kraken([](const SeenRequest&) { return server_error(); });
    FakeServer yahoo([&](const SeenRequest&) { return chart(bars); });
    const auto client = fast_client();
    SourceChain chain(sources_of(make_binance_source({binance.url(), client}),
                                 make_kraken_source({kraken.url(), client}),
                                 make_yahoo_source({yahoo.url(), client})),
                      {});

    auto result = chain.fetch(request_for_bars("AAPL", bars, Timeframe("1d")));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->source, "yahoo");
    EXPECT_EQ(result->result.bars.size(), bars.size());
    EXPECT_THAT(outcomes(result->steps),
                ElementsAre(Pair("binance", Outcome::Skipped), Pair("kraken", Outcome::Skipped),
                            Pair("yahoo", Outcome::Served)));
    EXPECT_THAT(result->steps[0].reason, HasSubstr("does not serve AAPL 1d"));
    EXPECT_TRUE(binance.requests().empty());
    EXPECT_TRUE(kraken.requests().empty());
}

TEST(SourceChain, SymbolUnknownToBinanceComesFromKraken) {
    const BarSeries bars = synthetic_ohlcv(30, 8);
    FakeServer binance(
        [](const SeenRequest&) { return json(std::string(kBinanceInvalidSymbol), 400); });
    FakeServer kraken([&](const SeenRequest& seen) { return ohlc_page(bars, seen); });
    const auto client = fast_client();
    SourceChain chain(sources_of(make_binance_source({binance.url(), client}),
                                 make_kraken_source({kraken.url(), client})),
                      {});

    auto result = chain.fetch(request_for_bars("FOO/USDT", bars));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->source, "kraken");
    expect_same_bars(result->result.bars, bars);
    EXPECT_THAT(outcomes(result->steps),
                ElementsAre(Pair("binance", Outcome::Failed), Pair("kraken", Outcome::Served)));
    EXPECT_THAT(result->steps[0].reason, HasSubstr("Invalid symbol."));
    EXPECT_EQ(binance.requests().size(), 1U);
}

TEST(SourceChain, EmptyAnswerMovesOnToTheNextSource) {
    const BarSeries bars = synthetic_ohlcv(30, 9);
    FakeServer binance([](const SeenRequest&) { return json("[]"); });
    FakeServer kraken([&](const SeenRequest& seen) { return ohlc_page(bars, seen); });
    const auto client = fast_client();
    SourceChain chain(sources_of(make_binance_source({binance.url(), client}),
                                 make_kraken_source({kraken.url(), client})),
                      {});

    auto result = chain.fetch(request_for_bars("BTC/USDT", bars));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->source, "kraken");
    EXPECT_THAT(outcomes(result->steps),
                ElementsAre(Pair("binance", Outcome::Empty), Pair("kraken", Outcome::Served)));
    EXPECT_THAT(result->steps[0].reason, HasSubstr(format_iso(bars.view().time(0))));
}

// Binance sending `bad` (a broken copy of `bars`) and Kraken the good ones.
void expect_invalid_then_kraken(const BarSeries& bars, const BarSeries& bad,
                                std::string_view issue) {
    FakeServer binance([&](const SeenRequest& seen) { return klines_page(bad, seen); });
    FakeServer kraken([&](const SeenRequest& seen) { return ohlc_page(bars, seen); });
    const auto client = fast_client();
    SourceChain chain(sources_of(make_binance_source({binance.url(), client}),
                                 make_kraken_source({kraken.url(), client})),
                      {});
    auto result = chain.fetch(request_for_bars("BTC/USDT", bars));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->source, "kraken");
    expect_same_bars(result->result.bars, bars);
    EXPECT_THAT(outcomes(result->steps),
                ElementsAre(Pair("binance", Outcome::Invalid), Pair("kraken", Outcome::Served)));
    EXPECT_THAT(result->steps[0].reason,
                AllOf(HasSubstr(fmt::format("1 of {} bars fail validation", bars.size())),
                      HasSubstr(issue), HasSubstr(format_iso(bars.view().time(7)))));
}

BarSeries with_bar(const BarSeries& bars, std::size_t i, Bar replacement) {
    BarSeries out;
    for (std::size_t k = 0; k < bars.size(); ++k) {
        out.push_back(k == i ? replacement : bars.bar(k));
    }
    return out;
}

TEST(SourceChain, HighBelowLowIsInvalidAndTheNextSourceServes) {
    const BarSeries bars = synthetic_ohlcv(24, 10);
    Bar broken = bars.bar(7);
    std::swap(broken.high, broken.low);
    expect_invalid_then_kraken(bars, with_bar(bars, 7, broken), "ohlc_inconsistent");
}

TEST(SourceChain, NegativePriceIsInvalidAndTheNextSourceServes) {
    const BarSeries bars = synthetic_ohlcv(24, 11);
    Bar broken = bars.bar(7);
    broken.low = -broken.low;
    expect_invalid_then_kraken(bars, with_bar(bars, 7, broken), "non_positive_price");
}

// A chain of yahoo, binance and kraken, each answering with its handler.
struct ThreeServers {
    FakeServer yahoo;
    FakeServer binance;
    FakeServer kraken;
    std::shared_ptr<HttpClient> client = fast_client();

    SourceChain chain(ChainOptions options = {}) const {
        return SourceChain(sources_of(make_yahoo_source({yahoo.url(), client}),
                                      make_binance_source({binance.url(), client}),
                                      make_kraken_source({kraken.url(), client})),
                           options);
    }
};

const FetchRequest kFooRequest{"FOO/USDT", Timeframe("1h"), Timestamp("2024-01-01"),
                               Timestamp("2024-01-02"), Timestamp("2024-02-01")};

TEST(SourceChain, EverySourceNotKnowingTheSymbolIsNotFound) {
    ThreeServers servers{
        FakeServer([](const SeenRequest&) { return json(std::string(kYahooNotFound), 404); }),
        FakeServer(
            [](const SeenRequest&) { return json(std::string(kBinanceInvalidSymbol), 400); }),
        FakeServer([](const SeenRequest&) { return json(std::string(kKrakenUnknownPair)); })};
    auto result = servers.chain().fetch(kFooRequest);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::NotFound);
    EXPECT_THAT(result.error().message,
                AllOf(HasSubstr("no source could serve FOO/USDT"), HasSubstr("yahoo: failed"),
                      HasSubstr("No data found"), HasSubstr("binance: failed"),
                      HasSubstr("Invalid symbol."), HasSubstr("kraken: failed"),
                      HasSubstr("Unknown asset pair"), Not(HasSubstr("cache"))));
}

TEST(SourceChain, SkippedAndNotFoundIsNotFound) {
    ThreeServers servers{
        FakeServer([](const SeenRequest&) { return json(std::string(kYahooNotFound), 404); }),
        FakeServer([](const SeenRequest&) { return server_error(); }),
        FakeServer([](const SeenRequest&) { return server_error(); })};
    auto result = servers.chain().fetch(
        FetchRequest{"NOPE", Timeframe("1d"), kFooRequest.start, kFooRequest.end, kFooRequest.now});
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::NotFound);
    EXPECT_THAT(result.error().message,
                AllOf(HasSubstr("yahoo: failed"), HasSubstr("binance: skipped"),
                      HasSubstr("kraken: skipped")));
}

TEST(SourceChain, AnOutageAmongTheFailuresIsUnavailable) {
    ThreeServers servers{
        FakeServer([](const SeenRequest&) { return json(std::string(kYahooNotFound), 404); }),
        FakeServer([](const SeenRequest&) { return server_error(); }),
        FakeServer([](const SeenRequest&) { return json(std::string(kKrakenUnknownPair)); })};
    auto result = servers.chain().fetch(kFooRequest);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::Unavailable);
    EXPECT_THAT(result.error().message,
                AllOf(HasSubstr("yahoo: failed"), HasSubstr("binance: failed"),
                      HasSubstr("HTTP 500"), HasSubstr("kraken: failed")));
}

// No bars in the range from anyone (a weekend, a range before listing): nothing is down.
TEST(SourceChain, OnlyEmptyAnswersAreNotFound) {
    ThreeServers servers{
        FakeServer([](const SeenRequest&) { return chart(BarSeries{}); }),
        FakeServer([](const SeenRequest&) { return json("[]"); }),
        FakeServer([](const SeenRequest& seen) { return ohlc_page(BarSeries{}, seen); })};
    auto result = servers.chain().fetch(kFooRequest);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::NotFound);
    EXPECT_THAT(
        result.error().message,
        AllOf(HasSubstr("yahoo: empty"), HasSubstr("binance: empty"), HasSubstr("kraken: empty")));
}

TEST(SourceChain, UpToDateRequestAsksNobody) {
    auto source = std::make_unique<ScriptedSource>(
        "binance", true, [](const FetchRequest&) -> Result<FetchResult> { return FetchResult{}; });
    ScriptedSource& scripted = *source;
    SourceChain chain(sources_of(std::move(source)), {});
    const Timestamp t("2024-01-01");
    auto result = chain.fetch(FetchRequest{"BTC/USDT", Timeframe("1h"), t, t, t});
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->source, "binance");
    EXPECT_TRUE(result->result.bars.empty());
    EXPECT_THAT(outcomes(result->steps), ElementsAre(Pair("binance", Outcome::Served)));
    EXPECT_EQ(result->steps[0].reason, "up to date");
    EXPECT_EQ(scripted.calls.load(), 0);
}

// --- the cache -------------------------------------------------------------------------------

std::int64_t wall_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class ChainCache : public ::testing::Test {
protected:
    cache::CacheConfig config() {
        cache::CacheConfig c;
        c.memory_bytes = std::size_t{16} << 20;
        c.file_dir = dir_.path() / "cache";
        c.clock = [this] {
            return clock_ns_.load();
        };
        return c;
    }

    // A chain of one Binance source at the fake server, answering from `bars_` until failing_.
    SourceChain binance_chain(ChainOptions options) {
        options.cache = &cache_;
        return SourceChain(sources_of(make_binance_source({server_.url(), client_})), options);
    }

    TempDir dir_{"tradpal_chain_cache"};
    std::atomic<std::int64_t> clock_ns_{wall_now_ns()};
    cache::Cache cache_{config()};
    const BarSeries bars_ = synthetic_ohlcv(72, 12);
    const FetchRequest request_ = request_for_bars("BTC/USDT", bars_);
    std::atomic<bool> failing_{false};
    FakeServer server_{[this](const SeenRequest& seen) {
        return failing_ ? server_error() : klines_page(bars_, seen);
    }};
    std::shared_ptr<HttpClient> client_ = fast_client();
};

TEST_F(ChainCache, SecondFetchWithinTtlSendsNoRequest) {
    SourceChain chain = binance_chain({.ttl_api_seconds = 1800});
    auto first = chain.fetch(request_);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_FALSE(first->from_cache);
    const std::size_t sent = server_.requests().size();
    EXPECT_EQ(sent, 1U);

    auto second = chain.fetch(request_);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_TRUE(second->from_cache);
    EXPECT_FALSE(second->stale);
    EXPECT_EQ(second->source, "binance");
    expect_same_bars(second->result.bars, bars_);
    EXPECT_THAT(outcomes(second->steps), ElementsAre(Pair("binance", Outcome::Served)));
    EXPECT_THAT(second->steps[0].reason, HasSubstr("72 bars from the cache"));
    EXPECT_EQ(server_.requests().size(), sent);

    // Another range is another answer.
    FetchRequest shorter = request_;
    shorter.end = bars_.view().time(10);
    auto third = chain.fetch(shorter);
    ASSERT_TRUE(third) << third.error().message;
    EXPECT_FALSE(third->from_cache);
    EXPECT_EQ(third->result.bars.size(), 10U);
    EXPECT_EQ(server_.requests().size(), sent + 1);
}

TEST_F(ChainCache, WithoutTtlEveryFetchAsksTheServer) {
    SourceChain chain = binance_chain({.ttl_api_seconds = 0});
    ASSERT_TRUE(chain.fetch(request_));
    auto again = chain.fetch(request_);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_FALSE(again->from_cache);
    EXPECT_EQ(server_.requests().size(), 2U);
}

TEST_F(ChainCache, StaleAnswerIsTheLastResortWhenEverySourceFails) {
    ASSERT_TRUE(binance_chain({.ttl_api_seconds = 1800}).fetch(request_));
    failing_ = true;

    SourceChain stale_chain = binance_chain({.ttl_api_seconds = 0});
    auto result = stale_chain.fetch(request_);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(result->from_cache);
    EXPECT_TRUE(result->stale);
    EXPECT_EQ(result->source, "binance");
    expect_same_bars(result->result.bars, bars_);
    EXPECT_THAT(outcomes(result->steps),
                ElementsAre(Pair("binance", Outcome::Failed), Pair("cache", Outcome::Served)));
    EXPECT_THAT(result->steps[1].reason, AllOf(HasSubstr("binance's answer"), HasSubstr("stale")));
    EXPECT_EQ(server_.requests().size(), 1U + 3U);  // the first fetch, then three tries

    // Not without the last resort, and not once the copy is older than keep_stale.
    auto off = binance_chain({.ttl_api_seconds = 0, .stale_fallback = false}).fetch(request_);
    ASSERT_FALSE(off);
    EXPECT_EQ(off.error().code, ErrorCode::Unavailable);
    clock_ns_ += (ChainOptions{}.keep_stale_seconds + 60) * kNanosPerSecond;
    auto expired = stale_chain.fetch(request_);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().code, ErrorCode::Unavailable);
    EXPECT_THAT(expired.error().message, HasSubstr("cache: empty (no cached answer)"));
}

TEST_F(ChainCache, AnswersOfLocalSourcesAreNotCached) {
    const BarSeries bars = synthetic_ohlcv(5, 2);
    auto source = std::make_unique<ScriptedSource>("store", false,
                                                   [&](const FetchRequest&) -> Result<FetchResult> {
                                                       FetchResult out;
                                                       out.bars.append(bars.view());
                                                       return out;
                                                   });
    ScriptedSource& scripted = *source;
    SourceChain chain(sources_of(std::move(source)), {.cache = &cache_});
    const FetchRequest request = request_for_bars("BTC/USDT", bars);
    for (int i = 0; i < 2; ++i) {
        auto result = chain.fetch(request);
        ASSERT_TRUE(result) << result.error().message;
        EXPECT_FALSE(result->from_cache);
    }
    EXPECT_EQ(scripted.calls.load(), 2);
}

// --- update_series ---------------------------------------------------------------------------

// A Binance market whose first `visible` bars exist (the last may still be forming); after
// fail_after(n, reply) it answers n more requests, then every one with `reply`.
class Market {
public:
    explicit Market(std::size_t bars, std::size_t visible)
        : bars_(synthetic_ohlcv(bars, 21)), visible_(visible) {}

    void show(std::size_t visible) { visible_ = visible; }
    void fail_after(int requests, FakeReply reply) {
        when_spent_ = std::move(reply);
        budget_ = requests;
    }
    BarSeriesView bars(std::size_t count) const { return bars_.view().slice(0, count); }
    Timestamp time(std::size_t i) const { return bars_.view().time(i); }
    FakeServer::Handler handler() {
        return [this](const SeenRequest& seen) {
            if (budget_.fetch_sub(1) <= 0) {
                return when_spent_;
            }
            return klines_page(bars(visible_.load()), seen);
        };
    }

private:
    BarSeries bars_;
    std::atomic<std::size_t> visible_;
    std::atomic<int> budget_{1'000'000};
    FakeReply when_spent_;
};

class UpdateSeries : public ::testing::Test {
protected:
    Result<UpdateReport> update(Timestamp start, Timestamp now) {
        return update_series(store_, chain_, "BTC/USDT", Timeframe("1h"), start, now, now);
    }
    void expect_stored(const BarSeriesView& want) {
        auto stored = store_.open(key_);
        ASSERT_TRUE(stored) << stored.error().message;
        expect_same_bars(stored->view(), want);
    }

    TempDir dir_{"tradpal_update"};
    Store store_{dir_.path() / "store"};
    const SeriesKey key_{"binance", "BTC/USDT", Timeframe("1h")};
    Market market_{3700, 3501};
    FakeServer server_{market_.handler()};
    SourceChain chain_{sources_of(make_binance_source({server_.url(), fast_client()})), {}};
};

TEST_F(UpdateSeries, FetchesOnlyWhatIsNewAndCompleteEachTime) {
    // Bar 3500 is forming 20 minutes in.
    const Timestamp start = market_.time(0);
    const Timestamp now1(market_.time(3500).ns() + 20 * kMinuteNs);
    auto first = update(start, now1);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->key, key_);
    EXPECT_EQ(first->bars_added, 3500U);
    EXPECT_EQ(first->already_stored, 0U);
    EXPECT_FALSE(first->up_to_date);
    EXPECT_EQ(first->meta.rows, 3500U);
    EXPECT_EQ(first->meta.last, market_.time(3499));
    expect_stored(market_.bars(3500));
    auto seen = server_.requests();
    ASSERT_EQ(seen.size(), 4U);  // pages of 1000
    EXPECT_EQ(query_int(seen[0], "startTime"), start.ns() / kNanosPerMilli);
    EXPECT_EQ(query_int(seen[3], "startTime"), market_.time(2999).ns() / kNanosPerMilli + 1);

    // 100 more complete bars, and bar 3600 forming.
    market_.show(3601);
    const Timestamp now2(market_.time(3600).ns() + 20 * kMinuteNs);
    auto second = update(start, now2);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->bars_added, 100U);
    EXPECT_EQ(second->already_stored, 0U);
    EXPECT_EQ(second->validation.count(Issue::Gap), 0U);
    EXPECT_EQ(second->meta.rows, 3600U);
    EXPECT_EQ(second->meta.version, first->meta.version + 1);
    expect_stored(market_.bars(3600));
    seen = server_.requests();
    ASSERT_EQ(seen.size(), 5U);
    EXPECT_EQ(query_int(seen[4], "startTime"), market_.time(3500).ns() / kNanosPerMilli);

    // Ten minutes later only the forming bar is newer: nothing to ask for.
    auto third = update(start, Timestamp(now2.ns() + 10 * kMinuteNs));
    ASSERT_TRUE(third) << third.error().message;
    EXPECT_TRUE(third->up_to_date);
    EXPECT_EQ(third->bars_added, 0U);
    EXPECT_EQ(third->meta.rows, 3600U);
    EXPECT_EQ(third->meta.version, second->meta.version);
    EXPECT_THAT(outcomes(third->chain.steps), ElementsAre(Pair("binance", Outcome::Served)));
    EXPECT_EQ(server_.requests().size(), 5U);
    expect_stored(market_.bars(3600));
}

TEST_F(UpdateSeries, TheFormingBarIsStoredOnceComplete) {
    market_.show(50);
    const Timestamp forming = market_.time(49);
    auto first = update(market_.time(0), Timestamp(forming.ns() + 59 * kMinuteNs));
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->bars_added, 49U);
    EXPECT_EQ(first->meta.last, market_.time(48));

    auto second = update(market_.time(0), Timestamp(forming.ns() + kHourNs));
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->bars_added, 1U);
    EXPECT_EQ(query_int(server_.requests().back(), "startTime"), forming.ns() / kNanosPerMilli);
    expect_stored(market_.bars(50));
}

TEST_F(UpdateSeries, FailureAfterTwoPagesCreatesNothing) {
    market_.fail_after(2, server_error());
    auto result = update(market_.time(0), Timestamp(market_.time(3500).ns() + 20 * kMinuteNs));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::Unavailable);
    EXPECT_THAT(result.error().message, HasSubstr("HTTP 500"));
    EXPECT_EQ(server_.requests().size(), 2U + 3U);
    auto meta = store_.read_meta(key_);
    ASSERT_FALSE(meta);
    EXPECT_EQ(meta.error().code, ErrorCode::NotFound);
    EXPECT_TRUE(store_.list().empty());
}

TEST_F(UpdateSeries, CutConnectionsAfterTwoPagesLeaveTheSeriesAsItWas) {
    market_.show(1001);
    const Timestamp now1(market_.time(1000).ns() + 20 * kMinuteNs);
    ASSERT_TRUE(update(market_.time(0), now1));
    const SeriesMeta before = store_.read_meta(key_).value();
    ASSERT_EQ(before.rows, 1000U);

    market_.show(3501);
    FakeReply cut = json(std::string(50'000, ' '));  // about a page, half of it sent
    cut.cut = true;
    market_.fail_after(2, cut);
    auto result = update(market_.time(0), Timestamp(market_.time(3500).ns() + 20 * kMinuteNs));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::Unavailable);

    const SeriesMeta after = store_.read_meta(key_).value();
    EXPECT_EQ(after.rows, before.rows);
    EXPECT_EQ(after.last, before.last);
    EXPECT_EQ(after.version, before.version);
    EXPECT_EQ(after.generation, before.generation);
    expect_stored(market_.bars(1000));
}

TEST_F(UpdateSeries, AnotherWriterMeansLockedAndNothingWritten) {
    market_.show(11);
    auto writer = SeriesWriter::open(store_, key_, SeriesWriter::Mode::Append);
    ASSERT_TRUE(writer) << writer.error().message;
    auto result = update(market_.time(0), market_.time(10));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::Locked);
    EXPECT_FALSE(store_.read_meta(key_));
}

TEST_F(UpdateSeries, TheStoreCannotBeItsOwnSource) {
    SourceChain with_store(sources_of(make_store_source(store_)), {});
    auto result = update_series(store_, with_store, "BTC/USDT", Timeframe("1h"), market_.time(0),
                                market_.time(10), market_.time(10));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
}

TEST(UpdateSeriesRateLimit, ThreadsShareTheHostRateLimit) {
    constexpr std::size_t kSymbols = 8;
    constexpr std::size_t kBars = 18'500;  // 19 pages each
    constexpr double kRate = 50;
    constexpr double kBurst = 5;
    const BarSeries bars = synthetic_ohlcv(kBars, 4);
    const Timestamp now = Timeframe("1h").next_bucket(bars.view().time(kBars - 1));
    FakeServer server([&](const SeenRequest& seen) { return klines_page(bars, seen); });
    TempDir dir("tradpal_update_rate");
    const Store store(dir.path() / "store");

    const auto began = std::chrono::steady_clock::now();
    auto client = std::make_shared<HttpClient>();
    HostPolicy policy = fast_policy();
    policy.rate = kRate;
    policy.burst = kBurst;
    client->set_policy(url_origin(server.url()), policy);
    SourceChain chain(sources_of(make_binance_source({server.url(), client})), {});

    std::vector<std::string> symbols;
    for (std::size_t i = 0; i < kSymbols; ++i) {
        symbols.push_back(fmt::format("{0}{0}{0}/USDT", static_cast<char>('A' + i)));
    }
    std::vector<std::optional<Result<UpdateReport>>> reports(kSymbols);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < kSymbols; ++i) {
        threads.emplace_back([&, i] {
            reports[i] = update_series(store, chain, symbols[i], Timeframe("1h"),
                                       bars.view().time(0), now, now);
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

    for (std::size_t i = 0; i < kSymbols; ++i) {
        ASSERT_TRUE(*reports[i]) << symbols[i] << ": " << (*reports[i]).error().message;
        EXPECT_EQ((*reports[i])->bars_added, kBars) << symbols[i];
        EXPECT_EQ(store.read_meta({"binance", symbols[i], Timeframe("1h")}).value().rows, kBars);
    }
    const std::size_t requests = server.requests().size();
    EXPECT_EQ(requests, kSymbols * 19);
    EXPECT_LE(server.max_in_window(1000ms), static_cast<std::size_t>(kRate + kBurst));
    EXPECT_GE(elapsed, (static_cast<double>(requests) - kBurst) / kRate);
}

// --- make_sources ----------------------------------------------------------------------------

std::vector<std::string> names(const std::vector<std::unique_ptr<Source>>& sources) {
    std::vector<std::string> out;
    for (const auto& source : sources) {
        out.emplace_back(source->name());
    }
    return out;
}

TEST(MakeSources, FollowsTheOrderAndLeavesOutKaggleWithoutAFile) {
    TempDir dir("tradpal_make_sources");
    const Store store(dir.path() / "store");
    DataSettings settings;
    auto without = make_sources("store,kaggle,yahoo,binance,kraken,cache", settings, store,
                                std::make_shared<HttpClient>());
    ASSERT_TRUE(without) << without.error().message;
    EXPECT_THAT(names(*without), ElementsAre("store", "yahoo", "binance", "kraken"));

    settings.kaggle_path = (dir.path() / "btc.csv").string();
    auto with = make_sources("store,kaggle,yahoo,binance,kraken,cache", settings, store,
                             std::make_shared<HttpClient>());
    ASSERT_TRUE(with) << with.error().message;
    EXPECT_THAT(names(*with), ElementsAre("store", "kaggle", "yahoo", "binance", "kraken"));

    auto reordered =
        make_sources("kraken,binance", settings, store, std::make_shared<HttpClient>());
    ASSERT_TRUE(reordered) << reordered.error().message;
    EXPECT_THAT(names(*reordered), ElementsAre("kraken", "binance"));
}

TEST(MakeSources, UnknownNameListsTheKnownOnes) {
    TempDir dir("tradpal_make_sources");
    const Store store(dir.path() / "store");
    auto result = make_sources("store,bloomberg,yahoo", DataSettings{}, store,
                               std::make_shared<HttpClient>());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
    EXPECT_THAT(
        result.error().message,
        AllOf(HasSubstr("'bloomberg'"), HasSubstr("store, kaggle, yahoo, binance, kraken, cache")));
}

TEST(MakeSources, AppliesUrlsAttemptsAndRatesFromTheSettings) {
    std::atomic<bool> failing{true};
    const BarSeries bars = synthetic_ohlcv(3, 6);
    FakeServer server([&](const SeenRequest& seen) {
        return failing ? server_error() : klines_page(bars, seen);
    });
    TempDir dir("tradpal_make_sources");
    const Store store(dir.path() / "store");
    DataSettings settings;
    settings.binance_url = server.url();
    settings.binance_rate = 20;
    settings.binance_burst = 1;
    settings.http_attempts = 1;
    settings.http_timeout_ms = 500;
    auto sources = make_sources("binance", settings, store, std::make_shared<HttpClient>());
    ASSERT_TRUE(sources) << sources.error().message;
    Source& binance = *sources->front();
    const FetchRequest request = request_for_bars("BTC/USDT", bars);

    auto failed = binance.fetch(request);
    ASSERT_FALSE(failed);
    EXPECT_EQ(server.requests().size(), 1U);  // no retries with http_attempts = 1

    failing = false;
    const auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(binance.fetch(request));
    }
    // One token saved up at most, then 20/s.
    EXPECT_GE(std::chrono::steady_clock::now() - began, 150ms);
}

// --- the Kaggle source -----------------------------------------------------------------------

const Timestamp kKaggleStart("2024-01-01");

// Row i of the synthetic Kaggle file: minute i after kKaggleStart.
Bar kaggle_row(std::size_t i) {
    const double open = 100.0 + static_cast<double>(i);
    return {Timestamp(kKaggleStart.ns() + static_cast<std::int64_t>(i) * kMinuteNs),
            open,
            open + 2,
            open - 1,
            open + 0.5,
            1.0 + 0.5 * static_cast<double>(i)};
}

// A Kaggle Bitstamp file of `rows` minutes, minute 7 without trades (NaN, as in the real file);
// `first_close` replaces row 0's close.
std::string kaggle_csv(std::size_t rows, double first_close = kaggle_row(0).close) {
    std::string text =
        "Timestamp,Open,High,Low,Close,Volume_(BTC),Volume_(Currency),Weighted_Price\n";
    for (std::size_t i = 0; i < rows; ++i) {
        const Bar b = kaggle_row(i);
        if (i == 7) {
            text += fmt::format("{},NaN,NaN,NaN,NaN,NaN,NaN,NaN\n", b.ts.seconds());
            continue;
        }
        text += fmt::format("{},{},{},{},{},{},{},{}\n", b.ts.seconds(), b.open, b.high, b.low,
                            i == 0 ? first_close : b.close, b.volume, b.volume * b.close, b.close);
    }
    return text;
}

class KaggleSource : public ::testing::Test {
protected:
    Result<FetchResult> fetch(std::string_view timeframe, std::int64_t from_minute,
                              std::int64_t to_minute) {
        return source_->fetch(FetchRequest{"BTC/USD", Timeframe(timeframe), minute(from_minute),
                                           minute(to_minute), Timestamp("2024-02-01")});
    }
    static Timestamp minute(std::int64_t i) { return Timestamp(kKaggleStart.ns() + i * kMinuteNs); }
    SeriesMeta stored() const { return store_.read_meta(key_).value(); }

    TempDir dir_{"tradpal_kaggle"};
    Store store_{dir_.path() / "store"};
    const SeriesKey key_{"kaggle", "BTC/USD", Timeframe("1m")};
    std::filesystem::path csv_ = dir_.write("bitstamp.csv", kaggle_csv(120));
    std::unique_ptr<Source> source_ = make_kaggle_source(store_, csv_);
};

TEST_F(KaggleSource, ServesMinuteRowsInTheRange) {
    EXPECT_EQ(source_->name(), "kaggle");
    EXPECT_FALSE(source_->is_remote());
    auto result = fetch("1m", 10, 40);
    ASSERT_TRUE(result) << result.error().message;
    BarSeries want;
    for (std::size_t i = 10; i < 40; ++i) {
        want.push_back(kaggle_row(i));
    }
    expect_same_bars(result->bars, want);
    EXPECT_EQ(stored().rows, 119U);  // imported whole, less the NaN minute
}

TEST_F(KaggleSource, AggregatesFiveMinuteBars) {
    auto result = fetch("5m", 0, 60);
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_EQ(result->bars.size(), 12U);
    // Minutes 5..9 without 7: open of 5, close of 9, extremes and volume over four rows.
    const Bar bar = result->bars.bar(1);
    EXPECT_EQ(bar.ts, minute(5));
    EXPECT_DOUBLE_EQ(bar.open, 105.0);
    EXPECT_DOUBLE_EQ(bar.high, 111.0);
    EXPECT_DOUBLE_EQ(bar.low, 104.0);
    EXPECT_DOUBLE_EQ(bar.close, 109.5);
    EXPECT_DOUBLE_EQ(bar.volume, 3.5 + 4.0 + 5.0 + 5.5);
    EXPECT_EQ(result->bars.bar(11).ts, minute(55));

    // A bucket cut by the end is left out.
    auto cut = fetch("5m", 0, 62);
    ASSERT_TRUE(cut) << cut.error().message;
    EXPECT_EQ(cut->bars.size(), 12U);
    EXPECT_EQ(cut->partial, 1U);
}

TEST_F(KaggleSource, AggregatedBarsStartInsideTheRange) {
    // 00:02 is inside the 00:00 bucket, which would hold only three of its five minutes.
    auto result = fetch("5m", 2, 30);
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_EQ(result->bars.size(), 5U);
    EXPECT_EQ(result->bars.bar(0).ts, minute(5));
    EXPECT_DOUBLE_EQ(result->bars.bar(0).open, 105.0);
}

TEST_F(KaggleSource, ImportsOnlyRowsAddedToTheFile) {
    ASSERT_TRUE(fetch("1m", 0, 10));
    const SeriesMeta first = stored();
    ASSERT_TRUE(fetch("1m", 0, 10));
    EXPECT_EQ(stored().version, first.version);  // an unchanged file is not read again

    // Sixty more minutes; an edited first row shows that old rows are not imported again.
    dir_.write("bitstamp.csv", kaggle_csv(180, 999.0));
    auto result = fetch("1m", 110, 180);
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_EQ(result->bars.size(), 70U);
    EXPECT_EQ(result->bars.bar(69).ts, minute(179));
    const SeriesMeta grown = stored();
    EXPECT_EQ(grown.rows, 179U);
    EXPECT_GT(grown.version, first.version);
    auto old = fetch("1m", 0, 1);
    ASSERT_TRUE(old) << old.error().message;
    ASSERT_EQ(old->bars.size(), 1U);
    EXPECT_DOUBLE_EQ(old->bars.bar(0).close, kaggle_row(0).close);
}

TEST_F(KaggleSource, ServesOnlyBitcoinInDollarsAtWholeMinutes) {
    EXPECT_TRUE(source_->supports("BTC/USD", Timeframe("1m")));
    EXPECT_TRUE(source_->supports("BTC/USD", Timeframe("5m")));
    EXPECT_TRUE(source_->supports("BTC/USD", Timeframe("1d")));
    EXPECT_FALSE(source_->supports("ETH/USD", Timeframe("1m")));
    EXPECT_FALSE(source_->supports("BTC/USDT", Timeframe("1h")));
    EXPECT_FALSE(source_->supports("BTC/USD", Timeframe("30s")));
}

TEST_F(KaggleSource, MissingFileIsNotFound) {
    auto source = make_kaggle_source(store_, dir_.path() / "absent.csv");
    auto result = source->fetch(
        FetchRequest{"BTC/USD", Timeframe("1m"), minute(0), minute(10), Timestamp("2024-02-01")});
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::NotFound);
    EXPECT_THAT(result.error().message, HasSubstr("absent.csv"));
}

// --- the store source ------------------------------------------------------------------------

class StoreSource : public ::testing::Test {
protected:
    void put(const SeriesKey& key, const BarSeriesView& bars) {
        SeriesWriter writer = SeriesWriter::open(store_, key, SeriesWriter::Mode::Append).value();
        writer.stage(bars);
        writer.commit();
    }

    TempDir dir_{"tradpal_store_source"};
    Store store_{dir_.path() / "store"};
    std::unique_ptr<Source> source_ = make_store_source(store_);
    const BarSeries bars_ = synthetic_ohlcv(200, 13);
};

TEST_F(StoreSource, ServesTheStoredSeriesReachingFurthest) {
    put({"csv", "BTC/USD", Timeframe("1h")}, bars_.view().slice(0, 100));
    put({"binance", "BTC/USD", Timeframe("1h")}, bars_.view().slice(50, 150));
    put({"yahoo", "BTC/USD", Timeframe("1d")}, synthetic_ohlcv(30, 1, Timeframe("1d")));
    EXPECT_EQ(source_->name(), "store");
    EXPECT_FALSE(source_->is_remote());
    EXPECT_TRUE(source_->supports("ANYTHING", Timeframe("7m")));

    const auto ts = bars_.view().ts();
    auto result = source_->fetch(FetchRequest{"BTC/USD", Timeframe("1h"), Timestamp(ts[40]),
                                              Timestamp(ts[180]), Timestamp(ts[199])});
    ASSERT_TRUE(result) << result.error().message;
    expect_same_bars(result->bars, bars_.view().slice(50, 130));
    EXPECT_THAT(result->note, HasSubstr("(binance)"));

    // Bars still forming at `now` are left out.
    auto early = source_->fetch(FetchRequest{"BTC/USD", Timeframe("1h"), Timestamp(ts[60]),
                                             Timestamp(ts[180]), Timestamp(ts[70])});
    ASSERT_TRUE(early) << early.error().message;
    expect_same_bars(early->bars, bars_.view().slice(60, 10));
}

TEST_F(StoreSource, NothingStoredIsNotFound) {
    put({"csv", "BTC/USD", Timeframe("1h")}, bars_);
    for (const auto& [symbol, timeframe] :
         {std::pair{"ETH/USD", "1h"}, std::pair{"BTC/USD", "4h"}}) {
        auto result =
            source_->fetch(FetchRequest{symbol, Timeframe(timeframe), bars_.view().time(0),
                                        Timestamp("2030-01-01"), Timestamp("2030-01-01")});
        ASSERT_FALSE(result) << symbol << " " << timeframe;
        EXPECT_EQ(result.error().code, ErrorCode::NotFound);
        EXPECT_THAT(result.error().message, HasSubstr(symbol));
    }
}

TEST_F(StoreSource, ServesAChainAheadOfTheWeb) {
    put({"binance", "BTC/USDT", Timeframe("1h")}, bars_);
    FakeServer server([](const SeenRequest&) { return server_error(); });
    SourceChain chain(
        sources_of(make_store_source(store_), make_binance_source({server.url(), fast_client()})),
        {});
    auto result = chain.fetch(request_for_bars("BTC/USDT", bars_));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->source, "store");
    expect_same_bars(result->result.bars, bars_);
    EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tradpal/core/error.hpp>
#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/research/multi.hpp>

namespace tradpal::research {
namespace {

namespace bt = tradpal::backtest;

struct Symbols {
    std::vector<BarSeries> bars;
    std::vector<bt::SymbolSeries> series;

    // Series of different lengths, so that dynamic scheduling hands them out unevenly.
    explicit Symbols(std::size_t count) {
        for (std::size_t k = 0; k < count; ++k) {
            bars.push_back(data_testing::synthetic_ohlcv(2'000 + 1'500 * k, 11 + k));
        }
        for (std::size_t k = 0; k < count; ++k) {
            series.push_back({fmt::format("S{}", k), bars[k].view()});
        }
    }
};

bt::StrategySpec spec_of(std::vector<std::string> params) {
    return bt::StrategySpec::make("sma_cross", params).value();
}

TEST(RunEach, SameResultsInTheSameOrderWhateverTheThreads) {
    const Symbols symbols(5);
    const bt::StrategySpec spec = spec_of({"fast=5", "slow=20", "allow_short=true"});
    std::vector<bt::BacktestResult> one_by_one;
    for (const bt::SymbolSeries& s : symbols.series) {
        one_by_one.push_back(run_one(s, spec, bt::Config{}, Engine::Event));
    }
    for (const Engine engine : {Engine::Event, Engine::Vectorized}) {
        for (const int threads : {1, 2, 4}) {
            std::size_t calls = 0;
            const auto runs = run_each(symbols.series, spec, bt::Config{}, engine, threads,
                                       [&](std::size_t done, std::size_t total) {
                                           ++calls;
                                           EXPECT_LE(done, total);
                                       });
            ASSERT_EQ(runs.size(), one_by_one.size());
            EXPECT_EQ(calls, runs.size());
            for (std::size_t k = 0; k < runs.size(); ++k) {
                EXPECT_EQ(runs[k].symbols, one_by_one[k].symbols);
                EXPECT_EQ(runs[k].equity, one_by_one[k].equity) << k;
                EXPECT_EQ(runs[k].trades.size(), one_by_one[k].trades.size()) << k;
                EXPECT_EQ(runs[k].final_cash, one_by_one[k].final_cash) << k;
            }
        }
    }
}

TEST(RunEach, TheFirstFailingSymbolIsReportedAfterTheOthersRan) {
    Symbols symbols(4);
    symbols.bars[2].close()[100] = -1;
    symbols.bars[3].close()[50] = 0;
    try {
        run_each(symbols.series, spec_of({}), bt::Config{}, Engine::Event, 2);
        ADD_FAILURE() << "bad bars were backtested";
    } catch (const Exception& e) {
        EXPECT_NE(std::string(e.what()).find("S2: bar 100"), std::string::npos) << e.what();
    }
}

TEST(Aggregate, SumsTheAccountsAndKeepsTheWorstDrawdown) {
    const Symbols symbols(3);
    const auto runs = run_each(symbols.series, spec_of({}), bt::Config{}, Engine::Event, 2);
    const Aggregate a = aggregate(runs);
    EXPECT_EQ(a.accounts, 3U);
    EXPECT_EQ(a.start_value, 300'000.0);
    double final_value = 0;
    std::size_t trades = 0;
    double worst = 0;
    for (const bt::BacktestResult& r : runs) {
        final_value += r.metrics.final_value;
        trades += r.metrics.trades;
        worst = std::max(worst, r.metrics.max_drawdown_pct);
    }
    EXPECT_EQ(a.final_value, final_value);
    EXPECT_EQ(a.trades, trades);
    EXPECT_EQ(a.worst_max_drawdown_pct, worst);
    EXPECT_DOUBLE_EQ(a.total_return, final_value / 300'000.0 - 1);
    ASSERT_TRUE(a.win_rate.has_value());
    EXPECT_EQ(aggregate({}).accounts, 0U);
    EXPECT_FALSE(aggregate({}).win_rate.has_value());
}

TEST(Engines, NamesRoundTrip) {
    EXPECT_EQ(parse_engine("event").value(), Engine::Event);
    EXPECT_EQ(parse_engine(to_string(Engine::Vectorized)).value(), Engine::Vectorized);
    EXPECT_FALSE(parse_engine("gpu").has_value());
}

}  // namespace
}  // namespace tradpal::research

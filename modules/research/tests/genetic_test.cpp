// SPDX-License-Identifier: Apache-2.0
#include <set>

#include <gtest/gtest.h>

#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/research/genetic.hpp>

namespace tradpal::research {
namespace {

namespace bt = tradpal::backtest;

SweepRequest big_grid() {
    SweepRequest request;
    request.strategy = "sma_cross";
    request.grid = ParameterGrid::make({ParamAxis::parse("fast=2:40:1").value(),
                                        ParamAxis::parse("slow=10:200:5").value()})
                       .value();
    return request;
}

struct Search {
    SweepOutcome outcome;
    std::vector<SweepRow> rows;
};

Search search(std::span<const bt::SymbolSeries> series, std::uint64_t seed) {
    SweepOptions options;
    options.metric = parse_metric("sharpe").value();
    options.top = 5;
    options.threads = 2;
    GeneticOptions genetic;
    genetic.population = 16;
    genetic.generations = 6;
    genetic.seed = seed;
    Search run;
    run.outcome = run_genetic(series, big_grid(), options, genetic, [&](const SweepRow& row) {
                      run.rows.push_back(row);
                  }).value();
    return run;
}

TEST(Genetic, RunsPartOfTheGridOnceEachAndReportsItLikeASweep) {
    const BarSeries a = data_testing::synthetic_ohlcv(3'000, 31);
    const BarSeries b = data_testing::synthetic_ohlcv(2'000, 32);
    const std::vector<bt::SymbolSeries> series = {{"A", a.view()}, {"B", b.view()}};
    const Search run = search(series, 7);
    std::set<std::uint64_t> sets;
    for (const SweepRow& row : run.rows) {
        sets.insert(row.set);
    }
    EXPECT_GT(sets.size(), 16U);
    EXPECT_LE(sets.size(), 16U * 7);
    EXPECT_LT(sets.size(), big_grid().grid.size());
    // Each set once per symbol, in (symbol, set) order.
    EXPECT_EQ(run.rows.size(), 2 * sets.size());
    EXPECT_TRUE(std::is_sorted(run.rows.begin(), run.rows.end(), [](const auto& x, const auto& y) {
        return x.symbol != y.symbol ? x.symbol < y.symbol : x.set < y.set;
    }));
    // The same outcome as a sweep over exactly those sets.
    SweepRequest same = big_grid();
    same.sets.assign(sets.begin(), sets.end());
    SweepOptions options;
    options.metric = parse_metric("sharpe").value();
    options.top = 5;
    const SweepOutcome sweep = run_sweep(series, same, options);
    ASSERT_EQ(run.outcome.top.size(), sweep.top.size());
    for (std::size_t k = 0; k < sweep.top.size(); ++k) {
        EXPECT_EQ(run.outcome.top[k].set, sweep.top[k].set);
        EXPECT_EQ(run.outcome.top[k].symbol, sweep.top[k].symbol);
    }
    EXPECT_EQ(run.outcome.evaluated, sweep.evaluated);
    // Sets the strategy refused (fast >= slow) were tried too: counted once per symbol.
    EXPECT_EQ(run.outcome.skipped % 2, 0U);
    EXPECT_LE(sets.size() + run.outcome.skipped / 2, 16U * 7);
}

TEST(Genetic, TheSameSeedGivesTheSameSearch) {
    const BarSeries a = data_testing::synthetic_ohlcv(2'000, 33);
    const std::vector<bt::SymbolSeries> series = {{"A", a.view()}};
    const Search one = search(series, 3);
    const Search again = search(series, 3);
    ASSERT_EQ(one.rows.size(), again.rows.size());
    for (std::size_t k = 0; k < one.rows.size(); ++k) {
        EXPECT_EQ(one.rows[k].set, again.rows[k].set);
    }
    const Search other = search(series, 4);
    std::set<std::uint64_t> first;
    std::set<std::uint64_t> second;
    for (const SweepRow& row : one.rows) {
        first.insert(row.set);
    }
    for (const SweepRow& row : other.rows) {
        second.insert(row.set);
    }
    EXPECT_NE(first, second);
}

TEST(Genetic, BadSettingsAreRefused) {
    const BarSeries a = data_testing::synthetic_ohlcv(500, 34);
    const std::vector<bt::SymbolSeries> series = {{"A", a.view()}};
    SweepOptions options;
    options.metric = parse_metric("sharpe").value();
    GeneticOptions genetic;
    genetic.population = 3;
    EXPECT_FALSE(run_genetic(series, big_grid(), options, genetic).has_value());
    genetic.population = 8;
    genetic.mutation = 2;
    EXPECT_FALSE(run_genetic(series, big_grid(), options, genetic).has_value());
}

}  // namespace
}  // namespace tradpal::research

// SPDX-License-Identifier: Apache-2.0
// What the backtest-like commands (backtest, sweep) share: where the bars come from, the
// strategy, and the execution settings, as options and as values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/engine.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/core/text.hpp>
#include <tradpal/data/store.hpp>

#include "context.hpp"

namespace tradpal::cli {

/// --input | --symbol | --symbols, --timeframe, --source, --start-date, --end-date.
struct MarketArgs {
    std::string input;
    std::string symbol;
    std::string symbols;
    std::string timeframe;
    std::string source;
    std::string start_date;
    std::string end_date;
};

/// --strategy, --param, and the rule texts.
struct StrategyArgs {
    std::string name = "sma_cross";
    std::vector<std::string> params;
    backtest::RuleTexts rules;

    /// Throws: tradpal::Exception (InvalidArgument) naming the culprit.
    backtest::StrategySpec spec() const;
};

/// Cash, costs, sizing, fills, annualisation.
struct ExecutionArgs {
    backtest::Config config;
    std::string sizing = "fraction";
    std::string fill = "next_open";
};

void add_market_options(CLI::App& c, MarketArgs& a);
void add_strategy_options(CLI::App& c, StrategyArgs& a);
void add_execution_options(CLI::App& c, ExecutionArgs& a);

/// The bars of one symbol and what keeps them alive (a mapped store series or a vector).
struct LoadedSeries {
    std::string name;
    std::optional<data::StoredSeries> stored;
    BarSeries owned;
    BarSeriesView view;
};

/// The series the options name, cut to the date range. Throws: tradpal::Exception.
std::vector<LoadedSeries> load_series(const Context& ctx, const MarketArgs& a);
/// The loaded series as the engines take them; an empty one (or one empty in the date range)
/// is an error naming it.
std::vector<backtest::SymbolSeries> tradable(const std::vector<LoadedSeries>& loaded,
                                             const MarketArgs& a);

/// The validated config. Throws: tradpal::Exception (InvalidArgument).
backtest::Config make_config(const ExecutionArgs& a);

/// Every strategy and its --param names with defaults, for a command's --help footer; the
/// ml strategy (it trades a model's forecasts, which only `backtest --model` brings) only
/// when `with_ml`.
std::string strategies_help(bool with_ml);

}  // namespace tradpal::cli

// SPDX-License-Identifier: Apache-2.0
// Rule strategies: entry and exit conditions written as text (docs/RULES.md).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/result.hpp>

namespace tradpal::backtest::rules {

/// Values for {name} placeholders in rule text.
using Placeholders = std::map<std::string, double, std::less<>>;

/// Columns computed while evaluating rules over one series, keyed by the canonical text of
/// the sub-expression ("ema(close,12)"), so that rules sharing an indicator compute it once.
/// Bound to one series: never reuse it across series.
class SeriesCache {
public:
    explicit SeriesCache(const BarSeriesView& bars) : bars_(bars) {}
    const BarSeriesView& bars() const noexcept { return bars_; }
    /// The cached column for `key`, or nullptr.
    const std::vector<double>* find(std::string_view key) const;
    /// Stores a column and returns it.
    const std::vector<double>& put(std::string key, std::vector<double> column);
    std::size_t size() const noexcept { return columns_.size(); }

private:
    BarSeriesView bars_;
    std::map<std::string, std::vector<double>, std::less<>> columns_;
};

/// A parsed boolean rule such as "cross_up(ema(close,12), ema(close,26)) and rsi(14) < 70".
class Rule {
public:
    /// Parses `text` after replacing each {name} with its value from `placeholders`.
    /// Errors: ParseError giving the 1-based column of a syntax error and the text with a caret
    /// under it; InvalidArgument naming an unknown function, field, output or placeholder, or a
    /// bad argument.
    static Result<Rule> parse(std::string_view text, const Placeholders& placeholders = {});

    /// out[t] = 1 where the rule holds at the close of bar t (NaN in any compared value: 0).
    /// out.size() must equal the series length. Errors: InvalidArgument (e.g. an indicator
    /// parameter out of range found while computing).
    Result<void> evaluate(SeriesCache& cache, std::span<std::uint8_t> out) const;

    /// The rule's canonical text (placeholders substituted, spacing normalised).
    std::string canonical() const;

    Rule(Rule&&) noexcept;
    Rule& operator=(Rule&&) noexcept;
    ~Rule();

private:
    struct Node;
    explicit Rule(std::unique_ptr<Node> root);
    std::unique_ptr<Node> root_;
};

}  // namespace tradpal::backtest::rules

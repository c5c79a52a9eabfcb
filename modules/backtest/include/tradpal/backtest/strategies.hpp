// SPDX-License-Identifier: Apache-2.0
// The built-in strategies and rule strategies, by name and parameters: as event-driven
// Strategy objects and as signal arrays for the vectorized simulator. Both forms trade the same
// rules (BACKTEST_SEMANTICS.md section 2, docs/BACKTEST.md).
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/backtest/types.hpp>
#include <tradpal/core/result.hpp>

namespace tradpal::backtest {

enum class ParamType : std::uint8_t { Integer, Real, Flag, Choice };

/// One strategy parameter with its default and allowed range.
struct StrategyParam {
    std::string_view name;
    ParamType type = ParamType::Integer;
    double default_value = 0;
    double min = 0;
    double max = 0;
    std::string_view choices;  ///< Choice: "sma|ema" (the value is the index)
    std::string_view description;
};

/// A built-in strategy: its parameters (the shared ones included) and its rules in words.
struct StrategyInfo {
    std::string_view name;
    std::string_view description;
    std::vector<StrategyParam> params;
};

/// The built-in strategies, and "rules" (text rules, see docs/RULES.md).
std::span<const StrategyInfo> builtin_strategies();
const StrategyInfo* find_strategy(std::string_view name);

/// Text rules of a "rules" strategy; empty short rules mean: with allow_short, the exit rule
/// opens a short and the entry rule covers it.
struct RuleTexts {
    std::string entry;
    std::string exit;
    std::string short_entry;
    std::string short_exit;
};

/// A strategy chosen by name with validated parameter values.
class StrategySpec {
public:
    /// `assignments` are "name=value" texts. Errors: InvalidArgument naming an unknown
    /// strategy or parameter, a malformed or out-of-range value, or broken relations
    /// (fast >= slow, lower >= upper). For "rules", `rules` must hold an entry and an exit
    /// rule, and parameters other than the shared ones are {placeholder} values.
    static Result<StrategySpec> make(std::string_view name,
                                     std::span<const std::string> assignments,
                                     const RuleTexts& rules = {});

    const StrategyInfo& info() const noexcept { return *info_; }
    const std::string& name() const noexcept { return name_; }
    /// A parameter's value (flags 0/1, choices their index). Throws for an unknown name.
    double get(std::string_view param) const;
    int integer(std::string_view param) const { return static_cast<int>(get(param)); }
    bool allow_short() const { return get("allow_short") != 0; }
    Protection protection() const;
    const RuleTexts& rules() const noexcept { return rules_; }
    /// Placeholder values of a rules strategy, by name.
    const std::vector<std::pair<std::string, double>>& placeholders() const noexcept {
        return placeholders_;
    }
    /// Bars a built-in strategy needs before its first possible signal (0 for rules, whose
    /// needs depend on the text).
    std::size_t warmup() const;
    /// "sma_cross(fast=10,slow=30,ma=sma)": every parameter that differs from its default,
    /// plus the defining ones; stable, usable as a cache key.
    std::string canonical() const;

private:
    const StrategyInfo* info_ = nullptr;
    std::string name_;
    std::vector<double> values_;  // one per info_->params entry
    RuleTexts rules_;
    std::vector<std::pair<std::string, double>> placeholders_;
};

/// Entry and exit signals at each close (1 = the condition holds).
struct SignalSet {
    std::vector<std::uint8_t> long_entry;
    std::vector<std::uint8_t> long_exit;
    std::vector<std::uint8_t> short_entry;
    std::vector<std::uint8_t> short_exit;
    bool allow_short = false;
    Protection protection;
};

/// Moving averages of one series shared by many signal sets (a sweep): each (kind, period) is
/// computed once and kept within `budget_bytes`; past it, the least recently used averages
/// make room (a sweep in grid order keeps reusing the same few). Thread-safe: callers asking
/// for an average being computed wait for it instead of computing it again.
class AverageMemo {
public:
    explicit AverageMemo(std::size_t budget_bytes = std::size_t{1} << 30) : budget_(budget_bytes) {}

    /// backtrader's SMA (ema = false) or EMA of `close`, which must be the same series on
    /// every call.
    std::shared_ptr<const std::vector<double>> average(bool ema, int period,
                                                       std::span<const double> close);

private:
    using Values = std::shared_ptr<const std::vector<double>>;
    struct Entry {
        std::shared_future<Values> values;  // ready once the first caller has computed it
        std::size_t bytes = 0;
        std::uint64_t last_use = 0;
    };

    /// Drops the least recently used averages until `bytes` more fit in the budget (callers
    /// still holding one keep it alive).
    void make_room(std::size_t bytes);

    std::mutex mutex_;
    std::map<std::pair<bool, int>, Entry> cache_;
    std::uint64_t clock_ = 0;
    std::size_t used_ = 0;
    std::size_t budget_;
};

/// The strategy's signals over a whole series; `memo` (optional) shares the moving averages
/// of sma_cross between calls. Errors: InvalidArgument (e.g. a rule naming an unknown
/// indicator, or the ml strategy, whose signals come from forecast_signals).
Result<SignalSet> build_signals(const StrategySpec& spec, const BarSeriesView& bars,
                                AverageMemo* memo = nullptr);

/// Signals of the "ml" strategy from a forecast's edge per bar (a predicted return, a
/// probability of a rise minus 0.5, ...): long entry above `entry`, long exit below `exit`,
/// short entry below -entry, short exit above -exit; a NaN edge (no forecast) exits both sides.
/// Errors: InvalidArgument when `spec` is not an ml strategy.
Result<SignalSet> forecast_signals(const StrategySpec& spec, std::span<const double> edge);

/// The event-driven form: decides bar by bar from streaming indicators (built-ins) or from the
/// compiled rules, placing orders through the Context.
/// Errors: InvalidArgument when a rule does not compile.
Result<std::unique_ptr<Strategy>> make_strategy(const StrategySpec& spec);

/// An event-driven strategy that follows given signal arrays: the reference for what the
/// vectorized simulator does with the same arrays.
std::unique_ptr<Strategy> make_signal_strategy(std::shared_ptr<const SignalSet> signals);

}  // namespace tradpal::backtest

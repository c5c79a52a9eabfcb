// SPDX-License-Identifier: Apache-2.0
// Target-weight portfolios: one cash balance, positions brought back to fixed weights at the
// start of every period.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/core/result.hpp>

namespace tradpal::backtest {

/// When a target-weight portfolio trades back to its weights (UTC calendar periods).
enum class RebalancePeriod { Daily, Weekly, Monthly };
std::string_view to_string(RebalancePeriod period) noexcept;
Result<RebalancePeriod> parse_rebalance_period(std::string_view text);

/// Holds each symbol at `weights[k]` of equity (times the sizing's size_fraction, which leaves
/// room for fees), trading back to the weights at the first step of each period: at that
/// close every symbol's target is floor(((size_fraction x weight x equity) / last close) / lot) x
/// lot, and one market order per symbol moves it there, sells placed before buys so that
/// their cash is there for the buys. A symbol joins once it has had a bar. Weights must be
/// >= 0 and sum to at most 1.
/// Throws: tradpal::Exception (InvalidArgument) for bad weights.
std::unique_ptr<Strategy> make_rebalance_strategy(std::vector<double> weights,
                                                  RebalancePeriod period);

}  // namespace tradpal::backtest

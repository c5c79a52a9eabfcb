// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include <tradpal/core/result.hpp>

namespace tradpal::backtest {

/// How the default order size `q` is chosen at a signal (BACKTEST_SEMANTICS.md section 3).
enum class SizingMode {
    Fraction,       ///< size_fraction of equity, rounded down to lot_step (the default)
    FixedQuantity,  ///< always `quantity` units
    FixedCash,      ///< `cash_amount` worth at the signal's close, rounded down to lot_step
    RiskAtr,  ///< risk `risk_fraction` of equity on a move of `atr_multiple` x ATR(atr_period),
              ///< never more than the Fraction size
};

struct Sizing {
    SizingMode mode = SizingMode::Fraction;
    double size_fraction = 0.95;
    double lot_step = 1e-8;
    double quantity = 0;          ///< FixedQuantity
    double cash_amount = 0;       ///< FixedCash
    double risk_fraction = 0.01;  ///< RiskAtr
    int atr_period = 14;          ///< RiskAtr
    double atr_multiple = 2.0;    ///< RiskAtr
};

struct Costs {
    double commission = 0.001;    ///< fraction of the traded value, per fill (each leg)
    double commission_fixed = 0;  ///< money per fill (each leg), added to the percentage
    double slippage_bps = 0;      ///< market and stop fills move against the order by this much
};

/// Where market orders fill.
enum class FillPrice {
    NextOpen,  ///< the open of the bar after the signal (the default)
    Close,     ///< the close of the signal bar itself ("cheat on close"; an option, never default)
};

/// Everything about an account and its execution that is not the strategy.
struct Config {
    double cash = 100000;
    Costs costs;
    Sizing sizing;
    FillPrice fill_price = FillPrice::NextOpen;
    /// Protective orders may fill on the bar their entry filled (after the entry); off by default.
    bool stop_same_bar = false;
    /// Metrics: periods per year for the daily returns (252; 365 suits 24/7 markets) and the
    /// annual risk-free rate.
    double annualization = 252;
    double risk_free = 0;

    /// Errors: InvalidArgument naming the setting and the allowed range.
    Result<void> validate() const;
};

/// Every field of `config`, "name=value;..." with round-trip precision: what a cached backtest
/// result's key names (docs/CACHE.md).
std::string canonical(const Config& config);

std::string_view to_string(SizingMode mode) noexcept;
Result<SizingMode> parse_sizing_mode(std::string_view text);
std::string_view to_string(FillPrice fill) noexcept;
Result<FillPrice> parse_fill_price(std::string_view text);

}  // namespace tradpal::backtest

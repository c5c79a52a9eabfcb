// SPDX-License-Identifier: Apache-2.0
#include <cmath>

#include <fmt/format.h>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/types.hpp>

namespace tradpal::backtest {
namespace {

Error invalid(std::string message) {
    return fail(ErrorCode::InvalidArgument, std::move(message));
}

bool finite_positive(double v) noexcept {
    return std::isfinite(v) && v > 0;
}

}  // namespace

std::string canonical(const Config& c) {
    // A tripwire: a field added to Config must be named here too, or cached results would
    // ignore it (120 bytes on LP64: 12 doubles, 2 enums, an int, a bool and padding).
    static_assert(sizeof(void*) != 8 || sizeof(Config) == 120,
                  "Config changed: name the new field in canonical()");
    return fmt::format(
        "cash={};commission={};commission_fixed={};slippage_bps={};sizing={};size_fraction={};"
        "lot_step={};quantity={};cash_amount={};risk_fraction={};atr_period={};atr_multiple={};"
        "fill_price={};stop_same_bar={};annualization={};risk_free={}",
        c.cash, c.costs.commission, c.costs.commission_fixed, c.costs.slippage_bps,
        to_string(c.sizing.mode), c.sizing.size_fraction, c.sizing.lot_step, c.sizing.quantity,
        c.sizing.cash_amount, c.sizing.risk_fraction, c.sizing.atr_period, c.sizing.atr_multiple,
        to_string(c.fill_price), c.stop_same_bar, c.annualization, c.risk_free);
}

Result<void> Config::validate() const {
    if (!finite_positive(cash)) {
        return invalid(fmt::format("cash must be a positive number, got {}", cash));
    }
    if (!std::isfinite(costs.commission) || costs.commission < 0 || costs.commission >= 1) {
        return invalid(
            fmt::format("commission must be a fraction in [0, 1), got {}", costs.commission));
    }
    if (!std::isfinite(costs.commission_fixed) || costs.commission_fixed < 0) {
        return invalid(
            fmt::format("fixed commission must be >= 0, got {}", costs.commission_fixed));
    }
    if (!std::isfinite(costs.slippage_bps) || costs.slippage_bps < 0 ||
        costs.slippage_bps >= 10000) {
        return invalid(
            fmt::format("slippage must be in [0, 10000) bps, got {}", costs.slippage_bps));
    }
    if (!finite_positive(sizing.size_fraction) || sizing.size_fraction > 1) {
        return invalid(
            fmt::format("size fraction must be in (0, 1], got {}", sizing.size_fraction));
    }
    if (!finite_positive(sizing.lot_step)) {
        return invalid(fmt::format("lot step must be a positive number, got {}", sizing.lot_step));
    }
    switch (sizing.mode) {
        case SizingMode::Fraction:
            break;
        case SizingMode::FixedQuantity:
            if (!finite_positive(sizing.quantity)) {
                return invalid(fmt::format("fixed quantity sizing needs a quantity > 0, got {}",
                                           sizing.quantity));
            }
            break;
        case SizingMode::FixedCash:
            if (!finite_positive(sizing.cash_amount)) {
                return invalid(fmt::format("fixed cash sizing needs an amount > 0, got {}",
                                           sizing.cash_amount));
            }
            break;
        case SizingMode::RiskAtr:
            if (!finite_positive(sizing.risk_fraction) || sizing.risk_fraction > 1) {
                return invalid(
                    fmt::format("risk fraction must be in (0, 1], got {}", sizing.risk_fraction));
            }
            if (sizing.atr_period < 1 || sizing.atr_period > 100000) {
                return invalid(
                    fmt::format("ATR period must be in [1, 100000], got {}", sizing.atr_period));
            }
            if (!finite_positive(sizing.atr_multiple)) {
                return invalid(
                    fmt::format("ATR multiple must be > 0, got {}", sizing.atr_multiple));
            }
            break;
    }
    if (!finite_positive(annualization)) {
        return invalid(fmt::format("annualization must be > 0, got {}", annualization));
    }
    if (!std::isfinite(risk_free)) {
        return invalid(fmt::format("risk-free rate must be a number, got {}", risk_free));
    }
    return {};
}

std::string_view to_string(SizingMode mode) noexcept {
    switch (mode) {
        case SizingMode::Fraction:
            return "fraction";
        case SizingMode::FixedQuantity:
            return "fixed";
        case SizingMode::FixedCash:
            return "cash";
        case SizingMode::RiskAtr:
            return "risk_atr";
    }
    return "fraction";
}

Result<SizingMode> parse_sizing_mode(std::string_view text) {
    for (const SizingMode mode : {SizingMode::Fraction, SizingMode::FixedQuantity,
                                  SizingMode::FixedCash, SizingMode::RiskAtr}) {
        if (text == to_string(mode)) {
            return mode;
        }
    }
    return invalid(fmt::format("unknown sizing '{}' (fraction, fixed, cash, risk_atr)", text));
}

std::string_view to_string(FillPrice fill) noexcept {
    return fill == FillPrice::Close ? "close" : "next_open";
}

Result<FillPrice> parse_fill_price(std::string_view text) {
    if (text == "next_open") {
        return FillPrice::NextOpen;
    }
    if (text == "close") {
        return FillPrice::Close;
    }
    return invalid(fmt::format("unknown fill price '{}' (next_open, close)", text));
}

std::string_view to_string(Side side) noexcept {
    return side == Side::Long ? "long" : "short";
}

std::string_view exit_type_name(OrderRole role) noexcept {
    switch (role) {
        case OrderRole::Signal:
            return "signal";
        case OrderRole::Reversal:
            return "reversal";
        case OrderRole::StopLoss:
            return "stop_loss";
        case OrderRole::TakeProfit:
            return "take_profit";
        case OrderRole::TrailingStop:
            return "trailing_stop";
        case OrderRole::Rebalance:
            return "rebalance";
    }
    return "signal";
}

}  // namespace tradpal::backtest

// SPDX-License-Identifier: Apache-2.0
// The money arithmetic of BACKTEST_SEMANTICS.md that a run repeats at every order: sizing,
// fees, slippage, the two legs of an execution, the mark of a position, the trade being
// built and the fills of protective orders. Written once for the event-driven engine, the signal
// simulator and the GPU sweep kernel (TRADPAL_HD), so that they cannot drift apart. Every
// expression keeps the order of operations of the semantics; the module is compiled with
// -ffp-contract=off and the CUDA code with -fmad=false, so that no multiply-add is fused.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/types.hpp>
#include <tradpal/core/hd.hpp>

namespace tradpal::backtest::detail {

/// q = floor(((fraction * equity) / close) * (1 / lot_step)) / (1 / lot_step).
TRADPAL_HD inline double fraction_size(double fraction, double equity, double close,
                                       double inv_lot) noexcept {
    return std::floor(((fraction * equity) / close) * inv_lot) / inv_lot;
}

/// The default order size q (section 3) for a symbol whose close is `close`, with `equity` the
/// mark of the step, `atr` the symbol's ATR at this bar (RiskAtr only) and `weight` its share of
/// the portfolio (1 for a single symbol). 0 when nothing can be traded.
TRADPAL_HD inline double order_size(const Sizing& sizing, double equity, double close, double atr,
                                    double weight) noexcept {
    const double inv_lot = 1 / sizing.lot_step;
    double q = 0;
    switch (sizing.mode) {
        case SizingMode::Fraction:
            q = fraction_size(sizing.size_fraction, weight * equity, close, inv_lot);
            break;
        case SizingMode::FixedQuantity:
            q = sizing.quantity;
            break;
        case SizingMode::FixedCash:
            q = std::floor((sizing.cash_amount / close) * inv_lot) / inv_lot;
            break;
        case SizingMode::RiskAtr: {
            if (!(atr > 0)) {
                return 0;  // the ATR is still warming up
            }
            const double risk_q = std::floor(((sizing.risk_fraction * (weight * equity)) /
                                              (sizing.atr_multiple * atr)) *
                                             inv_lot) /
                                  inv_lot;
            const double cap = fraction_size(sizing.size_fraction, weight * equity, close, inv_lot);
            q = risk_q < cap ? risk_q : cap;
            break;
        }
    }
    return q > 0 && std::isfinite(q) ? q : 0;
}

/// Commission of one leg: |size| * commission * price (+ the fixed fee per fill).
TRADPAL_HD inline double leg_fee(double abs_size, double price, const Costs& costs) noexcept {
    const double fee = abs_size * costs.commission * price;
    return costs.commission_fixed > 0 ? fee + costs.commission_fixed : fee;
}

/// The price a market or stop fill gets after slippage (against the order's direction).
TRADPAL_HD inline double slipped(double price, bool buy, double slippage_bps) noexcept {
    if (slippage_bps == 0) {
        return price;
    }
    const double slip = slippage_bps * 1e-4;
    return buy ? price * (1 + slip) : price * (1 - slip);
}

/// What one order's fill did: the legs, their fees, and whether the opening leg was refused.
struct Execution {
    double close_size = 0;  ///< signed part that reduced or closed the old position
    double open_size = 0;   ///< signed part that opened or added (0 when rejected)
    double close_fee = 0;
    double open_fee = 0;
    bool rejected = false;  ///< the opening leg could not be afforded (section 4)
};

/// Splits an order of signed size `size` against `position` into a close leg and an open leg
/// (section 3): the new position is position + size computed in doubles; a sign change closes
/// the old position and opens the rest.
TRADPAL_HD inline void split_legs(double position, double size, double& close_leg,
                                  double& open_leg) noexcept {
    const double after = position + size;
    if (position == 0) {
        close_leg = 0;
        open_leg = size;
    } else if (after == 0) {
        close_leg = size;
        open_leg = 0;
    } else if ((position > 0) == (size > 0)) {
        close_leg = 0;
        open_leg = size;  // adds to the position
    } else if ((after > 0) == (position > 0)) {
        close_leg = size;  // reduces it
        open_leg = 0;
    } else {
        close_leg = -position;  // reversal
        open_leg = after;
    }
}

/// Executes an order of signed `size` at `price` against `cash` and `position`, whose mean
/// entry price is `entry_price` (section 4). The arithmetic is backtrader's, operation by
/// operation, because a last-bit difference in cash can move a later order size across a lot
/// boundary: a close leg of c units adds (-c x entry + -c x (price - entry)) then takes its fee;
/// an opening leg of o units takes o x price then its fee, and is rejected (no fill, no fee)
/// when that leaves cash below zero, the close leg standing.
TRADPAL_HD inline Execution execute(double& cash, double& position, double entry_price, double size,
                                    double price, const Costs& costs) noexcept {
    Execution ex;
    split_legs(position, size, ex.close_size, ex.open_size);
    if (ex.close_size != 0) {
        const double units = -ex.close_size;  // signed like the position being closed
        ex.close_fee = leg_fee(std::fabs(ex.close_size), price, costs);
        cash = cash + (units * entry_price + units * (price - entry_price));
        cash = cash - ex.close_fee;
    }
    if (ex.open_size != 0) {
        const double fee = leg_fee(std::fabs(ex.open_size), price, costs);
        const double after = (cash - ex.open_size * price) - fee;
        if (after < 0) {
            ex.rejected = true;
            ex.open_size = 0;
            if (ex.close_size != 0) {
                position = 0;  // the close leg of a reversal stands
            }
            return ex;
        }
        cash = after;
        ex.open_fee = fee;
    }
    position = position + size;
    return ex;
}

/// Adds a position's value at `close` to `total` as backtrader marks it: a long adds
/// (size x close - unrealized) and then the unrealized profit, which is not always size x close
/// in the last bit; a short adds size x close. Totals start at 0.0 and run over the symbols in
/// order; the equity is cash + total (section 1.3).
TRADPAL_HD inline void add_position_value(double& total, double position, double entry_price,
                                          double close) noexcept {
    if (position > 0) {
        const double unrealized = position * (close - entry_price);
        total += position * close - unrealized;
        total += unrealized;
    } else {
        total += position * close;
    }
}

/// cash + the value of one position.
TRADPAL_HD inline double mark(double cash, double position, double entry_price,
                              double close) noexcept {
    double total = 0.0;
    add_position_value(total, position, entry_price, close);
    return cash + total;
}

/// The trade in progress for one symbol (section 6), fed every execution of that symbol.
struct TradeTracker {
    bool in_trade = false;
    Trade trade;
    std::size_t exit_fills = 0;
    double exit_size = 0;
    double exit_value = 0;

    /// Books an execution at `price` that left the symbol at `position` (after both legs).
    /// Returns true when it closed a trade, which is then copied to `closed` (a reversal goes on
    /// to open the next trade in `trade`).
    TRADPAL_HD bool book(const Execution& ex, double position, double price, std::size_t bar,
                         std::int64_t ts, OrderRole role, Trade& closed_trade) noexcept {
        bool closed = false;
        if (ex.close_size != 0) {
            trade.gross_pnl += (-ex.close_size) * (price - trade.entry_price);
            trade.commission += ex.close_fee;
            ++exit_fills;
            exit_size += std::fabs(ex.close_size);
            exit_value += std::fabs(ex.close_size) * price;
            // The close leg ends the trade unless it only reduced the position.
            if (ex.open_size != 0 || position == 0) {
                trade.exit_bar = bar;
                trade.exit_ns = ts;
                trade.exit_role = role;
                trade.exit_price = exit_fills == 1 ? price : exit_value / exit_size;
                trade.net_pnl = trade.gross_pnl - trade.commission;
                in_trade = false;
                closed = true;
                closed_trade = trade;
            }
        }
        if (ex.open_size != 0) {
            if (!in_trade) {
                const std::uint32_t symbol = trade.symbol;
                trade = Trade{};
                trade.symbol = symbol;
                trade.side = ex.open_size > 0 ? Side::Long : Side::Short;
                trade.entry_bar = bar;
                trade.entry_ns = ts;
                trade.entry_price = price;
                trade.size = std::fabs(position);
                trade.commission = ex.open_fee;
                in_trade = true;
                exit_fills = 0;
                exit_size = 0;
                exit_value = 0;
            } else {
                // Adding to the position: the entry price becomes the size-weighted mean.
                const double before = position - ex.open_size;
                trade.entry_price = (trade.entry_price * before + ex.open_size * price) / position;
                trade.size = trade.size < std::fabs(position) ? std::fabs(position) : trade.size;
                trade.commission += ex.open_fee;
            }
        }
        return closed;
    }
};

/// A stop order at `trigger` on a bar (section 5): a sell stop fills at the open when the bar
/// opens at or below the trigger (a gap through it), else at the trigger when the low reaches
/// it; a buy stop mirrors this with the high. False when it does not fill.
TRADPAL_HD inline bool stop_fill(bool buy, double trigger, double open, double high, double low,
                                 double& price) noexcept {
    if (buy) {
        if (open >= trigger) {
            price = open;
            return true;
        }
        if (high >= trigger) {
            price = trigger;
            return true;
        }
        return false;
    }
    if (open <= trigger) {
        price = open;
        return true;
    }
    if (low <= trigger) {
        price = trigger;
        return true;
    }
    return false;
}

/// A limit order: a buy fills at the open when it opens at or below the limit, else at the
/// limit when the low reaches it; a sell mirrors this with the high.
TRADPAL_HD inline bool limit_fill(bool buy, double limit, double open, double high, double low,
                                  double& price) noexcept {
    if (buy) {
        if (limit >= open) {
            price = open;
            return true;
        }
        if (limit >= low) {
            price = limit;
            return true;
        }
        return false;
    }
    if (limit <= open) {
        price = open;
        return true;
    }
    if (limit <= high) {
        price = limit;
        return true;
    }
    return false;
}

/// The first trigger of a trailing stop placed at `reference`: reference - reference x trail
/// for a sell (protecting a long), reference + reference x trail for a buy.
TRADPAL_HD inline double trail_trigger(bool buy, double reference, double trail) noexcept {
    const double distance = reference * trail;
    return buy ? reference + distance : reference - distance;
}

/// After a bar on which a trailing stop did not fill, its trigger follows the close (only
/// ever towards the price).
TRADPAL_HD inline void trail_adjust(bool buy, double trail, double close,
                                    double& trigger) noexcept {
    const double moved = trail_trigger(buy, close, trail);
    if (buy ? moved < trigger : moved > trigger) {
        trigger = moved;
    }
}

}  // namespace tradpal::backtest::detail

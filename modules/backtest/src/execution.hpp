// SPDX-License-Identifier: Apache-2.0
// The order arithmetic of BACKTEST_SEMANTICS.md used by both engines (the event-driven engine
// and the signal simulator), so that they cannot drift apart: protective orders and the end of
// a run. What the GPU sweep shares with them is in <tradpal/backtest/detail/money.hpp>. Every
// expression keeps the order of operations of the semantics; the module is compiled with
// -ffp-contract=off so that no multiply-add is fused.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/detail/money.hpp>
#include <tradpal/backtest/metrics.hpp>
#include <tradpal/backtest/types.hpp>

namespace tradpal::backtest::detail {

/// A stop order at `trigger` on a bar (section 5): a sell stop fills at the open when the bar
/// opens at or below the trigger (a gap through it), else at the trigger when the low reaches
/// it; a buy stop mirrors this with the high. False when it does not fill.
inline bool stop_fill(bool buy, double trigger, double open, double high, double low,
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
inline bool limit_fill(bool buy, double limit, double open, double high, double low,
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
inline double trail_trigger(bool buy, double reference, double trail) noexcept {
    const double distance = reference * trail;
    return buy ? reference + distance : reference - distance;
}

/// After a bar on which a trailing stop did not fill, its trigger follows the close (only
/// ever towards the price).
inline void trail_adjust(bool buy, double trail, double close, double& trigger) noexcept {
    const double moved = trail_trigger(buy, close, trail);
    if (buy ? moved < trigger : moved > trigger) {
        trigger = moved;
    }
}

/// The position still open at the end, as reported.
inline OpenTrade open_trade_of(const TradeTracker& tracker, std::uint32_t symbol, double position,
                               double last_close) noexcept {
    OpenTrade open;
    open.symbol = symbol;
    open.side = position > 0 ? Side::Long : Side::Short;
    open.entry_bar = tracker.trade.entry_bar;
    open.entry_ns = tracker.trade.entry_ns;
    open.size = std::fabs(position);
    open.entry_price = tracker.trade.entry_price;
    open.entry_commission = tracker.trade.commission;
    open.last_price = last_close;
    open.unrealized_pnl = position * (last_close - tracker.trade.entry_price);
    return open;
}

}  // namespace tradpal::backtest::detail

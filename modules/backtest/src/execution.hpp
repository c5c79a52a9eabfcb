// SPDX-License-Identifier: Apache-2.0
// The order arithmetic of BACKTEST_SEMANTICS.md that both engines (the event-driven engine and
// the signal simulator) use and the GPU sweep does not: the trade still open at the end of a
// run. What all three share (sizing, fees, fills of protective orders...) is in
// <tradpal/backtest/detail/money.hpp>. Every expression keeps the order of operations of the
// semantics; the module is compiled with -ffp-contract=off so that no multiply-add is fused.
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

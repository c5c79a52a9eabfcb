// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <tradpal/core/hd.hpp>

namespace tradpal::backtest {

enum class Side : std::uint8_t { Long, Short };

/// Why an order exists; for the order that closes a trade it becomes the trade's exit type.
enum class OrderRole : std::uint8_t {
    Signal,        ///< an entry or exit decided by the strategy at a close
    Reversal,      ///< one order from a long to a short position or back (close leg + open leg)
    StopLoss,      ///< protective stop created when an entry fills
    TakeProfit,    ///< protective limit created when an entry fills
    TrailingStop,  ///< protective trailing stop created when an entry fills
    Rebalance,     ///< a target-weight rebalancing order
};

/// Protective exits attached to an entry, as fractions of the entry fill price (0 = none).
struct Protection {
    double stop_loss = 0;
    double take_profit = 0;
    double trailing_stop = 0;

    TRADPAL_HD bool any() const noexcept {  // the GPU sweep's kernel asks too
        return stop_loss > 0 || take_profit > 0 || trailing_stop > 0;
    }
};

/// A closed trade: from the fill that opens a position to the fill that brings it back to zero.
struct Trade {
    std::uint32_t symbol = 0;
    Side side = Side::Long;
    OrderRole exit_role = OrderRole::Signal;
    std::size_t entry_bar = 0;  ///< index in the symbol's own series
    std::size_t exit_bar = 0;
    std::int64_t entry_ns = 0;
    std::int64_t exit_ns = 0;
    double size = 0;         ///< largest absolute position held (the whole entry for one fill)
    double entry_price = 0;  ///< size-weighted mean of the opening fills
    double exit_price = 0;   ///< size-weighted mean of the closing fills
    double gross_pnl = 0;
    double commission = 0;  ///< entry fees + exit fees
    double net_pnl = 0;
};

/// A position still open after the last bar.
struct OpenTrade {
    std::uint32_t symbol = 0;
    Side side = Side::Long;
    std::size_t entry_bar = 0;
    std::int64_t entry_ns = 0;
    double size = 0;
    double entry_price = 0;
    double entry_commission = 0;
    double last_price = 0;
    double unrealized_pnl = 0;  ///< position x (last close - entry price)
};

/// One execution (a reversal gives one fill of two legs).
struct Fill {
    std::uint64_t order_id = 0;
    std::uint32_t symbol = 0;
    OrderRole role = OrderRole::Signal;
    std::size_t bar = 0;   ///< index in the symbol's own series
    std::size_t step = 0;  ///< index in the run's timeline (== bar for one symbol)
    double size = 0;       ///< signed: + bought, - sold
    double price = 0;
    double commission = 0;
    double cash_after = 0;
    double position_after = 0;
};

std::string_view to_string(Side side) noexcept;
/// The exit type written in trade lists: signal, reversal, stop_loss, take_profit,
/// trailing_stop, rebalance.
std::string_view exit_type_name(OrderRole role) noexcept;

}  // namespace tradpal::backtest

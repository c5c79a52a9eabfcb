// SPDX-License-Identifier: Apache-2.0
// The bar-by-bar part of a run's statistics (EquityStats, TradeStats of metrics.hpp): plain
// structs and TRADPAL_HD functions, so that the GPU sweep kernel steps them exactly as the
// CPU simulator does and the host finishes its metrics with the same code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include <tradpal/backtest/types.hpp>
#include <tradpal/core/hd.hpp>

namespace tradpal::backtest::detail {

inline constexpr std::int64_t kNanosPerDay = 86'400'000'000'000;

/// The UTC day number of a time (days since 1970-01-01, rounding down).
TRADPAL_HD constexpr std::int64_t utc_day(std::int64_t ts) noexcept {
    return ts / kNanosPerDay - (ts % kNanosPerDay < 0 ? 1 : 0);
}

/// Everything a bar updates in EquityStats, in one plain struct so that a loop can keep it in
/// registers.
struct EquityState {
    std::int64_t next_day_ns = std::numeric_limits<std::int64_t>::min();
    bool in_day = false;
    double day_reference = 0;
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;
    double last_equity = 0;
    double closed_days_equity = 0;  // sum of the closing equity of each finished day
    std::size_t bars = 0;
    // Drawdown: the deepest point since the current peak; its percentage is computed when
    // the peak is left behind (x -> 100 * (peak - x) / peak is monotone in x, so the deepest
    // point gives the bar-by-bar maximum exactly).
    double peak = -std::numeric_limits<double>::infinity();
    double trough = std::numeric_limits<double>::infinity();
    std::size_t peak_bar = 0;
    std::int64_t peak_ns = 0;
    double max_drawdown_pct = 0;
    std::size_t max_drawdown_bars = 0;
    std::int64_t max_drawdown_ns = 0;
};

/// The first bar of a UTC day: the previous day's return, complete, goes to push(return).
template <class Push>
TRADPAL_HD inline void start_day(EquityState& s, std::int64_t ts, Push& push) {
    if (s.in_day) {
        push(s.last_equity / s.day_reference - 1);
        s.closed_days_equity += s.last_equity;
        s.day_reference = s.last_equity;
    } else {
        s.in_day = true;
        s.first_ns = ts;
        s.peak_ns = ts;  // drawdown runs are measured from the first bar on
    }
    s.next_day_ns = (utc_day(ts) + 1) * kNanosPerDay;
}

/// A new running maximum: settles the drawdown of the peak being left.
TRADPAL_HD inline void raise_peak(EquityState& s, double equity) noexcept {
    if (s.trough < s.peak) {
        const double drawdown = 100 * (s.peak - s.trough) / s.peak;
        if (drawdown > s.max_drawdown_pct) {
            s.max_drawdown_pct = drawdown;
        }
    }
    s.peak = equity;
    s.trough = equity;
}

/// One bar at its close, valued `equity`.
template <class Push>
TRADPAL_HD_INLINE void equity_step(EquityState& s, std::int64_t ts, double equity, Push& push) {
    if (ts >= s.next_day_ns) [[unlikely]] {
        start_day(s, ts, push);
    }
    s.last_equity = equity;
    s.last_ns = ts;
    if (equity >= s.peak) {
        if (equity > s.peak) [[unlikely]] {
            raise_peak(s, equity);
        }
        // A drawdown run ends where equity is back at its running maximum.
        if (s.bars - s.peak_bar > s.max_drawdown_bars) {
            s.max_drawdown_bars = s.bars - s.peak_bar;
        }
        if (ts - s.peak_ns > s.max_drawdown_ns) {
            s.max_drawdown_ns = ts - s.peak_ns;
        }
        s.peak_bar = s.bars;
        s.peak_ns = ts;
    } else if (equity < s.trough) {
        s.trough = equity;
    }
    ++s.bars;
}

/// The running sums of TradeStats, fed one closed trade at a time.
struct TradeSums {
    std::size_t trades = 0;
    std::size_t wins = 0;
    std::size_t losses = 0;
    double win_sum = 0;
    double loss_sum = 0;
    double net_sum = 0;
    double best = -std::numeric_limits<double>::infinity();
    double worst = std::numeric_limits<double>::infinity();
    double bars_sum = 0;
    double commission_sum = 0;

    TRADPAL_HD void add(const Trade& trade) noexcept {
        ++trades;
        net_sum += trade.net_pnl;
        commission_sum += trade.commission;
        if (trade.net_pnl > 0) {
            ++wins;
            win_sum += trade.net_pnl;
        } else if (trade.net_pnl < 0) {
            ++losses;
            loss_sum += trade.net_pnl;
        }
        // std::max and std::min, as written for the device too.
        best = best < trade.net_pnl ? trade.net_pnl : best;
        worst = trade.net_pnl < worst ? trade.net_pnl : worst;
        bars_sum += static_cast<double>(trade.exit_bar - trade.entry_bar);
    }
};

}  // namespace tradpal::backtest::detail

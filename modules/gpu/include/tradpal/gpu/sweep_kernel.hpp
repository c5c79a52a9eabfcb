// SPDX-License-Identifier: Apache-2.0
// The work of one GPU thread of the sweep: one run of a built-in strategy over one symbol,
// its signals read from precomputed lines (a moving average, an RSI, bands, a channel) and
// decided and executed as the CPU simulator's SignalDecider and Simulation do
// (backtest/src/simulator.cpp), protective orders and every sizing mode included. It steps
// the same detail:: functions bar by bar (the simulator only skips ahead to the next signal,
// marking the bars between with the same arithmetic), so the state it leaves finishes into
// the same metrics, bit for bit. The CUDA kernel calls it once per
// run; a host loop calls it for the tests that run without a GPU.
#pragma once

#include <cstddef>
#include <cstdint>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/detail/money.hpp>
#include <tradpal/backtest/detail/run_stats.hpp>
#include <tradpal/core/hd.hpp>

namespace tradpal::gpu {

/// How a run's four signals come from its lines (build_signals' rules, strategies.cpp).
enum class RuleKind : std::uint8_t {
    /// line 0 crossing line 1 (sma_cross, macd_cross): a cross up enters long and covers a
    /// short, a cross down exits a long and opens a short.
    Cross,
    /// line 0 (an RSI) against two levels (rsi_reversion): crossing below `lower` enters long
    /// and covers, crossing above `upper` exits and opens a short.
    Levels,
    /// the close against line 0 (middle), 1 (lower) and 2 (upper band) (bollinger_reversion):
    /// crossing below the lower band enters long, above the middle exits; crossing above the
    /// upper band opens a short, below the middle covers it.
    Bands,
    /// the close against the previous bar's line 0 (entry channel high), 1 (entry low),
    /// 2 (exit high) and 3 (exit low) (donchian_breakout): above the entry high enters long,
    /// below the exit low exits; below the entry low opens a short, above the exit high
    /// covers it.
    Breakout,
};

}  // namespace tradpal::gpu

namespace tradpal::gpu::detail {

namespace bd = tradpal::backtest::detail;

/// A symbol's columns that the run reads.
struct RunBars {
    const std::int64_t* ts = nullptr;
    const double* open = nullptr;
    const double* high = nullptr;
    const double* low = nullptr;
    const double* close = nullptr;
    std::size_t n = 0;
};

/// What a run's strategy and config say (the metrics' settings stay on the host).
struct RunParams {
    double cash = 0;
    backtest::Costs costs;
    backtest::Sizing sizing;
    bool at_close = false;  ///< FillPrice::Close
    bool stop_same_bar = false;
    bool allow_short = false;
    backtest::Protection protection;
    RuleKind kind = RuleKind::Cross;
    double lower = 0;  ///< Levels
    double upper = 0;
};

/// The statistics of a run, finished into backtest::Metrics on the host.
struct RunState {
    bd::EquityState equity;
    bd::TradeSums trades;
    std::size_t in_position_bars = 0;
    std::size_t days_pushed = 0;  ///< daily returns written
    double open_fees = 0;         ///< fees of the trade still open at the end
    double traded_value = 0;
};

/// The lines a run reads (unused ones may be null), and the ATR that RiskAtr sizing reads.
struct RunLines {
    const double* line[4] = {};
    const double* atr = nullptr;
};

/// The four signals at one bar.
struct Signals {
    bool long_entry = false;
    bool long_exit = false;
    bool short_entry = false;
    bool short_exit = false;
};

/// x crossing y upwards / downwards at bar i > 0 (backtest::signals::cross_up / cross_down).
TRADPAL_HD_INLINE bool crosses_up(const double* x, const double* y, std::size_t i) {
    return x[i] > y[i] && x[i - 1] <= y[i - 1];
}
TRADPAL_HD_INLINE bool crosses_down(const double* x, const double* y, std::size_t i) {
    return x[i] < y[i] && x[i - 1] >= y[i - 1];
}

/// The signals of rule Kind at bar i > 0 (bar 0 has none: every rule looks one bar back).
template <RuleKind Kind>
TRADPAL_HD_INLINE Signals signals_at(const RunLines& l, const double* close, const RunParams& p,
                                     std::size_t i) {
    const double* const* line = l.line;
    if constexpr (Kind == RuleKind::Cross) {
        const bool up = crosses_up(line[0], line[1], i);
        const bool down = crosses_down(line[0], line[1], i);
        return {up, down, down, up};
    } else if constexpr (Kind == RuleKind::Levels) {
        const double* r = line[0];
        const bool below = r[i] < p.lower && r[i - 1] >= p.lower;
        const bool above = r[i] > p.upper && r[i - 1] <= p.upper;
        return {below, above, above, below};
    } else if constexpr (Kind == RuleKind::Bands) {
        return {crosses_down(close, line[1], i), crosses_up(close, line[0], i),
                crosses_up(close, line[2], i), crosses_down(close, line[0], i)};
    } else {
        const double c = close[i];
        return {c > line[0][i - 1], c < line[3][i - 1], c<line[1][i - 1], c> line[2][i - 1]};
    }
}

/// Writes the daily returns of a run to its own slice of a buffer.
struct ReturnSink {
    double* out;
    std::size_t* count;
    TRADPAL_HD void operator()(double r) const { out[(*count)++] = r; }
};

/// The protective orders of the open position (Simulation::arm and test_protection).
struct Protective {
    bool armed = false;
    bool stop = false;
    bool take = false;
    bool trail = false;
    double size = 0;  ///< what closes the position
    double stop_price = 0;
    double take_price = 0;
    double trail_price = 0;
    std::size_t from = 0;  ///< the first bar they meet
};

/// One run of rule Kind over bars [0, n) (lines NaN before their first value); `returns` has
/// room for one return per UTC day of the bars.
template <RuleKind Kind>
TRADPAL_HD void run_rule(const RunBars& bars, const RunLines& lines, const RunParams& p,
                         double* returns, RunState& out) {
    bd::EquityState equity_state;
    equity_state.day_reference = p.cash;  // as EquityStats(start_value)
    bd::TradeSums sums;
    bd::TradeTracker tracker;
    std::size_t pushed = 0;
    ReturnSink push{returns, &pushed};
    double cash = p.cash;
    double position = 0;
    double traded_value = 0;
    std::size_t in_position_bars = 0;
    bool pending = false;
    double pending_size = 0;
    bool pending_protect = false;
    backtest::OrderRole pending_role = backtest::OrderRole::Signal;
    Protective guard;
    const bool protects = p.protection.any();
    const bool risk_atr = p.sizing.mode == backtest::SizingMode::RiskAtr;

    // Simulation::execute without the detail it keeps on the CPU.
    const auto execute = [&](std::size_t i, double size, double price,
                             backtest::OrderRole role) -> bd::Execution {
        const bd::Execution ex =
            bd::execute(cash, position, tracker.trade.entry_price, size, price, p.costs);
        if (ex.close_size == 0 && ex.open_size == 0) {
            return ex;
        }
        backtest::Trade closed;
        if (tracker.book(ex, position, price, i, bars.ts[i], role, closed)) {
            sums.add(closed);
        }
        const double executed = ex.close_size + ex.open_size;
        traded_value += std::fabs(executed) * price;
        if (position == 0) {
            guard.armed = false;
        }
        return ex;
    };
    // Simulation::test_protection: stop, take-profit, trailing stop, the first fill cancels
    // the others.
    const auto test_protection = [&](std::size_t i) {
        const double open = bars.open[i];
        const double high = bars.high[i];
        const double low = bars.low[i];
        const bool buy = guard.size > 0;
        const double slip = p.costs.slippage_bps;
        double price = 0;
        if (guard.stop && bd::stop_fill(buy, guard.stop_price, open, high, low, price)) {
            execute(i, guard.size, bd::slipped(price, buy, slip), backtest::OrderRole::StopLoss);
            return;
        }
        if (guard.take && bd::limit_fill(buy, guard.take_price, open, high, low, price)) {
            execute(i, guard.size, price, backtest::OrderRole::TakeProfit);
            return;
        }
        if (guard.trail) {
            if (bd::stop_fill(buy, guard.trail_price, open, high, low, price)) {
                execute(i, guard.size, bd::slipped(price, buy, slip),
                        backtest::OrderRole::TrailingStop);
                return;
            }
            bd::trail_adjust(buy, p.protection.trailing_stop, bars.close[i], guard.trail_price);
        }
    };
    // Simulation::execute_now and arm: an entry that opened a position arms its orders.
    const auto execute_now = [&](std::size_t i, double size, backtest::OrderRole role, bool protect,
                                 double price, bool at_close) {
        const bd::Execution ex = execute(i, size, price, role);
        if (!(protect && ex.open_size != 0 && position != 0 && protects)) {
            return;
        }
        const bool long_position = position > 0;
        const backtest::Protection& pr = p.protection;
        guard.armed = true;
        guard.size = -position;
        guard.stop = pr.stop_loss > 0;
        guard.take = pr.take_profit > 0;
        guard.trail = pr.trailing_stop > 0;
        guard.stop_price = long_position ? (1 - pr.stop_loss) * price : (1 + pr.stop_loss) * price;
        guard.take_price =
            long_position ? (1 + pr.take_profit) * price : (1 - pr.take_profit) * price;
        guard.trail_price = bd::trail_trigger(!long_position, price, pr.trailing_stop);
        const bool same_bar = p.stop_same_bar && !at_close;
        guard.from = same_bar ? i : i + 1;
        if (same_bar) {
            test_protection(i);
        }
    };

    for (std::size_t i = 0; i < bars.n; ++i) {
        if (pending) {
            pending = false;
            execute_now(i, pending_size, pending_role, pending_protect,
                        bd::slipped(bars.open[i], pending_size > 0, p.costs.slippage_bps), false);
        } else if (guard.armed && i >= guard.from) {
            test_protection(i);
        }
        const double c = bars.close[i];
        double equity = bd::mark(cash, position, tracker.trade.entry_price, c);
        // SignalDecider: an entry against the position (or from flat) first, then an exit.
        const Signals s = i > 0 ? signals_at<Kind>(lines, bars.close, p, i) : Signals{};
        double size = 0;
        bool protect = false;
        backtest::OrderRole role = backtest::OrderRole::Signal;
        const double direction = s.long_entry && position <= 0                     ? 1
                                 : p.allow_short && s.short_entry && position >= 0 ? -1
                                                                                   : 0;
        if (direction != 0) {
            const double q =
                bd::order_size(p.sizing, equity, c, risk_atr ? lines.atr[i] : 0.0, 1.0);
            if (q > 0) {
                size = direction * q - position;
                role = position != 0 ? backtest::OrderRole::Reversal : backtest::OrderRole::Signal;
                protect = true;
            }
        } else if ((s.long_exit && position > 0) ||
                   (p.allow_short && s.short_exit && position < 0)) {
            size = -position;
        }
        if (size != 0) {
            guard.armed = false;  // an exit or a reversal cancels the protective orders first
            if (p.at_close) {
                execute_now(i, size, role, protect, bd::slipped(c, size > 0, p.costs.slippage_bps),
                            true);
                equity = bd::mark(cash, position, tracker.trade.entry_price, c);
            } else {
                pending = true;
                pending_size = size;
                pending_role = role;
                pending_protect = protect;
            }
        }
        bd::equity_step(equity_state, bars.ts[i], equity, push);
        in_position_bars += position != 0 ? 1 : 0;
    }
    out.equity = equity_state;
    out.trades = sums;
    out.in_position_bars = in_position_bars;
    out.days_pushed = pushed;
    out.open_fees = tracker.in_trade && position != 0 ? tracker.trade.commission : 0;
    out.traded_value = traded_value;
}

/// One run of the rule its params name.
TRADPAL_HD inline void run_signals(const RunBars& bars, const RunLines& lines, const RunParams& p,
                                   double* returns, RunState& out) {
    switch (p.kind) {
        case RuleKind::Cross:
            run_rule<RuleKind::Cross>(bars, lines, p, returns, out);
            break;
        case RuleKind::Levels:
            run_rule<RuleKind::Levels>(bars, lines, p, returns, out);
            break;
        case RuleKind::Bands:
            run_rule<RuleKind::Bands>(bars, lines, p, returns, out);
            break;
        case RuleKind::Breakout:
            run_rule<RuleKind::Breakout>(bars, lines, p, returns, out);
            break;
    }
}

}  // namespace tradpal::gpu::detail

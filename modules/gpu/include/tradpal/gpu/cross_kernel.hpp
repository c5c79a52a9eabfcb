// SPDX-License-Identifier: Apache-2.0
// The work of one GPU thread of the crossover sweep: one run of a line `a` crossing a line `b`
// over one symbol, decided and executed as the CPU simulator's CrossDecider and Simulation do
// (backtest/src/simulator.cpp) for the sets the GPU takes: no protective orders, any sizing
// but RiskAtr. It steps the same detail:: functions bar by bar (the simulator only skips
// ahead to the next crossing, marking the bars between with the same arithmetic), so the
// state it leaves finishes into the same metrics, bit for bit. The CUDA kernel calls it once
// per run; a host loop calls it for the tests that run without a GPU.
#pragma once

#include <cstddef>
#include <cstdint>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/detail/money.hpp>
#include <tradpal/backtest/detail/run_stats.hpp>
#include <tradpal/core/hd.hpp>

namespace tradpal::gpu::detail {

namespace bd = tradpal::backtest::detail;

/// A symbol's columns that the run reads.
struct CrossBars {
    const std::int64_t* ts = nullptr;
    const double* open = nullptr;
    const double* close = nullptr;
    std::size_t n = 0;
};

/// What a run's config says about execution (the metrics' settings stay on the host).
struct CrossParams {
    double cash = 0;
    backtest::Costs costs;
    backtest::Sizing sizing;
    bool at_close = false;  ///< FillPrice::Close
    bool allow_short = false;
};

/// The statistics of a run, finished into backtest::Metrics on the host.
struct CrossState {
    bd::EquityState equity;
    bd::TradeSums trades;
    std::size_t in_position_bars = 0;
    std::size_t days_pushed = 0;  ///< daily returns written
    double open_fees = 0;         ///< fees of the trade still open at the end
    double traded_value = 0;
};

/// Writes the daily returns of a run to its own slice of a buffer.
struct ReturnSink {
    double* out;
    std::size_t* count;
    TRADPAL_HD void operator()(double r) const { out[(*count)++] = r; }
};

/// One run over bars [0, n): `a` and `b` are the lines (NaN before their first value);
/// `returns` has room for one return per UTC day of the bars.
TRADPAL_HD inline void run_cross(const CrossBars& bars, const double* a, const double* b,
                                 const CrossParams& p, double* returns, CrossState& out) {
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
    backtest::OrderRole pending_role = backtest::OrderRole::Signal;

    // Simulation::execute without the detail it keeps on the CPU.
    const auto execute = [&](std::size_t i, double size, double price, backtest::OrderRole role) {
        const bd::Execution ex =
            bd::execute(cash, position, tracker.trade.entry_price, size, price, p.costs);
        if (ex.close_size == 0 && ex.open_size == 0) {
            return;
        }
        backtest::Trade closed;
        if (tracker.book(ex, position, price, i, bars.ts[i], role, closed)) {
            sums.add(closed);
        }
        const double executed = ex.close_size + ex.open_size;
        traded_value += std::fabs(executed) * price;
    };

    double a_before = 0;
    double b_before = 0;
    for (std::size_t i = 0; i < bars.n; ++i) {
        if (pending) {
            pending = false;
            execute(i, pending_size,
                    bd::slipped(bars.open[i], pending_size > 0, p.costs.slippage_bps),
                    pending_role);
        }
        const double c = bars.close[i];
        double equity = bd::mark(cash, position, tracker.trade.entry_price, c);
        // CrossDecider: a cross up enters long and covers a short, a cross down exits a long
        // and opens a short.
        const double a_now = a[i];
        const double b_now = b[i];
        const bool up = i > 0 && a_now > b_now && a_before <= b_before;
        const bool down = i > 0 && a_now < b_now && a_before >= b_before;
        a_before = a_now;
        b_before = b_now;
        double size = 0;
        backtest::OrderRole role = backtest::OrderRole::Signal;
        const double direction = up && position <= 0                      ? 1
                                 : p.allow_short && down && position >= 0 ? -1
                                                                          : 0;
        if (direction != 0) {
            const double q = bd::order_size(p.sizing, equity, c, 0.0, 1.0);
            if (q > 0) {
                size = direction * q - position;
                role = position != 0 ? backtest::OrderRole::Reversal : backtest::OrderRole::Signal;
            }
        } else if ((down && position > 0) || (p.allow_short && up && position < 0)) {
            size = -position;
        }
        if (size != 0) {
            if (p.at_close) {
                execute(i, size, bd::slipped(c, size > 0, p.costs.slippage_bps), role);
                equity = bd::mark(cash, position, tracker.trade.entry_price, c);
            } else {
                pending = true;
                pending_size = size;
                pending_role = role;
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

}  // namespace tradpal::gpu::detail

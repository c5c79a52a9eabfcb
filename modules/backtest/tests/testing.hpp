// SPDX-License-Identifier: Apache-2.0
// Builders shared by the backtest tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/backtest/simulator.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/core/bar_series.hpp>

namespace tradpal::backtest::testing {

/// Hourly bars from 2024-01-01 00:00 UTC with the given open, high, low, close.
struct Ohlc {
    double open, high, low, close;
};
inline BarSeries hourly_bars(std::initializer_list<Ohlc> rows) {
    BarSeries bars;
    std::int64_t ts = 1'704'067'200LL * kNanosPerSecond;
    for (const Ohlc& r : rows) {
        bars.push_back(Bar{Timestamp(ts), r.open, r.high, r.low, r.close, 1.0});
        ts += 3600LL * kNanosPerSecond;
    }
    return bars;
}

/// The event-driven form of a spec that is known to be valid.
inline std::unique_ptr<Strategy> strategy_of(const StrategySpec& spec) {
    auto strategy = make_strategy(spec);
    EXPECT_TRUE(strategy.has_value());
    return std::move(strategy).value();
}

/// Signal arrays of length n with 1 at the given bars.
inline std::vector<std::uint8_t> marks(std::size_t n, std::initializer_list<std::size_t> at) {
    std::vector<std::uint8_t> v(n, 0);
    for (const std::size_t i : at) {
        v[i] = 1;
    }
    return v;
}

inline void expect_same_trade(const Trade& a, const Trade& b) {
    EXPECT_EQ(a.symbol, b.symbol);
    EXPECT_EQ(a.side, b.side);
    EXPECT_EQ(a.exit_role, b.exit_role);
    EXPECT_EQ(a.entry_bar, b.entry_bar);
    EXPECT_EQ(a.exit_bar, b.exit_bar);
    EXPECT_EQ(a.entry_ns, b.entry_ns);
    EXPECT_EQ(a.exit_ns, b.exit_ns);
    EXPECT_EQ(a.size, b.size);
    EXPECT_EQ(a.entry_price, b.entry_price);
    EXPECT_EQ(a.exit_price, b.exit_price);
    EXPECT_EQ(a.gross_pnl, b.gross_pnl);
    EXPECT_EQ(a.commission, b.commission);
    EXPECT_EQ(a.net_pnl, b.net_pnl);
}

/// Optional metrics are equal when both are empty or both hold the same double.
inline bool same(const std::optional<double>& a, const std::optional<double>& b) {
    return a.has_value() == b.has_value() && (!a || *a == *b);
}

/// Two results are the same run: every trade, fill price, equity value and metric bit for bit.
inline void expect_same_result(const BacktestResult& a, const BacktestResult& b) {
    ASSERT_EQ(a.trades.size(), b.trades.size());
    for (std::size_t k = 0; k < a.trades.size(); ++k) {
        SCOPED_TRACE(::testing::Message() << "trade " << k);
        expect_same_trade(a.trades[k], b.trades[k]);
    }
    ASSERT_EQ(a.fills.size(), b.fills.size());
    for (std::size_t k = 0; k < a.fills.size(); ++k) {
        EXPECT_EQ(a.fills[k].bar, b.fills[k].bar) << "fill " << k;
        EXPECT_EQ(a.fills[k].size, b.fills[k].size) << "fill " << k;
        EXPECT_EQ(a.fills[k].price, b.fills[k].price) << "fill " << k;
        EXPECT_EQ(a.fills[k].cash_after, b.fills[k].cash_after) << "fill " << k;
        EXPECT_EQ(a.fills[k].role, b.fills[k].role) << "fill " << k;
    }
    ASSERT_EQ(a.equity.size(), b.equity.size());
    for (std::size_t i = 0; i < a.equity.size(); ++i) {
        ASSERT_EQ(a.equity[i], b.equity[i]) << "equity at bar " << i;
    }
    EXPECT_EQ(a.final_cash, b.final_cash);
    EXPECT_EQ(a.final_positions, b.final_positions);
    EXPECT_EQ(a.open_trades.size(), b.open_trades.size());
    EXPECT_EQ(a.rejected_orders, b.rejected_orders);
    EXPECT_EQ(a.unfilled_orders, b.unfilled_orders);
    const Metrics& m = a.metrics;
    const Metrics& n = b.metrics;
    EXPECT_EQ(m.final_value, n.final_value);
    EXPECT_EQ(m.max_drawdown_pct, n.max_drawdown_pct);
    EXPECT_EQ(m.max_drawdown_bars, n.max_drawdown_bars);
    EXPECT_TRUE(same(m.sharpe, n.sharpe));
    EXPECT_TRUE(same(m.sortino, n.sortino));
    EXPECT_TRUE(same(m.profit_factor, n.profit_factor));
    EXPECT_TRUE(same(m.win_rate, n.win_rate));
    EXPECT_EQ(m.total_commission, n.total_commission);
    EXPECT_EQ(m.exposure, n.exposure);
    EXPECT_EQ(m.turnover, n.turnover);
    EXPECT_EQ(m.days, n.days);
}

/// Runs the same signals through the event-driven engine and the simulator, checks that they
/// agree bit for bit, and returns the engine's result.
inline BacktestResult run_both(const BarSeriesView& bars, const SignalSet& set,
                               const Config& config) {
    const SymbolSeries series{"TEST", bars};
    auto strategy = make_signal_strategy(std::make_shared<const SignalSet>(set));
    BacktestResult event = run_backtest(series, *strategy, config);
    const BacktestResult vectorized = simulate(series, SignalView::of(set), config);
    expect_same_result(event, vectorized);
    return event;
}

/// The final-value identity of section 6.
inline void expect_final_value_identity(const BacktestResult& r, double tolerance = 1e-6) {
    double closed = 0;
    for (const Trade& t : r.trades) {
        closed += t.net_pnl;
    }
    double open = 0;
    for (const OpenTrade& t : r.open_trades) {
        open += t.unrealized_pnl - t.entry_commission;
    }
    EXPECT_NEAR(r.metrics.final_value, r.config.cash + closed + open, tolerance);
}

}  // namespace tradpal::backtest::testing

// SPDX-License-Identifier: Apache-2.0
// The event-driven engine running a built-in strategy bar by bar (streaming indicators, orders
// through the Context) and the vectorized simulator running the same strategy's signal arrays
// must give the same run, bit for bit: on synthetic series with flat stretches and on real
// data from ../shared/data, with stops, take-profits, trailing stops, reversals and the options.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/backtest/signals.hpp>
#include <tradpal/backtest/simulator.hpp>
#include <tradpal/data/csv.hpp>
#include <tradpal/data_testing/helpers.hpp>

#include "testing.hpp"

namespace tradpal::backtest {
namespace {

struct Case {
    std::string strategy;
    std::vector<std::string> params;
};

std::vector<Case> cases() {
    const std::vector<std::pair<std::string, std::vector<std::string>>> strategies = {
        {"sma_cross", {}},           {"sma_cross", {"ma=ema", "fast=5", "slow=20"}},
        {"rsi_reversion", {}},       {"macd_cross", {}},
        {"bollinger_reversion", {}}, {"donchian_breakout", {}},
    };
    const std::vector<std::vector<std::string>> variants = {
        {},
        {"allow_short=true"},
        {"stop_loss=0.01"},
        {"allow_short=true", "stop_loss=0.02", "take_profit=0.03"},
        {"trailing_stop=0.015"},
        {"allow_short=true", "trailing_stop=0.01", "stop_loss=0.02"},
    };
    std::vector<Case> out;
    for (const auto& [name, base] : strategies) {
        for (const auto& variant : variants) {
            Case c{name, base};
            c.params.insert(c.params.end(), variant.begin(), variant.end());
            out.push_back(c);
        }
    }
    return out;
}

/// A synthetic minute series whose prices sit still for stretches (two decimals, many
/// repeated closes), where averages tie and only exact arithmetic gives stable crossings.
BarSeries flat_prone_series(std::size_t n, std::uint64_t seed) {
    BarSeries raw = data_testing::synthetic_ohlcv(n, seed, Timeframe("1m"));
    BarSeries out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        Bar b = raw.bar(i);
        const bool still = (i / 50) % 3 == 0;  // one stretch in three does not move
        const double c = still && i > 0 ? out.bar(i - 1).close : std::round(b.close * 100) / 100;
        b.open = still && i > 0 ? c : std::round(b.open * 100) / 100;
        b.close = c;
        b.high = std::max({b.open, b.close, std::round(b.high * 100) / 100});
        b.low = std::min({b.open, b.close, std::round(b.low * 100) / 100});
        out.push_back(b);
    }
    return out;
}

void check_case(const BarSeriesView& bars, const Case& c, const Config& config) {
    SCOPED_TRACE(c.strategy + " " + ::testing::PrintToString(c.params));
    const auto spec = StrategySpec::make(c.strategy, c.params);
    ASSERT_TRUE(spec.has_value()) << spec.error().message;
    auto strategy = make_strategy(*spec);
    ASSERT_TRUE(strategy.has_value());
    const SymbolSeries series{"X", bars};
    const BacktestResult event = run_backtest(series, **strategy, config);
    const auto set = build_signals(*spec, bars);
    ASSERT_TRUE(set.has_value());
    const BacktestResult vectorized = simulate(series, SignalView::of(*set), config);
    testing::expect_same_result(event, vectorized);
    testing::expect_final_value_identity(event, 1e-6 * config.cash);
    // Metrics-only simulation, as sweeps run it: the same numbers.
    SimulationWorkspace workspace;
    std::vector<double> atr;
    if (config.sizing.mode == SizingMode::RiskAtr) {
        atr.resize(bars.size());
        signals::atr(bars.high(), bars.low(), bars.close(), config.sizing.atr_period, atr);
    }
    const Metrics fast = simulate_metrics(bars, SignalView::of(*set), config, atr, workspace);
    EXPECT_EQ(fast.final_value, event.metrics.final_value);
    EXPECT_EQ(fast.trades, event.metrics.trades);
    EXPECT_TRUE(testing::same(fast.sharpe, event.metrics.sharpe));
    EXPECT_EQ(fast.max_drawdown_pct, event.metrics.max_drawdown_pct);
}

TEST(Equivalence, BuiltInStrategiesOnSyntheticData) {
    const BarSeries bars = flat_prone_series(20'000, 5);
    std::size_t trades = 0;
    for (const Case& c : cases()) {
        check_case(bars, c, Config{});
        const auto spec = StrategySpec::make(c.strategy, c.params);
        trades += build_signals(*spec, bars)->long_entry.size() > 0 ? 1 : 0;
    }
    EXPECT_GT(trades, 0u);
}

/// The two metric-only paths of sweeps: crossings found during the simulation, and the four
/// signal arrays (themselves the event engine's signals, tested above).
TEST(Equivalence, CrossingsFoundDuringTheSimulationAreTheSignalArrays) {
    const BarSeries series = flat_prone_series(20'000, 3);
    const BarSeriesView bars = series.view();
    const std::vector<std::vector<std::string>> cases = {
        {"fast=3", "slow=9"},
        {"fast=10", "slow=30", "allow_short=true"},
        {"fast=5", "slow=20", "ma=ema", "allow_short=true", "stop_loss=0.003"},
        {"fast=8", "slow=21", "take_profit=0.004", "trailing_stop=0.002"},
    };
    Config other;  // no commission, slippage, fills at the close
    other.costs.commission = 0;
    other.costs.slippage_bps = 5;
    other.fill_price = FillPrice::Close;
    for (const Config& config : {Config{}, other}) {
        for (const auto& params : cases) {
            SCOPED_TRACE(::testing::PrintToString(params));
            const StrategySpec spec = StrategySpec::make("sma_cross", params).value();
            const SignalSet set = build_signals(spec, bars).value();
            AverageMemo memo;
            const bool ema = spec.get("ma") != 0;
            const auto fast = memo.average(ema, spec.integer("fast"), bars.close());
            const auto slow = memo.average(ema, spec.integer("slow"), bars.close());
            SimulationWorkspace a;
            SimulationWorkspace b;
            const Metrics from_arrays = simulate_metrics(bars, SignalView::of(set), config, {}, a);
            const Metrics from_lines = simulate_cross_metrics(
                bars, *fast, *slow, spec.allow_short(), spec.protection(), config, {}, b);
            EXPECT_GT(from_arrays.trades, 10U);
            EXPECT_EQ(from_lines.final_value, from_arrays.final_value);
            EXPECT_EQ(from_lines.trades, from_arrays.trades);
            EXPECT_EQ(from_lines.max_drawdown_pct, from_arrays.max_drawdown_pct);
            EXPECT_EQ(from_lines.sharpe, from_arrays.sharpe);
            EXPECT_EQ(from_lines.turnover, from_arrays.turnover);
        }
    }
}

TEST(Equivalence, ExecutionOptions) {
    const BarSeries bars = flat_prone_series(8'000, 9);
    Config close_fill;
    close_fill.fill_price = FillPrice::Close;
    Config same_bar;
    same_bar.stop_same_bar = true;
    Config costs;
    costs.costs.slippage_bps = 5;
    costs.costs.commission_fixed = 1;
    Config risk;
    risk.sizing.mode = SizingMode::RiskAtr;
    Config fixed;
    fixed.sizing.mode = SizingMode::FixedQuantity;
    fixed.sizing.quantity = 10;
    for (const Config& config : {close_fill, same_bar, costs, risk, fixed}) {
        for (const Case& c : cases()) {
            check_case(bars, c, config);
        }
    }
}

/// Bars of a shared dataset, or nullopt (the test then skips).
std::optional<BarSeries> shared_bars(const std::string& relative) {
    const auto shared = data_testing::shared_dir();
    if (!shared || !std::filesystem::exists(*shared / "data" / relative)) {
        return std::nullopt;
    }
    auto bars = data::read_bars_csv(*shared / "data" / relative);
    if (!bars) {
        ADD_FAILURE() << bars.error().message;
        return std::nullopt;
    }
    return std::move(*bars);
}

TEST(Equivalence, BuiltInStrategiesOnRealData) {
    const std::vector<std::string> files = {
        "btc-1m-binanceus-2023-03/binance/BTCUSDT_1m_20230301_20230321.csv",
        "btc-bitstamp-1h/Bitstamp_BTCUSD_1h.csv",
        "backtesting-py/GOOG.csv",
        "us-equities-daily-backtrader/orcl-1995-2014.txt",
    };
    std::size_t ran = 0;
    for (const std::string& file : files) {
        const auto bars = shared_bars(file);
        if (!bars) {
            continue;
        }
        SCOPED_TRACE(file);
        for (const Case& c : cases()) {
            check_case(*bars, c, Config{});
        }
        ++ran;
    }
    if (ran == 0) {
        GTEST_SKIP() << "../shared/data is not available";
    }
}

TEST(Equivalence, TargetPositions) {
    const BarSeries bars = flat_prone_series(3'000, 3);
    std::vector<double> target(bars.size(), signals::kNaN);
    for (std::size_t i = 0; i < target.size(); i += 97) {
        target[i] = std::sin(static_cast<double>(i)) * 0.9;  // long, short and partial changes
    }
    const SymbolSeries series{"X", bars};
    auto strategy = make_target_strategy(target, true);
    const BacktestResult event = run_backtest(series, *strategy, Config{});
    const BacktestResult vectorized = simulate_targets(series, target, Config{}, true);
    testing::expect_same_result(event, vectorized);
    EXPECT_GT(event.trades.size(), 5u);
    EXPECT_THROW(simulate_targets(series, target, Config{}, false),
                 Exception);  // shorts not allowed
}

TEST(Portfolio, OneSymbolPortfolioIsTheSingleSymbolBacktest) {
    const BarSeries bars = flat_prone_series(5'000, 21);
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.strategy);
        const auto spec = StrategySpec::make(c.strategy, c.params);
        const SymbolSeries series{"X", bars};
        auto single = make_strategy(*spec);
        const BacktestResult a = run_backtest(series, **single, Config{});
        std::vector<std::unique_ptr<Strategy>> children;
        children.push_back(testing::strategy_of(*spec));
        PerSymbolStrategy per_symbol(std::move(children));
        const BacktestResult b =
            run_portfolio(std::span<const SymbolSeries>(&series, 1), per_symbol, Config{});
        testing::expect_same_result(a, b);
    }
}

TEST(Portfolio, SymbolsOnDifferentCalendarsShareOneCashBalance) {
    // An hourly 24/7 series and a daily weekday-only one: the timeline is the union of both.
    const BarSeries crypto = flat_prone_series(24 * 60, 1);
    BarSeries daily;
    const BarSeries raw = data_testing::synthetic_ohlcv(60, 2, Timeframe("1d"));
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const std::int64_t day = raw.bar(i).ts.ns() / (86'400LL * kNanosPerSecond);
        if ((day + 4) % 7 < 5) {  // 1970-01-01 was a Thursday: keep Monday..Friday
            daily.push_back(raw.bar(i));
        }
    }
    // The hourly bars are minute bars in the generator; space them an hour apart.
    BarSeries hourly;
    for (std::size_t i = 0; i < crypto.size(); ++i) {
        Bar b = crypto.bar(i);
        b.ts =
            Timestamp(raw.bar(0).ts.ns() + static_cast<std::int64_t>(i) * 3600LL * kNanosPerSecond);
        hourly.push_back(b);
    }
    const std::vector<SymbolSeries> symbols = {{"BTC/USD", hourly}, {"SPY", daily}};
    const auto spec = StrategySpec::make("sma_cross", std::vector<std::string>{"fast=3", "slow=8"});
    std::vector<std::unique_ptr<Strategy>> children;
    children.push_back(testing::strategy_of(*spec));
    children.push_back(testing::strategy_of(*spec));
    PerSymbolStrategy strategy(std::move(children));
    const BacktestResult r = run_portfolio(symbols, strategy, Config{});
    std::size_t steps = hourly.size();
    for (std::size_t i = 0; i < daily.size(); ++i) {
        const auto ts = hourly.view().ts();
        steps += std::binary_search(ts.begin(), ts.end(), daily.view().ts()[i]) ? 0 : 1;
    }
    EXPECT_EQ(r.equity.size(), steps);
    EXPECT_EQ(r.step_ns.size(), steps);
    bool traded[2] = {false, false};
    for (const Trade& t : r.trades) {
        traded[t.symbol] = true;
    }
    EXPECT_TRUE(traded[0] && traded[1]);
    testing::expect_final_value_identity(r, 1e-6);
    // Each symbol had half the equity to size with: no order was refused for lack of cash.
    EXPECT_EQ(r.rejected_orders, 0u);
}

TEST(Determinism, SameInputsGiveTheSameRun) {
    const BarSeries bars = flat_prone_series(4'000, 8);
    const auto spec = StrategySpec::make(
        "macd_cross", std::vector<std::string>{"allow_short=true", "stop_loss=0.01"});
    const SymbolSeries series{"X", bars};
    auto first = make_strategy(*spec);
    auto second = make_strategy(*spec);
    testing::expect_same_result(run_backtest(series, **first, Config{}),
                                run_backtest(series, **second, Config{}));
}

}  // namespace
}  // namespace tradpal::backtest

// SPDX-License-Identifier: Apache-2.0
// Hand-computed cases, one per rule of BACKTEST_SEMANTICS.md. Each runs through both engines
// (run_both checks that they agree bit for bit) and compares with numbers worked out here.
#include <cmath>
#include <functional>
#include <limits>

#include <gtest/gtest.h>

#include "testing.hpp"

namespace tradpal::backtest {
namespace {

using testing::hourly_bars;
using testing::marks;
using testing::run_both;

SignalSet long_only(std::size_t n, std::initializer_list<std::size_t> entries,
                    std::initializer_list<std::size_t> exits) {
    SignalSet set;
    set.long_entry = marks(n, entries);
    set.long_exit = marks(n, exits);
    set.short_entry = marks(n, {});
    set.short_exit = marks(n, {});
    return set;
}

TEST(Semantics, MarketOrderFillsAtTheNextOpenWithItsCommission) {
    const BarSeries bars = hourly_bars({{100, 101, 99, 100},
                                        {100, 102, 99, 101},
                                        {103, 104, 102, 103},
                                        {104, 106, 103, 105},
                                        {106, 107, 104, 106}});
    Config config;  // 100000 cash, 0.95, 1e-8 lots, 0.1% commission
    const BacktestResult r = run_both(bars, long_only(5, {1}, {3}), config);
    // q at the close of bar 1: floor((0.95 * 100000 / 101) * 1e8) / 1e8.
    const double q = std::floor(((0.95 * 100000.0) / 101.0) * 1e8) / 1e8;
    ASSERT_EQ(r.trades.size(), 1u);
    const Trade& t = r.trades[0];
    EXPECT_EQ(t.entry_bar, 2u);
    EXPECT_EQ(t.entry_price, 103.0);  // the open of bar 2, not bar 1's close
    EXPECT_EQ(t.exit_bar, 4u);
    EXPECT_EQ(t.exit_price, 106.0);
    EXPECT_EQ(t.size, q);
    const double entry_fee = q * 0.001 * 103.0;
    const double exit_fee = q * 0.001 * 106.0;
    EXPECT_EQ(t.commission, entry_fee + exit_fee);
    EXPECT_EQ(t.gross_pnl, q * (106.0 - 103.0));
    EXPECT_EQ(t.net_pnl, t.gross_pnl - t.commission);
    EXPECT_EQ(t.exit_role, OrderRole::Signal);
    // backtrader's order of operations: a close leg adds entry value + profit, then the fee.
    const double cash_after_entry = (100000.0 - q * 103.0) - entry_fee;
    const double cash = (cash_after_entry + (q * 103.0 + q * (106.0 - 103.0))) - exit_fee;
    EXPECT_EQ(r.final_cash, cash);
    // Marked every bar: bar 2 holds q at its close.
    EXPECT_EQ(r.equity[1], 100000.0);
    EXPECT_EQ(r.equity[2], cash_after_entry + q * 103.0);
    testing::expect_final_value_identity(r);
}

TEST(Semantics, EntryThatCannotBeAffordedAtAGapUpIsRejected) {
    // Sized on bar 0's close (100); bar 1 opens at 110: 0.95 x 110/100 > 1 of the cash.
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100}, {110, 111, 109, 110}, {110, 111, 109, 110}});
    const BacktestResult r = run_both(bars, long_only(3, {0}, {}), Config{});
    EXPECT_TRUE(r.trades.empty());
    EXPECT_TRUE(r.open_trades.empty());
    EXPECT_EQ(r.rejected_orders, 1u);
    EXPECT_EQ(r.final_cash, 100000.0);  // no fill, no fee
    EXPECT_EQ(r.final_positions[0], 0.0);
}

TEST(Semantics, EntryThatJustFitsIsFilled) {
    // 0.95 x 105/100 < 1: affordable.
    const BarSeries bars = hourly_bars({{100, 100, 100, 100}, {105, 106, 104, 105}});
    const BacktestResult r = run_both(bars, long_only(2, {0}, {}), Config{});
    EXPECT_EQ(r.rejected_orders, 0u);
    ASSERT_EQ(r.open_trades.size(), 1u);
    EXPECT_EQ(r.open_trades[0].entry_price, 105.0);
}

TEST(Semantics, StopGappedThroughFillsAtTheOpen) {
    const BarSeries bars = hourly_bars({{100, 100, 100, 100},
                                        {100, 101, 99, 100},  // entry fills at 100
                                        {93, 94, 90, 92},     // opens below the stop at 95
                                        {92, 93, 91, 92}});
    SignalSet set = long_only(4, {0}, {});
    set.protection.stop_loss = 0.05;
    const BacktestResult r = run_both(bars, set, Config{});
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_EQ(r.trades[0].exit_role, OrderRole::StopLoss);
    EXPECT_EQ(r.trades[0].exit_bar, 2u);
    EXPECT_EQ(r.trades[0].exit_price, 93.0);
}

TEST(Semantics, StopTouchedInsideTheBarFillsAtTheStopPrice) {
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100},
                     {100, 101, 99, 100},  // entry at 100, stop at (1 - 0.05) x 100
                     {99, 99.5, 94, 96},   // the low reaches 95
                     {96, 97, 95, 96}});
    SignalSet set = long_only(4, {0}, {});
    set.protection.stop_loss = 0.05;
    const BacktestResult r = run_both(bars, set, Config{});
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_EQ(r.trades[0].exit_price, (1 - 0.05) * 100.0);
    EXPECT_EQ(r.trades[0].exit_bar, 2u);
}

TEST(Semantics, StopIsNotTestedOnTheBarItsEntryFilled) {
    // The entry bar's low is below the stop: the stop only exists after that bar's fills.
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100}, {100, 101, 90, 100}, {100, 101, 99, 100}});
    SignalSet set = long_only(3, {0}, {});
    set.protection.stop_loss = 0.05;
    const BacktestResult r = run_both(bars, set, Config{});
    EXPECT_TRUE(r.trades.empty());
    EXPECT_EQ(r.open_trades.size(), 1u);
    EXPECT_EQ(r.unfilled_orders, 1u);  // the stop, still pending at the end

    // With same-bar activation it is.
    Config same_bar;
    same_bar.stop_same_bar = true;
    const BacktestResult s = run_both(bars, set, same_bar);
    ASSERT_EQ(s.trades.size(), 1u);
    EXPECT_EQ(s.trades[0].exit_bar, 1u);
    EXPECT_EQ(s.trades[0].exit_price, 95.0);
}

TEST(Semantics, ExitSignalOnTheEntryBarCancelsTheStop) {
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100},
                     {100, 101, 99, 100},  // entry fills; exit signal at this close
                     {99, 99, 90, 91},     // exit fills at the open; the stop would have too
                     {91, 92, 90, 91}});
    SignalSet set = long_only(4, {0}, {1});
    set.protection.stop_loss = 0.05;
    const BacktestResult r = run_both(bars, set, Config{});
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_EQ(r.trades[0].exit_role, OrderRole::Signal);
    EXPECT_EQ(r.trades[0].exit_price, 99.0);
    EXPECT_EQ(r.fills.size(), 2u);
    EXPECT_EQ(r.unfilled_orders, 0u);
}

TEST(Semantics, TakeProfitAndTrailingStop) {
    const BarSeries bars = hourly_bars({{100, 100, 100, 100},
                                        {100, 101, 99, 100},     // entry at 100; take-profit at 110
                                        {101, 112, 100, 111}});  // the high reaches 110
    SignalSet set = long_only(3, {0}, {});
    set.protection.take_profit = 0.10;
    const BacktestResult r = run_both(bars, set, Config{});
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_EQ(r.trades[0].exit_role, OrderRole::TakeProfit);
    EXPECT_EQ(r.trades[0].exit_price, (1 + 0.10) * 100.0);

    // Trailing 5%: starts at 100 - 100 x 0.05, follows the closes 110 and 120 up, then fills.
    const BarSeries trend = hourly_bars({{100, 100, 100, 100},
                                         {100, 101, 99, 100},
                                         {101, 111, 100, 110},
                                         {110, 121, 109, 120},
                                         {119, 119, 112, 113}});
    SignalSet trail = long_only(5, {0}, {});
    trail.protection.trailing_stop = 0.05;
    const BacktestResult t = run_both(trend, trail, Config{});
    ASSERT_EQ(t.trades.size(), 1u);
    EXPECT_EQ(t.trades[0].exit_role, OrderRole::TrailingStop);
    EXPECT_EQ(t.trades[0].exit_price, 120.0 - 120.0 * 0.05);
}

TEST(Semantics, ReversalIsOneOrderOfTwoLegsEachPayingItsFee) {
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100},
                     {100, 101, 99, 100},   // long fills at 100; reversal signal at close
                     {102, 103, 101, 102},  // reversal fills at 102
                     {101, 102, 100, 101}});
    SignalSet set;
    set.allow_short = true;
    set.long_entry = marks(4, {0});
    set.short_exit = marks(4, {0});
    set.short_entry = marks(4, {1});
    set.long_exit = marks(4, {1});
    const BacktestResult r = run_both(bars, set, Config{});
    const double q1 = std::floor(((0.95 * 100000.0) / 100.0) * 1e8) / 1e8;
    const double cash1 = 100000.0 - q1 * 100.0 - q1 * 0.001 * 100.0;
    const double equity1 = cash1 + q1 * 100.0;
    const double q2 = std::floor(((0.95 * equity1) / 100.0) * 1e8) / 1e8;
    const double size = -q2 - q1;       // target - position
    const double open_leg = q1 + size;  // position + (target - position), in doubles
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_EQ(r.trades[0].exit_role, OrderRole::Reversal);
    EXPECT_EQ(r.trades[0].commission, q1 * 0.001 * 100.0 + q1 * 0.001 * 102.0);
    ASSERT_EQ(r.open_trades.size(), 1u);
    EXPECT_EQ(r.open_trades[0].side, Side::Short);
    EXPECT_EQ(r.open_trades[0].size, std::fabs(open_leg));
    EXPECT_EQ(r.open_trades[0].entry_commission, std::fabs(open_leg) * 0.001 * 102.0);
    EXPECT_EQ(r.final_positions[0], open_leg);
    ASSERT_EQ(r.fills.size(), 2u);
    EXPECT_EQ(r.fills[1].commission, q1 * 0.001 * 102.0 + std::fabs(open_leg) * 0.001 * 102.0);
    testing::expect_final_value_identity(r);
}

TEST(Semantics, ShortToLongReversalWhoseLongLegIsUnaffordableLeavesTheStrategyFlat) {
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100},
                     {100, 101, 99, 100},   // short fills at 100
                     {100, 101, 99, 50},    // price halves: equity grows; buy signal
                     {120, 121, 119, 120},  // the open gaps up: the long leg is too big
                     {120, 121, 119, 120}});
    SignalSet set;
    set.allow_short = true;
    set.short_entry = marks(5, {0});
    set.long_exit = marks(5, {0});
    set.long_entry = marks(5, {2});
    set.short_exit = marks(5, {2});
    const BacktestResult r = run_both(bars, set, Config{});
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_EQ(r.trades[0].side, Side::Short);
    EXPECT_EQ(r.trades[0].exit_price, 120.0);
    EXPECT_EQ(r.rejected_orders, 1u);
    EXPECT_TRUE(r.open_trades.empty());
    EXPECT_EQ(r.final_positions[0], 0.0);
}

TEST(Semantics, OrderCreatedAtTheLastCloseNeverFills) {
    const BarSeries bars = hourly_bars({{100, 100, 100, 100}, {100, 101, 99, 100}});
    const BacktestResult r = run_both(bars, long_only(2, {1}, {}), Config{});
    EXPECT_TRUE(r.fills.empty());
    EXPECT_EQ(r.unfilled_orders, 1u);
    EXPECT_EQ(r.metrics.final_value, 100000.0);
}

TEST(Semantics, OpenPositionIsMarkedAtTheLastCloseAndNotLiquidated) {
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100}, {100, 101, 99, 100}, {100, 111, 99, 110}});
    const BacktestResult r = run_both(bars, long_only(3, {0}, {}), Config{});
    ASSERT_EQ(r.open_trades.size(), 1u);
    const double q = r.open_trades[0].size;
    EXPECT_DOUBLE_EQ(r.metrics.final_value, r.final_cash + q * 110.0);
    EXPECT_EQ(r.open_trades[0].unrealized_pnl, q * (110.0 - 100.0));
    testing::expect_final_value_identity(r);
}

TEST(Semantics, SignalsThatDoNotMeetTheirPositionConditionAreForgotten) {
    // An exit while flat (bar 0) and an entry while long (bar 2) do nothing, now or later.
    const BarSeries bars = hourly_bars({{100, 100, 100, 100},
                                        {100, 101, 99, 100},
                                        {100, 101, 99, 100},
                                        {100, 101, 99, 100},
                                        {100, 101, 99, 100}});
    const BacktestResult r = run_both(bars, long_only(5, {1, 2}, {0, 3}), Config{});
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_EQ(r.trades[0].entry_bar, 2u);
    EXPECT_EQ(r.trades[0].exit_bar, 4u);
}

TEST(Semantics, FillAtCloseOption) {
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100}, {100, 101, 99, 101}, {103, 104, 102, 103}});
    Config config;
    config.fill_price = FillPrice::Close;
    const BacktestResult r = run_both(bars, long_only(3, {1}, {2}), config);
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_EQ(r.trades[0].entry_bar, 1u);
    EXPECT_EQ(r.trades[0].entry_price, 101.0);
    EXPECT_EQ(r.trades[0].exit_price, 103.0);
}

TEST(Semantics, SlippageMovesFillsAgainstTheOrder) {
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100}, {100, 101, 99, 100}, {110, 111, 109, 110}});
    Config config;
    config.costs.slippage_bps = 10;
    const BacktestResult r = run_both(bars, long_only(3, {0}, {1}), config);
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_EQ(r.trades[0].entry_price, 100.0 * (1 + 10 * 1e-4));
    EXPECT_EQ(r.trades[0].exit_price, 110.0 * (1 - 10 * 1e-4));
}

TEST(Semantics, FixedCommissionIsAddedPerFill) {
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100}, {100, 101, 99, 100}, {110, 111, 109, 110}});
    Config config;
    config.costs.commission = 0;
    config.costs.commission_fixed = 2.5;
    const BacktestResult r = run_both(bars, long_only(3, {0}, {1}), config);
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_EQ(r.trades[0].commission, 5.0);
}

TEST(Semantics, SizingModes) {
    const BarSeries bars =
        hourly_bars({{100, 100, 100, 100}, {100, 101, 99, 100}, {100, 101, 99, 100}});
    Config fixed;
    fixed.sizing.mode = SizingMode::FixedQuantity;
    fixed.sizing.quantity = 3;
    EXPECT_EQ(run_both(bars, long_only(3, {0}, {}), fixed).open_trades.at(0).size, 3.0);
    Config cash;
    cash.sizing.mode = SizingMode::FixedCash;
    cash.sizing.cash_amount = 1000;
    cash.sizing.lot_step = 0.1;
    EXPECT_EQ(run_both(bars, long_only(3, {0}, {}), cash).open_trades.at(0).size,
              std::floor((1000.0 / 100.0) * 10) / 10);
}

TEST(Semantics, MaxDrawdownAndSharpeFollowSectionSeven) {
    // Two days: equity 100000 -> ... The strategy stays flat: returns are zero, deviation zero.
    const BarSeries bars = hourly_bars({{100, 100, 100, 100}, {100, 101, 99, 100}});
    const BacktestResult flat = run_both(bars, long_only(2, {}, {}), Config{});
    EXPECT_FALSE(flat.metrics.sharpe.has_value());
    EXPECT_EQ(flat.metrics.max_drawdown_pct, 0.0);

    EquityStats stats(100);
    const std::int64_t day = 86'400LL * kNanosPerSecond;
    stats.observe(0, 100, false);
    stats.observe(3600LL * kNanosPerSecond, 120, true);  // day 1 ends at 120
    stats.observe(day, 90, true);                        // peak 120 -> 90: 25%
    stats.observe(day + 1, 99, true);                    // day 2 ends at 99
    stats.observe(2 * day, 130, true);                   // day 3 ends at 130
    Metrics m;
    stats.finish(252, 0, m);
    EXPECT_EQ(m.max_drawdown_pct, 100 * (120.0 - 90.0) / 120.0);
    EXPECT_EQ(m.days, 3u);
    const double r1 = 120.0 / 100.0 - 1;
    const double r2 = 99.0 / 120.0 - 1;
    const double r3 = 130.0 / 99.0 - 1;
    const double mean = (r1 + r2 + r3) / 3;
    const double sd = std::sqrt(
        ((r1 - mean) * (r1 - mean) + (r2 - mean) * (r2 - mean) + (r3 - mean) * (r3 - mean)) / 3);
    ASSERT_TRUE(m.sharpe.has_value());
    EXPECT_NEAR(*m.sharpe, std::sqrt(252.0) * mean / sd, 1e-12);
    EXPECT_EQ(m.max_drawdown_bars, 3u);  // from the peak (bar 1) to the recovery (bar 4)
}

}  // namespace
}  // namespace tradpal::backtest

namespace tradpal::backtest {
namespace {

class AnyBar : public Strategy {
public:
    void on_bar(Context&) override {}
};

TEST(BadBars, AreRefusedNamingTheBarWhereverTheyAre) {
    const auto with_bad_bar = [](const std::function<void(BarSeries&)>& spoil) {
        BarSeries bars = testing::hourly_bars(
            {{10, 11, 9, 10}, {10, 11, 9, 10}, {10, 11, 9, 10}, {10, 11, 9, 10}});
        spoil(bars);
        return bars;
    };
    const std::pair<const char*, std::function<void(BarSeries&)>> cases[] = {
        {"not a positive number (nan)",
         [](BarSeries& b) {
             b.close()[2] = std::nan("");
         }},
        {"not a positive number (-1)",
         [](BarSeries& b) {
             b.low()[2] = -1;
         }},
        {"not a positive number (0)",
         [](BarSeries& b) {
             b.open()[2] = 0;
         }},
        {"not a positive number (inf)",
         [](BarSeries& b) {
             b.high()[2] = std::numeric_limits<double>::infinity();
         }},
        {"volume that is not a number",
         [](BarSeries& b) {
             b.volume()[2] = std::nan("");
         }},
        {"not after the bar before it",
         [](BarSeries& b) {
             b.ts()[2] = b.ts()[1];
         }},
    };
    for (const auto& [message, spoil] : cases) {
        const BarSeries bars = with_bad_bar(spoil);
        const SymbolSeries series{"BAD", bars};
        AnyBar strategy;
        try {
            run_backtest(series, strategy, Config{});
            ADD_FAILURE() << "accepted: " << message;
        } catch (const Exception& e) {
            EXPECT_NE(std::string(e.what()).find("BAD: bar 2"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
        }
        const BarSeries good_bars = with_bad_bar([](BarSeries&) {});
        const SymbolSeries good{"GOOD", good_bars};
        const SymbolSeries both[] = {good, series};
        EXPECT_THROW(run_portfolio(both, strategy, Config{}), Exception) << message;
    }
    // A positive subnormal price and a negative volume are not refused here.
    const BarSeries odd = with_bad_bar([](BarSeries& b) {
        b.low()[1] = std::numeric_limits<double>::denorm_min();
        b.volume()[1] = -5;
    });
    AnyBar strategy;
    EXPECT_NO_THROW(run_backtest(SymbolSeries{"ODD", odd}, strategy, Config{}));
}

}  // namespace
}  // namespace tradpal::backtest

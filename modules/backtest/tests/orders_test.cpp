// SPDX-License-Identifier: Apache-2.0
// The order types of the event-driven API, by hand: each case places one order at the close of
// bar 0 and checks the bar and the price of its fill (BACKTEST_SEMANTICS.md section 4-5 and
// docs/BACKTEST.md: open when the bar gaps through the price, else the order's price).
// backtrader (Limit, Stop, StopLimit with plimit, StopTrail with trailpercent, no commission)
// gives the same bar and price in all ten cases of the first test.
#include <functional>

#include <gtest/gtest.h>

#include "testing.hpp"

namespace tradpal::backtest {
namespace {

// Bar 1 trades around 100, bar 2 gaps down, bar 3 gaps up.
BarSeries four_bars() {
    return testing::hourly_bars(
        {{100, 101, 99, 100}, {100, 102, 98, 101}, {97, 99, 95, 96}, {103, 106, 102, 105}});
}

class PlaceAtFirstClose : public Strategy {
public:
    explicit PlaceAtFirstClose(std::function<void(Context&)> place) : place_(std::move(place)) {}
    void on_bar(Context& ctx) override {
        if (ctx.index() == 0) {
            place_(ctx);
        }
    }

private:
    std::function<void(Context&)> place_;
};

struct Case {
    const char* name;
    std::function<void(Context&)> place;
    std::size_t bar;  // of the fill
    double price;
};

TEST(Orders, FillAtTheirPriceOrAtAGappingOpen) {
    const Case cases[] = {
        {"limit buy reached inside bar 1", [](Context& c) { c.limit(10, 99); }, 1, 99},
        {"limit buy reached on bar 2", [](Context& c) { c.limit(10, 96); }, 2, 96},
        {"limit buy below a gap-down open", [](Context& c) { c.limit(10, 97.5); }, 2, 97},
        {"limit sell above a gap-up open", [](Context& c) { c.limit(-10, 102.5); }, 3, 103},
        {"stop buy touched inside bar 1", [](Context& c) { c.stop(10, 101.5); }, 1, 101.5},
        {"stop buy gapped through", [](Context& c) { c.stop(10, 102.5); }, 3, 103},
        {"stop sell touched inside bar 2", [](Context& c) { c.stop(-10, 96.5); }, 2, 96.5},
        {"stop-limit, limit beyond the trigger: at the trigger",
         [](Context& c) { c.stop_limit(10, 101.5, 102); }, 1, 101.5},
        {"stop-limit, limit short of the trigger: a limit from then on",
         [](Context& c) { c.stop_limit(10, 101.5, 101); }, 2, 97},
        // Starts at 100 - 3, follows bar 1's close to 101 - 3.03, then bar 2 opens below it.
        {"trailing stop sell", [](Context& c) { c.trailing_stop(-10, 0.03); }, 2, 97},
    };
    Config config;
    config.costs.commission = 0;
    const BarSeries bars = four_bars();
    for (const Case& c : cases) {
        PlaceAtFirstClose strategy(c.place);
        const BacktestResult r = run_backtest(SymbolSeries{"X", bars}, strategy, config);
        ASSERT_EQ(r.fills.size(), 1U) << c.name;
        EXPECT_EQ(r.fills[0].bar, c.bar) << c.name;
        EXPECT_EQ(r.fills[0].price, c.price) << c.name;
        EXPECT_EQ(r.unfilled_orders, 0U) << c.name;
        testing::expect_final_value_identity(r);
    }
}

TEST(Orders, UnreachedOrdersStayPendingAndCancelledOnesNeverFill) {
    const BarSeries bars = four_bars();
    PlaceAtFirstClose never([](Context& c) { c.limit(10, 90); });
    const BacktestResult pending = run_backtest(SymbolSeries{"X", bars}, never, Config{});
    EXPECT_TRUE(pending.fills.empty());
    EXPECT_EQ(pending.unfilled_orders, 1U);

    class CancelAtSecondClose : public Strategy {
    public:
        void on_bar(Context& ctx) override {
            if (ctx.index() == 0) {
                id_ = ctx.stop(10, 102.5);  // would fill at bar 3's open
            } else if (ctx.index() == 1) {
                EXPECT_TRUE(ctx.cancel(id_));
                EXPECT_FALSE(ctx.cancel(id_));
            }
        }

    private:
        OrderId id_ = 0;
    };
    CancelAtSecondClose cancelling;
    const BacktestResult cancelled = run_backtest(SymbolSeries{"X", bars}, cancelling, Config{});
    EXPECT_TRUE(cancelled.fills.empty());
    EXPECT_EQ(cancelled.unfilled_orders, 0U);
}

}  // namespace
}  // namespace tradpal::backtest

// SPDX-License-Identifier: Apache-2.0
// The event-driven engine: a Strategy sees each bar at its close and places orders; the engine
// fills them on later bars under the rules of BACKTEST_SEMANTICS.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/metrics.hpp>
#include <tradpal/backtest/types.hpp>
#include <tradpal/core/bar_series.hpp>

namespace tradpal::backtest {

using OrderId = std::uint64_t;

enum class OrderType : std::uint8_t { Market, Limit, Stop, StopLimit, TrailingStop };

/// A live order. Sizes are signed: + buys, - sells.
struct Order {
    OrderId id = 0;
    std::uint32_t symbol = 0;
    OrderType type = OrderType::Market;
    OrderRole role = OrderRole::Signal;
    double size = 0;
    double stop_price = 0;        ///< Stop, StopLimit, TrailingStop: the trigger
    double limit_price = 0;       ///< Limit, StopLimit
    double trail = 0;             ///< TrailingStop: fraction of the close the trigger follows at
    std::size_t active_from = 0;  ///< first timeline step on which it may fill
    std::uint64_t oco_group =
        0;                   ///< orders of one group cancel each other when one fills (0 = none)
    Protection protection;   ///< protective orders to create when this order opens a position
    bool triggered = false;  ///< StopLimit: the stop has been touched, it is a limit now
};

/// One symbol of a run: its name and its bars (ascending, finite; see validate_bars()).
struct SymbolSeries {
    std::string name;
    BarSeriesView bars;
};

/// Everything a run produced. Trades and fills are in the order they happened.
struct BacktestResult {
    std::vector<std::string> symbols;
    Config config;
    std::vector<Trade> trades;
    std::vector<OpenTrade> open_trades;  ///< at most one per symbol
    std::vector<Fill> fills;
    /// The timeline of a portfolio (the union of its bar times), one entry per equity value;
    /// empty for a single symbol, whose steps are its own bars (see timeline()).
    std::vector<std::int64_t> step_ns;
    std::vector<double> equity;  ///< cash + positions marked at the last closes, per step
    double final_cash = 0;
    std::vector<double> final_positions;  ///< per symbol
    std::size_t rejected_orders = 0;      ///< opening legs refused for lack of cash
    std::size_t unfilled_orders = 0;      ///< still pending after the last bar
    double traded_value = 0;              ///< sum of |size| x price over all fills
    Metrics metrics;
};

/// The time of each equity value: the portfolio timeline, or the bars of a single symbol.
inline std::span<const std::int64_t> timeline(const BacktestResult& result,
                                              std::span<const SymbolSeries> symbols) noexcept {
    return result.step_ns.empty() && !symbols.empty()
               ? symbols.front().bars.ts()
               : std::span<const std::int64_t>(result.step_ns);
}

class Context;

/// A trading strategy. The engine calls on_start once, on_bar at every close (for a
/// portfolio: once per timeline step, see Context::active_symbols()), on_fill after each
/// execution, and on_stop after the last bar. Orders placed in on_bar fill no earlier than the
/// next bar of their symbol; orders placed in on_fill are live from the next bar.
class Strategy {
public:
    virtual ~Strategy() = default;
    /// Precompute indicators here (Context::series() is the whole series); never read a bar
    /// after Context::index() when deciding.
    virtual void on_start(Context&) {}
    virtual void on_bar(Context& ctx) = 0;
    virtual void on_fill(Context&, const Fill&) {}
    virtual void on_stop(Context&) {}
};

namespace detail {
class Engine;
}

/// The strategy's view of the run at the close of the current bar: data up to and including
/// the current bar, the account, and order entry. Everything refers to the focused symbol
/// (the only one in a single-symbol run).
class Context {
public:
    explicit Context(detail::Engine& engine) noexcept : engine_(&engine) {}

    // --- where we are
    std::size_t symbol() const noexcept { return symbol_; }
    std::size_t symbol_count() const noexcept;
    const std::string& symbol_name() const noexcept;
    /// Symbols with a bar at the current step, ascending (a single-symbol run: always {0}).
    std::span<const std::uint32_t> active_symbols() const noexcept;
    /// Points the accessors and order entry at another symbol.
    void focus(std::size_t symbol) noexcept;
    /// Index of the current bar in the focused symbol's series (its last bar so far).
    std::size_t index() const noexcept { return *focus_.bar; }
    std::size_t step() const noexcept;
    /// The focused symbol's whole series, for precomputation in on_start.
    const BarSeriesView& series() const noexcept { return *focus_.series; }
    /// Bar `ago` bars back from the current one (0 = current); ago <= index().
    Bar bar(std::size_t ago = 0) const noexcept { return series().bar(index() - ago); }
    double close(std::size_t ago = 0) const noexcept { return series().close()[index() - ago]; }
    Timestamp time() const noexcept { return series().time(index()); }

    // --- the account
    double cash() const noexcept;
    /// cash + every position at its symbol's last close (the mark of this step).
    double equity() const noexcept;
    double position() const noexcept { return *focus_.position; }
    double position(std::size_t symbol) const noexcept;
    const Config& config() const noexcept;
    /// The default order size q at this close for the focused symbol, from the sizing
    /// settings (BACKTEST_SEMANTICS.md section 3); 0 when nothing can be bought.
    double order_size() const noexcept;
    /// Weight of the focused symbol in portfolio sizing (1 / symbols by default).
    double weight() const noexcept;

    // --- orders (focused symbol; sizes signed, + buys)
    OrderId market(double size, OrderRole role = OrderRole::Signal, Protection protection = {});
    OrderId limit(double size, double price);
    OrderId stop(double size, double trigger);
    OrderId stop_limit(double size, double trigger, double limit);
    OrderId trailing_stop(double size, double trail_fraction);
    /// Cancels the protective orders of the focused symbol, then one market order of
    /// target - position (a reversal when the sign changes). Returns 0 when nothing to do.
    OrderId target(double target_size, Protection protection = {});
    /// Cancels the protective orders, then a market order for -position. 0 when flat.
    OrderId close_position(OrderRole role = OrderRole::Signal);
    /// Removes a pending order now; false if it is not pending.
    bool cancel(OrderId id);
    /// Removes the focused symbol's pending protective orders now.
    void cancel_protection();
    /// Pending orders of the focused symbol.
    std::size_t pending_orders() const noexcept;

private:
    /// An order of the focused symbol.
    Order new_order(OrderType type, double size) const noexcept;

    // The focused symbol's state inside the engine, read inline on every bar.
    struct Focus {
        const BarSeriesView* series = nullptr;
        const std::size_t* bar = nullptr;
        const double* position = nullptr;
    };

    detail::Engine* engine_;
    std::size_t symbol_ = 0;
    Focus focus_;
};

/// Rejects series the engine cannot trade: empty, unsorted or duplicate times, NaN or
/// non-positive prices. Errors: InvalidArgument or ValidationFailed naming the bar.
Result<void> validate_bars(const BarSeriesView& bars, std::string_view symbol = {});

/// Runs `strategy` over one series.
/// Throws: tradpal::Exception (InvalidArgument) for a bad config or series.
BacktestResult run_backtest(const SymbolSeries& series, Strategy& strategy, const Config& config);

/// Runs `strategy` over several symbols sharing one cash balance. The timeline is the union of
/// all bar times; at each step the symbols with a bar there fill their orders, every position
/// is marked at its symbol's last close, and the strategy sees the step. `weights` (one per
/// symbol, default 1 / symbols) scale the default order size.
BacktestResult run_portfolio(std::span<const SymbolSeries> symbols, Strategy& strategy,
                             const Config& config, std::span<const double> weights = {});

/// Runs one strategy instance per symbol, each seeing only its own symbol's bars; made by a
/// factory so that a portfolio can trade the same rules on every symbol.
class PerSymbolStrategy : public Strategy {
public:
    explicit PerSymbolStrategy(std::vector<std::unique_ptr<Strategy>> children)
        : children_(std::move(children)) {}
    void on_start(Context& ctx) override;
    void on_bar(Context& ctx) override;
    void on_fill(Context& ctx, const Fill& fill) override;
    void on_stop(Context& ctx) override;

private:
    std::vector<std::unique_ptr<Strategy>> children_;
};

}  // namespace tradpal::backtest

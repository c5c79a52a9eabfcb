// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include <tradpal/backtest/signals.hpp>
#include <tradpal/backtest/simulator.hpp>

#include "execution.hpp"

namespace tradpal::backtest {
namespace {

/// What a decision at a close asks for.
struct OrderRequest {
    double size = 0;  // 0: nothing
    OrderRole role = OrderRole::Signal;
    bool protect = false;  // an entry: arm the protective orders when it opens a position
};

/// An entry of `direction` at this close: q from the sizing (a reversal when a position of
/// the other side is open), nothing when q is 0.
OrderRequest entry_request(double direction, std::size_t i, double position, double equity,
                           double close, const Sizing& sizing,
                           std::span<const double> atr) noexcept {
    const double q = detail::order_size(sizing, equity, close, atr.empty() ? 0.0 : atr[i], 1.0);
    if (q <= 0) {
        return {};
    }
    return {direction * q - position, position != 0 ? OrderRole::Reversal : OrderRole::Signal,
            true};
}

/// Decides like the event-driven SignalFollower (strategies.cpp).
struct SignalDecider {
    SignalView s;
    const Sizing* sizing;
    std::span<const double> atr;

    OrderRequest operator()(std::size_t i, double position, double equity,
                            double close) const noexcept {
        if (s.long_entry[i] != 0 && position <= 0) {
            return enter(1, i, position, equity, close);
        }
        if (s.allow_short && s.short_entry[i] != 0 && position >= 0) {
            return enter(-1, i, position, equity, close);
        }
        if ((s.long_exit[i] != 0 && position > 0) ||
            (s.allow_short && s.short_exit[i] != 0 && position < 0)) {
            return {-position, OrderRole::Signal, false};
        }
        return {};
    }

    /// The first bar from i on at which operator() could ask for an order, given the
    /// position: bars before it only need marking.
    std::size_t next_event(std::size_t i, std::size_t n, double position) const noexcept {
        const std::uint8_t* any = position > 0 ? s.long_exit.data() : s.long_entry.data();
        const std::uint8_t* also = nullptr;
        if (s.allow_short) {
            also = position < 0 ? s.short_exit.data() : s.short_entry.data();
        }
        // Eight flags at a time while they are all clear.
        for (; i + 8 <= n; i += 8) {
            std::uint64_t flags = 0;
            std::memcpy(&flags, any + i, 8);
            if (also != nullptr) {
                std::uint64_t more = 0;
                std::memcpy(&more, also + i, 8);
                flags |= more;
            }
            if (flags != 0) {
                break;
            }
        }
        while (i < n && any[i] == 0 && (also == nullptr || also[i] == 0)) {
            ++i;
        }
        return i;
    }

    OrderRequest enter(double direction, std::size_t i, double position, double equity,
                       double close) const noexcept {
        return entry_request(direction, i, position, equity, close, *sizing, atr);
    }
};

/// Decides like SignalDecider on the signals of a line `a` crossing a line `b` (build_signals'
/// mirrored sets: a cross up enters long and covers a short, a cross down exits a long and
/// opens a short), computing the crossings as it goes instead of reading four arrays.
struct CrossDecider {
    const double* a;
    const double* b;
    bool allow_short;
    const Sizing* sizing;
    std::span<const double> atr;

    bool up(std::size_t i) const noexcept { return i > 0 && a[i] > b[i] && a[i - 1] <= b[i - 1]; }
    bool down(std::size_t i) const noexcept { return i > 0 && a[i] < b[i] && a[i - 1] >= b[i - 1]; }

    OrderRequest operator()(std::size_t i, double position, double equity,
                            double close) const noexcept {
        const bool cross_up = up(i);
        const bool cross_down = down(i);
        if (cross_up && position <= 0) {
            return entry_request(1, i, position, equity, close, *sizing, atr);
        }
        if (allow_short && cross_down && position >= 0) {
            return entry_request(-1, i, position, equity, close, *sizing, atr);
        }
        if ((cross_down && position > 0) || (allow_short && cross_up && position < 0)) {
            return {-position, OrderRole::Signal, false};
        }
        return {};
    }

    /// The first bar from i on at which operator() could trade, given the position: flat, a
    /// cross up (or either cross, with shorts); long, a cross down; short, a cross up.
    std::size_t next_event(std::size_t i, std::size_t n, double position) const noexcept {
        if (position > 0) {
            return next_cross<false>(i, n);
        }
        if (position < 0 || !allow_short) {
            return next_cross<true>(i, n);
        }
        // Flat with shorts allowed happens only before the first trade.
        while (i < n && !up(i) && !down(i)) {
            ++i;
        }
        return i;
    }

private:
    /// The first bar from i on where a crosses b upwards (Up) or downwards: alternately the
    /// first bar beyond b, which is a crossing when the bar before was not, and the first bar
    /// back from beyond. Each search reads the lines as vectors.
    template <bool Up>
    std::size_t next_cross(std::size_t i, std::size_t n) const noexcept {
        const auto beyond = [](auto x, auto y) {
            if constexpr (Up) {
                return x > y;
            } else {
                return x < y;
            }
        };
        const auto not_beyond = [beyond](auto x, auto y) {
            return beyond(x, y) == 0;
        };
        while (true) {
            const std::size_t j = first_where(i, n, beyond);
            if (j == n || (Up ? up(j) : down(j))) {
                return j;
            }
            i = first_where(j + 1, n, not_beyond);
        }
    }

    /// The first bar from i on where test(a, b) holds (n if none); `test` takes doubles or
    /// detail::Lanes.
    template <class Test>
    std::size_t first_where(std::size_t i, std::size_t n, Test test) const noexcept {
        using detail::kLanes;
        using detail::load_lanes;
        for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
            const auto hit = test(load_lanes(a + i), load_lanes(b + i)) |
                             test(load_lanes(a + i + kLanes), load_lanes(b + i + kLanes)) |
                             test(load_lanes(a + i + 2 * kLanes), load_lanes(b + i + 2 * kLanes)) |
                             test(load_lanes(a + i + 3 * kLanes), load_lanes(b + i + 3 * kLanes));
            if ((hit[0] | hit[1]) != 0) {
                break;
            }
        }
        while (i < n && !test(a[i], b[i])) {
            ++i;
        }
        return i;
    }
};

/// The position that target weight `w` asks for at this close.
double target_size(double w, double equity, double close, double lot_step) noexcept {
    if (w == 0) {
        return 0;
    }
    const double q = detail::fraction_size(std::fabs(w), equity, close, 1 / lot_step);
    return w > 0 ? q : -q;
}

/// Decides like TargetStrategy below.
struct TargetDecider {
    std::span<const double> target;
    double lot_step;
    mutable double last = signals::kNaN;

    OrderRequest operator()(std::size_t i, double position, double equity,
                            double close) const noexcept {
        const double w = target[i];
        if (std::isnan(w) || w == last) {
            return {};
        }
        last = w;
        const double wanted = target_size(w, equity, close, lot_step);
        const double size = wanted - position;
        if (size == 0) {
            return {};
        }
        const bool reversal = position != 0 && wanted != 0 && (position > 0) != (wanted > 0);
        return {size, reversal ? OrderRole::Reversal : OrderRole::Signal, false};
    }

    /// As SignalDecider::next_event: the first bar from i on with a new target.
    std::size_t next_event(std::size_t i, std::size_t n, double /*position*/) const noexcept {
        while (i < n && (std::isnan(target[i]) || target[i] == last)) {
            ++i;
        }
        return i;
    }
};

/// One pass over the bars. KeepDetail: trades, fills and equity are stored.
template <class Decider, bool KeepDetail>
class Simulation {
public:
    Simulation(const BarSeriesView& bars, const Config& config, EquityStats& stats, Decider decide,
               Protection protection, BacktestResult* out)
        : bars_(bars),
          config_(config),
          stats_(stats),
          decide_(decide),
          protection_(protection),
          out_(out) {}

    void run() {
        const std::size_t n = bars_.size();
        const std::int64_t* ts = bars_.ts().data();
        const double* close = bars_.close().data();
        double* equity_out = nullptr;
        if constexpr (KeepDetail) {
            out_->equity.resize(n);
            equity_out = out_->equity.data();
        }
        const bool at_close = config_.fill_price == FillPrice::Close;
        for (std::size_t i = 0; i < n; ++i) {
            if (!pending_ && !armed_) {
                // Until the next signal that can trade, nothing changes but the marks.
                const std::size_t next = decide_.next_event(i, n, position_);
                if (next + 1 < n) {
                    // An order decided at this close fills at the next open: a line that the
                    // marking did not bring into the cache.
                    __builtin_prefetch(bars_.open().data() + next + 1);
                }
                mark_run(i, next, equity_out);
                i = next;
                if (i == n) {
                    break;
                }
            }
            if (pending_) [[unlikely]] {
                fill_pending(i);
            } else if (armed_ && i >= armed_from_) [[unlikely]] {
                test_protection(i);
            }
            const double c = close[i];
            double equity = detail::mark(cash_, position_, tracker_.trade.entry_price, c);
            const OrderRequest request = decide_(i, position_, equity, c);
            if (request.size != 0) [[unlikely]] {
                armed_ = false;  // an exit or a reversal cancels the protective orders first
                if (at_close) {
                    execute_now(i, request,
                                detail::slipped(c, request.size > 0, config_.costs.slippage_bps),
                                true);
                    equity = detail::mark(cash_, position_, tracker_.trade.entry_price, c);
                } else {
                    pending_ = true;
                    pending_request_ = request;
                }
            }
            stats_.observe(ts[i], equity, position_ != 0);
            if constexpr (KeepDetail) {
                equity_out[i] = equity;
            }
        }
    }

    Metrics finish() {
        Metrics m;
        double open_fees = 0;
        if (tracker_.in_trade && position_ != 0) {
            open_fees = tracker_.trade.commission;
            if constexpr (KeepDetail) {
                out_->open_trades.push_back(
                    detail::open_trade_of(tracker_, 0, position_, bars_.close()[bars_.size() - 1]));
            }
        }
        detail::finish_metrics(m, stats_, trade_stats_, open_fees, traded_value_, config_);
        if constexpr (KeepDetail) {
            out_->final_cash = cash_;
            out_->final_positions = {position_};
            out_->rejected_orders = rejected_;
            out_->unfilled_orders = unfilled();
            out_->traded_value = traded_value_;
            out_->metrics = m;
        }
        return m;
    }

private:
    /// Observes bars [begin, end), over which the position and the cash stay as they are,
    /// with detail::mark's arithmetic specialised to the side of the position (each lambda
    /// takes a close or a detail::Lanes of them).
    void mark_run(std::size_t begin, std::size_t end, double* equity_out) {
        const std::int64_t* ts = bars_.ts().data();
        const double* close = bars_.close().data();
        const double cash = cash_;
        const double position = position_;
        const double entry_price = tracker_.trade.entry_price;
        if (position > 0) {
            stats_.observe_range(
                ts, close, begin, end, true,
                [=](auto c) {
                    const auto unrealized = position * (c - entry_price);
                    auto total = detail::splat<decltype(c)>(0.0);
                    total += position * c - unrealized;
                    total += unrealized;
                    return cash + total;
                },
                equity_out);
        } else if (position < 0) {
            stats_.observe_range(
                ts, close, begin, end, true,
                [=](auto c) {
                    auto total = detail::splat<decltype(c)>(0.0);
                    total += position * c;
                    return cash + total;
                },
                equity_out);
        } else if (begin < end) {
            const double flat = detail::mark(cash, position, entry_price, close[begin]);
            stats_.observe_range(
                ts, close, begin, end, false,
                [=](auto c) { return detail::splat<decltype(c)>(flat); }, equity_out);
        }
    }

    std::size_t unfilled() const noexcept {
        std::size_t count = pending_ ? 1 : 0;
        if (armed_) {
            count += (stop_ ? 1 : 0) + (take_ ? 1 : 0) + (trail_ ? 1 : 0);
        }
        return count;
    }

    void fill_pending(std::size_t i) {
        pending_ = false;
        const OrderRequest request = pending_request_;
        const double price =
            detail::slipped(bars_.open()[i], request.size > 0, config_.costs.slippage_bps);
        execute_now(i, request, price, false);
    }

    void execute_now(std::size_t i, const OrderRequest& request, double price, bool at_close) {
        const detail::Execution ex = execute(i, request.size, price, request.role);
        if (request.protect && ex.open_size != 0 && position_ != 0 && protection_.any()) {
            arm(i, price, at_close);
        }
    }

    detail::Execution execute(std::size_t i, double size, double price, OrderRole role) {
        const detail::Execution ex = detail::execute(cash_, position_, tracker_.trade.entry_price,
                                                     size, price, config_.costs);
        if (ex.rejected) {
            ++rejected_;
        }
        if (ex.close_size == 0 && ex.open_size == 0) {
            return ex;
        }
        Trade closed;
        if (tracker_.book(ex, position_, price, i, bars_.ts()[i], role, closed)) {
            trade_stats_.add(closed);
            if constexpr (KeepDetail) {
                out_->trades.push_back(closed);
            }
        }
        const double executed = ex.close_size + ex.open_size;
        traded_value_ += std::fabs(executed) * price;
        if constexpr (KeepDetail) {
            Fill fill;
            fill.role = role;
            fill.bar = i;
            fill.step = i;
            fill.size = executed;
            fill.price = price;
            fill.commission = ex.close_fee + ex.open_fee;
            fill.cash_after = cash_;
            fill.position_after = position_;
            fill.order_id = ++fills_;
            out_->fills.push_back(fill);
        }
        if (position_ == 0) {
            armed_ = false;
        }
        return ex;
    }

    /// The protective orders of a new position (section 5), live from the next bar (or at once
    /// with stop_same_bar, unless the entry filled at a close).
    void arm(std::size_t i, double price, bool at_close) {
        const bool long_position = position_ > 0;
        armed_ = true;
        protect_size_ = -position_;
        stop_ = protection_.stop_loss > 0;
        take_ = protection_.take_profit > 0;
        trail_ = protection_.trailing_stop > 0;
        stop_price_ = long_position ? (1 - protection_.stop_loss) * price
                                    : (1 + protection_.stop_loss) * price;
        take_price_ = long_position ? (1 + protection_.take_profit) * price
                                    : (1 - protection_.take_profit) * price;
        trail_price_ = detail::trail_trigger(!long_position, price, protection_.trailing_stop);
        const bool same_bar = config_.stop_same_bar && !at_close;
        armed_from_ = same_bar ? i : i + 1;
        if (same_bar) {
            test_protection(i);
        }
    }

    /// The protective orders meet bar i in the order they were created: stop, take-profit,
    /// trailing stop; the first to fill cancels the others.
    void test_protection(std::size_t i) {
        const double open = bars_.open()[i];
        const double high = bars_.high()[i];
        const double low = bars_.low()[i];
        const bool buy = protect_size_ > 0;
        const double slip = config_.costs.slippage_bps;
        double price = 0;
        if (stop_ && detail::stop_fill(buy, stop_price_, open, high, low, price)) {
            execute(i, protect_size_, detail::slipped(price, buy, slip), OrderRole::StopLoss);
            return;
        }
        if (take_ && detail::limit_fill(buy, take_price_, open, high, low, price)) {
            execute(i, protect_size_, price, OrderRole::TakeProfit);
            return;
        }
        if (trail_) {
            if (detail::stop_fill(buy, trail_price_, open, high, low, price)) {
                execute(i, protect_size_, detail::slipped(price, buy, slip),
                        OrderRole::TrailingStop);
                return;
            }
            detail::trail_adjust(buy, protection_.trailing_stop, bars_.close()[i], trail_price_);
        }
    }

    const BarSeriesView& bars_;
    const Config& config_;
    EquityStats& stats_;
    Decider decide_;
    Protection protection_;
    BacktestResult* out_;
    TradeStats trade_stats_;
    detail::TradeTracker tracker_;
    double cash_ = config_.cash;
    double position_ = 0;
    double traded_value_ = 0;
    std::size_t rejected_ = 0;
    std::uint64_t fills_ = 0;
    bool pending_ = false;
    OrderRequest pending_request_;
    bool armed_ = false;
    std::size_t armed_from_ = 0;
    double protect_size_ = 0;
    bool stop_ = false;
    bool take_ = false;
    bool trail_ = false;
    double stop_price_ = 0;
    double take_price_ = 0;
    double trail_price_ = 0;
};

void check_inputs(const SymbolSeries& series, const Config& config) {
    if (auto ok = config.validate(); !ok) {
        throw Exception(ok.error());
    }
    if (auto ok = validate_bars(series.bars, series.name); !ok) {
        throw Exception(ok.error());
    }
}

void check_length(std::size_t length, std::size_t bars, std::string_view what) {
    if (length != bars) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("{} has {} values for {} bars", what, length, bars));
    }
}

std::vector<double> atr_for(const BarSeriesView& bars, const Config& config) {
    std::vector<double> atr;
    if (config.sizing.mode == SizingMode::RiskAtr) {
        atr.resize(bars.size());
        signals::atr(bars.high(), bars.low(), bars.close(), config.sizing.atr_period, atr);
    }
    return atr;
}

template <class Decider>
BacktestResult run_detailed(const SymbolSeries& series, const Config& config, Decider decide,
                            Protection protection, SimulationOptions options) {
    BacktestResult result;
    result.symbols = {series.name};
    result.config = config;
    EquityStats stats(config.cash);
    Simulation<Decider, true> simulation(series.bars, config, stats, decide, protection, &result);
    simulation.run();
    simulation.finish();
    if (!options.keep_equity) {
        result.equity = {};
    }
    if (!options.keep_trades) {
        result.trades = {};
        result.fills = {};
    }
    return result;
}

/// Follows target weights bar by bar through the Context (the reference for simulate_targets).
class TargetStrategy final : public Strategy {
public:
    explicit TargetStrategy(std::span<const double> target) : target_(target) {}
    void on_bar(Context& ctx) override {
        const double w = target_[ctx.index()];
        if (std::isnan(w) || w == last_) {
            return;
        }
        last_ = w;
        ctx.target(target_size(w, ctx.equity(), ctx.close(), ctx.config().sizing.lot_step));
    }

private:
    std::span<const double> target_;
    double last_ = signals::kNaN;
};

void check_targets(std::span<const double> target, std::size_t bars, bool allow_short) {
    check_length(target.size(), bars, "the target array");
    for (std::size_t i = 0; i < target.size(); ++i) {
        const double w = target[i];
        if (!std::isnan(w) && (w < -1 || w > 1 || (w < 0 && !allow_short))) {
            throw Exception(
                ErrorCode::InvalidArgument,
                fmt::format("target at bar {} is {}: targets are fractions of equity in [{}, 1]", i,
                            w, allow_short ? -1 : 0));
        }
    }
}

}  // namespace

BacktestResult simulate(const SymbolSeries& series, const SignalView& signals, const Config& config,
                        SimulationOptions options) {
    check_inputs(series, config);
    const std::size_t n = series.bars.size();
    check_length(signals.long_entry.size(), n, "the long entry array");
    check_length(signals.long_exit.size(), n, "the long exit array");
    if (signals.allow_short) {
        check_length(signals.short_entry.size(), n, "the short entry array");
        check_length(signals.short_exit.size(), n, "the short exit array");
    }
    const std::vector<double> atr = atr_for(series.bars, config);
    return run_detailed(series, config, SignalDecider{signals, &config.sizing, atr},
                        signals.protection, options);
}

BacktestResult simulate_targets(const SymbolSeries& series, std::span<const double> target,
                                const Config& config, bool allow_short, SimulationOptions options) {
    check_inputs(series, config);
    check_targets(target, series.bars.size(), allow_short);
    return run_detailed(series, config, TargetDecider{target, config.sizing.lot_step}, Protection{},
                        options);
}

std::unique_ptr<Strategy> make_target_strategy(std::span<const double> target, bool allow_short) {
    check_targets(target, target.size(), allow_short);
    return std::make_unique<TargetStrategy>(target);
}

std::span<const std::size_t> SimulationWorkspace::days_of(const BarSeriesView& bars) {
    const std::span<const std::int64_t> ts = bars.ts();
    if (ts.empty()) {
        return {};
    }
    if (ts.data() != days_ts_.data() || ts.size() != days_ts_.size() || ts.front() != days_first_ ||
        ts.back() != days_last_) {
        day_starts_ = day_starts(ts);
        days_ts_ = ts;
        days_first_ = ts.front();
        days_last_ = ts.back();
    }
    return day_starts_;
}

Metrics simulate_cross_metrics(const BarSeriesView& bars, std::span<const double> a,
                               std::span<const double> b, bool allow_short, Protection protection,
                               const Config& config, std::span<const double> atr,
                               SimulationWorkspace& workspace) {
    check_length(a.size(), bars.size(), "the first line");
    check_length(b.size(), bars.size(), "the second line");
    workspace.stats_.reset(config.cash, workspace.days_of(bars));
    Simulation<CrossDecider, false> simulation(
        bars, config, workspace.stats_,
        CrossDecider{a.data(), b.data(), allow_short, &config.sizing, atr}, protection, nullptr);
    simulation.run();
    return simulation.finish();
}

Metrics simulate_metrics(const BarSeriesView& bars, const SignalView& signals, const Config& config,
                         std::span<const double> atr, SimulationWorkspace& workspace) {
    workspace.stats_.reset(config.cash, workspace.days_of(bars));
    using Fast = Simulation<SignalDecider, false>;
    Fast simulation(bars, config, workspace.stats_, SignalDecider{signals, &config.sizing, atr},
                    signals.protection, nullptr);
    simulation.run();
    return simulation.finish();
}

}  // namespace tradpal::backtest

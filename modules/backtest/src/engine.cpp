// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/backtest/signals.hpp>

#include "execution.hpp"

namespace tradpal::backtest {
namespace detail {

/// One symbol's state during a run.
struct Book {
    const SymbolSeries* series = nullptr;
    std::size_t next_bar = 0;  // the next bar not yet reached
    std::size_t bar = 0;       // the current (last reached) bar
    std::size_t active_step = std::numeric_limits<std::size_t>::max();  // step of the last bar
    double position = 0;
    double last_close = 0;
    double weight = 1;
    std::vector<double> atr;  // RiskAtr sizing only
    TradeTracker tracker;
};

class Engine {
public:
    Engine(std::span<const SymbolSeries> symbols, Strategy& strategy, const Config& config,
           std::span<const double> weights);

    BacktestResult run();

    // Context's window on the run.
    std::vector<Book> books_;
    std::vector<std::uint32_t> active_;
    std::size_t step_ = 0;
    double cash_ = 0;
    double equity_ = 0;
    const Config config_;

    OrderId submit(Order order);
    bool cancel(OrderId id);
    void cancel_protection(std::uint32_t symbol);
    std::size_t pending_count(std::uint32_t symbol) const noexcept;

private:
    void run_single();
    void run_merged();
    void process_orders();
    /// Tries to fill pending_[k] on its symbol's current bar; true when it is done (filled,
    /// rejected), false when it stays pending.
    bool try_fill(std::size_t k);
    void fill(Order& order, double price);
    void book_fill(Book& book, const Order& order, double price, const Execution& ex);
    /// Places the protective orders of positions opened by this step's fills; `at_close`: the
    /// fill was at a close, so the orders can only meet later bars.
    void create_protection(bool at_close);
    void drop_cancelled();
    void finish();

    Strategy& strategy_;
    Context ctx_;
    std::vector<Order> pending_;  // in creation order; id 0 marks a cancelled or done order
    struct ProtectionRequest {
        std::uint32_t symbol;
        double price;
        Protection protection;
    };
    std::vector<ProtectionRequest> protect_;
    OrderId next_id_ = 1;
    std::uint64_t next_group_ = 1;
    bool in_order_phase_ = false;  // fills are being processed: new orders wait for the next bar
    bool filled_at_close_ = false;
    EquityStats stats_;
    TradeStats trade_stats_;
    BacktestResult result_;
};

namespace {

/// The per-bar test of validate_bars, without the message.
bool bar_is_tradable(std::span<const std::int64_t> ts, std::span<const double> open,
                     std::span<const double> high, std::span<const double> low,
                     std::span<const double> close, std::span<const double> volume,
                     std::size_t i) noexcept {
    // On the bits: a positive finite double minus one is below the largest double's bits; zero,
    // negatives (sign bit), infinity and NaN are not.
    constexpr std::uint64_t kLargest = 0x7FEF'FFFF'FFFF'FFFFULL;
    const auto offset = [](double v) {
        return std::bit_cast<std::uint64_t>(v) - 1;
    };
    const std::uint64_t worst = std::max(std::max(offset(open[i]), offset(high[i])),
                                         std::max(offset(low[i]), offset(close[i])));
    const std::uint64_t volume_magnitude = std::bit_cast<std::uint64_t>(volume[i]) << 1;
    return (i == 0 || ts[i] > ts[i - 1]) & (worst < kLargest) &
           (volume_magnitude <= (kLargest << 1));
}

bool is_protective(OrderRole role) noexcept {
    return role == OrderRole::StopLoss || role == OrderRole::TakeProfit ||
           role == OrderRole::TrailingStop;
}

}  // namespace

Engine::Engine(std::span<const SymbolSeries> symbols, Strategy& strategy, const Config& config,
               std::span<const double> weights)
    : config_(config), strategy_(strategy), ctx_(*this), stats_(config.cash) {
    if (auto ok = config.validate(); !ok) {
        throw Exception(ok.error());
    }
    if (symbols.empty()) {
        throw Exception(ErrorCode::InvalidArgument, "a backtest needs at least one symbol");
    }
    if (!weights.empty() && weights.size() != symbols.size()) {
        throw Exception(ErrorCode::InvalidArgument, fmt::format("{} weights given for {} symbols",
                                                                weights.size(), symbols.size()));
    }
    books_.resize(symbols.size());
    for (std::size_t k = 0; k < symbols.size(); ++k) {
        // One symbol's bars are checked as the run reaches them (run_single), which saves a
        // pass over the data; a merged timeline needs them sorted before it starts.
        if (symbols.size() > 1 || symbols[k].bars.empty()) {
            if (auto ok = validate_bars(symbols[k].bars, symbols[k].name); !ok) {
                throw Exception(ok.error());
            }
        }
        Book& book = books_[k];
        book.series = &symbols[k];
        book.tracker.trade.symbol = static_cast<std::uint32_t>(k);
        book.weight = weights.empty() ? 1.0 / static_cast<double>(symbols.size()) : weights[k];
        if (!std::isfinite(book.weight) || book.weight <= 0) {
            throw Exception(
                ErrorCode::InvalidArgument,
                fmt::format("weight of {} must be > 0, got {}", symbols[k].name, book.weight));
        }
        if (config.sizing.mode == SizingMode::RiskAtr) {
            const BarSeriesView& bars = symbols[k].bars;
            book.atr.resize(bars.size());
            signals::atr(bars.high(), bars.low(), bars.close(), config.sizing.atr_period, book.atr);
        }
        result_.symbols.push_back(symbols[k].name);
    }
    result_.config = config;
    cash_ = config.cash;
    equity_ = config.cash;
}

BacktestResult Engine::run() {
    ctx_.focus(0);
    strategy_.on_start(ctx_);
    if (books_.size() == 1) {
        run_single();
    } else {
        run_merged();
    }
    ctx_.focus(0);
    strategy_.on_stop(ctx_);
    finish();
    return std::move(result_);
}

void Engine::run_single() {
    Book& book = books_[0];
    const BarSeriesView& bars = book.series->bars;
    const std::span<const std::int64_t> ts = bars.ts();
    const std::span<const double> close = bars.close();
    const std::size_t n = bars.size();
    active_.assign(1, 0);
    result_.equity.resize(n);
    const std::span<const double> open = bars.open();
    const std::span<const double> high = bars.high();
    const std::span<const double> low = bars.low();
    const std::span<const double> volume = bars.volume();
    for (std::size_t i = 0; i < n; ++i) {
        if (!bar_is_tradable(ts, open, high, low, close, volume, i)) [[unlikely]] {
            throw Exception(validate_bars(bars, book.series->name).error());
        }
        step_ = i;
        book.bar = i;
        book.active_step = i;
        if (!pending_.empty()) {
            process_orders();
        }
        const double c = close[i];
        book.last_close = c;
        equity_ = mark(cash_, book.position, book.tracker.trade.entry_price, c);
        strategy_.on_bar(ctx_);  // focused on symbol 0 by run(), and after each fill
        if (filled_at_close_) {
            equity_ = mark(cash_, book.position, book.tracker.trade.entry_price, c);
            filled_at_close_ = false;
        }
        stats_.observe(ts[i], equity_, book.position != 0);
        result_.equity[i] = equity_;
    }
}

void Engine::run_merged() {
    std::size_t total = 0;
    for (const Book& book : books_) {
        total += book.series->bars.size();
    }
    result_.equity.reserve(total);
    result_.step_ns.reserve(total);
    for (std::size_t step = 0;; ++step) {
        std::int64_t now = std::numeric_limits<std::int64_t>::max();
        for (const Book& book : books_) {
            if (book.next_bar < book.series->bars.size()) {
                now = std::min(now, book.series->bars.ts()[book.next_bar]);
            }
        }
        if (now == std::numeric_limits<std::int64_t>::max()) {
            break;
        }
        step_ = step;
        active_.clear();
        for (std::uint32_t k = 0; k < books_.size(); ++k) {
            Book& book = books_[k];
            if (book.next_bar < book.series->bars.size() &&
                book.series->bars.ts()[book.next_bar] == now) {
                book.bar = book.next_bar++;
                book.active_step = step;
                active_.push_back(k);
            }
        }
        if (!pending_.empty()) {
            process_orders();
        }
        const auto mark = [this] {
            double positions = 0.0;
            bool in_position = false;
            for (const Book& book : books_) {
                add_position_value(positions, book.position, book.tracker.trade.entry_price,
                                   book.last_close);
                in_position = in_position || book.position != 0;
            }
            equity_ = cash_ + positions;
            return in_position;
        };
        for (const std::uint32_t k : active_) {
            books_[k].last_close = books_[k].series->bars.close()[books_[k].bar];
        }
        bool in_position = mark();
        ctx_.focus(active_.front());
        strategy_.on_bar(ctx_);
        if (filled_at_close_) {
            in_position = mark();
            filled_at_close_ = false;
        }
        stats_.observe(now, equity_, in_position);
        result_.equity.push_back(equity_);
        result_.step_ns.push_back(now);
    }
}

void Engine::process_orders() {
    in_order_phase_ = true;
    // Orders created while filling (on_fill, protection) are appended behind `count` and wait.
    const std::size_t count = pending_.size();
    for (std::size_t k = 0; k < count; ++k) {
        const Order& order = pending_[k];
        if (order.id == 0 || order.active_from > step_ ||
            books_[order.symbol].active_step != step_) {
            continue;
        }
        if (try_fill(k)) {
            pending_[k].id = 0;
        }
    }
    in_order_phase_ = false;
    if (!protect_.empty()) {
        create_protection(false);
    }
    drop_cancelled();
}

bool Engine::try_fill(std::size_t k) {
    Order& order = pending_[k];
    const Book& book = books_[order.symbol];
    const BarSeriesView& bars = book.series->bars;
    const std::size_t i = book.bar;
    const double open = bars.open()[i];
    const double high = bars.high()[i];
    const double low = bars.low()[i];
    const bool buy = order.size > 0;
    const double slip = config_.costs.slippage_bps;
    double price = 0;
    bool filled = false;
    switch (order.type) {
        case OrderType::Market:
            price = slipped(open, buy, slip);
            filled = true;
            break;
        case OrderType::Limit:
            filled = limit_fill(buy, order.limit_price, open, high, low, price);
            break;
        case OrderType::Stop:
            filled = stop_fill(buy, order.stop_price, open, high, low, price);
            price = filled ? slipped(price, buy, slip) : price;
            break;
        case OrderType::TrailingStop:
            filled = stop_fill(buy, order.stop_price, open, high, low, price);
            if (filled) {
                price = slipped(price, buy, slip);
            } else {
                trail_adjust(buy, order.trail, bars.close()[i], order.stop_price);
            }
            break;
        case OrderType::StopLimit: {
            // Once touched it is a limit order; on the bar that touches it, it fills at the trigger
            // when the limit allows that, else at the limit if the close got there (backtrader's
            // rules).
            const double close = bars.close()[i];
            const double trigger = order.stop_price;
            const double lim = order.limit_price;
            if (order.triggered) {
                filled = limit_fill(buy, lim, open, high, low, price);
            } else if (buy ? open >= trigger : open <= trigger) {
                order.triggered = true;
                filled = limit_fill(buy, lim, open, high, low, price);
            } else if (buy ? high >= trigger : low <= trigger) {
                order.triggered = true;
                if (buy ? lim >= trigger : lim <= trigger) {
                    price = trigger;
                    filled = true;
                } else if (buy ? (open > close && lim >= close) : (open <= close && lim <= close)) {
                    price = lim;
                    filled = true;
                }
            }
            break;
        }
    }
    if (!filled) {
        return false;
    }
    Order copy = order;  // fill() may append to pending_
    fill(copy, price);
    return true;
}

void Engine::fill(Order& order, double price) {
    Book& book = books_[order.symbol];
    const Execution ex = execute(cash_, book.position, book.tracker.trade.entry_price, order.size,
                                 price, config_.costs);
    if (ex.rejected) {
        ++result_.rejected_orders;
    }
    if (ex.close_size == 0 && ex.open_size == 0) {
        return;
    }
    book_fill(book, order, price, ex);
    if (order.oco_group != 0) {
        for (Order& other : pending_) {
            if (other.oco_group == order.oco_group && other.id != order.id) {
                other.id = 0;
            }
        }
    }
    if (book.position == 0) {
        cancel_protection(order.symbol);  // nothing left to protect
    }
    if (ex.open_size != 0 && order.protection.any()) {
        protect_.push_back({order.symbol, price, order.protection});
    }
    const Fill& done = result_.fills.back();
    const std::size_t focus = ctx_.symbol();
    ctx_.focus(order.symbol);
    strategy_.on_fill(ctx_, done);
    ctx_.focus(focus);
}

void Engine::book_fill(Book& book, const Order& order, double price, const Execution& ex) {
    const std::int64_t now = book.series->bars.ts()[book.bar];
    Trade closed;
    if (book.tracker.book(ex, book.position, price, book.bar, now, order.role, closed)) {
        trade_stats_.add(closed);
        result_.trades.push_back(closed);
    }
    const double executed = ex.close_size + ex.open_size;
    result_.traded_value += std::fabs(executed) * price;
    Fill fill;
    fill.order_id = order.id;
    fill.symbol = static_cast<std::uint32_t>(&book - books_.data());
    fill.role = order.role;
    fill.bar = book.bar;
    fill.step = step_;
    fill.size = executed;
    fill.price = price;
    fill.commission = ex.close_fee + ex.open_fee;
    fill.cash_after = cash_;
    fill.position_after = book.position;
    result_.fills.push_back(fill);
}

void Engine::create_protection(bool at_close) {
    const std::vector<ProtectionRequest> requests = std::move(protect_);
    protect_.clear();
    const std::size_t first_new = pending_.size();
    const bool same_bar = config_.stop_same_bar && !at_close;
    for (const ProtectionRequest& request : requests) {
        const Book& book = books_[request.symbol];
        if (book.position == 0) {
            continue;
        }
        const bool long_position = book.position > 0;
        const double size = -book.position;
        const std::uint64_t group = next_group_++;
        const std::size_t from = same_bar ? step_ : step_ + 1;
        const Protection& p = request.protection;
        Order base;
        base.symbol = request.symbol;
        base.size = size;
        base.active_from = from;
        base.oco_group = group;
        if (p.stop_loss > 0) {
            Order o = base;
            o.type = OrderType::Stop;
            o.role = OrderRole::StopLoss;
            o.stop_price = long_position ? (1 - p.stop_loss) * request.price
                                         : (1 + p.stop_loss) * request.price;
            submit(o);
        }
        if (p.take_profit > 0) {
            Order o = base;
            o.type = OrderType::Limit;
            o.role = OrderRole::TakeProfit;
            o.limit_price = long_position ? (1 + p.take_profit) * request.price
                                          : (1 - p.take_profit) * request.price;
            submit(o);
        }
        if (p.trailing_stop > 0) {
            Order o = base;
            o.type = OrderType::TrailingStop;
            o.role = OrderRole::TrailingStop;
            o.trail = p.trailing_stop;
            o.stop_price = trail_trigger(!long_position, request.price, p.trailing_stop);
            submit(o);
        }
    }
    if (same_bar) {
        // Same-bar activation: the new protective orders meet the rest of this bar now.
        in_order_phase_ = true;
        const std::size_t count = pending_.size();
        for (std::size_t k = first_new; k < count; ++k) {
            if (pending_[k].id != 0 && try_fill(k)) {
                pending_[k].id = 0;
            }
        }
        in_order_phase_ = false;
    }
}

void Engine::drop_cancelled() {
    std::erase_if(pending_, [](const Order& o) { return o.id == 0; });
}

OrderId Engine::submit(Order order) {
    TRADPAL_ASSERT(order.symbol < books_.size(), "order for an unknown symbol");
    if (!(order.size != 0) || !std::isfinite(order.size)) {
        return 0;
    }
    order.id = next_id_++;
    if (order.active_from == 0) {
        order.active_from = step_ + 1;
    }
    if (order.type == OrderType::Market && config_.fill_price == FillPrice::Close &&
        !in_order_phase_) {
        // Cheat-on-close: the order fills at this bar's close now.
        const Book& book = books_[order.symbol];
        const double price = slipped(book.series->bars.close()[book.bar], order.size > 0,
                                     config_.costs.slippage_bps);
        fill(order, price);
        if (!protect_.empty()) {
            create_protection(true);
            drop_cancelled();
        }
        filled_at_close_ = true;
        return order.id;
    }
    pending_.push_back(order);
    return order.id;
}

bool Engine::cancel(OrderId id) {
    for (Order& order : pending_) {
        if (order.id == id) {
            order.id = 0;
            if (!in_order_phase_) {
                drop_cancelled();
            }
            return true;
        }
    }
    return false;
}

void Engine::cancel_protection(std::uint32_t symbol) {
    bool any = false;
    for (Order& order : pending_) {
        if (order.id != 0 && order.symbol == symbol && is_protective(order.role)) {
            order.id = 0;
            any = true;
        }
    }
    if (any && !in_order_phase_) {
        drop_cancelled();
    }
}

std::size_t Engine::pending_count(std::uint32_t symbol) const noexcept {
    return static_cast<std::size_t>(
        std::count_if(pending_.begin(), pending_.end(),
                      [symbol](const Order& o) { return o.id != 0 && o.symbol == symbol; }));
}

void Engine::finish() {
    result_.final_cash = cash_;
    result_.unfilled_orders = pending_.size();
    double open_fees = 0;
    for (std::uint32_t k = 0; k < books_.size(); ++k) {
        const Book& book = books_[k];
        result_.final_positions.push_back(book.position);
        if (book.tracker.in_trade && book.position != 0) {
            result_.open_trades.push_back(
                open_trade_of(book.tracker, k, book.position, book.last_close));
            open_fees += book.tracker.trade.commission;
        }
    }
    finish_metrics(result_.metrics, stats_, trade_stats_, open_fees, result_.traded_value, config_);
}

}  // namespace detail

// --- Context -------------------------------------------------------------------------------

std::size_t Context::symbol_count() const noexcept {
    return engine_->books_.size();
}
const std::string& Context::symbol_name() const noexcept {
    return engine_->books_[symbol_].series->name;
}
std::span<const std::uint32_t> Context::active_symbols() const noexcept {
    return engine_->active_;
}
void Context::focus(std::size_t symbol) noexcept {
    symbol_ = symbol;
    const detail::Book& book = engine_->books_[symbol];
    focus_ = {&book.series->bars, &book.bar, &book.position};
}
std::size_t Context::step() const noexcept {
    return engine_->step_;
}
double Context::cash() const noexcept {
    return engine_->cash_;
}
double Context::equity() const noexcept {
    return engine_->equity_;
}
double Context::position(std::size_t symbol) const noexcept {
    return engine_->books_[symbol].position;
}
const Config& Context::config() const noexcept {
    return engine_->config_;
}
double Context::weight() const noexcept {
    return engine_->books_[symbol_].weight;
}

double Context::order_size() const noexcept {
    const detail::Book& book = engine_->books_[symbol_];
    const double atr = book.atr.empty() ? 0.0 : book.atr[book.bar];
    const double weight = engine_->books_.size() == 1 ? 1.0 : book.weight;
    return detail::order_size(engine_->config_.sizing, engine_->equity_,
                              book.series->bars.close()[book.bar], atr, weight);
}

Order Context::new_order(OrderType type, double size) const noexcept {
    Order order;
    order.symbol = static_cast<std::uint32_t>(symbol_);
    order.type = type;
    order.size = size;
    return order;
}

OrderId Context::market(double size, OrderRole role, Protection protection) {
    Order order = new_order(OrderType::Market, size);
    order.role = role;
    order.protection = protection;
    return engine_->submit(order);
}

OrderId Context::limit(double size, double price) {
    Order order = new_order(OrderType::Limit, size);
    order.limit_price = price;
    return engine_->submit(order);
}

OrderId Context::stop(double size, double trigger) {
    Order order = new_order(OrderType::Stop, size);
    order.stop_price = trigger;
    return engine_->submit(order);
}

OrderId Context::stop_limit(double size, double trigger, double limit_price) {
    Order order = new_order(OrderType::StopLimit, size);
    order.stop_price = trigger;
    order.limit_price = limit_price;
    return engine_->submit(order);
}

OrderId Context::trailing_stop(double size, double trail_fraction) {
    Order order = new_order(OrderType::TrailingStop, size);
    order.trail = trail_fraction;
    order.stop_price = detail::trail_trigger(size > 0, close(), trail_fraction);
    return engine_->submit(order);
}

OrderId Context::target(double target_size, Protection protection) {
    cancel_protection();
    const double current = position();
    const double size = target_size - current;
    if (size == 0) {
        return 0;
    }
    const bool reversal = current != 0 && target_size != 0 && (current > 0) != (target_size > 0);
    return market(size, reversal ? OrderRole::Reversal : OrderRole::Signal, protection);
}

OrderId Context::close_position(OrderRole role) {
    cancel_protection();
    const double current = position();
    return current == 0 ? 0 : market(-current, role);
}

bool Context::cancel(OrderId id) {
    return engine_->cancel(id);
}

void Context::cancel_protection() {
    engine_->cancel_protection(static_cast<std::uint32_t>(symbol_));
}

std::size_t Context::pending_orders() const noexcept {
    return engine_->pending_count(static_cast<std::uint32_t>(symbol_));
}

// --- free functions ------------------------------------------------------------------------

Result<void> validate_bars(const BarSeriesView& bars, std::string_view symbol) {
    const std::string name = symbol.empty() ? std::string("the series") : std::string(symbol);
    if (bars.empty()) {
        return fail(ErrorCode::InvalidArgument, fmt::format("{} has no bars", name));
    }
    const auto ts = bars.ts();
    for (std::size_t i = 0; i < bars.size(); ++i) {
        if (i > 0 && ts[i] <= ts[i - 1]) {
            return fail(ErrorCode::ValidationFailed,
                        fmt::format("{}: bar {} ({}) is not after the bar before it", name, i,
                                    format_iso(bars.time(i))));
        }
        const double values[] = {bars.open()[i], bars.high()[i], bars.low()[i], bars.close()[i]};
        for (const double v : values) {
            if (!std::isfinite(v) || v <= 0) {
                return fail(
                    ErrorCode::ValidationFailed,
                    fmt::format("{}: bar {} ({}) has a price that is not a positive number ({}); "
                                "fix or drop it (tradpal data validate --fix)",
                                name, i, format_iso(bars.time(i)), v));
            }
        }
        if (!std::isfinite(bars.volume()[i])) {
            return fail(ErrorCode::ValidationFailed,
                        fmt::format("{}: bar {} ({}) has a volume that is not a number", name, i,
                                    format_iso(bars.time(i))));
        }
    }
    return {};
}

BacktestResult run_backtest(const SymbolSeries& series, Strategy& strategy, const Config& config) {
    detail::Engine engine(std::span<const SymbolSeries>(&series, 1), strategy, config, {});
    return engine.run();
}

BacktestResult run_portfolio(std::span<const SymbolSeries> symbols, Strategy& strategy,
                             const Config& config, std::span<const double> weights) {
    detail::Engine engine(symbols, strategy, config, weights);
    return engine.run();
}

void PerSymbolStrategy::on_start(Context& ctx) {
    for (std::size_t k = 0; k < children_.size(); ++k) {
        ctx.focus(k);
        children_[k]->on_start(ctx);
    }
}

void PerSymbolStrategy::on_bar(Context& ctx) {
    for (const std::uint32_t k : ctx.active_symbols()) {
        ctx.focus(k);
        children_[k]->on_bar(ctx);
    }
}

void PerSymbolStrategy::on_fill(Context& ctx, const Fill& fill) {
    children_[fill.symbol]->on_fill(ctx, fill);
}

void PerSymbolStrategy::on_stop(Context& ctx) {
    for (std::size_t k = 0; k < children_.size(); ++k) {
        ctx.focus(k);
        children_[k]->on_stop(ctx);
    }
}

}  // namespace tradpal::backtest

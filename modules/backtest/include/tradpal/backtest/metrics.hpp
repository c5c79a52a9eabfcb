// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/detail/run_stats.hpp>
#include <tradpal/backtest/types.hpp>

namespace tradpal::backtest {

/// The metrics of BACKTEST_SEMANTICS.md section 7. Ratios that are undefined (a zero
/// deviation, no losing trade, no trade at all) are empty and print as null.
struct Metrics {
    double start_value = 0;
    double final_value = 0;
    double total_return = 0;               ///< final / start - 1
    double annual_return = 0;              ///< (final / start)^(annualization / days) - 1
    double annual_volatility = 0;          ///< pstdev(daily returns) * sqrt(annualization)
    std::optional<double> sharpe;          ///< sqrt(A) * mean(r - rf / A) / pstdev(r)
    std::optional<double> sortino;         ///< sqrt(A) * mean(r - rf / A) / downside deviation
    std::optional<double> calmar;          ///< annual_return / (max_drawdown_pct / 100)
    std::optional<double> daily_skewness;  ///< of the daily returns (population moments)
    std::optional<double> daily_kurtosis;  ///< of the daily returns, not excess (normal: 3)
    double max_drawdown_pct = 0;
    std::size_t max_drawdown_bars = 0;  ///< longest run from a peak to its recovery (or the end)
    std::int64_t max_drawdown_ns = 0;   ///< the same run in time
    std::size_t bars = 0;
    std::size_t days = 0;         ///< UTC calendar days with at least one bar
    double exposure = 0;          ///< share of bars with an open position
    double turnover = 0;          ///< traded value / mean of the daily closing equities
    double total_commission = 0;  ///< every fee paid, open trade included
    std::size_t trades = 0;       ///< closed trades
    std::size_t wins = 0;         ///< net_pnl > 0
    std::size_t losses = 0;       ///< net_pnl < 0
    std::optional<double> win_rate;
    std::optional<double> profit_factor;  ///< sum of winning net_pnl / -sum of losing net_pnl
    std::optional<double> avg_win;
    std::optional<double> avg_loss;
    std::optional<double> expectancy;  ///< mean net_pnl per closed trade
    std::optional<double> best_trade;
    std::optional<double> worst_trade;
    std::optional<double> avg_trade_bars;  ///< mean bars from entry fill to exit fill
    std::int64_t start_ns = 0;
    std::int64_t end_ns = 0;
};

namespace detail {

/// Two doubles operated on element by element (the GCC/Clang vector extension; one SSE2
/// register, the x86-64 baseline): each lane gets the IEEE operation a double would, so vector
/// and scalar code give the same bits.
using Lanes = double __attribute__((vector_size(16)));
inline constexpr std::size_t kLanes = sizeof(Lanes) / sizeof(double);

inline Lanes load_lanes(const double* p) noexcept {
    Lanes v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

/// `value` as a T (double or Lanes).
template <class T>
T splat(double value) noexcept {
    if constexpr (std::is_same_v<T, double>) {
        return value;
    } else {
        return T{value, value};
    }
}

}  // namespace detail

/// Per-bar equity statistics gathered in the same pass that produces the equity: drawdown
/// and its duration, daily returns (UTC days), exposure, mean equity. Both engines feed one of
/// these bar by bar, so their metrics are the same numbers, not merely close ones.
class EquityStats {
public:
    explicit EquityStats(double start_value) noexcept : start_value_(start_value) {
        s_.day_reference = start_value;
    }

    /// Starts over for a new run, keeping the memory of the daily returns. `day_starts`, when
    /// given, is day_starts() of the bars about to be observed (it must stay alive): blocks of
    /// bars then find their day boundaries there instead of reading every bar's time.
    void reset(double start_value, std::span<const std::size_t> day_starts = {}) noexcept {
        std::vector<double> keep = std::move(daily_returns_);
        keep.clear();
        *this = EquityStats(start_value);
        daily_returns_ = std::move(keep);
        day_starts_ = day_starts;
    }

    /// Statistics stepped elsewhere (the GPU sweep kernel) with the same detail::equity_step:
    /// `state` after the last bar, the returns it pushed and the bars in a position, ready for
    /// finish().
    void restore(const detail::EquityState& state, std::span<const double> daily_returns,
                 std::size_t in_position_bars) {
        s_ = state;
        daily_returns_.assign(daily_returns.begin(), daily_returns.end());
        in_position_bars_ = in_position_bars;
    }

    /// One bar (or one timeline step of a portfolio) at its close.
    void observe(std::int64_t ts, double equity, bool in_position) {
        step(s_, ts, equity);
        in_position_bars_ += in_position ? 1 : 0;
    }

    /// Bars [begin, end), over which the position and the cash do not change, each valued at
    /// mark(close[i]) (also written to equity_out when it is not null): the same arithmetic as
    /// observe() bar by bar. Blocks of kBlock bars are valued as vectors (`mark` takes a double
    /// or detail::Lanes); a block that neither reaches the running peak nor starts a day only
    /// moves the trough, which is its minimum, so only such blocks are stepped bar by bar.
    template <class Mark>
    void observe_range(const std::int64_t* ts, const double* close, std::size_t begin,
                       std::size_t end, bool in_position, Mark mark, double* equity_out) {
        State s = s_;
        std::size_t i = begin;
        // With a calendar: blocks run up to the next day's first bar (or `end`).
        std::size_t limit = day_limit(i, end);
        while (i < end) {
            if (day_starts_.empty() ? i + kBlock <= end && ts[i + kBlock - 1] < s.next_day_ns
                                    : i + kBlock <= limit) {
                detail::Lanes block[kBlock / detail::kLanes];
                for (std::size_t k = 0; k < kBlock / detail::kLanes; ++k) {
                    block[k] = mark(detail::load_lanes(close + i + k * detail::kLanes));
                }
                if (equity_out != nullptr) {
                    std::memcpy(equity_out + i, block, sizeof block);
                }
                detail::Lanes top = block[0];
                detail::Lanes bottom = block[0];
                for (std::size_t k = 1; k < kBlock / detail::kLanes; ++k) {
                    top = block[k] > top ? block[k] : top;
                    bottom = block[k] < bottom ? block[k] : bottom;
                }
                if (std::max(top[0], top[1]) < s.peak) {
                    const double low = std::min(bottom[0], bottom[1]);
                    if (low < s.trough) {
                        s.trough = low;
                    }
                    s.last_equity = block[kBlock / detail::kLanes - 1][detail::kLanes - 1];
                    s.bars += kBlock;
                } else {
                    for (std::size_t k = 0; k < kBlock; ++k) {
                        step(s, ts[i + k], block[k / detail::kLanes][k % detail::kLanes]);
                    }
                }
                i += kBlock;
                continue;
            }
            const double equity = mark(close[i]);
            step(s, ts[i], equity);
            if (equity_out != nullptr) {
                equity_out[i] = equity;
            }
            ++i;
            if (i > limit) {
                limit = day_limit(i, end);
            }
        }
        if (end > begin) {
            s.last_ns = ts[end - 1];
        }
        s_ = s;
        in_position_bars_ += in_position ? end - begin : 0;
    }

    /// The UTC day number of a time (days since 1970-01-01, rounding down).
    static std::int64_t utc_day(std::int64_t ts) noexcept { return detail::utc_day(ts); }

    std::size_t bars() const noexcept { return s_.bars; }
    double last_equity() const noexcept { return s_.last_equity; }
    /// The mean of the equity at the last bar of each UTC day (the points of the daily
    /// returns); 0 before the first bar.
    double mean_equity() const noexcept {
        return s_.in_day ? (s_.closed_days_equity + s_.last_equity) /
                               static_cast<double>(daily_returns_.size() + 1)
                         : 0;
    }

    /// Completes the statistics (the last day, the last drawdown) into `out`.
    void finish(double annualization, double risk_free, Metrics& out) const;

private:
    static constexpr std::size_t kBlock = 8;  // bars valued together by observe_range

    using State = detail::EquityState;

    [[gnu::always_inline]] void step(State& s, std::int64_t ts, double equity) {
        PushReturn push{&daily_returns_};
        detail::equity_step(s, ts, equity, push);
    }

    /// The first day start at or after bar i, capped at `end` (`end` without a calendar).
    std::size_t day_limit(std::size_t i, std::size_t end) noexcept {
        while (day_cursor_ < day_starts_.size() && day_starts_[day_cursor_] < i) {
            ++day_cursor_;
        }
        return day_cursor_ < day_starts_.size() ? std::min(day_starts_[day_cursor_], end) : end;
    }

    /// Where a finished day's return goes. (Only the returns vector is touched through memory,
    /// so the state can stay in registers around it.)
    struct PushReturn {
        std::vector<double>* returns;
        void operator()(double r) const { returns->push_back(r); }
    };

    double start_value_;
    State s_;
    std::span<const std::size_t> day_starts_;
    std::size_t day_cursor_ = 0;  // day_starts_ before it are behind the bars observed
    std::size_t in_position_bars_ = 0;
    std::vector<double> daily_returns_;
};

/// The first bar of each UTC day of sorted times `ts` (bar 0 first), for EquityStats::reset.
std::vector<std::size_t> day_starts(std::span<const std::int64_t> ts);

/// Trade statistics, fed one closed trade at a time.
class TradeStats {
public:
    TradeStats() = default;
    /// Sums gathered elsewhere (the GPU sweep kernel) with the same detail::TradeSums::add.
    explicit TradeStats(const detail::TradeSums& sums) noexcept : sums_(sums) {}

    void add(const Trade& trade) noexcept { sums_.add(trade); }
    /// Fees of the closed trades so far.
    double commission() const noexcept { return sums_.commission_sum; }
    /// Fills the trade fields of `out`.
    void finish(Metrics& out) const;

private:
    detail::TradeSums sums_;
};

namespace detail {

/// Completes the metrics of a run from its statistics; both engines (and the GPU sweep) end here.
inline void finish_metrics(Metrics& m, const EquityStats& equity, const TradeStats& trades,
                           double open_fees, double traded_value, const Config& config) {
    equity.finish(config.annualization, config.risk_free, m);
    trades.finish(m);
    m.total_commission = trades.commission() + open_fees;
    const double mean_equity = equity.mean_equity();
    m.turnover = mean_equity > 0 ? traded_value / mean_equity : 0;
}

}  // namespace detail

}  // namespace tradpal::backtest

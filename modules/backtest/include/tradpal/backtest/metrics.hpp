// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include <tradpal/backtest/types.hpp>

namespace tradpal::backtest {

/// The metrics of BACKTEST_SEMANTICS.md section 7. Ratios that are undefined (a zero
/// deviation, no losing trade, no trade at all) are empty and print as null.
struct Metrics {
    double start_value = 0;
    double final_value = 0;
    double total_return = 0;        ///< final / start - 1
    double annual_return = 0;       ///< (final / start)^(annualization / days) - 1
    double annual_volatility = 0;   ///< pstdev(daily returns) * sqrt(annualization)
    std::optional<double> sharpe;   ///< sqrt(A) * mean(r - rf / A) / pstdev(r)
    std::optional<double> sortino;  ///< sqrt(A) * mean(r - rf / A) / downside deviation
    std::optional<double> calmar;   ///< annual_return / (max_drawdown_pct / 100)
    double max_drawdown_pct = 0;
    std::size_t max_drawdown_bars = 0;  ///< longest run from a peak to its recovery (or the end)
    std::int64_t max_drawdown_ns = 0;   ///< the same run in time
    std::size_t bars = 0;
    std::size_t days = 0;         ///< UTC calendar days with at least one bar
    double exposure = 0;          ///< share of bars with an open position
    double turnover = 0;          ///< traded value / mean equity
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

/// Per-bar equity statistics gathered in the same pass that produces the equity: drawdown
/// and its duration, daily returns (UTC days), exposure, mean equity. Both engines feed one of
/// these bar by bar, so their metrics are the same numbers, not merely close ones.
class EquityStats {
public:
    explicit EquityStats(double start_value) noexcept
        : start_value_(start_value), day_reference_(start_value) {}

    /// Starts over for a new run, keeping the memory of the daily returns.
    void reset(double start_value) noexcept {
        std::vector<double> keep = std::move(daily_returns_);
        keep.clear();
        *this = EquityStats(start_value);
        daily_returns_ = std::move(keep);
    }

    /// One bar (or one timeline step of a portfolio) at its close.
    void observe(std::int64_t ts, double equity, bool in_position) {
        if (ts >= next_day_ns_) [[unlikely]] {
            start_day(ts);
        }
        last_equity_ = equity;
        last_ns_ = ts;
        equity_sum_ += equity;
        in_position_bars_ += in_position ? 1 : 0;
        if (equity >= peak_) {
            if (equity > peak_) [[unlikely]] {
                raise_peak(equity);
            }
            // A drawdown run ends where equity is back at its running maximum.
            if (bars_ - peak_bar_ > max_drawdown_bars_) {
                max_drawdown_bars_ = bars_ - peak_bar_;
            }
            if (ts - peak_ns_ > max_drawdown_ns_) {
                max_drawdown_ns_ = ts - peak_ns_;
            }
            peak_bar_ = bars_;
            peak_ns_ = ts;
        } else if (equity < trough_) {
            trough_ = equity;
        }
        ++bars_;
    }

    std::size_t bars() const noexcept { return bars_; }
    double last_equity() const noexcept { return last_equity_; }
    double mean_equity() const noexcept {
        return bars_ > 0 ? equity_sum_ / static_cast<double>(bars_) : 0;
    }

    /// Completes the statistics (the last day, the last drawdown) into `out`.
    void finish(double annualization, double risk_free, Metrics& out) const;

private:
    void start_day(std::int64_t ts);
    /// A new running maximum: settles the drawdown of the peak being left.
    void raise_peak(double equity) noexcept {
        if (trough_ < peak_) {
            const double drawdown = 100 * (peak_ - trough_) / peak_;
            if (drawdown > max_drawdown_pct_) {
                max_drawdown_pct_ = drawdown;
            }
        }
        peak_ = equity;
        trough_ = equity;
    }

    double start_value_;
    double day_reference_;
    std::int64_t next_day_ns_ = std::numeric_limits<std::int64_t>::min();
    bool in_day_ = false;
    std::int64_t first_ns_ = 0;
    std::int64_t last_ns_ = 0;
    double last_equity_ = 0;
    double equity_sum_ = 0;
    std::size_t in_position_bars_ = 0;
    std::size_t bars_ = 0;
    // Drawdown: the deepest point since the current peak; its percentage is computed when the
    // peak is left behind (x -> 100 * (peak - x) / peak is monotone in x, so the deepest point
    // gives the bar-by-bar maximum exactly).
    double peak_ = -std::numeric_limits<double>::infinity();
    double trough_ = std::numeric_limits<double>::infinity();
    std::size_t peak_bar_ = 0;
    std::int64_t peak_ns_ = 0;
    double max_drawdown_pct_ = 0;
    std::size_t max_drawdown_bars_ = 0;
    std::int64_t max_drawdown_ns_ = 0;
    std::vector<double> daily_returns_;
};

/// Trade statistics, fed one closed trade at a time.
class TradeStats {
public:
    void add(const Trade& trade) noexcept;
    /// Fees of the closed trades so far.
    double commission() const noexcept { return commission_sum_; }
    /// Fills the trade fields of `out`.
    void finish(Metrics& out) const;

private:
    std::size_t trades_ = 0;
    std::size_t wins_ = 0;
    std::size_t losses_ = 0;
    double win_sum_ = 0;
    double loss_sum_ = 0;
    double net_sum_ = 0;
    double best_ = -std::numeric_limits<double>::infinity();
    double worst_ = std::numeric_limits<double>::infinity();
    double bars_sum_ = 0;
    double commission_sum_ = 0;
};

}  // namespace tradpal::backtest

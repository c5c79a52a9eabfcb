// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>

#include <tradpal/backtest/metrics.hpp>

namespace tradpal::backtest {
namespace {

constexpr std::int64_t kNanosPerDay = 86'400'000'000'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// Sum with Neumaier's compensation: the daily returns are few, their mean should be exact
/// to the last bit or two whatever their order of magnitude.
double compensated_sum(const std::vector<double>& values) noexcept {
    double sum = 0;
    double compensation = 0;
    for (const double v : values) {
        const double t = sum + v;
        compensation += std::fabs(sum) >= std::fabs(v) ? (sum - t) + v : (v - t) + sum;
        sum = t;
    }
    return sum + compensation;
}

}  // namespace

void EquityStats::start_day(std::int64_t ts) {
    if (in_day_) {
        daily_returns_.push_back(last_equity_ / day_reference_ - 1);
        day_reference_ = last_equity_;
    } else {
        in_day_ = true;
        first_ns_ = ts;
        peak_ns_ = ts;  // drawdown runs are measured from the first bar on
    }
    next_day_ns_ = (floor_div(ts, kNanosPerDay) + 1) * kNanosPerDay;
}

void EquityStats::finish(double annualization, double risk_free, Metrics& out) const {
    out.start_value = start_value_;
    out.bars = bars_;
    out.start_ns = first_ns_;
    out.end_ns = last_ns_;
    out.final_value = bars_ > 0 ? last_equity_ : start_value_;
    out.total_return = out.final_value / start_value_ - 1;
    out.exposure =
        bars_ > 0 ? static_cast<double>(in_position_bars_) / static_cast<double>(bars_) : 0;

    double max_drawdown = max_drawdown_pct_;
    if (trough_ < peak_) {
        max_drawdown = std::max(max_drawdown, 100 * (peak_ - trough_) / peak_);
    }
    out.max_drawdown_pct = max_drawdown;
    out.max_drawdown_bars = bars_ > 0 ? std::max(max_drawdown_bars_, bars_ - 1 - peak_bar_) : 0;
    out.max_drawdown_ns = bars_ > 0 ? std::max(max_drawdown_ns_, last_ns_ - peak_ns_) : 0;

    std::vector<double> returns = daily_returns_;
    if (in_day_) {
        returns.push_back(last_equity_ / day_reference_ - 1);
    }
    out.days = returns.size();
    out.sharpe.reset();
    out.sortino.reset();
    out.calmar.reset();
    out.annual_return = 0;
    out.annual_volatility = 0;
    if (returns.empty()) {
        return;
    }
    const auto n = static_cast<double>(returns.size());
    const double mean = compensated_sum(returns) / n;
    const double daily_risk_free = risk_free / annualization;
    double squares = 0;
    double downside = 0;
    for (const double r : returns) {
        squares += (r - mean) * (r - mean);
        const double below = std::min(r - daily_risk_free, 0.0);
        downside += below * below;
    }
    const double deviation = std::sqrt(squares / n);
    const double downside_deviation = std::sqrt(downside / n);
    const double root = std::sqrt(annualization);
    out.annual_volatility = deviation * root;
    if (deviation > 0) {
        out.sharpe = root * (mean - daily_risk_free) / deviation;
    }
    if (downside_deviation > 0) {
        out.sortino = root * (mean - daily_risk_free) / downside_deviation;
    }
    const double growth = out.final_value / start_value_;
    out.annual_return = growth > 0 ? std::pow(growth, annualization / n) - 1 : -1;
    if (out.max_drawdown_pct > 0) {
        out.calmar = out.annual_return / (out.max_drawdown_pct / 100);
    }
}

void TradeStats::add(const Trade& trade) noexcept {
    ++trades_;
    net_sum_ += trade.net_pnl;
    commission_sum_ += trade.commission;
    if (trade.net_pnl > 0) {
        ++wins_;
        win_sum_ += trade.net_pnl;
    } else if (trade.net_pnl < 0) {
        ++losses_;
        loss_sum_ += trade.net_pnl;
    }
    best_ = std::max(best_, trade.net_pnl);
    worst_ = std::min(worst_, trade.net_pnl);
    bars_sum_ += static_cast<double>(trade.exit_bar - trade.entry_bar);
}

void TradeStats::finish(Metrics& out) const {
    out.trades = trades_;
    out.wins = wins_;
    out.losses = losses_;
    out.win_rate.reset();
    out.profit_factor.reset();
    out.avg_win.reset();
    out.avg_loss.reset();
    out.expectancy.reset();
    out.best_trade.reset();
    out.worst_trade.reset();
    out.avg_trade_bars.reset();
    if (trades_ == 0) {
        return;
    }
    const auto n = static_cast<double>(trades_);
    out.win_rate = static_cast<double>(wins_) / n;
    if (losses_ > 0) {
        out.profit_factor = win_sum_ / -loss_sum_;
        out.avg_loss = loss_sum_ / static_cast<double>(losses_);
    }
    if (wins_ > 0) {
        out.avg_win = win_sum_ / static_cast<double>(wins_);
    }
    out.expectancy = net_sum_ / n;
    out.best_trade = best_;
    out.worst_trade = worst_;
    out.avg_trade_bars = bars_sum_ / n;
}

}  // namespace tradpal::backtest

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>

#include <tradpal/backtest/metrics.hpp>

namespace tradpal::backtest {

std::vector<std::size_t> day_starts(std::span<const std::int64_t> ts) {
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i < ts.size(); ++i) {
        if (i == 0 || EquityStats::utc_day(ts[i]) != EquityStats::utc_day(ts[i - 1])) {
            starts.push_back(i);
        }
    }
    return starts;
}
namespace {

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

void EquityStats::finish(double annualization, double risk_free, Metrics& out) const {
    out.start_value = start_value_;
    out.bars = s_.bars;
    out.start_ns = s_.first_ns;
    out.end_ns = s_.last_ns;
    out.final_value = s_.bars > 0 ? s_.last_equity : start_value_;
    out.total_return = out.final_value / start_value_ - 1;
    out.exposure =
        s_.bars > 0 ? static_cast<double>(in_position_bars_) / static_cast<double>(s_.bars) : 0;

    double max_drawdown = s_.max_drawdown_pct;
    if (s_.trough < s_.peak) {
        max_drawdown = std::max(max_drawdown, 100 * (s_.peak - s_.trough) / s_.peak);
    }
    out.max_drawdown_pct = max_drawdown;
    out.max_drawdown_bars =
        s_.bars > 0 ? std::max(s_.max_drawdown_bars, s_.bars - 1 - s_.peak_bar) : 0;
    out.max_drawdown_ns = s_.bars > 0 ? std::max(s_.max_drawdown_ns, s_.last_ns - s_.peak_ns) : 0;

    std::vector<double> returns = daily_returns_;
    if (s_.in_day) {
        returns.push_back(s_.last_equity / s_.day_reference - 1);
    }
    out.days = returns.size();
    out.sharpe.reset();
    out.daily_skewness.reset();
    out.daily_kurtosis.reset();
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
    double cubes = 0;
    double fourths = 0;
    double downside = 0;
    for (const double r : returns) {
        const double d = r - mean;
        squares += d * d;
        cubes += d * d * d;
        fourths += d * d * d * d;
        const double below = std::min(r - daily_risk_free, 0.0);
        downside += below * below;
    }
    const double deviation = std::sqrt(squares / n);
    if (deviation > 0) {
        const double variance = squares / n;
        out.daily_skewness = (cubes / n) / (variance * deviation);
        out.daily_kurtosis = (fourths / n) / (variance * variance);
    }
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

void TradeStats::finish(Metrics& out) const {
    out.trades = sums_.trades;
    out.wins = sums_.wins;
    out.losses = sums_.losses;
    out.win_rate.reset();
    out.profit_factor.reset();
    out.avg_win.reset();
    out.avg_loss.reset();
    out.expectancy.reset();
    out.best_trade.reset();
    out.worst_trade.reset();
    out.avg_trade_bars.reset();
    if (sums_.trades == 0) {
        return;
    }
    const auto n = static_cast<double>(sums_.trades);
    out.win_rate = static_cast<double>(sums_.wins) / n;
    if (sums_.losses > 0) {
        out.profit_factor = sums_.win_sum / -sums_.loss_sum;
        out.avg_loss = sums_.loss_sum / static_cast<double>(sums_.losses);
    }
    if (sums_.wins > 0) {
        out.avg_win = sums_.win_sum / static_cast<double>(sums_.wins);
    }
    out.expectancy = sums_.net_sum / n;
    out.best_trade = sums_.best;
    out.worst_trade = sums_.worst;
    out.avg_trade_bars = sums_.bars_sum / n;
}

}  // namespace tradpal::backtest

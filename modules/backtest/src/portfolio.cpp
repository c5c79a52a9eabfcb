// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include <tradpal/backtest/portfolio.hpp>

#include "execution.hpp"

namespace tradpal::backtest {
namespace {

/// The period a time falls in, as a number that changes exactly at period starts.
std::int64_t period_of(std::int64_t ns, RebalancePeriod period) noexcept {
    using namespace std::chrono;
    const sys_days day = floor<days>(sys_time<nanoseconds>(nanoseconds(ns)));
    switch (period) {
        case RebalancePeriod::Daily:
            return day.time_since_epoch().count();
        case RebalancePeriod::Weekly:
            // Weeks start on Monday; 1970-01-01 was a Thursday.
            return (day.time_since_epoch().count() + 3) / 7 -
                   ((day.time_since_epoch().count() + 3) % 7 < 0 ? 1 : 0);
        case RebalancePeriod::Monthly: {
            const year_month_day ymd(day);
            return static_cast<int>(ymd.year()) * 12 +
                   static_cast<int>(static_cast<unsigned>(ymd.month()));
        }
    }
    return 0;
}

class RebalanceStrategy final : public Strategy {
public:
    RebalanceStrategy(std::vector<double> weights, RebalancePeriod period)
        : weights_(std::move(weights)), period_(period) {}

    void on_start(Context& ctx) override {
        if (weights_.size() != ctx.symbol_count()) {
            throw Exception(
                ErrorCode::InvalidArgument,
                fmt::format("{} weights for {} symbols", weights_.size(), ctx.symbol_count()));
        }
        seen_.assign(ctx.symbol_count(), false);
        last_close_.assign(ctx.symbol_count(), 0.0);
    }

    void on_bar(Context& ctx) override {
        for (const std::uint32_t k : ctx.active_symbols()) {
            ctx.focus(k);
            seen_[k] = true;
            last_close_[k] = ctx.close();
        }
        const std::int64_t now = ctx.time().ns();
        const std::int64_t period = period_of(now, period_);
        const bool joined =
            static_cast<std::size_t>(std::count(seen_.begin(), seen_.end(), true)) > members_;
        if (period == current_ && !joined) {
            return;
        }
        current_ = period;
        members_ = static_cast<std::size_t>(std::count(seen_.begin(), seen_.end(), true));
        const Sizing& sizing = ctx.config().sizing;
        const double inv_lot = 1 / sizing.lot_step;
        const double equity = ctx.equity();
        std::vector<std::pair<std::size_t, double>> buys;
        for (std::size_t k = 0; k < weights_.size(); ++k) {
            if (!seen_[k]) {
                continue;
            }
            ctx.focus(k);
            const double target = detail::fraction_size(sizing.size_fraction * weights_[k], equity,
                                                        last_close_[k], inv_lot);
            const double change = target - ctx.position();
            if (change < 0) {
                ctx.market(change, OrderRole::Rebalance);
            } else if (change > 0) {
                buys.emplace_back(k, change);
            }
        }
        for (const auto& [k, change] : buys) {
            ctx.focus(k);
            ctx.market(change, OrderRole::Rebalance);
        }
    }

private:
    std::vector<double> weights_;
    RebalancePeriod period_;
    std::vector<bool> seen_;
    std::vector<double> last_close_;
    std::size_t members_ = 0;
    std::int64_t current_ = INT64_MIN;
};

}  // namespace

std::string_view to_string(RebalancePeriod period) noexcept {
    switch (period) {
        case RebalancePeriod::Daily:
            return "daily";
        case RebalancePeriod::Weekly:
            return "weekly";
        case RebalancePeriod::Monthly:
            return "monthly";
    }
    return "monthly";
}

Result<RebalancePeriod> parse_rebalance_period(std::string_view text) {
    for (const RebalancePeriod p :
         {RebalancePeriod::Daily, RebalancePeriod::Weekly, RebalancePeriod::Monthly}) {
        if (text == to_string(p)) {
            return p;
        }
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("unknown rebalance period '{}' (daily, weekly, monthly)", text));
}

std::unique_ptr<Strategy> make_rebalance_strategy(std::vector<double> weights,
                                                  RebalancePeriod period) {
    double total = 0;
    for (const double w : weights) {
        if (!std::isfinite(w) || w < 0) {
            throw Exception(ErrorCode::InvalidArgument,
                            fmt::format("weights must be >= 0, got {}", w));
        }
        total += w;
    }
    if (weights.empty() || total > 1 + 1e-12) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("weights must sum to at most 1, got {}", total));
    }
    return std::make_unique<RebalanceStrategy>(std::move(weights), period);
}

}  // namespace tradpal::backtest

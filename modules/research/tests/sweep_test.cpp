// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/backtest/simulator.hpp>
#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/research/sweep.hpp>

namespace tradpal::research {
namespace {

namespace bt = tradpal::backtest;
using ::testing::HasSubstr;

ParameterGrid grid_of(std::vector<const char*> axes) {
    std::vector<ParamAxis> parsed;
    for (const char* axis : axes) {
        parsed.push_back(ParamAxis::parse(axis).value());
    }
    return ParameterGrid::make(std::move(parsed)).value();
}

SweepRequest request_of(ParameterGrid grid, std::vector<std::string> fixed = {},
                        std::string strategy = "sma_cross") {
    SweepRequest request;
    request.strategy = std::move(strategy);
    request.fixed = std::move(fixed);
    request.grid = std::move(grid);
    for (std::uint64_t k = 0; k < request.grid.size(); ++k) {
        request.sets.push_back(k);
    }
    return request;
}

struct Market {
    std::vector<BarSeries> bars = {data_testing::synthetic_ohlcv(3'000, 5),
                                   data_testing::synthetic_ohlcv(2'500, 6)};
    std::vector<bt::SymbolSeries> series = {{"A", bars[0].view()}, {"B", bars[1].view()}};
};

std::vector<SweepRow> all_rows(const Market& market, const SweepRequest& request, int threads,
                               SweepOutcome* outcome = nullptr,
                               SweepDevice device = SweepDevice::Cpu,
                               std::optional<std::uint64_t> gpu_memory_bytes = {}) {
    std::vector<SweepRow> rows;
    SweepOptions options;
    options.device = device;
    options.gpu_memory_bytes = gpu_memory_bytes;
    options.metric = parse_metric("sharpe").value();
    options.threads = threads;
    options.top = 5;
    SweepOutcome result = run_sweep(market.series, request, options,
                                    [&](const SweepRow& row) { rows.push_back(row); });
    if (outcome != nullptr) {
        *outcome = std::move(result);
    }
    return rows;
}

TEST(Sweep, EveryRowIsTheSingleBacktestOfItsParameters) {
    const Market market;
    const SweepRequest request =
        request_of(grid_of({"fast=4:12:4", "slow=8:24:8"}), {"allow_short=true"});
    SweepOutcome outcome;
    const auto rows = all_rows(market, request, 2, &outcome);
    // fast 8 / slow 8, fast 12 / slow 8: fast >= slow is refused, on both symbols.
    EXPECT_EQ(outcome.skipped, 4U);
    ASSERT_EQ(outcome.skip_reasons.size(), 2U);
    EXPECT_THAT(outcome.skip_reasons[0], HasSubstr("fast (8) must be less than slow (8)"));
    ASSERT_EQ(rows.size(), 14U);
    EXPECT_EQ(outcome.evaluated, 14U);
    // Every run with a Sharpe ratio is a trial behind the best one's Deflated Sharpe Ratio.
    const auto with_sharpe = static_cast<std::uint64_t>(std::count_if(
        rows.begin(), rows.end(), [](const SweepRow& r) { return r.metrics.sharpe.has_value(); }));
    EXPECT_EQ(outcome.trials.count(), with_sharpe);
    ASSERT_TRUE(outcome.best_deflated_sharpe.has_value());
    EXPECT_GE(*outcome.best_deflated_sharpe, 0.0);
    EXPECT_LE(*outcome.best_deflated_sharpe, 1.0);
    const bt::Metrics& best = outcome.top.front().metrics;
    const double root = std::sqrt(252.0);
    EXPECT_EQ(*outcome.best_deflated_sharpe,
              deflated_sharpe(*best.sharpe / root, static_cast<double>(with_sharpe),
                              outcome.trials.variance(), static_cast<double>(best.days),
                              *best.daily_skewness, *best.daily_kurtosis));
    for (const SweepRow& row : rows) {
        std::vector<std::string> params = request.grid.assignments(row.set);
        params.push_back("allow_short=true");
        const auto spec = bt::StrategySpec::make("sma_cross", params).value();
        auto strategy = bt::make_strategy(spec).value();
        const bt::BacktestResult single =
            bt::run_backtest(market.series[row.symbol], *strategy, bt::Config{});
        EXPECT_EQ(row.metrics.final_value, single.metrics.final_value)
            << fmt::format("{}", fmt::join(params, " "));
        EXPECT_EQ(row.metrics.trades, single.metrics.trades);
        EXPECT_EQ(row.metrics.max_drawdown_pct, single.metrics.max_drawdown_pct);
        EXPECT_EQ(row.metrics.sharpe, single.metrics.sharpe);
    }
}

TEST(Sweep, RowsAndTopDoNotDependOnTheThreads) {
    const Market market;
    const SweepRequest request = request_of(grid_of({"fast=3:15:2", "slow=10:40:5"}));
    SweepOutcome one;
    SweepOutcome three;
    const auto rows_one = all_rows(market, request, 1, &one);
    const auto rows_three = all_rows(market, request, 3, &three);
    ASSERT_EQ(rows_one.size(), rows_three.size());
    for (std::size_t k = 0; k < rows_one.size(); ++k) {
        EXPECT_EQ(rows_one[k].symbol, rows_three[k].symbol);
        EXPECT_EQ(rows_one[k].set, rows_three[k].set);
        EXPECT_EQ(rows_one[k].metrics.final_value, rows_three[k].metrics.final_value);
    }
    // The top five are the five best of all rows, best first.
    std::vector<SweepRow> sorted = rows_one;
    const RankMetric sharpe = parse_metric("sharpe").value();
    std::stable_sort(sorted.begin(), sorted.end(), [&](const SweepRow& a, const SweepRow& b) {
        const double x = sharpe.value(a.metrics);
        const double y = sharpe.value(b.metrics);
        if (std::isnan(x) != std::isnan(y)) {
            return std::isnan(y);
        }
        return !std::isnan(x) && x > y;
    });
    ASSERT_EQ(one.top.size(), 5U);
    for (std::size_t k = 0; k < 5; ++k) {
        EXPECT_EQ(one.top[k].set, sorted[k].set) << k;
        EXPECT_EQ(one.top[k].symbol, sorted[k].symbol) << k;
        EXPECT_EQ(three.top[k].set, one.top[k].set) << k;
    }
}

/// Every number of two metrics is the same to the bit.
void expect_same_metrics(const bt::Metrics& x, const bt::Metrics& y) {
    const auto bits = [](double v) {
        return std::bit_cast<std::uint64_t>(v);
    };
    const auto optional_bits = [&](const std::optional<double>& v) {
        return v ? std::optional(bits(*v)) : std::nullopt;
    };
    EXPECT_EQ(bits(x.final_value), bits(y.final_value));
    EXPECT_EQ(bits(x.annual_volatility), bits(y.annual_volatility));
    EXPECT_EQ(optional_bits(x.sharpe), optional_bits(y.sharpe));
    EXPECT_EQ(optional_bits(x.sortino), optional_bits(y.sortino));
    EXPECT_EQ(bits(x.max_drawdown_pct), bits(y.max_drawdown_pct));
    EXPECT_EQ(bits(x.exposure), bits(y.exposure));
    EXPECT_EQ(bits(x.turnover), bits(y.turnover));
    EXPECT_EQ(bits(x.total_commission), bits(y.total_commission));
    EXPECT_EQ(x.trades, y.trades);
    EXPECT_EQ(x.wins, y.wins);
    EXPECT_EQ(optional_bits(x.profit_factor), optional_bits(y.profit_factor));
    EXPECT_EQ(optional_bits(x.avg_trade_bars), optional_bits(y.avg_trade_bars));
    EXPECT_EQ(optional_bits(x.expectancy), optional_bits(y.expectancy));
}

/// The GPU path's rows are the CPU's: the same (symbol, set) in the same order, and the same
/// metrics to the bit. Returns how many of them traded.
std::size_t expect_same_rows(const std::vector<SweepRow>& gpu, const std::vector<SweepRow>& cpu) {
    EXPECT_EQ(gpu.size(), cpu.size());
    std::size_t traded = 0;
    for (std::size_t k = 0; k < cpu.size() && k < gpu.size(); ++k) {
        SCOPED_TRACE(k);
        EXPECT_EQ(gpu[k].symbol, cpu[k].symbol);
        EXPECT_EQ(gpu[k].set, cpu[k].set);
        expect_same_metrics(gpu[k].metrics, cpu[k].metrics);
        traded += cpu[k].metrics.trades > 0 ? 1 : 0;
    }
    return traded;
}

TEST(Sweep, GpuRowsAreTheCpuRowsStopsIncludedAndRulesFallBack) {
    // The GPU path with the device threads' code run on the host: the same rows, in the same
    // order, sets with a stop loss included; rule sets go to the CPU and are counted.
    const Market market;
    const SweepRequest request =
        request_of(grid_of({"fast=3:15:4", "slow=10:40:10", "ma=sma,ema", "stop_loss=0,0.02"}),
                   {"allow_short=1"});
    SweepOutcome cpu;
    SweepOutcome gpu;
    const auto rows_cpu = all_rows(market, request, 2, &cpu);
    const auto rows_gpu = all_rows(market, request, 2, &gpu, SweepDevice::GpuHostLoop);
    expect_same_rows(rows_gpu, rows_cpu);
    EXPECT_EQ(gpu.gpu_evaluated, rows_cpu.size());
    EXPECT_EQ(gpu.gpu_fallback, 0U);
    EXPECT_TRUE(gpu.gpu_unavailable.empty());
    ASSERT_EQ(gpu.top.size(), cpu.top.size());
    for (std::size_t k = 0; k < cpu.top.size(); ++k) {
        EXPECT_EQ(gpu.top[k].set, cpu.top[k].set) << k;
    }

    SweepRequest rules = request_of(grid_of({"slow=10,20"}), {}, "rules");
    rules.rules.entry = "close > sma(close, {slow})";
    rules.rules.exit = "close < sma(close, {slow})";
    SweepOutcome on_cpu;
    const auto rule_rows = all_rows(market, rules, 2, &on_cpu, SweepDevice::GpuHostLoop);
    EXPECT_EQ(rule_rows.size(), 4U);
    EXPECT_EQ(on_cpu.gpu_evaluated, 0U);
    EXPECT_EQ(on_cpu.gpu_fallback, 4U);
}

TEST(Sweep, GpuRunsEveryBuiltInStrategyAsTheCpuDoes) {
    // Threshold, band, breakout and macd sets through the GPU path (host loop), with shorts,
    // costs, protective orders and risk_atr sizing: the CPU's rows to the bit, none left to
    // the CPU.
    const Market market;
    std::vector<SweepRequest> requests = {
        request_of(grid_of({"period=5:25:10", "lower=20,30", "upper=70,80", "allow_short=0,1",
                            "commission=0.001"}),
                   {}, "rsi_reversion"),
        request_of(grid_of({"period=10:30:10", "devs=1,2", "allow_short=0,1"}), {},
                   "bollinger_reversion"),
        request_of(grid_of({"entry=10,20", "exit=5,15", "allow_short=0,1"}), {},
                   "donchian_breakout"),
        request_of(grid_of({"fast=5,12", "slow=26,40", "signal=9", "trailing_stop=0,0.01"}),
                   {"allow_short=1"}, "macd_cross")};
    requests[1].config.sizing.mode = bt::SizingMode::RiskAtr;
    requests[1].config.sizing.risk_fraction = 0.02;
    requests[2].fixed.push_back("stop_loss=0.015");
    requests[2].fixed.push_back("take_profit=0.03");
    for (const SweepRequest& request : requests) {
        SCOPED_TRACE(request.strategy);
        SweepOutcome cpu;
        SweepOutcome gpu;
        const auto rows_cpu = all_rows(market, request, 2, &cpu);
        const auto rows_gpu = all_rows(market, request, 2, &gpu, SweepDevice::GpuHostLoop);
        const std::size_t traded = expect_same_rows(rows_gpu, rows_cpu);
        ASSERT_GT(rows_cpu.size(), 0U);
        EXPECT_GT(traded, rows_cpu.size() / 2);
        EXPECT_EQ(gpu.gpu_evaluated, rows_cpu.size());
        EXPECT_EQ(gpu.gpu_fallback, 0U);
        EXPECT_TRUE(gpu.gpu_unavailable.empty()) << gpu.gpu_unavailable;
    }
}

TEST(Sweep, GpuBudgetTooSmallForTheInputsLeavesTheSweepToTheCpu) {
    const Market market;
    const SweepRequest request = request_of(grid_of({"fast=3:9:3", "slow=20:30:10"}));
    SweepOutcome cpu;
    SweepOutcome gpu;
    const auto rows_cpu = all_rows(market, request, 2, &cpu);
    const auto rows_gpu = all_rows(market, request, 2, &gpu, SweepDevice::GpuHostLoop, 1000);
    expect_same_rows(rows_gpu, rows_cpu);
    EXPECT_EQ(gpu.gpu_evaluated, 0U);
    EXPECT_NE(gpu.gpu_unavailable.find("memory_limit"), std::string::npos) << gpu.gpu_unavailable;
}

TEST(Sweep, GpuWithoutADeviceRunsEverythingOnTheCpu) {
    const Market market;
    const SweepRequest request = request_of(grid_of({"fast=3:9:3", "slow=20:30:10"}));
    SweepOutcome cpu;
    SweepOutcome gpu;
    const auto rows_cpu = all_rows(market, request, 2, &cpu);
    const auto rows_gpu = all_rows(market, request, 2, &gpu, SweepDevice::Gpu);
    expect_same_rows(rows_gpu, rows_cpu);
    if (gpu.gpu_evaluated == 0) {
        EXPECT_FALSE(gpu.gpu_unavailable.empty());  // and says why
    }
}

TEST(Sweep, CostAxesChangeTheConfigAndBadValuesAreSkipped) {
    const Market market;
    const SweepRequest request =
        request_of(grid_of({"commission=0,0.002,x"}), {"fast=5", "slow=20"});
    SweepOutcome outcome;
    const auto rows = all_rows(market, request, 2, &outcome);
    ASSERT_EQ(rows.size(), 4U);
    EXPECT_EQ(outcome.skipped, 2U);
    EXPECT_THAT(outcome.skip_reasons.at(0), HasSubstr("commission: 'x' is not a number"));
    EXPECT_EQ(rows[0].metrics.total_commission, 0.0);
    EXPECT_GT(rows[1].metrics.total_commission, 0.0);
    EXPECT_GT(rows[0].metrics.final_value, rows[1].metrics.final_value);
}

TEST(Sweep, MetricsAreNamedAndUnknownOnesRefused) {
    EXPECT_TRUE(parse_metric("max_drawdown_pct").value().lower_is_better);
    EXPECT_FALSE(parse_metric("total_return").value().lower_is_better);
    EXPECT_THAT(parse_metric("alpha").error().message, HasSubstr("unknown metric 'alpha'"));
}

}  // namespace
}  // namespace tradpal::research

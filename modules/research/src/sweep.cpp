// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <optional>
#include <queue>

#include <fmt/format.h>
#include <omp.h>

#include <tradpal/backtest/signals.hpp>
#include <tradpal/backtest/simulator.hpp>
#include <tradpal/research/sweep.hpp>

namespace tradpal::research {
namespace {

namespace bt = tradpal::backtest;

double optional_value(const std::optional<double>& v) {
    return v ? *v : std::nan("");
}

constexpr RankMetric kMetrics[] = {
    {"sharpe", false,
     [](const bt::Metrics& m) {
         return optional_value(m.sharpe);
     }},
    {"sortino", false,
     [](const bt::Metrics& m) {
         return optional_value(m.sortino);
     }},
    {"calmar", false,
     [](const bt::Metrics& m) {
         return optional_value(m.calmar);
     }},
    {"total_return", false,
     [](const bt::Metrics& m) {
         return m.total_return;
     }},
    {"annual_return", false,
     [](const bt::Metrics& m) {
         return m.annual_return;
     }},
    {"final_value", false,
     [](const bt::Metrics& m) {
         return m.final_value;
     }},
    {"max_drawdown_pct", true,
     [](const bt::Metrics& m) {
         return m.max_drawdown_pct;
     }},
    {"profit_factor", false,
     [](const bt::Metrics& m) {
         return optional_value(m.profit_factor);
     }},
    {"win_rate", false,
     [](const bt::Metrics& m) {
         return optional_value(m.win_rate);
     }},
    {"expectancy", false,
     [](const bt::Metrics& m) {
         return optional_value(m.expectancy);
     }},
};

bool is_config_axis(std::string_view name) {
    return std::find(std::begin(kConfigAxes), std::end(kConfigAxes), name) != std::end(kConfigAxes);
}

/// The strategy and config of one set, or the reason the strategy refuses it.
struct PreparedSet {
    std::optional<bt::StrategySpec> spec;
    bt::Config config;
    std::string refusal;
};

PreparedSet prepare(const SweepRequest& request, std::uint64_t set) {
    PreparedSet out;
    out.config = request.config;
    std::vector<std::string> params = request.fixed;
    for (const std::string& assignment : request.grid.assignments(set)) {
        const std::size_t equals = assignment.find('=');
        const std::string_view name = std::string_view(assignment).substr(0, equals);
        if (!is_config_axis(name)) {
            params.push_back(assignment);
            continue;
        }
        const std::string_view text = std::string_view(assignment).substr(equals + 1);
        double value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size()) {
            out.refusal = fmt::format("{}: '{}' is not a number", name, text);
            return out;
        }
        bt::Costs& costs = out.config.costs;
        if (name == "commission") {
            costs.commission = value;
        } else if (name == "commission_fixed") {
            costs.commission_fixed = value;
        } else if (name == "slippage_bps") {
            costs.slippage_bps = value;
        } else {
            out.config.sizing.size_fraction = value;
        }
    }
    if (auto ok = out.config.validate(); !ok) {
        out.refusal = ok.error().message;
        return out;
    }
    auto spec = bt::StrategySpec::make(request.strategy, params, request.rules);
    if (!spec) {
        out.refusal = spec.error().message;
        return out;
    }
    out.spec = std::move(*spec);
    return out;
}

/// The metrics of one set: sma_cross straight from the shared averages (its crossings are
/// found during the simulation), other strategies through their signal arrays.
bt::Metrics run_set(const bt::StrategySpec& spec, const bt::Config& config,
                    const BarSeriesView& bars, std::span<const double> atr, bt::AverageMemo& memo,
                    bt::SimulationWorkspace& workspace) {
    if (spec.name() == "sma_cross") {
        const bool ema = spec.get("ma") != 0;
        const auto fast = memo.average(ema, spec.integer("fast"), bars.close());
        const auto slow = memo.average(ema, spec.integer("slow"), bars.close());
        return bt::simulate_cross_metrics(bars, *fast, *slow, spec.allow_short(), spec.protection(),
                                          config, atr, workspace);
    }
    const bt::SignalSet signals = bt::build_signals(spec, bars, &memo).value();
    return bt::simulate_metrics(bars, bt::SignalView::of(signals), config, atr, workspace);
}

/// True when a ranks before b.
struct Better {
    const RankMetric* metric;
    bool operator()(const SweepRow& a, const SweepRow& b) const {
        const double x = metric->value(a.metrics);
        const double y = metric->value(b.metrics);
        if (std::isnan(x) != std::isnan(y)) {
            return std::isnan(y);
        }
        if (!std::isnan(x) && x != y) {
            return metric->lower_is_better ? x < y : x > y;
        }
        return a.symbol != b.symbol ? a.symbol < b.symbol : a.set < b.set;
    }
};

}  // namespace

Result<RankMetric> parse_metric(std::string_view name) {
    std::vector<std::string_view> names;
    for (const RankMetric& m : kMetrics) {
        if (m.name == name) {
            return m;
        }
        names.push_back(m.name);
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("unknown metric '{}' (known: {})", name, fmt::join(names, ", ")));
}

SweepOutcome run_sweep(std::span<const bt::SymbolSeries> series, const SweepRequest& request,
                       const SweepOptions& options, const RowSink& sink,
                       const SweepProgress& progress) {
    SweepOutcome outcome;
    const int workers = options.threads > 0 ? options.threads : omp_get_max_threads();
    // Sets are prepared once (the strategy's checks), then run symbol by symbol in blocks:
    // each block in parallel, its rows handed on in order, so that memory stays bounded and
    // the output does not depend on the threads.
    std::vector<PreparedSet> prepared(request.sets.size());
    for (std::size_t k = 0; k < request.sets.size(); ++k) {
        prepared[k] = prepare(request, request.sets[k]);
        if (!prepared[k].spec) {
            outcome.skipped += series.size();
            const auto& reasons = outcome.skip_reasons;
            if (reasons.size() < 5 &&
                std::find(reasons.begin(), reasons.end(), prepared[k].refusal) == reasons.end()) {
                outcome.skip_reasons.push_back(prepared[k].refusal);
            }
        }
    }
    const Better better{&options.metric};
    // The best `top` so far, the worst of them on top of the heap.
    std::priority_queue<SweepRow, std::vector<SweepRow>, Better> best(better);
    const std::uint64_t total = series.size() * request.sets.size();
    const std::size_t block = 64 * static_cast<std::size_t>(workers);
    std::vector<std::optional<SweepRow>> rows(block);
    std::vector<std::exception_ptr> errors(block);
    std::vector<bt::SimulationWorkspace> workspaces(static_cast<std::size_t>(workers));
    std::uint64_t done = 0;
    for (std::size_t symbol = 0; symbol < series.size(); ++symbol) {
        const bt::SymbolSeries& s = series[symbol];
        if (auto ok = bt::validate_bars(s.bars, s.name); !ok) {
            throw Exception(ok.error());
        }
        bt::AverageMemo memo;
        std::vector<double> atr;
        if (request.config.sizing.mode == bt::SizingMode::RiskAtr) {
            atr.resize(s.bars.size());
            bt::signals::atr(s.bars.high(), s.bars.low(), s.bars.close(),
                             request.config.sizing.atr_period, atr);
        }
        for (std::size_t first = 0; first < prepared.size(); first += block) {
            const auto count = static_cast<std::int64_t>(std::min(block, prepared.size() - first));
#pragma omp parallel for schedule(dynamic, 1) num_threads(workers)
            for (std::int64_t j = 0; j < count; ++j) {
                const auto slot = static_cast<std::size_t>(j);
                const PreparedSet& p = prepared[first + slot];
                rows[slot].reset();
                errors[slot] = nullptr;
                if (!p.spec) {
                    continue;
                }
                try {
                    bt::SimulationWorkspace& workspace =
                        workspaces[static_cast<std::size_t>(omp_get_thread_num())];
                    rows[slot] = SweepRow{symbol, request.sets[first + slot],
                                          run_set(*p.spec, p.config, s.bars, atr, memo, workspace)};
                } catch (...) {
                    errors[slot] = std::current_exception();
                }
            }
            for (std::int64_t j = 0; j < count; ++j) {
                const auto slot = static_cast<std::size_t>(j);
                if (errors[slot]) {
                    std::rethrow_exception(errors[slot]);
                }
                if (!rows[slot]) {
                    continue;
                }
                ++outcome.evaluated;
                if (const auto& sharpe = rows[slot]->metrics.sharpe) {
                    outcome.trials.add(*sharpe / std::sqrt(request.config.annualization));
                }
                if (sink) {
                    sink(*rows[slot]);
                }
                if (options.top > 0) {
                    if (best.size() < options.top) {
                        best.push(*rows[slot]);
                    } else if (better(*rows[slot], best.top())) {
                        best.pop();
                        best.push(*rows[slot]);
                    }
                }
            }
            done += static_cast<std::uint64_t>(count);
            if (progress) {
                progress(done, total);
            }
        }
    }
    while (!best.empty()) {
        outcome.top.push_back(best.top());
        best.pop();
    }
    std::reverse(outcome.top.begin(), outcome.top.end());
    if (!outcome.top.empty()) {
        const bt::Metrics& m = outcome.top.front().metrics;
        if (m.sharpe && m.daily_skewness && m.daily_kurtosis) {
            const double dsr = deflated_sharpe(
                *m.sharpe / std::sqrt(request.config.annualization),
                static_cast<double>(outcome.trials.count()), outcome.trials.variance(),
                static_cast<double>(m.days), *m.daily_skewness, *m.daily_kurtosis);
            if (std::isfinite(dsr)) {
                outcome.best_deflated_sharpe = dsr;
            }
        }
    }
    return outcome;
}

}  // namespace tradpal::research

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <memory>
#include <optional>
#include <queue>

#include <fmt/format.h>
#include <omp.h>

#include <tradpal/backtest/signals.hpp>
#include <tradpal/backtest/simulator.hpp>
#include <tradpal/gpu/sweep.hpp>
#include <tradpal/research/sweep.hpp>

#include "sweep_engine.hpp"

namespace tradpal::research {

using detail::Better;
using detail::PreparedSet;
using detail::SweepEngine;

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

/// Lines the GPU sweep's rules read, computed once per symbol and source.
struct LineSource {
    enum class Family { Sma, Ema, Macd, Rsi, Bollinger, Channel };
    Family family = Family::Sma;
    int period = 0;   ///< macd: the fast period
    int slow = 0;     ///< macd
    int signal = 0;   ///< macd
    double devs = 0;  ///< bollinger
    auto operator<=>(const LineSource&) const = default;
};

/// The lines of a source as build_signals() computes them (strategies.cpp): sma and ema one
/// line (from the memo the CPU sets share), macd the macd and signal lines, rsi one line,
/// bollinger the middle, lower and upper bands, channel the highest high and lowest low.
std::vector<std::shared_ptr<const std::vector<double>>> source_lines(const LineSource& source,
                                                                     const BarSeriesView& bars,
                                                                     bt::AverageMemo& memo) {
    using Family = LineSource::Family;
    if (source.family == Family::Sma || source.family == Family::Ema) {
        return {memo.average(source.family == Family::Ema, source.period, bars.close())};
    }
    const std::size_t count = source.family == Family::Rsi         ? 1
                              : source.family == Family::Bollinger ? 3
                                                                   : 2;
    std::vector<std::vector<double>> lines(count, std::vector<double>(bars.size()));
    switch (source.family) {
        case Family::Macd:
            bt::signals::macd(bars.close(), source.period, source.slow, source.signal, lines[0],
                              lines[1]);
            break;
        case Family::Rsi:
            bt::signals::rsi(bars.close(), source.period, lines[0]);
            break;
        case Family::Bollinger:
            bt::signals::bollinger(bars.close(), source.period, source.devs, lines[0], lines[2],
                                   lines[1]);
            break;
        default:
            bt::signals::channel(bars.high(), bars.low(), source.period, lines[0], lines[1]);
            break;
    }
    std::vector<std::shared_ptr<const std::vector<double>>> out;
    for (auto& line : lines) {
        out.push_back(std::make_shared<const std::vector<double>>(std::move(line)));
    }
    return out;
}

/// How the GPU sweep runs a set: a rule over lines, each a line of a source.
struct GpuRule {
    struct LineRef {
        LineSource source;
        std::uint32_t index = 0;  ///< among the source's lines
    };
    gpu::RuleKind kind = gpu::RuleKind::Cross;
    std::vector<LineRef> lines;  ///< in the order gpu::RuleKind gives
    double lower = 0;
    double upper = 0;
};

/// The rule of a set's strategy over the lines build_signals() uses, or nothing for a
/// strategy the GPU does not run.
std::optional<GpuRule> gpu_rule(const bt::StrategySpec& spec) {
    using Family = LineSource::Family;
    const std::string& name = spec.name();
    GpuRule rule;
    if (name == "sma_cross") {
        const Family ma = spec.get("ma") != 0 ? Family::Ema : Family::Sma;
        rule.lines = {{{ma, spec.integer("fast")}, 0}, {{ma, spec.integer("slow")}, 0}};
    } else if (name == "macd_cross") {
        const LineSource macd{Family::Macd, spec.integer("fast"), spec.integer("slow"),
                              spec.integer("signal")};
        rule.lines = {{macd, 0}, {macd, 1}};
    } else if (name == "rsi_reversion") {
        rule.kind = gpu::RuleKind::Levels;
        rule.lines = {{{Family::Rsi, spec.integer("period")}, 0}};
        rule.lower = spec.get("lower");
        rule.upper = spec.get("upper");
    } else if (name == "bollinger_reversion") {
        rule.kind = gpu::RuleKind::Bands;
        const LineSource bands{Family::Bollinger, spec.integer("period"), 0, 0, spec.get("devs")};
        rule.lines = {{bands, 0}, {bands, 1}, {bands, 2}};
    } else if (name == "donchian_breakout") {
        rule.kind = gpu::RuleKind::Breakout;
        const LineSource entry{Family::Channel, spec.integer("entry")};
        const LineSource exit{Family::Channel, spec.integer("exit")};
        rule.lines = {{entry, 0}, {entry, 1}, {exit, 0}, {exit, 1}};
    } else {
        return std::nullopt;
    }
    return rule;
}

}  // namespace

namespace detail {

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

}  // namespace detail

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

SweepEngine::SweepEngine(std::span<const bt::SymbolSeries> series, const SweepRequest& request,
                         const SweepOptions& options, std::size_t block)
    : series_(series),
      request_(request),
      options_(options),
      workers_(options.threads > 0 ? options.threads : omp_get_max_threads()),
      block_(block > 0 ? block : 64 * static_cast<std::size_t>(workers_)),
      best_(Better{&options_.metric}),
      workspaces_(static_cast<std::size_t>(workers_)) {
    // Sets are checked once; a refused set counts once per symbol.
    prepared_.resize(request.sets.size());
    for (std::size_t k = 0; k < request.sets.size(); ++k) {
        prepared_[k] = prepare(request, request.sets[k]);
        if (!prepared_[k].spec) {
            outcome_.skipped += series.size();
            const auto& reasons = outcome_.skip_reasons;
            if (reasons.size() < 5 &&
                std::find(reasons.begin(), reasons.end(), prepared_[k].refusal) == reasons.end()) {
                outcome_.skip_reasons.push_back(prepared_[k].refusal);
            }
        }
    }
    blocks_per_symbol_ = (prepared_.size() + block_ - 1) / block_;
}

std::size_t SweepEngine::block_count() const noexcept {
    return series_.size() * blocks_per_symbol_;
}

std::size_t SweepEngine::block_size(std::size_t b) const noexcept {
    const std::size_t first = (b % blocks_per_symbol_) * block_;
    return std::min(block_, prepared_.size() - first);
}

void SweepEngine::compute(std::size_t b, std::vector<SweepRow>& out) {
    const std::size_t symbol = b / blocks_per_symbol_;
    const std::size_t first = (b % blocks_per_symbol_) * block_;
    const bt::SymbolSeries& s = series_[symbol];
    if (symbol != symbol_ || !memo_) {
        // A new symbol: its bars checked, its shared averages and ATR afresh.
        if (auto ok = bt::validate_bars(s.bars, s.name); !ok) {
            throw Exception(ok.error());
        }
        symbol_ = symbol;
        memo_ = std::make_unique<bt::AverageMemo>();
        atr_.clear();
        if (request_.config.sizing.mode == bt::SizingMode::RiskAtr) {
            atr_.resize(s.bars.size());
            bt::signals::atr(s.bars.high(), s.bars.low(), s.bars.close(),
                             request_.config.sizing.atr_period, atr_);
        }
        gpu_rows_.clear();
        if (options_.device != SweepDevice::Cpu && !gpu_off_) {
            run_gpu(s);
        }
    }
    const std::size_t count = block_size(b);
    std::vector<std::optional<SweepRow>> rows(count);
    std::vector<std::exception_ptr> errors(count);
#pragma omp parallel for schedule(dynamic, 1) num_threads(workers_)
    for (std::int64_t j = 0; j < static_cast<std::int64_t>(count); ++j) {
        const auto slot = static_cast<std::size_t>(j);
        const PreparedSet& p = prepared_[first + slot];
        if (!p.spec) {
            continue;
        }
        if (first + slot < gpu_rows_.size() && gpu_rows_[first + slot]) {
            rows[slot] = SweepRow{symbol, request_.sets[first + slot], *gpu_rows_[first + slot]};
            continue;
        }
        try {
            bt::SimulationWorkspace& workspace =
                workspaces_[static_cast<std::size_t>(omp_get_thread_num())];
            rows[slot] = SweepRow{symbol, request_.sets[first + slot],
                                  run_set(*p.spec, p.config, s.bars, atr_, *memo_, workspace)};
        } catch (...) {
            errors[slot] = std::current_exception();
        }
    }
    for (std::size_t slot = 0; slot < count; ++slot) {
        if (errors[slot]) {
            std::rethrow_exception(errors[slot]);
        }
        if (rows[slot]) {
            out.push_back(*rows[slot]);
        }
    }
}

void SweepEngine::run_gpu(const bt::SymbolSeries& s) {
    gpu::BatchOptions gpu_options(options_.device == SweepDevice::GpuHostLoop
                                      ? gpu::Backend::HostLoop
                                      : gpu::Backend::Device);
    gpu_options.device = options_.gpu_device;
    gpu_options.memory_limit = options_.gpu_memory_limit;
    gpu_options.memory_bytes = options_.gpu_memory_bytes;
    // Each set as a rule over lines; every distinct source of lines is computed once (in
    // parallel) and uploaded once.
    std::vector<std::pair<std::size_t, GpuRule>> planned;  // (set, rule)
    std::vector<LineSource> sources;
    for (std::size_t k = 0; k < prepared_.size(); ++k) {
        const PreparedSet& p = prepared_[k];
        if (!p.spec) {
            continue;
        }
        auto rule = gpu_rule(*p.spec);
        if (!rule) {
            ++outcome_.gpu_fallback;
            continue;
        }
        for (const GpuRule::LineRef& ref : rule->lines) {
            sources.push_back(ref.source);
        }
        planned.emplace_back(k, std::move(*rule));
    }
    if (planned.empty()) {
        return;
    }
    // Without a device this symbol and the next ones run on the CPU: no line computed for it.
    if (auto target = gpu::batch_target(gpu_options); !target) {
        if (target.error().code != ErrorCode::Unavailable) {
            throw Exception(target.error());
        }
        gpu_off_ = true;
        outcome_.gpu_unavailable = target.error().message;
        return;
    }
    std::sort(sources.begin(), sources.end());
    sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
    std::vector<std::vector<std::shared_ptr<const std::vector<double>>>> lines(sources.size());
    std::vector<std::exception_ptr> errors(sources.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(workers_)
    for (std::int64_t j = 0; j < static_cast<std::int64_t>(sources.size()); ++j) {
        const auto slot = static_cast<std::size_t>(j);
        try {
            lines[slot] = source_lines(sources[slot], s.bars, *memo_);
        } catch (...) {
            errors[slot] = std::current_exception();
        }
    }
    for (const std::exception_ptr& error : errors) {
        if (error) {
            std::rethrow_exception(error);
        }
    }
    gpu::SweepBatch batch;
    batch.symbols = {s.bars};
    std::vector<std::uint32_t> first_line;  // of each source in batch.lines
    for (const auto& source : lines) {
        first_line.push_back(static_cast<std::uint32_t>(batch.lines.size()));
        for (const auto& line : source) {
            batch.lines.emplace_back(*line);
        }
    }
    const std::uint32_t atr_line =
        atr_.empty() ? gpu::kNoLine : static_cast<std::uint32_t>(batch.lines.size());
    if (!atr_.empty()) {
        batch.lines.emplace_back(atr_);
    }
    for (const auto& [set, rule] : planned) {
        gpu::SweepRun run;
        run.kind = rule.kind;
        for (std::size_t k = 0; k < rule.lines.size(); ++k) {
            const auto source =
                std::lower_bound(sources.begin(), sources.end(), rule.lines[k].source) -
                sources.begin();
            run.lines[k] = first_line[static_cast<std::size_t>(source)] + rule.lines[k].index;
        }
        run.lower = rule.lower;
        run.upper = rule.upper;
        run.allow_short = prepared_[set].spec->allow_short();
        run.protection = prepared_[set].spec->protection();
        run.atr_line = atr_line;
        batch.configs.push_back(prepared_[set].config);
        run.config = static_cast<std::uint32_t>(batch.configs.size() - 1);
        batch.runs.push_back(run);
    }
    auto metrics = gpu::simulate_sweep(batch, gpu_options);
    if (!metrics) {
        if (metrics.error().code != ErrorCode::Unavailable) {
            throw Exception(metrics.error());
        }
        // The device failed, or the bars and lines alone exceed the memory budget: this
        // symbol and the next ones run on the CPU.
        gpu_off_ = true;
        outcome_.gpu_unavailable = metrics.error().message;
        return;
    }
    gpu_rows_.resize(prepared_.size());
    for (std::size_t j = 0; j < planned.size(); ++j) {
        gpu_rows_[planned[j].first] = (*metrics)[j];
    }
    outcome_.gpu_evaluated += planned.size();
}

void SweepEngine::consume(const SweepRow& row, const RowSink& sink) {
    ++outcome_.evaluated;
    if (const auto& sharpe = row.metrics.sharpe) {
        outcome_.trials.add(*sharpe / std::sqrt(request_.config.annualization));
    }
    if (sink) {
        sink(row);
    }
    if (options_.top > 0) {
        if (best_.size() < options_.top) {
            best_.push(row);
        } else if (Better{&options_.metric}(row, best_.top())) {
            best_.pop();
            best_.push(row);
        }
    }
}

SweepOutcome SweepEngine::finish() {
    while (!best_.empty()) {
        outcome_.top.push_back(best_.top());
        best_.pop();
    }
    std::reverse(outcome_.top.begin(), outcome_.top.end());
    if (!outcome_.top.empty()) {
        const bt::Metrics& m = outcome_.top.front().metrics;
        if (m.sharpe && m.daily_skewness && m.daily_kurtosis) {
            const double dsr = deflated_sharpe(
                *m.sharpe / std::sqrt(request_.config.annualization),
                static_cast<double>(outcome_.trials.count()), outcome_.trials.variance(),
                static_cast<double>(m.days), *m.daily_skewness, *m.daily_kurtosis);
            if (std::isfinite(dsr)) {
                outcome_.best_deflated_sharpe = dsr;
            }
        }
    }
    return std::move(outcome_);
}

SweepOutcome run_sweep(std::span<const bt::SymbolSeries> series, const SweepRequest& request,
                       const SweepOptions& options, const RowSink& sink,
                       const SweepProgress& progress) {
    // Block by block: each block in parallel, its rows handed on in order, so that memory stays
    // bounded and the output does not depend on the threads.
    SweepEngine engine(series, request, options);
    const std::uint64_t total = series.size() * request.sets.size();
    std::uint64_t done = 0;
    std::vector<SweepRow> rows;
    for (std::size_t b = 0; b < engine.block_count(); ++b) {
        rows.clear();
        engine.compute(b, rows);
        for (const SweepRow& row : rows) {
            engine.consume(row, sink);
        }
        done += engine.block_size(b);
        if (progress) {
            progress(done, total);
        }
    }
    return engine.finish();
}

}  // namespace tradpal::research

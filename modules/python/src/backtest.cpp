// SPDX-License-Identifier: Apache-2.0
// Backtests and sweeps on bars given as numpy columns, with the CLI's settings and reports.
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/engine.hpp>
#include <tradpal/backtest/report.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/research/grid.hpp>
#include <tradpal/research/multi.hpp>
#include <tradpal/research/sweep.hpp>

#include "bindings.hpp"

namespace tradpal::python {
namespace {

namespace py = pybind11;
namespace bt = tradpal::backtest;

/// Bars from the columns ts (int64 ns), open, high, low, close, volume (float64, contiguous,
/// prepared by tradpal/backtest.py); the arrays stay referenced by the caller's dict.
BarSeriesView bars_of(const py::dict& columns) {
    const auto f64 = [&](const char* name) {
        const auto a = columns[name].cast<py::array_t<double, py::array::c_style>>();
        return std::span<const double>(a.data(), static_cast<std::size_t>(a.size()));
    };
    const auto ts = columns["ts"].cast<py::array_t<std::int64_t, py::array::c_style>>();
    const std::span<const std::int64_t> t(ts.data(), static_cast<std::size_t>(ts.size()));
    const auto open = f64("open"), high = f64("high"), low = f64("low"), close = f64("close"),
               volume = f64("volume");
    for (const std::size_t n :
         {open.size(), high.size(), low.size(), close.size(), volume.size()}) {
        if (n != t.size()) {
            throw py::value_error("the bar columns must have the same length");
        }
    }
    return {t, open, high, low, close, volume};
}

bt::RuleTexts rules_of(const py::dict& rules) {
    bt::RuleTexts out;
    for (const auto& [key, value] : rules) {
        const auto name = key.cast<std::string>();
        const auto text = value.cast<std::string>();
        if (name == "entry") {
            out.entry = text;
        } else if (name == "exit") {
            out.exit = text;
        } else if (name == "short_entry") {
            out.short_entry = text;
        } else if (name == "short_exit") {
            out.short_exit = text;
        } else {
            throw py::value_error(
                fmt::format("unknown rule '{}' (entry, exit, short_entry, short_exit)", name));
        }
    }
    return out;
}

/// The CLI's execution options (names without the leading dashes, '-' as '_'), validated.
bt::Config config_of(const py::dict& settings) {
    bt::Config c;
    for (const auto& [key, value] : settings) {
        const auto name = key.cast<std::string>();
        if (name == "cash") {
            c.cash = value.cast<double>();
        } else if (name == "commission") {
            c.costs.commission = value.cast<double>();
        } else if (name == "commission_fixed") {
            c.costs.commission_fixed = value.cast<double>();
        } else if (name == "slippage_bps") {
            c.costs.slippage_bps = value.cast<double>();
        } else if (name == "sizing") {
            c.sizing.mode = bt::parse_sizing_mode(value.cast<std::string>()).value();
        } else if (name == "size_fraction") {
            c.sizing.size_fraction = value.cast<double>();
        } else if (name == "lot_step") {
            c.sizing.lot_step = value.cast<double>();
        } else if (name == "quantity") {
            c.sizing.quantity = value.cast<double>();
        } else if (name == "cash_amount") {
            c.sizing.cash_amount = value.cast<double>();
        } else if (name == "risk") {
            c.sizing.risk_fraction = value.cast<double>();
        } else if (name == "atr_period") {
            c.sizing.atr_period = value.cast<int>();
        } else if (name == "atr_multiple") {
            c.sizing.atr_multiple = value.cast<double>();
        } else if (name == "fill") {
            c.fill_price = bt::parse_fill_price(value.cast<std::string>()).value();
        } else if (name == "stop_same_bar") {
            c.stop_same_bar = value.cast<bool>();
        } else if (name == "annualization") {
            c.annualization = value.cast<double>();
        } else if (name == "risk_free") {
            c.risk_free = value.cast<double>();
        } else {
            throw py::value_error(fmt::format("unknown backtest setting '{}'", name));
        }
    }
    c.validate().value();
    return c;
}

template <class T>
py::array_t<T> array_of(const std::vector<T>& values) {
    return py::array_t<T>(static_cast<py::ssize_t>(values.size()), values.data());
}

py::dict run(const py::dict& columns, const std::string& name, const std::string& strategy,
             const std::vector<std::string>& params, const py::dict& rules,
             const py::dict& settings, const std::string& engine) {
    const bt::StrategySpec spec = bt::StrategySpec::make(strategy, params, rules_of(rules)).value();
    const bt::Config config = config_of(settings);
    const research::Engine kind = research::parse_engine(engine).value();
    const bt::SymbolSeries series{name, bars_of(columns)};
    if (series.bars.empty()) {
        throw py::value_error(fmt::format("{} has no bars", name));
    }
    bt::BacktestResult result;
    {
        py::gil_scoped_release unlocked;
        result = research::run_each(std::span(&series, 1), spec, config, kind, 1, {}).front();
    }
    const bt::ReportContext report{&result, std::span(&series, 1), spec.canonical(), engine};
    const std::size_t n = result.trades.size();
    std::vector<std::int64_t> entry_ns(n), exit_ns(n);
    std::vector<double> size(n), entry_price(n), exit_price(n), gross(n), commission(n), net(n);
    py::list side, exit_type;
    for (std::size_t i = 0; i < n; ++i) {
        const bt::Trade& t = result.trades[i];
        entry_ns[i] = t.entry_ns;
        exit_ns[i] = t.exit_ns;
        size[i] = t.size;
        entry_price[i] = t.entry_price;
        exit_price[i] = t.exit_price;
        gross[i] = t.gross_pnl;
        commission[i] = t.commission;
        net[i] = t.net_pnl;
        side.append(std::string(bt::to_string(t.side)));
        exit_type.append(std::string(bt::exit_type_name(t.exit_role)));
    }
    py::dict trades(
        py::arg("entry_time") = array_of(entry_ns), py::arg("exit_time") = array_of(exit_ns),
        py::arg("side") = side, py::arg("size") = array_of(size),
        py::arg("entry_price") = array_of(entry_price),
        py::arg("exit_price") = array_of(exit_price), py::arg("gross_pnl") = array_of(gross),
        py::arg("commission") = array_of(commission), py::arg("net_pnl") = array_of(net),
        py::arg("exit_type") = exit_type);
    const auto steps = bt::timeline(result, std::span(&series, 1));
    return py::dict(
        py::arg("summary") = bt::summary_json(report, -1), py::arg("strategy") = spec.canonical(),
        py::arg("warmup") = spec.warmup(), py::arg("trades") = trades,
        py::arg("equity_time") = array_of(std::vector<std::int64_t>(steps.begin(), steps.end())),
        py::arg("equity") = array_of(result.equity));
}

/// The metrics of a sweep row, named as in `tradpal sweep --json`.
py::dict metrics_of(const bt::Metrics& m) {
    const auto opt = [](const std::optional<double>& v) {
        return v ? *v : NAN;
    };
    return py::dict(
        py::arg("final_value") = m.final_value, py::arg("total_return") = m.total_return,
        py::arg("annual_return") = m.annual_return, py::arg("sharpe") = opt(m.sharpe),
        py::arg("sortino") = opt(m.sortino), py::arg("calmar") = opt(m.calmar),
        py::arg("max_drawdown_pct") = m.max_drawdown_pct,
        py::arg("trades") = static_cast<double>(m.trades), py::arg("win_rate") = opt(m.win_rate),
        py::arg("profit_factor") = opt(m.profit_factor), py::arg("expectancy") = opt(m.expectancy),
        py::arg("exposure") = m.exposure, py::arg("total_commission") = m.total_commission);
}

py::dict sweep(const py::dict& columns, const std::string& name, const std::string& strategy,
               const std::vector<std::string>& fixed, const py::dict& rules,
               const std::vector<std::string>& grid, const py::dict& settings,
               const std::string& metric, std::size_t top, std::uint64_t random, std::uint64_t seed,
               int threads) {
    std::vector<research::ParamAxis> axes;
    for (const std::string& text : grid) {
        axes.push_back(research::ParamAxis::parse(text).value());
    }
    research::SweepRequest request;
    request.strategy = strategy;
    request.fixed = fixed;
    request.rules = rules_of(rules);
    request.grid = research::ParameterGrid::make(std::move(axes)).value();
    request.config = config_of(settings);
    request.sets = request.grid.sample(random > 0 ? random : request.grid.size(), seed);
    research::SweepOptions options;
    options.metric = research::parse_metric(metric).value();
    options.top = top;
    options.threads = threads;
    const bt::SymbolSeries series{name, bars_of(columns)};
    if (series.bars.empty()) {
        throw py::value_error(fmt::format("{} has no bars", name));
    }
    research::SweepOutcome outcome;
    {
        py::gil_scoped_release unlocked;
        outcome = research::run_sweep(std::span(&series, 1), request, options);
    }
    py::list rows;
    for (const research::SweepRow& row : outcome.top) {
        py::dict entry;
        entry["set"] = row.set;
        py::dict params;
        for (const std::string& assignment : request.grid.assignments(row.set)) {
            const std::size_t eq = assignment.find('=');
            params[py::str(assignment.substr(0, eq))] = assignment.substr(eq + 1);
        }
        entry["params"] = params;
        entry["metrics"] = metrics_of(row.metrics);
        rows.append(entry);
    }
    return py::dict(
        py::arg("sets") = request.sets.size(), py::arg("grid_size") = request.grid.size(),
        py::arg("evaluated") = outcome.evaluated, py::arg("skipped") = outcome.skipped,
        py::arg("skip_reasons") = outcome.skip_reasons,
        py::arg("metric") = std::string(options.metric.name),
        py::arg("best_deflated_sharpe") =
            outcome.best_deflated_sharpe ? py::object(py::float_(*outcome.best_deflated_sharpe))
                                         : py::object(py::none()),
        py::arg("top") = rows);
}

}  // namespace

void bind_backtest(py::module_& m) {
    m.def("backtest", &run, py::arg("columns"), py::arg("name"), py::arg("strategy"),
          py::arg("params"), py::arg("rules"), py::arg("settings"), py::arg("engine"));
    m.def("sweep", &sweep, py::arg("columns"), py::arg("name"), py::arg("strategy"),
          py::arg("fixed"), py::arg("rules"), py::arg("grid"), py::arg("settings"),
          py::arg("metric"), py::arg("top"), py::arg("random"), py::arg("seed"),
          py::arg("threads"));
    py::list strategies;
    for (const bt::StrategyInfo& info : bt::builtin_strategies()) {
        py::dict params;
        for (const bt::StrategyParam& p : info.params) {
            params[py::str(std::string(p.name))] = p.type == bt::ParamType::Choice
                                                       ? py::object(py::str(std::string(p.choices)))
                                                       : py::object(py::float_(p.default_value));
        }
        strategies.append(
            py::dict(py::arg("name") = std::string(info.name), py::arg("params") = params));
    }
    m.attr("strategies") = strategies;
}

}  // namespace tradpal::python

// SPDX-License-Identifier: Apache-2.0
// tradpal backtest: one symbol (a CSV file or a stored series), several symbols one by one, or
// several symbols as one portfolio sharing its cash.
#include <charconv>
#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/backtest/portfolio.hpp>
#include <tradpal/backtest/report.hpp>
#include <tradpal/backtest/simulator.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/config.hpp>
#include <tradpal/core/output.hpp>
#include <tradpal/research/multi.hpp>

#include "backtest_inputs.hpp"
#include "context.hpp"
#include "ml_support.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

using nlohmann::json;
namespace bt = tradpal::backtest;

struct BacktestArgs {
    MarketArgs market;
    StrategyArgs strategy;
    ExecutionArgs execution;
    bool portfolio = false;
    std::string rebalance;
    std::string weights;
    std::string engine = "event";
    std::string model;
    std::string trades_out;
    std::string equity_out;
    std::string report;
    bool timing = false;
};

void write_outputs(const bt::ReportContext& report, const BacktestArgs& a,
                   const std::string& suffix) {
    // Several separate runs write one file each: name.csv -> name.<symbol>.csv.
    const auto path_for = [&](const std::string& path) {
        if (suffix.empty() || path == "-") {
            return path;
        }
        const std::filesystem::path p(path);
        return (p.parent_path() / (p.stem().string() + "." + suffix + p.extension().string()))
            .string();
    };
    if (!a.trades_out.empty()) {
        OutputFile out = OutputFile::open(path_for(a.trades_out)).value();
        bt::write_trades_csv(report, out);
        out.commit();
    }
    if (!a.equity_out.empty()) {
        OutputFile out = OutputFile::open(path_for(a.equity_out)).value();
        bt::write_equity_csv(report, out);
        out.commit();
    }
    if (!a.report.empty()) {
        OutputFile out = OutputFile::open(path_for(a.report)).value();
        bt::write_html_report(report, out);
        out.commit();
    }
}

std::string safe_name(const std::string& symbol) {
    std::string out = symbol;
    for (char& c : out) {
        if (c == '/' || c == '\\' || c == ' ' || c == ':') {
            c = '-';
        }
    }
    return out;
}

/// A note when nothing traded because the series is shorter than the strategy's warm-up.
std::optional<std::string> warmup_note(const bt::BacktestResult& r, const bt::StrategySpec& spec,
                                       std::size_t bars) {
    const std::size_t warmup = spec.warmup();
    if (r.fills.empty() && warmup > 0 && bars < warmup) {
        return fmt::format(
            "the series has {} bars, fewer than the {} that {} needs before its first signal: "
            "no trades",
            bars, warmup, spec.canonical());
    }
    return std::nullopt;
}

json aggregate_json(const research::Aggregate& all) {
    const auto optional = [](const std::optional<double>& v) {
        return v ? json(*v) : json();
    };
    return {{"accounts", all.accounts},
            {"start_value", all.start_value},
            {"final_value", all.final_value},
            {"total_return", all.total_return},
            {"total_commission", all.total_commission},
            {"n_trades", all.trades},
            {"wins", all.wins},
            {"win_rate", optional(all.win_rate)},
            {"mean_sharpe", optional(all.mean_sharpe)},
            {"worst_max_drawdown_pct", all.worst_max_drawdown_pct}};
}

/// One row per symbol and the accounts together.
void print_aggregate(std::span<const bt::SymbolSeries> series,
                     std::span<const bt::BacktestResult> results, const research::Aggregate& all) {
    const auto percent = [](double v) {
        return fmt::format("{:.2f}%", 100 * v);
    };
    const auto ratio = [](const std::optional<double>& v) {
        return v ? fmt::format("{:.2f}", *v) : std::string("-");
    };
    Table table({"SYMBOL", "FINAL VALUE", "RETURN", "SHARPE", "MAX DD", "TRADES", "WIN RATE"});
    for (std::size_t k = 0; k < series.size(); ++k) {
        const bt::Metrics& m = results[k].metrics;
        table.add_row({series[k].name, fmt::format("{:.2f}", m.final_value),
                       percent(m.total_return), ratio(m.sharpe),
                       fmt::format("{:.2f}%", m.max_drawdown_pct), with_commas(m.trades),
                       m.win_rate ? percent(*m.win_rate) : "-"});
    }
    table.add_row({"all accounts", fmt::format("{:.2f}", all.final_value),
                   percent(all.total_return), ratio(all.mean_sharpe) + " (mean)",
                   fmt::format("{:.2f}%", all.worst_max_drawdown_pct) + " (worst)",
                   with_commas(all.trades), all.win_rate ? percent(*all.win_rate) : "-"});
    table.print(std::cout);
}

/// One symbol's summary through the cache: keyed by the bars (their data version and the date
/// range used), the strategy, every config field, the engine and the TradPal version.
int run_cached(Context& ctx, const BacktestArgs& a, const LoadedSeries& loaded,
               const bt::SymbolSeries& s, const bt::StrategySpec& spec, const bt::Config& config,
               research::Engine engine) {
    cache::KeyBuilder key("backtest");
    key.add("bars", loaded.stored ? data::data_version(loaded.stored->meta())
                                  : cache::file_fingerprint(a.market.input).value());
    const BarSeriesView bars = s.bars;
    key.add("range", fmt::format("{}..{}x{}", bars.ts().front(), bars.ts().back(), bars.size()));
    key.add("name", s.name)
        .add("strategy", spec.canonical())
        .add("config", bt::canonical(config))
        .add("engine", a.engine)
        .add("version", std::string_view(TRADPAL_VERSION));
    std::string state = "hit";
    const auto value = ctx.cache().get_or_compute(key.build(), [&] {
        state = "miss";
        const auto run_stage = ctx.stage("backtest");
        const bt::BacktestResult result =
            research::run_each(std::span<const bt::SymbolSeries>(&s, 1), spec, config, engine, 1,
                               {})
                .front();
        const bt::ReportContext report{&result, std::span<const bt::SymbolSeries>(&s, 1),
                                       spec.canonical(), a.engine};
        cache::Value v;
        v.columns.push_back(cache::Column::text("summary_json", bt::summary_json(report)));
        v.columns.push_back(cache::Column::text("summary_table", bt::summary_table(report)));
        v.columns.push_back(
            cache::Column::text("note", warmup_note(result, spec, s.bars.size()).value_or("")));
        return v;
    });
    const std::string_view note = value->find("note")->as_text();
    if (ctx.json) {
        json doc = json::parse(value->find("summary_json")->as_text());
        if (!note.empty()) {
            doc["note"] = note;
        }
        doc["cache"] = state;
        Context::print_json(doc);
        return 0;
    }
    std::cout << value->find("summary_table")->as_text();
    if (!note.empty()) {
        std::cerr << "note: " << note << "\n";
    }
    std::cout << fmt::format("\n{} bars{}\n", with_commas(s.bars.size()),
                             state == "hit" ? " (summary from the cache)" : "");
    return 0;
}

int run_backtest_command(Context& ctx, BacktestArgs& a) {
    const bt::Config config = make_config(a.execution);
    if (auto engine = research::parse_engine(a.engine); !engine) {
        throw Exception(engine.error());  // before any data is loaded
    }
    const bool ml = a.strategy.name == "ml";
    const auto load_started = std::chrono::steady_clock::now();
    auto load_stage = ctx.stage("load");
    std::optional<ModelForecasts> forecasts;
    std::vector<LoadedSeries> loaded;
    if (ml) {
        if (a.portfolio) {
            throw Exception(ErrorCode::InvalidArgument,
                            "--strategy ml backtests one series, not a --portfolio");
        }
        forecasts = model_forecasts(ctx, a.model, a.market);
        loaded.push_back(std::move(forecasts->series));
    } else {
        if (!a.model.empty()) {
            throw Exception(ErrorCode::InvalidArgument, "--model goes with --strategy ml");
        }
        loaded = load_series(ctx, a.market);
    }
    const double load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - load_started).count();
    const std::vector<bt::SymbolSeries> series = tradable(loaded, a.market);
    load_stage.stop();
    const bool rebalancing = !a.rebalance.empty();
    if (rebalancing && !a.portfolio) {
        throw Exception(ErrorCode::InvalidArgument, "--rebalance needs --portfolio");
    }

    if (a.portfolio) {
        if (a.engine != "event") {
            throw Exception(ErrorCode::InvalidArgument,
                            "a portfolio runs on the event-driven engine (--engine event)");
        }
        std::vector<double> weights;
        for (const std::string& w : split_list(a.weights)) {
            double weight = 0;
            const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
            if (ec != std::errc() || end != w.data() + w.size() || !(weight >= 0)) {
                throw Exception(ErrorCode::InvalidArgument,
                                fmt::format("--weights: '{}' is not a weight (a number >= 0)", w));
            }
            weights.push_back(weight);
        }
        std::unique_ptr<bt::Strategy> strategy;
        std::string description;
        if (rebalancing) {
            if (weights.empty()) {
                weights.assign(series.size(), 1.0 / static_cast<double>(series.size()));
            }
            strategy = bt::make_rebalance_strategy(weights,
                                                   bt::parse_rebalance_period(a.rebalance).value());
            description =
                fmt::format("rebalance({},weights={})", a.rebalance, fmt::join(weights, "/"));
        } else {
            const bt::StrategySpec spec = a.strategy.spec();
            std::vector<std::unique_ptr<bt::Strategy>> children;
            for (std::size_t k = 0; k < series.size(); ++k) {
                children.push_back(bt::make_strategy(spec).value());
            }
            strategy = std::make_unique<bt::PerSymbolStrategy>(std::move(children));
            description = spec.canonical();
        }
        auto run_stage = ctx.stage("backtest");
        const auto started = std::chrono::steady_clock::now();
        const bt::BacktestResult result = bt::run_portfolio(
            series, *strategy, config, rebalancing ? std::span<const double>{} : weights);
        const double run_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        run_stage.stop();
        const auto report_stage = ctx.stage("report");
        const bt::ReportContext report{&result, series, description, "event"};
        write_outputs(report, a, "");
        if (ctx.json) {
            json doc = json::parse(bt::summary_json(report));
            if (a.timing) {
                doc["timing"] = {{"load_s", load_seconds}, {"backtest_s", run_seconds}};
            }
            Context::print_json(doc);
        } else {
            std::cout << bt::summary_table(report);
        }
        return 0;
    }

    const bt::StrategySpec spec = a.strategy.spec();
    const research::Engine engine = research::parse_engine(a.engine).value();
    if (ml && ctx.use_cache) {
        spdlog::warn("--cache keeps no ml backtests; the backtest runs");
    } else if (ctx.use_cache && series.size() == 1) {
        if (a.trades_out.empty() && a.equity_out.empty() && a.report.empty()) {
            return run_cached(ctx, a, loaded.front(), series.front(), spec, config, engine);
        }
        spdlog::warn(
            "--cache keeps backtest summaries only; with --trades-out, --equity-out "
            "or --report the backtest runs");
    }
    // Separate accounts, one backtest per symbol, on all the cores --workers allows.
    auto run_stage = ctx.stage("backtest");
    const auto started = std::chrono::steady_clock::now();
    std::vector<bt::BacktestResult> results;
    if (ml) {
        const auto signals = std::make_shared<const bt::SignalSet>(
            bt::forecast_signals(spec, forecasts->edge).value());
        if (engine == research::Engine::Vectorized) {
            results.push_back(bt::simulate(series.front(), bt::SignalView::of(*signals), config));
        } else {
            const auto strategy = bt::make_signal_strategy(signals);
            results.push_back(bt::run_backtest(series.front(), *strategy, config));
        }
    } else {
        ProgressBar bar("backtesting", "symbols", ctx.show_progress() && series.size() > 1);
        results = research::run_each(
            series, spec, config, engine, ctx.threads(),
            [&](std::size_t done, std::size_t total) { bar.update(done, total); });
    }
    const double run_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    run_stage.stop();
    const auto report_stage = ctx.stage("report");
    json runs = json::array();
    for (std::size_t k = 0; k < series.size(); ++k) {
        const bt::SymbolSeries& s = series[k];
        const bt::BacktestResult& result = results[k];
        const std::string description =
            ml ? fmt::format("{} with model {}", spec.canonical(), a.model) : spec.canonical();
        const bt::ReportContext report{&result, std::span<const bt::SymbolSeries>(&s, 1),
                                       description, a.engine};
        write_outputs(report, a, series.size() > 1 ? safe_name(s.name) : "");
        const auto note = ml ? std::optional<std::string>(fmt::format(
                                   "out of sample from {} (the model's test split on)",
                                   forecasts->model["out_of_sample_from"].get<std::string>()))
                             : warmup_note(result, spec, s.bars.size());
        if (ctx.json) {
            json doc = json::parse(bt::summary_json(report));
            if (ml) {
                doc["model"] = forecasts->model;
            }
            if (note) {
                doc["note"] = *note;
            }
            runs.push_back(doc);
        } else {
            if (series.size() > 1) {
                std::cout << fmt::format("== {}\n", s.name);
            }
            std::cout << bt::summary_table(report);
            if (note) {
                std::cerr << "note: " << *note << "\n";
            }
            std::cout << "\n";
        }
    }
    const json timing = {{"load_s", load_seconds}, {"backtest_s", run_seconds}};
    if (series.size() == 1) {
        if (ctx.json) {
            if (a.timing) {
                runs.front()["timing"] = timing;
            }
            Context::print_json(runs.front());
        } else {
            std::cout << fmt::format("{} bars in {}\n", with_commas(series.front().bars.size()),
                                     format_seconds(run_seconds));
        }
        return 0;
    }
    const research::Aggregate all = research::aggregate(results);
    if (ctx.json) {
        json doc = {{"runs", runs}, {"aggregate", aggregate_json(all)}};
        if (a.timing) {
            doc["timing"] = timing;
        }
        Context::print_json(doc);
    } else {
        print_aggregate(series, results, all);
        std::uint64_t bars = 0;
        for (const bt::SymbolSeries& s : series) {
            bars += s.bars.size();
        }
        std::cout << fmt::format("{} backtests, {} bars in {} on {} threads\n", series.size(),
                                 with_commas(bars), format_seconds(run_seconds),
                                 std::min<std::size_t>(series.size(), ctx.thread_count()));
    }
    return 0;
}

}  // namespace

void add_backtest_command(CLI::App& app, std::vector<Command>& commands) {
    auto args = std::make_shared<BacktestArgs>();
    CLI::App* c = app.add_subcommand(
        "backtest", "Backtest a strategy on one symbol, several, or a portfolio sharing its cash");
    c->footer(strategies_help(true) +
              "Rules (docs/RULES.md): --strategy rules --entry \"cross_up(ema(close,12), "
              "ema(close,26))\" "
              "--exit \"cross_down(ema(close,12), ema(close,26))\"\n"
              "Execution rules: docs/BACKTEST.md. Times in the CSV files are unix seconds.");
    BacktestArgs& a = *args;
    add_market_options(*c, a.market);
    c->add_flag("--portfolio", a.portfolio, "One account for all --symbols (shared cash)");
    c->add_option(
        "--rebalance", a.rebalance,
        "With --portfolio: hold target weights, traded back at each daily|weekly|monthly start");
    c->add_option("--weights", a.weights, "Portfolio weights, comma-separated (default: equal)");
    add_strategy_options(*c, a.strategy);
    add_execution_options(*c, a.execution);
    c->add_option("--engine", a.engine,
                  "event (bar by bar) or vectorized (signal arrays); same trades")
        ->capture_default_str();
    c->add_option("--model", a.model,
                  "--strategy ml: a model directory (tradpal train); trades its forecasts on the "
                  "bars from its test split on");
    c->add_option("--trades-out", a.trades_out, "Write the closed trades as CSV");
    c->add_option("--equity-out", a.equity_out, "Write the equity per bar as CSV");
    c->add_flag("--timing", a.timing,
                "With --json: add the seconds spent loading and backtesting (timing.load_s, "
                "timing.backtest_s); without it the JSON is identical from run to run");
    c->add_option("--report", a.report, "Write a self-contained HTML report");
    commands.push_back({c, [args](Context& ctx) {
                            return run_backtest_command(ctx, *args);
                        }});
}

}  // namespace tradpal::cli

// SPDX-License-Identifier: Apache-2.0
// tradpal sweep: many parameter sets of one strategy over one or more series.
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include <tradpal/cli/app.hpp>
#include <tradpal/core/output.hpp>
#include <tradpal/core/timeframe.hpp>
#include <tradpal/research/genetic.hpp>
#include <tradpal/research/heatmap.hpp>
#include <tradpal/research/mpi.hpp>
#include <tradpal/research/sweep.hpp>
#include <tradpal/research/walkforward.hpp>

#include "backtest_inputs.hpp"
#include "context.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

using nlohmann::json;
namespace bt = tradpal::backtest;

struct SweepArgs {
    MarketArgs market;
    StrategyArgs strategy;
    ExecutionArgs execution;
    std::vector<std::string> grid;
    std::uint64_t random = 0;
    std::uint64_t seed = 1;
    std::string metric = "sharpe";
    std::size_t top = 20;
    std::string out;
    std::string heatmap;
    bool mpi = false;
    bool gpu = false;
    std::optional<int> gpu_device;
    std::string optimizer = "grid";
    research::GeneticOptions genetic;
};

/// The metric columns of the results file and of the JSON rows, in this order.
const std::pair<const char*, double (*)(const bt::Metrics&)> kColumns[] = {
    {"final_value",
     [](const bt::Metrics& m) {
         return m.final_value;
     }},
    {"total_return",
     [](const bt::Metrics& m) {
         return m.total_return;
     }},
    {"annual_return",
     [](const bt::Metrics& m) {
         return m.annual_return;
     }},
    {"sharpe",
     [](const bt::Metrics& m) {
         return m.sharpe.value_or(NAN);
     }},
    {"sortino",
     [](const bt::Metrics& m) {
         return m.sortino.value_or(NAN);
     }},
    {"calmar",
     [](const bt::Metrics& m) {
         return m.calmar.value_or(NAN);
     }},
    {"max_drawdown_pct",
     [](const bt::Metrics& m) {
         return m.max_drawdown_pct;
     }},
    {"trades",
     [](const bt::Metrics& m) {
         return static_cast<double>(m.trades);
     }},
    {"win_rate",
     [](const bt::Metrics& m) {
         return m.win_rate.value_or(NAN);
     }},
    {"profit_factor",
     [](const bt::Metrics& m) {
         return m.profit_factor.value_or(NAN);
     }},
    {"expectancy",
     [](const bt::Metrics& m) {
         return m.expectancy.value_or(NAN);
     }},
    {"exposure",
     [](const bt::Metrics& m) {
         return m.exposure;
     }},
    {"total_commission",
     [](const bt::Metrics& m) {
         return m.total_commission;
     }},
};

/// A number as the shortest text that reads back the same; empty when undefined.
std::string cell(double v) {
    return std::isfinite(v) ? fmt::format("{}", v) : std::string();
}

/// "fast=5" -> "5".
std::string value_of(const std::string& assignment) {
    return assignment.substr(assignment.find('=') + 1);
}

/// The sets, strategy and config the options describe. Throws: tradpal::Exception.
research::SweepRequest request_of(const SweepArgs& a) {
    std::vector<research::ParamAxis> axes;
    for (const std::string& text : a.grid) {
        axes.push_back(research::ParamAxis::parse(text).value());
    }
    research::SweepRequest request;
    request.strategy = a.strategy.name;
    request.fixed = a.strategy.params;
    request.rules = a.strategy.rules;
    request.grid = research::ParameterGrid::make(std::move(axes)).value();
    request.config = make_config(a.execution);
    // The genetic search picks its own sets: a grid too large to run whole is not listed.
    if (a.optimizer != "genetic") {
        request.sets = request.grid.sample(a.random > 0 ? a.random : request.grid.size(), a.seed);
    }
    return request;
}

/// The options sweep and walkforward share.
void add_grid_options(CLI::App& c, SweepArgs& a) {
    add_market_options(c, a.market);
    add_strategy_options(c, a.strategy);
    c.add_option("--grid", a.grid,
                 "A swept parameter: name=start:stop:step (stop included) or name=a,b,c "
                 "(repeatable; the sets are every combination)")
        ->required();
    c.add_option("--random", a.random, "Run this many sets drawn from the grid (0: all)");
    c.add_option("--seed", a.seed, "Seed of --random")->capture_default_str();
    c.add_option("--metric", a.metric,
                 "Rank by sharpe, sortino, calmar, total_return, annual_return, final_value, "
                 "max_drawdown_pct (lowest first), profit_factor, win_rate or expectancy")
        ->capture_default_str();
}

int run_sweep_here(Context& ctx, SweepArgs& a, const research::MpiSession* session);

int run_sweep_command(Context& ctx, SweepArgs& a) {
    if (!a.mpi) {
        return run_sweep_here(ctx, a, nullptr);
    }
    // Every process of the job runs this; rank 0 alone writes. An error on any process ends
    // the whole job, which would otherwise wait for it.
    const research::MpiSession session;
    try {
        return run_sweep_here(ctx, a, &session);
    } catch (const Exception& e) {
        std::cerr << fmt::format("error (MPI rank {}): {}\n", session.rank(), e.what());
        session.abort(exit_code(e.code()));
    }
}

int run_sweep_here(Context& ctx, SweepArgs& a, const research::MpiSession* session) {
    const bool writer = session == nullptr || session->rank() == 0;
    if (a.optimizer != "grid" && a.optimizer != "random" && a.optimizer != "genetic") {
        throw Exception(
            ErrorCode::InvalidArgument,
            fmt::format("unknown --optimizer '{}' (grid, random, genetic)", a.optimizer));
    }
    if (a.optimizer == "random" && a.random == 0) {
        throw Exception(ErrorCode::InvalidArgument, "--optimizer random needs --random N");
    }
    if (a.optimizer == "genetic" && session != nullptr) {
        throw Exception(ErrorCode::InvalidArgument, "--optimizer genetic runs in one process");
    }
    const research::RankMetric metric = research::parse_metric(a.metric).value();
    const research::SweepRequest request = request_of(a);

    auto load_stage = ctx.stage("load");
    const std::vector<LoadedSeries> loaded = load_series(ctx, a.market);
    const std::vector<bt::SymbolSeries> series = tradable(loaded, a.market);
    load_stage.stop();

    std::optional<OutputFile> out;
    if (!a.out.empty() && writer) {
        out.emplace(OutputFile::open(a.out).value());
        std::string header = "symbol,set";
        for (const research::ParamAxis& axis : request.grid.axes()) {
            header += "," + axis.name;
        }
        for (const auto& [name, value] : kColumns) {
            header += fmt::format(",{}", name);
        }
        out->write(header + "\n");
    }
    const auto write_row = [&](const research::SweepRow& row) {
        std::string line = fmt::format("{},{}", series[row.symbol].name, row.set);
        for (const std::string& assignment : request.grid.assignments(row.set)) {
            line += "," + value_of(assignment);
        }
        for (const auto& [name, value] : kColumns) {
            line += "," + cell(value(row.metrics));
        }
        out->write(line + "\n");
    };

    // The heat-map: the ranking metric of every set of the first symbol over two axes.
    std::vector<double> heat;
    if (!a.heatmap.empty()) {
        if (request.grid.axes().size() != 2) {
            throw Exception(ErrorCode::InvalidArgument,
                            fmt::format("--heatmap needs exactly two --grid axes, got {}",
                                        request.grid.axes().size()));
        }
        heat.assign(request.grid.size(), NAN);
    }
    const auto sink = [&](const research::SweepRow& row) {
        if (out) {
            write_row(row);
        }
        if (!heat.empty() && row.symbol == 0) {
            heat[row.set] = metric.value(row.metrics);
        }
    };

    research::SweepOptions options;
    options.metric = metric;
    options.top = a.top;
    options.threads = ctx.threads();
    if (a.gpu) {
        if (!ctx.settings.values.gpu.enabled) {
            std::cerr << "note: [gpu] enabled = false: the sweep runs on the CPU\n";
        } else if (a.optimizer == "grid" && session == nullptr) {
            options.device = research::SweepDevice::Gpu;
            options.gpu_device = a.gpu_device;
            options.gpu_memory_limit = ctx.settings.values.gpu.memory_limit;
        } else {
            std::cerr << "note: --gpu runs grid sweeps without --mpi; this one runs on the CPU\n";
        }
    }
    const auto started = std::chrono::steady_clock::now();
    research::SweepOutcome outcome;
    {
        const auto sweep_stage = ctx.stage("sweep");
        ProgressBar bar("sweeping", "runs", ctx.show_progress() && writer);
        const research::RowSink rows =
            out || !heat.empty() ? research::RowSink(sink) : research::RowSink();
        const auto report = [&](std::uint64_t done, std::uint64_t total) {
            bar.update(done, total);
        };
        if (a.optimizer == "genetic") {
            research::GeneticOptions genetic = a.genetic;
            genetic.seed = a.seed;
            outcome =
                research::run_genetic(series, request, options, genetic, rows, report).value();
        } else if (session != nullptr) {
            outcome = research::run_sweep_mpi(*session, series, request, options, rows, report);
        } else {
            outcome = research::run_sweep(series, request, options, rows, report);
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // The genetic search runs part of the grid: the sets it tried.
    const std::uint64_t sets_run = a.optimizer == "genetic"
                                       ? (outcome.evaluated + outcome.skipped) / series.size()
                                       : request.sets.size();
    if (options.device == research::SweepDevice::Gpu && writer) {
        if (!outcome.gpu_unavailable.empty()) {
            std::cerr << fmt::format("note: the GPU ran nothing ({}): the sweep ran on the CPU\n",
                                     outcome.gpu_unavailable);
        } else if (outcome.gpu_fallback > 0) {
            std::cerr << fmt::format(
                "note: {} of {} runs ran on the CPU (the GPU takes the built-in strategies, not "
                "rules)\n",
                with_commas(outcome.gpu_fallback),
                with_commas(outcome.gpu_fallback + outcome.gpu_evaluated));
        }
    }
    if (!writer) {
        return 0;
    }
    if (out) {
        out->commit();
    }
    if (!heat.empty()) {
        // Grid order has the first axis slowest: cell (x, y) is set x * ny + y; the image
        // goes row by row.
        const auto swept = request.grid.axes();
        research::Heatmap map;
        map.title = fmt::format("{} of {} on {}", metric.name, a.strategy.name, series[0].name);
        map.x_name = swept[0].name;
        map.y_name = swept[1].name;
        map.x_values = swept[0].values;
        map.y_values = swept[1].values;
        map.lower_is_better = metric.lower_is_better;
        const std::size_t nx = map.x_values.size();
        const std::size_t ny = map.y_values.size();
        map.cells.resize(nx * ny);
        for (std::size_t x = 0; x < nx; ++x) {
            for (std::size_t y = 0; y < ny; ++y) {
                map.cells[y * nx + x] = heat[x * ny + y];
            }
        }
        OutputFile image = OutputFile::open(a.heatmap).value();
        image.write(research::heatmap_svg(map));
        image.commit();
    }

    if (ctx.json) {
        json top = json::array();
        for (const research::SweepRow& row : outcome.top) {
            json params = json::object();
            for (const std::string& assignment : request.grid.assignments(row.set)) {
                params[assignment.substr(0, assignment.find('='))] = value_of(assignment);
            }
            json entry = {
                {"symbol", series[row.symbol].name}, {"set", row.set}, {"params", params}};
            for (const auto& [name, value] : kColumns) {
                const double v = value(row.metrics);
                entry[name] = std::isfinite(v) ? json(v) : json();
            }
            top.push_back(entry);
        }
        Context::print_json(
            {{"sets", sets_run},
             {"grid_size", request.grid.size()},
             {"symbols", series.size()},
             {"evaluated", outcome.evaluated},
             {"skipped", outcome.skipped},
             {"skip_reasons", outcome.skip_reasons},
             {"metric", metric.name},
             {"trials_with_sharpe", outcome.trials.count()},
             {"daily_sharpe_variance", outcome.trials.variance()},
             {"best_deflated_sharpe",
              outcome.best_deflated_sharpe ? json(*outcome.best_deflated_sharpe) : json()},
             {"top", top}});
        return 0;
    }
    std::uint64_t bar_count = 0;
    for (const bt::SymbolSeries& s : series) {
        bar_count += s.bars.size();
    }
    const double set_bars = static_cast<double>(bar_count) * static_cast<double>(sets_run);
    std::cout << fmt::format(
        "{} parameter sets x {} symbols: {} runs in {} ({} set-bars/s, {} threads)\n",
        with_commas(sets_run), series.size(), with_commas(outcome.evaluated),
        format_seconds(seconds),
        with_commas(static_cast<std::uint64_t>(set_bars / std::max(seconds, 1e-9))),
        ctx.thread_count());
    if (outcome.skipped > 0) {
        std::cout << fmt::format("skipped {} runs the strategy refuses, e.g.:\n",
                                 with_commas(outcome.skipped));
        for (const std::string& reason : outcome.skip_reasons) {
            std::cout << "  " << reason << "\n";
        }
    }
    std::vector<std::string> headers = {"RANK", "SYMBOL"};
    for (const research::ParamAxis& axis : request.grid.axes()) {
        headers.push_back(axis.name);
    }
    for (const char* column : {"SHARPE", "RETURN", "MAX DD", "TRADES", "WIN RATE"}) {
        headers.emplace_back(column);
    }
    Table table(headers);
    for (std::size_t k = 0; k < outcome.top.size(); ++k) {
        const research::SweepRow& row = outcome.top[k];
        const bt::Metrics& m = row.metrics;
        std::vector<std::string> cells = {std::to_string(k + 1), series[row.symbol].name};
        for (const std::string& assignment : request.grid.assignments(row.set)) {
            cells.push_back(value_of(assignment));
        }
        cells.push_back(m.sharpe ? fmt::format("{:.2f}", *m.sharpe) : "-");
        cells.push_back(fmt::format("{:.2f}%", 100 * m.total_return));
        cells.push_back(fmt::format("{:.2f}%", m.max_drawdown_pct));
        cells.push_back(with_commas(m.trades));
        cells.push_back(m.win_rate ? fmt::format("{:.1f}%", 100 * *m.win_rate) : "-");
        table.add_row(std::move(cells));
    }
    std::cout << fmt::format("\nBest {} by {}:\n", outcome.top.size(), metric.name);
    table.print(std::cout);
    if (outcome.best_deflated_sharpe) {
        std::cout << fmt::format(
            "Deflated Sharpe Ratio of the best: {:.3f} (the probability that its true Sharpe "
            "ratio is above 0, given {} trials)\n",
            *outcome.best_deflated_sharpe, with_commas(outcome.trials.count()));
    }
    if (out) {
        std::cout << fmt::format("Every run: {}\n", a.out);
    }
    if (!heat.empty()) {
        std::cout << fmt::format("Heat-map: {}\n", a.heatmap);
    }
    return 0;
}

struct WalkForwardArgs {
    SweepArgs sweep;
    std::string train;
    std::string test;
    std::string step;
    bool anchored = false;
    std::string equity_out;
};

/// "180d" -> ns. Throws: tradpal::Exception (InvalidArgument) naming the option.
std::int64_t duration_ns(const std::string& text, const char* option) {
    auto tf = Timeframe::parse(text);
    if (!tf || tf->is_calendar()) {
        throw Exception(
            ErrorCode::InvalidArgument,
            fmt::format("{} '{}': give a length such as 180d, 12w or 36h", option, text));
    }
    return tf->nominal_ns();
}

int run_walkforward_command(Context& ctx, WalkForwardArgs& a) {
    research::WalkForwardOptions options;
    options.train_ns = duration_ns(a.train, "--train");
    options.test_ns = duration_ns(a.test, "--test");
    options.step_ns = a.step.empty() ? 0 : duration_ns(a.step, "--step");
    options.anchored = a.anchored;
    options.metric = research::parse_metric(a.sweep.metric).value();
    options.threads = ctx.threads();
    const research::SweepRequest request = request_of(a.sweep);
    const std::vector<LoadedSeries> loaded = load_series(ctx, a.sweep.market);
    const std::vector<bt::SymbolSeries> series = tradable(loaded, a.sweep.market);
    if (series.size() != 1) {
        throw Exception(ErrorCode::InvalidArgument,
                        "walkforward runs on one series (--symbol or --input)");
    }
    research::WalkForwardResult r;
    {
        ProgressBar bar("walking forward", "windows", ctx.show_progress());
        r = research::walk_forward(
                series[0], request, options,
                [&](std::size_t done, std::size_t total) { bar.update(done, total); })
                .value();
    }
    if (!a.equity_out.empty()) {
        OutputFile out = OutputFile::open(a.equity_out).value();
        out.write("timestamp,value\n");
        for (std::size_t i = 0; i < r.equity.size(); ++i) {
            out.write(fmt::format("{},{}\n", r.ts[i] / kNanosPerSecond, r.equity[i]));
        }
        out.commit();
    }
    const auto params_of = [&](std::uint64_t set) {
        std::vector<std::string> values;
        for (const std::string& assignment : request.grid.assignments(set)) {
            values.push_back(value_of(assignment));
        }
        return values;
    };
    const bt::Metrics& m = r.stitched;
    if (ctx.json) {
        json windows = json::array();
        for (const research::WalkWindow& w : r.windows) {
            json params = json::object();
            for (const std::string& assignment : request.grid.assignments(*w.chosen)) {
                params[assignment.substr(0, assignment.find('='))] = value_of(assignment);
            }
            windows.push_back({{"train_start", format_iso(Timestamp(w.train_start_ns))},
                               {"test_start", format_iso(Timestamp(w.train_end_ns))},
                               {"test_end", format_iso(Timestamp(w.test_end_ns))},
                               {"set", *w.chosen},
                               {"params", params},
                               {"in_sample", w.in_sample_score},
                               {"out_of_sample_return", w.out_of_sample.total_return},
                               {"out_of_sample_trades", w.out_of_sample.trades}});
        }
        Context::print_json({{"windows", windows},
                             {"parameter_changes", r.parameter_changes},
                             {"out_of_sample",
                              {{"bars", m.bars},
                               {"final_value", m.final_value},
                               {"total_return", m.total_return},
                               {"annual_return", m.annual_return},
                               {"sharpe", m.sharpe ? json(*m.sharpe) : json()},
                               {"max_drawdown_pct", m.max_drawdown_pct},
                               {"n_trades", m.trades},
                               {"exposure", m.exposure},
                               {"total_commission", m.total_commission}}}});
        return 0;
    }
    std::vector<std::string> headers = {"TEST FROM", "TEST TO"};
    for (const research::ParamAxis& axis : request.grid.axes()) {
        headers.push_back(axis.name);
    }
    headers.push_back(fmt::format("IN-SAMPLE {}", options.metric.name));
    headers.emplace_back("OOS RETURN");
    headers.emplace_back("OOS TRADES");
    Table table(headers);
    for (const research::WalkWindow& w : r.windows) {
        std::vector<std::string> cells = {format_date(Timestamp(w.train_end_ns)),
                                          format_date(Timestamp(w.test_end_ns - 1))};
        for (std::string& value : params_of(*w.chosen)) {
            cells.push_back(std::move(value));
        }
        cells.push_back(fmt::format("{:.3f}", w.in_sample_score));
        cells.push_back(fmt::format("{:.2f}%", 100 * w.out_of_sample.total_return));
        cells.push_back(with_commas(w.out_of_sample.trades));
        table.add_row(std::move(cells));
    }
    table.print(std::cout);
    std::cout << fmt::format(
        "\nOut of sample, {} windows stitched ({} bars): return {:.2f}%, annual {:.2f}%, "
        "Sharpe {}, max drawdown {:.2f}%, {} trades\n"
        "The chosen parameters changed {} times in {} windows.\n",
        r.windows.size(), with_commas(m.bars), 100 * m.total_return, 100 * m.annual_return,
        m.sharpe ? fmt::format("{:.2f}", *m.sharpe) : "-", m.max_drawdown_pct,
        with_commas(m.trades), r.parameter_changes, r.windows.size());
    return 0;
}

}  // namespace

void add_sweep_command(CLI::App& app, std::vector<Command>& commands) {
    auto args = std::make_shared<SweepArgs>();
    CLI::App* c = app.add_subcommand(
        "sweep", "Run many parameter sets of a strategy and rank them (vectorized, all cores)");
    c->footer(strategies_help(false) +
              "Axes that set costs instead of a parameter: commission, commission_fixed, "
              "slippage_bps, size_fraction.\n"
              "Example: tradpal sweep --symbol BTC/USD --grid fast=5:50:1 --grid slow=20:200:10 "
              "--metric sharpe --top 10 --out sweep.csv");
    SweepArgs& a = *args;
    add_grid_options(*c, a);
    c->add_option("--top", a.top, "How many of the best runs to show")->capture_default_str();
    c->add_option("--out", a.out, "Write every run's parameters and metrics as CSV");
    c->add_option("--optimizer", a.optimizer,
                  "grid (every set, or --random N of them) or genetic (--population, "
                  "--generations, --mutation, --seed)")
        ->capture_default_str();
    c->add_option("--population", a.genetic.population, "genetic: sets per generation")
        ->capture_default_str();
    c->add_option("--generations", a.genetic.generations, "genetic: generations after the first")
        ->capture_default_str();
    c->add_option("--mutation", a.genetic.mutation,
                  "genetic: chance that a child's value on an axis moves")
        ->capture_default_str();
    c->add_flag("--mpi", a.mpi,
                "Run as one process of an MPI job (mpirun -np N tradpal sweep --mpi ...): the "
                "sets are shared out over the processes, rank 0 writes the results");
    c->add_option("--heatmap", a.heatmap,
                  "With two --grid axes: write an SVG heat-map of the --metric over them (first "
                  "symbol)");
    c->add_flag("--gpu", a.gpu,
                "Run the sets of sma_cross, macd_cross, rsi_reversion, bollinger_reversion and "
                "donchian_breakout on the CUDA device (the same metrics as the CPU), in passes "
                "within [gpu] memory_limit; rules sets run on the CPU, and all sets when there "
                "is no device, each with a one-line note");
    c->add_option("--gpu-device", a.gpu_device,
                  "With --gpu: the CUDA device (default: the one with the most free memory)");
    add_execution_options(*c, a.execution);
    commands.push_back({c, [args](Context& ctx) {
                            return run_sweep_command(ctx, *args);
                        }});
}

void add_walkforward_command(CLI::App& app, std::vector<Command>& commands) {
    auto args = std::make_shared<WalkForwardArgs>();
    CLI::App* c = app.add_subcommand(
        "walkforward",
        "Choose parameters on each training window, trade them on the next test window");
    c->footer(
        "Example: tradpal walkforward --symbol BTC/USD --timeframe 1h --grid fast=5:50:5 "
        "--grid slow=20:200:20 --train 180d --test 30d\n"
        "Docs: docs/RESEARCH.md");
    WalkForwardArgs& a = *args;
    add_grid_options(*c, a.sweep);
    c->add_option("--train", a.train, "Length of each training window, e.g. 180d")->required();
    c->add_option("--test", a.test, "Length of each test window, e.g. 30d")->required();
    c->add_option("--step", a.step, "Distance between windows (default: the test length)");
    c->add_flag("--anchored", a.anchored, "Every training window starts at the first bar");
    c->add_option("--equity-out", a.equity_out,
                  "Write the stitched out-of-sample equity as CSV (timestamp in unix seconds)");
    add_execution_options(*c, a.sweep.execution);
    commands.push_back({c, [args](Context& ctx) {
                            return run_walkforward_command(ctx, *args);
                        }});
}

}  // namespace tradpal::cli

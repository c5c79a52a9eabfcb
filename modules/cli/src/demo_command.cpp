// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <unistd.h>

#include <tradpal/backtest/report.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/config.hpp>
#include <tradpal/core/output.hpp>
#include <tradpal/data/generate.hpp>
#include <tradpal/data/resample.hpp>
#include <tradpal/data/validate.hpp>
#include <tradpal/indicators/registry.hpp>
#include <tradpal/research/grid.hpp>
#include <tradpal/research/multi.hpp>
#include <tradpal/research/sweep.hpp>

#include "context.hpp"
#include "ml_support.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

struct DemoArgs {
    std::uint64_t bars = 525'600;  // one year of minutes
    std::uint64_t seed = 42;
    bool keep = false;
    std::string out = "tradpal-demo";  // report.html, sweep.csv, model/
    std::string report;                // the backtest's HTML report (default: out/report.html)
    bool ml = true;                    // a small model when built with libtorch
};

// A small sweep of sma_cross on the minute bars; every set's row goes to sweep.csv.
struct DemoSweep {
    research::SweepOutcome outcome;
    research::ParameterGrid grid;
};

DemoSweep run_demo_sweep(const Context& ctx, const backtest::SymbolSeries& series,
                         const std::filesystem::path& csv_path) {
    std::vector<research::ParamAxis> axes;
    for (const char* axis : {"fast=10:50:10", "slow=100:300:50"}) {
        axes.push_back(research::ParamAxis::parse(axis).value());
    }
    research::SweepRequest request;
    request.strategy = "sma_cross";
    request.fixed = {"stop_loss=0.02"};
    request.grid = research::ParameterGrid::make(std::move(axes)).value();
    request.sets = request.grid.sample(request.grid.size(), 0);  // every set
    research::SweepOptions options;
    options.metric = research::parse_metric("sharpe").value();
    options.top = 5;
    options.threads = ctx.threads();
    OutputFile csv = OutputFile::open(csv_path.string()).value();
    csv.write("fast,slow,sharpe,total_return,max_drawdown_pct,trades\n");
    const auto row = [&](const research::SweepRow& r) {
        const auto values = request.grid.assignments(r.set);
        const backtest::Metrics& m = r.metrics;
        csv.write(fmt::format("{},{},{},{},{},{}\n", values[0].substr(5), values[1].substr(5),
                              m.sharpe ? fmt::format("{}", *m.sharpe) : "", m.total_return,
                              m.max_drawdown_pct, m.trades));
    };
    DemoSweep out{research::run_sweep(std::span(&series, 1), request, options, row), request.grid};
    csv.commit();
    return out;
}

// Closes as a line of block characters, `width` wide.
std::string sparkline(std::span<const double> values, std::size_t width) {
    static constexpr std::array<const char*, 8> kBlocks = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    if (values.empty()) {
        return {};
    }
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    std::string out;
    width = std::min(width, values.size());
    for (std::size_t i = 0; i < width; ++i) {
        const double v = values[i * values.size() / width];
        const double f = *hi > *lo ? (v - *lo) / (*hi - *lo) : 0.5;
        out += kBlocks[std::min<std::size_t>(7, static_cast<std::size_t>(f * 8))];
    }
    return out;
}

nlohmann::json sweep_json(const DemoSweep& sweep) {
    nlohmann::json top = nlohmann::json::array();
    for (const research::SweepRow& r : sweep.outcome.top) {
        top.push_back(
            {{"params", sweep.grid.assignments(r.set)},
             {"sharpe", r.metrics.sharpe ? nlohmann::json(*r.metrics.sharpe) : nlohmann::json()},
             {"total_return", r.metrics.total_return},
             {"trades", r.metrics.trades}});
    }
    return {{"sets", sweep.grid.size()}, {"top", top}};
}

int run_demo(Context& ctx, const DemoArgs& a) {
    // Without an explicit store the demo works in a temporary one and removes it afterwards.
    const bool own_store =
        ctx.settings.sources.at("data.store_dir").kind == SettingSource::Kind::Default;
    std::filesystem::path root = ctx.store().root();
    if (own_store) {
        root = std::filesystem::temp_directory_path() / fmt::format("tradpal-demo-{}", ::getpid());
        std::filesystem::remove_all(root);
    }
    const data::Store store(root);
    const auto seconds_since = [](auto start) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    Table steps({"STEP", "BARS IN", "BARS OUT", "TIME", "BARS/S"});
    const auto add_step = [&](const std::string& name, std::uint64_t in, std::uint64_t out,
                              double s) {
        steps.add_row(
            {name, with_commas(in), with_commas(out), format_seconds(s),
             with_commas(static_cast<std::uint64_t>(static_cast<double>(in) / std::max(s, 1e-9)))});
    };

    data::SyntheticSpec spec;
    spec.bars = a.bars;
    spec.seed = a.seed;
    auto t0 = std::chrono::steady_clock::now();
    {
        ProgressBar bar("generating", "bars", ctx.show_progress());
        data::generate_series(store, spec, "demo", true,
                              [&](std::uint64_t d, std::uint64_t t) { bar.update(d, t); });
    }
    add_step("generate 1m (GBM + GARCH + jumps)", a.bars, a.bars, seconds_since(t0));

    const data::SeriesKey minute{"demo", spec.symbol, spec.timeframe};
    t0 = std::chrono::steady_clock::now();
    const data::ValidationReport report =
        data::validate_series(store.open(minute).value(), ctx.chunk_rows());
    add_step("validate 1m", report.rows, report.rows, seconds_since(t0));

    t0 = std::chrono::steady_clock::now();
    const auto hourly =
        data::resample_series(store, minute, Timeframe("1h"), ctx.chunk_rows(), true);
    add_step("resample 1m -> 1h", hourly.input_rows, hourly.target.rows, seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    const auto daily =
        data::resample_series(store, hourly.target.key, Timeframe("1d"), ctx.chunk_rows(), true);
    add_step("resample 1h -> 1d", daily.input_rows, daily.target.rows, seconds_since(t0));

    // The indicators traders use most, on every minute bar, on all cores.
    const std::vector<indicators::Spec> indicator_specs =
        indicators::Spec::parse_list(kPopularIndicators).value();
    const data::StoredSeries minutes = store.open(minute).value();
    t0 = std::chrono::steady_clock::now();
    const std::vector<std::vector<double>> columns = indicators::compute_columns(
        indicator_specs, indicators::Inputs::from(minutes.view()), ctx.threads());
    add_step(fmt::format("{} indicators on 1m", indicator_specs.size()),
             a.bars * indicator_specs.size(), columns.size() * a.bars, seconds_since(t0));
    const std::size_t last_bar = minutes.view().size() - 1;

    // A backtest on the minute bars, by both engines: they must agree trade for trade.
    namespace bt = tradpal::backtest;
    const std::string params[] = {"fast=50", "slow=200", "stop_loss=0.02"};
    const bt::StrategySpec strategy_spec = bt::StrategySpec::make("sma_cross", params).value();
    const bt::SymbolSeries traded{spec.symbol, minutes.view()};
    t0 = std::chrono::steady_clock::now();
    const bt::BacktestResult result =
        research::run_one(traded, strategy_spec, bt::Config{}, research::Engine::Event);
    add_step("backtest sma_cross, event-driven", a.bars, result.equity.size(), seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    const bt::BacktestResult vectorized =
        research::run_one(traded, strategy_spec, bt::Config{}, research::Engine::Vectorized);
    add_step("backtest sma_cross, vectorized", a.bars, vectorized.equity.size(), seconds_since(t0));
    if (vectorized.equity != result.equity || vectorized.trades.size() != result.trades.size()) {
        throw Exception(ErrorCode::Internal, "the two backtest engines disagree");
    }
    const bt::ReportContext backtest_report{
        &result, {&traded, 1}, strategy_spec.canonical(), "event"};
    const std::filesystem::path out_dir(a.out);
    std::filesystem::create_directories(out_dir);
    const std::filesystem::path report_path =
        a.report.empty() ? out_dir / "report.html" : std::filesystem::path(a.report);
    {
        OutputFile out = OutputFile::open(report_path).value();
        bt::write_html_report(backtest_report, out);
        out.commit();
    }

    t0 = std::chrono::steady_clock::now();
    const std::filesystem::path sweep_path = out_dir / "sweep.csv";
    const DemoSweep sweep = run_demo_sweep(ctx, traded, sweep_path);
    add_step(fmt::format("sweep sma_cross, {} sets", sweep.grid.size()), a.bars * sweep.grid.size(),
             sweep.outcome.evaluated, seconds_since(t0));

    // A small model on the hourly bars: a random walk has nothing to learn, and the scores
    // against the baselines say so.
    std::optional<ScoredModel> model;
    const std::filesystem::path model_dir = out_dir / "model";
    if (a.ml && TRADPAL_HAS_TORCH) {
        ml::ModelMeta meta;
        meta.features = ml::FeatureSpec::parse(ml::kDefaultFeatures).value();
        meta.label = ml::LabelSpec::parse("ret(1)").value();
        meta.model.kind = "mlp";
        meta.model.seq_len = 24;
        meta.model.hidden = 32;
        meta.train.epochs = 5;
        meta.train.device = "cpu";
        meta.train.out_dir = model_dir;
        const data::StoredSeries hours = store.open(hourly.target.key).value();
        t0 = std::chrono::steady_clock::now();
        model = train_and_score(meta, hours, 0.7, 0.15);
        add_step("train mlp on 1h, 5 epochs", hours.view().size(), model->test.model.samples,
                 seconds_since(t0));
    }

    const data::StoredSeries days = store.open(daily.target.key).value();
    const BarSeriesView d = days.view();
    const double first = d.open().front();
    const double last = d.close().back();
    if (ctx.json) {
        Context::print_json(
            {{"store", root.string()},
             {"bars", a.bars},
             {"seed", a.seed},
             {"validation", to_json(report)},
             {"daily_bars", d.size()},
             {"first_open", first},
             {"last_close", last},
             {"backtest", nlohmann::json::parse(bt::summary_json(backtest_report))},
             {"sweep", sweep_json(sweep)},
             {"ml", model ? nlohmann::json{{"model", ml::to_json(model->test.model)},
                                           {"zero", ml::to_json(model->test.baselines.zero)},
                                           {"linear", ml::to_json(model->test.baselines.linear)}}
                          : nlohmann::json()},
             {"outputs",
              {{"report", report_path.string()},
               {"sweep", sweep_path.string()},
               {"model", model ? model_dir.string() : std::string()}}}});
    } else {
        std::cout << fmt::format(
            "TradPal demo: a synthetic market {} ({} one-minute bars, seed {})\n\n", spec.symbol,
            with_commas(a.bars), a.seed);
        steps.print(std::cout);
        std::cout << fmt::format("\nValidation of the minute bars: {}\n",
                                 report.has_errors() ? "problems found" : "no problems");
        std::cout << fmt::format("Daily closes, {} → {}: {:.2f} → {:.2f} ({:+.1f}%)\n",
                                 format_date(d.time(0)), format_date(d.time(d.size() - 1)), first,
                                 last, (last / first - 1) * 100);
        std::cout << "  " << sparkline(d.close(), 72) << "\n\n";
        Table tail({"DAY", "OPEN", "HIGH", "LOW", "CLOSE", "VOLUME"});
        for (std::size_t i = d.size() - std::min<std::size_t>(5, d.size()); i < d.size(); ++i) {
            tail.add_row({format_date(d.time(i)), fmt::format("{:.2f}", d.open()[i]),
                          fmt::format("{:.2f}", d.high()[i]), fmt::format("{:.2f}", d.low()[i]),
                          fmt::format("{:.2f}", d.close()[i]),
                          fmt::format("{:.0f}", d.volume()[i])});
        }
        tail.print(std::cout);
        std::cout << fmt::format("\nIndicators on the last minute bar ({}):\n",
                                 format_human(minutes.view().time(last_bar)));
        Table ind({"INDICATOR", "VALUE"});
        std::size_t c = 0;
        for (const indicators::Spec& ind_spec : indicator_specs) {
            for (const std::string& name : ind_spec.output_names()) {
                ind.add_row({name, fmt::format("{:.4f}", columns[c++][last_bar])});
            }
        }
        ind.print(std::cout);
        std::cout << fmt::format("\nBacktest of {} on the minute bars (both engines agree):\n",
                                 strategy_spec.canonical());
        std::cout << bt::summary_table(backtest_report);
        std::cout << fmt::format("\nSweep of sma_cross (stop_loss=0.02), best of {} by Sharpe:\n",
                                 sweep.grid.size());
        Table best({"FAST", "SLOW", "SHARPE", "RETURN", "MAX DD", "TRADES"});
        for (const research::SweepRow& r : sweep.outcome.top) {
            const auto values = sweep.grid.assignments(r.set);
            best.add_row({values[0].substr(5), values[1].substr(5),
                          r.metrics.sharpe ? fmt::format("{:.2f}", *r.metrics.sharpe) : "-",
                          fmt::format("{:.2f}%", 100 * r.metrics.total_return),
                          fmt::format("{:.2f}%", r.metrics.max_drawdown_pct),
                          with_commas(r.metrics.trades)});
        }
        best.print(std::cout);
        if (model) {
            std::cout << '\n';
            print_scores("A small MLP on the hourly bars, test split:", model->test.model,
                         model->test.baselines);
        } else if (a.ml) {
            std::cout << "\n(no model: this TradPal was built without libtorch)\n";
        }
        std::cout << fmt::format("\nOutputs:\n  backtest report  {}\n  sweep results    {}\n",
                                 report_path.string(), sweep_path.string());
        if (model) {
            // ml evaluate reads the series again: only a kept store still has it.
            std::cout << fmt::format("  model            {}{}\n", model_dir.string(),
                                     own_store && !a.keep
                                         ? ""
                                         : fmt::format(" (tradpal --store {} ml "
                                                       "evaluate --model {})",
                                                       root.string(), model_dir.string()));
        }
        std::cout << '\n';
    }
    if (own_store && !a.keep) {
        std::filesystem::remove_all(root);
    } else if (!ctx.json) {
        std::cout << fmt::format("The series are in {} (see: tradpal data list --store {})\n",
                                 root.string(), root.string());
    }
    return 0;
}

}  // namespace

void add_demo_command(CLI::App& app, std::vector<Command>& commands) {
    auto a = std::make_shared<DemoArgs>();
    CLI::App* c = app.add_subcommand(
        "demo",
        "Generate a synthetic market, validate, resample, compute indicators, backtest, sweep "
        "and train a small model, with timings, an HTML report and where everything is");
    c->add_option("-n,--bars", a->bars, "One-minute bars to generate");
    c->add_option("--seed", a->seed, "Random seed");
    c->add_option("--out", a->out, "Directory for report.html, sweep.csv and model/")
        ->capture_default_str();
    c->add_option("--report", a->report, "The backtest's HTML report (default: OUT/report.html)");
    c->add_flag("!--no-ml", a->ml, "Skip the small model (built with libtorch)");
    c->add_flag("--keep", a->keep,
                "Keep the temporary store (without --store the demo removes it)");
    commands.push_back({c, [a](Context& ctx) {
                            return run_demo(ctx, *a);
                        }});
}

}  // namespace tradpal::cli

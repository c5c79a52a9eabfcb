// SPDX-License-Identifier: Apache-2.0
// tradpal train | predict | ml evaluate: models on libtorch that forecast returns of a stored
// series, scored against baselines on the test split.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <tradpal/config.hpp>
#include <tradpal/ml/pipeline.hpp>

#include "context.hpp"
#include "ml_support.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

using nlohmann::json;

struct SeriesArgs {
    std::string symbol;
    std::string timeframe;
    std::string source;

    void add_to(CLI::App* c) {
        c->add_option("--symbol", symbol, "Stored series to use, e.g. BTC/USD")->required();
        c->add_option("--timeframe", timeframe, "Its timeframe (needed when several are stored)");
        c->add_option("--source", source, "Its source (needed when several are stored)");
    }
};

struct TrainArgs {
    SeriesArgs series;
    std::string features{ml::kDefaultFeatures};
    std::string label = "ret(1)";
    ml::ModelConfig model;
    ml::TrainConfig train;
    double train_fraction = 0.7;
    double validation_fraction = 0.15;
    bool gpu = false;
    std::string out;
};

data::StoredSeries open_series(const Context& ctx, const SeriesSelector& which) {
    const data::Store store = ctx.store();
    return store.open(which.resolve(store)).value();
}

// The normalized dataset of a trained model's series, as it was built for training.
ml::Dataset dataset_for(const ml::ModelMeta& meta, const data::StoredSeries& series) {
    return ml::dataset_for(meta, series.view());
}

int run_train(Context& ctx, TrainArgs& a) {
    if (!TRADPAL_HAS_TORCH) {  // before the dataset is built; ml::train() would say the same
        throw Exception(ErrorCode::Unavailable,
                        "this TradPal was built without libtorch (README, 'ML')");
    }
    auto load_stage = ctx.stage("load");
    const data::StoredSeries series =
        open_series(ctx, {a.series.symbol, a.series.timeframe, a.series.source});
    const data::SeriesKey& key = series.meta().key;
    ml::ModelMeta meta;
    meta.features = ml::FeatureSpec::parse(a.features).value();
    meta.label = ml::LabelSpec::parse(a.label).value();
    meta.model = a.model;
    meta.train = a.train;
    if (a.gpu && meta.train.device == "auto") {
        meta.train.device = "cuda";
    } else if (!a.gpu && meta.train.device == "auto" && !ctx.settings.values.gpu.enabled) {
        meta.train.device = "cpu";
    }
    meta.train.mixed_precision = ctx.settings.values.ml.mixed_precision;
    meta.train.memory_limit = ctx.settings.values.gpu.memory_limit;
    meta.train.out_dir =
        a.out.empty() ? expand_user(ctx.settings.values.ml.checkpoint_dir) /
                            fmt::format("{}-{}-{}", data::sanitize_symbol(key.symbol).value(),
                                        key.timeframe.to_string(), meta.model.kind)
                      : std::filesystem::path(a.out);

    load_stage.stop();

    double seconds_so_far = 0;  // of the epochs of this run (a resumed one starts later)
    std::size_t epochs_so_far = 0;
    const auto on_epoch = [&](const ml::EpochStats& e) {
        seconds_so_far += e.seconds;
        ++epochs_so_far;
        if (ctx.show_progress()) {
            // At most: early stopping may end sooner.
            const double eta = seconds_so_far / static_cast<double>(epochs_so_far) *
                               static_cast<double>(meta.train.epochs - e.epoch);
            std::cerr << fmt::format(
                "epoch {:>3}/{}  loss {:.6g}  val {:.6g}  lr {:.2g}  {} samples/s  {:.1f} s  "
                "ETA {}\n",
                e.epoch, meta.train.epochs, e.train_loss, e.validation_loss, e.learning_rate,
                with_commas(static_cast<std::uint64_t>(e.samples_per_second)), e.seconds,
                format_seconds(eta));
        }
    };
    if (!ctx.json) {
        std::cerr << fmt::format("training {} on {} {}\n", meta.model.kind, key.symbol,
                                 key.timeframe.to_string());
    }
    // One stage: the features, the training and the scores on the test split.
    auto train_stage = ctx.stage("train");
    const ScoredModel trained =
        train_and_score(meta, series, a.train_fraction, a.validation_fraction, on_epoch);
    train_stage.stop();
    const ml::TrainResult& result = trained.result;
    const TestScores& scores = trained.test;
    if (ctx.json) {
        json history = json::array();
        for (const ml::EpochStats& e : result.history) {
            history.push_back({{"epoch", e.epoch},
                               {"train_loss", e.train_loss},
                               {"validation_loss", e.validation_loss},
                               {"samples_per_second", e.samples_per_second}});
        }
        Context::print_json({{"model_dir", meta.train.out_dir.string()},
                             {"device", result.device},
                             {"best_epoch", result.best_epoch},
                             {"best_validation_loss", result.best_validation_loss},
                             {"stopped_early", result.stopped_early},
                             {"history", history},
                             {"test", ml::to_json(scores)}});
        return 0;
    }
    std::cout << fmt::format("best epoch {} of {} (validation loss {:.6g}{}) on {}; saved in {}\n",
                             result.best_epoch, result.history.size(), result.best_validation_loss,
                             result.stopped_early ? ", stopped early" : "", result.device,
                             meta.train.out_dir.string());
    print_scores("Test split:", scores.model, scores.baselines);
    return 0;
}

struct PredictArgs {
    std::string model;
    SeriesArgs series;
    std::string out = "-";
    bool all = false;
};

int run_predict(Context& ctx, const PredictArgs& a) {
    const ml::Predictor predictor = ml::Predictor::load(a.model).value();
    const ml::ModelMeta& meta = predictor.meta();
    const data::StoredSeries series = open_series(
        ctx, {a.series.symbol.empty() ? meta.symbol : a.series.symbol,
              a.series.timeframe.empty() ? meta.timeframe : a.series.timeframe, a.series.source});
    const ml::Dataset data = dataset_for(meta, series);
    // Every row with a window when asked, else the out-of-sample ones; up to the last bar,
    // whose forecast has no label yet.
    const std::size_t first =
        a.all ? ml::first_forecastable(meta, data) : ml::first_out_of_sample(meta, data);
    if (first >= data.rows) {
        throw Exception(
            ErrorCode::InvalidArgument,
            fmt::format("{} has no bars after the model's test split starts ({}); "
                        "--all forecasts the bars it trained on too",
                        series.meta().key.symbol, format_iso(Timestamp(meta.test_start))));
    }
    const ml::Range rows{first, data.rows};
    const std::vector<double> predicted = predictor.predict(data, rows).value();
    std::ofstream file;
    if (a.out != "-") {
        file.open(a.out);
        if (!file) {
            throw Exception(ErrorCode::IoError, fmt::format("cannot write {}", a.out));
        }
    }
    std::ostream& out = a.out == "-" ? std::cout : file;
    out << "time,prediction,in_sample\n";
    for (std::size_t i = 0; i < predicted.size(); ++i) {
        const std::size_t row = rows.begin + i;
        out << fmt::format("{},{:.9g},{}\n", format_iso(Timestamp(data.ts[row])), predicted[i],
                           data.ts[row] < meta.test_start ? 1 : 0);
    }
    if (a.out != "-" && !ctx.json) {
        std::cerr << fmt::format("wrote {} predictions to {}\n", predicted.size(), a.out);
    }
    return 0;
}

int run_evaluate(Context& ctx, const std::string& model) {
    const ml::Predictor predictor = ml::Predictor::load(model).value();
    const ml::ModelMeta& meta = predictor.meta();
    const data::StoredSeries series = open_series(ctx, {meta.symbol, meta.timeframe, ""});
    if (data::data_version(series.meta()) != meta.data_version) {
        spdlog::warn(
            "the series changed since training; the splits are by row, so the test rows "
            "are the same bars only if bars were appended");
    }
    const TestScores scores = ml::evaluate_test(predictor, dataset_for(meta, series));
    if (ctx.json) {
        Context::print_json({{"model", model}, {"test", ml::to_json(scores)}});
        return 0;
    }
    print_scores(fmt::format("{} on {} {}, test split ({} samples):", meta.model.kind, meta.symbol,
                             meta.timeframe, scores.model.samples),
                 scores.model, scores.baselines);
    return 0;
}

}  // namespace

void print_scores(const std::string& title, const ml::Scores& model,
                  const ml::BaselineScores& base) {
    std::cout << title << '\n';
    Table table({"FORECAST", "MSE", "DIRECTION", "IC", "RANK IC", "DAILY IC", "ICIR"});
    const auto row = [&table](const std::string& name, const ml::Scores& s) {
        table.add_row({name, fmt::format("{:.6g}", s.mse),
                       fmt::format("{:.1f}%", 100 * s.directional_accuracy),
                       fmt::format("{:+.4f}", s.ic), fmt::format("{:+.4f}", s.rank_ic),
                       s.days > 0 ? fmt::format("{:+.4f}", s.daily_ic_mean) : "-",
                       s.days > 1 ? fmt::format("{:+.2f}", s.icir) : "-"});
    };
    row("model", model);
    row("zero", base.zero);
    row("last return", base.last_return);
    row("linear regression", base.linear);
    table.print(std::cout);
    const bool beats = model.mse < base.zero.mse && model.mse < base.last_return.mse &&
                       model.mse < base.linear.mse;
    std::cout << (beats ? "The model has the lowest MSE on the test split.\n"
                        : "The model does NOT beat every baseline on the test split (MSE).\n");
}

ScoredModel train_and_score(ml::ModelMeta& meta, const data::StoredSeries& series,
                            double train_fraction, double validation_fraction,
                            const std::function<void(const ml::EpochStats&)>& on_epoch) {
    const data::SeriesKey& key = series.meta().key;
    return ml::train_and_score(
        meta,
        {series.view(), key.symbol, key.timeframe.to_string(), data::data_version(series.meta())},
        train_fraction, validation_fraction, on_epoch);
}

ModelForecasts model_forecasts(const Context& ctx, const std::string& model_dir,
                               const MarketArgs& market) {
    if (model_dir.empty()) {
        throw Exception(ErrorCode::InvalidArgument,
                        "--strategy ml needs --model DIR (a directory written by tradpal train)");
    }
    if (!market.input.empty() || !market.symbols.empty()) {
        throw Exception(ErrorCode::InvalidArgument,
                        "--strategy ml backtests one stored series: --symbol (default: the one "
                        "the model trained on)");
    }
    const ml::Predictor predictor = ml::Predictor::load(model_dir).value();
    const ml::ModelMeta& meta = predictor.meta();
    data::StoredSeries series = open_series(
        ctx, {market.symbol.empty() ? meta.symbol : market.symbol,
              market.timeframe.empty() ? meta.timeframe : market.timeframe, market.source});
    // Features over the whole series (their look-back), forecasts for the bars in range only.
    const ml::Dataset data = dataset_for(meta, series);
    const auto& ts = data.ts;
    const auto index = [&ts](auto it) {
        return static_cast<std::size_t>(it - ts.begin());
    };
    const std::size_t first = std::max(
        ml::first_out_of_sample(meta, data),
        index(std::lower_bound(ts.begin(), ts.end(), date_bound(market.start_date, false).ns())));
    const std::size_t end =
        index(std::lower_bound(ts.begin(), ts.end(), date_bound(market.end_date, true).ns()));
    if (first >= end) {
        throw Exception(
            ErrorCode::InvalidArgument,
            fmt::format(
                "{} has no out-of-sample bars{}: the model trained and "
                "validated on the bars before {}",
                series.meta().key.symbol,
                market.start_date.empty() && market.end_date.empty() ? "" : " in the date range",
                format_iso(Timestamp(meta.test_start))));
    }
    ModelForecasts out;
    out.edge = predictor.predict(data, {first, end}).value();
    if (meta.label.kind == ml::LabelSpec::Kind::Sign) {
        for (double& e : out.edge) {
            e -= 0.5;  // a probability of a rise
        }
    }
    out.series.name = series.meta().key.symbol;
    out.series.stored = std::move(series);
    out.series.view = out.series.stored->view().slice(first, end - first);
    out.model = {{"dir", model_dir},
                 {"kind", meta.model.kind},
                 {"label", meta.label.canonical()},
                 {"trained_on", fmt::format("{} {}", meta.symbol, meta.timeframe)},
                 {"out_of_sample_from", format_iso(Timestamp(ts[first]))}};
    return out;
}

void add_ml_commands(CLI::App& app, std::vector<Command>& commands) {
    auto t = std::make_shared<TrainArgs>();
    CLI::App* train = app.add_subcommand(
        "train", "Train a model (lstm, gru, transformer, mlp) to forecast a stored series");
    t->series.add_to(train);
    train->add_option("--model", t->model.kind, "lstm, gru, transformer or mlp")
        ->check(CLI::IsMember({"lstm", "gru", "transformer", "mlp"}))
        ->capture_default_str();
    train->add_option("--features", t->features, "Feature spec (docs/ML.md)")
        ->capture_default_str();
    train->add_option("--label", t->label, "ret(k), sign(k) or class3(k,band)")
        ->capture_default_str();
    train->add_option("--seq-len", t->model.seq_len, "Bars per window")->capture_default_str();
    train->add_option("--hidden", t->model.hidden, "Hidden size / d_model")->capture_default_str();
    train->add_option("--layers", t->model.layers, "Layers")->capture_default_str();
    train->add_option("--heads", t->model.heads, "Attention heads (transformer)")
        ->capture_default_str();
    train->add_option("--dropout", t->model.dropout, "Dropout")->capture_default_str();
    train->add_option("--epochs", t->train.epochs, "Most epochs")->capture_default_str();
    train->add_option("--batch-size", t->train.batch_size, "Samples per step")
        ->capture_default_str();
    train->add_option("--lr", t->train.learning_rate, "Learning rate")->capture_default_str();
    train->add_option("--optimizer", t->train.optimizer, "adam or adamw")
        ->check(CLI::IsMember({"adam", "adamw"}))
        ->capture_default_str();
    train->add_option("--schedule", t->train.schedule, "cosine, step or none")
        ->check(CLI::IsMember({"cosine", "step", "none"}))
        ->capture_default_str();
    train
        ->add_option("--early-stopping", t->train.patience,
                     "Epochs without a better validation loss before stopping (0: never)")
        ->capture_default_str();
    train->add_option("--seed", t->train.seed, "Random seed")->capture_default_str();
    train->add_flag("--gpu", t->gpu, "Train on CUDA (fails if there is none)");
    train->add_option("--device", t->train.device, "auto, cpu, cuda or cuda:N")
        ->capture_default_str();
    train->add_option("--train-fraction", t->train_fraction, "Share of bars for training")
        ->capture_default_str();
    train
        ->add_option("--validation-fraction", t->validation_fraction,
                     "Share of bars for validation (the rest is the test split)")
        ->capture_default_str();
    train->add_flag("--resume", t->train.resume, "Continue from the last checkpoint in --out");
    train->add_option("--out", t->out,
                      "Model directory (default: [ml] checkpoint_dir/<symbol>-<tf>-<model>)");
    commands.push_back({train, [t](Context& ctx) {
                            return run_train(ctx, *t);
                        }});

    auto p = std::make_shared<PredictArgs>();
    CLI::App* predict = app.add_subcommand(
        "predict", "Forecasts of a trained model for a stored series, out of sample by default");
    predict->add_option("--model", p->model, "Model directory")->required();
    predict->add_option("--symbol", p->series.symbol, "Series (default: the one trained on)");
    predict->add_option("--timeframe", p->series.timeframe, "Its timeframe");
    predict->add_option("--source", p->series.source, "Its source");
    predict->add_option("--out", p->out, "CSV file, - for stdout")->capture_default_str();
    predict->add_flag("--all", p->all, "Also the rows the model was trained and validated on");
    commands.push_back({predict, [p](Context& ctx) {
                            return run_predict(ctx, *p);
                        }});

    CLI::App* ml_app = app.add_subcommand("ml", "Trained models");
    ml_app->require_subcommand(1);
    auto model = std::make_shared<std::string>();
    CLI::App* evaluate = ml_app->add_subcommand(
        "evaluate", "Scores on the test split against zero, last-return and linear baselines");
    evaluate->add_option("--model", *model, "Model directory")->required();
    commands.push_back({evaluate, [model](Context& ctx) {
                            return run_evaluate(ctx, *model);
                        }});
}

}  // namespace tradpal::cli

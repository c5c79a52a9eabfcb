// SPDX-License-Identifier: Apache-2.0
// What other commands take from the ml commands: a model's out-of-sample forecasts (for
// `backtest --strategy ml`), and training with scores on the test split (for `demo`).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tradpal/data/store.hpp>
#include <tradpal/ml/evaluate.hpp>
#include <tradpal/ml/trainer.hpp>

#include "backtest_inputs.hpp"
#include "context.hpp"

namespace tradpal::cli {

struct ModelForecasts {
    LoadedSeries series;       ///< the out-of-sample bars only
    std::vector<double> edge;  ///< one per bar: the forecast minus its neutral value
    nlohmann::json model;      ///< what a report says about the model
};

/// Forecasts of the model in `model_dir` for the series `market` names (default: the one the
/// model trained on), on the bars from the model's test split on (and within the date range).
/// Throws: tradpal::Exception (no model, no out-of-sample bars, --input or --symbols given).
ModelForecasts model_forecasts(const Context& ctx, const std::string& model_dir,
                               const MarketArgs& market);

/// A model's scores on its test split, and the baselines' on the same rows.
struct TestScores {
    ml::Scores model;
    ml::BaselineScores baselines;
};

/// A trained model and its test scores.
struct ScoredModel {
    ml::TrainResult result;
    TestScores test;
};

/// The dataset `meta` trains on, as `tradpal train` builds it: the features and labels of
/// `bars`, chronological splits (the rest after train and validation is the test split), the
/// normalizer fitted on the training rows and applied. Sets meta.splits and meta.normalizer.
/// Throws: tradpal::Exception.
ml::Dataset prepare_dataset(ml::ModelMeta& meta, const BarSeriesView& bars, double train_fraction,
                            double validation_fraction);

/// Trains `meta` (features, label, model and training settings set by the caller) on `series`
/// as `tradpal train` does: fills in the series' names and data version, prepares the dataset,
/// trains, then scores the saved model on the test split. Throws: tradpal::Exception.
ScoredModel train_and_score(ml::ModelMeta& meta, const data::StoredSeries& series,
                            double train_fraction, double validation_fraction,
                            const std::function<void(const ml::EpochStats&)>& on_epoch = {});

/// The test-split table: the model against zero, last return and linear regression.
void print_scores(const std::string& title, const ml::Scores& model,
                  const ml::BaselineScores& base);

}  // namespace tradpal::cli

// SPDX-License-Identifier: Apache-2.0
// What other commands take from the ml commands: a model's out-of-sample forecasts (for
// `backtest --strategy ml`), and training with scores on the test split (for `demo`).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tradpal/data/store.hpp>
#include <tradpal/ml/pipeline.hpp>

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

// Training, scoring and the datasets are the ml module's (pipeline.hpp), shared with the API.
using ml::prepare_dataset;
using ml::ScoredModel;
using ml::TestScores;

/// ml::train_and_score on a stored series (its names and data version go into model.json).
/// Throws: tradpal::Exception.
ScoredModel train_and_score(ml::ModelMeta& meta, const data::StoredSeries& series,
                            double train_fraction, double validation_fraction,
                            const std::function<void(const ml::EpochStats&)>& on_epoch = {});

/// The test-split table: the model against zero, last return and linear regression.
void print_scores(const std::string& title, const ml::Scores& model,
                  const ml::BaselineScores& base);

}  // namespace tradpal::cli

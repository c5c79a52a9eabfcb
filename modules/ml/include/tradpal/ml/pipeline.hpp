// SPDX-License-Identifier: Apache-2.0
// What `tradpal train`/`predict` and the HTTP API share: the dataset a model trains on,
// training with scores on the test split, and a saved model's dataset over a series.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/ml/dataset.hpp>
#include <tradpal/ml/evaluate.hpp>
#include <tradpal/ml/trainer.hpp>

namespace tradpal::ml {

/// A model's scores on its test split, and the baselines' on the same rows.
struct TestScores {
    Scores model;
    BaselineScores baselines;
};

/// {model, zero, last_return, linear}, each as to_json(Scores).
nlohmann::json to_json(const TestScores& scores);

/// A trained model and its test scores.
struct ScoredModel {
    TrainResult result;
    TestScores test;
};

/// The series a model trains on: its bars and what model.json records about it.
struct TrainingSeries {
    BarSeriesView bars;
    std::string symbol;
    std::string timeframe;
    std::string data_version;
};

/// The dataset `meta` trains on, as `tradpal train` builds it: the features and labels of
/// `bars`, chronological splits (the rest after train and validation is the test split), the
/// normalizer fitted on the training rows and applied. Sets meta.splits and meta.normalizer.
/// When the model trains on CUDA (training_device(meta.train.device)), the indicator features
/// the GPU has are computed on that device (FeatureCompute::Where::Gpu, the CPU if it is
/// unavailable). Throws: tradpal::Exception.
Dataset prepare_dataset(ModelMeta& meta, const BarSeriesView& bars, double train_fraction,
                        double validation_fraction);

/// Trains `meta` (features, label, model and training settings set by the caller) on `series`
/// as `tradpal train` does: records the series' names and data version, prepares the dataset,
/// trains into meta.train.out_dir, then scores the saved model on the test split. An exception
/// thrown by `on_epoch` ends training and propagates. Throws: tradpal::Exception.
ScoredModel train_and_score(ModelMeta& meta, const TrainingSeries& series, double train_fraction,
                            double validation_fraction,
                            const std::function<void(const EpochStats&)>& on_epoch = {});

/// The normalized dataset of a trained model over `bars`, as it was built for training, but
/// always on the CPU: predictions must not depend on the machine. Throws: tradpal::Exception.
Dataset dataset_for(const ModelMeta& meta, const BarSeriesView& bars);

/// The first row a model forecasts out of sample: the first bar at or after its test split's
/// start (in time, whatever the series) that has a full window behind it.
std::size_t first_out_of_sample(const ModelMeta& meta, const Dataset& data);

/// The first row with a full window behind it (every row a model can forecast).
std::size_t first_forecastable(const ModelMeta& meta, const Dataset& data);

/// The model's and the baselines' scores on the test split of `data` (a dataset_for() of the
/// series it trained on). Throws: tradpal::Exception.
TestScores evaluate_test(const Predictor& predictor, const Dataset& data);

}  // namespace tradpal::ml

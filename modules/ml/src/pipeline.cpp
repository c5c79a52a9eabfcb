// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <span>
#include <vector>

#include <spdlog/spdlog.h>

#include <tradpal/ml/pipeline.hpp>

namespace tradpal::ml {

nlohmann::json to_json(const TestScores& scores) {
    return {{"model", to_json(scores.model)},
            {"zero", to_json(scores.baselines.zero)},
            {"last_return", to_json(scores.baselines.last_return)},
            {"linear", to_json(scores.baselines.linear)}};
}

namespace {

// The GPU's indicators for the features when the model trains on CUDA (the device train() will
// use); the CPU otherwise, and when the device name is wrong: train() then says why.
FeatureCompute feature_compute(const ModelMeta& meta) {
    const auto device = training_device(meta.train.device);
    if (!device || !*device) {
        return {};
    }
    return {FeatureCompute::Where::Gpu, **device, meta.train.memory_limit};
}

}  // namespace

Dataset prepare_dataset(ModelMeta& meta, const BarSeriesView& bars, double train_fraction,
                        double validation_fraction) {
    Dataset data = build_dataset(bars, meta.features, meta.label, meta.model.seq_len * 3,
                                 feature_compute(meta))
                       .value();
    meta.splits =
        chronological_splits(data, train_fraction, validation_fraction, meta.model.seq_len,
                             static_cast<std::size_t>(meta.label.horizon))
            .value();
    meta.normalizer = Normalizer::fit(data, meta.splits.train);
    meta.normalizer.apply(data);
    return data;
}

ScoredModel train_and_score(ModelMeta& meta, const TrainingSeries& series, double train_fraction,
                            double validation_fraction,
                            const std::function<void(const EpochStats&)>& on_epoch) {
    meta.symbol = series.symbol;
    meta.timeframe = series.timeframe;
    meta.data_version = series.data_version;
    const Dataset data = prepare_dataset(meta, series.bars, train_fraction, validation_fraction);
    spdlog::info("ml: {} features, {} train / {} validation / {} test samples", data.cols,
                 meta.splits.train.size(), meta.splits.validation.size(), meta.splits.test.size());
    ScoredModel out;
    out.result = train(data, meta, on_epoch).value();
    out.test = evaluate_test(Predictor::load(meta.train.out_dir, "cpu").value(), data);
    return out;
}

Dataset dataset_for(const ModelMeta& meta, const BarSeriesView& bars) {
    // On the CPU whatever the model trained on: a prediction must not depend on the machine.
    // The GPU's features agree with the CPU's within 1e-9 relative, but stored as float such a
    // difference can still move a value by one step of float.
    Dataset data = build_dataset(bars, meta.features, meta.label).value();
    meta.normalizer.apply(data);
    return data;
}

std::size_t first_forecastable(const ModelMeta& meta, const Dataset& data) {
    return data.valid.begin + meta.model.seq_len - 1;
}

std::size_t first_out_of_sample(const ModelMeta& meta, const Dataset& data) {
    const auto at_test = std::lower_bound(data.ts.begin(), data.ts.end(), meta.test_start);
    return std::max(first_forecastable(meta, data),
                    static_cast<std::size_t>(at_test - data.ts.begin()));
}

TestScores evaluate_test(const Predictor& predictor, const Dataset& data) {
    const Splits& splits = predictor.meta().splits;
    const std::vector<double> predicted = predictor.predict(data, splits.test).value();
    const auto begin = static_cast<std::ptrdiff_t>(splits.test.begin);
    const std::span<const double> actual(data.forward_returns.data() + begin, predicted.size());
    const std::span<const std::int64_t> ts(data.ts.data() + begin, predicted.size());
    return {score(predicted, actual, ts), score_baselines(data, splits).value()};
}

}  // namespace tradpal::ml

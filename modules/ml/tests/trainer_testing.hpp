// SPDX-License-Identifier: Apache-2.0
// Datasets with a planted signal, model settings and a model directory for the trainer's tests
// (CPU and GPU).
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include <tradpal/ml/trainer.hpp>

namespace tradpal::ml::trainer_testing {

constexpr std::size_t kRows = 1100;
constexpr std::size_t kSeqLen = 8;

// One column x_t ~ N(0, 1); label_of(x_t, noise) gives the label of row t.
template <class LabelOf>
Dataset make_dataset(std::size_t rows, std::uint64_t seed, LabelOf label_of) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0F, 1.0F);
    Dataset d;
    d.columns = {"x"};
    d.rows = rows;
    d.cols = 1;
    for (std::size_t t = 0; t < rows; ++t) {
        const float x = normal(rng);
        const float y = label_of(x, normal(rng));
        d.features.push_back(x);
        d.labels.push_back(y);
        d.forward_returns.push_back(y);
        d.ts.push_back(static_cast<std::int64_t>(t) * 60'000);
    }
    d.valid = Range{0, rows};
    return d;
}

inline Dataset planted(std::uint64_t seed = 1) {
    return make_dataset(kRows, seed, [](float x, float e) { return 0.8F * x + 0.1F * e; });
}

inline ModelMeta make_meta(const std::filesystem::path& dir, const std::string& kind) {
    ModelMeta m;
    m.features.items = {"x"};
    m.label.kind = LabelSpec::Kind::Return;
    m.normalizer.mean = {0.0};
    m.normalizer.stddev = {1.0};
    m.model.kind = kind;
    m.model.seq_len = kSeqLen;
    m.model.hidden = 16;
    m.model.layers = 1;
    m.model.heads = 2;
    m.model.dropout = 0.0;
    m.train.epochs = 8;
    m.train.batch_size = 32;
    m.train.learning_rate = 5e-3;
    m.train.device = "cpu";
    m.train.out_dir = dir;
    // The window of the first sample starts at row 0; seq_len rows separate the splits.
    m.splits.train = Range{kSeqLen - 1, 700};
    m.splits.validation = Range{700 + kSeqLen, 900};
    m.splits.test = Range{900 + kSeqLen, kRows};
    m.symbol = "TEST";
    m.timeframe = "1m";
    m.data_version = "v1";
    return m;
}

inline double mse(const std::vector<double>& pred, const Dataset& d, Range rows) {
    double sum = 0;
    for (std::size_t t = rows.begin; t < rows.end; ++t) {
        const double e = pred[t - rows.begin] - d.labels[t];
        sum += e * e;
    }
    return sum / static_cast<double>(rows.size());
}

/// A fresh model directory per test.
class TrainerTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("tradpal_trainer_test_" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path dir_;
};

}  // namespace tradpal::ml::trainer_testing

// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <tradpal/ml/trainer.hpp>

#include "trainer_testing.hpp"

namespace tradpal::ml {
namespace {

using namespace trainer_testing;  // NOLINT(google-build-using-namespace): shared helpers

// Every tensor of a saved module, by dotted name.
void collect(torch::serialize::InputArchive& archive, const std::string& prefix,
             std::map<std::string, torch::Tensor>& out) {
    for (const std::string& key : archive.keys()) {
        torch::Tensor t;
        torch::serialize::InputArchive sub;
        if (archive.try_read(key, t)) {
            out[prefix + key] = t;
        } else if (archive.try_read(key, sub)) {
            collect(sub, prefix + key + ".", out);
        }
    }
}

std::map<std::string, torch::Tensor> last_weights(const std::filesystem::path& dir) {
    torch::serialize::InputArchive archive;
    archive.load_from((dir / "last.pt").string());
    torch::serialize::InputArchive model;
    archive.read("model", model);
    std::map<std::string, torch::Tensor> out;
    collect(model, "", out);
    return out;
}

struct Interrupted {};

TEST_F(TrainerTest, EveryModelKindLearnsAPlantedSignal) {
    const Dataset data = planted();
    for (const std::string kind : {"lstm", "gru", "transformer", "mlp"}) {
        SCOPED_TRACE(kind);
        const ModelMeta meta = make_meta(dir_ / kind, kind);
        std::size_t calls = 0;
        auto result = train(data, meta, [&](const EpochStats& s) {
            ++calls;
            EXPECT_EQ(s.epoch, calls);
            EXPECT_GT(s.samples_per_second, 0);
        });
        ASSERT_TRUE(result.has_value()) << result.error().message;
        EXPECT_EQ(calls, meta.train.epochs);
        EXPECT_EQ(result->device, "cpu");
        EXPECT_FALSE(result->stopped_early);
        auto predictor = Predictor::load(dir_ / kind, "cpu");
        ASSERT_TRUE(predictor.has_value()) << predictor.error().message;
        const auto pred = predictor->predict(data, meta.splits.test).value();
        ASSERT_EQ(pred.size(), meta.splits.test.size());
        const double zero = mse(std::vector<double>(pred.size(), 0.0), data, meta.splits.test);
        EXPECT_LT(mse(pred, data, meta.splits.test), 0.25 * zero);
    }
}

TEST_F(TrainerTest, EarlyStoppingOnNoise) {
    const Dataset data = make_dataset(kRows, 2, [](float, float e) { return e; });
    ModelMeta meta = make_meta(dir_, "mlp");
    meta.model.hidden = 64;
    meta.train.epochs = 40;
    meta.train.patience = 2;
    meta.train.learning_rate = 1e-2;
    meta.train.schedule = "none";
    auto result = train(data, meta).value();
    EXPECT_TRUE(result.stopped_early);
    EXPECT_LT(result.history.size(), meta.train.epochs);
    EXPECT_EQ(result.history.size(), result.best_epoch + 2);
    EXPECT_EQ(result.best_validation_loss, result.history[result.best_epoch - 1].validation_loss);
}

TEST_F(TrainerTest, ResumeEqualsAnUninterruptedRun) {
    const Dataset data = planted();
    auto meta_for = [&](const std::filesystem::path& dir) {
        ModelMeta m = make_meta(dir, "lstm");
        m.model.layers = 2;
        m.model.dropout = 0.2;  // draws from the generator, whose state must be restored
        m.train.epochs = 6;
        m.train.patience = 0;
        return m;
    };
    const auto straight = train(data, meta_for(dir_ / "straight")).value();

    ModelMeta meta = meta_for(dir_ / "resumed");
    EXPECT_THROW(static_cast<void>(train(data, meta,
                                         [](const EpochStats& s) {
                                             if (s.epoch == 3) {
                                                 throw Interrupted{};
                                             }
                                         })),
                 Interrupted);
    meta.train.resume = true;
    const auto resumed = train(data, meta).value();

    ASSERT_EQ(resumed.history.size(), straight.history.size());
    for (std::size_t i = 0; i < straight.history.size(); ++i) {
        EXPECT_EQ(resumed.history[i].train_loss, straight.history[i].train_loss) << i;
        EXPECT_EQ(resumed.history[i].validation_loss, straight.history[i].validation_loss) << i;
    }
    EXPECT_EQ(resumed.best_epoch, straight.best_epoch);
    const auto a = last_weights(dir_ / "straight");
    const auto b = last_weights(dir_ / "resumed");
    ASSERT_EQ(a.size(), b.size());
    ASSERT_TRUE(a.contains("lstm.weight_hh_l1"));
    ASSERT_TRUE(a.contains("head.weight"));
    for (const auto& [name, t] : a) {
        ASSERT_TRUE(b.contains(name)) << name;
        EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
    }
}

TEST_F(TrainerTest, SavedModelPredictsLikeTheTrainedOne) {
    const Dataset data = planted();
    ModelMeta meta = make_meta(dir_, "gru");
    meta.train.epochs = 3;
    const auto result = train(data, meta).value();
    auto first = Predictor::load(dir_, "cpu").value();
    EXPECT_EQ(first.meta().columns, data.columns);
    EXPECT_EQ(first.meta().model.kind, "gru");
    EXPECT_EQ(first.meta().splits.test, meta.splits.test);
    EXPECT_EQ(first.meta().test_start, data.ts[meta.splits.test.begin]);
    EXPECT_GT(first.meta().label_scale, 0.7);  // the root mean square of 0.8 x + 0.1 e
    EXPECT_LT(first.meta().label_scale, 0.9);
    // best.pt holds the weights that gave the best validation loss.
    const auto val = first.predict(data, meta.splits.validation).value();
    EXPECT_NEAR(mse(val, data, meta.splits.validation), result.best_validation_loss,
                1e-5 * result.best_validation_loss);
    // A copy elsewhere loads to the same predictions, bit for bit.
    std::filesystem::copy(dir_, dir_.string() + "_copy");
    auto second = Predictor::load(dir_.string() + "_copy", "auto").value();
    std::filesystem::remove_all(dir_.string() + "_copy");
    EXPECT_EQ(second.predict(data, meta.splits.validation).value(), val);
}

TEST_F(TrainerTest, SignAndClass3HeadsGiveProbabilitiesAndExpectedClasses) {
    const Dataset sign = make_dataset(kRows, 3, [](float x, float) { return x > 0 ? 1.0F : 0.0F; });
    ModelMeta meta = make_meta(dir_ / "sign", "mlp");
    meta.label.kind = LabelSpec::Kind::Sign;
    meta.train.epochs = 3;
    ASSERT_TRUE(train(sign, meta).has_value());
    const auto probabilities =
        Predictor::load(dir_ / "sign").value().predict(sign, meta.splits.test).value();
    for (double p : probabilities) {
        EXPECT_GT(p, 0.0);
        EXPECT_LT(p, 1.0);
    }

    const Dataset class3 = make_dataset(kRows, 4, [](float x, float) {
        return x < -0.5F ? 0.0F : x > 0.5F ? 2.0F : 1.0F;
    });
    meta = make_meta(dir_ / "class3", "mlp");
    meta.label = LabelSpec{LabelSpec::Kind::Class3, 1, 0.001};
    meta.train.epochs = 3;
    ASSERT_TRUE(train(class3, meta).has_value());
    const auto pred =
        Predictor::load(dir_ / "class3").value().predict(class3, meta.splits.test).value();
    double agree = 0;
    for (std::size_t i = 0; i < pred.size(); ++i) {
        EXPECT_GT(pred[i], -1.0);
        EXPECT_LT(pred[i], 1.0);
        agree += pred[i] * (class3.labels[meta.splits.test.begin + i] - 1.0) > 0 ? 1 : 0;
    }
    EXPECT_GT(agree, 0.5 * static_cast<double>(pred.size()));
}

TEST_F(TrainerTest, MetaRoundTripsThroughJson) {
    ModelMeta meta = make_meta(dir_, "transformer");
    meta.features.items = {"logret(1)", "ind:macd(12,26,9).hist"};
    meta.columns = {"a", "b"};
    meta.label = LabelSpec{LabelSpec::Kind::Class3, 5, 0.002};
    meta.normalizer.mean = {0.5, -1};
    meta.normalizer.stddev = {2, 3};
    meta.model.causal = false;
    const auto back = ModelMeta::from_json(meta.to_json()).value();
    EXPECT_EQ(back.to_json(), meta.to_json());
    EXPECT_EQ(back.features.items, meta.features.items);
    EXPECT_EQ(back.label.kind, LabelSpec::Kind::Class3);
    EXPECT_EQ(back.train.out_dir, dir_);
    EXPECT_FALSE(ModelConfig::from_json({{"kind", "cnn"}}).has_value());
    EXPECT_EQ(ModelConfig::from_json({{"hidden", "wide"}}).error().code, ErrorCode::ParseError);
}

TEST_F(TrainerTest, BadInputsFailClearly) {
    // Too few rows for one window.
    const Dataset tiny = make_dataset(5, 5, [](float x, float) { return x; });
    ModelMeta meta = make_meta(dir_, "lstm");
    meta.splits = Splits{Range{0, 2}, Range{2, 3}, Range{3, 4}};
    EXPECT_EQ(train(tiny, meta).error().code, ErrorCode::InvalidArgument);

    const Dataset data = planted();
    meta = make_meta(dir_, "lstm");
    meta.model.kind = "cnn";
    EXPECT_EQ(train(data, meta).error().code, ErrorCode::InvalidArgument);

    meta = make_meta(dir_, "lstm");
    meta.train.device = "cuda";
    if (!torch::cuda::is_available()) {
        const auto r = train(data, meta);
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
        EXPECT_EQ(r.error().message,
                  "CUDA is not available (built against a CPU libtorch or no GPU)");
        EXPECT_EQ(Predictor::load(dir_, "cuda:0").error().code, ErrorCode::NotFound);
    }

    meta = make_meta(dir_, "mlp");
    meta.train.epochs = 1;
    ASSERT_TRUE(train(data, meta).has_value());
    if (!torch::cuda::is_available()) {
        EXPECT_EQ(Predictor::load(dir_, "cuda").error().code, ErrorCode::Unavailable);
    }
    auto predictor = Predictor::load(dir_, "cpu").value();
    Dataset other = data;
    other.columns = {"y"};
    const auto wrong = predictor.predict(other, meta.splits.test);
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(wrong.error().message.find("[y]"), std::string::npos);
    EXPECT_NE(wrong.error().message.find("[x]"), std::string::npos);
    EXPECT_EQ(predictor.predict(data, Range{0, 10}).error().code, ErrorCode::InvalidArgument);

    // last.pt of an MLP does not fit an LSTM.
    meta.model.kind = "lstm";
    meta.train.resume = true;
    EXPECT_EQ(train(data, meta).error().code, ErrorCode::Corrupt);

    EXPECT_EQ(Predictor::load(dir_ / "missing").error().code, ErrorCode::NotFound);
    meta.train.out_dir = dir_ / "never_trained";
    EXPECT_EQ(train(data, meta).error().code, ErrorCode::NotFound);
}

}  // namespace
}  // namespace tradpal::ml

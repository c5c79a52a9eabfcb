// SPDX-License-Identifier: Apache-2.0
// The trainer on CUDA (label gpu): learns like on the CPU, the same loss curve within float
// noise, bf16 autocast, [gpu] memory_limit, device choice. Skipped without a GPU.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <tradpal/ml/trainer.hpp>

#include "trainer_testing.hpp"

namespace tradpal::ml {
namespace {

using namespace trainer_testing;  // NOLINT(google-build-using-namespace): shared helpers

class TrainerGpuTest : public TrainerTest {
protected:
    void SetUp() override {
        if (!torch::cuda::is_available()) {
            GTEST_SKIP() << "no CUDA device (or a CPU libtorch)";
        }
        TrainerTest::SetUp();
    }
};

TEST_F(TrainerGpuTest, EveryModelKindLearnsOnCudaWithTheCpuLossCurve) {
    const Dataset data = planted();
    for (const std::string kind : {"lstm", "gru", "transformer", "mlp"}) {
        SCOPED_TRACE(kind);
        ModelMeta cpu_meta = make_meta(dir_ / (kind + "_cpu"), kind);
        ModelMeta gpu_meta = make_meta(dir_ / (kind + "_gpu"), kind);
        gpu_meta.train.device = "cuda";
        const TrainResult cpu = train(data, cpu_meta).value();
        const TrainResult gpu = train(data, gpu_meta).value();
        EXPECT_EQ(gpu.device, "cuda:0");
        // Same seed, same initial weights and sample order: the curves differ by float
        // rounding (cuDNN's kernels) only.
        ASSERT_EQ(gpu.history.size(), cpu.history.size());
        for (std::size_t e = 0; e < cpu.history.size(); ++e) {
            EXPECT_NEAR(gpu.history[e].train_loss, cpu.history[e].train_loss,
                        0.05 * cpu.history[e].train_loss + 1e-4)
                << "epoch " << e + 1;
        }
        const auto predictor = Predictor::load(dir_ / (kind + "_gpu"), "cuda").value();
        const std::vector<double> pred = predictor.predict(data, gpu_meta.splits.test).value();
        const double zero = mse(std::vector<double>(pred.size(), 0.0), data, gpu_meta.splits.test);
        EXPECT_LT(mse(pred, data, gpu_meta.splits.test), 0.25 * zero);
        // The same weights on the CPU forecast the same numbers within float noise.
        const auto on_cpu = Predictor::load(dir_ / (kind + "_gpu"), "cpu").value();
        const std::vector<double> cpu_pred = on_cpu.predict(data, gpu_meta.splits.test).value();
        for (std::size_t i = 0; i < pred.size(); ++i) {
            ASSERT_NEAR(pred[i], cpu_pred[i], 1e-3 + 1e-3 * std::abs(cpu_pred[i])) << i;
        }
    }
}

TEST_F(TrainerGpuTest, Bf16AutocastLearnsThePlantedSignal) {
    const Dataset data = planted();
    for (const std::string kind : {"lstm", "transformer"}) {
        SCOPED_TRACE(kind);
        ModelMeta meta = make_meta(dir_ / kind, kind);
        meta.train.device = "cuda";
        meta.train.mixed_precision = true;
        const TrainResult result = train(data, meta).value();
        for (const EpochStats& e : result.history) {
            ASSERT_TRUE(std::isfinite(e.train_loss));
        }
        const auto pred =
            Predictor::load(dir_ / kind, "cuda").value().predict(data, meta.splits.test).value();
        const double zero = mse(std::vector<double>(pred.size(), 0.0), data, meta.splits.test);
        EXPECT_LT(mse(pred, data, meta.splits.test), 0.35 * zero);
    }
}

TEST_F(TrainerGpuTest, MemoryLimitIsHonoured) {
    const Dataset data = planted();
    ModelMeta meta = make_meta(dir_, "lstm");
    meta.train.device = "cuda";
    meta.model.hidden = 1024;        // about 100 MB of weights and optimizer state
    meta.train.memory_limit = 1e-4;  // a few MB of an 80 GB card
    const auto refused = train(data, meta);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ErrorCode::Unavailable);
    EXPECT_NE(refused.error().message.find("memory_limit"), std::string::npos)
        << refused.error().message;
    // The limit is per run: the next run with the default limit trains.
    meta.train.memory_limit = 0.8;
    meta.model.hidden = 16;
    EXPECT_TRUE(train(data, meta).has_value());
}

TEST_F(TrainerGpuTest, DeviceChoice) {
    const Dataset data = planted();
    ModelMeta meta = make_meta(dir_, "mlp");
    meta.train.epochs = 1;
    meta.train.device = "cuda:99";
    const auto missing = train(data, meta);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(missing.error().message.find("cuda:99"), std::string::npos);
    meta.train.device = "auto";
    EXPECT_EQ(train(data, meta).value().device, "cuda:0");
}

}  // namespace
}  // namespace tradpal::ml

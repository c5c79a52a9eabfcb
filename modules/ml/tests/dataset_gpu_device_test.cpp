// SPDX-License-Identifier: Apache-2.0
// build_dataset with the batch indicators on the CUDA device (label gpu): the CPU's dataset,
// every GPU indicator's column counted in the log. Skips where query_devices() finds no device.
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/gpu/device.hpp>
#include <tradpal/ml/dataset.hpp>
#include <tradpal/ml/pipeline.hpp>
#include <tradpal/ml/trainer.hpp>

#include "dataset_testing.hpp"

namespace tradpal::ml {
namespace {

using dataset_testing::build_with;
using dataset_testing::expect_same_dataset;
using dataset_testing::LogCapture;
using Where = FeatureCompute::Where;

TEST(DatasetGpuDevice, DeviceEqualsCpu) {
    if (auto devices = gpu::query_devices(); !devices) {
        GTEST_SKIP() << devices.error().message;
    }
    const BarSeries bars = data_testing::synthetic_ohlcv(20000, 6);
    const Dataset cpu = build_with(bars.view(), dataset_testing::kGpuFeatures, Where::Cpu);
    LogCapture log;
    const Dataset device = build_with(bars.view(), dataset_testing::kGpuFeatures, Where::Gpu);
    EXPECT_NE(log.text().find(fmt::format("{} of {} feature columns computed on the GPU\n",
                                          dataset_testing::kGpuFeaturesOnGpu,
                                          dataset_testing::kGpuFeaturesColumns)),
              std::string::npos)
        << log.text();
    expect_same_dataset(cpu, device);
}

TEST(DatasetGpuDevice, PrepareDatasetComputesIndicatorsOnTheTrainingCard) {
    auto device = training_device("cuda");
    if (!device) {
        GTEST_SKIP() << device.error().message;
    }
    const BarSeries bars = data_testing::synthetic_ohlcv(5000, 9);
    ModelMeta cpu_meta;
    cpu_meta.features = FeatureSpec::parse(kDefaultFeatures).value();
    cpu_meta.label = LabelSpec::parse("ret(1)").value();
    cpu_meta.model.seq_len = 16;
    cpu_meta.train.device = "cpu";
    ModelMeta gpu_meta = cpu_meta;
    gpu_meta.train.device = "cuda";
    const Dataset cpu = prepare_dataset(cpu_meta, bars.view(), 0.7, 0.15);
    LogCapture log;
    const Dataset gpu = prepare_dataset(gpu_meta, bars.view(), 0.7, 0.15);
    EXPECT_NE(log.text().find(fmt::format("{} of {} feature columns computed on the GPU\n",
                                          dataset_testing::kDefaultOnGpu,
                                          dataset_testing::kDefaultColumns)),
              std::string::npos)
        << log.text();
    // Normalized, so compared on their layout only: build_dataset's features are checked above.
    EXPECT_EQ(gpu.columns, cpu.columns);
    EXPECT_EQ(gpu.valid, cpu.valid);
    EXPECT_EQ(gpu_meta.splits.train, cpu_meta.splits.train);
    EXPECT_EQ(gpu_meta.splits.test, cpu_meta.splits.test);
}

}  // namespace
}  // namespace tradpal::ml

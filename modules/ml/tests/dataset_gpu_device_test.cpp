// SPDX-License-Identifier: Apache-2.0
// build_dataset with the batch indicators on the CUDA device (label gpu): the CPU's dataset,
// every GPU indicator's column counted in the log. Skips where query_devices() finds no device.
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/gpu/device.hpp>
#include <tradpal/ml/dataset.hpp>

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

}  // namespace
}  // namespace tradpal::ml

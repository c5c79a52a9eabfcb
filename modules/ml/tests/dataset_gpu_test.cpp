// SPDX-License-Identifier: Apache-2.0
// build_dataset with the GPU's batch indicators: the GPU threads' code in a host loop gives
// the CPU's dataset (random walks and, when ../shared is there, Bitstamp's hourly BTC/USD),
// and asking for the device where there is none falls back to the CPU with one log line.
#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tradpal/core/timestamp.hpp>
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

// ../shared's hourly Bitstamp BTC/USD (CryptoDataDownload's layout, newest first), read here
// rather than with modules/data, which the GPU machines' subset build lacks.
std::optional<BarSeries> bitstamp_hourly() {
    const auto shared = data_testing::shared_dir();
    std::ifstream file;
    if (shared) {
        file.open(*shared / "data" / "btc-bitstamp-1h" / "Bitstamp_BTCUSD_1h.csv");
    }
    if (!file) {
        return std::nullopt;
    }
    std::vector<Bar> rows;
    std::string line;
    std::getline(file, line);  // the source's address
    std::getline(file, line);  // unix,date,symbol,open,high,low,close,Volume BTC,Volume USD
    while (std::getline(file, line)) {
        std::stringstream fields(line);
        std::array<std::string, 8> cell;
        for (std::string& f : cell) {
            std::getline(fields, f, ',');
        }
        rows.push_back(Bar{Timestamp(std::stoll(cell[0]) * kNanosPerSecond), std::stod(cell[3]),
                           std::stod(cell[4]), std::stod(cell[5]), std::stod(cell[6]),
                           std::stod(cell[7])});
    }
    BarSeries bars;
    std::for_each(rows.rbegin(), rows.rend(), [&](const Bar& bar) { bars.push_back(bar); });
    return bars;
}

// Both feature sets over `bars`, host loop against CPU, with the log line that counts the
// GPU's columns.
void check_host_loop(const BarSeriesView& bars) {
    for (const auto& [features, on_gpu, columns] :
         {std::tuple{std::string_view(kDefaultFeatures), dataset_testing::kDefaultOnGpu,
                     dataset_testing::kDefaultColumns},
          std::tuple{dataset_testing::kGpuFeatures, dataset_testing::kGpuFeaturesOnGpu,
                     dataset_testing::kGpuFeaturesColumns}}) {
        SCOPED_TRACE(features);
        const Dataset cpu = build_with(bars, features, Where::Cpu);
        LogCapture log;
        const Dataset loop = build_with(bars, features, Where::GpuHostLoop);
        EXPECT_NE(log.text().find(fmt::format(
                      "{} of {} feature columns computed on the GPU (host loop)", on_gpu, columns)),
                  std::string::npos)
            << log.text();
        ASSERT_EQ(cpu.cols, columns);
        const std::size_t differ = expect_same_dataset(cpu, loop);
        ::testing::Test::RecordProperty(
            fmt::format("differing_features_{}_bars_{}_columns", bars.size(), columns),
            std::to_string(differ));
    }
}

TEST(DatasetGpu, HostLoopEqualsCpuOnRandomWalks) {
    for (const std::uint64_t seed : {1, 2}) {
        SCOPED_TRACE(seed);
        const BarSeries bars = data_testing::synthetic_ohlcv(5000, seed);
        check_host_loop(bars.view());
    }
}

TEST(DatasetGpu, HostLoopEqualsCpuOnBitstampHourly) {
    const auto bars = bitstamp_hourly();
    if (!bars) {
        GTEST_SKIP() << "../shared/data is not available";
    }
    ASSERT_GT(bars->size(), 30'000U);  // four years of hours
    check_host_loop(bars->view());
}

TEST(DatasetGpu, FeaturesWithoutGpuIndicatorsNeedNoGpu) {
    const BarSeries bars = data_testing::synthetic_ohlcv(300, 5);
    const std::string_view features = "logret(1),vol(20),ind:adx(14),dow";
    const Dataset cpu = build_with(bars.view(), features, Where::Cpu);
    LogCapture log;
    // No indicator for the GPU: no device is asked for, so no fallback either.
    const Dataset gpu = build_with(bars.view(), features, Where::Gpu);
    EXPECT_NE(log.text().find("0 of 5 feature columns computed on the GPU"), std::string::npos)
        << log.text();
    EXPECT_EQ(log.text().find("unavailable"), std::string::npos) << log.text();
    EXPECT_EQ(expect_same_dataset(cpu, gpu), 0U);
}

TEST(DatasetGpu, DeviceFallsBackToTheCpuWhenThereIsNone) {
    const auto devices = gpu::query_devices();
    if (devices) {
        GTEST_SKIP() << "a CUDA device is present (tradpal_ml_gpu_tests checks it)";
    }
    const BarSeries bars = data_testing::synthetic_ohlcv(2000, 3);
    const Dataset cpu = build_with(bars.view(), kDefaultFeatures, Where::Cpu);
    LogCapture log;
    const Dataset fallback = build_with(bars.view(), kDefaultFeatures, Where::Gpu);
    // One line with the reason, and no claim of GPU columns.
    EXPECT_NE(log.text().find("computing the features on the CPU, the GPU is unavailable: " +
                              devices.error().message),
              std::string::npos)
        << log.text();
    EXPECT_EQ(log.text().find("computed on the GPU"), std::string::npos) << log.text();
    EXPECT_EQ(expect_same_dataset(cpu, fallback), 0U);
}

TEST(DatasetGpu, ErrorsOfTheFeaturesStayTheCpusOnes) {
    const BarSeries bars = data_testing::synthetic_ohlcv(30, 4);
    // Too few bars for sma(200): the same error with or without the GPU.
    const auto spec = FeatureSpec::parse("ind:sma(200)").value();
    const auto label = LabelSpec::parse("ret(1)").value();
    const auto cpu = build_dataset(bars.view(), spec, label);
    const auto loop = build_dataset(bars.view(), spec, label, 1, {Where::GpuHostLoop, {}});
    ASSERT_FALSE(cpu);
    ASSERT_FALSE(loop);
    EXPECT_EQ(loop.error().code, cpu.error().code);
    EXPECT_EQ(loop.error().message, cpu.error().message);
}

TEST(DatasetGpu, PrepareDatasetStaysOnTheCpuUnlessTrainingRunsOnCuda) {
    const BarSeries bars = data_testing::synthetic_ohlcv(1000, 8);
    ModelMeta cpu_meta;
    cpu_meta.features = FeatureSpec::parse(kDefaultFeatures).value();
    cpu_meta.label = LabelSpec::parse("ret(1)").value();
    cpu_meta.model.seq_len = 16;
    cpu_meta.train.device = "cpu";
    LogCapture log;
    const Dataset cpu = prepare_dataset(cpu_meta, bars.view(), 0.7, 0.15);
    for (const std::string device : {"auto", "cuda", "nonsense"}) {
        if (auto index = training_device(device); index && *index) {
            continue;  // training would run on CUDA: tradpal_ml_gpu_tests checks that
        }
        SCOPED_TRACE(device);
        ModelMeta meta = cpu_meta;
        meta.train.device = device;
        const Dataset data = prepare_dataset(meta, bars.view(), 0.7, 0.15);
        EXPECT_EQ(expect_same_dataset(cpu, data), 0U);
    }
    // No GPU asked for, so neither a count of GPU columns nor a fallback.
    EXPECT_EQ(log.text().find("GPU"), std::string::npos) << log.text();
}

TEST(TrainingDevice, CpuIsNoDeviceAndUnknownNamesAreErrors) {
    const auto cpu = training_device("cpu");
    ASSERT_TRUE(cpu) << cpu.error().message;
    EXPECT_FALSE(cpu->has_value());
    EXPECT_FALSE(training_device("tpu"));
    EXPECT_FALSE(training_device("cuda:x"));
    if (!gpu::query_devices()) {
        const auto automatic = training_device("auto");
        ASSERT_TRUE(automatic) << automatic.error().message;
        EXPECT_FALSE(automatic->has_value());
    }
}

}  // namespace
}  // namespace tradpal::ml

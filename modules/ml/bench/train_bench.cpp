// SPDX-License-Identifier: Apache-2.0
// Training throughput of the reference models (32 features, 64 bars per window, hidden 128,
// 2 layers, regression head) on random data, samples per second of the second epoch. The PyTorch
// side: scripts/bench_ml_pytorch.py. Run:
//   build/modules/ml/tradpal_ml_bench [--benchmark_filter=lstm] (docs/BENCHMARKS.md, "ML")
// TRADPAL_BENCH_DEVICE=cuda runs it on the GPU (TRADPAL_BENCH_BF16=1: with bf16 autocast);
// TRADPAL_BENCH_STEPS (default 40) sets the training steps per epoch (a few on a small CPU).
// BM_Predict4096: latency of forecasts for 4,096 windows in one call.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include <benchmark/benchmark.h>

#include <tradpal/ml/trainer.hpp>

namespace tradpal::ml {
namespace {

constexpr std::size_t kFeatures = 32;
constexpr std::size_t kSeqLen = 64;

std::size_t steps_per_epoch() {
    const char* steps = std::getenv("TRADPAL_BENCH_STEPS");
    return steps != nullptr ? std::max<std::size_t>(1, std::stoul(steps)) : 40;
}

Dataset random_dataset(std::size_t samples) {
    Dataset d;
    d.rows = samples + kSeqLen - 1;
    d.cols = kFeatures;
    std::mt19937_64 rng(7);
    std::normal_distribution<float> normal;
    d.features.resize(d.rows * d.cols);
    for (float& x : d.features) {
        x = normal(rng);
    }
    d.labels.resize(d.rows);
    d.forward_returns.resize(d.rows);
    for (std::size_t i = 0; i < d.rows; ++i) {
        d.labels[i] = 0.01F * normal(rng);
        d.forward_returns[i] = d.labels[i];
    }
    d.ts.resize(d.rows);
    for (std::size_t i = 0; i < d.rows; ++i) {
        d.ts[i] = static_cast<std::int64_t>(i) * 3'600'000'000'000;
    }
    for (std::size_t c = 0; c < kFeatures; ++c) {
        std::string name = "f";  // not "f" + ...: GCC 12 reports a false -Wrestrict there
        name += std::to_string(c);
        d.columns.push_back(std::move(name));
    }
    d.valid = {0, d.rows};
    return d;
}

ModelMeta reference_meta(const std::string& kind, std::size_t batch, std::size_t samples,
                         const Dataset& data) {
    ModelMeta meta;
    meta.model.kind = kind;
    meta.model.seq_len = kSeqLen;
    meta.model.hidden = kind == "transformer" ? 64 : 128;
    meta.model.layers = 2;
    meta.model.heads = 4;
    meta.train.epochs =
        2;  // the second, warm epoch is measured (PyTorch's side skips warm-up steps)
    meta.train.batch_size = batch;
    meta.train.patience = 0;
    const char* device = std::getenv("TRADPAL_BENCH_DEVICE");
    meta.train.device = device != nullptr ? device : "cpu";
    const char* bf16 = std::getenv("TRADPAL_BENCH_BF16");
    meta.train.mixed_precision = bf16 != nullptr && std::string(bf16) == "1";
    meta.train.out_dir = std::filesystem::temp_directory_path() / ("tradpal_ml_bench_" + kind);
    meta.splits.train = {kSeqLen - 1, kSeqLen - 1 + samples};
    meta.splits.validation = {meta.splits.train.end, data.rows};
    meta.splits.test = {data.rows, data.rows};
    meta.normalizer.mean.assign(kFeatures, 0);
    meta.normalizer.stddev.assign(kFeatures, 1);
    return meta;
}

void BM_Train(benchmark::State& state, const std::string& kind) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    const std::size_t samples = batch * steps_per_epoch();
    const Dataset data = random_dataset(samples + batch);  // + a small validation split
    const ModelMeta meta = reference_meta(kind, batch, samples, data);
    double rate = 0;
    for (auto _ : state) {
        auto result = train(data, meta);
        if (!result) {
            state.SkipWithError(result.error().message.c_str());
            return;
        }
        rate = result->history.back().samples_per_second;
        state.SetIterationTime(static_cast<double>(samples) / rate);
    }
    state.counters["samples_per_s"] = rate;
    std::filesystem::remove_all(meta.train.out_dir);
}

// Forecasts for 4,096 windows at once, as `predict` and `backtest --strategy ml` ask for them:
// latency of one call (after a warm-up call), the model already loaded.
void BM_Predict4096(benchmark::State& state, const std::string& kind) {
    constexpr std::size_t kWindows = 4096;
    const Dataset data = random_dataset(kWindows + 64);
    ModelMeta meta = reference_meta(kind, 64, 64, data);
    meta.splits.train = {kSeqLen - 1, kSeqLen - 1 + 64};
    meta.splits.validation = {meta.splits.train.end, meta.splits.train.end + 64};
    meta.train.batch_size = kWindows;  // one forward pass for all windows
    if (auto trained = train(data, meta); !trained) {
        state.SkipWithError(trained.error().message.c_str());
        return;
    }
    const Predictor predictor = Predictor::load(meta.train.out_dir, meta.train.device).value();
    const Range rows{data.rows - kWindows, data.rows};
    static_cast<void>(predictor.predict(data, rows).value());  // warm-up (cuDNN plans)
    for (auto _ : state) {
        benchmark::DoNotOptimize(predictor.predict(data, rows).value());
    }
    state.counters["windows_per_s"] = benchmark::Counter(
        static_cast<double>(kWindows), benchmark::Counter::kIsIterationInvariantRate);
    std::filesystem::remove_all(meta.train.out_dir);
}

void register_benchmarks() {
    for (const std::string kind : {"lstm", "transformer"}) {
        benchmark::RegisterBenchmark(("BM_Train/" + kind).c_str(), BM_Train, kind)
            ->Arg(64)
            ->Arg(256)
            ->Arg(1024)
            ->Iterations(2)
            ->UseManualTime()
            ->Unit(benchmark::kSecond);
        benchmark::RegisterBenchmark(("BM_Predict4096/" + kind).c_str(), BM_Predict4096, kind)
            ->Unit(benchmark::kMillisecond);
    }
}

}  // namespace
}  // namespace tradpal::ml

int main(int argc, char** argv) {
    tradpal::ml::register_benchmarks();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

// SPDX-License-Identifier: Apache-2.0
// Models and training on libtorch (built only when libtorch is found: TRADPAL_HAS_TORCH).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tradpal/core/result.hpp>
#include <tradpal/ml/dataset.hpp>

namespace tradpal::ml {

/// The network. Reference configuration for benchmarks: 32 features, seq_len 64, hidden 128,
/// 2 layers, regression head.
struct ModelConfig {
    std::string kind = "lstm";  ///< lstm, gru, transformer, mlp
    std::size_t seq_len = 64;
    std::size_t hidden = 128;  ///< LSTM/GRU hidden size, Transformer d_model, MLP width
    std::size_t layers = 2;
    std::size_t heads = 4;  ///< Transformer
    bool causal = true;     ///< Transformer: each position sees only earlier ones
    double dropout = 0.0;
    nlohmann::json to_json() const;
    static Result<ModelConfig> from_json(const nlohmann::json& j);
};

struct TrainConfig {
    std::size_t epochs = 100;
    std::size_t batch_size = 64;
    std::size_t patience = 10;        ///< epochs without a better validation loss; 0 = never stop
    std::string optimizer = "adamw";  ///< adam, adamw
    double learning_rate = 1e-3;
    double weight_decay = 1e-2;       ///< AdamW
    std::string schedule = "cosine";  ///< cosine, step (x0.5 every 10 epochs), none
    double clip_norm = 1.0;           ///< gradient clipping; 0 = off
    std::uint64_t seed = 42;
    std::string device = "auto";  ///< auto (CUDA when present), cpu, cuda, cuda:N
    /// bf16 autocast of the forward pass and loss ([ml] mixed_precision); CUDA only, the CPU
    /// trains in float32. Validation and predictions run in float32.
    bool mixed_precision = false;
    /// Most of the GPU's memory the training may hold ([gpu] memory_limit), in (0, 1].
    double memory_limit = 0.8;
    std::filesystem::path out_dir;  ///< best.pt, last.pt, model.json
    bool resume = false;            ///< continue from out_dir/last.pt exactly
};

struct EpochStats {
    std::size_t epoch = 0;  ///< 1-based
    double train_loss = 0;
    double validation_loss = 0;
    double samples_per_second = 0;
    double seconds = 0;
    double learning_rate = 0;
};

struct TrainResult {
    std::vector<EpochStats> history;
    std::size_t best_epoch = 0;
    double best_validation_loss = 0;
    bool stopped_early = false;
    std::string device;  ///< what ran it, e.g. "cpu" or "cuda:0 (NVIDIA H100 80GB HBM3)"
};

/// What is saved beside the weights so that a model can be used without its training command.
struct ModelMeta {
    FeatureSpec features;
    std::vector<std::string> columns;  ///< the dataset's column names; set by train()
    LabelSpec label;
    Normalizer normalizer;
    ModelConfig model;
    TrainConfig train;
    Splits splits;
    /// Open time of the first test sample's bar; set by train(). Bars from then on, of any
    /// series, are out of sample.
    std::int64_t test_start = 0;
    /// ret(k) labels: the networks learn label / label_scale (the root mean square of the
    /// training labels) so that small returns train as fast as unit ones; set by train().
    double label_scale = 1.0;
    std::string data_version;  ///< of the series trained on
    std::string symbol;
    std::string timeframe;
    nlohmann::json to_json() const;
    static Result<ModelMeta> from_json(const nlohmann::json& j);
};

/// The CUDA device train() runs on for a TrainConfig::device ("auto", "cpu", "cuda", "cuda:N"):
/// its index, or nullopt for the CPU ("cpu", or "auto" without CUDA). train() resolves its
/// device here, and so does whatever else of a training should follow it (prepare_dataset's
/// features). Errors: InvalidArgument (an unknown name or device index), Unavailable (CUDA
/// asked for but absent; in a build without libtorch, for every name but "auto" and "cpu").
Result<std::optional<int>> training_device(const std::string& device);

/// Trains on `data` (already normalized with meta.normalizer) and writes out_dir/{best,last}.pt
/// and model.json. `on_epoch` is called after every epoch (progress lines), once last.pt holds
/// that epoch: an exception thrown from it ends training, and `resume` continues from there.
/// Errors: InvalidArgument (config), Unavailable (CUDA asked for but absent), NotFound (resume
/// without last.pt), Corrupt (last.pt of another model), IoError.
Result<TrainResult> train(const Dataset& data, const ModelMeta& meta,
                          const std::function<void(const EpochStats&)>& on_epoch = {});

/// A trained model loaded for predictions.
class Predictor {
public:
    /// Loads out_dir/model.json and best.pt. Errors: NotFound, ParseError, Corrupt.
    static Result<Predictor> load(const std::filesystem::path& dir,
                                  const std::string& device = "auto");
    Predictor(Predictor&&) noexcept;
    Predictor& operator=(Predictor&&) noexcept;
    ~Predictor();
    const ModelMeta& meta() const noexcept;
    /// Predictions for sample rows `rows` of `data` (normalized with meta().normalizer): the
    /// forecast return (Return), the probability of a rise (Sign), or expected class - 1
    /// (Class3), one per row. Errors: InvalidArgument (columns differ from the model's).
    Result<std::vector<double>> predict(const Dataset& data, Range rows) const;

private:
    struct Impl;
    explicit Predictor(std::unique_ptr<Impl> impl) noexcept;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tradpal::ml

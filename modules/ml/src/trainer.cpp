// SPDX-License-Identifier: Apache-2.0
// Models, training and inference on libtorch 1.13 (Debian, CPU) and 2.x (PyTorch's, CUDA). CUDA
// is chosen at run time; #if only where the two versions' APIs differ (autocast) and for the
// CUDA allocator, which a CPU libtorch lacks (TRADPAL_TORCH_CUDA).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <numbers>
#include <utility>

#include <ATen/autocast_mode.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <torch/version.h>
#if TRADPAL_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <tradpal/core/file.hpp>
#include <tradpal/gpu/device.hpp>
#include <tradpal/ml/trainer.hpp>

namespace tradpal::ml {
namespace {

namespace F = torch::nn::functional;
using Json = nlohmann::json;

// ---- JSON of the parts of ModelMeta without their own (feature items stay an array: items
// hold commas).

Json range_json(const Range& r) {
    return Json::array({r.begin, r.end});
}

Range range_from(const Json& j) {
    return Range{j.at(0).get<std::size_t>(), j.at(1).get<std::size_t>()};
}

Json train_config_json(const TrainConfig& t) {
    return Json{{"epochs", t.epochs},
                {"batch_size", t.batch_size},
                {"patience", t.patience},
                {"optimizer", t.optimizer},
                {"learning_rate", t.learning_rate},
                {"weight_decay", t.weight_decay},
                {"schedule", t.schedule},
                {"clip_norm", t.clip_norm},
                {"seed", t.seed},
                {"device", t.device},
                {"mixed_precision", t.mixed_precision},
                {"memory_limit", t.memory_limit},
                {"out_dir", t.out_dir.string()},
                {"resume", t.resume}};
}

TrainConfig train_config_from(const Json& j) {
    TrainConfig t;
    t.epochs = j.value("epochs", t.epochs);
    t.batch_size = j.value("batch_size", t.batch_size);
    t.patience = j.value("patience", t.patience);
    t.optimizer = j.value("optimizer", t.optimizer);
    t.learning_rate = j.value("learning_rate", t.learning_rate);
    t.weight_decay = j.value("weight_decay", t.weight_decay);
    t.schedule = j.value("schedule", t.schedule);
    t.clip_norm = j.value("clip_norm", t.clip_norm);
    t.seed = j.value("seed", t.seed);
    t.device = j.value("device", t.device);
    t.mixed_precision = j.value("mixed_precision", t.mixed_precision);
    t.memory_limit = j.value("memory_limit", t.memory_limit);
    t.out_dir = j.value("out_dir", std::string{});
    t.resume = j.value("resume", t.resume);
    return t;
}

// ---- Validation of configurations and rows.

Result<void> check_model(const ModelConfig& m) {
    if (m.kind != "lstm" && m.kind != "gru" && m.kind != "transformer" && m.kind != "mlp") {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("unknown model kind '{}' (lstm, gru, transformer, mlp)", m.kind));
    }
    if (m.seq_len == 0 || m.hidden == 0 || m.layers == 0) {
        return fail(ErrorCode::InvalidArgument, "model seq_len, hidden and layers must be >= 1");
    }
    if (m.kind == "transformer" && (m.heads == 0 || m.hidden % m.heads != 0)) {
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("transformer hidden {} must be a multiple of heads {}", m.hidden, m.heads));
    }
    if (!(m.dropout >= 0.0 && m.dropout < 1.0)) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("dropout {} is outside [0, 1)", m.dropout));
    }
    return {};
}

Result<void> check_train(const TrainConfig& t) {
    if (t.epochs == 0 || t.batch_size == 0) {
        return fail(ErrorCode::InvalidArgument, "epochs and batch_size must be >= 1");
    }
    if (t.optimizer != "adam" && t.optimizer != "adamw") {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("unknown optimizer '{}' (adam, adamw)", t.optimizer));
    }
    if (t.schedule != "cosine" && t.schedule != "step" && t.schedule != "none") {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("unknown schedule '{}' (cosine, step, none)", t.schedule));
    }
    if (!(t.learning_rate > 0) || !(t.weight_decay >= 0) || !(t.clip_norm >= 0)) {
        return fail(ErrorCode::InvalidArgument,
                    "learning_rate must be > 0, weight_decay and clip_norm >= 0");
    }
    if (!(t.memory_limit > 0 && t.memory_limit <= 1)) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("memory_limit {} is outside (0, 1]", t.memory_limit));
    }
    if (t.out_dir.empty()) {
        return fail(ErrorCode::InvalidArgument, "out_dir is empty");
    }
    return {};
}

Result<void> check_shape(const Dataset& data) {
    if (data.features.size() != data.rows * data.cols || data.columns.size() != data.cols ||
        data.labels.size() != data.rows || data.valid.end > data.rows || data.cols == 0) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("dataset is inconsistent: {} rows x {} cols, {} column names, {} "
                                "features, {} labels",
                                data.rows, data.cols, data.columns.size(), data.features.size(),
                                data.labels.size()));
    }
    return {};
}

// Sample t needs feature rows [t - seq_len + 1, t] inside the valid rows; `last` bounds t.
Result<void> check_rows(const Dataset& data, Range rows, std::size_t seq_len, std::size_t last,
                        std::string_view what) {
    if (data.valid.size() < seq_len) {
        return fail(
            ErrorCode::InvalidArgument,
            fmt::format("the dataset has {} valid rows, fewer than one window of seq_len {}",
                        data.valid.size(), seq_len));
    }
    if (rows.size() == 0) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{} rows [{}, {}) hold no sample", what, rows.begin, rows.end));
    }
    if (rows.begin < data.valid.begin + seq_len - 1 || rows.end > last) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{} rows [{}, {}) must lie in [{}, {}): a window of seq_len {} "
                                "needs valid rows from row {}",
                                what, rows.begin, rows.end, data.valid.begin + seq_len - 1, last,
                                seq_len, data.valid.begin));
    }
    return {};
}

Result<void> check_labels(const Dataset& data, Range rows, const LabelSpec& label,
                          std::string_view what) {
    const LabelSpec::Kind kind = label.kind;
    for (std::size_t t = rows.begin; t < rows.end; ++t) {
        const float y = data.labels[t];
        const bool ok = kind == LabelSpec::Kind::Return ? std::isfinite(y)
                        : kind == LabelSpec::Kind::Sign ? (y == 0.0F || y == 1.0F)
                                                        : (y == 0.0F || y == 1.0F || y == 2.0F);
        if (!ok) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("{} row {} has label {} which does not fit a {} label", what, t,
                                    y, label.canonical()));
        }
    }
    return {};
}

// ---- Device and threads.

// train() and Predictor::load() on training_device()'s answer; "auto" without CUDA says so.
Result<torch::Device> resolve_device(const std::string& name) {
    auto index = training_device(name);
    if (!index) {
        return index.error();
    }
    if (!*index) {
        if (name == "auto") {
            spdlog::info("ml: CUDA is not available; running on the CPU");
        }
        return torch::Device(torch::kCPU);
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(**index));
}

// Switches bf16 autocast on CUDA on or off; the API changed in libtorch 2.4.
void set_cuda_bf16_autocast(bool on) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, on);
    if (on) {
        at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    }
#else
    at::autocast::set_enabled(on);
    if (on) {
        at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    }
#endif
}

// bf16 autocast on CUDA for the forward pass and the loss while it lives, like
// `with torch.autocast("cuda", torch.bfloat16)`; nothing when `on` is false.
class CudaBf16Autocast {
public:
    explicit CudaBf16Autocast(bool on) : on_(on) {
        if (on_) {
            set_cuda_bf16_autocast(true);
            at::autocast::increment_nesting();
        }
    }
    ~CudaBf16Autocast() {
        if (!on_) {
            return;
        }
        if (at::autocast::decrement_nesting() == 0) {
            at::autocast::clear_cache();  // the bf16 copies of this step's weights
        }
        set_cuda_bf16_autocast(false);
    }
    CudaBf16Autocast(const CudaBf16Autocast&) = delete;
    CudaBf16Autocast& operator=(const CudaBf16Autocast&) = delete;

private:
    bool on_;
};

// [gpu] memory_limit: the caching allocator refuses to hold more than this share of the
// device's memory (an allocation past it fails like an out-of-memory error).
void limit_memory(const torch::Device& device, double fraction) {
#if TRADPAL_TORCH_CUDA
    c10::cuda::CUDACachingAllocator::setMemoryFraction(fraction, device.index());
#else
    static_cast<void>(device);
    static_cast<void>(fraction);
#endif
}

std::string describe(const torch::Device& device) {
    return device.is_cuda() ? fmt::format("cuda:{}", device.index()) : std::string("cpu");
}

// ---- The network.

class NetImpl : public torch::nn::Module {
public:
    NetImpl(const ModelConfig& cfg, std::int64_t inputs, std::int64_t outputs) : kind_(cfg.kind) {
        const auto hidden = static_cast<std::int64_t>(cfg.hidden);
        const auto layers = static_cast<std::int64_t>(cfg.layers);
        const auto seq_len = static_cast<std::int64_t>(cfg.seq_len);
        // torch applies recurrent dropout between layers only and warns when there is one layer.
        const double between = layers > 1 ? cfg.dropout : 0.0;
        if (kind_ == "lstm") {
            lstm_ = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(inputs, hidden)
                                                                .num_layers(layers)
                                                                .batch_first(true)
                                                                .dropout(between)));
        } else if (kind_ == "gru") {
            gru_ = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(inputs, hidden)
                                                             .num_layers(layers)
                                                             .batch_first(true)
                                                             .dropout(between)));
        } else if (kind_ == "transformer") {
            proj_ = register_module("proj", torch::nn::Linear(inputs, hidden));
            const torch::nn::TransformerEncoderLayer layer(
                torch::nn::TransformerEncoderLayerOptions(hidden,
                                                          static_cast<std::int64_t>(cfg.heads))
                    .dim_feedforward(4 * hidden)
                    .dropout(cfg.dropout));
            encoder_ = register_module(
                "encoder",
                torch::nn::TransformerEncoder(torch::nn::TransformerEncoderOptions(layer, layers)));
            pe_ = register_buffer("pe", positional_encoding(seq_len, hidden));
            if (cfg.causal) {
                mask_ = register_buffer(
                    "mask", torch::triu(torch::full({seq_len, seq_len},
                                                    -std::numeric_limits<float>::infinity()),
                                        1));
            }
        } else {
            mlp_ = register_module("mlp", torch::nn::Sequential());
            mlp_->push_back(torch::nn::Flatten());
            std::int64_t width = seq_len * inputs;
            for (std::int64_t i = 0; i < layers; ++i) {
                mlp_->push_back(torch::nn::Linear(width, hidden));
                mlp_->push_back(torch::nn::ReLU());
                if (cfg.dropout > 0) {
                    mlp_->push_back(torch::nn::Dropout(cfg.dropout));
                }
                width = hidden;
            }
        }
        head_ = register_module("head", torch::nn::Linear(hidden, outputs));
    }

    /// x: [batch, seq_len, inputs] -> [batch, outputs].
    torch::Tensor forward(const torch::Tensor& x) {
        torch::Tensor last;
        if (kind_ == "lstm") {
            last = std::get<0>(lstm_->forward(x)).select(1, x.size(1) - 1);
        } else if (kind_ == "gru") {
            last = std::get<0>(gru_->forward(x)).select(1, x.size(1) - 1);
        } else if (kind_ == "transformer") {
            // The C++ encoder has no batch_first: it takes [seq, batch, d_model].
            const torch::Tensor h = (proj_->forward(x) + pe_).transpose(0, 1);
            last = encoder_->forward(h, mask_.defined() ? mask_ : torch::Tensor{}).select(0, -1);
        } else {
            last = mlp_->forward(x);
        }
        return head_->forward(last);
    }

private:
    static torch::Tensor positional_encoding(std::int64_t len, std::int64_t dim) {
        torch::Tensor pe = torch::zeros({len, dim});
        const torch::Tensor pos = torch::arange(len, torch::kFloat).unsqueeze(1);
        const torch::Tensor freq = torch::exp(torch::arange(0, dim, 2, torch::kFloat) *
                                              (-std::log(10000.0) / static_cast<double>(dim)));
        const torch::Tensor angle = pos * freq;
        pe.slice(1, 0, dim, 2).copy_(torch::sin(angle));
        pe.slice(1, 1, dim, 2).copy_(torch::cos(angle).slice(1, 0, dim / 2));
        return pe;
    }

    std::string kind_;
    torch::nn::LSTM lstm_{nullptr};
    torch::nn::GRU gru_{nullptr};
    torch::nn::Linear proj_{nullptr};
    torch::nn::TransformerEncoder encoder_{nullptr};
    torch::nn::Sequential mlp_{nullptr};
    torch::nn::Linear head_{nullptr};
    torch::Tensor pe_;
    torch::Tensor mask_;
};
TORCH_MODULE(Net);

Net make_net(const ModelMeta& meta, const torch::Device& device) {
    Net net(meta.model, static_cast<std::int64_t>(meta.columns.size()), meta.label.outputs());
    net->to(device);
    return net;
}

// ---- Windows: views over one feature tensor on the device, gathered by index arithmetic.

struct Windows {
    torch::Tensor features;      ///< [rows, cols] on the device
    torch::Tensor offsets;       ///< [seq_len]: -(seq_len - 1) .. 0
    std::int64_t first_row = 0;  ///< dataset row of features[0]

    Windows(const Dataset& data, std::size_t from, std::size_t to, std::size_t seq_len,
            const torch::Device& device)
        : first_row(static_cast<std::int64_t>(from)) {
        // from_blob does not copy; the one copy is the transfer to the device (none on CPU,
        // where nothing writes through the view).
        features = torch::from_blob(
                       const_cast<float*>(data.features.data() + from * data.cols),
                       {static_cast<std::int64_t>(to - from), static_cast<std::int64_t>(data.cols)},
                       torch::kFloat)
                       .to(device);
        offsets = torch::arange(-static_cast<std::int64_t>(seq_len) + 1, 1,
                                torch::TensorOptions().dtype(torch::kLong).device(device));
    }

    /// rows: [batch] dataset rows (int64, on the device) -> [batch, seq_len, cols].
    torch::Tensor batch(const torch::Tensor& rows) const {
        const torch::Tensor idx = (rows - first_row).unsqueeze(1) + offsets;
        return features.index_select(0, idx.reshape({-1}))
            .view({rows.size(0), offsets.size(0), features.size(1)});
    }
};

torch::Tensor summed_loss(const torch::Tensor& out, const torch::Tensor& y, LabelSpec::Kind kind) {
    switch (kind) {
        case LabelSpec::Kind::Return:
            return F::mse_loss(out.squeeze(1), y, F::MSELossFuncOptions().reduction(torch::kSum));
        case LabelSpec::Kind::Sign:
            return F::binary_cross_entropy_with_logits(
                out.squeeze(1), y,
                F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum));
        case LabelSpec::Kind::Class3:
            return F::cross_entropy(out, y.to(torch::kLong),
                                    F::CrossEntropyFuncOptions().reduction(torch::kSum));
    }
    return {};
}

// Like clip_grad_norm_, which returns the norm as a double and so waits for the GPU every step.
void clip_gradients(const std::vector<torch::Tensor>& params, double max_norm) {
    std::vector<torch::Tensor> norms;
    for (const auto& p : params) {
        if (p.grad().defined()) {
            norms.push_back(p.grad().norm());
        }
    }
    if (norms.empty()) {
        return;
    }
    const torch::Tensor scale =
        torch::clamp_max((torch::stack(norms).norm() + 1e-6).reciprocal() * max_norm, 1.0);
    for (const auto& p : params) {
        if (p.grad().defined()) {
            p.grad().mul_(scale);
        }
    }
}

// Returns of a few basis points would train a network of unit-scale weights slowly: regression
// targets are divided by their root mean square over the training rows and forecasts
// multiplied back.
double label_scale(const Dataset& data, Range train_rows, const LabelSpec& label) {
    if (label.kind != LabelSpec::Kind::Return) {
        return 1.0;
    }
    double sum = 0;
    for (std::size_t t = train_rows.begin; t < train_rows.end; ++t) {
        sum += static_cast<double>(data.labels[t]) * data.labels[t];
    }
    const double rms =
        std::sqrt(sum / static_cast<double>(std::max<std::size_t>(train_rows.size(), 1)));
    return rms > 0 && std::isfinite(rms) ? rms : 1.0;
}

std::int64_t eval_batch(std::size_t batch_size) {
    return static_cast<std::int64_t>(std::max<std::size_t>(batch_size, 512));
}

double validation_loss(Net& net, const Windows& w, const torch::Tensor& labels, Range rows,
                       LabelSpec::Kind kind, std::int64_t batch, const torch::Device& device) {
    const torch::NoGradGuard no_grad;
    net->eval();
    const torch::Tensor all =
        torch::arange(static_cast<std::int64_t>(rows.begin), static_cast<std::int64_t>(rows.end),
                      torch::TensorOptions().dtype(torch::kLong).device(device));
    torch::Tensor total =
        torch::zeros({}, torch::TensorOptions().dtype(torch::kDouble).device(device));
    for (std::int64_t b = 0; b < all.size(0); b += batch) {
        const torch::Tensor idx = all.slice(0, b, std::min(b + batch, all.size(0)));
        total += summed_loss(net->forward(w.batch(idx)), labels.index_select(0, idx), kind)
                     .to(torch::kDouble);
    }
    return total.item<double>() / static_cast<double>(rows.size());
}

double scheduled_lr(const TrainConfig& t, std::size_t epoch) {
    if (t.schedule == "cosine") {
        return t.learning_rate * 0.5 *
               (1.0 + std::cos(std::numbers::pi * static_cast<double>(epoch) /
                               static_cast<double>(t.epochs)));
    }
    if (t.schedule == "step") {
        return t.learning_rate * std::pow(0.5, static_cast<double>(epoch / 10));
    }
    return t.learning_rate;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Net& net, const TrainConfig& t) {
    if (t.optimizer == "adam") {
        return std::make_unique<torch::optim::Adam>(net->parameters(),
                                                    torch::optim::AdamOptions(t.learning_rate));
    }
    return std::make_unique<torch::optim::AdamW>(
        net->parameters(),
        torch::optim::AdamWOptions(t.learning_rate).weight_decay(t.weight_decay));
}

// ---- Checkpoints. last.pt holds everything an exact resume needs.

struct Progress {
    std::size_t epochs_done = 0;
    std::size_t best_epoch = 0;
    double best_loss = std::numeric_limits<double>::infinity();
    std::size_t bad_epochs = 0;
    bool stopped = false;
    std::vector<EpochStats> history;
};

torch::Tensor history_tensor(const std::vector<EpochStats>& h) {
    torch::Tensor t = torch::zeros({static_cast<std::int64_t>(h.size()), 6}, torch::kDouble);
    auto a = t.accessor<double, 2>();
    for (std::size_t i = 0; i < h.size(); ++i) {
        const auto r = static_cast<std::int64_t>(i);
        a[r][0] = static_cast<double>(h[i].epoch);
        a[r][1] = h[i].train_loss;
        a[r][2] = h[i].validation_loss;
        a[r][3] = h[i].samples_per_second;
        a[r][4] = h[i].seconds;
        a[r][5] = h[i].learning_rate;
    }
    return t;
}

std::vector<EpochStats> history_from(const torch::Tensor& t) {
    std::vector<EpochStats> h(static_cast<std::size_t>(t.size(0)));
    auto a = t.accessor<double, 2>();
    for (std::size_t i = 0; i < h.size(); ++i) {
        const auto r = static_cast<std::int64_t>(i);
        h[i] = EpochStats{
            static_cast<std::size_t>(a[r][0]), a[r][1], a[r][2], a[r][3], a[r][4], a[r][5]};
    }
    return h;
}

torch::Tensor scalar(double v) {
    return torch::tensor(v, torch::kDouble);
}

torch::Tensor rng_state(const torch::Device& device) {
    at::Generator gen = at::globalContext().defaultGenerator(device);
    const std::lock_guard<std::mutex> lock(gen.mutex());
    return gen.get_state();
}

void set_rng_state(const torch::Device& device, const torch::Tensor& state) {
    at::Generator gen = at::globalContext().defaultGenerator(device);
    const std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
}

// Written to a temporary name and renamed, so that an interrupted save leaves the old file.
void save_archive(torch::serialize::OutputArchive& archive, const std::filesystem::path& path) {
    const std::filesystem::path tmp = path.string() + ".tmp";
    archive.save_to(tmp.string());
    std::filesystem::rename(tmp, path);
}

void save_weights(Net& net, const std::filesystem::path& path) {
    torch::serialize::OutputArchive archive;
    net->save(archive);
    save_archive(archive, path);
}

void save_last(Net& net, torch::optim::Optimizer& optimizer, const Progress& p,
               const torch::Device& device, const std::filesystem::path& path) {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model;
    net->save(model);
    archive.write("model", model);
    torch::serialize::OutputArchive optim;
    optimizer.save(optim);
    archive.write("optimizer", optim);
    archive.write("epochs_done", scalar(static_cast<double>(p.epochs_done)));
    archive.write("best_epoch", scalar(static_cast<double>(p.best_epoch)));
    archive.write("best_loss", scalar(p.best_loss));
    archive.write("bad_epochs", scalar(static_cast<double>(p.bad_epochs)));
    archive.write("stopped", scalar(p.stopped ? 1.0 : 0.0));
    archive.write("history", history_tensor(p.history));
    archive.write("rng_cpu", rng_state(torch::Device(torch::kCPU)));
    if (device.is_cuda()) {
        archive.write("rng_cuda", rng_state(device));
    }
    save_archive(archive, path);
}

double read_scalar(torch::serialize::InputArchive& archive, const std::string& key) {
    torch::Tensor t;
    archive.read(key, t);
    return t.item<double>();
}

Progress load_last(Net& net, torch::optim::Optimizer& optimizer, const torch::Device& device,
                   const std::filesystem::path& path) {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string(), device);
    torch::serialize::InputArchive model;
    archive.read("model", model);
    net->load(model);
    torch::serialize::InputArchive optim;
    archive.read("optimizer", optim);
    optimizer.load(optim);
    Progress p;
    p.epochs_done = static_cast<std::size_t>(read_scalar(archive, "epochs_done"));
    p.best_epoch = static_cast<std::size_t>(read_scalar(archive, "best_epoch"));
    p.best_loss = read_scalar(archive, "best_loss");
    p.bad_epochs = static_cast<std::size_t>(read_scalar(archive, "bad_epochs"));
    p.stopped = read_scalar(archive, "stopped") != 0.0;
    torch::Tensor history;
    archive.read("history", history);
    p.history = history_from(history.to(torch::kCPU));
    torch::Tensor rng;
    archive.read("rng_cpu", rng);
    set_rng_state(torch::Device(torch::kCPU), rng.to(torch::kCPU));
    if (device.is_cuda()) {
        archive.read("rng_cuda", rng);
        set_rng_state(device, rng.to(torch::kCPU));
    }
    return p;
}

Json result_json(const TrainResult& r) {
    return Json{{"epochs_run", r.history.size()},
                {"best_epoch", r.best_epoch},
                {"best_validation_loss", r.best_validation_loss},
                {"stopped_early", r.stopped_early},
                {"device", r.device}};
}

Result<TrainResult> train_impl(const Dataset& data, const ModelMeta& meta_in,
                               const std::function<void(const EpochStats&)>& on_epoch) {
    const TrainConfig& cfg = meta_in.train;
    if (auto ok = check_model(meta_in.model); !ok) {
        return ok.error();
    }
    if (auto ok = check_train(cfg); !ok) {
        return ok.error();
    }
    if (auto ok = check_shape(data); !ok) {
        return ok.error();
    }
    if (!meta_in.columns.empty() && meta_in.columns != data.columns) {
        return fail(ErrorCode::InvalidArgument, "meta.columns differ from the dataset's columns");
    }
    if (!meta_in.normalizer.mean.empty() && meta_in.normalizer.mean.size() != data.cols) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("the normalizer has {} columns, the dataset {}",
                                meta_in.normalizer.mean.size(), data.cols));
    }
    const std::size_t seq_len = meta_in.model.seq_len;
    const Splits& splits = meta_in.splits;
    for (const auto& [rows, what] :
         {std::pair{splits.train, "training"}, std::pair{splits.validation, "validation"}}) {
        if (auto ok = check_rows(data, rows, seq_len, data.valid.end, what); !ok) {
            return ok.error();
        }
        if (auto ok = check_labels(data, rows, meta_in.label, what); !ok) {
            return ok.error();
        }
    }
    auto device_or = resolve_device(cfg.device);
    if (!device_or) {
        return device_or.error();
    }
    const torch::Device device = *device_or;
    // CPU threads: libtorch's default (the physical cores; OMP_NUM_THREADS overrides), as in
    // PyTorch: on a busy machine more threads than cores made training several times slower.
    if (device.is_cuda()) {
        limit_memory(device, cfg.memory_limit);
    }
    const bool bf16 = device.is_cuda() && cfg.mixed_precision;

    ModelMeta meta = meta_in;
    meta.columns = data.columns;
    meta.label_scale = label_scale(data, splits.train, meta.label);
    meta.test_start = meta.splits.test.begin < data.rows
                          ? data.ts[meta.splits.test.begin]
                          : std::numeric_limits<std::int64_t>::max();  // nothing out of sample
    const std::filesystem::path& dir = cfg.out_dir;
    if (cfg.resume && !std::filesystem::is_regular_file(dir / "last.pt")) {
        return fail(ErrorCode::NotFound,
                    fmt::format("cannot resume: {} does not exist", (dir / "last.pt").string()));
    }
    std::filesystem::create_directories(dir);
    write_file_atomic(dir / "model.json", meta.to_json().dump(2));

    torch::manual_seed(cfg.seed);
    Net net = make_net(meta, device);
    auto optimizer = make_optimizer(net, cfg);
    Progress progress;
    if (cfg.resume) {
        try {
            progress = load_last(net, *optimizer, device, dir / "last.pt");
        } catch (const c10::Error& e) {
            return fail(ErrorCode::Corrupt,
                        fmt::format("cannot resume: {} does not fit this model: {}",
                                    (dir / "last.pt").string(), e.what_without_backtrace()));
        }
    }

    // The one copy of the data: features and labels on the device, windows gathered from them.
    const std::size_t from = std::min(splits.train.begin, splits.validation.begin) + 1 - seq_len;
    const std::size_t to = std::max(splits.train.end, splits.validation.end);
    const Windows windows(data, from, to, seq_len, device);
    const torch::Tensor labels =
        torch::from_blob(const_cast<float*>(data.labels.data()),
                         {static_cast<std::int64_t>(data.rows)}, torch::kFloat)
            .to(device) /
        meta.label_scale;
    const auto n_train = static_cast<std::int64_t>(splits.train.size());
    const auto batch = static_cast<std::int64_t>(cfg.batch_size);
    const auto kind = meta.label.kind;
    const std::vector<torch::Tensor> params = net->parameters();

    while (!progress.stopped && progress.epochs_done < cfg.epochs) {
        const auto start = std::chrono::steady_clock::now();
        const double lr = scheduled_lr(cfg, progress.epochs_done);
        for (auto& group : optimizer->param_groups()) {
            group.options().set_lr(lr);
        }
        net->train();
        // The permutation is drawn on the CPU generator, so that it is the same on any device.
        const torch::Tensor order =
            (torch::randperm(n_train, torch::kLong) + static_cast<std::int64_t>(splits.train.begin))
                .to(device);
        torch::Tensor total =
            torch::zeros({}, torch::TensorOptions().dtype(torch::kDouble).device(device));
        for (std::int64_t b = 0; b < n_train; b += batch) {
            const torch::Tensor idx = order.slice(0, b, std::min(b + batch, n_train));
            optimizer->zero_grad();
            torch::Tensor sum;
            {
                const CudaBf16Autocast autocast(bf16);
                sum = summed_loss(net->forward(windows.batch(idx)), labels.index_select(0, idx),
                                  kind);
            }
            (sum / static_cast<double>(idx.size(0))).backward();
            if (cfg.clip_norm > 0) {
                clip_gradients(params, cfg.clip_norm);
            }
            optimizer->step();
            total += sum.detach().to(torch::kDouble);
        }
        // Losses in the labels' own units (the networks see them divided by label_scale).
        const double loss_unit = meta.label_scale * meta.label_scale;
        const double train_loss = loss_unit * total.item<double>() / static_cast<double>(n_train);
        const double train_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double val_loss =
            loss_unit * validation_loss(net, windows, labels, splits.validation, kind,
                                        eval_batch(cfg.batch_size), device);
        ++progress.epochs_done;
        if (val_loss < progress.best_loss) {
            progress.best_loss = val_loss;
            progress.best_epoch = progress.epochs_done;
            progress.bad_epochs = 0;
            save_weights(net, dir / "best.pt");
        } else {
            ++progress.bad_epochs;
            progress.stopped = cfg.patience > 0 && progress.bad_epochs >= cfg.patience;
        }
        const EpochStats stats{
            progress.epochs_done,
            train_loss,
            val_loss,
            static_cast<double>(n_train) / std::max(train_seconds, 1e-9),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
            lr};
        progress.history.push_back(stats);
        save_last(net, *optimizer, progress, device, dir / "last.pt");
        if (on_epoch) {
            on_epoch(stats);
        }
    }

    TrainResult result;
    result.history = progress.history;
    result.best_epoch = progress.best_epoch;
    result.best_validation_loss = progress.best_loss;
    result.stopped_early = progress.stopped;
    result.device = describe(device);
    Json j = meta.to_json();
    j["result"] = result_json(result);
    write_file_atomic(dir / "model.json", j.dump(2));
    return result;
}

}  // namespace

Result<std::optional<int>> training_device(const std::string& name) {
    if (name == "cpu") {
        return std::optional<int>();
    }
    if (name == "auto") {
        if (!torch::cuda::is_available()) {
            return std::optional<int>();
        }
        // The card with the most free memory (cuda:0 if the runtime cannot tell).
        const auto report = gpu::query_devices();
        const auto index =
            report ? gpu::choose_device(report->devices, std::nullopt) : Result<int>(0);
        return std::optional<int>(index.value_or(0));
    }
    if (name != "cuda" && !name.starts_with("cuda:")) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("unknown device '{}' (auto, cpu, cuda, cuda:N)", name));
    }
    int index = 0;
    if (name.size() > 5) {
        const std::string digits = name.substr(5);
        if (digits.empty() || digits.size() > 3 ||
            !std::all_of(digits.begin(), digits.end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("unknown device '{}' (auto, cpu, cuda, cuda:N)", name));
        }
        index = std::stoi(digits);
    }
    if (!torch::cuda::is_available()) {
        return fail(ErrorCode::Unavailable,
                    "CUDA is not available (built against a CPU libtorch or no GPU)");
    }
    if (static_cast<std::size_t>(index) >= torch::cuda::device_count()) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("device {} does not exist: {} CUDA devices", name,
                                torch::cuda::device_count()));
    }
    return std::optional<int>(index);
}

// ---- ModelConfig / ModelMeta JSON.

nlohmann::json ModelConfig::to_json() const {
    return Json{{"kind", kind},   {"seq_len", seq_len}, {"hidden", hidden},  {"layers", layers},
                {"heads", heads}, {"causal", causal},   {"dropout", dropout}};
}

Result<ModelConfig> ModelConfig::from_json(const nlohmann::json& j) {
    ModelConfig m;
    try {
        m.kind = j.value("kind", m.kind);
        m.seq_len = j.value("seq_len", m.seq_len);
        m.hidden = j.value("hidden", m.hidden);
        m.layers = j.value("layers", m.layers);
        m.heads = j.value("heads", m.heads);
        m.causal = j.value("causal", m.causal);
        m.dropout = j.value("dropout", m.dropout);
    } catch (const nlohmann::json::exception& e) {
        return fail(ErrorCode::ParseError, fmt::format("model config: {}", e.what()));
    }
    if (auto ok = check_model(m); !ok) {
        return ok.error();
    }
    return m;
}

nlohmann::json ModelMeta::to_json() const {
    return Json{{"features", features.items},
                {"columns", columns},
                {"label", label.canonical()},
                {"normalizer", normalizer.to_json()},
                {"model", model.to_json()},
                {"train", train_config_json(train)},
                {"splits",
                 {{"train", range_json(splits.train)},
                  {"validation", range_json(splits.validation)},
                  {"test", range_json(splits.test)}}},
                {"test_start", test_start},
                {"label_scale", label_scale},
                {"data_version", data_version},
                {"symbol", symbol},
                {"timeframe", timeframe}};
}

Result<ModelMeta> ModelMeta::from_json(const nlohmann::json& j) {
    ModelMeta m;
    try {
        m.features.items = j.at("features").get<std::vector<std::string>>();
        m.columns = j.value("columns", std::vector<std::string>{});
        auto label = LabelSpec::parse(j.at("label").get<std::string>());
        if (!label) {
            return fail(ErrorCode::ParseError, "model.json: " + label.error().message);
        }
        m.label = *label;
        auto normalizer = Normalizer::from_json(j.at("normalizer"), m.columns.size());
        if (!normalizer) {
            return fail(ErrorCode::ParseError, "model.json: " + normalizer.error().message);
        }
        m.normalizer = std::move(*normalizer);
        auto model = ModelConfig::from_json(j.at("model"));
        if (!model) {
            return fail(ErrorCode::ParseError, "model.json: " + model.error().message);
        }
        m.model = *model;
        m.train = train_config_from(j.at("train"));
        const Json& splits = j.at("splits");
        m.splits = Splits{range_from(splits.at("train")), range_from(splits.at("validation")),
                          range_from(splits.at("test"))};
        m.test_start = j.at("test_start").get<std::int64_t>();
        m.label_scale = j.at("label_scale").get<double>();
        if (!(m.label_scale > 0) || !std::isfinite(m.label_scale)) {
            return fail(ErrorCode::ParseError, "model.json: label_scale must be positive");
        }
        m.data_version = j.value("data_version", std::string{});
        m.symbol = j.value("symbol", std::string{});
        m.timeframe = j.value("timeframe", std::string{});
    } catch (const nlohmann::json::exception& e) {
        return fail(ErrorCode::ParseError, fmt::format("model.json: {}", e.what()));
    }
    return m;
}

// ---- Training.

Result<TrainResult> train(const Dataset& data, const ModelMeta& meta,
                          const std::function<void(const EpochStats&)>& on_epoch) {
    try {
        return train_impl(data, meta, on_epoch);
    } catch (const Exception& e) {
        return fail(e.code(), e.what());
    } catch (const std::filesystem::filesystem_error& e) {
        return fail(ErrorCode::IoError, e.what());
    } catch (const c10::OutOfMemoryError& e) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("out of device memory within [gpu] memory_limit {} (a smaller "
                                "--batch-size or model, or a higher limit): {}",
                                meta.train.memory_limit, e.what_without_backtrace()));
    } catch (const c10::Error& e) {
        return fail(ErrorCode::Internal, fmt::format("libtorch: {}", e.what_without_backtrace()));
    }
}

// ---- Predictor.

struct Predictor::Impl {
    ModelMeta meta;
    torch::Device device;
    Net net;
};

Predictor::Predictor(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;
Predictor::~Predictor() = default;

const ModelMeta& Predictor::meta() const noexcept {
    return impl_->meta;
}

Result<Predictor> Predictor::load(const std::filesystem::path& dir, const std::string& device) {
    const std::filesystem::path json_path = dir / "model.json";
    const std::filesystem::path weights = dir / "best.pt";
    for (const auto& p : {json_path, weights}) {
        if (!std::filesystem::is_regular_file(p)) {
            return fail(ErrorCode::NotFound,
                        fmt::format("no trained model: {} is missing", p.string()));
        }
    }
    auto text = read_text_file(json_path);
    if (!text) {
        return text.error();
    }
    const Json j = Json::parse(*text, nullptr, false);
    if (j.is_discarded()) {
        return fail(ErrorCode::ParseError, fmt::format("{} is not valid JSON", json_path.string()));
    }
    auto meta = ModelMeta::from_json(j);
    if (!meta) {
        return meta.error();
    }
    if (meta->columns.empty()) {
        return fail(ErrorCode::Corrupt, fmt::format("{} names no columns", json_path.string()));
    }
    auto dev = resolve_device(device);
    if (!dev) {
        return dev.error();
    }
    try {
        Net net = make_net(*meta, *dev);
        torch::serialize::InputArchive archive;
        archive.load_from(weights.string(), *dev);
        net->load(archive);
        net->eval();
        return Predictor(std::make_unique<Impl>(Impl{std::move(*meta), *dev, std::move(net)}));
    } catch (const c10::Error& e) {
        return fail(ErrorCode::Corrupt,
                    fmt::format("{} does not fit {}: {}", weights.string(), json_path.string(),
                                e.what_without_backtrace()));
    }
}

Result<std::vector<double>> Predictor::predict(const Dataset& data, Range rows) const {
    const ModelMeta& meta = impl_->meta;
    if (data.columns != meta.columns) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("the dataset's columns [{}] differ from the model's [{}]",
                                fmt::join(data.columns, ","), fmt::join(meta.columns, ",")));
    }
    if (auto ok = check_shape(data); !ok) {
        return ok.error();
    }
    const std::size_t seq_len = meta.model.seq_len;
    if (auto ok = check_rows(data, rows, seq_len, data.rows, "prediction"); !ok) {
        return ok.error();
    }
    try {
        const torch::NoGradGuard no_grad;
        const torch::Device& device = impl_->device;
        const Windows windows(data, rows.begin + 1 - seq_len, rows.end, seq_len, device);
        const torch::Tensor all = torch::arange(
            static_cast<std::int64_t>(rows.begin), static_cast<std::int64_t>(rows.end),
            torch::TensorOptions().dtype(torch::kLong).device(device));
        const std::int64_t batch = eval_batch(meta.train.batch_size);
        std::vector<torch::Tensor> parts;
        for (std::int64_t b = 0; b < all.size(0); b += batch) {
            const torch::Tensor out = impl_->net->forward(
                windows.batch(all.slice(0, b, std::min(b + batch, all.size(0)))));
            switch (meta.label.kind) {
                case LabelSpec::Kind::Return:
                    parts.push_back(out.squeeze(1) * meta.label_scale);
                    break;
                case LabelSpec::Kind::Sign:
                    parts.push_back(torch::sigmoid(out.squeeze(1)));
                    break;
                case LabelSpec::Kind::Class3: {
                    // Expected class - 1 = p(2) - p(0).
                    const torch::Tensor p = torch::softmax(out, 1);
                    parts.push_back(p.select(1, 2) - p.select(1, 0));
                    break;
                }
            }
        }
        const torch::Tensor values = torch::cat(parts).to(torch::kCPU, torch::kDouble).contiguous();
        const double* v = values.data_ptr<double>();
        return std::vector<double>(v, v + values.numel());
    } catch (const c10::Error& e) {
        return fail(ErrorCode::Internal, fmt::format("libtorch: {}", e.what_without_backtrace()));
    }
}

}  // namespace tradpal::ml

// SPDX-License-Identifier: Apache-2.0
// Built instead of trainer.cpp when libtorch is absent: the same entry points, each failing
// with one clear message, so the rest of TradPal builds and runs without it.
#include <tradpal/ml/trainer.hpp>

namespace tradpal::ml {
namespace {

Error torch_missing() {
    return fail(ErrorCode::Unavailable,
                "this TradPal was built without libtorch: models cannot be trained or loaded "
                "(install libtorch-dev and rebuild; README, 'ML')");
}

}  // namespace

struct Predictor::Impl {
    ModelMeta meta;
};

// Nothing trains on CUDA without libtorch: the CPU for "auto" and "cpu", as train() would
// have it if it could run.
Result<std::optional<int>> training_device(const std::string& device) {
    if (device == "auto" || device == "cpu") {
        return std::optional<int>();
    }
    return torch_missing();
}

Result<TrainResult> train(const Dataset& /*data*/, const ModelMeta& /*meta*/,
                          const std::function<void(const EpochStats&)>& /*on_epoch*/) {
    return torch_missing();
}

Result<Predictor> Predictor::load(const std::filesystem::path& /*dir*/,
                                  const std::string& /*device*/) {
    return torch_missing();
}

Predictor::Predictor(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;
Predictor::~Predictor() = default;

const ModelMeta& Predictor::meta() const noexcept {
    return impl_->meta;
}

Result<std::vector<double>> Predictor::predict(const Dataset& /*data*/, Range /*rows*/) const {
    return torch_missing();
}

}  // namespace tradpal::ml

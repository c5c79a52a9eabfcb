// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/result.hpp>

namespace tradpal::ml {

/// What the model sees, one column per item of a comma-separated text:
///   logret(k)        log(close[t] / close[t-k]) (k defaults to 1)
///   vol(n)           standard deviation of the 1-bar log returns over the last n bars
///   volz(n)          (volume[t] - mean) / std of volume over the last n bars
///   ind:SPEC[.OUT]   an indicator of the registry, e.g. ind:rsi(14), ind:macd(12,26,9).hist;
///                    price-level outputs (sma, ema, bbands, ...) become value / close[t] - 1
///                    and price differences (atr, stddev, macd, ...) value / close[t], so that
///                    they do not trend with the price (the full list: src/dataset.cpp)
///   hour, dow        calendar: sin and cos of the hour of day / day of week (two columns each)
/// Every column uses bars up to t only. Default: kDefaultFeatures.
struct FeatureSpec {
    std::vector<std::string> items;  ///< canonical items, in order
    /// Errors: InvalidArgument naming the item and what is allowed.
    static Result<FeatureSpec> parse(std::string_view text);
    std::string canonical() const;  ///< items joined by ','
};
inline constexpr std::string_view kDefaultFeatures =
    "logret(1),logret(5),logret(20),vol(20),volz(20),ind:rsi(14),ind:macd(12,26,9).hist,"
    "ind:bbands(20,2,2,sma).upper,ind:bbands(20,2,2,sma).lower,ind:atr(14),hour,dow";

/// What the model predicts at bar t, from bars after t only:
///   ret(k)           log(close[t+k] / close[t]) (regression)
///   sign(k)          1 if that return is > 0 else 0 (binary classification)
///   class3(k,band)   0 below -band, 1 within, 2 above band (three classes)
struct LabelSpec {
    enum class Kind { Return, Sign, Class3 };
    Kind kind = Kind::Return;
    int horizon = 1;
    double band = 0;
    /// Errors: InvalidArgument.
    static Result<LabelSpec> parse(std::string_view text);
    std::string canonical() const;
    /// Outputs of a model for this label: 1 (Return, Sign: one logit) or 3 (Class3).
    int outputs() const noexcept { return kind == Kind::Class3 ? 3 : 1; }
};

/// Rows [begin, end) of a dataset.
struct Range {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t size() const noexcept { return end > begin ? end - begin : 0; }
    bool operator==(const Range&) const = default;
};

/// One feature matrix over a bar series: row t holds the features of bar t and its label.
/// Rows before `valid.begin` lack history for some feature (lookback); rows from `valid.end`
/// lack a label (the horizon runs past the last bar) but have features: models train on the
/// rows inside `valid` and forecast up to the last row.
struct Dataset {
    std::vector<std::string> columns;  ///< one name per feature column
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<float> features;  ///< rows x cols, row-major
    std::vector<float> labels;    ///< rows (NaN outside valid)
    std::vector<double>
        forward_returns;  ///< rows: ret(horizon) whatever the label kind (NaN outside valid)
    std::vector<std::int64_t> ts;  ///< bar open times
    Range valid;
    float at(std::size_t row, std::size_t col) const noexcept { return features[row * cols + col]; }
};

/// Where build_dataset computes the `ind:` features that the GPU batch indicators have (sma,
/// ema, rsi, atr, bbands on the simple average, macd: gpu/indicators.hpp); every other column
/// is computed on the CPU whatever this says. Gpu and GpuHostLoop compute all of those
/// indicators in one gpu::batch_indicators() call, equal to the CPU's within 1e-9 relative.
struct FeatureCompute {
    enum class Where {
        Cpu,          ///< everything on the CPU (indicators::Spec::compute)
        Gpu,          ///< the CUDA device; the CPU, with one log line, when it is Unavailable
        GpuHostLoop,  ///< the GPU threads' code in a host loop (tests without a device)
    };
    Where where = Where::Cpu;
    std::optional<int> device;  ///< Gpu: the CUDA device (default: the most free memory)
    double memory_limit = 0.8;  ///< Gpu: [gpu] memory_limit, the share of its memory to hold
};

/// Builds the matrix. Errors: InvalidArgument (a spec that does not fit the bars), ValidationFailed
/// when fewer than `min_rows` valid rows remain, or when a feature is NaN or infinite inside
/// the valid rows (e.g. a zero close; the message names the column and the bar time).
/// With the GPU asked for, it logs (spdlog info) how many feature columns came from it.
Result<Dataset> build_dataset(const BarSeriesView& bars, const FeatureSpec& features,
                              const LabelSpec& label, std::size_t min_rows = 1,
                              const FeatureCompute& compute = {});

/// Per-column mean and standard deviation, fitted on training rows only, so that nothing of the
/// validation or test rows leaks into the inputs.
struct Normalizer {
    std::vector<double> mean;
    std::vector<double> stddev;  ///< 1 where a column is constant
    static Normalizer fit(const Dataset& data, Range rows);
    /// (x - mean) / stddev in place on every row.
    void apply(Dataset& data) const;
    nlohmann::json to_json() const;
    /// Errors: ParseError.
    static Result<Normalizer> from_json(const nlohmann::json& j, std::size_t cols);
};

/// Chronological splits of the samples. Sample t is the window of feature rows
/// [t - seq_len + 1, t] with the label of row t, which looks `horizon` bars ahead; so a split's
/// samples start seq_len - 1 rows after its first row, and `horizon` rows separate one split's
/// last sample from the next split's first row: no label of one split sees bars of the next.
struct Splits {
    Range train;  ///< sample rows (the window's last row)
    Range validation;
    Range test;
};
/// Fractions of data.valid for train and validation (the rest is test).
/// Errors: InvalidArgument when a split would hold no sample.
Result<Splits> chronological_splits(const Dataset& data, double train_fraction,
                                    double validation_fraction, std::size_t seq_len,
                                    std::size_t horizon);
/// Walk-forward folds: `folds` consecutive test blocks at the end of data.valid, each trained on
/// everything before it (expanding) with the last validation_fraction of that as validation.
Result<std::vector<Splits>> walk_forward_splits(const Dataset& data, std::size_t folds,
                                                double validation_fraction, std::size_t seq_len,
                                                std::size_t horizon);

}  // namespace tradpal::ml

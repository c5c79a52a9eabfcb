// SPDX-License-Identifier: Apache-2.0
// A trained model's out-of-sample forecasts of a stored series, for `backtest --strategy ml`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backtest_inputs.hpp"
#include "context.hpp"

namespace tradpal::cli {

struct ModelForecasts {
    LoadedSeries series;       ///< the out-of-sample bars only
    std::vector<double> edge;  ///< one per bar: the forecast minus its neutral value
    nlohmann::json model;      ///< what a report says about the model
};

/// Forecasts of the model in `model_dir` for the series `market` names (default: the one the
/// model trained on), on the bars from the model's test split on (and within the date range).
/// Throws: tradpal::Exception (no model, no out-of-sample bars, --input or --symbols given).
ModelForecasts model_forecasts(const Context& ctx, const std::string& model_dir,
                               const MarketArgs& market);

}  // namespace tradpal::cli

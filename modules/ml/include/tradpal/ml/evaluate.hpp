// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tradpal/ml/dataset.hpp>

namespace tradpal::ml {

/// How predictions of next returns compare with what happened, the way a quant reads them.
struct Scores {
    std::size_t samples = 0;
    double mse = 0;                   ///< mean squared error against the forward return
    double directional_accuracy = 0;  ///< share of samples whose sign matches (zeros count half)
    double ic = 0;                    ///< Pearson correlation of prediction and forward return
    double rank_ic = 0;               ///< Spearman (ranks, ties averaged)
    double daily_ic_mean = 0;         ///< mean of the rank IC of each UTC day (intraday bars)
    double icir = 0;                  ///< daily_ic_mean / std of the daily ICs
    std::size_t days = 0;             ///< days with at least 3 samples in the daily ICs
};

/// Scores `predicted` against `actual` (equal lengths; NaN pairs skipped). `ts` (bar times,
/// same length) groups samples by UTC day for the daily IC; ICIR needs 2 days or more (else 0).
Scores score(std::span<const double> predicted, std::span<const double> actual,
             std::span<const std::int64_t> ts);

/// The baselines a model must beat on the same test rows: a zero forecast, the last return over
/// the label's horizon h (forward_returns[t - h] = log(close[t] / close[t - h]), known at t; for
/// h = 1 the last bar's return), and a least-squares linear regression of the forward return on
/// the same features (the last row of each window) fitted on the training rows (a 1e-8 relative
/// ridge only keeps collinear features solvable).
struct BaselineScores {
    Scores zero;
    Scores last_return;
    Scores linear;
};
/// Errors: InvalidArgument for empty ranges.
Result<BaselineScores> score_baselines(const Dataset& normalized, const Splits& splits);

nlohmann::json to_json(const Scores& s);

}  // namespace tradpal::ml

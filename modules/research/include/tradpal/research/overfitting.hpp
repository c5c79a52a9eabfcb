// SPDX-License-Identifier: Apache-2.0
// How much of the best of many trials is luck: the Probabilistic and Deflated Sharpe Ratios of
// Bailey and López de Prado ("The Deflated Sharpe Ratio", 2014). Sharpe ratios here are per
// observation (daily), not annualised.
#pragma once

#include <cstdint>

namespace tradpal::research {

/// The standard normal's cumulative distribution and its inverse (p in (0, 1)).
double normal_cdf(double x) noexcept;
double normal_quantile(double p) noexcept;

/// The Sharpe ratio the best of `trials` independent strategies with no skill reaches on
/// average, when their Sharpe ratios vary with `variance`:
/// sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e))), g the Euler-Mascheroni constant.
double expected_max_sharpe(double trials, double variance) noexcept;

/// P(true Sharpe > benchmark) for an observed Sharpe `sharpe` over `observations` returns
/// with that skewness and (non-excess) kurtosis:
/// Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + (kurt - 1) / 4 SR^2)).
double probabilistic_sharpe(double sharpe, double benchmark, double observations, double skewness,
                            double kurtosis) noexcept;

/// The Deflated Sharpe Ratio: probabilistic_sharpe against expected_max_sharpe(trials,
/// variance of the trials' Sharpe ratios).
double deflated_sharpe(double sharpe, double trials, double trials_variance, double observations,
                       double skewness, double kurtosis) noexcept;

/// Mean and variance of many Sharpe ratios, one at a time (Welford), in memory that does not
/// grow with their number.
class SharpeTrials {
public:
    void add(double sharpe) noexcept {
        ++count_;
        const double delta = sharpe - mean_;
        mean_ += delta / static_cast<double>(count_);
        m2_ += delta * (sharpe - mean_);
    }
    std::uint64_t count() const noexcept { return count_; }
    double mean() const noexcept { return mean_; }
    /// Population variance; 0 for fewer than two trials.
    double variance() const noexcept { return count_ > 1 ? m2_ / static_cast<double>(count_) : 0; }

private:
    std::uint64_t count_ = 0;
    double mean_ = 0;
    double m2_ = 0;
};

}  // namespace tradpal::research

// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <numbers>

#include <tradpal/research/overfitting.hpp>

namespace tradpal::research {

double normal_cdf(double x) noexcept {
    return 0.5 * std::erfc(-x / std::numbers::sqrt2);
}

double normal_quantile(double p) noexcept {
    if (!(p > 0 && p < 1)) {
        return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
    }
    // Acklam's rational approximation (relative error 1.2e-9), then one Halley step on
    // erfc, which brings it to double precision.
    constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                            1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                            6.680131188771972e+01, -1.328068155288572e+01};
    constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                            -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                            3.754408661907416e+00};
    constexpr double low = 0.02425;
    double x = 0;
    if (p < low) {
        const double q = std::sqrt(-2 * std::log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - low) {
        const double q = p - 0.5;
        const double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        const double q = std::sqrt(-2 * std::log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    const double e = normal_cdf(x) - p;
    const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

double expected_max_sharpe(double trials, double variance) noexcept {
    if (trials <= 1 || variance <= 0) {
        return 0;
    }
    constexpr double gamma = std::numbers::egamma;
    return std::sqrt(variance) * ((1 - gamma) * normal_quantile(1 - 1 / trials) +
                                  gamma * normal_quantile(1 - 1 / (trials * std::numbers::e)));
}

double probabilistic_sharpe(double sharpe, double benchmark, double observations, double skewness,
                            double kurtosis) noexcept {
    const double spread = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe * sharpe;
    if (observations < 2 || !(spread > 0)) {
        return NAN;
    }
    return normal_cdf((sharpe - benchmark) * std::sqrt(observations - 1) / std::sqrt(spread));
}

double deflated_sharpe(double sharpe, double trials, double trials_variance, double observations,
                       double skewness, double kurtosis) noexcept {
    return probabilistic_sharpe(sharpe, expected_max_sharpe(trials, trials_variance), observations,
                                skewness, kurtosis);
}

}  // namespace tradpal::research

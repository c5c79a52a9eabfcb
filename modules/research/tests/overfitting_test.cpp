// SPDX-License-Identifier: Apache-2.0
#include <cmath>

#include <gtest/gtest.h>

#include <tradpal/core/rng.hpp>
#include <tradpal/research/overfitting.hpp>

namespace tradpal::research {
namespace {

TEST(Normal, QuantileInvertsTheCdfToDoublePrecision) {
    for (const double p : {1e-12, 1e-6, 0.001, 0.02425, 0.1, 0.5, 0.8, 0.975, 0.999999}) {
        EXPECT_NEAR(normal_cdf(normal_quantile(p)), p, 1e-15 + 1e-13 * p) << p;
    }
    EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-14);
    EXPECT_EQ(normal_quantile(0.5), 0.0);
    EXPECT_TRUE(std::isnan(normal_quantile(1.5)));
}

TEST(DeflatedSharpe, TheWorkedExampleOfBaileyAndLopezDePrado) {
    // Their numerical example: 100 trials whose annualised Sharpe ratios vary with variance
    // 1/2 (daily: 1/2 / 250), a best annualised Sharpe of 2.5 over 1250 daily returns with
    // skewness -3 and kurtosis 10. They report an expected maximum of 0.1132 (daily) and a
    // Deflated Sharpe Ratio of 0.9004.
    const double sr0 = expected_max_sharpe(100, 0.5 / 250);
    EXPECT_NEAR(sr0, 0.1132, 5e-5);
    EXPECT_NEAR(deflated_sharpe(2.5 / std::sqrt(250), 100, 0.5 / 250, 1250, -3, 10), 0.9004, 5e-4);
    // One trial: nothing to deflate, the probabilistic Sharpe against 0.
    EXPECT_EQ(expected_max_sharpe(1, 0.5), 0.0);
}

TEST(DeflatedSharpe, MoreTrialsDeflateMore) {
    double previous = 1;
    for (const double trials : {2.0, 10.0, 100.0, 10000.0}) {
        const double dsr = deflated_sharpe(0.1, trials, 0.002, 1000, 0, 3);
        EXPECT_LT(dsr, previous) << trials;
        previous = dsr;
    }
}

TEST(SharpeTrials, WelfordMatchesTheTwoPassVariance) {
    Rng rng(3);
    SharpeTrials trials;
    std::vector<double> values;
    for (int k = 0; k < 1000; ++k) {
        values.push_back(0.05 + 0.02 * rng.normal());
        trials.add(values.back());
    }
    double mean = 0;
    for (const double v : values) {
        mean += v / 1000;
    }
    double variance = 0;
    for (const double v : values) {
        variance += (v - mean) * (v - mean) / 1000;
    }
    EXPECT_NEAR(trials.mean(), mean, 1e-15);
    EXPECT_NEAR(trials.variance(), variance, 1e-15);
    EXPECT_EQ(trials.count(), 1000U);
}

}  // namespace
}  // namespace tradpal::research

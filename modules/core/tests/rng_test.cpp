// SPDX-License-Identifier: Apache-2.0
#include <cmath>

#include <gtest/gtest.h>

#include <tradpal/core/rng.hpp>

namespace tradpal {
namespace {

TEST(Rng, SameSeedGivesTheSameSequence) {
    Rng a(42);
    Rng b(42);
    Rng c(43);
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
        const auto x = a.next();
        EXPECT_EQ(x, b.next());
        differs = differs || x != c.next();
    }
    EXPECT_TRUE(differs);
}

TEST(Rng, NormalHasUnitMoments) {
    Rng rng(7);
    const int n = 200'000;
    double sum = 0;
    double sq = 0;
    for (int i = 0; i < n; ++i) {
        const double z = rng.normal();
        sum += z;
        sq += z * z;
    }
    EXPECT_NEAR(sum / n, 0.0, 0.01);
    EXPECT_NEAR(sq / n, 1.0, 0.02);
}

TEST(Rng, UniformStaysInRange) {
    Rng rng(1);
    for (int i = 0; i < 10'000; ++i) {
        const double u = rng.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
    }
}

}  // namespace
}  // namespace tradpal

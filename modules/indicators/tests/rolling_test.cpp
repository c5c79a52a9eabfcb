// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/core/rng.hpp>
#include <tradpal/indicators/rolling.hpp>

namespace tradpal::indicators {
namespace {

TEST(RingBuffer, KeepsTheLastValuesOldestFirst) {
    RingBuffer<int> r(3);
    for (int i = 1; i <= 5; ++i) {
        r.push(i);
    }
    ASSERT_TRUE(r.full());
    EXPECT_EQ(r.oldest(), 3);
    EXPECT_EQ(r[1], 4);
    EXPECT_EQ(r.newest(), 5);
    RingBuffer<int> partial(4);
    partial.push(7);
    partial.push(8);
    EXPECT_EQ(partial.size(), 2U);
    EXPECT_EQ(partial.oldest(), 7);
    EXPECT_EQ(partial.newest(), 8);
}

TEST(RollingExtreme, MatchesABruteForceScan) {
    Rng rng(3);
    for (std::size_t period : {1U, 2U, 5U, 14U}) {
        RollingMax hi(period);
        RollingMin lo(period);
        std::vector<double> xs;
        for (int i = 0; i < 2000; ++i) {
            // Few distinct values, so ties are common.
            const double x = static_cast<double>(rng.next() % 7);
            xs.push_back(x);
            hi.push(x);
            lo.push(x);
            const std::size_t from = xs.size() > period ? xs.size() - period : 0;
            const auto begin = xs.begin() + static_cast<std::ptrdiff_t>(from);
            ASSERT_EQ(hi.value(), *std::max_element(begin, xs.end()));
            ASSERT_EQ(lo.value(), *std::min_element(begin, xs.end()));
            // Of equal extremes the latest counts (TA-Lib's AROON does the same).
            std::int64_t age = 0;
            while (xs[xs.size() - 1 - static_cast<std::size_t>(age)] != hi.value()) {
                ++age;
            }
            ASSERT_EQ(hi.age(), age);
        }
    }
}

}  // namespace
}  // namespace tradpal::indicators

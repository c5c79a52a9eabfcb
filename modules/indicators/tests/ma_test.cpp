// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/indicators/ma.hpp>

namespace tradpal::indicators {
namespace {

TEST(Sma, ComputesTheMeanOfTheWindow) {
    const std::vector<double> x = {1, 2, 3, 4, 5, 6};
    std::vector<double> out(x.size());
    sma(x, 3, out);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_EQ(out[2], 2.0);
    EXPECT_EQ(out[5], 5.0);
}

TEST(Ema, IsSeededByTheSma) {
    const std::vector<double> x = {2, 4, 6, 8};
    std::vector<double> out(x.size());
    ema(x, 3, out);
    EXPECT_EQ(out[2], 4.0);
    EXPECT_EQ(out[3], (8 - 4.0) * 0.5 + 4.0);
}

TEST(MovingAverages, RefuseBadPeriodsAndSizes) {
    const std::vector<double> x(10, 1.0);
    std::vector<double> out(10);
    EXPECT_THROW(sma(x, 0, out), Exception);
    EXPECT_THROW(wma(x, 0, out), Exception);
    EXPECT_THROW(kama(x, 100'001, out), Exception);
    std::vector<double> short_out(9);
    EXPECT_THROW(ema(x, 3, short_out), Exception);
    EXPECT_THROW(T3(5, 1.5), Exception);
}

TEST(MovingAverage, PeriodOnePassesValuesThrough) {
    const std::vector<double> x = {3, 1, 4, 1, 5};
    std::vector<double> out(x.size());
    ma(MaType::Ema, x, 1, out);
    EXPECT_EQ(out, x);
    EXPECT_EQ(ma_lookback(MaType::Tema, 1), 0U);
    MovingAverage m(MaType::Wma, 1);
    EXPECT_EQ(m.update(2.5), 2.5);
    EXPECT_TRUE(m.ready());
}

TEST(MovingAverage, EveryTypeMatchesItsBatchForm) {
    std::vector<double> x;
    for (int i = 0; i < 300; ++i) {
        x.push_back(100 + 10 * std::sin(i * 0.1) + (i % 7));
    }
    for (MaType type : {MaType::Sma, MaType::Ema, MaType::Wma, MaType::Dema, MaType::Tema,
                        MaType::Trima, MaType::Kama, MaType::T3}) {
        std::vector<double> batch(x.size());
        ma(type, x, 10, batch);
        MovingAverage m(type, 10);
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double v = m.update(x[i]);
            if (i < ma_lookback(type, 10)) {
                ASSERT_TRUE(std::isnan(batch[i]) && !m.ready()) << to_string(type) << " " << i;
            } else {
                ASSERT_EQ(v, batch[i]) << to_string(type) << " " << i;
            }
        }
    }
}

}  // namespace
}  // namespace tradpal::indicators

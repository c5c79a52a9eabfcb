// SPDX-License-Identifier: Apache-2.0
// kernels.hpp, the recurrences the GPU runs too. Most batch forms call them directly; BBANDS
// with the SMA keeps its two-lane loop on the CPU, so its scalar kernel is checked against it
// to the bit here (lengths ending the paired loop on an odd and an even bar, flat windows,
// a NaN).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/indicators/kernels.hpp>
#include <tradpal/indicators/momentum.hpp>
#include <tradpal/indicators/volatility.hpp>

#include "random_walk.hpp"

namespace tradpal::indicators {
namespace {

using testing::random_walk;

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) {
            ADD_FAILURE() << "first difference at " << i << ": " << a[i] << " vs " << b[i];
            return false;
        }
    }
    return true;
}

TEST(Kernels, BbandsSmaSeriesGivesTheBatchFormsBits) {
    auto walk = random_walk(501, 11);
    std::vector<double> flat(120, 42.5);  // zero variance: the guarded square root
    for (std::size_t i = 60; i < flat.size(); ++i) {
        flat[i] = i % 2 == 0 ? 42.5 : 42.75;
    }
    auto with_nan = random_walk(90, 12);
    with_nan[50] = kNaN;
    for (const std::vector<double>* series : {&walk, &flat, &with_nan}) {
        for (int period : {2, 3, 5, 20, 60}) {
            for (std::size_t n :
                 {std::size_t{0}, std::size_t{1}, static_cast<std::size_t>(period),
                  static_cast<std::size_t>(period) + 1, series->size() - 1, series->size()}) {
                SCOPED_TRACE(::testing::Message() << "period " << period << ", n " << n);
                const std::span<const double> in(series->data(), n);
                std::vector<double> up(n), mid(n), lo(n);
                bbands(in, period, 2.0, 1.5, MaType::Sma, up, mid, lo);
                std::vector<double> kup(n), kmid(n), klo(n);
                kernels::bbands_sma_series(in.data(), n, period, 2.0, 1.5, kup.data(), kmid.data(),
                                           klo.data());
                EXPECT_TRUE(same_bits(kup, up));
                EXPECT_TRUE(same_bits(kmid, mid));
                EXPECT_TRUE(same_bits(klo, lo));
            }
        }
    }
}

TEST(Kernels, SeriesFunctionsAreTheBatchForms) {
    const auto close = random_walk(300, 13);
    const auto high = random_walk(300, 14);
    std::vector<double> low(close.size());
    for (std::size_t i = 0; i < close.size(); ++i) {
        low[i] = std::min(close[i], high[i]) * 0.99;
    }
    const std::size_t n = close.size();
    std::vector<double> cpu(n), gpu(n);
    for (int period : {2, 14, 50}) {
        SCOPED_TRACE(period);
        sma(close, period, cpu);
        kernels::sma_series(close.data(), n, period, gpu.data());
        EXPECT_TRUE(same_bits(gpu, cpu));
        ema(close, period, cpu);
        kernels::ema_series(close.data(), n, period, gpu.data());
        EXPECT_TRUE(same_bits(gpu, cpu));
        rsi(close, period, cpu);
        kernels::rsi_series(close.data(), n, period, gpu.data());
        EXPECT_TRUE(same_bits(gpu, cpu));
        atr(high, low, close, period, cpu);
        kernels::atr_series(high.data(), low.data(), close.data(), n, period, gpu.data());
        EXPECT_TRUE(same_bits(gpu, cpu));
    }
    trange(high, low, close, cpu);
    kernels::true_range_series(high.data(), low.data(), close.data(), n, gpu.data());
    EXPECT_TRUE(same_bits(gpu, cpu));
    std::vector<double> signal(n), hist(n), ksignal(n), khist(n);
    macd(close, 12, 26, 9, cpu, signal, hist);
    kernels::macd_series(close.data(), n, 12, 26, 9, gpu.data(), ksignal.data(), khist.data());
    EXPECT_TRUE(same_bits(gpu, cpu));
    EXPECT_TRUE(same_bits(ksignal, signal));
    EXPECT_TRUE(same_bits(khist, hist));
}

}  // namespace
}  // namespace tradpal::indicators

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/indicators/momentum.hpp>
#include <tradpal/indicators/registry.hpp>

namespace tradpal::indicators {
namespace {

using ::testing::HasSubstr;

struct Hlc {
    std::vector<double> open, high, low, close;
};

Hlc random_bars(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> step(0.0, 0.01);
    std::uniform_real_distribution<double> wick(0.0, 0.005);
    Hlc b;
    double close = 100;
    for (std::size_t i = 0; i < n; ++i) {
        const double open = close;
        close = open * (1 + step(rng));
        b.open.push_back(open);
        b.high.push_back(std::max(open, close) * (1 + wick(rng)));
        b.low.push_back(std::min(open, close) * (1 - wick(rng)));
        b.close.push_back(close);
    }
    return b;
}

bool same(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

// ---- hand-computed values

TEST(Rsi, WilderAveragesSeededByTheMeanChange) {
    // changes +1 +1 -1 +2; period 2: seed gain 1 loss 0, then avg = avg / 2 + change / 2
    const std::vector<double> x = {1, 2, 3, 2, 4};
    std::vector<double> out(x.size());
    rsi(x, 2, out);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_EQ(out[2], 100.0);
    EXPECT_EQ(out[3], 50.0);  // gain 0.5, loss 0.5
    EXPECT_NEAR(out[4], 100.0 * 1.25 / 1.5, 1e-12);
    std::vector<double> cmo_out(x.size());
    cmo(x, 2, cmo_out);
    EXPECT_EQ(cmo_out[2], 100.0);
    EXPECT_EQ(cmo_out[3], 0.0);
    EXPECT_NEAR(cmo_out[4], 100.0 * 1.0 / 1.5, 1e-12);
}

TEST(Rsi, FlatSeriesIsZeroAndNaNStaysNaN) {
    std::vector<double> x(20, 7.5);
    std::vector<double> out(x.size());
    rsi(x, 14, out);
    EXPECT_EQ(out[14], 0.0);
    EXPECT_EQ(out[19], 0.0);
    x[16] = kNaN;
    rsi(x, 14, out);
    EXPECT_EQ(out[15], 0.0);
    EXPECT_TRUE(std::isnan(out[16]));
    EXPECT_TRUE(std::isnan(out[19]));  // Wilder averages remember the NaN, as TA-Lib's do
}

// TA-Lib's RSI loop as written there: multiply, add the change to one side, divide.
std::vector<double> talib_rsi(const std::vector<double>& x, int period) {
    std::vector<double> out(x.size(), kNaN);
    double gain = 0;
    double loss = 0;
    for (int i = 1; i <= period; ++i) {
        const double d = x[i] - x[i - 1];
        if (d < 0) {
            loss -= d;
        } else {
            gain += d;
        }
    }
    gain /= period;
    loss /= period;
    const auto rsi_of = [](double g, double l) {
        const double total = g + l;
        return -kEpsilon < total && total < kEpsilon ? 0.0 : 100.0 * (g / total);
    };
    out[static_cast<std::size_t>(period)] = rsi_of(gain, loss);
    for (std::size_t i = static_cast<std::size_t>(period) + 1; i < x.size(); ++i) {
        const double d = x[i] - x[i - 1];
        gain *= period - 1;
        loss *= period - 1;
        if (d < 0) {
            loss -= d;
        } else {
            gain += d;
        }
        gain /= period;
        loss /= period;
        out[i] = rsi_of(gain, loss);
    }
    return out;
}

TEST(Rsi, WithinRoundingOfTaLibAndStochRsiBitExactOnFlatRuns) {
    Hlc b = random_bars(400, 21);
    for (std::size_t i = 150; i < 220; ++i) {
        b.close[i] = b.close[149];  // a flat run: RSI only decays, by rounding noise
    }
    const std::vector<double> ref = talib_rsi(b.close, 14);
    std::vector<double> ours(b.close.size());
    rsi(b.close, 14, ours);
    for (std::size_t i = 14; i < ours.size(); ++i) {
        EXPECT_NEAR(ours[i], ref[i], 1e-12) << i;  // the fast Wilder step
    }
    // STOCHRSI magnifies those last bits on the flat run, so it steps exactly like TA-Lib: its
    // %K (period 5, %D period 1) is the stochastic of TA-Lib's own RSI values.
    std::vector<double> k(b.close.size());
    std::vector<double> d(b.close.size());
    stochrsi(b.close, 14, 5, 1, MaType::Sma, k, d);
    for (std::size_t i = 18; i < k.size(); ++i) {
        double hi = ref[i];
        double lo = ref[i];
        for (std::size_t j = i - 4; j < i; ++j) {
            hi = std::max(hi, ref[j]);
            lo = std::min(lo, ref[j]);
        }
        const double scaled = (hi - lo) / 100.0;
        const double expected = scaled != 0.0 ? (ref[i] - lo) / scaled : 0.0;
        ASSERT_EQ(k[i], expected) << i;
        ASSERT_EQ(d[i], expected) << i;
    }
}

TEST(MomRoc, DifferenceAndPercentChange) {
    const std::vector<double> x = {0, 2, 4, 5};
    std::vector<double> m(x.size());
    std::vector<double> r(x.size());
    mom(x, 2, m);
    roc(x, 2, r);
    EXPECT_TRUE(std::isnan(m[1]));
    EXPECT_EQ(m[2], 4.0);
    EXPECT_EQ(m[3], 3.0);
    EXPECT_EQ(r[2], 0.0);  // TA-Lib gives 0 when the old close is 0
    EXPECT_EQ(r[3], 150.0);
}

TEST(Macd, FastEmaStartsAtTheSlowEmasFirstBar) {
    // fast 2, slow 3, signal 2: both EMAs are seeded at bar 2, the fast one with mean(x[1..2]).
    const std::vector<double> x = {1, 2, 4, 8, 16};
    std::vector<double> m(x.size());
    std::vector<double> s(x.size());
    std::vector<double> h(x.size());
    macd(x, 2, 3, 2, m, s, h);
    EXPECT_EQ(macd_lookback(2, 3, 2), 3U);
    EXPECT_TRUE(std::isnan(m[2]) && std::isnan(s[2]) && std::isnan(h[2]));
    // slow: 7/3 then (8 - 7/3) / 2 + 7/3 = 31/6; fast: 3 then (8 - 3) * 2/3 + 3 = 19/3
    EXPECT_NEAR(m[3], 19.0 / 3 - 31.0 / 6, 1e-12);
    EXPECT_NEAR(s[3], (2.0 / 3 + 7.0 / 6) / 2, 1e-12);  // seeded by the mean of two MACDs
    EXPECT_NEAR(h[3], 0.25, 1e-12);
}

TEST(ApoPpo, DifferenceOfMovingAverages) {
    const std::vector<double> x = {1, 2, 3, 4, 5};
    std::vector<double> a(x.size());
    std::vector<double> p(x.size());
    apo(x, 2, 3, MaType::Sma, a);
    ppo(x, 2, 3, MaType::Sma, p);
    EXPECT_TRUE(std::isnan(a[1]));
    EXPECT_EQ(a[2], 0.5);  // mean(2, 3) - mean(1, 2, 3)
    EXPECT_EQ(p[2], 25.0);
    EXPECT_EQ(apo_lookback(12, 26, MaType::Ema), 25U);
}

TEST(Trix, PeriodOneIsTheOneBarRateOfChange) {
    const std::vector<double> x = {1, 2, 4, 4};
    std::vector<double> out(x.size());
    trix(x, 1, out);
    EXPECT_EQ(trix_lookback(1), 1U);
    EXPECT_EQ(trix_lookback(30), 88U);
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_EQ(out[1], 100.0);
    EXPECT_EQ(out[2], 100.0);
    EXPECT_EQ(out[3], 0.0);
}

TEST(Stochastic, FastKInTheRangeOfTheWindow) {
    const std::vector<double> high = {3, 4, 5, 4};
    const std::vector<double> low = {1, 2, 3, 2};
    const std::vector<double> close = {2, 4, 3, 3};
    std::vector<double> k(4);
    std::vector<double> d(4);
    stochf(high, low, close, 3, 2, MaType::Sma, k, d);
    EXPECT_TRUE(std::isnan(k[2]) && std::isnan(d[2]));
    EXPECT_NEAR(k[3], 100.0 / 3, 1e-12);               // (3 - 2) / (5 - 2)
    EXPECT_NEAR(d[3], (50.0 + 100.0 / 3) / 2, 1e-12);  // %K was 50 at bar 2
    std::vector<double> w(4);
    willr(high, low, close, 3, w);
    EXPECT_EQ(w[2], -50.0);  // (5 - 3) / (5 - 1) * -100
    EXPECT_NEAR(w[3], -200.0 / 3, 1e-12);
}

TEST(Stochastic, ZeroRangeGivesZero) {
    const std::vector<double> flat(12, 4.0);
    std::vector<double> k(12);
    std::vector<double> d(12);
    stoch(flat, flat, flat, 5, 3, MaType::Sma, 3, MaType::Sma, k, d);
    EXPECT_EQ(k[8], 0.0);
    EXPECT_EQ(d[11], 0.0);
    std::vector<double> w(12);
    willr(flat, flat, flat, 5, w);
    EXPECT_EQ(w[4], 0.0);
}

TEST(Cci, HandComputed) {
    // typical prices 1, 2, 3: mean 2, mean deviation 2/3, CCI = 1 / (0.015 * 2/3) = 100
    const std::vector<double> tp = {1, 2, 3};
    std::vector<double> out(3);
    cci(tp, tp, tp, 3, out);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_NEAR(out[2], 100.0, 1e-12);
}

// TA-Lib's CCI as it computes it: a circular buffer summed slot 0 first, twice per bar.
std::vector<double> talib_cci(const Hlc& b, int period) {
    const auto p = static_cast<std::size_t>(period);
    std::vector<double> ring(p);
    std::vector<double> out(b.close.size(), kNaN);
    for (std::size_t i = 0; i < b.close.size(); ++i) {
        const double last = (b.high[i] + b.low[i] + b.close[i]) / 3;
        ring[i % p] = last;
        if (i + 1 < p) {
            continue;
        }
        double mean = 0;
        for (double v : ring) {
            mean += v;
        }
        mean /= period;
        double dev = 0;
        for (double v : ring) {
            dev += std::fabs(v - mean);
        }
        const double above = last - mean;
        out[i] = above != 0.0 && dev != 0.0 ? above / (0.015 * (dev / period)) : 0.0;
    }
    return out;
}

TEST(Cci, MatchesTaLibsFormAndStaysBoundedOnFlatRuns) {
    // Flat runs at prices whose sum does not divide back exactly are ill-conditioned: TA-Lib's
    // circular-buffer mean gives rounding noise over rounding noise (+-66.67 or 0), and our
    // running mean gives its own noise. Elsewhere the two agree to the last bits.
    Hlc b = random_bars(300, 11);
    for (std::size_t i = 100; i < 160; ++i) {
        b.high[i] = b.low[i] = b.close[i] = 30'000.123456789;
    }
    for (std::size_t i = 200; i < 260; ++i) {
        b.high[i] = b.low[i] = b.close[i] = 0.1 * 3;
    }
    const std::vector<double> ref = talib_cci(b, 14);
    std::vector<double> out(b.close.size());
    cci(b.high, b.low, b.close, 14, out);
    for (std::size_t i = 13; i < out.size(); ++i) {
        const bool flat = (i >= 113 && i < 160) || (i >= 213 && i < 260);
        if (flat) {
            EXPECT_LE(std::fabs(out[i]), 200.0 / 3 + 1e-9) << "bar " << i;
        } else {
            EXPECT_NEAR(out[i], ref[i], 1e-9 * std::max(1.0, std::fabs(ref[i]))) << "bar " << i;
        }
    }
}

TEST(Bop, BodyOverRange) {
    const std::vector<double> open = {1, 2};
    const std::vector<double> high = {3, 2};
    const std::vector<double> low = {0, 2};
    const std::vector<double> close = {2.5, 2};
    std::vector<double> out(2);
    bop(open, high, low, close, out);
    EXPECT_EQ(out[0], 0.5);
    EXPECT_EQ(out[1], 0.0);  // high == low
}

TEST(UltOsc, PeriodsAreSortedLikeTaLib) {
    const Hlc b = random_bars(200, 5);
    std::vector<double> a(200);
    std::vector<double> c(200);
    ultosc(b.high, b.low, b.close, 7, 14, 28, a);
    ultosc(b.high, b.low, b.close, 28, 7, 14, c);
    for (std::size_t i = 0; i < a.size(); ++i) {
        ASSERT_TRUE(same(a[i], c[i])) << i;
    }
    EXPECT_EQ(ultosc_lookback(28, 7, 14), 28U);
}

// ---- RollingRange against a rescan

TEST(RollingRange, MatchesARescanAndMasksNaN) {
    Hlc b = random_bars(500, 3);
    b.high[250] = kNaN;
    for (int period : {1, 2, 5, 14, 33}) {
        RollingRange r(period);
        const auto p = static_cast<std::size_t>(period);
        for (std::size_t i = 0; i < b.high.size(); ++i) {
            r.update(b.high[i], b.low[i]);
            if (i + 1 < p) {
                ASSERT_FALSE(r.full());
                continue;
            }
            ASSERT_TRUE(r.full());
            if (i >= 250 && i < 250 + p) {
                EXPECT_TRUE(std::isnan(r.highest()) && std::isnan(r.lowest()))
                    << period << " " << i;
                continue;
            }
            double hi = b.high[i];
            double lo = b.low[i];
            for (std::size_t j = i + 1 - p; j <= i; ++j) {
                hi = std::max(hi, b.high[j]);
                lo = std::min(lo, b.low[j]);
            }
            ASSERT_EQ(r.highest(), hi) << period << " " << i;
            ASSERT_EQ(r.lowest(), lo) << period << " " << i;
        }
    }
}

TEST(Willr, NaNHighLastsExactlyOneWindow) {
    Hlc b = random_bars(60, 4);
    b.high[30] = kNaN;
    std::vector<double> out(60);
    willr(b.high, b.low, b.close, 5, out);
    EXPECT_TRUE(std::isfinite(out[29]));
    for (std::size_t i = 30; i < 35; ++i) {
        EXPECT_TRUE(std::isnan(out[i])) << i;
    }
    EXPECT_TRUE(std::isfinite(out[35]));
}

// ---- streaming == batch, bit for bit, beyond the golden parameters

void expect_stream_equals_batch(const char* text, const Hlc& b) {
    const Spec spec = Spec::parse(text).value();
    const std::size_t n = b.close.size();
    std::vector<std::vector<double>> batch(spec.output_count(), std::vector<double>(n));
    std::vector<std::span<double>> spans(batch.begin(), batch.end());
    Inputs in;
    in.open = b.open;
    in.high = b.high;
    in.low = b.low;
    in.close = b.close;
    spec.compute(in, spans);
    auto stream = spec.stream();
    std::vector<double> v(spec.output_count());
    for (std::size_t i = 0; i < n; ++i) {
        stream->update(Bar{Timestamp(0), b.open[i], b.high[i], b.low[i], b.close[i], 1.0});
        stream->values(v);
        for (std::size_t o = 0; o < v.size(); ++o) {
            ASSERT_TRUE(same(batch[o][i], v[o]))
                << text << " output " << o << " row " << i << ": " << batch[o][i] << " vs " << v[o];
            ASSERT_EQ(std::isnan(v[o]), i < spec.lookback()) << text << " row " << i;
        }
    }
}

TEST(Momentum, StreamingEqualsBatchBitForBit) {
    const Hlc b = random_bars(1'203, 9);  // not a multiple of CCI's chunk
    for (const char* spec : {"rsi(2)",
                             "rsi(25)",
                             "cmo(3)",
                             "mom(1)",
                             "roc(7)",
                             "macd(3,10,1)",
                             "macd(5,35,5)",
                             "apo(5,9,ema)",
                             "ppo(3,20,t3)",
                             "apo(4,6,kama)",
                             "trix(1)",
                             "trix(7)",
                             "stoch(5,3,sma,3,sma)",
                             "stoch(7,4,ema,5,wma)",
                             "stoch(3,1,sma,1,sma)",
                             "stoch(1,2,sma,2,sma)",
                             "stochf(9,4,dema)",
                             "stochf(1,1,sma)",
                             "stochrsi(6,4,3,ema)",
                             "willr(2)",
                             "ultosc(3,5,40)",
                             "cci(2)",
                             "cci(5)",
                             "cci(13)",
                             "cci(300)",
                             "bop"}) {
        expect_stream_equals_batch(spec, b);
    }
}

// ---- parameters

TEST(Momentum, RefusesBadParameters) {
    const std::vector<double> x(40, 1.0);
    std::vector<double> o1(40);
    std::vector<double> o2(40);
    std::vector<double> o3(40);
    std::vector<double> short_out(39);
    EXPECT_THROW(rsi(x, 1, o1), Exception);
    EXPECT_THROW(cmo(x, 100'001, o1), Exception);
    EXPECT_THROW(mom(x, 0, o1), Exception);
    EXPECT_THROW(roc(x, 3, short_out), Exception);
    EXPECT_THROW(macd(x, 12, 12, 9, o1, o2, o3), Exception);
    EXPECT_THROW(macd(x, 26, 12, 9, o1, o2, o3), Exception);
    EXPECT_THROW(macd(x, 12, 26, 0, o1, o2, o3), Exception);
    EXPECT_THROW(Macd(1, 26, 9), Exception);
    EXPECT_THROW(apo(x, 20, 10, MaType::Sma, o1), Exception);
    EXPECT_THROW(Ppo(10, 10, MaType::Ema), Exception);
    EXPECT_THROW(ppo(x, 2, 5, static_cast<MaType>(7), o1), Exception);
    EXPECT_THROW(trix(x, 0, o1), Exception);
    EXPECT_THROW(stoch(x, x, x, 0, 3, MaType::Sma, 3, MaType::Sma, o1, o2), Exception);
    EXPECT_THROW(stoch(x, x, x, 5, 3, MaType::Sma, 0, MaType::Sma, o1, o2), Exception);
    EXPECT_THROW(stochf(x, x, std::span<const double>(x).first(39), 5, 3, MaType::Sma, o1, o2),
                 Exception);
    EXPECT_THROW(stochrsi(x, 1, 5, 3, MaType::Sma, o1, o2), Exception);
    EXPECT_THROW(willr(x, x, x, 1, o1), Exception);
    EXPECT_THROW(ultosc(x, x, x, 7, 0, 28, o1), Exception);
    EXPECT_THROW(cci(x, x, x, 1, o1), Exception);
    EXPECT_THROW(bop(x, x, x, x, short_out), Exception);
}

TEST(Momentum, SpecsCheckFastBelowSlow) {
    EXPECT_THAT(Spec::parse("macd(26,12,9)").error().message,
                HasSubstr("macd: fast (26) must be less than slow (12)"));
    EXPECT_THAT(Spec::parse("apo(12,12)").error().message, HasSubstr("apo: fast (12)"));
    EXPECT_THAT(Spec::parse("ppo(30,26,ema)").error().message, HasSubstr("ppo: fast (30)"));
    EXPECT_THAT(Spec::parse("rsi(1)").error().message,
                HasSubstr("rsi: period must be an integer from 2 to 100000"));
    EXPECT_THAT(Spec::parse("stoch(5,3,mama)").error().message,
                HasSubstr("slowk_matype must be a moving-average type"));
    const Spec s = Spec::parse("stoch").value();
    EXPECT_EQ(s.canonical(), "stoch(5,3,sma,3,sma)");
    EXPECT_EQ(s.lookback(), 8U);
    EXPECT_EQ(Spec::parse("stochrsi").value().lookback(), 20U);
    EXPECT_EQ(Spec::parse("macd").value().output_names(),
              (std::vector<std::string>{"macd(12,26,9).macd", "macd(12,26,9).signal",
                                        "macd(12,26,9).hist"}));
}

}  // namespace
}  // namespace tradpal::indicators

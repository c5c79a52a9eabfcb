// SPDX-License-Identifier: Apache-2.0
// The "extra" indicators (TA-Lib lacks them): hand-computed examples, properties on random
// walks, NaN and zero-volume / zero-variance rules, and the hourly session-VWAP golden file.
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/core/rng.hpp>
#include <tradpal/indicators/extra.hpp>
#include <tradpal/indicators/registry.hpp>

#include "golden_support.hpp"

namespace tradpal::indicators {
namespace {

struct Ohlcv {
    std::vector<std::int64_t> ts;
    std::vector<double> open, high, low, close, volume;
    std::size_t size() const { return close.size(); }
    void push(double o, double h, double l, double c, double v) {
        ts.push_back(static_cast<std::int64_t>(ts.size()) * kNanosPerMinute);
        open.push_back(o);
        high.push_back(h);
        low.push_back(l);
        close.push_back(c);
        volume.push_back(v);
    }
};

// A random walk around `level`, some bars without volume.
Ohlcv walk(std::size_t n, double level, std::uint64_t seed) {
    Rng rng(seed);
    Ohlcv b;
    double close = level;
    for (std::size_t i = 0; i < n; ++i) {
        const double open = close;
        close = std::max(level * 1e-3, open * (1 + 0.01 * rng.normal()));
        const double high = std::max(open, close) * (1 + 0.01 * rng.uniform());
        const double low = std::min(open, close) * (1 - 0.01 * rng.uniform());
        const double volume = rng.uniform() < 0.1 ? 0.0 : 1000 * (0.5 + rng.uniform());
        b.push(open, high, low, close, volume);
    }
    return b;
}

std::vector<double> column(std::size_t n) {
    return std::vector<double>(n, 0.0);  // NOLINT(modernize-return-braced-init-list)
}

bool same(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

// ---- hand-computed examples

TEST(Vwap, WeighsTypicalPricesByVolume) {
    // tp = 10 (volume 1) and 13 (volume 2): (10 + 26) / 3 = 12.
    const std::vector<double> h = {11, 14}, l = {9, 12}, c = {10, 13}, v = {1, 2};
    auto out = column(2);
    vwap(h, l, c, v, 2, out);
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_EQ(out[1], 12.0);
    vwap(h, l, c, v, 1, out);  // one bar: its typical price
    EXPECT_EQ(out[0], 10.0);
    EXPECT_EQ(out[1], 13.0);
    EXPECT_EQ(vwap_lookback(14), 13U);
}

TEST(Vwap, WithoutVolumeIsTheMeanTypicalPrice) {
    const std::vector<double> h = {11, 14}, l = {9, 12}, c = {10, 13}, v = {0, 0};
    auto out = column(2);
    vwap(h, l, c, v, 2, out);
    EXPECT_EQ(out[1], 11.5);
    // Volume first, then a window without any: the mean again, not a ratio of rounding residues.
    Vwap s(2);
    s.update(11, 9, 10, 3.3);
    s.update(14, 12, 13, 0.7);
    s.update(21, 19, 20, 0);
    EXPECT_NEAR(s.update(24, 22, 23, 0), 21.5, 1e-12);
}

TEST(VwapSession, RestartsAtEverySession) {
    // 60-minute sessions; bars at 00:00, 00:30 | 01:00, 01:30 (the last one without volume).
    const std::vector<std::int64_t> ts = {0, 30 * kNanosPerMinute, 60 * kNanosPerMinute,
                                          90 * kNanosPerMinute};
    const std::vector<double> h = {11, 14, 21, 24}, l = {9, 12, 19, 22}, c = {10, 13, 20, 23},
                              v = {1, 2, 3, 0};
    auto out = column(4);
    vwap_session(ts, h, l, c, v, 60, out);
    EXPECT_EQ(out, (std::vector<double>{10, 12, 20, 20}));
    vwap_session(ts, h, l, c, v, 1440, out);  // one day: no restart
    EXPECT_EQ(out[3], (10 * 1 + 13 * 2 + 20 * 3) / 6.0);
    EXPECT_EQ(vwap_session_lookback(1440), 0U);
}

TEST(VwapSession, DaysAreUtcDaysAlsoBeforeTheEpoch) {
    VwapSession s(1440);
    Bar bar{Timestamp(-kNanosPerMinute), 11, 11, 11, 11, 1};  // 1969-12-31 23:59
    EXPECT_EQ(s.update(bar.ts.ns(), 11, 11, 11, 1), 11.0);
    EXPECT_TRUE(s.ready());
    EXPECT_EQ(s.update(0, 20, 20, 20, 1), 20.0);  // 1970-01-01 00:00: a new day
    EXPECT_EQ(s.update(kNanosPerDay - 1, 30, 30, 30, 3), (20 + 90) / 4.0);
    s.update(Bar{Timestamp(kNanosPerDay), 0, 7, 7, 7, 0});  // the next day, no volume
    EXPECT_EQ(s.value(), 7.0);
}

TEST(Supertrend, FollowsTheBandsByHand) {
    // period 1 (ATR = the true range), multiplier 1; values chosen to be exact in binary.
    const std::vector<double> h = {10, 11, 13, 12.5, 11.5}, l = {8, 9, 11, 11.75, 10},
                              c = {9, 10, 12.5, 12, 10.5};
    auto line = column(5), dir = column(5);
    supertrend(h, l, c, 1, 1.0, line, dir);
    // bar 1: tr 2, hl2 10 -> bands 12 / 8, starts short on the upper band
    // bar 2: tr 3, bands 15 / 9; upper stays 12, close 12.5 > 12 -> long on the lower band 9
    // bar 3: tr 0.75, bands 12.875 / 11.375 (previous close above 12 resets the upper band)
    // bar 4: tr 2, bands 12.75 / 8.75, lower stays 11.375; close 10.5 < 11.375 -> short
    EXPECT_TRUE(std::isnan(line[0]) && std::isnan(dir[0]));
    EXPECT_EQ(std::vector<double>(line.begin() + 1, line.end()),
              (std::vector<double>{12, 9, 11.375, 12.75}));
    EXPECT_EQ(std::vector<double>(dir.begin() + 1, dir.end()), (std::vector<double>{-1, 1, 1, -1}));
    EXPECT_EQ(supertrend_lookback(10), 10U);
}

TEST(Keltner, IsAnEmaWithAtrBands) {
    // ATR(2): tr 2.5, 3, 3 from bar 1 -> 2.75 at bar 2, then (2.75 + 3) / 2 = 2.875.
    const std::vector<double> h = {10, 12, 11, 13}, l = {9, 10, 8, 12}, c = {9.5, 11, 10, 12.5};
    auto up = column(4), mid = column(4), lo = column(4), ema_out = column(4);
    keltner(h, l, c, 2, 1.0, 2, up, mid, lo);
    ema(c, 2, ema_out);
    EXPECT_TRUE(std::isnan(mid[1]));  // lookback max(2 - 1, 2) = 2
    for (std::size_t i = 2; i < 4; ++i) {
        EXPECT_EQ(mid[i], ema_out[i]);
    }
    EXPECT_EQ(up[2], mid[2] + 2.75);
    EXPECT_EQ(lo[2], mid[2] - 2.75);
    EXPECT_EQ(up[3], mid[3] + 2.875);
    EXPECT_EQ(keltner_lookback(20, 10), 19U);
    EXPECT_EQ(keltner_lookback(5, 10), 10U);
}

TEST(Donchian, TakesTheWindowsExtremes) {
    const std::vector<double> h = {3, 5, 4, 2}, l = {1, 2, 0.5, 1.5};
    auto up = column(4), mid = column(4), lo = column(4);
    donchian(h, l, 3, up, mid, lo);
    EXPECT_TRUE(std::isnan(up[1]) && std::isnan(mid[1]) && std::isnan(lo[1]));
    EXPECT_EQ(up[2], 5.0);
    EXPECT_EQ(lo[2], 0.5);
    EXPECT_EQ(mid[2], 2.75);
    EXPECT_EQ(up[3], 5.0);
    EXPECT_EQ(lo[3], 0.5);
    donchian(h, l, 1, up, mid, lo);
    EXPECT_EQ(up, h);
    EXPECT_EQ(lo, l);
}

TEST(Hma, HasNoLagOnARampForPeriods4And9) {
    // On a ramp x = a + b t, WMA(k) lags by b (k - 1) / 3, so HMA(n) = x - b (2 (n/2) - n +
    // isqrt(n) - 2) / 3: exactly the ramp for n = 4 and 9, 2b/3 below it for 16, b/3 above for 2.
    for (const auto& [n, offset] :
         {std::pair{4, 0.0}, std::pair{9, 0.0}, std::pair{16, -2.0 / 3}, std::pair{2, 1.0 / 3},
          std::pair{10, -1.0 / 3}, std::pair{25, -2.0 / 3}, std::pair{30, -1.0}}) {
        std::vector<double> x;
        x.reserve(80);
        for (int t = 0; t < 80; ++t) {
            x.push_back(100 + (0.5 * t));
        }
        auto out = column(x.size());
        hma(x, n, out);
        const std::size_t lb = hma_lookback(n);
        for (std::size_t t = 0; t < x.size(); ++t) {
            if (t < lb) {
                EXPECT_TRUE(std::isnan(out[t])) << n << " " << t;
            } else {
                EXPECT_NEAR(out[t], x[t] + (0.5 * offset), 1e-11) << "hma(" << n << ") at " << t;
            }
        }
    }
    EXPECT_EQ(hma_lookback(9), 10U);
    EXPECT_EQ(hma_lookback(16), 18U);
}

TEST(Zscore, ByHand) {
    const std::vector<double> x = {1, 2, 3, 1, 3};
    auto out = column(x.size());
    zscore(x, 3, out);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_DOUBLE_EQ(out[2], std::sqrt(1.5));   // mean 2, population sd sqrt(2/3)
    EXPECT_DOUBLE_EQ(out[3], -std::sqrt(1.5));  // window 2, 3, 1
    EXPECT_DOUBLE_EQ(out[4], (3 - 7 / 3.0) / std::sqrt(8 / 9.0));
    zscore(x, 2, out);
    EXPECT_EQ(out[1], 1.0);
    EXPECT_EQ(out[3], -1.0);
}

TEST(Zscore, IsZeroOnFlatWindows) {
    std::vector<double> x(40, 7.25);
    auto out = column(x.size());
    zscore(x, 20, out);
    for (std::size_t i = 19; i < x.size(); ++i) {
        EXPECT_EQ(out[i], 0.0);
    }
    // After moves the window goes flat between two exact re-summations: still exactly 0.
    Ohlcv w = walk(200, 3e4, 5);
    std::vector<double> y(w.close.begin(), w.close.begin() + 107);
    y.resize(160, y.back());
    out = column(y.size());
    zscore(y, 20, out);
    for (std::size_t i = 126; i < y.size(); ++i) {
        EXPECT_EQ(out[i], 0.0) << i;
    }
}

TEST(Zscore, KeepsItsPrecisionAtHighPriceLevels) {
    // Unit-sized moves on a level of 1e9: E[x^2] - E[x]^2 would lose everything.
    std::vector<double> x;
    x.reserve(500);
    for (int i = 0; i < 500; ++i) {
        x.push_back(1e9 + std::sin(i * 0.7) * 3 + (i % 5));
    }
    auto out = column(x.size());
    zscore(x, 20, out);
    for (std::size_t t = 19; t < x.size(); ++t) {
        long double mean = 0;
        for (std::size_t i = t - 19; i <= t; ++i) {
            mean += x[i];
        }
        mean /= 20;
        long double var = 0;
        for (std::size_t i = t - 19; i <= t; ++i) {
            var += (x[i] - mean) * (x[i] - mean);
        }
        const auto z = static_cast<double>((x[t] - mean) / std::sqrt(var / 20));
        EXPECT_NEAR(out[t], z, 1e-9 * std::max(1.0, std::fabs(z))) << t;
    }
}

TEST(Ichimoku, DisplacesTheCloudByKijunBars) {
    const std::vector<double> h = {5, 7, 6, 9, 8, 4, 6, 7}, l = {3, 4, 5, 6, 2, 1, 4, 5};
    auto tk = column(8), kj = column(8), sa = column(8), sb = column(8);
    ichimoku(h, l, 2, 3, 4, tk, kj, sa, sb);
    EXPECT_EQ(ichimoku_lookback(2, 3, 4), 6U);
    for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_TRUE(std::isnan(tk[i]) && std::isnan(kj[i]) && std::isnan(sa[i]) &&
                    std::isnan(sb[i]));
    }
    // bar 7: tenkan over bars 6-7 (7 + 4) / 2, kijun over 5-7 (7 + 1) / 2; the cloud comes from
    // bar 4: tenkan 3-4 (9 + 2) / 2 and kijun 2-4 (9 + 2) / 2 -> 5.5, senkou 1-4 (9 + 2) / 2.
    EXPECT_EQ(tk[6], 3.5);
    EXPECT_EQ(kj[6], 4.5);
    EXPECT_EQ(sa[6], 6.75);
    EXPECT_EQ(sb[6], 6.0);
    EXPECT_EQ(tk[7], 5.5);
    EXPECT_EQ(kj[7], 4.0);
    EXPECT_EQ(sa[7], 5.5);
    EXPECT_EQ(sb[7], 5.5);
    EXPECT_EQ(ichimoku_lookback(9, 26, 52), 77U);
}

// ---- properties on random walks

TEST(ExtraProperties, ChannelsAndVwapStayInTheirRanges) {
    for (double level : {1e-4, 1.0, 3e4}) {
        const Ohlcv b = walk(2000, level, 11);
        const std::size_t n = b.size();
        auto up = column(n), mid = column(n), lo = column(n), vw = column(n);
        donchian(b.high, b.low, 20, up, mid, lo);
        vwap(b.high, b.low, b.close, b.volume, 14, vw);
        for (std::size_t t = 19; t < n; ++t) {
            ASSERT_GE(up[t], b.high[t]);
            ASSERT_GE(b.high[t], b.low[t]);
            ASSERT_GE(b.low[t], lo[t]);
            ASSERT_LE(lo[t], mid[t]);
            ASSERT_LE(mid[t], up[t]);
        }
        for (std::size_t t = 13; t < n; ++t) {
            double hi = -std::numeric_limits<double>::infinity();
            double low = std::numeric_limits<double>::infinity();
            for (std::size_t i = t - 13; i <= t; ++i) {
                hi = std::max(hi, b.high[i]);
                low = std::min(low, b.low[i]);
            }
            const double slack = 1e-12 * hi;
            ASSERT_GE(vw[t], low - slack) << t;
            ASSERT_LE(vw[t], hi + slack) << t;
        }
        keltner(b.high, b.low, b.close, 20, 2.0, 10, up, mid, lo);
        for (std::size_t t = 19; t < n; ++t) {
            ASSERT_GE(up[t], mid[t]);
            ASSERT_GE(mid[t], lo[t]);
        }
    }
}

TEST(ExtraProperties, SupertrendFlipsOnlyWhenTheCloseCrossesTheBand) {
    const Ohlcv b = walk(3000, 100, 12);
    Supertrend s(10, 3);
    double prev_dir = kNaN, prev_upper = kNaN, prev_lower = kNaN, prev_close = kNaN;
    int flips = 0;
    for (std::size_t t = 0; t < b.size(); ++t) {
        s.update(b.high[t], b.low[t], b.close[t]);
        if (t < 10) {
            ASSERT_FALSE(s.ready());
            ASSERT_TRUE(std::isnan(s.value()) && std::isnan(s.direction()));
            prev_close = b.close[t];
            continue;
        }
        const double dir = s.direction(), up = s.upper_band(), lo = s.lower_band();
        const double c = b.close[t];
        ASSERT_TRUE(dir == 1 || dir == -1);
        ASSERT_EQ(s.value(), dir > 0 ? lo : up);
        ASSERT_TRUE(dir > 0 ? c >= lo : c <= up) << t;
        if (t > 10) {
            if (dir != prev_dir) {
                ++flips;
                ASSERT_TRUE(dir > 0 ? c > up : c < lo) << "flip without a cross at " << t;
            }
            // The bands only loosen after the close broke through them.
            ASSERT_TRUE(up <= prev_upper || prev_close > prev_upper) << t;
            ASSERT_TRUE(lo >= prev_lower || prev_close < prev_lower) << t;
        }
        prev_dir = dir;
        prev_upper = up;
        prev_lower = lo;
        prev_close = c;
    }
    EXPECT_GT(flips, 20);
}

TEST(ExtraProperties, IchimokuMatchesABruteForceMidpoint) {
    const Ohlcv b = walk(600, 50, 13);
    const std::size_t n = b.size();
    auto tk = column(n), kj = column(n), sa = column(n), sb = column(n);
    ichimoku(b.high, b.low, 9, 26, 52, tk, kj, sa, sb);
    const auto mid = [&](std::size_t t, std::size_t p) {
        double hi = b.high[t], lo = b.low[t];
        for (std::size_t i = t + 1 - p; i <= t; ++i) {
            hi = std::max(hi, b.high[i]);
            lo = std::min(lo, b.low[i]);
        }
        return (hi + lo) / 2;
    };
    for (std::size_t t = 77; t < n; ++t) {
        ASSERT_EQ(tk[t], mid(t, 9));
        ASSERT_EQ(kj[t], mid(t, 26));
        ASSERT_EQ(sa[t], (mid(t - 26, 9) + mid(t - 26, 26)) / 2);
        ASSERT_EQ(sb[t], mid(t - 26, 52));
    }
}

// ---- NaN inputs

// Runs spec over bars with bar `hole` set to NaN and over the same bars with it intact.
std::pair<std::vector<std::vector<double>>, std::vector<std::vector<double>>> with_hole(
    const Spec& spec, const Ohlcv& bars, std::size_t hole) {
    const auto run = [&](const Ohlcv& b) {
        std::vector<std::vector<double>> out(spec.output_count(), column(b.size()));
        std::vector<std::span<double>> spans(out.begin(), out.end());
        Inputs in{b.ts, b.open, b.high, b.low, b.close, b.volume};
        spec.compute(in, spans);
        return out;
    };
    Ohlcv holed = bars;
    holed.open[hole] = holed.high[hole] = holed.low[hole] = holed.close[hole] = kNaN;
    holed.volume[hole] = kNaN;
    return {run(holed), run(bars)};
}

TEST(ExtraNaN, WindowIndicatorsRecoverOnceTheNaNHasLeftTheWindow) {
    const Ohlcv bars = walk(400, 100, 14);
    const std::size_t hole = 200;
    // spec, bars a value depends on (lookback + 1)
    for (const auto& [text, window] :
         {std::pair{"vwap(14)", 14}, std::pair{"donchian(20)", 20}, std::pair{"zscore(20)", 20},
          std::pair{"hma(9)", 11}, std::pair{"ichimoku(9,26,52)", 78}}) {
        const Spec spec = Spec::parse(text).value();
        const auto [holed, intact] = with_hole(spec, bars, hole);
        for (std::size_t o = 0; o < holed.size(); ++o) {
            EXPECT_TRUE(std::isnan(holed[o][hole])) << text;
            for (std::size_t t = 0; t < bars.size(); ++t) {
                if (t < hole) {
                    ASSERT_TRUE(same(holed[o][t], intact[o][t])) << text << " " << t;
                } else if (t >= hole + static_cast<std::size_t>(window)) {
                    // Recomputed sums may differ from the intact run's in the last bits.
                    ASSERT_NEAR(holed[o][t], intact[o][t], 1e-12 * std::fabs(intact[o][t]))
                        << text << " output " << o << " row " << t;
                }
            }
        }
    }
    // A window holding the NaN bar gives NaN (tenkan and kijun: their own windows).
    const auto [holed, intact] = with_hole(Spec::parse("donchian(20)").value(), bars, hole);
    EXPECT_TRUE(std::isnan(holed[0][hole + 19]));
    EXPECT_FALSE(std::isnan(holed[0][hole + 20]));
}

TEST(ExtraNaN, SessionVwapIsNaNForTheRestOfTheSession) {
    const Ohlcv bars = walk(300, 100, 15);  // one minute apart from t = 0: sessions of 60 bars
    const auto [holed, intact] = with_hole(Spec::parse("vwap_session(60)").value(), bars, 90);
    for (std::size_t t = 0; t < bars.size(); ++t) {
        if (t >= 90 && t < 120) {
            EXPECT_TRUE(std::isnan(holed[0][t])) << t;
        } else {
            EXPECT_EQ(holed[0][t], intact[0][t]) << t;
        }
    }
}

TEST(ExtraNaN, RecursiveIndicatorsStayNaN) {
    const Ohlcv bars = walk(300, 100, 16);
    for (const char* text : {"supertrend(10,3)", "keltner(20,2,10)"}) {
        const auto [holed, intact] = with_hole(Spec::parse(text).value(), bars, 150);
        for (const auto& col : holed) {
            for (std::size_t t = 150; t < bars.size(); ++t) {
                ASSERT_TRUE(std::isnan(col[t])) << text << " " << t;
            }
        }
    }
}

// ---- parameters and sizes

TEST(Extra, RefusesBadParametersAndSizes) {
    EXPECT_THROW(Vwap(0), Exception);
    EXPECT_THROW(VwapSession(0), Exception);
    EXPECT_THROW(Supertrend(10, -1), Exception);
    EXPECT_THROW(Supertrend(0, 3), Exception);
    EXPECT_THROW(Keltner(20, std::nan(""), 10), Exception);
    EXPECT_THROW(Donchian(0), Exception);
    EXPECT_THROW(Hma(1), Exception);
    EXPECT_THROW(Zscore(1), Exception);
    EXPECT_THROW(Ichimoku(9, 0, 52), Exception);
    const std::vector<double> x(10, 1.0);
    auto out = column(9);
    EXPECT_THROW(hma(x, 4, out), Exception);
    auto out10 = column(10);
    EXPECT_THROW(vwap(x, x, x, std::span<const double>(x).first(9), 3, out10), Exception);
    EXPECT_FALSE(Spec::parse("hma(1)").has_value());
    EXPECT_FALSE(Spec::parse("supertrend(10,-1)").has_value());
    EXPECT_EQ(Spec::parse("keltner").value().canonical(), "keltner(20,2,10)");
    EXPECT_EQ(Spec::parse("supertrend").value().file_stem(), "supertrend_10_3");
}

// ---- the hourly session golden file (16 session boundaries in 1000 bars)

TEST(VwapSession, MatchesTheHourlyReferenceFileInBothForms) {
    const auto oracle = testing::oracle_dir();
    if (!oracle) {
        GTEST_SKIP() << "../shared/oracle/talib is absent";
    }
    const auto ref = testing::read_table(testing::our_golden_dir() / "vwap_session_60.csv");
    ASSERT_EQ(ref.header, (std::vector<std::string>{"timestamp", "vwap_session"}));
    const BarSeries bars = testing::golden_input(*oracle);
    const auto& expected = ref.columns[1];
    ASSERT_EQ(expected.size(), 1000U);
    const Spec spec = Spec::parse("vwap_session(60)").value();
    std::vector<double> batch(bars.size());
    std::vector<std::span<double>> spans = {batch};
    spec.compute(Inputs::from(bars), spans);
    auto stream = spec.stream();
    double v = 0;
    std::size_t restarts = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        stream->update(bars.bar(i));
        stream->values(std::span<double>(&v, 1));
        ASSERT_NEAR(batch[i], expected[i], 1e-9 * std::fabs(expected[i])) << i;
        ASSERT_NEAR(v, expected[i], 1e-9 * std::fabs(expected[i])) << i;
        const Bar bar = bars.bar(i);
        const double tp = (bar.high + bar.low + bar.close) / 3;
        if (bar.ts.ns() % (60 * kNanosPerMinute) == 0) {
            EXPECT_NEAR(expected[i], tp, 1e-12 * tp) << i;
            ++restarts;
        }
    }
    EXPECT_EQ(restarts, 17U);  // hours 00 to 16, each restarted at its first typical price
}

}  // namespace
}  // namespace tradpal::indicators

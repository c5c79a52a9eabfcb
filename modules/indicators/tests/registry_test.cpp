// SPDX-License-Identifier: Apache-2.0
// Spec strings, canonical names, and rules every indicator must follow on awkward input.
#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/core/rng.hpp>
#include <tradpal/indicators/registry.hpp>

namespace tradpal::indicators {
namespace {

using ::testing::HasSubstr;

TEST(Spec, FillsDefaultsAndWritesCanonicalNames) {
    EXPECT_EQ(Spec::parse("sma").value().canonical(), "sma(30)");
    EXPECT_EQ(Spec::parse(" SMA( 20 ) ").value().canonical(), "sma(20)");
    const Spec t3 = Spec::parse("t3(5)").value();
    EXPECT_EQ(t3.canonical(), "t3(5,0.7)");
    EXPECT_EQ(t3.file_stem(), "t3_5_0.7");
    EXPECT_EQ(t3.output_names(), std::vector<std::string>{"t3(5,0.7)"});
    EXPECT_EQ(t3.lookback(), 24U);
}

TEST(Spec, NamesIndicatorsWithoutParametersPlainly) {
    const Spec obv = Spec::parse("obv").value();
    EXPECT_EQ(obv.canonical(), "obv");
    EXPECT_EQ(obv.file_stem(), "obv");
    EXPECT_EQ(Spec::parse("obv()").value().canonical(), "obv");
    const Spec macd = Spec::parse("macd").value();
    EXPECT_EQ(macd.output_names(),
              (std::vector<std::string>{"macd(12,26,9).macd", "macd(12,26,9).signal",
                                        "macd(12,26,9).hist"}));
    EXPECT_EQ(Spec::parse("bbands(20,2,2,ema)").value().canonical(), "bbands(20,2,2,ema)");
    EXPECT_THAT(Spec::parse("macd(26,12)").error().message, HasSubstr("must be less than"));
}

TEST(Spec, RefusesBadSpecsClearly) {
    EXPECT_THAT(Spec::parse("nope(3)").error().message, HasSubstr("unknown indicator 'nope'"));
    EXPECT_THAT(Spec::parse("wma(1)").error().message,
                HasSubstr("wma: period must be an integer from 2 to 100000, got '1'"));
    EXPECT_THAT(Spec::parse("sma(2.5)").error().message, HasSubstr("must be an integer"));
    EXPECT_THAT(Spec::parse("sma(20,3)").error().message, HasSubstr("takes 1 parameter"));
    EXPECT_THAT(Spec::parse("t3(5,1.5)").error().message, HasSubstr("vfactor must be a number"));
    EXPECT_THAT(Spec::parse("sma(20").error().message, HasSubstr("expected name(p1,p2,...)"));
}

TEST(Spec, ParsesLists) {
    const auto specs = Spec::parse_list("sma(20), t3(5,0.7),ema").value();
    ASSERT_EQ(specs.size(), 3U);
    EXPECT_EQ(specs[1].canonical(), "t3(5,0.7)");
    EXPECT_EQ(specs[2].canonical(), "ema(30)");
    EXPECT_FALSE(Spec::parse_list("").has_value());
    EXPECT_FALSE(Spec::parse_list("sma(20),bogus").has_value());
}

TEST(MaType, ParsesNamesAndCodes) {
    EXPECT_EQ(parse_ma_type("EMA").value(), MaType::Ema);
    EXPECT_EQ(to_string(MaType::T3), "t3");
    EXPECT_FALSE(parse_ma_type("mama").has_value());
}

TEST(Registry, NamesAreUniqueAndComplete) {
    std::string previous;
    for (const IndicatorInfo& info : all_indicators()) {
        EXPECT_LT(previous, std::string(info.name));
        previous = std::string(info.name);
        EXPECT_FALSE(info.title.empty()) << info.name;
        EXPECT_FALSE(info.outputs.empty()) << info.name;
        EXPECT_NE(info.lookback, nullptr) << info.name;
        EXPECT_NE(info.batch, nullptr) << info.name;
        EXPECT_NE(info.stream, nullptr) << info.name;
        if (info.outputs.size() == 1) {
            EXPECT_EQ(info.outputs[0], info.name);
        }
    }
}

TEST(ComputeAll, GivesTheSameResultsOnAnyNumberOfThreads) {
    std::vector<std::vector<double>> series;
    for (int s = 0; s < 6; ++s) {
        std::vector<double> x;
        for (int i = 0; i < 5000; ++i) {
            x.push_back(100 + s + std::sin(i * 0.01 * (s + 1)) * 10);
        }
        series.push_back(std::move(x));
    }
    const std::vector<Spec> specs = Spec::parse_list("sma(20),ema(50),kama(30),t3(5)").value();
    const auto run = [&](int threads) {
        std::vector<std::vector<double>> out(series.size() * specs.size(),
                                             std::vector<double>(5000));
        std::vector<ComputeJob> jobs;
        for (std::size_t s = 0; s < series.size(); ++s) {
            for (std::size_t k = 0; k < specs.size(); ++k) {
                jobs.push_back({&specs[k],
                                Inputs::of(series[s]),
                                {std::span<double>(out[s * specs.size() + k])}});
            }
        }
        compute_all(jobs, threads);
        return out;
    };
    const auto one = run(1);
    const auto four = run(4);
    for (std::size_t j = 0; j < one.size(); ++j) {
        for (std::size_t i = 0; i < one[j].size(); ++i) {
            ASSERT_TRUE((std::isnan(one[j][i]) && std::isnan(four[j][i])) ||
                        one[j][i] == four[j][i]);
        }
    }
    std::vector<ComputeJob> bad = {{&specs[0], Inputs::of(series[0]), {}}};
    EXPECT_THROW(compute_all(bad, 2), Exception);
}

TEST(ComputeColumns, EveryOutputInOrderAsEachSpecComputesIt) {
    std::vector<double> x;
    for (int i = 0; i < 3000; ++i) {
        x.push_back(100 + std::sin(i * 0.02) * 10);
    }
    const std::vector<Spec> specs = Spec::parse_list("sma(20),macd(12,26,9),ema(10)").value();
    const auto columns = compute_columns(specs, Inputs::of(x), 2);
    ASSERT_EQ(columns.size(), 5U);  // sma, macd's three, ema
    std::vector<std::vector<double>> expected(5, std::vector<double>(x.size()));
    const std::span<double> sma_out[] = {expected[0]};
    const std::span<double> macd_out[] = {expected[1], expected[2], expected[3]};
    const std::span<double> ema_out[] = {expected[4]};
    specs[0].compute(Inputs::of(x), sma_out);
    specs[1].compute(Inputs::of(x), macd_out);
    specs[2].compute(Inputs::of(x), ema_out);
    for (std::size_t c = 0; c < columns.size(); ++c) {
        for (std::size_t i = 0; i < x.size(); ++i) {
            ASSERT_TRUE((std::isnan(columns[c][i]) && std::isnan(expected[c][i])) ||
                        columns[c][i] == expected[c][i])
                << c << " " << i;
        }
    }
}

// ---- rules every indicator follows, checked over the whole registry

BarSeries walk(std::size_t n, double level, double step, double volume, std::uint64_t seed) {
    Rng rng(seed);
    BarSeries bars;
    double close = level;
    for (std::size_t i = 0; i < n; ++i) {
        const double open = close;
        close = std::max(level * 1e-3, open * (1 + step * rng.normal()));
        const double high = std::max(open, close) * (1 + step * rng.uniform());
        const double low = std::min(open, close) * (1 - step * rng.uniform());
        bars.push_back({Timestamp(static_cast<std::int64_t>(i) * kNanosPerMinute), open, high, low,
                        close, volume * (0.5 + rng.uniform())});
    }
    return bars;
}

BarSeries flat(std::size_t n, double price, double volume) {
    BarSeries bars;
    for (std::size_t i = 0; i < n; ++i) {
        bars.push_back({Timestamp(static_cast<std::int64_t>(i) * kNanosPerMinute), price, price,
                        price, price, volume});
    }
    return bars;
}

std::vector<std::vector<double>> batch(const Spec& spec, const BarSeries& bars) {
    std::vector<std::vector<double>> out(spec.output_count(), std::vector<double>(bars.size()));
    std::vector<std::span<double>> spans(out.begin(), out.end());
    spec.compute(Inputs::from(bars), spans);
    return out;
}

std::vector<std::vector<double>> streamed(const Spec& spec, const BarSeries& bars) {
    std::vector<std::vector<double>> out(spec.output_count(), std::vector<double>(bars.size()));
    auto s = spec.stream();
    std::vector<double> v(spec.output_count());
    for (std::size_t i = 0; i < bars.size(); ++i) {
        s->update(bars.bar(i));
        s->values(v);
        for (std::size_t o = 0; o < v.size(); ++o) {
            out[o][i] = v[o];
        }
    }
    return out;
}

void expect_same(const Spec& spec, const std::vector<std::vector<double>>& a,
                 const std::vector<std::vector<double>>& b, const char* what) {
    for (std::size_t o = 0; o < a.size(); ++o) {
        for (std::size_t i = 0; i < a[o].size(); ++i) {
            const double x = a[o][i];
            const double y = b[o][i];
            const bool same = (std::isnan(x) && std::isnan(y)) ||
                              std::fabs(x - y) <= 1e-12 * std::max(1.0, std::fabs(x));
            ASSERT_TRUE(same) << spec.canonical() << " " << what << ": output " << o << " row " << i
                              << ": batch " << x << ", stream " << y;
        }
    }
}

class EveryIndicator : public ::testing::TestWithParam<const IndicatorInfo*> {
protected:
    Spec spec() const { return Spec::parse(GetParam()->golden).value(); }
};

TEST_P(EveryIndicator, InputShorterThanTheLookbackGivesOnlyNaN) {
    const Spec s = spec();
    // Up to `lookback` bars there is no value yet (an indicator with lookback 0 has one at once).
    for (std::size_t n : {std::size_t{0}, std::min<std::size_t>(1, s.lookback()), s.lookback()}) {
        const BarSeries bars = walk(n, 100, 0.01, 1000, 1);
        for (const auto& column : batch(s, bars)) {
            for (double v : column) {
                EXPECT_TRUE(std::isnan(v)) << s.canonical() << " with " << n << " bars";
            }
        }
        expect_same(s, batch(s, bars), streamed(s, bars), "short input");
    }
}

TEST_P(EveryIndicator, ValuesStartAtTheLookbackAndStayFinite) {
    const Spec s = spec();
    for (double level : {1e-4, 1.0, 30'000.0, 1e6}) {
        const BarSeries bars = walk(s.lookback() + 400, level, 0.01, 1000, 2);
        const auto out = batch(s, bars);
        for (std::size_t o = 0; o < out.size(); ++o) {
            for (std::size_t i = 0; i < bars.size(); ++i) {
                if (i < s.lookback()) {
                    ASSERT_TRUE(std::isnan(out[o][i])) << s.canonical() << " row " << i;
                } else {
                    ASSERT_TRUE(std::isfinite(out[o][i])) << s.canonical() << " output " << o
                                                          << " row " << i << " at level " << level;
                }
            }
        }
        expect_same(s, out, streamed(s, bars), "random walk");
    }
}

TEST_P(EveryIndicator, FlatMarketsGiveNumbersNotNaN) {
    const Spec s = spec();
    for (double volume : {0.0, 5.0}) {
        const BarSeries bars = flat(s.lookback() + 100, 123.25, volume);
        const auto out = batch(s, bars);
        for (std::size_t o = 0; o < out.size(); ++o) {
            for (std::size_t i = s.lookback(); i < bars.size(); ++i) {
                ASSERT_TRUE(std::isfinite(out[o][i]))
                    << s.canonical() << " output " << o << " row " << i << " volume " << volume;
            }
        }
        expect_same(s, out, streamed(s, bars), "flat market");
    }
}

TEST_P(EveryIndicator, NaNInputPropagatesTheSameWayInBothForms) {
    const Spec s = spec();
    BarSeries bars = walk(s.lookback() + 200, 100, 0.01, 1000, 3);
    const std::size_t hole = s.lookback() + 50;
    bars.close()[hole] = kNaN;
    bars.high()[hole] = kNaN;
    bars.low()[hole] = kNaN;
    bars.open()[hole] = kNaN;
    bars.volume()[hole] = kNaN;
    const auto out = batch(s, bars);
    for (const auto& column : out) {
        EXPECT_TRUE(std::isnan(column[hole])) << s.canonical() << ": a NaN bar gives NaN";
    }
    expect_same(s, out, streamed(s, bars), "NaN input");
}

INSTANTIATE_TEST_SUITE_P(AllIndicators, EveryIndicator, ::testing::ValuesIn([] {
                             std::vector<const IndicatorInfo*> out;
                             for (const IndicatorInfo& entry : all_indicators()) {
                                 out.push_back(&entry);
                             }
                             return out;
                         }()),
                         [](const ::testing::TestParamInfo<const IndicatorInfo*>& param) {
                             return std::string(param.param->name);
                         });

}  // namespace
}  // namespace tradpal::indicators

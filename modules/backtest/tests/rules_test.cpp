// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <tradpal/backtest/rules.hpp>
#include <tradpal/backtest/signals.hpp>
#include <tradpal/core/bar_series.hpp>
#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/indicators/registry.hpp>

namespace tradpal::backtest::rules {
namespace {

using Flags = std::vector<std::uint8_t>;

/// Bars with the given closes: open = close - 0.5, high = close + 1, low = close - 1.
BarSeries series_of(const std::vector<double>& closes) {
    BarSeries bars;
    for (std::size_t i = 0; i < closes.size(); ++i) {
        const double c = closes[i];
        bars.push_back(Bar{Timestamp(static_cast<std::int64_t>(i) * 60'000'000'000LL), c - 0.5,
                           c + 1, c - 1, c, 100});
    }
    return bars;
}

/// Parses (throwing on an error, which fails the test with its message) and evaluates.
Flags evaluate(std::string_view text, SeriesCache& cache, const Placeholders& placeholders = {}) {
    const Rule rule = Rule::parse(text, placeholders).value();
    Flags out(cache.bars().size());
    rule.evaluate(cache, out).value();
    return out;
}

Flags evaluate(std::string_view text, const BarSeries& bars) {
    SeriesCache cache(bars);
    return evaluate(text, cache);
}

std::string canonical(std::string_view text, const Placeholders& placeholders = {}) {
    return Rule::parse(text, placeholders).value().canonical();
}

/// The error of a rule that must not parse.
Error parse_failure(std::string_view text, const Placeholders& placeholders = {}) {
    auto rule = Rule::parse(text, placeholders);
    EXPECT_FALSE(rule.has_value()) << text;
    return rule.has_value() ? Error{} : rule.error();
}

std::vector<double> cached(const SeriesCache& cache, std::string_view key) {
    const std::vector<double>* column = cache.find(key);
    EXPECT_NE(column, nullptr) << "no cached column '" << key << "'";
    return column != nullptr ? *column : std::vector<double>{};
}

/// Equal to the bit, NaN matching NaN.
void expect_same_bits(std::span<const double> actual, std::span<const double> expected,
                      std::string_view what) {
    ASSERT_EQ(actual.size(), expected.size()) << what;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const bool same =
            (std::isnan(actual[i]) && std::isnan(expected[i])) ||
            std::bit_cast<std::uint64_t>(actual[i]) == std::bit_cast<std::uint64_t>(expected[i]);
        ASSERT_TRUE(same) << what << " at bar " << i << ": " << actual[i] << " vs " << expected[i];
    }
}

/// The flags a per-bar predicate gives, for checking vectorised results by hand.
template <class F>
Flags flags_where(std::size_t n, F predicate) {
    Flags out(n);
    for (std::size_t t = 0; t < n; ++t) {
        out[t] = predicate(t) ? 1 : 0;
    }
    return out;
}

TEST(Rules, ParsesToCanonicalText) {
    EXPECT_EQ(canonical("cross_up(ema(close,12), ema(close,26)) and rsi(14) < 70"),
              "cross_up(ema(close,12),ema(close,26)) and rsi(close,14)<70");
    EXPECT_EQ(canonical("  close >   sma( close , 20 )  "), "close>sma(close,20)");
    EXPECT_EQ(canonical("macd().signal > 0"), "macd(close,12,26,9).signal>0");
    EXPECT_EQ(canonical("bbands(20).upper < close"), "bbands(close,20,2).upper<close");
    EXPECT_EQ(canonical("sma(20) > 0.50"), "sma(close,20)>0.5");
    EXPECT_EQ(canonical("close > 1e-3 and close < 2.5E2"), "close>0.001 and close<250");
    EXPECT_EQ(canonical("wilder(14) > atr()"), "smma(close,14)>atr(14)");
    EXPECT_EQ(canonical("ema(rsi(14), 9) > 50"), "ema(rsi(close,14),9)>50");
    EXPECT_EQ(canonical("sma((high + low) / 2, 5) > hl2"), "sma((high+low)/2,5)>hl2");
    EXPECT_EQ(canonical("highest(high, 20)[1] < close"), "highest(high,20)[1]<close");
    EXPECT_EQ(canonical("close > -5 and close > 2 * -3"), "close>-5 and close>2*-3");
}

TEST(Rules, CanonicalTextParsesBackToItself) {
    for (const std::string_view text :
         {"not (close > 1 and open < 2) or -(close - open) * 2 >= volume / 3",
          "cross_down(macd(close,8,21,5).hist, 0) and (close - open)[2] != 0",
          "stoch(14,3,0,3,0).slowk < 20 and obv() > obv()[1]", "close - -3 > (-3)[1]"}) {
        const std::string once = canonical(text);
        EXPECT_EQ(canonical(once), once) << text;
    }
}

TEST(Rules, KeywordsAndNamesAreCaseInsensitive) {
    EXPECT_EQ(canonical("CLOSE > SMA(Close, 20) AND Rsi(14) < 70 Or NOT Volume > 0"),
              "close>sma(close,20) and rsi(close,14)<70 or not volume>0");
    EXPECT_EQ(canonical("Donchian(20).LOWER < close"), "donchian(20).lower<close");
}

TEST(Rules, SymbolicLogicOperatorsMatchKeywords) {
    EXPECT_EQ(canonical("close > open && close > 1 || !(close > 2)"),
              "close>open and close>1 or not close>2");
    const BarSeries bars = data_testing::synthetic_ohlcv(300, 3);
    EXPECT_EQ(evaluate("close > open && volume > 500 || !(close > high - 1)", bars),
              evaluate("close > open and volume > 500 or not (close > high - 1)", bars));
}

TEST(Rules, ArithmeticFollowsIeeeDoubles) {
    const BarSeries bars = data_testing::synthetic_ohlcv(400, 11);
    const BarSeriesView v = bars.view();
    EXPECT_EQ(evaluate("close + open > 2 * high - low / 3", bars),
              flags_where(v.size(), [&](auto t) {
                  return v.close()[t] + v.open()[t] > 2 * v.high()[t] - v.low()[t] / 3;
              }));
    EXPECT_EQ(evaluate("-close * 2 < -(open + 1)", bars), flags_where(v.size(), [&](auto t) {
                  return -v.close()[t] * 2 < -(v.open()[t] + 1);
              }));
    EXPECT_EQ(evaluate("hl2 + hlc3 + ohlc4 > close * 3", bars), flags_where(v.size(), [&](auto t) {
                  const double hl2 = (v.high()[t] + v.low()[t]) / 2;
                  const double hlc3 = (v.high()[t] + v.low()[t] + v.close()[t]) / 3;
                  const double ohlc4 = (v.open()[t] + v.high()[t] + v.low()[t] + v.close()[t]) / 4;
                  return hl2 + hlc3 + ohlc4 > v.close()[t] * 3;
              }));
    const Flags all(v.size(), 1);
    EXPECT_EQ(evaluate("close / 0 > 1e308", bars), all);   // +inf
    EXPECT_EQ(evaluate("not 0 / 0 == 0 / 0", bars), all);  // NaN equals nothing
    EXPECT_EQ(evaluate("0.1 + 0.2 != 0.3 and 0.1 * 3 == 0.30000000000000004", bars), all);
}

TEST(Rules, EveryComparisonOperator) {
    const BarSeries bars = series_of({1, 2, 2, 3, 1});
    EXPECT_EQ(evaluate("close < 2", bars), (Flags{1, 0, 0, 0, 1}));
    EXPECT_EQ(evaluate("close <= 2", bars), (Flags{1, 1, 1, 0, 1}));
    EXPECT_EQ(evaluate("close > 2", bars), (Flags{0, 0, 0, 1, 0}));
    EXPECT_EQ(evaluate("close >= 2", bars), (Flags{0, 1, 1, 1, 0}));
    EXPECT_EQ(evaluate("close == 2", bars), (Flags{0, 1, 1, 0, 0}));
    EXPECT_EQ(evaluate("close != 2", bars), (Flags{1, 0, 0, 1, 1}));
}

TEST(Rules, PrecedenceFollowsTheGrammar) {
    const BarSeries bars = series_of({1, 2});
    const Flags all{1, 1};
    const Flags none{0, 0};
    EXPECT_EQ(evaluate("1 + 2 * 3 == 7", bars), all);
    EXPECT_EQ(evaluate("(1 + 2) * 3 == 9", bars), all);
    EXPECT_EQ(evaluate("10 - 4 - 3 == 3", bars), all);  // left-associative
    EXPECT_EQ(evaluate("12 / 3 / 2 == 2", bars), all);
    EXPECT_EQ(evaluate("-2 * 3 == -6 and 2 * -3 == -6 and -(1 + 2) == -3", bars), all);
    EXPECT_EQ(evaluate("--2 == 2", bars), all);
    // and binds tighter than or; not is looser than a comparison and tighter than and.
    EXPECT_EQ(evaluate("2 > 1 or 1 > 2 and 3 < 2", bars), all);
    EXPECT_EQ(evaluate("(2 > 1 or 1 > 2) and 3 < 2", bars), none);
    EXPECT_EQ(evaluate("not 2 > 1 or 2 > 1", bars), all);
    EXPECT_EQ(evaluate("not 1 > 2 and 1 > 2", bars), none);
    EXPECT_EQ(evaluate("not not 2 > 1", bars), all);
    // Lag binds tighter than unary minus.
    EXPECT_EQ(evaluate("-close[1] == -1", bars), (Flags{0, 1}));

    EXPECT_EQ(canonical("(1 + 2) * 3 == 9"), "(1+2)*3==9");
    EXPECT_EQ(canonical("(1 + (2 * 3)) == 7"), "1+2*3==7");
    EXPECT_EQ(canonical("10 - (4 - 3) == 9"), "10-(4-3)==9");
    EXPECT_EQ(canonical("(10 - 4) - 3 == 3"), "10-4-3==3");
    EXPECT_EQ(canonical("2 > 1 or (1 > 2 and 3 < 2)"), "2>1 or 1>2 and 3<2");
    EXPECT_EQ(canonical("(2 > 1 or 1 > 2) and 3 < 2"), "(2>1 or 1>2) and 3<2");
    EXPECT_EQ(canonical("not (2 > 1) or 2 > 1"), "not 2>1 or 2>1");
    EXPECT_EQ(canonical("not (2 > 1 or 2 > 1)"), "not (2>1 or 2>1)");
    EXPECT_EQ(canonical("(close + 1)[2] > 0"), "(close+1)[2]>0");
}

TEST(Rules, LagShiftsByWholeBars) {
    const BarSeries bars = data_testing::synthetic_ohlcv(200, 5);
    const auto close = bars.view().close();
    EXPECT_EQ(evaluate("close > close[1]", bars),
              flags_where(close.size(), [&](auto t) { return t >= 1 && close[t] > close[t - 1]; }));
    EXPECT_EQ(evaluate("close[3] < open", bars), flags_where(close.size(), [&](auto t) {
                  return t >= 3 && close[t - 3] < bars.view().open()[t];
              }));
    EXPECT_EQ(evaluate("close[0] == close", bars), Flags(close.size(), 1));
    EXPECT_EQ(evaluate("(close > open)[1] or 1 > 2", bars), flags_where(close.size(), [&](auto t) {
                  return t >= 1 && close[t - 1] > bars.view().open()[t - 1];
              }));
    const BarSeries short_series = series_of({1, 2, 3});
    EXPECT_EQ(evaluate("close[5] > 0", short_series), (Flags{0, 0, 0}));
}

TEST(Rules, ComparisonWithNanIsFalse) {
    const BarSeries bars = series_of({1, 2, 3});
    EXPECT_EQ(evaluate("close[1] < 100", bars), (Flags{0, 1, 1}));
    EXPECT_EQ(evaluate("close[1] >= 0", bars), (Flags{0, 1, 1}));
    EXPECT_EQ(evaluate("close[1] != 0", bars), (Flags{0, 1, 1}));
    EXPECT_EQ(evaluate("close[1] == close[1]", bars), (Flags{0, 1, 1}));
    // A NaN condition (a lagged one) counts as false in and/or/not.
    EXPECT_EQ(evaluate("not close[1] < 100", bars), (Flags{1, 0, 0}));
    EXPECT_EQ(evaluate("(close > 0)[1] or close > 2", bars), (Flags{0, 1, 1}));
    EXPECT_EQ(evaluate("(close > 0)[1] and close > 0", bars), (Flags{0, 1, 1}));
    EXPECT_EQ(evaluate("not (close > 0)[1]", bars), (Flags{1, 0, 0}));
    // Warm-up: an average is NaN until its window is full.
    EXPECT_EQ(evaluate("sma(close, 2) > 0", bars), (Flags{0, 1, 1}));
}

TEST(Rules, CrossUpAndCrossDownByHand) {
    const BarSeries bars = series_of({1, 3, 3, 1, 2, 5, 0});
    EXPECT_EQ(evaluate("cross_up(close, 2)", bars), (Flags{0, 1, 0, 0, 0, 1, 0}));
    EXPECT_EQ(evaluate("cross_down(close, 2)", bars), (Flags{0, 0, 0, 1, 0, 0, 1}));
    // Lagged: {NaN, 1, 3, 3, 1, 2, 5}; no crossing out of a NaN.
    EXPECT_EQ(evaluate("cross_up(close[1], 2)", bars), (Flags{0, 0, 1, 0, 0, 0, 1}));
    EXPECT_EQ(evaluate("cross_down(2, close)", bars), (Flags{0, 1, 0, 0, 0, 1, 0}));
}

TEST(Rules, CrossesEqualSignalsOnAverages) {
    const BarSeries bars = data_testing::synthetic_ohlcv(1000, 21);
    const auto close = bars.view().close();
    std::vector<double> fast(close.size());
    std::vector<double> slow(close.size());
    signals::sma(close, 10, fast);
    signals::sma(close, 30, slow);
    Flags up(close.size());
    Flags down(close.size());
    signals::cross_up(fast, slow, up);
    signals::cross_down(fast, slow, down);
    EXPECT_EQ(evaluate("cross_up(sma(close,10), sma(close,30))", bars), up);
    EXPECT_EQ(evaluate("cross_down(sma(10), sma(30))", bars), down);
}

/// A random walk with flat stretches, where two averages of the same prices tie and only exact
/// rounding decides a crossing.
BarSeries with_flat_stretches(std::size_t n, std::uint64_t seed) {
    BarSeries bars = data_testing::synthetic_ohlcv(n, seed);
    for (std::size_t start = 100; start + 60 < n; start += 250) {
        for (std::size_t i = start; i < start + 60; ++i) {
            bars.close()[i] = bars.close()[start];
        }
    }
    return bars;
}

TEST(Rules, RulesWrittenLikeBuiltInStrategiesGiveTheirSignals) {
    const BarSeries bars = with_flat_stretches(2000, 31);
    const BarSeriesView v = bars.view();
    const auto close = v.close();
    const std::size_t n = v.size();
    SeriesCache cache(bars);
    std::vector<double> a(n);
    std::vector<double> b(n);
    Flags expected(n);

    signals::sma(close, 10, a);
    signals::sma(close, 30, b);
    signals::cross_up(a, b, expected);
    EXPECT_EQ(evaluate("cross_up(sma(close,10), sma(close,30))", cache), expected) << "sma_cross";

    signals::ema(close, 10, a);
    signals::ema(close, 30, b);
    signals::cross_down(a, b, expected);
    EXPECT_EQ(evaluate("cross_down(ema(10), ema(30))", cache), expected) << "sma_cross ma=ema";

    signals::macd(close, 12, 26, 9, a, b);
    signals::cross_up(a, b, expected);
    EXPECT_EQ(evaluate("cross_up(macd().macd, macd().signal)", cache), expected) << "macd_cross";

    signals::rsi(close, 14, a);
    std::fill(b.begin(), b.end(), 30.0);
    signals::cross_down(a, b, expected);
    EXPECT_EQ(evaluate("cross_down(rsi(14), 30)", cache), expected) << "rsi_reversion";

    std::vector<double> top(n);
    signals::bollinger(close, 20, 2, a, top, b);
    signals::cross_down(close, b, expected);
    EXPECT_EQ(evaluate("cross_down(close, bbands(20,2).lower)", cache), expected)
        << "bollinger_reversion";

    signals::channel(v.high(), v.low(), 20, a, b);
    EXPECT_EQ(evaluate("close > highest(high,20)[1]", cache),
              flags_where(n, [&](auto t) { return t >= 1 && close[t] > a[t - 1]; }))
        << "donchian_breakout";
}

TEST(Rules, BacktraderFunctionsEqualSignalsBitForBit) {
    const BarSeries bars = data_testing::synthetic_ohlcv(600, 42);
    const BarSeriesView v = bars.view();
    const std::size_t n = v.size();
    SeriesCache cache(bars);
    evaluate(
        "sma(close,20) > 0 or ema(12) > 0 or smma(close,14) > 0 or wilder(high,9) > 0 or "
        "rsi(14) > 0 or atr(14) > 0 or highest(high,20) > 0 or lowest(low,20) > 0 or "
        "macd(12,26,9).macd > 0 or bbands(close,20,2.5).upper > 0",
        cache);
    std::vector<double> expected(n);
    signals::sma(v.close(), 20, expected);
    expect_same_bits(cached(cache, "sma(close,20)"), expected, "sma");
    signals::ema(v.close(), 12, expected);
    expect_same_bits(cached(cache, "ema(close,12)"), expected, "ema");
    signals::smma(v.close(), 14, expected);
    expect_same_bits(cached(cache, "smma(close,14)"), expected, "smma");
    signals::smma(v.high(), 9, expected);
    expect_same_bits(cached(cache, "smma(high,9)"), expected, "wilder");
    signals::rsi(v.close(), 14, expected);
    expect_same_bits(cached(cache, "rsi(close,14)"), expected, "rsi");
    signals::atr(v.high(), v.low(), v.close(), 14, expected);
    expect_same_bits(cached(cache, "atr(14)"), expected, "atr");

    std::vector<double> highest(n);
    std::vector<double> lowest(n);
    signals::channel(v.high(), v.low(), 20, highest, lowest);
    expect_same_bits(cached(cache, "highest(high,20)"), highest, "highest");
    expect_same_bits(cached(cache, "lowest(low,20)"), lowest, "lowest");

    std::vector<double> line(n);
    std::vector<double> signal(n);
    std::vector<double> hist(n);
    signals::macd(v.close(), 12, 26, 9, line, signal);
    for (std::size_t i = 0; i < n; ++i) {
        hist[i] = line[i] - signal[i];
    }
    expect_same_bits(cached(cache, "macd(close,12,26,9).macd"), line, "macd");
    expect_same_bits(cached(cache, "macd(close,12,26,9).signal"), signal, "macd signal");
    expect_same_bits(cached(cache, "macd(close,12,26,9).hist"), hist, "macd hist");

    std::vector<double> mid(n);
    std::vector<double> top(n);
    std::vector<double> bottom(n);
    signals::bollinger(v.close(), 20, 2.5, mid, top, bottom);
    expect_same_bits(cached(cache, "bbands(close,20,2.5).upper"), top, "bbands upper");
    expect_same_bits(cached(cache, "bbands(close,20,2.5).middle"), mid, "bbands middle");
    expect_same_bits(cached(cache, "bbands(close,20,2.5).lower"), bottom, "bbands lower");
}

TEST(Rules, SourcesMayBeExpressions) {
    const BarSeries bars = data_testing::synthetic_ohlcv(300, 8);
    const BarSeriesView v = bars.view();
    const std::size_t n = v.size();
    SeriesCache cache(bars);
    evaluate("ema(rsi(14), 9) > 50 and sma((high + low) / 2, 5) > sma(hl2, 5) - 1", cache);

    std::vector<double> rsi(n);
    std::vector<double> expected(n);
    signals::rsi(v.close(), 14, rsi);
    signals::ema(rsi, 9, expected);
    expect_same_bits(cached(cache, "ema(rsi(close,14),9)"), expected, "ema of rsi");

    std::vector<double> hl2(n);
    for (std::size_t i = 0; i < n; ++i) {
        hl2[i] = (v.high()[i] + v.low()[i]) / 2;
    }
    signals::sma(hl2, 5, expected);
    expect_same_bits(cached(cache, "sma((high+low)/2,5)"), expected, "sma of an expression");
    expect_same_bits(cached(cache, "sma(hl2,5)"), expected, "sma of hl2");
}

TEST(Rules, RegistryIndicatorsEqualSpecCompute) {
    const BarSeries bars = data_testing::synthetic_ohlcv(500, 17);
    SeriesCache cache(bars);
    struct Case {
        std::string_view rule;
        std::string_view spec;
        std::size_t output;
        std::string_view key;
    };
    const Case cases[] = {
        {"cci(20) > 0", "cci(20)", 0, "cci(20)"},
        {"adx(14) > 25", "adx(14)", 0, "adx(14)"},
        {"willr() < -80", "willr(14)", 0, "willr(14)"},
        {"donchian(20).lower < close", "donchian(20)", 2, "donchian(20).lower"},
        {"stoch(14,3,sma,3,sma).slowd < 20", "stoch(14,3,0,3,0)", 1, "stoch(14,3,sma,3,sma).slowd"},
        {"supertrend(10,3).direction > 0", "supertrend(10,3)", 1, "supertrend(10,3).direction"},
        {"obv() > obv()[1]", "obv", 0, "obv()"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.rule);
        evaluate(c.rule, cache);
        const indicators::Spec spec = indicators::Spec::parse(c.spec).value();
        std::vector<std::vector<double>> outputs(spec.output_count(),
                                                 std::vector<double>(bars.size()));
        const std::vector<std::span<double>> spans(outputs.begin(), outputs.end());
        spec.compute(indicators::Inputs::from(bars.view()), spans);
        expect_same_bits(cached(cache, c.key), outputs[c.output], c.key);
    }
}

TEST(Rules, MemberOutputsNameOneColumn) {
    EXPECT_EQ(canonical("macd(12,26,9).signal < macd(12,26,9).macd"),
              "macd(close,12,26,9).signal<macd(close,12,26,9).macd");
    EXPECT_EQ(canonical("bbands(20,2).upperband > bbands(20,2).lowerband"),
              "bbands(close,20,2).upper>bbands(close,20,2).lower");
    EXPECT_EQ(canonical("keltner(20,2,10).middleband < close"), "keltner(20,2,10).middle<close");
    EXPECT_EQ(canonical("stoch(14,3,0,3,0).slowk < 20"), "stoch(14,3,sma,3,sma).slowk<20");

    const BarSeries bars = data_testing::synthetic_ohlcv(300, 4);
    SeriesCache cache(bars);
    const Flags hist_positive = evaluate("macd().hist > 0", cache);
    const Flags line_above = evaluate("macd().macd > macd().signal", cache);
    EXPECT_EQ(hist_positive, line_above);
}

TEST(Rules, PlaceholdersAreReplacedBeforeParsing) {
    const Placeholders values{{"slow", 50}, {"k", 2}, {"level", 0.25}};
    EXPECT_EQ(canonical("close > sma(close, {slow}) and volume > {k} * sma(volume, 20)", values),
              "close>sma(close,50) and volume>2*sma(volume,20)");
    EXPECT_EQ(canonical("close[{ k }] * {level} < close", values), "close[2]*0.25<close");
    EXPECT_EQ(canonical("close > {neg}", {{"neg", -1.5}}), "close>-1.5");
}

TEST(Rules, CacheComputesASharedIndicatorOnce) {
    const BarSeries bars = data_testing::synthetic_ohlcv(300, 9);
    SeriesCache cache(bars);
    evaluate("cross_up(ema(close,12), ema(close,26))", cache);
    EXPECT_EQ(cache.size(), 2U);
    const std::vector<double>* fast = cache.find("ema(close,12)");
    ASSERT_NE(fast, nullptr);

    evaluate("close > ema(12) and close > EMA(close, 26)", cache);
    EXPECT_EQ(cache.size(), 2U);
    EXPECT_EQ(cache.find("ema(close,12)"), fast);

    evaluate("rsi(14) < 70 and macd().signal > 0", cache);
    EXPECT_EQ(cache.size(), 6U);  // rsi and the three outputs of macd
    EXPECT_NE(cache.find("macd(close,12,26,9).hist"), nullptr);
}

TEST(Rules, EvaluatesAnEmptySeries) {
    const BarSeries bars;
    SeriesCache cache(bars);
    EXPECT_TRUE(evaluate("cross_up(sma(5), ema(10)) and cci(20) > 0", cache).empty());
}

TEST(Rules, EvaluateRejectsAWrongOutputSize) {
    const BarSeries bars = series_of({1, 2, 3});
    SeriesCache cache(bars);
    const Rule rule = Rule::parse("close > 1").value();
    Flags out(2);
    const Result<void> r = rule.evaluate(cache, out);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
}

TEST(Rules, SyntaxErrorShowsTheColumnWithACaret) {
    const Error e = parse_failure("cross_up(ema(close,12 ema(close,26))");
    EXPECT_EQ(e.code, ErrorCode::ParseError);
    EXPECT_EQ(e.message,
              "syntax error at column 23: expected ')' after the arguments of 'ema'\n"
              "  cross_up(ema(close,12 ema(close,26))\n"
              "                        ^");
}

TEST(Rules, SyntaxErrorsGiveTheirColumn) {
    struct Case {
        std::string_view rule;
        std::string_view message_start;
    };
    const Case cases[] = {
        {"", "syntax error at column 1: the rule is empty"},
        {"   ", "syntax error at column 1: the rule is empty"},
        {"close > 1 open", "syntax error at column 11: expected 'and', 'or' or the end"},
        {"close > 1)", "syntax error at column 10: unmatched ')'"},
        {"(close > 1", "syntax error at column 11: expected ')' to close the '(' at column 1"},
        {"close >", "syntax error at column 8: unexpected end of the rule"},
        {"close > and", "syntax error at column 9: expected a number, a field or a function"},
        {"close = 1", "syntax error at column 7: '=' is not an operator"},
        {"close > 1 & open > 1", "syntax error at column 11: write '&&' or 'and'"},
        {"close > 1 $", "syntax error at column 11: unexpected character '$'"},
        {"1 < close < 5", "syntax error at column 11: comparisons cannot be chained"},
        {"close[-1] > 0", "syntax error at column 7: expected a whole number of bars"},
        {"close[1 > 0", "syntax error at column 9: expected ']' after the lag"},
        {"macd(). > 0", "syntax error at column 9: expected an output name after '.'"},
        {"close > {slow", "syntax error at column 9: '{' without a closing '}'"},
        {"close > 1e999", "syntax error at column 9: number '1e999' is out of range"},
    };
    for (const Case& c : cases) {
        const Error e = parse_failure(c.rule);
        EXPECT_EQ(e.code, ErrorCode::ParseError) << c.rule;
        EXPECT_EQ(e.message.substr(0, c.message_start.size()), c.message_start) << e.message;
    }
}

TEST(Rules, UnknownFunctionListsTheKnownOnesSorted) {
    const Error e = parse_failure("close > foo(3)");
    EXPECT_EQ(e.code, ErrorCode::InvalidArgument);
    const std::string_view start = "unknown function 'foo' (at column 9); known: ad, adosc, adx,";
    EXPECT_EQ(e.message.substr(0, start.size()), start) << e.message;
    for (const std::string_view name : {"cross_up", "highest", "wilder", "cci", "zscore"}) {
        EXPECT_NE(e.message.find(name), std::string::npos) << name;
    }
    EXPECT_LT(e.message.find(" cci,"), e.message.find(" cross_down,"));
    EXPECT_LT(e.message.find(" cross_down,"), e.message.find(" cross_up,"));
}

TEST(Rules, NameErrorsGiveTheirColumn) {
    struct Case {
        std::string_view rule;
        std::string_view message_start;
    };
    const Case cases[] = {
        {"macd(12,26,9).sig > 0",
         "unknown output 'sig' of macd (at column 15); outputs: macd, signal, hist"},
        {"donchian(20).mid < close",
         "unknown output 'mid' of donchian (at column 14); outputs: upper, middle, lower"},
        {"close > macd()",
         "macd(close,12,26,9) has several outputs (at column 9); choose one of .macd, .signal, "
         ".hist"},
        {"donchian(20) < close",
         "donchian(20) has several outputs (at column 1); choose one of .upper, .middle, .lower"},
        {"macd()[1].signal > 0", "macd(close,12,26,9) has several outputs (at column 1)"},
        {"rsi(14).rsi > 0",
         "'rsi(close,14)' is a single value, it has no output 'rsi' (at column 9)"},
        {"close.upper > 0", "'close' is a single value, it has no output 'upper' (at column 7)"},
        {"clsoe > 1",
         "unknown field 'clsoe' (at column 1); fields: open, high, low, close, volume"},
        {"rsi > 70", "'rsi' is a function: call it, e.g. rsi(...) (at column 1)"},
    };
    for (const Case& c : cases) {
        const Error e = parse_failure(c.rule);
        EXPECT_EQ(e.code, ErrorCode::InvalidArgument) << c.rule;
        EXPECT_EQ(e.message.substr(0, c.message_start.size()), c.message_start) << e.message;
    }
}

TEST(Rules, BadArgumentsNameTheFunctionAndColumn) {
    struct Case {
        std::string_view rule;
        std::string_view message_start;
    };
    const Case cases[] = {
        {"sma(close, 0) > 1",
         "sma: period must be an integer from 1 to 100000, got 0 (at column 12)"},
        {"ema(close, 2.5) > 1",
         "ema: period must be an integer from 1 to 100000, got 2.5 (at column 12)"},
        {"rsi(100001) > 1",
         "rsi: period must be an integer from 1 to 100000, got 100001 (at column 5)"},
        {"bbands(20, -1).upper > 1",
         "bbands: devs must be a number from 0 to 100, got -1 (at column 12)"},
        {"macd(26, 12, 9).macd > 0", "macd: fast (26) must be less than slow (12) (at column 1)"},
        {"sma(close, 20, 3) > 0",
         "too many arguments for sma (at column 16); write "
         "sma([source], period=30)"},
        {"sma(close, high) > 0", "sma: period must be a number, got 'high' (at column 12)"},
        {"atr(close, 14) > 0", "atr: period must be a number, got 'close' (at column 5)"},
        {"cci(1) > 0", "cci: period must be an integer from 2 to 100000, got '1' (at column 1)"},
        {"cci(close) > 0", "cci: argument 1 must be a number, got 'close' (at column 5)"},
        {"cross_up(close) and 1 > 0", "cross_up takes two arguments, got 1 (at column 1)"},
        {"close[1.5] > 0",
         "a lag must be a whole number of bars from 0 to 100000, got 1.5 "
         "(at column 7)"},
    };
    for (const Case& c : cases) {
        const Error e = parse_failure(c.rule);
        EXPECT_EQ(e.code, ErrorCode::InvalidArgument) << c.rule;
        EXPECT_EQ(e.message.substr(0, c.message_start.size()), c.message_start) << e.message;
    }
}

TEST(Rules, UnknownPlaceholderIsNamed) {
    const Error e = parse_failure("close > sma(close, {slow})", {{"fast", 10}});
    EXPECT_EQ(e.code, ErrorCode::InvalidArgument);
    EXPECT_EQ(e.message,
              "unknown placeholder '{slow}' (at column 20); given: fast\n"
              "  close > sma(close, {slow})\n"
              "                     ^");
    EXPECT_NE(parse_failure("close > {x}").message.find("no values were given"), std::string::npos);
}

TEST(Rules, TypeErrorsGiveTheirColumn) {
    struct Case {
        std::string_view rule;
        std::string_view message_start;
    };
    const Case cases[] = {
        {"close + 1",
         "the rule must be a condition (a comparison, cross_up/cross_down, and/or/not) (at column "
         "1); 'close+1' is a number"},
        {"sma(20)", "the rule must be a condition"},
        {"close > 1 and open", "'and' needs conditions, but 'open' is a number (at column 15)"},
        {"not close", "'not' needs conditions, but 'close' is a number (at column 5)"},
        {"(close > 1) + 1 > 0", "'+' needs numbers, but 'close>1' is a condition (at column 1)"},
        {"cross_up(close > 1, 2)",
         "'cross_up' needs numbers, but 'close>1' is a condition (at column 10)"},
        {"sma(close > open, 5) > 0.5",
         "the source of sma must be a number, but 'close>open' is a condition (at column 5)"},
    };
    for (const Case& c : cases) {
        const Error e = parse_failure(c.rule);
        EXPECT_EQ(e.code, ErrorCode::ParseError) << c.rule;
        EXPECT_EQ(e.message.substr(0, c.message_start.size()), c.message_start) << e.message;
    }
}

TEST(Rules, RejectsRulesNestedTooDeeply) {
    const std::string parens = std::string(5000, '(') + "close > 1" + std::string(5000, ')');
    EXPECT_NE(parse_failure(parens).message.find("nests deeper than"), std::string::npos);
    std::string chain = "close";
    for (int i = 0; i < 1000; ++i) {
        chain += " + close";
    }
    EXPECT_NE(parse_failure(chain + " > 0").message.find("nests deeper than"), std::string::npos);
    EXPECT_NE(parse_failure(std::string(5000, '-') + "close > 0").message.find("nests deeper"),
              std::string::npos);
}

}  // namespace
}  // namespace tradpal::backtest::rules

// SPDX-License-Identifier: Apache-2.0
// Feature and label specs, the feature matrix against hand computations, the valid rows, the
// normalizer, and the splits' no-leakage rule checked by brute force.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tradpal/core/timestamp.hpp>
#include <tradpal/data_testing/helpers.hpp>
#include <tradpal/indicators/registry.hpp>
#include <tradpal/ml/dataset.hpp>

namespace tradpal::ml {
namespace {

// 2024-01-01 00:00 UTC, a Monday.
constexpr std::int64_t kMonday = 1'704'067'200LL * kNanosPerSecond;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Hourly bars from kMonday with the given closes; open, high and low around the close and a
// volume that varies, so that every indicator has something to work with.
BarSeries bars_of(const std::vector<double>& closes) {
    BarSeries bars;
    for (std::size_t i = 0; i < closes.size(); ++i) {
        const double c = closes[i];
        const double open = i == 0 ? c : closes[i - 1];
        bars.push_back(Bar{Timestamp(kMonday + static_cast<std::int64_t>(i) * kNanosPerHour), open,
                           std::max(open, c) * 1.01, std::min(open, c) * 0.99, c,
                           100.0 + static_cast<double>((i * 37) % 11)});
    }
    return bars;
}

std::vector<double> wavy_closes(std::size_t n) {
    std::vector<double> c;
    for (std::size_t i = 0; i < n; ++i) {
        c.push_back(100 * std::exp(0.02 * std::sin(0.7 * static_cast<double>(i)) +
                                   0.001 * static_cast<double>(i)));
    }
    return c;
}

Dataset build(const BarSeriesView& bars, std::string_view features, std::string_view label,
              std::size_t min_rows = 1) {
    return build_dataset(bars, FeatureSpec::parse(features).value(),
                         LabelSpec::parse(label).value(), min_rows)
        .value();
}

Error build_error(const BarSeriesView& bars, std::string_view features, std::string_view label,
                  std::size_t min_rows = 1) {
    auto d = build_dataset(bars, FeatureSpec::parse(features).value(),
                           LabelSpec::parse(label).value(), min_rows);
    EXPECT_FALSE(d);
    return d ? Error{} : d.error();
}

std::size_t column_of(const Dataset& d, std::string_view name) {
    const auto it = std::find(d.columns.begin(), d.columns.end(), name);
    EXPECT_NE(it, d.columns.end()) << name;
    return static_cast<std::size_t>(it - d.columns.begin());
}

// ---- specs

TEST(FeatureSpec, ParsesToCanonicalItemsThatRoundTrip) {
    const auto spec = FeatureSpec::parse(
        " LogRet , vol(20),volz(5), ind:RSI(14).rsi, ind:bbands.lower, ind:sar(0.02,0.2), "
        "ind:macd(12,26,9).HIST, hour, DOW");
    ASSERT_TRUE(spec) << spec.error().message;
    const std::string canonical =
        "logret(1),vol(20),volz(5),ind:rsi(14),ind:bbands(5,2,2,sma).lower,ind:sar(0.02,0.2),"
        "ind:macd(12,26,9).hist,hour,dow";
    EXPECT_EQ(spec->canonical(), canonical);
    EXPECT_EQ(FeatureSpec::parse(canonical)->canonical(), canonical);
    EXPECT_EQ(FeatureSpec::parse(kDefaultFeatures)->canonical(), kDefaultFeatures);
}

TEST(FeatureSpec, RejectsBadItemsSayingWhatIsAllowed) {
    for (const char* text :
         {"", "logret(0)", "logret(1.5)", "logret(1,2)", "vol", "vol(1)", "volz(x)", "hour(1)",
          "price", "logret(1", "logret(1),logret(1)", "logret,logret(1)"}) {
        const auto spec = FeatureSpec::parse(text);
        ASSERT_FALSE(spec) << text;
        EXPECT_EQ(spec.error().code, ErrorCode::InvalidArgument) << text;
    }
    EXPECT_NE(FeatureSpec::parse("price").error().message.find("logret(k), vol(n)"),
              std::string::npos);
    // Indicator items: unknown names, bad parameters, a missing or unknown output.
    EXPECT_NE(FeatureSpec::parse("ind:nope(3)").error().message.find("unknown indicator"),
              std::string::npos);
    EXPECT_FALSE(FeatureSpec::parse("ind:rsi(1)"));
    const std::string several = FeatureSpec::parse("ind:macd(12,26,9)").error().message;
    EXPECT_NE(several.find("macd, signal, hist"), std::string::npos) << several;
    EXPECT_NE(FeatureSpec::parse("ind:bbands.top").error().message.find("upper, middle, lower"),
              std::string::npos);
}

TEST(LabelSpec, ParsesAndRoundTrips) {
    const auto ret = LabelSpec::parse(" RET(5) ");
    ASSERT_TRUE(ret);
    EXPECT_EQ(ret->kind, LabelSpec::Kind::Return);
    EXPECT_EQ(ret->horizon, 5);
    EXPECT_EQ(ret->canonical(), "ret(5)");
    EXPECT_EQ(ret->outputs(), 1);
    const auto sign = LabelSpec::parse("sign(1)");
    EXPECT_EQ(sign->kind, LabelSpec::Kind::Sign);
    EXPECT_EQ(sign->canonical(), "sign(1)");
    const auto c3 = LabelSpec::parse("class3(3, 0.0015)");
    ASSERT_TRUE(c3);
    EXPECT_EQ(c3->kind, LabelSpec::Kind::Class3);
    EXPECT_EQ(c3->horizon, 3);
    EXPECT_EQ(c3->band, 0.0015);
    EXPECT_EQ(c3->outputs(), 3);
    EXPECT_EQ(c3->canonical(), "class3(3,0.0015)");
    EXPECT_EQ(LabelSpec::parse(c3->canonical())->band, 0.0015);
    for (const char* text : {"", "ret", "ret(0)", "ret(-1)", "sign(1,2)", "class3(3)",
                             "class3(3,-0.1)", "class3(3,nan)", "up(1)"}) {
        const auto spec = LabelSpec::parse(text);
        ASSERT_FALSE(spec) << text;
        EXPECT_EQ(spec.error().code, ErrorCode::InvalidArgument);
        EXPECT_NE(spec.error().message.find("ret(k), sign(k) or class3(k,band)"),
                  std::string::npos);
    }
}

// ---- the matrix

// Indicator outputs straight from the registry.
std::vector<double> indicator(const BarSeriesView& bars, std::string_view spec_text,
                              std::size_t output) {
    const auto spec = indicators::Spec::parse(spec_text).value();
    std::vector<std::vector<double>> out(spec.output_count(), std::vector<double>(bars.size()));
    std::vector<std::span<double>> spans(out.begin(), out.end());
    spec.compute(indicators::Inputs::from(bars), spans);
    return out[output];
}

TEST(BuildDataset, FeaturesMatchHandComputations) {
    const std::vector<double> c = wavy_closes(40);
    const BarSeries bars = bars_of(c);
    const Dataset d = build(bars,
                            "logret(1),logret(3),vol(4),volz(5),ind:sma(3),ind:atr(3),"
                            "ind:rsi(5),ind:bbands(5,2,2,sma).upper,hour,dow",
                            "ret(2)");
    ASSERT_EQ(d.rows, 40U);
    ASSERT_EQ(d.cols, 12U);
    EXPECT_EQ(d.columns,
              (std::vector<std::string>{"logret(1)", "logret(3)", "vol(4)", "volz(5)", "sma(3)",
                                        "atr(3)", "rsi(5)", "bbands(5,2,2,sma).upper", "hour_sin",
                                        "hour_cos", "dow_sin", "dow_cos"}));
    EXPECT_EQ(d.ts, std::vector<std::int64_t>(bars.view().ts().begin(), bars.view().ts().end()));
    // rsi(5) has the longest history (5 bars); vol(4) needs 4 returns, i.e. 4 bars.
    EXPECT_EQ(d.valid, (Range{5, 38}));

    const auto atr = indicator(bars, "atr(3)", 0);
    const auto rsi = indicator(bars, "rsi(5)", 0);
    const auto upper = indicator(bars, "bbands(5,2,2,sma)", 0);
    const auto vol = bars.view().volume();
    for (std::size_t t = d.valid.begin; t < d.valid.end; ++t) {
        const auto expect = [&](std::string_view col, double value) {
            EXPECT_FLOAT_EQ(d.at(t, column_of(d, col)), static_cast<float>(value))
                << col << " at row " << t;
        };
        expect("logret(1)", std::log(c[t] / c[t - 1]));
        expect("logret(3)", std::log(c[t] / c[t - 3]));
        // Population standard deviation of the last 4 one-bar returns.
        double mean = 0;
        for (std::size_t i = t - 3; i <= t; ++i) {
            mean += std::log(c[i] / c[i - 1]) / 4;
        }
        double ss = 0;
        for (std::size_t i = t - 3; i <= t; ++i) {
            ss += std::pow(std::log(c[i] / c[i - 1]) - mean, 2);
        }
        expect("vol(4)", std::sqrt(ss / 4));
        double vmean = 0;
        for (std::size_t i = t - 4; i <= t; ++i) {
            vmean += vol[i] / 5;
        }
        double vss = 0;
        for (std::size_t i = t - 4; i <= t; ++i) {
            vss += std::pow(vol[i] - vmean, 2);
        }
        expect("volz(5)", (vol[t] - vmean) / std::sqrt(vss / 5));
        // Price levels relative to the close, price differences divided by it.
        expect("sma(3)", ((c[t] + c[t - 1] + c[t - 2]) / 3) / c[t] - 1);
        expect("bbands(5,2,2,sma).upper", upper[t] / c[t] - 1);
        expect("atr(3)", atr[t] / c[t]);
        expect("rsi(5)", rsi[t]);
        const double hour = static_cast<double>(t % 24);
        const double dow = static_cast<double>(t / 24);  // from Monday 00:00
        expect("hour_sin", std::sin(2 * std::numbers::pi * hour / 24));
        expect("hour_cos", std::cos(2 * std::numbers::pi * hour / 24));
        expect("dow_sin", std::sin(2 * std::numbers::pi * dow / 7));
        expect("dow_cos", std::cos(2 * std::numbers::pi * dow / 7));
    }
    // The row before valid.begin lacks rsi(5).
    EXPECT_TRUE(std::isnan(d.at(4, column_of(d, "rsi(5)"))));
}

TEST(BuildDataset, CalendarColumnsUseTheTimeOfDayAndTheWeekday) {
    // Sunday 2024-01-07 18:30 UTC: 18.5 hours, weekday 6.
    BarSeries bars;
    const std::int64_t sunday =
        kMonday + 6 * kNanosPerDay + 18 * kNanosPerHour + 30 * kNanosPerMinute;
    bars.push_back(Bar{Timestamp(sunday), 1, 1, 1, 1, 1});
    bars.push_back(Bar{Timestamp(sunday + kNanosPerHour), 1, 1, 1, 2, 1});
    const Dataset d = build(bars, "hour,dow", "ret(1)");
    ASSERT_EQ(d.valid, (Range{0, 1}));
    EXPECT_FLOAT_EQ(d.at(0, 0), static_cast<float>(std::sin(2 * std::numbers::pi * 18.5 / 24)));
    EXPECT_FLOAT_EQ(d.at(0, 1), static_cast<float>(std::cos(2 * std::numbers::pi * 18.5 / 24)));
    EXPECT_FLOAT_EQ(d.at(0, 2), static_cast<float>(std::sin(2 * std::numbers::pi * 6 / 7)));
    EXPECT_FLOAT_EQ(d.at(0, 3), static_cast<float>(std::cos(2 * std::numbers::pi * 6 / 7)));
    EXPECT_FLOAT_EQ(d.labels[0], static_cast<float>(std::log(2.0)));
}

TEST(BuildDataset, LabelsLookExactlyHorizonBarsAhead) {
    const BarSeries bars = data_testing::synthetic_ohlcv(300, 7);
    const auto close = bars.view().close();
    for (int k : {1, 2, 5}) {
        const Dataset ret = build(bars, "logret(1)", fmt::format("ret({})", k));
        const Dataset sign = build(bars, "logret(1)", fmt::format("sign({})", k));
        const Dataset c3 = build(bars, "logret(1)", fmt::format("class3({},0.002)", k));
        const auto h = static_cast<std::size_t>(k);
        ASSERT_EQ(ret.valid, (Range{1, 300 - h}));
        for (std::size_t t = 0; t < ret.rows; ++t) {
            if (t < ret.valid.begin || t >= ret.valid.end) {
                EXPECT_TRUE(std::isnan(ret.labels[t]) && std::isnan(ret.forward_returns[t]) &&
                            std::isnan(sign.labels[t]) && std::isnan(c3.labels[t]))
                    << t;
                continue;
            }
            const double r = std::log(close[t + h] / close[t]);
            ASSERT_EQ(ret.forward_returns[t], r) << "k " << k << " row " << t;
            ASSERT_EQ(ret.labels[t], static_cast<float>(r));
            ASSERT_EQ(sign.forward_returns[t], r);
            ASSERT_EQ(sign.labels[t], r > 0 ? 1.0F : 0.0F);
            ASSERT_EQ(c3.labels[t], r < -0.002 ? 0.0F : (r > 0.002 ? 2.0F : 1.0F));
        }
    }
}

TEST(BuildDataset, NonFiniteValuesInsideTheValidRowsFail) {
    std::vector<double> c = wavy_closes(40);
    c[20] = kNaN;
    const Error nan = build_error(bars_of(c), "logret(1)", "ret(1)");
    EXPECT_EQ(nan.code, ErrorCode::ValidationFailed);
    // Row 19's label reads close[20]; that comes first.
    EXPECT_NE(nan.message.find("ret(1)"), std::string::npos) << nan.message;
    EXPECT_NE(nan.message.find(format_iso(Timestamp(kMonday + 19 * kNanosPerHour))),
              std::string::npos)
        << nan.message;

    // A zero close: the label of row 19 is -inf.
    c = wavy_closes(40);
    c[20] = 0;
    EXPECT_NE(build_error(bars_of(c), "logret(1)", "ret(1)").message.find("T19:00:00Z"),
              std::string::npos);

    // A missing volume breaks volz(5) from row 20 on, and nothing else.
    BarSeries bars = bars_of(wavy_closes(40));
    bars.volume()[20] = kNaN;
    const Error volume = build_error(bars, "logret(1),volz(5)", "ret(1)");
    EXPECT_EQ(volume.code, ErrorCode::ValidationFailed);
    EXPECT_NE(volume.message.find("'volz(5)'"), std::string::npos) << volume.message;
    EXPECT_NE(volume.message.find("2024-01-01T20:00:00Z"), std::string::npos) << volume.message;

    // Only the last close is bad: just the label of the last valid row sees it.
    c = wavy_closes(40);
    c[39] = kNaN;
    const Error last = build_error(bars_of(c), "logret(1)", "ret(1)");
    EXPECT_NE(last.message.find("label ret(1)"), std::string::npos) << last.message;

    // A bad close that no valid row reads is harmless: volz(5) starts the rows at 4, where
    // logret(1) reads closes 3 and 4.
    c = wavy_closes(40);
    c[0] = kNaN;
    EXPECT_EQ(build(bars_of(c), "volz(5),logret(1)", "ret(1)").valid, (Range{4, 39}));
}

TEST(BuildDataset, TooFewRowsFailWithTheNumbers) {
    const BarSeries bars = bars_of(wavy_closes(10));
    const Error e = build_error(bars, "vol(20)", "ret(1)");
    EXPECT_EQ(e.code, ErrorCode::ValidationFailed);
    EXPECT_NE(e.message.find("10 bars"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("20 bars of history"), std::string::npos) << e.message;
    // 10 bars, 1 of history, 1 ahead: 8 rows.
    EXPECT_EQ(build(bars, "logret(1)", "ret(1)", 8).valid.size(), 8U);
    const Error short_of = build_error(bars, "logret(1)", "ret(1)", 9);
    EXPECT_NE(short_of.message.find("leave 8 valid rows"), std::string::npos) << short_of.message;
    EXPECT_EQ(build_error(BarSeries(), "logret(1)", "ret(1)").code, ErrorCode::ValidationFailed);
    // Specs that did not come through parse() are checked too.
    const auto label = LabelSpec::parse("ret(1)").value();
    EXPECT_EQ(build_dataset(bars, FeatureSpec{}, label).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(build_dataset(bars, FeatureSpec{{"volz"}}, label).error().code,
              ErrorCode::InvalidArgument);
    EXPECT_EQ(build_dataset(bars, FeatureSpec{{"LOGRET(2)"}}, label)->columns,
              std::vector<std::string>{"logret(2)"});
    EXPECT_EQ(build_error(bars, "logret(1)", "ret(10)").code, ErrorCode::ValidationFailed);
}

// ---- normalizer

TEST(Normalizer, FitsMeanAndPopulationStdOfTheGivenRowsOnly) {
    Dataset d;
    d.rows = 5;
    d.cols = 2;
    d.features = {1, 7, 2, 7, 3, 7, 4, 7, 100, -5};
    const Normalizer n = Normalizer::fit(d, Range{0, 4});
    EXPECT_EQ(n.mean, (std::vector<double>{2.5, 7}));
    EXPECT_DOUBLE_EQ(n.stddev[0], std::sqrt(1.25));
    EXPECT_EQ(n.stddev[1], 1.0);  // constant column
    n.apply(d);
    EXPECT_FLOAT_EQ(d.at(0, 0), static_cast<float>(-1.5 / std::sqrt(1.25)));
    EXPECT_FLOAT_EQ(d.at(4, 0), static_cast<float>(97.5 / std::sqrt(1.25)));
    EXPECT_EQ(d.at(2, 1), 0.0F);
    EXPECT_EQ(d.at(4, 1), -12.0F);
}

TEST(Normalizer, DoesNotSeeRowsAfterTheTrainingRows) {
    const BarSeries bars = data_testing::synthetic_ohlcv(400, 11);
    BarSeries changed = bars;
    for (std::size_t i = 250; i < changed.size(); ++i) {
        changed.close()[i] *= 1.5 + 0.01 * static_cast<double>(i % 7);
        changed.volume()[i] *= 3;
    }
    const auto features = std::string(kDefaultFeatures);
    const Dataset a = build(bars, features, "ret(4)");
    const Dataset b = build(changed, features, "ret(4)");
    const Splits s = chronological_splits(a, 0.5, 0.2, 16, 4).value();
    ASSERT_LT(s.train.end + 4, 250U);  // the training labels end before the change
    const Range fit_rows{a.valid.begin, s.train.end};
    const Normalizer na = Normalizer::fit(a, fit_rows);
    const Normalizer nb = Normalizer::fit(b, fit_rows);
    EXPECT_EQ(na.mean, nb.mean);
    EXPECT_EQ(na.stddev, nb.stddev);
    // ... while the test rows did change.
    EXPECT_NE(Normalizer::fit(a, s.test).mean, Normalizer::fit(b, s.test).mean);
}

TEST(Normalizer, JsonRoundTripIsExact) {
    const Normalizer n{{0.1, 1.0 / 3, -2.5e-7, 123456.789}, {1, std::sqrt(2.0), 1e-9, 0.7}};
    const auto text = n.to_json().dump();
    const auto back = Normalizer::from_json(nlohmann::json::parse(text), 4);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->mean, n.mean);
    EXPECT_EQ(back->stddev, n.stddev);

    const auto j = n.to_json();
    EXPECT_EQ(Normalizer::from_json(j, 3).error().code, ErrorCode::ParseError);
    EXPECT_EQ(Normalizer::from_json(nlohmann::json::array(), 4).error().code,
              ErrorCode::ParseError);
    auto no_std = j;
    no_std.erase("stddev");
    EXPECT_FALSE(Normalizer::from_json(no_std, 4));
    auto zero_std = j;
    zero_std["stddev"][2] = 0.0;
    EXPECT_FALSE(Normalizer::from_json(zero_std, 4));
    auto text_mean = j;
    text_mean["mean"][0] = "0.1";
    EXPECT_FALSE(Normalizer::from_json(text_mean, 4));
}

// ---- splits

// A dataset of `rows` rows of which [begin, end) are valid; the splits only read those.
Dataset shell(std::size_t rows, std::size_t begin, std::size_t end) {
    Dataset d;
    d.rows = rows;
    d.valid = {begin, end};
    return d;
}

// The no-leakage rule by brute force: for every sample t of an earlier split and u of a later
// one, t's label (reading up to bar t + horizon) ends before u's window (from u - seq_len + 1).
void expect_no_leak(const Range& earlier, const Range& later, std::size_t seq_len,
                    std::size_t horizon) {
    for (std::size_t t = earlier.begin; t < earlier.end; ++t) {
        for (std::size_t u = later.begin; u < later.end; ++u) {
            ASSERT_LT(t + horizon, u - seq_len + 1) << "t " << t << " u " << u;
        }
    }
}

void expect_inside(const Dataset& d, const Range& r, std::size_t seq_len) {
    ASSERT_GT(r.size(), 0U);
    EXPECT_GE(r.begin - seq_len + 1, d.valid.begin);
    EXPECT_LE(r.end, d.valid.end);
}

TEST(ChronologicalSplits, NoLabelSeesALaterSplitsWindows) {
    const Dataset d = shell(400, 30, 390);
    for (const std::size_t seq_len : {1U, 2U, 16U, 40U}) {
        for (const std::size_t horizon : {1U, 3U, 12U}) {
            SCOPED_TRACE(fmt::format("seq_len {} horizon {}", seq_len, horizon));
            const Splits s = chronological_splits(d, 0.6, 0.2, seq_len, horizon).value();
            expect_inside(d, s.train, seq_len);
            expect_inside(d, s.validation, seq_len);
            expect_inside(d, s.test, seq_len);
            expect_no_leak(s.train, s.validation, seq_len, horizon);
            expect_no_leak(s.validation, s.test, seq_len, horizon);
            expect_no_leak(s.train, s.test, seq_len, horizon);
            // No rows are wasted: the first window starts at the valid rows, the gaps are
            // exactly `horizon` rows, and the test runs to the last labelled row.
            EXPECT_EQ(s.train.begin, d.valid.begin + seq_len - 1);
            EXPECT_EQ(s.validation.begin - seq_len + 1, s.train.end + horizon);
            EXPECT_EQ(s.test.begin - seq_len + 1, s.validation.end + horizon);
            EXPECT_EQ(s.test.end, d.valid.end);
            // Split rows: 60% (216), 20% (72) and the rest of the 360 valid rows.
            EXPECT_EQ(s.train.end + horizon, 30U + 216U);
            EXPECT_EQ(s.validation.end + horizon, 30U + 216U + 72U);
        }
    }
}

TEST(ChronologicalSplits, RejectsSplitsWithoutSamples) {
    const Dataset d = shell(100, 0, 100);
    for (const auto& [train, validation, seq_len, horizon] :
         std::vector<std::tuple<double, double, std::size_t, std::size_t>>{
             {0.0, 0.2, 1, 1},
             {0.8, 0.2, 1, 1},
             {0.6, 0.0, 1, 1},
             {0.6, 0.2, 0, 1},
             {0.6, 0.2, 30, 1},  // the validation (20 rows) cannot hold a 30-row window
             {0.6, 0.1, 5, 6},   // 10 rows: 5 for the window and 6 for the gap do not fit
             {0.98, 0.01, 1, 1}}) {
        const auto s = chronological_splits(d, train, validation, seq_len, horizon);
        ASSERT_FALSE(s) << train << " " << validation << " " << seq_len << " " << horizon;
        EXPECT_EQ(s.error().code, ErrorCode::InvalidArgument);
    }
    EXPECT_FALSE(chronological_splits(shell(10, 5, 5), 0.6, 0.2, 1, 1));
}

TEST(ChronologicalSplits, TrainLabelsEndBeforeTheValidationWindowsOnRealBars) {
    // The rule above, read on a real dataset: the last training label reads close[t + h], a bar
    // before the first row any validation window holds.
    const BarSeries bars = data_testing::synthetic_ohlcv(500, 3);
    const Dataset d = build(bars, kDefaultFeatures, "ret(6)");
    const Splits s = chronological_splits(d, 0.7, 0.15, 32, 6).value();
    const std::size_t t = s.train.end - 1;
    EXPECT_EQ(d.forward_returns[t], std::log(bars.view().close()[t + 6] / bars.view().close()[t]));
    EXPECT_LT(t + 6, s.validation.begin - 32 + 1);
}

TEST(WalkForwardSplits, FoldsAreOrderedExpandingAndLeakFree) {
    const Dataset d = shell(1000, 50, 990);
    for (const std::size_t seq_len : {1U, 8U, 30U}) {
        for (const std::size_t horizon : {1U, 5U}) {
            SCOPED_TRACE(fmt::format("seq_len {} horizon {}", seq_len, horizon));
            const auto folds = walk_forward_splits(d, 4, 0.25, seq_len, horizon).value();
            ASSERT_EQ(folds.size(), 4U);
            // 940 valid rows in 5 blocks of 188: 4 test blocks at the end.
            for (std::size_t k = 0; k < folds.size(); ++k) {
                const Splits& s = folds[k];
                expect_inside(d, s.train, seq_len);
                expect_inside(d, s.validation, seq_len);
                expect_inside(d, s.test, seq_len);
                expect_no_leak(s.train, s.validation, seq_len, horizon);
                expect_no_leak(s.validation, s.test, seq_len, horizon);
                EXPECT_EQ(s.train.begin, d.valid.begin + seq_len - 1);
                EXPECT_EQ(s.test.begin - seq_len + 1, 990 - (4 - k) * 188);
                EXPECT_EQ(s.test.end, 990 - (3 - k) * 188);
                if (k > 0) {
                    const Splits& prev = folds[k - 1];
                    EXPECT_LE(prev.test.end, s.test.begin);  // ordered, disjoint
                    EXPECT_GT(s.train.end, prev.train.end);  // expanding
                    EXPECT_EQ(s.train.begin, prev.train.begin);
                }
            }
            EXPECT_EQ(folds.back().test.end, d.valid.end);
        }
    }
    EXPECT_FALSE(walk_forward_splits(d, 0, 0.2, 8, 1));
    EXPECT_FALSE(walk_forward_splits(d, 940, 0.2, 8, 1));
    EXPECT_FALSE(walk_forward_splits(d, 4, 0.0, 8, 1));
    EXPECT_FALSE(walk_forward_splits(d, 4, 0.2, 200, 1));  // a window longer than a test block
}

}  // namespace
}  // namespace tradpal::ml

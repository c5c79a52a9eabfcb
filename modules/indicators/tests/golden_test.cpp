// SPDX-License-Identifier: Apache-2.0
// Every indicator against its golden file (TA-Lib 0.6.4's output, or ours for indicators TA-Lib
// lacks), in both forms: batch and streaming are run on the same input and checked against the
// same reference, then against each other to 1e-12.
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <tradpal/indicators/registry.hpp>

#include "golden_support.hpp"

namespace tradpal::indicators {
namespace {

using testing::golden_input;
using testing::oracle_dir;
using testing::read_table;

std::vector<const IndicatorInfo*> all() {
    std::vector<const IndicatorInfo*> out;
    for (const IndicatorInfo& info : all_indicators()) {
        out.push_back(&info);
    }
    return out;
}

// Runs `spec` both ways over `bars`; returns the batch outputs and checks the streaming ones.
std::vector<std::vector<double>> run_both(const Spec& spec, const BarSeries& bars) {
    const std::size_t n = bars.size();
    std::vector<std::vector<double>> batch(spec.output_count(), std::vector<double>(n));
    std::vector<std::span<double>> spans(batch.begin(), batch.end());
    spec.compute(Inputs::from(bars), spans);

    auto stream = spec.stream();
    std::vector<double> values(spec.output_count());
    for (std::size_t i = 0; i < n; ++i) {
        stream->update(bars.bar(i));
        stream->values(values);
        for (std::size_t o = 0; o < values.size(); ++o) {
            const double b = batch[o][i];
            const double s = values[o];
            if (std::isnan(b) || std::isnan(s)) {
                EXPECT_TRUE(std::isnan(b) && std::isnan(s))
                    << spec.canonical() << " output " << o << " row " << i << ": batch " << b
                    << ", stream " << s;
            } else {
                EXPECT_LE(std::fabs(b - s), 1e-12 * std::max(1.0, std::fabs(b)))
                    << spec.canonical() << " output " << o << " row " << i << ": batch " << b
                    << ", stream " << s;
            }
            if (::testing::Test::HasFailure()) {
                return batch;  // one mismatch says enough
            }
        }
    }
    return batch;
}

class Golden : public ::testing::TestWithParam<const IndicatorInfo*> {};

TEST_P(Golden, MatchesTheReferenceInBothForms) {
    const IndicatorInfo& info = *GetParam();
    const auto oracle = oracle_dir();
    if (!oracle) {
        GTEST_SKIP() << "../shared/oracle/talib is absent";
    }
    const Spec spec = Spec::parse(info.golden).value();
    const auto file = info.talib ? *oracle / "visible_gbm_5000" / (spec.file_stem() + ".csv")
                                 : testing::our_golden_dir() / (spec.file_stem() + ".csv");
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    const BarSeries bars = golden_input(*oracle);
    const auto ref = read_table(file);
    ASSERT_EQ(ref.header.size(), spec.output_count() + 1) << file;
    for (std::size_t o = 0; o < spec.output_count(); ++o) {
        ASSERT_EQ(ref.header[o + 1], info.outputs[o]) << file;
    }
    const auto ours = run_both(spec, bars);
    const std::size_t lookback = spec.lookback();
    for (std::size_t o = 0; o < spec.output_count(); ++o) {
        const auto& expected = ref.columns[o + 1];
        // TA-Lib's files cover the whole input; ours may cover a prefix of it.
        if (info.talib) {
            ASSERT_EQ(expected.size(), bars.size());
        }
        ASSERT_LE(expected.size(), bars.size());
        ASSERT_GT(expected.size(), lookback + 100) << "golden file too short to say much";
        // The first valid row is TA-Lib's lookback.
        std::size_t first = 0;
        while (first < expected.size() && std::isnan(expected[first])) {
            ++first;
        }
        EXPECT_EQ(first, lookback) << spec.canonical() << ": golden file starts at row " << first;
        std::size_t bad = 0;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const double e = expected[i];
            const double g = ours[o][i];
            const bool both_nan = std::isnan(e) && std::isnan(g);
            const bool close = !std::isnan(e) && !std::isnan(g) &&
                               std::fabs(g - e) <= info.tolerance * std::max(1.0, std::fabs(e));
            if (!both_nan && !close && bad++ < 5) {
                ADD_FAILURE() << fmt::format("{} {} row {}: ours {:.17g}, reference {:.17g}",
                                             spec.canonical(), info.outputs[o], i, g, e);
            }
        }
        EXPECT_EQ(bad, 0U) << spec.canonical() << " " << info.outputs[o];
    }
}

INSTANTIATE_TEST_SUITE_P(AllIndicators, Golden, ::testing::ValuesIn(all()),
                         [](const ::testing::TestParamInfo<const IndicatorInfo*>& param) {
                             return std::string(param.param->name);
                         });

// Every TA-Lib reference file is covered by an indicator, and every indicator has a golden file.
TEST(GoldenCoverage, EveryReferenceFileHasAnIndicatorAndBack) {
    const auto oracle = oracle_dir();
    if (!oracle) {
        GTEST_SKIP() << "../shared/oracle/talib is absent";
    }
    std::set<std::string> covered;
    for (const IndicatorInfo& info : all_indicators()) {
        ASSERT_FALSE(info.golden.empty()) << info.name << " has no golden case";
        const Spec spec = Spec::parse(info.golden).value();
        covered.insert(spec.file_stem() + ".csv");
        if (!info.talib) {
            EXPECT_TRUE(
                std::filesystem::exists(testing::our_golden_dir() / (spec.file_stem() + ".csv")))
                << info.name << " has no golden file in testdata/golden/indicators";
        }
    }
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(*oracle / "visible_gbm_5000")) {
        const std::string name = entry.path().filename().string();
        if (name.ends_with(".csv")) {
            ++files;
            EXPECT_TRUE(covered.count(name) == 1) << name << " has no indicator";
        }
    }
    EXPECT_EQ(files, 51U);
}

}  // namespace
}  // namespace tradpal::indicators

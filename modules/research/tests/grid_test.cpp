// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/research/grid.hpp>

namespace tradpal::research {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParamAxis, RangesListsAndSingleValues) {
    EXPECT_THAT(ParamAxis::parse("fast=5:9:2").value().values, ElementsAre("5", "7", "9"));
    EXPECT_THAT(ParamAxis::parse(" stop_loss = 0:0.3:0.1 ").value().values,
                ElementsAre("0", "0.1", "0.2", "0.3"));
    EXPECT_THAT(ParamAxis::parse("slow=20:29:5").value().values, ElementsAre("20", "25"));
    EXPECT_THAT(ParamAxis::parse("ma=sma,ema").value().values, ElementsAre("sma", "ema"));
    const ParamAxis single = ParamAxis::parse("fast=10").value();
    EXPECT_EQ(single.name, "fast");
    EXPECT_THAT(single.values, ElementsAre("10"));
}

TEST(ParamAxis, BadAxesNameTheirMistake) {
    const auto error = [](const char* text) {
        return ParamAxis::parse(text).error().message;
    };
    EXPECT_THAT(error("fast"), HasSubstr("expected name=start:stop:step"));
    EXPECT_THAT(error("fast=10:5:1"), HasSubstr("fast: the range 10:5 is empty"));
    EXPECT_THAT(error("fast=1:5:0"), HasSubstr("the step must be > 0"));
    EXPECT_THAT(error("fast=a:5:1"), HasSubstr("'a' is not a number"));
    EXPECT_THAT(error("fast=1:5"), HasSubstr("start:stop:step"));
    EXPECT_THAT(error("ma=sma,,ema"), HasSubstr("an empty value"));
    EXPECT_THAT(error("fast=0:1e9:1"), HasSubstr("too many"));
}

ParameterGrid grid_of(std::vector<const char*> axes) {
    std::vector<ParamAxis> parsed;
    for (const char* axis : axes) {
        parsed.push_back(ParamAxis::parse(axis).value());
    }
    return ParameterGrid::make(std::move(parsed)).value();
}

TEST(ParameterGrid, EnumeratesEveryCombinationLastAxisFastest) {
    const ParameterGrid grid = grid_of({"fast=5:7:1", "ma=sma,ema"});
    ASSERT_EQ(grid.size(), 6U);
    EXPECT_THAT(grid.assignments(0), ElementsAre("fast=5", "ma=sma"));
    EXPECT_THAT(grid.assignments(1), ElementsAre("fast=5", "ma=ema"));
    EXPECT_THAT(grid.assignments(5), ElementsAre("fast=7", "ma=ema"));
    std::vector<ParamAxis> twice = {ParamAxis::parse("fast=1").value(),
                                    ParamAxis::parse("fast=2").value()};
    EXPECT_THAT(ParameterGrid::make(twice).error().message, HasSubstr("given twice"));
    EXPECT_EQ(ParameterGrid::make({}).value().size(), 1U);  // no axis: the one fixed set
}

TEST(ParameterGrid, SamplesAreDistinctSortedAndReproducible) {
    const ParameterGrid grid = grid_of({"fast=1:100:1", "slow=1:100:1"});
    const auto a = grid.sample(500, 7);
    ASSERT_EQ(a.size(), 500U);
    EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
    EXPECT_EQ(std::set<std::uint64_t>(a.begin(), a.end()).size(), 500U);
    EXPECT_LT(a.back(), grid.size());
    EXPECT_EQ(grid.sample(500, 7), a);
    EXPECT_NE(grid.sample(500, 8), a);
    EXPECT_EQ(grid.sample(20'000, 7).size(), 10'000U);  // more than the grid: all of it
}

}  // namespace
}  // namespace tradpal::research

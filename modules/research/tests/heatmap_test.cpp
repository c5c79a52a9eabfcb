// SPDX-License-Identifier: Apache-2.0
#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tradpal/core/error.hpp>
#include <tradpal/research/heatmap.hpp>

namespace tradpal::research {
namespace {

using ::testing::HasSubstr;

Heatmap small() {
    Heatmap map;
    map.title = "sharpe of sma_cross <test>";
    map.x_name = "fast";
    map.y_name = "slow";
    map.x_values = {"5", "10", "15"};
    map.y_values = {"20", "40"};
    map.cells = {1.0, 2.0, NAN, -1.0, 0.5, 3.0};
    return map;
}

TEST(Heatmap, OneCellPerSetDarkestForTheBest) {
    const std::string svg = heatmap_svg(small());
    EXPECT_THAT(svg, ::testing::StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    EXPECT_THAT(svg, HasSubstr("sharpe of sma_cross &lt;test&gt;"));
    EXPECT_THAT(svg, HasSubstr("fill=\"#08306b\"><title>fast=15 slow=40: 3</title>"));
    EXPECT_THAT(svg, HasSubstr("fill=\"#fff7bc\"><title>fast=5 slow=40: -1</title>"));
    EXPECT_THAT(svg, HasSubstr("fill=\"#e5e7eb\"><title>fast=15 slow=20: none</title>"));
    EXPECT_THAT(svg, HasSubstr(">3 (best)</text>"));
    EXPECT_THAT(svg, ::testing::EndsWith("</svg>\n"));
}

TEST(Heatmap, LowerIsBetterTurnsTheScale) {
    Heatmap map = small();
    map.lower_is_better = true;
    const std::string svg = heatmap_svg(map);
    EXPECT_THAT(svg, HasSubstr("fill=\"#08306b\"><title>fast=5 slow=40: -1</title>"));
    EXPECT_THAT(svg, HasSubstr(">-1 (best)</text>"));
}

TEST(Heatmap, CellsMustMatchTheAxes) {
    Heatmap map = small();
    map.cells.pop_back();
    EXPECT_THROW(heatmap_svg(map), Exception);
}

}  // namespace
}  // namespace tradpal::research

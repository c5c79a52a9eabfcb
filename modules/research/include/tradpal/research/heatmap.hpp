// SPDX-License-Identifier: Apache-2.0
// A heat-map of a metric over a two-parameter sweep, as a self-contained SVG image.
#pragma once

#include <string>
#include <vector>

namespace tradpal::research {

struct Heatmap {
    std::string title;
    std::string x_name;  ///< the parameter across (columns)
    std::string y_name;  ///< the parameter down (rows)
    std::vector<std::string> x_values;
    std::vector<std::string> y_values;
    /// Row by row: cells[y * x_values.size() + x]; NaN where there is no value (a refused set,
    /// an undefined metric).
    std::vector<double> cells;
    bool lower_is_better = false;  ///< darker is better either way
};

/// The SVG text: one cell per set, darker for better, a legend with the range, each cell's
/// parameters and value as a tooltip. Throws: tradpal::Exception (InvalidArgument) when the
/// cells do not match the axes.
std::string heatmap_svg(const Heatmap& map);

}  // namespace tradpal::research

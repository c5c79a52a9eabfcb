// SPDX-License-Identifier: Apache-2.0
// Parameter grids for sweeps: axes parsed from "name=start:stop:step" or "name=a,b,c", every
// combination in a fixed order, or a seeded random sample of them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/core/result.hpp>

namespace tradpal::research {

/// One swept parameter and its values, as the text a "name=value" assignment takes.
struct ParamAxis {
    std::string name;
    std::vector<std::string> values;

    /// "fast=5:100:1" (start, stop inclusive, step > 0), "ma=sma,ema" (a list) or "fast=10".
    /// Errors: InvalidArgument naming the axis for a missing '=', an empty or descending
    /// range, a step <= 0, a value that is not a number, or more than 10^7 values.
    static Result<ParamAxis> parse(std::string_view text);
};

/// Every combination of the axes' values. Set k's assignments list the axes in order; the
/// last axis varies fastest.
class ParameterGrid {
public:
    /// Errors: InvalidArgument when an axis repeats or the grid has more than 2^40 sets.
    static Result<ParameterGrid> make(std::vector<ParamAxis> axes);

    std::uint64_t size() const noexcept { return size_; }
    std::span<const ParamAxis> axes() const noexcept { return axes_; }
    /// "name=value" for each axis of set `index` (< size()).
    std::vector<std::string> assignments(std::uint64_t index) const;

    /// `count` distinct set indices drawn uniformly with `seed`, ascending (all of them when
    /// count >= size()). The same seed gives the same sample on every machine.
    std::vector<std::uint64_t> sample(std::uint64_t count, std::uint64_t seed) const;

private:
    std::vector<ParamAxis> axes_;
    std::uint64_t size_ = 1;
};

}  // namespace tradpal::research

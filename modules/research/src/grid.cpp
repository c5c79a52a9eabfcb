// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

#include <fmt/format.h>

#include <tradpal/core/rng.hpp>
#include <tradpal/core/text.hpp>
#include <tradpal/research/grid.hpp>

namespace tradpal::research {
namespace {

// GCC and Clang's 128-bit integers; __extension__ keeps -Wpedantic quiet about them.
__extension__ using UInt128 = unsigned __int128;

constexpr std::size_t kMaxAxisValues = 10'000'000;
constexpr std::uint64_t kMaxSets = std::uint64_t{1} << 40;

Result<double> number(std::string_view axis, std::string_view text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("--grid {}: '{}' is not a number", axis, text));
    }
    return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const std::size_t end = text.find(separator, start);
        parts.push_back(trim(text.substr(start, end - start)));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + 1;
    }
}

}  // namespace

Result<ParamAxis> ParamAxis::parse(std::string_view text) {
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos || trim(text.substr(0, equals)).empty()) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("--grid '{}': expected name=start:stop:step or name=a,b,c", text));
    }
    ParamAxis axis;
    axis.name = std::string(trim(text.substr(0, equals)));
    const std::string_view spec = trim(text.substr(equals + 1));
    if (spec.find(':') != std::string_view::npos) {
        const auto parts = split(spec, ':');
        if (parts.size() != 3) {
            return fail(
                ErrorCode::InvalidArgument,
                fmt::format("--grid {}: a range is start:stop:step, got '{}'", axis.name, spec));
        }
        double bounds[3] = {};
        for (std::size_t k = 0; k < 3; ++k) {
            auto v = number(axis.name, parts[k]);
            if (!v) {
                return v.error();
            }
            bounds[k] = *v;
        }
        const auto [start, stop, step] = bounds;
        if (!(step > 0)) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("--grid {}: the step must be > 0, got {}", axis.name, step));
        }
        if (stop < start) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("--grid {}: the range {}:{} is empty (stop < start)", axis.name,
                                    start, stop));
        }
        // Values start + k * step (no accumulated rounding); the stop is included up to a
        // relative 1e-9, so 0:0.3:0.1 ends at 0.3.
        const double steps = std::floor((stop - start) / step * (1 + 1e-9) + 1e-9);
        if (steps + 1 > static_cast<double>(kMaxAxisValues)) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("--grid {}: {} values is too many", axis.name, steps + 1));
        }
        for (std::size_t k = 0; k <= static_cast<std::size_t>(steps); ++k) {
            // 15 significant digits: 0.1 * 3 is written 0.3, as the user meant it.
            axis.values.push_back(fmt::format("{:.15g}", start + static_cast<double>(k) * step));
        }
        return axis;
    }
    for (const std::string_view value : split(spec, ',')) {
        if (value.empty()) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("--grid {}: an empty value in '{}'", axis.name, spec));
        }
        axis.values.emplace_back(value);
    }
    return axis;
}

Result<ParameterGrid> ParameterGrid::make(std::vector<ParamAxis> axes) {
    ParameterGrid grid;
    std::unordered_set<std::string> names;
    for (const ParamAxis& axis : axes) {
        if (!names.insert(axis.name).second) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("--grid {} is given twice", axis.name));
        }
        if (axis.values.empty() ||
            grid.size_ > kMaxSets / static_cast<std::uint64_t>(axis.values.size())) {
            return fail(
                ErrorCode::InvalidArgument,
                fmt::format("the grid has no sets or more than 2^40 (at --grid {})", axis.name));
        }
        grid.size_ *= axis.values.size();
    }
    grid.axes_ = std::move(axes);
    return grid;
}

std::vector<std::string> ParameterGrid::assignments(std::uint64_t index) const {
    std::vector<std::string> out(axes_.size());
    for (std::size_t k = axes_.size(); k-- > 0;) {
        const auto n = static_cast<std::uint64_t>(axes_[k].values.size());
        out[k] = axes_[k].name + "=" + axes_[k].values[index % n];
        index /= n;
    }
    return out;
}

std::vector<std::uint64_t> ParameterGrid::sample(std::uint64_t count, std::uint64_t seed) const {
    std::vector<std::uint64_t> picked;
    if (count >= size_) {
        picked.resize(size_);
        for (std::uint64_t k = 0; k < size_; ++k) {
            picked[k] = k;
        }
        return picked;
    }
    // Floyd's algorithm: count draws, each adding one new index, whatever the grid size.
    Rng rng(seed);
    std::unordered_set<std::uint64_t> chosen;
    for (std::uint64_t j = size_ - count; j < size_; ++j) {
        // Uniform in [0, j] by the high half of a 64 x 64-bit product (bias below 2^-23).
        const auto t =
            static_cast<std::uint64_t>((static_cast<UInt128>(rng.next()) * (j + 1)) >> 64);
        chosen.insert(chosen.contains(t) ? j : t);
    }
    picked.assign(chosen.begin(), chosen.end());
    std::sort(picked.begin(), picked.end());
    return picked;
}

}  // namespace tradpal::research

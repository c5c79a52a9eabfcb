// SPDX-License-Identifier: Apache-2.0
// A price series for the indicator tests: a random walk from 100 in steps of about 1%.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <tradpal/core/rng.hpp>

namespace tradpal::indicators::testing {

inline std::vector<double> random_walk(std::size_t n, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<double> x;
    double v = 100;
    for (std::size_t i = 0; i < n; ++i) {
        v *= 1 + 0.01 * rng.normal();
        x.push_back(v);
    }
    return x;
}

}  // namespace tradpal::indicators::testing

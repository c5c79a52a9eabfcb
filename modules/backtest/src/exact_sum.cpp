// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <utility>

#include <tradpal/backtest/detail/exact_sum.hpp>

namespace tradpal::backtest::detail {

double exact_sum(std::span<const double> a, std::span<const double> b,
                 std::vector<double>& partials) {
    // Shewchuk's exact summation into non-overlapping partials of increasing magnitude...
    partials.clear();
    double special = 0;  // infinities and NaNs have no partials: their sum is the answer
    bool has_special = false;
    const auto add = [&](double x) {
        if (!std::isfinite(x)) {
            special += x;
            has_special = true;
            return;
        }
        std::size_t kept = 0;
        for (double y : partials) {
            if (std::fabs(x) < std::fabs(y)) {
                std::swap(x, y);
            }
            const double hi = x + y;
            const double lo = y - (hi - x);
            if (lo != 0) {
                partials[kept++] = lo;
            }
            x = hi;
        }
        partials.resize(kept);
        partials.push_back(x);
    };
    for (const double x : a) {
        add(x);
    }
    for (const double x : b) {
        add(x);
    }
    if (has_special) {
        return special;
    }
    if (partials.empty()) {
        return 0.0;
    }
    // ...then one rounding of their sum, from the largest down, half to even, corrected when
    // the partials below make an apparent tie not a tie.
    std::size_t n = partials.size();
    double hi = partials[--n];
    double lo = 0;
    while (n > 0) {
        const double x = hi;
        const double y = partials[--n];
        hi = x + y;
        lo = y - (hi - x);
        if (lo != 0) {
            break;
        }
    }
    if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
        const double twice = lo * 2;
        const double x = hi + twice;
        if (twice == x - hi) {
            hi = x;
        }
    }
    return hi;
}

}  // namespace tradpal::backtest::detail

// SPDX-License-Identifier: Apache-2.0
// Walk-forward optimisation: choose the parameters on each in-sample window by a sweep, trade
// them on the out-of-sample window that follows, and stitch the out-of-sample equity.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/research/sweep.hpp>

namespace tradpal::research {

struct WalkForwardOptions {
    std::int64_t train_ns = 0;
    std::int64_t test_ns = 0;
    std::int64_t step_ns = 0;  ///< 0: the test length
    bool anchored = false;     ///< every training window starts at the first bar
    RankMetric metric;
    int threads = 0;
};

/// One in-sample / out-of-sample pair.
struct WalkWindow {
    std::int64_t train_start_ns = 0;
    std::int64_t train_end_ns = 0;        ///< exclusive; the test starts here
    std::int64_t test_end_ns = 0;         ///< exclusive
    std::optional<std::uint64_t> chosen;  ///< the grid set that ranked first in sample
    double in_sample_score = 0;
    backtest::Metrics out_of_sample;  ///< of the test window alone
};

struct WalkForwardResult {
    std::vector<WalkWindow> windows;
    /// The out-of-sample windows one after the other, each starting flat with the equity the
    /// previous one ended with (an open position valued at its last close).
    std::vector<std::int64_t> ts;
    std::vector<double> equity;
    /// Metrics of that equity; trades, commission and exposure over all windows (the trade
    /// statistics themselves are per window).
    backtest::Metrics stitched;
    std::uint64_t parameter_changes = 0;  ///< windows whose choice differs from the previous
};

/// Walks forward over `series`: windows of train_ns then test_ns, moved by step_ns until a
/// test window would pass the last bar. Each test window trades the set that ranked first on
/// its training window (request.sets, by options.metric); signals are computed from the first
/// bar of the series, so indicators are warm when a test window starts.
/// Errors: InvalidArgument for lengths <= 0 or a series too short for one window.
Result<WalkForwardResult> walk_forward(
    const backtest::SymbolSeries& series, const SweepRequest& request,
    const WalkForwardOptions& options,
    const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace tradpal::research

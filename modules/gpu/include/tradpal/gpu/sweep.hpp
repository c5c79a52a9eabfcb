// SPDX-License-Identifier: Apache-2.0
// The GPU sweep: many runs of crossover strategies (sma_cross with simple or exponential
// averages) over one or more symbols at once, one CUDA thread per run, each giving the
// backtest::Metrics that backtest::simulate_cross_metrics gives for the same lines and config,
// bit for bit (the per-bar arithmetic is the simulator's own, see cross_kernel.hpp). The
// lines are computed on the host (once per symbol and period, by the caller) and uploaded
// once per batch; each thread reads only its bars and its two lines and writes one return
// per day, which the host finishes into metrics with the simulator's code.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/metrics.hpp>
#include <tradpal/backtest/types.hpp>
#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/result.hpp>
#include <tradpal/gpu/device.hpp>

namespace tradpal::gpu {

/// One run: line `a` crossing line `b` over one symbol (build_signals' mirrored sets: a cross
/// up enters long and covers a short, a cross down exits a long and, with shorts, opens one).
struct CrossRun {
    std::uint32_t symbol = 0;  ///< index into CrossBatch::symbols
    std::uint32_t a = 0;       ///< index into CrossBatch::lines, a line of that symbol
    std::uint32_t b = 0;
    std::uint32_t config = 0;  ///< index into CrossBatch::configs
    bool allow_short = false;
};

/// What a batch reads; the spans must outlive the call.
struct CrossBatch {
    std::vector<BarSeriesView> symbols;          ///< bars that passed validate_bars()
    std::vector<std::span<const double>> lines;  ///< each as long as its symbol's bars
    std::vector<backtest::Config> configs;       ///< each passed Config::validate()
    std::vector<CrossRun> runs;
};

/// Why the GPU sweep cannot run a set with this config and these protective orders (the
/// caller runs it on the CPU), or an empty view when it can.
std::string_view cross_unsupported(const backtest::Config& config,
                                   const backtest::Protection& protection) noexcept;

/// The metrics of every run of `batch`, in its order. `device`: the CUDA device to use (else
/// the one with the most free memory). Errors: Unavailable (no toolkit, driver or device, or
/// the device failed: the caller falls back to the CPU), InvalidArgument (an index out of
/// range, a line of the wrong length, a run cross_unsupported() refuses).
Result<std::vector<backtest::Metrics>> simulate_cross_batch(const CrossBatch& batch,
                                                            Backend backend = Backend::Device,
                                                            std::optional<int> device = {});

}  // namespace tradpal::gpu

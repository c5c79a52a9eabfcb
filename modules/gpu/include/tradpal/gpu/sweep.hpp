// SPDX-License-Identifier: Apache-2.0
// The GPU sweep: many runs of the built-in strategies (sma_cross, macd_cross, rsi_reversion,
// bollinger_reversion, donchian_breakout) over one or more symbols at once, one CUDA thread
// per run, each giving the backtest::Metrics that the CPU simulator gives for the same
// signals and config, bit for bit (the per-bar arithmetic is the simulator's own, see
// sweep_kernel.hpp). The lines the signals come from (averages, RSI, bands, channels) are
// computed on the host by the caller and uploaded once per batch; each thread reads its bars
// and lines and writes one return per day, which the host finishes into metrics with the
// simulator's code. Protective orders and every sizing mode run there too (risk_atr reads an
// ATR line). A batch larger than [gpu] memory_limit allows runs in passes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include <tradpal/backtest/config.hpp>
#include <tradpal/backtest/metrics.hpp>
#include <tradpal/backtest/types.hpp>
#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/result.hpp>
#include <tradpal/gpu/device.hpp>
#include <tradpal/gpu/sweep_kernel.hpp>

namespace tradpal::gpu {

/// The lines a rule reads: 2 (Cross), 1 (Levels), 3 (Bands), 4 (Breakout).
constexpr std::size_t line_count(RuleKind kind) noexcept {
    switch (kind) {
        case RuleKind::Cross:
            return 2;
        case RuleKind::Levels:
            return 1;
        case RuleKind::Bands:
            return 3;
        case RuleKind::Breakout:
            return 4;
    }
    return 0;
}

/// SweepRun::atr_line when the sizing needs no ATR.
inline constexpr std::uint32_t kNoLine = 0xffffffff;

/// One run: a rule over one symbol with one config.
struct SweepRun {
    std::uint32_t symbol = 0;  ///< index into SweepBatch::symbols
    RuleKind kind = RuleKind::Cross;
    /// Indices into SweepBatch::lines, lines of that symbol, in the order RuleKind gives; the
    /// first line_count(kind) are read.
    std::array<std::uint32_t, 4> lines{};
    double lower = 0;  ///< Levels: the levels the line crosses
    double upper = 0;
    std::uint32_t config = 0;  ///< index into SweepBatch::configs
    bool allow_short = false;
    backtest::Protection protection{};
    /// The symbol's ATR (backtest::signals::atr of the config's atr_period) for RiskAtr
    /// sizing, an index into SweepBatch::lines.
    std::uint32_t atr_line = kNoLine;
};

/// What a batch reads; the spans must outlive the call.
struct SweepBatch {
    std::vector<BarSeriesView> symbols;          ///< bars that passed validate_bars()
    std::vector<std::span<const double>> lines;  ///< each as long as its symbol's bars
    std::vector<backtest::Config> configs;       ///< each passed Config::validate()
    std::vector<SweepRun> runs;
};

/// The metrics of every run of `batch`, in its order. Errors: Unavailable (no toolkit, driver
/// or device, the device failed, or the bars and lines alone exceed the memory budget: the
/// caller falls back to the CPU), InvalidArgument (an index out of range, a line of the wrong
/// length, RiskAtr sizing without an ATR line).
Result<std::vector<backtest::Metrics>> simulate_sweep(const SweepBatch& batch,
                                                      const BatchOptions& options = {});

}  // namespace tradpal::gpu

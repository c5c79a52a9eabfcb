// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/progress.hpp>
#include <tradpal/core/rng.hpp>
#include <tradpal/core/timeframe.hpp>
#include <tradpal/data/store.hpp>

namespace tradpal::data {

/// Parameters of the synthetic market; annual figures assume trading around the clock.
struct SyntheticSpec {
    std::string symbol = "SYN/USD";
    Timeframe timeframe{"1m"};
    std::uint64_t bars = 100'000;
    std::uint64_t seed = 42;
    Timestamp start{1'577'836'800LL * kNanosPerSecond};  ///< 2020-01-01
    double start_price = 100.0;
    double annual_drift = 0.05;       ///< mu of the geometric Brownian motion
    double annual_volatility = 0.60;  ///< long-run sigma of the GARCH(1,1) process
    double garch_alpha = 0.05;        ///< weight of the last shock
    double garch_beta = 0.94;         ///< weight of the last variance
    double jumps_per_year = 12.0;     ///< Poisson intensity of price jumps
    double jump_mean = 0.0;           ///< mean log jump
    double jump_stddev = 0.03;        ///< stddev of the log jump
    double volume_per_minute = 10.0;  ///< mean volume of a one-minute bar
};

/// A deterministic synthetic market: geometric Brownian motion whose variance follows GARCH(1,1),
/// with Poisson jumps, intrabar highs and lows around open and close, and positive volume that
/// rises with the size of the move. The same spec (seed included) gives byte-identical bars.
class SyntheticMarket {
public:
    /// Throws: tradpal::Exception (InvalidArgument) for impossible parameters.
    explicit SyntheticMarket(const SyntheticSpec& spec);

    /// Appends the next `count` bars to `out`.
    void generate(std::size_t count, BarSeries& out);

private:
    SyntheticSpec spec_;
    Rng rng_;
    double drift_ = 0;     // per bar, log
    double variance_ = 0;  // GARCH h_t
    double long_run_ = 0;  // per-bar long-run variance
    double omega_ = 0;
    double last_shock_ = 0;
    double jump_probability_ = 0;
    double close_ = 0;
    Timestamp next_;
};

/// The `spec.bars` bars of a SyntheticMarket, in memory (benchmarks and tests).
BarSeries synthetic_bars(const SyntheticSpec& spec);

/// Writes `spec.bars` synthetic bars as series (source, spec.symbol, spec.timeframe), replacing
/// an earlier generated series. Throws: tradpal::Exception (AlreadyExists when the series holds
/// data that was not generated and `force` is false; Locked; IoError).
SeriesMeta generate_series(const Store& store, const SyntheticSpec& spec, const std::string& source,
                           bool force, const ProgressFn& progress = {});

}  // namespace tradpal::data

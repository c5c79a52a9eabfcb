// SPDX-License-Identifier: Apache-2.0
// A genetic search over a parameter grid, for grids too large to run whole.
#pragma once

#include <cstdint>

#include <tradpal/research/sweep.hpp>

namespace tradpal::research {

struct GeneticOptions {
    std::size_t population = 64;
    std::size_t generations = 20;
    double mutation = 0.2;  ///< chance that a child's value on one axis moves
    std::uint64_t seed = 1;
};

/// Searches request.grid (request.sets is ignored) for the sets that rank first by
/// options.metric, averaged over the series: a first generation drawn at random, then
/// generations bred from the better half (tournaments of three, each axis from either parent,
/// mutations that move a value a few grid steps), the best eighth kept as they are. No set is
/// run twice. The outcome, rows and sink are those of run_sweep over every set the search
/// ran, in (symbol, set) order. The same seed gives the same search.
/// Errors: InvalidArgument for a population below 4 or a mutation outside [0, 1].
Result<SweepOutcome> run_genetic(std::span<const backtest::SymbolSeries> series,
                                 const SweepRequest& request, const SweepOptions& options,
                                 const GeneticOptions& genetic, const RowSink& sink = {},
                                 const SweepProgress& progress = {});

}  // namespace tradpal::research

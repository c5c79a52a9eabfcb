// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include <tradpal/core/rng.hpp>
#include <tradpal/research/genetic.hpp>

#include "sweep_engine.hpp"

namespace tradpal::research {
namespace {

/// Uniform in [0, n).
std::uint64_t below(Rng& rng, std::uint64_t n) {
    __extension__ using UInt128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<UInt128>(rng.next()) * n) >> 64);
}

}  // namespace

Result<SweepOutcome> run_genetic(std::span<const backtest::SymbolSeries> series,
                                 const SweepRequest& request, const SweepOptions& options,
                                 const GeneticOptions& genetic, const RowSink& sink,
                                 const SweepProgress& progress) {
    if (genetic.population < 4) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("--population must be at least 4, got {}", genetic.population));
    }
    if (!(genetic.mutation >= 0 && genetic.mutation <= 1)) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("--mutation must be in [0, 1], got {}", genetic.mutation));
    }
    const ParameterGrid& grid = request.grid;
    const auto axes = grid.axes();
    // A set's genes are its value index on each axis (the grid numbers sets in mixed radix).
    const auto genes_of = [&](std::uint64_t set) {
        std::vector<std::uint64_t> genes(axes.size());
        for (std::size_t k = axes.size(); k-- > 0;) {
            genes[k] = set % axes[k].values.size();
            set /= axes[k].values.size();
        }
        return genes;
    };
    const auto set_of = [&](const std::vector<std::uint64_t>& genes) {
        std::uint64_t set = 0;
        for (std::size_t k = 0; k < axes.size(); ++k) {
            set = set * axes[k].values.size() + genes[k];
        }
        return set;
    };

    // Fitness: the metric averaged over the series, higher is better; -inf for a set the
    // strategy refuses or whose metric is undefined on some series.
    std::map<std::uint64_t, double> fitness;
    std::vector<SweepRow> rows;
    const double sign = options.metric.lower_is_better ? -1 : 1;
    SweepOptions quiet = options;
    quiet.top = 0;
    std::uint64_t done = 0;
    const auto evaluate = [&](std::vector<std::uint64_t> sets) {
        std::sort(sets.begin(), sets.end());
        sets.erase(std::unique(sets.begin(), sets.end()), sets.end());
        std::erase_if(sets, [&](std::uint64_t s) { return fitness.contains(s); });
        if (sets.empty()) {
            return;
        }
        SweepRequest batch = request;
        batch.sets = sets;
        std::map<std::uint64_t, std::pair<double, std::size_t>> sums;
        run_sweep(series, batch, quiet, [&](const SweepRow& row) {
            rows.push_back(row);
            auto& [sum, count] = sums[row.set];
            sum += options.metric.value(row.metrics);
            ++count;
        });
        for (const std::uint64_t set : sets) {
            const auto it = sums.find(set);
            const bool complete = it != sums.end() && it->second.second == series.size();
            const double mean = complete ? it->second.first / static_cast<double>(series.size())
                                         : std::numeric_limits<double>::quiet_NaN();
            fitness[set] =
                std::isnan(mean) ? -std::numeric_limits<double>::infinity() : sign * mean;
        }
        done += sets.size();
        if (progress) {
            const std::uint64_t planned = std::min<std::uint64_t>(
                grid.size(), genetic.population * (genetic.generations + 1));
            progress(std::min(done, planned) * series.size(), planned * series.size());
        }
    };

    Rng rng(genetic.seed);
    std::vector<std::uint64_t> population = grid.sample(genetic.population, genetic.seed);
    evaluate(population);
    const std::size_t elite = std::max<std::size_t>(1, genetic.population / 8);
    for (std::size_t g = 0; g < genetic.generations && fitness.size() < grid.size(); ++g) {
        // Best first; ties by set number, so that the order is the same on every run.
        std::sort(population.begin(), population.end(), [&](std::uint64_t a, std::uint64_t b) {
            const double fa = fitness.at(a);
            const double fb = fitness.at(b);
            return fa != fb ? fa > fb : a < b;
        });
        const auto tournament = [&] {
            std::uint64_t best = population[below(rng, population.size())];
            for (int k = 0; k < 2; ++k) {
                const std::uint64_t other = population[below(rng, population.size())];
                const double fb = fitness.at(best);
                const double fo = fitness.at(other);
                if (fo > fb || (fo == fb && other < best)) {
                    best = other;
                }
            }
            return best;
        };
        std::vector<std::uint64_t> next(
            population.begin(),
            population.begin() + static_cast<std::ptrdiff_t>(std::min(elite, population.size())));
        while (next.size() < genetic.population) {
            const auto mother = genes_of(tournament());
            const auto father = genes_of(tournament());
            std::vector<std::uint64_t> child(axes.size());
            for (std::size_t k = 0; k < axes.size(); ++k) {
                child[k] = below(rng, 2) == 0 ? mother[k] : father[k];
                const std::uint64_t n = axes[k].values.size();
                if (n > 1 && static_cast<double>(below(rng, 1'000'000)) < genetic.mutation * 1e6) {
                    // A move of up to a tenth of the axis (at least one step), either way.
                    const std::uint64_t reach = std::max<std::uint64_t>(1, n / 10);
                    const std::uint64_t step = 1 + below(rng, reach);
                    child[k] = below(rng, 2) == 0 ? std::min(n - 1, child[k] + step)
                                                  : (child[k] >= step ? child[k] - step : 0);
                }
            }
            next.push_back(set_of(child));
        }
        evaluate(next);
        population = std::move(next);
    }

    // The outcome of every set run, as run_sweep gives it.
    SweepRequest all = request;
    all.sets.clear();
    for (const auto& [set, value] : fitness) {
        all.sets.push_back(set);
    }
    std::sort(rows.begin(), rows.end(), [](const SweepRow& a, const SweepRow& b) {
        return a.symbol != b.symbol ? a.symbol < b.symbol : a.set < b.set;
    });
    detail::SweepEngine engine(series, all, options);
    for (const SweepRow& row : rows) {
        engine.consume(row, sink);
    }
    return engine.finish();
}

}  // namespace tradpal::research

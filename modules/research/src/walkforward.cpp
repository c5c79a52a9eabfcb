// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <fmt/format.h>

#include <tradpal/backtest/simulator.hpp>
#include <tradpal/research/walkforward.hpp>

#include "sweep_engine.hpp"

namespace tradpal::research {

namespace bt = tradpal::backtest;

namespace {

/// Index of the first bar at or after t.
std::size_t first_at(std::span<const std::int64_t> ts, std::int64_t t) {
    return static_cast<std::size_t>(std::lower_bound(ts.begin(), ts.end(), t) - ts.begin());
}

}  // namespace

Result<WalkForwardResult> walk_forward(
    const bt::SymbolSeries& series, const SweepRequest& request, const WalkForwardOptions& options,
    const std::function<void(std::size_t, std::size_t)>& progress) {
    const std::int64_t step = options.step_ns > 0 ? options.step_ns : options.test_ns;
    if (options.train_ns <= 0 || options.test_ns <= 0) {
        return fail(ErrorCode::InvalidArgument, "--train and --test must be longer than 0");
    }
    if (auto ok = bt::validate_bars(series.bars, series.name); !ok) {
        return ok.error();
    }
    const auto ts = series.bars.ts();
    const std::int64_t first = ts.front();
    const std::int64_t last = ts.back();
    std::vector<WalkWindow> windows;
    for (std::int64_t start = first; start + options.train_ns + options.test_ns <= last + 1;
         start += step) {
        WalkWindow w;
        w.train_start_ns = options.anchored ? first : start;
        w.train_end_ns = start + options.train_ns;
        w.test_end_ns = w.train_end_ns + options.test_ns;
        windows.push_back(w);
    }
    if (windows.empty()) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{} spans {:.1f} days, shorter than one training plus one test "
                                "window",
                                series.name, static_cast<double>(last - first) / 86'400e9));
    }

    WalkForwardResult result;
    bt::EquityStats stats(request.config.cash);
    double cash = request.config.cash;
    std::optional<std::uint64_t> previous;
    std::optional<std::pair<std::uint64_t, bt::SignalSet>> signals;
    SweepOptions sweep;
    sweep.metric = options.metric;
    sweep.top = 1;
    sweep.threads = options.threads;
    for (std::size_t k = 0; k < windows.size(); ++k) {
        WalkWindow& w = windows[k];
        const std::size_t train_begin = first_at(ts, w.train_start_ns);
        const std::size_t test_begin = first_at(ts, w.train_end_ns);
        const std::size_t test_end = first_at(ts, w.test_end_ns);
        if (test_begin == test_end || test_begin == train_begin) {
            continue;  // no bars in one of the windows (a gap in the data)
        }
        const bt::SymbolSeries train{series.name,
                                     series.bars.slice(train_begin, test_begin - train_begin)};
        const SweepOutcome in_sample = run_sweep(std::span(&train, 1), request, sweep);
        if (in_sample.top.empty()) {
            continue;
        }
        w.chosen = in_sample.top.front().set;
        w.in_sample_score = options.metric.value(in_sample.top.front().metrics);
        result.parameter_changes += previous && *previous != *w.chosen ? 1 : 0;
        previous = w.chosen;

        // Signals from the first bar on, so that the test window starts warm; the test window
        // trades them alone, with the equity carried over. A signal depends on the bars up to
        // its own only, so one set's signals over the whole series serve every window that
        // chooses it (kept while consecutive windows do).
        const detail::PreparedSet chosen = detail::prepare(request, *w.chosen);
        if (!signals || signals->first != *w.chosen) {
            // It ranked first, so the strategy accepted it.
            signals.emplace(*w.chosen, bt::build_signals(*chosen.spec, series.bars).value());
        }
        const std::size_t count = test_end - test_begin;
        bt::SignalView view = bt::SignalView::of(signals->second);
        view.long_entry = view.long_entry.subspan(test_begin, count);
        view.long_exit = view.long_exit.subspan(test_begin, count);
        view.short_entry = view.short_entry.subspan(test_begin, count);
        view.short_exit = view.short_exit.subspan(test_begin, count);
        bt::Config config = chosen.config;
        config.cash = cash;
        const bt::SymbolSeries test{series.name, series.bars.slice(test_begin, count)};
        const bt::BacktestResult run = bt::simulate(test, view, config);
        w.out_of_sample = run.metrics;
        for (std::size_t i = 0; i < count; ++i) {
            result.ts.push_back(ts[test_begin + i]);
            result.equity.push_back(run.equity[i]);
            stats.observe(ts[test_begin + i], run.equity[i], false);
        }
        cash = run.equity.back();
        result.stitched.trades += run.metrics.trades;
        result.stitched.total_commission += run.metrics.total_commission;
        if (progress) {
            progress(k + 1, windows.size());
        }
    }
    if (result.equity.empty()) {
        return fail(ErrorCode::InvalidArgument,
                    "no window had bars both in sample and out of sample");
    }
    const std::size_t trades = result.stitched.trades;
    const double commission = result.stitched.total_commission;
    stats.finish(request.config.annualization, request.config.risk_free, result.stitched);
    result.stitched.trades = trades;
    result.stitched.total_commission = commission;
    double exposed_bars = 0;
    for (const WalkWindow& w : windows) {
        exposed_bars += w.out_of_sample.exposure * static_cast<double>(w.out_of_sample.bars);
    }
    result.stitched.exposure = exposed_bars / static_cast<double>(result.equity.size());
    std::erase_if(windows, [](const WalkWindow& w) { return !w.chosen.has_value(); });
    result.windows = std::move(windows);
    return result;
}

}  // namespace tradpal::research

// SPDX-License-Identifier: Apache-2.0
// tradpal bench: the original TradPal's before/after tables with TradPal's own figures, every
// pair measured in the same run on the same machine and the same synthetic bars.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <unistd.h>

#include <tradpal/backtest/strategies.hpp>
#include <tradpal/cache/cache.hpp>
#include <tradpal/config.hpp>
#include <tradpal/core/file.hpp>
#include <tradpal/data/export.hpp>
#include <tradpal/data/generate.hpp>
#include <tradpal/gpu/device.hpp>
#include <tradpal/indicators/registry.hpp>
#include <tradpal/ml/trainer.hpp>
#include <tradpal/research/grid.hpp>
#include <tradpal/research/multi.hpp>
#include <tradpal/research/sweep.hpp>

#include "context.hpp"
#include "ml_support.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

using nlohmann::json;

struct BenchArgs {
    bool quick = false;
    std::uint64_t rows = 0;  // 0: 1M, or 200k with --quick
    std::string markdown;
};

// One line of the table: the same work done the "before" way and the TradPal way.
struct BenchRow {
    std::string area;
    std::string before;
    std::string after;
    double before_s = 0;
    double after_s = 0;
    std::optional<std::uint64_t> before_peak;  // peak RSS while it ran, bytes
    std::optional<std::uint64_t> after_peak;
    std::string note;
};

// Peak resident memory of a step: Linux resets the process's high-water mark (VmHWM) when "5"
// is written to /proc/self/clear_refs, so each step's peak is its own.
bool reset_peak_rss() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    return static_cast<bool>(clear.flush());
}

// VmHWM (the peak) or VmRSS (now) of this process, in bytes.
std::optional<std::uint64_t> status_bytes(std::string_view field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with(field)) {
            return std::stoull(line.substr(field.size())) * 1024;  // kB
        }
    }
    return std::nullopt;
}

struct Measured {
    double seconds = 0;
    std::optional<std::uint64_t> peak;  ///< resident memory the work added at its peak
};

// The median wall time of `runs` runs of `work`, and the memory the first run added at its
// peak over what the process held before it.
template <class Work>
Measured measure(int runs, Work&& work) {
    std::vector<double> times;
    Measured m;
    for (int r = 0; r < runs; ++r) {
        const bool track = r == 0 && reset_peak_rss();
        const std::uint64_t before = track ? status_bytes("VmRSS:").value_or(0) : 0;
        const auto start = std::chrono::steady_clock::now();
        work();
        times.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        const std::uint64_t peak = track ? status_bytes("VmHWM:").value_or(0) : 0;
        if (track && peak > 0) {
            m.peak = peak > before ? peak - before : 0;
        }
    }
    std::sort(times.begin(), times.end());
    m.seconds = times[times.size() / 2];
    return m;
}

BenchRow row_of(std::string area, std::string before, const Measured& b, std::string after,
                const Measured& a, std::string note = {}) {
    return {std::move(area), std::move(before), std::move(after), b.seconds, a.seconds, b.peak,
            a.peak,          std::move(note)};
}

// What a script does without a store: read every line of the CSV, split it, parse each
// field, keep rows of doubles.
double naive_csv_load(const std::filesystem::path& csv) {
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);  // header
    std::vector<std::array<double, 5>> rows;
    std::vector<std::string> times;
    while (std::getline(in, line)) {
        std::array<double, 5> row{};
        std::size_t start = line.find(',');
        times.push_back(line.substr(0, start));
        for (double& field : row) {
            const std::size_t end = line.find(',', start + 1);
            field = std::stod(line.substr(start + 1, end - start - 1));
            start = end;
        }
        rows.push_back(row);
    }
    double sum = 0;
    for (const auto& row : rows) {
        sum += row[3];
    }
    return sum;
}

// Each window summed again from scratch, as a loop over rows would: SMA, standard deviation,
// highest and lowest of 20 bars.
void naive_indicators(std::span<const double> close, std::array<std::vector<double>, 4>& out) {
    constexpr std::size_t p = 20;
    for (auto& column : out) {
        column.assign(close.size(), std::nan(""));
    }
    for (std::size_t t = p - 1; t < close.size(); ++t) {
        double sum = 0;
        double high = close[t];
        double low = close[t];
        for (std::size_t k = t + 1 - p; k <= t; ++k) {
            sum += close[k];
            high = std::max(high, close[k]);
            low = std::min(low, close[k]);
        }
        const double mean = sum / p;
        double squares = 0;
        for (std::size_t k = t + 1 - p; k <= t; ++k) {
            squares += (close[k] - mean) * (close[k] - mean);
        }
        out[0][t] = mean;
        out[1][t] = std::sqrt(squares / p);
        out[2][t] = high;
        out[3][t] = low;
    }
}

std::vector<BenchRow> run_benchmarks(const Context& ctx, const BenchArgs& a,
                                     const std::filesystem::path& dir, ProgressBar& progress) {
    const std::uint64_t rows = a.rows > 0 ? a.rows : a.quick ? 200'000 : 1'000'000;
    const int runs = a.quick ? 1 : 3;
    constexpr std::size_t kAreas = 7;
    std::size_t done = 0;
    const auto step = [&] {
        progress.update(++done, kAreas);
    };

    // The market every area works on: one-minute bars in a store, and the same as CSV.
    const data::Store store(dir / "store");
    data::SyntheticSpec spec;
    spec.bars = rows;
    spec.seed = 7;
    const data::SeriesMeta meta = data::generate_series(store, spec, "bench", true, {});
    const data::StoredSeries series = store.open(meta.key).value();
    const std::filesystem::path csv = dir / "bars.csv";
    data::export_csv(series, series.view(), csv, {});
    std::vector<BenchRow> out;

    // 1. Loading: the CSV parsed into rows vs the store mapped and read.
    double naive_sum = 0;
    double store_sum = 0;
    const Measured naive_load = measure(runs, [&] { naive_sum = naive_csv_load(csv); });
    const Measured store_load = measure(runs, [&] {
        const data::StoredSeries s = store.open(meta.key).value();
        store_sum = 0;
        for (const double c : s.view().close()) {
            store_sum += c;
        }
    });
    // The CSV holds shortest round-trip numbers: both sums see the same doubles in order.
    out.push_back(row_of(fmt::format("load {} bars", with_commas(rows)), "parse CSV into rows",
                         naive_load, "open the store (mmap)", store_load,
                         naive_sum == store_sum ? "same closes" : "the closes differ"));
    step();

    // 2. Indicators: windows summed again per bar vs the library's running forms, one thread.
    const BarSeriesView bars = series.view();
    std::array<std::vector<double>, 4> naive;
    const std::vector<indicators::Spec> window_specs =
        indicators::Spec::parse_list("sma(20),stddev(20,1),max(20),min(20)").value();
    std::vector<std::vector<double>> ours;
    const Measured naive_ind = measure(runs, [&] { naive_indicators(bars.close(), naive); });
    const Measured lib_ind = measure(runs, [&] {
        ours = indicators::compute_columns(window_specs, indicators::Inputs::from(bars), 1);
    });
    double worst = 0;
    for (std::size_t c = 0; c < naive.size(); ++c) {
        for (std::size_t t = 19; t < bars.size(); ++t) {
            worst = std::max(
                worst, std::abs(naive[c][t] - ours[c][t]) / std::max(1.0, std::abs(naive[c][t])));
        }
    }
    out.push_back(row_of("sma, stddev, max, min (20)", "each window summed again", naive_ind,
                         "indicators module, 1 thread", lib_ind,
                         fmt::format("largest relative difference {:.1e}", worst)));
    step();

    // 3. Backtest of the bars: bar by bar vs the vectorized simulator (same trades).
    namespace bt = tradpal::backtest;
    const std::string params[] = {"fast=50", "slow=200"};
    const bt::StrategySpec sma = bt::StrategySpec::make("sma_cross", params).value();
    const bt::SymbolSeries traded{meta.key.symbol, bars};
    std::size_t event_trades = 0;
    std::size_t vector_trades = 0;
    const Measured event = measure(runs, [&] {
        event_trades =
            research::run_one(traded, sma, bt::Config{}, research::Engine::Event).trades.size();
    });
    const Measured vectorized = measure(runs, [&] {
        vector_trades = research::run_one(traded, sma, bt::Config{}, research::Engine::Vectorized)
                            .trades.size();
    });
    out.push_back(row_of(fmt::format("backtest sma_cross, {} bars", with_commas(rows)),
                         "event-driven engine", event, "vectorized simulator", vectorized,
                         event_trades == vector_trades
                             ? fmt::format("{} trades each", with_commas(event_trades))
                             : "the engines disagree"));
    step();

    // 4. Training: the CPU vs the GPU, one epoch of a small LSTM on the bars' returns.
    if (TRADPAL_HAS_TORCH) {
        const std::size_t n = std::min<std::size_t>(bars.size(), a.quick ? 2'000 : 20'000);
        ml::ModelMeta m;
        m.features = ml::FeatureSpec::parse("logret(1),logret(5),vol(20)").value();
        m.model.kind = "lstm";
        m.model.seq_len = 16;
        m.model.hidden = 32;
        m.train.epochs = 1;
        m.train.batch_size = 256;
        const ml::Dataset data = prepare_dataset(m, bars.slice(bars.size() - n, n), 0.8, 0.1);
        const auto train_on = [&](const std::string& device) -> std::optional<Measured> {
            m.train.device = device;
            m.train.out_dir = dir / ("model-" + device);
            std::optional<Measured> result;
            const Measured t = measure(1, [&] {
                auto trained = ml::train(data, m);
                if (trained) {
                    result = Measured{static_cast<double>(m.splits.train.size()) /
                                          trained->history.back().samples_per_second,
                                      std::nullopt};
                }
            });
            if (result) {
                result->peak = t.peak;
            }
            return result;
        };
        const std::optional<Measured> cpu = train_on("cpu");
        const std::optional<Measured> gpu = train_on("cuda");
        const std::string what =
            fmt::format("LSTM 32x2, one epoch of {} windows", with_commas(m.splits.train.size()));
        if (cpu && gpu) {
            out.push_back(row_of(what, "CPU", *cpu, "GPU", *gpu));
        } else if (cpu) {
            out.push_back(row_of(what, "CPU", *cpu, "GPU", Measured{std::nan(""), std::nullopt},
                                 "no CUDA device: GPU not measured"));
        }
    } else {
        out.push_back({"model training",
                       "CPU",
                       "GPU",
                       std::nan(""),
                       std::nan(""),
                       {},
                       {},
                       "built without libtorch"});
    }
    step();

    // 5. Cache: 14 indicators recomputed vs read back from each level.
    const std::vector<indicators::Spec> specs =
        indicators::Spec::parse_list(kPopularIndicators).value();
    const auto compute_value = [&] {
        cache::Value v;
        const auto columns =
            indicators::compute_columns(specs, indicators::Inputs::from(bars), ctx.threads());
        for (std::size_t c = 0; c < columns.size(); ++c) {
            v.columns.push_back(cache::Column::of(fmt::format("c{}", c), columns[c]));
        }
        return v;
    };
    std::size_t columns = 0;
    for (const indicators::Spec& s : specs) {
        columns += s.output_count();
    }
    const Measured recompute = measure(runs, compute_value);
    cache::CacheConfig config;
    config.redis = false;
    config.file_dir = dir / "cache";
    const cache::Key key =
        cache::KeyBuilder("bench").add("rows", rows).add("version", TRADPAL_VERSION).build();
    {
        cache::Cache warm(config);
        warm.put(key, compute_value());
    }
    const std::string recomputed = fmt::format("{} indicators computed", specs.size());
    for (const bool memory : {true, false}) {
        config.memory = memory;
        cache::Cache cache(config);
        if (memory) {
            static_cast<void>(cache.get(key));  // brings the file level's copy up
        }
        const Measured hit = measure(runs, [&] {
            if (cache.get(key) == nullptr) {
                throw Exception(ErrorCode::Internal, "bench: the cached value is missing");
            }
        });
        out.push_back(row_of(fmt::format("cache, {} columns x {} bars", columns, with_commas(rows)),
                             recomputed, recompute, memory ? "memory hit" : "file hit", hit));
    }
    step();

    // 6. Parallel: 100 parameter sets of sma_cross on one worker vs all.
    research::SweepRequest request;
    request.strategy = "sma_cross";
    request.grid =
        research::ParameterGrid::make({research::ParamAxis::parse("fast=5:50:5").value(),
                                       research::ParamAxis::parse("slow=100:280:20").value()})
            .value();
    request.sets = request.grid.sample(request.grid.size(), 0);
    research::SweepOptions options;
    options.metric = research::parse_metric("sharpe").value();
    const auto sweep_on = [&](int threads) {
        options.threads = threads;
        return measure(runs, [&] { research::run_sweep(std::span(&traded, 1), request, options); });
    };
    const Measured one = sweep_on(1);
    const Measured all = sweep_on(0);
    out.push_back(row_of(fmt::format("sweep of {} sets", request.grid.size()), "1 worker", one,
                         fmt::format("{} workers", ctx.thread_count()), all));
    step();

    // 7. The same sweep on all workers vs the GPU (its lines computed on the host, included);
    // without a device there is nothing to measure (the sweep would only run on the CPU again).
    const std::string gpu_what = fmt::format("sweep of {} sets on the GPU", request.grid.size());
    const std::string cpu_side = fmt::format("{} workers", ctx.thread_count());
    const auto not_measured = [&](const std::string& why) {
        out.push_back(row_of(gpu_what, cpu_side, all, "GPU", Measured{std::nan(""), std::nullopt},
                             fmt::format("GPU not measured: {}", why)));
    };
    if (auto devices = gpu::query_devices(); !devices) {
        not_measured(devices.error().message);
    } else {
        options.threads = 0;
        options.device = research::SweepDevice::Gpu;
        options.gpu_memory_limit = ctx.settings.values.gpu.memory_limit;
        research::SweepOutcome on_gpu;
        const Measured gpu = measure(
            runs, [&] { on_gpu = research::run_sweep(std::span(&traded, 1), request, options); });
        if (on_gpu.gpu_evaluated == request.grid.size()) {
            out.push_back(row_of(gpu_what, cpu_side, all, "GPU", gpu));
        } else {
            not_measured(on_gpu.gpu_unavailable);
        }
    }
    step();
    return out;
}

std::string seconds_text(double s) {
    return std::isnan(s) ? "-" : format_seconds(s);
}

std::string peak_text(const std::optional<std::uint64_t>& bytes) {
    return bytes ? fmt::format("+{:.0f} MiB", static_cast<double>(*bytes) / (1 << 20)) : "-";
}

std::string speedup_text(const BenchRow& r) {
    const double ratio = r.before_s / r.after_s;
    return std::isfinite(ratio) ? fmt::format("{:.1f}x", ratio) : "-";
}

std::string markdown_table(const std::vector<BenchRow>& rows, const std::string& heading) {
    std::string md = heading +
                     "\n\n| work | before | time | peak | after | time | peak | "
                     "speed-up | note |\n|---|---|---|---|---|---|---|---|---|\n";
    for (const BenchRow& r : rows) {
        md +=
            fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", r.area, r.before,
                        seconds_text(r.before_s), peak_text(r.before_peak), r.after,
                        seconds_text(r.after_s), peak_text(r.after_peak), speedup_text(r), r.note);
    }
    return md;
}

int run_bench(Context& ctx, const BenchArgs& a) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / fmt::format("tradpal-bench-{}", ::getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::vector<BenchRow> rows;
    try {
        ProgressBar progress("benchmarking", "areas", ctx.show_progress());
        rows = run_benchmarks(ctx, a, dir, progress);
    } catch (...) {
        std::filesystem::remove_all(dir);
        throw;
    }
    std::filesystem::remove_all(dir);

    const std::string heading = fmt::format(
        "tradpal bench{} ({} threads; each pair measured in the same run, median of {}; PEAK: "
        "the memory a step added at its peak)",
        a.quick ? " --quick" : "", ctx.thread_count(), a.quick ? 1 : 3);
    if (!a.markdown.empty()) {
        write_file_atomic(a.markdown, markdown_table(rows, heading));
    }
    if (ctx.json) {
        json list = json::array();
        const auto number = [](double v) {
            return std::isnan(v) ? json() : json(v);
        };
        const auto bytes = [](const std::optional<std::uint64_t>& v) {
            return v ? json(*v) : json();
        };
        for (const BenchRow& r : rows) {
            list.push_back({{"area", r.area},
                            {"before", r.before},
                            {"before_s", number(r.before_s)},
                            {"before_peak_bytes", bytes(r.before_peak)},
                            {"after", r.after},
                            {"after_s", number(r.after_s)},
                            {"after_peak_bytes", bytes(r.after_peak)},
                            {"speedup", number(r.before_s / r.after_s)},
                            {"note", r.note}});
        }
        Context::print_json({{"quick", a.quick}, {"threads", ctx.thread_count()}, {"rows", list}});
        return 0;
    }
    std::cout << heading << "\n\n";
    Table table({"WORK", "BEFORE", "TIME", "PEAK", "AFTER", "TIME", "PEAK", "SPEED-UP", "NOTE"});
    for (const BenchRow& r : rows) {
        table.add_row({r.area, r.before, seconds_text(r.before_s), peak_text(r.before_peak),
                       r.after, seconds_text(r.after_s), peak_text(r.after_peak), speedup_text(r),
                       r.note});
    }
    table.print(std::cout);
    if (!a.markdown.empty()) {
        std::cout << fmt::format("\nMarkdown table: {}\n", a.markdown);
    }
    return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, std::vector<Command>& commands) {
    auto a = std::make_shared<BenchArgs>();
    CLI::App* c = app.add_subcommand(
        "bench",
        "Before/after tables measured on this machine: loading, indicators, backtests, "
        "training, cache levels, parallel sweeps, the GPU sweep");
    c->add_flag("--quick", a->quick, "200,000 bars and one run each (under a minute)");
    c->add_option("--rows", a->rows, "Bars of the synthetic market (default 1,000,000)");
    c->add_option("--markdown", a->markdown, "Also write the table as markdown to this file");
    commands.push_back({c, [a](Context& ctx) {
                            return run_bench(ctx, *a);
                        }});
}

}  // namespace tradpal::cli

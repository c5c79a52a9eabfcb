// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <tradpal/cache/cache.hpp>
#include <tradpal/core/settings.hpp>
#include <tradpal/data/store.hpp>
#include <tradpal/monitor/timers.hpp>

namespace tradpal::monitor {
class PerformanceMonitor;
}

namespace tradpal::cli {

/// What every command gets: effective settings and how to talk to the user.
struct Context {
    LoadedSettings settings;
    bool json = false;       ///< machine-readable output on stdout
    bool quiet = false;      ///< no progress bars
    bool use_cache = false;  ///< --cache: commands that can reuse results do
    /// --profile, --metrics-out, --baseline: times the stages; null otherwise.
    monitor::PerformanceMonitor* monitor = nullptr;

    /// Times one stage of a command ("load", "backtest") until the timer's stop() or its end;
    /// measures nothing without a monitor.
    monitor::ScopedTimer stage(std::string name) const;

    /// The cache of the [cache] settings, opened on first use (also without --cache, for
    /// `tradpal cache`).
    cache::Cache& cache();

    /// The bar store named by [data] store_dir (--store, TRADPAL_DATA_STORE_DIR).
    data::Store store() const;
    /// Progress bars only for people at a terminal.
    bool show_progress() const noexcept { return !json && !quiet; }
    /// Rows per chunk for long passes ([memory] chunk_size; everything at once when
    /// [memory] optimization_enabled is false).
    std::size_t chunk_rows() const noexcept;
    /// Worker threads for parallel work ([parallel] enabled and max_workers; 0 = all cores).
    int threads() const noexcept;
    /// The number of threads threads() stands for (all cores resolved), for reports.
    int thread_count() const noexcept;
    /// Prints a JSON document on stdout.
    static void print_json(const nlohmann::json& doc);

private:
    std::unique_ptr<cache::Cache> cache_;
};

/// A leaf command: its CLI11 node and what it runs. Returns the exit code.
struct Command {
    CLI::App* app = nullptr;
    std::function<int(Context&)> run;
};

/// symbol [--timeframe TF] [--source NAME]: picks one stored series.
struct SeriesSelector {
    std::string symbol;
    std::string timeframe;
    std::string source;

    /// Adds the positional symbol and the two options to `app`.
    void add_to(CLI::App* app, bool timeframe_flag = true);
    /// The single stored series matching the selection. Throws: tradpal::Exception.
    data::SeriesKey resolve(const data::Store& store) const;
};

void add_data_commands(CLI::App& app, std::vector<Command>& commands);
void add_config_commands(CLI::App& app, std::vector<Command>& commands);
void add_cache_commands(CLI::App& app, std::vector<Command>& commands);
/// The indicators traders use most: what demo and bench compute.
inline constexpr std::string_view kPopularIndicators =
    "sma(20),ema(20),rsi(14),macd(12,26,9),bbands(20,2,2,sma),atr(14),adx(14),"
    "stoch(5,3,sma,3,sma),obv,cci(14),sar(0.02,0.2),kama(30),stddev(20,1),linearreg(14)";

void add_demo_command(CLI::App& app, std::vector<Command>& commands);
void add_bench_command(CLI::App& app, std::vector<Command>& commands);
void add_fetch_command(CLI::App& app, std::vector<Command>& commands);
void add_ml_commands(CLI::App& app, std::vector<Command>& commands);
void add_indicators_command(CLI::App& app, std::vector<Command>& commands);
void add_backtest_command(CLI::App& app, std::vector<Command>& commands);
void add_sweep_command(CLI::App& app, std::vector<Command>& commands);
void add_walkforward_command(CLI::App& app, std::vector<Command>& commands);
void add_gpu_commands(CLI::App& app, std::vector<Command>& commands);
void add_serve_command(CLI::App& app, std::vector<Command>& commands);

/// The NVML library to load: $TRADPAL_NVML_LIBRARY, else libnvidia-ml.so.1.
std::string nvml_library();

}  // namespace tradpal::cli

// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include <tradpal/cli/app.hpp>
#include <tradpal/config.hpp>
#include <tradpal/core/file.hpp>
#include <tradpal/core/log.hpp>
#include <tradpal/monitor/performance_monitor.hpp>

#include "context.hpp"

namespace tradpal::cli {
namespace {

struct GlobalOptions {
    std::string store;
    std::string config;
    std::vector<std::string> sets;
    std::int64_t workers = -1;
    std::string log_level;
    bool json = false;
    bool quiet = false;
    bool cache = false;
    bool profile = false;
    std::string metrics_out;
    std::string baseline;
    double baseline_factor = 2.0;

    bool monitoring() const { return profile || !metrics_out.empty() || !baseline.empty(); }
    bool sampling() const { return profile || !metrics_out.empty(); }
};

std::vector<SettingOverride> overrides_of(const GlobalOptions& g) {
    std::vector<SettingOverride> out;
    for (const std::string& s : g.sets) {
        const std::size_t eq = s.find('=');
        if (eq == std::string::npos) {
            throw Exception(ErrorCode::InvalidArgument,
                            fmt::format("--set expects section.key=value, got '{}'", s));
        }
        out.push_back({s.substr(0, eq), s.substr(eq + 1), "--set"});
    }
    if (!g.store.empty()) {
        out.push_back({"data.store_dir", g.store, "--store"});
    }
    if (g.workers >= 0) {
        out.push_back({"parallel.max_workers", std::to_string(g.workers), "--workers"});
    }
    if (!g.log_level.empty()) {
        out.push_back({"log.level", g.log_level, "--log-level"});
    }
    return out;
}

int report_error(const Context& ctx, ErrorCode code, const std::string& message) {
    if (ctx.json) {
        Context::print_json({{"error", {{"code", to_string(code)}, {"message", message}}}});
    } else {
        std::cerr << "error: " << message << '\n';
    }
    return exit_code(code);
}

// A baseline is read before the command runs, so a wrong path fails fast.
nlohmann::json read_baseline(const std::string& path) {
    const std::string text = read_text_file(path).value();
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Exception(ErrorCode::ParseError, fmt::format("--baseline {}: {}", path, e.what()));
    }
}

// The monitor's reports once the command is done. The table is printed whatever the outcome;
// the metrics file and the baseline comparison only follow a successful run, whose figures
// are comparable.
void report_monitor(const GlobalOptions& g, monitor::PerformanceMonitor& monitor,
                    const std::optional<nlohmann::json>& baseline, int code) {
    monitor.stop();
    if (g.profile) {
        std::cerr << "\n" << monitor.table();
    }
    if (code != 0) {
        return;
    }
    if (!g.metrics_out.empty()) {
        write_file_atomic(g.metrics_out, monitor.to_json().dump(2) + "\n");
    }
    if (baseline) {
        const std::vector<std::string> warnings =
            monitor.compare_with_baseline(*baseline, g.baseline_factor).value();
        for (const std::string& w : warnings) {
            spdlog::warn("{} (--baseline {})", w, g.baseline);
        }
    }
}

}  // namespace

int exit_code(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::InvalidArgument:
            return 2;
        case ErrorCode::NotFound:
            return 3;
        case ErrorCode::ParseError:
            return 4;
        case ErrorCode::ValidationFailed:
            return 5;
        case ErrorCode::Corrupt:
            return 6;
        case ErrorCode::Locked:
            return 7;
        case ErrorCode::IoError:
            return 8;
        case ErrorCode::Unavailable:
            return 9;
        case ErrorCode::AlreadyExists:
            return 10;
        case ErrorCode::Internal:
            return 1;
    }
    return 1;
}

int run(int argc, char** argv) {
    CLI::App app{"TradPal: market data, indicators, backtests and research, fast."};
    app.name("tradpal");
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the subcommand
    app.option_defaults()->always_capture_default();
    app.set_version_flag("--version", std::string("tradpal ") + TRADPAL_VERSION);

    GlobalOptions g;
    app.add_option("--store", g.store, "Bar store directory ([data] store_dir)");
    app.add_option("--config", g.config, "Settings file (TOML)");
    app.add_option("--set", g.sets, "Override a setting: section.key=value (repeatable)")
        ->default_str("");
    app.add_option("--workers", g.workers, "Worker threads, 0 = all cores ([parallel] max_workers)")
        ->default_str("");
    app.add_option("--log-level", g.log_level,
                   "trace, debug, info, warn, error or off ([log] level)");
    app.add_flag("--json", g.json, "Machine-readable output (JSON on stdout)");
    app.add_flag("-q,--quiet", g.quiet, "No progress bars");
    app.add_flag("--cache", g.cache,
                 "Reuse results of repeated work: memory, Redis, files ([cache] settings)");
    app.add_flag("--profile", g.profile,
                 "Print the time of each stage, CPU, memory and GPU use on stderr at exit");
    app.add_option("--metrics-out", g.metrics_out,
                   "Write the stage times, CPU, memory and GPU use as JSON (docs/MONITOR.md)");
    app.add_option("--baseline", g.baseline,
                   "Warn about stages slower than in this --metrics-out file of an earlier run");
    app.add_option("--baseline-factor", g.baseline_factor,
                   "With --baseline: warn when a stage's median time exceeds this many times its "
                   "baseline");

    std::vector<Command> commands;
    add_data_commands(app, commands);
    add_fetch_command(app, commands);
    add_config_commands(app, commands);
    add_cache_commands(app, commands);
    add_indicators_command(app, commands);
    add_backtest_command(app, commands);
    add_sweep_command(app, commands);
    add_walkforward_command(app, commands);
    add_ml_commands(app, commands);
    add_gpu_commands(app, commands);
    add_serve_command(app, commands);
    add_demo_command(app, commands);
    add_bench_command(app, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : exit_code(ErrorCode::InvalidArgument);
    }

    Context ctx;
    ctx.json = g.json;
    ctx.quiet = g.quiet;
    ctx.use_cache = g.cache;
    const auto guarded = [&ctx](const auto& work) {
        try {
            return work();
        } catch (const Exception& e) {
            return report_error(ctx, e.code(), e.what());
        } catch (const std::exception& e) {
            return report_error(ctx, ErrorCode::Internal, e.what());
        }
    };
    std::optional<monitor::PerformanceMonitor> perf;
    std::optional<nlohmann::json> baseline;
    const int code = guarded([&] {
        SettingsSources sources;
        if (!g.config.empty()) {
            sources.config_file = g.config;
        }
        sources.overrides = overrides_of(g);
        ctx.settings = load_settings(sources).value();
        init_logging(ctx.settings.values.log.level).value();
        for (const std::string& w : ctx.settings.warnings) {
            spdlog::warn("{}", w);
        }
        if (g.monitoring()) {
            if (!g.baseline.empty()) {
                baseline = read_baseline(g.baseline);
            }
            perf.emplace(nvml_library());
            ctx.monitor = &*perf;
            if (baseline) {
                // With no stages timed yet this only checks the file and the factor.
                static_cast<void>(
                    perf->compare_with_baseline(*baseline, g.baseline_factor).value());
            }
            if (g.sampling()) {
                perf->start(std::chrono::milliseconds(100));
            }
        }
        for (const Command& c : commands) {
            if (c.app->parsed()) {
                return c.run(ctx);
            }
        }
        return report_error(ctx, ErrorCode::Internal, "no command ran");
    });
    if (!perf) {
        return code;
    }
    const int reported = guarded([&] {
        report_monitor(g, *perf, baseline, code);
        return 0;
    });
    return code != 0 ? code : reported;
}

}  // namespace tradpal::cli

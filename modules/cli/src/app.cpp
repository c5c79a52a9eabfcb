// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include <fmt/format.h>

#include <tradpal/cli/app.hpp>
#include <tradpal/config.hpp>
#include <tradpal/core/log.hpp>

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
    try {
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
        for (const Command& c : commands) {
            if (c.app->parsed()) {
                return c.run(ctx);
            }
        }
        return report_error(ctx, ErrorCode::Internal, "no command ran");
    } catch (const Exception& e) {
        return report_error(ctx, e.code(), e.what());
    } catch (const std::exception& e) {
        return report_error(ctx, ErrorCode::Internal, e.what());
    }
}

}  // namespace tradpal::cli

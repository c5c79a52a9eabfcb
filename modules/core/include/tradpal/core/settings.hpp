// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/core/result.hpp>

namespace tradpal {

/// [memory]: how long passes over stored data use memory.
struct MemorySettings {
    bool optimization_enabled = true;   ///< process long passes chunk by chunk (bounded memory)
    bool mapping_enabled = true;        ///< read the store through mmap (false: read into RAM)
    std::int64_t chunk_size = 262'144;  ///< rows per chunk
};

/// [gpu]: GPU use (when the gpu module is built).
struct GpuSettings {
    bool enabled = true;
    double memory_limit = 0.8;  ///< fraction of device memory TradPal may use, (0, 1]
};

/// [parallel]: worker threads.
struct ParallelSettings {
    bool enabled = true;
    std::int64_t max_workers = 0;  ///< 0 = all cores
};

/// [cache]: cache levels and lifetimes.
struct CacheSettings {
    bool memory_enabled = true;
    std::int64_t memory_mb = 256;  ///< bound of the in-process level
    bool redis_enabled = false;
    std::string redis_host = "127.0.0.1";
    std::int64_t redis_port = 6379;
    std::int64_t redis_timeout_ms = 500;  ///< per command (connecting: at most 200 ms)
    bool file_enabled = true;
    std::string file_dir = "~/.cache/tradpal";
    std::int64_t ttl_indicators = 3600;  ///< seconds; 0 = no expiry
    std::int64_t ttl_api = 1800;         ///< seconds
    std::int64_t ttl_backtest = 86400;   ///< seconds
    std::int64_t ttl_models = 604800;    ///< seconds
};

/// [data]: where bars live and where they come from.
struct DataSettings {
    std::string store_dir = "~/.local/share/tradpal/store";
    std::string default_source = "store";
    std::string fallback = "store,kaggle,yahoo,binance,kraken,cache";  ///< comma-separated
    std::string kaggle_path;  ///< a Kaggle Bitstamp 1-minute CSV
    std::string yahoo_url = "https://query2.finance.yahoo.com";
    std::string binance_url = "https://api.binance.com";
    std::string kraken_url = "https://api.kraken.com";
    double yahoo_rate = 2;     ///< requests per second
    double yahoo_burst = 5;    ///< requests at once after a quiet spell
    double binance_rate = 10;  ///< klines cost 2 of Binance's 6000 weight per minute
    double binance_burst = 20;
    double kraken_rate = 1;  ///< Kraken's public API allows about one call per second
    double kraken_burst = 3;
    std::int64_t http_timeout_ms = 10'000;  ///< per request, connecting included
    std::int64_t http_attempts = 5;         ///< tries per request (5xx, 429, timeouts)
};

/// [ml]: model training.
struct MlSettings {
    std::int64_t batch_size = 256;
    bool mixed_precision = true;
    std::int64_t early_stopping_patience = 10;
    std::string checkpoint_dir = "~/.local/share/tradpal/checkpoints";
};

/// [server]: `tradpal serve` (docs/API.md).
struct ServerSettings {
    std::string token;  ///< bearer token for changing routes; empty: they are refused
    std::string bind = "127.0.0.1";
    std::int64_t port = 8080;
    std::int64_t http_threads = 64;             ///< connections served at once
    std::int64_t workers = 2;                   ///< job worker threads
    std::int64_t queue = 16;                    ///< jobs waiting; past it, 429
    std::int64_t body_limit = 8 * 1024 * 1024;  ///< bytes of a request body; past it, 413
    std::int64_t json_depth = 32;               ///< nesting of a JSON body; past it, 400
    std::int64_t max_bars = 100'000;            ///< bars per request (returned or posted)
    std::int64_t max_sweep_sets = 100'000;      ///< parameter sets per sweep
    std::int64_t timeout_s = 30;                ///< reading or writing one request
    std::int64_t job_ttl = 3600;                ///< seconds a job's result is kept
    std::int64_t grace_s = 30;                  ///< on SIGTERM, how long running jobs may finish
    std::int64_t backtests_kept = 32;           ///< backtest reports kept in memory
};

/// [log]: diagnostics on stderr.
struct LogSettings {
    std::string level = "info";  ///< trace, debug, info, warn, error, off
};

/// Every setting of TradPal. Filled, later wins: defaults -> TOML file -> environment
/// (TRADPAL_<SECTION>_<KEY>) -> command-line flags.
struct Settings {
    MemorySettings memory;
    GpuSettings gpu;
    ParallelSettings parallel;
    CacheSettings cache;
    DataSettings data;
    MlSettings ml;
    ServerSettings server;
    LogSettings log;
};

/// Static description of one setting.
struct SettingInfo {
    std::string_view section;
    std::string_view key;
    std::string_view description;
    bool secret = false;  ///< never printed back (`config show` says only whether it is set)
};

/// All settings in display order.
std::span<const SettingInfo> setting_infos();

/// The environment variable that sets section.key, e.g. TRADPAL_DATA_STORE_DIR.
std::string setting_env_name(const SettingInfo& info);

/// Current value of section.key as text (bools as true/false). Errors: NotFound.
Result<std::string> get_setting(const Settings& settings, std::string_view dotted_key);

/// Sets section.key from text, checking type and range. Errors: NotFound, InvalidArgument.
Result<void> set_setting(Settings& settings, std::string_view dotted_key, std::string_view text);

/// Where a setting's effective value came from.
struct SettingSource {
    enum class Kind { Default, File, Env, Flag };
    Kind kind = Kind::Default;
    std::string detail;  ///< file path:line, variable name or flag
};
std::string_view to_string(SettingSource::Kind kind) noexcept;

/// A value given on the command line ("data.store_dir" = "/tmp/s", from "--store").
struct SettingOverride {
    std::string key;
    std::string value;
    std::string origin;
};

/// Inputs of load_settings(); `env` reads the environment (replaceable in tests).
struct SettingsSources {
    std::optional<std::filesystem::path> config_file;  ///< --config; must exist when given
    std::vector<SettingOverride> overrides;
    std::function<std::optional<std::string>(const std::string&)> env;
};

/// Effective settings with the provenance of each value.
struct LoadedSettings {
    Settings values;
    std::map<std::string, SettingSource, std::less<>> sources;  ///< "section.key" -> origin
    std::optional<std::filesystem::path> config_file;           ///< the TOML file read, if any
    std::vector<std::string> warnings;                          ///< unknown keys and the like
};

/// The process environment (getenv).
std::optional<std::string> process_env(const std::string& name);

/// Loads settings. The TOML file is --config, else $TRADPAL_CONFIG, else ./tradpal.toml, else
/// ~/.config/tradpal/tradpal.toml (the first that exists; a named file must exist).
/// Errors: NotFound, ParseError (file:line), InvalidArgument (bad value, naming its origin).
Result<LoadedSettings> load_settings(const SettingsSources& sources);

}  // namespace tradpal

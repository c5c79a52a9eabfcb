// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <variant>

#include <fmt/format.h>

#include <tradpal/config.hpp>
#if TRADPAL_HAS_TOML
#include <toml++/toml.h>
#endif

#include <tradpal/core/settings.hpp>

namespace tradpal {
namespace {

using FieldPtr = std::variant<bool*, std::int64_t*, double*, std::string*>;

// One row of the settings table: description, where the value lives, and its allowed range.
struct Entry {
    SettingInfo info;
    FieldPtr (*field)(Settings&);
    double min = 0;
    double max = 0;              // min == max: no range check
    std::string_view allowed{};  // for strings: comma-separated allowed values, empty = any
};

// clang-format off
const std::array kEntries = {
    Entry{{"memory", "optimization_enabled", "process long passes chunk by chunk with bounded memory"},
          [](Settings& s) -> FieldPtr { return &s.memory.optimization_enabled; }},
    Entry{{"memory", "mapping_enabled", "read stored series through mmap (false: copy into RAM)"},
          [](Settings& s) -> FieldPtr { return &s.memory.mapping_enabled; }},
    Entry{{"memory", "chunk_size", "rows per chunk in chunked passes"},
          [](Settings& s) -> FieldPtr { return &s.memory.chunk_size; }, 1, 1e12},
    Entry{{"gpu", "enabled", "use a GPU when one is present"},
          [](Settings& s) -> FieldPtr { return &s.gpu.enabled; }},
    Entry{{"gpu", "memory_limit", "fraction of GPU memory TradPal may use"},
          [](Settings& s) -> FieldPtr { return &s.gpu.memory_limit; }, 0.01, 1},
    Entry{{"parallel", "enabled", "run independent work on several cores"},
          [](Settings& s) -> FieldPtr { return &s.parallel.enabled; }},
    Entry{{"parallel", "max_workers", "worker threads, 0 = all cores"},
          [](Settings& s) -> FieldPtr { return &s.parallel.max_workers; }, 0, 4096},
    Entry{{"cache", "memory_enabled", "keep cached values in this process (first level)"},
          [](Settings& s) -> FieldPtr { return &s.cache.memory_enabled; }},
    Entry{{"cache", "memory_mb", "megabytes the in-process cache level may hold"},
          [](Settings& s) -> FieldPtr { return &s.cache.memory_mb; }, 0, 1e7},
    Entry{{"cache", "redis_enabled", "use Redis as the second cache level"},
          [](Settings& s) -> FieldPtr { return &s.cache.redis_enabled; }},
    Entry{{"cache", "redis_host", "Redis host"},
          [](Settings& s) -> FieldPtr { return &s.cache.redis_host; }},
    Entry{{"cache", "redis_port", "Redis port"},
          [](Settings& s) -> FieldPtr { return &s.cache.redis_port; }, 1, 65535},
    Entry{{"cache", "redis_timeout_ms", "milliseconds a Redis command may take before the cache gives up on it"},
          [](Settings& s) -> FieldPtr { return &s.cache.redis_timeout_ms; }, 1, 600000},
    Entry{{"cache", "file_enabled", "use the file cache directory (third level)"},
          [](Settings& s) -> FieldPtr { return &s.cache.file_enabled; }},
    Entry{{"cache", "ttl_indicators", "seconds cached indicator results stay fresh"},
          [](Settings& s) -> FieldPtr { return &s.cache.ttl_indicators; }, 0, 1e12},
    Entry{{"cache", "ttl_api", "seconds cached API responses stay fresh"},
          [](Settings& s) -> FieldPtr { return &s.cache.ttl_api; }, 0, 1e12},
    Entry{{"cache", "ttl_backtest", "seconds cached backtest results stay fresh"},
          [](Settings& s) -> FieldPtr { return &s.cache.ttl_backtest; }, 0, 1e12},
    Entry{{"cache", "ttl_models", "seconds cached ML feature matrices stay fresh"},
          [](Settings& s) -> FieldPtr { return &s.cache.ttl_models; }, 0, 1e12},
    Entry{{"cache", "file_dir", "directory of the file cache level"},
          [](Settings& s) -> FieldPtr { return &s.cache.file_dir; }},
    Entry{{"data", "store_dir", "root directory of the bar store"},
          [](Settings& s) -> FieldPtr { return &s.data.store_dir; }},
    Entry{{"data", "default_source", "data source used when none is named"},
          [](Settings& s) -> FieldPtr { return &s.data.default_source; }},
    Entry{{"data", "fallback", "comma-separated order in which data sources are tried"},
          [](Settings& s) -> FieldPtr { return &s.data.fallback; }},
    Entry{{"data", "kaggle_path", "path of a Kaggle Bitstamp 1-minute CSV"},
          [](Settings& s) -> FieldPtr { return &s.data.kaggle_path; }},
    Entry{{"data", "yahoo_url", "base URL of the Yahoo Finance API (a mirror or a test server)"},
          [](Settings& s) -> FieldPtr { return &s.data.yahoo_url; }},
    Entry{{"data", "binance_url", "base URL of the Binance API (a mirror or a test server)"},
          [](Settings& s) -> FieldPtr { return &s.data.binance_url; }},
    Entry{{"data", "kraken_url", "base URL of the Kraken API (a mirror or a test server)"},
          [](Settings& s) -> FieldPtr { return &s.data.kraken_url; }},
    Entry{{"data", "yahoo_rate", "requests per second sent to Yahoo Finance"},
          [](Settings& s) -> FieldPtr { return &s.data.yahoo_rate; }, 0.001, 1e6},
    Entry{{"data", "yahoo_burst", "requests sent to Yahoo Finance at once after a quiet spell"},
          [](Settings& s) -> FieldPtr { return &s.data.yahoo_burst; }, 1, 1e6},
    Entry{{"data", "binance_rate", "requests per second sent to Binance"},
          [](Settings& s) -> FieldPtr { return &s.data.binance_rate; }, 0.001, 1e6},
    Entry{{"data", "binance_burst", "requests sent to Binance at once after a quiet spell"},
          [](Settings& s) -> FieldPtr { return &s.data.binance_burst; }, 1, 1e6},
    Entry{{"data", "kraken_rate", "requests per second sent to Kraken"},
          [](Settings& s) -> FieldPtr { return &s.data.kraken_rate; }, 0.001, 1e6},
    Entry{{"data", "kraken_burst", "requests sent to Kraken at once after a quiet spell"},
          [](Settings& s) -> FieldPtr { return &s.data.kraken_burst; }, 1, 1e6},
    Entry{{"data", "http_timeout_ms", "milliseconds one API request may take, connecting included"},
          [](Settings& s) -> FieldPtr { return &s.data.http_timeout_ms; }, 1, 3600000},
    Entry{{"data", "http_attempts", "tries per API request when the server fails or throttles"},
          [](Settings& s) -> FieldPtr { return &s.data.http_attempts; }, 1, 100},
    Entry{{"ml", "batch_size", "training batch size"},
          [](Settings& s) -> FieldPtr { return &s.ml.batch_size; }, 1, 1e9},
    Entry{{"ml", "mixed_precision", "bf16 autocast when training on a GPU"},
          [](Settings& s) -> FieldPtr { return &s.ml.mixed_precision; }},
    Entry{{"ml", "early_stopping_patience", "epochs without validation improvement before stopping"},
          [](Settings& s) -> FieldPtr { return &s.ml.early_stopping_patience; }, 0, 1e9},
    Entry{{"ml", "checkpoint_dir", "directory for model checkpoints"},
          [](Settings& s) -> FieldPtr { return &s.ml.checkpoint_dir; }},
    Entry{{"server", "token", "bearer token required by changing routes (never printed)", true},
          [](Settings& s) -> FieldPtr { return &s.server.token; }},
    Entry{{"server", "bind", "address `tradpal serve` listens on"},
          [](Settings& s) -> FieldPtr { return &s.server.bind; }},
    Entry{{"server", "port", "port `tradpal serve` listens on (0: any free one)"},
          [](Settings& s) -> FieldPtr { return &s.server.port; }, 0, 65535},
    Entry{{"server", "http_threads", "HTTP connections served at once"},
          [](Settings& s) -> FieldPtr { return &s.server.http_threads; }, 1, 4096},
    Entry{{"server", "workers", "threads running jobs (sweeps, walk-forwards, imports)"},
          [](Settings& s) -> FieldPtr { return &s.server.workers; }, 1, 1024},
    Entry{{"server", "queue", "jobs that may wait for a worker; past it, 429"},
          [](Settings& s) -> FieldPtr { return &s.server.queue; }, 0, 1e6},
    Entry{{"server", "body_limit", "bytes of a request body; past it, 413"},
          [](Settings& s) -> FieldPtr { return &s.server.body_limit; }, 1024, 1e10},
    Entry{{"server", "json_depth", "nesting depth of a JSON body; past it, 400"},
          [](Settings& s) -> FieldPtr { return &s.server.json_depth; }, 2, 10000},
    Entry{{"server", "max_bars", "bars per request, returned or posted"},
          [](Settings& s) -> FieldPtr { return &s.server.max_bars; }, 1, 1e9},
    Entry{{"server", "max_sweep_sets", "parameter sets per sweep or walk-forward"},
          [](Settings& s) -> FieldPtr { return &s.server.max_sweep_sets; }, 1, 1e12},
    Entry{{"server", "timeout_s", "seconds to read or write one request"},
          [](Settings& s) -> FieldPtr { return &s.server.timeout_s; }, 1, 86400},
    Entry{{"server", "job_ttl", "seconds a finished job and its result are kept"},
          [](Settings& s) -> FieldPtr { return &s.server.job_ttl; }, 1, 1e9},
    Entry{{"server", "grace_s", "seconds running jobs may finish after SIGTERM"},
          [](Settings& s) -> FieldPtr { return &s.server.grace_s; }, 0, 86400},
    Entry{{"server", "backtests_kept", "backtest reports kept in memory"},
          [](Settings& s) -> FieldPtr { return &s.server.backtests_kept; }, 1, 1e6},
    Entry{{"log", "level", "log level on stderr"},
          [](Settings& s) -> FieldPtr { return &s.log.level; }, 0, 0,
          "trace,debug,info,warn,error,off"},
};
// clang-format on

std::string dotted(const SettingInfo& info) {
    return fmt::format("{}.{}", info.section, info.key);
}

const Entry* find_entry(std::string_view dotted_key) {
    const auto it = std::find_if(kEntries.begin(), kEntries.end(), [&](const Entry& e) {
        return dotted_key.size() == e.info.section.size() + 1 + e.info.key.size() &&
               dotted_key.starts_with(e.info.section) && dotted_key[e.info.section.size()] == '.' &&
               dotted_key.ends_with(e.info.key);
    });
    return it == kEntries.end() ? nullptr : &*it;
}

Result<bool> parse_bool(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
        return true;
    }
    if (lower == "false" || lower == "0" || lower == "no" || lower == "off") {
        return false;
    }
    return fail(ErrorCode::InvalidArgument, fmt::format("'{}' is not a boolean", text));
}

template <class T>
Result<T> parse_number(std::string_view text) {
    T value{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end) {
        return fail(ErrorCode::InvalidArgument, fmt::format("'{}' is not a number", text));
    }
    return value;
}

Result<void> check_range(const Entry& e, double value) {
    if (e.min != e.max && (value < e.min || value > e.max)) {
        return fail(ErrorCode::InvalidArgument, fmt::format("{} must be between {} and {}, got {}",
                                                            dotted(e.info), e.min, e.max, value));
    }
    return {};
}

// Parses `text` for entry `e` and stores it. Errors name the key.
Result<void> assign_text(const Entry& e, Settings& s, std::string_view text) {
    const FieldPtr field = e.field(s);
    const auto with_key = [&](const Error& err) {
        return fail(err.code, fmt::format("{}: {}", dotted(e.info), err.message));
    };
    if (auto* b = std::get_if<bool*>(&field)) {
        auto v = parse_bool(text);
        if (!v) {
            return with_key(v.error());
        }
        **b = *v;
    } else if (auto* i = std::get_if<std::int64_t*>(&field)) {
        auto v = parse_number<std::int64_t>(text);
        if (!v) {
            return with_key(v.error());
        }
        if (auto r = check_range(e, static_cast<double>(*v)); !r) {
            return r;
        }
        **i = *v;
    } else if (auto* d = std::get_if<double*>(&field)) {
        auto v = parse_number<double>(text);
        if (!v) {
            return with_key(v.error());
        }
        if (auto r = check_range(e, *v); !r) {
            return r;
        }
        **d = *v;
    } else {
        if (!e.allowed.empty()) {
            bool ok = false;
            std::string_view rest = e.allowed;
            while (!rest.empty()) {
                const auto comma = rest.find(',');
                ok = ok || rest.substr(0, comma) == text;
                rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
            }
            if (!ok) {
                return fail(
                    ErrorCode::InvalidArgument,
                    fmt::format("{} must be one of {}, got '{}'", dotted(e.info), e.allowed, text));
            }
        }
        *std::get<std::string*>(field) = std::string(text);
    }
    return {};
}

#if TRADPAL_HAS_TOML
// A TOML value as the text assign_text() accepts; strings only for string settings, so a quoted
// "true" for a bool is refused like any other type mismatch.
Result<std::string> toml_value_text(const Entry& e, Settings& s, const toml::node& node) {
    const FieldPtr field = e.field(s);
    const bool wants_string = std::holds_alternative<std::string*>(field);
    if (wants_string) {
        if (const auto* v = node.as_string()) {
            return v->get();
        }
        return fail(ErrorCode::InvalidArgument, fmt::format("{} expects a string", dotted(e.info)));
    }
    if (const auto* v = node.as_boolean(); v && std::holds_alternative<bool*>(field)) {
        return std::string(v->get() ? "true" : "false");
    }
    if (const auto* v = node.as_integer(); v && !std::holds_alternative<bool*>(field)) {
        return std::to_string(v->get());
    }
    if (const auto* v = node.as_floating_point(); v && std::holds_alternative<double*>(field)) {
        return fmt::format("{}", v->get());
    }
    const char* expected = std::holds_alternative<bool*>(field)           ? "a boolean"
                           : std::holds_alternative<std::int64_t*>(field) ? "an integer"
                                                                          : "a number";
    return fail(ErrorCode::InvalidArgument, fmt::format("{} expects {}", dotted(e.info), expected));
}
#endif

std::optional<std::filesystem::path> find_config_file(const SettingsSources& src) {
    if (src.config_file) {
        return src.config_file;
    }
    if (auto named = src.env("TRADPAL_CONFIG"); named && !named->empty()) {
        return std::filesystem::path(*named);
    }
    std::error_code ec;
    if (std::filesystem::is_regular_file("tradpal.toml", ec)) {
        return std::filesystem::path("tradpal.toml");
    }
    std::filesystem::path user;
    if (auto xdg = src.env("XDG_CONFIG_HOME"); xdg && !xdg->empty()) {
        user = std::filesystem::path(*xdg) / "tradpal" / "tradpal.toml";
    } else if (auto home = src.env("HOME"); home && !home->empty()) {
        user = std::filesystem::path(*home) / ".config" / "tradpal" / "tradpal.toml";
    }
    if (!user.empty() && std::filesystem::is_regular_file(user, ec)) {
        return user;
    }
    return std::nullopt;
}

Result<void> apply_toml_file(const std::filesystem::path& path,
                             [[maybe_unused]] LoadedSettings& out) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return fail(ErrorCode::NotFound,
                    fmt::format("config file {} does not exist", path.string()));
    }
#if !TRADPAL_HAS_TOML
    return fail(ErrorCode::Unavailable,
                fmt::format("cannot read {}: this build has no TOML support (toml++); settings "
                            "come from the defaults, TRADPAL_* variables and flags",
                            path.string()));
#else
    toml::table table;
    try {
        table = toml::parse_file(path.string());
    } catch (const toml::parse_error& e) {
        return fail(ErrorCode::ParseError,
                    fmt::format("{}:{}:{}: {}", path.string(), e.source().begin.line,
                                e.source().begin.column, e.description()));
    }
    for (const auto& [section_key, section_node] : table) {
        const auto* section = section_node.as_table();
        if (section == nullptr) {
            out.warnings.push_back(fmt::format("{}:{}: '{}' is not a [section]; ignored",
                                               path.string(), section_node.source().begin.line,
                                               section_key.str()));
            continue;
        }
        for (const auto& [key, node] : *section) {
            const std::string name = fmt::format("{}.{}", section_key.str(), key.str());
            const Entry* e = find_entry(name);
            const auto line = node.source().begin.line;
            if (e == nullptr) {
                out.warnings.push_back(
                    fmt::format("{}:{}: unknown setting '{}'; ignored", path.string(), line, name));
                continue;
            }
            auto text = toml_value_text(*e, out.values, node);
            auto assigned = text ? assign_text(*e, out.values, *text) : Result<void>(text.error());
            if (!assigned) {
                return fail(assigned.error().code, fmt::format("{}:{}: {}", path.string(), line,
                                                               assigned.error().message));
            }
            out.sources[name] = {SettingSource::Kind::File,
                                 fmt::format("{}:{}", path.string(), line)};
        }
    }
    return {};
#endif
}

}  // namespace

std::span<const SettingInfo> setting_infos() {
    static const auto infos = [] {
        std::array<SettingInfo, kEntries.size()> out{};
        std::transform(kEntries.begin(), kEntries.end(), out.begin(),
                       [](const Entry& e) { return e.info; });
        return out;
    }();
    return infos;
}

std::string setting_env_name(const SettingInfo& info) {
    std::string name = fmt::format("TRADPAL_{}_{}", info.section, info.key);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return name;
}

std::string_view to_string(SettingSource::Kind kind) noexcept {
    switch (kind) {
        case SettingSource::Kind::Default:
            return "default";
        case SettingSource::Kind::File:
            return "file";
        case SettingSource::Kind::Env:
            return "env";
        case SettingSource::Kind::Flag:
            return "flag";
    }
    return "default";
}

Result<std::string> get_setting(const Settings& settings, std::string_view dotted_key) {
    const Entry* e = find_entry(dotted_key);
    if (e == nullptr) {
        return fail(ErrorCode::NotFound, fmt::format("unknown setting '{}'", dotted_key));
    }
    // The table hands out mutable pointers; reading through them does not modify.
    const FieldPtr field = e->field(const_cast<Settings&>(settings));  // NOLINT
    return std::visit(
        [](auto* p) -> std::string {
            using T = std::remove_pointer_t<decltype(p)>;
            if constexpr (std::is_same_v<T, bool>) {
                return *p ? "true" : "false";
            } else if constexpr (std::is_same_v<T, std::string>) {
                return *p;
            } else {
                return fmt::format("{}", *p);
            }
        },
        field);
}

Result<void> set_setting(Settings& settings, std::string_view dotted_key, std::string_view text) {
    const Entry* e = find_entry(dotted_key);
    if (e == nullptr) {
        return fail(ErrorCode::NotFound, fmt::format("unknown setting '{}'", dotted_key));
    }
    return assign_text(*e, settings, text);
}

std::optional<std::string> process_env(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
}

Result<LoadedSettings> load_settings(const SettingsSources& sources_in) {
    SettingsSources src = sources_in;
    if (!src.env) {
        src.env = process_env;
    }
    LoadedSettings out;
    for (const Entry& e : kEntries) {
        out.sources[dotted(e.info)] = {SettingSource::Kind::Default, ""};
    }
    out.config_file = find_config_file(src);
    if (out.config_file) {
        if (auto r = apply_toml_file(*out.config_file, out); !r) {
            return r.error();
        }
    }
    for (const Entry& e : kEntries) {
        const std::string var = setting_env_name(e.info);
        if (auto value = src.env(var)) {
            if (auto r = assign_text(e, out.values, *value); !r) {
                return fail(r.error().code,
                            fmt::format("environment {}: {}", var, r.error().message));
            }
            out.sources[dotted(e.info)] = {SettingSource::Kind::Env, var};
        }
    }
    for (const SettingOverride& o : src.overrides) {
        if (auto r = set_setting(out.values, o.key, o.value); !r) {
            return fail(r.error().code, fmt::format("{}: {}", o.origin, r.error().message));
        }
        out.sources[o.key] = {SettingSource::Kind::Flag, o.origin};
    }
    return out;
}

}  // namespace tradpal

// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include <fmt/format.h>

#include <tradpal/config.hpp>
#include <tradpal/data/export.hpp>

#include "context.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

/// What `config show` prints for a setting: a secret says only whether it is set.
std::string shown_value(const Settings& values, const SettingInfo& info, const std::string& key) {
    std::string value = get_setting(values, key).value();
    if (info.secret && !value.empty()) {
        return "(set)";
    }
    return value;
}

int run_config_show(Context& ctx) {
    const LoadedSettings& s = ctx.settings;
    if (ctx.json) {
        nlohmann::json settings = nlohmann::json::object();
        for (const SettingInfo& info : setting_infos()) {
            const std::string key = fmt::format("{}.{}", info.section, info.key);
            const SettingSource& src = s.sources.at(key);
            settings[key] = {{"value", shown_value(s.values, info, key)},
                             {"source", to_string(src.kind)},
                             {"detail", src.detail},
                             {"env", setting_env_name(info)}};
        }
        Context::print_json({{"config_file", s.config_file ? s.config_file->string() : ""},
                             {"settings", settings},
                             {"warnings", s.warnings}});
        return 0;
    }
    std::cout << "config file: "
              << (s.config_file ? s.config_file->string()
                                : "none (looked for --config, $TRADPAL_CONFIG, ./tradpal.toml, "
                                  "~/.config/tradpal/tradpal.toml)")
              << "\n\n";
    Table table({"SETTING", "VALUE", "FROM"});
    for (const SettingInfo& info : setting_infos()) {
        const std::string key = fmt::format("{}.{}", info.section, info.key);
        const SettingSource& src = s.sources.at(key);
        std::string from(to_string(src.kind));
        if (!src.detail.empty()) {
            from += " " + src.detail;
        }
        table.add_row({key, shown_value(s.values, info, key), from});
    }
    table.print(std::cout);
    for (const auto& w : s.warnings) {
        std::cout << "warning: " << w << '\n';
    }
    std::cout << "\nEach setting can also be set by environment (TRADPAL_<SECTION>_<KEY>) or with "
                 "--set section.key=value.\n";
    return 0;
}

int run_version(Context& ctx) {
    const std::vector<std::pair<std::string, bool>> features = {
        {"hdf5", data::hdf5_available()},
        {"redis", TRADPAL_HAS_REDIS != 0},
        {"mpi", TRADPAL_HAS_MPI != 0},
        {"cuda_toolkit", TRADPAL_HAS_CUDA != 0},
        {"libtorch", TRADPAL_HAS_TORCH != 0}};
    if (ctx.json) {
        nlohmann::json f = nlohmann::json::object();
        for (const auto& [name, on] : features) {
            f[name] = on;
        }
        Context::print_json({{"version", TRADPAL_VERSION}, {"found_at_build", f}});
        return 0;
    }
    std::cout << "tradpal " << TRADPAL_VERSION << '\n';
    std::cout << "optional parts found at build time:";
    for (const auto& [name, on] : features) {
        std::cout << ' ' << name << (on ? "=yes" : "=no");
    }
    std::cout << '\n';
    return 0;
}

}  // namespace

void add_config_commands(CLI::App& app, std::vector<Command>& commands) {
    CLI::App* config = app.add_subcommand("config", "Show settings");
    config->require_subcommand(1);
    CLI::App* show = config->add_subcommand("show", "Effective settings and where each came from");
    commands.push_back({show, run_config_show});
    CLI::App* version = app.add_subcommand("version", "Version and optional parts of this build");
    commands.push_back({version, run_version});
}

}  // namespace tradpal::cli

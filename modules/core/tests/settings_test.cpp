// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <unistd.h>

#include <tradpal/config.hpp>
#include <tradpal/core/file.hpp>
#include <tradpal/core/settings.hpp>

namespace tradpal {
namespace {

class SettingsTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!TRADPAL_HAS_TOML) {
            GTEST_SKIP() << "built without toml++ (TRADPAL_MODULES subset)";
        }
        dir_ = std::filesystem::temp_directory_path() /
               ("tradpal_settings_test_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    SettingsSources sources(std::map<std::string, std::string> env = {}) {
        SettingsSources s;
        env["HOME"] = dir_.string();  // no user config file
        s.env = [env](const std::string& name) -> std::optional<std::string> {
            auto it = env.find(name);
            return it == env.end() ? std::nullopt : std::optional(it->second);
        };
        return s;
    }

    std::filesystem::path dir_;
};

TEST_F(SettingsTest, DefaultsMatchTheDocumentedValues) {
    const LoadedSettings s = load_settings(sources()).value();
    EXPECT_EQ(s.values.cache.ttl_indicators, 3600);
    EXPECT_EQ(s.values.cache.ttl_api, 1800);
    EXPECT_EQ(s.values.parallel.max_workers, 0);
    EXPECT_EQ(s.sources.at("data.store_dir").kind, SettingSource::Kind::Default);
    EXPECT_FALSE(s.config_file.has_value());
}

TEST_F(SettingsTest, LaterSourcesWinAndProvenanceIsKept) {
    write_file_atomic(
        dir_ / "t.toml",
        "[data]\nstore_dir = \"/from/file\"\n[cache]\nttl_api = 60\nredis_port = 7000\n");
    SettingsSources src = sources({{"TRADPAL_CACHE_TTL_API", "90"}});
    src.config_file = dir_ / "t.toml";
    src.overrides.push_back({"cache.redis_port", "7001", "--set"});
    const LoadedSettings s = load_settings(src).value();
    EXPECT_EQ(s.values.data.store_dir, "/from/file");
    EXPECT_EQ(s.sources.at("data.store_dir").kind, SettingSource::Kind::File);
    EXPECT_NE(s.sources.at("data.store_dir").detail.find("t.toml:2"), std::string::npos);
    EXPECT_EQ(s.values.cache.ttl_api, 90);
    EXPECT_EQ(s.sources.at("cache.ttl_api").detail, "TRADPAL_CACHE_TTL_API");
    EXPECT_EQ(s.values.cache.redis_port, 7001);
    EXPECT_EQ(s.sources.at("cache.redis_port").kind, SettingSource::Kind::Flag);
}

TEST_F(SettingsTest, ConfigFileCanBeNamedByEnvironment) {
    write_file_atomic(dir_ / "e.toml", "[parallel]\nmax_workers = 3\n");
    const auto s = load_settings(sources({{"TRADPAL_CONFIG", (dir_ / "e.toml").string()}})).value();
    EXPECT_EQ(s.values.parallel.max_workers, 3);
}

TEST_F(SettingsTest, BadValuesNameTheirOrigin) {
    auto env = load_settings(sources({{"TRADPAL_PARALLEL_MAX_WORKERS", "many"}}));
    ASSERT_FALSE(env.has_value());
    EXPECT_NE(env.error().message.find("TRADPAL_PARALLEL_MAX_WORKERS"), std::string::npos);

    write_file_atomic(dir_ / "bad.toml", "[gpu]\nenabled = \"yes\"\n");
    SettingsSources src = sources();
    src.config_file = dir_ / "bad.toml";
    auto file = load_settings(src);
    ASSERT_FALSE(file.has_value());
    EXPECT_NE(file.error().message.find("bad.toml:2"), std::string::npos);

    write_file_atomic(dir_ / "broken.toml", "[data\nstore_dir = 1\n");
    src.config_file = dir_ / "broken.toml";
    auto broken = load_settings(src);
    ASSERT_FALSE(broken.has_value());
    EXPECT_EQ(broken.error().code, ErrorCode::ParseError);

    src.config_file = dir_ / "missing.toml";
    EXPECT_EQ(load_settings(src).error().code, ErrorCode::NotFound);
}

TEST_F(SettingsTest, RangesAndChoicesAreChecked) {
    Settings s;
    EXPECT_FALSE(set_setting(s, "cache.redis_port", "70000").has_value());
    EXPECT_FALSE(set_setting(s, "gpu.memory_limit", "1.5").has_value());
    EXPECT_FALSE(set_setting(s, "log.level", "loud").has_value());
    EXPECT_FALSE(set_setting(s, "no.such", "1").has_value());
    EXPECT_TRUE(set_setting(s, "gpu.memory_limit", "0.5").has_value());
    EXPECT_EQ(get_setting(s, "gpu.memory_limit").value(), "0.5");
}

TEST_F(SettingsTest, UnknownKeysWarnButDoNotFail) {
    write_file_atomic(dir_ / "u.toml", "[data]\nstore_dri = \"/x\"\n");
    SettingsSources src = sources();
    src.config_file = dir_ / "u.toml";
    const auto s = load_settings(src).value();
    ASSERT_EQ(s.warnings.size(), 1U);
    EXPECT_NE(s.warnings[0].find("data.store_dri"), std::string::npos);
}

TEST(SettingInfos, EnvNamesFollowTheScheme) {
    bool found = false;
    for (const SettingInfo& info : setting_infos()) {
        if (info.section == "data" && info.key == "store_dir") {
            EXPECT_EQ(setting_env_name(info), "TRADPAL_DATA_STORE_DIR");
            found = true;
        }
    }
    EXPECT_TRUE(found);
}

}  // namespace
}  // namespace tradpal

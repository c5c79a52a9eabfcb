// SPDX-License-Identifier: Apache-2.0
// Runs the tradpal binary for the end-to-end tests: exit code, stdout and stderr.
#pragma once

#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <tradpal/core/file.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal {

struct CliRun {
    int code = -1;
    std::string out;
    std::string err;
    nlohmann::json json() const { return nlohmann::json::parse(out); }
};

class CliTest : public ::testing::Test {
protected:
    // Runs `tradpal --store <tmp>/store <args>` with a clean HOME, so no user config is read.
    CliRun tradpal(const std::string& args, const std::string& env = "") {
        const auto err_file = dir_.path() / "stderr.txt";
        const std::string cmd = fmt::format(
            "HOME='{}' TRADPAL_CONFIG= {} '{}' --store '{}' {} 2>'{}'", dir_.path().string(), env,
            TRADPAL_CLI, store().string(), args, err_file.string());
        CliRun r;
        FILE* pipe = ::popen(cmd.c_str(), "r");
        char buf[4096];
        std::size_t n = 0;
        while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
            r.out.append(buf, n);
        }
        const int status = ::pclose(pipe);
        r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.err = read_text_file(err_file).value_or("");
        return r;
    }
    std::filesystem::path store() const { return dir_.path() / "store"; }
    std::string file(const std::string& name, const std::string& content) {
        return dir_.write(name, content).string();
    }

    data_testing::TempDir dir_{"tradpal_cli"};
};

}  // namespace tradpal

// SPDX-License-Identifier: Apache-2.0
// Checks Prometheus text exposition output line by line.
#pragma once

#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace tradpal::monitor {

// Every line is a comment or `name{labels} value`; every sampled family has HELP and TYPE
// before its first sample.
inline void expect_well_formed_prometheus(const std::string& text, std::set<std::string>& names) {
    static const std::regex sample(
        R"(^([a-zA-Z_:][a-zA-Z0-9_:]*))"
        R"((\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*")*\})?)"
        R"( (NaN|[+-]Inf|[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?)$)");
    static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
    static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$)");
    std::set<std::string> helped;
    std::set<std::string> typed;
    std::istringstream in(text);
    std::string line;
    ASSERT_FALSE(text.empty());
    ASSERT_EQ(text.back(), '\n');
    while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_match(line, m, help)) {
            helped.insert(m[1]);
        } else if (std::regex_match(line, m, type)) {
            EXPECT_TRUE(typed.insert(m[1]).second) << "TYPE twice: " << line;
        } else if (std::regex_match(line, m, sample)) {
            EXPECT_TRUE(helped.count(m[1]) && typed.count(m[1])) << "no HELP/TYPE: " << line;
            names.insert(m[1]);
        } else {
            ADD_FAILURE() << "not a Prometheus line: '" << line << "'";
        }
    }
}

}  // namespace tradpal::monitor

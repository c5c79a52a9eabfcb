// SPDX-License-Identifier: Apache-2.0
#include "../src/output.hpp"

#include <sstream>

#include <gtest/gtest.h>

#include <tradpal/cli/app.hpp>

namespace tradpal::cli {
namespace {

TEST(Output, FormatsNumbersAndSpans) {
    EXPECT_EQ(with_commas(0), "0");
    EXPECT_EQ(with_commas(1234567), "1,234,567");
    EXPECT_EQ(format_span(kNanosPerHour), "1 h");
    EXPECT_EQ(format_span(3 * kNanosPerDay + 4 * kNanosPerHour), "3 d 4 h");
    EXPECT_EQ(format_span(45 * kNanosPerMinute), "45 min");
    EXPECT_EQ(format_seconds(0.5), "0.50 s");
}

TEST(Output, TablesAlignColumns) {
    Table t({"NAME", "ROWS"});
    t.add_row({"a", "1,000"});
    t.add_row({"longer", "5"});
    std::ostringstream out;
    t.print(out);
    EXPECT_EQ(out.str(), "NAME     ROWS\na       1,000\nlonger      5\n");
}

TEST(ExitCodes, AreDistinctPerKind) {
    EXPECT_EQ(exit_code(ErrorCode::InvalidArgument), 2);
    EXPECT_EQ(exit_code(ErrorCode::NotFound), 3);
    EXPECT_EQ(exit_code(ErrorCode::ValidationFailed), 5);
    EXPECT_EQ(exit_code(ErrorCode::Corrupt), 6);
    EXPECT_EQ(exit_code(ErrorCode::Locked), 7);
}

}  // namespace
}  // namespace tradpal::cli

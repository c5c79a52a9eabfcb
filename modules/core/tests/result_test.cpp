// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gtest/gtest.h>

#include <tradpal/core/result.hpp>

namespace tradpal {
namespace {

Result<int> half(int x) {
    if (x % 2 != 0) {
        return fail(ErrorCode::InvalidArgument, "odd");
    }
    return x / 2;
}

TEST(Result, HoldsAValueOrAnError) {
    EXPECT_EQ(*half(4), 2);
    EXPECT_FALSE(half(3).has_value());
    EXPECT_EQ(half(3).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(half(3).value_or(-1), -1);
}

TEST(Result, ValueOnErrorThrowsWithTheCode) {
    try {
        (void)half(3).value();
        FAIL() << "expected an exception";
    } catch (const Exception& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_STREQ(e.what(), "odd");
    }
}

TEST(Result, ChainsWithAndThenAndTransform) {
    EXPECT_EQ(*half(8).and_then(half), 2);
    EXPECT_FALSE(half(6).and_then(half).has_value());
    EXPECT_EQ(*half(8).transform([](int v) { return std::to_string(v); }), "4");
}

TEST(Result, VoidResultsCarryOnlyErrors) {
    Result<void> ok;
    EXPECT_TRUE(ok.has_value());
    Result<void> bad = fail(ErrorCode::NotFound, "gone");
    EXPECT_FALSE(bad.has_value());
    EXPECT_THROW(bad.value(), Exception);
    EXPECT_EQ(to_string(bad.error().code), "not_found");
}

}  // namespace
}  // namespace tradpal

// SPDX-License-Identifier: Apache-2.0
#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include <tradpal/core/output.hpp>
#include <tradpal/core/timestamp.hpp>

namespace tradpal {
namespace {

class OutputTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("tradpal_output_test_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path dir_;
};

TEST_F(OutputTest, AppearsOnlyWhenCommitted) {
    const auto path = dir_ / "out.csv";
    {
        OutputFile out = OutputFile::open(path).value();
        out.write("a,b\n");
        std::string big(200'000, 'x');
        out.write(big);
        char* p = out.reserve(3);
        p[0] = '1';
        p[1] = '2';
        out.advance(p + 2);
        EXPECT_FALSE(std::filesystem::exists(path));
        out.commit();
    }
    EXPECT_EQ(std::filesystem::file_size(path), 4U + 200'000U + 2U);
    {
        OutputFile abandoned = OutputFile::open(dir_ / "gone.csv").value();
        abandoned.write("partial");
    }
    EXPECT_FALSE(std::filesystem::exists(dir_ / "gone.csv"));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                            std::filesystem::directory_iterator()),
              1);
}

TEST_F(OutputTest, WritesDevicesInPlace) {
    OutputFile out = OutputFile::open("/dev/null").value();
    out.write("discarded\n");
    out.commit();
    EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
    EXPECT_FALSE(out.is_stdout());
}

TEST_F(OutputTest, RefusesUnwritablePlaces) {
    EXPECT_FALSE(OutputFile::open(dir_ / "no" / "such" / "dir.csv").has_value());
}

TEST(IsoFormatter, MatchesFormatIso) {
    IsoFormatter f;
    for (std::int64_t ns : {std::int64_t{0}, std::int64_t{59} * kNanosPerSecond,
                            std::int64_t{86'400} * kNanosPerSecond + 1'500'000, std::int64_t{-1},
                            std::int64_t{1'700'000'000'123'456'789}}) {
        char buf[64];
        const char* end = f.write(buf, Timestamp(ns));
        EXPECT_EQ(std::string(static_cast<const char*>(buf), end), format_iso(Timestamp(ns)));
    }
}

}  // namespace
}  // namespace tradpal

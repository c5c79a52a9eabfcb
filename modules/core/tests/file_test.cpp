// SPDX-License-Identifier: Apache-2.0
#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include <tradpal/core/file.hpp>

namespace tradpal {
namespace {

class FileTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("tradpal_file_test_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path dir_;
};

TEST_F(FileTest, WritesAndReadsAtOffsets) {
    File f = File::open(dir_ / "a.bin", File::Mode::ReadWriteCreate).value();
    const std::string text = "hello world";
    f.write_at(4, std::as_bytes(std::span(text)));
    EXPECT_EQ(f.size(), 15U);
    std::string back(5, '\0');
    f.read_at(10, std::as_writable_bytes(std::span(back)));
    EXPECT_EQ(back, "world");
    std::string too_long(10, '\0');
    EXPECT_THROW(f.read_at(10, std::as_writable_bytes(std::span(too_long))), Exception);
}

TEST_F(FileTest, OpeningADirectoryOrAMissingFileFailsClearly) {
    auto dir = File::open(dir_, File::Mode::Read);
    ASSERT_FALSE(dir.has_value());
    EXPECT_NE(dir.error().message.find("is a directory"), std::string::npos);
    auto missing = File::open(dir_ / "missing", File::Mode::Read);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST_F(FileTest, MapsAndRefusesShortFiles) {
    write_file_atomic(dir_ / "m.bin", "0123456789");
    auto m = MappedFile::open(dir_ / "m.bin", 8).value();
    EXPECT_EQ(m.bytes().size(), 8U);
    EXPECT_EQ(static_cast<char>(m.bytes()[7]), '7');
    m.release(0, 8);  // harmless on a small map
    auto short_map = MappedFile::open(dir_ / "m.bin", 11);
    ASSERT_FALSE(short_map.has_value());
    EXPECT_EQ(short_map.error().code, ErrorCode::Corrupt);
}

TEST_F(FileTest, AtomicWriteReplacesContent) {
    write_file_atomic(dir_ / "meta.json", "old");
    write_file_atomic(dir_ / "meta.json", "new content");
    EXPECT_EQ(read_text_file(dir_ / "meta.json").value(), "new content");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                            std::filesystem::directory_iterator()),
              1);
}

TEST_F(FileTest, SecondLockFailsWhileTheFirstIsHeld) {
    const auto path = dir_ / ".lock";
    {
        auto first = FileLock::try_lock(path).value();
        auto second = FileLock::try_lock(path);
        ASSERT_FALSE(second.has_value());
        EXPECT_EQ(second.error().code, ErrorCode::Locked);
    }
    EXPECT_TRUE(FileLock::try_lock(path).has_value());
}

TEST(FormatBytes, UsesBinaryUnits) {
    EXPECT_EQ(format_bytes(512), "512 B");
    EXPECT_EQ(format_bytes(1536), "1.5 KiB");
    EXPECT_EQ(format_bytes(3ULL << 30), "3.0 GiB");
}

}  // namespace
}  // namespace tradpal

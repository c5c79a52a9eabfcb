// SPDX-License-Identifier: Apache-2.0
// The cache value codec: bit-exact round trips in every mode, expiry through peek(), and
// rejection (Corrupt, never a crash) of flipped bits, truncations, garbage and crafted headers
// or payloads whose checksum is valid.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

// The test seals crafted values itself, so it needs the checksum but not the library's symbols.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <tradpal/cache/codec.hpp>
#include <tradpal/core/timestamp.hpp>
#include <tradpal/data_testing/helpers.hpp>

namespace tradpal::cache {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t kMinute = kNanosPerMinute;
constexpr std::int64_t kJan2024 = 1'704'067'200LL * kNanosPerSecond;

std::vector<std::int64_t> minute_times(std::size_t n) {
    std::vector<std::int64_t> ts(n);
    for (std::size_t i = 0; i < n; ++i) {
        ts[i] = kJan2024 + static_cast<std::int64_t>(i) * kMinute;
    }
    return ts;
}

// A seeded random walk of prices with two decimals, like exchange closes.
std::vector<double> walk(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> step(0.0, 0.0005);
    std::vector<double> prices(n);
    double price = 20'000;
    for (double& p : prices) {
        price *= std::exp(step(rng));
        p = std::round(price * 100) / 100;
    }
    return prices;
}

// Bit patterns, so that NaN and -0.0 compare exactly.
std::vector<std::uint64_t> bits(std::span<const double> values) {
    std::vector<std::uint64_t> out(values.size());
    std::transform(values.begin(), values.end(), out.begin(),
                   [](double v) { return std::bit_cast<std::uint64_t>(v); });
    return out;
}

// Doubles whose == would lie: NaNs with payloads and signs, signed zeros, infinities, denormals.
std::vector<double> awkward_doubles(std::size_t n) {
    std::vector<double> values = walk(n, 7);
    const double specials[] = {
        std::numeric_limits<double>::quiet_NaN(),
        -std::numeric_limits<double>::quiet_NaN(),
        std::bit_cast<double>(std::uint64_t{0x7ff0'0000'0000'0001}),  // signalling NaN
        std::bit_cast<double>(std::uint64_t{0x7ff8'dead'beef'0042}),  // NaN with a payload
        std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(),
        -0.0,
        0.0,
        std::numeric_limits<double>::denorm_min(),
        -std::numeric_limits<double>::max(),
    };
    for (std::size_t i = 0; i < n; i += 997) {
        values[i] = specials[(i / 997) % std::size(specials)];
    }
    return values;
}

Value small_value() {
    const std::vector<double> closes = {101.25, 101.5, -0.0, 99.75,
                                        std::numeric_limits<double>::quiet_NaN()};
    const std::vector<std::int64_t> ts = {kJan2024, kJan2024 + kMinute, -1,
                                          std::numeric_limits<std::int64_t>::min(),
                                          std::numeric_limits<std::int64_t>::max()};
    const std::vector<std::uint8_t> flags = {0, 1, 255};
    return {{Column::of("close", closes), Column::of("ts", ts), Column::of("flags", flags),
             Column::text("meta", R"({"symbol":"BTC/USDT","timeframe":"1m"})")}};
}

// The checksum as the format defines it: XXH3-64 of the stored payload, seeded with XXH3-64 of
// header bytes [0, 32).
void reseal(Bytes& encoded) {
    const std::uint64_t seed = XXH3_64bits(encoded.data(), 32);
    const std::uint64_t sum =
        XXH3_64bits_withSeed(encoded.data() + kHeaderBytes, encoded.size() - kHeaderBytes, seed);
    std::memcpy(encoded.data() + 32, &sum, sizeof sum);
}

template <class T>
void put(Bytes& bytes, std::size_t offset, T v) {
    std::memcpy(bytes.data() + offset, &v, sizeof v);
}

// A value with the given compression byte and stored payload, sized and sealed consistently.
Bytes craft(std::uint8_t compression, std::uint64_t raw_bytes, const Bytes& stored) {
    Bytes out(kHeaderBytes + stored.size());
    std::memcpy(out.data(), "TPCV", 4);
    put(out, 4, kFormatVersion);
    put(out, 6, compression);
    put(out, 16, raw_bytes);
    put(out, 24, static_cast<std::uint64_t>(stored.size()));
    std::copy(stored.begin(), stored.end(), out.begin() + kHeaderBytes);
    reseal(out);
    return out;
}

// Payload pieces for crafted values stored raw.
struct PayloadWriter {
    Bytes bytes;
    template <class T>
    PayloadWriter& add(T v) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
        bytes.insert(bytes.end(), p, p + sizeof v);
        return *this;
    }
    PayloadWriter& column(std::string_view name, std::uint8_t dtype, std::uint8_t filter,
                          std::uint64_t count) {
        add(static_cast<std::uint16_t>(name.size()));
        bytes.insert(bytes.end(), name.begin(), name.end());
        add(dtype).add(filter).add(count);
        return pad();
    }
    // Zero bytes up to the next multiple of 8 (the values' alignment in the format).
    PayloadWriter& pad(std::uint8_t fill = 0) {
        bytes.insert(bytes.end(), (8 - bytes.size() % 8) % 8, fill);
        return *this;
    }
    PayloadWriter& data(std::size_t n, std::uint8_t fill = 0x42) {
        bytes.insert(bytes.end(), n, fill);
        return *this;
    }
    Bytes sealed() const { return craft(1, bytes.size(), bytes); }
};

void expect_corrupt(std::span<const std::uint8_t> bytes, const std::string& what) {
    const Result<Value> decoded = decode(bytes);
    ASSERT_FALSE(decoded.has_value()) << what;
    EXPECT_EQ(decoded.error().code, ErrorCode::Corrupt) << what << ": " << decoded.error().message;
}

void expect_bit_exact(const Value& expected, const Value& actual) {
    ASSERT_EQ(expected.columns.size(), actual.columns.size());
    for (std::size_t i = 0; i < expected.columns.size(); ++i) {
        const Column& e = expected.columns[i];
        const Column& a = actual.columns[i];
        EXPECT_EQ(e.name, a.name);
        EXPECT_EQ(e.dtype, a.dtype) << e.name;
        ASSERT_EQ(e.bytes().size(), a.bytes().size()) << e.name;
        // bytes, so NaN and -0.0 compare exactly
        EXPECT_TRUE(std::ranges::equal(e.bytes(), a.bytes())) << e.name;
    }
}

// ---- Column and Value

TEST(CodecColumn, HoldsLittleEndianCopiesOfTheValues) {
    const std::vector<double> closes = {1.5, -0.0, std::numeric_limits<double>::infinity()};
    const Column c = Column::of("close", closes);
    EXPECT_EQ(c.dtype, DType::Float64);
    EXPECT_EQ(c.length(), 3u);
    ASSERT_EQ(c.bytes().size(), 24u);
    EXPECT_EQ(c.bytes()[7], 0x3f);   // 1.5 = 0x3ff8'0000'0000'0000, sign and exponent last
    EXPECT_EQ(c.bytes()[15], 0x80);  // -0.0
    EXPECT_EQ(bits(c.f64()), bits(closes));

    const std::vector<std::int64_t> ts = {kJan2024, -7};
    const Column t = Column::of("ts", ts);
    EXPECT_EQ(t.dtype, DType::Int64);
    EXPECT_EQ(t.i64(), ts);
    EXPECT_EQ(t.bytes()[0], static_cast<std::uint8_t>(kJan2024 & 0xff));  // low byte first

    const std::vector<std::uint8_t> flags = {3, 0, 255};
    const Column u = Column::of("flags", flags);
    EXPECT_EQ(u.dtype, DType::UInt8);
    EXPECT_EQ(u.length(), 3u);
    EXPECT_TRUE(std::ranges::equal(u.bytes(), flags));

    const Column j = Column::text("result", "{\"sharpe\":1.2}");
    EXPECT_EQ(j.dtype, DType::Bytes);
    EXPECT_EQ(j.length(), 14u);
    EXPECT_EQ(j.as_text(), "{\"sharpe\":1.2}");
}

TEST(CodecColumn, TypedCopiesRefuseAnotherDtype) {
    const std::vector<std::int64_t> ts = {1, 2};
    const Column t = Column::of("ts", ts);
    try {
        (void)t.f64();
        FAIL() << "f64() of an int64 column";
    } catch (const Exception& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
        EXPECT_THAT(e.what(), ::testing::HasSubstr("ts"));
    }
    EXPECT_THROW((void)Column::text("x", "abc").i64(), Exception);
}

TEST(CodecValue, FindsColumnsAndCountsTheirBytes) {
    const Value v = small_value();
    ASSERT_NE(v.find("ts"), nullptr);
    EXPECT_EQ(v.find("ts")->dtype, DType::Int64);
    EXPECT_EQ(v.find("volume"), nullptr);
    EXPECT_EQ(v.payload_bytes(), 5 * 8 + 5 * 8 + 3 + v.find("meta")->bytes().size());
    EXPECT_EQ(Value{}.payload_bytes(), 0u);
}

// ---- round trips in every mode

struct Mode {
    Compression compression;
    Filter filter;
};

class CodecRoundTrip : public ::testing::TestWithParam<Mode> {
protected:
    EncodeOptions options() const { return {GetParam().compression, 3, GetParam().filter}; }

    Value round_trip(const Value& value, std::int64_t expires_at_ns = 0) const {
        const Bytes encoded = encode(value, expires_at_ns, options());
        EXPECT_EQ(encode(value, expires_at_ns, options()), encoded) << "deterministic";
        const Result<Header> header = peek(encoded);
        EXPECT_TRUE(header.has_value());
        if (header && GetParam().compression != Compression::Auto) {
            EXPECT_EQ(header->compression, GetParam().compression);
        }
        Result<Value> decoded = decode(encoded);
        EXPECT_TRUE(decoded.has_value()) << (decoded ? "" : decoded.error().message);
        return decoded ? std::move(*decoded) : Value{};
    }
};

TEST_P(CodecRoundTrip, EveryDtype) {
    const Value value = small_value();
    const Value back = round_trip(value);
    expect_bit_exact(value, back);
    EXPECT_EQ(back, value);
}

TEST_P(CodecRoundTrip, EmptyValue) {
    EXPECT_TRUE(round_trip(Value{}).columns.empty());
}

TEST_P(CodecRoundTrip, EmptyColumnsOfEveryDtype) {
    const Value value{{Column::of("f", std::span<const double>{}),
                       Column::of("i", std::span<const std::int64_t>{}),
                       Column::of("u", std::span<const std::uint8_t>{}), Column::text("", "")}};
    const Value back = round_trip(value);
    expect_bit_exact(value, back);
    EXPECT_EQ(back.columns[3].name, "");
}

TEST_P(CodecRoundTrip, LargeColumnsBitExact) {
    const std::vector<double> doubles = awkward_doubles(1'000'000);
    std::vector<std::int64_t> ts = minute_times(200'000);
    ts[1000] = std::numeric_limits<std::int64_t>::min();  // wraps the delta both ways
    ts[1001] = std::numeric_limits<std::int64_t>::max();
    std::string text(100'000, ' ');
    std::mt19937_64 rng(3);
    std::generate(text.begin(), text.end(), [&] { return static_cast<char>(rng()); });
    const Value value{
        {Column::of("close", doubles), Column::of("ts", ts), Column::text("t", text)}};
    expect_bit_exact(value, round_trip(value));
}

TEST_P(CodecRoundTrip, ColumnLengthsAroundTheShuffleBlock) {
    // Shuffles move 8 values at a time; the last n % 8 take another path.
    for (std::size_t n : {1u, 7u, 8u, 9u, 63u, 64u, 65u, 8191u, 8193u, 40'001u}) {
        const Value value{
            {Column::of("close", awkward_doubles(n)), Column::of("ts", minute_times(n))}};
        SCOPED_TRACE(n);
        expect_bit_exact(value, round_trip(value));
    }
}

TEST_P(CodecRoundTrip, ExpiryThroughPeek) {
    const Value value{{Column::of("close", walk(1000, 1))}};
    const std::int64_t expires = kJan2024 + 3600 * kNanosPerSecond;
    const Bytes encoded = encode(value, expires, options());
    const Result<Header> header = peek(encoded);
    ASSERT_TRUE(header.has_value()) << header.error().message;
    EXPECT_EQ(header->version, kFormatVersion);
    EXPECT_EQ(header->expires_at_ns, expires);
    EXPECT_EQ(header->stored_bytes, encoded.size() - kHeaderBytes);
    EXPECT_NE(header->compression, Compression::Auto);
    if (header->compression == Compression::None) {
        EXPECT_EQ(header->raw_bytes, header->stored_bytes);
    }
    // A file level may read only the header.
    const Result<Header> alone = peek(std::span(encoded).first(kHeaderBytes));
    ASSERT_TRUE(alone.has_value());
    EXPECT_EQ(alone->expires_at_ns, expires);
    EXPECT_EQ(alone->raw_bytes, header->raw_bytes);

    const Bytes never = encode(value, 0, options());
    EXPECT_EQ(peek(never)->expires_at_ns, 0);
    const Bytes past = encode(value, -5, options());
    EXPECT_EQ(peek(past)->expires_at_ns, -5);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, CodecRoundTrip,
    ::testing::Values(Mode{Compression::None, Filter::Auto}, Mode{Compression::Lz4, Filter::None},
                      Mode{Compression::Lz4, Filter::Shuffle},
                      Mode{Compression::Lz4, Filter::Delta}, Mode{Compression::Lz4, Filter::Auto},
                      Mode{Compression::Zstd, Filter::None},
                      Mode{Compression::Zstd, Filter::Shuffle},
                      Mode{Compression::Zstd, Filter::Delta}, Mode{Compression::Zstd, Filter::Auto},
                      Mode{Compression::Auto, Filter::Auto}),
    [](const ::testing::TestParamInfo<Mode>& mode) {
        return std::string(to_string(mode.param.compression)) + "_" +
               std::string(to_string(mode.param.filter));
    });

// ---- Compression::Auto

TEST(CodecAuto, StoresTinyValuesRaw) {
    const Value value{{Column::text("r", R"({"trades":12})")}};
    const Bytes encoded = encode(value);
    EXPECT_EQ(peek(encoded)->compression, Compression::None);
}

TEST(CodecAuto, StoresIncompressibleBytesRaw) {
    std::string noise(std::size_t{64} << 10, ' ');
    std::mt19937_64 rng(11);
    std::generate(noise.begin(), noise.end(), [&] { return static_cast<char>(rng()); });
    const Bytes encoded = encode(Value{{Column::text("blob", noise)}});
    const Header header = peek(encoded).value();
    EXPECT_EQ(header.compression, Compression::None);
    EXPECT_EQ(header.stored_bytes, header.raw_bytes);
}

TEST(CodecAuto, CompressesMinuteTimestampsToAlmostNothing) {
    const Value value{{Column::of("ts", minute_times(100'000))}};
    const Bytes encoded = encode(value);
    EXPECT_EQ(peek(encoded)->compression, Compression::Zstd);
    EXPECT_LT(encoded.size(), value.payload_bytes() / 100);  // delta + shuffle: constant steps
    expect_bit_exact(value, decode(encoded).value());
}

TEST(CodecEncode, NoneStoresThePayloadAsIs) {
    const Value value{{Column::of("ts", minute_times(10'000))}};
    const Header header = peek(encode(value, 0, {Compression::None})).value();
    EXPECT_EQ(header.compression, Compression::None);
    EXPECT_EQ(header.stored_bytes, header.raw_bytes);
}

// Indicator-like doubles: a walk's log returns have full mantissas, which zstd shrinks little.
std::vector<double> log_returns(std::size_t n, std::uint64_t seed) {
    const std::vector<double> prices = walk(n + 1, seed);
    std::vector<double> values(n);
    for (std::size_t i = 0; i < n; ++i) {
        values[i] = std::log(prices[i + 1] / prices[i]);
    }
    return values;
}

TEST(CodecAuto, KeepsLargeValuesPlainUnlessCompressionHalvesThem) {
    // 16 MiB of full-mantissa doubles: compressible by far less than half, so stored plainly
    // and decoded without a copy.
    const Value indicators{{Column::of("returns", log_returns(std::size_t{2} << 20, 5))}};
    EXPECT_EQ(peek(encode(indicators))->compression, Compression::None);
    // Minute times halve easily: a large bar series stays compressed.
    const Value times{{Column::of("ts", minute_times(std::size_t{2} << 20))}};
    EXPECT_EQ(peek(encode(times))->compression, Compression::Zstd);
}

// ---- decode of shared bytes: plain columns borrow instead of copying

TEST(CodecShared, PlainColumnsBorrowTheBufferAndKeepItAlive) {
    const Value value{{Column::of("ts", minute_times(1000)), Column::of("close", walk(1000, 3)),
                       Column::text("note", "abc")}};
    auto buffer = std::make_shared<Bytes>(encode(value, 0, {Compression::None}));
    const std::uint8_t* const first = buffer->data();
    const std::uint8_t* const last = first + buffer->size();
    Result<Value> decoded = decode(SharedBytes{*buffer, buffer});
    buffer.reset();  // the value alone keeps the bytes now
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    expect_bit_exact(value, *decoded);
    for (const Column& c : decoded->columns) {
        EXPECT_TRUE(c.borrows()) << c.name;
        EXPECT_GE(c.bytes().data(), first) << c.name;
        EXPECT_LE(c.bytes().data() + c.bytes().size(), last) << c.name;
    }
    EXPECT_EQ(decoded->find("close")->f64_view()[999], walk(1000, 3)[999]);
    EXPECT_EQ(decoded->find("ts")->i64_view()[1], kJan2024 + kMinute);
    // A copy of a borrowing column shares the bytes; a copy of an owning one re-points its view.
    const Column shared_copy = decoded->columns[1];
    EXPECT_EQ(shared_copy.bytes().data(), decoded->columns[1].bytes().data());
    const Column owned = Column::of("x", walk(4, 1));
    const Column owned_copy = owned;
    EXPECT_NE(owned_copy.bytes().data(), owned.bytes().data());
    EXPECT_EQ(owned_copy, owned);
}

TEST(CodecShared, CompressedOrMisalignedBytesAreCopied) {
    const Value value{{Column::of("ts", minute_times(10'000))}};
    auto compressed = std::make_shared<Bytes>(encode(value));
    ASSERT_NE(peek(*compressed)->compression, Compression::None);
    Result<Value> unpacked = decode(SharedBytes{*compressed, compressed});
    ASSERT_TRUE(unpacked.has_value());
    EXPECT_FALSE(unpacked->columns[0].borrows());
    expect_bit_exact(value, *unpacked);

    // One byte in: the values would sit misaligned, so they are copied into aligned memory.
    const Bytes plain = encode(value, 0, {Compression::None});
    auto shifted = std::make_shared<Bytes>(plain.size() + 1);
    std::copy(plain.begin(), plain.end(), shifted->begin() + 1);
    Result<Value> moved = decode(SharedBytes{std::span(*shifted).subspan(1), shifted});
    ASSERT_TRUE(moved.has_value());
    EXPECT_FALSE(moved->columns[0].borrows());
    EXPECT_EQ(moved->columns[0].i64_view()[9'999], kJan2024 + 9'999 * kMinute);
}

TEST(CodecShared, ViewsRefuseAnotherDtype) {
    const Column t = Column::of("ts", minute_times(2));
    EXPECT_THROW((void)t.f64_view(), Exception);
    EXPECT_THROW((void)Column::text("x", "abcdefgh").i64_view(), Exception);
}

// Closes and open times of real 1m crypto bars (first and fifth CSV fields).
Value real_minute_bars(const std::filesystem::path& csv) {
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);  // header
    std::vector<std::int64_t> ts;
    std::vector<double> closes;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos;
             start = comma + 1) {
            fields.push_back(line.substr(start, comma - start));
        }
        fields.push_back(line.substr(start));
        if (fields.size() < 5) {
            ADD_FAILURE() << csv << ": " << line;
            break;
        }
        ts.push_back(Timestamp::parse(fields[0]).value().ns());
        closes.push_back(std::stod(fields[4]));
    }
    return {{Column::of("ts", ts), Column::of("close", closes)}};
}

TEST(CodecAuto, RealMinuteCryptoBars) {
    const auto shared = data_testing::shared_dir();
    if (!shared) {
        GTEST_SKIP() << "shared data folder absent (TRADPAL_SHARED_DIR)";
    }
    for (const char* file : {"nautilus-1m/btc-perp-20211231-20220201_1m.csv",
                             "btc-1m-binanceus-2023-03/binance/BTCUSDT_1m_20230301_20230321.csv"}) {
        const std::filesystem::path path = *shared / "data" / file;
        if (!std::filesystem::exists(path)) {
            GTEST_SKIP() << path << " absent";
        }
        SCOPED_TRACE(file);
        const Value value = real_minute_bars(path);
        ASSERT_GT(value.columns[0].length(), 30'000u);
        const Bytes encoded = encode(value);
        EXPECT_EQ(peek(encoded)->compression, Compression::Zstd);
        EXPECT_LT(encoded.size(), value.payload_bytes() / 3);
        expect_bit_exact(value, decode(encoded).value());
    }
}

// ---- encode refuses what decode would reject

TEST(CodecEncode, RefusesMalformedColumns) {
    const Column ragged("close", DType::Float64, std::vector<std::uint8_t>(23));
    Column unknown = Column::text("x", "abc");
    unknown.dtype = static_cast<DType>(9);
    const Column long_name = Column::text(std::string(70'000, 'n'), "abc");
    for (const Column& bad : {ragged, unknown, long_name}) {
        try {
            (void)encode(Value{{bad}});
            ADD_FAILURE() << "encoded " << bad.name.substr(0, 10);
        } catch (const Exception& e) {
            EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
        }
    }
}

// ---- corruption

std::vector<Bytes> small_encodings() {
    const Value value = small_value();
    return {encode(value, kJan2024, {Compression::None}),
            encode(value, kJan2024, {Compression::Lz4, 3, Filter::Shuffle}),
            encode(value, kJan2024, {Compression::Zstd, 3, Filter::Delta})};
}

TEST(CodecCorrupt, EverySingleBitFlipOfASmallValue) {
    for (const Bytes& original : small_encodings()) {
        ASSERT_TRUE(decode(original).has_value());
        Bytes bytes = original;
        for (std::size_t bit = 0; bit < bytes.size() * 8; ++bit) {
            bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
            expect_corrupt(bytes, "bit " + std::to_string(bit));
            bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        }
    }
}

TEST(CodecCorrupt, SampledBitFlipsOfALargeCompressedValue) {
    const Value value{
        {Column::of("ts", minute_times(300'000)), Column::of("close", awkward_doubles(300'000))}};
    for (const Compression compression : {Compression::Lz4, Compression::Zstd}) {
        const Bytes original = encode(value, 0, {compression});
        ASSERT_GT(original.size(), 100'000u);
        std::mt19937_64 rng(5);
        Bytes bytes = original;
        for (int i = 0; i < 300; ++i) {
            // A third of the flips land in the header, the rest anywhere.
            const std::size_t limit = i % 3 == 0 ? kHeaderBytes : bytes.size();
            const std::size_t bit = rng() % (limit * 8);
            bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
            expect_corrupt(bytes, "bit " + std::to_string(bit));
            bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        }
    }
}

TEST(CodecCorrupt, EveryTruncation) {
    for (const Bytes& original : small_encodings()) {
        for (std::size_t n = 0; n < original.size(); ++n) {
            expect_corrupt(std::span(original).first(n), "first " + std::to_string(n) + " bytes");
        }
        if (original.size() > kHeaderBytes) {
            EXPECT_TRUE(peek(std::span(original).first(kHeaderBytes)).has_value());
        }
        EXPECT_FALSE(peek(std::span(original).first(kHeaderBytes - 1)).has_value());
    }
}

TEST(CodecCorrupt, TrailingBytes) {
    Bytes bytes = small_encodings()[0];
    bytes.push_back(0);
    expect_corrupt(bytes, "one byte too many");
}

TEST(CodecCorrupt, RandomGarbage) {
    std::mt19937_64 rng(99);
    const Bytes valid = small_encodings()[2];
    for (int i = 0; i < 20'000; ++i) {
        Bytes bytes(rng() % 300);
        std::generate(bytes.begin(), bytes.end(), [&] { return static_cast<std::uint8_t>(rng()); });
        // Half keep a valid magic and version so the garbage reaches the later checks.
        if (i % 2 == 0 && bytes.size() >= 6) {
            std::copy_n(valid.begin(), 6, bytes.begin());
        }
        expect_corrupt(bytes, "garbage " + std::to_string(i));
    }
}

TEST(CodecCorrupt, WrongMagic) {
    Bytes bytes = small_encodings()[1];
    bytes[0] = 'X';
    reseal(bytes);
    expect_corrupt(bytes, "magic");
    EXPECT_FALSE(peek(bytes).has_value());
}

TEST(CodecCorrupt, FutureVersion) {
    Bytes bytes = small_encodings()[1];
    put(bytes, 4, std::uint16_t{kFormatVersion + 1});
    reseal(bytes);  // the version, not the checksum, must be what rejects it
    const Result<Value> decoded = decode(bytes);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().code, ErrorCode::Corrupt);
    EXPECT_THAT(decoded.error().message, ::testing::HasSubstr("version"));
    EXPECT_FALSE(peek(bytes).has_value());
}

TEST(CodecCorrupt, UnknownCompressionOrFlags) {
    for (const std::size_t offset : {6u, 7u}) {
        Bytes bytes = small_encodings()[0];
        bytes[offset] = 0x40;
        reseal(bytes);
        expect_corrupt(bytes, "byte " + std::to_string(offset));
    }
}

TEST(CodecCorrupt, AbsurdSizesBeforeAllocating) {
    // Sealed with valid checksums, so only the size checks stand between them and an allocation.
    expect_corrupt(craft(1, kMaxRawBytes + 8, Bytes(16)), "raw over the cap");
    expect_corrupt(craft(3, kMaxRawBytes, Bytes(16)), "64 GiB from 16 zstd bytes");
    expect_corrupt(craft(2, std::uint64_t{1} << 30, Bytes(16)), "1 GiB from 16 LZ4 bytes");
    expect_corrupt(craft(1, 100, Bytes(16)), "raw and stored sizes differ");
    expect_corrupt(craft(3, 100, Bytes{}), "nothing stored");
    // A well-formed zstd frame announcing 32 GiB: magic, single segment with an 8-byte content
    // size, then one last RLE block of a single byte.
    const std::uint64_t huge = std::uint64_t{32} << 30;
    Bytes frame = {0x28, 0xb5, 0x2f, 0xfd, 0xe0};
    for (std::size_t b = 0; b < 8; ++b) {
        frame.push_back(static_cast<std::uint8_t>(huge >> (8 * b)));
    }
    frame.insert(frame.end(), {0x03, 0x00, 0x10, 0x00});
    expect_corrupt(craft(3, huge, frame), "32 GiB from a 17-byte zstd frame");
    Bytes claims_more = craft(1, 16, Bytes(16));
    put(claims_more, 24, std::uint64_t{1} << 40);
    put(claims_more, 16, std::uint64_t{1} << 40);
    reseal(claims_more);
    expect_corrupt(claims_more, "stored size beyond the bytes");
}

TEST(CodecCorrupt, FailedDecompression) {
    Bytes junk(64);
    std::iota(junk.begin(), junk.end(), std::uint8_t{1});
    expect_corrupt(craft(2, 200, junk), "junk as LZ4");
    expect_corrupt(craft(3, 200, junk), "junk as zstd");
    // A genuine frame that announces another size than the header.
    const Bytes zstd = encode(small_value(), 0, {Compression::Zstd});
    const Bytes stored(zstd.begin() + kHeaderBytes, zstd.end());
    expect_corrupt(craft(3, peek(zstd)->raw_bytes + 1, stored), "zstd frame of another size");
    const Bytes lz4 = encode(small_value(), 0, {Compression::Lz4});
    const Bytes lz4_stored(lz4.begin() + kHeaderBytes, lz4.end());
    expect_corrupt(craft(2, peek(lz4)->raw_bytes + 1, lz4_stored), "LZ4 block of another size");
}

TEST(CodecCorrupt, InconsistentColumns) {
    const auto one = [] {
        return PayloadWriter{}.add(std::uint32_t{1});
    };
    ASSERT_TRUE(decode(one().column("c", 1, 1, 2).data(16).sealed()).has_value());
    ASSERT_TRUE(decode(one().column("c", 1, 3, 2).data(16).sealed()).has_value());

    expect_corrupt(PayloadWriter{}.add(std::uint32_t{5}).data(20).sealed(), "count too large");
    expect_corrupt(PayloadWriter{}.add(std::uint32_t{0xffffffff}).data(20).sealed(),
                   "4 billion columns in 24 bytes");
    expect_corrupt(one().column("c", 1, 1, 3).data(16).sealed(), "values beyond the end");
    expect_corrupt(one().column("c", 1, 1, std::uint64_t{1} << 61).data(16).sealed(),
                   "count overflowing bytes");
    expect_corrupt(one().column("c", 1, 1, 2).data(17).sealed(), "trailing bytes");
    expect_corrupt(one().column("c", 9, 1, 2).data(16).sealed(), "unknown dtype");
    expect_corrupt(one().column("c", 0, 1, 2).data(16).sealed(), "dtype 0");
    expect_corrupt(one().column("c", 3, 2, 4).data(4).sealed(), "shuffled uint8");
    expect_corrupt(one().column("c", 4, 3, 4).data(4).sealed(), "delta on bytes");
    expect_corrupt(one().column("c", 1, 0, 2).data(16).sealed(), "filter 0 (Auto) stored");
    expect_corrupt(one().column("c", 1, 7, 2).data(16).sealed(), "unknown filter");
    PayloadWriter cut = one();
    cut.add(std::uint16_t{10}).data(4);
    expect_corrupt(cut.sealed(), "name cut off");
    expect_corrupt(one().add(std::uint16_t{1}).data(1).add(std::uint8_t{1}).sealed(),
                   "framing cut off");
    expect_corrupt(PayloadWriter{}.add(std::uint16_t{0}).sealed(), "no column count");
    PayloadWriter dirty = PayloadWriter{}.add(std::uint32_t{1}).add(std::uint16_t{1}).data(1, 'c');
    dirty.add(std::uint8_t{1}).add(std::uint8_t{1}).add(std::uint64_t{2}).pad(0xee).data(16);
    expect_corrupt(dirty.sealed(), "padding that is not zero");
}

}  // namespace
}  // namespace tradpal::cache

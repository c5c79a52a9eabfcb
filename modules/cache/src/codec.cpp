// SPDX-License-Identifier: Apache-2.0
//
// Encoded value, format version 2, all integers little-endian:
//
//   header (kHeaderBytes = 40)
//     0  "TPCV"      magic
//     4  u16         format version
//     6  u8          compression: 1 None, 2 Lz4, 3 Zstd
//     7  u8          flags, reserved: 0
//     8  i64         expires_at_ns, 0 = never
//     16 u64         raw_bytes: payload size before compression
//     24 u64         stored_bytes: payload bytes after the header
//     32 u64         checksum: XXH3-64 of the stored payload, seeded with XXH3-64 of bytes [0, 32)
//   payload (one LZ4 block or zstd frame when compressed)
//     u32 column count, then per column:
//     u16 name size, name, u8 dtype, u8 filter (1 None, 2 Shuffle, 3 Delta), u64 element count,
//     zero bytes up to a multiple of 8 from the payload's start, element count * width bytes
//
// Version 2 added that padding: the header is 40 bytes, so in an uncompressed value every
// column's values sit 8-byte aligned in the buffer (a mapped file, a Redis reply) and decode()
// hands them out as they are, without a copy. Version 1 values read as corrupt, which a cache
// treats as a miss.
//
// The checksum is verified before any size in the header is used to allocate, so a flipped byte
// anywhere costs one hash, never an allocation or a decompression of garbage.
//
// The filter is recorded per column, not as one header flag: on real 1m closes the byte shuffle
// paid on one series and lost on another (see Compression::Auto below), so each column gets the
// filter that compresses a sample of it best.
//
// Compression::Auto, from tradpal_cache_bench on 2 shared cores (ratio = column bytes / encoded
// bytes; the commit message has the table and the command):
//   - payloads under kAutoMinRawBytes are stored raw: on 64 bytes of JSON text zstd gained
//     nothing (ratio 0.516 against 0.508 raw) and took 3.6 us against 0.07 us; from 128 bytes of
//     text it pays (0.826 against 0.674);
//   - payloads of kZeroCopyMinRawBytes or more keep their compressed form only if it halves
//     them: stored plainly they decode without a copy (the 14-indicator set on 1M bars, 160 MB
//     of doubles that zstd shrinks 1.4x, reads back from a file hit in ~25 ms plain against
//     ~300 ms through zstd, and recomputing takes ~240 ms); a bar series, whose time column
//     shrinks 2000x and prices 2-7x, stays compressed;
//   - otherwise zstd at options.zstd_level: with the filters below it stored real 1m closes and
//     bars in 27-39% fewer bytes than LZ4 (btcusdt bars 2.60 against 1.85, btcperp closes 6.88
//     against 4.20; 6% on synthetic ones). LZ4 decoded 1.5-3.6x faster and stays available on
//     request, but a cached value is written once, read many times and held in Redis memory or
//     on disk, and zstd still decoded at 0.6-2.4 GB/s;
//   - the compressed form is kept only if it saves at least 1/8 of the payload (random bytes,
//     already-compressed blobs), else the plain payload is stored and decodes as one copy.
//
// Filters on the same runs (zstd level 1, ratio none / shuffle / delta): btcperp closes
// 4.64 / 4.97 / 6.69, btcusdt closes 2.41 / 1.69 / 1.51, 1m timestamps 1.21 / 25 / 2068-2750,
// synthetic closes 1.10 / 1.33 / 1.41. Chosen per column, btcusdt bars reach 2.19 where the best
// single filter for all columns gives 1.78. The trials cost encode speed on short columns (btcperp
// closes 562 MB/s against 1572 with Delta given), little on long ones.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <utility>

#include <fmt/format.h>
#include <lz4.h>
#include <xxhash.h>
#include <zstd.h>

#include <tradpal/cache/codec.hpp>

namespace tradpal::cache {
namespace {

static_assert(std::endian::native == std::endian::little,
              "columns are copied to and from the little-endian format as they are");

constexpr std::array<std::uint8_t, 4> kMagic = {'T', 'P', 'C', 'V'};
constexpr std::size_t kChecksumOffset = 32;
constexpr std::size_t kAutoMinRawBytes = 128;
constexpr std::uint64_t kZeroCopyMinRawBytes = std::uint64_t{8} << 20;
constexpr std::size_t kValueAlignment = 8;
// A column's framing without its name: name size, dtype, filter, element count.
constexpr std::size_t kColumnFraming = 2 + 1 + 1 + 8;
// Filter::Auto compresses a sample of at most kTrialValues values of a column (kTrialSlices
// slices spread over it) each way, and leaves columns shorter than kTrialMinValues unfiltered (a
// filter could save only a few bytes there).
constexpr std::size_t kTrialValues = 8192;
constexpr std::size_t kTrialSlices = 4;
constexpr std::size_t kTrialMinValues = 64;
// Twice the best ratios the codecs can reach (LZ4 about 255; zstd 4 bytes per 128 KiB block), so
// a header claiming more is corrupt whatever its checksum says.
constexpr std::uint64_t kMaxLz4Ratio = 512;
constexpr std::uint64_t kMaxZstdRatio = std::uint64_t{1} << 16;

Error corrupt(const std::string& message) {
    return fail(ErrorCode::Corrupt, "cached value: " + message);
}

[[noreturn]] void invalid(const std::string& message) {
    throw Exception(ErrorCode::InvalidArgument, "cache encode: " + message);
}

template <class T>
T load(const std::uint8_t* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <class T>
std::uint8_t* store(std::uint8_t* p, T v) noexcept {
    std::memcpy(p, &v, sizeof v);
    return p + sizeof v;
}

// Zero bytes after a column's framing, so that its values start at a multiple of 8 from the
// payload's start (position: the offset just after the framing).
constexpr std::size_t padding_at(std::uint64_t position) noexcept {
    return static_cast<std::size_t>((kValueAlignment - position % kValueAlignment) %
                                    kValueAlignment);
}

std::uint64_t checksum(const std::uint8_t* header, std::span<const std::uint8_t> stored) noexcept {
    return XXH3_64bits_withSeed(stored.data(), stored.size(), XXH3_64bits(header, kChecksumOffset));
}

// ---- filters: one pass that codes each 8-byte value and scatters its bytes into 8 planes

struct Identity {
    std::uint64_t operator()(std::uint64_t x) const noexcept { return x; }
};
// Zigzag keeps small negative steps small (0xff.. high bytes would defeat the shuffle).
struct ZigzagDelta {
    std::uint64_t previous = 0;
    std::uint64_t operator()(std::uint64_t x) noexcept {
        const std::uint64_t d = x - previous;
        previous = x;
        return (d << 1) ^ (0 - (d >> 63));
    }
};
struct UndoZigzagDelta {
    std::uint64_t previous = 0;
    std::uint64_t operator()(std::uint64_t z) noexcept {
        previous += (z >> 1) ^ (0 - (z & 1));
        return previous;
    }
};
// Neighbouring prices share sign, exponent and leading mantissa bits, which XOR turns into zeros.
struct XorPrevious {
    std::uint64_t previous = 0;
    std::uint64_t operator()(std::uint64_t x) noexcept {
        const std::uint64_t r = x ^ previous;
        previous = x;
        return r;
    }
};
struct UndoXorPrevious {
    std::uint64_t previous = 0;
    std::uint64_t operator()(std::uint64_t r) noexcept {
        previous ^= r;
        return previous;
    }
};

// Transposes an 8x8 byte matrix held as 8 little-endian rows (byte j of row k is element
// [k][j]) by swapping ever smaller off-diagonal blocks: 8 values at a time instead of 64 byte
// moves.
void transpose8x8(std::array<std::uint64_t, 8>& r) noexcept {
    for (std::size_t k = 0; k < 4; ++k) {
        const std::uint64_t a = r[k];
        const std::uint64_t b = r[k + 4];
        r[k] = (a & 0x00000000ffffffffULL) | (b << 32);
        r[k + 4] = (a >> 32) | (b & 0xffffffff00000000ULL);
    }
    for (const std::size_t k : {0, 1, 4, 5}) {
        constexpr std::uint64_t kMask = 0x0000ffff0000ffffULL;
        const std::uint64_t a = r[k];
        const std::uint64_t b = r[k + 2];
        r[k] = (a & kMask) | ((b & kMask) << 16);
        r[k + 2] = ((a >> 16) & kMask) | (b & ~kMask);
    }
    for (const std::size_t k : {0, 2, 4, 6}) {
        constexpr std::uint64_t kMask = 0x00ff00ff00ff00ffULL;
        const std::uint64_t a = r[k];
        const std::uint64_t b = r[k + 1];
        r[k] = (a & kMask) | ((b & kMask) << 8);
        r[k + 1] = ((a >> 8) & kMask) | (b & ~kMask);
    }
}

template <class Code>
void shuffle(const std::uint8_t* src, std::size_t n, std::uint8_t* dst, Code code) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::array<std::uint64_t, 8> rows;
        for (std::size_t j = 0; j < 8; ++j) {
            rows[j] = code(load<std::uint64_t>(src + 8 * (i + j)));
        }
        transpose8x8(rows);
        for (std::size_t b = 0; b < 8; ++b) {
            store(dst + b * n + i, rows[b]);
        }
    }
    for (; i < n; ++i) {
        const std::uint64_t v = code(load<std::uint64_t>(src + 8 * i));
        for (std::size_t b = 0; b < 8; ++b) {
            dst[b * n + i] = static_cast<std::uint8_t>(v >> (8 * b));
        }
    }
}

template <class Decode>
void unshuffle(const std::uint8_t* src, std::size_t n, std::uint8_t* dst, Decode decode) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::array<std::uint64_t, 8> rows;
        for (std::size_t b = 0; b < 8; ++b) {
            rows[b] = load<std::uint64_t>(src + b * n + i);
        }
        transpose8x8(rows);
        for (std::size_t j = 0; j < 8; ++j) {
            store(dst + 8 * (i + j), decode(rows[j]));
        }
    }
    for (; i < n; ++i) {
        std::uint64_t v = 0;
        for (std::size_t b = 0; b < 8; ++b) {
            v |= std::uint64_t{src[b * n + i]} << (8 * b);
        }
        store(dst + 8 * i, decode(v));
    }
}

bool filterable(DType dtype) noexcept {
    return width(dtype) == 8;
}

// Writes `src` (a filterable column's bytes) filtered to `dst`, which has the same size.
void apply_filter(Filter filter, DType dtype, std::span<const std::uint8_t> src,
                  std::uint8_t* dst) noexcept {
    const std::size_t n = src.size() / 8;
    if (filter == Filter::Shuffle) {
        shuffle(src.data(), n, dst, Identity{});
    } else if (filter == Filter::Delta && dtype == DType::Int64) {
        shuffle(src.data(), n, dst, ZigzagDelta{});
    } else if (filter == Filter::Delta) {
        shuffle(src.data(), n, dst, XorPrevious{});
    } else {
        std::copy(src.begin(), src.end(), dst);
    }
}

void undo_filter(Filter filter, DType dtype, std::span<const std::uint8_t> src,
                 std::uint8_t* dst) noexcept {
    const std::size_t n = src.size() / 8;
    if (filter == Filter::Shuffle) {
        unshuffle(src.data(), n, dst, Identity{});
    } else if (filter == Filter::Delta && dtype == DType::Int64) {
        unshuffle(src.data(), n, dst, UndoZigzagDelta{});
    } else if (filter == Filter::Delta) {
        unshuffle(src.data(), n, dst, UndoXorPrevious{});
    } else {
        std::copy(src.begin(), src.end(), dst);
    }
}

// ---- codecs

struct ZstdFree {
    void operator()(ZSTD_CCtx* c) const noexcept { ZSTD_freeCCtx(c); }
    void operator()(ZSTD_DCtx* d) const noexcept { ZSTD_freeDCtx(d); }
};

// One context per thread: creating one per call costs more than compressing a small value.
ZSTD_CCtx* zstd_compressor() {
    thread_local const std::unique_ptr<ZSTD_CCtx, ZstdFree> context(ZSTD_createCCtx());
    if (!context) {
        throw std::bad_alloc();
    }
    return context.get();
}

ZSTD_DCtx* zstd_decompressor() {
    thread_local const std::unique_ptr<ZSTD_DCtx, ZstdFree> context(ZSTD_createDCtx());
    if (!context) {
        throw std::bad_alloc();
    }
    return context.get();
}

std::size_t compress_bound(Compression codec, std::size_t n) noexcept {
    return codec == Compression::Lz4
               ? static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(n)))
               : ZSTD_compressBound(n);
}

// Compresses `src` into `dst` (capacity compress_bound()); returns the compressed size.
std::size_t compress(Compression codec, int zstd_level, std::span<const std::uint8_t> src,
                     std::uint8_t* dst, std::size_t capacity) {
    if (codec == Compression::Lz4) {
        const int n = LZ4_compress_default(
            reinterpret_cast<const char*>(src.data()), reinterpret_cast<char*>(dst),
            static_cast<int>(src.size()), static_cast<int>(capacity));
        if (n <= 0) {
            throw Exception(ErrorCode::Internal, "cache encode: LZ4 compression failed");
        }
        return static_cast<std::size_t>(n);
    }
    const std::size_t n =
        ZSTD_compressCCtx(zstd_compressor(), dst, capacity, src.data(), src.size(), zstd_level);
    if (ZSTD_isError(n)) {
        throw Exception(ErrorCode::Internal,
                        fmt::format("cache encode: zstd failed: {}", ZSTD_getErrorName(n)));
    }
    return n;
}

// ---- payload

// The payload size; throws for a column encode() cannot write.
std::uint64_t payload_size(const Value& value) {
    if (value.columns.size() > std::numeric_limits<std::uint32_t>::max()) {
        invalid(fmt::format("{} columns, at most 2^32 - 1", value.columns.size()));
    }
    std::uint64_t size = 4;
    for (const Column& c : value.columns) {
        const std::size_t w = width(c.dtype);
        if (w == 0) {
            invalid(fmt::format("column '{}' has an unknown dtype ({})", c.name,
                                static_cast<int>(c.dtype)));
        }
        if (c.bytes().size() % w != 0) {
            invalid(fmt::format("column '{}' ({}) holds {} bytes, not a multiple of {}", c.name,
                                to_string(c.dtype), c.bytes().size(), w));
        }
        if (c.name.size() > std::numeric_limits<std::uint16_t>::max()) {
            invalid(fmt::format("a column name of {} bytes, at most 65,535", c.name.size()));
        }
        size += kColumnFraming + c.name.size();
        size += padding_at(size) + c.bytes().size();
    }
    return size;
}

// Writes the payload into `out` (payload_size() bytes), column i filtered by filters[i].
void write_payload(const Value& value, std::span<const Filter> filters, std::uint8_t* out) {
    std::uint8_t* const start = out;
    out = store(out, static_cast<std::uint32_t>(value.columns.size()));
    for (std::size_t i = 0; i < value.columns.size(); ++i) {
        const Column& c = value.columns[i];
        out = store(out, static_cast<std::uint16_t>(c.name.size()));
        out = std::copy(c.name.begin(), c.name.end(), out);
        out = store(out, static_cast<std::uint8_t>(c.dtype));
        out = store(out, static_cast<std::uint8_t>(filters[i]));
        out = store(out, static_cast<std::uint64_t>(c.length()));
        out = std::fill_n(out, padding_at(static_cast<std::uint64_t>(out - start)), 0);
        apply_filter(filters[i], c.dtype, c.bytes(), out);
        out += c.bytes().size();
    }
}

// A column's filter and what it did to a sample of the column.
struct Trial {
    Filter filter = Filter::None;
    std::size_t sample_bytes = 0;
    std::size_t compressed_bytes = 0;
};

// Filter::Auto: the filter under which a sample of the column compresses smallest; ties go to
// the cheaper filter. Other dtypes and short columns are tried unfiltered only.
Trial best_filter(const Column& column, Compression codec, int zstd_level) {
    const std::size_t length = column.length();
    if (!filterable(column.dtype) || length < kTrialMinValues) {
        const auto sample = column.bytes().first(std::min(column.bytes().size(), kTrialValues * 8));
        std::vector<std::uint8_t> compressed(compress_bound(codec, sample.size()));
        return {Filter::None, sample.size(),
                compress(codec, zstd_level, sample, compressed.data(), compressed.size())};
    }
    // Slices from across the column: a series' start alone can mislead (a price crossing a power
    // of two changes its exponent byte).
    std::vector<std::uint8_t> sample;
    if (length <= kTrialValues) {
        sample.assign(column.bytes().begin(), column.bytes().end());
    } else {
        constexpr std::size_t kSliceValues = kTrialValues / kTrialSlices;
        sample.reserve(kTrialValues * 8);
        for (std::size_t s = 0; s < kTrialSlices; ++s) {
            const std::size_t first = (length - kSliceValues) / (kTrialSlices - 1) * s;
            const auto begin = column.bytes().begin() + static_cast<std::ptrdiff_t>(first * 8);
            sample.insert(sample.end(), begin, begin + kSliceValues * 8);
        }
    }
    std::vector<std::uint8_t> filtered(sample.size());
    std::vector<std::uint8_t> compressed(compress_bound(codec, sample.size()));
    const auto compressed_size = [&](std::span<const std::uint8_t> bytes) {
        return compress(codec, zstd_level, bytes, compressed.data(), compressed.size());
    };
    // Planes of a long column fill zstd blocks of their own, each with its own entropy tables,
    // while a sample's short planes would share one: compressing the sample's planes one by one
    // predicts the whole column (on 1M synthetic closes, one stream chose Shuffle at 1.33x where
    // Delta gives 1.41x).
    const std::size_t plane = length > kTrialValues ? sample.size() / 8 : sample.size();
    const auto filtered_size = [&] {
        std::size_t total = 0;
        for (std::size_t offset = 0; offset < filtered.size(); offset += plane) {
            total += compressed_size(std::span(filtered).subspan(offset, plane));
        }
        return total;
    };
    Trial best{Filter::None, sample.size(), compressed_size(sample)};
    for (const Filter filter : {Filter::Shuffle, Filter::Delta}) {
        apply_filter(filter, column.dtype, sample, filtered.data());
        const std::size_t size = filtered_size();
        if (size < best.compressed_bytes) {
            best.filter = filter;
            best.compressed_bytes = size;
        }
    }
    return best;
}

// Each column's filter, and the payload's compressed size as the samples predict it.
struct FilterChoice {
    std::vector<Filter> filters;
    double estimated_bytes = 0;
};

// Without Filter::Auto and without `estimate`, no sample is compressed.
FilterChoice choose_filters(const Value& value, const EncodeOptions& options, Compression codec,
                            bool estimate) {
    FilterChoice choice{std::vector<Filter>(value.columns.size(), Filter::None), 0};
    for (std::size_t i = 0; i < value.columns.size(); ++i) {
        const Column& c = value.columns[i];
        if (options.filter != Filter::Auto && !estimate) {
            choice.filters[i] = filterable(c.dtype) ? options.filter : Filter::None;
            continue;
        }
        const Trial trial = best_filter(c, codec, options.zstd_level);
        if (filterable(c.dtype)) {
            choice.filters[i] = options.filter == Filter::Auto ? trial.filter : options.filter;
        }
        choice.estimated_bytes += trial.sample_bytes == 0
                                      ? 0
                                      : static_cast<double>(c.bytes().size()) *
                                            static_cast<double>(trial.compressed_bytes) /
                                            static_cast<double>(trial.sample_bytes);
    }
    return choice;
}

void write_header(std::uint8_t* out, Compression codec, std::int64_t expires_at_ns,
                  std::uint64_t raw_bytes, std::span<const std::uint8_t> stored) noexcept {
    std::uint8_t* p = out;
    std::memcpy(p, kMagic.data(), kMagic.size());
    p = store(p + kMagic.size(), kFormatVersion);
    p = store(p, static_cast<std::uint8_t>(codec));
    p = store(p, std::uint8_t{0});
    p = store(p, expires_at_ns);
    p = store(p, raw_bytes);
    p = store(p, static_cast<std::uint64_t>(stored.size()));
    store(p, checksum(out, stored));
}

// Reads the payload fields in order, refusing to run past the end.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> bytes) noexcept : bytes_(bytes) {}

    std::size_t remaining() const noexcept { return bytes_.size() - position_; }
    std::size_t position() const noexcept { return position_; }

    template <class T>
    bool read(T& out) noexcept {
        if (remaining() < sizeof(T)) {
            return false;
        }
        out = load<T>(bytes_.data() + position_);
        position_ += sizeof(T);
        return true;
    }

    std::span<const std::uint8_t> take(std::size_t n) noexcept {
        const std::span<const std::uint8_t> part = bytes_.subspan(position_, n);
        position_ += n;
        return part;
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t position_ = 0;
};

// The owner of the payload's bytes when plain columns may borrow them (an uncompressed value
// decoded from SharedBytes), else null.
Result<Column> parse_column(Reader& in, std::uint32_t index,
                            const std::shared_ptr<const void>& lender) {
    std::uint16_t name_size = 0;
    if (!in.read(name_size) || in.remaining() < name_size) {
        return corrupt(fmt::format("column {} is cut off in its name", index));
    }
    Column column;
    const auto name = in.take(name_size);
    column.name.assign(name.begin(), name.end());
    std::uint8_t dtype = 0;
    std::uint8_t filter = 0;
    std::uint64_t count = 0;
    if (!in.read(dtype) || !in.read(filter) || !in.read(count)) {
        return corrupt(fmt::format("column '{}' is cut off in its framing", column.name));
    }
    column.dtype = static_cast<DType>(dtype);
    const std::size_t w = width(column.dtype);
    if (w == 0) {
        return corrupt(fmt::format("column '{}' has an unknown dtype {}", column.name, dtype));
    }
    const auto f = static_cast<Filter>(filter);
    const bool known = f == Filter::None ||
                       (filterable(column.dtype) && (f == Filter::Shuffle || f == Filter::Delta));
    if (!known) {
        return corrupt(fmt::format("column '{}' ({}) has an impossible filter {}", column.name,
                                   to_string(column.dtype), filter));
    }
    const std::size_t padding = padding_at(in.position());
    const auto pad = in.take(std::min(padding, in.remaining()));
    if (pad.size() != padding || std::any_of(pad.begin(), pad.end(), [](auto b) { return b; })) {
        return corrupt(fmt::format("column '{}' has bad padding before its values", column.name));
    }
    if (count > in.remaining() / w) {
        return corrupt(fmt::format("column '{}' claims {} values but only {} bytes remain",
                                   column.name, count, in.remaining()));
    }
    const auto data = in.take(static_cast<std::size_t>(count) * w);
    if (f == Filter::None && lender) {
        return Column(std::move(column.name), column.dtype, data, lender);
    }
    std::vector<std::uint8_t> values(data.size());
    if (f == Filter::None) {
        std::copy(data.begin(), data.end(), values.begin());
    } else {
        undo_filter(f, column.dtype, data, values.data());
    }
    return Column(std::move(column.name), column.dtype, std::move(values));
}

Result<Value> parse_payload(std::span<const std::uint8_t> payload,
                            const std::shared_ptr<const void>& lender) {
    Reader in(payload);
    std::uint32_t count = 0;
    if (!in.read(count)) {
        return corrupt("the payload has no column count");
    }
    // Each column needs its framing, so a count beyond this cannot be real.
    if (count > in.remaining() / kColumnFraming) {
        return corrupt(fmt::format("{} columns cannot fit in {} bytes", count, payload.size()));
    }
    Value value;
    value.columns.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        auto column = parse_column(in, i, lender);
        if (!column) {
            return std::move(column).error();
        }
        value.columns.push_back(std::move(*column));
    }
    if (in.remaining() != 0) {
        return corrupt(fmt::format("{} bytes follow the last column", in.remaining()));
    }
    return value;
}

// The raw payload of a compressed value; `header` has passed peek() and the checksum.
Result<std::unique_ptr<std::uint8_t[]>> decompress(const Header& header,
                                                   std::span<const std::uint8_t> stored) {
    const auto raw_size = static_cast<std::size_t>(header.raw_bytes);
    if (header.compression == Compression::Zstd &&
        ZSTD_getFrameContentSize(stored.data(), stored.size()) != header.raw_bytes) {
        return corrupt(fmt::format("the zstd frame does not announce {} bytes", raw_size));
    }
    // Every byte is overwritten or the value rejected, so the buffer is not zeroed first.
    auto raw = std::make_unique_for_overwrite<std::uint8_t[]>(raw_size);
    if (header.compression == Compression::Lz4) {
        const int n = LZ4_decompress_safe(
            reinterpret_cast<const char*>(stored.data()), reinterpret_cast<char*>(raw.get()),
            static_cast<int>(stored.size()), static_cast<int>(raw_size));
        if (n < 0 || static_cast<std::size_t>(n) != raw_size) {
            return corrupt(fmt::format("LZ4 data does not decompress to {} bytes", raw_size));
        }
        return raw;
    }
    const std::size_t n =
        ZSTD_decompressDCtx(zstd_decompressor(), raw.get(), raw_size, stored.data(), stored.size());
    if (ZSTD_isError(n) || n != raw_size) {
        return corrupt(fmt::format("zstd data does not decompress to {} bytes{}{}", raw_size,
                                   ZSTD_isError(n) ? ": " : "",
                                   ZSTD_isError(n) ? ZSTD_getErrorName(n) : ""));
    }
    return raw;
}

template <class T>
std::vector<T> copy_values(const Column& column, DType expected) {
    if (column.dtype != expected) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("column '{}' holds {}, not {}", column.name,
                                    to_string(column.dtype), to_string(expected)));
    }
    std::vector<T> values(column.length());
    // length() rounds down, so a ragged column cannot overrun the copy.
    std::copy_n(column.bytes().begin(), values.size() * sizeof(T),
                reinterpret_cast<std::uint8_t*>(values.data()));
    return values;
}

}  // namespace

std::string_view to_string(DType dtype) noexcept {
    switch (dtype) {
        case DType::Float64:
            return "float64";
        case DType::Int64:
            return "int64";
        case DType::UInt8:
            return "uint8";
        case DType::Bytes:
            return "bytes";
    }
    return "unknown";
}

std::size_t width(DType dtype) noexcept {
    switch (dtype) {
        case DType::Float64:
        case DType::Int64:
            return 8;
        case DType::UInt8:
        case DType::Bytes:
            return 1;
    }
    return 0;
}

std::string_view to_string(Compression compression) noexcept {
    switch (compression) {
        case Compression::Auto:
            return "auto";
        case Compression::None:
            return "none";
        case Compression::Lz4:
            return "lz4";
        case Compression::Zstd:
            return "zstd";
    }
    return "unknown";
}

std::string_view to_string(Filter filter) noexcept {
    switch (filter) {
        case Filter::Auto:
            return "auto";
        case Filter::None:
            return "none";
        case Filter::Shuffle:
            return "shuffle";
        case Filter::Delta:
            return "delta";
    }
    return "unknown";
}

// ---- Column and Value

Column::Column(std::string column_name, DType type, std::vector<std::uint8_t> bytes)
    : name(std::move(column_name)), dtype(type), owned_(std::move(bytes)), view_(owned_) {}

Column::Column(std::string column_name, DType type, std::span<const std::uint8_t> bytes,
               std::shared_ptr<const void> owner)
    : name(std::move(column_name)), dtype(type), owner_(std::move(owner)), view_(bytes) {}

Column::Column(const Column& other)
    : name(other.name),
      dtype(other.dtype),
      owned_(other.owned_),
      owner_(other.owner_),
      view_(owner_ ? other.view_ : std::span<const std::uint8_t>(owned_)) {}

Column& Column::operator=(const Column& other) {
    if (this != &other) {
        *this = Column(other);
    }
    return *this;
}

Column::Column(Column&& other) noexcept
    : name(std::move(other.name)),
      dtype(other.dtype),
      owned_(std::move(other.owned_)),
      owner_(std::move(other.owner_)),
      view_(std::exchange(other.view_, {})) {}

Column& Column::operator=(Column&& other) noexcept {
    name = std::move(other.name);
    dtype = other.dtype;
    owned_ = std::move(other.owned_);
    owner_ = std::move(other.owner_);
    view_ = std::exchange(other.view_, {});
    return *this;
}

Column Column::of(std::string name, std::span<const double> values) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(values.data());
    return {std::move(name), DType::Float64, {bytes, bytes + values.size_bytes()}};
}

Column Column::of(std::string name, std::span<const std::int64_t> values) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(values.data());
    return {std::move(name), DType::Int64, {bytes, bytes + values.size_bytes()}};
}

Column Column::of(std::string name, std::span<const std::uint8_t> values) {
    return {std::move(name), DType::UInt8, std::vector<std::uint8_t>(values.begin(), values.end())};
}

Column Column::text(std::string name, std::string_view bytes) {
    return {std::move(name), DType::Bytes, std::vector<std::uint8_t>(bytes.begin(), bytes.end())};
}

std::size_t Column::length() const noexcept {
    const std::size_t w = width(dtype);
    return w == 0 ? 0 : view_.size() / w;
}

namespace {

template <class T>
std::span<const T> view_values(const Column& column, DType expected) {
    if (column.dtype != expected) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("column '{}' holds {}, not {}", column.name,
                                    to_string(column.dtype), to_string(expected)));
    }
    const std::uint8_t* data = column.bytes().data();
    if (reinterpret_cast<std::uintptr_t>(data) % alignof(T) != 0) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("column '{}' is not aligned for viewing", column.name));
    }
    return {reinterpret_cast<const T*>(data), column.length()};
}

}  // namespace

std::span<const double> Column::f64_view() const {
    return view_values<double>(*this, DType::Float64);
}

std::span<const std::int64_t> Column::i64_view() const {
    return view_values<std::int64_t>(*this, DType::Int64);
}

std::vector<double> Column::f64() const {
    return copy_values<double>(*this, DType::Float64);
}

std::vector<std::int64_t> Column::i64() const {
    return copy_values<std::int64_t>(*this, DType::Int64);
}

std::string_view Column::as_text() const noexcept {
    return {reinterpret_cast<const char*>(view_.data()), view_.size()};
}

bool Column::operator==(const Column& other) const noexcept {
    return name == other.name && dtype == other.dtype &&
           std::equal(view_.begin(), view_.end(), other.view_.begin(), other.view_.end());
}

const Column* Value::find(std::string_view name) const noexcept {
    for (const Column& c : columns) {
        if (c.name == name) {
            return &c;
        }
    }
    return nullptr;
}

std::size_t Value::payload_bytes() const noexcept {
    std::size_t total = 0;
    for (const Column& c : columns) {
        total += c.bytes().size();
    }
    return total;
}

// ---- encode, decode, peek

std::vector<std::uint8_t> encode(const Value& value, std::int64_t expires_at_ns,
                                 const EncodeOptions& options) {
    const std::uint64_t raw_bytes = payload_size(value);
    if (raw_bytes > kMaxRawBytes) {
        invalid(fmt::format("a payload of {} bytes, at most {}", raw_bytes, kMaxRawBytes));
    }
    if (to_string(options.compression) == "unknown" || to_string(options.filter) == "unknown") {
        invalid("unknown compression or filter in the options");
    }
    Compression codec = options.compression;
    if (codec == Compression::Auto) {
        codec = raw_bytes < kAutoMinRawBytes ? Compression::None : Compression::Zstd;
    }
    std::uint64_t required_saving = raw_bytes / 8;
    if (options.compression == Compression::Auto && raw_bytes >= kZeroCopyMinRawBytes) {
        required_saving = raw_bytes / 2;
    }
    if (codec == Compression::Lz4 && raw_bytes > LZ4_MAX_INPUT_SIZE) {
        invalid(fmt::format("a payload of {} bytes is over LZ4's limit ({})", raw_bytes,
                            LZ4_MAX_INPUT_SIZE));
    }
    const auto raw_size = static_cast<std::size_t>(raw_bytes);
    std::vector<std::uint8_t> out;
    FilterChoice choice;
    if (codec != Compression::None) {
        const bool large_auto =
            options.compression == Compression::Auto && raw_bytes >= kZeroCopyMinRawBytes;
        choice = choose_filters(value, options, codec, large_auto);
        // A large value that the samples say will not halve is stored plainly without
        // compressing all of it first (that trial took ~2/3 of a 160 MB put).
        if (large_auto && choice.estimated_bytes > 0.6 * static_cast<double>(raw_bytes)) {
            codec = Compression::None;
        }
    }
    if (codec != Compression::None) {
        const std::vector<Filter>& filters = choice.filters;
        // Scratch buffers are left unzeroed, and the result is sized exactly rather than keeping
        // the capacity of the compression bound (a cache may hold many encoded values).
        const auto payload = std::make_unique_for_overwrite<std::uint8_t[]>(raw_size);
        write_payload(value, filters, payload.get());
        const std::size_t capacity = compress_bound(codec, raw_size);
        const auto compressed = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
        const std::size_t stored = compress(codec, options.zstd_level, {payload.get(), raw_size},
                                            compressed.get(), capacity);
        if (options.compression == Compression::Auto && stored > raw_size - required_saving) {
            codec = Compression::None;
        } else {
            out.reserve(kHeaderBytes + stored);
            out.resize(kHeaderBytes);
            out.insert(out.end(), compressed.get(), compressed.get() + stored);
        }
    }
    if (codec == Compression::None) {
        out.resize(kHeaderBytes + raw_size);
        const std::vector<Filter> plain(value.columns.size(), Filter::None);
        write_payload(value, plain, out.data() + kHeaderBytes);
    }
    write_header(out.data(), codec, expires_at_ns, raw_bytes,
                 std::span<const std::uint8_t>(out).subspan(kHeaderBytes));
    return out;
}

Result<Header> peek(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < kHeaderBytes) {
        return corrupt(
            fmt::format("{} bytes, shorter than the {}-byte header", bytes.size(), kHeaderBytes));
    }
    const std::uint8_t* p = bytes.data();
    if (!std::equal(kMagic.begin(), kMagic.end(), p)) {
        return corrupt("bad magic (not written by the cache codec)");
    }
    Header header;
    header.version = load<std::uint16_t>(p + 4);
    if (header.version != kFormatVersion) {
        return corrupt(fmt::format("format version {}, this build reads only version {}",
                                   header.version, kFormatVersion));
    }
    const std::uint8_t codec = p[6];
    if (codec < static_cast<std::uint8_t>(Compression::None) ||
        codec > static_cast<std::uint8_t>(Compression::Zstd)) {
        return corrupt(fmt::format("unknown compression {}", codec));
    }
    header.compression = static_cast<Compression>(codec);
    if (p[7] != 0) {
        return corrupt(fmt::format("unknown flags {:#04x}", p[7]));
    }
    header.expires_at_ns = load<std::int64_t>(p + 8);
    header.raw_bytes = load<std::uint64_t>(p + 16);
    header.stored_bytes = load<std::uint64_t>(p + 24);
    const std::uint64_t raw = header.raw_bytes;
    const std::uint64_t stored = header.stored_bytes;
    if (raw < 4 || raw > kMaxRawBytes) {
        return corrupt(fmt::format("a payload of {} bytes is outside [4, {}]", raw, kMaxRawBytes));
    }
    bool consistent = false;
    switch (header.compression) {
        case Compression::Lz4:
            consistent =
                raw <= LZ4_MAX_INPUT_SIZE &&
                stored <= static_cast<std::uint64_t>(LZ4_compressBound(static_cast<int>(raw))) &&
                raw / kMaxLz4Ratio <= stored;
            break;
        case Compression::Zstd:
            consistent = stored <= ZSTD_compressBound(static_cast<std::size_t>(raw)) &&
                         raw / kMaxZstdRatio <= stored && stored > 0;
            break;
        default:
            consistent = stored == raw;
            break;
    }
    if (!consistent) {
        return corrupt(fmt::format("{} payload bytes cannot be stored as {} {} bytes", raw, stored,
                                   to_string(header.compression)));
    }
    return header;
}

namespace {

Result<Value> decode_payload(std::span<const std::uint8_t> bytes,
                             const std::shared_ptr<const void>& owner) {
    try {
        auto header = peek(bytes);
        if (!header) {
            return std::move(header).error();
        }
        const std::span<const std::uint8_t> stored = bytes.subspan(kHeaderBytes);
        if (stored.size() != header->stored_bytes) {
            return corrupt(fmt::format("the header announces {} payload bytes, {} follow",
                                       header->stored_bytes, stored.size()));
        }
        if (checksum(bytes.data(), stored) != load<std::uint64_t>(bytes.data() + kChecksumOffset)) {
            return corrupt("checksum mismatch");
        }
        if (header->compression == Compression::None) {
            const bool aligned =
                reinterpret_cast<std::uintptr_t>(stored.data()) % kValueAlignment == 0;
            return parse_payload(stored, aligned ? owner : nullptr);
        }
        auto raw = decompress(*header, stored);
        if (!raw) {
            return std::move(raw).error();
        }
        return parse_payload({raw->get(), static_cast<std::size_t>(header->raw_bytes)}, nullptr);
    } catch (const std::bad_alloc&) {
        return fail(ErrorCode::Internal, "cached value: out of memory while decoding");
    }
}

}  // namespace

Result<Value> decode(std::span<const std::uint8_t> bytes) {
    return decode_payload(bytes, nullptr);
}

Result<Value> decode(const SharedBytes& shared) {
    return decode_payload(shared.bytes, shared.owner);
}

}  // namespace tradpal::cache

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/core/result.hpp>

namespace tradpal::cache {

/// Element type of a column.
enum class DType : std::uint8_t { Float64 = 1, Int64 = 2, UInt8 = 3, Bytes = 4 };
/// "float64", "int64", "uint8", "bytes" ("unknown" for a value outside the enum).
std::string_view to_string(DType dtype) noexcept;
/// Bytes per element: 8, 8, 1, 1 (0 for a value outside the enum).
std::size_t width(DType dtype) noexcept;

/// One named column of little-endian values (Bytes: an opaque blob such as JSON text). The
/// values are either owned or borrowed from a buffer that a shared owner keeps alive (a mapped
/// cache file, a Redis reply): decode() of SharedBytes borrows, so a hit of a large value copies
/// nothing. Either way the column is immutable once made and safe to read from many threads.
class Column {
public:
    std::string name;
    DType dtype = DType::Float64;

    Column() = default;
    /// A column owning `bytes` (size must be a multiple of the dtype's width for encode()).
    Column(std::string column_name, DType type, std::vector<std::uint8_t> bytes);
    /// A column viewing `bytes`, which `owner` keeps alive.
    Column(std::string column_name, DType type, std::span<const std::uint8_t> bytes,
           std::shared_ptr<const void> owner);
    // The view points into owned_ or the owner's bytes, so copies re-point it.
    Column(const Column& other);
    Column& operator=(const Column& other);
    Column(Column&& other) noexcept;
    Column& operator=(Column&& other) noexcept;
    ~Column() = default;

    /// A Float64, Int64 or UInt8 column holding a copy of `values`.
    static Column of(std::string name, std::span<const double> values);
    static Column of(std::string name, std::span<const std::int64_t> values);
    static Column of(std::string name, std::span<const std::uint8_t> values);
    /// A Bytes column holding a copy of `bytes`.
    static Column text(std::string name, std::string_view bytes);

    /// The values' bytes, owned or borrowed.
    std::span<const std::uint8_t> bytes() const noexcept { return view_; }
    /// True when the bytes belong to a shared owner rather than to this column.
    bool borrows() const noexcept { return owner_ != nullptr; }
    /// Number of elements (bytes for UInt8 and Bytes).
    std::size_t length() const noexcept;
    /// The values without a copy. Throws: tradpal::Exception (InvalidArgument) unless dtype is
    /// Float64 (resp. Int64) and the bytes are 8-byte aligned (decode() makes them so).
    std::span<const double> f64_view() const;
    std::span<const std::int64_t> i64_view() const;
    /// Copies of the values. Throws as f64_view() / i64_view() (except for the alignment).
    std::vector<double> f64() const;
    std::vector<std::int64_t> i64() const;
    /// The raw bytes as text (meant for Bytes columns).
    std::string_view as_text() const noexcept;

    /// Bit-exact: NaN payloads and signed zeros compare by their bytes.
    bool operator==(const Column& other) const noexcept;

private:
    std::vector<std::uint8_t> owned_;
    std::shared_ptr<const void> owner_;
    std::span<const std::uint8_t> view_;  // owned_ or the owner's bytes
};

/// Bytes that a shared owner keeps alive: what the cache levels hand to decode().
struct SharedBytes {
    std::span<const std::uint8_t> bytes;
    std::shared_ptr<const void> owner;
};

/// What the cache stores: a few named columns (a bar series, an indicator's outputs, a backtest
/// result as JSON text...).
struct Value {
    std::vector<Column> columns;

    /// The first column called `name`, or nullptr. Linear in the number of columns.
    const Column* find(std::string_view name) const noexcept;
    /// Sum of the columns' byte sizes (names and framing excluded).
    std::size_t payload_bytes() const noexcept;

    bool operator==(const Value&) const = default;
};

/// How the payload is compressed. Auto picks by size and by trial; see encode().
enum class Compression : std::uint8_t { Auto = 0, None = 1, Lz4 = 2, Zstd = 3 };
/// "auto", "none", "lz4", "zstd" ("unknown" for a value outside the enum).
std::string_view to_string(Compression compression) noexcept;

/// How each Float64/Int64 column is rearranged before compression (never with Compression::None;
/// other dtypes are never filtered). Decode finds the choice recorded per column.
enum class Filter : std::uint8_t {
    Auto,     ///< per column, whichever compresses a 64 KiB sample of it best
    None,     ///< values as they are
    Shuffle,  ///< byte planes: byte 0 of every value, then byte 1 of every value, ...
    Delta,    ///< each value against the previous one (int64: zigzag difference; float64: XOR of
              ///< the bits), then Shuffle
};
/// "auto", "none", "shuffle", "delta" ("unknown" for a value outside the enum).
std::string_view to_string(Filter filter) noexcept;

/// Choices of encode(); the defaults suit the cache.
struct EncodeOptions {
    Compression compression = Compression::Auto;
    /// Passed to zstd, which clamps it to its range. 3 (zstd's default) stored real 1m bars in
    /// 7-16% fewer bytes than 1, at about half the encode speed and a similar decode speed.
    int zstd_level = 3;
    Filter filter = Filter::Auto;
};

/// The fixed part in front of every encoded value.
struct Header {
    std::uint16_t version = 0;
    Compression compression = Compression::None;  ///< None, Lz4 or Zstd (never Auto)
    std::int64_t expires_at_ns = 0;               ///< absolute UTC ns since the epoch, 0 = never
    std::uint64_t raw_bytes = 0;                  ///< payload size before compression
    std::uint64_t stored_bytes = 0;               ///< payload size as stored after the header
};

/// Format version written by encode() and the only one decode() reads.
inline constexpr std::uint16_t kFormatVersion = 2;
/// Size of the encoded header: peek() needs only this many leading bytes.
inline constexpr std::size_t kHeaderBytes = 40;
/// Largest payload (before compression) encode() writes and decode() accepts.
inline constexpr std::uint64_t kMaxRawBytes = std::uint64_t{64} << 30;

/// Encodes `value` for storage; expires_at_ns: absolute UTC ns since epoch, 0 = never.
/// Layout and the rule of Compression::Auto: src/codec.cpp. Deterministic for equal inputs.
/// Throws: tradpal::Exception (InvalidArgument) for a column whose size is not a multiple of its
/// width, an unknown dtype, a name over 65,535 bytes, options outside their enums, or a payload
/// decode() would refuse (over kMaxRawBytes; with Compression::Lz4, over LZ4's limit of ~2 GB).
std::vector<std::uint8_t> encode(const Value& value, std::int64_t expires_at_ns = 0,
                                 const EncodeOptions& options = {});

/// Decodes what encode() wrote into columns that own their values. Never throws and never
/// crashes on arbitrary bytes. Errors: Corrupt for a bad magic, unknown version, checksum
/// mismatch, truncation, a failed decompression or inconsistent column sizes; Internal when
/// memory runs out.
Result<Value> decode(std::span<const std::uint8_t> bytes);
/// The same, but columns stored plainly (no compression, no filter) borrow from `shared`
/// instead of copying when its bytes are 8-byte aligned; the value then keeps the owner alive.
Result<Value> decode(const SharedBytes& shared);

/// The header alone, for cheap expiry checks: `bytes` may be just the first kHeaderBytes. The
/// magic, version and sizes are checked, not the checksum (decode() does that).
/// Errors: Corrupt as for decode().
Result<Header> peek(std::span<const std::uint8_t> bytes);

}  // namespace tradpal::cache

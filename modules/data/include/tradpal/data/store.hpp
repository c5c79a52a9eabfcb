// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/file.hpp>
#include <tradpal/core/result.hpp>
#include <tradpal/core/timeframe.hpp>

namespace tradpal::data {

/// Identity of a stored series: where it came from, what it is, and its bar length.
struct SeriesKey {
    std::string source;  ///< "csv", "synthetic", "yahoo", ... ([a-z0-9_-])
    std::string symbol;  ///< as written by the user, e.g. "BTC/USD"
    Timeframe timeframe{"1d"};

    /// "BTC/USD 1h (csv)".
    std::string to_string() const;
    bool operator==(const SeriesKey&) const = default;
};

/// Directory name of a symbol: "BTC/USDT" -> "BTC-USDT". Letters, digits and . _ - = ^ + @ are
/// kept, '/' becomes '-'. Errors: InvalidArgument for an empty name, "..", a leading '.', path
/// separators other than '/', spaces, control characters or NUL, or more than 100 characters.
Result<std::string> sanitize_symbol(std::string_view symbol);
/// Checks a source name ([a-z0-9_-], 1..32 chars). Errors: InvalidArgument.
Result<std::string> sanitize_source(std::string_view source);

/// Column files of a series, in storage order.
inline constexpr std::array<std::string_view, 6> kColumnNames = {"ts",  "open",  "high",
                                                                 "low", "close", "volume"};
/// Rows per checksum block (xxh3-64 of each column's bytes, block by block).
inline constexpr std::uint64_t kChecksumBlockRows = 262'144;

/// Contents of a series' meta.json. Readers trust only `rows`, so bytes past it are invisible.
struct SeriesMeta {
    SeriesKey key;
    std::uint64_t rows = 0;
    Timestamp first;               ///< first bar time (rows > 0)
    Timestamp last;                ///< last bar time (rows > 0)
    std::uint64_t generation = 0;  ///< column files are <name>.g<generation>.<i64|f64>
    std::uint64_t version = 0;     ///< +1 on every commit: part of every cache key
    std::string origin;            ///< how the data got here, e.g. "import x.csv (yahoo)"
    /// Column name -> checksum per block of kChecksumBlockRows rows.
    std::map<std::string, std::vector<std::uint64_t>, std::less<>> checksums;
};

/// What a cached result computed from a series depends on (docs/CACHE.md): the series'
/// identity, its row count, first and last time, commit version and the block checksums of
/// every column, so that appending, replacing or editing bars gives another text.
std::string data_version(const SeriesMeta& meta);

/// Options for opening a stored series.
struct OpenOptions {
    bool map = true;  ///< mmap the columns; false copies them into memory
};

/// A read-only snapshot of a stored series (mmap-backed unless OpenOptions::map is false).
/// Later commits do not change what a snapshot sees. Move-only; thread-safe for reading.
class StoredSeries {
public:
    StoredSeries(StoredSeries&&) noexcept;
    StoredSeries& operator=(StoredSeries&&) noexcept;
    ~StoredSeries();

    const SeriesMeta& meta() const noexcept;
    /// All rows, strictly increasing in time.
    BarSeriesView view() const noexcept;
    /// Rows with start <= ts < end (binary search).
    BarSeriesView between(Timestamp start, Timestamp end) const noexcept;
    /// Calls f(chunk, first_row) on consecutive chunks of at most chunk_rows rows of `rows` (a
    /// sub-view of view(), default all). Pages of finished chunks leave this process's resident
    /// set, so a pass over any size runs in bounded memory.
    void for_each_chunk(std::size_t chunk_rows,
                        const std::function<void(const BarSeriesView&, std::uint64_t)>& f) const;
    void for_each_chunk(const BarSeriesView& rows, std::size_t chunk_rows,
                        const std::function<void(const BarSeriesView&, std::uint64_t)>& f) const;
    /// Recomputes the block checksums. Errors: Corrupt naming the column and block.
    Result<void> verify() const;
    /// Bytes of the column files holding the rows.
    std::uint64_t bytes() const noexcept;

private:
    friend class Store;
    friend class SeriesWriter;
    struct Impl;
    explicit StoredSeries(std::unique_ptr<Impl> impl) noexcept;

    std::unique_ptr<Impl> impl_;
};

/// The bar store: <root>/<source>/<SYMBOL>/<timeframe>/ holding one raw little-endian file per
/// column and meta.json. Any number of readers (mmap); one writer per series (SeriesWriter).
class Store {
public:
    explicit Store(std::filesystem::path root);

    const std::filesystem::path& root() const noexcept { return root_; }

    /// Directory of a series. Errors: InvalidArgument for a bad symbol or source.
    Result<std::filesystem::path> series_dir(const SeriesKey& key) const;
    /// Every series, ordered by source, symbol, timeframe. Unreadable ones are described in
    /// `problems` when given.
    std::vector<SeriesMeta> list(std::vector<std::string>* problems = nullptr) const;
    /// Finds the one stored series matching symbol and, when given, timeframe and source.
    /// Errors: NotFound (listing what is stored), InvalidArgument when several match.
    Result<SeriesKey> resolve(std::string_view symbol, std::optional<Timeframe> timeframe,
                              std::optional<std::string> source) const;
    /// Errors: NotFound, Corrupt (unreadable meta.json).
    Result<SeriesMeta> read_meta(const SeriesKey& key) const;
    /// Errors: NotFound, Corrupt (meta.json unreadable, column files shorter than it says).
    Result<StoredSeries> open(const SeriesKey& key, OpenOptions options = {}) const;
    /// Deletes a series (takes its writer lock). Errors: NotFound, Locked, IoError.
    Result<void> remove(const SeriesKey& key) const;

private:
    std::filesystem::path root_;
};

/// The one writer of a series: holds the series lock and stages rows past the committed ones.
/// Nothing is visible to readers until commit(); destroying an uncommitted writer discards the
/// staged rows, and a crash leaves only bytes past meta.json's row count (or files of an
/// unreferenced generation), which the next writer removes.
class SeriesWriter {
public:
    enum class Mode {
        Append,   ///< stage rows after the committed ones
        Replace,  ///< stage rows that will replace the series
        Rewrite,  ///< the committed rows are the staged rows (for fixing in place)
    };

    /// Errors: InvalidArgument (bad key), Locked (another writer), Corrupt (Append/Rewrite on a
    /// damaged series), IoError.
    static Result<SeriesWriter> open(const Store& store, const SeriesKey& key, Mode mode);

    SeriesWriter(SeriesWriter&&) noexcept;
    SeriesWriter& operator=(SeriesWriter&&) noexcept;
    ~SeriesWriter();

    /// The committed state when the writer opened, if the series existed.
    const std::optional<SeriesMeta>& previous() const noexcept;
    /// Committed rows kept below the staged ones (Append: all; Replace, Rewrite: none).
    std::uint64_t base_rows() const noexcept;
    std::uint64_t staged_rows() const noexcept;

    /// Adds rows after the staged ones. Throws: tradpal::Exception (IoError).
    void stage(const BarSeriesView& rows);
    /// A read-only view of the staged rows (valid until the writer changes them).
    /// Throws: tradpal::Exception (IoError).
    StoredSeries staged() const;
    /// Reverses the staged rows (for newest-first files), in bounded memory.
    /// Throws: tradpal::Exception (IoError).
    void reverse_staged();
    /// Replaces the staged rows by staged rows `keep` (indices into them, in the new order),
    /// writing a new generation. Throws: tradpal::Exception (IoError).
    void keep_staged(std::span<const std::uint64_t> keep);
    /// Describes how the data got here (stored in meta.json).
    void set_origin(std::string origin);
    /// Makes base + staged rows the series, durably and atomically.
    /// Throws: tradpal::Exception (ValidationFailed if the rows are not strictly increasing in
    /// time, IoError).
    SeriesMeta commit();

private:
    struct Impl;
    explicit SeriesWriter(std::unique_ptr<Impl> impl) noexcept;

    std::unique_ptr<Impl> impl_;
};

}  // namespace tradpal::data

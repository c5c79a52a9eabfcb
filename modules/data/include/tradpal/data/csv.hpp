// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
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
#include <tradpal/core/result.hpp>
#include <tradpal/core/timestamp.hpp>

namespace tradpal::data {

/// CSV dialects the reader knows. Auto picks one from the banner, header and column count.
enum class CsvFormat {
    Auto,
    Generic,             ///< columns mapped by header name (aliases) or position
    Kaggle,              ///< Kaggle Bitstamp 1-minute: Timestamp,Open,...,Volume_(BTC),...
    Yahoo,               ///< Date,Open,High,Low,Close,Adj Close,Volume
    CryptoDataDownload,  ///< banner line, unix,date,symbol,open,...; newest first
    Binance,             ///< data.binance.vision klines: no header, 12 columns
};
std::string_view to_string(CsvFormat format) noexcept;
/// Parses "auto", "generic", "kaggle", "yahoo", "cryptodatadownload" (or "cdd"), "binance".
Result<CsvFormat> parse_csv_format(std::string_view text);

/// What to do with a row that cannot be read.
enum class OnError { Fail, Skip };
Result<OnError> parse_on_error(std::string_view text);

/// The columns a bar is built from.
enum class BarField { Time, Open, High, Low, Close, Volume, AdjClose };
inline constexpr std::size_t kBarFieldCount = 7;
std::string_view to_string(BarField field) noexcept;
/// Parses "time", "open", "high", "low", "close", "volume", "adj_close".
Result<BarField> parse_bar_field(std::string_view text);

/// How to read a CSV file; defaults detect everything.
struct CsvOptions {
    CsvFormat format = CsvFormat::Auto;
    char delimiter = '\0';       ///< '\0': detect among , ; tab |
    std::optional<bool> header;  ///< nullopt: detect
    /// Column overrides: field -> header name (case-insensitive) or 0-based index.
    std::map<BarField, std::string> columns;
    EpochUnit time_unit = EpochUnit::Auto;  ///< for numeric time columns
    bool adjust = false;                    ///< scale OHLC by Adj Close / Close (Yahoo)
    double price_scale = 1.0;               ///< multiplies OHLC (e.g. 0.0001 for LEAN equities)
    OnError on_error = OnError::Fail;
    std::size_t max_examples = 10;  ///< problems kept as examples in CsvStats
    /// Threads parsing blocks of lines at once (0 = all cores). Results do not depend on it.
    int threads = 0;
    /// Bytes of text per block; each read_batch() parses a few blocks per thread.
    std::size_t block_bytes = std::size_t{2} << 20;
};

/// A row the reader could not use, by physical line number (1-based, banner and header count).
struct RowProblem {
    std::uint64_t line = 0;
    std::string reason;
};

/// What the reader decided about the file.
struct CsvLayout {
    CsvFormat format = CsvFormat::Generic;
    char delimiter = ',';
    bool header = false;
    std::size_t banner_lines = 0;
    std::size_t field_count = 0;
    std::array<int, kBarFieldCount> column{};  ///< column index per BarField, -1 when absent
    std::vector<std::string> header_names;
};

/// Counters of one read.
struct CsvStats {
    std::uint64_t lines = 0;           ///< physical lines consumed so far
    std::uint64_t bytes = 0;           ///< bytes consumed so far (of the uncompressed text)
    std::uint64_t rows = 0;            ///< bars produced
    std::uint64_t empty_rows = 0;      ///< rows without any price (all NaN/null/empty), skipped
    std::uint64_t rejected = 0;        ///< unreadable rows skipped (OnError::Skip)
    std::vector<RowProblem> examples;  ///< the first empty or rejected rows
    std::vector<std::string> notes;    ///< decisions worth telling the user
};

/// Streaming CSV reader: holds one buffer (a few blocks per thread) whatever the file size,
/// parses blocks of whole lines on several threads (numbers with fast_float), and reports every
/// unusable row with its line number. Reads plain files, gzip files (by content), and standard
/// input ("-").
class CsvReader {
public:
    /// Opens and inspects the file (banner, header, delimiter, columns).
    /// Errors: NotFound, InvalidArgument (a directory), ParseError (empty file, unknown columns),
    /// IoError.
    static Result<CsvReader> open(const std::filesystem::path& path, CsvOptions options);
    /// Reads from memory (tests and fuzzing); `name` appears in messages.
    static Result<CsvReader> from_string(std::string text, CsvOptions options,
                                         std::string name = "<memory>");

    CsvReader(CsvReader&&) noexcept;
    CsvReader& operator=(CsvReader&&) noexcept;
    ~CsvReader();

    /// Receives the rows of one block and their line numbers; called in file order, never
    /// concurrently, but possibly from a worker thread.
    using BlockSink =
        std::function<void(const BarSeriesView& rows, std::span<const std::uint64_t> lines)>;

    /// Parses the next few blocks (in parallel) and hands each block's rows to `sink` in file
    /// order. Returns the number of rows, 0 at the end. Errors as read_batch().
    Result<std::size_t> read_blocks(const BlockSink& sink);

    /// Replaces the contents of `out` with the bars of the next few blocks, and of `lines` (if
    /// given) with their line numbers. Returns the number of bars, 0 at the end.
    /// Errors: ParseError "<file>:<line>: <reason>" at the first bad row when on_error is Fail.
    Result<std::size_t> read_batch(BarSeries& out, std::vector<std::uint64_t>* lines = nullptr);

    const CsvLayout& layout() const noexcept;
    const CsvStats& stats() const noexcept;
    /// Name used in messages (the path, "<stdin>" or the memory name).
    const std::string& name() const noexcept;
    /// Size of the input in bytes when known (for progress), else 0.
    std::uint64_t input_size() const noexcept;

private:
    struct Impl;
    explicit CsvReader(std::unique_ptr<Impl> impl) noexcept;
    static Result<CsvReader> start(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

/// Reads a whole CSV file of bars into memory, for work on a file that is not in the store
/// (e.g. `tradpal backtest --input`). A newest-first file is put in time order.
/// Errors: those of CsvReader; ValidationFailed when times are unsorted or repeated, or when a
/// row has no prices (naming the line).
Result<BarSeries> read_bars_csv(const std::filesystem::path& path, CsvOptions options = {});

}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <mutex>

#include <fast_float/fast_float.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <tradpal/core/file.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <tradpal/data/csv.hpp>

namespace tradpal::data {
namespace {

constexpr std::size_t kBufferBytes = std::size_t{4} << 20;
constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;
// Blocks parsed per thread in one round: enough that the calling thread can hand finished blocks
// on while the others still parse.
constexpr std::size_t kBlocksPerThread = 4;

// ---- byte sources

class ByteSource {
public:
    virtual ~ByteSource() = default;
    /// Reads up to `capacity` bytes; 0 at the end. Throws: tradpal::Exception.
    virtual std::size_t read(char* dst, std::size_t capacity) = 0;
};

class FdSource final : public ByteSource {
public:
    FdSource(int fd, bool owned, std::string name)
        : fd_(fd), owned_(owned), name_(std::move(name)) {}
    FdSource(const FdSource&) = delete;
    FdSource& operator=(const FdSource&) = delete;
    ~FdSource() override {
        if (owned_) {
            ::close(fd_);
        }
    }
    std::size_t read(char* dst, std::size_t capacity) override {
        for (;;) {
            const ssize_t n = ::read(fd_, dst, capacity);
            if (n >= 0) {
                return static_cast<std::size_t>(n);
            }
            if (errno != EINTR) {
                throw Exception(ErrorCode::IoError,
                                fmt::format("cannot read {}: {}", name_, std::strerror(errno)));
            }
        }
    }

private:
    int fd_;
    bool owned_;
    std::string name_;
};

class GzipSource final : public ByteSource {
public:
    GzipSource(gzFile gz, std::string name) : gz_(gz), name_(std::move(name)) {
        gzbuffer(gz_, 1U << 20);
    }
    GzipSource(const GzipSource&) = delete;
    GzipSource& operator=(const GzipSource&) = delete;
    ~GzipSource() override { gzclose(gz_); }
    std::size_t read(char* dst, std::size_t capacity) override {
        const int n =
            gzread(gz_, dst, static_cast<unsigned>(std::min<std::size_t>(capacity, 1U << 30)));
        if (n < 0) {
            int code = 0;
            const char* msg = gzerror(gz_, &code);
            throw Exception(ErrorCode::ParseError,
                            fmt::format("{}: cannot decompress: {}", name_, msg));
        }
        return static_cast<std::size_t>(n);
    }

private:
    gzFile gz_;
    std::string name_;
};

// ---- small text helpers

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// Lower-case letters and digits only: "Volume_(BTC)" -> "volumebtc", "Adj Close" -> "adjclose".
std::string normalize_name(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    return out;
}

bool contains_ignore_case(std::string_view text, std::string_view needle) {
    return normalize_name(text).find(needle) != std::string::npos;
}

// End of the field starting at p: the next delimiter outside quotes, or `end`.
const char* field_end(const char* p, const char* end, char delim) noexcept {
    if (p < end && *p == '"') {
        ++p;
        while (p < end) {
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"') {
                    p += 2;
                    continue;
                }
                ++p;
                break;
            }
            ++p;
        }
    }
    const void* d = std::memchr(p, delim, static_cast<std::size_t>(end - p));
    return d == nullptr ? end : static_cast<const char*>(d);
}

// The field's text without surrounding blanks and quotes.
std::string_view field_text(const char* begin, const char* end) noexcept {
    std::string_view s = trim(std::string_view(begin, static_cast<std::size_t>(end - begin)));
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
        s = trim(s.substr(1, s.size() - 2));
    }
    return s;
}

std::vector<std::string> split_fields(std::string_view line, char delim) {
    std::vector<std::string> fields;
    const char* p = line.data();
    const char* end = p + line.size();
    for (;;) {
        const char* e = field_end(p, end, delim);
        fields.emplace_back(field_text(p, e));
        if (e == end) {
            break;
        }
        p = e + 1;
    }
    return fields;
}

bool is_null_token(std::string_view s) noexcept {
    return s.empty() || s == "null" || s == "NULL" || s == "Null" || s == "NaN" || s == "nan" ||
           s == "NAN" || s == "NA" || s == "N/A" || s == "n/a" || s == "None" || s == "-";
}

bool parses_as_number(std::string_view s) {
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    double v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && ptr == s.data() + s.size();
}

char detect_delimiter(std::string_view line) {
    char best = ',';
    std::ptrdiff_t best_count = 0;
    for (char c : {',', ';', '\t', '|'}) {
        const auto n = std::count(line.begin(), line.end(), c);
        if (n > best_count) {
            best = c;
            best_count = n;
        }
    }
    return best;
}

enum class FieldStatus { Ok, Null, Bad };

}  // namespace

// ---- names

std::string_view to_string(CsvFormat format) noexcept {
    switch (format) {
        case CsvFormat::Auto:
            return "auto";
        case CsvFormat::Generic:
            return "generic";
        case CsvFormat::Kaggle:
            return "kaggle";
        case CsvFormat::Yahoo:
            return "yahoo";
        case CsvFormat::CryptoDataDownload:
            return "cryptodatadownload";
        case CsvFormat::Binance:
            return "binance";
    }
    return "auto";
}

Result<CsvFormat> parse_csv_format(std::string_view text) {
    for (CsvFormat f : {CsvFormat::Auto, CsvFormat::Generic, CsvFormat::Kaggle, CsvFormat::Yahoo,
                        CsvFormat::CryptoDataDownload, CsvFormat::Binance}) {
        if (text == to_string(f)) {
            return f;
        }
    }
    if (text == "cdd") {
        return CsvFormat::CryptoDataDownload;
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("unknown CSV format '{}' (expected auto, generic, kaggle, yahoo, "
                            "cryptodatadownload or binance)",
                            text));
}

Result<OnError> parse_on_error(std::string_view text) {
    if (text == "fail") {
        return OnError::Fail;
    }
    if (text == "skip") {
        return OnError::Skip;
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("unknown --on-error '{}' (expected fail or skip)", text));
}

std::string_view to_string(BarField field) noexcept {
    constexpr std::array<std::string_view, kBarFieldCount> kNames = {
        "time", "open", "high", "low", "close", "volume", "adj_close"};
    return kNames[static_cast<std::size_t>(field)];
}

Result<BarField> parse_bar_field(std::string_view text) {
    for (std::size_t i = 0; i < kBarFieldCount; ++i) {
        if (text == to_string(static_cast<BarField>(i))) {
            return static_cast<BarField>(i);
        }
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("unknown column role '{}' (expected time, open, high, low, close, "
                            "volume or adj_close)",
                            text));
}

// ---- the reader

struct CsvReader::Impl {
    std::string name;
    std::unique_ptr<ByteSource> source;
    CsvOptions options;
    CsvLayout layout;
    CsvStats stats;
    std::uint64_t input_size = 0;

    // The text: a plain file is mapped whole and text in memory is used as it is (both parsed in
    // place, no copies); other inputs are read into `buffer`. [begin, end) of `input` is not
    // parsed yet.
    std::optional<MappedFile> mapped;
    std::string memory;
    std::size_t released = 0;  // mapped bytes already dropped from the resident set
    std::vector<char> buffer;
    const char* input = nullptr;
    std::size_t begin = 0;
    std::size_t end = 0;
    bool eof = false;
    std::vector<int> role;  // per column: BarField index or -1

    // The rows of one block of whole lines, parsed on a worker thread. Line numbers count from
    // the block's first line (1).
    struct BlockResult {
        BarSeries bars;
        std::vector<std::uint64_t> lines;
        std::uint64_t line_count = 0;
        std::uint64_t empty_rows = 0;
        std::uint64_t rejected = 0;
        std::vector<RowProblem> problems;  // the first few empty or rejected rows
        std::optional<RowProblem> error;   // OnError::Fail: the first bad row
    };
    std::vector<BlockResult> blocks;  // reused between batches

    Error line_too_long() const {
        return fail(ErrorCode::ParseError,
                    fmt::format("{}:{}: line is longer than 1 MiB (is this a CSV file?)", name,
                                stats.lines + 1));
    }

    // The next physical line without "\n" / "\r\n"; valid until the next call.
    Result<bool> next_line(std::string_view& line) {
        for (;;) {
            const char* start = input + begin;
            const std::size_t avail = end - begin;
            if (const void* nl = std::memchr(start, '\n', avail)) {
                const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - start);
                if (len > kMaxLineBytes) {
                    return line_too_long();
                }
                begin += len + 1;
                stats.bytes += len + 1;
                ++stats.lines;
                line = std::string_view(start, len);
                if (!line.empty() && line.back() == '\r') {
                    line.remove_suffix(1);
                }
                return true;
            }
            if (eof) {
                if (avail == 0) {
                    return false;
                }
                begin = end;
                stats.bytes += avail;
                ++stats.lines;
                line = std::string_view(start, avail);
                if (!line.empty() && line.back() == '\r') {
                    line.remove_suffix(1);
                }
                return true;
            }
            if (avail > kMaxLineBytes) {
                return line_too_long();
            }
            std::memmove(buffer.data(), start, avail);
            begin = 0;
            end = avail;
            const std::size_t n = source->read(buffer.data() + end, buffer.size() - end);
            eof = n == 0;
            end += n;
        }
    }

    // Moves unparsed text to the front and reads until the buffer is full or the input ends;
    // for a mapped file, drops the pages parsed so far from the resident set.
    void fill() {
        if (!source) {
            if (mapped) {
                mapped->release(released, begin - released);
                released = begin;
            }
            return;
        }
        std::memmove(buffer.data(), buffer.data() + begin, end - begin);
        end -= begin;
        begin = 0;
        while (!eof && end < buffer.size()) {
            const std::size_t n = source->read(buffer.data() + end, buffer.size() - end);
            eof = n == 0;
            end += n;
        }
    }

    int thread_count() const;
    Result<void> inspect();
    Result<void> map_columns(const std::vector<std::string>& first_fields);
    Result<std::size_t> read_blocks(const BlockSink& sink);
    // Parses the lines of `text`; `final` when it ends the input (its last line may lack "\n").
    void parse_block(std::string_view text, bool final, BlockResult& out) const;
    // Parses one data line. Returns Ok (bar filled), Null (no prices: an empty row) or Bad.
    FieldStatus parse_row(std::string_view line, Bar& bar, std::string& reason,
                          TimestampParser& times) const;
    // Parses the number field starting at p; end_out receives the end of the field.
    FieldStatus parse_number(const char* p, const char* line_end, BarField field, double& out,
                             std::string& reason, const char*& end_out) const;
};

int CsvReader::Impl::thread_count() const {
#ifdef _OPENMP
    return options.threads > 0 ? options.threads : omp_get_max_threads();
#else
    return 1;
#endif
}

Result<void> CsvReader::Impl::inspect() {
    // Room for a few blocks per thread, plus one longest line.
    const std::size_t blocks_per_round =
        kBlocksPerThread * static_cast<std::size_t>(thread_count());
    if (source) {
        buffer.resize(
            std::max(kBufferBytes, blocks_per_round * options.block_bytes + kMaxLineBytes));
        input = buffer.data();
    }
    std::string_view line;
    // The next line that is not blank, or `missing` as the error when the input ends first.
    const auto next_nonblank = [&](std::string_view missing) -> Result<void> {
        do {
            auto more = next_line(line);
            if (!more) {
                return more.error();
            }
            if (!*more) {
                return fail(ErrorCode::ParseError, fmt::format("{} {}", name, missing));
            }
            if (stats.lines == 1 && line.starts_with("\xEF\xBB\xBF")) {
                line.remove_prefix(3);  // UTF-8 byte-order mark
            }
        } while (trim(line).empty());
        return {};
    };
    // The first line is a banner, a header or data.
    if (auto r = next_nonblank("is empty: no header, no rows"); !r) {
        return r;
    }
    if (contains_ignore_case(line, "cryptodatadownload") || line.starts_with("http")) {
        layout.banner_lines = 1;
        stats.notes.push_back(fmt::format("line {} is a banner, skipped", stats.lines));
        if (auto r = next_nonblank("has a banner line but no header or rows"); !r) {
            return r;
        }
    }

    layout.delimiter = options.delimiter != '\0' ? options.delimiter : detect_delimiter(line);
    std::vector<std::string> fields = split_fields(line, layout.delimiter);
    if (options.header) {
        layout.header = *options.header;
    } else {
        const bool data_like = fields.size() >= 2 && try_parse_timestamp(fields[0]).has_value() &&
                               parses_as_number(fields[1]);
        layout.header = !data_like;
    }
    layout.field_count = fields.size();
    if (layout.header) {
        layout.header_names = fields;
    } else {
        // The line is data: step back so that the blocks parse it like any other row.
        const auto line_start = static_cast<std::size_t>(line.data() - input);
        stats.bytes -= begin - line_start;
        --stats.lines;
        begin = line_start;
    }
    return map_columns(fields);
}

Result<void> CsvReader::Impl::map_columns(const std::vector<std::string>& first_fields) {
    std::vector<std::string> names;
    for (const auto& f : layout.header_names) {
        names.push_back(normalize_name(f));
    }
    const auto has = [&](std::string_view n) {
        return std::find(names.begin(), names.end(), n) != names.end();
    };
    const auto first_of = [&](std::initializer_list<std::string_view> aliases) {
        for (std::string_view alias : aliases) {
            for (std::size_t i = 0; i < names.size(); ++i) {
                if (names[i] == alias) {
                    return static_cast<int>(i);
                }
            }
        }
        return -1;
    };

    CsvFormat format = options.format;
    if (format == CsvFormat::Auto) {
        if (layout.header && has("weightedprice") && has("volumebtc")) {
            format = CsvFormat::Kaggle;
        } else if (layout.header && has("adjclose") && has("date")) {
            format = CsvFormat::Yahoo;
        } else if (layout.banner_lines > 0 ||
                   (layout.header && (has("unix") || has("unixtimestamp")) && has("symbol"))) {
            format = CsvFormat::CryptoDataDownload;
        } else if (!layout.header && layout.field_count == 12) {
            format = CsvFormat::Binance;
        } else {
            format = CsvFormat::Generic;
        }
    } else if ((format == CsvFormat::Kaggle || format == CsvFormat::Yahoo ||
                format == CsvFormat::CryptoDataDownload) &&
               !layout.header) {
        return fail(ErrorCode::ParseError,
                    fmt::format("{}: format {} expects a header line, but line {} is data", name,
                                to_string(format), stats.lines));
    } else if (format == CsvFormat::Binance && layout.header) {
        return fail(ErrorCode::ParseError,
                    fmt::format("{}: Binance kline files have no header, but line {} is not data",
                                name, stats.lines));
    }
    layout.format = format;

    auto& col = layout.column;
    col.fill(-1);
    if (layout.header) {
        col[0] = first_of({"unix", "unixtimestamp", "timestamp", "timestamputc", "opentime", "time",
                           "datetime", "date", "ts", "t", "", "unnamed0"});
        col[1] = first_of({"open", "o", "openprice"});
        col[2] = first_of({"high", "h", "highprice"});
        col[3] = first_of({"low", "l", "lowprice"});
        col[4] = first_of({"close", "c", "closeprice", "last"});
        col[5] = first_of({"volume", "vol", "v", "basevolume"});
        if (col[5] <
            0) {  // "Volume BTC", "Volume_(BTC)": the first volume column is the base asset
            for (std::size_t i = 0; i < names.size() && col[5] < 0; ++i) {
                if (names[i].starts_with("volume")) {
                    col[5] = static_cast<int>(i);
                }
            }
        }
        col[6] = first_of({"adjclose", "adjustedclose"});
    } else {
        for (int i = 0; i < 6 && i < static_cast<int>(layout.field_count); ++i) {
            col[static_cast<std::size_t>(i)] = i;
        }
    }
    for (const auto& [field, selector] : options.columns) {
        int index = -1;
        if (!selector.empty() && std::all_of(selector.begin(), selector.end(),
                                             [](char c) { return c >= '0' && c <= '9'; })) {
            index = std::stoi(selector);
            if (index >= static_cast<int>(layout.field_count)) {
                return fail(ErrorCode::InvalidArgument,
                            fmt::format("{}: column {} for '{}' does not exist (the file has {} "
                                        "columns)",
                                        name, index, to_string(field), layout.field_count));
            }
        } else {
            index = first_of({normalize_name(selector)});
            if (index < 0) {
                return fail(
                    ErrorCode::InvalidArgument,
                    fmt::format("{}: no column named '{}' for '{}' (header: {})", name, selector,
                                to_string(field), fmt::join(layout.header_names, ",")));
            }
        }
        col[static_cast<std::size_t>(field)] = index;
    }
    for (BarField f :
         {BarField::Time, BarField::Open, BarField::High, BarField::Low, BarField::Close}) {
        if (col[static_cast<std::size_t>(f)] < 0) {
            return fail(
                ErrorCode::ParseError,
                fmt::format("{}: no '{}' column found (header: {}); name it with "
                            "--columns {}=<name or index>",
                            name, to_string(f),
                            layout.header ? fmt::format("{}", fmt::join(layout.header_names, ","))
                                          : fmt::format("none, {} columns", first_fields.size()),
                            to_string(f)));
        }
    }
    if (col[5] < 0) {
        stats.notes.push_back("no volume column: volume set to 0");
    }
    if (options.adjust && col[6] < 0) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{}: --adjust needs an 'Adj Close' column", name));
    }
    if (!options.adjust) {
        col[6] = -1;  // not read at all
    } else {
        stats.notes.push_back("prices adjusted by Adj Close / Close");
    }
    role.assign(layout.field_count, -1);
    for (std::size_t f = 0; f < kBarFieldCount; ++f) {
        if (col[f] >= 0) {
            role[static_cast<std::size_t>(col[f])] = static_cast<int>(f);
        }
    }
    if (layout.header) {
        stats.notes.push_back(fmt::format("time from column '{}'",
                                          layout.header_names[static_cast<std::size_t>(col[0])]));
    }
    return {};
}

FieldStatus CsvReader::Impl::parse_number(const char* p, const char* line_end, BarField field,
                                          double& out, std::string& reason,
                                          const char*& end_out) const {
    const char delim = layout.delimiter;
    // Fast path: a plain number directly followed by the delimiter or the end of the line.
    auto [ptr, ec] = fast_float::from_chars(p, line_end, out);
    if (ec == std::errc{} && (ptr == line_end || *ptr == delim)) {
        end_out = ptr;
        if (std::isfinite(out)) {
            return FieldStatus::Ok;
        }
        if (std::isnan(out)) {
            return FieldStatus::Null;
        }
        reason = fmt::format("'{}' is not finite: '{}'", to_string(field),
                             std::string_view(p, static_cast<std::size_t>(ptr - p)));
        return FieldStatus::Bad;
    }
    // Slow path: blanks, quotes, '+', null markers, or garbage.
    end_out = field_end(p, line_end, delim);
    std::string_view text = field_text(p, end_out);
    if (is_null_token(text)) {
        return FieldStatus::Null;
    }
    std::string_view digits = text;
    if (digits.front() == '+') {
        digits.remove_prefix(1);
    }
    const auto r = fast_float::from_chars(digits.data(), digits.data() + digits.size(), out);
    if (r.ec == std::errc{} && r.ptr == digits.data() + digits.size() && std::isfinite(out)) {
        return FieldStatus::Ok;
    }
    reason = r.ec == std::errc::result_out_of_range
                 ? fmt::format("'{}' is out of range: '{}'", to_string(field), text)
                 : fmt::format("'{}' is not a number: '{}'", to_string(field), text);
    return FieldStatus::Bad;
}

FieldStatus CsvReader::Impl::parse_row(std::string_view line, Bar& bar, std::string& reason,
                                       TimestampParser& times) const {
    const char delim = layout.delimiter;
    const char* p = line.data();
    const char* line_end = p + line.size();
    std::array<double, kBarFieldCount> value{};
    unsigned null_fields = 0;  // bit f: field f was empty, NaN or null
    std::string_view time_text;
    const std::size_t n = layout.field_count;
    const auto wrong_count = [&] {
        const auto found = std::count(line.begin(), line.end(), delim) + 1;
        reason = fmt::format("expected {} fields, found {}", n, found);
        return FieldStatus::Bad;
    };
    for (std::size_t i = 0; i < n; ++i) {
        const int r = role[i];
        const char* e = nullptr;
        if (r <= 0) {
            e = field_end(p, line_end, delim);
            if (r == 0) {
                time_text = field_text(p, e);
            }
        } else {
            const auto f = static_cast<std::size_t>(r);
            const FieldStatus status =
                parse_number(p, line_end, static_cast<BarField>(r), value[f], reason, e);
            if (status == FieldStatus::Bad) {
                return FieldStatus::Bad;
            }
            null_fields |= status == FieldStatus::Null ? 1U << f : 0U;
        }
        if (i + 1 < n) {
            if (e == line_end) {
                return wrong_count();
            }
            p = e + 1;
        } else if (e != line_end) {
            return wrong_count();
        }
    }

    const auto& col = layout.column;
    const auto has = [&](BarField f) {
        return col[static_cast<std::size_t>(f)] >= 0;
    };
    if (null_fields != 0) {
        constexpr unsigned kPrices = 0b11110;  // open, high, low, close
        if ((null_fields & kPrices) == kPrices) {
            return FieldStatus::Null;
        }
        const auto f = static_cast<std::size_t>(__builtin_ctz(null_fields));
        reason = fmt::format("'{}' is missing (empty, NaN or null)",
                             to_string(static_cast<BarField>(f)));
        return FieldStatus::Bad;
    }
    const auto t = times.parse(time_text, options.time_unit);
    if (!t) {
        reason = fmt::format("'{}' in column 'time' is not a time", time_text);
        return FieldStatus::Bad;
    }
    for (std::size_t f = 1; f <= 4; ++f) {
        if (value[f] < 0) {
            reason = fmt::format("negative price in '{}': {}", to_string(static_cast<BarField>(f)),
                                 value[f]);
            return FieldStatus::Bad;
        }
    }
    const double volume = has(BarField::Volume) ? value[5] : 0.0;
    if (volume < 0) {
        reason = fmt::format("negative volume: {}", volume);
        return FieldStatus::Bad;
    }
    double factor = options.price_scale;
    if (has(BarField::AdjClose)) {
        if (!(value[4] > 0) || !(value[6] >= 0)) {
            reason = "cannot adjust: close must be positive and 'adj_close' non-negative";
            return FieldStatus::Bad;
        }
        factor *= value[6] / value[4];
    }
    bar =
        Bar{*t, value[1] * factor, value[2] * factor, value[3] * factor, value[4] * factor, volume};
    return FieldStatus::Ok;
}

void CsvReader::Impl::parse_block(std::string_view text, bool final, BlockResult& out) const {
    out.bars.clear();
    out.lines.clear();
    out.problems.clear();
    out.error.reset();
    out.line_count = 0;
    out.empty_rows = 0;
    out.rejected = 0;
    TimestampParser times;
    Bar bar;
    std::string reason;
    const char* p = text.data();
    const char* text_end = p + text.size();
    const auto note = [&](std::uint64_t line, std::string why) {
        if (out.problems.size() < options.max_examples) {
            out.problems.push_back({line, std::move(why)});
        }
    };
    while (p < text_end) {
        const auto* nl =
            static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(text_end - p)));
        const char* line_end = nl != nullptr ? nl : text_end;
        const std::uint64_t line_no = ++out.line_count;
        std::string_view line(p, static_cast<std::size_t>(line_end - p));
        p = nl != nullptr ? nl + 1 : text_end;
        if (line.size() > kMaxLineBytes) {
            out.error = RowProblem{line_no, "line is longer than 1 MiB (is this a CSV file?)"};
            return;
        }
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (trim(line).empty()) {
            continue;
        }
        switch (parse_row(line, bar, reason, times)) {
            case FieldStatus::Ok:
                out.bars.push_back(bar);
                out.lines.push_back(line_no);
                continue;
            case FieldStatus::Null:
                ++out.empty_rows;
                note(line_no, "no prices (all empty, NaN or null): skipped");
                continue;
            case FieldStatus::Bad:
                break;
        }
        if (final && nl == nullptr && reason.starts_with("expected")) {
            reason += " (the last line has no newline: the file looks truncated)";
        }
        if (options.on_error == OnError::Fail) {
            out.error = RowProblem{line_no, reason};
            return;
        }
        ++out.rejected;
        note(line_no, reason);
    }
}

Result<std::size_t> CsvReader::Impl::read_blocks(const BlockSink& sink) {
    std::size_t rows = 0;
    const std::size_t max_blocks = kBlocksPerThread * static_cast<std::size_t>(thread_count());
    std::vector<std::string_view> segments;
    // Blank or empty-row-only blocks give no bars: go on until bars come or the input ends.
    while (rows == 0 && !(eof && begin == end)) {
        fill();
        // Cut the text into blocks of whole lines, each about block_bytes long.
        segments.clear();
        std::size_t pos = begin;
        while (segments.size() < max_blocks && pos < end) {
            const char* base = input;
            std::size_t cut = end;
            const std::size_t target = pos + options.block_bytes;
            const void* nl = nullptr;
            if (target < end) {
                nl = std::memchr(base + target, '\n', end - target);
            }
            if (nl == nullptr && !eof) {
                nl = memrchr(base + pos, '\n', end - pos);
                if (nl == nullptr) {
                    if (!segments.empty()) {
                        break;  // parse what we have; the rest comes with more input
                    }
                    return fail(
                        ErrorCode::ParseError,
                        fmt::format("{}:{}: line is longer than 1 MiB (is this a CSV file?)", name,
                                    stats.lines + 1));
                }
            }
            if (nl != nullptr) {
                cut = static_cast<std::size_t>(static_cast<const char*>(nl) - base) + 1;
            }
            segments.emplace_back(base + pos, cut - pos);
            pos = cut;
        }
        const bool final_round = eof && pos == end;
        blocks.resize(std::max(blocks.size(), segments.size()));
        const std::size_t count = segments.size();
        const auto done = std::make_unique<std::atomic<bool>[]>(count);
        std::size_t next = 0;  // the next block to hand to the sink, in file order
        std::optional<Error> error;
        std::exception_ptr thrown;
        // Hands finished blocks to the sink in file order; line numbers become absolute. Whichever
        // thread finishes a block runs it, one at a time (flushing), so the sink never runs
        // concurrently with itself but does overlap with the parsing of later blocks.
        std::mutex flushing;
        const auto flush = [&] {
            while (next < count && !error && !thrown &&
                   done[next].load(std::memory_order_acquire)) {
                BlockResult& block = blocks[next];
                const std::uint64_t first_line = stats.lines;
                if (block.error) {
                    error =
                        fail(ErrorCode::ParseError,
                             fmt::format("{}:{}: {} (use --on-error skip to skip bad rows)", name,
                                         first_line + block.error->line, block.error->reason));
                    return;
                }
                for (std::uint64_t& l : block.lines) {
                    l += first_line;
                }
                try {
                    if (!block.bars.empty()) {
                        sink(block.bars, block.lines);
                    }
                } catch (...) {
                    thrown = std::current_exception();  // exceptions must not leave the region
                    return;
                }
                rows += block.bars.size();
                for (const RowProblem& problem : block.problems) {
                    if (stats.examples.size() < options.max_examples) {
                        stats.examples.push_back({first_line + problem.line, problem.reason});
                    }
                }
                stats.rows += block.bars.size();
                stats.empty_rows += block.empty_rows;
                stats.rejected += block.rejected;
                stats.lines += block.line_count;
                stats.bytes += segments[next].size();
                ++next;
            }
        };
#pragma omp parallel for schedule(dynamic, 1) num_threads(thread_count()) if (count > 1)
        for (std::size_t k = 0; k < count; ++k) {
            parse_block(segments[k], final_round && k + 1 == count, blocks[k]);
            done[k].store(true, std::memory_order_release);
            if (flushing.try_lock()) {
                flush();
                flushing.unlock();
            }
        }
        flush();  // blocks finished while another thread held `flushing`
        if (thrown) {
            std::rethrow_exception(thrown);
        }
        if (error) {
            return *error;
        }
        begin = pos;
    }
    return rows;
}

// ---- CsvReader

CsvReader::CsvReader(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
CsvReader::CsvReader(CsvReader&&) noexcept = default;
CsvReader& CsvReader::operator=(CsvReader&&) noexcept = default;
CsvReader::~CsvReader() = default;

Result<CsvReader> CsvReader::start(std::unique_ptr<Impl> impl) {
    if (impl->options.block_bytes == 0) {
        return fail(ErrorCode::InvalidArgument, "block_bytes must be positive");
    }
    if (!(impl->options.price_scale > 0) || !std::isfinite(impl->options.price_scale)) {
        return fail(ErrorCode::InvalidArgument, "the price scale must be a positive number");
    }
    try {
        if (auto r = impl->inspect(); !r) {
            return r.error();
        }
    } catch (const Exception& e) {
        return fail(e.code(), e.what());
    }
    return CsvReader(std::move(impl));
}

Result<CsvReader> CsvReader::open(const std::filesystem::path& path, CsvOptions options) {
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    if (path == "-") {
        impl->name = "<stdin>";
        impl->source = std::make_unique<FdSource>(STDIN_FILENO, false, impl->name);
        return start(std::move(impl));
    }
    impl->name = path.string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        return fail(err == ENOENT ? ErrorCode::NotFound : ErrorCode::IoError,
                    fmt::format("cannot open {}: {}", impl->name, std::strerror(err)));
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{} is a directory, not a CSV file", impl->name));
    }
    impl->input_size = static_cast<std::uint64_t>(st.st_size);
    if (S_ISREG(st.st_mode) && st.st_size > 2) {
        unsigned char magic[2] = {0, 0};
        const bool gzip_file =
            ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        if (!gzip_file) {
            ::close(fd);
            auto map = MappedFile::open(path, static_cast<std::size_t>(st.st_size));
            if (!map) {
                return std::move(map).error();
            }
            map->advise_sequential();
            impl->mapped = std::move(*map);
            impl->input = reinterpret_cast<const char*>(impl->mapped->bytes().data());
            impl->end = impl->mapped->bytes().size();
            impl->eof = true;
            return start(std::move(impl));
        }
    }
    unsigned char magic[2] = {0, 0};
    const bool gzip = ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (gzip) {
        gzFile gz = gzdopen(fd, "rb");
        if (gz == nullptr) {
            ::close(fd);
            return fail(ErrorCode::IoError, fmt::format("cannot open {} as gzip", impl->name));
        }
        impl->input_size = 0;  // the uncompressed size is unknown
        impl->source = std::make_unique<GzipSource>(gz, impl->name);
        impl->stats.notes.push_back("gzip-compressed input");
    } else {
        impl->source = std::make_unique<FdSource>(fd, true, impl->name);
    }
    return start(std::move(impl));
}

Result<CsvReader> CsvReader::from_string(std::string text, CsvOptions options, std::string name) {
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    impl->name = std::move(name);
    impl->input_size = text.size();
    impl->memory = std::move(text);
    impl->input = impl->memory.data();
    impl->end = impl->memory.size();
    impl->eof = true;
    return start(std::move(impl));
}

Result<std::size_t> CsvReader::read_blocks(const BlockSink& sink) {
    try {
        return impl_->read_blocks(sink);
    } catch (const Exception& e) {
        return fail(e.code(), e.what());
    }
}

Result<std::size_t> CsvReader::read_batch(BarSeries& out, std::vector<std::uint64_t>* lines) {
    out.clear();
    if (lines != nullptr) {
        lines->clear();
    }
    return read_blocks([&](const BarSeriesView& rows, std::span<const std::uint64_t> row_lines) {
        out.append(rows);
        if (lines != nullptr) {
            lines->insert(lines->end(), row_lines.begin(), row_lines.end());
        }
    });
}

const CsvLayout& CsvReader::layout() const noexcept {
    return impl_->layout;
}
const CsvStats& CsvReader::stats() const noexcept {
    return impl_->stats;
}
const std::string& CsvReader::name() const noexcept {
    return impl_->name;
}
std::uint64_t CsvReader::input_size() const noexcept {
    return impl_->input_size;
}

}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include <tradpal/data/export.hpp>

#include "atomic_output.hpp"

namespace tradpal::data {
namespace {

constexpr std::size_t kFlushBytes = std::size_t{1} << 20;

// Appends to a buffer and writes it to a descriptor in large blocks.
class BufferedOutput {
public:
    BufferedOutput(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
        buffer_.resize(kFlushBytes + 4096);
    }
    char* reserve(std::size_t n) {
        if (size_ + n > buffer_.size()) {
            flush();
        }
        return buffer_.data() + size_;
    }
    void commit(char* end) { size_ = static_cast<std::size_t>(end - buffer_.data()); }
    void maybe_flush() {
        if (size_ >= kFlushBytes) {
            flush();
        }
    }
    void flush() {
        std::size_t done = 0;
        while (done < size_) {
            const ssize_t n = ::write(fd_, buffer_.data() + done, size_ - done);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw Exception(ErrorCode::IoError,
                                fmt::format("cannot write {}: {}", name_, std::strerror(errno)));
            }
            done += static_cast<std::size_t>(n);
        }
        size_ = 0;
    }

private:
    int fd_;
    std::string name_;
    std::vector<char> buffer_;
    std::size_t size_ = 0;
};

char* write_2(char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
    return p + 2;
}

// ISO-8601 time; the date part is cached since consecutive bars share their day.
class IsoWriter {
public:
    char* write(char* p, std::int64_t ns) {
        const std::int64_t day = floor_div(ns, kNanosPerDay);
        if (day != day_) {
            day_ = day;
            const std::string d = format_date(Timestamp(day * kNanosPerDay));
            date_len_ = d.size();
            std::memcpy(date_, d.data(), date_len_);
        }
        std::memcpy(p, date_, date_len_);
        p += date_len_;
        std::int64_t rest = ns - day * kNanosPerDay;
        *p++ = 'T';
        p = write_2(p, static_cast<unsigned>(rest / kNanosPerHour));
        rest %= kNanosPerHour;
        *p++ = ':';
        p = write_2(p, static_cast<unsigned>(rest / kNanosPerMinute));
        rest %= kNanosPerMinute;
        *p++ = ':';
        p = write_2(p, static_cast<unsigned>(rest / kNanosPerSecond));
        rest %= kNanosPerSecond;
        if (rest != 0) {
            // Rare: fall back to the general formatter for the fraction.
            const std::string full = format_iso(Timestamp(ns));
            const std::size_t dot = full.find('.');
            const std::string frac = full.substr(dot, full.size() - dot - 1);
            std::memcpy(p, frac.data(), frac.size());
            p += frac.size();
        }
        *p++ = 'Z';
        return p;
    }

private:
    std::int64_t day_ = INT64_MIN;
    char date_[16] = {};
    std::size_t date_len_ = 0;
};

char* write_time(char* p, std::int64_t ns, TimeFormat format, IsoWriter& iso) {
    switch (format) {
        case TimeFormat::Iso:
            return iso.write(p, ns);
        case TimeFormat::UnixNs:
            return std::to_chars(p, p + 24, ns).ptr;
        case TimeFormat::UnixMs:
            if (ns % kNanosPerMilli == 0) {
                return std::to_chars(p, p + 24, ns / kNanosPerMilli).ptr;
            }
            return std::to_chars(p, p + 32, static_cast<double>(ns) / 1e6).ptr;
        case TimeFormat::Unix:
            if (ns % kNanosPerSecond == 0) {
                return std::to_chars(p, p + 24, ns / kNanosPerSecond).ptr;
            }
            return std::to_chars(p, p + 32, static_cast<double>(ns) / 1e9).ptr;
    }
    return p;
}

}  // namespace

Result<TimeFormat> parse_time_format(std::string_view text) {
    if (text == "iso") {
        return TimeFormat::Iso;
    }
    if (text == "unix") {
        return TimeFormat::Unix;
    }
    if (text == "unix_ms") {
        return TimeFormat::UnixMs;
    }
    if (text == "unix_ns") {
        return TimeFormat::UnixNs;
    }
    return fail(
        ErrorCode::InvalidArgument,
        fmt::format("unknown time format '{}' (expected iso, unix, unix_ms or unix_ns)", text));
}

std::uint64_t export_csv(const StoredSeries& series, const BarSeriesView& rows,
                         const std::filesystem::path& out, const ExportOptions& options) {
    std::optional<detail::AtomicOutput> target;
    std::optional<File> file;
    if (out != "-") {
        target.emplace(out);
        file = File::open(target->temp_path(), File::Mode::ReadWriteCreate).value();
        file->truncate(0);
    }
    BufferedOutput output(file ? file->fd() : STDOUT_FILENO, file ? out.string() : "<stdout>");
    constexpr std::string_view kHeader = "timestamp,open,high,low,close,volume\n";
    char* p = output.reserve(kHeader.size());
    std::memcpy(p, kHeader.data(), kHeader.size());
    output.commit(p + kHeader.size());
    IsoWriter iso;
    series.for_each_chunk(rows, options.chunk_rows, [&](const BarSeriesView& chunk, std::uint64_t) {
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            char* q = output.reserve(256);
            q = write_time(q, chunk.ts()[i], options.time_format, iso);
            for (double v : {chunk.open()[i], chunk.high()[i], chunk.low()[i], chunk.close()[i],
                             chunk.volume()[i]}) {
                *q++ = ',';
                q = std::to_chars(q, q + 32, v).ptr;
            }
            *q++ = '\n';
            output.commit(q);
            output.maybe_flush();
        }
        if (options.progress) {
            options.progress(
                static_cast<std::uint64_t>(chunk.ts().data() + chunk.size() - rows.ts().data()),
                rows.size());
        }
    });
    output.flush();
    if (file) {
        file->sync();
        target->commit();
    }
    return rows.size();
}

}  // namespace tradpal::data

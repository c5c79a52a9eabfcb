// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include <tradpal/core/output.hpp>
#include <tradpal/data/export.hpp>

namespace tradpal::data {
namespace {

char* write_time(char* p, std::int64_t ns, TimeFormat format, IsoFormatter& iso) {
    switch (format) {
        case TimeFormat::Iso:
            return iso.write(p, Timestamp(ns));
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
    OutputFile output = OutputFile::open(out).value();
    output.write("timestamp,open,high,low,close,volume\n");
    IsoFormatter iso;
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
            output.advance(q);
        }
        if (options.progress) {
            options.progress(
                static_cast<std::uint64_t>(chunk.ts().data() + chunk.size() - rows.ts().data()),
                rows.size());
        }
    });
    output.commit();
    return rows.size();
}

}  // namespace tradpal::data

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <fmt/format.h>

#include <tradpal/data/csv.hpp>

namespace tradpal::data {

Result<BarSeries> read_bars_csv(const std::filesystem::path& path, CsvOptions options) {
    auto reader = CsvReader::open(path, std::move(options));
    if (!reader) {
        return reader.error();
    }
    BarSeries all;
    std::vector<std::uint64_t> lines;
    BarSeries batch;
    std::vector<std::uint64_t> batch_lines;
    for (;;) {
        auto rows = reader->read_batch(batch, &batch_lines);
        if (!rows) {
            return rows.error();
        }
        if (*rows == 0) {
            break;
        }
        all.append(batch);
        lines.insert(lines.end(), batch_lines.begin(), batch_lines.end());
    }
    const CsvStats& stats = reader->stats();
    if (stats.empty_rows > 0) {
        const std::uint64_t line = stats.examples.empty() ? 0 : stats.examples.front().line;
        return fail(
            ErrorCode::ValidationFailed,
            fmt::format(
                "{}: {} rows have no prices (the first at line {}); drop or fill them first "
                "(tradpal data import ... --fix)",
                reader->name(), stats.empty_rows, line));
    }
    const auto ts = all.view().ts();
    const bool newest_first =
        ts.size() > 1 && std::adjacent_find(ts.begin(), ts.end(), std::less_equal<>()) == ts.end();
    if (newest_first) {
        for (auto* column : {&all.open(), &all.high(), &all.low(), &all.close(), &all.volume()}) {
            std::reverse(column->begin(), column->end());
        }
        std::reverse(all.ts().begin(), all.ts().end());
        std::reverse(lines.begin(), lines.end());
    }
    const auto sorted = all.view().ts();
    for (std::size_t i = 1; i < sorted.size(); ++i) {
        if (sorted[i] <= sorted[i - 1]) {
            return fail(
                ErrorCode::ValidationFailed,
                fmt::format("{}:{}: time {} {} the row before it; sort the file or import it with "
                            "tradpal data import --fix",
                            reader->name(), lines[i], format_iso(Timestamp(sorted[i])),
                            sorted[i] == sorted[i - 1] ? "repeats" : "is earlier than"));
        }
    }
    return all;
}

}  // namespace tradpal::data

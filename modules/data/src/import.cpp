// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <tradpal/data/import.hpp>

namespace tradpal::data {
namespace {

constexpr std::size_t kMaxOrderExamples = 5;
constexpr std::size_t kValidationChunkRows = 262'144;

void add_example(std::vector<RowProblem>& examples, std::uint64_t line, std::string text) {
    if (examples.size() < kMaxOrderExamples) {
        examples.push_back({line, std::move(text)});
    }
}

// Follows the time order of rows as they are read, with line numbers for the examples.
class OrderTracker {
public:
    void consume(const BarSeriesView& rows, std::span<const std::uint64_t> lines) {
        const auto ts = rows.ts();
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (has_previous_) {
                if (ts[i] > previous_) {
                    ++ascending_;
                } else if (ts[i] < previous_) {
                    ++report_.out_of_order;
                    add_example(report_.out_of_order_examples, lines[i],
                                fmt::format("{} is earlier than {} on line {}",
                                            format_iso(Timestamp(ts[i])),
                                            format_iso(Timestamp(previous_)), previous_line_));
                } else {
                    ++report_.duplicates;
                    add_example(report_.duplicate_examples, lines[i],
                                fmt::format("{} repeats line {}", format_iso(Timestamp(ts[i])),
                                            previous_line_));
                }
            }
            has_previous_ = true;
            previous_ = ts[i];
            previous_line_ = lines[i];
        }
    }

    /// Newest first throughout (never rising): the file only needs reversing.
    bool descending() const noexcept { return ascending_ == 0 && report_.out_of_order > 0; }
    OrderReport& report() noexcept { return report_; }

private:
    bool has_previous_ = false;
    std::int64_t previous_ = 0;
    std::uint64_t previous_line_ = 0;
    std::uint64_t ascending_ = 0;
    OrderReport report_;
};

std::string order_problem_message(const std::string& name, const OrderReport& order,
                                  bool descending) {
    std::vector<std::string> parts;
    std::vector<RowProblem> examples;
    if (descending) {
        parts.emplace_back("it runs newest first (which alone is fine: such files are reversed)");
    } else if (order.out_of_order > 0) {
        parts.push_back(fmt::format("{} row{} earlier than the row before", order.out_of_order,
                                    order.out_of_order == 1 ? " is" : "s are"));
        examples = order.out_of_order_examples;
    }
    if (order.duplicates > 0) {
        parts.push_back(fmt::format("{} row{} repeat{} the time before", order.duplicates,
                                    order.duplicates == 1 ? "" : "s",
                                    order.duplicates == 1 ? "s" : ""));
        examples.insert(examples.end(), order.duplicate_examples.begin(),
                        order.duplicate_examples.end());
    }
    std::string text = fmt::format("{} is not in time order: {}", name,
                                   fmt::join(parts, descending ? ", but " : ", "));
    for (std::size_t i = 0; i < examples.size() && i < kMaxOrderExamples; ++i) {
        text += fmt::format("\n  {}:{}: {}", name, examples[i].line, examples[i].reason);
    }
    text +=
        "\nNothing was imported. Run again with --fix to sort the rows and keep the last copy of "
        "each time.";
    return text;
}

}  // namespace

ImportReport import_csv(const Store& store, const SeriesKey& key, const std::filesystem::path& path,
                        const ImportOptions& options) {
    CsvReader reader = CsvReader::open(path, options.csv).value();
    SeriesWriter writer =
        SeriesWriter::open(store, key,
                           options.mode == ImportMode::Replace ? SeriesWriter::Mode::Replace
                                                               : SeriesWriter::Mode::Append)
            .value();
    ImportReport report;
    const bool has_base = writer.base_rows() > 0;
    const std::int64_t base_last = has_base ? writer.previous()->last.ns() : 0;

    // Rows are checked as they stream in; only a reordered file is validated again afterwards.
    Validator validator(key.timeframe);
    if (has_base) {
        validator.set_previous(Timestamp(base_last));
    }
    BarSeries kept;
    std::vector<std::uint64_t> kept_lines;
    OrderTracker order;
    const auto consume = [&](const BarSeriesView& block, std::span<const std::uint64_t> lines) {
        BarSeriesView rows = block;
        if (has_base) {
            // Rows the series already holds are skipped: importing an updated file adds only
            // what is new.
            kept.clear();
            kept_lines.clear();
            for (std::size_t i = 0; i < block.size(); ++i) {
                if (block.ts()[i] > base_last) {
                    kept.push_back(block.bar(i));
                    kept_lines.push_back(lines[i]);
                }
            }
            report.already_stored += block.size() - kept.size();
            rows = kept.view();
            lines = kept_lines;
        }
        order.consume(rows, lines);
        validator.consume(rows, writer.base_rows() + writer.staged_rows());
        writer.stage(rows);
    };
    while (reader.read_blocks(consume).value() > 0) {
        if (options.progress) {
            options.progress(reader.stats().bytes, reader.input_size());
        }
    }
    report.layout = reader.layout();
    report.csv = reader.stats();
    if (report.csv.rows == 0) {
        throw Exception(
            ErrorCode::ParseError,
            fmt::format(
                "{} has no data rows ({} lines read{}{})", reader.name(), report.csv.lines,
                report.csv.empty_rows > 0
                    ? fmt::format(", {} without prices", report.csv.empty_rows)
                    : "",
                report.csv.rejected > 0 ? fmt::format(", {} rejected", report.csv.rejected) : ""));
    }

    report.order = order.report();
    // A newest-first file (CryptoDataDownload) is put in time order before anything else, so that
    // "keep the last copy" below means the copy nearest the top of such a file.
    if (order.descending()) {
        writer.reverse_staged();
        report.order.reversed = true;
    }
    const bool needs_sorting =
        (report.order.out_of_order > 0 && !report.order.reversed) || report.order.duplicates > 0;
    if (needs_sorting && !options.fix) {
        throw Exception(ErrorCode::ValidationFailed,
                        order_problem_message(reader.name(), report.order, order.descending()));
    }
    if (options.fix) {
        const StoredSeries staged = writer.staged();
        report.fix = plan_fix(staged.view());
        if (report.fix.changes(staged.meta().rows)) {
            writer.keep_staged(report.fix.keep);
        }
        report.fix.keep.clear();
        report.fix.keep.shrink_to_fit();
    }

    if (report.order.reversed || options.fix) {
        Validator again(key.timeframe);
        if (has_base) {
            again.set_previous(Timestamp(base_last));
        }
        const StoredSeries staged = writer.staged();
        staged.for_each_chunk(kValidationChunkRows,
                              [&](const BarSeriesView& chunk, std::uint64_t first) {
                                  again.consume(chunk, writer.base_rows() + first);
                              });
        report.validation = again.report();
    } else {
        report.validation = validator.report();
    }
    report.rows_written = writer.staged_rows();
    writer.set_origin(!options.origin.empty()
                          ? options.origin
                          : fmt::format("import {} ({})", path.filename().string(),
                                        to_string(report.layout.format)));
    report.meta = writer.commit();
    return report;
}

}  // namespace tradpal::data

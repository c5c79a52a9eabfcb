// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <tradpal/core/progress.hpp>
#include <tradpal/data/csv.hpp>
#include <tradpal/data/store.hpp>
#include <tradpal/data/validate.hpp>

namespace tradpal::data {

/// How an import treats a series that already exists.
enum class ImportMode {
    Append,   ///< add rows after the last stored bar; rows at or before it are skipped
    Replace,  ///< the file becomes the whole series
};

struct ImportOptions {
    CsvOptions csv;
    ImportMode mode = ImportMode::Append;
    bool fix = false;     ///< sort, drop duplicates (keep the last) and drop invalid rows
    ProgressFn progress;  ///< bytes read of the input size
    /// How the data got here, for meta.json; empty: "import <file name> (<format>)".
    std::string origin;
};

/// Time order of the file as read.
struct OrderReport {
    std::uint64_t out_of_order = 0;  ///< rows earlier than the row before them
    std::uint64_t duplicates = 0;    ///< rows with the time of the row before them
    bool reversed = false;           ///< the file was newest-first and was put in time order
    std::vector<RowProblem> out_of_order_examples;  ///< the first rows earlier than the one before
    std::vector<RowProblem> duplicate_examples;     ///< the first rows repeating the time before
};

/// Everything an import did.
struct ImportReport {
    CsvLayout layout;
    CsvStats csv;
    std::uint64_t already_stored = 0;  ///< rows skipped because the series already had them
    OrderReport order;
    FixPlan fix;                  ///< what --fix changed (empty plan without --fix)
    ValidationReport validation;  ///< of the rows written (gaps, suspicious bars)
    std::uint64_t rows_written = 0;
    SeriesMeta meta;  ///< the series after the import
};

/// Imports a CSV file into `key`: streams it into the store (bounded memory), checks time order
/// (a newest-first file is reversed), refuses unsorted or duplicated times unless options.fix,
/// validates, and commits all rows or none.
/// Throws: tradpal::Exception (ParseError with file:line, ValidationFailed, Locked, IoError...);
/// on any failure the series is left exactly as it was.
ImportReport import_csv(const Store& store, const SeriesKey& key, const std::filesystem::path& path,
                        const ImportOptions& options);

}  // namespace tradpal::data

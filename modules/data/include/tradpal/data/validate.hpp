// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/core/bar_series.hpp>
#include <tradpal/core/timeframe.hpp>
#include <tradpal/data/store.hpp>

namespace tradpal::data {

/// Kinds of data problems found by validation.
enum class Issue {
    Unsorted,          ///< time earlier than the previous row's
    Duplicate,         ///< same time as the previous row
    Gap,               ///< one or more bars missing against the timeframe (a warning)
    OhlcInconsistent,  ///< low > min(open, close) or high < max(open, close)
    NonFinite,         ///< NaN or infinity in a price or the volume
    NonPositivePrice,  ///< a price <= 0
    NegativeVolume,    ///< volume < 0
};
inline constexpr std::size_t kIssueCount = 7;
/// Stable name, e.g. "ohlc_inconsistent".
std::string_view to_string(Issue issue) noexcept;
/// True for every issue but gaps, which real markets have (weekends, halts, outages).
constexpr bool is_error(Issue issue) noexcept {
    return issue != Issue::Gap;
}

/// Bit flags (1 << Issue) of the row-level problems of one bar; 0 for a valid bar.
unsigned row_issues(const Bar& bar) noexcept;

/// One example of an issue: the row index (or line number) and its time.
struct IssueExample {
    std::uint64_t row = 0;
    Timestamp ts;
    std::string detail;
};

/// Counts and first examples of each issue over a series.
struct ValidationReport {
    std::uint64_t rows = 0;
    std::array<std::uint64_t, kIssueCount> counts{};
    std::array<std::vector<IssueExample>, kIssueCount> examples;
    std::uint64_t invalid_rows = 0;   ///< rows with a row-level problem (what --fix drops)
    std::uint64_t missing_bars = 0;   ///< bars missing in the gaps
    std::int64_t largest_gap_ns = 0;  ///< longest time between consecutive rows
    Timestamp largest_gap_start;      ///< time of the row before the largest gap

    std::uint64_t count(Issue issue) const noexcept {
        return counts[static_cast<std::size_t>(issue)];
    }
    /// True when any issue but gaps was found.
    bool has_errors() const noexcept;
};

/// Streaming validator: feed consecutive chunks of a series in order; memory stays constant.
class Validator {
public:
    explicit Validator(Timeframe timeframe, std::size_t max_examples = 5);

    /// Treats `ts` as the row before the first one consumed (e.g. the last stored bar when
    /// validating appended rows), so the seam is checked too.
    void set_previous(Timestamp ts) noexcept;
    /// Checks rows; `first_row` is the index of rows[0] in the whole series.
    void consume(const BarSeriesView& rows, std::uint64_t first_row);
    const ValidationReport& report() const noexcept { return report_; }

private:
    // Checks row i of `rows` (index `row` in the series) in full and records what it finds.
    void check_row(const BarSeriesView& rows, std::size_t i, std::uint64_t row);
    void note(Issue issue, std::uint64_t row, Timestamp ts, std::string detail);

    Timeframe timeframe_;
    std::size_t max_examples_;
    bool has_previous_ = false;
    std::int64_t previous_ = 0;
    ValidationReport report_;
};

/// What --fix will do to a series: the rows to keep, in time order.
struct FixPlan {
    std::vector<std::uint64_t> keep;  ///< row indices in their new order
    std::uint64_t out_of_order = 0;   ///< rows that were earlier than their predecessor
    std::uint64_t duplicates = 0;     ///< rows dropped as duplicates (the last copy is kept)
    std::uint64_t invalid = 0;        ///< rows dropped for row-level problems
    std::array<std::uint64_t, kIssueCount> invalid_by_issue{};  ///< a row may count twice

    /// True when the series would change.
    bool changes(std::uint64_t rows) const noexcept {
        return out_of_order > 0 || keep.size() != rows;
    }
    /// "sorted 3 rows that were out of order, removed 2 duplicates (kept the last), dropped 1
    /// invalid row (1 non_positive_price)" or "nothing to fix".
    std::string describe() const;
};

/// Plans the fix: drop rows with row-level problems, sort by time (stable), and of rows with
/// the same time keep the last. Memory: 8 bytes per row.
FixPlan plan_fix(const BarSeriesView& rows);

/// Validates a stored series chunk by chunk (bounded memory).
ValidationReport validate_series(const StoredSeries& series, std::size_t chunk_rows);

/// What fix_series() did.
struct FixResult {
    FixPlan plan;  ///< counts (plan.keep is emptied)
    bool changed = false;
    SeriesMeta meta;
};

/// Rewrites a stored series without the rows plan_fix() drops, atomically (a new generation).
/// Throws: tradpal::Exception (NotFound, Locked, IoError).
FixResult fix_series(const Store& store, const SeriesKey& key);

}  // namespace tradpal::data

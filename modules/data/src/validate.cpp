// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <tradpal/data/validate.hpp>

namespace tradpal::data {

std::string_view to_string(Issue issue) noexcept {
    constexpr std::array<std::string_view, kIssueCount> kNames = {
        "unsorted",           "duplicate",      "gap", "ohlc_inconsistent", "non_finite",
        "non_positive_price", "negative_volume"};
    return kNames[static_cast<std::size_t>(issue)];
}

unsigned row_issues(const Bar& b) noexcept {
    const auto bit = [](Issue i) {
        return 1U << static_cast<unsigned>(i);
    };
    unsigned flags = 0;
    if (!std::isfinite(b.open) || !std::isfinite(b.high) || !std::isfinite(b.low) ||
        !std::isfinite(b.close) || !std::isfinite(b.volume)) {
        return bit(Issue::NonFinite);  // comparisons below mean nothing with NaN
    }
    if (b.open <= 0 || b.high <= 0 || b.low <= 0 || b.close <= 0) {
        flags |= bit(Issue::NonPositivePrice);
    }
    if (b.low > std::min(b.open, b.close) || b.high < std::max(b.open, b.close)) {
        flags |= bit(Issue::OhlcInconsistent);
    }
    if (b.volume < 0) {
        flags |= bit(Issue::NegativeVolume);
    }
    return flags;
}

bool ValidationReport::has_errors() const noexcept {
    for (std::size_t i = 0; i < kIssueCount; ++i) {
        if (is_error(static_cast<Issue>(i)) && counts[i] > 0) {
            return true;
        }
    }
    return false;
}

Validator::Validator(Timeframe timeframe, std::size_t max_examples)
    : timeframe_(timeframe), max_examples_(max_examples) {}

void Validator::set_previous(Timestamp ts) noexcept {
    has_previous_ = true;
    previous_ = ts.ns();
}

void Validator::note(Issue issue, std::uint64_t row, Timestamp ts, std::string detail) {
    const auto i = static_cast<std::size_t>(issue);
    ++report_.counts[i];
    if (report_.examples[i].size() < max_examples_) {
        report_.examples[i].push_back({row, ts, std::move(detail)});
    }
}

void Validator::consume(const BarSeriesView& rows, std::uint64_t first_row) {
    const auto ts = rows.ts();
    // Calendar timeframes have no fixed step: every row takes the careful path.
    const std::int64_t step = timeframe_.is_calendar() ? -1 : timeframe_.nominal_ns();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        // Fast path: one step after the previous bar, and a bar without problems (NaN fails
        // every comparison; an infinite price makes the high infinite).
        const double o = rows.open()[i];
        const double h = rows.high()[i];
        const double l = rows.low()[i];
        const double c = rows.close()[i];
        const double v = rows.volume()[i];
        const bool good_bar = o > 0 && c > 0 && l > 0 && v >= 0 && l <= std::min(o, c) &&
                              h >= std::max(o, c) && std::isfinite(h) && std::isfinite(v);
        if (good_bar && has_previous_ && ts[i] - previous_ == step) {
            previous_ = ts[i];
            continue;
        }
        check_row(rows, i, first_row + i);
    }
    report_.rows += rows.size();
}

void Validator::check_row(const BarSeriesView& rows, std::size_t i, std::uint64_t row) {
    const auto ts = rows.ts();
    const Timestamp t(ts[i]);
    if (has_previous_) {
        const std::int64_t delta = ts[i] - previous_;
        if (delta < 0) {
            note(Issue::Unsorted, row, t,
                 fmt::format("earlier than the previous row ({})",
                             format_iso(Timestamp(previous_))));
        } else if (delta == 0) {
            note(Issue::Duplicate, row, t, "same time as the previous row");
        } else {
            std::uint64_t missing = 0;
            if (timeframe_.is_calendar()) {
                Timestamp expected =
                    timeframe_.next_bucket(timeframe_.bucket_start(Timestamp(previous_)));
                const Timestamp bucket = timeframe_.bucket_start(t);
                while (expected < bucket) {
                    ++missing;
                    expected = timeframe_.next_bucket(expected);
                }
            } else if (delta > timeframe_.nominal_ns()) {
                missing = static_cast<std::uint64_t>((delta - 1) / timeframe_.nominal_ns());
            }
            if (missing > 0) {
                report_.missing_bars += missing;
                note(Issue::Gap, row, t,
                     fmt::format("{} bar{} missing after {}", missing, missing == 1 ? "" : "s",
                                 format_iso(Timestamp(previous_))));
                if (delta > report_.largest_gap_ns) {
                    report_.largest_gap_ns = delta;
                    report_.largest_gap_start = Timestamp(previous_);
                }
            }
        }
    }
    has_previous_ = true;
    previous_ = ts[i];
    const Bar b = rows.bar(i);
    const unsigned flags = row_issues(b);
    if (flags == 0) {
        return;
    }
    ++report_.invalid_rows;
    const std::string values =
        fmt::format("o={} h={} l={} c={} v={}", b.open, b.high, b.low, b.close, b.volume);
    for (Issue issue : {Issue::OhlcInconsistent, Issue::NonFinite, Issue::NonPositivePrice,
                        Issue::NegativeVolume}) {
        if ((flags & (1U << static_cast<unsigned>(issue))) != 0) {
            note(issue, row, t, values);
        }
    }
}

FixPlan plan_fix(const BarSeriesView& rows) {
    FixPlan plan;
    const auto ts = rows.ts();
    plan.keep.reserve(rows.size());
    for (std::uint64_t i = 0; i < rows.size(); ++i) {
        if (i > 0 && ts[i] < ts[i - 1]) {
            ++plan.out_of_order;
        }
        const unsigned flags = row_issues(rows.bar(i));
        if (flags == 0) {
            plan.keep.push_back(i);
            continue;
        }
        ++plan.invalid;
        for (std::size_t k = 0; k < kIssueCount; ++k) {
            plan.invalid_by_issue[k] += (flags >> k) & 1U;
        }
    }
    if (plan.out_of_order > 0) {
        std::stable_sort(plan.keep.begin(), plan.keep.end(),
                         [&](std::uint64_t a, std::uint64_t b) { return ts[a] < ts[b]; });
    }
    // Of equal times keep the last: stable order means the last one is the latest in the input.
    std::size_t out = 0;
    for (std::size_t i = 0; i < plan.keep.size(); ++i) {
        if (i + 1 < plan.keep.size() && ts[plan.keep[i + 1]] == ts[plan.keep[i]]) {
            ++plan.duplicates;
            continue;
        }
        plan.keep[out++] = plan.keep[i];
    }
    plan.keep.resize(out);
    return plan;
}

std::string FixPlan::describe() const {
    std::vector<std::string> parts;
    if (out_of_order > 0) {
        parts.push_back(fmt::format("sorted by time ({} row{} out of order)", out_of_order,
                                    out_of_order == 1 ? " was" : "s were"));
    }
    if (duplicates > 0) {
        parts.push_back(fmt::format("removed {} duplicate{} (kept the last copy of each time)",
                                    duplicates, duplicates == 1 ? "" : "s"));
    }
    if (invalid > 0) {
        std::vector<std::string> kinds;
        for (std::size_t k = 0; k < kIssueCount; ++k) {
            if (invalid_by_issue[k] > 0) {
                kinds.push_back(
                    fmt::format("{} {}", invalid_by_issue[k], to_string(static_cast<Issue>(k))));
            }
        }
        parts.push_back(fmt::format("dropped {} invalid row{} ({})", invalid,
                                    invalid == 1 ? "" : "s", fmt::join(kinds, ", ")));
    }
    return parts.empty() ? "nothing to fix" : fmt::format("{}", fmt::join(parts, "; "));
}

ValidationReport validate_series(const StoredSeries& series, std::size_t chunk_rows) {
    Validator validator(series.meta().key.timeframe);
    series.for_each_chunk(chunk_rows, [&](const BarSeriesView& chunk, std::uint64_t first) {
        validator.consume(chunk, first);
    });
    return validator.report();
}

FixResult fix_series(const Store& store, const SeriesKey& key) {
    SeriesWriter writer = SeriesWriter::open(store, key, SeriesWriter::Mode::Rewrite).value();
    FixResult result;
    {
        const StoredSeries rows = writer.staged();
        result.plan = plan_fix(rows.view());
        result.changed = result.plan.changes(rows.meta().rows);
    }
    if (!result.changed) {
        result.meta = *writer.previous();
        return result;  // the writer rolls back nothing: no rows were touched
    }
    writer.keep_staged(result.plan.keep);
    result.plan.keep.clear();
    writer.set_origin(
        fmt::format("{}; fixed: {}", writer.previous()->origin, result.plan.describe()));
    result.meta = writer.commit();
    return result;
}

}  // namespace tradpal::data

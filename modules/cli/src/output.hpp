// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <tradpal/data/csv.hpp>
#include <tradpal/data/store.hpp>
#include <tradpal/data/validate.hpp>

namespace tradpal::cli {

/// A text table with aligned columns; numeric-looking cells are right-aligned.
class Table {
public:
    explicit Table(std::vector<std::string> headers);
    void add_row(std::vector<std::string> cells);
    void print(std::ostream& out) const;

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

/// Progress on stderr when output is for people: on a terminal a one-line bar redrawn at most
/// ten times a second; otherwise (a log file, CI) a plain line every ten seconds, so short
/// commands print nothing.
class ProgressBar {
public:
    ProgressBar(std::string label, std::string unit, bool enabled);
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;
    ~ProgressBar();

    /// done of total units (total 0 when unknown); `detail` follows on the line (e.g. the
    /// symbols in flight).
    void update(std::uint64_t done, std::uint64_t total, std::string_view detail = {});

private:
    void draw(std::uint64_t done, std::uint64_t total, std::string_view detail);

    std::string label_;
    std::string unit_;
    bool enabled_;
    bool terminal_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

/// A --start-date / --end-date bound: the start of `text`'s time, or for an end the first
/// instant after it (a date ends at the next midnight); open-ended when empty.
/// Throws: tradpal::Exception (InvalidArgument) for a bad date.
Timestamp date_bound(const std::string& text, bool end);

/// `text` as one CSV field (RFC 4180): in double quotes, quotes doubled, when it holds a
/// comma, a quote or a line break (an indicator's name: "macd(12,26,9).signal").
std::string csv_field(std::string_view text);
/// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t n);
/// Seconds as "0.42 s", "3.1 s", "2 min 05 s".
std::string format_seconds(double seconds);
/// A duration in ns as "1 h", "3 d 4 h", "45 min".
std::string format_span(std::int64_t ns);

nlohmann::json to_json(const data::SeriesMeta& meta);
nlohmann::json to_json(const data::ValidationReport& report);
nlohmann::json to_json(const data::CsvStats& stats);
nlohmann::json to_json(const data::FixPlan& plan);

/// Prints a validation report for people: counts and the first examples of each issue.
void print_validation(std::ostream& out, const data::ValidationReport& report,
                      const Timeframe& timeframe);

}  // namespace tradpal::cli

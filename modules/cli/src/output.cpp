// SPDX-License-Identifier: Apache-2.0
#include "output.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

#include <fmt/format.h>
#include <unistd.h>

namespace tradpal::cli {
namespace {

bool looks_numeric(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == ',' || c == '.' || c == '-' || c == '%';
    });
}

// Display width: UTF-8 continuation bytes take no column.
std::size_t width(const std::string& s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out) const {
    std::vector<std::size_t> widths(headers_.size());
    std::vector<bool> right(headers_.size(), true);
    for (std::size_t c = 0; c < headers_.size(); ++c) {
        widths[c] = width(headers_[c]);
        for (const auto& row : rows_) {
            widths[c] = std::max(widths[c], width(row[c]));
            right[c] = right[c] && (row[c].empty() || looks_numeric(row[c]));
        }
    }
    const auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::string pad(widths[c] - width(cells[c]), ' ');
            if (c > 0) {
                text += "  ";
            }
            if (right[c]) {
                text += pad;
                text += cells[c];
            } else {
                text += cells[c];
                if (c + 1 < cells.size()) {
                    text += pad;
                }
            }
        }
        out << text << '\n';
    };
    line(headers_);
    for (const auto& row : rows_) {
        line(row);
    }
}

ProgressBar::ProgressBar(std::string label, std::string unit, bool enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      enabled_(enabled),
      terminal_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
    if (drawn_) {
        std::fputs("\r\033[K", stderr);  // clear the line; the command prints its own summary
    }
}

void ProgressBar::update(std::uint64_t done, std::uint64_t total, std::string_view detail) {
    if (!enabled_) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    // A terminal gets a bar redrawn in place; a log gets a plain line every ten seconds.
    const auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::seconds(10);
    if (now - last_draw_ < interval && (done != total || !terminal_)) {
        return;
    }
    last_draw_ = now;
    draw(done, total, detail);
}

void ProgressBar::draw(std::uint64_t done, std::uint64_t total, std::string_view detail) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const bool bytes = unit_ == "B";
    const auto amount = [&](double v) {
        return bytes ? format_bytes(static_cast<std::uint64_t>(v))
                     : with_commas(static_cast<std::uint64_t>(v));
    };
    const std::string unit_suffix = bytes ? std::string() : fmt::format(" {}", unit_);
    std::string text;
    if (total > 0) {
        const double fraction =
            std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
        constexpr int kWidth = 24;
        const int filled = static_cast<int>(fraction * kWidth);
        const double eta = rate > 0 ? static_cast<double>(total - std::min(done, total)) / rate : 0;
        text = fmt::format(
            "{} [{}{}] {:3.0f}% {}/{}{} {}/s ETA {}", label_, std::string(filled, '#'),
            std::string(kWidth - filled, '.'), fraction * 100, amount(static_cast<double>(done)),
            amount(static_cast<double>(total)), unit_suffix, amount(rate), format_seconds(eta));
    } else {
        text = fmt::format("{} {}{} {}/s", label_, amount(static_cast<double>(done)), unit_suffix,
                           amount(rate));
    }
    if (!detail.empty()) {
        text += fmt::format("  {}", detail);
    }
    if (terminal_) {
        std::fprintf(stderr, "\r\033[K%s", text.c_str());
        drawn_ = true;
    } else {
        std::fprintf(stderr, "%s\n", text.c_str());
    }
    std::fflush(stderr);
}

Timestamp date_bound(const std::string& text, bool end) {
    if (text.empty()) {
        return end ? Timestamp::max() : Timestamp::min();
    }
    const Timestamp t = Timestamp::parse(text).value();
    return !end ? t : Timestamp(t.ns() + (text.size() == 10 ? kNanosPerDay : 1));
}

std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string(text);
    }
    std::string quoted = "\"";
    for (const char c : text) {
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    return quoted + '"';
}

std::string with_commas(std::uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out.push_back(',');
        }
        out.push_back(digits[i]);
    }
    return out;
}

std::string format_seconds(double seconds) {
    if (seconds < 10) {
        return fmt::format("{:.2f} s", seconds);
    }
    if (seconds < 120) {
        return fmt::format("{:.1f} s", seconds);
    }
    const auto s = static_cast<long long>(seconds);
    return fmt::format("{} min {:02} s", s / 60, s % 60);
}

std::string format_span(std::int64_t ns) {
    const std::int64_t minutes = ns / kNanosPerMinute;
    if (minutes < 60) {
        return ns % kNanosPerMinute == 0 ? fmt::format("{} min", minutes)
                                         : fmt::format("{:.1f} s", static_cast<double>(ns) / 1e9);
    }
    const std::int64_t hours = minutes / 60;
    if (hours < 24) {
        return minutes % 60 == 0 ? fmt::format("{} h", hours)
                                 : fmt::format("{} h {} min", hours, minutes % 60);
    }
    return hours % 24 == 0 ? fmt::format("{} d", hours / 24)
                           : fmt::format("{} d {} h", hours / 24, hours % 24);
}

nlohmann::json to_json(const data::SeriesMeta& meta) {
    return {{"source", meta.key.source},
            {"symbol", meta.key.symbol},
            {"timeframe", meta.key.timeframe.to_string()},
            {"rows", meta.rows},
            {"first", meta.rows > 0 ? format_iso(meta.first) : ""},
            {"last", meta.rows > 0 ? format_iso(meta.last) : ""},
            {"version", meta.version},
            {"generation", meta.generation},
            {"origin", meta.origin}};
}

nlohmann::json to_json(const data::ValidationReport& report) {
    nlohmann::json issues = nlohmann::json::object();
    for (std::size_t i = 0; i < data::kIssueCount; ++i) {
        nlohmann::json examples = nlohmann::json::array();
        for (const auto& e : report.examples[i]) {
            examples.push_back({{"row", e.row}, {"time", format_iso(e.ts)}, {"detail", e.detail}});
        }
        issues[std::string(data::to_string(static_cast<data::Issue>(i)))] = {
            {"count", report.counts[i]}, {"examples", examples}};
    }
    return {{"rows", report.rows},
            {"ok", !report.has_errors()},
            {"invalid_rows", report.invalid_rows},
            {"missing_bars", report.missing_bars},
            {"largest_gap_seconds", report.largest_gap_ns / kNanosPerSecond},
            {"largest_gap_after",
             report.largest_gap_ns > 0 ? format_iso(report.largest_gap_start) : ""},
            {"issues", issues}};
}

nlohmann::json to_json(const data::CsvStats& stats) {
    nlohmann::json examples = nlohmann::json::array();
    for (const auto& e : stats.examples) {
        examples.push_back({{"line", e.line}, {"reason", e.reason}});
    }
    return {{"lines", stats.lines},
            {"bytes", stats.bytes},
            {"rows", stats.rows},
            {"empty_rows", stats.empty_rows},
            {"rejected_rows", stats.rejected},
            {"examples", examples},
            {"notes", stats.notes}};
}

nlohmann::json to_json(const data::FixPlan& plan) {
    return {{"out_of_order", plan.out_of_order},
            {"duplicates_removed", plan.duplicates},
            {"invalid_removed", plan.invalid},
            {"summary", plan.describe()}};
}

void print_validation(std::ostream& out, const data::ValidationReport& report,
                      const Timeframe& timeframe) {
    bool any = false;
    for (std::size_t i = 0; i < data::kIssueCount; ++i) {
        const auto issue = static_cast<data::Issue>(i);
        if (report.counts[i] == 0) {
            continue;
        }
        any = true;
        out << fmt::format("  {:<18} {:>10}{}\n", data::to_string(issue),
                           with_commas(report.counts[i]),
                           data::is_error(issue) ? "" : "  (warning)");
        for (const auto& e : report.examples[i]) {
            out << fmt::format("      row {:>9}  {}  {}\n", with_commas(e.row), format_human(e.ts),
                               e.detail);
        }
        if (report.counts[i] > report.examples[i].size()) {
            out << fmt::format("      ... {} more\n",
                               with_commas(report.counts[i] - report.examples[i].size()));
        }
    }
    if (report.count(data::Issue::Gap) > 0) {
        out << fmt::format("  {} {} bar{} missing in gaps; the largest gap is {} after {}\n",
                           with_commas(report.missing_bars), timeframe.to_string(),
                           report.missing_bars == 1 ? "" : "s", format_span(report.largest_gap_ns),
                           format_human(report.largest_gap_start));
    }
    if (!any) {
        out << "  no problems found\n";
    }
}

}  // namespace tradpal::cli

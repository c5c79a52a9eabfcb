// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include <tradpal/core/timestamp.hpp>

namespace tradpal {
namespace {

constexpr bool is_digit(char c) noexcept {
    return static_cast<unsigned char>(c - '0') < 10;
}

// Reads exactly `n` digits at p (advancing p); false when fewer are there.
bool read_digits(const char*& p, const char* end, int n, unsigned& out) noexcept {
    if (end - p < n) {
        return false;
    }
    unsigned v = 0;
    for (int i = 0; i < n; ++i) {
        if (!is_digit(p[i])) {
            return false;
        }
        v = v * 10 + static_cast<unsigned>(p[i] - '0');
    }
    p += n;
    out = v;
    return true;
}

// Reads up to 9 digits of a fraction of a second as nanoseconds; further digits are truncated.
std::int64_t read_fraction(const char*& p, const char* end) noexcept {
    std::int64_t ns = 0;
    int used = 0;
    while (p < end && is_digit(*p)) {
        if (used < 9) {
            ns = ns * 10 + (*p - '0');
            ++used;
        }
        ++p;
    }
    for (; used < 9; ++used) {
        ns *= 10;
    }
    return ns;
}

std::int64_t unit_nanos(EpochUnit unit) noexcept {
    switch (unit) {
        case EpochUnit::Seconds:
            return kNanosPerSecond;
        case EpochUnit::Millis:
            return kNanosPerMilli;
        case EpochUnit::Micros:
            return kNanosPerMicro;
        case EpochUnit::Nanos:
        case EpochUnit::Auto:
            break;
    }
    return 1;
}

EpochUnit detect_unit(std::uint64_t magnitude) noexcept {
    if (magnitude < 100'000'000'000ULL) {
        return EpochUnit::Seconds;
    }
    if (magnitude < 100'000'000'000'000ULL) {
        return EpochUnit::Millis;
    }
    if (magnitude < 100'000'000'000'000'000ULL) {
        return EpochUnit::Micros;
    }
    return EpochUnit::Nanos;
}

std::optional<Timestamp> parse_numeric(const char* p, const char* end, EpochUnit unit) noexcept {
    bool negative = false;
    if (*p == '-' || *p == '+') {
        negative = *p == '-';
        ++p;
    }
    // looks_numeric() has checked the shape: digits with at most one '.'.
    std::uint64_t whole = 0;
    while (p < end && is_digit(*p)) {
        if (whole > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) {
            return std::nullopt;
        }
        whole = whole * 10 + static_cast<std::uint64_t>(*p - '0');
        ++p;
    }
    std::int64_t fraction_nanos_of_unit = 0;  // the fraction of one unit, in 1e-9 parts
    if (p < end && *p == '.') {
        ++p;
        fraction_nanos_of_unit = read_fraction(p, end);
    }
    if (whole > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    if (unit == EpochUnit::Auto) {
        unit = detect_unit(whole);
    }
    const std::int64_t mult = unit_nanos(unit);
    std::int64_t ns = 0;
    if (__builtin_mul_overflow(static_cast<std::int64_t>(whole), mult, &ns)) {
        return std::nullopt;
    }
    // The fraction is of one unit: scale 1e-9 parts of a unit to nanoseconds.
    const std::int64_t extra = fraction_nanos_of_unit / (kNanosPerSecond / mult);
    if (__builtin_add_overflow(ns, extra, &ns)) {
        return std::nullopt;
    }
    return Timestamp(negative ? -ns : ns);
}

// "YYYY-MM-DD", "YYYY/MM/DD" or (only when a time follows) "YYYYMMDD", then an optional time and
// zone: [T ]HH:MM[:SS[.f]][Z|UTC|+HH[:MM]|-HHMM].
std::optional<Timestamp> parse_calendar(const char* p, const char* end,
                                        TimestampParser::DayCache* cache) noexcept {
    std::optional<std::int64_t> days;
    const auto cached_len = static_cast<std::ptrdiff_t>(cache != nullptr ? cache->length : 0);
    if (cached_len > 0 && end - p >= cached_len &&
        std::memcmp(p, cache->text, static_cast<std::size_t>(cached_len)) == 0) {
        days = cache->days;  // consecutive rows usually share their date
        p += cached_len;
    } else {
        const char* date_start = p;
        unsigned year = 0;
        unsigned month = 0;
        unsigned day = 0;
        if (!read_digits(p, end, 4, year)) {
            return std::nullopt;
        }
        if (p < end && (*p == '-' || *p == '/')) {
            const char sep = *p++;
            if (!read_digits(p, end, 2, month) || p >= end || *p++ != sep ||
                !read_digits(p, end, 2, day)) {
                return std::nullopt;
            }
        } else if (!read_digits(p, end, 2, month) || !read_digits(p, end, 2, day) || p == end) {
            return std::nullopt;
        }
        days = days_from_date(static_cast<int>(year), month, day);
        if (!days) {
            return std::nullopt;
        }
        if (cache != nullptr) {
            cache->length = static_cast<std::uint8_t>(p - date_start);
            std::memcpy(cache->text, date_start, cache->length);
            cache->days = *days;
        }
    }
    std::int64_t nanos_of_day = 0;
    std::int64_t offset_ns = 0;
    if (p < end) {
        if (*p != 'T' && *p != 't' && *p != ' ') {
            return std::nullopt;
        }
        ++p;
        unsigned hour = 0;
        unsigned minute = 0;
        unsigned second = 0;
        if (!read_digits(p, end, 2, hour) || p >= end || *p++ != ':' ||
            !read_digits(p, end, 2, minute)) {
            return std::nullopt;
        }
        std::int64_t fraction = 0;
        if (p < end && *p == ':') {
            ++p;
            if (!read_digits(p, end, 2, second)) {
                return std::nullopt;
            }
            if (p < end && (*p == '.' || *p == ',')) {
                ++p;
                if (p == end || !is_digit(*p)) {
                    return std::nullopt;
                }
                fraction = read_fraction(p, end);
            }
        }
        if (hour > 23 || minute > 59 || second > 59) {
            return std::nullopt;
        }
        nanos_of_day =
            hour * kNanosPerHour + minute * kNanosPerMinute + second * kNanosPerSecond + fraction;
        while (p < end && *p == ' ') {
            ++p;
        }
        if (p < end) {
            const std::string_view zone(p, static_cast<std::size_t>(end - p));
            if ((zone.size() == 1 && (zone[0] == 'Z' || zone[0] == 'z')) || zone == "UTC" ||
                zone == "GMT") {
                p = end;
            } else if (*p == '+' || *p == '-') {
                const bool west = *p++ == '-';
                unsigned oh = 0;
                unsigned om = 0;
                if (!read_digits(p, end, 2, oh)) {
                    return std::nullopt;
                }
                if (p < end && *p == ':') {
                    ++p;
                }
                if (p < end && !read_digits(p, end, 2, om)) {
                    return std::nullopt;
                }
                if (p != end || oh > 23 || om > 59) {
                    return std::nullopt;
                }
                offset_ns = (oh * kNanosPerHour + om * kNanosPerMinute) * (west ? -1 : 1);
            } else {
                return std::nullopt;
            }
        }
    }
    std::int64_t ns = 0;
    if (__builtin_mul_overflow(*days, kNanosPerDay, &ns) ||
        __builtin_add_overflow(ns, nanos_of_day - offset_ns, &ns)) {
        return std::nullopt;
    }
    return Timestamp(ns);
}

bool looks_numeric(std::string_view s) noexcept {
    std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    bool dot = false;
    bool any = false;
    for (; i < s.size(); ++i) {
        if (s[i] == '.' && !dot) {
            dot = true;
        } else if (is_digit(s[i])) {
            any = true;
        } else {
            return false;
        }
    }
    return any;
}

std::optional<Timestamp> parse_timestamp_text(std::string_view text, EpochUnit unit,
                                              TimestampParser::DayCache* cache) noexcept;

}  // namespace

Result<EpochUnit> parse_epoch_unit(std::string_view text) {
    if (text == "auto") {
        return EpochUnit::Auto;
    }
    if (text == "s") {
        return EpochUnit::Seconds;
    }
    if (text == "ms") {
        return EpochUnit::Millis;
    }
    if (text == "us") {
        return EpochUnit::Micros;
    }
    if (text == "ns") {
        return EpochUnit::Nanos;
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("unknown epoch unit '{}' (expected auto, s, ms, us or ns)", text));
}

std::optional<std::int64_t> days_from_date(int year, unsigned month, unsigned day) noexcept {
    const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{month},
                                          std::chrono::day{day}};
    if (!ymd.ok() || year < 1677 || year > 2262) {
        return std::nullopt;
    }
    return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

std::optional<Timestamp> timestamp_from_epoch(std::int64_t value, EpochUnit unit) noexcept {
    if (unit == EpochUnit::Auto) {
        const std::uint64_t magnitude =
            value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
        unit = detect_unit(magnitude);
    }
    std::int64_t ns = 0;
    if (__builtin_mul_overflow(value, unit_nanos(unit), &ns)) {
        return std::nullopt;
    }
    return Timestamp(ns);
}

std::optional<Timestamp> try_parse_timestamp(std::string_view text, EpochUnit unit) noexcept {
    return parse_timestamp_text(text, unit, nullptr);
}

std::optional<Timestamp> TimestampParser::parse(std::string_view text, EpochUnit unit) noexcept {
    // Fast path for the usual CSV layouts, "YYYY-MM-DD" and "YYYY-MM-DD[T ]HH:MM[:SS][Z]", on
    // the date of the row before; anything else takes the general path.
    const std::size_t n = text.size();
    if (cache_.length == 10 && n >= 10 && std::memcmp(text.data(), cache_.text, 10) == 0 &&
        (n == 10 || n == 16 || n == 19 || (n == 20 && text[19] == 'Z'))) {
        const char* p = text.data();
        const auto two = [p](std::size_t i) {
            const unsigned hi = static_cast<unsigned char>(p[i] - '0');
            const unsigned lo = static_cast<unsigned char>(p[i + 1] - '0');
            return hi < 10 && lo < 10 ? static_cast<int>(hi * 10 + lo) : -1;
        };
        std::int64_t ns = cache_.days * kNanosPerDay;
        if (n == 10) {
            return Timestamp(ns);
        }
        const int hour = two(11);
        const int minute = two(14);
        const int second = n >= 19 ? two(17) : 0;
        if ((p[10] == 'T' || p[10] == ' ') && p[13] == ':' && (n < 19 || p[16] == ':') &&
            hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59) {
            ns += hour * kNanosPerHour + minute * kNanosPerMinute + second * kNanosPerSecond;
            return Timestamp(ns);
        }
    }
    return parse_timestamp_text(text, unit, &cache_);
}

namespace {
std::optional<Timestamp> parse_timestamp_text(std::string_view text, EpochUnit unit,
                                              TimestampParser::DayCache* cache) noexcept {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    if (text.empty()) {
        return std::nullopt;
    }
    const char* p = text.data();
    const char* end = p + text.size();
    // "YYYY-" or "YYYY/" starts a date: skip the scan for a number (the common CSV case).
    const bool dated = text.size() >= 10 && (text[4] == '-' || text[4] == '/');
    if (!dated && looks_numeric(text)) {
        return parse_numeric(p, end, unit);
    }
    return parse_calendar(p, end, cache);
}
}  // namespace

Timestamp::Timestamp(std::string_view text) : Timestamp(parse(text).value()) {}

Result<Timestamp> Timestamp::parse(std::string_view text, EpochUnit unit) {
    if (auto t = try_parse_timestamp(text, unit)) {
        return *t;
    }
    return fail(ErrorCode::InvalidArgument,
                fmt::format("'{}' is not a time (expected a date like 2024-01-01, an ISO-8601 "
                            "date-time, or a unix epoch number)",
                            text));
}

CivilTime to_civil(Timestamp t) noexcept {
    const std::int64_t days = floor_div(t.ns(), kNanosPerDay);
    std::int64_t rest = t.ns() - days * kNanosPerDay;
    const std::chrono::sys_days sd{std::chrono::days{days}};
    const std::chrono::year_month_day ymd{sd};
    CivilTime c{};
    c.year = static_cast<int>(ymd.year());
    c.month = static_cast<unsigned>(ymd.month());
    c.day = static_cast<unsigned>(ymd.day());
    c.weekday = std::chrono::weekday{sd}.iso_encoding() - 1;
    c.hour = static_cast<unsigned>(rest / kNanosPerHour);
    rest %= kNanosPerHour;
    c.minute = static_cast<unsigned>(rest / kNanosPerMinute);
    rest %= kNanosPerMinute;
    c.second = static_cast<unsigned>(rest / kNanosPerSecond);
    c.nanos = static_cast<std::uint32_t>(rest % kNanosPerSecond);
    return c;
}

namespace {
std::string fraction_text(std::uint32_t nanos) {
    if (nanos == 0) {
        return {};
    }
    if (nanos % 1'000'000 == 0) {
        return fmt::format(".{:03}", nanos / 1'000'000);
    }
    if (nanos % 1'000 == 0) {
        return fmt::format(".{:06}", nanos / 1'000);
    }
    return fmt::format(".{:09}", nanos);
}
}  // namespace

char* IsoFormatter::write(char* p, Timestamp t) {
    const std::int64_t day = floor_div(t.ns(), kNanosPerDay);
    if (day != day_) {
        day_ = day;
        const std::string d = format_date(Timestamp(day * kNanosPerDay));
        date_length_ = d.size();
        std::memcpy(date_, d.data(), date_length_);
    }
    std::memcpy(p, date_, date_length_);
    p += date_length_;
    const auto two = [&p](std::int64_t v) {
        p[0] = static_cast<char>('0' + v / 10);
        p[1] = static_cast<char>('0' + v % 10);
        p += 2;
    };
    std::int64_t rest = t.ns() - day * kNanosPerDay;
    *p++ = 'T';
    two(rest / kNanosPerHour);
    rest %= kNanosPerHour;
    *p++ = ':';
    two(rest / kNanosPerMinute);
    rest %= kNanosPerMinute;
    *p++ = ':';
    two(rest / kNanosPerSecond);
    rest %= kNanosPerSecond;
    const std::string fraction = fraction_text(static_cast<std::uint32_t>(rest));
    std::memcpy(p, fraction.data(), fraction.size());
    p += fraction.size();
    *p++ = 'Z';
    return p;
}

std::string format_iso(Timestamp t) {
    const CivilTime c = to_civil(t);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}Z", c.year, c.month, c.day, c.hour,
                       c.minute, c.second, fraction_text(c.nanos));
}

std::string format_date(Timestamp t) {
    const CivilTime c = to_civil(t);
    return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

std::string format_human(Timestamp t) {
    const CivilTime c = to_civil(t);
    std::string out =
        fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute);
    if (c.second != 0 || c.nanos != 0) {
        out += fmt::format(":{:02}{}", c.second, fraction_text(c.nanos));
    }
    return out;
}

}  // namespace tradpal

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <tradpal/core/result.hpp>

namespace tradpal {

inline constexpr std::int64_t kNanosPerMicro = 1'000;
inline constexpr std::int64_t kNanosPerMilli = 1'000'000;
inline constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr std::int64_t kNanosPerMinute = 60 * kNanosPerSecond;
inline constexpr std::int64_t kNanosPerHour = 60 * kNanosPerMinute;
inline constexpr std::int64_t kNanosPerDay = 24 * kNanosPerHour;

/// Unit of a numeric epoch time. Auto guesses from the magnitude of the number:
/// |v| < 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds, else nanoseconds
/// (so millisecond times before 1973-03-03 would be read as seconds).
enum class EpochUnit { Auto, Seconds, Millis, Micros, Nanos };

/// Parses "auto", "s", "ms", "us", "ns".
Result<EpochUnit> parse_epoch_unit(std::string_view text);

/// A point in time: int64 nanoseconds since 1970-01-01 UTC (1677-09-21 .. 2262-04-11).
class Timestamp {
public:
    constexpr Timestamp() = default;
    constexpr explicit Timestamp(std::int64_t ns) noexcept : ns_(ns) {}
    /// Parses like parse(); Throws: tradpal::Exception (InvalidArgument) on bad text.
    explicit Timestamp(std::string_view text);

    /// Parses a date ("2024-01-01", "20240101 09:30"), an ISO-8601 date-time
    /// ("2024-01-01T12:00:00.5Z", "2024-01-01 12:00:00+02:00"; no offset means UTC) or a numeric
    /// epoch ("1700000000", "1700000000000", "1506106800.0") whose unit is `unit`.
    /// Errors: InvalidArgument naming the text.
    static Result<Timestamp> parse(std::string_view text, EpochUnit unit = EpochUnit::Auto);

    static constexpr Timestamp from_seconds(std::int64_t s) noexcept {
        return Timestamp(s * kNanosPerSecond);
    }
    static constexpr Timestamp min() noexcept { return Timestamp(INT64_MIN); }
    static constexpr Timestamp max() noexcept { return Timestamp(INT64_MAX); }

    /// Nanoseconds since the epoch.
    constexpr std::int64_t ns() const noexcept { return ns_; }
    /// Whole seconds since the epoch, rounded towards minus infinity.
    constexpr std::int64_t seconds() const noexcept {
        return ns_ >= 0 ? ns_ / kNanosPerSecond : -((-(ns_ + 1)) / kNanosPerSecond) - 1;
    }

    constexpr auto operator<=>(const Timestamp&) const noexcept = default;

private:
    std::int64_t ns_ = 0;
};

/// Allocation-free parse used on hot paths (CSV rows); nullopt when the text is not a time.
std::optional<Timestamp> try_parse_timestamp(std::string_view text,
                                             EpochUnit unit = EpochUnit::Auto) noexcept;

/// try_parse_timestamp() for a stream of times: remembers the last date it parsed, so rows that
/// share a date skip the calendar arithmetic. Not thread-safe; one per reader.
class TimestampParser {
public:
    /// The last date parsed: its text and its day number.
    struct DayCache {
        char text[10] = {};
        std::uint8_t length = 0;
        std::int64_t days = 0;
    };

    std::optional<Timestamp> parse(std::string_view text,
                                   EpochUnit unit = EpochUnit::Auto) noexcept;

private:
    DayCache cache_;
};

/// Writes ISO-8601 times fast: the date text is kept while consecutive times share it.
class IsoFormatter {
public:
    /// Writes t like format_iso() at p (at most 32 characters); returns the end.
    char* write(char* p, Timestamp t);

private:
    std::int64_t day_ = INT64_MIN;
    char date_[16] = {};
    std::size_t date_length_ = 0;
};

/// Converts a numeric epoch value in `unit` to a Timestamp; nullopt on overflow.
std::optional<Timestamp> timestamp_from_epoch(std::int64_t value, EpochUnit unit) noexcept;

/// "2024-01-01T12:00:00Z"; a fraction is shown (3, 6 or 9 digits) only when non-zero.
std::string format_iso(Timestamp t);
/// "2024-01-01".
std::string format_date(Timestamp t);
/// "2024-01-01 12:00" (seconds and fraction only when non-zero): for tables.
std::string format_human(Timestamp t);

/// Days since 1970-01-01 of a proleptic Gregorian date; nullopt if the date does not exist.
std::optional<std::int64_t> days_from_date(int year, unsigned month, unsigned day) noexcept;

/// Calendar fields of a timestamp (UTC).
struct CivilTime {
    int year;
    unsigned month;  ///< 1..12
    unsigned day;    ///< 1..31
    unsigned hour, minute, second;
    std::uint32_t nanos;
    unsigned weekday;  ///< 0 = Monday .. 6 = Sunday
};
CivilTime to_civil(Timestamp t) noexcept;

/// Floor division that rounds towards minus infinity (times before 1970 are negative).
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace tradpal

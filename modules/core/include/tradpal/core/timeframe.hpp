// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tradpal/core/result.hpp>
#include <tradpal/core/timestamp.hpp>

namespace tradpal {

/// A bar length: N seconds, minutes, hours, days, weeks or calendar months ("1m", "4h", "1d",
/// "1w", "1M"). Buckets are aligned to the epoch; weeks start Monday 00:00 UTC; months start on
/// the 1st at 00:00 UTC.
class Timeframe {
public:
    enum class Unit { Second, Minute, Hour, Day, Week, Month };

    /// Parses "<N><unit>" with unit s, m, h, d, w or M (month). Errors: InvalidArgument.
    static Result<Timeframe> parse(std::string_view text);
    /// Throws: tradpal::Exception (InvalidArgument) on bad text.
    explicit Timeframe(std::string_view text);
    /// Throws: tradpal::Exception (InvalidArgument) when count is not positive.
    Timeframe(std::int64_t count, Unit unit);

    std::int64_t count() const noexcept { return count_; }
    Unit unit() const noexcept { return unit_; }
    /// Canonical text, e.g. "15m", "1M".
    std::string to_string() const;
    /// True for month-based timeframes, whose bars have no fixed length.
    bool is_calendar() const noexcept { return unit_ == Unit::Month; }
    /// Bar length in ns; for months a nominal 30.436875 days (use only to compare or estimate).
    std::int64_t nominal_ns() const noexcept;

    /// Start of the bucket holding t.
    Timestamp bucket_start(Timestamp t) const noexcept;
    /// Start of the bucket after the one that starts at `start`.
    Timestamp next_bucket(Timestamp start) const noexcept;
    /// True when every bucket of `finer` lies inside one bucket of this timeframe.
    bool is_multiple_of(const Timeframe& finer) const noexcept;

    bool operator==(const Timeframe&) const noexcept = default;

private:
    Timeframe() = default;

    std::int64_t count_ = 1;
    Unit unit_ = Unit::Minute;
};

}  // namespace tradpal

// SPDX-License-Identifier: Apache-2.0
#include <charconv>

#include <fmt/format.h>

#include <tradpal/core/timeframe.hpp>

namespace tradpal {
namespace {

// Weeks start on Monday; 1970-01-01 was a Thursday, so week buckets are shifted by 4 days.
constexpr std::int64_t kWeekOffsetNs = 4 * kNanosPerDay;
// Nominal month: 365.2425 / 12 days.
constexpr std::int64_t kNominalMonthNs = 2'629'746 * kNanosPerSecond;

std::int64_t unit_ns(Timeframe::Unit unit) noexcept {
    switch (unit) {
        case Timeframe::Unit::Second:
            return kNanosPerSecond;
        case Timeframe::Unit::Minute:
            return kNanosPerMinute;
        case Timeframe::Unit::Hour:
            return kNanosPerHour;
        case Timeframe::Unit::Day:
            return kNanosPerDay;
        case Timeframe::Unit::Week:
            return 7 * kNanosPerDay;
        case Timeframe::Unit::Month:
            return kNominalMonthNs;
    }
    return kNanosPerDay;
}

char unit_letter(Timeframe::Unit unit) noexcept {
    switch (unit) {
        case Timeframe::Unit::Second:
            return 's';
        case Timeframe::Unit::Minute:
            return 'm';
        case Timeframe::Unit::Hour:
            return 'h';
        case Timeframe::Unit::Day:
            return 'd';
        case Timeframe::Unit::Week:
            return 'w';
        case Timeframe::Unit::Month:
            return 'M';
    }
    return '?';
}

// Months since 1970-01 of a timestamp.
std::int64_t month_index(Timestamp t) noexcept {
    const CivilTime c = to_civil(t);
    return (static_cast<std::int64_t>(c.year) - 1970) * 12 + (c.month - 1);
}

Timestamp month_start(std::int64_t index) noexcept {
    const std::int64_t year = 1970 + floor_div(index, 12);
    const auto month = static_cast<unsigned>(index - floor_div(index, 12) * 12 + 1);
    const auto days = days_from_date(static_cast<int>(year), month, 1);
    // Out-of-range years saturate; timestamps cannot represent them anyway.
    if (!days) {
        return year < 1970 ? Timestamp::min() : Timestamp::max();
    }
    return Timestamp(*days * kNanosPerDay);
}

}  // namespace

Result<Timeframe> Timeframe::parse(std::string_view text) {
    const auto bad = [&] {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("'{}' is not a timeframe (expected <N><unit> with unit s, m, h, "
                                "d, w or M, e.g. 1m, 15m, 4h, 1d, 1w, 1M)",
                                text));
    };
    if (text.size() < 2) {
        return bad();
    }
    std::int64_t count = 0;
    const char* end = text.data() + text.size() - 1;
    const auto [ptr, ec] = std::from_chars(text.data(), end, count);
    if (ec != std::errc{} || ptr != end || count <= 0 || count > 1'000'000) {
        return bad();
    }
    Timeframe tf;
    tf.count_ = count;
    switch (*end) {
        case 's':
            tf.unit_ = Unit::Second;
            break;
        case 'm':
            tf.unit_ = Unit::Minute;
            break;
        case 'h':
        case 'H':
            tf.unit_ = Unit::Hour;
            break;
        case 'd':
        case 'D':
            tf.unit_ = Unit::Day;
            break;
        case 'w':
        case 'W':
            tf.unit_ = Unit::Week;
            break;
        case 'M':
            tf.unit_ = Unit::Month;
            break;
        default:
            return bad();
    }
    return tf;
}

Timeframe::Timeframe(std::string_view text) : Timeframe(parse(text).value()) {}

Timeframe::Timeframe(std::int64_t count, Unit unit) : count_(count), unit_(unit) {
    if (count <= 0) {
        throw Exception(ErrorCode::InvalidArgument, "timeframe count must be positive");
    }
}

std::string Timeframe::to_string() const {
    return fmt::format("{}{}", count_, unit_letter(unit_));
}

std::int64_t Timeframe::nominal_ns() const noexcept {
    return count_ * unit_ns(unit_);
}

Timestamp Timeframe::bucket_start(Timestamp t) const noexcept {
    if (unit_ == Unit::Month) {
        return month_start(floor_div(month_index(t), count_) * count_);
    }
    const std::int64_t step = nominal_ns();
    const std::int64_t offset = unit_ == Unit::Week ? kWeekOffsetNs : 0;
    return Timestamp(floor_div(t.ns() - offset, step) * step + offset);
}

Timestamp Timeframe::next_bucket(Timestamp start) const noexcept {
    if (unit_ == Unit::Month) {
        return month_start(month_index(start) + count_);
    }
    return Timestamp(start.ns() + nominal_ns());
}

bool Timeframe::is_multiple_of(const Timeframe& finer) const noexcept {
    if (finer.unit_ == Unit::Month) {
        return unit_ == Unit::Month && count_ % finer.count_ == 0;
    }
    const std::int64_t fine = finer.nominal_ns();
    if (unit_ == Unit::Month) {
        return kNanosPerDay % fine == 0;  // month boundaries are day boundaries
    }
    if (finer.unit_ == Unit::Week) {
        return unit_ == Unit::Week && count_ % finer.count_ == 0;
    }
    const std::int64_t offset = unit_ == Unit::Week ? kWeekOffsetNs : 0;
    return nominal_ns() % fine == 0 && offset % fine == 0;
}

}  // namespace tradpal

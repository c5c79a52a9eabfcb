// SPDX-License-Identifier: Apache-2.0
// Exact sums of doubles: a 128-bit fixed-point accumulator (values as integers times a common
// power of two) and Shewchuk's partials for the cases it cannot hold.
#pragma once

#include <bit>
#include <cstdint>
#include <span>
#include <vector>

namespace tradpal::backtest::detail {

// GCC and Clang's 128-bit integers; __extension__ keeps -Wpedantic quiet about them.
__extension__ using Int128 = __int128;
__extension__ using UInt128 = unsigned __int128;

/// The biased exponent of a double, 1 for zeros and subnormals (whose unit is that of 1).
inline int biased_exponent(double v) noexcept {
    const int e = static_cast<int>((std::bit_cast<std::uint64_t>(v) >> 52) & 0x7ff);
    return e == 0 ? 1 : e;
}

/// 2^k for a normal exponent k (-1022 <= k <= 1023).
inline double pow2(int k) noexcept {
    return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
}

/// v as an integer count of 2^(min_exponent - 1075); exact when biased_exponent(v) >= min_exponent
/// and the result fits.
inline Int128 to_fixed(double v, int min_exponent) noexcept {
    const auto bits = std::bit_cast<std::uint64_t>(v);
    const int exponent = static_cast<int>((bits >> 52) & 0x7ff);
    std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
    if (exponent != 0) {
        mantissa |= std::uint64_t{1} << 52;
    }
    const Int128 magnitude = static_cast<Int128>(mantissa)
                             << ((exponent == 0 ? 1 : exponent) - min_exponent);
    return (bits >> 63) != 0 ? -magnitude : magnitude;
}

/// to_fixed for a value of the given bits and biased exponent (normal, >= min_exponent) whose
/// fixed-point form fits 63 bits.
inline std::int64_t to_fixed64(std::uint64_t bits, int exponent, int min_exponent) noexcept {
    const std::uint64_t mantissa = (bits & ((std::uint64_t{1} << 52) - 1)) | std::uint64_t{1} << 52;
    const auto magnitude = static_cast<std::int64_t>(mantissa << (exponent - min_exponent));
    return (bits >> 63) != 0 ? -magnitude : magnitude;
}

/// A fixed-point sum in units of 2^unit_exponent rounded once to a double (round half to even).
/// The caller keeps unit_exponent + 65 - 127 >= -1022 and unit_exponent + 65 <= 1023.
inline double fixed_to_double(Int128 sum, int unit_exponent) noexcept {
    if (sum == 0) {
        return 0.0;
    }
    const bool negative = sum < 0;
    const UInt128 magnitude = negative ? -static_cast<UInt128>(sum) : static_cast<UInt128>(sum);
    const auto high = static_cast<std::uint64_t>(magnitude >> 64);
    const int leading = high != 0 ? std::countl_zero(high)
                                  : 64 + std::countl_zero(static_cast<std::uint64_t>(magnitude));
    // Normalise the top bit to bit 127, keep 63 bits and fold everything below into a sticky
    // bit: a double keeps 53, so the sticky bit only ever decides exact ties.
    const UInt128 normal = magnitude << leading;
    const auto top = static_cast<std::uint64_t>(normal >> 64);
    const std::uint64_t kept =
        (top >> 1) | (top & 1) | (static_cast<std::uint64_t>(normal) != 0 ? 1u : 0u);
    const double value =
        static_cast<double>(static_cast<std::int64_t>(kept)) * pow2(unit_exponent + 65 - leading);
    return negative ? -value : value;
}

/// The correctly rounded sum of `a` then `b` (Shewchuk's partials; `partials` is scratch).
double exact_sum(std::span<const double> a, std::span<const double> b,
                 std::vector<double>& partials);

}  // namespace tradpal::backtest::detail

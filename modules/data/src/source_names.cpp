// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include <tradpal/data/sources.hpp>

namespace tradpal::data {
namespace {

// Quote assets of Binance spot markets. Without this list "BRK/B" would pass for a pair.
constexpr std::array<std::string_view, 29> kBinanceQuotes = {
    "USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USDP", "DAI", "BTC", "ETH", "BNB",
    "XRP",  "TRX",  "DOGE", "EUR",   "GBP",  "TRY",  "BRL", "AUD", "JPY", "RUB",
    "UAH",  "ZAR",  "PLN",  "RON",   "ARS",  "MXN",  "IDR", "COP", "CZK"};

struct Pair {
    std::string base;
    std::string quote;
};

// "btc/usdt" -> {"BTC", "USDT"}; nullopt unless both sides are non-empty and alphanumeric.
std::optional<Pair> split_pair(std::string_view symbol) {
    const auto slash = symbol.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    auto upper = [](std::string_view part) -> std::optional<std::string> {
        if (part.empty()) {
            return std::nullopt;
        }
        std::string out;
        for (const char c : part) {
            if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
                return std::nullopt;
            }
            out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        return out;
    };
    auto base = upper(symbol.substr(0, slash));
    auto quote = upper(symbol.substr(slash + 1));
    if (!base || !quote) {
        return std::nullopt;
    }
    return Pair{std::move(*base), std::move(*quote)};
}

// Length in seconds of a fixed-length timeframe; 0 for weeks and months, whose buckets start on
// Mondays and calendar months rather than at multiples of their length.
std::int64_t fixed_seconds(const Timeframe& timeframe) {
    switch (timeframe.unit()) {
        case Timeframe::Unit::Second:
        case Timeframe::Unit::Minute:
        case Timeframe::Unit::Hour:
        case Timeframe::Unit::Day:
            return timeframe.nominal_ns() / kNanosPerSecond;
        case Timeframe::Unit::Week:
        case Timeframe::Unit::Month:
            return 0;
    }
    return 0;
}

std::string kraken_asset(std::string asset) {
    if (asset == "BTC") {
        return "XBT";
    }
    if (asset == "DOGE") {
        return "XDG";
    }
    return asset;
}

}  // namespace

std::optional<std::string> binance_symbol(std::string_view symbol) {
    auto pair = split_pair(symbol);
    if (!pair || std::find(kBinanceQuotes.begin(), kBinanceQuotes.end(), pair->quote) ==
                     kBinanceQuotes.end()) {
        return std::nullopt;
    }
    return pair->base + pair->quote;
}

std::optional<std::string> binance_interval(const Timeframe& timeframe) {
    if (timeframe.unit() == Timeframe::Unit::Week) {
        return timeframe.count() == 1 ? std::optional<std::string>("1w") : std::nullopt;
    }
    if (timeframe.unit() == Timeframe::Unit::Month) {
        return timeframe.count() == 1 ? std::optional<std::string>("1M") : std::nullopt;
    }
    static constexpr std::array<std::pair<std::int64_t, std::string_view>, 14> kIntervals = {{
        {1, "1s"},
        {60, "1m"},
        {180, "3m"},
        {300, "5m"},
        {900, "15m"},
        {1800, "30m"},
        {3600, "1h"},
        {7200, "2h"},
        {14400, "4h"},
        {21600, "6h"},
        {28800, "8h"},
        {43200, "12h"},
        {86400, "1d"},
        {259200, "3d"},
    }};
    const std::int64_t seconds = fixed_seconds(timeframe);
    for (const auto& [length, name] : kIntervals) {
        if (length == seconds) {
            return std::string(name);
        }
    }
    return std::nullopt;
}

std::optional<std::string> kraken_pair(std::string_view symbol) {
    auto pair = split_pair(symbol);
    if (!pair) {
        return std::nullopt;
    }
    return kraken_asset(std::move(pair->base)) + kraken_asset(std::move(pair->quote));
}

std::optional<int> kraken_interval(const Timeframe& timeframe) {
    if (timeframe.unit() == Timeframe::Unit::Week) {
        return timeframe.count() == 1 ? std::optional<int>(10080) : std::nullopt;
    }
    static constexpr std::array<int, 8> kMinutes = {1, 5, 15, 30, 60, 240, 1440, 21600};
    const std::int64_t seconds = fixed_seconds(timeframe);
    for (const int minutes : kMinutes) {
        if (seconds == std::int64_t{minutes} * 60) {
            return minutes;
        }
    }
    return std::nullopt;
}

std::string yahoo_symbol(std::string_view symbol) {
    std::string out(symbol);
    std::replace(out.begin(), out.end(), '/', '-');
    return out;
}

std::optional<std::string> yahoo_interval(const Timeframe& timeframe) {
    if (timeframe.unit() == Timeframe::Unit::Week) {
        return timeframe.count() == 1 ? std::optional<std::string>("1wk") : std::nullopt;
    }
    if (timeframe.unit() == Timeframe::Unit::Month) {
        if (timeframe.count() == 1 || timeframe.count() == 3) {
            return std::to_string(timeframe.count()) + "mo";
        }
        return std::nullopt;
    }
    static constexpr std::array<std::pair<std::int64_t, std::string_view>, 9> kIntervals = {{
        {60, "1m"},
        {120, "2m"},
        {300, "5m"},
        {900, "15m"},
        {1800, "30m"},
        {3600, "60m"},
        {5400, "90m"},
        {86400, "1d"},
        {432000, "5d"},
    }};
    const std::int64_t seconds = fixed_seconds(timeframe);
    for (const auto& [length, name] : kIntervals) {
        if (length == seconds) {
            return std::string(name);
        }
    }
    return std::nullopt;
}

}  // namespace tradpal::data

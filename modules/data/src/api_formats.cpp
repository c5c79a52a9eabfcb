// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <system_error>
#include <utility>

#include <fast_float/fast_float.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <tradpal/data/api_formats.hpp>

namespace tradpal::data {
namespace {

namespace od = simdjson::ondemand;

// Shape errors are thrown as ParseError Exceptions from deep inside a parse and turned into an
// Error (with the API's name and the byte offset) where the parse started, so the readers below
// go straight through a body without a check after every value.
[[noreturn]] void throw_parse_error(const std::string& message) {
    throw Exception(ErrorCode::ParseError, message);
}

// The value of a simdjson result; a ParseError naming `what` on failure.
template <class T>
T need(const simdjson::simdjson_result<T>& result, std::string_view what) {
    if (result.error() != simdjson::SUCCESS) {
        throw_parse_error(fmt::format("{}: {}", what, simdjson::error_message(result.error())));
    }
    return result.value_unsafe();
}

// At most `limit` bytes of `text` with everything but printable ASCII replaced, for messages.
std::string printable(std::string_view text, std::size_t limit) {
    std::string out;
    for (const char c : text.substr(0, limit)) {
        const auto u = static_cast<unsigned char>(c);
        out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    if (text.size() > limit) {
        out += "...";
    }
    return out;
}

// A decimal sent as a JSON string ("0.80000000"), converted exactly as strtod would. Read from the
// raw token: a number holds no escapes, so unescaping it into simdjson's buffer would be a copy.
double number_in_string(od::value value, std::string_view what) {
    // The token runs up to the next token: the string, closing quote included, then whitespace.
    const std::string_view token = value.raw_json_token();
    const char* end = token.data() + token.size();
    if (token.size() >= 2 && token.front() == '"') {
        double out = 0;
        const auto [stop, error] = fast_float::from_chars(token.data() + 1, end, out);
        if (error == std::errc() && stop != end && *stop == '"' && std::isfinite(out)) {
            return out;
        }
    }
    const std::size_t shown = token.find_last_not_of(" \t\r\n") + 1;
    throw_parse_error(fmt::format("{}: {} is not a number in a string", what,
                                  printable(token.substr(0, shown), 40)));
}

Timestamp epoch_time(std::int64_t value, EpochUnit unit, std::string_view what) {
    const std::optional<Timestamp> ts = timestamp_from_epoch(value, unit);
    if (!ts) {
        throw_parse_error(fmt::format("{}: {} is out of range", what, value));
    }
    return *ts;
}

// Calls read(row) for each array in `rows`, naming the row in a ParseError.
template <class Read>
void for_each_row(od::array rows, std::string_view name, Read&& read) {
    std::size_t index = 0;
    try {
        for (auto row : rows) {
            read(need(row.get_array(), name));
            ++index;
        }
    } catch (const Exception& e) {
        throw_parse_error(fmt::format("{} {}: {}", name, index, e.what()));
    }
}

// Calls f(key, value) for every member of `object`, in body order.
template <class F>
void for_each_member(od::object object, std::string_view what, F&& f) {
    for (auto member : object) {
        od::field field = need(member, what);
        const std::string_view key = need(field.unescaped_key(), what);
        f(key, field.value());
    }
}

template <class F>
void for_each_member(od::value value, std::string_view what, F&& f) {
    for_each_member(need(value.get_object(), what), what, std::forward<F>(f));
}

// A JSON string, or "" for null.
std::string string_or_empty(od::value value, std::string_view what) {
    if (need(value.is_null(), what)) {
        return {};
    }
    return std::string(need(value.get_string(), what));
}

// Runs `read` over the body as a JSON document. `read` returns the API's own errors as an Error
// and throws ParseError Exceptions for everything else; it must read the whole document, since
// On-Demand only notices malformed JSON where it looks.
template <class T, class Read>
Result<T> parse_json(std::string_view api, std::string_view body, Read&& read) {
    const std::size_t start = body.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) {
        return fail(ErrorCode::ParseError, fmt::format("{}: empty body", api));
    }
    if (body[start] != '{' && body[start] != '[') {
        return fail(ErrorCode::ParseError, fmt::format("{}: not a JSON object or array: \"{}\"",
                                                       api, printable(body.substr(start), 80)));
    }
    // simdjson reads up to SIMDJSON_PADDING bytes past the end; a string_view promises none.
    const simdjson::padded_string padded(body);
    od::parser parser;
    od::document doc;
    if (const simdjson::error_code error = parser.iterate(padded).get(doc)) {
        return fail(ErrorCode::ParseError,
                    fmt::format("{}: invalid JSON: {}", api, simdjson::error_message(error)));
    }
    try {
        Result<T> out = read(doc);
        if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
            throw_parse_error("unexpected content after the JSON value");
        }
        if (!out) {
            return fail(out.error().code, fmt::format("{}: {}", api, out.error().message));
        }
        return out;
    } catch (const Exception& e) {
        const simdjson::simdjson_result<const char*> where = doc.current_location();
        const std::size_t offset =
            where.error() ? body.size()
                          : static_cast<std::size_t>(where.value_unsafe() - padded.data());
        return fail(ErrorCode::ParseError,
                    fmt::format("{}: {} (near byte {})", api, e.what(), offset));
    }
}

// ---- Yahoo

// The parallel arrays of a chart result; NaN marks a JSON null, which no JSON number can be.
struct YahooColumns {
    bool has_time = false;
    std::vector<std::int64_t> time;
    std::vector<double> open, high, low, close, volume;
};

std::vector<double> read_quote_column(od::value value, std::string_view what, std::size_t hint) {
    std::vector<double> out;
    out.reserve(hint);
    for (auto element : need(value.get_array(), what)) {
        od::value v = need(element, what);
        out.push_back(need(v.is_null(), what) ? std::numeric_limits<double>::quiet_NaN()
                                              : need(v.get_double(), what));
    }
    return out;
}

void read_quote(od::value quote, YahooColumns& columns) {
    const std::size_t hint = columns.time.size();
    for_each_member(quote, "indicators.quote[0]", [&](std::string_view key, od::value v) {
        if (key == "open") {
            columns.open = read_quote_column(v, "indicators.quote[0].open", hint);
        } else if (key == "high") {
            columns.high = read_quote_column(v, "indicators.quote[0].high", hint);
        } else if (key == "low") {
            columns.low = read_quote_column(v, "indicators.quote[0].low", hint);
        } else if (key == "close") {
            columns.close = read_quote_column(v, "indicators.quote[0].close", hint);
        } else if (key == "volume") {
            columns.volume = read_quote_column(v, "indicators.quote[0].volume", hint);
        }
    });
}

void read_indicators(od::value indicators, YahooColumns& columns) {
    for_each_member(indicators, "indicators", [&](std::string_view key, od::value v) {
        if (key != "quote") {
            return;  // adjclose: not part of a bar
        }
        bool first = true;
        for (auto quote : need(v.get_array(), "indicators.quote")) {
            if (first) {
                read_quote(need(quote, "indicators.quote"), columns);
                first = false;
            }
        }
    });
}

YahooEvent read_dividend(od::value value) {
    YahooEvent event;
    bool has_date = false;
    bool has_amount = false;
    for_each_member(value, "a dividend", [&](std::string_view key, od::value v) {
        if (key == "date") {
            event.ts = epoch_time(need(v.get_int64(), "dividend date"), EpochUnit::Seconds,
                                  "dividend date");
            has_date = true;
        } else if (key == "amount") {
            event.amount = need(v.get_double(), "dividend amount");
            has_amount = true;
        }
    });
    if (!has_date || !has_amount) {
        throw_parse_error("a dividend without date or amount");
    }
    return event;
}

YahooEvent read_split(od::value value) {
    YahooEvent event;
    event.kind = YahooEvent::Kind::Split;
    bool has_date = false;
    bool has_numerator = false;
    bool has_denominator = false;
    for_each_member(value, "a split", [&](std::string_view key, od::value v) {
        if (key == "date") {
            event.ts =
                epoch_time(need(v.get_int64(), "split date"), EpochUnit::Seconds, "split date");
            has_date = true;
        } else if (key == "numerator") {
            event.numerator = need(v.get_double(), "split numerator");
            has_numerator = true;
        } else if (key == "denominator") {
            event.denominator = need(v.get_double(), "split denominator");
            has_denominator = true;
        }
    });
    if (!has_date || !has_numerator || !has_denominator) {
        throw_parse_error("a split without date, numerator or denominator");
    }
    return event;
}

void read_events(od::value events, std::vector<YahooEvent>& out) {
    for_each_member(events, "events", [&](std::string_view key, od::value v) {
        // Each kind is an object keyed by the event's time as a string.
        if (key == "dividends") {
            for_each_member(v, "events.dividends", [&](std::string_view, od::value dividend) {
                out.push_back(read_dividend(dividend));
            });
        } else if (key == "splits") {
            for_each_member(v, "events.splits", [&](std::string_view, od::value split) {
                out.push_back(read_split(split));
            });
        }
    });
}

void read_meta(od::value meta, YahooChart& chart) {
    for_each_member(meta, "meta", [&](std::string_view key, od::value v) {
        if (key == "symbol") {
            chart.symbol = string_or_empty(v, "meta.symbol");
        } else if (key == "currency") {
            chart.currency = string_or_empty(v, "meta.currency");
        } else if (key == "exchangeTimezoneName") {
            chart.exchange_timezone = string_or_empty(v, "meta.exchangeTimezoneName");
        } else if (key == "gmtoffset") {
            chart.gmtoffset = need(v.get_int64(), "meta.gmtoffset");
        }
    });
}

void read_result(od::value result, YahooChart& chart, YahooColumns& columns) {
    for_each_member(result, "chart.result[0]", [&](std::string_view key, od::value v) {
        if (key == "meta") {
            read_meta(v, chart);
        } else if (key == "timestamp") {
            columns.has_time = true;
            for (auto element : need(v.get_array(), "timestamp")) {
                columns.time.push_back(need(element.get_int64(), "timestamp"));
            }
        } else if (key == "events") {
            read_events(v, chart.events);
        } else if (key == "indicators") {
            read_indicators(v, columns);
        }
    });
}

void build_bars(const YahooColumns& columns, YahooChart& chart) {
    const std::size_t n = columns.time.size();
    const std::pair<const std::vector<double>*, const char*> checks[] = {
        {&columns.open, "open"},
        {&columns.high, "high"},
        {&columns.low, "low"},
        {&columns.close, "close"},
        {&columns.volume, "volume"}};
    for (const auto& [column, name] : checks) {
        if (column->size() != n) {
            throw_parse_error(fmt::format("indicators.quote[0].{} has {} values for {} timestamps",
                                          name, column->size(), n));
        }
    }
    chart.bars.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const Bar bar{epoch_time(columns.time[i], EpochUnit::Seconds, "timestamp"),
                      columns.open[i],
                      columns.high[i],
                      columns.low[i],
                      columns.close[i],
                      std::isnan(columns.volume[i]) ? 0.0 : columns.volume[i]};
        if (std::isnan(bar.open) || std::isnan(bar.high) || std::isnan(bar.low) ||
            std::isnan(bar.close)) {
            ++chart.null_rows;
            continue;
        }
        chart.bars.push_back(bar);
    }
}

// `chart.error`, e.g. {"code": "Not Found", "description": "No data found, symbol may be
// delisted"}.
Error read_chart_error(od::value value) {
    std::string code;
    std::string description;
    for_each_member(value, "chart.error", [&](std::string_view key, od::value v) {
        if (key == "code") {
            code = string_or_empty(v, "chart.error.code");
        } else if (key == "description") {
            description = string_or_empty(v, "chart.error.description");
        }
    });
    return fail(code == "Not Found" ? ErrorCode::NotFound : ErrorCode::InvalidArgument,
                fmt::format("{} ({})", description, code));
}

// `chart`: {"result": [...] or null, "error": null or {...}}.
struct ChartReader {
    YahooChart chart;
    YahooColumns columns;
    bool has_chart = false;
    bool has_result = false;
    std::optional<Error> api_error;

    void read(od::value value) {
        has_chart = true;
        for_each_member(value, "chart", [&](std::string_view key, od::value v) {
            if (key == "result" && !need(v.is_null(), "chart.result")) {
                // One symbol per request gives one result; any others are read past.
                for (auto result : need(v.get_array(), "chart.result")) {
                    if (!has_result) {
                        read_result(need(result, "chart.result"), chart, columns);
                        has_result = true;
                    }
                }
            } else if (key == "error" && !need(v.is_null(), "chart.error")) {
                api_error = read_chart_error(v);
            }
        });
    }
};

Result<YahooChart> read_yahoo(od::document& doc) {
    ChartReader reader;
    for_each_member(need(doc.get_object(), "the body"), "the body",
                    [&](std::string_view key, od::value v) {
                        if (key == "chart") {
                            reader.read(v);
                        }
                    });
    if (reader.api_error) {
        return *std::move(reader.api_error);
    }
    if (!reader.has_chart) {
        throw_parse_error("no \"chart\" object");
    }
    if (!reader.has_result) {
        throw_parse_error("chart.result is empty and chart.error is null");
    }
    YahooChart& chart = reader.chart;
    if (reader.columns.has_time) {
        build_bars(reader.columns, chart);
    }
    std::stable_sort(chart.events.begin(), chart.events.end(),
                     [](const YahooEvent& a, const YahooEvent& b) { return a.ts < b.ts; });
    return std::move(chart);
}

// ---- Binance

// `[openTime, "open", "high", "low", "close", "volume", closeTime, ...]`: only the first seven
// fields are kept, later ones (quote volume, trades, taker volumes) are read past.
void read_kline(od::array row, BinanceKlines& out) {
    Bar bar;
    std::int64_t close_ms = 0;
    std::size_t fields = 0;
    for (auto element : row) {
        od::value v = need(element, "kline");
        switch (fields++) {
            case 0:
                bar.ts =
                    epoch_time(need(v.get_int64(), "open time"), EpochUnit::Millis, "open time");
                break;
            case 1:
                bar.open = number_in_string(v, "open");
                break;
            case 2:
                bar.high = number_in_string(v, "high");
                break;
            case 3:
                bar.low = number_in_string(v, "low");
                break;
            case 4:
                bar.close = number_in_string(v, "close");
                break;
            case 5:
                bar.volume = number_in_string(v, "volume");
                break;
            case 6:
                close_ms = need(v.get_int64(), "close time");
                break;
            default:
                break;
        }
    }
    if (fields < 7) {
        throw_parse_error(fmt::format("{} fields, expected 12", fields));
    }
    out.bars.push_back(bar);
    out.close_time_ms.push_back(close_ms);
}

Result<BinanceKlines> read_binance_error(od::object object) {
    std::optional<std::int64_t> code;
    std::string message;
    for_each_member(object, "error object", [&](std::string_view key, od::value v) {
        if (key == "code") {
            code = need(v.get_int64(), "code");
        } else if (key == "msg") {
            message = string_or_empty(v, "msg");
        }
    });
    if (!code) {
        throw_parse_error("an object without \"code\" instead of an array of klines");
    }
    constexpr std::int64_t kInvalidSymbol = -1121;
    return fail(*code == kInvalidSymbol ? ErrorCode::NotFound : ErrorCode::InvalidArgument,
                fmt::format("{} (code {})", message, *code));
}

Result<BinanceKlines> read_binance(od::document& doc) {
    if (need(doc.type(), "the body") == od::json_type::object) {
        return read_binance_error(need(doc.get_object(), "the body"));
    }
    BinanceKlines out;
    for_each_row(need(doc.get_array(), "the body"), "kline",
                 [&](od::array row) { read_kline(row, out); });
    return out;
}

// ---- Kraken

// `[time, "open", "high", "low", "close", "vwap", "volume", count]`.
Bar read_kraken_row(od::array row) {
    Bar bar;
    std::size_t fields = 0;
    for (auto element : row) {
        od::value v = need(element, "row");
        switch (fields++) {
            case 0:
                bar.ts = epoch_time(need(v.get_int64(), "time"), EpochUnit::Seconds, "time");
                break;
            case 1:
                bar.open = number_in_string(v, "open");
                break;
            case 2:
                bar.high = number_in_string(v, "high");
                break;
            case 3:
                bar.low = number_in_string(v, "low");
                break;
            case 4:
                bar.close = number_in_string(v, "close");
                break;
            case 6:
                bar.volume = number_in_string(v, "volume");
                break;
            default:
                break;  // vwap and trade count
        }
    }
    if (fields < 7) {
        throw_parse_error(fmt::format("{} fields, expected 8", fields));
    }
    return bar;
}

Result<KrakenOhlc> read_kraken(od::document& doc) {
    KrakenOhlc out;
    std::vector<std::string> errors;
    bool not_found = false;
    bool has_result = false;
    bool has_pair = false;
    bool has_last = false;
    for_each_member(
        need(doc.get_object(), "the body"), "the body", [&](std::string_view key, od::value v) {
            if (key == "error") {
                for (auto entry : need(v.get_array(), "error")) {
                    const std::string_view text = need(entry.get_string(), "error");
                    // Entries starting with W are warnings that come with a valid result.
                    if (!text.starts_with('W')) {
                        not_found = not_found || text == "EQuery:Unknown asset pair";
                        errors.emplace_back(text);
                    }
                }
            } else if (key == "result") {
                has_result = true;
                for_each_member(v, "result", [&](std::string_view name, od::value value) {
                    if (name == "last") {
                        out.last = need(value.get_int64(), "result.last");
                        has_last = true;
                        return;
                    }
                    if (has_pair) {
                        throw_parse_error("result holds more than one pair");
                    }
                    has_pair = true;
                    for_each_row(need(value.get_array(), "the pair's rows"), "row",
                                 [&](od::array row) { out.bars.push_back(read_kraken_row(row)); });
                });
            }
        });
    if (!errors.empty()) {
        return fail(not_found ? ErrorCode::NotFound : ErrorCode::InvalidArgument,
                    fmt::to_string(fmt::join(errors, "; ")));
    }
    if (!has_result || !has_pair || !has_last) {
        throw_parse_error("no result with a pair's rows and \"last\"");
    }
    return out;
}

}  // namespace

Result<YahooChart> parse_yahoo_chart(std::string_view body) {
    return parse_json<YahooChart>("Yahoo chart", body, read_yahoo);
}

Result<BinanceKlines> parse_binance_klines(std::string_view body) {
    return parse_json<BinanceKlines>("Binance klines", body, read_binance);
}

Result<KrakenOhlc> parse_kraken_ohlc(std::string_view body) {
    return parse_json<KrakenOhlc>("Kraken OHLC", body, read_kraken);
}

}  // namespace tradpal::data

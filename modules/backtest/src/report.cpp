// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tradpal/backtest/report.hpp>
#include <tradpal/core/error.hpp>
#include <tradpal/core/text.hpp>
#include <tradpal/core/timestamp.hpp>

namespace tradpal::backtest {
namespace {

using Json = nlohmann::ordered_json;

// Charts: min and max of each of this many time slices, so at most twice as many points.
constexpr std::size_t kChartBuckets = 1000;
constexpr std::size_t kMaxPriceCharts = 8;
constexpr std::size_t kMaxListedTrades = 500;
constexpr std::size_t kMaxMarkedTrades = 500;  // per price chart
// The longest shortest-round-trip double ("-2.2250738585072014e-308") and int64 both fit.
constexpr std::size_t kNumberBytes = 32;

const BacktestResult& result_of(const ReportContext& report) {
    TRADPAL_ASSERT(report.result != nullptr, "a report needs a result");
    return *report.result;
}

bool is_portfolio(const BacktestResult& result) {
    return result.symbols.size() > 1;
}

std::string symbol_name(const BacktestResult& result, std::uint32_t symbol) {
    return symbol < result.symbols.size() ? result.symbols[symbol] : std::string();
}

/// The time of every equity value. Throws InvalidArgument when the series given with the
/// result do not match it (the caller passed another run's bars).
std::span<const std::int64_t> steps_of(const ReportContext& report) {
    const BacktestResult& result = result_of(report);
    const auto steps = timeline(result, report.symbols);
    if (steps.size() != result.equity.size()) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("report: {} equity values but {} timeline steps",
                                    result.equity.size(), steps.size()));
    }
    return steps;
}

std::int64_t unix_seconds(std::int64_t ns) {
    return Timestamp(ns).seconds();
}

Json number(double v) {
    return std::isfinite(v) ? Json(v) : Json(nullptr);
}

Json number(const std::optional<double>& v) {
    return v ? number(*v) : Json(nullptr);
}

Json open_trade_json(const BacktestResult& result, const OpenTrade& trade) {
    Json j;
    j["symbol"] = symbol_name(result, trade.symbol);
    j["side"] = std::string(to_string(trade.side));
    j["size"] = number(trade.size);
    j["entry_time"] = unix_seconds(trade.entry_ns);
    j["entry_price"] = number(trade.entry_price);
    j["entry_commission"] = number(trade.entry_commission);
    j["last_price"] = number(trade.last_price);
    j["unrealized_pnl"] = number(trade.unrealized_pnl);
    return j;
}

Json duration_seconds(std::int64_t ns) {
    // Whole seconds print as integers; sub-second bars keep their fraction.
    if (ns % kNanosPerSecond == 0) {
        return ns / kNanosPerSecond;
    }
    return static_cast<double>(ns) / static_cast<double>(kNanosPerSecond);
}

Json config_json(const Config& config) {
    Json j;
    j["cash"] = number(config.cash);
    j["commission"] = number(config.costs.commission);
    j["commission_fixed"] = number(config.costs.commission_fixed);
    j["slippage_bps"] = number(config.costs.slippage_bps);
    j["sizing"] = std::string(to_string(config.sizing.mode));
    j["size_fraction"] = number(config.sizing.size_fraction);
    j["lot_step"] = number(config.sizing.lot_step);
    j["fill_price"] = std::string(to_string(config.fill_price));
    j["stop_same_bar"] = config.stop_same_bar;
    j["annualization"] = number(config.annualization);
    j["risk_free"] = number(config.risk_free);
    return j;
}

double final_position(const BacktestResult& result, std::size_t symbol) {
    return symbol < result.final_positions.size() ? result.final_positions[symbol] : 0.0;
}

Json per_symbol_json(const BacktestResult& result) {
    const std::size_t n = result.symbols.size();
    std::vector<std::size_t> trades(n, 0);
    std::vector<double> net_pnl(n, 0.0);
    // Every fee paid on the symbol, the open trade's entry included (as total_commission).
    std::vector<double> commission(n, 0.0);
    for (const Trade& t : result.trades) {
        if (t.symbol < n) {
            ++trades[t.symbol];
            net_pnl[t.symbol] += t.net_pnl;
        }
    }
    for (const Fill& f : result.fills) {
        if (f.symbol < n) {
            commission[f.symbol] += f.commission;
        }
    }
    Json list = Json::array();
    for (std::size_t s = 0; s < n; ++s) {
        Json j;
        j["symbol"] = result.symbols[s];
        j["n_trades"] = trades[s];
        j["net_pnl"] = number(net_pnl[s]);
        j["commission"] = number(commission[s]);
        j["final_position"] = number(final_position(result, s));
        list.push_back(std::move(j));
    }
    return list;
}

/// `v` with `decimals` digits and thousands separators; "-" when not finite.
std::string grouped(double v, int decimals) {
    if (!std::isfinite(v)) {
        return "-";
    }
    const std::string digits = fmt::format("{:.{}f}", std::fabs(v), decimals);
    const std::size_t int_end = std::min(digits.find('.'), digits.size());
    std::string out;
    // No "-0.00": a value that rounds to zero has no sign.
    if (v < 0 && digits.find_first_not_of("0.") != std::string::npos) {
        out += '-';
    }
    for (std::size_t i = 0; i < int_end; ++i) {
        if (i > 0 && (int_end - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    out.append(digits, int_end);
    return out;
}

std::string money(double v) {
    return grouped(v, 2);
}

std::string money(const std::optional<double>& v) {
    return v ? money(*v) : "-";
}

std::string count(std::size_t n) {
    return grouped(static_cast<double>(n), 0);
}

/// A fraction shown as a percentage.
std::string percent_of(double fraction) {
    return std::isfinite(fraction) ? fmt::format("{:.2f}%", 100 * fraction) : "-";
}

std::string percent_of(const std::optional<double>& fraction) {
    return fraction ? percent_of(*fraction) : "-";
}

std::string ratio(const std::optional<double>& v) {
    return v && std::isfinite(*v) ? fmt::format("{:.2f}", *v) : "-";
}

/// Prices and sizes in tables: enough digits for crypto prices, no float noise.
std::string quantity(double v) {
    return std::isfinite(v) ? fmt::format("{:.10g}", v) : "-";
}

std::string human_duration(std::int64_t ns) {
    const std::int64_t s = ns / kNanosPerSecond;
    const std::int64_t days = s / 86400;
    const std::int64_t hours = s % 86400 / 3600;
    const std::int64_t minutes = s % 3600 / 60;
    if (days > 0) {
        return hours > 0 ? fmt::format("{}d {}h", days, hours) : fmt::format("{}d", days);
    }
    if (hours > 0) {
        return minutes > 0 ? fmt::format("{}h {}m", hours, minutes) : fmt::format("{}h", hours);
    }
    return minutes > 0 ? fmt::format("{}m", minutes) : fmt::format("{}s", s);
}

struct MetricRow {
    std::string label;
    std::string value;
};

std::vector<MetricRow> metric_rows(const BacktestResult& result) {
    const Metrics& m = result.metrics;
    return {
        {"Start value", money(m.start_value)},
        {"Final value", money(m.final_value)},
        {"Final cash", money(result.final_cash)},
        {"Total return", percent_of(m.total_return)},
        {"Annual return", percent_of(m.annual_return)},
        {"Annual volatility", percent_of(m.annual_volatility)},
        {"Sharpe", ratio(m.sharpe)},
        {"Sortino", ratio(m.sortino)},
        {"Calmar", ratio(m.calmar)},
        {"Max drawdown", fmt::format("{:.2f}%", m.max_drawdown_pct)},
        {"Max drawdown duration", fmt::format("{} bars ({})", count(m.max_drawdown_bars),
                                              human_duration(m.max_drawdown_ns))},
        {"Trades", count(result.trades.size())},
        {"Win rate", percent_of(m.win_rate)},
        {"Profit factor", ratio(m.profit_factor)},
        {"Average win", money(m.avg_win)},
        {"Average loss", money(m.avg_loss)},
        {"Expectancy", money(m.expectancy)},
        {"Best trade", money(m.best_trade)},
        {"Worst trade", money(m.worst_trade)},
        {"Average trade bars", m.avg_trade_bars ? fmt::format("{:.1f}", *m.avg_trade_bars) : "-"},
        {"Exposure", percent_of(m.exposure)},
        {"Turnover", std::isfinite(m.turnover) ? fmt::format("{:.2f}x", m.turnover) : "-"},
        {"Total commission", money(m.total_commission)},
        {"Open positions", count(result.open_trades.size())},
        {"Rejected orders", count(result.rejected_orders)},
        {"Unfilled orders", count(result.unfilled_orders)},
    };
}

std::string symbols_text(const BacktestResult& result) {
    return fmt::format("{}", fmt::join(result.symbols, ", "));
}

std::string period_text(std::span<const std::int64_t> steps) {
    if (steps.empty()) {
        return "no bars";
    }
    return fmt::format("{} to {}", format_human(Timestamp(steps.front())),
                       format_human(Timestamp(steps.back())));
}

/// A CSV field, quoted only when it must be.
std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\n\r") == std::string_view::npos) {
        return std::string(text);
    }
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    out += '"';
    return out;
}

char* put(char* p, double v) {
    return fmt::format_to(p, FMT_COMPILE("{}"), v);
}

char* put(char* p, std::int64_t v) {
    return fmt::format_to(p, FMT_COMPILE("{}"), v);
}

char* put(char* p, std::string_view text) {
    return std::copy(text.begin(), text.end(), p);
}

struct Point {
    std::int64_t t;
    double v;
};

/// The series reduced to the lowest and highest value of each of `buckets` equal time slices
/// of [t0, t1], in time order, so that a one-bar spike keeps its height. `value(i)` is called
/// once per index, in order (so it may carry state); non-finite values are skipped.
template <class Value>
std::vector<Point> decimate(std::span<const std::int64_t> ts, Value&& value, std::int64_t t0,
                            std::int64_t t1, std::size_t buckets) {
    std::vector<Point> out;
    if (ts.size() <= 2 * buckets) {
        out.reserve(ts.size());
        for (std::size_t i = 0; i < ts.size(); ++i) {
            const double v = value(i);
            if (std::isfinite(v)) {
                out.push_back({ts[i], v});
            }
        }
        return out;
    }
    out.reserve(2 * buckets);
    const double scale =
        t1 > t0 ? static_cast<double>(buckets) / static_cast<double>(t1 - t0) : 0.0;
    std::size_t current = buckets;  // none yet
    Point lo{0, 0};
    Point hi{0, 0};
    const auto flush = [&] {
        if (current == buckets) {
            return;
        }
        out.push_back(lo.t <= hi.t ? lo : hi);
        if (lo.t != hi.t) {
            out.push_back(lo.t <= hi.t ? hi : lo);
        }
    };
    for (std::size_t i = 0; i < ts.size(); ++i) {
        const double v = value(i);
        if (!std::isfinite(v)) {
            continue;
        }
        const double offset = static_cast<double>(std::max<std::int64_t>(ts[i] - t0, 0));
        const auto bucket = std::min(buckets - 1, static_cast<std::size_t>(offset * scale));
        if (bucket != current) {
            flush();
            current = bucket;
            lo = hi = Point{ts[i], v};
        } else if (v < lo.v) {
            lo = Point{ts[i], v};
        } else if (v > hi.v) {
            hi = Point{ts[i], v};
        }
    }
    flush();
    return out;
}

/// A chart's plot area in SVG units and the time and value ranges it shows.
struct Frame {
    double width = 1000;
    double height = 240;
    double left = 78;
    double right = 985;
    double top = 14;
    double bottom = 212;
    std::int64_t t0 = 0;
    std::int64_t t1 = 0;
    double v0 = 0;
    double v1 = 1;

    double x(std::int64_t t) const {
        if (t1 <= t0) {
            return (left + right) / 2;
        }
        return left + (right - left) * (static_cast<double>(t - t0) / static_cast<double>(t1 - t0));
    }
    double y(double v) const {
        if (v1 <= v0) {
            return (top + bottom) / 2;
        }
        return bottom - (bottom - top) * ((v - v0) / (v1 - v0));
    }
};

/// Widens [lo, hi] by a margin so that lines do not touch the frame.
void pad_range(double& lo, double& hi) {
    const double span = hi - lo;
    const double margin = span > 0 ? span * 0.05 : std::max(std::fabs(hi) * 0.01, 1.0);
    lo -= margin;
    hi += margin;
}

/// A round step (1, 2 or 5 times a power of ten) near `raw`.
double nice_step(double raw) {
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / magnitude;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * magnitude;
}

std::string svg_open(const Frame& f, std::string_view unit, int digits) {
    return fmt::format(
        "<svg class=\"chart\" viewBox=\"0 0 {} {}\" data-l=\"{}\" data-r=\"{}\" data-t=\"{}\" "
        "data-b=\"{}\" data-t0=\"{}\" data-t1=\"{}\" data-v0=\"{}\" data-v1=\"{}\" "
        "data-unit=\"{}\" data-digits=\"{}\">\n",
        f.width, f.height, f.left, f.right, f.top, f.bottom,
        static_cast<double>(f.t0) / static_cast<double>(kNanosPerMilli),
        static_cast<double>(f.t1) / static_cast<double>(kNanosPerMilli), f.v0, f.v1, unit, digits);
}

struct Tick {
    std::int64_t t;
    std::string label;
};

/// About six times in [t0, t1] at round intervals: clock steps up to a week, then whole
/// calendar months or years.
std::vector<Tick> time_ticks(std::int64_t t0, std::int64_t t1) {
    constexpr std::int64_t kMinute = 60;
    constexpr std::int64_t kHour = 3600;
    constexpr std::int64_t kDay = 86400;
    constexpr std::array<std::int64_t, 15> kSteps = {
        1,     5,         15,        30,         kMinute, 5 * kMinute, 15 * kMinute, 30 * kMinute,
        kHour, 3 * kHour, 6 * kHour, 12 * kHour, kDay,    2 * kDay,    7 * kDay};
    constexpr std::array<std::int64_t, 9> kMonthSteps = {1, 2, 3, 6, 12, 24, 60, 120, 1200};
    constexpr std::int64_t kMaxTicks = 6;
    std::vector<Tick> ticks;
    const std::int64_t span_s = (t1 - t0) / kNanosPerSecond;
    for (std::int64_t s : kSteps) {
        if (span_s / s > kMaxTicks) {
            continue;
        }
        const std::int64_t step = s * kNanosPerSecond;
        for (std::int64_t t = floor_div(t0 + step - 1, step) * step; t <= t1; t += step) {
            ticks.push_back({t, s < kDay ? format_human(Timestamp(t)) : format_date(Timestamp(t))});
            if (t > std::numeric_limits<std::int64_t>::max() - step) {
                break;
            }
        }
        return ticks;
    }
    const double span_months = static_cast<double>(span_s) / (30.436875 * kDay);
    std::int64_t months = kMonthSteps.back();
    for (std::int64_t m : kMonthSteps) {
        if (span_months / static_cast<double>(m) <= kMaxTicks) {
            months = m;
            break;
        }
    }
    const CivilTime start = to_civil(Timestamp(t0));
    // Months since year 0 (timestamps start in 1677, so this is positive), rounded up to a step.
    const std::int64_t first =
        (start.year * std::int64_t{12} + start.month - 1 + months - 1) / months * months;
    for (std::int64_t m = first;; m += months) {
        const auto day =
            days_from_date(static_cast<int>(m / 12), static_cast<unsigned>(m % 12 + 1), 1);
        if (!day || *day > std::numeric_limits<std::int64_t>::max() / kNanosPerDay) {
            break;
        }
        const std::int64_t t = *day * kNanosPerDay;
        if (t > t1) {
            break;
        }
        if (t >= t0) {
            ticks.push_back({t, months < 12 ? fmt::format("{:04}-{:02}", m / 12, m % 12 + 1)
                                            : fmt::format("{:04}", m / 12)});
        }
    }
    return ticks;
}

/// Grid lines with value labels (about five, at round numbers) and time labels.
void axes(std::string& svg, const Frame& f, std::string_view unit) {
    svg += "<g class=\"grid\">";
    std::string labels = "<g class=\"ylab\">";
    if (f.v1 > f.v0) {
        const double step = nice_step((f.v1 - f.v0) / 5);
        const int decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step))), 0, 10);
        const double first = std::ceil(f.v0 / step);
        // Counted, not stepped by `step`: near 1e17 adding 1 to a double changes nothing.
        for (int k = 0; k <= 10 && (first + k) * step <= f.v1; ++k) {
            const double y = f.y((first + k) * step);
            fmt::format_to(std::back_inserter(svg),
                           "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>", f.left,
                           f.right, y, y);
            fmt::format_to(std::back_inserter(labels), "<text x=\"{}\" y=\"{:.1f}\">{}{}</text>",
                           f.left - 6, y + 4, grouped((first + k) * step, decimals), unit);
        }
    }
    labels += "</g><g class=\"xlab\">";
    for (const Tick& tick : time_ticks(f.t0, f.t1)) {
        const double x = f.x(tick.t);
        fmt::format_to(std::back_inserter(svg),
                       "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" y2=\"{}\"/>", x, x, f.top,
                       f.bottom);
        // A label centred on a line near the right edge would be cut off.
        const bool at_edge = x + 3.5 * static_cast<double>(tick.label.size()) > f.width;
        fmt::format_to(std::back_inserter(labels), "<text x=\"{:.1f}\" y=\"{}\"{}>{}</text>", x,
                       f.bottom + 17, at_edge ? " class=\"end\"" : "", tick.label);
    }
    svg += "</g>";
    svg += labels;
    svg += "</g>\n";
}

std::string polyline_points(const Frame& f, std::span<const Point> points) {
    std::string out;
    out.reserve(points.size() * 16);
    for (const Point& p : points) {
        fmt::format_to(std::back_inserter(out), "{:.2f},{:.2f} ", f.x(p.t), f.y(p.v));
    }
    if (!out.empty()) {
        out.pop_back();
    }
    return out;
}

/// The crosshair and readout that the page's script moves with the mouse.
void hover_layer(std::string& svg, const Frame& f) {
    fmt::format_to(std::back_inserter(svg),
                   "<g class=\"hover\" style=\"display:none\"><line y1=\"{}\" y2=\"{}\"/>"
                   "<circle r=\"3.5\"/><text y=\"{}\"></text></g>\n",
                   f.top, f.bottom, f.top + 12);
}

void value_range(std::span<const Point> points, double& lo, double& hi) {
    for (const Point& p : points) {
        lo = std::min(lo, p.v);
        hi = std::max(hi, p.v);
    }
}

struct Marked {
    std::int64_t entry_ns;
    double entry_price;
    Side side;
    std::optional<Point> exit;  // none for the open trade
    double net_pnl;
    double size;
};

std::string price_chart(const ReportContext& report, std::size_t symbol,
                        std::span<const std::int64_t> steps, std::string& note) {
    const BacktestResult& result = result_of(report);
    const BarSeriesView& bars = report.symbols[symbol].bars;
    // Entries are marked at the price of the fill that opened them: a trade that was added to
    // later (rebalancing) has an average entry price that the price never was at that time.
    std::unordered_map<std::size_t, double> opening_fill;
    for (const Fill& fill : result.fills) {
        if (fill.symbol == symbol) {
            opening_fill.try_emplace(fill.bar, fill.price);
        }
    }
    const auto entry_mark = [&](std::size_t bar, double entry_price) {
        const auto it = opening_fill.find(bar);
        return it == opening_fill.end() ? entry_price : it->second;
    };
    std::vector<Marked> trades;
    for (const Trade& t : result.trades) {
        if (t.symbol == symbol) {
            trades.push_back({t.entry_ns, entry_mark(t.entry_bar, t.entry_price), t.side,
                              Point{t.exit_ns, t.exit_price}, t.net_pnl, t.size});
        }
    }
    for (const OpenTrade& t : result.open_trades) {
        if (t.symbol == symbol) {
            trades.push_back({t.entry_ns, entry_mark(t.entry_bar, t.entry_price), t.side,
                              std::nullopt, t.unrealized_pnl - t.entry_commission, t.size});
        }
    }
    // Beyond this many trades the markers would hide the price and bloat the page.
    const std::size_t stride =
        std::max<std::size_t>(1, (trades.size() + kMaxMarkedTrades - 1) / kMaxMarkedTrades);
    if (stride > 1) {
        note = fmt::format("Markers for one in {} of the {} trades.", stride, count(trades.size()));
    }

    Frame f;
    f.height = 280;
    f.bottom = 252;
    f.t0 = steps.empty() ? 0 : steps.front();
    f.t1 = steps.empty() ? 0 : steps.back();
    const auto closes = bars.close();
    const auto points = decimate(
        bars.ts(), [&](std::size_t i) { return closes[i]; }, f.t0, f.t1, kChartBuckets);
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    value_range(points, lo, hi);
    for (std::size_t i = 0; i < trades.size(); i += stride) {
        lo = std::min(lo, trades[i].entry_price);
        hi = std::max(hi, trades[i].entry_price);
        if (trades[i].exit) {
            lo = std::min(lo, trades[i].exit->v);
            hi = std::max(hi, trades[i].exit->v);
        }
    }
    if (!(lo <= hi) || !std::isfinite(lo) || !std::isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    pad_range(lo, hi);
    f.v0 = lo;
    f.v1 = hi;

    std::string svg = svg_open(f, "", 6);
    axes(svg, f, "");
    svg += "<polyline class=\"line price\" points=\"";
    svg += polyline_points(f, points);
    svg += "\"/>\n<g class=\"marks\">";
    const std::string name = escape_markup(symbol_name(result, static_cast<std::uint32_t>(symbol)));
    for (std::size_t i = 0; i < trades.size(); i += stride) {
        const Marked& t = trades[i];
        const double x = f.x(t.entry_ns);
        const double y = f.y(t.entry_price);
        const bool is_long = t.side == Side::Long;
        // The triangle's tip sits on the fill price: below it for a long, above for a short.
        fmt::format_to(std::back_inserter(svg),
                       "<path class=\"{}\" d=\"M{:.1f} {:.1f}l-5 {}h10z\"><title>{} {} {} {} @ {}"
                       "</title></path>",
                       is_long ? "long" : "short", x, y, is_long ? 9 : -9, name,
                       is_long ? "buy" : "sell short", quantity(t.size),
                       format_human(Timestamp(t.entry_ns)), quantity(t.entry_price));
        if (t.exit) {
            fmt::format_to(
                std::back_inserter(svg),
                "<circle class=\"{}\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\"><title>{} exit "
                "{} @ {}, net {}</title></circle>",
                t.net_pnl > 0   ? "win"
                : t.net_pnl < 0 ? "loss"
                                : "even",
                f.x(t.exit->t), f.y(t.exit->v), name, format_human(Timestamp(t.exit->t)),
                quantity(t.exit->v), money(t.net_pnl));
        }
    }
    svg += "</g>\n";
    hover_layer(svg, f);
    svg += "</svg>\n";
    return svg;
}

std::string equity_chart(const BacktestResult& result, std::span<const std::int64_t> steps) {
    Frame f;
    f.t0 = steps.front();
    f.t1 = steps.back();
    const auto points = decimate(
        steps, [&](std::size_t i) { return result.equity[i]; }, f.t0, f.t1, kChartBuckets);
    const double start = result.config.cash;
    double lo = std::isfinite(start) ? start : std::numeric_limits<double>::infinity();
    double hi = std::isfinite(start) ? start : -std::numeric_limits<double>::infinity();
    value_range(points, lo, hi);
    if (!std::isfinite(lo) || !std::isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    pad_range(lo, hi);
    f.v0 = lo;
    f.v1 = hi;
    std::string svg = svg_open(f, "", 2);
    axes(svg, f, "");
    if (std::isfinite(start)) {
        fmt::format_to(std::back_inserter(svg),
                       "<line class=\"ref\" x1=\"{}\" x2=\"{}\" y1=\"{:.2f}\" y2=\"{:.2f}\"/>\n",
                       f.left, f.right, f.y(start), f.y(start));
    }
    svg += "<polyline class=\"line equity\" points=\"";
    svg += polyline_points(f, points);
    svg += "\"/>\n";
    hover_layer(svg, f);
    svg += "</svg>\n";
    return svg;
}

/// Percent below the running peak, drawn downwards from zero as a filled area.
std::string drawdown_chart(const BacktestResult& result, std::span<const std::int64_t> steps) {
    Frame f;
    f.height = 180;
    f.bottom = 152;
    f.t0 = steps.front();
    f.t1 = steps.back();
    double peak = -std::numeric_limits<double>::infinity();
    const auto drawdown = [&](std::size_t i) {
        const double e = result.equity[i];
        peak = std::max(peak, e);
        return peak > 0 ? -100 * (peak - e) / peak : 0.0;
    };
    const auto points = decimate(steps, drawdown, f.t0, f.t1, kChartBuckets);
    double lo = 0;
    double hi = 0;
    value_range(points, lo, hi);
    f.v0 = lo < 0 ? lo * 1.05 : -1;
    f.v1 = 0;
    std::string svg = svg_open(f, "%", 2);
    axes(svg, f, "%");
    const std::string line = polyline_points(f, points);
    if (!points.empty()) {
        fmt::format_to(std::back_inserter(svg),
                       "<polygon class=\"area\" points=\"{:.2f},{:.2f} {} {:.2f},{:.2f}\"/>\n",
                       f.x(points.front().t), f.y(0), line, f.x(points.back().t), f.y(0));
    }
    svg += "<polyline class=\"line drawdown\" points=\"";
    svg += line;
    svg += "\"/>\n";
    hover_layer(svg, f);
    svg += "</svg>\n";
    return svg;
}

constexpr std::string_view kStyle = R"(<style>
body{margin:0;background:#f6f7f9;color:#1f2430;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:22px;margin:0 0 4px;word-break:break-word}
h2{font-size:16px;margin:28px 0 8px}
.sub{color:#5b6270;margin:0 0 16px}
.card{background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:12px 14px}
.metrics{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:4px 24px;margin:0}
.metrics div{display:flex;justify-content:space-between;border-bottom:1px solid #f0f1f4;padding:3px 0}
.metrics dt{color:#5b6270}.metrics dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
svg.chart{display:block;width:100%;height:auto;font-size:11px}
.grid line{stroke:#eceef2;stroke-width:1}
.ylab text{fill:#6b7280;text-anchor:end}.xlab text{fill:#6b7280;text-anchor:middle}.xlab text.end{text-anchor:end}
.line{fill:none;stroke-width:1.3;stroke-linejoin:round}
.price{stroke:#3b5b92}.equity{stroke:#2f7d4f}.drawdown{stroke:#c0392b}
.area{fill:#e74c3c;fill-opacity:.25;stroke:none}
.ref{stroke:#9aa1ad;stroke-dasharray:4 4}
path.long{fill:#1e9e4a}path.short{fill:#d63a2f}
circle.win,circle.loss,circle.even{fill:#fff;stroke-width:2}
circle.win{stroke:#1e9e4a}circle.loss{stroke:#d63a2f}circle.even{stroke:#8a919c}
.hover line{stroke:#444;stroke-dasharray:3 3;pointer-events:none}
.hover circle{fill:#1f2430;pointer-events:none}
.hover text{fill:#1f2430;font-weight:600;pointer-events:none;paint-order:stroke;stroke:#fff;stroke-width:3px}
.note{color:#5b6270;font-size:13px;margin:6px 0 0}
table.trades{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
.trades th,.trades td{padding:4px 8px;border-bottom:1px solid #eceef2;text-align:right;white-space:nowrap}
.trades th{background:#f0f2f5;position:sticky;top:0}
.trades td.l,.trades th.l{text-align:left}
.pos{color:#1e7a3d}.neg{color:#c0392b}
.scroll{max-height:640px;overflow:auto}
</style>
)";

// Moves each chart's crosshair to the plotted point nearest the mouse and reads its time and
// value back from the chart's ranges.
constexpr std::string_view kScript = R"(<script>
(function(){
function day(ms){return new Date(ms).toISOString().slice(0,16).replace('T',' ');}
document.querySelectorAll('svg.chart').forEach(function(svg){
var d=svg.dataset,line=svg.querySelector('.line'),hov=svg.querySelector('.hover');
if(!line||!hov)return;
var raw=line.getAttribute('points').trim();if(!raw)return;
var pts=raw.split(/\s+/).map(function(p){var a=p.split(',');return[+a[0],+a[1]];});
var l=+d.l,r=+d.r,t=+d.t,b=+d.b,t0=+d.t0,t1=+d.t1,v0=+d.v0,v1=+d.v1;
var vl=hov.querySelector('line'),dot=hov.querySelector('circle'),tx=hov.querySelector('text');
svg.addEventListener('mousemove',function(e){
var m=svg.getScreenCTM();if(!m)return;
var x=(e.clientX-m.e)/m.a,lo=0,hi=pts.length-1;
while(lo<hi){var mid=(lo+hi)>>1;if(pts[mid][0]<x)lo=mid+1;else hi=mid;}
if(lo>0&&x-pts[lo-1][0]<pts[lo][0]-x)lo--;
var p=pts[lo],ms=r>l?t0+(p[0]-l)/(r-l)*(t1-t0):t0,v=b>t?v1-(p[1]-t)/(b-t)*(v1-v0):v0;
vl.setAttribute('x1',p[0]);vl.setAttribute('x2',p[0]);
dot.setAttribute('cx',p[0]);dot.setAttribute('cy',p[1]);
tx.textContent=day(ms)+'  '+v.toLocaleString('en-US',{maximumFractionDigits:+d.digits})+d.unit;
var flip=p[0]>(l+r)/2;tx.setAttribute('x',flip?p[0]-8:p[0]+8);
tx.setAttribute('text-anchor',flip?'end':'start');hov.style.display='';
});
svg.addEventListener('mouseleave',function(){hov.style.display='none';});
});
})();
</script>
)";

std::string pnl_cell(double v) {
    return fmt::format("<td class=\"{}\">{}</td>", v > 0 ? "pos" : v < 0 ? "neg" : "", money(v));
}

void trade_table(const BacktestResult& result, OutputFile& out) {
    const bool portfolio = is_portfolio(result);
    std::string html = "<div class=\"card scroll\"><table class=\"trades\"><thead><tr><th>#</th>";
    if (portfolio) {
        html += "<th class=\"l\">Symbol</th>";
    }
    html +=
        "<th class=\"l\">Side</th><th class=\"l\">Entry</th><th class=\"l\">Exit</th><th>Size</th>"
        "<th>Entry price</th><th>Exit price</th><th>Gross P&amp;L</th><th>Commission</th>"
        "<th>Net P&amp;L</th><th class=\"l\">Exit type</th></tr></thead><tbody>\n";
    const std::size_t shown = std::min(result.trades.size(), kMaxListedTrades);
    for (std::size_t i = 0; i < shown; ++i) {
        const Trade& t = result.trades[i];
        fmt::format_to(std::back_inserter(html), "<tr><td>{}</td>", i + 1);
        if (portfolio) {
            fmt::format_to(std::back_inserter(html), "<td class=\"l\">{}</td>",
                           escape_markup(symbol_name(result, t.symbol)));
        }
        fmt::format_to(
            std::back_inserter(html),
            "<td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td>{}<td class=\"l\">{}</td></tr>\n",
            to_string(t.side), format_human(Timestamp(t.entry_ns)),
            format_human(Timestamp(t.exit_ns)), quantity(t.size), quantity(t.entry_price),
            quantity(t.exit_price), pnl_cell(t.gross_pnl), money(t.commission), pnl_cell(t.net_pnl),
            exit_type_name(t.exit_role));
    }
    html += "</tbody></table></div>\n";
    if (result.trades.empty()) {
        html += "<p class=\"note\">No closed trades.</p>\n";
    } else if (shown < result.trades.size()) {
        html += fmt::format(
            "<p class=\"note\">Showing the first {} of {} trades; the trades CSV has them "
            "all.</p>\n",
            count(shown), count(result.trades.size()));
    }
    out.write(html);
}

void open_table(const BacktestResult& result, OutputFile& out) {
    std::string html =
        "<h2>Open positions</h2><div class=\"card\"><table class=\"trades\"><thead><tr>"
        "<th class=\"l\">Symbol</th><th class=\"l\">Side</th><th class=\"l\">Entry</th>"
        "<th>Size</th><th>Entry price</th><th>Last price</th><th>Entry commission</th>"
        "<th>Unrealized P&amp;L</th></tr></thead><tbody>\n";
    for (const OpenTrade& t : result.open_trades) {
        fmt::format_to(std::back_inserter(html),
                       "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td>"
                       "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>\n",
                       escape_markup(symbol_name(result, t.symbol)), to_string(t.side),
                       format_human(Timestamp(t.entry_ns)), quantity(t.size),
                       quantity(t.entry_price), quantity(t.last_price), money(t.entry_commission),
                       pnl_cell(t.unrealized_pnl));
    }
    html += "</tbody></table></div>\n";
    out.write(html);
}

}  // namespace

std::string summary_json(const ReportContext& report, int indent) {
    const BacktestResult& result = result_of(report);
    const Metrics& m = result.metrics;
    const auto steps = timeline(result, report.symbols);
    const bool portfolio = is_portfolio(result);

    Json j;
    j["strategy"] = report.strategy;
    j["engine"] = report.engine;
    j["symbols"] = result.symbols;
    j["start"] = steps.empty() ? Json(nullptr) : Json(format_iso(Timestamp(steps.front())));
    j["end"] = steps.empty() ? Json(nullptr) : Json(format_iso(Timestamp(steps.back())));
    j["bars"] = m.bars;
    j["days"] = m.days;
    j["start_value"] = number(m.start_value);
    j["final_value"] = number(m.final_value);
    j["final_cash"] = number(result.final_cash);
    if (portfolio) {
        Json positions = Json::object();
        for (std::size_t s = 0; s < result.symbols.size(); ++s) {
            positions[result.symbols[s]] = number(final_position(result, s));
        }
        j["final_position"] = std::move(positions);
    } else {
        j["final_position"] = number(final_position(result, 0));
    }
    j["n_trades"] = result.trades.size();
    if (portfolio) {
        Json open = Json::array();
        for (const OpenTrade& t : result.open_trades) {
            open.push_back(open_trade_json(result, t));
        }
        j["open_trade"] = std::move(open);
    } else {
        j["open_trade"] = result.open_trades.empty()
                              ? Json(nullptr)
                              : open_trade_json(result, result.open_trades.front());
    }
    j["total_commission"] = number(m.total_commission);
    j["total_return"] = number(m.total_return);
    j["annual_return"] = number(m.annual_return);
    j["annual_volatility"] = number(m.annual_volatility);
    j["sharpe"] = number(m.sharpe);
    j["sortino"] = number(m.sortino);
    j["calmar"] = number(m.calmar);
    j["max_drawdown_pct"] = number(m.max_drawdown_pct);
    j["max_drawdown_bars"] = m.max_drawdown_bars;
    j["max_drawdown_duration_s"] = duration_seconds(m.max_drawdown_ns);
    j["win_rate"] = number(m.win_rate);
    j["profit_factor"] = number(m.profit_factor);
    j["wins"] = m.wins;
    j["losses"] = m.losses;
    j["avg_win"] = number(m.avg_win);
    j["avg_loss"] = number(m.avg_loss);
    j["expectancy"] = number(m.expectancy);
    j["best_trade"] = number(m.best_trade);
    j["worst_trade"] = number(m.worst_trade);
    j["avg_trade_bars"] = number(m.avg_trade_bars);
    j["exposure"] = number(m.exposure);
    j["turnover"] = number(m.turnover);
    j["rejected_orders"] = result.rejected_orders;
    j["unfilled_orders"] = result.unfilled_orders;
    j["config"] = config_json(result.config);
    if (portfolio) {
        j["per_symbol"] = per_symbol_json(result);
    }
    // Strategy text comes from users: bad UTF-8 is replaced rather than thrown on.
    return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

void write_trades_csv(const ReportContext& report, OutputFile& out) {
    const BacktestResult& result = result_of(report);
    const bool portfolio = is_portfolio(result);
    out.write(portfolio ? "entry_time,exit_time,side,size,entry_price,exit_price,gross_pnl,"
                          "commission,net_pnl,exit_type,symbol\n"
                        : "entry_time,exit_time,side,size,entry_price,exit_price,gross_pnl,"
                          "commission,net_pnl,exit_type\n");
    std::vector<std::string> names;
    for (const std::string& name : result.symbols) {
        names.push_back(csv_field(name));
    }
    for (const Trade& t : result.trades) {
        char* p = out.reserve(16 * kNumberBytes);
        p = put(p, unix_seconds(t.entry_ns));
        *p++ = ',';
        p = put(p, unix_seconds(t.exit_ns));
        *p++ = ',';
        p = put(p, to_string(t.side));
        for (double v :
             {t.size, t.entry_price, t.exit_price, t.gross_pnl, t.commission, t.net_pnl}) {
            *p++ = ',';
            p = put(p, v);
        }
        *p++ = ',';
        p = put(p, exit_type_name(t.exit_role));
        if (portfolio) {
            // Names can be long: written apart from the row's bounded part.
            *p++ = ',';
            out.advance(p);
            out.write(t.symbol < names.size() ? std::string_view(names[t.symbol])
                                              : std::string_view());
            p = out.reserve(1);
        }
        *p++ = '\n';
        out.advance(p);
    }
}

void write_equity_csv(const ReportContext& report, OutputFile& out) {
    const BacktestResult& result = result_of(report);
    const auto steps = steps_of(report);
    const bool portfolio = is_portfolio(result);
    std::string header = "timestamp,value,cash";
    if (portfolio) {
        for (const std::string& name : result.symbols) {
            header += ',';
            header += csv_field("position_" + name);
        }
    } else {
        header += ",position";
    }
    header += '\n';
    out.write(header);

    // Each fill records the account after it, so the state at the end of a step is that of its
    // step's last fill, or of the step before.
    std::vector<double> positions(std::max<std::size_t>(result.symbols.size(), 1), 0.0);
    double cash = result.config.cash;
    std::size_t next_fill = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        for (; next_fill < result.fills.size() && result.fills[next_fill].step <= i; ++next_fill) {
            const Fill& fill = result.fills[next_fill];
            cash = fill.cash_after;
            if (fill.symbol < positions.size()) {
                positions[fill.symbol] = fill.position_after;
            }
        }
        char* p = out.reserve(4 * kNumberBytes);
        p = put(p, unix_seconds(steps[i]));
        *p++ = ',';
        p = put(p, result.equity[i]);
        *p++ = ',';
        p = put(p, cash);
        out.advance(p);
        for (double position : positions) {
            p = out.reserve(kNumberBytes + 1);
            *p++ = ',';
            out.advance(put(p, position));
        }
        p = out.reserve(1);
        *p++ = '\n';
        out.advance(p);
    }
}

void write_html_report(const ReportContext& report, OutputFile& out) {
    const BacktestResult& result = result_of(report);
    const auto steps = steps_of(report);
    const std::string strategy = escape_markup(report.strategy);
    const std::string symbols = escape_markup(symbols_text(result));
    const std::string period = period_text(steps);

    std::string head = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
        "<title>{} on {} - TradPal backtest</title>\n",
        strategy, symbols);
    head += kStyle;
    fmt::format_to(std::back_inserter(head),
                   "</head>\n<body>\n<main>\n<h1>{}</h1>\n<p class=\"sub\">{} &middot; {} &middot; "
                   "{} bars{}</p>\n",
                   strategy, symbols, escape_markup(period), count(steps.size()),
                   report.engine.empty()
                       ? std::string()
                       : fmt::format(" &middot; {} engine", escape_markup(report.engine)));
    head += "<h2>Metrics</h2>\n<div class=\"card\"><dl class=\"metrics\">\n";
    for (const MetricRow& row : metric_rows(result)) {
        fmt::format_to(std::back_inserter(head), "<div><dt>{}</dt><dd>{}</dd></div>\n", row.label,
                       escape_markup(row.value));
    }
    head += "</dl></div>\n";
    out.write(head);

    if (steps.empty()) {
        out.write("<p class=\"note\">The run has no bars: nothing to chart.</p>\n");
    } else {
        const std::size_t charts = std::min(report.symbols.size(), kMaxPriceCharts);
        for (std::size_t s = 0; s < charts; ++s) {
            std::string note;
            const std::string svg = price_chart(report, s, steps, note);
            out.write(
                fmt::format("<h2>Price: {}</h2>\n<div class=\"card\">\n",
                            escape_markup(symbol_name(result, static_cast<std::uint32_t>(s)))));
            out.write(svg);
            if (!note.empty()) {
                out.write(fmt::format("<p class=\"note\">{}</p>\n", note));
            }
            out.write("</div>\n");
        }
        if (report.symbols.size() > charts) {
            out.write(
                fmt::format("<p class=\"note\">Price charts for the first {} of {} symbols.</p>\n",
                            charts, report.symbols.size()));
        }
        out.write("<h2>Equity</h2>\n<div class=\"card\">\n");
        out.write(equity_chart(result, steps));
        out.write("</div>\n<h2>Drawdown</h2>\n<div class=\"card\">\n");
        out.write(drawdown_chart(result, steps));
        out.write("</div>\n");
    }

    if (!result.open_trades.empty()) {
        open_table(result, out);
    }
    out.write("<h2>Trades</h2>\n");
    trade_table(result, out);
    out.write("</main>\n");
    out.write(kScript);
    out.write("</body>\n</html>\n");
}

std::string summary_table(const ReportContext& report) {
    const BacktestResult& result = result_of(report);
    const auto steps = timeline(result, report.symbols);
    const std::vector<MetricRow> header = {
        {"Strategy", report.strategy},
        {"Engine", report.engine.empty() ? "-" : report.engine},
        {"Symbols", symbols_text(result)},
        {"Period", period_text(steps)},
        {"Bars", fmt::format("{} ({} day{})", count(result.metrics.bars),
                             count(result.metrics.days), result.metrics.days == 1 ? "" : "s")},
    };
    const std::vector<MetricRow> rows = metric_rows(result);
    std::size_t label_width = 0;
    std::size_t value_width = 0;
    for (const auto* list : {&header, &rows}) {
        for (const MetricRow& row : *list) {
            label_width = std::max(label_width, row.label.size());
        }
    }
    for (const MetricRow& row : rows) {
        value_width = std::max(value_width, row.value.size());
    }
    std::string out;
    for (const MetricRow& row : header) {
        fmt::format_to(std::back_inserter(out), "{:<{}}  {}\n", row.label, label_width, row.value);
    }
    out += '\n';
    // Numbers line up on their right edge.
    for (const MetricRow& row : rows) {
        fmt::format_to(std::back_inserter(out), "{:<{}}  {:>{}}\n", row.label, label_width,
                       row.value, value_width);
    }
    return out;
}

}  // namespace tradpal::backtest

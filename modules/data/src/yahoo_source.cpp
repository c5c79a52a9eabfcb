// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <tradpal/data/api_formats.hpp>
#include <tradpal/data/sources.hpp>

#include "web_source.hpp"

namespace tradpal::data {
namespace {

constexpr std::int64_t kDayNs = kNanosPerDay;
// Yahoo's cut-off moves while pages are fetched and its clock may run ahead of `now`: stay this
// far inside it so the oldest request is not refused.
constexpr std::int64_t kRetentionMarginNs = kNanosPerHour;

// What Yahoo accepts for one interval: the longest range per request and how far back it keeps
// bars (0: no limit).
struct YahooLimits {
    std::int64_t max_span_ns = 0;
    std::int64_t retention_ns = 0;
};

YahooLimits limits_of(std::string_view interval) {
    if (interval == "1m") {
        return {7 * kDayNs, 30 * kDayNs};
    }
    if (interval == "60m") {
        return {730 * kDayNs, 730 * kDayNs};
    }
    if (interval.ends_with('m') && !interval.ends_with("mo")) {
        return {60 * kDayNs, 60 * kDayNs};
    }
    return {};
}

// "split 4:1 on 2020-08-31, 2 dividends": Yahoo's closes are split-adjusted but not
// dividend-adjusted, which matters to anyone comparing them with other sources.
std::string events_note(const std::vector<YahooEvent>& events) {
    std::vector<std::string> splits;
    std::size_t dividends = 0;
    for (const auto& event : events) {
        if (event.kind == YahooEvent::Kind::Split) {
            splits.push_back(fmt::format("split {}:{} on {}", event.numerator, event.denominator,
                                         format_date(event.ts)));
        } else {
            ++dividends;
        }
    }
    std::string note;
    if (!splits.empty()) {
        note = fmt::format("Yahoo prices are adjusted for the {} in the range",
                           fmt::join(splits, ", "));
    }
    if (dividends > 0) {
        note += fmt::format("{}Yahoo prices are not adjusted for the {} dividend(s) in the range",
                            note.empty() ? "" : "; ", dividends);
    }
    return note;
}

class YahooSource final : public Source {
public:
    explicit YahooSource(WebSourceOptions options) : options_(std::move(options)) {
        if (!options_.client) {
            options_.client = std::make_shared<HttpClient>();
        }
    }

    std::string_view name() const override { return "yahoo"; }

    bool is_remote() const override { return true; }

    bool supports(std::string_view symbol, const Timeframe& timeframe) const override {
        const auto interval = yahoo_interval(timeframe);
        // 5d and 3mo bars start where Yahoo chooses, not on TradPal's bucket boundaries.
        return !symbol.empty() && interval && *interval != "5d" && *interval != "3mo";
    }

    Result<FetchResult> fetch(const FetchRequest& request, const FetchProgress& progress) override {
        const auto interval = yahoo_interval(request.timeframe);
        if (!interval) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("yahoo {}: no Yahoo interval for timeframe {}", request.symbol,
                                    request.timeframe.to_string()));
        }
        detail::PageCollector collector(request);
        const YahooLimits limits = limits_of(*interval);
        // Whole seconds, so that no request is a second longer than Yahoo allows.
        Timestamp from = Timestamp::from_seconds(detail::ceil_seconds(request.start));
        // Bars opening after `now` do not exist yet: no requests for them.
        const Timestamp until = std::min(request.end, request.now);
        if (limits.retention_ns > 0) {
            const Timestamp oldest = Timestamp::from_seconds(detail::ceil_seconds(
                Timestamp(request.now.ns() - limits.retention_ns + kRetentionMarginNs)));
            if (from < oldest) {
                from = oldest;
                collector.add_note(
                    fmt::format("Yahoo keeps {} bars for {} days only; bars before {} are not "
                                "available from it",
                                *interval, limits.retention_ns / kDayNs, format_iso(oldest)));
            }
        }
        const std::string path = "/v8/finance/chart/" + url_encode(yahoo_symbol(request.symbol));
        std::vector<YahooEvent> events;
        while (from < until) {
            const Timestamp to =
                limits.max_span_ns > 0 && until.ns() - from.ns() > limits.max_span_ns
                    ? Timestamp(from.ns() + limits.max_span_ns)
                    : until;
            const std::string url =
                detail::make_url(options_.base_url, path,
                                 {{"period1", std::to_string(from.seconds())},
                                  {"period2", std::to_string(detail::ceil_seconds(to))},
                                  {"interval", *interval},
                                  {"events", "div|split"},
                                  {"includePrePost", "false"}});
            auto chart = get_chart(collector, url, request.symbol);
            if (!chart) {
                return chart.error();
            }
            collector.add(chart->bars);
            collector.result().null_rows += chart->null_rows;
            for (const auto& event : chart->events) {
                if (event.ts >= request.start && event.ts < request.end) {
                    events.push_back(event);
                }
            }
            collector.report(progress, to);
            from = to;
        }
        // Neighbouring requests share their bound, so an event there comes twice.
        auto same = [](const YahooEvent& a, const YahooEvent& b) {
            return a.ts == b.ts && a.kind == b.kind;
        };
        events.erase(std::unique(events.begin(), events.end(), same), events.end());
        const std::string note = events_note(events);
        if (!note.empty()) {
            collector.add_note(note);
        }
        return std::move(collector.result());
    }

private:
    Result<YahooChart> get_chart(detail::PageCollector& collector, const std::string& url,
                                 std::string_view symbol) {
        auto response = collector.get(*options_.client, url);
        if (!response) {
            return detail::source_error("yahoo", symbol, response.error());
        }
        if (!detail::is_success(*response)) {
            return detail::http_error("yahoo", symbol, *response, parse_yahoo_chart);
        }
        auto chart = parse_yahoo_chart(response->body);
        if (!chart) {
            return detail::source_error("yahoo", symbol, chart.error());
        }
        return chart;
    }

    WebSourceOptions options_;
};

}  // namespace

std::unique_ptr<Source> make_yahoo_source(WebSourceOptions options) {
    return std::make_unique<YahooSource>(std::move(options));
}

}  // namespace tradpal::data

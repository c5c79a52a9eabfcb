// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <tradpal/data/api_formats.hpp>
#include <tradpal/data/sources.hpp>

#include "web_source.hpp"

namespace tradpal::data {
namespace {

class KrakenSource final : public Source {
public:
    explicit KrakenSource(WebSourceOptions options) : options_(std::move(options)) {
        if (!options_.client) {
            options_.client = std::make_shared<HttpClient>();
        }
    }

    std::string_view name() const override { return "kraken"; }

    bool is_remote() const override { return true; }

    bool supports(std::string_view symbol, const Timeframe& timeframe) const override {
        return kraken_pair(symbol) && kraken_interval(timeframe);
    }

    Result<FetchResult> fetch(const FetchRequest& request, const FetchProgress& progress) override {
        const auto pair = kraken_pair(request.symbol);
        const auto interval = kraken_interval(request.timeframe);
        if (!pair || !interval) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("kraken {}: not a Kraken pair and interval ({})",
                                    request.symbol, request.timeframe.to_string()));
        }
        detail::PageCollector collector(request);
        if (request.start >= request.end) {
            return std::move(collector.result());
        }
        // Kraken answers with bars after `since`, so one second earlier includes the first bar.
        std::int64_t since = request.start.seconds() - 1;
        bool first_page = true;
        while (true) {
            const std::string url = detail::make_url(options_.base_url, "/0/public/OHLC",
                                                     {{"pair", *pair},
                                                      {"interval", std::to_string(*interval)},
                                                      {"since", std::to_string(since)}});
            auto response = collector.get(*options_.client, url);
            if (!response) {
                return detail::source_error("kraken", request.symbol, response.error());
            }
            // Kraken reports its errors with status 200, and anything else is not its API.
            if (!detail::is_success(*response)) {
                return detail::http_error("kraken", request.symbol, *response, parse_kraken_ohlc);
            }
            auto page = parse_kraken_ohlc(response->body);
            if (!page) {
                return detail::source_error("kraken", request.symbol, page.error());
            }
            const auto& ts = page->bars.ts();
            // At least a whole bar missing before the first one: the start is out of reach.
            if (first_page && !ts.empty() &&
                ts.front() - request.start.ns() >= request.timeframe.nominal_ns()) {
                collector.add_note(
                    fmt::format("Kraken serves only the last 720 bars; bars before {} are not "
                                "available from it",
                                format_iso(Timestamp(ts.front()))));
            }
            first_page = false;
            const std::size_t kept = collector.add(page->bars);
            const Timestamp reached = ts.empty() ? request.end : Timestamp(ts.back());
            collector.report(progress, reached);
            if (kept == 0 || reached >= request.end ||
                request.timeframe.next_bucket(reached) > request.now || page->last <= since) {
                break;
            }
            since = page->last;
        }
        return std::move(collector.result());
    }

private:
    WebSourceOptions options_;
};

}  // namespace

std::unique_ptr<Source> make_kraken_source(WebSourceOptions options) {
    return std::make_unique<KrakenSource>(std::move(options));
}

}  // namespace tradpal::data

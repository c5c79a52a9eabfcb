// SPDX-License-Identifier: Apache-2.0
#include <charconv>
#include <thread>

#include <fmt/format.h>

#include <tradpal/data/api_formats.hpp>
#include <tradpal/data/sources.hpp>

#include "web_source.hpp"

namespace tradpal::data {

namespace detail {

std::chrono::milliseconds binance_weight_pause(std::string_view used_weight,
                                               std::chrono::system_clock::time_point now) {
    // Binance allows 6000 per minute; stopping at 5000 leaves room for other clients of the same
    // IP. The margin after the boundary covers clock differences with Binance's.
    constexpr long kSlowDownAbove = 5000;
    constexpr std::chrono::milliseconds kMargin{500};
    long weight = 0;
    const auto [end, ec] =
        std::from_chars(used_weight.data(), used_weight.data() + used_weight.size(), weight);
    if (ec != std::errc{} || end != used_weight.data() + used_weight.size() ||
        weight <= kSlowDownAbove) {
        return std::chrono::milliseconds{0};
    }
    const auto since_epoch =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    const auto into_minute = since_epoch % std::chrono::minutes{1};
    return std::chrono::minutes{1} - into_minute + kMargin;
}

}  // namespace detail

namespace {

constexpr int kPageLimit = 1000;

class BinanceSource final : public Source {
public:
    explicit BinanceSource(WebSourceOptions options) : options_(std::move(options)) {
        if (!options_.client) {
            options_.client = std::make_shared<HttpClient>();
        }
    }

    std::string_view name() const override { return "binance"; }

    bool is_remote() const override { return true; }

    bool supports(std::string_view symbol, const Timeframe& timeframe) const override {
        return binance_symbol(symbol) && binance_interval(timeframe);
    }

    Result<FetchResult> fetch(const FetchRequest& request, const FetchProgress& progress) override {
        const auto symbol = binance_symbol(request.symbol);
        const auto interval = binance_interval(request.timeframe);
        if (!symbol || !interval) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("binance {}: not a Binance symbol and interval ({})",
                                    request.symbol, request.timeframe.to_string()));
        }
        detail::PageCollector collector(request);
        // Binance's bounds are inclusive milliseconds.
        std::int64_t start_ms = detail::ceil_millis(request.start);
        const std::int64_t end_ms = detail::ceil_millis(request.end) - 1;
        while (start_ms <= end_ms) {
            const std::string url = detail::make_url(options_.base_url, "/api/v3/klines",
                                                     {{"symbol", *symbol},
                                                      {"interval", *interval},
                                                      {"startTime", std::to_string(start_ms)},
                                                      {"endTime", std::to_string(end_ms)},
                                                      {"limit", std::to_string(kPageLimit)}});
            auto response = collector.get(*options_.client, url);
            if (!response) {
                return detail::source_error("binance", request.symbol, response.error());
            }
            if (!detail::is_success(*response)) {
                return detail::http_error("binance", request.symbol, *response,
                                          parse_binance_klines);
            }
            auto page = parse_binance_klines(response->body);
            if (!page) {
                return detail::source_error("binance", request.symbol, page.error());
            }
            const std::size_t kept = collector.add(page->bars);
            const auto& ts = page->bars.ts();
            const Timestamp reached = ts.empty() ? request.end : Timestamp(ts.back());
            collector.report(progress, reached);
            if (ts.size() < static_cast<std::size_t>(kPageLimit) || kept == 0 ||
                request.timeframe.next_bucket(reached) > request.now) {
                break;
            }
            const std::int64_t next_ms = ts.back() / kNanosPerMilli + 1;
            if (next_ms <= start_ms) {
                break;  // a page that does not move forward would be asked for forever
            }
            start_ms = next_ms;
            if (start_ms <= end_ms) {
                wait_for_weight(*response);
            }
        }
        return std::move(collector.result());
    }

private:
    static void wait_for_weight(const HttpResponse& response) {
        const auto header = response.headers.find("x-mbx-used-weight-1m");
        if (header == response.headers.end()) {
            return;
        }
        const auto pause =
            detail::binance_weight_pause(header->second, std::chrono::system_clock::now());
        if (pause.count() > 0) {
            std::this_thread::sleep_for(pause);
        }
    }

    WebSourceOptions options_;
};

}  // namespace

std::unique_ptr<Source> make_binance_source(WebSourceOptions options) {
    return std::make_unique<BinanceSource>(std::move(options));
}

}  // namespace tradpal::data

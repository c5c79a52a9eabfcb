// SPDX-License-Identifier: Apache-2.0
// tradpal fetch: bars of many symbols from the data sources (fallback chain), incrementally into
// the store, several symbols at once within each host's rate limit.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <tradpal/core/text.hpp>
#include <tradpal/data/fetch.hpp>

#include "context.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

using nlohmann::json;

constexpr std::int64_t kDefaultDaysBack = 30;
constexpr int kDefaultWorkers = 4;

struct FetchArgs {
    std::string symbols;
    std::string timeframe = "1h";
    std::string start_date;
    std::string end_date;
    std::string data_source = "auto";
};

// One symbol's outcome: the update, or why it failed.
struct SymbolOutcome {
    std::string symbol;
    std::optional<data::UpdateReport> report;
    Error error;
};

// The fallback order for `fetch`: the configured one without "store", which is where the bars
// go, not where they come from; or the one pinned source.
std::string fetch_order(const std::string& data_source, const DataSettings& settings) {
    if (data_source != "auto") {
        return data_source;
    }
    std::string order;
    for (const std::string& name : split_list(settings.fallback)) {
        if (name != "store") {
            order += (order.empty() ? "" : ",") + name;
        }
    }
    return order;
}

json steps_json(const std::vector<data::ChainStep>& steps) {
    json out = json::array();
    for (const data::ChainStep& step : steps) {
        out.push_back({{"source", step.source},
                       {"outcome", std::string(data::to_string(step.outcome))},
                       {"reason", step.reason}});
    }
    return out;
}

json outcome_json(const SymbolOutcome& o) {
    if (!o.report) {
        return {{"symbol", o.symbol},
                {"ok", false},
                {"error",
                 {{"code", std::string(to_string(o.error.code))}, {"message", o.error.message}}}};
    }
    const data::UpdateReport& r = *o.report;
    return {{"symbol", o.symbol},
            {"ok", true},
            {"source", r.chain.source},
            {"from_cache", r.chain.from_cache},
            {"stale", r.chain.stale},
            {"series", r.key.to_string()},
            {"bars_added", r.bars_added},
            {"already_stored", r.already_stored},
            {"partial_dropped", r.chain.result.partial},
            {"requests", r.chain.result.requests},
            {"gaps", r.validation.count(data::Issue::Gap)},
            {"missing_bars", r.validation.missing_bars},
            {"rows", r.meta.rows},
            {"last", r.meta.rows > 0 ? format_iso(r.meta.last) : ""},
            {"note", r.chain.result.note},
            {"steps", steps_json(r.chain.steps)}};
}

void print_table(const std::vector<SymbolOutcome>& outcomes) {
    Table table(
        {"SYMBOL", "SOURCE", "BARS ADDED", "ALREADY STORED", "GAPS", "STORED", "LAST BAR", "NOTE"});
    for (const SymbolOutcome& o : outcomes) {
        if (!o.report) {
            // The first line; the sources' reasons follow the table in the error message.
            std::string_view first_line = o.error.message;
            first_line = first_line.substr(0, first_line.find('\n'));
            if (first_line.ends_with(':')) {
                first_line.remove_suffix(1);
            }
            table.add_row(
                {o.symbol, "-", "-", "-", "-", "-", "-", fmt::format("failed: {}", first_line)});
            continue;
        }
        const data::UpdateReport& r = *o.report;
        std::string note = r.up_to_date && r.bars_added == 0 ? "up to date" : r.chain.result.note;
        if (r.chain.from_cache) {
            note = (r.chain.stale ? "stale cached answer" : "cached answer") +
                   (note.empty() ? "" : "; " + note);
        }
        table.add_row(
            {o.symbol, r.chain.source, with_commas(r.bars_added), with_commas(r.already_stored),
             r.validation.count(data::Issue::Gap) == 0
                 ? "0"
                 : fmt::format("{} ({} bars)", with_commas(r.validation.count(data::Issue::Gap)),
                               with_commas(r.validation.missing_bars)),
             with_commas(r.meta.rows), r.meta.rows > 0 ? format_iso(r.meta.last) : "-", note});
    }
    table.print(std::cout);
}

int run_fetch(Context& ctx, const FetchArgs& a) {
    const std::vector<std::string> symbols = split_list(a.symbols);
    if (symbols.empty()) {
        throw Exception(ErrorCode::InvalidArgument, "--symbols names no symbol");
    }
    const Timeframe timeframe = Timeframe::parse(a.timeframe).value();
    const auto wall = std::chrono::system_clock::now().time_since_epoch();
    const Timestamp now(std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count());
    // update_series() stops at the bar still forming, so the end stays put within a bar and a
    // repeated fetch asks the same question (with --cache: gets the cached answer).
    const Timestamp end =
        a.end_date.empty() ? now : std::min(now, date_bound(a.end_date, /*end=*/true));
    const Timestamp start = a.start_date.empty()
                                ? Timestamp(now.ns() - kDefaultDaysBack * kNanosPerDay)
                                : date_bound(a.start_date, /*end=*/false);
    if (start >= end) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("--start-date {} is not before the end {}", format_iso(start),
                                    format_iso(end)));
    }

    const DataSettings& settings = ctx.settings.values.data;
    const data::Store store = ctx.store();
    auto client = std::make_shared<data::HttpClient>();
    auto sources =
        data::make_sources(fetch_order(a.data_source, settings), settings, store, client).value();
    if (sources.empty()) {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("no data source to fetch from (order '{}'; kaggle needs "
                                    "[data] kaggle_path)",
                                    fetch_order(a.data_source, settings)));
    }
    data::ChainOptions options;
    options.cache = ctx.use_cache ? &ctx.cache() : nullptr;
    options.ttl_api_seconds = ctx.settings.values.cache.ttl_api;
    options.stale_fallback = a.data_source == "auto";
    data::SourceChain chain(std::move(sources), options);

    const int configured = static_cast<int>(ctx.settings.values.parallel.max_workers);
    const int workers = std::clamp(configured > 0 ? configured : kDefaultWorkers, 1,
                                   static_cast<int>(symbols.size()));
    std::vector<SymbolOutcome> outcomes(symbols.size());
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::mutex report_mutex;
    ProgressBar bar("fetching", "symbols", ctx.show_progress());
    // The symbols in flight and their bars so far, shown after the bar.
    std::map<std::string, std::uint64_t> in_flight;
    const auto in_flight_text = [&in_flight] {
        std::string text;
        for (const auto& [symbol, bars] : in_flight) {
            text += fmt::format("{}{} {}", text.empty() ? "" : ", ", symbol, with_commas(bars));
        }
        return text.empty() ? text : text + " bars";
    };
    bar.update(0, symbols.size());
    const auto work = [&] {
        for (std::size_t i = next++; i < symbols.size(); i = next++) {
            SymbolOutcome& o = outcomes[i];
            o.symbol = symbols[i];
            const auto progress = [&](std::uint64_t bars, Timestamp) {
                const std::lock_guard lock(report_mutex);
                in_flight[o.symbol] = bars;
                bar.update(done, symbols.size(), in_flight_text());
            };
            auto report =
                data::update_series(store, chain, o.symbol, timeframe, start, end, now, progress);
            const std::lock_guard lock(report_mutex);
            in_flight.erase(o.symbol);
            if (report) {
                o.report = std::move(*report);
                spdlog::info("fetch: {}: {} bars added from {}", o.symbol, o.report->bars_added,
                             o.report->chain.source);
            } else {
                o.error = report.error();
                spdlog::warn("fetch: {}: {}", o.symbol, o.error.message);
            }
            bar.update(++done, symbols.size(), in_flight_text());
        }
    };
    std::vector<std::jthread> threads;
    for (int t = 1; t < workers; ++t) {
        threads.emplace_back(work);
    }
    work();
    threads.clear();  // joins

    const data::HttpStats stats = client->stats();
    const auto failed = static_cast<std::size_t>(std::count_if(
        outcomes.begin(), outcomes.end(), [](const SymbolOutcome& o) { return !o.report; }));
    if (ctx.json) {
        json doc = {{"timeframe", timeframe.to_string()},
                    {"start", format_iso(start)},
                    {"end", format_iso(end)},
                    {"workers", workers},
                    {"http",
                     {{"requests", stats.requests},
                      {"retries", stats.retries},
                      {"throttled", stats.throttled},
                      {"bytes", stats.bytes},
                      {"wait_seconds", stats.wait_seconds}}},
                    {"symbols", json::array()}};
        for (const SymbolOutcome& o : outcomes) {
            doc["symbols"].push_back(outcome_json(o));
        }
        Context::print_json(doc);
    } else {
        print_table(outcomes);
        std::cout << fmt::format(
            "{} symbols, {} bars from {} to {}, {} workers; {} HTTP requests ({} retried, {} "
            "throttled, {:.1f} s waiting for rate limits)\n",
            symbols.size(), timeframe.to_string(), format_iso(start), format_iso(end), workers,
            with_commas(stats.requests), with_commas(stats.retries), with_commas(stats.throttled),
            stats.wait_seconds);
    }
    if (failed > 0) {
        const SymbolOutcome& first =
            *std::find_if(outcomes.begin(), outcomes.end(), [](auto& o) { return !o.report; });
        throw Exception(first.error.code,
                        fmt::format("{} of {} symbols could not be fetched; first: {}: {}", failed,
                                    symbols.size(), first.symbol, first.error.message));
    }
    return 0;
}

}  // namespace

void add_fetch_command(CLI::App& app, std::vector<Command>& commands) {
    auto a = std::make_shared<FetchArgs>();
    CLI::App* c = app.add_subcommand(
        "fetch",
        "Fetch bars from the data sources into the store (fallback chain, incremental, "
        "several symbols at once; --workers, default 4)");
    c->add_option("--symbols", a->symbols, "Symbols, comma-separated: BTC/USDT,ETH/USDT,AAPL")
        ->required();
    c->add_option("--timeframe", a->timeframe, "Bar length: 1m, 5m, 1h, 1d, ...")
        ->capture_default_str();
    c->add_option("--start-date", a->start_date,
                  "First bar time for a new series (default: 30 days ago); a stored series "
                  "continues after its last bar");
    c->add_option("--end-date", a->end_date, "Last day or time (default: now)");
    c->add_option("--data-source", a->data_source,
                  "auto (the [data] fallback order), kaggle, yahoo, binance or kraken")
        ->check(CLI::IsMember({"auto", "kaggle", "yahoo", "binance", "kraken"}))
        ->capture_default_str();
    c->footer(
        "Bars go to the series (source, symbol, timeframe) of the source that served them.\n"
        "With --cache, answers of web sources are reused for [cache] ttl_api seconds and, when\n"
        "every source fails, served stale with a warning. Base URLs, rate limits and timeouts:\n"
        "[data] yahoo_url, binance_rate, http_timeout_ms, ... (tradpal config show).");
    commands.push_back({c, [a](Context& ctx) {
                            return run_fetch(ctx, *a);
                        }});
}

}  // namespace tradpal::cli

// SPDX-License-Identifier: Apache-2.0
#include "api.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include <tradpal/backtest/report.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/config.hpp>
#include <tradpal/core/file.hpp>
#include <tradpal/core/timestamp.hpp>
#include <tradpal/data/fetch.hpp>
#include <tradpal/data/http.hpp>
#include <tradpal/data/import.hpp>
#include <tradpal/indicators/registry.hpp>
#include <tradpal/ml/pipeline.hpp>
#include <tradpal/research/multi.hpp>
#include <tradpal/research/sweep.hpp>
#include <tradpal/research/walkforward.hpp>

namespace tradpal::server::detail {
namespace {

using nlohmann::json;
namespace bt = tradpal::backtest;
namespace ind = tradpal::indicators;

constexpr std::size_t kMaxSpecs = 64;

[[noreturn]] void bad_request(const std::string& message) {
    throw ApiError(400, "invalid_argument", message);
}

std::string random_id(std::string_view prefix) {
    static std::mutex mutex;
    static std::mt19937_64 rng{std::random_device{}()};
    const std::lock_guard lock(mutex);
    return fmt::format("{}-{:016x}", prefix, rng());
}

std::string string_field(const json& doc, const char* name, std::string fallback = {}) {
    const auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) {
        return fallback;
    }
    if (!it->is_string()) {
        bad_request(fmt::format("'{}' must be a string", name));
    }
    return it->get<std::string>();
}

std::int64_t int_field(const json& doc, const char* name, std::int64_t fallback) {
    const auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) {
        return fallback;
    }
    if (!it->is_number_integer()) {
        bad_request(fmt::format("'{}' must be an integer", name));
    }
    return it->get<std::int64_t>();
}

double number_field(const json& doc, const char* name, double fallback) {
    const auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) {
        return fallback;
    }
    if (!it->is_number()) {
        bad_request(fmt::format("'{}' must be a number", name));
    }
    return it->get<double>();
}

bool bool_field(const json& doc, const char* name, bool fallback) {
    const auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) {
        return fallback;
    }
    if (it->is_boolean()) {
        return it->get<bool>();
    }
    if (it->is_number_integer()) {
        return it->get<std::int64_t>() != 0;
    }
    bad_request(fmt::format("'{}' must be true or false", name));
}

std::int64_t parse_int(std::string_view text, const char* what) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
        bad_request(fmt::format("{} '{}' is not an integer", what, text));
    }
    return v;
}

/// A time bound: ISO-8601 text (or epoch numbers, as the CLI takes them).
std::optional<Timestamp> time_bound(const std::optional<std::string>& text) {
    if (!text || text->empty()) {
        return std::nullopt;
    }
    return Timestamp::parse(*text).value();
}

/// Rows of `view` with start <= ts < end.
BarSeriesView in_range(const BarSeriesView& view, std::optional<Timestamp> start,
                       std::optional<Timestamp> end) {
    return view.between(start.value_or(Timestamp(std::numeric_limits<std::int64_t>::min())),
                        end.value_or(Timestamp(std::numeric_limits<std::int64_t>::max())));
}

/// Which rows of a range a request gets: the first `limit` from the cursor, or the last
/// `limit` with tail.
struct Page {
    BarSeriesView rows;
    std::optional<std::int64_t> next_cursor;
};

Page page_of(const BarSeriesView& range, std::size_t limit, bool tail) {
    if (tail) {
        const std::size_t n = std::min(limit, range.size());
        return {range.slice(range.size() - n, n), std::nullopt};
    }
    const std::size_t n = std::min(limit, range.size());
    Page page{range.slice(0, n), std::nullopt};
    if (n < range.size()) {
        page.next_cursor = range.ts()[n];
    }
    return page;
}

std::size_t checked_limit(const Api& api, std::int64_t limit) {
    if (limit < 1) {
        bad_request("limit must be at least 1");
    }
    if (limit > api.limits().max_bars) {
        bad_request(
            fmt::format("limit {} is over the {} bars a request may take ([server] max_bars)",
                        limit, api.limits().max_bars));
    }
    return static_cast<std::size_t>(limit);
}

/// An opened stored series and its selected rows.
struct LoadedSeries {
    std::shared_ptr<data::StoredSeries> stored;
    BarSeriesView rows;
    std::string name;
};

/// The series named by {"source", "symbol", "timeframe"}, validated as the store does.
data::SeriesKey series_key(const Api& api, const json& sel) {
    if (!sel.is_object()) {
        bad_request("'series' must be an object {source, symbol, timeframe}");
    }
    const std::string symbol = string_field(sel, "symbol");
    if (symbol.empty()) {
        bad_request("'series.symbol' is required");
    }
    const std::string tf = string_field(sel, "timeframe");
    const std::string source = string_field(sel, "source");
    static_cast<void>(data::sanitize_symbol(symbol).value());
    if (!source.empty()) {
        static_cast<void>(data::sanitize_source(source).value());
    }
    if (!source.empty() && !tf.empty()) {
        // Fully named: one meta.json read instead of listing the store.
        return api.store.read_meta({source, symbol, Timeframe::parse(tf).value()}).value().key;
    }
    return api.store
        .resolve(symbol, tf.empty() ? std::nullopt : std::optional(Timeframe::parse(tf).value()),
                 source.empty() ? std::nullopt : std::optional(source))
        .value();
}

LoadedSeries load_series(const Api& api, const json& doc) {
    const data::SeriesKey key = series_key(api, doc.at("series"));
    LoadedSeries s;
    s.stored = std::make_shared<data::StoredSeries>(api.store.open(key).value());
    s.name = key.symbol;
    s.rows = in_range(s.stored->view(), time_bound(string_field(doc, "start")),
                      time_bound(string_field(doc, "end")));
    if (s.rows.empty()) {
        bad_request(fmt::format("{} has no bars in the range asked", key.to_string()));
    }
    return s;
}

json series_json(const data::SeriesMeta& m) {
    const std::string dir = data::sanitize_symbol(m.key.symbol).value_or(m.key.symbol);
    return {{"source", m.key.source},
            {"symbol", m.key.symbol},
            {"timeframe", m.key.timeframe.to_string()},
            {"rows", m.rows},
            {"first", m.rows > 0 ? json(format_iso(m.first)) : json(nullptr)},
            {"last", m.rows > 0 ? json(format_iso(m.last)) : json(nullptr)},
            {"path", fmt::format("{}/{}/{}", m.key.source, dir, m.key.timeframe.to_string())}};
}

json bars_json(const BarSeriesView& rows) {
    return {{"ts", rows.ts()},   {"open", rows.open()},   {"high", rows.high()},
            {"low", rows.low()}, {"close", rows.close()}, {"volume", rows.volume()}};
}

/// Posted bars {"ts": [...], "open": [...], ...}: equal lengths, at most max_bars.
BarSeries posted_bars(const Api& api, const json& bars) {
    if (!bars.is_object()) {
        bad_request("'bars' must be an object of columns");
    }
    const auto column = [&](const char* name) -> const json& {
        const auto it = bars.find(name);
        if (it == bars.end() || !it->is_array()) {
            bad_request(fmt::format("'bars.{}' must be an array", name));
        }
        return *it;
    };
    const std::size_t n = column("ts").size();
    if (n > static_cast<std::size_t>(api.limits().max_bars)) {
        bad_request(fmt::format("{} bars posted; at most {} ([server] max_bars)", n,
                                api.limits().max_bars));
    }
    BarSeries out;
    out.reserve(n);
    const char* names[] = {"open", "high", "low", "close", "volume"};
    for (const char* name : names) {
        if (column(name).size() != n) {
            bad_request(
                fmt::format("'bars.{}' has {} values, 'bars.ts' {}", name, column(name).size(), n));
        }
    }
    const auto value = [&](const char* name, std::size_t i) {
        const json& v = column(name)[i];
        if (v.is_null()) {
            return std::numeric_limits<double>::quiet_NaN();
        }
        if (!v.is_number()) {
            bad_request(fmt::format("'bars.{}[{}]' is not a number", name, i));
        }
        return v.get<double>();
    };
    for (std::size_t i = 0; i < n; ++i) {
        const json& t = column("ts")[i];
        if (!t.is_number_integer()) {
            bad_request(fmt::format("'bars.ts[{}]' must be integer nanoseconds", i));
        }
        const std::int64_t ts = t.get<std::int64_t>();
        if (i > 0 && ts <= out.ts().back()) {
            bad_request(fmt::format("'bars.ts' is not strictly increasing at {}", i));
        }
        out.push_back(Bar{Timestamp(ts), value("open", i), value("high", i), value("low", i),
                          value("close", i), value("volume", i)});
    }
    return out;
}

json metrics_json(const bt::Metrics& m) {
    const auto opt = [](const std::optional<double>& v) {
        return v ? json(*v) : json(nullptr);
    };
    return {{"final_value", m.final_value},
            {"total_return", m.total_return},
            {"annual_return", m.annual_return},
            {"annual_volatility", m.annual_volatility},
            {"sharpe", opt(m.sharpe)},
            {"sortino", opt(m.sortino)},
            {"calmar", opt(m.calmar)},
            {"max_drawdown_pct", m.max_drawdown_pct},
            {"n_trades", m.trades},
            {"win_rate", opt(m.win_rate)},
            {"profit_factor", opt(m.profit_factor)},
            {"expectancy", opt(m.expectancy)},
            {"total_commission", m.total_commission},
            {"exposure", m.exposure}};
}

std::string_view role_name(bt::OrderRole role) {
    switch (role) {
        case bt::OrderRole::Signal:
            return "signal";
        case bt::OrderRole::Reversal:
            return "reversal";
        case bt::OrderRole::StopLoss:
            return "stop_loss";
        case bt::OrderRole::TakeProfit:
            return "take_profit";
        case bt::OrderRole::TrailingStop:
            return "trailing_stop";
        case bt::OrderRole::Rebalance:
            return "rebalance";
    }
    return "signal";
}

/// {"fast": 10, "ma": "ema", "allow_short": true} -> {"fast=10", "ma=ema", "allow_short=true"}.
std::vector<std::string> assignments(const json& params) {
    std::vector<std::string> out;
    if (params.is_null()) {
        return out;
    }
    if (!params.is_object()) {
        bad_request("'params' must be an object of name: value");
    }
    for (const auto& [name, v] : params.items()) {
        if (v.is_string()) {
            out.push_back(fmt::format("{}={}", name, v.get<std::string>()));
        } else if (v.is_boolean()) {
            out.push_back(fmt::format("{}={}", name, v.get<bool>() ? "true" : "false"));
        } else if (v.is_number_integer()) {
            out.push_back(fmt::format("{}={}", name, v.get<std::int64_t>()));
        } else if (v.is_number()) {
            out.push_back(fmt::format("{}={}", name, v.get<double>()));
        } else {
            bad_request(fmt::format("parameter '{}' must be a number, a flag or a name", name));
        }
    }
    return out;
}

bt::RuleTexts rule_texts(const json& doc) {
    bt::RuleTexts r;
    const auto it = doc.find("rules");
    if (it != doc.end() && !it->is_null()) {
        r.entry = string_field(*it, "entry");
        r.exit = string_field(*it, "exit");
        r.short_entry = string_field(*it, "short_entry");
        r.short_exit = string_field(*it, "short_exit");
    }
    return r;
}

/// The execution config from {"cash": ..., "commission": ...}; unknown keys are refused.
bt::Config backtest_config(const json& doc) {
    bt::Config c;
    const auto it = doc.find("config");
    if (it == doc.end() || it->is_null()) {
        return c;
    }
    const json& j = *it;
    if (!j.is_object()) {
        bad_request("'config' must be an object");
    }
    static const char* const known[] = {
        "cash",          "commission",    "commission_fixed", "slippage_bps",
        "size_fraction", "lot_step",      "quantity",         "cash_amount",
        "risk_fraction", "atr_period",    "atr_multiple",     "sizing",
        "fill",          "stop_same_bar", "annualization",    "risk_free"};
    for (const auto& [key, v] : j.items()) {
        if (std::find_if(std::begin(known), std::end(known),
                         [&](const char* k) { return key == k; }) == std::end(known)) {
            bad_request(fmt::format("unknown config key '{}'", key));
        }
    }
    c.cash = number_field(j, "cash", c.cash);
    c.costs.commission = number_field(j, "commission", c.costs.commission);
    c.costs.commission_fixed = number_field(j, "commission_fixed", c.costs.commission_fixed);
    c.costs.slippage_bps = number_field(j, "slippage_bps", c.costs.slippage_bps);
    c.sizing.size_fraction = number_field(j, "size_fraction", c.sizing.size_fraction);
    c.sizing.lot_step = number_field(j, "lot_step", c.sizing.lot_step);
    c.sizing.quantity = number_field(j, "quantity", c.sizing.quantity);
    c.sizing.cash_amount = number_field(j, "cash_amount", c.sizing.cash_amount);
    c.sizing.risk_fraction = number_field(j, "risk_fraction", c.sizing.risk_fraction);
    c.sizing.atr_period = static_cast<int>(int_field(j, "atr_period", c.sizing.atr_period));
    c.sizing.atr_multiple = number_field(j, "atr_multiple", c.sizing.atr_multiple);
    if (const std::string s = string_field(j, "sizing"); !s.empty()) {
        c.sizing.mode = bt::parse_sizing_mode(s).value();
    }
    if (const std::string s = string_field(j, "fill"); !s.empty()) {
        c.fill_price = bt::parse_fill_price(s).value();
    }
    c.stop_same_bar = bool_field(j, "stop_same_bar", c.stop_same_bar);
    c.annualization = number_field(j, "annualization", c.annualization);
    c.risk_free = number_field(j, "risk_free", c.risk_free);
    c.validate().value();
    return c;
}

// --- data ------------------------------------------------------------------------------------

HttpResponse list_series(Api& api, const HttpRequest&) {
    json all = json::array();
    for (const data::SeriesMeta& m : api.store.list()) {
        all.push_back(series_json(m));
    }
    return HttpResponse::json({{"series", all}});
}

HttpResponse get_bars(Api& api, const HttpRequest& req) {
    const data::SeriesKey key{req.path_params[0], req.path_params[1],
                              Timeframe::parse(req.path_params[2]).value()};
    static_cast<void>(data::sanitize_source(key.source).value());
    static_cast<void>(data::sanitize_symbol(key.symbol).value());
    const data::StoredSeries s = api.store.open(key).value();
    std::optional<Timestamp> start = time_bound(req.query_value("start"));
    if (const auto cursor = req.query_value("cursor")) {
        const Timestamp c(parse_int(*cursor, "cursor"));
        start = start ? std::max(*start, c) : c;
    }
    const std::size_t limit =
        checked_limit(api, parse_int(req.query_value("limit").value_or("5000"), "limit"));
    const bool tail = req.query_value("tail").value_or("0") == "1";
    const Page page =
        page_of(in_range(s.view(), start, time_bound(req.query_value("end"))), limit, tail);
    json doc = bars_json(page.rows);
    doc["next_cursor"] = page.next_cursor ? json(std::to_string(*page.next_cursor)) : json(nullptr);
    return HttpResponse::json(doc);
}

HttpResponse import_csv_job(Api& api, const HttpRequest& req) {
    const json doc = api.body(req);
    const std::string symbol = string_field(doc, "symbol");
    const data::SeriesKey key{string_field(doc, "source", "csv"), symbol,
                              Timeframe::parse(string_field(doc, "timeframe")).value()};
    static_cast<void>(data::sanitize_symbol(symbol).value());
    static_cast<void>(data::sanitize_source(key.source).value());
    const std::string csv = string_field(doc, "csv");
    if (csv.empty()) {
        bad_request("'csv' (the file's text) is required");
    }
    data::ImportOptions options;
    options.fix = bool_field(doc, "fix", false);
    options.mode =
        bool_field(doc, "replace", false) ? data::ImportMode::Replace : data::ImportMode::Append;
    options.origin = "import over HTTP";
    const JobInfo job = api.jobs.submit("import", [&api, key, csv, options](JobControl& ctl) {
        // The text goes through a private temporary file: the importer reads files.
        const auto dir = std::filesystem::temp_directory_path();
        const auto path = dir / fmt::format("tradpal-import-{}.csv", random_id("f"));
        write_file_atomic(path, csv);
        struct Remove {
            std::filesystem::path p;
            ~Remove() {
                std::error_code ec;
                std::filesystem::remove(p, ec);
            }
        } remove{path};
        ctl.check();
        data::ImportOptions o = options;
        o.progress = [&ctl](std::uint64_t done, std::uint64_t total) {
            ctl.progress(total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0);
        };
        const data::ImportReport r = data::import_csv(api.store, key, path, o);
        return json{{"series", series_json(api.store.read_meta(key).value())},
                    {"rows_written", r.rows_written}};
    });
    return HttpResponse::json({{"job", job.to_json()}}, 202);
}

/// The fallback order without the store itself (a fetch adds to it), or the one source named.
std::string fetch_order(const std::string& source, const DataSettings& settings) {
    if (source != "auto") {
        return source;
    }
    std::string order;
    std::string_view rest = settings.fallback;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view name = rest.substr(0, comma);
        if (name != "store") {
            order += fmt::format("{}{}", order.empty() ? "" : ",", name);
        }
        rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    }
    return order;
}

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

HttpResponse fetch_job(Api& api, const HttpRequest& req) {
    const json doc = api.body(req);
    const std::string symbol = string_field(doc, "symbol");
    static_cast<void>(data::sanitize_symbol(symbol).value());
    const Timeframe timeframe = Timeframe::parse(string_field(doc, "timeframe", "1h")).value();
    const Timestamp now(now_ns());
    const Timestamp end = std::min(now, time_bound(string_field(doc, "end")).value_or(now));
    const Timestamp start =
        time_bound(string_field(doc, "start")).value_or(Timestamp(now.ns() - 30 * kNanosPerDay));
    if (start >= end) {
        bad_request(
            fmt::format("start {} is not before the end {}", format_iso(start), format_iso(end)));
    }
    const DataSettings& settings = api.options.settings.data;
    const std::string order = fetch_order(string_field(doc, "source", "auto"), settings);
    // The sources are made now, so that a bad name is a 400 rather than a failed job.
    auto sources =
        data::make_sources(order, settings, api.store, std::make_shared<data::HttpClient>())
            .value();
    if (sources.empty()) {
        bad_request(fmt::format("no data source to fetch from (order '{}')", order));
    }
    auto shared = std::make_shared<std::vector<std::unique_ptr<data::Source>>>(std::move(sources));
    const JobInfo job = api.jobs.submit("fetch", [&api, shared, symbol, timeframe, start, end,
                                                  now](JobControl& ctl) {
        data::ChainOptions options;
        options.cache = &api.cache;
        options.ttl_api_seconds = api.options.settings.cache.ttl_api;
        data::SourceChain chain(std::move(*shared), options);
        // A cancel thrown from the progress callback unwinds the writer: nothing is committed.
        const data::UpdateReport r =
            data::update_series(api.store, chain, symbol, timeframe, start, end, now,
                                [&](std::uint64_t, Timestamp reached) {
                                    ctl.progress(static_cast<double>(reached.ns() - start.ns()) /
                                                 static_cast<double>(end.ns() - start.ns()));
                                    ctl.check();
                                })
                .value();
        ctl.check();
        return json{{"series", series_json(r.meta)},
                    {"source", r.chain.source},
                    {"bars_added", r.bars_added},
                    {"up_to_date", r.up_to_date}};
    });
    return HttpResponse::json({{"job", job.to_json()}}, 202);
}

// --- indicators ------------------------------------------------------------------------------

HttpResponse list_indicators(Api&, const HttpRequest&) {
    json all = json::array();
    for (const ind::IndicatorInfo& info : ind::all_indicators()) {
        json params = json::array();
        for (const ind::ParamInfo& p : info.params) {
            json def = p.default_value;
            if (p.kind == ind::ParamKind::Ma) {
                def = ind::to_string(static_cast<ind::MaType>(static_cast<int>(p.default_value)));
            } else if (p.kind == ind::ParamKind::Integer) {
                def = static_cast<std::int64_t>(p.default_value);
            }
            params.push_back({{"name", p.name},
                              {"kind", p.kind == ind::ParamKind::Integer ? "integer"
                                       : p.kind == ind::ParamKind::Real  ? "real"
                                                                         : "ma_type"},
                              {"default", def},
                              {"min", p.min},
                              {"max", p.max},
                              {"description", p.description}});
        }
        json price_outputs = json::array();
        for (std::string_view output : info.outputs) {
            if (ind::on_price_axis(info, output)) {
                price_outputs.push_back(output);
            }
        }
        all.push_back({{"name", info.name},
                       {"title", info.title},
                       {"group", info.group},
                       {"params", params},
                       {"outputs", info.outputs},
                       {"overlay", !price_outputs.empty()},
                       {"price_outputs", price_outputs}});
    }
    return HttpResponse::json({{"indicators", all}});
}

std::vector<ind::Spec> parse_specs(const json& doc) {
    const auto it = doc.find("specs");
    if (it == doc.end() || !it->is_array() || it->empty()) {
        bad_request("'specs' must be a non-empty array such as [\"rsi(14)\"]");
    }
    if (it->size() > kMaxSpecs) {
        bad_request(fmt::format("at most {} specs per request", kMaxSpecs));
    }
    std::vector<ind::Spec> specs;
    for (const json& s : *it) {
        if (!s.is_string()) {
            bad_request("every spec must be a string such as \"rsi(14)\"");
        }
        specs.push_back(ind::Spec::parse(s.get<std::string>()).value());
    }
    return specs;
}

std::string indicator_body(const std::vector<ind::Spec>& specs, const BarSeriesView& rows) {
    // One thread: requests already run side by side on the HTTP pool (at most max_bars bars).
    const auto columns = ind::compute_columns(specs, ind::Inputs::from(rows), 1);
    json cols = json::object();
    std::size_t c = 0;
    for (const ind::Spec& spec : specs) {
        for (const std::string& name : spec.output_names()) {
            cols[name] = columns[c++];
        }
    }
    return json{{"ts", rows.ts()}, {"columns", cols}}.dump(-1, ' ', false,
                                                           json::error_handler_t::replace);
}

HttpResponse compute_indicators(Api& api, const HttpRequest& req) {
    const json doc = api.body(req);
    const std::vector<ind::Spec> specs = parse_specs(doc);
    HttpResponse res;
    if (doc.contains("bars")) {
        const BarSeries bars = posted_bars(api, doc["bars"]);
        res.body = indicator_body(specs, bars.view());
        return res;
    }
    if (!doc.contains("series")) {
        bad_request("give 'series' {source, symbol, timeframe} or 'bars' {ts, open, ...}");
    }
    const data::SeriesKey series = series_key(api, doc.at("series"));
    const std::int64_t asked = int_field(doc, "limit", 0);
    const bool tail = bool_field(doc, "tail", false);
    const auto compute = [&](const data::StoredSeries& stored) {
        const BarSeriesView rows = in_range(stored.view(), time_bound(string_field(doc, "start")),
                                            time_bound(string_field(doc, "end")));
        if (rows.empty()) {
            bad_request(fmt::format("{} has no bars in the range asked", series.to_string()));
        }
        if (asked == 0 && rows.size() > static_cast<std::size_t>(api.limits().max_bars)) {
            bad_request(fmt::format(
                "{} bars in the range; at most {} per request: narrow the range or give limit "
                "(with tail for the last ones)",
                rows.size(), api.limits().max_bars));
        }
        const Page page = page_of(rows, asked == 0 ? rows.size() : checked_limit(api, asked), tail);
        return indicator_body(specs, page.rows);
    };
    // The key names the stored data's version and the question, so a cached answer is never
    // stale, and a hit needs only meta.json (no mapping of the columns).
    const data::SeriesMeta meta = api.store.read_meta(series).value();
    cache::KeyBuilder key("api");
    key.add("route", "indicators")
        .add("bars", data::data_version(meta))
        .add("start", string_field(doc, "start"))
        .add("end", string_field(doc, "end"))
        .add("limit", asked)
        .add("tail", std::string_view(tail ? "1" : "0"))
        .add("version", std::string_view(TRADPAL_VERSION));
    std::string names;
    for (const ind::Spec& spec : specs) {
        names += spec.canonical() + ";";
    }
    key.add("specs", names);
    const cache::Key k = key.build();
    if (const auto hit = api.cache.get(k)) {
        res.body = std::string(hit->find("body")->as_text());
        return res;
    }
    const data::StoredSeries stored = api.store.open(series).value();
    res.body = compute(stored);
    // A commit between reading meta.json and opening would put new bars under the old key.
    if (stored.meta().version == meta.version) {
        cache::Value v;
        v.columns.push_back(cache::Column::text("body", res.body));
        api.cache.put(k, std::move(v));
    }
    return res;
}

// --- backtests -------------------------------------------------------------------------------

HttpResponse list_strategies(Api&, const HttpRequest&) {
    json all = json::array();
    for (const bt::StrategyInfo& info : bt::builtin_strategies()) {
        json params = json::array();
        for (const bt::StrategyParam& p : info.params) {
            json choices = nullptr;
            json def = p.default_value;
            const char* type = "real";
            switch (p.type) {
                case bt::ParamType::Integer:
                    type = "integer";
                    def = static_cast<std::int64_t>(p.default_value);
                    break;
                case bt::ParamType::Real:
                    break;
                case bt::ParamType::Flag:
                    type = "flag";
                    def = p.default_value != 0;
                    break;
                case bt::ParamType::Choice: {
                    type = "choice";
                    choices = json::array();
                    std::string_view rest = p.choices;
                    while (!rest.empty()) {
                        const std::size_t bar = rest.find('|');
                        choices.push_back(std::string(rest.substr(0, bar)));
                        rest = bar == std::string_view::npos ? "" : rest.substr(bar + 1);
                    }
                    const auto index = static_cast<std::size_t>(p.default_value);
                    def = index < choices.size() ? choices[index] : json(nullptr);
                    break;
                }
            }
            params.push_back({{"name", p.name},
                              {"type", type},
                              {"default", def},
                              {"min", p.min},
                              {"max", p.max},
                              {"choices", choices},
                              {"description", p.description}});
        }
        all.push_back({{"name", info.name}, {"description", info.description}, {"params", params}});
    }
    return HttpResponse::json({{"strategies", all}});
}

research::Engine engine_of(const json& doc) {
    return research::parse_engine(string_field(doc, "engine", "event")).value();
}

HttpResponse run_backtest(Api& api, const HttpRequest& req) {
    const json doc = api.body(req);
    const LoadedSeries s = load_series(api, doc);
    const std::string strategy = string_field(doc, "strategy", "sma_cross");
    const bt::StrategySpec spec =
        bt::StrategySpec::make(strategy, assignments(doc.value("params", json())), rule_texts(doc))
            .value();
    const bt::Config config = backtest_config(doc);
    const research::Engine engine = engine_of(doc);
    const bt::SymbolSeries series{s.name, s.rows};
    const auto t0 = std::chrono::steady_clock::now();
    bt::BacktestResult result = research::run_one(series, spec, config, engine);
    const double engine_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    auto stored = std::make_shared<StoredBacktest>();
    stored->id = random_id("bt");
    stored->request = doc;
    const bt::ReportContext report{&result, std::span<const bt::SymbolSeries>(&series, 1),
                                   spec.canonical(), std::string(research::to_string(engine))};
    stored->summary = json::parse(bt::summary_json(report, -1));
    stored->symbol = s.name;
    const std::size_t trades = result.trades.size();
    stored->trades = std::move(result.trades);
    stored->bars = s.stored;
    stored->ts = s.rows.ts();
    stored->equity = std::move(result.equity);
    api.backtests.add(stored);
    // engine_s: the engine's own time, to tell it from the HTTP and report overhead.
    return HttpResponse::json({{"id", stored->id},
                               {"metrics", stored->summary},
                               {"trades", trades},
                               {"engine_s", engine_s}},
                              201);
}

HttpResponse get_backtest(Api& api, const HttpRequest& req) {
    const auto b = api.backtests.get(req.path_params[0]);
    return HttpResponse::json({{"id", b->id},
                               {"metrics", b->summary},
                               {"trades", b->trades.size()},
                               {"request", b->request}});
}

HttpResponse get_trades(Api& api, const HttpRequest& req) {
    const auto b = api.backtests.get(req.path_params[0]);
    json trades = json::array();
    for (const bt::Trade& t : b->trades) {
        trades.push_back({{"symbol", b->symbol},
                          {"side", bt::to_string(t.side)},
                          {"entry_ts", t.entry_ns},
                          {"exit_ts", t.exit_ns},
                          {"entry_time", format_iso(Timestamp(t.entry_ns))},
                          {"exit_time", format_iso(Timestamp(t.exit_ns))},
                          {"size", t.size},
                          {"entry_price", t.entry_price},
                          {"exit_price", t.exit_price},
                          {"gross_pnl", t.gross_pnl},
                          {"commission", t.commission},
                          {"net_pnl", t.net_pnl},
                          {"exit_type", role_name(t.exit_role)}});
    }
    return HttpResponse::json({{"trades", trades}});
}

HttpResponse get_equity(Api& api, const HttpRequest& req) {
    const auto b = api.backtests.get(req.path_params[0]);
    const std::size_t n = b->equity.size();
    const std::size_t points = checked_limit(
        api, parse_int(req.query_value("points").value_or(std::to_string(std::min<std::size_t>(
                           std::max<std::size_t>(n, 1), api.limits().max_bars))),
                       "points"));
    // Every stride-th value and the last one; drawdown from the running peak of all values.
    const std::size_t stride = std::max<std::size_t>(1, (n + points - 1) / points);
    json ts = json::array();
    json equity = json::array();
    json drawdown = json::array();
    double peak = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < n; ++i) {
        peak = std::max(peak, b->equity[i]);
        if (i % stride == 0 || i + 1 == n) {
            ts.push_back(b->ts[i]);
            equity.push_back(b->equity[i]);
            drawdown.push_back(peak > 0 ? (peak - b->equity[i]) / peak * 100.0 : 0.0);
        }
    }
    return HttpResponse::json({{"ts", ts}, {"equity", equity}, {"drawdown_pct", drawdown}});
}

/// What sweeps and walk-forwards share: the series, strategy, fixed params, grid, config.
struct SweepInput {
    LoadedSeries series;
    research::SweepRequest request;
    research::RankMetric metric;
};

SweepInput sweep_input(const Api& api, const json& doc) {
    SweepInput in{load_series(api, doc), {}, {}};
    in.request.strategy = string_field(doc, "strategy", "sma_cross");
    in.request.fixed = assignments(doc.value("params", json()));
    in.request.rules = rule_texts(doc);
    in.request.config = backtest_config(doc);
    const auto grid = doc.find("grid");
    if (grid == doc.end() || !grid->is_object() || grid->empty()) {
        bad_request("'grid' must be an object such as {\"fast\": \"5:50:5\", \"slow\": [20, 30]}");
    }
    std::vector<research::ParamAxis> axes;
    for (const auto& [name, v] : grid->items()) {
        std::string values;
        if (v.is_string()) {
            values = v.get<std::string>();
        } else if (v.is_array()) {
            for (const json& x : v) {
                values +=
                    (values.empty() ? "" : ",") + (x.is_string() ? x.get<std::string>() : x.dump());
            }
        } else {
            values = v.dump();
        }
        axes.push_back(research::ParamAxis::parse(fmt::format("{}={}", name, values)).value());
    }
    research::ParameterGrid g = research::ParameterGrid::make(std::move(axes)).value();
    if (g.size() > static_cast<std::uint64_t>(api.limits().max_sweep_sets)) {
        bad_request(fmt::format("the grid has {} sets; at most {} ([server] max_sweep_sets)",
                                g.size(), api.limits().max_sweep_sets));
    }
    in.request.sets.resize(g.size());
    std::iota(in.request.sets.begin(), in.request.sets.end(), std::uint64_t{0});
    in.request.grid = std::move(g);
    in.metric = research::parse_metric(string_field(doc, "metric", "sharpe")).value();
    return in;
}

json set_params(const research::ParameterGrid& grid, std::uint64_t set) {
    json params = json::object();
    for (const std::string& a : grid.assignments(set)) {
        const std::size_t eq = a.find('=');
        params[a.substr(0, eq)] = a.substr(eq + 1);
    }
    return params;
}

HttpResponse submit_sweep(Api& api, const HttpRequest& req) {
    const json doc = api.body(req);
    auto in = std::make_shared<SweepInput>(sweep_input(api, doc));
    const std::int64_t top = int_field(doc, "top", 10);
    if (top < 1 || top > 1000) {
        bad_request("'top' must be within 1..1000");
    }
    const int threads = api.options.threads;
    const JobInfo job = api.jobs.submit("sweep", [in, top, threads](JobControl& ctl) {
        const bt::SymbolSeries series{in->series.name, in->series.rows};
        research::SweepOptions options;
        options.metric = in->metric;
        options.top = static_cast<std::size_t>(top);
        options.threads = threads;
        const research::SweepOutcome out = research::run_sweep(
            std::span<const bt::SymbolSeries>(&series, 1), in->request, options, {},
            [&ctl](std::uint64_t done, std::uint64_t total) {
                ctl.progress(static_cast<double>(done) / static_cast<double>(total));
                ctl.check();
            });
        json rows = json::array();
        for (const research::SweepRow& r : out.top) {
            rows.push_back({{"set", r.set},
                            {"params", set_params(in->request.grid, r.set)},
                            {"metrics", metrics_json(r.metrics)}});
        }
        return json{{"metric", in->metric.name},
                    {"evaluated", out.evaluated},
                    {"skipped", out.skipped},
                    {"skip_reasons", out.skip_reasons},
                    {"top", rows},
                    {"best_deflated_sharpe",
                     out.best_deflated_sharpe ? json(*out.best_deflated_sharpe) : json(nullptr)}};
    });
    return HttpResponse::json({{"job", job.to_json()}}, 202);
}

std::int64_t span_ns(const json& doc, const char* name, bool required) {
    const std::string text = string_field(doc, name);
    if (text.empty()) {
        if (required) {
            bad_request(fmt::format("'{}' is required, e.g. \"180d\"", name));
        }
        return 0;
    }
    auto tf = Timeframe::parse(text);
    if (!tf || tf->is_calendar()) {
        bad_request(fmt::format("'{}' '{}': give a length such as 180d, 12w or 36h", name, text));
    }
    return tf->nominal_ns();
}

HttpResponse submit_walkforward(Api& api, const HttpRequest& req) {
    const json doc = api.body(req);
    auto in = std::make_shared<SweepInput>(sweep_input(api, doc));
    research::WalkForwardOptions options;
    options.train_ns = span_ns(doc, "train", true);
    options.test_ns = span_ns(doc, "test", true);
    options.step_ns = span_ns(doc, "step", false);
    options.anchored = bool_field(doc, "anchored", false);
    options.metric = in->metric;
    options.threads = api.options.threads;
    const JobInfo job = api.jobs.submit("walkforward", [in, options](JobControl& ctl) {
        const bt::SymbolSeries series{in->series.name, in->series.rows};
        const research::WalkForwardResult r =
            research::walk_forward(
                series, in->request, options,
                [&ctl](std::size_t done, std::size_t total) {
                    ctl.progress(static_cast<double>(done) /
                                 static_cast<double>(std::max<std::size_t>(total, 1)));
                    ctl.check();
                })
                .value();
        json windows = json::array();
        for (const research::WalkWindow& w : r.windows) {
            windows.push_back(
                {{"train_start", format_iso(Timestamp(w.train_start_ns))},
                 {"test_start", format_iso(Timestamp(w.train_end_ns))},
                 {"test_end", format_iso(Timestamp(w.test_end_ns))},
                 {"params", w.chosen ? set_params(in->request.grid, *w.chosen) : json(nullptr)},
                 {"in_sample_score", w.in_sample_score},
                 {"out_of_sample", metrics_json(w.out_of_sample)}});
        }
        return json{{"windows", windows},
                    {"ts", r.ts},
                    {"equity", r.equity},
                    {"metrics", metrics_json(r.stitched)},
                    {"parameter_changes", r.parameter_changes}};
    });
    return HttpResponse::json({{"job", job.to_json()}}, 202);
}

// --- ml --------------------------------------------------------------------------------------

std::filesystem::path models_dir(const Api& api) {
    return expand_user(api.options.settings.ml.checkpoint_dir);
}

/// A model's directory name, validated by the store's rules for a symbol's directory (no
/// `..`, no leading `.`, no separators): one path component, never a hidden name (training
/// writes into hidden temporary directories).
std::string model_name(const std::string& name) {
    auto dir = data::sanitize_symbol(name);
    if (!dir || *dir != name) {
        bad_request(fmt::format("model name '{}': {}", name,
                                dir ? "one directory name, without '/'" : dir.error().message));
    }
    return name;
}

json read_model_json(const std::filesystem::path& dir) {
    std::ifstream in(dir / "model.json");
    json doc = json::parse(in, nullptr, false);
    return doc.is_object() ? doc : json(nullptr);
}

/// What /v1/ml/models says about a saved model.
json model_summary(const std::string& name, const json& m) {
    const json model = m.value("model", json::object());
    const json result = m.value("result", json::object());
    return {{"name", name},
            {"kind", model.value("kind", "")},
            {"symbol", m.value("symbol", "")},
            {"timeframe", m.value("timeframe", "")},
            {"features", m.value("features", json::array())},
            {"label", m.value("label", "")},
            {"seq_len", model.value("seq_len", 0)},
            {"best_epoch", result.value("best_epoch", json(nullptr))},
            {"test", m.value("test", json(nullptr))}};
}

HttpResponse list_models(Api& api, const HttpRequest&) {
    const std::filesystem::path root = models_dir(api);
    std::vector<json> models;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with('.') || !entry.is_directory(ec)) {
            continue;
        }
        const json m = read_model_json(entry.path());
        if (!m.is_null()) {  // a checkpoint directory without a finished model
            models.push_back(model_summary(name, m));
        }
    }
    std::sort(models.begin(), models.end(), [](const json& a, const json& b) {
        return a["name"].get<std::string>() < b["name"].get<std::string>();
    });
    return HttpResponse::json({{"dir", root.string()}, {"models", models}});
}

constexpr const char* kNoTorch = "this TradPal was built without libtorch (README, 'ML')";

std::size_t bounded(const json& doc, const char* name, std::size_t fallback, std::int64_t most) {
    const std::int64_t v = int_field(doc, name, static_cast<std::int64_t>(fallback));
    if (v < 1 || v > most) {
        bad_request(fmt::format("'{}' must be within 1..{}", name, most));
    }
    return static_cast<std::size_t>(v);
}

/// Puts the trained model in `tmp` at `dir`, replacing a model of that name. Two trainings of
/// one name in this process publish one after the other (the last to finish stays); between
/// processes sharing a models folder the later rename can still fail, failing its job.
void publish_model(const std::filesystem::path& tmp, const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    static std::mutex publishing;
    const std::lock_guard lock(publishing);
    if (!fs::exists(dir)) {
        fs::rename(tmp, dir);
        return;
    }
    const fs::path old =
        dir.parent_path() / fmt::format(".{}.old-{}", dir.filename().string(), random_id("m"));
    fs::rename(dir, old);
    fs::rename(tmp, dir);
    fs::remove_all(old);
}

HttpResponse submit_train(Api& api, const HttpRequest& req) {
    if (!TRADPAL_HAS_TORCH) {
        throw ApiError(503, "unavailable", kNoTorch);
    }
    const json doc = api.body(req);
    auto series = std::make_shared<LoadedSeries>(load_series(api, doc));
    auto meta = std::make_shared<ml::ModelMeta>();
    meta->model.kind = string_field(doc, "model", "lstm");
    if (meta->model.kind != "lstm" && meta->model.kind != "gru" &&
        meta->model.kind != "transformer" && meta->model.kind != "mlp") {
        bad_request("'model' must be lstm, gru, transformer or mlp");
    }
    meta->features =
        ml::FeatureSpec::parse(string_field(doc, "features", std::string(ml::kDefaultFeatures)))
            .value();
    meta->label = ml::LabelSpec::parse(string_field(doc, "label", "ret(1)")).value();
    meta->model.seq_len = bounded(doc, "seq_len", meta->model.seq_len, 4096);
    meta->model.hidden = bounded(doc, "hidden", meta->model.hidden, 4096);
    meta->model.layers = bounded(doc, "layers", meta->model.layers, 16);
    meta->train.epochs = bounded(doc, "epochs", meta->train.epochs, 10000);
    meta->train.batch_size = bounded(doc, "batch_size", meta->train.batch_size, 65536);
    meta->train.learning_rate = number_field(doc, "lr", meta->train.learning_rate);
    if (!(meta->train.learning_rate > 0 && meta->train.learning_rate < 1)) {
        bad_request("'lr' must be within (0, 1)");
    }
    meta->train.seed = static_cast<std::uint64_t>(
        int_field(doc, "seed", static_cast<std::int64_t>(meta->train.seed)));
    const Settings& settings = api.options.settings;
    // As `tradpal train` without --gpu: [gpu] enabled = false keeps training on the CPU.
    meta->train.device = settings.gpu.enabled ? "auto" : "cpu";
    meta->train.mixed_precision = settings.ml.mixed_precision;
    meta->train.memory_limit = settings.gpu.memory_limit;
    const double train_fraction = number_field(doc, "train_fraction", 0.7);
    const double validation_fraction = number_field(doc, "validation_fraction", 0.15);
    const data::SeriesKey& key = series->stored->meta().key;
    const std::string name =
        model_name(string_field(doc, "name",
                                fmt::format("{}-{}-{}", data::sanitize_symbol(key.symbol).value(),
                                            key.timeframe.to_string(), meta->model.kind)));
    const std::filesystem::path root = models_dir(api);
    const std::filesystem::path dir = root / name;
    meta->train.out_dir = root / fmt::format(".{}.tmp-{}", name, random_id("m"));
    const JobInfo job = api.jobs.submit(
        "ml-train", [series, meta, train_fraction, validation_fraction, dir](JobControl& ctl) {
            ctl.check();
            const data::SeriesKey& k = series->stored->meta().key;
            const std::size_t epochs = meta->train.epochs;
            const auto on_epoch = [&ctl, epochs](const ml::EpochStats& e) {
                ctl.progress(static_cast<double>(e.epoch) / static_cast<double>(epochs));
                ctl.message(fmt::format("epoch {}/{}: loss {:.6g}, validation {:.6g}", e.epoch,
                                        epochs, e.train_loss, e.validation_loss));
                ctl.check();  // between epochs: the partial model is removed below
            };
            const std::filesystem::path tmp = meta->train.out_dir;
            std::filesystem::create_directories(tmp);
            ml::ScoredModel trained;
            try {
                trained = ml::train_and_score(*meta,
                                              {series->rows, k.symbol, k.timeframe.to_string(),
                                               data::data_version(series->stored->meta())},
                                              train_fraction, validation_fraction, on_epoch);
                // The scores and the final directory recorded beside the model.
                json m = read_model_json(tmp);
                m["train"]["out_dir"] = dir.string();
                m["test"] = ml::to_json(trained.test);
                write_file_atomic(tmp / "model.json", m.dump(2));
                publish_model(tmp, dir);
            } catch (...) {
                std::error_code ec;
                std::filesystem::remove_all(tmp, ec);
                throw;
            }
            json history = json::array();
            for (const ml::EpochStats& e : trained.result.history) {
                history.push_back({{"epoch", e.epoch},
                                   {"train_loss", e.train_loss},
                                   {"validation_loss", e.validation_loss}});
            }
            const ml::TestScores& t = trained.test;
            return json{{"model", dir.filename().string()},
                        {"dir", dir.string()},
                        {"device", trained.result.device},
                        {"best_epoch", trained.result.best_epoch},
                        {"best_validation_loss", trained.result.best_validation_loss},
                        {"stopped_early", trained.result.stopped_early},
                        {"history", history},
                        {"test", ml::to_json(t)},
                        {"beats_baselines", t.model.mse < t.baselines.zero.mse &&
                                                t.model.mse < t.baselines.last_return.mse &&
                                                t.model.mse < t.baselines.linear.mse}};
        });
    return HttpResponse::json({{"job", job.to_json()}}, 202);
}

HttpResponse predict(Api& api, const HttpRequest& req) {
    const json doc = api.body(req);
    const std::string name = model_name(string_field(doc, "model"));
    const std::filesystem::path dir = models_dir(api) / name;
    if (!std::filesystem::exists(dir / "model.json")) {
        throw ApiError(404, "not_found", fmt::format("no model '{}'", name));
    }
    const ml::Predictor predictor = ml::Predictor::load(dir).value();
    const ml::ModelMeta& meta = predictor.meta();
    json sel = doc.value("series", json::object());
    if (!sel.is_object()) {
        bad_request("'series' must be an object {source, symbol, timeframe}");
    }
    if (string_field(sel, "symbol").empty()) {  // default: the series it trained on
        sel["symbol"] = meta.symbol;
        if (string_field(sel, "timeframe").empty()) {
            sel["timeframe"] = meta.timeframe;
        }
    }
    const data::SeriesKey key = series_key(api, sel);
    const data::StoredSeries series = api.store.open(key).value();
    // Features over the whole series (their look-back), forecasts for the rows in range.
    const ml::Dataset data = ml::dataset_for(meta, series.view());
    const bool all = bool_field(doc, "all", false);
    const auto& ts = data.ts;
    const auto row_at = [&ts](const std::optional<Timestamp>& t, std::size_t fallback) {
        return t ? static_cast<std::size_t>(std::lower_bound(ts.begin(), ts.end(), t->ns()) -
                                            ts.begin())
                 : fallback;
    };
    const std::size_t first =
        std::max(all ? ml::first_forecastable(meta, data) : ml::first_out_of_sample(meta, data),
                 row_at(time_bound(string_field(doc, "start")), 0));
    const std::size_t end = row_at(time_bound(string_field(doc, "end")), data.rows);
    if (first >= end) {
        bad_request(fmt::format("{} has no {}bars in the range asked (out of sample: from {})",
                                key.symbol, all ? "" : "out-of-sample ",
                                format_iso(Timestamp(meta.test_start))));
    }
    if (end - first > static_cast<std::size_t>(api.limits().max_bars)) {
        bad_request(
            fmt::format("{} forecasts asked; at most {} ([server] max_bars): narrow "
                        "start/end",
                        end - first, api.limits().max_bars));
    }
    const std::vector<double> predicted = predictor.predict(data, {first, end}).value();
    json rows = json::array();
    for (std::size_t i = 0; i < predicted.size(); ++i) {
        const std::int64_t t = ts[first + i];
        rows.push_back({{"ts", format_iso(Timestamp(t))},
                        {"forecast", predicted[i]},
                        {"in_sample", t < meta.test_start}});
    }
    return HttpResponse::json({{"model", name},
                               {"series", series_json(series.meta())},
                               {"label", meta.label.canonical()},
                               {"forecasts", rows}});
}

// --- jobs ------------------------------------------------------------------------------------

HttpResponse list_jobs(Api& api, const HttpRequest&) {
    json all = json::array();
    for (const JobInfo& j : api.jobs.list()) {
        all.push_back(j.to_json());
    }
    return HttpResponse::json({{"jobs", all}});
}

HttpResponse get_job(Api& api, const HttpRequest& req) {
    const auto job = api.jobs.get(req.path_params[0]);
    if (!job) {
        throw ApiError(404, "not_found",
                       fmt::format("no job '{}' (or it has expired)", req.path_params[0]));
    }
    return HttpResponse::json({{"job", job->to_json()}});
}

/// A route whose handler gets the Api.
Route route(Method method, std::string pattern, std::string service, bool token,
            std::string summary, HttpResponse (*fn)(Api&, const HttpRequest&), Api& api,
            std::vector<RouteParam> params = {}, bool body = false, int success = 200) {
    Route r;
    r.method = method;
    r.pattern = std::move(pattern);
    r.service = std::move(service);
    r.needs_token = token;
    r.summary = std::move(summary);
    r.params = std::move(params);
    r.has_body = body;
    r.success_status = success;
    r.handler = [fn, &api](const HttpRequest& req) {
        return fn(api, req);
    };
    return r;
}

}  // namespace

void BacktestStore::add(std::shared_ptr<const StoredBacktest> bt) {
    const std::lock_guard lock(mutex_);
    items_.push_back(std::move(bt));
    while (items_.size() > capacity_) {
        items_.pop_front();
    }
}

std::shared_ptr<const StoredBacktest> BacktestStore::get(const std::string& id) const {
    const std::lock_guard lock(mutex_);
    for (const auto& b : items_) {
        if (b->id == id) {
            return b;
        }
    }
    throw ApiError(404, "not_found",
                   fmt::format("no backtest '{}' (only the last {} are kept)", id, capacity_));
}

std::vector<Route> data_routes(Api& api) {
    const std::vector<RouteParam> bars_params = {
        {"start", "query", "string", "first time (ISO-8601), inclusive"},
        {"end", "query", "string", "last time (ISO-8601), exclusive"},
        {"limit", "query", "integer", "bars to return (default 5000, at most [server] max_bars)"},
        {"cursor", "query", "string", "next_cursor of the previous page"},
        {"tail", "query", "integer", "1: the last `limit` bars of the range"}};
    return {
        route(Method::Get, "/v1/series", "data", false, "Stored series", list_series, api),
        route(Method::Get, "/v1/series/{source}/{symbol}/{timeframe}/bars", "data", false,
              "Bars of a stored series by time range, paged (symbol as its directory name: "
              "BTC-USD for BTC/USD)",
              get_bars, api, bars_params),
        route(Method::Post, "/v1/data/import", "data", true,
              "Import CSV text into the store (a job)", import_csv_job, api, {}, true, 202),
        route(Method::Post, "/v1/data/fetch", "data", true,
              "Fetch bars from the data sources into the store (a job)", fetch_job, api, {}, true,
              202),
    };
}

std::vector<Route> indicator_routes(Api& api) {
    return {
        route(Method::Get, "/v1/indicators", "indicators", false, "Indicators and their parameters",
              list_indicators, api),
        route(Method::Post, "/v1/indicators", "indicators", false,
              "Compute indicator specs over a stored series or posted bars", compute_indicators,
              api, {}, true),
    };
}

std::vector<Route> backtest_routes(Api& api) {
    return {
        route(Method::Get, "/v1/strategies", "backtest", false, "Built-in strategies",
              list_strategies, api),
        route(Method::Post, "/v1/backtests", "backtest", true, "Run a backtest", run_backtest, api,
              {}, true, 201),
        route(Method::Get, "/v1/backtests/{id}", "backtest", false, "A backtest's metrics",
              get_backtest, api),
        route(Method::Get, "/v1/backtests/{id}/trades", "backtest", false, "A backtest's trades",
              get_trades, api),
        route(Method::Get, "/v1/backtests/{id}/equity", "backtest", false,
              "A backtest's equity and drawdown", get_equity, api,
              {{"points", "query", "integer", "at most this many points (downsampled)"}}),
        route(Method::Post, "/v1/sweeps", "backtest", true, "Parameter sweep (a job)", submit_sweep,
              api, {}, true, 202),
        route(Method::Post, "/v1/walkforwards", "backtest", true,
              "Walk-forward optimisation (a job)", submit_walkforward, api, {}, true, 202),
    };
}

std::vector<Route> ml_routes(Api& api) {
    return {
        route(Method::Get, "/v1/ml/models", "ml", false, "Trained models under [ml] checkpoint_dir",
              list_models, api),
        route(Method::Post, "/v1/ml/train", "ml", true, "Train a model (a job)", submit_train, api,
              {}, true, 202),
        route(Method::Post, "/v1/ml/predict", "ml", false, "A trained model's forecasts", predict,
              api, {}, true),
    };
}

std::vector<Route> job_routes(Api& api) {
    return {
        route(Method::Get, "/v1/jobs", "jobs", false, "Jobs, newest first", list_jobs, api),
        route(Method::Get, "/v1/jobs/{id}", "jobs", false, "A job's state and progress", get_job,
              api),
        route(
            Method::Get, "/v1/jobs/{id}/result", "jobs", false,
            "A done job's result (409 until done)",
            [](Api& a, const HttpRequest& r) {
                return HttpResponse::json(a.jobs.result(r.path_params[0]));
            },
            api),
        route(
            Method::Delete, "/v1/jobs/{id}", "jobs", true, "Cancel a job",
            [](Api& a, const HttpRequest& r) {
                return HttpResponse::json({{"job", a.jobs.cancel(r.path_params[0]).to_json()}});
            },
            api),
    };
}

}  // namespace tradpal::server::detail

// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <chrono>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <tradpal/core/file.hpp>
#include <tradpal/core/text.hpp>
#include <tradpal/data/fetch.hpp>
#include <tradpal/data/import.hpp>
#include <tradpal/data/resample.hpp>

namespace tradpal::data {
namespace {

constexpr std::string_view kKaggleSymbol = "BTC/USD";
constexpr std::string_view kKaggleSource = "kaggle";

// Bars of `rows` with start <= ts < end, aggregated to `timeframe` when it is coarser than the
// rows' own; a bucket reaching past `end` or still forming at `now` is dropped (counted).
Result<FetchResult> bars_for(const BarSeriesView& rows, const Timeframe& stored,
                             const FetchRequest& request) {
    FetchResult out;
    if (stored == request.timeframe) {
        out.bars.append(rows.between(request.start, request.end));
    } else {
        auto resampler = Resampler::create(stored, request.timeframe);
        if (!resampler) {
            return std::move(resampler).error();
        }
        // Whole buckets only: one opening before `start` would lack its first rows.
        Timestamp from = request.timeframe.bucket_start(request.start);
        if (from < request.start) {
            from = request.timeframe.next_bucket(from);
        }
        resampler->consume(rows.between(from, request.end), out.bars);
        resampler->finish(out.bars);
    }
    // The last bucket may be cut by the range's end or still be forming.
    std::size_t complete = out.bars.size();
    while (complete > 0) {
        const Timestamp close = request.timeframe.next_bucket(out.bars.view().time(complete - 1));
        if (close <= request.end && close <= request.now) {
            break;
        }
        --complete;
    }
    if (complete < out.bars.size()) {
        out.partial = out.bars.size() - complete;
        BarSeries kept;
        kept.append(out.bars.view().slice(0, complete));
        out.bars = std::move(kept);
    }
    return out;
}

class StoreSource final : public Source {
public:
    explicit StoreSource(const Store& store) : store_(store) {}

    std::string_view name() const override { return "store"; }

    bool supports(std::string_view /*symbol*/, const Timeframe& /*timeframe*/) const override {
        return true;
    }

    Result<FetchResult> fetch(const FetchRequest& request, const FetchProgress& progress) override {
        const SeriesMeta* best = nullptr;
        const std::vector<SeriesMeta> all = store_.list();
        for (const SeriesMeta& meta : all) {
            if (meta.key.symbol == request.symbol && meta.key.timeframe == request.timeframe &&
                meta.rows > 0 && (best == nullptr || meta.last > best->last)) {
                best = &meta;
            }
        }
        if (best == nullptr) {
            return fail(ErrorCode::NotFound,
                        fmt::format("no stored series of {} {}", request.symbol,
                                    request.timeframe.to_string()));
        }
        auto series = store_.open(best->key);
        if (!series) {
            return std::move(series).error();
        }
        auto out = bars_for(series->view(), best->key.timeframe, request);
        if (out && progress) {
            progress(out->bars.size(), request.end);
        }
        if (out) {
            out->note = fmt::format("from {}", best->key.to_string());
        }
        return out;
    }

private:
    const Store& store_;
};

class KaggleSource final : public Source {
public:
    KaggleSource(const Store& store, std::filesystem::path csv)
        : store_(store), csv_(std::move(csv)) {}

    std::string_view name() const override { return kKaggleSource; }

    bool supports(std::string_view symbol, const Timeframe& timeframe) const override {
        const Timeframe minute("1m");
        return symbol == kKaggleSymbol &&
               (timeframe == minute || Resampler::create(minute, timeframe).has_value());
    }

    Result<FetchResult> fetch(const FetchRequest& request, const FetchProgress& progress) override {
        const SeriesKey key{std::string(kKaggleSource), std::string(kKaggleSymbol),
                            Timeframe("1m")};
        if (auto imported = import_if_changed(key); !imported) {
            return std::move(imported).error();
        }
        auto series = store_.open(key);
        if (!series) {
            return std::move(series).error();
        }
        auto out = bars_for(series->view(), key.timeframe, request);
        if (out && progress) {
            progress(out->bars.size(), request.end);
        }
        return out;
    }

private:
    // The file as the series' origin records it: a changed size or time means new rows.
    Result<std::string> fingerprint() const {
        std::error_code ec;
        const auto size = std::filesystem::file_size(csv_, ec);
        const auto time = std::filesystem::last_write_time(csv_, ec);
        if (ec) {
            return fail(ErrorCode::NotFound,
                        fmt::format("Kaggle file {}: {}", csv_.string(), ec.message()));
        }
        return fmt::format("kaggle {} size={} mtime={}", csv_.string(), size,
                           time.time_since_epoch().count());
    }

    Result<void> import_if_changed(const SeriesKey& key) {
        auto origin = fingerprint();
        if (!origin) {
            return std::move(origin).error();
        }
        if (auto meta = store_.read_meta(key); meta && meta->origin == *origin) {
            return {};
        }
        try {
            ImportOptions options;
            options.csv.format = CsvFormat::Kaggle;
            options.origin = *origin;  // the fingerprint marks the file as read
            const ImportReport report = import_csv(store_, key, csv_, options);
            spdlog::info("data: imported {} new rows of {} into {}", report.rows_written,
                         csv_.string(), key.to_string());
        } catch (const Exception& e) {
            return fail(e.code(), e.what());
        }
        return {};
    }

    const Store& store_;
    std::filesystem::path csv_;
};

// Where a remote source's answer to one request is cached.
cache::Key answer_key(const Source& source, const FetchRequest& request) {
    return cache::KeyBuilder("api")
        .add("source", source.name())
        .add("symbol", request.symbol)
        .add("timeframe", request.timeframe.to_string())
        .add("start", request.start.ns())
        .add("end", request.end.ns())
        .build();
}

cache::Value to_value(const FetchResult& result, std::int64_t fetched_at_ns) {
    const BarSeriesView bars = result.bars.view();
    cache::Value value;
    value.columns.push_back(cache::Column::of("ts", bars.ts()));
    value.columns.push_back(cache::Column::of("open", bars.open()));
    value.columns.push_back(cache::Column::of("high", bars.high()));
    value.columns.push_back(cache::Column::of("low", bars.low()));
    value.columns.push_back(cache::Column::of("close", bars.close()));
    value.columns.push_back(cache::Column::of("volume", bars.volume()));
    const std::int64_t fetched[] = {fetched_at_ns};
    value.columns.push_back(cache::Column::of("fetched_at", fetched));
    value.columns.push_back(cache::Column::text("note", result.note));
    return value;
}

// A cached answer, and when it was fetched; nullopt for a value of another shape.
std::optional<std::pair<FetchResult, std::int64_t>> from_value(const cache::Value& value) {
    try {
        constexpr std::array<std::string_view, 5> kPrices = {"open", "high", "low", "close",
                                                             "volume"};
        const cache::Column* ts = value.find("ts");
        const cache::Column* fetched = value.find("fetched_at");
        if (ts == nullptr || fetched == nullptr || fetched->length() != 1) {
            return std::nullopt;
        }
        std::array<std::span<const double>, 5> columns;
        for (std::size_t i = 0; i < kPrices.size(); ++i) {
            const cache::Column* c = value.find(kPrices[i]);
            if (c == nullptr || c->length() != ts->length()) {
                return std::nullopt;
            }
            columns[i] = c->f64_view();
        }
        FetchResult result;
        result.bars.append(BarSeriesView(ts->i64_view(), columns[0], columns[1], columns[2],
                                         columns[3], columns[4]));
        if (const cache::Column* note = value.find("note")) {
            result.note = std::string(note->as_text());
        }
        return std::pair{std::move(result), fetched->i64_view()[0]};
    } catch (const Exception&) {
        return std::nullopt;
    }
}

std::int64_t wall_clock_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A remote source's cached answer to `request` and its age in seconds, if the cache has one.
struct CachedAnswer {
    FetchResult result;
    double age_seconds = 0;
};
std::optional<CachedAnswer> cached_answer(cache::Cache& cache, const Source& source,
                                          const FetchRequest& request) {
    const auto hit = cache.get(answer_key(source, request));
    auto cached = hit ? from_value(*hit) : std::nullopt;
    if (!cached) {
        return std::nullopt;
    }
    return CachedAnswer{std::move(cached->first),
                        static_cast<double>(wall_clock_ns() - cached->second) / 1e9};
}

// The first bar failing a row check, described; empty when all pass.
std::string first_invalid(const BarSeriesView& bars, std::uint64_t& invalid) {
    std::string first;
    invalid = 0;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const unsigned issues = row_issues(bars.bar(i));
        if (issues == 0) {
            continue;
        }
        if (invalid++ == 0) {
            for (std::size_t k = 0; k < kIssueCount; ++k) {
                if ((issues & (1U << k)) != 0) {
                    first = fmt::format("{} at {}", to_string(static_cast<Issue>(k)),
                                        format_iso(bars.time(i)));
                    break;
                }
            }
        }
    }
    return first;
}

std::string describe(const std::vector<ChainStep>& steps) {
    std::string text;
    for (const ChainStep& step : steps) {
        text += fmt::format("\n  {}: {} ({})", step.source, to_string(step.outcome), step.reason);
    }
    return text;
}

}  // namespace

std::unique_ptr<Source> make_store_source(const Store& store) {
    return std::make_unique<StoreSource>(store);
}

std::unique_ptr<Source> make_kaggle_source(const Store& store, std::filesystem::path csv) {
    return std::make_unique<KaggleSource>(store, std::move(csv));
}

std::string_view to_string(ChainStep::Outcome outcome) noexcept {
    switch (outcome) {
        case ChainStep::Outcome::Served:
            return "served";
        case ChainStep::Outcome::Skipped:
            return "skipped";
        case ChainStep::Outcome::Failed:
            return "failed";
        case ChainStep::Outcome::Empty:
            return "empty";
        case ChainStep::Outcome::Invalid:
            return "invalid";
    }
    return "unknown";
}

SourceChain::SourceChain(std::vector<std::unique_ptr<Source>> sources, ChainOptions options)
    : sources_(std::move(sources)), options_(options) {}

Result<ChainResult> SourceChain::fetch(const FetchRequest& request, const FetchProgress& progress) {
    return fetch([&request](const Source&) { return request; }, progress);
}

Result<ChainResult> SourceChain::fetch(const RequestFor& request_for,
                                       const FetchProgress& progress) {
    ChainResult out;
    const auto step = [&out](const Source& source, ChainStep::Outcome outcome, std::string reason) {
        spdlog::info("data: {} {}: {}", source.name(), to_string(outcome), reason);
        out.steps.push_back({std::string(source.name()), outcome, std::move(reason)});
    };
    bool outage = false;  // a source failed for another reason than not knowing the symbol
    std::string symbol;
    std::string timeframe;
    for (const auto& source : sources_) {
        const FetchRequest request = request_for(*source);
        symbol = request.symbol;
        timeframe = request.timeframe.to_string();
        if (!source->supports(request.symbol, request.timeframe)) {
            step(
                *source, ChainStep::Outcome::Skipped,
                fmt::format("does not serve {} {}", request.symbol, request.timeframe.to_string()));
            continue;
        }
        if (request.start >= request.end) {
            step(*source, ChainStep::Outcome::Served, "up to date");
            out.source = source->name();
            return out;
        }
        if (source->is_remote() && options_.cache != nullptr) {
            auto cached = cached_answer(*options_.cache, *source, request);
            if (cached && cached->age_seconds < static_cast<double>(options_.ttl_api_seconds)) {
                step(*source, ChainStep::Outcome::Served,
                     fmt::format("{} bars from the cache (fetched {:.0f} s ago)",
                                 cached->result.bars.size(), cached->age_seconds));
                out.result = std::move(cached->result);
                out.source = source->name();
                out.from_cache = true;
                return out;
            }
        }
        auto fetched = source->fetch(request, progress);
        if (!fetched) {
            outage = outage || fetched.error().code != ErrorCode::NotFound;
            step(*source, ChainStep::Outcome::Failed, fetched.error().message);
            continue;
        }
        if (fetched->bars.empty()) {
            step(*source, ChainStep::Outcome::Empty,
                 fmt::format("no bars from {} to {}{}{}", format_iso(request.start),
                             format_iso(request.end), fetched->note.empty() ? "" : ": ",
                             fetched->note));
            continue;
        }
        std::uint64_t invalid = 0;
        if (const std::string first = first_invalid(fetched->bars.view(), invalid); invalid > 0) {
            step(*source, ChainStep::Outcome::Invalid,
                 fmt::format("{} of {} bars fail validation (first: {})", invalid,
                             fetched->bars.size(), first));
            continue;
        }
        if (source->is_remote() && options_.cache != nullptr) {
            options_.cache->put(answer_key(*source, request), to_value(*fetched, wall_clock_ns()),
                                options_.keep_stale_seconds);
        }
        step(*source, ChainStep::Outcome::Served,
             fmt::format("{} bars in {} requests", fetched->bars.size(), fetched->requests));
        out.result = std::move(*fetched);
        out.source = source->name();
        return out;
    }
    // Last resort: an earlier answer of a remote source, however old.
    if (options_.stale_fallback && options_.cache != nullptr) {
        for (const auto& source : sources_) {
            const FetchRequest request = request_for(*source);
            if (!source->is_remote() || !source->supports(request.symbol, request.timeframe)) {
                continue;
            }
            auto cached = cached_answer(*options_.cache, *source, request);
            if (!cached) {
                continue;
            }
            const double age = cached->age_seconds;
            out.stale = age >= static_cast<double>(options_.ttl_api_seconds);
            spdlog::warn("data: every source failed; serving {}'s answer cached {:.0f} s ago{}",
                         source->name(), age, out.stale ? " (stale)" : "");
            out.steps.push_back({"cache", ChainStep::Outcome::Served,
                                 fmt::format("{}'s answer of {:.0f} s ago{}", source->name(), age,
                                             out.stale ? ", stale" : "")});
            out.result = std::move(cached->result);
            out.source = source->name();
            out.from_cache = true;
            return out;
        }
        out.steps.push_back({"cache", ChainStep::Outcome::Empty, "no cached answer"});
    }
    return fail(
        outage ? ErrorCode::Unavailable : ErrorCode::NotFound,
        fmt::format("no source could serve {} {}:{}", symbol, timeframe, describe(out.steps)));
}

Result<std::vector<std::unique_ptr<Source>>> make_sources(std::string_view order,
                                                          const DataSettings& settings,
                                                          const Store& store,
                                                          std::shared_ptr<HttpClient> client) {
    const auto policy = [&settings](double rate, double burst) {
        HostPolicy p;
        p.rate = rate;
        p.burst = burst;
        p.timeout = std::chrono::milliseconds(settings.http_timeout_ms);
        p.max_attempts = static_cast<int>(settings.http_attempts);
        return p;
    };
    std::vector<std::unique_ptr<Source>> sources;
    for (const std::string& name : split_list(order)) {
        if (name.empty() || name == "cache") {
            continue;
        }
        if (name == "store") {
            sources.push_back(make_store_source(store));
        } else if (name == "kaggle") {
            if (!settings.kaggle_path.empty()) {
                sources.push_back(make_kaggle_source(store, expand_user(settings.kaggle_path)));
            }
        } else if (name == "yahoo") {
            client->set_policy(url_origin(settings.yahoo_url),
                               policy(settings.yahoo_rate, settings.yahoo_burst));
            sources.push_back(make_yahoo_source({settings.yahoo_url, client}));
        } else if (name == "binance") {
            client->set_policy(url_origin(settings.binance_url),
                               policy(settings.binance_rate, settings.binance_burst));
            sources.push_back(make_binance_source({settings.binance_url, client}));
        } else if (name == "kraken") {
            client->set_policy(url_origin(settings.kraken_url),
                               policy(settings.kraken_rate, settings.kraken_burst));
            sources.push_back(make_kraken_source({settings.kraken_url, client}));
        } else {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("unknown data source '{}' (known: store, kaggle, yahoo, "
                                    "binance, kraken, cache)",
                                    name));
        }
    }
    return sources;
}

Result<UpdateReport> update_series(const Store& store, SourceChain& chain, std::string_view symbol,
                                   const Timeframe& timeframe, Timestamp start, Timestamp end,
                                   Timestamp now, const FetchProgress& progress) {
    for (const auto& source : chain.sources()) {
        if (source->name() == "store") {
            return fail(ErrorCode::InvalidArgument,
                        "update_series: the store is where fetched bars go, not a source of them");
        }
    }
    // Bars opening in the bucket of `now` or later are still forming: not asking for them makes
    // an update with nothing new "up to date" instead of every source answering empty.
    const Timestamp complete_end = std::min(end, timeframe.bucket_start(now));
    // Each source is asked only for bars after its own stored ones.
    const auto request_for = [&](const Source& source) {
        FetchRequest request{std::string(symbol), timeframe, start, complete_end, now};
        const SeriesKey key{std::string(source.name()), std::string(symbol), timeframe};
        if (source.name() != "store") {
            if (auto meta = store.read_meta(key); meta && meta->rows > 0) {
                request.start = std::max(start, timeframe.next_bucket(meta->last));
            }
        }
        return request;
    };
    auto chain_result = chain.fetch(request_for, progress);
    if (!chain_result) {
        return std::move(chain_result).error();
    }
    UpdateReport report;
    report.key = SeriesKey{chain_result->source, std::string(symbol), timeframe};
    report.chain = std::move(*chain_result);
    if (report.chain.result.bars.empty()) {
        report.up_to_date = true;
        if (auto meta = store.read_meta(report.key)) {
            report.meta = *meta;
        }
        return report;
    }
    try {
        auto writer = SeriesWriter::open(store, report.key, SeriesWriter::Mode::Append);
        if (!writer) {
            return std::move(writer).error();
        }
        const BarSeriesView bars = report.chain.result.bars.view();
        std::size_t first_new = 0;
        Validator validator(timeframe);
        if (const auto& previous = writer->previous(); previous && previous->rows > 0) {
            while (first_new < bars.size() && bars.time(first_new) <= previous->last) {
                ++first_new;
            }
            validator.set_previous(previous->last);
        }
        report.already_stored = first_new;
        const BarSeriesView fresh = bars.slice(first_new, bars.size() - first_new);
        validator.consume(fresh, writer->base_rows());
        report.validation = validator.report();
        if (fresh.empty()) {
            report.up_to_date = true;
            report.meta = writer->previous().value_or(SeriesMeta{});
            return report;
        }
        writer->stage(fresh);
        writer->set_origin(fmt::format("fetch {}{}", report.chain.source,
                                       report.chain.from_cache ? " (cached answer)" : ""));
        report.meta = writer->commit();
        report.bars_added = fresh.size();
    } catch (const Exception& e) {
        return fail(e.code(), e.what());
    }
    return report;
}

}  // namespace tradpal::data

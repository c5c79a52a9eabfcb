// SPDX-License-Identifier: Apache-2.0
#include <charconv>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include <tradpal/cli/app.hpp>
#include <tradpal/config.hpp>
#include <tradpal/core/output.hpp>
#include <tradpal/data/csv.hpp>
#include <tradpal/indicators/registry.hpp>

#include "context.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

using nlohmann::json;
namespace ind = tradpal::indicators;

std::string inputs_text(unsigned inputs) {
    std::vector<std::string> names;
    const std::pair<unsigned, const char*> fields[] = {
        {ind::kOpen, "open"},   {ind::kHigh, "high"},     {ind::kLow, "low"},
        {ind::kClose, "close"}, {ind::kVolume, "volume"}, {ind::kTime, "time"}};
    for (const auto& [bit, name] : fields) {
        if ((inputs & bit) != 0) {
            names.emplace_back(name);
        }
    }
    return fmt::format("{}", fmt::join(names, ","));
}

std::string default_text(const ind::ParamInfo& p) {
    switch (p.kind) {
        case ind::ParamKind::Integer:
            return std::to_string(static_cast<long long>(p.default_value));
        case ind::ParamKind::Ma:
            return std::string(
                ind::to_string(static_cast<ind::MaType>(static_cast<int>(p.default_value))));
        case ind::ParamKind::Real:
            break;
    }
    return fmt::format("{}", p.default_value);
}

int run_list(Context& ctx) {
    if (ctx.json) {
        json all = json::array();
        for (const ind::IndicatorInfo& info : ind::all_indicators()) {
            json params = json::array();
            for (const ind::ParamInfo& p : info.params) {
                const char* kind = p.kind == ind::ParamKind::Integer ? "integer"
                                   : p.kind == ind::ParamKind::Real  ? "real"
                                                                     : "ma_type";
                params.push_back({{"name", p.name},
                                  {"kind", kind},
                                  {"default", default_text(p)},
                                  {"min", p.min},
                                  {"max", p.max},
                                  {"description", p.description}});
            }
            const ind::Spec defaults = ind::Spec::parse(info.name).value();
            all.push_back({{"name", info.name},
                           {"title", info.title},
                           {"group", info.group},
                           {"inputs", inputs_text(info.inputs)},
                           {"params", params},
                           {"outputs", info.outputs},
                           {"default_spec", defaults.canonical()},
                           {"lookback", defaults.lookback()},
                           {"talib", info.talib}});
        }
        Context::print_json({{"indicators", all}});
        return 0;
    }
    Table table({"NAME", "PARAMETERS (DEFAULTS)", "OUTPUTS", "INPUTS", "GROUP", "DESCRIPTION"});
    for (const ind::IndicatorInfo& info : ind::all_indicators()) {
        std::vector<std::string> params;
        for (const ind::ParamInfo& p : info.params) {
            params.push_back(fmt::format("{}={}", p.name, default_text(p)));
        }
        table.add_row(
            {std::string(info.name), fmt::format("{}", fmt::join(params, " ")),
             info.outputs.size() == 1 ? "" : fmt::format("{}", fmt::join(info.outputs, ",")),
             inputs_text(info.inputs), std::string(info.group),
             fmt::format("{}{}", info.title, info.talib ? "" : " (not in TA-Lib)")});
    }
    table.print(std::cout);
    std::cout << fmt::format(
        "\n{} indicators. Use them as name(p1,p2,...), e.g. \"rsi(14),macd(12,26,9)\"; "
        "omitted parameters take the defaults.\n",
        ind::all_indicators().size());
    return 0;
}

struct ComputeArgs {
    std::string input;
    SeriesSelector series;
    std::string indicators;
    std::string out = "-";
    std::string start_date;
    std::string end_date;
    std::string time_format = "iso";
};

/// Refuses bars that do not come strictly later than the one before.
class TimeOrder {
public:
    void check(Timestamp ts) {
        if (has_last_ && ts.ns() <= last_) {
            throw Exception(ErrorCode::ValidationFailed,
                            fmt::format("input is not in time order at {} (after {}); import it "
                                        "with `tradpal data import --fix` and use --symbol",
                                        format_iso(ts), format_iso(Timestamp(last_))));
        }
        has_last_ = true;
        last_ = ts.ns();
    }

private:
    bool has_last_ = false;
    std::int64_t last_ = 0;
};

/// The streaming form of every indicator, fed bar by bar in time order.
class IndicatorStreams {
public:
    explicit IndicatorStreams(const std::vector<ind::Spec>& specs) {
        for (const ind::Spec& spec : specs) {
            streams_.push_back(spec.stream());
            counts_.push_back(spec.output_count());
        }
        values_.resize(16);
    }

    /// Every indicator sees `bar`. Throws: tradpal::Exception when it is not later than the last.
    void update(const Bar& bar) {
        order_.check(bar.ts);
        for (auto& s : streams_) {
            s->update(bar);
        }
    }

    /// Calls sink(value) for every output of every indicator, in column order.
    template <class Sink>
    void each_value(Sink sink) {
        for (std::size_t k = 0; k < streams_.size(); ++k) {
            streams_[k]->values(std::span(values_).first(counts_[k]));
            for (std::size_t o = 0; o < counts_[k]; ++o) {
                sink(values_[o]);
            }
        }
    }

private:
    std::vector<std::unique_ptr<ind::IndicatorStream>> streams_;
    std::vector<std::size_t> counts_;
    std::vector<double> values_;
    TimeOrder order_;
};

std::vector<std::string> output_names(const std::vector<ind::Spec>& specs) {
    std::vector<std::string> names;
    for (const ind::Spec& spec : specs) {
        for (const std::string& name : spec.output_names()) {
            names.push_back(name);
        }
    }
    return names;
}

/// Every output of every indicator at every bar as cache columns ("ts" first): what
/// `indicators --cache` stores.
class ColumnCollector {
public:
    explicit ColumnCollector(const std::vector<ind::Spec>& specs)
        : streams_(specs), names_(output_names(specs)), outputs_(names_.size()) {}

    void consume(const BarSeriesView& rows) {
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Bar bar = rows.bar(i);
            streams_.update(bar);
            ts_.push_back(bar.ts.ns());
            std::size_t column = 0;
            streams_.each_value([&](double v) { outputs_[column++].push_back(v); });
        }
    }

    cache::Value finish() const {
        cache::Value value;
        value.columns.push_back(cache::Column::of("ts", ts_));
        for (std::size_t c = 0; c < names_.size(); ++c) {
            value.columns.push_back(cache::Column::of(names_[c], outputs_[c]));
        }
        return value;
    }

private:
    IndicatorStreams streams_;
    std::vector<std::string> names_;
    std::vector<std::int64_t> ts_;
    std::vector<std::vector<double>> outputs_;
};

// Streams bars through every indicator and writes one CSV row per bar in [start, end).
class RowWriter {
public:
    RowWriter(const std::vector<ind::Spec>& specs, OutputFile& out, Timestamp start, Timestamp end,
              bool unix_time)
        : out_(out), start_(start), end_(end), unix_time_(unix_time), streams_(specs) {
        std::string header = "timestamp";
        for (const std::string& name : output_names(specs)) {
            header += ',';
            header += csv_field(name);
        }
        header += '\n';
        out_.write(header);
    }

    void consume(const BarSeriesView& rows) {
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Bar bar = rows.bar(i);
            streams_.update(bar);
            if (bar.ts < start_ || bar.ts >= end_) {
                continue;
            }
            begin_row(bar.ts);
            streams_.each_value([this](double v) { add_value(v); });
            end_row();
        }
    }

    /// The rows of columns computed earlier (a cached value: "ts", then every output).
    void write_columns(const cache::Value& value) {
        // Views, not copies: a file hit's columns are the mapped file itself.
        const std::span<const std::int64_t> ts = value.columns.at(0).i64_view();
        std::vector<std::span<const double>> outputs;
        for (std::size_t c = 1; c < value.columns.size(); ++c) {
            outputs.push_back(value.columns[c].f64_view());
            if (outputs.back().size() != ts.size()) {
                throw Exception(ErrorCode::Corrupt,
                                "cached indicator columns differ in length; run `tradpal cache "
                                "clear --namespace indicators`");
            }
        }
        for (std::size_t i = 0; i < ts.size(); ++i) {
            const Timestamp t(ts[i]);
            if (t < start_ || t >= end_) {
                continue;
            }
            begin_row(t);
            for (const std::span<const double> column : outputs) {
                add_value(column[i]);
            }
            end_row();
        }
    }

    std::uint64_t rows() const noexcept { return rows_; }

private:
    void begin_row(Timestamp ts) {
        char* p = out_.reserve(64);
        if (unix_time_) {
            p = ts.ns() % kNanosPerSecond == 0
                    ? std::to_chars(p, p + 24, ts.seconds()).ptr
                    : std::to_chars(p, p + 32, static_cast<double>(ts.ns()) / 1e9).ptr;
        } else {
            p = iso_.write(p, ts);
        }
        out_.advance(p);
    }

    void add_value(double v) {
        char* q = out_.reserve(40);
        *q++ = ',';
        if (!std::isnan(v)) {
            q = std::to_chars(q, q + 32, v).ptr;  // shortest round-trip
        }
        out_.advance(q);
    }

    void end_row() {
        char* q = out_.reserve(1);
        *q++ = '\n';
        out_.advance(q);
        ++rows_;
    }

    OutputFile& out_;
    Timestamp start_, end_;
    bool unix_time_;
    IndicatorStreams streams_;
    IsoFormatter iso_;
    std::uint64_t rows_ = 0;
};

int run_compute(Context& ctx, const ComputeArgs& a) {
    if (a.input.empty() == a.series.symbol.empty()) {
        throw Exception(ErrorCode::InvalidArgument, "give either --input FILE or --symbol SYMBOL");
    }
    if (a.indicators.empty()) {
        throw Exception(ErrorCode::InvalidArgument,
                        "--ind is required, e.g. --ind \"rsi(14),macd(12,26,9)\" (see: tradpal "
                        "indicators list)");
    }
    if (a.time_format != "iso" && a.time_format != "unix") {
        throw Exception(ErrorCode::InvalidArgument, "--time-format must be iso or unix");
    }
    const std::vector<ind::Spec> specs = ind::Spec::parse_list(a.indicators).value();
    const auto clock = std::chrono::steady_clock::now();
    OutputFile out = OutputFile::open(a.out).value();
    RowWriter writer(specs, out, date_bound(a.start_date, false), date_bound(a.end_date, true),
                     a.time_format == "unix");
    std::uint64_t bars = 0;
    std::optional<data::StoredSeries> series;
    if (a.input.empty()) {
        const auto load_stage = ctx.stage("load");
        const data::Store store = ctx.store();
        series.emplace(store.open(a.series.resolve(store)).value());
    }
    // Runs the bars through `sink` chunk by chunk, from the CSV file or the stored series.
    const auto feed = [&](auto& sink) {
        if (!a.input.empty()) {
            data::CsvOptions options;
            options.threads = ctx.threads();
            data::CsvReader reader = data::CsvReader::open(a.input, options).value();
            while (const std::size_t n =
                       reader
                           .read_blocks([&](const BarSeriesView& rows,
                                            std::span<const std::uint64_t>) { sink.consume(rows); })
                           .value()) {
                bars += n;
            }
            return;
        }
        ProgressBar bar("computing", "bars", ctx.show_progress() && !out.is_stdout());
        series->for_each_chunk(ctx.chunk_rows(),
                               [&](const BarSeriesView& chunk, std::uint64_t first) {
                                   sink.consume(chunk);
                                   bar.update(first + chunk.size(), series->meta().rows);
                               });
        bars = series->meta().rows;
    };
    auto compute_stage = ctx.stage("compute");  // streaming: reads, computes and formats rows
    std::string cache_state = "off";
    if (ctx.use_cache) {
        // Everything the columns depend on (docs/CACHE.md): the input's contents, the
        // indicators, and the version of the code computing them.
        cache::KeyBuilder key("indicators");
        key.add("input", a.input.empty() ? data::data_version(series->meta())
                                         : cache::file_fingerprint(a.input).value());
        for (const ind::Spec& spec : specs) {
            key.add("spec", spec.canonical());
        }
        key.add("engine", std::string_view(TRADPAL_VERSION));
        cache_state = "hit";
        const auto columns = ctx.cache().get_or_compute(key.build(), [&] {
            cache_state = "miss";
            ColumnCollector collector(specs);
            feed(collector);
            return collector.finish();
        });
        writer.write_columns(*columns);
        bars = columns->columns.at(0).length();
    } else {
        feed(writer);
    }
    compute_stage.stop();
    auto write_stage = ctx.stage("write");
    out.commit();
    write_stage.stop();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - clock).count();
    const std::vector<std::string> columns = output_names(specs);
    if (ctx.json && !out.is_stdout()) {
        Context::print_json({{"bars", bars},
                             {"rows", writer.rows()},
                             {"cache", cache_state},
                             {"columns", columns},
                             {"out", a.out},
                             {"seconds", seconds}});
    } else if (!out.is_stdout()) {
        std::cout << fmt::format("Computed {} on {} bars; wrote {} rows to {} in {}{}\n",
                                 fmt::join(columns, ", "), with_commas(bars),
                                 with_commas(writer.rows()), a.out, format_seconds(seconds),
                                 cache_state == "hit" ? " (from the cache)" : "");
    }
    return 0;
}

}  // namespace

void add_indicators_command(CLI::App& app, std::vector<Command>& commands) {
    auto a = std::make_shared<ComputeArgs>();
    CLI::App* c = app.add_subcommand(
        "indicators",
        "Compute indicators over a CSV file or a stored series (streaming, constant memory)");
    c->require_subcommand(0, 1);
    CLI::App* list =
        c->add_subcommand("list", "Every indicator with its parameters, defaults and outputs");
    commands.push_back({list, run_list});

    c->add_option("--input", a->input, "A CSV file of bars (any format data import reads)");
    c->add_option("-s,--symbol", a->series.symbol, "A stored series instead of --input");
    c->add_option("-t,--timeframe", a->series.timeframe, "Timeframe of the stored series");
    c->add_option("--source", a->series.source, "Source of the stored series");
    c->add_option("--ind", a->indicators,
                  "Indicators, e.g. \"rsi(14),macd(12,26,9),bbands(20,2,2,sma)\"");
    c->add_option("-o,--out", a->out, "Output CSV (- = standard output)");
    c->add_option("--start-date", a->start_date,
                  "First bar to write (earlier bars still warm up the indicators)");
    c->add_option("--end-date", a->end_date,
                  "Last bar to write (a bare date includes the whole day)");
    c->add_option("--time-format", a->time_format, "iso or unix (seconds)");
    commands.push_back({c, [a](Context& ctx) {
                            return run_compute(ctx, *a);
                        }});
}

}  // namespace tradpal::cli

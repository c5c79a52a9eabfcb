// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include <tradpal/cli/app.hpp>
#include <tradpal/data/export.hpp>
#include <tradpal/data/generate.hpp>
#include <tradpal/data/import.hpp>
#include <tradpal/data/resample.hpp>
#include <tradpal/data/validate.hpp>

#include "context.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class Stopwatch {
public:
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::uint64_t directory_bytes(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.is_regular_file(ec)) {
            total += entry.file_size(ec);
        }
    }
    return total;
}

std::string time_range(const data::SeriesMeta& m) {
    return m.rows == 0 ? "empty"
                       : fmt::format("{} → {}", format_human(m.first), format_human(m.last));
}

// "time=unix,volume=Volume BTC" -> column overrides.
std::map<data::BarField, std::string> parse_columns(const std::string& text) {
    std::map<data::BarField, std::string> out;
    std::string_view rest = text;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) {
            throw Exception(ErrorCode::InvalidArgument,
                            fmt::format("--columns expects field=column pairs, got '{}'", item));
        }
        out[data::parse_bar_field(item.substr(0, eq)).value()] = std::string(item.substr(eq + 1));
    }
    return out;
}

// ---- data import

struct ImportArgs {
    std::string file;
    std::string symbol;
    std::string timeframe;
    std::string source = "csv";
    std::string format = "auto";
    std::string delimiter;
    bool header = false;
    bool no_header = false;
    std::string columns;
    std::string time_unit = "auto";
    bool adjust = false;
    double price_scale = 1.0;
    std::string on_error = "fail";
    bool fix = false;
    bool replace = false;
};

int run_import(Context& ctx, const ImportArgs& a) {
    data::ImportOptions options;
    options.csv.format = data::parse_csv_format(a.format).value();
    options.csv.on_error = data::parse_on_error(a.on_error).value();
    options.csv.time_unit = parse_epoch_unit(a.time_unit).value();
    options.csv.adjust = a.adjust;
    options.csv.price_scale = a.price_scale;
    options.csv.threads = ctx.threads();
    if (!a.delimiter.empty()) {
        const std::string d = a.delimiter == "\\t" || a.delimiter == "tab" ? "\t" : a.delimiter;
        if (d.size() != 1) {
            throw Exception(ErrorCode::InvalidArgument, "--delimiter takes one character (or tab)");
        }
        options.csv.delimiter = d[0];
    }
    if (a.header || a.no_header) {
        options.csv.header = a.header;
    }
    options.csv.columns = parse_columns(a.columns);
    options.fix = a.fix;
    options.mode = a.replace ? data::ImportMode::Replace : data::ImportMode::Append;
    const data::SeriesKey key{a.source, a.symbol, Timeframe::parse(a.timeframe).value()};

    ProgressBar bar("importing", "B", ctx.show_progress());
    options.progress = [&](std::uint64_t done, std::uint64_t total) {
        bar.update(done, total);
    };
    const Stopwatch clock;
    const data::ImportReport r = data::import_csv(ctx.store(), key, a.file, options);
    const double seconds = clock.seconds();

    if (ctx.json) {
        Context::print_json({{"imported_rows", r.rows_written},
                             {"already_stored_rows", r.already_stored},
                             {"seconds", seconds},
                             {"format", data::to_string(r.layout.format)},
                             {"csv", to_json(r.csv)},
                             {"order",
                              {{"out_of_order", r.order.out_of_order},
                               {"duplicates", r.order.duplicates},
                               {"reversed", r.order.reversed}}},
                             {"fix", to_json(r.fix)},
                             {"validation", to_json(r.validation)},
                             {"series", to_json(r.meta)}});
        return 0;
    }
    std::cout << fmt::format("Imported {} rows into {} in {} ({}/s)\n", with_commas(r.rows_written),
                             key.to_string(), format_seconds(seconds),
                             format_bytes(static_cast<std::uint64_t>(
                                 static_cast<double>(r.csv.bytes) / std::max(seconds, 1e-9))));
    std::cout << fmt::format(
        "  file        {} ({}, {} columns, '{}' delimited)\n", a.file,
        data::to_string(r.layout.format), r.layout.field_count,
        r.layout.delimiter == '\t' ? std::string("tab") : std::string(1, r.layout.delimiter));
    for (const std::string& note : r.csv.notes) {
        std::cout << "              " << note << '\n';
    }
    if (r.order.reversed) {
        std::cout << "  order       newest first: reversed into time order\n";
    }
    if (a.fix) {
        std::cout << "  fix         " << r.fix.describe() << '\n';
    }
    if (r.already_stored > 0) {
        std::cout << fmt::format(
            "  skipped     {} rows already stored (at or before the last stored "
            "bar); use --replace to re-import everything\n",
            with_commas(r.already_stored));
    }
    if (r.csv.empty_rows > 0 || r.csv.rejected > 0) {
        std::cout << fmt::format("  skipped     {} rows without prices, {} unreadable rows\n",
                                 with_commas(r.csv.empty_rows), with_commas(r.csv.rejected));
        for (const auto& e : r.csv.examples) {
            std::cout << fmt::format("              {}:{}: {}\n", a.file, e.line, e.reason);
        }
    }
    std::cout << fmt::format("  series      {} rows, {} (version {})\n", with_commas(r.meta.rows),
                             time_range(r.meta), r.meta.version);
    std::cout << "  validation of the imported rows:\n";
    print_validation(std::cout, r.validation, key.timeframe);
    return 0;
}

// ---- data list / info

int run_list(Context& ctx) {
    const data::Store store = ctx.store();
    std::vector<std::string> problems;
    const auto all = store.list(&problems);
    if (ctx.json) {
        json series = json::array();
        for (const auto& m : all) {
            json j = to_json(m);
            j["bytes"] = directory_bytes(store.series_dir(m.key).value());
            series.push_back(std::move(j));
        }
        Context::print_json(
            {{"store", store.root().string()}, {"series", series}, {"problems", problems}});
        return 0;
    }
    if (all.empty()) {
        std::cout << fmt::format(
            "No series in {} (import one with: tradpal data import FILE --symbol S "
            "--timeframe TF)\n",
            store.root().string());
    } else {
        Table table({"SOURCE", "SYMBOL", "TF", "ROWS", "FIRST", "LAST", "SIZE"});
        for (const auto& m : all) {
            table.add_row({m.key.source, m.key.symbol, m.key.timeframe.to_string(),
                           with_commas(m.rows), m.rows ? format_human(m.first) : "",
                           m.rows ? format_human(m.last) : "",
                           format_bytes(directory_bytes(store.series_dir(m.key).value()))});
        }
        table.print(std::cout);
    }
    for (const auto& p : problems) {
        std::cerr << "warning: " << p << '\n';
    }
    return 0;
}

int run_info(Context& ctx, const SeriesSelector& sel, bool verify) {
    const data::Store store = ctx.store();
    const data::SeriesKey key = sel.resolve(store);
    const data::StoredSeries s =
        store.open(key, {.map = ctx.settings.values.memory.mapping_enabled}).value();
    const data::ValidationReport report = data::validate_series(s, ctx.chunk_rows());
    const fs::path dir = store.series_dir(key).value();
    std::optional<Result<void>> checks;
    if (verify) {
        checks = s.verify();
    }
    const data::SeriesMeta& m = s.meta();
    if (ctx.json) {
        json j = to_json(m);
        j["path"] = dir.string();
        j["bytes"] = directory_bytes(dir);
        j["gaps"] = report.count(data::Issue::Gap);
        j["missing_bars"] = report.missing_bars;
        j["largest_gap_seconds"] = report.largest_gap_ns / kNanosPerSecond;
        j["problems"] = report.has_errors();
        if (checks) {
            j["checksums_ok"] = checks->has_value();
        }
        Context::print_json(j);
    } else {
        std::cout << key.to_string() << '\n';
        std::cout << fmt::format("  rows        {}\n", with_commas(m.rows));
        if (m.rows > 0) {
            std::cout << fmt::format("  first       {}\n  last        {}\n  span        {}\n",
                                     format_human(m.first), format_human(m.last),
                                     format_span(m.last.ns() - m.first.ns()));
        }
        std::cout << fmt::format("  gaps        {} ({} bars missing",
                                 with_commas(report.count(data::Issue::Gap)),
                                 with_commas(report.missing_bars));
        if (report.largest_gap_ns > 0) {
            std::cout << fmt::format("; the largest is {} after {}",
                                     format_span(report.largest_gap_ns),
                                     format_human(report.largest_gap_start));
        }
        std::cout << ")\n";
        std::cout << fmt::format("  problems    {}\n",
                                 report.has_errors() ? "yes: run tradpal data validate" : "none");
        std::cout << fmt::format("  size        {} on disk\n", format_bytes(directory_bytes(dir)));
        std::cout << fmt::format("  version     {} (generation {})\n", m.version, m.generation);
        std::cout << fmt::format("  origin      {}\n", m.origin);
        std::cout << fmt::format("  path        {}\n", dir.string());
        if (checks) {
            std::cout << fmt::format("  checksums   {}\n",
                                     checks->has_value() ? "ok" : checks->error().message);
        }
    }
    return checks && !checks->has_value() ? exit_code(ErrorCode::Corrupt) : 0;
}

// ---- data validate

int run_validate(Context& ctx, const SeriesSelector& sel, bool fix, bool verify) {
    const data::Store store = ctx.store();
    const data::SeriesKey key = sel.resolve(store);
    std::optional<data::FixResult> fixed;
    if (fix) {
        fixed = data::fix_series(store, key);
    }
    const data::StoredSeries s = store.open(key).value();
    std::optional<Result<void>> checks;
    if (verify) {
        checks = s.verify();
    }
    const data::ValidationReport report = data::validate_series(s, ctx.chunk_rows());
    if (ctx.json) {
        json j = {{"series", to_json(s.meta())}, {"validation", to_json(report)}};
        if (fixed) {
            j["fix"] = to_json(fixed->plan);
        }
        if (checks) {
            j["checksums_ok"] = checks->has_value();
        }
        Context::print_json(j);
    } else {
        std::cout << fmt::format("{}: {} rows\n", key.to_string(), with_commas(report.rows));
        if (fixed) {
            std::cout << fmt::format("  fixed: {}\n", fixed->plan.describe());
        }
        if (checks) {
            std::cout << fmt::format("  checksums: {}\n",
                                     checks->has_value() ? "ok" : checks->error().message);
        }
        print_validation(std::cout, report, key.timeframe);
        if (report.has_errors() && !fix) {
            std::cout << "Run again with --fix to drop invalid rows.\n";
        }
    }
    if (checks && !checks->has_value()) {
        return exit_code(ErrorCode::Corrupt);
    }
    return report.has_errors() ? exit_code(ErrorCode::ValidationFailed) : 0;
}

// ---- data resample

int run_resample(Context& ctx, const SeriesSelector& sel, const std::string& from,
                 const std::string& to, bool force) {
    const data::Store store = ctx.store();
    SeriesSelector source_sel = sel;
    source_sel.timeframe = from;
    const data::SeriesKey key = source_sel.resolve(store);
    ProgressBar bar("resampling", "bars", ctx.show_progress());
    const Stopwatch clock;
    const data::ResampleResult r = data::resample_series(
        store, key, Timeframe::parse(to).value(), ctx.chunk_rows(), force,
        [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
    if (ctx.json) {
        Context::print_json({{"input_rows", r.input_rows},
                             {"seconds", clock.seconds()},
                             {"series", to_json(r.target)}});
    } else {
        std::cout << fmt::format("Resampled {} {} bars into {} {} bars of {} ({}) in {}\n",
                                 with_commas(r.input_rows), key.timeframe.to_string(),
                                 with_commas(r.target.rows), to, key.symbol, key.source,
                                 format_seconds(clock.seconds()));
        std::cout << fmt::format("  series      {} ({})\n", r.target.key.to_string(),
                                 time_range(r.target));
    }
    return 0;
}

// ---- data export

struct ExportArgs {
    SeriesSelector series;
    std::string format = "csv";
    std::string out = "-";
    std::string start_date;
    std::string end_date;
    std::string time_format = "iso";
};

int run_export(Context& ctx, const ExportArgs& a) {
    const data::Store store = ctx.store();
    const data::SeriesKey key = a.series.resolve(store);
    const data::StoredSeries s = store.open(key).value();
    const Timestamp start = date_bound(a.start_date, false);
    const Timestamp end = date_bound(a.end_date, true);
    const BarSeriesView rows = s.between(start, end);
    data::ExportOptions options;
    options.time_format = data::parse_time_format(a.time_format).value();
    options.chunk_rows = ctx.chunk_rows();
    const bool to_stdout = a.out == "-";
    ProgressBar bar("exporting", "bars", ctx.show_progress() && !to_stdout);
    options.progress = [&](std::uint64_t done, std::uint64_t total) {
        bar.update(done, total);
    };
    const Stopwatch clock;
    std::uint64_t written = 0;
    if (a.format == "csv") {
        written = data::export_csv(s, rows, a.out, options);
    } else if (a.format == "hdf5") {
        if (to_stdout) {
            throw Exception(ErrorCode::InvalidArgument, "--format hdf5 needs --out FILE");
        }
        written = data::export_hdf5(s, rows, a.out, options);
    } else {
        throw Exception(ErrorCode::InvalidArgument,
                        fmt::format("unknown export format '{}' (expected csv or hdf5)", a.format));
    }
    if (to_stdout) {
        return 0;  // the data is the output
    }
    if (ctx.json) {
        Context::print_json({{"rows", written},
                             {"out", a.out},
                             {"format", a.format},
                             {"seconds", clock.seconds()}});
    } else {
        std::cout << fmt::format(
            "Exported {} rows of {} to {} ({}, {}) in {}\n", with_commas(written), key.to_string(),
            a.out, a.format, format_bytes(fs::file_size(a.out)), format_seconds(clock.seconds()));
    }
    return 0;
}

// ---- data generate

struct GenerateArgs {
    data::SyntheticSpec spec;
    std::string timeframe = "1m";
    std::string start = "2020-01-01";
    std::string source = "synthetic";
    bool force = false;
};

int run_generate(Context& ctx, GenerateArgs a) {
    a.spec.timeframe = Timeframe::parse(a.timeframe).value();
    a.spec.start = Timestamp::parse(a.start).value();
    ProgressBar bar("generating", "bars", ctx.show_progress());
    const Stopwatch clock;
    const data::SeriesMeta m = data::generate_series(
        ctx.store(), a.spec, a.source, a.force,
        [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
    if (ctx.json) {
        Context::print_json(
            {{"seconds", clock.seconds()}, {"seed", a.spec.seed}, {"series", to_json(m)}});
    } else {
        std::cout << fmt::format("Generated {} {} bars of {} ({}), seed {}, in {}\n",
                                 with_commas(m.rows), a.timeframe, m.key.symbol, m.key.source,
                                 a.spec.seed, format_seconds(clock.seconds()));
        std::cout << fmt::format("  series      {}\n", time_range(m));
    }
    return 0;
}

int run_delete(Context& ctx, const SeriesSelector& sel) {
    const data::Store store = ctx.store();
    const data::SeriesKey key = sel.resolve(store);
    store.remove(key).value();
    if (ctx.json) {
        Context::print_json({{"deleted", key.to_string()}});
    } else {
        std::cout << "Deleted " << key.to_string() << '\n';
    }
    return 0;
}

}  // namespace

void add_data_commands(CLI::App& app, std::vector<Command>& commands) {
    CLI::App* data =
        app.add_subcommand("data", "Import, inspect, validate, resample and export bars");
    data->require_subcommand(1);

    {
        auto a = std::make_shared<ImportArgs>();
        CLI::App* c = data->add_subcommand("import", "Import a CSV file (all rows or none)");
        c->add_option("file", a->file, "CSV file (.gz works; - reads standard input)")->required();
        c->add_option("-s,--symbol", a->symbol, "Symbol to store it as, e.g. BTC/USD")->required();
        c->add_option("-t,--timeframe", a->timeframe,
                      "Bar timeframe: 1m, 5m, 15m, 1h, 4h, 1d, 1w, 1M")
            ->required();
        c->add_option("--source", a->source, "Source name in the store");
        c->add_option("--format", a->format,
                      "auto, generic, kaggle, yahoo, cryptodatadownload, binance");
        c->add_option("--delimiter", a->delimiter,
                      "Field delimiter (default: detect; 'tab' for tabs)");
        c->add_flag("--header", a->header, "The first line is a header");
        c->add_flag("--no-header", a->no_header, "The first line is data");
        c->add_option(
            "--columns", a->columns,
            "Column overrides: time=unix,volume=\"Volume BTC\" (names or 0-based indexes)");
        c->add_option("--time-unit", a->time_unit, "Unit of numeric times: auto, s, ms, us, ns");
        c->add_flag("--adjust", a->adjust, "Scale OHLC by Adj Close / Close (Yahoo files)");
        c->add_option("--price-scale", a->price_scale,
                      "Multiply prices by this (e.g. 0.0001 for prices stored in 1/10000)");
        c->add_option("--on-error", a->on_error, "Unreadable rows: fail or skip");
        c->add_flag("--fix", a->fix, "Sort, drop duplicates (keep the last) and drop invalid rows");
        c->add_flag("--replace", a->replace,
                    "Replace the stored series instead of appending to it");
        commands.push_back({c, [a](Context& ctx) {
                                return run_import(ctx, *a);
                            }});
    }
    {
        CLI::App* c = data->add_subcommand("list", "List stored series");
        commands.push_back({c, [](Context& ctx) {
                                return run_list(ctx);
                            }});
    }
    {
        auto sel = std::make_shared<SeriesSelector>();
        auto verify = std::make_shared<bool>(false);
        CLI::App* c = data->add_subcommand("info", "Rows, time range, gaps and size of a series");
        sel->add_to(c);
        c->add_flag("--verify", *verify, "Also check the stored checksums");
        commands.push_back({c, [sel, verify](Context& ctx) {
                                return run_info(ctx, *sel, *verify);
                            }});
    }
    {
        auto sel = std::make_shared<SeriesSelector>();
        auto fix = std::make_shared<bool>(false);
        auto verify = std::make_shared<bool>(false);
        CLI::App* c = data->add_subcommand(
            "validate", "Check a series for bad bars and gaps (exit 5 on problems)");
        sel->add_to(c);
        c->add_flag("--fix", *fix, "Drop invalid rows (atomically)");
        c->add_flag("--verify", *verify, "Also check the stored checksums");
        commands.push_back({c, [sel, fix, verify](Context& ctx) {
                                return run_validate(ctx, *sel, *fix, *verify);
                            }});
    }
    {
        auto sel = std::make_shared<SeriesSelector>();
        auto from = std::make_shared<std::string>();
        auto to = std::make_shared<std::string>();
        auto force = std::make_shared<bool>(false);
        CLI::App* c =
            data->add_subcommand("resample", "Aggregate a series into a coarser timeframe");
        sel->add_to(c, false);
        c->add_option("--from", *from, "Timeframe of the stored series")->required();
        c->add_option("--to", *to, "Target timeframe")->required();
        c->add_flag("--force", *force, "Replace a target series that was not made by resampling");
        commands.push_back({c, [sel, from, to, force](Context& ctx) {
                                return run_resample(ctx, *sel, *from, *to, *force);
                            }});
    }
    {
        auto a = std::make_shared<ExportArgs>();
        CLI::App* c =
            data->add_subcommand("export", "Write a series (or a date range) as CSV or HDF5");
        a->series.add_to(c);
        c->add_option("--format", a->format, "csv or hdf5");
        c->add_option("-o,--out", a->out, "Output file (- = standard output, csv only)");
        c->add_option("--start-date", a->start_date, "First time to include (date or ISO-8601)");
        c->add_option("--end-date", a->end_date,
                      "Last time to include (a bare date includes the whole day)");
        c->add_option("--time-format", a->time_format, "iso, unix, unix_ms or unix_ns");
        commands.push_back({c, [a](Context& ctx) {
                                return run_export(ctx, *a);
                            }});
    }
    {
        auto a = std::make_shared<GenerateArgs>();
        CLI::App* c =
            data->add_subcommand("generate", "Create a deterministic synthetic market series");
        c->add_option("-s,--symbol", a->spec.symbol, "Symbol");
        c->add_option("-t,--timeframe", a->timeframe, "Bar timeframe");
        c->add_option("-n,--bars", a->spec.bars, "Number of bars");
        c->add_option("--seed", a->spec.seed, "Random seed (same seed, same bars)");
        c->add_option("--start", a->start, "Time of the first bar");
        c->add_option("--price", a->spec.start_price, "First open price");
        c->add_option("--drift", a->spec.annual_drift, "Annual drift of the log price");
        c->add_option("--volatility", a->spec.annual_volatility, "Long-run annual volatility");
        c->add_option("--jumps", a->spec.jumps_per_year, "Price jumps per year");
        c->add_option("--source", a->source, "Source name in the store");
        c->add_flag("--force", a->force, "Replace a series that was not generated");
        commands.push_back({c, [a](Context& ctx) {
                                return run_generate(ctx, *a);
                            }});
    }
    {
        auto sel = std::make_shared<SeriesSelector>();
        CLI::App* c = data->add_subcommand("delete", "Delete a stored series");
        sel->add_to(c);
        commands.push_back({c, [sel](Context& ctx) {
                                return run_delete(ctx, *sel);
                            }});
    }
}

}  // namespace tradpal::cli

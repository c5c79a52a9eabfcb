// SPDX-License-Identifier: Apache-2.0
#include "backtest_inputs.hpp"

#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include <tradpal/data/csv.hpp>

#include "output.hpp"

namespace tradpal::cli {

namespace bt = tradpal::backtest;

backtest::StrategySpec StrategyArgs::spec() const {
    return bt::StrategySpec::make(name, params, rules).value();
}

void add_market_options(CLI::App& c, MarketArgs& a) {
    c.add_option("--input", a.input, "A CSV file of bars (any layout data import reads)");
    c.add_option("-s,--symbol", a.symbol, "A stored series");
    c.add_option("--symbols", a.symbols, "Several stored series, comma-separated");
    c.add_option("-t,--timeframe", a.timeframe, "Timeframe of the stored series");
    c.add_option("--source", a.source, "Source of the stored series");
    c.add_option("--start-date", a.start_date, "First bar time or date (UTC)");
    c.add_option("--end-date", a.end_date, "Last bar time or date (UTC, inclusive)");
}

void add_strategy_options(CLI::App& c, StrategyArgs& a) {
    c.add_option("--strategy", a.name, "Strategy name (see below)")->capture_default_str();
    c.add_option("--param", a.params, "Strategy parameter name=value (repeatable)");
    c.add_option("--entry", a.rules.entry, "rules: condition to buy");
    c.add_option("--exit", a.rules.exit, "rules: condition to sell");
    c.add_option("--short-entry", a.rules.short_entry,
                 "rules: condition to go short (allow_short=true)");
    c.add_option("--short-exit", a.rules.short_exit, "rules: condition to cover a short");
}

void add_execution_options(CLI::App& c, ExecutionArgs& a) {
    c.add_option("--cash", a.config.cash, "Starting cash")->capture_default_str();
    c.add_option("--commission", a.config.costs.commission,
                 "Commission, fraction of each fill's value")
        ->capture_default_str();
    c.add_option("--commission-fixed", a.config.costs.commission_fixed,
                 "Commission per fill, in money");
    c.add_option("--slippage-bps", a.config.costs.slippage_bps,
                 "Market and stop fills move this many basis points against the order");
    c.add_option("--sizing", a.sizing,
                 "fraction (of equity), fixed (--quantity), cash (--cash-amount), risk_atr")
        ->capture_default_str();
    c.add_option("--size-fraction", a.config.sizing.size_fraction, "Fraction of equity per entry")
        ->capture_default_str();
    c.add_option("--lot-step", a.config.sizing.lot_step, "Sizes are rounded down to this step")
        ->capture_default_str();
    c.add_option("--quantity", a.config.sizing.quantity, "Units per entry (--sizing fixed)");
    c.add_option("--cash-amount", a.config.sizing.cash_amount, "Money per entry (--sizing cash)");
    c.add_option("--risk", a.config.sizing.risk_fraction,
                 "Equity risked per entry on a move of --atr-multiple ATRs (--sizing risk_atr)")
        ->capture_default_str();
    c.add_option("--atr-period", a.config.sizing.atr_period, "ATR period for --sizing risk_atr")
        ->capture_default_str();
    c.add_option("--atr-multiple", a.config.sizing.atr_multiple,
                 "Stop distance in ATRs for --sizing risk_atr")
        ->capture_default_str();
    c.add_option("--fill", a.fill,
                 "Market orders fill at the next_open (default) or at the signal's close");
    c.add_flag("--stop-same-bar", a.config.stop_same_bar,
               "Protective orders may fill on their entry's bar (default: from the next bar)");
    c.add_option("--annualization", a.config.annualization,
                 "Periods per year of the daily returns (365 for 24/7)")
        ->capture_default_str();
    c.add_option("--risk-free", a.config.risk_free, "Annual risk-free rate for Sharpe and Sortino");
}

std::vector<LoadedSeries> load_series(const Context& ctx, const MarketArgs& a) {
    const int sources =
        (a.input.empty() ? 0 : 1) + (a.symbol.empty() ? 0 : 1) + (a.symbols.empty() ? 0 : 1);
    if (sources != 1) {
        throw Exception(ErrorCode::InvalidArgument,
                        "give one of --input FILE, --symbol SYMBOL or --symbols A,B,...");
    }
    const Timestamp start = date_bound(a.start_date, false);
    const Timestamp end = date_bound(a.end_date, true);
    std::vector<LoadedSeries> out;
    if (!a.input.empty()) {
        data::CsvOptions options;
        options.threads = ctx.threads();
        LoadedSeries s;
        s.name = std::filesystem::path(a.input).stem().string();
        s.owned = data::read_bars_csv(a.input, options).value();
        s.view = s.owned.view().between(start, end);
        out.push_back(std::move(s));
        return out;
    }
    const data::Store store = ctx.store();
    const std::vector<std::string> names =
        a.symbol.empty() ? split_list(a.symbols) : std::vector{a.symbol};
    if (names.empty()) {
        throw Exception(ErrorCode::InvalidArgument, "--symbols needs at least one symbol");
    }
    for (const std::string& name : names) {
        SeriesSelector selector{name, a.timeframe, a.source};
        LoadedSeries s;
        s.name = name;
        s.stored = store.open(selector.resolve(store)).value();
        s.view = s.stored->between(start, end);
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<bt::SymbolSeries> tradable(const std::vector<LoadedSeries>& loaded,
                                       const MarketArgs& a) {
    std::vector<bt::SymbolSeries> series;
    for (const LoadedSeries& s : loaded) {
        if (s.view.empty()) {
            throw Exception(
                ErrorCode::InvalidArgument,
                fmt::format(
                    "{} has no bars{}", s.name,
                    a.start_date.empty() && a.end_date.empty() ? "" : " in the date range"));
        }
        series.push_back({s.name, s.view});
    }
    return series;
}

bt::Config make_config(const ExecutionArgs& a) {
    bt::Config config = a.config;
    config.sizing.mode = bt::parse_sizing_mode(a.sizing).value();
    config.fill_price = bt::parse_fill_price(a.fill).value();
    config.validate().value();
    return config;
}

std::string strategies_help(bool with_ml) {
    std::string text = "Strategy (default sma_cross); its --param names:\n";
    for (const bt::StrategyInfo& info : bt::builtin_strategies()) {
        if (info.name == "ml" && !with_ml) {
            continue;
        }
        std::vector<std::string> params;
        for (const bt::StrategyParam& p : info.params) {
            std::string value = p.type == bt::ParamType::Choice ? std::string(p.choices)
                                : p.type == bt::ParamType::Flag
                                    ? (p.default_value != 0 ? "true" : "false")
                                    : fmt::format("{}", p.default_value);
            params.push_back(fmt::format("{}={}", p.name, value));
        }
        text += fmt::format("  {}: {}\n", info.name, fmt::join(params, " "));
    }
    return text;
}

}  // namespace tradpal::cli

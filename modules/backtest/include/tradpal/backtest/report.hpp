// SPDX-License-Identifier: Apache-2.0
// Backtest reports: a JSON summary, trades and equity CSV files, a terminal table and a
// self-contained HTML page with charts.
#pragma once

#include <span>
#include <string>

#include <tradpal/backtest/engine.hpp>
#include <tradpal/core/output.hpp>

namespace tradpal::backtest {

/// What a report describes: a result and the series it ran on.
struct ReportContext {
    const BacktestResult* result = nullptr;
    std::span<const SymbolSeries> symbols;
    std::string strategy;  ///< canonical strategy text, e.g. "sma_cross(fast=10,slow=30)"
    std::string engine;    ///< "event" or "vectorized"
};

/// The summary as JSON text (stable keys, documented in docs/BACKTEST.md). Undefined metrics
/// and non-finite numbers are null; `indent` < 0 gives one line.
std::string summary_json(const ReportContext& report, int indent = 2);

/// Closed trades: entry_time,exit_time,side,size,entry_price,exit_price,gross_pnl,commission,
/// net_pnl,exit_type (times in unix seconds; a portfolio adds a trailing `symbol` column).
/// Throws: tradpal::Exception (IoError) when writing fails.
void write_trades_csv(const ReportContext& report, OutputFile& out);

/// One row per bar (per timeline step for a portfolio): timestamp,value,cash,position
/// (a portfolio writes position_<symbol> columns instead of position). Cash and positions are
/// those at the end of each step. Streams: memory does not grow with the number of rows.
/// Throws: tradpal::Exception (IoError) when writing fails.
void write_equity_csv(const ReportContext& report, OutputFile& out);

/// A self-contained HTML page (no network needed): price with trade markers, equity,
/// drawdown, metrics table, trade list. Long series are reduced to min/max per chart column,
/// so the page stays a few MB whatever the number of bars.
/// Throws: tradpal::Exception (IoError) when writing fails.
void write_html_report(const ReportContext& report, OutputFile& out);

/// A readable table of the main metrics for the terminal.
std::string summary_table(const ReportContext& report);

}  // namespace tradpal::backtest

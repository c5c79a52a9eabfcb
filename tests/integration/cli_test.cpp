// SPDX-License-Identifier: Apache-2.0
// The tradpal binary end to end: commands, JSON output, exit codes, bad input and damaged stores.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tradpal/config.hpp>
#include <tradpal/core/file.hpp>
#include <tradpal/data_testing/helpers.hpp>

#include "cli_run.hpp"

namespace tradpal {
namespace {

using ::testing::HasSubstr;

const std::string kGood =
    "time,open,high,low,close,volume\n"
    "2024-01-01T00:00:00Z,10,12,9,11,100\n"
    "2024-01-01T01:00:00Z,11,13,10,12,110\n"
    "2024-01-01T02:00:00Z,12,14,11,13,120\n";

TEST_F(CliTest, GenerateListInfoExportAndImportRoundTrip) {
    ASSERT_EQ(tradpal("data generate --symbol SYN/USD --timeframe 1m --bars 5000 --seed 7").code,
              0);
    const CliRun list = tradpal("--json data list");
    ASSERT_EQ(list.code, 0) << list.err;
    const auto series = list.json()["series"];
    ASSERT_EQ(series.size(), 1U);
    EXPECT_EQ(series[0]["symbol"], "SYN/USD");
    EXPECT_EQ(series[0]["rows"], 5000);
    EXPECT_EQ(series[0]["source"], "synthetic");

    const std::string csv = (dir_.path() / "syn.csv").string();
    ASSERT_EQ(tradpal(fmt::format("data export SYN/USD -t 1m --out {}", csv)).code, 0);
    const CliRun imported =
        tradpal(fmt::format("--json data import {} --symbol COPY --timeframe 1m", csv));
    ASSERT_EQ(imported.code, 0) << imported.err;
    EXPECT_EQ(imported.json()["imported_rows"], 5000);
    const CliRun info = tradpal("--json data info COPY --verify");
    ASSERT_EQ(info.code, 0) << info.err;
    EXPECT_EQ(info.json()["rows"], 5000);
    EXPECT_EQ(info.json()["gaps"], 0);
    EXPECT_EQ(info.json()["checksums_ok"], true);
    EXPECT_EQ(info.json()["first"], "2020-01-01T00:00:00Z");

    // Same seed, same bytes.
    const std::string again = (dir_.path() / "again.csv").string();
    ASSERT_EQ(tradpal("data generate --symbol SYN/USD --timeframe 1m --bars 5000 --seed 7").code,
              0);
    ASSERT_EQ(tradpal(fmt::format("data export SYN/USD -t 1m --out {}", again)).code, 0);
    EXPECT_EQ(read_text_file(csv).value(), read_text_file(again).value());
}

TEST_F(CliTest, ResampleAndValidate) {
    ASSERT_EQ(tradpal("data generate --symbol S --timeframe 1m --bars 3000").code, 0);
    const CliRun r = tradpal("--json data resample S --from 1m --to 1h");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.json()["series"]["rows"], 50);
    EXPECT_EQ(r.json()["series"]["timeframe"], "1h");
    const CliRun v = tradpal("--json data validate S -t 1h");
    EXPECT_EQ(v.code, 0);
    EXPECT_EQ(v.json()["validation"]["ok"], true);
    EXPECT_EQ(tradpal("data resample S --from 1h --to 90m").code, 2);
}

TEST_F(CliTest, ValidateReportsAndFixesBadBars) {
    const std::string bad = file("bad.csv", kGood + "2024-01-01T03:00:00Z,13,12.5,12,13.5,5\n");
    ASSERT_EQ(tradpal(fmt::format("data import {} -s X -t 1h", bad)).code, 0);
    const CliRun v = tradpal("data validate X");
    EXPECT_EQ(v.code, 5);
    EXPECT_THAT(v.out, HasSubstr("ohlc_inconsistent"));
    const CliRun fixed = tradpal("--json data validate X --fix");
    EXPECT_EQ(fixed.code, 0) << fixed.out;
    EXPECT_EQ(fixed.json()["series"]["rows"], 3);
    EXPECT_EQ(fixed.json()["fix"]["invalid_removed"], 1);
}

TEST_F(CliTest, BadInputGivesClearErrorsAndExitCodes) {
    struct Case {
        std::string content;
        int code;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"", 4, "empty.csv is empty"},
        {"time,open,high,low,close\n", 4, "has no data rows"},
        {"time,open,high,low,close\n2024-01-01,1,2,1\n", 4,
         "bad.csv:2: expected 5 fields, found 4"},
        {"time,open,high,low,close\n2024-01-01,1,x,1,1\n", 4,
         "bad.csv:2: 'high' is not a number: 'x'"},
        {"time,open,high,low,close\n2024-01-01,1,,1,1\n", 4, "bad.csv:2: 'high' is missing"},
        {"time,open,high,low,close\n2024-01-01,1,inf,1,1\n", 4, "bad.csv:2: 'high' is not finite"},
        {"time,open,high,low,close\n2024-01-01,1,2,-1,1\n", 4,
         "bad.csv:2: negative price in 'low'"},
        {"time,open,high,low,close\n2024-01-02,1,2,1,1\n2024-01-01,1,2,1,1\n2024-01-03,1,2,1,1\n",
         5, "bad.csv:3: 2024-01-01T00:00:00Z is earlier than"},
        {"time,open,high,low,close\n2024-01-01,1,2,1,1\n2024-01-01,1,2,1,1\n", 5, "bad.csv:3:"},
        {"time,open,high,low,close\n2024-01-01,1,2,1,1\n2024-01-02,1,2", 4, "looks truncated"},
    };
    ASSERT_EQ(
        tradpal(fmt::format("data import {} -s X -t 1d",
                            file("good.csv", "time,open,high,low,close\n2023-12-31,1,2,1,1\n")))
            .code,
        0);
    for (const Case& c : cases) {
        const std::string name = c.content.empty() ? "empty.csv" : "bad.csv";
        const CliRun r = tradpal(fmt::format("data import {} -s X -t 1d", file(name, c.content)));
        EXPECT_EQ(r.code, c.code) << c.content;
        EXPECT_THAT(r.err, HasSubstr(c.message)) << c.content;
        // Nothing lost: the series still holds its one good row.
        EXPECT_EQ(tradpal("--json data info X").json()["rows"], 1) << c.content;
    }
}

TEST_F(CliTest, BadPathsAndSymbolsAreRefused) {
    const CliRun dir = tradpal(fmt::format("data import {} -s X -t 1d", dir_.path().string()));
    EXPECT_EQ(dir.code, 2);
    EXPECT_THAT(dir.err, HasSubstr("is a directory"));
    const CliRun missing = tradpal("data import /no/such/file.csv -s X -t 1d");
    EXPECT_EQ(missing.code, 3);
    const CliRun evil =
        tradpal(fmt::format("data import {} -s ../../etc -t 1d", file("g.csv", kGood)));
    EXPECT_EQ(evil.code, 2);
    EXPECT_THAT(evil.err, HasSubstr("invalid symbol '../../etc'"));
    EXPECT_FALSE(std::filesystem::exists(dir_.path() / "etc"));
    EXPECT_EQ(tradpal("data import x.csv -s X -t 7x").code, 2);
    EXPECT_EQ(tradpal("data frobnicate").code, 2);
    EXPECT_EQ(tradpal("--help").code, 0);
}

TEST_F(CliTest, ASecondWriterIsRefused) {
    ASSERT_EQ(tradpal(fmt::format("data import {} -s X -t 1h", file("g.csv", kGood))).code, 0);
    const auto lock = FileLock::try_lock(store() / "csv" / "X" / "1h" / ".lock").value();
    const CliRun r = tradpal(fmt::format("data import {} -s X -t 1h", file("g2.csv", kGood)));
    EXPECT_EQ(r.code, 7);
    EXPECT_THAT(r.err, HasSubstr("being written by another process"));
}

TEST_F(CliTest, ADamagedStoreIsReportedNotRead) {
    ASSERT_EQ(tradpal(fmt::format("data import {} -s X -t 1h", file("g.csv", kGood))).code, 0);
    std::filesystem::resize_file(store() / "csv" / "X" / "1h" / "close.g1.f64", 8);
    const CliRun r = tradpal("data info X");
    EXPECT_EQ(r.code, 6);
    EXPECT_THAT(r.err, HasSubstr("close.g1.f64 has 8 bytes but 24 are expected"));
    const CliRun export_run = tradpal("data export X");
    EXPECT_EQ(export_run.code, 6);
    EXPECT_TRUE(export_run.out.empty());
}

TEST_F(CliTest, JsonErrorsAreMachineReadable) {
    const CliRun r = tradpal("--json data info NOPE");
    EXPECT_EQ(r.code, 3);
    EXPECT_EQ(r.json()["error"]["code"], "not_found");
}

TEST_F(CliTest, ConfigShowSaysWhereEachValueCameFrom) {
    const std::string toml = file("t.toml", "[cache]\nttl_api = 60\n[parallel]\nmax_workers = 3\n");
    const CliRun r = tradpal(fmt::format("--json --config {} --workers 2 config show", toml),
                             "TRADPAL_CACHE_TTL_INDICATORS=99");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto s = r.json()["settings"];
    EXPECT_EQ(s["cache.ttl_api"]["value"], "60");
    EXPECT_EQ(s["cache.ttl_api"]["source"], "file");
    EXPECT_THAT(s["cache.ttl_api"]["detail"].get<std::string>(), HasSubstr("t.toml:2"));
    EXPECT_EQ(s["cache.ttl_indicators"]["value"], "99");
    EXPECT_EQ(s["cache.ttl_indicators"]["source"], "env");
    EXPECT_EQ(s["parallel.max_workers"]["value"], "2");
    EXPECT_EQ(s["parallel.max_workers"]["detail"], "--workers");
    EXPECT_EQ(s["data.store_dir"]["detail"], "--store");
    EXPECT_EQ(s["gpu.enabled"]["source"], "default");
    EXPECT_EQ(tradpal("config show", "TRADPAL_PARALLEL_MAX_WORKERS=lots").code, 2);
}

TEST_F(CliTest, StoreDirComesFromTheEnvironmentToo) {
    const auto other = dir_.path() / "env-store";
    const std::string cmd =
        fmt::format("HOME='{}' TRADPAL_DATA_STORE_DIR='{}' '{}' data generate --bars 10 >/dev/null",
                    dir_.path().string(), other.string(), TRADPAL_CLI);
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_TRUE(std::filesystem::exists(other / "synthetic" / "SYN-USD" / "1m" / "meta.json"));
}

TEST_F(CliTest, ExportsHdf5ThatH5pyReads) {
    ASSERT_EQ(tradpal("data generate --bars 1000").code, 0);
    const std::string h5 = (dir_.path() / "x.h5").string();
    const CliRun r = tradpal(fmt::format("data export SYN/USD --format hdf5 --out {}", h5));
    if (r.code == 9) {
        GTEST_SKIP() << "built without HDF5";
    }
    ASSERT_EQ(r.code, 0) << r.err;
    if (std::system("/usr/bin/python3 -c 'import h5py, pandas' 2>/dev/null") != 0) {
        GTEST_SKIP() << "python3-h5py / python3-pandas not installed";
    }
    const std::string py = fmt::format(
        "/usr/bin/python3 -c \"import h5py, pandas as pd; f = h5py.File('{}'); "
        "df = pd.DataFrame({{k: f[k][:] for k in f}}); "
        "print(len(df), f.attrs['symbol'].decode(), int(df.timestamp[1] - df.timestamp[0]))\"",
        h5);
    FILE* pipe = ::popen(py.c_str(), "r");
    char buf[256] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, pipe);
    ::pclose(pipe);
    EXPECT_EQ(std::string(buf, n), "1000 SYN/USD 60000000000\n");
}

TEST_F(CliTest, IndicatorsAgreeOverAFileAndOverTheStore) {
    const std::string csv = (dir_.path() / "bars.csv").string();
    ASSERT_EQ(tradpal("data generate --symbol S --timeframe 1h --bars 500 --seed 3").code, 0);
    ASSERT_EQ(tradpal(fmt::format("data export S --out {}", csv)).code, 0);
    const std::string from_file = (dir_.path() / "f.csv").string();
    const std::string from_store = (dir_.path() / "s.csv").string();
    ASSERT_EQ(
        tradpal(fmt::format("indicators --input {} --ind \"sma(20),t3\" --out {}", csv, from_file))
            .code,
        0);
    const CliRun r = tradpal(
        fmt::format("--json indicators --symbol S --ind \"sma(20),t3\" --out {}", from_store));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.json()["rows"], 500);
    const std::string text = read_text_file(from_file).value();
    EXPECT_EQ(text, read_text_file(from_store).value());
    EXPECT_THAT(text,
                ::testing::StartsWith("timestamp,sma(20),\"t3(5,0.7)\"\n2020-01-01T00:00:00Z,,\n"));
    // Row 20 (line 21) is the first SMA(20) value; T3(5) starts at row 24.
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    EXPECT_THAT(lines[19], ::testing::EndsWith(",,"));
    EXPECT_THAT(lines[20], ::testing::Not(::testing::EndsWith(",,")));
    EXPECT_THAT(lines[24], ::testing::EndsWith(","));
    EXPECT_THAT(lines[25], ::testing::Not(::testing::EndsWith(",")));

    // A date range writes fewer rows but the indicators are warmed up by the earlier bars.
    const CliRun range =
        tradpal(fmt::format("--json indicators --symbol S --ind \"sma(20)\" --start-date "
                            "2020-01-10 --time-format unix --out {}",
                            from_store));
    ASSERT_EQ(range.code, 0) << range.err;
    EXPECT_EQ(range.json()["rows"], 500 - 9 * 24);
    EXPECT_THAT(read_text_file(from_store).value(),
                ::testing::StartsWith("timestamp,sma(20)\n1578614400,"));
}

TEST_F(CliTest, IndicatorsCacheGivesTheSameRowsAndFreshOnesAfterAnAppend) {
    ASSERT_EQ(
        tradpal(fmt::format("data import {} --symbol C --timeframe 1h", file("a.csv", kGood))).code,
        0);
    const std::string plain = (dir_.path() / "plain.csv").string();
    const std::string cached = (dir_.path() / "cached.csv").string();
    const std::string ind = "--ind \"sma(2),macd(2,3,2)\"";
    ASSERT_EQ(tradpal(fmt::format("indicators --symbol C {} --out {}", ind, plain)).code, 0);
    const CliRun miss =
        tradpal(fmt::format("--json --cache indicators --symbol C {} --out {}", ind, cached));
    ASSERT_EQ(miss.code, 0) << miss.err;
    EXPECT_EQ(miss.json()["cache"], "miss");
    EXPECT_EQ(read_text_file(cached).value(), read_text_file(plain).value());
    const CliRun hit =
        tradpal(fmt::format("--json --cache indicators --symbol C {} --out {}", ind, cached));
    ASSERT_EQ(hit.code, 0) << hit.err;
    EXPECT_EQ(hit.json()["cache"], "hit");
    EXPECT_EQ(read_text_file(cached).value(), read_text_file(plain).value());

    // One more bar: the data version changes, so the key does, and the rows are fresh.
    ASSERT_EQ(tradpal(fmt::format("data import {} --symbol C --timeframe 1h",
                                  file("b.csv",
                                       "time,open,high,low,close,volume\n"
                                       "2024-01-01T03:00:00Z,13,15,12,14,130\n")))
                  .code,
              0);
    const CliRun fresh =
        tradpal(fmt::format("--json --cache indicators --symbol C {} --out {}", ind, cached));
    ASSERT_EQ(fresh.code, 0) << fresh.err;
    EXPECT_EQ(fresh.json()["cache"], "miss");
    EXPECT_EQ(fresh.json()["rows"], 4);
    ASSERT_EQ(tradpal(fmt::format("indicators --symbol C {} --out {}", ind, plain)).code, 0);
    EXPECT_EQ(read_text_file(cached).value(), read_text_file(plain).value());

    // A CSV input is keyed by its contents.
    const std::string input = file("in.csv", kGood);
    EXPECT_EQ(
        tradpal(fmt::format("--json --cache indicators --input {} {} --out {}", input, ind, cached))
            .json()["cache"],
        "miss");
    EXPECT_EQ(
        tradpal(fmt::format("--json --cache indicators --input {} {} --out {}", input, ind, cached))
            .json()["cache"],
        "hit");

    const CliRun stats = tradpal("--json cache stats");
    ASSERT_EQ(stats.code, 0) << stats.err;
    // Each command is a new process: the hits came from the file level.
    EXPECT_EQ(stats.json()["counters_local"]["file"]["hits"], 2);
    EXPECT_EQ(stats.json()["counters_local"]["file"]["writes"], 3);
    EXPECT_EQ(stats.json()["file"]["entries"], 3);
    const CliRun cleared = tradpal("--json cache clear --namespace indicators");
    ASSERT_EQ(cleared.code, 0) << cleared.err;
    EXPECT_EQ(cleared.json()["file"], 3);
}

TEST_F(CliTest, IndicatorsCacheWithRedisDownWarnsOnceAndSucceeds) {
    ASSERT_EQ(
        tradpal(fmt::format("data import {} --symbol C --timeframe 1h", file("a.csv", kGood))).code,
        0);
    // Nothing listens on port 1: the Redis level is off for this run, memory and files serve.
    const std::string redis_down = "--set cache.redis_enabled=true --set cache.redis_port=1";
    for (const char* expected : {"miss", "hit"}) {
        const CliRun r =
            tradpal(fmt::format("--json --cache {} indicators --symbol C --ind "
                                "\"sma(2)\" --out {}",
                                redis_down, (dir_.path() / "o.csv").string()));
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(r.json()["cache"], expected);
        std::size_t warnings = 0;
        const std::string warning = "Redis cache level unavailable";
        for (std::size_t at = r.err.find(warning); at != std::string::npos;
             at = r.err.find(warning, at + 1)) {
            ++warnings;
        }
        EXPECT_EQ(warnings, 1u) << r.err;
    }
}

TEST_F(CliTest, BacktestCacheReusesTheSummaryUntilAnInputChanges) {
    ASSERT_EQ(tradpal("data generate --symbol S --timeframe 1h --bars 2000 --seed 5").code, 0);
    const auto run = [&](const std::string& extra) {
        const CliRun r = tradpal("--json --cache backtest --symbol S " + extra);
        EXPECT_EQ(r.code, 0) << r.err;
        return r.json();
    };
    nlohmann::json first = run("");
    EXPECT_EQ(first["cache"], "miss");
    nlohmann::json again = run("");
    EXPECT_EQ(again["cache"], "hit");
    first.erase("cache");
    again.erase("cache");
    EXPECT_EQ(first, again);
    nlohmann::json plain = tradpal("--json backtest --symbol S").json();
    EXPECT_EQ(plain, first);
    EXPECT_EQ(run("--commission 0.002")["cache"], "miss");       // a cost changed
    EXPECT_EQ(run("--param fast=12")["cache"], "miss");          // a parameter changed
    EXPECT_EQ(run("--start-date 2020-01-10")["cache"], "miss");  // another range of bars
    EXPECT_EQ(run("--commission 0.002")["cache"], "hit");
}

TEST_F(CliTest, IndicatorsRefuseBadRequests) {
    const std::string csv =
        file("u.csv", "time,open,high,low,close\n2024-01-02,1,2,1,1\n2024-01-01,1,2,1,1\n");
    EXPECT_EQ(tradpal(fmt::format("indicators --input {} --ind \"sma(2)\"", csv)).code, 5);
    const CliRun bad = tradpal(fmt::format("indicators --input {} --ind \"wma(1)\"", csv));
    EXPECT_EQ(bad.code, 2);
    EXPECT_THAT(bad.err, HasSubstr("wma: period must be an integer from 2 to 100000, got '1'"));
    EXPECT_EQ(tradpal("indicators --ind \"sma(2)\"").code, 2);
    EXPECT_EQ(tradpal(fmt::format("indicators --input {} --ind nope", csv)).code, 2);
}

TEST_F(CliTest, IndicatorsListDescribesEveryIndicator) {
    const CliRun r = tradpal("--json indicators list");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto all = r.json()["indicators"];
    ASSERT_GE(all.size(), 8U);
    bool found = false;
    for (const auto& i : all) {
        if (i["name"] == "t3") {
            found = true;
            EXPECT_EQ(i["default_spec"], "t3(5,0.7)");
            EXPECT_EQ(i["lookback"], 24);
            EXPECT_EQ(i["params"][1]["name"], "vfactor");
        }
    }
    EXPECT_TRUE(found);
}

// Splits a text into its lines (without the newlines).
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        start = end == std::string::npos ? text.size() : end + 1;
    }
    return lines;
}

TEST_F(CliTest, BacktestWritesSummaryTradesEquityAndReport) {
    ASSERT_EQ(tradpal("data generate --symbol S --timeframe 1h --bars 3000 --seed 5").code, 0);
    const std::string bars = (dir_.path() / "bars.csv").string();
    ASSERT_EQ(tradpal(fmt::format("data export S --out {}", bars)).code, 0);
    const auto path = [&](const char* name) {
        return (dir_.path() / name).string();
    };
    const std::string args =
        "--strategy sma_cross --param fast=5 --param slow=20 "
        "--param allow_short=true --param stop_loss=0.01";
    const CliRun r =
        tradpal(fmt::format("--json backtest --symbol S {} --trades-out {} "
                            "--equity-out {} --report {}",
                            args, path("t.csv"), path("e.csv"), path("r.html")));
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json summary = r.json();
    for (const char* key : {"final_value", "final_cash", "final_position", "n_trades", "open_trade",
                            "total_commission", "max_drawdown_pct", "sharpe", "total_return",
                            "win_rate", "profit_factor"}) {
        EXPECT_TRUE(summary.contains(key)) << key;
    }
    ASSERT_GT(summary["n_trades"].get<int>(), 10);

    const auto trades = lines_of(read_text_file(path("t.csv")).value());
    EXPECT_EQ(trades.front(),
              "entry_time,exit_time,side,size,entry_price,exit_price,gross_pnl,"
              "commission,net_pnl,exit_type");
    EXPECT_EQ(trades.size(), summary["n_trades"].get<std::size_t>() + 1);
    const auto equity = lines_of(read_text_file(path("e.csv")).value());
    EXPECT_EQ(equity.front(), "timestamp,value,cash,position");
    ASSERT_EQ(equity.size(), 3001U);
    EXPECT_THAT(equity[1], ::testing::StartsWith("1577836800,100000,100000,0"));

    // The final-value identity: cash plus the position at the last close.
    const double value = summary["final_value"];
    const double cash = summary["final_cash"];
    const double position = summary["final_position"];
    const std::string last_bar = lines_of(read_text_file(bars).value()).back();
    std::vector<std::string> cells;
    for (std::size_t start = 0; start <= last_bar.size();) {
        const std::size_t end = std::min(last_bar.find(',', start), last_bar.size());
        cells.push_back(last_bar.substr(start, end - start));
        start = end + 1;
    }
    EXPECT_NEAR(value, cash + position * std::stod(cells.at(4)), 1e-6);

    const std::string html = read_text_file(path("r.html")).value();
    EXPECT_THAT(html, HasSubstr("<svg"));
    EXPECT_THAT(html, ::testing::Not(HasSubstr("<script src")));

    // Same inputs, byte-identical outputs; the vectorized engine gives the same trades.
    const CliRun again =
        tradpal(fmt::format("--json backtest --input {} {} --trades-out {} "
                            "--equity-out {} --engine vectorized",
                            bars, args, path("t2.csv"), path("e2.csv")));
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(read_text_file(path("t.csv")).value(), read_text_file(path("t2.csv")).value());
    EXPECT_EQ(read_text_file(path("e.csv")).value(), read_text_file(path("e2.csv")).value());
    EXPECT_EQ(again.json()["final_value"], summary["final_value"]);
}

TEST_F(CliTest, BacktestPortfolioSharesItsCash) {
    ASSERT_EQ(tradpal("data generate --symbol A --timeframe 1d --bars 400 --seed 1").code, 0);
    ASSERT_EQ(tradpal("data generate --symbol B --timeframe 1d --bars 400 --seed 2").code, 0);
    const CliRun r = tradpal(
        "--json backtest --symbols A,B --timeframe 1d --portfolio "
        "--rebalance monthly --weights 0.6,0.4");
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json summary = r.json();
    EXPECT_EQ(summary["symbols"].size(), 2U);
    EXPECT_GT(summary["total_commission"].get<double>(), 0.0);
    EXPECT_EQ(tradpal("backtest --symbols A,B --timeframe 1d --portfolio --weights 1,x").code, 2);
    EXPECT_EQ(tradpal("backtest --symbols A --timeframe 1d --rebalance monthly").code, 2);
}

TEST_F(CliTest, BacktestOfSeveralSymbolsRunsThemInParallelWithAnAggregate) {
    for (int seed = 1; seed <= 3; ++seed) {
        ASSERT_EQ(tradpal(fmt::format("data generate --symbol S{} --timeframe 1h --bars {} "
                                      "--seed {}",
                                      seed, 1000 * seed, seed))
                      .code,
                  0);
    }
    const std::string args = "--json backtest --symbols S1,S2,S3 --timeframe 1h --param fast=5";
    const CliRun one = tradpal("--workers 1 " + args);
    const CliRun two = tradpal("--workers 2 " + args);
    ASSERT_EQ(one.code, 0) << one.err;
    ASSERT_EQ(two.code, 0) << two.err;
    EXPECT_EQ(one.out, two.out);  // the same whatever the number of threads
    const nlohmann::json doc = one.json();
    ASSERT_EQ(doc["runs"].size(), 3U);
    EXPECT_EQ(doc["runs"][1]["symbols"][0], "S2");
    EXPECT_EQ(doc["runs"][2]["bars"], 3000);
    int trades = 0;
    for (const auto& run : doc["runs"]) {
        trades += run["n_trades"].get<int>();
    }
    EXPECT_EQ(doc["aggregate"]["n_trades"], trades);
    EXPECT_EQ(doc["aggregate"]["start_value"], 300000.0);
    // The table ends with the accounts together.
    const CliRun table = tradpal("backtest --symbols S1,S2,S3 --timeframe 1h --param fast=5");
    ASSERT_EQ(table.code, 0) << table.err;
    EXPECT_THAT(table.out, HasSubstr("all accounts"));
    EXPECT_THAT(table.out, HasSubstr("3 backtests, 6,000 bars"));
}

TEST_F(CliTest, SweepRanksSetsAndWritesTheSameFileWhateverTheThreads) {
    ASSERT_EQ(tradpal("data generate --symbol S --timeframe 1h --bars 3000 --seed 9").code, 0);
    const std::string one = (dir_.path() / "one.csv").string();
    const std::string two = (dir_.path() / "two.csv").string();
    const std::string args =
        "sweep --symbol S --grid fast=4:20:4 --grid slow=12:36:12 --metric total_return --top 3";
    const CliRun r1 = tradpal(fmt::format("--workers 1 --json {} --out {}", args, one));
    const CliRun r2 = tradpal(fmt::format("--workers 2 --json {} --out {}", args, two));
    ASSERT_EQ(r1.code, 0) << r1.err;
    ASSERT_EQ(r2.code, 0) << r2.err;
    EXPECT_EQ(r1.out, r2.out);
    const std::string csv = read_text_file(one).value();
    EXPECT_EQ(csv, read_text_file(two).value());
    const nlohmann::json doc = r1.json();
    // fast 12 / slow 12, fast 16 / slow 12, fast 20 / slow 12 are refused.
    EXPECT_EQ(doc["sets"], 15);
    EXPECT_EQ(doc["skipped"], 3);
    EXPECT_EQ(doc["evaluated"], 12);
    ASSERT_EQ(doc["top"].size(), 3U);
    EXPECT_GE(doc["top"][0]["total_return"].get<double>(),
              doc["top"][1]["total_return"].get<double>());
    const auto lines = lines_of(csv);
    EXPECT_EQ(lines.size(), 13U);
    EXPECT_THAT(lines[0], ::testing::StartsWith("symbol,set,fast,slow,final_value,"));
    EXPECT_THAT(lines[1], ::testing::StartsWith("S,0,4,12,"));

    // The best set, rerun as one backtest, gives the same total return.
    const nlohmann::json& best = doc["top"][0];
    const CliRun single = tradpal(fmt::format(
        "--json backtest --symbol S --param fast={} --param slow={}",
        best["params"]["fast"].get<std::string>(), best["params"]["slow"].get<std::string>()));
    ASSERT_EQ(single.code, 0) << single.err;
    EXPECT_EQ(single.json()["total_return"], best["total_return"]);

    const std::string svg = (dir_.path() / "map.svg").string();
    ASSERT_EQ(tradpal(fmt::format("{} --heatmap {}", args, svg)).code, 0);
    EXPECT_THAT(read_text_file(svg).value(), HasSubstr("<title>fast=4 slow=12: "));
    EXPECT_EQ(tradpal("sweep --symbol S --grid fast=4:8:4 --heatmap x.svg").code, 2);
    // The genetic search: part of the grid, the same on every run with one seed.
    const std::string genetic =
        "--json sweep --symbol S --grid fast=2:40:1 --grid slow=10:90:2 "
        "--optimizer genetic --population 8 --generations 3 --seed 5";
    const CliRun g1 = tradpal(genetic);
    ASSERT_EQ(g1.code, 0) << g1.err;
    EXPECT_EQ(tradpal(genetic).out, g1.out);
    EXPECT_LE(g1.json()["sets"].get<int>(), 32);
    EXPECT_GT(g1.json()["sets"].get<int>(), 8);
    EXPECT_EQ(tradpal("sweep --symbol S --grid fast=4:8:4 --optimizer annealing").code, 2);
    EXPECT_EQ(tradpal("sweep --symbol S --grid fast=9:1:1").code, 2);
    EXPECT_EQ(tradpal("sweep --symbol S --grid fast=5:9:1 --metric alpha").code, 2);
}

TEST_F(CliTest, SweepOnTheGpuWritesTheCpuRowsAndSaysWhatRanWhere) {
    // Without a device (CI) every set runs on the CPU with one note saying why; with one, the
    // GPU's rows are the CPU's to the bit. Either way the file is the CPU's.
    ASSERT_EQ(tradpal("data generate --symbol S --timeframe 1h --bars 2000 --seed 14").code, 0);
    const std::string cpu = (dir_.path() / "cpu.csv").string();
    const std::string gpu = (dir_.path() / "gpu.csv").string();
    const std::string args =
        "sweep --strategy rsi_reversion --symbol S --grid period=5:20:5 --grid lower=20,30 "
        "--param allow_short=1";
    const CliRun on_cpu = tradpal(fmt::format("{} --out {}", args, cpu));
    const CliRun on_gpu = tradpal(fmt::format("{} --gpu --out {}", args, gpu));
    ASSERT_EQ(on_cpu.code, 0) << on_cpu.err;
    ASSERT_EQ(on_gpu.code, 0) << on_gpu.err;
    EXPECT_EQ(read_text_file(gpu).value(), read_text_file(cpu).value());
    const bool device = tradpal("gpu info").code == 0;
    if (device) {
        EXPECT_THAT(on_gpu.err, ::testing::Not(HasSubstr("note:")));
    } else {
        EXPECT_THAT(on_gpu.err, HasSubstr("note: the GPU ran nothing ("));
    }
    // Rule sets run on the CPU, counted in a note (the GPU takes the built-in strategies).
    const CliRun rules = tradpal(
        "sweep --strategy rules --symbol S --entry 'close > sma(close, {n})' "
        "--exit 'close < sma(close, {n})' --grid n=10,20 --gpu");
    ASSERT_EQ(rules.code, 0) << rules.err;
    EXPECT_THAT(rules.err, HasSubstr("note: 2 of 2 runs ran on the CPU"));
}

TEST_F(CliTest, SweepOverTwoMpiProcessesEqualsOneProcess) {
#ifndef TRADPAL_MPIEXEC
    GTEST_SKIP() << "built without MPI";
#else
    ASSERT_EQ(tradpal("data generate --symbol S --timeframe 1h --bars 3000 --seed 12").code, 0);
    ASSERT_EQ(tradpal("data generate --symbol T --timeframe 1h --bars 2000 --seed 13").code, 0);
    const std::string one = (dir_.path() / "one.csv").string();
    const std::string two = (dir_.path() / "two.csv").string();
    const std::string args =
        "sweep --symbols S,T --grid fast=2:30:2 --grid slow=10:100:10 "
        "--metric sharpe --top 5";
    const CliRun single = tradpal(fmt::format("--json --workers 2 {} --out {}", args, one));
    ASSERT_EQ(single.code, 0) << single.err;
    // Two processes of one thread each, as root in CI. (OpenMPI does not free everything at
    // finalize: under the sanitizers leak checks are off for this job.)
    const CliRun job = tradpal(
        fmt::format("--json --workers 1 {} --out {} --mpi", args, two),
        fmt::format("ASAN_OPTIONS=detect_leaks=0 '{}' --allow-run-as-root --oversubscribe -np 2",
                    TRADPAL_MPIEXEC));
    ASSERT_EQ(job.code, 0) << job.err;
    EXPECT_EQ(job.out, single.out);
    EXPECT_EQ(read_text_file(two).value(), read_text_file(one).value());
    EXPECT_GT(single.json()["evaluated"].get<int>(), 200);
#endif
}

TEST_F(CliTest, WalkForwardChoosesTradesAndStitches) {
    ASSERT_EQ(tradpal("data generate --symbol S --timeframe 1h --bars 4800 --seed 4").code, 0);
    const std::string equity = (dir_.path() / "wf.csv").string();
    const CliRun r = tradpal(fmt::format(
        "--json walkforward --symbol S --grid fast=4:12:4 --grid slow=24:48:24 --train 60d "
        "--test 20d --metric total_return --equity-out {}",
        equity));
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json doc = r.json();
    // 200 days of hours: windows start on days 0, 20, ..., 100 (80 days each).
    ASSERT_EQ(doc["windows"].size(), 6U);
    EXPECT_EQ(doc["windows"][1]["test_start"], "2020-03-21T00:00:00Z");
    EXPECT_EQ(doc["out_of_sample"]["bars"], 6 * 20 * 24);
    EXPECT_EQ(lines_of(read_text_file(equity).value()).size(), 6U * 20 * 24 + 1);
    EXPECT_EQ(tradpal("walkforward --symbol S --grid fast=4 --train 1M --test 20d").code, 2);
    EXPECT_EQ(tradpal("walkforward --symbol S --grid fast=4 --train 300d --test 20d").code, 2);
}

TEST_F(CliTest, BacktestRefusesBadInputNamingTheCulprit) {
    const std::string header = "timestamp,open,high,low,close,volume\n";
    const std::string empty = file("empty.csv", header);
    const std::string with_nan = file("nan.csv", header +
                                                     "2024-01-01,1,1,1,1,1\n"
                                                     "2024-01-02,1,1,1,nan,1\n");
    std::string short_text = header;
    for (int day = 1; day <= 20; ++day) {
        short_text += fmt::format("2024-01-{:02},{},{},{},{},1\n", day, day, day + 1, day, day);
    }
    const std::string shorter = file("short.csv", short_text);
    const auto expect_error = [&](const std::string& args, int code, const std::string& culprit) {
        const CliRun r = tradpal("backtest " + args);
        EXPECT_EQ(r.code, code) << args << "\n" << r.err;
        EXPECT_THAT(r.err, HasSubstr(culprit)) << args;
    };
    expect_error("--input " + empty, 2, "has no bars");
    expect_error("--input " + with_nan, 4, "nan.csv:3: 'close' is missing");
    expect_error("--input " + shorter + " --param fast=30 --param slow=10", 2,
                 "fast (30) must be less than slow (10)");
    expect_error("--input " + shorter + " --size-fraction -1", 2, "size fraction");
    expect_error("--input " + shorter + " --strategy nope", 2, "unknown strategy 'nope'");
    expect_error("--input " + shorter + " --param nope=1", 2, "no parameter 'nope'");
    expect_error(
        "--input " + shorter + " --strategy rules --entry \"foo(3) > 1\" --exit \"close < 1\"", 2,
        "entry rule: unknown function 'foo' (at column 1)");
    expect_error(
        "--input " + shorter + " --strategy rules --entry \"close > 1\" --exit \"close <\"", 2,
        "exit rule: syntax error at column");

    // Shorter than the warm-up: a run without trades and a note saying why.
    const CliRun r = tradpal("--json backtest --input " + shorter);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.json()["n_trades"], 0);
    EXPECT_THAT(r.json()["note"].get<std::string>(), HasSubstr("fewer than the 31"));
}

TEST_F(CliTest, DemoRunsAndSaysWhereEverythingIs) {
    const std::string out = (dir_.path() / "demo").string();
    const CliRun r = tradpal(fmt::format("--json demo --bars 20000 --out '{}'", out));
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json j = r.json();
    EXPECT_EQ(j["validation"]["ok"], true);
    EXPECT_GT(j["daily_bars"].get<int>(), 10);
    EXPECT_EQ(j["backtest"]["bars"], 20000);
    EXPECT_GT(j["backtest"]["n_trades"].get<int>(), 0);

    EXPECT_EQ(j["outputs"]["report"], out + "/report.html");
    EXPECT_NE(read_text_file(out + "/report.html").value().find("<svg"), std::string::npos);
    EXPECT_EQ(j["sweep"]["sets"], 25);
    EXPECT_EQ(j["sweep"]["top"].size(), 5U);
    const std::string csv = read_text_file(out + "/sweep.csv").value();
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 26);  // header + 25 sets
    if (TRADPAL_HAS_TORCH) {
        EXPECT_GT(j["ml"]["model"]["samples"].get<int>(), 0);
        EXPECT_TRUE(std::filesystem::is_regular_file(out + "/model/model.json"));
    } else {
        EXPECT_TRUE(j["ml"].is_null());
    }

    const CliRun text = tradpal(fmt::format("demo --bars 20000 --no-ml --out '{}'", out));
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("Outputs:"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find(out + "/sweep.csv"), std::string::npos) << text.out;
    EXPECT_EQ(text.out.find("MLP"), std::string::npos);
}

TEST_F(CliTest, BenchMeasuresEveryAreaBeforeAndAfter) {
    const std::string md = (dir_.path() / "bench.md").string();
    const CliRun r = tradpal(fmt::format("--json bench --quick --rows 20000 --markdown '{}'", md));
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json rows = r.json()["rows"];
    std::vector<std::string> areas;
    for (const auto& row : rows) {
        areas.push_back(row["area"].get<std::string>());
        const std::string& area = areas.back();
        if (area.starts_with("LSTM") || area == "model training" || area.ends_with("the GPU")) {
            continue;  // the GPU side is measured only where there is one
        }
        EXPECT_GT(row["before_s"].get<double>(), 0) << row.dump();
        EXPECT_GT(row["after_s"].get<double>(), 0) << row.dump();
    }
    EXPECT_THAT(areas, ::testing::Contains(::testing::StartsWith("load 20,000 bars")));
    EXPECT_THAT(areas, ::testing::Contains(::testing::StartsWith("backtest sma_cross")));
    EXPECT_THAT(areas, ::testing::Contains(::testing::StartsWith("cache")));
    EXPECT_THAT(areas, ::testing::Contains(::testing::StartsWith("sweep of 100 sets")));
    EXPECT_THAT(areas, ::testing::Contains("sweep of 100 sets on the GPU"));
    EXPECT_EQ(rows.size(), 8U);
    EXPECT_EQ(rows[0]["note"], "same closes");
    EXPECT_EQ(rows[2]["note"].get<std::string>().find("disagree"), std::string::npos);
    const std::string table = read_text_file(md).value();
    EXPECT_NE(table.find("| work | before |"), std::string::npos);
    EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 4 + 8);  // heading, blank, header, rule
}

}  // namespace
}  // namespace tradpal

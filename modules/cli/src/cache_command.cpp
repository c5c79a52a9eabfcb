// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include <fmt/format.h>

#include "context.hpp"
#include "output.hpp"

namespace tradpal::cli {
namespace {

using nlohmann::json;

json counters_json(const cache::CacheStats& stats) {
    json out = json::object();
    for (std::size_t l = 0; l < stats.size(); ++l) {
        const cache::LevelCounters& c = stats[l];
        out[std::string(cache::kLevelNames[l])] = {{"hits", c.hits},
                                                   {"misses", c.misses},
                                                   {"writes", c.writes},
                                                   {"write_failures", c.write_failures},
                                                   {"corrupt", c.corrupt},
                                                   {"bytes_read", c.bytes_read},
                                                   {"bytes_written", c.bytes_written}};
    }
    return out;
}

void print_counters(const std::string& title, const cache::CacheStats& stats) {
    std::cout << title << '\n';
    Table table({"LEVEL", "HITS", "MISSES", "HIT RATE", "WRITES", "WRITE FAILURES", "CORRUPT",
                 "BYTES READ", "BYTES WRITTEN"});
    for (std::size_t l = 0; l < stats.size(); ++l) {
        const cache::LevelCounters& c = stats[l];
        const std::uint64_t asked = c.hits + c.misses;
        table.add_row({std::string(cache::kLevelNames[l]), with_commas(c.hits),
                       with_commas(c.misses),
                       asked == 0 ? "-"
                                  : fmt::format("{:.1f}%", 100.0 * static_cast<double>(c.hits) /
                                                               static_cast<double>(asked)),
                       with_commas(c.writes), with_commas(c.write_failures), with_commas(c.corrupt),
                       with_commas(c.bytes_read), with_commas(c.bytes_written)});
    }
    table.print(std::cout);
}

int run_stats(Context& ctx) {
    cache::Cache& cache = ctx.cache();
    const cache::CacheConfig& config = cache.config();
    const std::optional<cache::CacheStats> shared = cache.redis_stats();
    const cache::CacheStats local = cache.file_stats();
    std::optional<cache::FileCache::Usage> usage;
    if (cache::FileCache* files = cache.files()) {
        usage = files->usage();
    }
    std::string redis_state = "off";
    if (cache::RedisClient* redis = cache.redis()) {
        redis_state =
            shared ? fmt::format("{}:{}", config.redis_options.host, config.redis_options.port)
                   : fmt::format("{}:{} not reachable ({})", config.redis_options.host,
                                 config.redis_options.port, redis->last_error());
    }
    if (ctx.json) {
        json doc = {{"memory", {{"enabled", config.memory}, {"bytes", config.memory_bytes}}},
                    {"redis", {{"enabled", config.redis}, {"state", redis_state}}},
                    {"file",
                     {{"enabled", config.files},
                      {"dir", config.file_dir.string()},
                      {"entries", usage ? usage->entries : 0},
                      {"bytes", usage ? usage->bytes : 0}}},
                    {"counters_local", counters_json(local)}};
        if (shared) {
            doc["counters_redis"] = counters_json(*shared);
        }
        Context::print_json(doc);
        return 0;
    }
    std::cout << fmt::format("memory level: {} (up to {} MiB per process)\n",
                             config.memory ? "on" : "off", config.memory_bytes >> 20);
    std::cout << fmt::format("redis level:  {}\n", redis_state);
    std::cout << fmt::format(
        "file level:   {}{}\n\n", config.files ? config.file_dir.string() : "off",
        usage ? fmt::format(", {} entries, {} bytes", with_commas(usage->entries),
                            with_commas(usage->bytes))
              : "");
    if (shared) {
        print_counters("Counters kept in Redis (every process using it):", *shared);
        std::cout << '\n';
    }
    print_counters(fmt::format("Counters kept in {} (processes on this machine):",
                               (config.file_dir / "stats.json").string()),
                   local);
    return 0;
}

int run_clear(Context& ctx, const std::string& ns) {
    const cache::Cache::Cleared cleared = ctx.cache().clear(ns);
    if (ctx.json) {
        Context::print_json({{"namespace", ns.empty() ? "all" : ns},
                             {"memory", cleared.memory},
                             {"redis", cleared.redis},
                             {"file", cleared.files}});
        return 0;
    }
    std::cout << fmt::format("Removed {} values from Redis and {} files ({})\n", cleared.redis,
                             cleared.files, ns.empty() ? "every namespace" : "namespace " + ns);
    return 0;
}

}  // namespace

void add_cache_commands(CLI::App& app, std::vector<Command>& commands) {
    CLI::App* c = app.add_subcommand(
        "cache", "Cache levels, hit counters, and clearing (values reused with --cache)");
    c->require_subcommand(1);
    CLI::App* stats = c->add_subcommand("stats", "Levels and hits/misses/bytes per level");
    commands.push_back({stats, run_stats});
    auto ns = std::make_shared<std::string>();
    CLI::App* clear = c->add_subcommand("clear", "Remove cached values from every level");
    clear->add_option("--namespace", *ns, "Only this namespace: indicators, api, backtest, models");
    commands.push_back({clear, [ns](Context& ctx) {
                            return run_clear(ctx, *ns);
                        }});
}

}  // namespace tradpal::cli

// SPDX-License-Identifier: Apache-2.0
#include "context.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <thread>

#include <tradpal/core/file.hpp>
#include <tradpal/monitor/performance_monitor.hpp>

namespace tradpal::cli {

data::Store Context::store() const {
    return data::Store(expand_user(settings.values.data.store_dir));
}

std::size_t Context::chunk_rows() const noexcept {
    if (!settings.values.memory.optimization_enabled) {
        return std::numeric_limits<std::size_t>::max();
    }
    return static_cast<std::size_t>(settings.values.memory.chunk_size);
}

int Context::threads() const noexcept {
    const ParallelSettings& p = settings.values.parallel;
    return p.enabled ? static_cast<int>(p.max_workers) : 1;
}

int Context::thread_count() const noexcept {
    const int n = threads();
    return n > 0 ? n : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

cache::Cache& Context::cache() {
    if (!cache_) {
        cache_ = std::make_unique<cache::Cache>(
            cache::CacheConfig::from_settings(settings.values.cache));
    }
    return *cache_;
}

monitor::ScopedTimer Context::stage(std::string name) const {
    return monitor != nullptr ? monitor->stage(std::move(name)) : monitor::ScopedTimer();
}

std::string nvml_library() {
    const char* path = std::getenv("TRADPAL_NVML_LIBRARY");
    return path != nullptr && *path != '\0' ? std::string(path)
                                            : std::string(monitor::kNvmlLibrary);
}

void Context::print_json(const nlohmann::json& doc) {
    std::cout << doc.dump(2) << '\n';
}

void SeriesSelector::add_to(CLI::App* app, bool timeframe_flag) {
    app->add_option("symbol", symbol, "Symbol, e.g. BTC/USD")->required();
    if (timeframe_flag) {
        app->add_option("-t,--timeframe", timeframe,
                        "Bar timeframe, e.g. 1h (needed when several are stored)");
    }
    app->add_option("--source", source, "Source the series was stored under (e.g. csv, synthetic)");
}

data::SeriesKey SeriesSelector::resolve(const data::Store& store) const {
    std::optional<Timeframe> tf;
    if (!timeframe.empty()) {
        tf = Timeframe::parse(timeframe).value();
    }
    std::optional<std::string> src;
    if (!source.empty()) {
        src = source;
    }
    return store.resolve(symbol, tf, src).value();
}

}  // namespace tradpal::cli

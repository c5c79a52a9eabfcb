// SPDX-License-Identifier: Apache-2.0
// TA-Lib itself, on the same 10M bars and the same machine as BM_Batch, so that the two can be
// compared as ratios from one run. Built only with -DTRADPAL_TALIB_SRC=<a TA-Lib source tree>;
// TA-Lib is never part of TradPal. Each benchmark also reports the largest relative difference
// between TA-Lib's values and ours (max_rel_diff), over every bar of every output.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <tradpal/indicators/registry.hpp>

extern "C" {
#include <ta_libc.h>
}

namespace tradpal::indicators {

const BarSeries& bench_bars();  // defined in indicators_bench.cpp

namespace {

struct TaCase {
    const char* spec;  // our spec with the same parameters
    // Runs TA-Lib over all bars into outs (each n long, values from index beg).
    std::function<int(const BarSeries&, std::vector<std::vector<double>>&)> run;
};

std::vector<TaCase> cases() {
    std::vector<TaCase> out;
    out.push_back({"sma(20)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       TA_SMA(0, static_cast<int>(b.size()) - 1, b.view().close().data(), 20, &beg,
                              &n, o[0].data());
                       return beg;
                   }});
    out.push_back({"ema(20)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       TA_EMA(0, static_cast<int>(b.size()) - 1, b.view().close().data(), 20, &beg,
                              &n, o[0].data());
                       return beg;
                   }});
    out.push_back({"rsi(14)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       TA_RSI(0, static_cast<int>(b.size()) - 1, b.view().close().data(), 14, &beg,
                              &n, o[0].data());
                       return beg;
                   }});
    out.push_back({"macd(12,26,9)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       TA_MACD(0, static_cast<int>(b.size()) - 1, b.view().close().data(), 12, 26,
                               9, &beg, &n, o[0].data(), o[1].data(), o[2].data());
                       return beg;
                   }});
    out.push_back({"bbands(20,2,2,sma)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       TA_BBANDS(0, static_cast<int>(b.size()) - 1, b.view().close().data(), 20,
                                 2.0, 2.0, TA_MAType_SMA, &beg, &n, o[0].data(), o[1].data(),
                                 o[2].data());
                       return beg;
                   }});
    out.push_back({"atr(14)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       const auto v = b.view();
                       TA_ATR(0, static_cast<int>(b.size()) - 1, v.high().data(), v.low().data(),
                              v.close().data(), 14, &beg, &n, o[0].data());
                       return beg;
                   }});
    out.push_back({"adx(14)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       const auto v = b.view();
                       TA_ADX(0, static_cast<int>(b.size()) - 1, v.high().data(), v.low().data(),
                              v.close().data(), 14, &beg, &n, o[0].data());
                       return beg;
                   }});
    out.push_back({"stoch(5,3,sma,3,sma)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       const auto v = b.view();
                       TA_STOCH(0, static_cast<int>(b.size()) - 1, v.high().data(), v.low().data(),
                                v.close().data(), 5, 3, TA_MAType_SMA, 3, TA_MAType_SMA, &beg, &n,
                                o[0].data(), o[1].data());
                       return beg;
                   }});
    out.push_back({"obv", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       const auto v = b.view();
                       TA_OBV(0, static_cast<int>(b.size()) - 1, v.close().data(),
                              v.volume().data(), &beg, &n, o[0].data());
                       return beg;
                   }});
    out.push_back({"cci(14)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       const auto v = b.view();
                       TA_CCI(0, static_cast<int>(b.size()) - 1, v.high().data(), v.low().data(),
                              v.close().data(), 14, &beg, &n, o[0].data());
                       return beg;
                   }});
    out.push_back({"sar(0.02,0.2)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       const auto v = b.view();
                       TA_SAR(0, static_cast<int>(b.size()) - 1, v.high().data(), v.low().data(),
                              0.02, 0.2, &beg, &n, o[0].data());
                       return beg;
                   }});
    out.push_back({"kama(30)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       TA_KAMA(0, static_cast<int>(b.size()) - 1, b.view().close().data(), 30, &beg,
                               &n, o[0].data());
                       return beg;
                   }});
    out.push_back({"stddev(20,1)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       TA_STDDEV(0, static_cast<int>(b.size()) - 1, b.view().close().data(), 20,
                                 1.0, &beg, &n, o[0].data());
                       return beg;
                   }});
    out.push_back({"linearreg(14)", [](const BarSeries& b, auto& o) {
                       int beg = 0, n = 0;
                       TA_LINEARREG(0, static_cast<int>(b.size()) - 1, b.view().close().data(), 14,
                                    &beg, &n, o[0].data());
                       return beg;
                   }});
    return out;
}

// The largest |ours - ta| / max(1, |ta|) over every bar where TA-Lib gave a value.
double max_rel_diff(const Spec& spec, const BarSeries& b,
                    const std::vector<std::vector<double>>& ta, int beg) {
    std::vector<std::vector<double>> ours(spec.output_count(), std::vector<double>(b.size()));
    std::vector<std::span<double>> spans(ours.begin(), ours.end());
    spec.compute(Inputs::from(b), spans);
    double worst = 0;
    const std::size_t valid = b.size() - static_cast<std::size_t>(beg);
    for (std::size_t o = 0; o < ours.size(); ++o) {
        for (std::size_t i = 0; i < valid; ++i) {
            const double t = ta[o][i];  // TA-Lib writes from index 0 for bar beg
            const double u = ours[o][i + static_cast<std::size_t>(beg)];
            worst = std::max(worst, std::fabs(u - t) / std::max(1.0, std::fabs(t)));
        }
    }
    return worst;
}

void BM_TaLib(benchmark::State& state, const TaCase& c) {
    auto spec = Spec::parse(c.spec);
    if (!spec) {
        state.SkipWithError(spec.error().message.c_str());
        return;
    }
    const BarSeries& b = bench_bars();
    std::vector<std::vector<double>> out(spec->output_count(), std::vector<double>(b.size()));
    int beg = 0;
    for (auto _ : state) {
        beg = c.run(b, out);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
    state.counters["ns_per_bar"] =
        benchmark::Counter(static_cast<double>(state.iterations() * b.size()),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.counters["max_rel_diff"] = max_rel_diff(*spec, b, out, beg);
}

void BM_TaLibAllFourteen(benchmark::State& state) {
    const BarSeries& b = bench_bars();
    const auto all = cases();
    std::vector<std::vector<std::vector<double>>> outs;
    for (std::size_t k = 0; k < all.size(); ++k) {
        outs.emplace_back(3, std::vector<double>(b.size()));
    }
    for (auto _ : state) {
        for (std::size_t k = 0; k < all.size(); ++k) {
            all[k].run(b, outs[k]);
        }
        benchmark::ClobberMemory();
    }
    state.counters["ns_per_bar"] =
        benchmark::Counter(static_cast<double>(state.iterations() * b.size()),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TaLibAllFourteen)->Unit(benchmark::kMillisecond);

int register_talib = [] {
    TA_Initialize();
    // TA-Lib mallocs N-length buffers inside MACD, ATR and STOCH on every call. Serve them from
    // the heap rather than fresh mmaps so that TA-Lib runs "warm", as in its published figures.
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    static const auto all = cases();
    for (const TaCase& c : all) {
        benchmark::RegisterBenchmark((std::string("BM_TaLib/") + c.spec).c_str(), BM_TaLib, c)
            ->Unit(benchmark::kMillisecond);
    }
    return 0;
}();

}  // namespace
}  // namespace tradpal::indicators

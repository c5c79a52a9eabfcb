// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <vector>

#include <tradpal/indicators/volume.hpp>

#include "registry_util.hpp"

namespace tradpal::indicators {
namespace {

constexpr int kMaxPeriod = 100'000;

void check_period(int period, int min, const char* what) {
    require(period >= min && period <= kMaxPeriod, what);
}

void check_columns(std::size_t n, std::initializer_list<std::span<const double>> columns,
                   std::span<double> out) {
    for (const auto& c : columns) {
        require(c.size() == n, "input columns must have equal length");
    }
    require(out.size() == n, "indicator output must have the input's length");
}

Bar make_bar(double high, double low, double close, double volume) {
    Bar bar;
    bar.high = high;
    bar.low = low;
    bar.close = close;
    bar.volume = volume;
    return bar;
}

}  // namespace

Adosc::Adosc(int fast, int slow)
    : fast_k_(2.0 / (fast + 1)),
      fast_rest_(1.0 - fast_k_),
      slow_k_(2.0 / (slow + 1)),
      slow_rest_(1.0 - slow_k_),
      lookback_(0) {
    check_period(fast, 2, "adosc: fast period must be between 2 and 100000");
    check_period(slow, 2, "adosc: slow period must be between 2 and 100000");
    lookback_ = adosc_lookback(fast, slow);
}

Mfi::Mfi(int period)
    : positive_(static_cast<std::size_t>(std::max(period, 1))),
      negative_(static_cast<std::size_t>(std::max(period, 1))) {
    check_period(period, 2, "mfi: period must be between 2 and 100000");
}

std::size_t obv_lookback() {
    return 0;
}

void obv(std::span<const double> close, std::span<const double> volume, std::span<double> out) {
    const std::size_t n = close.size();
    check_columns(n, {volume}, out);
    if (n == 0) {
        return;
    }
    double value = volume[0];
    double prev = close[0];
    for (std::size_t i = 0; i < n; ++i) {
        const double c = close[i];
        value += obv_step(c, prev, volume[i]);
        out[i] = value;
        prev = c;
    }
}

std::size_t ad_lookback() {
    return 0;
}

void ad(std::span<const double> high, std::span<const double> low, std::span<const double> close,
        std::span<const double> volume, std::span<double> out) {
    const std::size_t n = close.size();
    check_columns(n, {high, low, volume}, out);
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        total += ad_step(high[i], low[i], close[i], volume[i]);
        out[i] = total;
    }
}

std::size_t adosc_lookback(int fast, int slow) {
    return static_cast<std::size_t>(std::max(fast, slow) - 1);
}

void adosc(std::span<const double> high, std::span<const double> low, std::span<const double> close,
           std::span<const double> volume, int fast, int slow, std::span<double> out) {
    Adosc s(fast, slow);
    const std::size_t n = close.size();
    check_columns(n, {high, low, volume}, out);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = s.update(make_bar(high[i], low[i], close[i], volume[i]));
    }
}

std::size_t mfi_lookback(int period) {
    return static_cast<std::size_t>(period);
}

void mfi(std::span<const double> high, std::span<const double> low, std::span<const double> close,
         std::span<const double> volume, int period, std::span<double> out) {
    check_period(period, 2, "mfi: period must be between 2 and 100000");
    const std::size_t n = close.size();
    check_columns(n, {high, low, volume}, out);
    if (n == 0) {
        return;
    }
    // Mfi::update's arithmetic with the window's flows in two plain arrays: slot (i - 1) % p
    // holds bar i's flows, and the flows it overwrites are the ones leaving the window.
    const auto p = static_cast<std::size_t>(period);
    std::vector<double> positive(p, 0.0);
    std::vector<double> negative(p, 0.0);
    double pos_sum = 0;
    double neg_sum = 0;
    double prev_typical = typical_price(high[0], low[0], close[0]);
    out[0] = kNaN;
    std::size_t slot = 0;
    for (std::size_t i = 1; i < n; ++i) {
        if (i > p) {
            pos_sum -= positive[slot];
            neg_sum -= negative[slot];
        }
        const double typical = typical_price(high[i], low[i], close[i]);
        const double change = typical - prev_typical;
        prev_typical = typical;
        const double flow = typical * volume[i];
        const double none = change * 0.0;
        const double pos = change > 0 ? flow : none;
        const double neg = change < 0 ? flow : none;
        positive[slot] = pos;
        negative[slot] = neg;
        pos_sum += pos;
        neg_sum += neg;
        slot = slot + 1 == p ? 0 : slot + 1;
        if (i < p) {
            out[i] = kNaN;
            continue;
        }
        const double total = pos_sum + neg_sum;
        out[i] = total < 1.0 ? 0.0 : 100.0 * (pos_sum / total);
    }
}

}  // namespace tradpal::indicators

// ---- registry entries

namespace tradpal::indicators::detail {
namespace {

IndicatorInfo entry(std::string_view name, std::string_view title, unsigned inputs,
                    std::vector<ParamInfo> params, std::string_view golden) {
    return describe("volume", name, title, inputs, std::move(params), golden);
}

constexpr unsigned kHlcv = kHigh | kLow | kClose | kVolume;

}  // namespace

void register_volume(std::vector<IndicatorInfo>& out) {
    IndicatorInfo o = entry("obv", "On Balance Volume", kClose | kVolume, {}, "obv");
    o.lookback = [](const Params&) {
        return obv_lookback();
    };
    o.batch = [](const Inputs& in, const Params&, OutputSpans s) {
        obv(in.close, in.volume, s[0]);
    };
    o.stream = [](const Params&) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Obv>>(Obv());
    };
    out.push_back(std::move(o));

    IndicatorInfo a = entry("ad", "Chaikin A/D Line", kHlcv, {}, "ad");
    a.lookback = [](const Params&) {
        return ad_lookback();
    };
    a.batch = [](const Inputs& in, const Params&, OutputSpans s) {
        ad(in.high, in.low, in.close, in.volume, s[0]);
    };
    a.stream = [](const Params&) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Ad>>(Ad());
    };
    out.push_back(std::move(a));

    IndicatorInfo osc =
        entry("adosc", "Chaikin A/D Oscillator", kHlcv,
              {period_param(3, 2, "fast"), period_param(10, 2, "slow")}, "adosc(3,10)");
    osc.lookback = [](const Params& p) {
        return adosc_lookback(p.integer(0), p.integer(1));
    };
    osc.batch = [](const Inputs& in, const Params& p, OutputSpans s) {
        adosc(in.high, in.low, in.close, in.volume, p.integer(0), p.integer(1), s[0]);
    };
    osc.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Adosc>>(Adosc(p.integer(0), p.integer(1)));
    };
    out.push_back(std::move(osc));

    IndicatorInfo m = entry("mfi", "Money Flow Index", kHlcv, {period_param(14)}, "mfi(14)");
    m.lookback = lookback_period<mfi_lookback>;
    m.batch = [](const Inputs& in, const Params& p, OutputSpans s) {
        mfi(in.high, in.low, in.close, in.volume, p.integer(0), s[0]);
    };
    m.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Mfi>>(Mfi(p.integer(0)));
    };
    out.push_back(std::move(m));
}

}  // namespace tradpal::indicators::detail

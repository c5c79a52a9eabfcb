// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <tradpal/data/generate.hpp>

namespace tradpal::data {
namespace {

constexpr double kYearNs = 365.25 * static_cast<double>(kNanosPerDay);
constexpr std::size_t kBatchRows = 65'536;

}  // namespace

SyntheticMarket::SyntheticMarket(const SyntheticSpec& spec) : spec_(spec), rng_(spec.seed) {
    if (!(spec.start_price > 0) || !(spec.annual_volatility > 0) || spec.garch_alpha < 0 ||
        spec.garch_beta < 0 || spec.garch_alpha + spec.garch_beta >= 1 || spec.jumps_per_year < 0 ||
        spec.jump_stddev < 0 || !(spec.volume_per_minute > 0)) {
        throw Exception(ErrorCode::InvalidArgument,
                        "synthetic market: need start_price > 0, volatility > 0, GARCH alpha, beta "
                        ">= 0 with alpha + beta < 1, and non-negative jump settings");
    }
    const double dt = static_cast<double>(spec.timeframe.nominal_ns()) / kYearNs;
    long_run_ = spec.annual_volatility * spec.annual_volatility * dt;
    omega_ = long_run_ * (1.0 - spec.garch_alpha - spec.garch_beta);
    variance_ = long_run_;
    drift_ = (spec.annual_drift - 0.5 * spec.annual_volatility * spec.annual_volatility) * dt;
    jump_probability_ = std::min(1.0, spec.jumps_per_year * dt);
    close_ = spec.start_price;
    next_ = spec.timeframe.bucket_start(spec.start);
}

BarSeries synthetic_bars(const SyntheticSpec& spec) {
    SyntheticMarket market(spec);
    BarSeries out;
    out.reserve(spec.bars);
    market.generate(spec.bars, out);
    return out;
}

void SyntheticMarket::generate(std::size_t count, BarSeries& out) {
    const double minutes =
        static_cast<double>(spec_.timeframe.nominal_ns()) / static_cast<double>(kNanosPerMinute);
    const double mean_volume = spec_.volume_per_minute * minutes;
    for (std::size_t i = 0; i < count; ++i) {
        variance_ =
            omega_ + spec_.garch_alpha * last_shock_ * last_shock_ + spec_.garch_beta * variance_;
        const double sigma = std::sqrt(variance_);
        const double z = rng_.normal();
        last_shock_ = sigma * z;
        double log_return = drift_ + last_shock_;
        if (rng_.uniform() < jump_probability_) {
            log_return += spec_.jump_mean + spec_.jump_stddev * rng_.normal();
        }
        const double open = close_;
        const double close = open * std::exp(log_return);
        // Extremes reached inside the bar: half-normal excursions beyond open and close.
        const double high =
            std::max(open, close) * std::exp(std::fabs(rng_.normal()) * 0.5 * sigma);
        const double low =
            std::min(open, close) * std::exp(-std::fabs(rng_.normal()) * 0.5 * sigma);
        // Log-normal volume (mean one before scaling), larger on large moves.
        const double activity = 1.0 + std::fabs(log_return) / std::sqrt(long_run_);
        const double volume = mean_volume * 0.5 * activity * std::exp(0.5 * rng_.normal() - 0.125);
        out.push_back(Bar{next_, open, high, low, close, volume});
        close_ = close;
        next_ = spec_.timeframe.next_bucket(next_);
    }
}

SeriesMeta generate_series(const Store& store, const SyntheticSpec& spec, const std::string& source,
                           bool force, const ProgressFn& progress) {
    SyntheticMarket market(spec);
    const SeriesKey key{source, spec.symbol, spec.timeframe};
    SeriesWriter writer = SeriesWriter::open(store, key, SeriesWriter::Mode::Replace).value();
    if (writer.previous() && !writer.previous()->origin.starts_with("generate") && !force) {
        throw Exception(ErrorCode::AlreadyExists,
                        fmt::format("{} already holds data from '{}'; pass --force to replace it "
                                    "with synthetic bars",
                                    key.to_string(), writer.previous()->origin));
    }
    BarSeries batch;
    batch.reserve(kBatchRows);
    for (std::uint64_t done = 0; done < spec.bars;) {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(kBatchRows, spec.bars - done));
        batch.clear();
        market.generate(n, batch);
        writer.stage(batch);
        done += n;
        if (progress) {
            progress(done, spec.bars);
        }
    }
    writer.set_origin(fmt::format(
        "generate seed={} start={} price={} drift={} vol={} garch={},{} "
        "jumps={}/y",
        spec.seed, format_iso(spec.start), spec.start_price, spec.annual_drift,
        spec.annual_volatility, spec.garch_alpha, spec.garch_beta, spec.jumps_per_year));
    return writer.commit();
}

}  // namespace tradpal::data

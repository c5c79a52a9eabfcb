// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include <tradpal/indicators/momentum.hpp>

#include "registry_util.hpp"

namespace tradpal::indicators {
namespace {

constexpr int kMaxPeriod = 100'000;

int valid_period(int period, int min, const char* what) {
    require(period >= min && period <= kMaxPeriod, what);
    return period;
}

MaType valid_ma(MaType type, const char* what) {
    const int code = static_cast<int>(type);
    require(code >= 0 && code <= 8 && code != 7, what);
    return type;
}

void check_fast_slow(int fast, int slow, const char* what) {
    valid_period(fast, 2, what);
    valid_period(slow, 2, what);
    require(fast < slow, what);
}

void check_macd(int fast, int slow, int signal) {
    check_fast_slow(fast, slow,
                    "macd: fast and slow must be between 2 and 100000, with fast < slow");
    valid_period(signal, 1, "macd: signal must be between 1 and 100000");
}

// All of APO's / PPO's checks, run before their moving averages are built.
MaType valid_oscillator(int fast, int slow, MaType type, const char* what) {
    check_fast_slow(fast, slow, what);
    return valid_ma(type, what);
}

void check_out(std::size_t n, std::span<double> out) {
    require(out.size() == n, "indicator output must have the input's length");
}

void check_hlc(std::span<const double> high, std::span<const double> low,
               std::span<const double> close) {
    require(high.size() == close.size() && low.size() == close.size(),
            "high, low and close must have the same length");
}

void fill_nan(std::span<double> out, std::size_t count) {
    std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(std::min(count, out.size())),
              kNaN);
}

// Batch form of a single-output close stream (update(x) returns the value, NaN before ready).
template <class S>
void run_close(S& s, std::span<const double> in, std::span<double> out) noexcept {
    for (std::size_t i = 0; i < in.size(); ++i) {
        const double v = s.update(in[i]);
        out[i] = s.ready() ? v : kNaN;
    }
}

// Batch form of a streaming class fed with (high, low, close) and read through values().
template <class S, std::size_t N>
void run_hlc(S& s, std::span<const double> high, std::span<const double> low,
             std::span<const double> close, const std::array<std::span<double>, N>& out) noexcept {
    std::array<double, N> v{};
    for (std::size_t i = 0; i < close.size(); ++i) {
        s.update(high[i], low[i], close[i]);
        s.values(v);
        for (std::size_t o = 0; o < N; ++o) {
            out[o][i] = v[o];
        }
    }
}

// STOCH with SMA smoothing on both lines (TA-Lib's default and the benchmarked case): the
// arithmetic of Stoch with its two Sma stages written out, so the sums stay in registers and no
// std::visit runs per bar.
void stoch_sma(std::span<const double> high, std::span<const double> low,
               std::span<const double> close, int fastk, int slowk, int slowd,
               std::span<double> slowk_out, std::span<double> slowd_out) {
    const std::size_t n = close.size();
    const auto k_start = static_cast<std::size_t>(fastk - 1);
    const std::size_t sk_start = k_start + static_cast<std::size_t>(slowk - 1);
    const std::size_t lookback = sk_start + static_cast<std::size_t>(slowd - 1);
    fill_nan(slowk_out, lookback);
    fill_nan(slowd_out, lookback);
    RollingRange range(fastk);
    std::vector<double> k_window(static_cast<std::size_t>(slowk));
    std::vector<double> d_window(static_cast<std::size_t>(slowd));
    double* kw = k_window.data();
    double* dw = d_window.data();
    const std::size_t kp = k_window.size();
    const std::size_t dp = d_window.size();
    const double kn = slowk;
    const double dn = slowd;
    std::size_t ki = 0;
    std::size_t di = 0;
    double k_sum = 0;
    double d_sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        range.update(high[i], low[i]);
        if (i < k_start) {
            continue;
        }
        const double k = momentum_detail::stoch_k(close[i], range.highest(), range.lowest());
        kw[ki] = k;
        ki = ki + 1 == kp ? 0 : ki + 1;
        k_sum += k;
        if (i < sk_start) {
            continue;
        }
        const double sk = k_sum / kn;
        k_sum -= kw[ki];  // the oldest %K, which leaves with the next bar
        dw[di] = sk;
        di = di + 1 == dp ? 0 : di + 1;
        d_sum += sk;
        if (i < lookback) {
            continue;
        }
        const double sd = d_sum / dn;
        d_sum -= dw[di];
        slowk_out[i] = sk;
        slowd_out[i] = sd;
    }
}

}  // namespace

// ---- streaming constructors and out-of-line updates

Rsi::Rsi(int period) : avg_(valid_period(period, 2, "rsi: period must be between 2 and 100000")) {}

Cmo::Cmo(int period) : avg_(valid_period(period, 2, "cmo: period must be between 2 and 100000")) {}

Mom::Mom(int period)
    : window_(static_cast<std::size_t>(
                  valid_period(period, 1, "mom: period must be between 1 and 100000")) +
              1) {}

Roc::Roc(int period)
    : window_(static_cast<std::size_t>(
                  valid_period(period, 1, "roc: period must be between 1 and 100000")) +
              1) {}

Macd::Macd(int fast, int slow, int signal)
    : fast_(fast),
      slow_(slow),
      lookback_(static_cast<std::int64_t>(slow - 1) + (signal - 1)),
      fast_n_(fast),
      slow_n_(slow),
      signal_n_(signal),
      k_fast_(2.0 / (fast + 1)),
      k_slow_(2.0 / (slow + 1)),
      k_signal_(2.0 / (signal + 1)) {
    check_macd(fast, slow, signal);
}

Apo::Apo(int fast, int slow, MaType type)
    : fast_(valid_oscillator(fast, slow, type,
                             "apo: fast and slow must be between 2 and 100000 with fast < slow, "
                             "and matype a known moving average"),
            fast),
      slow_(type, slow) {}

Ppo::Ppo(int fast, int slow, MaType type)
    : fast_(valid_oscillator(fast, slow, type,
                             "ppo: fast and slow must be between 2 and 100000 with fast < slow, "
                             "and matype a known moving average"),
            fast),
      slow_(type, slow) {}

Trix::Trix(int period)
    : e1_(valid_period(period, 1, "trix: period must be between 1 and 100000")),
      e2_(period),
      e3_(period) {}

double Trix::update(double x) noexcept {
    const double a = e1_.update(x);
    if (!e1_.ready()) {
        return kNaN;
    }
    const double b = e2_.update(a);
    if (!e2_.ready()) {
        return kNaN;
    }
    const double c = e3_.update(b);
    if (!e3_.ready()) {
        return kNaN;
    }
    if (!have_prev_) {
        prev_ = c;
        have_prev_ = true;
        return kNaN;
    }
    value_ = prev_ != 0.0 ? ((c / prev_) - 1.0) * 100.0 : 0.0;
    prev_ = c;
    ready_ = true;
    return value_;
}

StochF::StochF(int fastk, int fastd, MaType fastd_type)
    : range_(valid_period(fastk, 1, "stochf: fastk_period must be between 1 and 100000")),
      fastd_ma_(valid_ma(fastd_type, "stochf: unknown moving-average type"),
                valid_period(fastd, 1, "stochf: fastd_period must be between 1 and 100000")) {}

void StochF::update(double high, double low, double close) noexcept {
    range_.update(high, low);
    if (!range_.full()) {
        return;
    }
    const double k = momentum_detail::stoch_k(close, range_.highest(), range_.lowest());
    const double d = fastd_ma_.update(k);
    if (fastd_ma_.ready()) {
        ready_ = true;
        fastk_ = k;
        fastd_ = d;
    }
}

Stoch::Stoch(int fastk, int slowk, MaType slowk_type, int slowd, MaType slowd_type)
    : range_(valid_period(fastk, 1, "stoch: fastk_period must be between 1 and 100000")),
      slowk_ma_(valid_ma(slowk_type, "stoch: unknown moving-average type"),
                valid_period(slowk, 1, "stoch: slowk_period must be between 1 and 100000")),
      slowd_ma_(valid_ma(slowd_type, "stoch: unknown moving-average type"),
                valid_period(slowd, 1, "stoch: slowd_period must be between 1 and 100000")) {}

void Stoch::update(double high, double low, double close) noexcept {
    range_.update(high, low);
    if (!range_.full()) {
        return;
    }
    const double k = momentum_detail::stoch_k(close, range_.highest(), range_.lowest());
    const double sk = slowk_ma_.update(k);
    if (!slowk_ma_.ready()) {
        return;
    }
    const double sd = slowd_ma_.update(sk);
    if (!slowd_ma_.ready()) {
        return;
    }
    ready_ = true;
    slowk_ = sk;
    slowd_ = sd;
}

StochRsi::StochRsi(int period, int fastk, int fastd, MaType fastd_type)
    : avg_(valid_period(period, 2, "stochrsi: period must be between 2 and 100000")),
      stoch_(fastk, fastd, fastd_type) {}

WillR::WillR(int period)
    : range_(valid_period(period, 2, "willr: period must be between 2 and 100000")) {}

UltOsc::UltOsc(int period1, int period2, int period3)
    : periods_{static_cast<std::size_t>(
                   valid_period(period1, 1, "ultosc: period1 must be between 1 and 100000")),
               static_cast<std::size_t>(
                   valid_period(period2, 1, "ultosc: period2 must be between 1 and 100000")),
               static_cast<std::size_t>(
                   valid_period(period3, 1, "ultosc: period3 must be between 1 and 100000"))},
      longest_(std::max({periods_[0], periods_[1], periods_[2]})),
      buying_(longest_),
      ranges_(longest_) {
    // TA-Lib sorts the periods, so the weights follow the lengths, not the argument order.
    std::sort(std::begin(periods_), std::end(periods_));
}

double UltOsc::update(double high, double low, double close) noexcept {
    const std::size_t t = seen_++;
    const double prev = prev_close_;
    prev_close_ = close;
    if (t == 0) {
        return kNaN;
    }
    const double true_low = low < prev ? low : prev;
    const double buying = close - true_low;
    double range = high - low;
    const double to_high = std::fabs(prev - high);
    if (to_high > range) {
        range = to_high;
    }
    const double to_low = std::fabs(prev - low);
    if (to_low > range) {
        range = to_low;
    }
    buying_.push(buying);
    ranges_.push(range);
    // Each sum starts `period` bars before the first output, as TA-Lib primes them.
    for (std::size_t k = 0; k < 3; ++k) {
        if (t + periods_[k] > longest_) {
            buying_sum_[k] += buying;
            range_sum_[k] += range;
        }
    }
    if (t < longest_) {
        return kNaN;
    }
    double total = 0.0;
    if (!momentum_detail::is_zero(range_sum_[0])) {
        total += 4.0 * (buying_sum_[0] / range_sum_[0]);
    }
    if (!momentum_detail::is_zero(range_sum_[1])) {
        total += 2.0 * (buying_sum_[1] / range_sum_[1]);
    }
    if (!momentum_detail::is_zero(range_sum_[2])) {
        total += buying_sum_[2] / range_sum_[2];
    }
    for (std::size_t k = 0; k < 3; ++k) {
        const std::size_t leaving = longest_ - periods_[k];  // the bar t - period + 1
        buying_sum_[k] -= buying_[leaving];
        range_sum_[k] -= ranges_[leaving];
    }
    value_ = 100.0 * (total / 7.0);
    return value_;
}

Cci::Cci(int period)
    : n_(period),
      scale_(0.015 / period),
      window_(static_cast<std::size_t>(
          valid_period(period, 2, "cci: period must be between 2 and 100000"))) {}

// ---- batch forms

std::size_t rsi_lookback(int period) {
    return static_cast<std::size_t>(period);
}

void rsi(std::span<const double> close, int period, std::span<double> out) {
    valid_period(period, 2, "rsi: period must be between 2 and 100000");
    check_out(close.size(), out);
    kernels::rsi_series(close.data(), close.size(), period, out.data());
}

std::size_t cmo_lookback(int period) {
    return static_cast<std::size_t>(period);
}

void cmo(std::span<const double> close, int period, std::span<double> out) {
    valid_period(period, 2, "cmo: period must be between 2 and 100000");
    check_out(close.size(), out);
    kernels::gain_loss_series<kernels::WilderStep::Exact>(
        close.data(), close.size(), period, out.data(),
        [](double gain, double loss) { return momentum_detail::cmo_value(gain, loss); });
}

std::size_t mom_lookback(int period) {
    return static_cast<std::size_t>(period);
}

void mom(std::span<const double> close, int period, std::span<double> out) {
    valid_period(period, 1, "mom: period must be between 1 and 100000");
    check_out(close.size(), out);
    const auto p = static_cast<std::size_t>(period);
    fill_nan(out, p);
    for (std::size_t i = p; i < close.size(); ++i) {
        out[i] = close[i] - close[i - p];
    }
}

std::size_t roc_lookback(int period) {
    return static_cast<std::size_t>(period);
}

void roc(std::span<const double> close, int period, std::span<double> out) {
    valid_period(period, 1, "roc: period must be between 1 and 100000");
    check_out(close.size(), out);
    const auto p = static_cast<std::size_t>(period);
    fill_nan(out, p);
    for (std::size_t i = p; i < close.size(); ++i) {
        const double old = close[i - p];
        out[i] = old != 0.0 ? ((close[i] / old) - 1.0) * 100.0 : 0.0;
    }
}

std::size_t macd_lookback(int /*fast*/, int slow, int signal) {
    return static_cast<std::size_t>(slow - 1) + static_cast<std::size_t>(signal - 1);
}

void macd(std::span<const double> close, int fast, int slow, int signal, std::span<double> macd_out,
          std::span<double> signal_out, std::span<double> hist_out) {
    check_macd(fast, slow, signal);
    const std::size_t n = close.size();
    check_out(n, macd_out);
    check_out(n, signal_out);
    check_out(n, hist_out);
    kernels::macd_series(close.data(), n, fast, slow, signal, macd_out.data(), signal_out.data(),
                         hist_out.data());
}

std::size_t apo_lookback(int fast, int slow, MaType type) {
    return ma_lookback(type, std::max(fast, slow));
}

void apo(std::span<const double> close, int fast, int slow, MaType type, std::span<double> out) {
    Apo s(fast, slow, type);
    check_out(close.size(), out);
    run_close(s, close, out);
}

std::size_t ppo_lookback(int fast, int slow, MaType type) {
    return ma_lookback(type, std::max(fast, slow));
}

void ppo(std::span<const double> close, int fast, int slow, MaType type, std::span<double> out) {
    Ppo s(fast, slow, type);
    check_out(close.size(), out);
    run_close(s, close, out);
}

std::size_t trix_lookback(int period) {
    return 3 * static_cast<std::size_t>(period - 1) + 1;
}

void trix(std::span<const double> close, int period, std::span<double> out) {
    Trix s(period);
    check_out(close.size(), out);
    run_close(s, close, out);
}

std::size_t stoch_lookback(int fastk, int slowk, MaType slowk_type, int slowd, MaType slowd_type) {
    return static_cast<std::size_t>(fastk - 1) + ma_lookback(slowk_type, slowk) +
           ma_lookback(slowd_type, slowd);
}

void stoch(std::span<const double> high, std::span<const double> low, std::span<const double> close,
           int fastk, int slowk, MaType slowk_type, int slowd, MaType slowd_type,
           std::span<double> slowk_out, std::span<double> slowd_out) {
    Stoch s(fastk, slowk, slowk_type, slowd, slowd_type);
    check_hlc(high, low, close);
    check_out(close.size(), slowk_out);
    check_out(close.size(), slowd_out);
    // Period 1 is a pass-through in MovingAverage, which a running sum only matches for finite
    // values; those cases take the general path.
    if (slowk_type == MaType::Sma && slowd_type == MaType::Sma && slowk > 1 && slowd > 1) {
        stoch_sma(high, low, close, fastk, slowk, slowd, slowk_out, slowd_out);
        return;
    }
    run_hlc<Stoch, 2>(s, high, low, close, {slowk_out, slowd_out});
}

std::size_t stochf_lookback(int fastk, int fastd, MaType fastd_type) {
    return static_cast<std::size_t>(fastk - 1) + ma_lookback(fastd_type, fastd);
}

void stochf(std::span<const double> high, std::span<const double> low,
            std::span<const double> close, int fastk, int fastd, MaType fastd_type,
            std::span<double> fastk_out, std::span<double> fastd_out) {
    StochF s(fastk, fastd, fastd_type);
    check_hlc(high, low, close);
    check_out(close.size(), fastk_out);
    check_out(close.size(), fastd_out);
    run_hlc<StochF, 2>(s, high, low, close, {fastk_out, fastd_out});
}

std::size_t stochrsi_lookback(int period, int fastk, int fastd, MaType fastd_type) {
    return rsi_lookback(period) + stochf_lookback(fastk, fastd, fastd_type);
}

void stochrsi(std::span<const double> close, int period, int fastk, int fastd, MaType fastd_type,
              std::span<double> fastk_out, std::span<double> fastd_out) {
    StochRsi s(period, fastk, fastd, fastd_type);
    check_out(close.size(), fastk_out);
    check_out(close.size(), fastd_out);
    std::array<double, 2> v{};
    for (std::size_t i = 0; i < close.size(); ++i) {
        s.update(close[i]);
        s.values(v);
        fastk_out[i] = v[0];
        fastd_out[i] = v[1];
    }
}

std::size_t willr_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

void willr(std::span<const double> high, std::span<const double> low, std::span<const double> close,
           int period, std::span<double> out) {
    valid_period(period, 2, "willr: period must be between 2 and 100000");
    check_hlc(high, low, close);
    check_out(close.size(), out);
    const std::size_t lookback = willr_lookback(period);
    fill_nan(out, lookback);
    RollingRange range(period);
    for (std::size_t i = 0; i < close.size(); ++i) {
        range.update(high[i], low[i]);
        if (i >= lookback) {
            out[i] = momentum_detail::willr_value(close[i], range.highest(), range.lowest());
        }
    }
}

std::size_t ultosc_lookback(int period1, int period2, int period3) {
    return static_cast<std::size_t>(std::max({period1, period2, period3}));
}

void ultosc(std::span<const double> high, std::span<const double> low,
            std::span<const double> close, int period1, int period2, int period3,
            std::span<double> out) {
    UltOsc s(period1, period2, period3);
    check_hlc(high, low, close);
    check_out(close.size(), out);
    run_hlc<UltOsc, 1>(s, high, low, close, {out});
}

std::size_t cci_lookback(int period) {
    return static_cast<std::size_t>(period - 1);
}

namespace {

constexpr std::size_t kCciLanes = 8;

// Sums |window[j + k] - mean[k]| over j < period (oldest first) for the bars k < kCciLanes: that
// many independent add chains, vectorised across bars.
template <int Unused>
inline void cci_deviations_body(const double* window, const double* mean, std::size_t period,
                                double* dev) noexcept {
    double d[kCciLanes] = {};
    for (std::size_t j = 0; j < period; ++j) {
        for (std::size_t k = 0; k < kCciLanes; ++k) {
            d[k] += std::fabs(window[j + k] - mean[k]);
        }
    }
    for (std::size_t k = 0; k < kCciLanes; ++k) {
        dev[k] = d[k];
    }
}

void cci_deviations_plain(const double* window, const double* mean, std::size_t period,
                          double* dev) noexcept {
    cci_deviations_body<0>(window, mean, period, dev);
}

// The same operations in the same order with 4-wide AVX2 registers (no FMA, so the results are
// identical), used when the processor has AVX2.
__attribute__((target("avx2"))) void cci_deviations_avx2(const double* window, const double* mean,
                                                         std::size_t period, double* dev) noexcept {
    cci_deviations_body<1>(window, mean, period, dev);
}

using CciDeviations = void (*)(const double*, const double*, std::size_t, double*) noexcept;

CciDeviations pick_cci_deviations() noexcept {
    return __builtin_cpu_supports("avx2") ? cci_deviations_avx2 : cci_deviations_plain;
}

}  // namespace

void cci(std::span<const double> high, std::span<const double> low, std::span<const double> close,
         int period, std::span<double> out) {
    valid_period(period, 2, "cci: period must be between 2 and 100000");
    check_hlc(high, low, close);
    check_out(close.size(), out);
    // Cci::update's arithmetic: the window mean from a running sum, then the absolute deviations
    // summed oldest first. The deviations take O(period) per bar; summing them for eight bars at
    // once gives eight independent chains (vectorised two bars per register) instead of one.
    // Typical prices are kept in chunks that follow the last `period` of the chunk before, so
    // every window, and the value that just left it, is contiguous.
    static const CciDeviations deviations = pick_cci_deviations();
    const auto p = static_cast<std::size_t>(period);
    const std::size_t history = p - 1;  // bars before the current one in its window
    constexpr std::size_t kChunk = 256;
    constexpr std::size_t kLanes = kCciLanes;
    std::vector<double> typical(p + kChunk, 0.0);
    std::array<double, kChunk> mean{};
    const double n = period;
    const double scale = 0.015 / period;
    double sum = 0;
    std::size_t seen = 0;
    std::size_t since_sync = 0;
    const std::size_t total = close.size();
    for (std::size_t base = 0; base < total; base += kChunk) {
        const std::size_t m = std::min(kChunk, total - base);
        double* tp = typical.data() + p;
        for (std::size_t i = 0; i < m; ++i) {
            tp[i] = (high[base + i] + low[base + i] + close[base + i]) / 3;
        }
        // First index of this chunk whose window is complete.
        const std::size_t first = seen + m < p ? m : (seen >= history ? 0 : history - seen);
        for (std::size_t i = 0; i < first; ++i) {
            sum += tp[i];  // the first window, added in order
        }
        // What each bar adds to the running sum: the new value less the one leaving (vectorised),
        // then the chain itself, one add per bar, in runs between the exact re-adds.
        for (std::size_t i = first; i < m; ++i) {
            mean[i] = seen + i >= p ? tp[i] - *(tp + i - p) : tp[i];
        }
        for (std::size_t i = first; i < m;) {
            const std::size_t end = std::min(m, i + (p - since_sync));
            for (std::size_t k = i; k < end; ++k) {
                sum += mean[k];
                mean[k] = sum;
            }
            since_sync += end - i;
            if (since_sync == p) {  // re-added now and then, as Cci::update does
                since_sync = 0;
                sum = 0;
                const double* window = tp + end - 1 - history;
                for (std::size_t j = 0; j < p; ++j) {
                    sum += window[j];
                }
                mean[end - 1] = sum;
            }
            i = end;
        }
        for (std::size_t i = first; i < m; ++i) {
            mean[i] /= n;  // vectorised, off the chain
        }
        seen += m;
        double* o = out.data() + base;
        std::size_t i = first;
        std::array<double, kLanes> deviation{};
        for (; i + kLanes <= m; i += kLanes) {
            deviations(tp + i - history, mean.data() + i, p, deviation.data());
            for (std::size_t k = 0; k < kLanes; ++k) {
                o[i + k] =
                    momentum_detail::cci_value(tp[i + k] - mean[i + k], scale * deviation[k]);
            }
        }
        for (; i < m; ++i) {
            const double dev =
                momentum_detail::add_abs_deviations(0.0, tp + i - history, p, mean[i]);
            o[i] = momentum_detail::cci_value(tp[i] - mean[i], scale * dev);
        }
        std::copy(tp + m - p, tp + m, typical.data());
    }
    fill_nan(out, cci_lookback(period));
}

std::size_t bop_lookback() {
    return 0;
}

void bop(std::span<const double> open, std::span<const double> high, std::span<const double> low,
         std::span<const double> close, std::span<double> out) {
    check_hlc(high, low, close);
    require(open.size() == close.size(), "open and close must have the same length");
    check_out(close.size(), out);
    Bop s;
    for (std::size_t i = 0; i < close.size(); ++i) {
        out[i] = s.update(open[i], high[i], low[i], close[i]);
    }
}

}  // namespace tradpal::indicators

// ---- registry entries

namespace tradpal::indicators::detail {
namespace {

ParamInfo int_param(std::string_view name, double default_value, double min,
                    std::string_view description) {
    return {name, ParamKind::Integer, default_value, min, 100'000, description};
}

// fast (parameter 0) must be below slow (parameter 1).
template <const char* Name>
Result<void> fast_below_slow(const Params& p) {
    if (p.integer(0) < p.integer(1)) {
        return {};
    }
    return fail(ErrorCode::InvalidArgument, fmt::format("{}: fast ({}) must be less than slow ({})",
                                                        Name, p.integer(0), p.integer(1)));
}

constexpr char kMacdName[] = "macd";
constexpr char kApoName[] = "apo";
constexpr char kPpoName[] = "ppo";

IndicatorInfo make(std::string_view name, std::string_view title, unsigned inputs,
                   std::vector<ParamInfo> params, std::vector<std::string_view> outputs,
                   std::string_view golden) {
    return describe("momentum", name, title, inputs, std::move(params), golden, std::move(outputs));
}

constexpr unsigned kHlc = kHigh | kLow | kClose;

}  // namespace

void register_momentum(std::vector<IndicatorInfo>& out) {
    const auto close_period = [&](std::string_view name, std::string_view title, double period,
                                  double min, std::string_view golden,
                                  std::size_t (*lookback)(const Params&),
                                  void (*batch)(const Inputs&, const Params&, OutputSpans),
                                  std::unique_ptr<IndicatorStream> (*stream)(const Params&)) {
        IndicatorInfo info = make(name, title, kClose, {period_param(period, min)}, {name}, golden);
        info.lookback = lookback;
        info.batch = batch;
        info.stream = stream;
        out.push_back(std::move(info));
    };
    close_period("rsi", "Relative Strength Index", 14, 2, "rsi(14)", lookback_period<rsi_lookback>,
                 batch_close_period<rsi>, stream_close_period<Rsi>);
    close_period("cmo", "Chande Momentum Oscillator", 14, 2, "cmo(14)",
                 lookback_period<cmo_lookback>, batch_close_period<cmo>, stream_close_period<Cmo>);
    close_period("mom", "Momentum", 10, 1, "mom(10)", lookback_period<mom_lookback>,
                 batch_close_period<mom>, stream_close_period<Mom>);
    close_period("roc", "Rate of Change", 10, 1, "roc(10)", lookback_period<roc_lookback>,
                 batch_close_period<roc>, stream_close_period<Roc>);
    close_period("trix", "Triple Smoothed EMA Rate of Change", 30, 1, "trix(30)",
                 lookback_period<trix_lookback>, batch_close_period<trix>,
                 stream_close_period<Trix>);

    IndicatorInfo m = make("macd", "Moving Average Convergence/Divergence", kClose,
                           {int_param("fast", 12, 2, "bars in the fast EMA"),
                            int_param("slow", 26, 2, "bars in the slow EMA"),
                            int_param("signal", 9, 1, "bars in the signal EMA")},
                           {"macd", "signal", "hist"}, "macd(12,26,9)");
    m.check = fast_below_slow<kMacdName>;
    m.lookback = [](const Params& p) {
        return macd_lookback(p.integer(0), p.integer(1), p.integer(2));
    };
    m.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        macd(in.close, p.integer(0), p.integer(1), p.integer(2), o[0], o[1], o[2]);
    };
    m.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Macd>>(Macd(p.integer(0), p.integer(1), p.integer(2)));
    };
    out.push_back(std::move(m));

    const auto oscillator_params = [] {
        return std::vector<ParamInfo>{int_param("fast", 12, 2, "bars in the fast moving average"),
                                      int_param("slow", 26, 2, "bars in the slow moving average"),
                                      ma_param("matype", "moving-average type")};
    };
    IndicatorInfo a = make("apo", "Absolute Price Oscillator", kClose, oscillator_params(), {"apo"},
                           "apo(12,26,sma)");
    a.check = fast_below_slow<kApoName>;
    a.lookback = [](const Params& p) {
        return apo_lookback(p.integer(0), p.integer(1), p.ma(2));
    };
    a.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        apo(in.close, p.integer(0), p.integer(1), p.ma(2), o[0]);
    };
    a.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<CloseStream<Apo>>(Apo(p.integer(0), p.integer(1), p.ma(2)));
    };
    out.push_back(std::move(a));

    IndicatorInfo pp = make("ppo", "Percentage Price Oscillator", kClose, oscillator_params(),
                            {"ppo"}, "ppo(12,26,sma)");
    pp.check = fast_below_slow<kPpoName>;
    pp.lookback = [](const Params& p) {
        return ppo_lookback(p.integer(0), p.integer(1), p.ma(2));
    };
    pp.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        ppo(in.close, p.integer(0), p.integer(1), p.ma(2), o[0]);
    };
    pp.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<CloseStream<Ppo>>(Ppo(p.integer(0), p.integer(1), p.ma(2)));
    };
    out.push_back(std::move(pp));

    IndicatorInfo st = make("stoch", "Stochastic", kHlc,
                            {int_param("fastk_period", 5, 1, "bars in the %K range"),
                             int_param("slowk_period", 3, 1, "bars smoothing %K"),
                             ma_param("slowk_matype", "moving average smoothing %K"),
                             int_param("slowd_period", 3, 1, "bars smoothing slow %K into %D"),
                             ma_param("slowd_matype", "moving average of %D")},
                            {"slowk", "slowd"}, "stoch(5,3,sma,3,sma)");
    st.lookback = [](const Params& p) {
        return stoch_lookback(p.integer(0), p.integer(1), p.ma(2), p.integer(3), p.ma(4));
    };
    st.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        stoch(in.high, in.low, in.close, p.integer(0), p.integer(1), p.ma(2), p.integer(3), p.ma(4),
              o[0], o[1]);
    };
    st.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Stoch>>(
            Stoch(p.integer(0), p.integer(1), p.ma(2), p.integer(3), p.ma(4)));
    };
    out.push_back(std::move(st));

    IndicatorInfo sf = make("stochf", "Stochastic Fast", kHlc,
                            {int_param("fastk_period", 5, 1, "bars in the %K range"),
                             int_param("fastd_period", 3, 1, "bars smoothing %K into %D"),
                             ma_param("fastd_matype", "moving average of %D")},
                            {"fastk", "fastd"}, "stochf(5,3,sma)");
    sf.lookback = [](const Params& p) {
        return stochf_lookback(p.integer(0), p.integer(1), p.ma(2));
    };
    sf.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        stochf(in.high, in.low, in.close, p.integer(0), p.integer(1), p.ma(2), o[0], o[1]);
    };
    sf.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<StochF>>(StochF(p.integer(0), p.integer(1), p.ma(2)));
    };
    out.push_back(std::move(sf));

    IndicatorInfo sr = make("stochrsi", "Stochastic Relative Strength Index", kClose,
                            {int_param("period", 14, 2, "bars in the RSI"),
                             int_param("fastk_period", 5, 1, "bars in the %K range of RSI"),
                             int_param("fastd_period", 3, 1, "bars smoothing %K into %D"),
                             ma_param("fastd_matype", "moving average of %D")},
                            {"fastk", "fastd"}, "stochrsi(14,5,3,sma)");
    sr.lookback = [](const Params& p) {
        return stochrsi_lookback(p.integer(0), p.integer(1), p.integer(2), p.ma(3));
    };
    sr.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        stochrsi(in.close, p.integer(0), p.integer(1), p.integer(2), p.ma(3), o[0], o[1]);
    };
    sr.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<StochRsi>>(
            StochRsi(p.integer(0), p.integer(1), p.integer(2), p.ma(3)));
    };
    out.push_back(std::move(sr));

    IndicatorInfo w =
        make("willr", "Williams' %R", kHlc, {period_param(14, 2)}, {"willr"}, "willr(14)");
    w.lookback = lookback_period<willr_lookback>;
    w.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        willr(in.high, in.low, in.close, p.integer(0), o[0]);
    };
    w.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<WillR>>(WillR(p.integer(0)));
    };
    out.push_back(std::move(w));

    IndicatorInfo u = make("ultosc", "Ultimate Oscillator", kHlc,
                           {int_param("period1", 7, 1, "bars in the short average (weight 4)"),
                            int_param("period2", 14, 1, "bars in the middle average (weight 2)"),
                            int_param("period3", 28, 1, "bars in the long average (weight 1)")},
                           {"ultosc"}, "ultosc(7,14,28)");
    u.lookback = [](const Params& p) {
        return ultosc_lookback(p.integer(0), p.integer(1), p.integer(2));
    };
    u.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        ultosc(in.high, in.low, in.close, p.integer(0), p.integer(1), p.integer(2), o[0]);
    };
    u.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<UltOsc>>(
            UltOsc(p.integer(0), p.integer(1), p.integer(2)));
    };
    out.push_back(std::move(u));

    IndicatorInfo c =
        make("cci", "Commodity Channel Index", kHlc, {period_param(14, 2)}, {"cci"}, "cci(14)");
    c.lookback = lookback_period<cci_lookback>;
    c.batch = [](const Inputs& in, const Params& p, OutputSpans o) {
        cci(in.high, in.low, in.close, p.integer(0), o[0]);
    };
    c.stream = [](const Params& p) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Cci>>(Cci(p.integer(0)));
    };
    out.push_back(std::move(c));

    IndicatorInfo b = make("bop", "Balance Of Power", kOpen | kHlc, {}, {"bop"}, "bop");
    b.lookback = [](const Params&) {
        return bop_lookback();
    };
    b.batch = [](const Inputs& in, const Params&, OutputSpans o) {
        bop(in.open, in.high, in.low, in.close, o[0]);
    };
    b.stream = [](const Params&) -> std::unique_ptr<IndicatorStream> {
        return std::make_unique<BarStream<Bop>>(Bop{});
    };
    out.push_back(std::move(b));
}

}  // namespace tradpal::indicators::detail

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tradpal/core/result.hpp>
#include <tradpal/indicators/stream.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::indicators {

/// The 14 indicators the benchmarks compute together (docs/BENCHMARKS.md), as specs.
inline constexpr std::array<const char*, 14> kBenchmarkSet = {"sma(20)",
                                                              "ema(20)",
                                                              "rsi(14)",
                                                              "macd(12,26,9)",
                                                              "bbands(20,2,2,sma)",
                                                              "atr(14)",
                                                              "adx(14)",
                                                              "stoch(5,3,sma,3,sma)",
                                                              "obv",
                                                              "cci(14)",
                                                              "sar(0.02,0.2)",
                                                              "kama(30)",
                                                              "stddev(20,1)",
                                                              "linearreg(14)"};

/// Kinds of indicator parameters.
enum class ParamKind { Integer, Real, Ma };

/// One parameter: name, default and allowed range (for Ma: an MaType, written by name).
struct ParamInfo {
    std::string_view name;
    ParamKind kind = ParamKind::Integer;
    double default_value = 0;
    double min = 0;
    double max = 0;
    std::string_view description;
};

inline constexpr std::size_t kMaxParams = 8;

/// Parameter values in declaration order (integers and MA types held as doubles).
struct Params {
    std::array<double, kMaxParams> v{};
    std::size_t count = 0;

    int integer(std::size_t i) const noexcept { return static_cast<int>(v[i]); }
    double real(std::size_t i) const noexcept { return v[i]; }
    MaType ma(std::size_t i) const noexcept { return static_cast<MaType>(static_cast<int>(v[i])); }
};

using OutputSpans = std::span<const std::span<double>>;

/// Everything the registry knows about one indicator. One table of these drives the CLI list,
/// the docs, the API schema, the benchmarks and the golden tests.
struct IndicatorInfo {
    std::string_view name;     ///< lower case, TA-Lib's where TA-Lib has it: "macd"
    std::string_view title;    ///< "Moving Average Convergence/Divergence"
    std::string_view group;    ///< "overlap", "momentum", "volatility", "volume", "price", "trend"
    unsigned inputs = kClose;  ///< InputField bits
    std::vector<ParamInfo> params;
    std::vector<std::string_view> outputs;  ///< {"macd","signal","hist"}; one output: {name}
    /// The golden case: a spec whose reference output exists (TA-Lib's in ../shared/oracle, or
    /// ours in testdata/golden/indicators when `talib` is false).
    std::string_view golden;
    bool talib = true;  ///< TA-Lib has it (and gives the reference numbers)
    /// Allowed difference from the golden values: |ours - ref| <= tolerance * max(1, |ref|).
    double tolerance = 1e-9;
    /// Rules between parameters (e.g. fast < slow); nullptr when there are none.
    Result<void> (*check)(const Params&) = nullptr;
    std::size_t (*lookback)(const Params&) = nullptr;
    /// Fills outputs (each inputs.size() long) with NaN for the lookback, then values.
    void (*batch)(const Inputs&, const Params&, OutputSpans) = nullptr;
    std::unique_ptr<IndicatorStream> (*stream)(const Params&) = nullptr;
};

/// Every indicator, sorted by name.
std::span<const IndicatorInfo> all_indicators();
/// The indicator called `name` (case-insensitive), or nullptr.
const IndicatorInfo* find_indicator(std::string_view name);
/// Whether `output` of `info` is drawn on the price axis: in price units and tracking the
/// price (moving averages, bands, channels, stops, price transforms such as typprice), as
/// opposed to oscillators, volumes, spreads and sums.
bool on_price_axis(const IndicatorInfo& info, std::string_view output);

/// A parsed indicator spec: "rsi(14)", "macd(12,26,9)", "bbands(20,2,2,sma)", or just "rsi"
/// (missing trailing parameters take their defaults).
class Spec {
public:
    /// Errors: InvalidArgument naming the indicator, the parameter and the allowed range.
    static Result<Spec> parse(std::string_view text);
    /// A comma-separated list: "rsi(14),macd(12,26,9)".
    static Result<std::vector<Spec>> parse_list(std::string_view text);
    /// Throws: tradpal::Exception (InvalidArgument).
    Spec(const IndicatorInfo& info, const Params& params);

    const IndicatorInfo& info() const noexcept { return *info_; }
    const Params& params() const noexcept { return params_; }
    /// "macd(12,26,9)": every parameter written out.
    std::string canonical() const;
    /// One name per output column: "rsi(14)" or "macd(12,26,9).signal".
    std::vector<std::string> output_names() const;
    /// "macd_12_26_9": the name of the golden files.
    std::string file_stem() const;
    std::size_t lookback() const { return info_->lookback(params_); }
    std::size_t output_count() const noexcept { return info_->outputs.size(); }

    /// Batch computation. Throws: tradpal::Exception (InvalidArgument for wrong sizes or
    /// missing input columns).
    void compute(const Inputs& in, OutputSpans out) const;
    /// A fresh streaming instance.
    std::unique_ptr<IndicatorStream> stream() const { return info_->stream(params_); }

private:
    const IndicatorInfo* info_;
    Params params_;
};

/// One computation for compute_all(): a spec over some inputs into its output columns.
struct ComputeJob {
    const Spec* spec = nullptr;
    Inputs inputs;
    std::vector<std::span<double>> outputs;
};

/// Runs many computations (indicators x symbols) on `threads` threads (0 = all cores), with
/// dynamic scheduling so uneven jobs keep every core busy. Each job writes only its own outputs,
/// so results do not depend on the thread count.
/// Throws: tradpal::Exception for the first job that fails (after all have run).
void compute_all(std::span<const ComputeJob> jobs, int threads = 0);

/// Every output of `specs` over one series, in order (a multi-output indicator's columns side
/// by side), computed by compute_all() on `threads` threads.
/// Throws: tradpal::Exception as compute_all().
std::vector<std::vector<double>> compute_columns(std::span<const Spec> specs, const Inputs& inputs,
                                                 int threads = 0);

/// Parses "sma", "ema", ... (TA-Lib's MA types). Errors: InvalidArgument.
Result<MaType> parse_ma_type(std::string_view text);

}  // namespace tradpal::indicators

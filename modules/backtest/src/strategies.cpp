// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include <tradpal/backtest/rules.hpp>
#include <tradpal/backtest/signals.hpp>
#include <tradpal/backtest/strategies.hpp>
#include <tradpal/core/text.hpp>

namespace tradpal::backtest {
namespace {

constexpr double kMaxPeriod = 100'000;

StrategyParam period(std::string_view name, double value, std::string_view description) {
    return {name, ParamType::Integer, value, 1, kMaxPeriod, {}, description};
}

/// Parameters every strategy takes.
std::vector<StrategyParam> with_shared(std::vector<StrategyParam> params) {
    params.push_back({"allow_short",
                      ParamType::Flag,
                      0,
                      0,
                      1,
                      {},
                      "also go short: the opposite signal reverses the position"});
    params.push_back(
        {"stop_loss",
         ParamType::Real,
         0,
         0,
         0.999999,
         {},
         "protective stop at this fraction below a long entry (above a short); 0 = none"});
    params.push_back(
        {"take_profit",
         ParamType::Real,
         0,
         0,
         100,
         {},
         "protective limit at this fraction above a long entry (below a short); 0 = none"});
    params.push_back({"trailing_stop",
                      ParamType::Real,
                      0,
                      0,
                      0.999999,
                      {},
                      "stop trailing the closes by this fraction; 0 = none"});
    return params;
}

const std::vector<StrategyInfo>& strategy_table() {
    static const std::vector<StrategyInfo> table = {
        {"bollinger_reversion",
         "buy when the close crosses below the lower Bollinger band, sell when it crosses above "
         "the "
         "middle band (short: above the upper band, cover below the middle)",
         with_shared(
             {period("period", 20, "bands' moving-average period"),
              {"devs", ParamType::Real, 2, 0.01, 100, {}, "band width in standard deviations"}})},
        {"donchian_breakout",
         "buy when the close breaks above the highest high of the previous `entry` bars, sell when "
         "it "
         "breaks below the lowest low of the previous `exit` bars (short: the mirror image)",
         with_shared({period("entry", 20, "breakout channel length"),
                      period("exit", 10, "exit channel length")})},
        {"macd_cross",
         "buy when the MACD line crosses above its signal line, sell when it crosses below",
         with_shared({period("fast", 12, "fast EMA period"), period("slow", 26, "slow EMA period"),
                      period("signal", 9, "signal EMA period")})},
        {"ml",
         "trade a trained model's forecasts (tradpal backtest --strategy ml --model DIR; "
         "docs/ML.md): buy when the forecast's edge rises above `entry`, sell when it falls below "
         "`exit` (short: below -entry, cover above -exit)",
         with_shared({{"entry", ParamType::Real, 0, 0, 1e6, {}, "edge needed to open a position"},
                      {"exit",
                       ParamType::Real,
                       0,
                       -1e6,
                       1e6,
                       {},
                       "a long closes when the edge falls below this (at most entry)"}})},
        {"rsi_reversion",
         "buy when RSI crosses below `lower`, sell when it crosses above `upper` (short: above "
         "`upper`, "
         "cover below `lower`)",
         with_shared({{"period", ParamType::Integer, 14, 2, kMaxPeriod, {}, "RSI period (Wilder)"},
                      {"lower", ParamType::Real, 30, 0, 100, {}, "oversold level"},
                      {"upper", ParamType::Real, 70, 0, 100, {}, "overbought level"}})},
        {"rules",
         "entry and exit conditions written as text (--entry, --exit, --short-entry, --short-exit; "
         "docs/RULES.md); other parameters fill {placeholders}",
         with_shared({})},
        {"sma_cross",
         "buy when the fast moving average crosses above the slow one, sell when it crosses below",
         with_shared({period("fast", 10, "fast moving-average period"),
                      period("slow", 30, "slow moving-average period"),
                      {"ma", ParamType::Choice, 0, 0, 1, "sma|ema", "moving-average kind"}})},
    };
    return table;
}

std::vector<std::string_view> split_choices(std::string_view choices) {
    std::vector<std::string_view> out;
    while (!choices.empty()) {
        const auto bar = choices.find('|');
        out.push_back(choices.substr(0, bar));
        choices = bar == std::string_view::npos ? std::string_view{} : choices.substr(bar + 1);
    }
    return out;
}

Result<double> parse_number(std::string_view text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
        return fail(ErrorCode::InvalidArgument, "");
    }
    return value;
}

Result<double> parse_value(const StrategyInfo& info, const StrategyParam& param,
                           std::string_view text) {
    const auto bad = [&](std::string_view expected) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{}: parameter '{}' must be {}, got '{}'", info.name, param.name,
                                expected, text));
    };
    switch (param.type) {
        case ParamType::Flag:
            if (text == "true" || text == "1" || text == "yes" || text == "on") {
                return 1.0;
            }
            if (text == "false" || text == "0" || text == "no" || text == "off") {
                return 0.0;
            }
            return bad("true or false");
        case ParamType::Choice: {
            const auto choices = split_choices(param.choices);
            for (std::size_t k = 0; k < choices.size(); ++k) {
                if (choices[k] == text) {
                    return static_cast<double>(k);
                }
            }
            return bad(fmt::format("one of {}", fmt::join(choices, ", ")));
        }
        case ParamType::Integer:
        case ParamType::Real: {
            const auto number = parse_number(text);
            const bool integer = param.type == ParamType::Integer;
            if (!number || (integer && std::floor(*number) != *number)) {
                return bad(integer ? "a whole number" : "a number");
            }
            if (*number < param.min || *number > param.max) {
                return bad(fmt::format("between {} and {}", param.min, param.max));
            }
            return *number;
        }
    }
    return bad("valid");
}

std::string format_value(const StrategyParam& param, double value) {
    switch (param.type) {
        case ParamType::Flag:
            return value != 0 ? "true" : "false";
        case ParamType::Choice:
            return std::string(split_choices(param.choices)[static_cast<std::size_t>(value)]);
        case ParamType::Integer:
        case ParamType::Real:
            return fmt::format("{}", value);
    }
    return {};
}

Result<void> check_relations(const StrategySpec& spec) {
    const std::string_view name = spec.name();
    const auto invalid = [&](std::string message) {
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: {}", name, message));
    };
    if ((name == "sma_cross" || name == "macd_cross") && spec.get("fast") >= spec.get("slow")) {
        return invalid(fmt::format("fast ({}) must be less than slow ({})", spec.get("fast"),
                                   spec.get("slow")));
    }
    if (name == "rsi_reversion" && spec.get("lower") >= spec.get("upper")) {
        return invalid(fmt::format("lower ({}) must be less than upper ({})", spec.get("lower"),
                                   spec.get("upper")));
    }
    if (name == "ml" && spec.get("exit") > spec.get("entry")) {
        return invalid(fmt::format("exit ({}) must not exceed entry ({})", spec.get("exit"),
                                   spec.get("entry")));
    }
    if (name == "rules") {
        if (trim(spec.rules().entry).empty() || trim(spec.rules().exit).empty()) {
            return invalid("needs an entry rule and an exit rule (--entry \"...\" --exit \"...\")");
        }
        if (trim(spec.rules().short_entry).empty() != trim(spec.rules().short_exit).empty()) {
            return invalid("give both short rules (--short-entry and --short-exit) or neither");
        }
        if (!trim(spec.rules().short_entry).empty() && !spec.allow_short()) {
            return invalid("short rules need allow_short=true");
        }
    }
    return {};
}

// --- signal arrays (the vectorized form) ---------------------------------------------------

using Bytes = std::vector<std::uint8_t>;

void crosses(std::span<const double> a, std::span<const double> b, Bytes& up, Bytes& down) {
    up.resize(a.size());
    down.resize(a.size());
    signals::cross_up(a, b, up);
    signals::cross_down(a, b, down);
}

/// The four arrays of a strategy whose opposite signals mirror each other (a cross up enters
/// long and covers a short; a cross down exits the long and opens a short).
void mirrored(SignalSet& set, std::span<const double> a, std::span<const double> b) {
    crosses(a, b, set.long_entry, set.long_exit);
    set.short_entry = set.long_exit;
    set.short_exit = set.long_entry;
}

Result<SignalSet> rule_signals(const StrategySpec& spec, const BarSeriesView& bars) {
    rules::Placeholders placeholders(spec.placeholders().begin(), spec.placeholders().end());
    rules::SeriesCache cache(bars);
    SignalSet set;
    const auto evaluate = [&](const std::string& text, Bytes& out) -> Result<void> {
        auto rule = rules::Rule::parse(text, placeholders);
        if (!rule) {
            return rule.error();
        }
        out.assign(bars.size(), 0);
        return rule->evaluate(cache, out);
    };
    const RuleTexts& texts = spec.rules();
    if (auto ok = evaluate(texts.entry, set.long_entry); !ok) {
        return ok.error();
    }
    if (auto ok = evaluate(texts.exit, set.long_exit); !ok) {
        return ok.error();
    }
    if (!trim(texts.short_entry).empty()) {
        if (auto ok = evaluate(texts.short_entry, set.short_entry); !ok) {
            return ok.error();
        }
        if (auto ok = evaluate(texts.short_exit, set.short_exit); !ok) {
            return ok.error();
        }
    } else {
        set.short_entry = set.long_exit;
        set.short_exit = set.long_entry;
    }
    return set;
}

// --- event-driven forms -------------------------------------------------------------------

/// The four signals at one close.
struct Signals {
    bool long_entry = false;
    bool long_exit = false;
    bool short_entry = false;
    bool short_exit = false;
};

/// Turns signals into orders by the rules of BACKTEST_SEMANTICS.md section 2: an entry while
/// flat (or a reversal from the opposite side), an exit while in the position; a signal that
/// does not meet its position condition is ignored.
template <class Derived>
class SignalFollower : public Strategy {
public:
    SignalFollower(bool allow_short, Protection protection)
        : allow_short_(allow_short), protection_(protection) {}

    void on_bar(Context& ctx) final {
        const Signals s = static_cast<Derived*>(this)->signals_now(ctx);
        const double position = ctx.position();
        if (s.long_entry && position <= 0) {
            enter(ctx, 1, position);
        } else if (allow_short_ && s.short_entry && position >= 0) {
            enter(ctx, -1, position);
        } else if (s.long_exit && position > 0) {
            ctx.close_position();
        } else if (s.short_exit && position < 0) {
            ctx.close_position();
        }
    }

private:
    // Derived::signals_now(ctx) gives the signals at ctx.index(); called once per bar, in order
    // (a static call, so that it inlines into on_bar).
    void enter(Context& ctx, double direction, double position) {
        const double q = ctx.order_size();
        if (q <= 0) {
            return;
        }
        if (position == 0) {
            ctx.market(direction * q, OrderRole::Signal, protection_);
        } else {
            ctx.target(direction * q, protection_);
        }
    }

    bool allow_short_;
    Protection protection_;
};

/// a crossed above b between the previous close and this one (NaN compares false).
bool crossed_up(double a, double b, double prev_a, double prev_b) noexcept {
    return a > b && prev_a <= prev_b;
}
bool crossed_down(double a, double b, double prev_a, double prev_b) noexcept {
    return a < b && prev_a >= prev_b;
}

class SmaCross final : public SignalFollower<SmaCross> {
public:
    explicit SmaCross(const StrategySpec& spec)
        : SignalFollower(spec.allow_short(), spec.protection()),
          ema_(spec.get("ma") != 0),
          fast_sma_(spec.integer("fast")),
          slow_sma_(spec.integer("slow")),
          fast_ema_(signals::Smoother::ema(spec.integer("fast"))),
          slow_ema_(signals::Smoother::ema(spec.integer("slow"))) {}

private:
    friend SignalFollower;
    Signals signals_now(Context& ctx) {
        const double c = ctx.close();
        const double fast = ema_ ? fast_ema_.update(c) : fast_sma_.update(c);
        const double slow = ema_ ? slow_ema_.update(c) : slow_sma_.update(c);
        Signals s;
        s.long_entry = s.short_exit = crossed_up(fast, slow, prev_fast_, prev_slow_);
        s.long_exit = s.short_entry = crossed_down(fast, slow, prev_fast_, prev_slow_);
        prev_fast_ = fast;
        prev_slow_ = slow;
        return s;
    }

    bool ema_;
    signals::ExactMean fast_sma_;
    signals::ExactMean slow_sma_;
    signals::Smoother fast_ema_;
    signals::Smoother slow_ema_;
    double prev_fast_ = signals::kNaN;
    double prev_slow_ = signals::kNaN;
};

class RsiReversion final : public SignalFollower<RsiReversion> {
public:
    explicit RsiReversion(const StrategySpec& spec)
        : SignalFollower(spec.allow_short(), spec.protection()),
          rsi_(spec.integer("period")),
          lower_(spec.get("lower")),
          upper_(spec.get("upper")) {}

private:
    friend SignalFollower;
    Signals signals_now(Context& ctx) {
        const double r = rsi_.update(ctx.close());
        Signals s;
        s.long_entry = s.short_exit = crossed_down(r, lower_, prev_, lower_);
        s.long_exit = s.short_entry = crossed_up(r, upper_, prev_, upper_);
        prev_ = r;
        return s;
    }

    signals::Rsi rsi_;
    double lower_;
    double upper_;
    double prev_ = signals::kNaN;
};

class MacdCross final : public SignalFollower<MacdCross> {
public:
    explicit MacdCross(const StrategySpec& spec)
        : SignalFollower(spec.allow_short(), spec.protection()),
          macd_(spec.integer("fast"), spec.integer("slow"), spec.integer("signal")) {}

private:
    friend SignalFollower;
    Signals signals_now(Context& ctx) {
        macd_.update(ctx.close());
        const double m = macd_.macd();
        const double sig = macd_.signal();
        Signals s;
        s.long_entry = s.short_exit = crossed_up(m, sig, prev_macd_, prev_signal_);
        s.long_exit = s.short_entry = crossed_down(m, sig, prev_macd_, prev_signal_);
        prev_macd_ = m;
        prev_signal_ = sig;
        return s;
    }

    signals::Macd macd_;
    double prev_macd_ = signals::kNaN;
    double prev_signal_ = signals::kNaN;
};

class BollingerReversion final : public SignalFollower<BollingerReversion> {
public:
    explicit BollingerReversion(const StrategySpec& spec)
        : SignalFollower(spec.allow_short(), spec.protection()),
          bands_(spec.integer("period"), spec.get("devs")) {}

private:
    friend SignalFollower;
    Signals signals_now(Context& ctx) {
        const double c = ctx.close();
        bands_.update(c);
        Signals s;
        s.long_entry = crossed_down(c, bands_.bottom(), prev_close_, prev_bottom_);
        s.long_exit = crossed_up(c, bands_.mid(), prev_close_, prev_mid_);
        s.short_entry = crossed_up(c, bands_.top(), prev_close_, prev_top_);
        s.short_exit = crossed_down(c, bands_.mid(), prev_close_, prev_mid_);
        prev_close_ = c;
        prev_mid_ = bands_.mid();
        prev_top_ = bands_.top();
        prev_bottom_ = bands_.bottom();
        return s;
    }

    signals::Bollinger bands_;
    double prev_close_ = signals::kNaN;
    double prev_mid_ = signals::kNaN;
    double prev_top_ = signals::kNaN;
    double prev_bottom_ = signals::kNaN;
};

class DonchianBreakout final : public SignalFollower<DonchianBreakout> {
public:
    explicit DonchianBreakout(const StrategySpec& spec)
        : SignalFollower(spec.allow_short(), spec.protection()),
          entry_(spec.integer("entry")),
          exit_(spec.integer("exit")) {}

private:
    friend SignalFollower;
    Signals signals_now(Context& ctx) {
        // The channels of the bars before this one, then this bar joins them.
        const Bar bar = ctx.bar();
        Signals s;
        s.long_entry = bar.close > entry_.highest();
        s.long_exit = bar.close < exit_.lowest();
        s.short_entry = bar.close < entry_.lowest();
        s.short_exit = bar.close > exit_.highest();
        entry_.update(bar.high, bar.low);
        exit_.update(bar.high, bar.low);
        return s;
    }

    signals::Channel entry_;
    signals::Channel exit_;
};

/// Follows precomputed signal arrays (rules, or any arrays given).
class ArrayFollower final : public SignalFollower<ArrayFollower> {
public:
    explicit ArrayFollower(std::shared_ptr<const SignalSet> set)
        : SignalFollower(set->allow_short, set->protection), set_(std::move(set)) {}

private:
    friend SignalFollower;
    Signals signals_now(Context& ctx) {
        const std::size_t i = ctx.index();
        return {set_->long_entry[i] != 0, set_->long_exit[i] != 0, set_->short_entry[i] != 0,
                set_->short_exit[i] != 0};
    }

    std::shared_ptr<const SignalSet> set_;
};

/// A rules strategy: compiles its rules over the series it is given, then follows them.
class RuleStrategy final : public Strategy {
public:
    explicit RuleStrategy(StrategySpec spec) : spec_(std::move(spec)) {}

    void on_start(Context& ctx) override {
        auto set = build_signals(spec_, ctx.series());
        if (!set) {
            throw Exception(set.error());
        }
        follower_ =
            std::make_unique<ArrayFollower>(std::make_shared<const SignalSet>(std::move(*set)));
    }
    void on_bar(Context& ctx) override { follower_->on_bar(ctx); }

private:
    StrategySpec spec_;
    std::unique_ptr<ArrayFollower> follower_;
};

}  // namespace

std::span<const StrategyInfo> builtin_strategies() {
    return strategy_table();
}

const StrategyInfo* find_strategy(std::string_view name) {
    for (const StrategyInfo& info : strategy_table()) {
        if (info.name == name) {
            return &info;
        }
    }
    return nullptr;
}

Result<StrategySpec> StrategySpec::make(std::string_view name,
                                        std::span<const std::string> assignments,
                                        const RuleTexts& rules) {
    StrategySpec spec;
    spec.info_ = find_strategy(name);
    if (spec.info_ == nullptr) {
        std::vector<std::string_view> names;
        for (const StrategyInfo& info : strategy_table()) {
            names.push_back(info.name);
        }
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("unknown strategy '{}' (known: {})", name, fmt::join(names, ", ")));
    }
    spec.name_ = std::string(spec.info_->name);
    spec.rules_ = rules;
    for (const StrategyParam& param : spec.info_->params) {
        spec.values_.push_back(param.default_value);
    }
    for (const std::string& assignment : assignments) {
        const auto eq = assignment.find('=');
        if (eq == std::string::npos) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("parameter '{}' must be written name=value", assignment));
        }
        const std::string_view key = trim(std::string_view(assignment).substr(0, eq));
        const std::string_view text = trim(std::string_view(assignment).substr(eq + 1));
        const auto& params = spec.info_->params;
        const auto it = std::find_if(params.begin(), params.end(),
                                     [&](const StrategyParam& p) { return p.name == key; });
        if (it != params.end()) {
            auto value = parse_value(*spec.info_, *it, text);
            if (!value) {
                return value.error();
            }
            spec.values_[static_cast<std::size_t>(it - params.begin())] = *value;
            continue;
        }
        if (spec.name_ == "rules") {
            auto value = parse_number(text);
            if (!value) {
                return fail(
                    ErrorCode::InvalidArgument,
                    fmt::format("rules: placeholder '{}' must be a number, got '{}'", key, text));
            }
            spec.placeholders_.emplace_back(std::string(key), *value);
            continue;
        }
        std::vector<std::string_view> names;
        for (const StrategyParam& p : params) {
            names.push_back(p.name);
        }
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{} has no parameter '{}' (its parameters: {})", spec.name_, key,
                                fmt::join(names, ", ")));
    }
    if (auto ok = check_relations(spec); !ok) {
        return ok.error();
    }
    std::sort(spec.placeholders_.begin(), spec.placeholders_.end());
    return spec;
}

double StrategySpec::get(std::string_view param) const {
    const auto& params = info_->params;
    for (std::size_t k = 0; k < params.size(); ++k) {
        if (params[k].name == param) {
            return values_[k];
        }
    }
    throw Exception(ErrorCode::Internal, fmt::format("{} has no parameter '{}'", name_, param));
}

std::size_t StrategySpec::warmup() const {
    // The first signal needs the indicator on two consecutive bars (a cross) or the channel of
    // the bars before (a breakout).
    const auto bars = [](double n) {
        return static_cast<std::size_t>(n);
    };
    if (name_ == "sma_cross") {
        return bars(get("slow")) + 1;
    }
    if (name_ == "rsi_reversion") {
        return bars(get("period")) + 2;
    }
    if (name_ == "macd_cross") {
        return bars(get("slow") + get("signal") - 1) + 1;
    }
    if (name_ == "bollinger_reversion") {
        return bars(get("period")) + 1;
    }
    if (name_ == "donchian_breakout") {
        return bars(std::max(get("entry"), get("exit"))) + 1;
    }
    return 0;
}

Protection StrategySpec::protection() const {
    return {get("stop_loss"), get("take_profit"), get("trailing_stop")};
}

std::string StrategySpec::canonical() const {
    std::vector<std::string> parts;
    const auto& params = info_->params;
    for (std::size_t k = 0; k < params.size(); ++k) {
        // Strategy-specific parameters always, shared ones only when set.
        const bool shared = k + 4 >= params.size();
        if (!shared || values_[k] != params[k].default_value) {
            parts.push_back(
                fmt::format("{}={}", params[k].name, format_value(params[k], values_[k])));
        }
    }
    if (name_ == "rules") {
        parts.insert(parts.begin(), fmt::format("exit=\"{}\"", rules_.exit));
        parts.insert(parts.begin(), fmt::format("entry=\"{}\"", rules_.entry));
        if (!rules_.short_entry.empty()) {
            parts.push_back(fmt::format("short_entry=\"{}\"", rules_.short_entry));
            parts.push_back(fmt::format("short_exit=\"{}\"", rules_.short_exit));
        }
        for (const auto& [key, value] : placeholders_) {
            parts.push_back(fmt::format("{}={}", key, value));
        }
    }
    return fmt::format("{}({})", name_, fmt::join(parts, ","));
}

std::shared_ptr<const std::vector<double>> AverageMemo::average(bool ema, int period,
                                                                std::span<const double> close) {
    const std::pair key{ema, period};
    const std::size_t bytes = close.size() * sizeof(double);
    std::promise<Values> promise;
    std::unique_lock lock(mutex_);
    if (const auto it = cache_.find(key); it != cache_.end()) {
        it->second.last_use = ++clock_;
        const std::shared_future<Values> known = it->second.values;
        lock.unlock();  // wait, if it is still being computed, without holding the others up
        return known.get();
    }
    if (bytes <= budget_) {
        make_room(bytes);
        cache_.emplace(key, Entry{promise.get_future().share(), bytes, ++clock_});
        used_ += bytes;
    }
    lock.unlock();
    try {
        auto values = std::make_shared<std::vector<double>>(close.size());
        if (ema) {
            signals::ema(close, period, *values);
        } else {
            signals::sma(close, period, *values);
        }
        promise.set_value(values);
        return values;
    } catch (...) {
        promise.set_exception(std::current_exception());
        lock.lock();
        if (const auto it = cache_.find(key); it != cache_.end()) {
            used_ -= it->second.bytes;
            cache_.erase(it);
        }
        throw;
    }
}

void AverageMemo::make_room(std::size_t bytes) {
    while (used_ + bytes > budget_ && !cache_.empty()) {
        auto oldest = cache_.begin();
        for (auto it = cache_.begin(); it != cache_.end(); ++it) {
            if (it->second.last_use < oldest->second.last_use) {
                oldest = it;
            }
        }
        used_ -= oldest->second.bytes;
        cache_.erase(oldest);
    }
}

Result<void> needs_forecasts(const StrategySpec& spec) {
    if (spec.name() == "ml") {
        return fail(ErrorCode::InvalidArgument,
                    "the ml strategy trades a model's forecasts: tradpal backtest --strategy ml "
                    "--model DIR");
    }
    return {};
}

Result<SignalSet> build_signals(const StrategySpec& spec, const BarSeriesView& bars,
                                AverageMemo* memo) {
    if (auto ok = needs_forecasts(spec); !ok) {
        return ok.error();
    }
    const std::string& name = spec.name();
    if (name == "rules") {
        auto set = rule_signals(spec, bars);
        if (set) {
            set->allow_short = spec.allow_short();
            set->protection = spec.protection();
        }
        return set;
    }
    SignalSet set;
    set.allow_short = spec.allow_short();
    set.protection = spec.protection();
    const std::size_t n = bars.size();
    const auto close = bars.close();
    if (name == "sma_cross" && memo != nullptr) {
        const bool ema = spec.get("ma") != 0;
        const auto fast = memo->average(ema, spec.integer("fast"), close);
        const auto slow = memo->average(ema, spec.integer("slow"), close);
        mirrored(set, *fast, *slow);
        return set;
    }
    std::vector<double> a(n);
    std::vector<double> b(n);
    if (name == "sma_cross") {
        if (spec.get("ma") != 0) {
            signals::ema(close, spec.integer("fast"), a);
            signals::ema(close, spec.integer("slow"), b);
        } else {
            signals::sma(close, spec.integer("fast"), a);
            signals::sma(close, spec.integer("slow"), b);
        }
        mirrored(set, a, b);
    } else if (name == "macd_cross") {
        signals::macd(close, spec.integer("fast"), spec.integer("slow"), spec.integer("signal"), a,
                      b);
        mirrored(set, a, b);
    } else if (name == "rsi_reversion") {
        signals::rsi(close, spec.integer("period"), a);
        Bytes unused;
        std::fill(b.begin(), b.end(), spec.get("lower"));
        crosses(a, b, unused, set.long_entry);  // below lower: buy (and cover a short)
        std::fill(b.begin(), b.end(), spec.get("upper"));
        crosses(a, b, set.long_exit, unused);  // above upper: sell (and go short)
        set.short_entry = set.long_exit;
        set.short_exit = set.long_entry;
    } else if (name == "bollinger_reversion") {
        std::vector<double> top(n);
        signals::bollinger(close, spec.integer("period"), spec.get("devs"), a, top, b);
        Bytes unused;
        crosses(close, b, unused, set.long_entry);
        crosses(close, a, set.long_exit, set.short_exit);
        crosses(close, top, set.short_entry, unused);
    } else if (name == "donchian_breakout") {
        std::vector<double> exit_high(n);
        std::vector<double> exit_low(n);
        signals::channel(bars.high(), bars.low(), spec.integer("entry"), a, b);
        signals::channel(bars.high(), bars.low(), spec.integer("exit"), exit_high, exit_low);
        set.long_entry.assign(n, 0);
        set.long_exit.assign(n, 0);
        set.short_entry.assign(n, 0);
        set.short_exit.assign(n, 0);
        for (std::size_t t = 1; t < n; ++t) {
            set.long_entry[t] = static_cast<std::uint8_t>(close[t] > a[t - 1]);
            set.long_exit[t] = static_cast<std::uint8_t>(close[t] < exit_low[t - 1]);
            set.short_entry[t] = static_cast<std::uint8_t>(close[t] < b[t - 1]);
            set.short_exit[t] = static_cast<std::uint8_t>(close[t] > exit_high[t - 1]);
        }
    } else {
        return fail(ErrorCode::Internal, fmt::format("no signals for strategy '{}'", name));
    }
    return set;
}

Result<std::unique_ptr<Strategy>> make_strategy(const StrategySpec& spec) {
    if (auto ok = needs_forecasts(spec); !ok) {
        return ok.error();
    }
    const std::string& name = spec.name();
    std::unique_ptr<Strategy> strategy;
    if (name == "sma_cross") {
        strategy = std::make_unique<SmaCross>(spec);
    } else if (name == "rsi_reversion") {
        strategy = std::make_unique<RsiReversion>(spec);
    } else if (name == "macd_cross") {
        strategy = std::make_unique<MacdCross>(spec);
    } else if (name == "bollinger_reversion") {
        strategy = std::make_unique<BollingerReversion>(spec);
    } else if (name == "donchian_breakout") {
        strategy = std::make_unique<DonchianBreakout>(spec);
    } else if (name == "rules") {
        // Parse now so that a bad rule is reported before the run starts.
        rules::Placeholders placeholders(spec.placeholders().begin(), spec.placeholders().end());
        const std::pair<const char*, const std::string*> texts[] = {
            {"entry", &spec.rules().entry},
            {"exit", &spec.rules().exit},
            {"short entry", &spec.rules().short_entry},
            {"short exit", &spec.rules().short_exit}};
        for (const auto& [which, text] : texts) {
            if (!trim(*text).empty()) {
                if (auto rule = rules::Rule::parse(*text, placeholders); !rule) {
                    // A bad rule is a bad argument whatever its kind of mistake.
                    return fail(ErrorCode::InvalidArgument,
                                fmt::format("{} rule: {}", which, rule.error().message));
                }
            }
        }
        strategy = std::make_unique<RuleStrategy>(spec);
    } else {
        return fail(ErrorCode::Internal,
                    fmt::format("no event-driven form for strategy '{}'", name));
    }
    return strategy;
}

Result<SignalSet> forecast_signals(const StrategySpec& spec, std::span<const double> edge) {
    if (spec.name() != "ml") {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("forecast signals need the ml strategy, not '{}'", spec.name()));
    }
    const double entry = spec.get("entry");
    const double exit = spec.get("exit");
    const std::size_t n = edge.size();
    SignalSet set;
    set.allow_short = spec.allow_short();
    set.protection = spec.protection();
    set.long_entry.assign(n, 0);
    set.long_exit.assign(n, 0);
    set.short_entry.assign(n, 0);
    set.short_exit.assign(n, 0);
    for (std::size_t t = 0; t < n; ++t) {
        const double e = edge[t];
        if (std::isnan(e)) {  // no forecast: out of the market
            set.long_exit[t] = 1;
            set.short_exit[t] = 1;
            continue;
        }
        // exit <= entry, so an entry and the exit of the same side never hold together.
        set.long_entry[t] = static_cast<std::uint8_t>(e > entry);
        set.long_exit[t] = static_cast<std::uint8_t>(e < exit);
        set.short_entry[t] = static_cast<std::uint8_t>(e < -entry);
        set.short_exit[t] = static_cast<std::uint8_t>(e > -exit);
    }
    return set;
}

std::unique_ptr<Strategy> make_signal_strategy(std::shared_ptr<const SignalSet> signals) {
    return std::make_unique<ArrayFollower>(std::move(signals));
}

}  // namespace tradpal::backtest

// SPDX-License-Identifier: Apache-2.0
// Rule strategies (docs/RULES.md): a recursive-descent parser that builds a typed expression tree
// with canonical text, and an evaluator that computes every node as a whole column.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <tradpal/backtest/rules.hpp>
#include <tradpal/backtest/signals.hpp>
#include <tradpal/core/error.hpp>
#include <tradpal/core/text.hpp>
#include <tradpal/indicators/registry.hpp>
#include <tradpal/indicators/types.hpp>

namespace tradpal::backtest::rules {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// The largest period of a built-in function and the largest lag.
constexpr double kMaxPeriod = 100000;
/// Deepest expression accepted: bounds the recursion of the parser and the evaluator, so that
/// hostile text (a server request) cannot overflow the stack.
constexpr std::size_t kMaxDepth = 200;
constexpr std::size_t kNoOutput = std::numeric_limits<std::size_t>::max();

template <class Range>
std::string join(const Range& items, std::string_view separator = ", ") {
    std::string out;
    for (const auto& item : items) {
        out += out.empty() ? "" : separator;
        out += item;
    }
    return out;
}

/// Shortest text that reads back as `v` (the form of numbers in canonical text).
std::string format_number(double v) {
    return fmt::format("{}", v);
}

/// Throws the error with the rule text and a caret under `column` (1-based) below the message.
[[noreturn]] void raise_at(ErrorCode code, std::string_view text, std::size_t column,
                           std::string_view message) {
    std::string shown(text);
    std::replace_if(
        shown.begin(), shown.end(), [](unsigned char c) { return std::isspace(c) != 0; }, ' ');
    throw Exception(code,
                    fmt::format("{}\n  {}\n  {}^", message, shown, std::string(column - 1, ' ')));
}

[[noreturn]] void syntax_error(std::string_view text, std::size_t column, std::string_view what) {
    raise_at(ErrorCode::ParseError, text, column,
             fmt::format("syntax error at column {}: {}", column, what));
}

[[noreturn]] void error_at(ErrorCode code, std::string_view text, std::size_t column,
                           std::string_view what, std::string_view tail = {}) {
    raise_at(code, text, column, fmt::format("{} (at column {}){}", what, column, tail));
}

/// Replaces each {name} with its value, before the text is tokenized.
std::string substitute(std::string_view text, const Placeholders& placeholders) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] != '{') {
            out += text[i++];
            continue;
        }
        const std::size_t close = text.find('}', i);
        if (close == std::string_view::npos) {
            syntax_error(text, i + 1, "'{' without a closing '}'");
        }
        const std::string_view name = trim(text.substr(i + 1, close - i - 1));
        const auto it = placeholders.find(name);
        if (it == placeholders.end()) {
            std::vector<std::string_view> given;
            for (const auto& entry : placeholders) {
                given.push_back(entry.first);
            }
            error_at(
                ErrorCode::InvalidArgument, text, i + 1,
                fmt::format("unknown placeholder '{{{}}}'", name),
                given.empty() ? "; no values were given" : fmt::format("; given: {}", join(given)));
        }
        if (!std::isfinite(it->second)) {
            error_at(ErrorCode::InvalidArgument, text, i + 1,
                     fmt::format("placeholder '{{{}}}' must be a finite number", name));
        }
        out += format_number(it->second);
        i = close + 1;
    }
    return out;
}

/// Symbols are operators and punctuation, including the keywords and, or, not.
enum class Tok { Number, Name, Symbol, End };

struct Token {
    Tok kind = Tok::End;
    std::string_view raw;  ///< as written
    std::string name;      ///< lower case; "&&", "||", "!" as "and", "or", "not"
    double number = 0;
    std::size_t column = 1;
};

bool is_digit(char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

/// End of the number starting at `i`: digits, an optional fraction, an optional exponent.
std::size_t end_of_number(std::string_view text, std::size_t i) {
    const auto digits = [&](std::size_t k) {
        while (k < text.size() && is_digit(text[k])) {
            ++k;
        }
        return k;
    };
    i = digits(i);
    if (i + 1 < text.size() && text[i] == '.' && is_digit(text[i + 1])) {
        i = digits(i + 1);
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        std::size_t k = i + 1;
        if (k < text.size() && (text[k] == '+' || text[k] == '-')) {
            ++k;
        }
        if (k < text.size() && is_digit(text[k])) {
            i = digits(k);
        }
    }
    return i;
}

/// Operators and punctuation, the two-character ones first.
constexpr std::string_view kSymbols[] = {"<=", ">=", "==", "!=", "&&", "||", "<", ">", "!", "+",
                                         "-",  "*",  "/",  "(",  ")",  "[",  "]", ",", "."};

/// The operator or punctuation at text[i]; advances i past it.
std::string_view symbol(std::string_view text, std::size_t& i) {
    const std::size_t column = i + 1;
    for (const std::string_view spelling : kSymbols) {
        if (text.substr(i).starts_with(spelling)) {
            i += spelling.size();
            return spelling;
        }
    }
    switch (text[i]) {
        case '=':
            syntax_error(text, column, "'=' is not an operator: compare with '=='");
        case '&':
            syntax_error(text, column, "write '&&' or 'and'");
        case '|':
            syntax_error(text, column, "write '||' or 'or'");
        default:
            syntax_error(text, column, fmt::format("unexpected character '{}'", text[i]));
    }
}

std::vector<Token> tokenize(std::string_view text) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        if (std::isspace(static_cast<unsigned char>(text[i])) != 0) {
            ++i;
            continue;
        }
        Token token;
        token.column = i + 1;
        const std::size_t start = i;
        if (is_digit(text[i])) {
            i = end_of_number(text, i);
            token.kind = Tok::Number;
            const auto [end, ec] =
                std::from_chars(text.data() + start, text.data() + i, token.number);
            if (ec != std::errc{} || end != text.data() + i) {
                syntax_error(
                    text, token.column,
                    fmt::format("number '{}' is out of range", text.substr(start, i - start)));
            }
        } else if (is_name_char(text[i])) {
            while (i < text.size() && is_name_char(text[i])) {
                ++i;
            }
            token.name = to_lower(text.substr(start, i - start));
            const bool keyword = token.name == "and" || token.name == "or" || token.name == "not";
            token.kind = keyword ? Tok::Symbol : Tok::Name;
        } else {
            const std::string_view spelling = symbol(text, i);
            token.kind = Tok::Symbol;
            token.name = spelling == "&&"   ? "and"
                         : spelling == "||" ? "or"
                         : spelling == "!"  ? "not"
                                            : spelling;
        }
        token.raw = text.substr(start, i - start);
        tokens.push_back(std::move(token));
    }
    Token end;
    end.column = text.size() + 1;
    tokens.push_back(std::move(end));
    return tokens;
}

enum class Field { Open, High, Low, Close, Volume, Hl2, Hlc3, Ohlc4 };

constexpr std::pair<std::string_view, Field> kFields[] = {
    {"open", Field::Open},   {"high", Field::High},     {"low", Field::Low},
    {"close", Field::Close}, {"volume", Field::Volume}, {"hl2", Field::Hl2},
    {"hlc3", Field::Hlc3},   {"ohlc4", Field::Ohlc4}};

/// TA-Lib's output names for the bands, accepted for every upper/middle/lower output.
constexpr std::pair<std::string_view, std::string_view> kOutputAliases[] = {
    {"upperband", "upper"}, {"middleband", "middle"}, {"lowerband", "lower"}};

/// Functions computed with backtrader's arithmetic (signals.hpp) rather than the registry's.
enum class Builtin { Sma, Ema, Smma, Rsi, Macd, Bbands, Atr, Highest, Lowest };

struct BuiltinParam {
    std::string_view name;
    double default_value = 0;
    bool integer = true;
    double min = 1;
    double max = kMaxPeriod;
};

struct BuiltinInfo {
    std::string_view name;
    Builtin id;
    bool takes_source;  ///< an optional first argument (default close)
    std::vector<BuiltinParam> params;
    std::vector<std::string_view> outputs;  ///< empty: a single unnamed output
};

/// backtrader's default parameters.
const std::vector<BuiltinInfo>& builtins() {
    static const std::vector<BuiltinInfo> all = {
        {"sma", Builtin::Sma, true, {{"period", 30}}, {}},
        {"ema", Builtin::Ema, true, {{"period", 30}}, {}},
        {"smma", Builtin::Smma, true, {{"period", 30}}, {}},
        {"rsi", Builtin::Rsi, true, {{"period", 14}}, {}},
        {"macd",
         Builtin::Macd,
         true,
         {{"fast", 12}, {"slow", 26}, {"signal", 9}},
         {"macd", "signal", "hist"}},
        {"bbands",
         Builtin::Bbands,
         true,
         {{"period", 20}, {"devs", 2, false, 0, 100}},
         {"upper", "middle", "lower"}},
        {"atr", Builtin::Atr, false, {{"period", 14}}, {}},
        {"highest", Builtin::Highest, true, {{"period", 30}}, {}},
        {"lowest", Builtin::Lowest, true, {{"period", 30}}, {}}};
    return all;
}

const BuiltinInfo* find_builtin(std::string_view name) {
    const std::string_view wanted = name == "wilder" ? "smma" : name;
    for (const BuiltinInfo& info : builtins()) {
        if (info.name == wanted) {
            return &info;
        }
    }
    return nullptr;
}

bool is_cross(std::string_view name) {
    return name == "cross_up" || name == "cross_down";
}

/// "macd([source,] fast=12, slow=26, signal=9)": how to call a built-in, for error messages.
std::string signature(const BuiltinInfo& info) {
    std::vector<std::string> parts;
    if (info.takes_source) {
        parts.emplace_back("[source]");
    }
    for (const BuiltinParam& param : info.params) {
        parts.push_back(fmt::format("{}={}", param.name, param.default_value));
    }
    return fmt::format("{}({})", info.name, join(parts));
}

std::string known_functions() {
    std::set<std::string_view> names = {"cross_up", "cross_down", "wilder"};
    for (const BuiltinInfo& info : builtins()) {
        names.insert(info.name);
    }
    for (const indicators::IndicatorInfo& info : indicators::all_indicators()) {
        names.insert(info.name);
    }
    return join(names);
}

/// How tightly an expression binds, loosest first. Canonical text puts parentheses around a
/// child that binds more loosely than its parent (or as loosely, on the right).
enum class Precedence { Or, And, Not, Compare, Additive, Multiplicative, Unary, Postfix, Atom };

/// Name: a moving-average type given to a registry indicator ("sma"); never evaluated.
enum class Kind {
    Number,
    Name,
    Field,
    Negate,
    Not,
    Binary,
    Lag,
    CrossUp,
    CrossDown,
    Builtin,
    Registry
};

enum class Op { Add, Sub, Mul, Div, Lt, Le, Gt, Ge, Eq, Ne, And, Or };

struct Expr {
    Kind kind = Kind::Number;
    std::size_t column = 1;  ///< where the expression starts in the rule text (for carets)
    Precedence precedence = Precedence::Atom;
    bool condition = false;  ///< a 0/1 column rather than a number
    std::size_t depth = 1;
    std::string text;  ///< canonical text
    std::vector<Expr> children;

    double number = 0;
    Op op = Op::Add;
    Field field = Field::Close;
    std::size_t lag = 0;

    // Function calls. `call` is the canonical call without ".output", the prefix of the cache
    // keys of its outputs; `output` indexes `outputs`, kNoOutput until ".name" picks one.
    const BuiltinInfo* builtin = nullptr;
    std::array<double, 3> params{};
    std::optional<indicators::Spec> spec;
    std::string call;
    std::vector<std::string_view> outputs;
    std::size_t output = 0;
};

Expr number_expr(double value, std::size_t column) {
    Expr e;
    e.kind = Kind::Number;
    e.column = column;
    e.number = value;
    e.precedence = std::signbit(value) ? Precedence::Unary : Precedence::Atom;
    e.text = format_number(value);
    return e;
}

Expr field_expr(Field field, std::string_view name, std::size_t column) {
    Expr e;
    e.kind = Kind::Field;
    e.column = column;
    e.field = field;
    e.text = name;
    return e;
}

std::string wrap(const Expr& child, Precedence parent, bool right_side) {
    const bool parens = child.precedence < parent || (right_side && child.precedence == parent);
    return parens ? "(" + child.text + ")" : child.text;
}

/// Takes ownership of the children and sets the depth.
void adopt(Expr& parent, std::vector<Expr> children) {
    for (const Expr& child : children) {
        parent.depth = std::max(parent.depth, child.depth + 1);
    }
    parent.children = std::move(children);
}

Expr unary_expr(Kind kind, std::size_t column, Expr operand) {
    Expr e;
    e.kind = kind;
    e.column = column;
    e.condition = kind == Kind::Not;
    e.precedence = kind == Kind::Not ? Precedence::Not : Precedence::Unary;
    e.text = (kind == Kind::Not ? "not " : "-") + wrap(operand, e.precedence, false);
    std::vector<Expr> children;
    children.push_back(std::move(operand));
    adopt(e, std::move(children));
    return e;
}

struct OpInfo {
    Op op;
    std::string_view token;   ///< Token::name
    std::string_view symbol;  ///< in canonical text
    Precedence precedence;
};

/// Indexed by Op.
constexpr OpInfo kOps[] = {{Op::Add, "+", "+", Precedence::Additive},
                           {Op::Sub, "-", "-", Precedence::Additive},
                           {Op::Mul, "*", "*", Precedence::Multiplicative},
                           {Op::Div, "/", "/", Precedence::Multiplicative},
                           {Op::Lt, "<", "<", Precedence::Compare},
                           {Op::Le, "<=", "<=", Precedence::Compare},
                           {Op::Gt, ">", ">", Precedence::Compare},
                           {Op::Ge, ">=", ">=", Precedence::Compare},
                           {Op::Eq, "==", "==", Precedence::Compare},
                           {Op::Ne, "!=", "!=", Precedence::Compare},
                           {Op::And, "and", " and ", Precedence::And},
                           {Op::Or, "or", " or ", Precedence::Or}};

const OpInfo& op_info(Op op) {
    return kOps[static_cast<std::size_t>(op)];
}

/// The binary operator that `token` spells at `level`, if any.
std::optional<Op> binary_op(const Token& token, Precedence level) {
    for (const OpInfo& info : kOps) {
        if (token.kind == Tok::Symbol && info.token == token.name && info.precedence == level) {
            return info.op;
        }
    }
    return std::nullopt;
}

Expr binary_expr(Op op, Expr left, Expr right) {
    const OpInfo info = op_info(op);
    Expr e;
    e.kind = Kind::Binary;
    e.op = op;
    e.column = left.column;
    e.precedence = info.precedence;
    e.condition = info.precedence <= Precedence::Compare;
    e.text = wrap(left, info.precedence, false) + std::string(info.symbol) +
             wrap(right, info.precedence, true);
    std::vector<Expr> children;
    children.push_back(std::move(left));
    children.push_back(std::move(right));
    adopt(e, std::move(children));
    return e;
}

std::string_view function_name(const Expr& call) {
    return call.builtin != nullptr ? call.builtin->name : call.spec->info().name;
}

/// Grammar, loosest first (docs/RULES.md):
///   rule    := or
///   or      := and (("or" | "||") and)*
///   and     := not (("and" | "&&") not)*
///   not     := ("not" | "!") not | compare
///   compare := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
///   sum     := product (("+" | "-") product)*
///   product := unary (("*" | "/") unary)*
///   unary   := "-" unary | postfix
///   postfix := primary ("." name | "[" integer "]")*
///   primary := number | field | name "(" [arg ("," arg)*] ")" | "(" or ")"
class Parser {
public:
    explicit Parser(std::string_view text) : text_(text), tokens_(tokenize(text)) {}

    Expr parse_rule() {
        if (peek().kind == Tok::End) {
            syntax_error(1, "the rule is empty");
        }
        Expr rule = parse_or();
        if (at(")")) {
            syntax_error(peek().column, "unmatched ')'");
        }
        if (peek().kind != Tok::End) {
            syntax_error(peek().column, fmt::format("expected 'and', 'or' or the end of the rule, "
                                                    "got '{}'",
                                                    peek().raw));
        }
        if (!rule.condition) {
            error_at(ErrorCode::ParseError, rule.column,
                     "the rule must be a condition (a comparison, cross_up/cross_down, "
                     "and/or/not)",
                     fmt::format("; '{}' is a number", rule.text));
        }
        return rule;
    }

private:
    const Token& peek(std::size_t ahead = 0) const {
        return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
    }
    const Token& next() {
        const Token& token = tokens_[pos_];
        if (token.kind != Tok::End) {
            ++pos_;
        }
        return token;
    }
    /// Whether the token `ahead` of the current one is the symbol `spelling`.
    bool at(std::string_view spelling, std::size_t ahead = 0) const {
        return peek(ahead).kind == Tok::Symbol && peek(ahead).name == spelling;
    }
    bool accept(std::string_view spelling) {
        if (!at(spelling)) {
            return false;
        }
        next();
        return true;
    }

    [[noreturn]] void syntax_error(std::size_t column, std::string_view what) const {
        rules::syntax_error(text_, column, what);
    }
    [[noreturn]] void error_at(ErrorCode code, std::size_t column, std::string_view what,
                               std::string_view tail = {}) const {
        rules::error_at(code, text_, column, what, tail);
    }

    Expr bounded(Expr e) const {
        if (e.depth > kMaxDepth) {
            syntax_error(e.column, fmt::format("the rule nests deeper than {} levels", kMaxDepth));
        }
        return e;
    }
    /// Guards the recursion of parse_or, parse_not and parse_unary (parentheses, arguments,
    /// chains of "not" or "-"), which runs before any tree exists to measure.
    void descend() {
        if (++nesting_ > kMaxDepth) {
            syntax_error(peek().column,
                         fmt::format("the rule nests deeper than {} levels", kMaxDepth));
        }
    }
    void ascend() { --nesting_; }

    void require_number(const Expr& e, const Token& user) const {
        if (e.condition) {
            error_at(ErrorCode::ParseError, e.column,
                     fmt::format("'{}' needs numbers, but '{}' is a condition", user.raw, e.text));
        }
    }
    void require_condition(const Expr& e, const Token& user) const {
        if (!e.condition) {
            error_at(ErrorCode::ParseError, e.column,
                     fmt::format("'{}' needs conditions, but '{}' is a number", user.raw, e.text));
        }
    }
    /// A function with several outputs must have one picked by ".name" before it is used.
    void require_output(const Expr& e) const {
        if (e.output == kNoOutput) {
            std::vector<std::string> choices;
            for (std::string_view output : e.outputs) {
                choices.push_back(fmt::format(".{}", output));
            }
            error_at(ErrorCode::InvalidArgument, e.column,
                     fmt::format("{} has several outputs", e.call),
                     fmt::format("; choose one of {}", join(choices)));
        }
    }

    Expr parse_or() {
        descend();
        Expr e = parse_binary(Precedence::Or, &Parser::parse_and);
        ascend();
        return e;
    }
    Expr parse_and() { return parse_binary(Precedence::And, &Parser::parse_not); }
    Expr parse_additive() {
        return parse_binary(Precedence::Additive, &Parser::parse_multiplicative);
    }
    Expr parse_multiplicative() {
        return parse_binary(Precedence::Multiplicative, &Parser::parse_unary);
    }

    /// A left-associative chain of the operators of `level` between operands of the next level.
    Expr parse_binary(Precedence level, Expr (Parser::*operand)()) {
        Expr left = (this->*operand)();
        while (const std::optional<Op> op = binary_op(peek(), level)) {
            const Token& token = next();
            Expr right = (this->*operand)();
            if (level <= Precedence::And) {
                require_condition(left, token);
                require_condition(right, token);
            } else {
                require_number(left, token);
                require_number(right, token);
            }
            left = bounded(binary_expr(*op, std::move(left), std::move(right)));
        }
        return left;
    }

    Expr parse_not() {
        if (!at("not")) {
            return parse_comparison();
        }
        const Token& op = next();
        descend();
        Expr operand = parse_not();
        ascend();
        require_condition(operand, op);
        return unary_expr(Kind::Not, op.column, std::move(operand));
    }

    Expr parse_comparison() {
        Expr left = parse_additive();
        const std::optional<Op> op = binary_op(peek(), Precedence::Compare);
        if (!op) {
            return left;
        }
        const Token& token = next();
        Expr right = parse_additive();
        require_number(left, token);
        require_number(right, token);
        if (binary_op(peek(), Precedence::Compare)) {
            syntax_error(peek().column, "comparisons cannot be chained: join them with 'and'");
        }
        return binary_expr(*op, std::move(left), std::move(right));
    }

    Expr parse_unary() {
        if (!at("-")) {
            return parse_postfix();
        }
        const Token& minus = next();
        descend();
        Expr operand = parse_unary();
        ascend();
        // A negative literal stays a number, so that it can be an argument: bbands(20, -1).
        if (operand.kind == Kind::Number) {
            return number_expr(-operand.number, minus.column);
        }
        require_number(operand, minus);
        return unary_expr(Kind::Negate, minus.column, std::move(operand));
    }

    Expr parse_postfix() {
        Expr e = parse_primary();
        while (true) {
            if (accept(".")) {
                const Token& member = peek();
                if (member.kind != Tok::Name) {
                    syntax_error(member.column, "expected an output name after '.'");
                }
                next();
                select_output(e, member);
            } else if (at("[")) {
                require_output(e);
                e = bounded(parse_lag(std::move(e)));
            } else {
                break;
            }
        }
        require_output(e);
        return e;
    }

    Expr parse_lag(Expr operand) {
        next();
        const Token& count = peek();
        if (count.kind != Tok::Number) {
            syntax_error(count.column, "expected a whole number of bars after '['");
        }
        next();
        if (count.number != std::floor(count.number) || count.number > kMaxPeriod) {
            error_at(ErrorCode::InvalidArgument, count.column,
                     fmt::format("a lag must be a whole number of bars from 0 to {}, got {}",
                                 kMaxPeriod, count.raw));
        }
        if (!accept("]")) {
            syntax_error(peek().column, "expected ']' after the lag");
        }
        Expr e;
        e.kind = Kind::Lag;
        e.column = operand.column;
        e.condition = operand.condition;
        e.precedence = Precedence::Postfix;
        e.lag = static_cast<std::size_t>(count.number);
        e.text = fmt::format("{}[{}]", wrap(operand, Precedence::Postfix, false), e.lag);
        std::vector<Expr> children;
        children.push_back(std::move(operand));
        adopt(e, std::move(children));
        return e;
    }

    void select_output(Expr& call, const Token& member) const {
        if (call.output != kNoOutput) {
            error_at(ErrorCode::InvalidArgument, member.column,
                     fmt::format("'{}' is a single value, it has no output '{}'", call.text,
                                 member.raw));
        }
        std::string_view wanted = member.name;
        for (const auto& [alias, output] : kOutputAliases) {
            if (wanted == alias) {
                wanted = output;
            }
        }
        const auto it = std::find(call.outputs.begin(), call.outputs.end(), wanted);
        if (it == call.outputs.end()) {
            error_at(ErrorCode::InvalidArgument, member.column,
                     fmt::format("unknown output '{}' of {}", member.raw, function_name(call)),
                     fmt::format("; outputs: {}", join(call.outputs)));
        }
        call.output = static_cast<std::size_t>(it - call.outputs.begin());
        call.text = fmt::format("{}.{}", call.call, *it);
    }

    Expr parse_primary() {
        const Token& token = next();
        if (token.kind == Tok::Number) {
            return number_expr(token.number, token.column);
        }
        if (token.kind == Tok::Name) {
            return at("(") ? parse_call(token) : parse_name(token);
        }
        if (token.kind == Tok::Symbol && token.name == "(") {
            Expr inner = parse_or();
            if (!accept(")")) {
                syntax_error(
                    peek().column,
                    fmt::format("expected ')' to close the '(' at column {}", token.column));
            }
            inner.column = token.column;
            return inner;
        }
        if (token.kind == Tok::End) {
            syntax_error(
                token.column,
                "unexpected end of the rule: expected a number, a field or a function call");
        }
        syntax_error(
            token.column,
            fmt::format("expected a number, a field or a function call, got '{}'", token.raw));
    }

    Expr parse_name(const Token& name) const {
        for (const auto& [spelling, field] : kFields) {
            if (name.name == spelling) {
                return field_expr(field, spelling, name.column);
            }
        }
        if (is_cross(name.name) || find_builtin(name.name) != nullptr ||
            indicators::find_indicator(name.name) != nullptr) {
            error_at(ErrorCode::InvalidArgument, name.column,
                     fmt::format("'{}' is a function: call it, e.g. {}(...)", name.raw, name.name));
        }
        std::vector<std::string_view> fields;
        for (const auto& entry : kFields) {
            fields.push_back(entry.first);
        }
        error_at(ErrorCode::InvalidArgument, name.column,
                 fmt::format("unknown field '{}'", name.raw),
                 fmt::format("; fields: {}", join(fields)));
    }

    Expr parse_call(const Token& name) {
        if (is_cross(name.name)) {
            return cross_call(name, parse_arguments(name, false));
        }
        if (const BuiltinInfo* info = find_builtin(name.name)) {
            return builtin_call(name, *info, parse_arguments(name, false));
        }
        if (const indicators::IndicatorInfo* info = indicators::find_indicator(name.name)) {
            return registry_call(name, *info, parse_arguments(name, true));
        }
        error_at(ErrorCode::InvalidArgument, name.column,
                 fmt::format("unknown function '{}'", name.raw),
                 fmt::format("; known: {}", known_functions()));
    }

    /// Parses "(arg, ...)". With `ma_names`, a bare moving-average type ("sma") is an argument.
    std::vector<Expr> parse_arguments(const Token& name, bool ma_names) {
        next();
        std::vector<Expr> args;
        if (accept(")")) {
            return args;
        }
        do {
            const Token& token = peek();
            if (ma_names && token.kind == Tok::Name && (at(",", 1) || at(")", 1)) &&
                indicators::parse_ma_type(token.name).has_value()) {
                next();
                Expr e;
                e.kind = Kind::Name;
                e.column = token.column;
                e.text = token.name;
                args.push_back(std::move(e));
            } else {
                args.push_back(parse_or());
            }
        } while (accept(","));
        if (!accept(")")) {
            syntax_error(peek().column,
                         fmt::format("expected ')' after the arguments of '{}'", name.name));
        }
        return args;
    }

    Expr cross_call(const Token& name, std::vector<Expr> args) const {
        if (args.size() != 2) {
            error_at(ErrorCode::InvalidArgument, name.column,
                     fmt::format("{} takes two arguments, got {}", name.name, args.size()),
                     fmt::format("; write {}(a, b)", name.name));
        }
        require_number(args[0], name);
        require_number(args[1], name);
        Expr e;
        e.kind = name.name == "cross_up" ? Kind::CrossUp : Kind::CrossDown;
        e.column = name.column;
        e.condition = true;
        e.text = fmt::format("{}({},{})", name.name, args[0].text, args[1].text);
        adopt(e, std::move(args));
        return e;
    }

    /// Built-ins: an optional source expression (any number that is not a literal), then
    /// numeric parameters; missing trailing parameters take backtrader's defaults.
    Expr builtin_call(const Token& name, const BuiltinInfo& info, std::vector<Expr> args) const {
        Expr e;
        e.kind = Kind::Builtin;
        e.column = name.column;
        e.builtin = &info;
        std::size_t first_param = 0;
        std::vector<Expr> source;
        if (info.takes_source) {
            if (!args.empty() && args[0].kind != Kind::Number) {
                if (args[0].condition) {
                    error_at(ErrorCode::ParseError, args[0].column,
                             fmt::format("the source of {} must be a number, but '{}' is a "
                                         "condition",
                                         info.name, args[0].text));
                }
                source.push_back(std::move(args[0]));
                first_param = 1;
            } else {
                source.push_back(field_expr(Field::Close, "close", name.column));
            }
        }
        const std::size_t given = args.size() - first_param;
        std::vector<std::string> parts;
        if (!source.empty()) {
            parts.push_back(source[0].text);
        }
        for (std::size_t i = 0; i < info.params.size(); ++i) {
            const BuiltinParam& param = info.params[i];
            double value = param.default_value;
            if (i < given) {
                const Expr& arg = args[first_param + i];
                if (arg.kind != Kind::Number) {
                    error_at(ErrorCode::InvalidArgument, arg.column,
                             fmt::format("{}: {} must be a number, got '{}'", info.name, param.name,
                                         arg.text),
                             fmt::format("; write {}", signature(info)));
                }
                value = arg.number;
                if (value < param.min || value > param.max ||
                    (param.integer && value != std::floor(value))) {
                    error_at(ErrorCode::InvalidArgument, arg.column,
                             fmt::format("{}: {} must be {} from {} to {}, got {}", info.name,
                                         param.name, param.integer ? "an integer" : "a number",
                                         param.min, param.max, arg.text));
                }
            }
            e.params[i] = value;
            parts.push_back(format_number(value));
        }
        // Checked after the parameters: "atr(close, 14)" is better told that close is no period.
        if (given > info.params.size()) {
            error_at(ErrorCode::InvalidArgument, args[first_param + info.params.size()].column,
                     fmt::format("too many arguments for {}", info.name),
                     fmt::format("; write {}", signature(info)));
        }
        if (info.id == Builtin::Macd && e.params[0] >= e.params[1]) {
            error_at(ErrorCode::InvalidArgument, name.column,
                     fmt::format("macd: fast ({}) must be less than slow ({})", e.params[0],
                                 e.params[1]));
        }
        e.call = fmt::format("{}({})", info.name, join(parts, ","));
        e.outputs = info.outputs;
        e.output = info.outputs.empty() ? 0 : kNoOutput;
        e.text = e.call;
        adopt(e, std::move(source));
        return e;
    }

    /// Registry indicators read the bars themselves: arguments are their parameters, in the
    /// registry's order, checked by Spec::parse.
    Expr registry_call(const Token& name, const indicators::IndicatorInfo& info,
                       const std::vector<Expr>& args) const {
        std::vector<std::string> parts;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i].kind != Kind::Number && args[i].kind != Kind::Name) {
                error_at(ErrorCode::InvalidArgument, args[i].column,
                         fmt::format("{}: argument {} must be a number, got '{}'", info.name, i + 1,
                                     args[i].text),
                         "; registry indicators read the bars' own columns");
            }
            parts.push_back(args[i].text);
        }
        auto spec = indicators::Spec::parse(fmt::format("{}({})", info.name, join(parts, ",")));
        if (!spec) {
            error_at(ErrorCode::InvalidArgument, name.column, spec.error().message);
        }
        Expr e;
        e.kind = Kind::Registry;
        e.column = name.column;
        // Spec writes "obv" for an indicator without parameters; a rule needs "obv()".
        e.call = spec->canonical() + (spec->params().count == 0 ? "()" : "");
        e.outputs = info.outputs;
        e.output = info.outputs.size() == 1 ? 0 : kNoOutput;
        e.text = e.call;
        e.spec = std::move(*spec);
        return e;
    }

    std::string_view text_;
    std::vector<Token> tokens_;
    std::size_t pos_ = 0;
    std::size_t nesting_ = 0;
};

/// A non-NaN, non-zero value: the truth of a condition column (NaN comes only from lags).
bool holds(double x) noexcept {
    return !std::isnan(x) && x != 0;
}

double flag(bool b) noexcept {
    return b ? 1.0 : 0.0;
}

/// A node's values: a view of the bars or of the cache, or a column computed for this node.
class Column {
public:
    Column() = default;
    static Column view(std::span<const double> values) {
        Column c;
        c.view_ = values;
        return c;
    }
    static Column owned(std::vector<double> values) {
        Column c;
        c.owned_ = std::move(values);
        c.is_owned_ = true;
        return c;
    }
    std::span<const double> values() const noexcept {
        return is_owned_ ? std::span<const double>(owned_) : view_;
    }
    /// The values as a vector the caller may overwrite (a copy when borrowed).
    std::vector<double> take() && {
        return is_owned_ ? std::move(owned_) : std::vector<double>(view_.begin(), view_.end());
    }

private:
    std::span<const double> view_;
    std::vector<double> owned_;
    bool is_owned_ = false;
};

template <class F>
std::vector<double> zip(Column left, const Column& right, F f) {
    std::vector<double> out = std::move(left).take();
    const std::span<const double> rhs = right.values();
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = f(out[i], rhs[i]);
    }
    return out;
}

/// One loop per operator (the switch stays outside the loops). Comparisons are false when an
/// operand is NaN: IEEE gives that for all but !=, which is checked explicitly.
std::vector<double> combine(Op op, Column left, const Column& right) {
    switch (op) {
        case Op::Add:
            return zip(std::move(left), right, [](double a, double b) { return a + b; });
        case Op::Sub:
            return zip(std::move(left), right, [](double a, double b) { return a - b; });
        case Op::Mul:
            return zip(std::move(left), right, [](double a, double b) { return a * b; });
        case Op::Div:
            return zip(std::move(left), right, [](double a, double b) { return a / b; });
        case Op::Lt:
            return zip(std::move(left), right, [](double a, double b) { return flag(a < b); });
        case Op::Le:
            return zip(std::move(left), right, [](double a, double b) { return flag(a <= b); });
        case Op::Gt:
            return zip(std::move(left), right, [](double a, double b) { return flag(a > b); });
        case Op::Ge:
            return zip(std::move(left), right, [](double a, double b) { return flag(a >= b); });
        case Op::Eq:
            return zip(std::move(left), right, [](double a, double b) { return flag(a == b); });
        case Op::Ne:
            return zip(std::move(left), right, [](double a, double b) {
                return flag(!std::isnan(a) && !std::isnan(b) && a != b);
            });
        case Op::And:
            return zip(std::move(left), right,
                       [](double a, double b) { return flag(holds(a) && holds(b)); });
        case Op::Or:
            return zip(std::move(left), right,
                       [](double a, double b) { return flag(holds(a) || holds(b)); });
    }
    return {};
}

/// Computes a tree bottom-up, a whole column per node. Indicator columns go through the cache
/// under their canonical text, so rules sharing one compute it once.
class Evaluator {
public:
    explicit Evaluator(SeriesCache& cache) : cache_(cache), bars_(cache.bars()) {}

    Column eval(const Expr& e) {
        const std::size_t n = bars_.size();
        switch (e.kind) {
            case Kind::Number:
                return Column::owned(std::vector<double>(n, e.number));
            case Kind::Field:
                return field(e.field);
            case Kind::Negate: {
                std::vector<double> values = eval(e.children[0]).take();
                for (double& x : values) {
                    x = -x;
                }
                return Column::owned(std::move(values));
            }
            case Kind::Not: {
                std::vector<double> values = eval(e.children[0]).take();
                for (double& x : values) {
                    x = flag(!holds(x));
                }
                return Column::owned(std::move(values));
            }
            case Kind::Binary: {
                Column left = eval(e.children[0]);
                const Column right = eval(e.children[1]);
                return Column::owned(combine(e.op, std::move(left), right));
            }
            case Kind::Lag: {
                const Column operand = eval(e.children[0]);
                const std::span<const double> values = operand.values();
                std::vector<double> out(n, kNaN);
                for (std::size_t i = e.lag; i < n; ++i) {
                    out[i] = values[i - e.lag];
                }
                return Column::owned(std::move(out));
            }
            case Kind::CrossUp:
            case Kind::CrossDown: {
                const Column a = eval(e.children[0]);
                const Column b = eval(e.children[1]);
                std::vector<std::uint8_t> crossed(n);
                if (e.kind == Kind::CrossUp) {
                    signals::cross_up(a.values(), b.values(), crossed);
                } else {
                    signals::cross_down(a.values(), b.values(), crossed);
                }
                return Column::owned(std::vector<double>(crossed.begin(), crossed.end()));
            }
            case Kind::Builtin:
            case Kind::Registry:
                return call(e);
            case Kind::Name:
                break;
        }
        throw Exception(ErrorCode::Internal, fmt::format("'{}' cannot be evaluated", e.text));
    }

private:
    Column field(Field f) const {
        const std::size_t n = bars_.size();
        const auto open = bars_.open();
        const auto high = bars_.high();
        const auto low = bars_.low();
        const auto close = bars_.close();
        std::vector<double> out(n);
        switch (f) {
            case Field::Open:
                return Column::view(open);
            case Field::High:
                return Column::view(high);
            case Field::Low:
                return Column::view(low);
            case Field::Close:
                return Column::view(close);
            case Field::Volume:
                return Column::view(bars_.volume());
            case Field::Hl2:
                for (std::size_t i = 0; i < n; ++i) {
                    out[i] = (high[i] + low[i]) / 2;
                }
                break;
            case Field::Hlc3:
                for (std::size_t i = 0; i < n; ++i) {
                    out[i] = (high[i] + low[i] + close[i]) / 3;
                }
                break;
            case Field::Ohlc4:
                for (std::size_t i = 0; i < n; ++i) {
                    out[i] = (open[i] + high[i] + low[i] + close[i]) / 4;
                }
                break;
        }
        return Column::owned(std::move(out));
    }

    /// Computes every output of the call once and caches each under its own key.
    Column call(const Expr& e) {
        if (const std::vector<double>* hit = cache_.find(e.text)) {
            return Column::view(*hit);
        }
        std::vector<std::vector<double>> outputs =
            e.kind == Kind::Builtin ? builtin(e) : registry(e);
        for (std::size_t i = 0; i < outputs.size(); ++i) {
            std::string key =
                e.outputs.size() > 1 ? fmt::format("{}.{}", e.call, e.outputs[i]) : e.call;
            cache_.put(std::move(key), std::move(outputs[i]));
        }
        return Column::view(*cache_.find(e.text));
    }

    std::vector<std::vector<double>> builtin(const Expr& e) {
        const std::size_t n = bars_.size();
        const auto period = [&](std::size_t i) {
            return static_cast<int>(e.params[i]);
        };
        const Column source = e.children.empty() ? Column() : eval(e.children[0]);
        const std::span<const double> x = source.values();
        std::vector<std::vector<double>> out(std::max<std::size_t>(1, e.outputs.size()),
                                             std::vector<double>(n));
        switch (e.builtin->id) {
            case Builtin::Sma:
                signals::sma(x, period(0), out[0]);
                break;
            case Builtin::Ema:
                signals::ema(x, period(0), out[0]);
                break;
            case Builtin::Smma:
                signals::smma(x, period(0), out[0]);
                break;
            case Builtin::Rsi:
                signals::rsi(x, period(0), out[0]);
                break;
            case Builtin::Macd:
                signals::macd(x, period(0), period(1), period(2), out[0], out[1]);
                for (std::size_t i = 0; i < n; ++i) {
                    out[2][i] = out[0][i] - out[1][i];
                }
                break;
            case Builtin::Bbands:
                signals::bollinger(x, period(0), e.params[1], out[1], out[0], out[2]);
                break;
            case Builtin::Atr:
                signals::atr(bars_.high(), bars_.low(), bars_.close(), period(0), out[0]);
                break;
            case Builtin::Highest:
            case Builtin::Lowest: {
                std::vector<double> other(n);
                const bool highest = e.builtin->id == Builtin::Highest;
                signals::channel(x, x, period(0), highest ? out[0] : other,
                                 highest ? other : out[0]);
                break;
            }
        }
        return out;
    }

    std::vector<std::vector<double>> registry(const Expr& e) const {
        std::vector<std::vector<double>> out(e.spec->output_count(),
                                             std::vector<double>(bars_.size()));
        const std::vector<std::span<double>> spans(out.begin(), out.end());
        e.spec->compute(indicators::Inputs::from(bars_), spans);
        return out;
    }

    SeriesCache& cache_;
    BarSeriesView bars_;
};

}  // namespace

struct Rule::Node {
    Expr root;
};

const std::vector<double>* SeriesCache::find(std::string_view key) const {
    const auto it = columns_.find(key);
    return it == columns_.end() ? nullptr : &it->second;
}

const std::vector<double>& SeriesCache::put(std::string key, std::vector<double> column) {
    // A column already stored is kept: evaluations may hold views of it.
    return columns_.try_emplace(std::move(key), std::move(column)).first->second;
}

Rule::Rule(std::unique_ptr<Node> root) : root_(std::move(root)) {}
Rule::Rule(Rule&&) noexcept = default;
Rule& Rule::operator=(Rule&&) noexcept = default;
Rule::~Rule() = default;

Result<Rule> Rule::parse(std::string_view text, const Placeholders& placeholders) {
    // The parser throws on the first problem; this is where that becomes a Result.
    try {
        const std::string substituted = substitute(text, placeholders);
        Parser parser(substituted);
        return Rule(std::make_unique<Node>(Node{parser.parse_rule()}));
    } catch (const Exception& e) {
        return fail(e.code(), e.what());
    }
}

Result<void> Rule::evaluate(SeriesCache& cache, std::span<std::uint8_t> out) const {
    TRADPAL_ASSERT(root_ != nullptr, "evaluate() on a moved-from Rule");
    if (out.size() != cache.bars().size()) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("rule output has {} entries for a series of {} bars", out.size(),
                                cache.bars().size()));
    }
    try {
        Evaluator evaluator(cache);
        const Column result = evaluator.eval(root_->root);
        const std::span<const double> values = result.values();
        for (std::size_t t = 0; t < out.size(); ++t) {
            out[t] = static_cast<std::uint8_t>(holds(values[t]));
        }
    } catch (const Exception& e) {
        return fail(e.code(), e.what());
    }
    return {};
}

std::string Rule::canonical() const {
    TRADPAL_ASSERT(root_ != nullptr, "canonical() on a moved-from Rule");
    return root_->root.text;
}

}  // namespace tradpal::backtest::rules

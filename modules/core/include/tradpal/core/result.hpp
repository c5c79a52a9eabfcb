// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include <tradpal/core/error.hpp>

namespace tradpal {

/// A value or an Error: the subset of C++23 std::expected that TradPal uses.
/// value() on a failure throws tradpal::Exception carrying the error.
template <class T>
class [[nodiscard]] Result {
public:
    using ValueType = T;

    Result(T value)
        : state_(std::in_place_index<0>, std::move(value)) {
    }  // NOLINT(google-explicit-constructor)
    Result(Error error)
        : state_(std::in_place_index<1>, std::move(error)) {
    }  // NOLINT(google-explicit-constructor)

    /// True when a value is held.
    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    /// The value. Throws: tradpal::Exception with the error when there is none.
    T& value() & {
        throw_if_error();
        return std::get<0>(state_);
    }
    const T& value() const& {
        throw_if_error();
        return std::get<0>(state_);
    }
    T&& value() && {
        throw_if_error();
        return std::get<0>(std::move(state_));
    }

    /// The error; only valid when !has_value().
    const Error& error() const& {
        TRADPAL_ASSERT(!has_value(), "error() called on a Result holding a value");
        return std::get<1>(state_);
    }
    Error&& error() && {
        TRADPAL_ASSERT(!has_value(), "error() called on a Result holding a value");
        return std::get<1>(std::move(state_));
    }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    /// The value, or `fallback` when there is none.
    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
    }

    /// f(value) -> Result<U>, or this error.
    template <class F>
    auto and_then(F&& f) const& -> std::invoke_result_t<F, const T&> {
        if (!has_value()) {
            return error();
        }
        return std::forward<F>(f)(std::get<0>(state_));
    }

    /// Result<f(value)>, or this error.
    template <class F>
    auto transform(F&& f) const& -> Result<std::invoke_result_t<F, const T&>> {
        if (!has_value()) {
            return error();
        }
        return std::forward<F>(f)(std::get<0>(state_));
    }

private:
    void throw_if_error() const {
        if (!has_value()) {
            throw Exception(std::get<1>(state_));
        }
    }

    std::variant<T, Error> state_;
};

/// Success or an Error, for operations that return nothing.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool has_value() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }

    /// Throws: tradpal::Exception when this is a failure.
    void value() const {
        if (error_) {
            throw Exception(*error_);
        }
    }
    const Error& error() const& {
        TRADPAL_ASSERT(error_.has_value(), "error() called on a successful Result");
        return *error_;
    }

private:
    std::optional<Error> error_;
};

}  // namespace tradpal

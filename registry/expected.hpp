// registry/expected.hpp — a value or a precise error text, for checks of outside input (config,
// injected platform events) that are not CAT decoding: the registry never throws on them.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace dmsc::registry {

// The error: one sentence saying what is wrong, where, and what to do.
struct Failure {
    std::string message;
};

inline Failure fail(std::string message) {
    return Failure{std::move(message)};
}

template <class T>
class [[nodiscard]] Expected {
public:
    Expected(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
    Expected(Failure failure) : v_(std::move(failure)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const std::string& error() const { return std::get<1>(v_).message; }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, Failure> v_;
};

}  // namespace dmsc::registry

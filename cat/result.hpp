// cat/result.hpp — an expected-like result for decoders: a value, or an Error that names
// the offending tag and byte offset and maps straight to a TERMINAL RESPONSE general result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace dmsc::cat {

// What went wrong while decoding outside bytes. `result` is the TS 102 223 clause 8.12
// general result a TERMINAL RESPONSE would carry for it ('32' command data not understood,
// '36' error, required values are missing, '31' command type not understood, '30' beyond
// terminal capabilities).
struct Error {
    std::uint8_t result = 0x32;
    std::size_t offset = 0;  // byte offset in the decoded buffer
    std::uint16_t tag = 0;   // tag (without CR bit) the error is about, 0 if none
    std::string message;

    // "offset 7, tag '3C': transport level: length 2, expected 3"
    std::string describe() const;
};

Error make_error(std::uint8_t result, std::size_t offset, std::uint16_t tag, std::string message);

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const Error& error() const { return std::get<1>(v_); }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, Error> v_;
};

}  // namespace dmsc::cat

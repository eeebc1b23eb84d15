// cat/result.cpp — formatting of decode errors.
#include "cat/result.hpp"

#include <cstdio>

namespace dmsc::cat {

std::string Error::describe() const {
    char head[64];
    if (tag != 0) {
        std::snprintf(head, sizeof head, "offset %zu, tag '%02X': ", offset, static_cast<unsigned>(tag));
    } else {
        std::snprintf(head, sizeof head, "offset %zu: ", offset);
    }
    return head + message;
}

Error make_error(std::uint8_t result, std::size_t offset, std::uint16_t tag, std::string message) {
    return Error{result, offset, tag, std::move(message)};
}

}  // namespace dmsc::cat

// tests/fuzz/fuzz_response.cpp — TERMINAL RESPONSE decoding; a decoded response re-encodes to
// bytes that decode to the same response.
#include <cstdint>
#include <cstdlib>

#include "cat/response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto tr = dmsc::cat::decode_terminal_response(dmsc::cat::ByteView(data, size));
    if (!tr) return 0;
    (void)dmsc::cat::describe(*tr);
    auto again = dmsc::cat::decode_terminal_response(dmsc::cat::encode(*tr));
    if (!again || !(again->details == tr->details) || !(again->result == tr->result) ||
        again->data.size() != tr->data.size())
        std::abort();
    return 0;
}

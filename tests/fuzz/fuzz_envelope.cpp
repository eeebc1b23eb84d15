// tests/fuzz/fuzz_envelope.cpp — ENVELOPE decoding; a decoded envelope re-encodes to bytes
// that decode to the same objects.
#include <cstdint>
#include <cstdlib>

#include "cat/envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto env = dmsc::cat::decode_envelope(dmsc::cat::ByteView(data, size));
    if (!env) return 0;
    (void)dmsc::cat::describe(*env);
    auto again = dmsc::cat::decode_envelope(dmsc::cat::encode(*env));
    if (!again || again->tag != env->tag || again->tlvs.size() != env->tlvs.size()) std::abort();
    return 0;
}

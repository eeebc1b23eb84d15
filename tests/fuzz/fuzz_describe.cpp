// tests/fuzz/fuzz_describe.cpp — the dmsc-ctl decode path: every hint, every object decoder,
// text codecs and the TERMINAL PROFILE decoder, rendered to text.
#include <cstdint>

#include "cat/describe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using dmsc::cat::Hint;
    dmsc::cat::ByteView in(data, size);
    for (auto hint : {Hint::Auto, Hint::ProactiveCommand, Hint::TerminalResponse, Hint::Envelope,
                      Hint::TerminalProfile, Hint::Apdu}) {
        // A TERMINAL PROFILE is a few dozen bytes; listing every set bit of a 4 KiB input only
        // slows the fuzzer down (short inputs cover the same code).
        if (hint == Hint::TerminalProfile && size > 64) continue;
        auto d = dmsc::cat::describe_bytes(in, hint);
        if (d) (void)dmsc::cat::to_text(*d);
    }
    return 0;
}

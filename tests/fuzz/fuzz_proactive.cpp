// tests/fuzz/fuzz_proactive.cpp — proactive command decoding ('D0'): header, typed body and
// describe() on arbitrary bytes. The header must decode whenever the full command does.
#include <cstdint>
#include <cstdlib>

#include "cat/proactive.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dmsc::cat::ByteView in(data, size);
    auto header = dmsc::cat::decode_command_header(in);
    auto cmd = dmsc::cat::decode_proactive_command(in);
    if (cmd) {
        if (!header || !(header->details == cmd->details)) std::abort();
        auto fields = dmsc::cat::describe(*cmd);
        (void)fields;
    } else if (cmd.error().result != 0x32 && cmd.error().result != 0x36) {
        std::abort();  // a decode failure must map to '32' or '36'
    }
    return 0;
}

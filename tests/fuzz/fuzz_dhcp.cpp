// tests/fuzz/fuzz_dhcp.cpp — the DHCPv4 codec and the one-address server (eem/dhcp.hpp) on
// arbitrary bytes: decoding never crashes; whatever decodes re-encodes to bytes that decode to
// the same message; the server answers every decoded request without crashing, its replies
// decode again, and it never hands out an address other than the configured one.
#include <cstdint>
#include <cstdlib>

#include "eem/dhcp.hpp"

using namespace dmsc::eem::dhcp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in(data, size);
    const DecodeResult r = decode(in);
    if (r.message) {
        const Bytes again = encode(*r.message);
        const DecodeResult back = decode(again);
        if (!back.message || !(*back.message == *r.message)) std::abort();
    } else if (r.error.empty()) {
        std::abort();
    }
    ServerConfig c;
    c.server_address = 0xC0A8D401;
    c.client_address = 0xC0A8D402;
    c.netmask = 0xFFFFFFFC;
    Server s(c);
    // The same packet twice (a retransmission), at two times.
    for (std::uint64_t now : {std::uint64_t{0}, std::uint64_t{4000}}) {
        const Reply reply = s.handle(in, now);
        if (reply.message) {
            const DecodeResult d = decode(encode(*reply.message));
            if (!d.message) std::abort();
            if (reply.message->yiaddr != 0 && reply.message->yiaddr != c.client_address) std::abort();
        }
        if (reply.note.empty()) std::abort();
    }
    return 0;
}

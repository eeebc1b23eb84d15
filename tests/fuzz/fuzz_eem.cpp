// tests/fuzz/fuzz_eem.cpp — the CDC EEM streaming decoder on arbitrary bytes, cut into transfers
// at positions taken from the input: the packets must not depend on where the cuts fall, and
// every decoded packet must re-encode to bytes that decode to the same packet.
#include <cstdint>
#include <cstdlib>
#include <variant>
#include <vector>

#include "eem/eem.hpp"

using namespace dmsc::eem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t step = 1 + data[0] % 64;  // transfer size for the split run
    ByteView in(data + 1, size - 1);

    std::vector<Packet> whole = decode_all(in);

    Decoder d;
    std::vector<Packet> split;
    for (std::size_t off = 0; off < in.size(); off += step) {
        d.feed(in.subspan(off, std::min(step, in.size() - off)));
        while (auto p = d.next()) split.push_back(std::move(*p));
    }
    if (split != whole) std::abort();

    for (const auto& p : whole) {
        Bytes again;
        if (const auto* dp = std::get_if<DataPacket>(&p)) {
            if (!append_data(again, dp->frame, dp->has_crc)) std::abort();
        } else if (const auto* cp = std::get_if<CommandPacket>(&p)) {
            if (!append_command(again, cp->command, cp->param, cp->data)) std::abort();
        } else if (std::holds_alternative<ZeroLengthPacket>(p)) {
            append_zero_length(again);
        } else {
            continue;
        }
        auto round = decode_all(again);
        if (round.size() != 1) std::abort();
        if (const auto* dp = std::get_if<DataPacket>(&p)) {
            const auto* rp = std::get_if<DataPacket>(&round[0]);
            // a sentinel packet re-encodes with DE AD BE EF; the frame must survive
            if (!rp || rp->frame != dp->frame || rp->has_crc != dp->has_crc) std::abort();
        } else if (round[0] != p) {
            std::abort();
        }
    }
    return 0;
}

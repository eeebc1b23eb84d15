// eem/eem.hpp — the USB CDC Ethernet Emulation Model (EEM 1.0) framing codec, pure (no I/O).
// Every EEM packet starts with a 16-bit little-endian header:
//   bit 15 bmType: 0 data, 1 command.
//   data:    bit 14 bmCRC (1: the last 4 bytes are the Ethernet CRC-32, little-endian;
//            0: they are the sentinel DE AD BE EF and are not checked), bits 13..0 the length
//            of what follows (Ethernet frame + those 4 bytes). Length 0 = zero-length EEM packet.
//   command: bit 14 reserved, bits 13..11 bmEEMCmd, bits 10..0 bmEEMCmdParam; Echo and Echo
//            Response carry bmEEMCmdParam bytes of data after the header.
// One USB transfer may hold several packets and one packet may span transfers: Decoder keeps
// the bytes between feed() calls. docs/usb.md describes how the gateway uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace dmsc::eem {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline constexpr std::size_t kHeaderSize = 2;
inline constexpr std::size_t kCrcSize = 4;
inline constexpr std::size_t kMaxDataLength = 0x3FFF;  // 14-bit length field
inline constexpr std::size_t kMaxFrame = kMaxDataLength - kCrcSize;
inline constexpr std::size_t kMaxEchoLength = 0x07FF;   // 11-bit parameter
inline constexpr std::uint32_t kSentinel = 0xDEADBEEF;  // sent as DE AD BE EF

enum class Command : std::uint8_t {
    Echo = 0,
    EchoResponse = 1,
    SuspendHint = 2,
    ResponseHint = 3,
    ResponseCompleteHint = 4,
    Tickle = 5,
};
const char* name_of(Command c);

// The Ethernet (IEEE 802.3) CRC-32 of `data`: reflected polynomial 0xEDB88320, init and final
// XOR 0xFFFFFFFF. An EEM data packet carries it little-endian.
std::uint32_t crc32(ByteView data);

// A data packet: an Ethernet frame (without the trailing CRC / sentinel).
struct DataPacket {
    Bytes frame;
    bool has_crc = false;  // bmCRC was 1 (and the CRC matched: a mismatch is an Error)
    bool operator==(const DataPacket&) const = default;
};
struct CommandPacket {
    Command command = Command::Echo;
    std::uint16_t param = 0;  // 11 bits; for Echo / Echo Response the data length
    Bytes data;               // Echo / Echo Response only
    bool operator==(const CommandPacket&) const = default;
};
struct ZeroLengthPacket {
    bool operator==(const ZeroLengthPacket&) const = default;
};
// Something that could not be used; the decoder has skipped it and goes on.
struct Error {
    std::string what;         // "data packet 0x0002: length 2 is shorter than the 4-byte CRC"
    std::size_t skipped = 0;  // bytes dropped
    bool operator==(const Error&) const = default;
};
using Packet = std::variant<DataPacket, CommandPacket, ZeroLengthPacket, Error>;

// Encoders: append one packet to `out`. Frames longer than kMaxFrame and echo data longer than
// kMaxEchoLength are refused (false, nothing appended).
bool append_data(Bytes& out, ByteView frame, bool with_crc);
bool append_command(Bytes& out, Command command, std::uint16_t param, ByteView echo_data = {});
void append_zero_length(Bytes& out);
// Convenience: one packet alone.
Bytes encode_data(ByteView frame, bool with_crc);
Bytes encode_command(Command command, std::uint16_t param, ByteView echo_data = {});

// Streaming decoder. feed() the bytes of each bulk transfer in order, then take packets with
// next() until it returns nullopt (an incomplete packet stays buffered for the next feed()).
class Decoder {
public:
    // Frames longer than max_frame (after removing the CRC) are reported as Error and skipped.
    explicit Decoder(std::size_t max_frame = kMaxFrame) : max_frame_(max_frame) {}
    void feed(ByteView bytes);
    std::optional<Packet> next();
    std::size_t buffered() const { return buffer_.size() - pos_; }
    // Forgets a partial packet (the USB pipe was reset).
    void reset() {
        buffer_.clear();
        pos_ = 0;
    }

private:
    Bytes buffer_;
    std::size_t pos_ = 0;
    std::size_t max_frame_;
};

// Decodes a complete buffer (all packets, the tail must be whole): for tests and tools.
std::vector<Packet> decode_all(ByteView bytes, bool* incomplete_tail = nullptr);

}  // namespace dmsc::eem

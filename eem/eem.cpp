// eem/eem.cpp — CDC EEM framing (see eem.hpp).
#include "eem/eem.hpp"

#include <array>
#include <cstdio>

namespace dmsc::eem {

namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1U) ? (0xEDB88320U ^ (c >> 1)) : (c >> 1);
        t[i] = c;
    }
    return t;
}
constexpr auto kCrcTable = make_crc_table();

std::string hex16(std::uint16_t v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04X", v);
    return buf;
}

void put_le16(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v & 0xFF));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
}

}  // namespace

const char* name_of(Command c) {
    switch (c) {
        case Command::Echo:
            return "echo";
        case Command::EchoResponse:
            return "echo-response";
        case Command::SuspendHint:
            return "suspend-hint";
        case Command::ResponseHint:
            return "response-hint";
        case Command::ResponseCompleteHint:
            return "response-complete-hint";
        case Command::Tickle:
            return "tickle";
    }
    return "reserved";
}

std::uint32_t crc32(ByteView data) {
    std::uint32_t c = 0xFFFFFFFFU;
    for (std::uint8_t b : data) c = kCrcTable[(c ^ b) & 0xFFU] ^ (c >> 8);
    return c ^ 0xFFFFFFFFU;
}

bool append_data(Bytes& out, ByteView frame, bool with_crc) {
    if (frame.size() > kMaxFrame) return false;
    const auto length = static_cast<std::uint16_t>(frame.size() + kCrcSize);
    put_le16(out, static_cast<std::uint16_t>((with_crc ? 0x4000U : 0U) | length));
    out.insert(out.end(), frame.begin(), frame.end());
    if (with_crc) {
        const std::uint32_t c = crc32(frame);
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(c >> (8 * i)));
    } else {
        out.insert(out.end(), {0xDE, 0xAD, 0xBE, 0xEF});
    }
    return true;
}

bool append_command(Bytes& out, Command command, std::uint16_t param, ByteView echo_data) {
    const bool echo = command == Command::Echo || command == Command::EchoResponse;
    if (static_cast<unsigned>(command) > 5) return false;
    if (echo) {
        if (echo_data.size() > kMaxEchoLength) return false;
        param = static_cast<std::uint16_t>(echo_data.size());
    } else if (!echo_data.empty() || param > kMaxEchoLength) {
        return false;
    }
    put_le16(out, static_cast<std::uint16_t>(0x8000U | (static_cast<unsigned>(command) << 11) | param));
    if (echo) out.insert(out.end(), echo_data.begin(), echo_data.end());
    return true;
}

void append_zero_length(Bytes& out) {
    put_le16(out, 0);
}

Bytes encode_data(ByteView frame, bool with_crc) {
    Bytes out;
    append_data(out, frame, with_crc);
    return out;
}

Bytes encode_command(Command command, std::uint16_t param, ByteView echo_data) {
    Bytes out;
    append_command(out, command, param, echo_data);
    return out;
}

void Decoder::feed(ByteView bytes) {
    if (pos_ > 0 && pos_ == buffer_.size()) {
        buffer_.clear();
        pos_ = 0;
    } else if (pos_ > 4096 && pos_ * 2 > buffer_.size()) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos_));
        pos_ = 0;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<Packet> Decoder::next() {
    const std::size_t avail = buffer_.size() - pos_;
    if (avail < kHeaderSize) return std::nullopt;
    const auto* p = buffer_.data() + pos_;
    const auto header = static_cast<std::uint16_t>(p[0] | (p[1] << 8));
    if (header & 0x8000U) {
        const unsigned cmd = (header >> 11) & 0x7U;
        const auto param = static_cast<std::uint16_t>(header & 0x07FFU);
        if (cmd > 5) {
            pos_ += kHeaderSize;
            return Error{"command packet " + hex16(header) + ": reserved bmEEMCmd " + std::to_string(cmd),
                         kHeaderSize};
        }
        CommandPacket c;
        c.command = static_cast<Command>(cmd);
        c.param = param;
        if (c.command == Command::Echo || c.command == Command::EchoResponse) {
            if (avail < kHeaderSize + param) return std::nullopt;
            c.data.assign(p + kHeaderSize, p + kHeaderSize + param);
            pos_ += kHeaderSize + param;
        } else {
            pos_ += kHeaderSize;
        }
        return c;
    }
    const std::size_t length = header & 0x3FFFU;
    const bool has_crc = (header & 0x4000U) != 0;
    if (length == 0) {
        pos_ += kHeaderSize;
        if (has_crc)
            return Error{"data packet " + hex16(header) +
                             ": length 0 with bmCRC set (a zero-length EEM packet is 0x0000)",
                         kHeaderSize};
        return ZeroLengthPacket{};
    }
    if (avail < kHeaderSize + length) return std::nullopt;
    pos_ += kHeaderSize + length;
    if (length < kCrcSize)
        return Error{"data packet " + hex16(header) + ": length " + std::to_string(length) +
                         " is shorter than the 4-byte CRC",
                     kHeaderSize + length};
    const std::size_t frame_len = length - kCrcSize;
    if (frame_len > max_frame_)
        return Error{"data packet " + hex16(header) + ": frame of " + std::to_string(frame_len) +
                         " bytes is longer than the " + std::to_string(max_frame_) + "-byte limit",
                     kHeaderSize + length};
    const auto* f = p + kHeaderSize;
    if (has_crc) {
        const std::uint32_t want = crc32(ByteView(f, frame_len));
        const std::uint32_t got = static_cast<std::uint32_t>(f[frame_len]) |
                                  (static_cast<std::uint32_t>(f[frame_len + 1]) << 8) |
                                  (static_cast<std::uint32_t>(f[frame_len + 2]) << 16) |
                                  (static_cast<std::uint32_t>(f[frame_len + 3]) << 24);
        if (want != got) {
            char buf[64];
            std::snprintf(buf, sizeof buf, ": CRC-32 %08X, computed %08X", got, want);
            return Error{"data packet " + hex16(header) + buf, kHeaderSize + length};
        }
    }
    return DataPacket{Bytes(f, f + frame_len), has_crc};
}

std::vector<Packet> decode_all(ByteView bytes, bool* incomplete_tail) {
    Decoder d;
    d.feed(bytes);
    std::vector<Packet> out;
    while (auto p = d.next()) out.push_back(std::move(*p));
    if (incomplete_tail) *incomplete_tail = d.buffered() > 0;
    return out;
}

}  // namespace dmsc::eem

// tests/eem/test_eem.cpp — the CDC EEM codec against byte vectors written from the EEM 1.0
// header layout (docs/usb.md): data with CRC and sentinel, commands, zero-length packets,
// several packets per transfer, packets split across transfers, malformed input.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "eem/eem.hpp"

using namespace dmsc::eem;

namespace {
Bytes b(std::initializer_list<int> v) {
    Bytes out;
    for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
    return out;
}
Bytes ascii(const std::string& s) {
    return Bytes(s.begin(), s.end());
}
}  // namespace

TEST_CASE("crc32 is the Ethernet CRC (check value of \"123456789\")") {
    CHECK(crc32(ascii("123456789")) == 0xCBF43926U);
    CHECK(crc32({}) == 0x00000000U);
}

TEST_CASE("data packet with sentinel: header, frame, DE AD BE EF") {
    const Bytes frame = b({0x01, 0x02, 0x03});
    // length 3 + 4 = 7, bmType 0, bmCRC 0 -> 0x0007 little-endian
    CHECK(encode_data(frame, false) == b({0x07, 0x00, 0x01, 0x02, 0x03, 0xDE, 0xAD, 0xBE, 0xEF}));
    auto pk = decode_all(b({0x07, 0x00, 0x01, 0x02, 0x03, 0xDE, 0xAD, 0xBE, 0xEF}));
    REQUIRE(pk.size() == 1);
    CHECK(std::get<DataPacket>(pk[0]) == DataPacket{frame, false});
    // the sentinel is not checked (EEM: bmCRC 0 means "no CRC")
    pk = decode_all(b({0x07, 0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00}));
    CHECK(std::get<DataPacket>(pk[0]).frame == frame);
}

TEST_CASE("data packet with CRC: bmCRC set, CRC-32 little-endian") {
    const Bytes frame = ascii("123456789");
    // length 9 + 4 = 13 = 0x0D; | 0x4000 -> 0x400D -> 0D 40; CRC CBF43926 -> 26 39 F4 CB
    const Bytes wire = b({0x0D, 0x40, '1', '2', '3', '4', '5', '6', '7', '8', '9', 0x26, 0x39, 0xF4, 0xCB});
    CHECK(encode_data(frame, true) == wire);
    auto pk = decode_all(wire);
    REQUIRE(pk.size() == 1);
    CHECK(std::get<DataPacket>(pk[0]) == DataPacket{frame, true});

    Bytes bad = wire;
    bad[11] ^= 0x01;
    pk = decode_all(bad);
    REQUIRE(pk.size() == 1);
    const auto& e = std::get<Error>(pk[0]);
    CHECK(e.skipped == wire.size());
    CHECK(e.what == "data packet 0x400D: CRC-32 CBF43927, computed CBF43926");
}

TEST_CASE("command packets: bmType 1, bmEEMCmd in bits 13..11, parameter in 10..0") {
    // Echo with 3 bytes: 0x8000 | 0<<11 | 3 = 0x8003
    CHECK(encode_command(Command::Echo, 0, b({0xAA, 0xBB, 0xCC})) == b({0x03, 0x80, 0xAA, 0xBB, 0xCC}));
    // Echo Response: 0x8000 | 1<<11 | 2 = 0x8802
    CHECK(encode_command(Command::EchoResponse, 0, b({1, 2})) == b({0x02, 0x88, 1, 2}));
    CHECK(encode_command(Command::SuspendHint, 0) == b({0x00, 0x90}));
    // Response Hint with parameter 0x123: 0x8000 | 3<<11 | 0x123 = 0x9923
    CHECK(encode_command(Command::ResponseHint, 0x123) == b({0x23, 0x99}));
    CHECK(encode_command(Command::ResponseCompleteHint, 0) == b({0x00, 0xA0}));
    CHECK(encode_command(Command::Tickle, 0) == b({0x00, 0xA8}));

    auto pk = decode_all(b({0x03, 0x80, 0xAA, 0xBB, 0xCC, 0x23, 0x99, 0x00, 0xA8}));
    REQUIRE(pk.size() == 3);
    CHECK(std::get<CommandPacket>(pk[0]) == CommandPacket{Command::Echo, 3, b({0xAA, 0xBB, 0xCC})});
    CHECK(std::get<CommandPacket>(pk[1]) == CommandPacket{Command::ResponseHint, 0x123, {}});
    CHECK(std::get<CommandPacket>(pk[2]) == CommandPacket{Command::Tickle, 0, {}});
}

TEST_CASE("reserved commands 6 and 7 are errors, the stream goes on") {
    auto pk = decode_all(b({0x00, 0xB0, 0x00, 0xB8, 0x00, 0x00}));
    REQUIRE(pk.size() == 3);
    CHECK(std::get<Error>(pk[0]).what == "command packet 0xB000: reserved bmEEMCmd 6");
    CHECK(std::get<Error>(pk[1]).what == "command packet 0xB800: reserved bmEEMCmd 7");
    CHECK(std::holds_alternative<ZeroLengthPacket>(pk[2]));
}

TEST_CASE("zero-length EEM packets between frames are reported and skipped") {
    Bytes t;
    append_zero_length(t);
    append_data(t, b({0x11}), false);
    append_zero_length(t);
    CHECK(t == b({0x00, 0x00, 0x05, 0x00, 0x11, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00}));
    auto pk = decode_all(t);
    REQUIRE(pk.size() == 3);
    CHECK(std::holds_alternative<ZeroLengthPacket>(pk[0]));
    CHECK(std::get<DataPacket>(pk[1]).frame == b({0x11}));
    CHECK(std::holds_alternative<ZeroLengthPacket>(pk[2]));
    // 0x4000: length 0 with bmCRC is not a valid zero-length packet
    pk = decode_all(b({0x00, 0x40}));
    REQUIRE(pk.size() == 1);
    CHECK(std::get<Error>(pk[0]).skipped == 2);
}

TEST_CASE("several packets in one transfer, in order") {
    Bytes t;
    append_data(t, ascii("first"), true);
    append_command(t, Command::Echo, 0, b({9}));
    append_data(t, ascii("second"), false);
    auto pk = decode_all(t);
    REQUIRE(pk.size() == 3);
    CHECK(std::get<DataPacket>(pk[0]) == DataPacket{ascii("first"), true});
    CHECK(std::get<CommandPacket>(pk[1]).data == b({9}));
    CHECK(std::get<DataPacket>(pk[2]) == DataPacket{ascii("second"), false});
}

TEST_CASE("a packet split across transfers at every position decodes once whole") {
    Bytes t;
    append_data(t, ascii("split frame"), true);
    append_command(t, Command::Echo, 0, b({1, 2, 3}));
    for (std::size_t cut = 0; cut <= t.size(); ++cut) {
        Decoder d;
        d.feed(ByteView(t).subspan(0, cut));
        std::vector<Packet> got;
        while (auto p = d.next()) got.push_back(*p);
        d.feed(ByteView(t).subspan(cut));
        while (auto p = d.next()) got.push_back(*p);
        REQUIRE(got.size() == 2);
        CHECK(std::get<DataPacket>(got[0]).frame == ascii("split frame"));
        CHECK(std::get<CommandPacket>(got[1]).data == b({1, 2, 3}));
        CHECK(d.buffered() == 0);
    }
}

TEST_CASE("byte-at-a-time feeding") {
    Bytes t;
    for (int i = 0; i < 20; ++i)
        append_data(t, Bytes(static_cast<std::size_t>(60 + i), static_cast<std::uint8_t>(i)), i % 2 == 0);
    Decoder d;
    int n = 0;
    for (auto byte : t) {
        d.feed(ByteView(&byte, 1));
        while (auto p = d.next()) {
            const auto& dp = std::get<DataPacket>(*p);
            CHECK(dp.frame.size() == static_cast<std::size_t>(60 + n));
            CHECK(dp.has_crc == (n % 2 == 0));
            ++n;
        }
    }
    CHECK(n == 20);
}

TEST_CASE("incomplete tail stays buffered") {
    bool incomplete = false;
    auto pk = decode_all(b({0x07, 0x00, 0x01}), &incomplete);
    CHECK(pk.empty());
    CHECK(incomplete);
    pk = decode_all(b({0x05, 0x80, 1, 2}), &incomplete);  // echo of 5, only 2 present
    CHECK(pk.empty());
    CHECK(incomplete);
}

TEST_CASE("malformed data packets: shorter than the CRC, longer than the limit") {
    auto pk = decode_all(b({0x02, 0x00, 0xAA, 0xBB, 0x00, 0x00}));
    REQUIRE(pk.size() == 2);
    CHECK(std::get<Error>(pk[0]).what == "data packet 0x0002: length 2 is shorter than the 4-byte CRC");
    CHECK(std::get<Error>(pk[0]).skipped == 4);
    CHECK(std::holds_alternative<ZeroLengthPacket>(pk[1]));

    Decoder small(10);
    Bytes t;
    append_data(t, Bytes(11, 0x55), false);
    append_data(t, Bytes(10, 0x66), false);
    small.feed(t);
    auto p1 = small.next();
    REQUIRE(p1);
    CHECK(std::get<Error>(*p1).what ==
          "data packet 0x000F: frame of 11 bytes is longer than the 10-byte limit");
    auto p2 = small.next();
    REQUIRE(p2);
    CHECK(std::get<DataPacket>(*p2).frame == Bytes(10, 0x66));
}

TEST_CASE("encoder limits") {
    Bytes out;
    CHECK_FALSE(append_data(out, Bytes(kMaxFrame + 1, 0), true));
    CHECK(out.empty());
    CHECK(append_data(out, Bytes(kMaxFrame, 0), true));
    CHECK(out[0] == 0xFF);
    CHECK(out[1] == 0x7F);  // 0x4000 | 0x3FFF
    out.clear();
    CHECK_FALSE(append_command(out, Command::Echo, 0, Bytes(kMaxEchoLength + 1, 0)));
    CHECK_FALSE(append_command(out, Command::Tickle, 0, b({1})));
    CHECK_FALSE(append_command(out, Command::ResponseHint, 0x800));
    CHECK(out.empty());
}

TEST_CASE(
    "Bounded input: 8 MiB of card bytes in 512-byte transfers never leave more than one packet buffered") {
    // Longest packets the header allows (data 0x3FFF, echo 0x7FF), interleaved with garbage
    // headers, fed as USB bulk transfers; the decoder is drained after each one as the bridge
    // does. What stays is at most one unfinished packet: header + 0x3FFF bytes.
    Decoder d(1518);
    Bytes stream;
    std::uint32_t x = 12345;
    while (stream.size() < 8 * 1024 * 1024) {
        x = x * 1103515245U + 12345U;
        switch (x % 4) {
            case 0:  // a data packet claiming the longest length: an oversize frame, skipped
                stream.push_back(0xFF);
                stream.push_back(0x3F);
                stream.insert(stream.end(), kMaxDataLength, 0xEE);
                break;
            case 1:  // the longest echo
                append_command(stream, Command::Echo, kMaxEchoLength, Bytes(kMaxEchoLength, 0x11));
                break;
            default:  // random header bytes
                for (int i = 0; i < 7; ++i) stream.push_back(static_cast<std::uint8_t>(x >> (i * 3)));
                break;
        }
    }
    std::size_t most = 0;
    std::size_t packets = 0;
    for (std::size_t at = 0; at < stream.size(); at += 512) {
        d.feed(ByteView(stream).subspan(at, std::min<std::size_t>(512, stream.size() - at)));
        while (d.next()) ++packets;
        most = std::max(most, d.buffered());
    }
    CHECK(packets > 1000);
    CHECK(most <= 2 + kMaxDataLength);
}

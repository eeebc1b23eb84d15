// cat/text.hpp — text codings used in CAT data objects: the GSM 7-bit default alphabet with
// its extension table (TS 23.038 clause 6.2.1), packed and unpacked, UCS2, and the alpha
// identifier formats of TS 102 221 annex A ('80', '81', '82'). All converters work on UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cat/bytes.hpp"

namespace dmsc::cat {

// Data coding schemes of the text string object (TS 102 223 clause 8.15 / TS 23.038).
enum class TextCoding : std::uint8_t {
    Gsm7Packed = 0x00,
    Gsm8Unpacked = 0x04,  // GSM default alphabet, 8 bits per character
    Ucs2 = 0x08,
};

// UTF-8 -> GSM default alphabet septets, one per byte (extension characters become '1B xx').
// Returns false when a character has no GSM coding.
bool utf8_to_gsm7_unpacked(std::string_view utf8, Bytes& out);
// GSM septets (one per byte, bit 8 ignored) -> UTF-8; unknown codes become '?'.
std::string gsm7_unpacked_to_utf8(ByteView septets);

// Pack septets 8-into-7 (TS 23.038 6.1.2.1.1) and back. `count` = number of septets to unpack
// (default: as many as the bytes hold, dropping a trailing CR padding septet).
Bytes pack_gsm7(ByteView septets);
Bytes unpack_gsm7(ByteView packed, std::size_t count = SIZE_MAX);

// UCS2 big-endian <-> UTF-8 (characters outside the BMP are refused / replaced by '?').
bool utf8_to_ucs2(std::string_view utf8, Bytes& out);
std::string ucs2_to_utf8(ByteView ucs2);

// Text string value (dcs byte + data) -> UTF-8. Unknown DCS: false.
bool decode_text(std::uint8_t dcs, ByteView data, std::string& out);
// Alpha identifier / name coded per TS 102 221 annex A (GSM unpacked, or '80'/'81'/'82' UCS2).
std::string decode_alpha(ByteView data);

// Escapes control characters for logs (\n, \x1B ...).
std::string printable(std::string_view utf8);

}  // namespace dmsc::cat

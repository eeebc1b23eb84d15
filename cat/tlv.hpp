// cat/tlv.hpp — BER-TLV (the 'D0' proactive command and the ENVELOPE templates) and
// COMPREHENSION-TLV (TS 102 220 clause 7 / TS 102 223 clause 8 data objects).
//
// Lengths: one byte 0..127, '81 XX' for 128..255, '82 XX XX' for 256..65535 (TS 102 220
// 7.1.2). Decoding accepts a longer form than needed (some cards send '81 05'); encoding
// always uses the shortest.
// COMPREHENSION-TLV tags: one byte (bit 8 = CR, bits 7..1 = tag value, '00', '80', 'FF'
// not used) or three bytes ('7F', then bit 16 = CR and bits 15..1 = tag value).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/result.hpp"

namespace dmsc::cat {

// Reads a BER/COMPREHENSION length at the reader's position.
// Returns false (reader untouched in what it means) on a truncated or reserved form.
bool read_length(ByteReader& r, std::size_t& length);
void write_length(ByteWriter& w, std::size_t length);
std::size_t length_size(std::size_t length);

struct BerTlv {
    std::uint8_t tag = 0;
    Bytes value;
    std::size_t value_offset = 0;  // where the value starts in the parsed buffer
    std::size_t size = 0;          // tag + length + value
};

// Parses one BER-TLV at the start of `data`. Bytes after it are allowed (the caller decides:
// a FETCH response is exactly one object; an R-APDU may carry trailing status words).
Result<BerTlv> parse_ber_tlv(ByteView data);
Bytes encode_ber_tlv(std::uint8_t tag, ByteView value);

struct Ctlv {
    std::uint16_t tag = 0;  // tag value without the CR bit (0x01..0x7E, or 15 bits when long)
    bool cr = false;        // comprehension required
    bool long_tag = false;  // the three-byte '7F' form
    Bytes value;
    std::size_t offset = 0;  // where the tag byte sits in the outermost buffer

    bool is(std::uint8_t t) const { return !long_tag && tag == t; }
};

// Parses one COMPREHENSION-TLV at the reader's position.
Result<Ctlv> parse_ctlv(ByteReader& r);
// Parses a whole run of COMPREHENSION-TLVs; `base_offset` is added to every offset so errors
// point into the outermost buffer.
Result<std::vector<Ctlv>> parse_ctlvs(ByteView data, std::size_t base_offset = 0);

void write_ctlv(ByteWriter& w, const Ctlv& tlv);
void write_ctlv(ByteWriter& w, std::uint8_t tag, bool cr, ByteView value);
Bytes encode_ctlvs(const std::vector<Ctlv>& tlvs);

// First TLV with tag `tag` at or after index `from`.
const Ctlv* find(const std::vector<Ctlv>& tlvs, std::uint8_t tag, std::size_t from = 0);

}  // namespace dmsc::cat

// cat/tlv.cpp — BER-TLV and COMPREHENSION-TLV parsing and encoding.
#include "cat/tlv.hpp"

#include "cat/codes.hpp"

namespace dmsc::cat {

namespace {
constexpr std::uint8_t kDataNotUnderstood = 0x32;
}

bool read_length(ByteReader& r, std::size_t& length) {
    const std::uint8_t first = r.u8();
    if (!r.ok()) return false;
    if (first < 0x80) {
        length = first;
        return true;
    }
    if (first == 0x81) {
        length = r.u8();
        return r.ok();
    }
    if (first == 0x82) {
        length = r.u16be();
        return r.ok();
    }
    return false;  // '80' (indefinite) and '83'.. are not used by TS 102 223
}

std::size_t length_size(std::size_t length) {
    if (length < 0x80) return 1;
    if (length <= 0xFF) return 2;
    return 3;
}

void write_length(ByteWriter& w, std::size_t length) {
    if (length < 0x80) {
        w.u8(static_cast<std::uint8_t>(length));
    } else if (length <= 0xFF) {
        w.u8(0x81);
        w.u8(static_cast<std::uint8_t>(length));
    } else {
        w.u8(0x82);
        w.u16be(static_cast<std::uint16_t>(length));
    }
}

Result<BerTlv> parse_ber_tlv(ByteView data) {
    ByteReader r(data);
    BerTlv out;
    out.tag = r.u8();
    if (!r.ok()) return make_error(kDataNotUnderstood, 0, 0, "empty BER-TLV");
    if (out.tag == 0x00 || out.tag == 0xFF) {
        return make_error(kDataNotUnderstood, 0, out.tag, "invalid BER-TLV tag");
    }
    std::size_t len = 0;
    const std::size_t len_offset = r.offset();
    if (!read_length(r, len)) {
        return make_error(kDataNotUnderstood, len_offset, out.tag,
                          "BER-TLV length truncated or in a reserved form");
    }
    out.value_offset = r.offset();
    if (r.remaining() < len) {
        return make_error(kDataNotUnderstood, len_offset, out.tag,
                          "BER-TLV length " + std::to_string(len) + " but only " +
                              std::to_string(r.remaining()) + " bytes follow");
    }
    auto v = r.take(len);
    out.value.assign(v.begin(), v.end());
    out.size = r.offset();
    return out;
}

Bytes encode_ber_tlv(std::uint8_t tag, ByteView value) {
    ByteWriter w;
    w.u8(tag);
    write_length(w, value.size());
    w.bytes(value);
    return w.take();
}

Result<Ctlv> parse_ctlv(ByteReader& r) {
    Ctlv out;
    out.offset = r.offset();
    const std::uint8_t first = r.u8();
    if (!r.ok()) return make_error(kDataNotUnderstood, out.offset, 0, "COMPREHENSION-TLV missing");
    if (first == 0x00 || first == 0x80 || first == 0xFF) {
        return make_error(kDataNotUnderstood, out.offset, first, "reserved COMPREHENSION-TLV tag byte");
    }
    if (first == 0x7F) {
        const std::uint16_t t = r.u16be();
        if (!r.ok()) return make_error(kDataNotUnderstood, out.offset, 0x7F, "three-byte tag truncated");
        out.long_tag = true;
        out.cr = (t & 0x8000) != 0;
        out.tag = static_cast<std::uint16_t>(t & 0x7FFF);
    } else {
        out.cr = (first & 0x80) != 0;
        out.tag = static_cast<std::uint16_t>(first & 0x7F);
    }
    std::size_t len = 0;
    const std::size_t len_offset = r.offset();
    if (!read_length(r, len)) {
        return make_error(kDataNotUnderstood, len_offset, out.tag,
                          "length of '" + std::string(name_of(static_cast<Tag>(out.tag))) +
                              "' truncated or in a reserved form");
    }
    if (r.remaining() < len) {
        return make_error(kDataNotUnderstood, len_offset, out.tag,
                          "length " + std::to_string(len) + " runs past the end (" +
                              std::to_string(r.remaining()) + " bytes left)");
    }
    auto v = r.take(len);
    out.value.assign(v.begin(), v.end());
    return out;
}

Result<std::vector<Ctlv>> parse_ctlvs(ByteView data, std::size_t base_offset) {
    ByteReader r(data, base_offset);
    std::vector<Ctlv> out;
    while (!r.empty()) {
        auto t = parse_ctlv(r);
        if (!t) return t.error();
        out.push_back(std::move(t).value());
    }
    return out;
}

void write_ctlv(ByteWriter& w, std::uint8_t tag, bool cr, ByteView value) {
    w.u8(static_cast<std::uint8_t>((tag & 0x7F) | (cr ? 0x80 : 0x00)));
    write_length(w, value.size());
    w.bytes(value);
}

void write_ctlv(ByteWriter& w, const Ctlv& tlv) {
    if (tlv.long_tag) {
        w.u8(0x7F);
        w.u16be(static_cast<std::uint16_t>((tlv.tag & 0x7FFF) | (tlv.cr ? 0x8000 : 0)));
        write_length(w, tlv.value.size());
        w.bytes(tlv.value);
    } else {
        write_ctlv(w, static_cast<std::uint8_t>(tlv.tag), tlv.cr, tlv.value);
    }
}

Bytes encode_ctlvs(const std::vector<Ctlv>& tlvs) {
    ByteWriter w;
    for (const auto& t : tlvs) write_ctlv(w, t);
    return w.take();
}

const Ctlv* find(const std::vector<Ctlv>& tlvs, std::uint8_t tag, std::size_t from) {
    for (std::size_t i = from; i < tlvs.size(); ++i) {
        if (tlvs[i].is(tag)) return &tlvs[i];
    }
    return nullptr;
}

}  // namespace dmsc::cat

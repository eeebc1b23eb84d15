// tests/cat/test_tlv.cpp — BER-TLV and COMPREHENSION-TLV: length forms, CR bit, three-byte
// tags, truncation sweeps and random round trips.
#include <doctest/doctest.h>

#include <random>

#include "cat/bytes.hpp"
#include "cat/tlv.hpp"

using namespace dmsc::cat;

namespace {
Bytes hex(const char* s) {
    Bytes b;
    REQUIRE(from_hex(s, b));
    return b;
}
}  // namespace

TEST_CASE("hex helpers accept separators and reject odd digits") {
    Bytes b;
    CHECK(from_hex("d0 09:81-03", b));
    CHECK(to_hex(b) == "D0098103");
    CHECK_FALSE(from_hex("D0 0", b));
    CHECK_FALSE(from_hex("D0ZZ", b));
    CHECK_FALSE(from_hex("D 0", b));
}

TEST_CASE("ByteReader failure is sticky") {
    Bytes b = hex("0102");
    ByteReader r(b, 10);
    CHECK(r.u16be() == 0x0102);
    CHECK(r.offset() == 12);
    CHECK(r.u8() == 0);
    CHECK_FALSE(r.ok());
    CHECK(r.u8() == 0);
    CHECK_FALSE(r.ok());
}

TEST_CASE("BER-TLV lengths: one byte, '81 XX', '82 XX XX'") {
    for (std::size_t len : {0u, 1u, 127u, 128u, 255u, 256u, 1000u}) {
        Bytes value(len, 0xAB);
        auto enc = encode_ber_tlv(0xD0, value);
        CHECK(enc.size() == 1 + length_size(len) + len);
        auto dec = parse_ber_tlv(enc);
        REQUIRE(dec.ok());
        CHECK(dec->tag == 0xD0);
        CHECK(dec->value == value);
        CHECK(dec->size == enc.size());
    }
    CHECK(encode_ber_tlv(0xD0, Bytes(128, 0))[1] == 0x81);
    CHECK(encode_ber_tlv(0xD0, Bytes(300, 0))[1] == 0x82);
}

TEST_CASE("BER-TLV errors name the offset") {
    auto e = parse_ber_tlv(hex("D00581"));
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().offset == 1);
    CHECK(e.error().tag == 0xD0);
    CHECK(e.error().result == 0x32);
    CHECK_FALSE(parse_ber_tlv(Bytes{}).ok());
    CHECK_FALSE(parse_ber_tlv(hex("D083010203")).ok());  // reserved length form
    CHECK_FALSE(parse_ber_tlv(hex("D081")).ok());
    CHECK_FALSE(parse_ber_tlv(hex("FF00")).ok());
}

TEST_CASE("COMPREHENSION-TLV keeps the CR bit and three-byte tags") {
    auto tl =
        parse_ctlvs(hex("810301400182028182"
                        "3902 0578"
                        "7F8001 02 AABB"
                        "7F0042 00"));
    REQUIRE(tl.ok());
    REQUIRE(tl->size() == 5);
    CHECK((*tl)[0].tag == 0x01);
    CHECK((*tl)[0].cr);
    CHECK((*tl)[2].tag == 0x39);
    CHECK_FALSE((*tl)[2].cr);
    CHECK((*tl)[2].offset == 9);
    CHECK((*tl)[3].long_tag);
    CHECK((*tl)[3].cr);
    CHECK((*tl)[3].tag == 0x0001);
    CHECK((*tl)[3].value == hex("AABB"));
    CHECK((*tl)[4].long_tag);
    CHECK_FALSE((*tl)[4].cr);
    CHECK((*tl)[4].tag == 0x0042);
    CHECK(encode_ctlvs(*tl) == hex("810301400182028182"
                                   "39020578"
                                   "7F800102AABB"
                                   "7F004200"));
    CHECK(find(*tl, 0x39) == &(*tl)[2]);
    CHECK(find(*tl, 0x3C) == nullptr);
}

TEST_CASE("COMPREHENSION-TLV: every truncation of a valid run fails cleanly") {
    const Bytes full =
        hex("810301430182028121B6080001020304050607"
            "7F800102AABB");
    for (std::size_t n = 1; n < full.size(); ++n) {
        Bytes part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        auto r = parse_ctlvs(part);
        // Cutting exactly at a TLV boundary is a shorter valid run; anywhere else is an error.
        const bool boundary = (n == 5 || n == 9 || n == 19);
        CHECK_MESSAGE(r.ok() == boundary, "cut at " << n);
        if (!r.ok()) CHECK(r.error().offset <= n);
    }
}

TEST_CASE("COMPREHENSION-TLV: reserved tag bytes are rejected") {
    for (const char* h : {"0000", "8000", "FF00"}) {
        auto r = parse_ctlvs(hex(h));
        CHECK_FALSE(r.ok());
    }
}

TEST_CASE("COMPREHENSION-TLV round-trips random valid runs") {
    std::mt19937 rng(20261123);
    for (int iter = 0; iter < 2000; ++iter) {
        std::vector<Ctlv> in;
        const int n = static_cast<int>(rng() % 6);
        for (int i = 0; i < n; ++i) {
            Ctlv t;
            t.long_tag = (rng() % 5) == 0;
            t.cr = (rng() % 2) == 0;
            if (t.long_tag) {
                t.tag = static_cast<std::uint16_t>(rng() % 0x8000);
            } else {
                do t.tag = static_cast<std::uint16_t>(1 + rng() % 0x7E);
                while (t.tag == 0x7F);
            }
            const std::size_t len = (rng() % 4 == 0) ? 128 + rng() % 200 : rng() % 20;
            t.value.resize(len);
            for (auto& b : t.value) b = static_cast<std::uint8_t>(rng());
            in.push_back(std::move(t));
        }
        const Bytes enc = encode_ctlvs(in);
        auto out = parse_ctlvs(enc);
        REQUIRE(out.ok());
        REQUIRE(out->size() == in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            CHECK((*out)[i].tag == in[i].tag);
            CHECK((*out)[i].cr == in[i].cr);
            CHECK((*out)[i].long_tag == in[i].long_tag);
            CHECK((*out)[i].value == in[i].value);
        }
        CHECK(encode_ctlvs(*out) == enc);
    }
}

// tests/cat/test_text.cpp — GSM 7-bit default alphabet and extension table, 8-in-7 packing,
// UCS2, text string data coding schemes and the alpha identifier formats of TS 102 221 annex A.
#include <doctest/doctest.h>

#include <random>

#include "cat/bytes.hpp"
#include "cat/text.hpp"

using namespace dmsc::cat;

namespace {
Bytes hex(const char* s) {
    Bytes b;
    REQUIRE(from_hex(s, b));
    return b;
}
std::string text_of(std::uint8_t dcs, const char* h) {
    std::string s;
    REQUIRE(decode_text(dcs, hex(h), s));
    return s;
}
}  // namespace

TEST_CASE("GSM default alphabet: every one of the 128 codes survives UTF-8 and back") {
    for (unsigned c = 0; c < 128; ++c) {
        if (c == 0x1B) continue;  // the escape has no character of its own
        const Bytes one{static_cast<std::uint8_t>(c)};
        const std::string utf8 = gsm7_unpacked_to_utf8(one);
        Bytes back;
        CHECK_MESSAGE(utf8_to_gsm7_unpacked(utf8, back), "code " << c);
        CHECK_MESSAGE(back == one, "code " << c);
    }
    CHECK(gsm7_unpacked_to_utf8(hex("00011C1F24405F607F")) == "@£ÆÉ¤¡§¿à");
    CHECK(gsm7_unpacked_to_utf8(hex("1012131415161718191A")) == "ΔΦΓΛΩΠΨΣΘΞ");
}

TEST_CASE("GSM extension table (TS 23.038 6.2.1.1) through the escape") {
    Bytes b;
    REQUIRE(utf8_to_gsm7_unpacked("{}[]~\\|^€\f", b));
    CHECK(to_hex(b) == "1B281B291B3C1B3E1B3D1B2F1B401B141B651B0A");
    CHECK(gsm7_unpacked_to_utf8(b) == "{}[]~\\|^€\f");
    // A code missing from the extension table shows the default alphabet character.
    CHECK(gsm7_unpacked_to_utf8(hex("1B41")) == "A");
    CHECK(gsm7_unpacked_to_utf8(hex("411B")) == "A ");
    Bytes none;
    CHECK_FALSE(utf8_to_gsm7_unpacked("中", none));
    CHECK_FALSE(utf8_to_gsm7_unpacked("\xC3", none));  // truncated UTF-8
}

TEST_CASE("8-in-7 packing: known strings and all 128 septets") {
    Bytes septets;
    REQUIRE(utf8_to_gsm7_unpacked("hellohello", septets));
    CHECK(to_hex(pack_gsm7(septets)) == "E8329BFD4697D9EC37");
    CHECK(unpack_gsm7(hex("E8329BFD4697D9EC37")) == septets);

    Bytes all;
    for (unsigned c = 0; c < 128; ++c) all.push_back(static_cast<std::uint8_t>(c));
    const Bytes packed = pack_gsm7(all);
    CHECK(packed.size() == 112);
    CHECK(unpack_gsm7(packed, 128) == all);

    // Every length, with the CR padding of 6.1.2.3.1 when 7 bits are spare.
    std::mt19937 rng(7);
    for (std::size_t n = 0; n < 40; ++n) {
        Bytes s;
        for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<std::uint8_t>(rng() % 0x0D));  // never CR
        const Bytes p = pack_gsm7(s);
        CHECK(p.size() == (n * 7 + 7) / 8);
        CHECK_MESSAGE(unpack_gsm7(p) == s, "length " << n);
        CHECK(unpack_gsm7(p, n) == s);
    }
    Bytes seven;
    REQUIRE(utf8_to_gsm7_unpacked("1234567", seven));
    const Bytes p7 = pack_gsm7(seven);
    CHECK((p7.back() >> 1) == 0x0D);
    CHECK(unpack_gsm7(p7) == seven);
    CHECK(unpack_gsm7({}, 5).empty());
}

TEST_CASE("UCS2 <-> UTF-8") {
    Bytes b;
    REQUIRE(utf8_to_ucs2("ЗДРАВСТВУЙТЕ", b));
    CHECK(to_hex(b) == "041704140420041004120421042204120423041904220415");
    CHECK(ucs2_to_utf8(b) == "ЗДРАВСТВУЙТЕ");
    Bytes astral;
    CHECK_FALSE(utf8_to_ucs2("\xF0\x9F\x98\x80", astral));  // outside the BMP
    CHECK(ucs2_to_utf8(hex("D83D0041")) == "?A");           // lone surrogate
    CHECK(ucs2_to_utf8(hex("004100")) == "A");              // odd byte ignored

    std::mt19937 rng(3);
    for (int i = 0; i < 200; ++i) {
        Bytes u;
        for (int k = 0; k < 8; ++k) {
            std::uint16_t c = static_cast<std::uint16_t>(1 + rng() % 0xFFFE);
            if (c >= 0xD800 && c <= 0xDFFF) c = 0x20AC;
            u.push_back(static_cast<std::uint8_t>(c >> 8));
            u.push_back(static_cast<std::uint8_t>(c & 0xFF));
        }
        Bytes back;
        REQUIRE(utf8_to_ucs2(ucs2_to_utf8(u), back));
        CHECK(back == u);
    }
}

TEST_CASE("text string data coding schemes 00/04/08 and their TS 23.038 class variants") {
    CHECK(text_of(0x04, "557365724C6F67") == "UserLog");
    CHECK(text_of(0xF4, "557365724C6F67") == "UserLog");
    CHECK(text_of(0x00, "E8329BFD4697D9EC37") == "hellohello");
    CHECK(text_of(0xF0, "E8329BFD4697D9EC37") == "hellohello");
    CHECK(text_of(0x08, "04170414") == "ЗД");
    CHECK(text_of(0x18, "04170414") == "ЗД");
    CHECK(text_of(0xF0,
                  "41E19058341E9149E592D9743EA151E9945AB55EB1596D2B2C1E93CBE6333AAD5EB3DBEE373C2E9FD3EBF63B3E"
                  "AF6FC564335ACD76C3E560") ==
          "ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-1234567890");
    std::string s;
    CHECK_FALSE(decode_text(0x0C, hex("41"), s));  // reserved alphabet
    CHECK_FALSE(decode_text(0x24, hex("41"), s));  // compressed
    CHECK_FALSE(decode_text(0x80, hex("41"), s));  // reserved group
}

TEST_CASE("alpha identifier formats of TS 102 221 annex A") {
    CHECK(decode_alpha(hex("4F70656E204944")) == "Open ID");
    CHECK(decode_alpha(hex("4F70656EFFFFFF")) == "Open");  // 'FF' padding dropped
    CHECK(decode_alpha({}).empty());
    CHECK(decode_alpha(hex("80041704140420FFFF")) == "ЗДР");
    CHECK(decode_alpha(hex("810C089794A09092A1A292A399A295")) == "ЗДРАВСТВУЙТЕ");
    CHECK(decode_alpha(hex("820C0410878490808291928293899285")) == "ЗДРАВСТВУЙТЕ");
    CHECK(decode_alpha(hex("81029CAD80")) == "中一");
    CHECK(decode_alpha(hex("82024E00AD80")) == "中一");
    CHECK(decode_alpha(hex("8104613831EB30")) == "81ル0");
    CHECK(decode_alpha(hex("820430A03832CB30")) == "82ル0");
    // Counts larger than the data and headers cut short stay in bounds.
    CHECK(decode_alpha(hex("81FF08 97")) == "З");
    CHECK(decode_alpha(hex("8205")).empty());
    CHECK(decode_alpha(hex("80")).empty());
}

TEST_CASE("printable escapes control characters") {
    CHECK(printable("a\nb\x1B\\") == "a\\nb\\x1B\\\\");
}

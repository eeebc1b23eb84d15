// tests/cat/test_apdu.cpp — short APDU encoding/parsing, CAT command builders, status words.
#include <doctest/doctest.h>

#include "cat/apdu.hpp"

using namespace dmsc::cat;

namespace {

Bytes hex(const char* text) {
    Bytes out;
    REQUIRE(from_hex(text, out));
    return out;
}

}  // namespace

TEST_CASE("APDU: command APDU encodes the four short cases") {
    CommandApdu a{0x80, 0xF2, 0x00, 0x0C, {}, std::nullopt};
    CHECK(a.encode() == hex("80F2000C"));  // case 1
    a.le = 0x16;
    CHECK(a.encode() == hex("80F2000C16"));  // case 2
    a.le = 256;
    CHECK(a.encode() == hex("80F2000C00"));  // Le 256 is written '00'
    CommandApdu b{0x80, 0x14, 0x00, 0x00, hex("810301"), std::nullopt};
    CHECK(b.encode() == hex("8014000003810301"));  // case 3
    b.le = 0x10;
    CHECK(b.encode() == hex("801400000381030110"));  // case 4
}

TEST_CASE("APDU: command APDU that does not fit a short APDU encodes to nothing") {
    CommandApdu a{0x80, 0xC2, 0x00, 0x00, Bytes(256, 0xAA), std::nullopt};
    CHECK(a.encode().empty());
    CommandApdu b{0x80, 0x12, 0x00, 0x00, {}, 257};
    CHECK(b.encode().empty());
    b.le = 0;
    CHECK(b.encode().empty());
}

TEST_CASE("APDU: response APDU splits data and status words") {
    auto r = ResponseApdu::parse(hex("D0038103019000"));
    REQUIRE(r);
    CHECK(r->data == hex("D003810301"));
    CHECK(r->sw() == 0x9000);
    auto sw = ResponseApdu::parse(hex("910F"));
    REQUIRE(sw);
    CHECK(sw->data.empty());
    CHECK(sw->sw1 == 0x91);
    CHECK(sw->sw2 == 0x0F);
    CHECK(sw->sw() == 0x910F);
    CHECK(sw->encode() == hex("910F"));
    CHECK_FALSE(ResponseApdu::parse(hex("90")));
    CHECK_FALSE(ResponseApdu::parse({}));
}

TEST_CASE("APDU: CAT command builders use class 80 on a UICC") {
    CHECK(terminal_profile(ClassMode::Uicc, hex("FFFF")).encode() == hex("8010000002FFFF"));
    CHECK(fetch(ClassMode::Uicc, 0x1F).encode() == hex("801200001F"));
    CHECK(fetch(ClassMode::Uicc, 256).encode() == hex("8012000000"));
    CHECK(terminal_response(ClassMode::Uicc, hex("810301")).encode() == hex("8014000003810301"));
    CHECK(envelope(ClassMode::Uicc, hex("D600")).encode() == hex("80C2000002D60000"));
    // TS 102 221 clause 11.1.2: P1 '00' no indication, P2 '0C' no data returned.
    CHECK(status(ClassMode::Uicc).encode() == hex("80F2000C"));
    // GET RESPONSE is inter-industry: class '00'.
    CHECK(get_response(ClassMode::Uicc, 0x20).encode() == hex("00C0000020"));
}

TEST_CASE("APDU: CAT command builders use class A0 on a 2G SIM") {
    CHECK(terminal_profile(ClassMode::Sim, hex("01")).encode() == hex("A01000000101"));
    CHECK(fetch(ClassMode::Sim, 0x0B).encode() == hex("A01200000B"));
    CHECK(terminal_response(ClassMode::Sim, hex("8103")).encode() == hex("A0140000028103"));
    CHECK(envelope(ClassMode::Sim, hex("D600")).encode() == hex("A0C2000002D600"));  // case 3
    CHECK(status(ClassMode::Sim).encode() == hex("A0F2000016"));
    CHECK(get_response(ClassMode::Sim, 0x0C).encode() == hex("A0C000000C"));
}

TEST_CASE("APDU: status words are classified as TS 102 221 clause 10.2.1 says") {
    CHECK(classify_sw(0x90, 0x00) == SwKind::Ok);
    CHECK(classify_sw(0x90, 0x01) == SwKind::Error);
    CHECK(classify_sw(0x91, 0x0F) == SwKind::ProactivePending);
    CHECK(classify_sw(0x93, 0x00) == SwKind::ToolkitBusy);
    CHECK(classify_sw(0x61, 0x10) == SwKind::ResponseAvailable);
    CHECK(classify_sw(0x6C, 0x12) == SwKind::WrongLe);
    CHECK(classify_sw(0x9F, 0x0C) == SwKind::SimResponseAvailable);
    CHECK(classify_sw(0x9E, 0x04) == SwKind::SimDataDownloadError);
    CHECK(classify_sw(0x62, 0x00) == SwKind::Warning);
    CHECK(classify_sw(0x63, 0xC1) == SwKind::Warning);
    CHECK(classify_sw(0x62, 0xF2) == SwKind::WarningProactivePending);
    CHECK(classify_sw(0x63, 0xF2) == SwKind::WarningProactivePending);
    CHECK(classify_sw(0x6F, 0x00) == SwKind::TechnicalProblem);
    CHECK(classify_sw(0x6F, 0xC3) == SwKind::TechnicalProblem);
    CHECK(classify_sw(0x6A, 0x82) == SwKind::Error);
    CHECK(classify_sw(0x6D, 0x00) == SwKind::Error);
    CHECK(classify_sw(0x00, 0x00) == SwKind::Error);
}

TEST_CASE("APDU: performed and proactive-pending status words") {
    CHECK(sw_performed(SwKind::Ok));
    CHECK(sw_performed(SwKind::ProactivePending));
    CHECK(sw_performed(SwKind::Warning));
    CHECK_FALSE(sw_performed(SwKind::ToolkitBusy));
    CHECK_FALSE(sw_performed(SwKind::TechnicalProblem));
    CHECK_FALSE(sw_performed(SwKind::Error));
    CHECK(sw_proactive_pending(SwKind::ProactivePending));
    CHECK(sw_proactive_pending(SwKind::WarningProactivePending));
    CHECK_FALSE(sw_proactive_pending(SwKind::Ok));
}

TEST_CASE("APDU: status words have names for logs") {
    CHECK(describe_sw(0x91, 0x0F) == "91 0F proactive command pending");
    CHECK(describe_sw(0x93, 0x00) == "93 00 toolkit busy");
    CHECK(describe_sw(0x6F, 0x00) == "6F 00 technical problem");
    CHECK(describe_sw(0x6A, 0x82) == "6A 82 error");
    CHECK(name_of(Ins::Fetch) == "FETCH");
    CHECK(name_of(Ins::Envelope) == "ENVELOPE");
    for (int k = 0; k <= static_cast<int>(SwKind::Error); ++k) {
        CHECK_FALSE(name_of(static_cast<SwKind>(k)).empty());
    }
}

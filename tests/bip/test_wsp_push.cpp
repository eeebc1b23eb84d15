// tests/bip/test_wsp_push.cpp — the connectionless WSP Push PDU around a DM notification,
// byte for byte (WAP-230-WSP 8.2.4.1; WINA content type and application id codes).
#include <doctest/doctest.h>

#include "bip/wsp_push.hpp"
#include "cat/bytes.hpp"

using namespace dmsc;
using namespace dmsc::bip;

namespace {

// A DM 1.2 notification as the simulated card sends it (digest zeros, version 12, UI mode 0,
// initiator 1, session 1, server id "DMSC-Server").
cat::Bytes dm12() {
    cat::Bytes b(16, 0x00);
    const cat::Bytes header = {0x03, 0x08, 0x00, 0x00,
                               0x00, 0x00, 0x01, 0x0B};  // ... session 1, id length 11
    b.insert(b.end(), header.begin(), header.end());
    for (char c : std::string("DMSC-Server")) b.push_back(static_cast<std::uint8_t>(c));
    return b;
}

}  // namespace

TEST_CASE("WSP push: DM 1.2 notification → TID, 06 Push, HeadersLen 03, C4 (0x44), AF 87, body") {
    const auto body = dm12();
    const auto pdu = wsp_push_notification(0x2A, body);
    CHECK(cat::to_hex(cat::ByteView(pdu).first(7)) == "2A0603C4AF8700");
    CHECK(cat::Bytes(pdu.begin() + 6, pdu.end()) == body);
    CHECK(pdu.size() == body.size() + 6);
}

TEST_CASE("WSP push: DM 2.0 Package#0 gets content type 0x58 (seed 004 Appendix E.1)") {
    // VER 2, OC 1; option 1 SERVER-ID "ab" (delta 1, length 2).
    const cat::Bytes body = {0x20, 0x80, 0x10, 0x02, 'a', 'b'};
    CHECK(notification_content_type(body) == 0x58);
    CHECK(cat::to_hex(wsp_push_notification(0x01, body)) == "010603D8AF87208010026162");
    // One byte short or one too many: not a DM 2.0 Package#0.
    CHECK(notification_content_type(cat::ByteView(body).first(5)) == 0x44);
    cat::Bytes longer = body;
    longer.push_back(0);
    CHECK(notification_content_type(longer) == 0x44);
    // VER 2 with no options is a complete (empty) Package#0.
    CHECK(notification_content_type(cat::Bytes{0x20, 0x00}) == 0x58);
    CHECK(notification_content_type(cat::Bytes{}) == 0x44);
    CHECK(notification_content_type(dm12()) == 0x44);
}

TEST_CASE("WSP push: explicit content type and application id, empty body") {
    CHECK(cat::to_hex(wsp_push_pdu(0x00, 0x44, 0x07, {})) == "000603C4AF87");
    CHECK(cat::to_hex(wsp_push_pdu(0xFF, 0x58, 0x07, cat::Bytes{0x01})) == "FF0603D8AF8701");
}

TEST_CASE("WSP uintvar (8.1.2)") {
    CHECK(cat::to_hex(encode_uintvar(0)) == "00");
    CHECK(cat::to_hex(encode_uintvar(0x7F)) == "7F");
    CHECK(cat::to_hex(encode_uintvar(0x80)) == "8100");
    CHECK(cat::to_hex(encode_uintvar(0x3FFF)) == "FF7F");
    CHECK(cat::to_hex(encode_uintvar(0x4000)) == "818000");
}

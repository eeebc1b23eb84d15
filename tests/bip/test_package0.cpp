// tests/bip/test_package0.cpp — bip::decode_package0 on bytes written out by hand from the field
// tables (DM Notification 1.2 trigger layout; seed 004 7.1.1 header and options; WAP-230 push),
// malformed input with the offset and field each error must name, truncation sweeps.
#include <doctest/doctest.h>

#include <string>

#include "bip/package0.hpp"
#include "bip/wsp_push.hpp"
#include "cat/bytes.hpp"

using namespace dmsc;
using namespace dmsc::bip;

namespace {

cat::Bytes hex(const std::string& h) {
    cat::Bytes b;
    REQUIRE(cat::from_hex(h, b));
    return b;
}

cat::Bytes text(const std::string& s) {
    return cat::Bytes(s.begin(), s.end());
}

cat::Bytes cat_bytes(std::initializer_list<cat::Bytes> parts) {
    cat::Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// DM 1.2: 16 digest bytes 'AB', then version 12 (0b0000001100), ui-mode 2, initiator 1, future 0:
// 0000 0011 | 00 10 1 000 | 00 | 00 | 00 = '03 28 00 00 00'; session id '1234'; length 4 "SRV1";
// vendor '01 02'.
const std::string kDm12Hex = std::string("ABABABABABABABABABABABABABABABAB") +
                             "0328000000"
                             "1234"
                             "04"
                             "53525631"
                             "0102";

// DM 2.0: VER 2, OC 6 → '0010 0011 0 0000000' = '23 00'; then, each delta 1:
// SERVER-ID "dms1" (10 04), PREFERRED-CON-TYPE CELLULAR, ANY_AVAILABLE (10 02 01 00),
// NOTIFICATION-ID 0x0102 (10 02 01 02), SHA256-DIGEST 32 x '5A' (10 20 ...), TIMESTAMP
// 0x655F0000 (10 04 ...), REQ-MOS (10 00).
const std::string kDm20Hex = std::string("2300") +
                             "1004"
                             "646D7331" +
                             "1002"
                             "0100" +
                             "1002"
                             "0102" +
                             "1020" +
                             std::string("5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A") +
                             "1004"
                             "655F0000" +
                             "1000";

}  // namespace

TEST_CASE("DM 1.2 notification: every trigger field at its byte position") {
    const auto bytes = hex(kDm12Hex);
    auto p = decode_package0(bytes);
    REQUIRE_MESSAGE(p.ok(), p.error().describe());
    REQUIRE(p->kind() == Package0Kind::Dm12);
    const auto& d = *p->dm12();
    CHECK(d.digest == cat::Bytes(16, 0xAB));
    CHECK(d.version == 12);
    CHECK(d.ui_mode == 2);
    CHECK(d.initiator == 1);
    CHECK(d.future_use == 0);
    CHECK(d.session_id == 0x1234);
    CHECK(d.server_id == "SRV1");
    CHECK(d.vendor == hex("0102"));
    CHECK(p->notes.empty());
    CHECK_FALSE(p->push);
    CHECK(p->server_id() == "SRV1");
    CHECK(cat::to_hex(dm12_trigger(*p)) == "0328000000123404535256310102");
    CHECK(summary(*p) ==
          "DM 1.2 notification: server \"SRV1\", session id 4660, ui-mode 2 (informative), server initiated, "
          "version 12, 2 vendor bytes");
}

TEST_CASE("DM 1.2 version 11 (the 1.2.1 text, libdmclient) and the ui-mode values") {
    // version 11 = 0b0000001011: byte 16 = 0000 0010, byte 17 = 11 uu i 000.
    for (unsigned ui = 0; ui < 4; ++ui) {
        std::string h = std::string(32, '0');
        h += "02" + cat::to_hex(cat::Bytes{static_cast<std::uint8_t>(0xC0 | (ui << 4))}) + "000000";
        h += "0001"
             "01"
             "58";
        auto p = decode_package0(hex(h));
        REQUIRE_MESSAGE(p.ok(), p.error().describe());
        CHECK(p->dm12()->version == 11);
        CHECK(p->dm12()->ui_mode == ui);
        CHECK(p->dm12()->initiator == 0);
        CHECK(p->dm12()->server_id == "X");
        CHECK(p->notes.size() == 1);  // user initiated
    }
    CHECK(ui_mode_name(0) == "not specified");
    CHECK(ui_mode_name(1) == "background");
    CHECK(ui_mode_name(3) == "user interaction");
}

TEST_CASE("DM 2.0 Package#0: header and the six standard options") {
    const auto bytes = hex(kDm20Hex);
    auto p = decode_package0(bytes);
    REQUIRE_MESSAGE(p.ok(), p.error().describe());
    REQUIRE(p->kind() == Package0Kind::Dm20);
    const auto& n = *p->dm20();
    CHECK(n.version == 2);
    CHECK(n.option_count == 6);
    CHECK(n.server_id == "dms1");
    CHECK(n.preferred_con_types == std::vector<std::uint8_t>{0x01, 0x00});
    CHECK(n.notification_id == 0x0102u);
    REQUIRE(n.sha256_digest);
    CHECK(*n.sha256_digest == cat::Bytes(32, 0x5A));
    CHECK(n.digest_value_offset == 2 + 6 + 4 + 4 + 2);
    CHECK(n.timestamp == hex("655F0000"));
    CHECK(n.req_mos);
    CHECK(n.unknown.empty());
    CHECK(p->notes.empty());
    // Seed 004 5.2.1.2 step 1: the digest input is the notification with a zero digest.
    const auto zero = dm20_zero_digest_message(*p);
    REQUIRE(zero.size() == bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const bool in_digest = i >= 18 && i < 50;
        CHECK(zero[i] == (in_digest ? 0 : bytes[i]));
    }
    CHECK(summary(*p) ==
          "DM 2.0 Package#0: server \"dms1\", notification id 258, con types CELLULAR,ANY_AVAILABLE, SHA256 "
          "digest, "
          "timestamp 1700724736 (655F0000), REQ-MOS");
}

TEST_CASE("DM 2.0: option deltas skip absent options; no options at all") {
    // OC 2: SERVER-ID "a" (delta 1), NOTIFICATION-ID (delta 2) '0007'.
    auto p =
        decode_package0(hex("2100"
                            "100161"
                            "20020007"));
    REQUIRE_MESSAGE(p.ok(), p.error().describe());
    CHECK(p->dm20()->server_id == "a");
    CHECK(p->dm20()->notification_id == 7u);
    CHECK_FALSE(p->dm20()->sha256_digest);
    CHECK(dm20_zero_digest_message(*p).empty());
    auto empty = decode_package0(hex("2000"));
    REQUIRE(empty.ok());
    CHECK(empty->dm20()->option_count == 0);
    CHECK_FALSE(empty->server_id());
}

TEST_CASE("DM 2.0: oddities are notes, not errors") {
    // Reserved bits set, 1-byte NOTIFICATION-ID, unknown con type '07', ANY_AVAILABLE first,
    // unknown option 9 (delta 6 after 3).
    auto p =
        decode_package0(hex("2181"
                            "2003"
                            "000107"
                            "100109"
                            "6002BEEF"));
    REQUIRE_MESSAGE(p.ok(), p.error().describe());
    CHECK(p->dm20()->notification_id == 9u);
    REQUIRE(p->dm20()->unknown.size() == 1);
    CHECK(p->dm20()->unknown[0].number == 9);
    CHECK(p->dm20()->unknown[0].value == hex("BEEF"));
    CHECK(p->notes.size() == 5);
}

TEST_CASE("WSP connectionless push around a DM notification is unwrapped") {
    SUBCASE("short-integer content type 0x44 and X-Wap-Application-Id 0x07") {
        auto bytes = cat_bytes({hex("01"
                                    "06"
                                    "03"
                                    "C4"
                                    "AF87"),
                                hex(kDm20Hex)});
        auto p = decode_package0(bytes);
        REQUIRE_MESSAGE(p.ok(), p.error().describe());
        REQUIRE(p->push);
        CHECK(p->push->tid == 0x01);
        CHECK(p->push->content_type_code == 0x44);
        CHECK(p->push->content_type == "application/vnd.syncml.notification");
        CHECK(p->push->application_id == 7u);
        CHECK(p->offset == 6);
        CHECK(p->notification == hex(kDm20Hex));
        CHECK(p->kind() == Package0Kind::Dm20);
        // The digest offset is within the notification, not the push.
        CHECK(p->dm20()->digest_value_offset == 18);
    }
    SUBCASE("seed 004 E.1 content type 0x58 around a DM 1.2 notification") {
        auto bytes = cat_bytes({hex("2A"
                                    "06"
                                    "03"
                                    "D8"
                                    "AF87"),
                                hex(kDm12Hex)});
        auto p = decode_package0(bytes);
        REQUIRE_MESSAGE(p.ok(), p.error().describe());
        CHECK(p->push->content_type == "application/vnd.syncml.dm.notification");
        CHECK(p->dm12()->server_id == "SRV1");
        CHECK(cat::to_hex(dm12_trigger(*p)) == "0328000000123404535256310102");
    }
    SUBCASE("text content type, text application id, general-form content type") {
        const std::string ct = "application/vnd.syncml.notification";
        const std::string app = "x-wap-application:syncml.dm";
        cat::Bytes headers = cat_bytes({text(ct), {0x00}, {0xAF}, text(app), {0x00}});
        cat::Bytes bytes =
            cat_bytes({{0x00, 0x06, static_cast<std::uint8_t>(headers.size())}, headers, hex(kDm12Hex)});
        auto p = decode_package0(bytes);
        REQUIRE_MESSAGE(p.ok(), p.error().describe());
        CHECK(p->push->content_type == ct);
        CHECK(p->push->application_uri == app);
        // Value-length form: length 2, media 0xC4, a parameter byte ignored.
        auto g = decode_wsp_push(cat_bytes({hex("000603"
                                                "02C481"),
                                            hex(kDm12Hex)}));
        REQUIRE(g.ok());
        CHECK(g->content_type_code == 0x44);
        CHECK(g->body_offset == 6);
    }
    SUBCASE("a push of another content type is not unwrapped and the error says so") {
        auto p = decode_package0(cat_bytes({hex("0006"
                                                "01"
                                                "AE"),
                                            hex("0000")}));
        REQUIRE_FALSE(p.ok());
        CHECK(p.error().message.find("a WSP push of content type code 0x2E, not a DM notification") !=
              std::string::npos);
    }
}

TEST_CASE("WSP push errors name the byte") {
    CHECK(decode_wsp_push(hex("0007C4")).error().describe() ==
          "offset 1: PDU type '07', a connectionless push is '06'");
    CHECK(decode_wsp_push(hex("000605C4")).error().describe() ==
          "offset 2: HeadersLen 5 but only 1 bytes follow");
    CHECK(decode_wsp_push(hex("00068080808080")).error().describe() ==
          "offset 2: HeadersLen: uintvar longer than 5 octets");
    CHECK(decode_wsp_push(hex("0006036162")).error().describe() ==
          "offset 2: HeadersLen 3 but only 2 bytes follow");
    CHECK(decode_wsp_push(hex("0006026162")).error().describe() ==
          "offset 3: content type: text string without its terminating NUL");
    CHECK(decode_wsp_push(hex("000602C4AF")).error().describe() ==
          "offset 5: X-Wap-Application-Id: value missing");
}

TEST_CASE("DM 1.2 errors name the byte and the field") {
    CHECK(decode_dm12(hex("00")).error().describe() ==
          "offset 1: 1 bytes: a DM 1.2 notification has at least 24 (digest 16, trigger header 8)");
    // Version 5: '01 40 ...'.
    auto v = decode_dm12(hex(std::string(32, '0') + "0140000000"
                                                    "0001"
                                                    "01"
                                                    "58"));
    CHECK(
        v.error().describe() ==
        "offset 16: trigger header: version field 5 (bytes 16-17 '0140'), a DM 1.x notification says 11..19 "
        "(12 = 1.2)");
    auto len = decode_dm12(hex(std::string(32, '0') + "0300000000"
                                                      "0001"
                                                      "05"
                                                      "5858"));
    CHECK(len.error().describe() == "offset 23: server identifier length 5 but only 2 bytes follow");
    auto zero = decode_dm12(hex(std::string(32, '0') + "0300000000"
                                                       "0001"
                                                       "00"));
    CHECK(zero.error().describe() ==
          "offset 23: server identifier length 0: the notification names no DM server");
    // Offsets count from the start of the delivered bytes when a push was unwrapped.
    auto in_push = decode_package0(cat_bytes({hex("0006"
                                                  "01"
                                                  "C4"),
                                              hex(std::string(32, '0') + "0300000000"
                                                                         "0001"
                                                                         "09")}));
    REQUIRE_FALSE(in_push.ok());
    CHECK(in_push.error().offset == 4 + 23);
    CHECK(in_push.error().message.find("in a WSP push") != std::string::npos);
}

TEST_CASE("DM 2.0 errors name the byte and the option") {
    CHECK(decode_dm20(hex("30")).error().describe() ==
          "offset 1: 1 bytes: a DM 2.0 Package#0 header is 2 bytes (VER, OC)");
    CHECK(decode_dm20(hex("3000")).error().describe() ==
          "offset 0: header: VER 3, a DM 2.0 Package#0 says 2");
    CHECK(decode_dm20(hex("2080"
                          "10"))
              .error()
              .describe() == "offset 2: option 1 of 1: 1 bytes left, an option header is 2 (delta, length)");
    CHECK(decode_dm20(hex("2080"
                          "100561"))
              .error()
              .describe() == "offset 2: option 1 (SERVER-ID): length 5 but only 1 bytes left");
    CHECK(decode_dm20(hex("2100"
                          "100161"
                          "1002FF"))
              .error()
              .describe() == "offset 5: option 2 (PREFERRED-CON-TYPE): length 2 but only 1 bytes left");
    CHECK(decode_dm20(hex("2100"
                          "100161"
                          "0001FF"))
              .error()
              .describe() ==
          "offset 5: option 2 of 2: option delta 0 repeats option 1 (each occurs at most once)");
    CHECK(decode_dm20(hex("2080"
                          "0000"))
              .error()
              .describe() == "offset 2: option 1 of 1: option delta 0 (number 0 is no option)");
    CHECK(decode_dm20(hex("2080"
                          "40035A5A5A"))
              .error()
              .describe() == "offset 2: option 4 (SHA256-DIGEST): length 3, must be 32");
    CHECK(decode_dm20(hex("2080"
                          "600101"))
              .error()
              .describe() == "offset 2: option 6 (REQ-MOS): length 1, a Null option has none");
    CHECK(decode_dm20(hex("2080"
                          "3000"))
              .error()
              .describe() == "offset 2: option 3 (NOTIFICATION-ID): length 0, a Uint of 2 bytes");
    CHECK(decode_dm20(hex("2080"
                          "100361C328"))
              .error()
              .describe() ==
          "offset 6: option 1 (SERVER-ID): not UTF-8 at byte 2 of the value (a String option, RFC 3629)");
    CHECK(decode_dm20(hex("2080"
                          "100161"
                          "FFFF"))
              .error()
              .describe() == "offset 5: 2 bytes after the 1 options the header (OC) announces");
    // Overlong '/' (C0 AF) and a surrogate (ED A0 80) are not UTF-8 either.
    CHECK_FALSE(decode_dm20(hex("2080"
                                "1002C0AF"))
                    .ok());
    CHECK_FALSE(decode_dm20(hex("2080"
                                "1003EDA080"))
                    .ok());
    CHECK(decode_dm20(hex("2080"
                          "1004F09F9880"))
              .ok());
}

TEST_CASE("decode_package0 reports both attempts, at the offset of the one that got furthest") {
    auto e =
        decode_package0(hex("2080"
                            "1005"));
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().describe() ==
          "offset 4: not a DM 2.0 Package#0 (offset 2: option 1 (SERVER-ID): length 5 but only 0 bytes left) "
          "nor a "
          "DM 1.2 notification (offset 4: 4 bytes: a DM 1.2 notification has at least 24 (digest 16, trigger "
          "header 8))");
    auto one = decode_package0(hex("0102"));
    REQUIRE_FALSE(one.ok());
    CHECK(one.error().message.find("nor a DM 2.0 Package#0 (VER nibble 0 is not 2)") != std::string::npos);
    CHECK(decode_package0({}).error().describe() == "offset 0: no bytes");
}

TEST_CASE("every truncation of a valid Package#0 fails cleanly at or before its end") {
    for (const auto& h : {kDm12Hex, kDm20Hex}) {
        const auto full = hex(h);
        for (std::size_t n = 0; n < full.size(); ++n) {
            cat::ByteView prefix(full.data(), n);
            auto d20 = decode_dm20(prefix);
            auto d12 = decode_dm12(prefix);
            if (h == kDm20Hex) {
                CHECK_FALSE(d20.ok());
                if (!d20.ok()) CHECK(d20.error().offset <= n);
            } else if (n < 24) {
                // The server identifier ends at 28; shorter prefixes that cut it are errors.
                CHECK_FALSE(d12.ok());
            } else if (n < 28) {
                CHECK_FALSE(d12.ok());
                CHECK(d12.error().offset == 23);
            } else {
                CHECK(d12.ok());  // only vendor bytes are cut
            }
        }
    }
}

TEST_CASE("to_text lists every field") {
    auto p = decode_package0(cat_bytes({hex("01"
                                            "06"
                                            "03"
                                            "C4"
                                            "AF87"),
                                        hex(kDm20Hex)}));
    REQUIRE(p.ok());
    const auto t = to_text(*p);
    for (const char* want : {"DM 2.0 Package#0\n", "WSP push", "SERVER-ID", "\"dms1\"", "PREFERRED-CON-TYPE",
                             "CELLULAR,ANY_AVAILABLE", "NOTIFICATION-ID     258", "SHA256-DIGEST",
                             "TIMESTAMP", "REQ-MOS", "application id      7"}) {
        CHECK_MESSAGE(t.find(want) != std::string::npos, want);
    }
    auto q = decode_package0(hex(kDm12Hex));
    REQUIRE(q.ok());
    const auto t12 = to_text(*q);
    for (const char* want :
         {"DM 1.2 notification\n", "digest", "version             12", "ui-mode             2 (informative)",
          "session id          4660", "server id           \"SRV1\"", "vendor data         0102"}) {
        CHECK_MESSAGE(t12.find(want) != std::string::npos, want);
    }
}

TEST_CASE("what the daemon's wap-push+udp delivery sends (bip/wsp_push) unwraps to the same notification") {
    for (const auto& h : {kDm12Hex, kDm20Hex}) {
        const auto body = hex(h);
        const auto pdu = wsp_push_notification(0x2A, body);
        auto p = decode_package0(pdu);
        REQUIRE_MESSAGE(p.ok(), p.error().describe());
        REQUIRE(p->push);
        CHECK(p->push->tid == 0x2A);
        CHECK(p->push->application_id == 7u);
        CHECK(p->notification == body);
        CHECK(p->push->content_type_code == (h == kDm20Hex ? 0x58 : 0x44));
        CHECK(p->kind() == (h == kDm20Hex ? Package0Kind::Dm20 : Package0Kind::Dm12));
    }
}

TEST_CASE(
    "Bounded input: a 62 KB DM 2.0 Package#0 of 31 unknown options: kept once, nothing beyond the input") {
    // OC is 5 bits (at most 31 options), each option's length 12 bits: the inspection keeps at
    // most 31 options whose values together are never more than the delivered bytes.
    cat::Bytes b{0x2F, 0x80};  // VER 2, OC 31
    for (int i = 0; i < 31; ++i) {
        const std::uint16_t delta = i == 0 ? 7 : 1;  // options 7..37: none of the six standard
        const std::uint16_t length = 2000;
        b.push_back(static_cast<std::uint8_t>((delta << 4) | (length >> 8)));
        b.push_back(static_cast<std::uint8_t>(length & 0xFF));
        b.insert(b.end(), length, static_cast<std::uint8_t>(i));
    }
    auto p = decode_package0(b);
    REQUIRE_MESSAGE(p.ok(), p.error().describe());
    REQUIRE(p->kind() == Package0Kind::Dm20);
    const auto& n = std::get<Dm20Notification>(p->body);
    CHECK(n.unknown.size() == 31);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n.unknown.size(); ++i) kept += n.unknown[i].value.size();
    CHECK(kept <= b.size());
    CHECK(p->notification.size() == b.size());
    CHECK(p->notes.size() <= 32);
    // Announcing more than the bytes hold is an error naming the option, not a larger buffer.
    cat::Bytes cut(b.begin(), b.begin() + 3000);
    CHECK_FALSE(decode_package0(cut).ok());
}

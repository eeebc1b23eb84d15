// tests/gateway/test_iccd_proto.cpp — CCID bulk / ICCD control messages and interface
// discovery (gateway/iccd_proto.hpp) against byte vectors written from the CCID 1.1 and ICCD
// 1.0 message layouts.
#include <doctest/doctest.h>

#include "gateway/iccd_proto.hpp"

using namespace dmsc::gateway::iccd;

namespace {
Bytes b(std::initializer_list<int> v) {
    Bytes out;
    for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
    return out;
}
}  // namespace

TEST_CASE("ICCD: CCID bulk commands") {
    CHECK(ccid_power_on(0, 7) == b({0x62, 0, 0, 0, 0, 0, 7, 0, 0, 0}));
    CHECK(ccid_power_on(1, 2, Voltage::V1_8) == b({0x62, 0, 0, 0, 0, 1, 2, 3, 0, 0}));
    CHECK(ccid_power_off(0, 9) == b({0x63, 0, 0, 0, 0, 0, 9, 0, 0, 0}));
    CHECK(ccid_get_slot_status(0, 0xFF) == b({0x65, 0, 0, 0, 0, 0, 0xFF, 0, 0, 0}));
    const Bytes apdu = b({0x80, 0xF2, 0x00, 0x00, 0x00});
    CHECK(ccid_xfr_block(0, 3, apdu) == b({0x6F, 5, 0, 0, 0, 0, 3, 0, 0, 0, 0x80, 0xF2, 0x00, 0x00, 0x00}));
    Bytes big(300, 0xAB);
    const Bytes x = ccid_xfr_block(0, 4, big, 0x05, 0x0102);
    CHECK(x.size() == 310);
    CHECK(Bytes(x.begin(), x.begin() + 10) == b({0x6F, 0x2C, 0x01, 0, 0, 0, 4, 0x05, 0x02, 0x01}));
}

TEST_CASE("ICCD: CCID replies: data block, slot status, lengths, errors") {
    std::string why;
    const Bytes atr_reply = b({0x80, 3, 0, 0, 0, 0, 7, 0x00, 0x00, 0x00, 0x3B, 0x02, 0x14});
    CHECK(ccid_message_length(atr_reply) == 13);
    CHECK(ccid_message_length(b({0x80, 3, 0})) == 0);
    auto r = parse_ccid_reply(atr_reply, why);
    REQUIRE(r);
    CHECK(r->type == 0x80);
    CHECK(r->seq == 7);
    CHECK(r->data == b({0x3B, 0x02, 0x14}));
    CHECK(r->icc() == IccStatus::Active);
    CHECK(ccid_step(*r, kRdrToPcDataBlock, 0, 7).kind == CcidStep::Done);
    CHECK(ccid_step(*r, kRdrToPcDataBlock, 0, 8).why == "reply for slot 0 seq 7, expected slot 0 seq 8");
    CHECK(ccid_step(*r, kRdrToPcSlotStatus, 0, 7).why == "reply type 80, expected 81");

    // time extension: bmCommandStatus 2, bError = multiplier
    r = parse_ccid_reply(b({0x80, 0, 0, 0, 0, 0, 8, 0x80, 0x01, 0x00}), why);
    REQUIRE(r);
    CHECK(r->command() == CommandStatus::TimeExtension);
    CHECK(ccid_step(*r, kRdrToPcDataBlock, 0, 8).kind == CcidStep::Wait);

    // failed, card absent (bmICCStatus 2, ICC_MUTE)
    r = parse_ccid_reply(b({0x80, 0, 0, 0, 0, 0, 9, 0x42, 0xFE, 0x00}), why);
    REQUIRE(r);
    const auto absent = ccid_step(*r, kRdrToPcDataBlock, 0, 9);
    CHECK(absent.kind == CcidStep::CardAbsent);
    CHECK(absent.why == "no card in the slot (ICC_MUTE (FE))");
    // failed with a parity error
    r = parse_ccid_reply(b({0x80, 0, 0, 0, 0, 0, 10, 0x40, 0xFD, 0x00}), why);
    REQUIRE(r);
    CHECK(ccid_step(*r, kRdrToPcDataBlock, 0, 10).why == "command failed: XFR_PARITY_ERROR (FD)");

    CHECK_FALSE(parse_ccid_reply(b({0x80, 0, 0}), why));
    CHECK(why == "CCID reply of 3 bytes is shorter than the 10-byte header");
    CHECK_FALSE(parse_ccid_reply(b({0x80, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0x90}), why));
    CHECK(why == "CCID reply dwLength 2 but 1 data bytes arrived");
    CHECK_FALSE(parse_ccid_reply(b({0x80, 0, 0, 1, 0, 0, 1, 0, 0, 0}), why, 1000));
    CHECK(why == "CCID reply dwLength 65536 is larger than 1000");
    CHECK(ccid_error_name(0x42) == "error 0x42");
}

TEST_CASE("ICCD: version A and B control requests") {
    auto on_a = iccd_power_on(IccdVersion::A, 2);
    CHECK(on_a.request_type == 0xA1);
    CHECK(on_a.request == 0x62);
    CHECK(on_a.index == 2);
    CHECK(on_a.length == 33);
    auto on_b = iccd_power_on(IccdVersion::B, 0);
    CHECK(on_b.request_type == 0x21);
    CHECK(on_b.value == 1);
    CHECK(iccd_power_off(0).request == 0x63);
    const auto x = iccd_xfr_block(1, b({0x00, 0xA4, 0x00, 0x04}));
    CHECK(x.request_type == 0x21);
    CHECK(x.request == 0x65);
    CHECK(x.length == 4);
    CHECK(x.data == b({0x00, 0xA4, 0x00, 0x04}));
    CHECK(iccd_data_block(1, 261).request == 0x6F);
    CHECK(iccd_data_block(1, 261).request_type == 0xA1);
    CHECK(iccd_status(IccdVersion::A, 0).request == 0xA0);
    CHECK(iccd_status(IccdVersion::B, 0).request == 0x81);

    CHECK(parse_iccd_a_status(0x00) == IccdAStatus::Ready);
    CHECK(parse_iccd_a_status(0x40) == IccdAStatus::Busy);
    CHECK(parse_iccd_a_status(0x80) == IccdAStatus::Absent);
}

TEST_CASE("ICCD: version B DATA_BLOCK response types") {
    std::string why;
    auto d = parse_data_block_b(b({0x00, 0x90, 0x00}), why);
    REQUIRE(d);
    CHECK(d->kind == DataBlockB::Complete);
    CHECK(d->data == b({0x90, 0x00}));
    d = parse_data_block_b(b({0x80, 0x0A, 0x01}), why);  // polling, 0x010A * 10 ms
    REQUIRE(d);
    CHECK(d->kind == DataBlockB::Polling);
    CHECK(d->delay_10ms == 0x010A);
    d = parse_data_block_b(b({0x40, 0x41, 0xFE}), why);
    REQUIRE(d);
    CHECK(d->kind == DataBlockB::Status);
    CHECK(d->error == 0xFE);
    d = parse_data_block_b(b({0x01, 1, 2}), why);
    REQUIRE(d);
    CHECK(d->kind == DataBlockB::Begins);
    CHECK_FALSE(parse_data_block_b(b({0x80, 0x01}), why));
    CHECK(why == "DATA_BLOCK bResponseType 80 needs 3 bytes, got 2");
    CHECK_FALSE(parse_data_block_b(b({0x55}), why));
    CHECK(why == "DATA_BLOCK bResponseType 55 is not defined");
    CHECK_FALSE(parse_data_block_b({}, why));
    auto s = parse_iccd_b_slot_status(b({0x81, 0x01, 0x00}), why);
    REQUIRE(s);
    CHECK(*s == IccStatus::Inactive);
}

TEST_CASE("ICCD: interface discovery on a composite USB UICC") {
    // mass storage, CDC EEM (02/0C/07, bulk 0x83/0x04), smart card ICCD B (control + interrupt)
    std::vector<InterfaceInfo> ifs = {
        {0, 0, 0x08, 0x06, 0x50, {{0x81, 2, 64}, {0x02, 2, 64}}},
        {1, 0, 0x02, 0x0C, 0x07, {{0x83, 2, 64}, {0x04, 2, 64}}},
        {2, 0, 0x0B, 0x00, 0x02, {{0x85, 3, 8}}},
    };
    std::string why;
    auto c = find_card_interface(ifs, why);
    REQUIRE(c);
    CHECK(c->kind == CardInterfaceKind::IccdB);
    CHECK(c->number == 2);
    CHECK(c->interrupt_in == 0x85);
    auto e = find_eem_interface(ifs);
    REQUIRE(e);
    CHECK(e->number == 1);
    CHECK(e->bulk_in == 0x83);
    CHECK(e->bulk_out == 0x04);

    // CCID bulk without an OUT endpoint is skipped with a reason
    ifs = {{0, 0, 0x0B, 0, 0, {{0x81, 2, 64}}}};
    CHECK_FALSE(find_card_interface(ifs, why));
    CHECK(why == "interface 0 (CCID) lacks a bulk IN/OUT pair");
    ifs = {{0, 0, 0x0B, 0, 0, {{0x81, 2, 64}, {0x01, 2, 64}, {0x82, 3, 8}}}};
    c = find_card_interface(ifs, why);
    REQUIRE(c);
    CHECK(c->kind == CardInterfaceKind::CcidBulk);
    CHECK(c->bulk_out == 0x01);
    CHECK_FALSE(find_card_interface({{0, 0, 0x03, 0, 0, {}}}, why));
    CHECK(why == "no smart card class (0x0B) interface");
    CHECK_FALSE(find_eem_interface({{0, 0, 0x02, 0x0C, 0x07, {{0x83, 2, 64}}}}));
}

TEST_CASE("ICCD: card.usb selectors") {
    std::string why;
    auto s = parse_device_selector("", why);
    REQUIRE(s);
    CHECK(s->kind == DeviceSelector::Any);
    s = parse_device_selector("076b:3821", why);
    REQUIRE(s);
    CHECK(s->kind == DeviceSelector::VidPid);
    CHECK(s->matches(0x076b, 0x3821, 1, 2));
    CHECK_FALSE(s->matches(0x076b, 0x3822, 1, 2));
    s = parse_device_selector("001:004", why);
    REQUIRE(s);
    CHECK(s->kind == DeviceSelector::BusAddress);
    CHECK(s->matches(0, 0, 1, 4));
    CHECK_FALSE(parse_device_selector("1:999", why));
    CHECK_FALSE(parse_device_selector("usb0", why));
    CHECK(why == "\"usb0\" is neither VID:PID (4 hex digits each) nor BUS:ADDR (decimal)");
}

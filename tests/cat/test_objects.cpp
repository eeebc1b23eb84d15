// tests/cat/test_objects.cpp — TS 102 223 clause 8 data objects: decode/encode round trips,
// swapped-nibble BCD, location information, short values and describe_object().
#include <doctest/doctest.h>

#include <random>

#include "cat/bytes.hpp"
#include "cat/objects.hpp"

using namespace dmsc::cat;

namespace {
Bytes hex(const char* s) {
    Bytes b;
    REQUIRE(from_hex(s, b));
    return b;
}

std::string field(const Fields& fs, const std::string& name) {
    for (const auto& f : fs) {
        if (f.name == name) return field_to_string(f.value);
    }
    return "<missing " + name + ">";
}

template <class T>
void check_round_trip(const char* h) {
    const Bytes b = hex(h);
    auto r = T::decode(b, 0);
    REQUIRE_MESSAGE(r.ok(), h);
    CHECK_MESSAGE(to_hex(r->encode()) == to_hex(b), h);
}
}  // namespace

TEST_CASE("8.6/8.7/8.12 command details, device identities and result round trip") {
    check_round_trip<CommandDetails>("014001");
    check_round_trip<DeviceIdentities>("8121");
    check_round_trip<ResultInfo>("3A02");
    check_round_trip<ResultInfo>("00");
    auto cd = CommandDetails::decode(hex("014001"), 0);
    REQUIRE(cd.ok());
    CHECK(cd->number == 1);
    CHECK(cd->type == 0x40);
    CHECK(cd->qualifier == 1);
    CHECK(field(cd->describe(), "command") == std::string(name_of(CommandType::OpenChannel)));
    auto res = ResultInfo::decode(hex("3A10"), 0);
    REQUIRE(res.ok());
    CHECK(res->general == 0x3A);
    CHECK(to_hex(res->additional) == "10");
}

TEST_CASE("too short fixed objects give '32' with the tag and the caller's offset") {
    auto cd = CommandDetails::decode(hex("0140"), 17);
    REQUIRE_FALSE(cd.ok());
    CHECK(cd.error().result == 0x32);
    CHECK(cd.error().offset == 17);
    CHECK(cd.error().tag == 0x01);
    CHECK_FALSE(DeviceIdentities::decode(hex("81"), 0).ok());
    CHECK_FALSE(ResultInfo::decode({}, 0).ok());
    CHECK_FALSE(Duration::decode(hex("01"), 0).ok());
    CHECK_FALSE(TimerValue::decode(hex("0000"), 0).ok());
    CHECK_FALSE(BearerDescription::decode({}, 0).ok());
    CHECK_FALSE(ChannelStatus::decode(hex("81"), 0).ok());
    CHECK_FALSE(TransportLevel::decode(hex("01AD"), 0).ok());
    CHECK_FALSE(LocationInformation::decode(hex("00F11000"), 0).ok());
    CHECK_FALSE(DateTimeTimeZone::decode(hex("421051023040"), 0).ok());
    CHECK_FALSE(RegistryApplicationData::decode(hex("1F9004"), 0).ok());
    auto u8 = decode_u8({}, 0x37, 9);
    REQUIRE_FALSE(u8.ok());
    CHECK(u8.error().tag == 0x37);
    CHECK(u8.error().offset == 9);
    auto u16 = decode_u16(hex("05"), 0x39, 3);
    REQUIRE_FALSE(u16.ok());
    CHECK(u16.error().tag == 0x39);
    CHECK(*decode_u16(hex("0578"), 0x39, 0) == 1400);
}

TEST_CASE("8.8 duration units give milliseconds") {
    CHECK(Duration{0x00, 2}.milliseconds() == 120000);
    CHECK(Duration{0x01, 20}.milliseconds() == 20000);
    CHECK(Duration{0x02, 5}.milliseconds() == 500);
    CHECK(Duration{0x07, 5}.milliseconds() == 0);
    check_round_trip<Duration>("0114");
    CHECK_FALSE(Duration::decode(hex("0314"), 0).ok());  // reserved unit
}

TEST_CASE("8.38 timer value is swapped-nibble BCD") {
    auto t = TimerValue::decode(hex("005000"), 0);
    REQUIRE(t.ok());
    CHECK(t->hours == 0);
    CHECK(t->minutes == 5);
    CHECK(t->seconds == 0);
    CHECK(timer_value_to_string(*t) == "00:05:00");
    auto t2 = TimerValue::decode(hex("329595"), 0);
    REQUIRE(t2.ok());
    CHECK(t2->total_seconds() == 23 * 3600 + 59 * 60 + 59);
    CHECK(to_hex(TimerValue::from_seconds(90).encode()) == "001003");
    CHECK(TimerValue::from_seconds(1000000) == TimerValue{99, 59, 59});
    CHECK_FALSE(TimerValue::decode(hex("0A0000"), 0).ok());  // 'A' is not a digit
    CHECK(field(t->describe(), "timer value") == "00:05:00");
}

TEST_CASE("random swapped BCD timer values and date-times round trip") {
    std::mt19937 rng(1234);
    for (int i = 0; i < 500; ++i) {
        TimerValue t{static_cast<std::uint8_t>(rng() % 100), static_cast<std::uint8_t>(rng() % 60),
                     static_cast<std::uint8_t>(rng() % 60)};
        auto back = TimerValue::decode(t.encode(), 0);
        REQUIRE(back.ok());
        CHECK(*back == t);
        CHECK(TimerValue::from_seconds(t.total_seconds()) == t);

        DateTimeTimeZone d{
            static_cast<std::uint8_t>(rng() % 100),    static_cast<std::uint8_t>(1 + rng() % 12),
            static_cast<std::uint8_t>(1 + rng() % 31), static_cast<std::uint8_t>(rng() % 24),
            static_cast<std::uint8_t>(rng() % 60),     static_cast<std::uint8_t>(rng() % 60),
            static_cast<std::uint8_t>(rng() % 256)};
        auto db = DateTimeTimeZone::decode(d.encode(), 0);
        REQUIRE(db.ok());
        CHECK(*db == d);
    }
}

TEST_CASE("8.39 date-time and time zone") {
    auto d = DateTimeTimeZone::decode(hex("42105102304080"), 0);  // 2024-01-15 20:03:04, +02:00 (8 quarters)
    REQUIRE(d.ok());
    CHECK(d->year == 24);
    CHECK(d->month == 1);
    CHECK(d->day == 15);
    CHECK(d->hour == 20);
    CHECK(d->minute == 3);
    CHECK(d->second == 4);
    CHECK(d->time_zone == 0x80);
    CHECK(field(d->describe(), "date") == "2024-01-15");
    CHECK(field(d->describe(), "time zone quarters") == "8");
    CHECK_FALSE(DateTimeTimeZone::decode(hex("4F105102304080"), 0).ok());
}

TEST_CASE("8.19 location information: MCC/MNC BCD as TS 24.008, LAC, 2 or 4 byte cell id") {
    auto li = LocationInformation::decode(hex("00F110000100AB"), 0);
    REQUIRE(li.ok());
    CHECK(li->mcc == "001");
    CHECK(li->mnc == "01");
    CHECK(li->lac == 1);
    REQUIRE(li->cell_id.has_value());
    CHECK(*li->cell_id == 0xAB);
    CHECK(li->cell_id_size == 2);
    check_round_trip<LocationInformation>("00F110000100AB");
    check_round_trip<LocationInformation>("130062ABCD0F123456");  // MCC 310 MNC 260, E-UTRAN id
    auto eu = LocationInformation::decode(hex("130062ABCD0F123456"), 0);
    REQUIRE(eu.ok());
    CHECK(eu->mcc == "310");
    CHECK(eu->mnc == "260");
    CHECK(eu->lac == 0xABCD);
    CHECK(eu->cell_id_size == 4);
    CHECK(*eu->cell_id == 0x0F123456u);
    auto no_cell = LocationInformation::decode(hex("00F1100001"), 0);
    REQUIRE(no_cell.ok());
    CHECK_FALSE(no_cell->cell_id.has_value());

    std::mt19937 rng(99);
    for (int i = 0; i < 300; ++i) {
        LocationInformation l;
        for (int k = 0; k < 3; ++k) l.mcc.push_back(static_cast<char>('0' + rng() % 10));
        const int mnc_len = 2 + static_cast<int>(rng() % 2);
        for (int k = 0; k < mnc_len; ++k) l.mnc.push_back(static_cast<char>('0' + rng() % 10));
        l.lac = static_cast<std::uint16_t>(rng());
        l.cell_id_size = (rng() % 2) != 0 ? 4 : 2;
        l.cell_id = l.cell_id_size == 4 ? static_cast<std::uint32_t>(rng())
                                        : static_cast<std::uint32_t>(rng() & 0xFFFF);
        auto back = LocationInformation::decode(l.encode(), 0);
        REQUIRE(back.ok());
        CHECK(*back == l);
    }
}

TEST_CASE("8.56 channel status: client and TCP server coding") {
    CHECK(to_hex(ChannelStatus::client(1, true).encode()) == "8100");
    CHECK(to_hex(ChannelStatus::client(2, false, 0x05).encode()) == "0205");
    CHECK(to_hex(ChannelStatus::server(1, TcpState::Listen).encode()) == "4100");
    CHECK(to_hex(ChannelStatus::server(3, TcpState::Established).encode()) == "8300");
    auto s = ChannelStatus::decode(hex("4100"), 0);
    REQUIRE(s.ok());
    CHECK(s->channel_id == 1);
    CHECK(s->tcp_state() == TcpState::Listen);
    CHECK_FALSE(s->link_established());
    check_round_trip<ChannelStatus>("8105");
}

TEST_CASE("8.59 transport level, 8.52 bearer description and 8.58 other address") {
    auto tl = TransportLevel::decode(hex("03AD9C00"), 0);  // extra byte ignored
    REQUIRE(tl.ok());
    CHECK(tl->protocol == 3);
    CHECK(tl->port == 0xAD9C);
    check_round_trip<TransportLevel>("05AD9C");
    check_round_trip<BearerDescription>("02030403041F02");
    check_round_trip<BearerDescription>("03");
    auto bd = BearerDescription::decode(hex("02030403041F02"), 0);
    REQUIRE(bd.ok());
    CHECK(field(bd->describe(), "mean throughput class") == "31");

    auto v4 = OtherAddress::decode(hex("2101010101"), 0);
    REQUIRE(v4.ok());
    CHECK(v4->to_string() == "1.1.1.1");
    auto v6 = OtherAddress::decode(hex("5720010DB8000000000000000000000001"), 0);
    REQUIRE(v6.ok());
    CHECK(v6->to_string() == "2001:db8::1");
    auto v6b = OtherAddress::decode(hex("5700000000000000000000000000000001"), 0);
    CHECK(v6b->to_string() == "::1");
    auto dyn = OtherAddress::decode({}, 0);
    REQUIRE(dyn.ok());
    CHECK_FALSE(dyn->type.has_value());
    CHECK(dyn->encode().empty());
    check_round_trip<OtherAddress>("2101010101");
}

TEST_CASE("8.71 registry application data byte order: port, dcs, type, name") {
    auto r = RegistryApplicationData::decode(hex("1F90040744 4D"), 0);
    REQUIRE(r.ok());
    CHECK(r->port == 8080);
    CHECK(r->dcs == 0x04);
    CHECK(r->application_type == 0x07);
    CHECK(to_hex(r->name) == "444D");
    CHECK(field(r->describe(), "name") == "DM");
    check_round_trip<RegistryApplicationData>("1F900807004400 4D");
}

TEST_CASE("8.15 text string and null text string") {
    auto t = TextString::decode(hex("F4557365724C6F67"), 0);
    REQUIRE(t.ok());
    CHECK(t->text() == std::optional<std::string>("UserLog"));
    auto empty = TextString::decode({}, 0);
    REQUIRE(empty.ok());
    CHECK_FALSE(empty->dcs.has_value());
    auto bad = TextString::decode(hex("2C41"), 5);  // compressed
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().offset == 5);
    CHECK(bad.error().tag == 0x0D);
    check_round_trip<TextString>("0800410042");
}

TEST_CASE("helpers: network access name, BCD digits, IMEI, file list") {
    std::string apn;
    CHECK(decode_network_access_name(hex("065465737447700272 73"), apn));
    CHECK(apn == "TestGp.rs");
    CHECK(to_hex(encode_network_access_name("TestGp.rs")) == "06546573744770027273");
    CHECK_FALSE(decode_network_access_name(hex("0654"), apn));
    CHECK(decode_bcd_digits(hex("1032042143651C2C")) == "012340123456c1c2");
    CHECK(decode_identity_digits(hex("1A32547698103214")) == "123456789012341");
    auto files = decode_file_list(hex("023F002FE23F007F206F07"), 0);
    REQUIRE(files.ok());
    REQUIRE(files->size() == 2);
    CHECK(to_hex((*files)[0]) == "3F002FE2");
    CHECK(to_hex((*files)[1]) == "3F007F206F07");
    CHECK_FALSE(decode_file_list(hex("013F002FE23F007F20"), 0).ok());  // count mismatch
    CHECK_FALSE(decode_file_list(hex("012FE2"), 0).ok());              // no MF
}

TEST_CASE("describe_object covers the gateway's tags and leaves unknown tags empty") {
    CHECK(field(describe_object(0x39, hex("0578")), "buffer size") == "1400");
    CHECK(field(describe_object(0x3C, hex("01AD9C")), "port") == "44444");
    CHECK(field(describe_object(0x3E, hex("2101010101")), "address") == "1.1.1.1");
    CHECK(field(describe_object(0x25, hex("005000")), "timer value") == "00:05:00");
    CHECK(field(describe_object(0x05, hex("4F70656E204944")), "alpha identifier") == "Open ID");
    CHECK(field(describe_object(0x0D, hex("F4557365724C6F67")), "text") == "UserLog");
    CHECK(field(describe_object(0x47, hex("06546573744770027273")), "network access name") == "TestGp.rs");
    CHECK(field(describe_object(0x19, hex("0409")), "event codes") == "0409");
    CHECK(field(describe_object(0x13, hex("00F110000100AB")), "mcc") == "001");
    CHECK(field(describe_object(0x38, hex("8100")), "link established") == "true");
    CHECK(field(describe_object(0x36, hex("0001")), "channel data") == "0001");
    CHECK(field(describe_object(0x37, hex("FF")), "more than 255") == "true");
    CHECK(field(describe_object(0x12, hex("013F002FE2")), "files") == "3F002FE2");
    CHECK(field(describe_object(0x14, hex("1A32547698103214")), "imei") == "123456789012341");
    CHECK(field(describe_object(0x31, hex("687474703A2F2F61")), "url") == "http://a");
    CHECK(field(describe_object(0x70, {}), "last envelope") == "true");
    CHECK(field(describe_object(0x71, hex("1F90040744 4D")), "port") == "8080");
    CHECK(field(describe_object(0x35, hex("03")), "bearer type") == "3");
    CHECK(field(describe_object(0x26, hex("42105102304080")), "time") == "20:03:04");
    CHECK(field(describe_object(0x1B, hex("00")), "location status") == "normal service");
    CHECK(field(describe_object(0x24, hex("01")), "timer id") == "1");
    CHECK(field(describe_object(0x2D, hex("7365")), "language") == "se");
    CHECK(field(describe_object(0x39, hex("05")), "error").find("'39'") != std::string::npos);
    CHECK(describe_object(0x7A + 0x7000, hex("00")).empty());
    CHECK(describe_object(0x5F, hex("00")).empty());

    // No tag/value combination may crash; every known tag describes itself or says "error".
    for (std::uint16_t tag = 0; tag < 0x80; ++tag) {
        for (const char* v : {"", "00", "FF", "3F00", "0102030405060708091011121314151617"}) {
            (void)describe_object(tag, hex(v));
        }
    }
}

// tests/registry/test_commands.cpp — POLL INTERVAL / POLLING OFF and the STATUS cadence, MORE
// TIME, PROVIDE LOCAL INFORMATION and REFRESH, against the conformance vectors where they exist.
#include <doctest/doctest.h>

#include "cat/response.hpp"
#include "registry/local_info.hpp"
#include "registry/polling.hpp"
#include "registry/refresh.hpp"
#include "registry/registry.hpp"
#include "tests/registry/vectors.hpp"

using namespace dmsc;
using namespace dmsc::registry;
using namespace std::chrono_literals;
using registry_test::at;
using registry_test::by_name;
using registry_test::command;
using registry_test::hex_of;

namespace {

std::string hex(const cat::TerminalResponse& tr) {
    return cat::to_hex(cat::encode(tr));
}

cat::CommandDetails pli(std::uint8_t qualifier) {
    return cat::CommandDetails{1, 0x26, qualifier};
}

}  // namespace

TEST_CASE("Poll Interval 1.1.1: the requested 20 s is used and echoed") {
    PollingPolicy p;
    auto cmd = command(hex_of(by_name("/teststk/Poll Interval 1.1.1")));
    auto tr = p.poll_interval(cmd.details, std::get<cat::PollInterval>(cmd.body).interval, at(0ms));
    CHECK(hex(tr) == hex_of(by_name("/teststk/Poll Interval response 1.1.1")));
    CHECK(p.interval() == 20s);
    CHECK(p.next_status_at(at(0ms)) == at(20s));
}

TEST_CASE("Poll Interval 1.1.1A: a terminal with a 1 min minimum answers 1 minute") {
    PollingConfig c;
    c.min_interval = 60s;
    PollingPolicy p(c);
    auto cmd = command(hex_of(by_name("/teststk/Poll Interval 1.1.1")));
    auto tr = p.poll_interval(cmd.details, std::get<cat::PollInterval>(cmd.body).interval, at(0ms));
    CHECK(hex(tr) == hex_of(by_name("/teststk/Poll Interval response 1.1.1A")));
    CHECK(p.interval() == 60s);
}

TEST_CASE("POLL INTERVAL: clamped to the maximum, coded in the largest exact unit") {
    PollingConfig c;
    c.max_interval = 10min;
    PollingPolicy p(c);
    auto tr = p.poll_interval({2, 0x03, 0}, cat::Duration{0x00, 200}, at(0ms));  // 200 minutes asked
    REQUIRE(tr.find(cat::Tag::Duration) != nullptr);
    CHECK(cat::to_hex(tr.find(cat::Tag::Duration)->value) == "000A");
    CHECK(p.interval() == 10min);
    CHECK(duration_of(1500ms) == cat::Duration{0x02, 15});
    CHECK(duration_of(90s) == cat::Duration{0x01, 90});
    CHECK(duration_of(300s) == cat::Duration{0x00, 5});
    CHECK(duration_of(301s) == cat::Duration{0x00, 6});
    // Interval '00' is reserved (8.8).
    CHECK(p.poll_interval({3, 0x03, 0}, cat::Duration{0x01, 0}, at(0ms)).result.general == 0x32);
}

TEST_CASE("Polling cadence: STATUS every interval after the last one; POLLING OFF stops it") {
    PollingPolicy p;  // default 30 s
    p.reset(at(0ms));
    CHECK(p.next_status_at(at(0ms)) == at(30s));
    CHECK_FALSE(p.status_due(at(29'999ms)));
    CHECK(p.status_due(at(30s)));
    p.mark_polled(at(30'100ms));
    CHECK(p.next_status_at(at(30'100ms)) == at(60'100ms));
    auto off = command(hex_of(by_name("/teststk/Polling off 1.1.2")));
    CHECK(hex(p.polling_off(off.details)) == hex_of(by_name("/teststk/Polling off response 1.1.2")));
    CHECK_FALSE(p.next_status_at(at(40s)).has_value());
    CHECK_FALSE(p.status_due(at(1h)));
    // POLL INTERVAL turns it on again.
    p.poll_interval({4, 0x03, 0}, cat::Duration{0x01, 5}, at(50s));
    CHECK(p.next_status_at(at(50s)) == at(55s));
    auto snap = p.snapshot(at(52s));
    CHECK(snap.enabled);
    CHECK(snap.next_status_in == 3s);
    CHECK(snap.statuses == 1);
    p.reset(at(60s));  // card reset: back to the default
    CHECK(p.interval() == 30s);
}

TEST_CASE("More Time 1.1.1: '00'") {
    auto r = Registry::create({});
    REQUIRE(r.ok());
    auto cmd = command(hex_of(by_name("/teststk/More Time 1.1.1")));
    auto out = r->handle(cmd, at(0ms));
    REQUIRE(out.has_value());
    CHECK(hex(*out->response) == hex_of(by_name("/teststk/More Time response 1.1.1")));
}

TEST_CASE("Provide Local Info vectors: location, IMEI, date/time, language, access technology, IMEISV") {
    PlatformInfo info;
    info.imei = "123456789012345";
    info.imeisv = "1234567890123456";
    info.language = "en";
    info.access_technology = 0x03;
    cat::LocationInformation li;
    li.mcc = "001";
    li.mnc = "01";
    li.lac = 1;
    li.cell_id = 1;
    info.location = LocationStatus{ServiceState::Normal, li};
    cat::DateTimeTimeZone now{2, 5, 7, 14, 8, 17, 0xFF};
    auto check = [&](const char* response, std::uint8_t qualifier) {
        CAPTURE(response);
        CHECK(hex(provide_local_information(pli(qualifier), info, now)) == hex_of(by_name(response)));
    };
    check("/teststk/Provide Local Info response 1.1.1A", 0x00);
    check("/teststk/Provide Local Info response 1.2.1", 0x01);
    check("/teststk/Provide Local Info response 1.4.1", 0x03);
    check("/teststk/Provide Local Info response 1.5.1", 0x04);
    check("/teststk/Provide Local Info response 1.7.1", 0x06);
    check("/teststk/Provide Local Info response 1.9.1", 0x08);
    info.access_technology = 0x08;
    check("/teststk/Provide Local Info response 1.14.1", 0x06);
    info.location->location->mnc = "011";
    check("/teststk/Provide Local Info response 1.1.1B", 0x00);
    // 1.17.1: E-UTRAN cell identity, through the injected event as dmsc-ctl would give it.
    auto ev = parse_platform_event(
        "location-status", {{"state", "normal"}, {"mcc", "001"}, {"mnc", "01"}, {"tac", "1"}, {"eci", "1"}});
    REQUIRE(ev.ok());
    apply_event(info, *ev);
    check("/teststk/Provide Local Info response 1.17.1", 0x00);
}

TEST_CASE("PROVIDE LOCAL INFORMATION: not available gives '20' with a cause, not implemented '30'") {
    PlatformInfo info;
    auto general = [&](std::uint8_t q) {
        return provide_local_information(pli(q), info, std::nullopt).result;
    };
    CHECK(general(0x00) == cat::ResultInfo{0x20, {0x04}});  // no location: no service (8.12.2)
    info.location = LocationStatus{ServiceState::Limited, std::nullopt};
    CHECK(general(0x00) == cat::ResultInfo{0x20, {0x04}});
    CHECK(general(0x01).general == 0x30);                   // no IMEI on this device
    CHECK(general(0x03) == cat::ResultInfo{0x20, {0x00}});  // no date/time passed in
    CHECK(general(0x04) == cat::ResultInfo{0x20, {0x00}});
    CHECK(general(0x06) == cat::ResultInfo{0x20, {0x04}});
    CHECK(general(0x02).general == 0x30);  // NMR
    CHECK(general(0x05).general == 0x30);  // timing advance
    CHECK(general(0x07).general == 0x30);  // ESN
    CHECK(general(0x0A).general == 0x30);  // no battery
    info.battery_state = 0x04;
    CHECK(hex(provide_local_information(pli(0x0A), info, std::nullopt)) ==
          hex_of(by_name("/teststk/Provide Local Info response 1.11.1")));
    info.search_mode = 0x01;
    CHECK(hex(provide_local_information(pli(0x09), info, std::nullopt)) == "810301260982028281830100E50101");
    CHECK(encode_imei("12345").error() ==
          "imei: \"12345\" is not 15 decimal digits (14 digits + check digit)");
    CHECK_FALSE(encode_imeisv("12345678901234x6").ok());
}

TEST_CASE("Refresh vectors: file change and NAA modes answer '00'; UICC reset answers nothing and resets") {
    struct Row {
        const char* response;
        std::uint8_t qualifier;
        RefreshAction action;
    };
    for (const Row& r : {Row{"/teststk/Refresh response 1.1.1A", 3, RefreshAction::Reinitialise},
                         Row{"/teststk/Refresh response 1.2.1A", 1, RefreshAction::None},
                         Row{"/teststk/Refresh response 1.3.1A", 2, RefreshAction::Reinitialise},
                         Row{"/teststk/Refresh response 1.4.1A", 0, RefreshAction::Reinitialise},
                         Row{"/teststk/Refresh response 1.7.1", 5, RefreshAction::Reinitialise}}) {
        CAPTURE(r.response);
        auto d = decide_refresh(cat::CommandDetails{1, 0x01, r.qualifier});
        REQUIRE(d.response.has_value());
        CHECK(hex(*d.response) == hex_of(by_name(r.response)));
        CHECK(d.action == r.action);
    }
    auto cmd = command(hex_of(by_name("/teststk/Refresh 1.5.1")));  // qualifier 04 UICC reset
    auto reset = decide_refresh(cmd.details);
    CHECK_FALSE(reset.response.has_value());
    CHECK(reset.action == RefreshAction::ResetCard);
    auto fcn = command(hex_of(by_name("/teststk/Refresh 1.2.1")));
    CHECK(decide_refresh(fcn.details).response->result.general == 0x00);
    CHECK(decide_refresh({1, 0x01, 0x06}).response->result.general == 0x00);
    CHECK(decide_refresh({1, 0x01, 0x07}).response->result.general == 0x30);  // steering of roaming
    CHECK(decide_refresh({1, 0x01, 0x42}).response->result.general == 0x30);
}

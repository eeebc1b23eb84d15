// tests/cat/test_profile.cpp — TERMINAL PROFILE (TS 102 223 clause 5.2): each feature sets
// exactly its bit, the gateway's default set builds, describe names the bits, round trip.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/profile.hpp"

using namespace dmsc::cat;

namespace {

// A feature set with nothing in it, to flip one feature at a time.
TerminalFeatures nothing() {
    TerminalFeatures f;
    f.profile_download = false;
    f.more_time = false;
    f.poll_interval = false;
    f.polling_off = false;
    f.refresh = false;
    f.provide_local_info_location = false;
    f.provide_local_info_date_time = false;
    f.provide_local_info_language = false;
    f.provide_local_info_access_technology = false;
    f.set_up_event_list = false;
    f.events.clear();
    f.timer_management = false;
    f.timer_get_current_value = false;
    f.timer_expiration = false;
    f.bip = false;
    f.channels = 0;
    f.tcp_uicc_server_mode = false;
    f.tcp_client_remote = false;
    f.udp_client_remote = false;
    f.gprs_bearer = false;
    f.default_bearer = false;
    f.usb_bearer = false;
    f.tcp_client_local = false;
    f.udp_client_local = false;
    f.terminal_applications = false;
    return f;
}

// A profile with exactly the given bits set (byte 1-based, bit 1 = LSB).
Bytes with_bits(std::initializer_list<std::pair<int, int>> bits) {
    Bytes p;
    for (auto [byte, bit] : bits) {
        if (p.size() < static_cast<std::size_t>(byte)) p.resize(static_cast<std::size_t>(byte), 0);
        p[static_cast<std::size_t>(byte - 1)] |= static_cast<std::uint8_t>(1u << (bit - 1));
    }
    return p;
}

struct FeatureCase {
    const char* name;
    std::function<void(TerminalFeatures&)> set;
    int byte;
    int bit;
};

bool contains(const std::vector<std::string>& lines, const std::string& s) {
    return std::find(lines.begin(), lines.end(), s) != lines.end();
}

}  // namespace

TEST_CASE("TERMINAL PROFILE: an empty feature set gives one zero byte") {
    CHECK(build_terminal_profile(nothing()) == Bytes{0x00});
    CHECK(describe_terminal_profile(Bytes{0x00}).empty());
}

TEST_CASE("TERMINAL PROFILE: each feature flips exactly its bit (clause 5.2)") {
    const std::vector<FeatureCase> cases = {
        {"profile download", [](TerminalFeatures& f) { f.profile_download = true; }, 1, 1},
        {"timer expiration", [](TerminalFeatures& f) { f.timer_expiration = true; }, 1, 6},
        {"MORE TIME", [](TerminalFeatures& f) { f.more_time = true; }, 3, 4},
        {"POLL INTERVAL", [](TerminalFeatures& f) { f.poll_interval = true; }, 3, 6},
        {"POLLING OFF", [](TerminalFeatures& f) { f.polling_off = true; }, 3, 7},
        {"REFRESH", [](TerminalFeatures& f) { f.refresh = true; }, 3, 8},
        {"PLI location", [](TerminalFeatures& f) { f.provide_local_info_location = true; }, 4, 7},
        {"SET UP EVENT LIST", [](TerminalFeatures& f) { f.set_up_event_list = true; }, 5, 1},
        {"TIMER MANAGEMENT", [](TerminalFeatures& f) { f.timer_management = true; }, 8, 1},
        {"timer current value", [](TerminalFeatures& f) { f.timer_get_current_value = true; }, 8, 2},
        {"PLI date-time", [](TerminalFeatures& f) { f.provide_local_info_date_time = true; }, 8, 3},
        {"PLI language", [](TerminalFeatures& f) { f.provide_local_info_language = true; }, 9, 4},
        {"PLI access technology", [](TerminalFeatures& f) { f.provide_local_info_access_technology = true; },
         9, 8},
        {"GPRS bearer", [](TerminalFeatures& f) { f.gprs_bearer = true; }, 13, 2},
        {"TCP client remote", [](TerminalFeatures& f) { f.tcp_client_remote = true; }, 17, 1},
        {"UDP client remote", [](TerminalFeatures& f) { f.udp_client_remote = true; }, 17, 2},
        {"TCP UICC server mode", [](TerminalFeatures& f) { f.tcp_uicc_server_mode = true; }, 17, 3},
        {"TCP client local", [](TerminalFeatures& f) { f.tcp_client_local = true; }, 17, 4},
        {"UDP client local", [](TerminalFeatures& f) { f.udp_client_local = true; }, 17, 5},
        {"USB bearer", [](TerminalFeatures& f) { f.usb_bearer = true; }, 18, 3},
        {"TERMINAL APPLICATIONS", [](TerminalFeatures& f) { f.terminal_applications = true; }, 30, 3},
        {"event MT call", [](TerminalFeatures& f) { f.events.insert(EventType::MtCall); }, 5, 2},
        {"event call connected", [](TerminalFeatures& f) { f.events.insert(EventType::CallConnected); }, 5,
         3},
        {"event call disconnected", [](TerminalFeatures& f) { f.events.insert(EventType::CallDisconnected); },
         5, 4},
        {"event location status", [](TerminalFeatures& f) { f.events.insert(EventType::LocationStatus); }, 5,
         5},
        {"event user activity", [](TerminalFeatures& f) { f.events.insert(EventType::UserActivity); }, 5, 6},
        {"event idle screen", [](TerminalFeatures& f) { f.events.insert(EventType::IdleScreenAvailable); }, 5,
         7},
        {"event card reader status",
         [](TerminalFeatures& f) { f.events.insert(EventType::CardReaderStatus); }, 5, 8},
        {"event language selection",
         [](TerminalFeatures& f) { f.events.insert(EventType::LanguageSelection); }, 6, 1},
        {"event browser termination",
         [](TerminalFeatures& f) { f.events.insert(EventType::BrowserTermination); }, 6, 2},
        {"event data available", [](TerminalFeatures& f) { f.events.insert(EventType::DataAvailable); }, 6,
         3},
        {"event channel status", [](TerminalFeatures& f) { f.events.insert(EventType::ChannelStatus); }, 6,
         4},
        {"event access technology change",
         [](TerminalFeatures& f) { f.events.insert(EventType::AccessTechnologyChange); }, 6, 5},
        {"event display parameters changed",
         [](TerminalFeatures& f) { f.events.insert(EventType::DisplayParametersChanged); }, 6, 6},
        {"event local connection", [](TerminalFeatures& f) { f.events.insert(EventType::LocalConnection); },
         6, 7},
        {"event network search mode change",
         [](TerminalFeatures& f) { f.events.insert(EventType::NetworkSearchModeChange); }, 6, 8},
        {"event browsing status", [](TerminalFeatures& f) { f.events.insert(EventType::BrowsingStatus); }, 25,
         1},
        {"event network rejection", [](TerminalFeatures& f) { f.events.insert(EventType::NetworkRejection); },
         25, 5},
        {"event contactless state request",
         [](TerminalFeatures& f) { f.events.insert(EventType::ContactlessStateRequest); }, 26, 2},
    };
    for (const auto& c : cases) {
        TerminalFeatures f = nothing();
        c.set(f);
        CHECK_MESSAGE(build_terminal_profile(f) == with_bits({{c.byte, c.bit}}), c.name);
        const auto lines = describe_terminal_profile(build_terminal_profile(f));
        REQUIRE_MESSAGE(lines.size() == 1, c.name);
        CHECK_MESSAGE(
            lines[0].rfind("byte " + std::to_string(c.byte) + " bit " + std::to_string(c.bit) + ": ", 0) == 0,
            c.name << ": " << lines[0]);
    }
}

TEST_CASE("TERMINAL PROFILE: BIP sets the five class \"e\" commands and the channel count") {
    TerminalFeatures f = nothing();
    f.bip = true;
    f.channels = 0;
    CHECK(build_terminal_profile(f) == with_bits({{12, 1}, {12, 2}, {12, 3}, {12, 4}, {12, 5}}));
    for (std::uint8_t n = 1; n <= 7; ++n) {
        f.channels = n;
        auto p = build_terminal_profile(f);
        REQUIRE(p.size() == 13);
        CHECK(p[11] == 0x1F);
        CHECK(p[12] == static_cast<std::uint8_t>(n << 5));  // bits 6-8
    }
    f.channels = 9;  // clamped to what 3 bits hold
    CHECK(build_terminal_profile(f)[12] == 0xE0);
    // Channels without class "e" announce nothing.
    TerminalFeatures g = nothing();
    g.channels = 7;
    CHECK(build_terminal_profile(g) == Bytes{0x00});
}

TEST_CASE("TERMINAL PROFILE: default bearer and events without a known bit announce nothing") {
    TerminalFeatures f = nothing();
    f.default_bearer = true;
    f.events.insert(EventType::PollInterval);
    f.events.insert(EventType::Envelope);
    CHECK(build_terminal_profile(f) == Bytes{0x00});
}

TEST_CASE("TERMINAL PROFILE: the gateway's default feature set") {
    const TerminalFeatures f;  // defaults of the header
    const auto p = build_terminal_profile(f);
    // 1: profile download; 3: MORE TIME, POLL INTERVAL, POLLING OFF, REFRESH; 5: SET UP EVENT
    // LIST; 12: the five BIP commands; 13: 7 channels; 17: TCP server, TCP/UDP client local;
    // 30: TERMINAL APPLICATIONS.
    Bytes expect(30, 0x00);
    expect[0] = 0x01;
    expect[2] = 0xE8;
    expect[4] = 0x01;
    expect[11] = 0x1F;
    expect[12] = 0xE0;
    expect[16] = 0x1C;
    expect[29] = 0x04;
    CHECK(to_hex(p) == to_hex(expect));

    const auto lines = describe_terminal_profile(p);
    CHECK(contains(lines, "byte 1 bit 1: profile download"));
    CHECK(contains(lines, "byte 3 bit 4: MORE TIME"));
    CHECK(contains(lines, "byte 3 bit 8: REFRESH"));
    CHECK(contains(lines, "byte 12 bit 1: OPEN CHANNEL"));
    CHECK(contains(lines, "byte 12 bit 5: GET CHANNEL STATUS"));
    CHECK(contains(lines, "byte 13 bits 6-8: number of channels = 7"));
    CHECK(contains(lines, "byte 17 bit 3: TCP, UICC in server mode"));
    CHECK(contains(lines, "byte 30 bit 3: TERMINAL APPLICATIONS"));
    CHECK(lines.size() == 1 + 4 + 1 + 5 + 1 + 3 + 1);
}

TEST_CASE("TERMINAL PROFILE: describe names unknown bits by position and numbers by value") {
    Bytes p(32, 0x00);
    p[10] = 0x04;  // byte 11: soft keys
    p[13] = 0x45;  // byte 14: 5 rows, no keypad
    p[19] = 0x80;  // byte 20 bit 8: not in our table
    p[31] = 0x10;  // byte 32 bit 5
    const auto lines = describe_terminal_profile(p);
    CHECK(contains(lines, "byte 11: maximum number of soft keys = 4"));
    CHECK(contains(lines, "byte 14 bits 1-5: characters down the display = 5"));
    CHECK(contains(lines, "byte 14 bit 7: no keypad"));
    CHECK(contains(lines, "byte 20 bit 8"));
    CHECK(contains(lines, "byte 32 bit 5: direct channel in Terminal Server Mode"));
    CHECK(lines.size() == 5);
}

TEST_CASE("TERMINAL PROFILE: round trip through describe for every feature at once") {
    TerminalFeatures f;
    f.provide_local_info_location = true;
    f.provide_local_info_date_time = true;
    f.provide_local_info_language = true;
    f.provide_local_info_access_technology = true;
    f.timer_management = true;
    f.timer_get_current_value = true;
    f.timer_expiration = true;
    f.tcp_client_remote = true;
    f.udp_client_remote = true;
    f.gprs_bearer = true;
    f.usb_bearer = true;
    for (int e = 0; e <= 0x1C; ++e) f.events.insert(static_cast<EventType>(e));
    const auto p = build_terminal_profile(f);
    CHECK(p.back() != 0x00);
    // Every set bit is described by name; rebuilding the bits from the lines gives p back.
    Bytes rebuilt(p.size(), 0x00);
    for (const auto& line : describe_terminal_profile(p)) {
        unsigned byte = 0;
        unsigned bit = 0;
        unsigned n = 0;
        if (std::sscanf(line.c_str(), "byte %u bits 6-8: number of channels = %u", &byte, &n) == 2) {
            rebuilt[byte - 1] |= static_cast<std::uint8_t>(n << 5);
            continue;
        }
        REQUIRE_MESSAGE(std::sscanf(line.c_str(), "byte %u bit %u", &byte, &bit) == 2, line);
        CHECK_MESSAGE(line.find(": ") != std::string::npos, "unnamed bit in our own profile: " << line);
        rebuilt[byte - 1] |= static_cast<std::uint8_t>(1u << (bit - 1));
    }
    CHECK(to_hex(rebuilt) == to_hex(p));
}

// tests/registry/test_events.cpp — SET UP EVENT LIST, the filter (an unregistered event never
// reaches the card), platform event parsing errors, and the Event download bytes against the
// conformance vectors (event_download:*, set_up_event_list*).
#include <doctest/doctest.h>

#include "cat/envelope.hpp"
#include "cat/response.hpp"
#include "registry/events.hpp"
#include "tests/registry/vectors.hpp"

using namespace dmsc;
using namespace dmsc::registry;
using nlohmann::json;
using registry_test::command;
using registry_test::hex;

namespace {

EventRegistry with_all_registered() {
    EventRegistry r;
    cat::SetUpEventList list;
    for (auto e : default_supported_events()) list.events.push_back(static_cast<std::uint8_t>(e));
    auto tr = r.set_up_event_list(cat::CommandDetails{1, 0x05, 0}, list);
    REQUIRE(tr.result.general == 0x00);
    return r;
}

std::string transaction_list(const std::string& hex_list) {
    std::string out;
    for (auto b : hex(hex_list)) out += (out.empty() ? "" : ",") + std::to_string(b);
    return out;
}

// The dmsc-ctl form (name + keys) of an event download vector's `expect`, or "" when the
// gateway does not produce that event (card reader status, network rejection).
std::string to_args(const json& v, EventArguments& args) {
    const json& e = v.at("expect").at("event_download");
    const bool from_network = v.at("expect").at("source_device").get<int>() == 0x83;
    switch (e.at("type").get<int>()) {
        case 0x00: {
            const json& m = e.at("mt_call");
            args["transaction_id"] = std::to_string(m.at("transaction_id").get<int>());
            if (m.contains("caller_address")) {
                // 8.1: TON/NPI then BCD digits, swapped nibbles.
                const auto& a = m.at("caller_address");
                std::string digits = a.at("number").get<std::string>();
                char buf[4];
                std::snprintf(buf, sizeof buf, "%02X", a.at("ton_npi").get<int>());
                std::string h = buf;
                for (std::size_t i = 0; i < digits.size(); i += 2) {
                    h += i + 1 < digits.size() ? digits[i + 1] : 'F';
                    h += digits[i];
                }
                args["address"] = h;
            }
            return "mt-call";
        }
        case 0x01:
            args["transaction_id"] = std::to_string(e.at("call_connected").at("transaction_id").get<int>());
            args["side"] = from_network ? "far" : "near";
            return "call-connected";
        case 0x02: {
            const json& c = e.at("call_disconnected");
            args["transaction_id"] = transaction_list(c.at("transaction_ids").at("list").get<std::string>());
            args["side"] = from_network ? "far" : "near";
            if (c.contains("cause")) args["cause"] = c.at("cause").value("cause", std::string());
            return "call-disconnected";
        }
        case 0x03: {
            const json& l = e.at("location_status");
            const int state = l.at("state").get<int>();
            args["state"] = state == 0 ? "normal" : state == 1 ? "limited" : "no-service";
            if (l.contains("info")) {
                const json& i = l.at("info");
                args["mcc"] = i.at("mcc").get<std::string>();
                args["mnc"] = i.at("mnc").get<std::string>();
                args["lac"] = std::to_string(i.at("lac_tac").get<int>());
                if (i.value("has_eutran_ci", false)) {
                    args["eci"] = std::to_string(i.at("eutran_ci").get<int>());
                } else {
                    args["cell_id"] = std::to_string(i.at("ci").get<int>());
                    if (i.value("has_ext_ci", false))
                        args["rnc_id"] = std::to_string(i.at("ext_ci").get<int>());
                }
            }
            return "location-status";
        }
        case 0x04:
            return "user-activity";
        case 0x05:
            return "idle-screen";
        case 0x07:
            args["language"] = e.at("language_selection").get<std::string>();
            return "language";
        case 0x08:
            args["cause"] = std::to_string(e.at("browser_termination").at("cause").get<int>());
            return "browser-termination";
        default:
            return "";
    }
}

}  // namespace

TEST_CASE("Event download vectors: injected events give the conformance bytes") {
    int checked = 0;
    for (const auto& v : registry_test::group("event_download:")) {
        const std::string name = v.at("name").get<std::string>();
        EventArguments args;
        const std::string event = to_args(v, args);
        const int type = v.at("expect").at("event_download").at("type").get<int>();
        if (type == 0x09 || type == 0x0A) continue;  // bip/'s, below
        if (event.empty()) continue;                 // card reader status, network rejection: not ours
        CAPTURE(name);
        auto parsed = parse_platform_event(event, args);
        REQUIRE_MESSAGE(parsed.ok(), parsed.error());
        EventRegistry reg = with_all_registered();
        Outbox out;
        REQUIRE(reg.offer(*parsed, out).has_value());
        auto envs = out.take();
        REQUIRE(envs.size() == 1);
        CHECK(cat::to_hex(envs[0].ber) == registry_test::hex_of(v));
        ++checked;
    }
    CHECK(checked == 21);
}

TEST_CASE("Event download vectors: Data available and Channel status through the bip/ entry points") {
    int checked = 0;
    for (const auto& v : registry_test::group("event_download:")) {
        const json& e = v.at("expect").at("event_download");
        const int type = e.at("type").get<int>();
        if (type != 0x09 && type != 0x0A) continue;
        CAPTURE(v.at("name").get<std::string>());
        const json& ch =
            type == 0x09 ? e.at("data_available").at("channel") : e.at("channel_status").at("channel");
        auto status = cat::ChannelStatus::decode(hex(ch.at("wire").get<std::string>()));
        REQUIRE(status.ok());
        EventRegistry reg = with_all_registered();
        Outbox out;
        auto id = type == 0x09
                      ? reg.offer_data_available(
                            *status, e.at("data_available").at("channel_data_len").get<std::size_t>(), out)
                      : reg.offer_channel_status(*status, out);
        REQUIRE(id.has_value());
        CHECK(cat::to_hex(out.take().at(0).ber) == registry_test::hex_of(v));
        ++checked;
    }
    CHECK(checked == 5);
}

TEST_CASE("SET UP EVENT LIST vectors: each list replaces the previous one, an empty list removes all; '00'") {
    EventRegistry reg;
    auto apply = [&](const char* name) {
        auto cmd = command(registry_test::hex_of(registry_test::by_name(name)));
        return reg.set_up_event_list(cmd.details, std::get<cat::SetUpEventList>(cmd.body));
    };
    auto tr = apply("/teststk/Setup Event List 1.1.1");
    CHECK(cat::to_hex(cat::encode(tr)) ==
          registry_test::hex_of(registry_test::by_name("/teststk/Set Up Event List response 1.1.1")));
    CHECK(reg.is_registered(cat::EventType::UserActivity));
    apply("/teststk/Setup Event List 1.2.1");  // idle screen + language
    CHECK_FALSE(reg.is_registered(cat::EventType::UserActivity));
    CHECK(reg.is_registered(cat::EventType::IdleScreenAvailable));
    CHECK(reg.is_registered(cat::EventType::LanguageSelection));
    apply("/teststk/Setup Event List 1.2.2");  // language only
    CHECK_FALSE(reg.is_registered(cat::EventType::IdleScreenAvailable));
    CHECK(reg.registered() == std::vector<std::uint8_t>{0x07});
    tr = apply("/teststk/Setup Event List 1.3.2");  // empty list
    CHECK(tr.result.general == 0x00);
    CHECK(reg.registered().empty());
}

TEST_CASE("SET UP EVENT LIST with an event the gateway cannot report: '30', the list stays") {
    EventRegistry reg;
    cat::CommandDetails d{3, 0x05, 0};
    REQUIRE(reg.set_up_event_list(d, cat::SetUpEventList{{0x09, 0x0A}}).result.general == 0x00);
    auto tr = reg.set_up_event_list(d, cat::SetUpEventList{{0x04, 0x06}});  // card reader status
    CHECK(tr.result.general == 0x30);
    CHECK(tr.details == d);
    CHECK(reg.registered() == std::vector<std::uint8_t>{0x09, 0x0A});
    CHECK(reg.set_up_event_list(d, cat::SetUpEventList{{0xFF}}).result.general == 0x30);
    CHECK(reg.snapshot().refused_lists == 2);
}

TEST_CASE("Event filter: an unregistered event never reaches the card") {
    EventRegistry reg;
    Outbox out;
    CHECK_FALSE(reg.offer(LanguageSelection{"de"}, out).has_value());
    CHECK_FALSE(reg.offer_data_available(cat::ChannelStatus::client(1, true), 10, out).has_value());
    CHECK_FALSE(reg.offer_channel_status(cat::ChannelStatus::client(1, false, 5), out).has_value());
    CHECK(out.empty());
    reg.set_up_event_list({1, 0x05, 0}, cat::SetUpEventList{{0x07}});
    CHECK(reg.offer(LanguageSelection{"de"}, out).has_value());
    CHECK_FALSE(reg.offer(UserActivity{}, out).has_value());
    CHECK(out.size() == 1);
    auto snap = reg.snapshot();
    for (const auto& e : snap.supported) {
        if (e.code == 0x07) {
            CHECK(e.registered);
            CHECK(e.sent == 1);
            CHECK(e.filtered == 1);
            CHECK(e.name == std::string(cat::name_of(cat::EventType::LanguageSelection)));
        }
        if (e.code == 0x09) CHECK(e.filtered == 1);
    }
}

TEST_CASE("Event filter: user activity and idle screen available are sent once (7.5.5, 7.5.6)") {
    EventRegistry reg;
    Outbox out;
    reg.set_up_event_list({1, 0x05, 0}, cat::SetUpEventList{{0x04, 0x05, 0x07}});
    CHECK(reg.offer(UserActivity{}, out).has_value());
    CHECK_FALSE(reg.offer(UserActivity{}, out).has_value());
    CHECK(reg.offer(IdleScreenAvailable{}, out).has_value());
    CHECK_FALSE(reg.offer(IdleScreenAvailable{}, out).has_value());
    CHECK(reg.offer(LanguageSelection{"fr"}, out).has_value());
    CHECK(reg.offer(LanguageSelection{"de"}, out).has_value());  // not one-shot
    CHECK(reg.registered() == std::vector<std::uint8_t>{0x07});
    CHECK(out.size() == 4);
}

TEST_CASE("Platform events: errors name the event and the key") {
    auto err = [](const char* name, EventArguments args) {
        auto r = parse_platform_event(name, args);
        REQUIRE_FALSE(r.ok());
        return r.error();
    };
    CHECK(err("location-status",
              {{"state", "normal"}, {"mcc", "1a1"}, {"mnc", "01"}, {"lac", "1"}, {"cell_id", "1"}}) ==
          "location-status: key \"mcc\": \"1a1\" is not 3 decimal digits");
    CHECK(err("location-status", {{"state", "normal"}, {"mcc", "001"}, {"lac", "1"}, {"cell_id", "1"}})
              .find("key \"mnc\" is missing") != std::string::npos);
    CHECK(err("location-status", {{"state", "roaming"}}).find("key \"state\": \"roaming\"") !=
          std::string::npos);
    CHECK(
        err("location-status", {{"state", "limited"}, {"mcc", "001"}}).find("only sent in normal service") !=
        std::string::npos);
    CHECK(err("location-status",
              {{"state", "normal"}, {"mcc", "001"}, {"mnc", "01"}, {"lac", "70000"}, {"cell_id", "1"}})
              .find("key \"lac\"") != std::string::npos);
    CHECK(err("mt-call", {}).find("key \"transaction_id\" is missing") != std::string::npos);
    CHECK(err("mt-call", {{"transaction_id", "300"}}).find("0..255") != std::string::npos);
    CHECK(err("mt-call", {{"transaction_id", "1"}, {"address", "zz"}}).find("key \"address\"") !=
          std::string::npos);
    CHECK(err("call-connected", {{"transaction_id", "1"}, {"side", "left"}}).find("key \"side\"") !=
          std::string::npos);
    CHECK(err("language", {{"language", "eng"}}) ==
          "language: key \"language\": \"eng\" is not two ISO 639 letters (e.g. en, de)");
    CHECK(err("access-technology", {{"technology", "5g-ish"}}).find("key \"technology\"") !=
          std::string::npos);
    CHECK(err("network-search-mode", {{"mode", "sometimes"}}).find("key \"mode\"") != std::string::npos);
    CHECK(err("user-activity", {{"x", "1"}}) ==
          "user-activity: unknown key \"x\" (this event takes no keys)");
    CHECK(err("language", {{"language", "de"}, {"lang", "x"}}) ==
          "language: unknown key \"lang\" (keys: language)");
    CHECK(err("teleport", {}).find("unknown event \"teleport\"; events: mt-call") == 0);
}

TEST_CASE("Platform events: names, aliases and values") {
    auto tech = parse_platform_event("access_technology", {{"technology", "e-utran"}});
    REQUIRE(tech.ok());
    CHECK(std::get<AccessTechnologyChange>(*tech).technology == 0x08);
    CHECK(access_technology_code("lte") == 0x08);
    CHECK(access_technology_code("0x03") == 0x03);
    CHECK(access_technology_name(0x03) == "utran");
    CHECK(access_technology_name(0x42) == "0x42");
    auto mode = parse_platform_event("network-search-mode", {{"mode", "automatic"}});
    REQUIRE(mode.ok());
    CHECK(cat::to_hex(cat::encode(to_envelope(*mode))) == "D60A99010E82028281E50101");
    auto lang = parse_platform_event("Language", {{"language", "DE"}});
    REQUIRE(lang.ok());
    CHECK(std::get<LanguageSelection>(*lang).language == "de");
    auto loc = parse_platform_event("location-status", {{"state", "no-service"}});
    REQUIRE(loc.ok());
    CHECK(event_type(*loc) == cat::EventType::LocationStatus);
    CHECK_FALSE(std::get<LocationStatus>(*loc).location.has_value());
}

// No TS 102 384 vector exists for these two; the bytes follow TS 102 223 7.5.12 / 7.5.15
// (event list, device identities terminal → UICC, then the object of 8.61 / 8.75, comprehension
// required as in every Event download vector above).
TEST_CASE("Event download bytes without vectors: access technology change, network search mode change") {
    struct Case {
        const char* name;
        EventArguments args;
        const char* hex;
    };
    const Case cases[] = {
        {"access-technology", {{"technology", "e-utran"}}, "D60A99010B82028281BF0108"},
        {"access-technology", {{"technology", "gsm"}}, "D60A99010B82028281BF0100"},
        {"access-technology", {{"technology", "0x0A"}}, "D60A99010B82028281BF010A"},
        {"network-search-mode", {{"mode", "automatic"}}, "D60A99010E82028281E50101"},
        {"network-search-mode", {{"mode", "manual"}}, "D60A99010E82028281E50100"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        auto parsed = parse_platform_event(c.name, c.args);
        REQUIRE_MESSAGE(parsed.ok(), parsed.error());
        EventRegistry reg = with_all_registered();
        Outbox out;
        REQUIRE(reg.offer(*parsed, out).has_value());
        auto envs = out.take();
        REQUIRE(envs.size() == 1);
        CHECK(cat::to_hex(envs[0].ber) == c.hex);
    }
}

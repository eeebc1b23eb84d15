// tests/gateway/test_events_daemon.cpp — the Daemon's event-driven wake-ups against the
// simulated UICC, stepping the io_context (no sleeps except a 1 s TIMER MANAGEMENT value, the
// smallest the card can code): REFRESH (NAA initialisation and UICC reset), PROVIDE LOCAL
// INFORMATION from [platform] and from injected events, card removal with a timer running and
// a channel open, reinsertion, a Timer expiration that meets '93 00', SMS-PP data download,
// bip/ Event downloads counted in the `events` data.
#include <doctest/doctest.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "cat/envelope.hpp"
#include "gateway/bip_sockets.hpp"
#include "gateway/daemon.hpp"
#include "gateway/sim/sim_link.hpp"
#include "registry/events.hpp"
#include "tests/gateway/sim_daemon.hpp"

namespace {

using namespace dmsc;
using namespace dmsc::gateway;
using namespace dmsc::gateway::test;
using namespace std::chrono_literals;

// This file's daemons: STATUS polling as configured (30 s: none within a test), every APDU
// recorded, scenarios named events-test.toml.
const SimOptions kOptions{.source = "events-test.toml", .record_apdus = true};

Config with_dm_client(Config c, std::uint16_t deliver_port) {
    ApplicationConfig app;
    app.name = "DM Client";
    app.port = 1100;
    app.deliver.host = "127.0.0.1";
    app.deliver.port = deliver_port;
    c.applications.push_back(app);
    return c;
}

bool is_ins(const ApduRecord& r, std::uint8_t ins) {
    return r.command.size() > 1 && r.command[1] == ins;
}
// A TERMINAL RESPONSE (INS '14') to a command of `type` (command details '81 03 nn TT qq').
bool is_response_to(const ApduRecord& r, std::uint8_t type) {
    return is_ins(r, 0x14) && r.command.size() > 9 && r.command[5] == 0x81 && r.command[8] == type;
}
bool is_terminal_applications(const ApduRecord& r) {
    return is_ins(r, 0xC2) && r.command.size() > 5 && r.command[5] == 0xDC;
}

std::uint64_t sent_count(const Daemon& d, std::uint8_t code) {
    for (const auto& e : d.registry().events_snapshot().supported) {
        if (e.code == code) return e.sent;
    }
    return 0;
}

}  // namespace

TEST_CASE("Events: REFRESH NAA initialisation — '00', TERMINAL PROFILE again, Terminal Applications again") {
    SimDaemon sd(R"toml(
[[step]]
name = "refresh naa init once registered"
on = "terminal-applications"
expect_application = { port = 1100, type = 7 }
command = "refresh"
mode = "naa-init"
expect_result = "00"
)toml",
                 with_dm_client(sim_config(Polling::Configured), 1100), kOptions);
    sd.daemon->start();
    // The card starts its scenario over at each TERMINAL PROFILE, so each run is: profile,
    // registration, REFRESH, its TERMINAL RESPONSE; three profiles = two re-initialisations.
    REQUIRE(step_until(sd.io(), [&] { return sd.count_ins(0x10) >= 3; }));
    sd.daemon->stop();
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    CHECK(sd.card().verdict().runs_completed >= 2);
    CHECK(sd.daemon->stats().cards_ready == 1);  // no reset: the same card session
    CHECK(sd.daemon->stats().refresh_reinitialisations >= 2);
    CHECK(sd.daemon->stats().refresh_resets == 0);
    CHECK(sd.daemon->stats().envelopes_failed.empty());  // nothing queued was failed

    // Order on the wire: TR(REFRESH) → TERMINAL PROFILE → Terminal Applications, each time.
    std::size_t checked = 0;
    for (std::size_t i = 0; i + 1 < sd.records.size(); ++i) {
        if (!is_response_to(sd.records[i], 0x01)) continue;
        CHECK(sd.records[i].response == cat::Bytes{0x90, 0x00});
        CHECK(is_ins(sd.records[i + 1], 0x10));
        bool registered_after = false;
        for (std::size_t j = i + 2; j < sd.records.size() && !is_ins(sd.records[j], 0x14); ++j) {
            registered_after = registered_after || is_terminal_applications(sd.records[j]);
        }
        if (i + 2 < sd.records.size()) CHECK(registered_after);
        ++checked;
    }
    CHECK(checked >= 2);
    // One profile per re-initialisation (the last one may still be due when the loop stopped).
    const auto reinit = sd.daemon->stats().refresh_reinitialisations;
    CHECK(sd.count_ins(0x10) >= reinit);
    CHECK(sd.count_ins(0x10) <= reinit + 1);
}

TEST_CASE("Events: REFRESH UICC reset — no TERMINAL RESPONSE, the card is reset and starts over") {
    SimDaemon sd(R"toml(
[[step]]
name = "events"
on = "profile"
command = "set_up_event_list"
events = ["user-activity"]
expect_result = "00"

[[step]]
name = "refresh uicc reset"
on = "terminal-applications"
command = "refresh"
mode = "uicc-reset"
)toml",
                 with_dm_client(sim_config(Polling::Configured), 1100), kOptions);
    sd.daemon->start();
    REQUIRE(
        step_until(sd.io(), [&] { return sd.daemon->stats().cards_ready >= 2 && sd.count_ins(0x10) >= 2; }));
    // After the reset: the profile, the event list and registration start from nothing.
    REQUIRE(step_until(sd.io(), [&] { return sd.count_ins(0x10) >= 3; }));
    sd.daemon->stop();
    for (const auto& r : sd.records) CHECK_FALSE(is_response_to(r, 0x01));  // REFRESH never answered
    CHECK(sd.daemon->stats().refresh_resets >= 2);
    CHECK(sd.daemon->stats().cards_ready >= 3);
    CHECK(sd.daemon->stats().cards_gone == 0);  // a reset is not a removal
}

TEST_CASE("Events: PROVIDE LOCAL INFORMATION answers from [platform], then from an injected location") {
    Config config = sim_config(Polling::Configured);
    config.platform.imei = "490154203237518";
    config.platform.imeisv = "4901542032375181";
    config.platform.language = "de";
    config.platform.access_technology = "e-utran";
    config.platform.location = {{"mcc", "262"}, {"mnc", "01"}, {"tac", "4660"}, {"eci", "0x1234567"}};
    SimDaemon sd(R"toml(
[[step]]
on = "profile"
command = "provide_local_info"
info = "imei"
expect_result = "00"
expect_objects = ["14 08 4A 09 51 24 30 32 57 81"]

[[step]]
on = "response"
command = "provide_local_info"
info = "imeisv"
expect_result = "00"
expect_objects = ["62 09 43 09 51 24 30 32 57 81 F1"]

[[step]]
on = "response"
command = "provide_local_info"
info = "language"
expect_result = "00"
expect_objects = ["2D 02 64 65"]

[[step]]
on = "response"
command = "provide_local_info"
info = "access-technology"
expect_result = "00"
expect_objects = ["3F 01 08"]

[[step]]
on = "response"
command = "provide_local_info"
info = "location"
expect_result = "00"
expect_objects = ["13 09 62 F2 10 12 34 12 34 56 7F"]

[[step]]
on = "response"
command = "provide_local_info"
info = "date-time"
expect_result = "00"

[[step]]
on = "response"
command = "provide_local_info"
info = "search-mode"
expect_result = "20"
expect_additional = "00"

[[step]]
on = "response"
command = "provide_local_info"
info = "nmr"
expect_result = "30"

[[step]]
name = "location events"
on = "response"
command = "set_up_event_list"
events = ["location-status"]
expect_result = "00"

[[step]]
name = "after the event: the injected cell"
on = "event:location-status"
command = "provide_local_info"
info = "location"
expect_result = "00"
expect_objects = ["13 07 62 F2 10 00 2A 00 07"]
)toml",
                 config, kOptions);
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->event_list().size() == 1; }));
    auto event = registry::parse_platform_event(
        "location-status",
        {{"state", "normal"}, {"mcc", "262"}, {"mnc", "01"}, {"lac", "42"}, {"cell_id", "7"}});
    REQUIRE(event);
    CHECK(sd.daemon->registry().inject(event.value()));
    sd.daemon->request_status();
    REQUIRE(step_until(sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    // The date/time answer is the system's local time: 7 bytes of swapped BCD (8.39).
    bool saw_date = false;
    for (const auto& r : sd.records) {
        if (!is_response_to(r, 0x26) || r.command.size() < 10 || r.command[9] != 0x03) continue;
        const cat::Bytes& c = r.command;
        for (std::size_t i = 5; i + 8 < c.size(); ++i) {
            if ((c[i] & 0x7F) == 0x26 && c[i + 1] == 0x07) {
                saw_date = true;
                for (std::size_t k = 0; k < 6; ++k) {  // year..second: BCD digits only
                    CHECK((c[i + 2 + k] & 0x0F) <= 9);
                    CHECK((c[i + 2 + k] >> 4) <= 9);
                }
            }
        }
    }
    CHECK(saw_date);
}

TEST_CASE("Events: PROVIDE LOCAL INFORMATION without [platform] — '30' for IMEI, '20' with a cause") {
    SimDaemon sd(R"toml(
[[step]]
on = "profile"
command = "provide_local_info"
info = "imei"
expect_result = "30"

[[step]]
on = "response"
command = "provide_local_info"
info = "location"
expect_result = "20"
expect_additional = "04"

[[step]]
on = "response"
command = "provide_local_info"
info = "access-technology"
expect_result = "20"
expect_additional = "04"

[[step]]
on = "response"
command = "provide_local_info"
info = "language"
expect_result = "20"
expect_additional = "00"
)toml",
                 sim_config(Polling::Configured), kOptions);
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
}

TEST_CASE("Events: a Timer expiration answered '93 00' is retried until the card takes it") {
    Config config = sim_config(Polling::Configured);
    config.card.busy_backoff_initial_ms = 5;
    config.card.busy_backoff_max_ms = 20;
    SimDaemon sd(R"toml(
[card]
envelope_busy = 3

[[step]]
on = "profile"
command = "timer_management"
timer = 3
action = "start"
seconds = 1
expect_result = "00"

[[step]]
name = "the expiry arrives"
on = "timer:3"
)toml",
                 config, kOptions);
    sd.daemon->start();
    REQUIRE(step_until(
        sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }, 6000ms));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    CHECK(sd.daemon->stats().busy_retries == 3);
    std::size_t expiries = 0;
    for (const auto& r : sd.records)
        expiries += is_ins(r, 0xC2) && r.command.size() > 5 && r.command[5] == 0xD7;
    CHECK(expiries == 4);  // three '93 00', then accepted; the same ENVELOPE each time
    const auto timers = sd.daemon->registry().timers_snapshot(std::chrono::steady_clock::now());
    REQUIRE(timers.size() == 8);
    CHECK_FALSE(timers[2].running);
    CHECK(timers[2].expiries == 1);
    CHECK_FALSE(sd.daemon->registry().has_envelopes());
}

TEST_CASE(
    "Events: card removal stops timers and closes the channel (the DM Client sees EOF); reinsertion starts "
    "over") {
    const std::uint16_t port = free_port();
    SimDaemon sd(R"toml(
[[step]]
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"

[[step]]
on = "response"
command = "timer_management"
timer = 1
action = "start"
seconds = 3600
expect_result = "00"

[[step]]
on = "terminal-applications"
command = "open_channel"
mode = "terminal-server"
port = "registered"
expect_result = "00"

[[step]]
on = "response"
command = "send_data"
data = "48656C6C6F"
expect_result = "00"

[[step]]
name = "the DM Client answers"
on = "event:data-available"
)toml",
                 with_dm_client(sim_config(Polling::Configured), port), kOptions);
    TcpDmClient client(sd.io(), port);
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return client.received.size() == 5; }));
    CHECK(cat::to_hex(client.received) == "48656C6C6F");
    // The DM Client answers: bip/ queues a Data available Event download through the hook.
    client.write("OK");
    REQUIRE(step_until(sd.io(), [&] { return sd.card().verdict().runs_completed == 1; }));
    INFO(sd.card().verdict().describe());
    CHECK(sd.card().verdict().passed);
    CHECK(sent_count(*sd.daemon, 0x09) == 1);  // counted in `events` although bip/ built it
    const auto before = sd.daemon->registry().timers_snapshot(std::chrono::steady_clock::now());
    CHECK(before[0].running);
    CHECK(sd.daemon->bip().channels_json()["channels"].size() == 1);

    sd.link->remove_card();
    REQUIRE(step_until(sd.io(), [&] { return client.closed; }));  // a close, not a hang
    CHECK(sd.daemon->card_state() == CardState::Absent);
    for (const auto& t : sd.daemon->registry().timers_snapshot(std::chrono::steady_clock::now()))
        CHECK_FALSE(t.running);
    CHECK(sd.daemon->event_list().empty());
    CHECK_FALSE(sd.daemon->registry().next_deadline(std::chrono::steady_clock::now()));  // no wake-ups
    CHECK(sd.daemon->bip().channels_json()["channels"].empty());
    CHECK(sd.daemon->registry().find_registered_port(1100) == nullptr);

    // Reinsertion: TERMINAL PROFILE and the registration again, the scenario runs again (its
    // channel goes to a DM Client that listens again).
    const std::size_t profiles = sd.count_ins(0x10);
    client.acceptor.close();
    TcpDmClient again(sd.io(), port);
    sd.link->insert_card();
    REQUIRE(step_until(sd.io(), [&] { return again.received.size() == 5; }));
    CHECK(sd.count_ins(0x10) == profiles + 1);
    CHECK(sd.daemon->stats().cards_gone == 1);
    CHECK(sd.daemon->registry().find_registered_port(1100) != nullptr);
    sd.daemon->stop();
}

TEST_CASE("Events: SMS-PP data download — the ENVELOPE reaches the card and its answer comes back") {
    SimDaemon sd(R"toml(
[[step]]
on = "envelope"
)toml",
                 sim_config(Polling::Configured), kOptions);
    CHECK_FALSE(sd.daemon->sms_pp_download({}, cat::Bytes{0x04}));  // no card yet
    sd.daemon->start();
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->card_state() == CardState::Powered; }));
    // SMS-DELIVER (TS 23.040 9.2.2.1), TP-PID '7F' (U)SIM data download, TP-DCS '16' (class 2,
    // 8 bit), originating address +123, 2 bytes of user data.
    const cat::Bytes address{0x91, 0x21, 0x43};
    cat::Bytes tpdu;
    REQUIRE(cat::from_hex("0403912143 7F16 99309251619580 02 0102", tpdu));
    auto id = sd.daemon->sms_pp_download(address, tpdu);
    REQUIRE(id);
    auto result = sd.daemon->envelope_result(*id);
    CHECK(result["kind"].get<std::string>().find("SMS-PP") != std::string::npos);
    REQUIRE(step_until(sd.io(), [&] { return sd.daemon->envelope_result(*id)["state"] != "queued"; }));
    result = sd.daemon->envelope_result(*id);
    CHECK(result["state"] == "done");
    CHECK(result["sw"] == "90 00");
    CHECK(sd.card().verdict().runs_completed == 1);
    // The bytes on the wire: D1, device identities network → UICC, address, TPDU.
    bool seen = false;
    for (const auto& r : sd.records) {
        if (is_ins(r, 0xC2) && r.command.size() > 5 && r.command[5] == 0xD1) {
            seen = true;
            auto env = cat::decode_envelope(cat::ByteView(r.command).subspan(5, r.command[4]));
            REQUIRE(env);
            const auto* t = env->find(cat::Tag::SmsTpdu);
            REQUIRE(t != nullptr);
            CHECK(t->value == tpdu);
            const auto* a = env->find(cat::Tag::Address);
            REQUIRE(a != nullptr);
            CHECK(a->value == address);
            REQUIRE(env->devices());
            CHECK(env->devices()->source == 0x83);
            CHECK(env->devices()->destination == 0x81);
        }
    }
    CHECK(seen);
    CHECK(sd.daemon->envelope_result(*id + 1000).is_null());
}

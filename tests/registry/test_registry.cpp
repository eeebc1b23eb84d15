// tests/registry/test_registry.cpp — the Registry as the daemon drives it: card lifecycle,
// registration on power-on and reload, injection with the filter, timers through ticks and
// deadlines, ENVELOPE feedback, ENVELOPEs the session could not queue.
#include <doctest/doctest.h>

#include "cat/envelope.hpp"
#include "registry/registry.hpp"
#include "tests/registry/vectors.hpp"

using namespace dmsc;
using namespace dmsc::registry;
using namespace std::chrono_literals;
using registry_test::at;
using registry_test::command;

namespace {

Registry make() {
    RegistryConfig c;
    ApplicationConfig a;
    a.name = "DM Client";
    a.port = 1100;
    c.applications.push_back(a);
    auto r = Registry::create(std::move(c));
    REQUIRE(r.ok());
    return std::move(r).value();
}

}  // namespace

TEST_CASE("Registry: a bad application refuses the whole config") {
    RegistryConfig c;
    c.applications.push_back(ApplicationConfig{});
    auto r = Registry::create(std::move(c));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("application[0]") == 0);
}

TEST_CASE("Registry: power-on queues the registration; nothing before a card") {
    Registry r = make();
    CHECK_FALSE(r.has_envelopes());
    CHECK_FALSE(r.inject(UserActivity{}));
    r.card_session_started(at(0ms));
    auto envs = r.take_envelopes();
    REQUIRE(envs.size() == 1);
    CHECK(envs[0].kind == EnvelopeKind::TerminalApplications);
    CHECK(r.on_envelope_done(envs[0].id, {0x90, 0x00}));
    CHECK(r.apps_snapshot().state == RegistrationState::Accepted);
    CHECK(r.find_registered_port(1100) != nullptr);
    CHECK_FALSE(r.on_envelope_done(42, {0x90, 0x00}));  // not a registry id: someone else's
    // Card reset: registration again, event list and timers gone.
    r.handle(command("D00C810301050082028182990104"), at(1s));  // user activity
    r.handle(command("D011810301270082028182A40101A503000050"), at(1s));
    CHECK(r.events().is_registered(cat::EventType::UserActivity));
    r.card_session_started(at(2s));
    CHECK_FALSE(r.events().is_registered(cat::EventType::UserActivity));
    CHECK_FALSE(r.timers().running(1));
    CHECK(r.take_envelopes().size() == 1);
    CHECK(r.apps_snapshot().registrations == 2);
}

TEST_CASE("Registry: handle() answers its commands and nothing else") {
    Registry r = make();
    r.card_session_started(at(0ms));
    for (auto type : Registry::command_types()) CHECK(static_cast<int>(type) != 0x40);
    // CLOSE CHANNEL is bip/'s.
    CHECK_FALSE(r.handle(command("D009810301410082028121"), at(0ms)).has_value());
    auto reset = r.handle(command("D009810301010482028182"), at(0ms));
    REQUIRE(reset.has_value());
    CHECK_FALSE(reset->response.has_value());
    CHECK(reset->refresh == RefreshAction::ResetCard);
    auto naa = r.handle(command("D009810301010382028182"), at(0ms));
    REQUIRE(naa.has_value());
    CHECK(naa->refresh == RefreshAction::Reinitialise);
    r.take_envelopes();
    r.toolkit_reinitialised();  // after TERMINAL PROFILE again: the registration is sent again
    auto envs = r.take_envelopes();
    REQUIRE(envs.size() == 1);
    CHECK(envs[0].kind == EnvelopeKind::TerminalApplications);
}

TEST_CASE("Registry: injected events update the platform info and pass the filter") {
    Registry r = make();
    r.card_session_started(at(0ms));
    r.take_envelopes();
    auto loc = parse_platform_event(
        "location-status",
        {{"state", "normal"}, {"mcc", "001"}, {"mnc", "01"}, {"lac", "1"}, {"cell_id", "1"}});
    REQUIRE(loc.ok());
    CHECK_FALSE(r.inject(*loc));  // not registered: nothing queued ...
    CHECK_FALSE(r.has_envelopes());
    // ... but PROVIDE LOCAL INFORMATION knows the location now.
    auto out = r.handle(command("D009810301260082028182"), at(0ms));
    REQUIRE(out.has_value());
    CHECK(cat::to_hex(cat::encode(*out->response)) == "810301260082028281830100930700F11000010001");
    r.handle(command("D00C810301050082028182990103"), at(0ms));  // location status
    CHECK(r.inject(*loc));
    auto envs = r.take_envelopes();
    REQUIRE(envs.size() == 1);
    CHECK(cat::to_hex(envs[0].ber) == "D613990103820282819B0100130700F11000010001");
    // bip/'s entry points.
    CHECK_FALSE(r.data_available(cat::ChannelStatus::client(1, true), 300).has_value());
    r.handle(command("D00D81030105008202818299020909"), at(0ms));  // data available (twice)
    REQUIRE(r.data_available(cat::ChannelStatus::client(1, true), 300).has_value());
    CHECK(cat::to_hex(r.take_envelopes().at(0).ber) == "D60E99010982028281B8028100B701FF");
    r.card_removed();
    CHECK_FALSE(r.data_available(cat::ChannelStatus::client(1, true), 3).has_value());
}

TEST_CASE("Registry: a timer expiry is queued at its deadline and never lost") {
    Registry r = make();
    r.card_session_started(at(0ms));
    r.take_envelopes();
    r.mark_polled(at(0ms));
    r.handle(command("D011810301270082028182A40101A503000001"), at(0ms));  // timer 1, 10 s
    CHECK(r.next_deadline(at(0ms)) == at(10s));                            // before the 30 s STATUS
    r.on_tick(at(9s));
    CHECK_FALSE(r.has_envelopes());
    r.on_tick(at(10s));
    auto envs = r.take_envelopes();
    REQUIRE(envs.size() == 1);
    CHECK(cat::to_hex(envs[0].ber) == "D70C82028281A40101A503000001");
    // The session's queue was full: given back, it goes first next time.
    r.inject(UserActivity{});  // not registered: nothing
    r.envelope_not_queued(envs[0]);
    auto again = r.take_envelopes();
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == envs[0].id);
    // Busy is the session's job; the registry only follows.
    CHECK(r.on_envelope_busy(again[0].id));
    CHECK(r.on_envelope_done(again[0].id, {0x90, 0x00}));
    CHECK(r.next_deadline(at(10s)) == at(30s));  // the STATUS poll is what is left
    CHECK(r.status_due(at(30s)));
    r.mark_polled(at(30s));
    CHECK(r.next_deadline(at(30s)) == at(60s));
}

TEST_CASE(
    "Registry: a timer due when TIMER MANAGEMENT asks for its value has expired: '24', ENVELOPE queued") {
    Registry r = make();
    r.card_session_started(at(0ms));
    r.take_envelopes();
    r.handle(command("D011810301270082028182A40101A503000001"), at(0ms));
    auto out = r.handle(command("D00C810301270282028182A40101"), at(10s));
    REQUIRE(out.has_value());
    CHECK(out->response->result.general == 0x24);
    CHECK(r.take_envelopes().size() == 1);
}

TEST_CASE("Registry: reload of the applications while a card is present re-registers") {
    Registry r = make();
    r.card_session_started(at(0ms));
    r.on_envelope_done(r.take_envelopes().at(0).id, {0x90, 0x00});
    ApplicationConfig a;
    a.name = "DM Client 2";
    a.port = 1101;
    auto changed = r.reload_applications({a});
    REQUIRE(changed.ok());
    CHECK(*changed);
    auto envs = r.take_envelopes();
    REQUIRE(envs.size() == 1);
    CHECK(r.find_registered_port(1101) != nullptr);
    CHECK(r.find_registered_port(1100) == nullptr);
    auto bad = r.reload_applications({ApplicationConfig{}});
    CHECK_FALSE(bad.ok());
    CHECK(r.applications().applications().at(0).port == 1101);
    // Card gone: nothing registered, a reload queues nothing.
    r.card_removed();
    a.port = 1102;
    CHECK(*r.reload_applications({a}));
    CHECK_FALSE(r.has_envelopes());
}

// tests/registry/test_applications.cpp — Terminal Applications: name coding and validation
// errors, registration ENVELOPEs and their state per card session, port lookup, snapshot.
#include <doctest/doctest.h>

#include "cat/envelope.hpp"
#include "registry/applications.hpp"
#include "tests/registry/vectors.hpp"

using namespace dmsc;
using namespace dmsc::registry;
using registry_test::hex;

namespace {

ApplicationConfig dm_client(std::uint16_t port = 1100, std::string name = "DM Client") {
    ApplicationConfig a;
    a.name = std::move(name);
    a.port = port;
    a.deliver = "tcp://127.0.0.1:1100";
    return a;
}

}  // namespace

TEST_CASE("Terminal Applications: a DM Client registers as port, DCS '04', type '07', name") {
    TerminalApplications apps;
    REQUIRE(apps.configure({dm_client()}).ok());
    CHECK(apps.registration_due());
    Outbox out;
    apps.send_registration(out);
    auto envs = out.take();
    REQUIRE(envs.size() == 1);
    CHECK(envs[0].kind == EnvelopeKind::TerminalApplications);
    CHECK(is_registry_envelope(envs[0].id));
    // 'DC', device identities 82 -> 81, '71' port 044C, DCS 04, type 07, "DM Client", '70 00'.
    CHECK(cat::to_hex(envs[0].ber) ==
          "DC1582028281710D044C0407" + cat::to_hex(cat::Bytes{'D', 'M', ' ', 'C', 'l', 'i', 'e', 'n', 't'}) +
              "7000");
    CHECK(apps.state() == RegistrationState::Sent);
}

TEST_CASE("Terminal Applications: UCS2 names are coded big-endian") {
    auto name = encode_name("Ω1", NameCoding::Ucs2);
    REQUIRE(name.ok());
    CHECK(cat::to_hex(*name) == "03A90031");
}

TEST_CASE("Terminal Applications: validation errors say which application and what") {
    SUBCASE("empty name") {
        auto r = validate({dm_client(1100, "")});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().find("application[0] \"\": name is empty") == 0);
    }
    SUBCASE("a character outside the GSM 7-bit alphabet is named with its position") {
        auto r = validate({dm_client(1100, "Client ☃")});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().find("character '☃' (U+2603) at position 8") != std::string::npos);
        CHECK(r.error().find("coding = \"ucs2\"") != std::string::npos);
        auto ok = dm_client(1100, "Client ☃");
        ok.coding = NameCoding::Ucs2;
        CHECK(validate({ok}).ok());
    }
    SUBCASE("GSM extension characters are fine") {
        CHECK(validate({dm_client(1100, "DM [€]")}).ok());
    }
    SUBCASE("invalid UTF-8") {
        auto r = validate({dm_client(1100, std::string("A\xC3", 2))});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().find("not valid UTF-8 at byte 1") != std::string::npos);
    }
    SUBCASE("port 0") {
        auto r = validate({dm_client(0)});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().find("port 0") != std::string::npos);
    }
    SUBCASE("duplicate port names both applications") {
        auto r = validate({dm_client(1100, "DM Client"), dm_client(1100, "Other")});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error() ==
              "application[1] \"Other\": port 1100 is already used by application[0] \"DM Client\"; each "
              "application needs its own port (the card addresses it by port)");
    }
    SUBCASE("a name too long for one ENVELOPE") {
        auto r = validate({dm_client(1100, std::string(250, 'a'))});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().find("name is too long") != std::string::npos);
    }
    SUBCASE("a failed configure keeps the previous set") {
        TerminalApplications apps;
        REQUIRE(apps.configure({dm_client()}).ok());
        CHECK_FALSE(apps.configure({dm_client(0)}).ok());
        REQUIRE(apps.applications().size() == 1);
        CHECK(apps.applications()[0].port == 1100);
    }
}

TEST_CASE("Terminal Applications: '90 00' / '91 XX' accept, '93 00' is busy, another SW rejects") {
    TerminalApplications apps;
    REQUIRE(apps.configure({dm_client()}).ok());
    Outbox out;
    apps.send_registration(out);
    const auto id = out.take().at(0).id;
    SUBCASE("accepted with 91 XX") {
        CHECK(apps.on_envelope_busy(id));
        CHECK(apps.state() == RegistrationState::Busy);
        CHECK(apps.on_envelope_done(id, {0x91, 0x0B}));
        CHECK(apps.state() == RegistrationState::Accepted);
        CHECK(apps.snapshot().last_sw == cat::StatusWord{0x91, 0x0B});
        CHECK(apps.find_registered(1100) != nullptr);
    }
    SUBCASE("rejected") {
        CHECK(apps.on_envelope_failed(id, cat::FailReason::CardRejected, cat::StatusWord{0x6F, 0x00}));
        CHECK(apps.state() == RegistrationState::Rejected);
        CHECK(apps.snapshot().detail.find("6F 00") != std::string::npos);
        CHECK(apps.find_registered(1100) == nullptr);  // OPEN CHANNEL: '3A' '10'
        CHECK_FALSE(apps.registration_due());          // not retried within the card session
    }
    SUBCASE("card reset: registration due again") {
        CHECK(apps.on_envelope_failed(id, cat::FailReason::CardReset, std::nullopt));
        CHECK(apps.state() == RegistrationState::NotSent);
        CHECK(apps.registration_due());
    }
    SUBCASE("other ids are not ours") {
        CHECK_FALSE(apps.on_envelope_done(id + 1000, {0x90, 0x00}));
    }
}

TEST_CASE("Terminal Applications: a port counts as registered once sent, before the card answers") {
    TerminalApplications apps;
    REQUIRE(apps.configure({dm_client(1100), dm_client(1200, "Second")}).ok());
    CHECK(apps.find_registered(1100) == nullptr);  // nothing sent in this card session
    Outbox out;
    apps.send_registration(out);
    REQUIRE(apps.find_registered(1200) != nullptr);
    CHECK(apps.find_registered(1200)->name == "Second");
    CHECK(apps.find_registered(1300) == nullptr);
    apps.card_session_ended();
    CHECK(apps.find_registered(1100) == nullptr);
}

TEST_CASE("Terminal Applications: a reload that changes the set needs a new registration") {
    TerminalApplications apps;
    REQUIRE(apps.configure({dm_client()}).ok());
    Outbox out;
    apps.send_registration(out);
    const auto id = out.take().at(0).id;
    apps.on_envelope_done(id, {0x90, 0x00});
    // deliver is the daemon's business: not a change for the card.
    auto same = dm_client();
    same.deliver = "unix:/run/dm.sock";
    CHECK_FALSE(*apps.configure({same}));
    CHECK(apps.state() == RegistrationState::Accepted);
    // A new port is.
    CHECK(*apps.configure({dm_client(1101)}));
    CHECK(apps.state() == RegistrationState::NotSent);
    CHECK(apps.registration_due());
    CHECK(apps.find_registered(1100) != nullptr);  // the card still knows the old set
    apps.send_registration(out);
    CHECK(apps.find_registered(1100) == nullptr);
    CHECK(apps.find_registered(1101) != nullptr);
    // Removing every application sends an ENVELOPE with only "last envelope".
    CHECK(*apps.configure({}));
    CHECK(apps.registration_due());
    out.take();
    apps.send_registration(out);
    auto envs = out.take();
    REQUIRE(envs.size() == 1);
    CHECK(cat::to_hex(envs[0].ber) == "DC06820282817000");
}

TEST_CASE("Terminal Applications: many applications split over ENVELOPEs, all must be accepted") {
    std::vector<ApplicationConfig> list;
    for (std::uint16_t i = 0; i < 12; ++i)
        list.push_back(
            dm_client(static_cast<std::uint16_t>(2000 + i), std::string(30, static_cast<char>('a' + i))));
    TerminalApplications apps;
    REQUIRE(apps.configure(list).ok());
    Outbox out;
    apps.send_registration(out);
    auto envs = out.take();
    REQUIRE(envs.size() > 1);
    for (const auto& e : envs) CHECK(e.ber.size() <= 255);
    for (std::size_t i = 0; i + 1 < envs.size(); ++i) {
        apps.on_envelope_done(envs[i].id, {0x90, 0x00});
        CHECK(apps.state() == RegistrationState::Sent);
    }
    apps.on_envelope_done(envs.back().id, {0x90, 0x00});
    CHECK(apps.state() == RegistrationState::Accepted);
    auto snap = apps.snapshot();
    CHECK(snap.envelopes == envs.size());
    CHECK(snap.apps.size() == 12);
    CHECK(snap.apps[3].registered);
    CHECK(snap.apps[3].coding == "gsm7");
}

TEST_CASE("Terminal Applications: no applications and nothing sent: no registration due") {
    TerminalApplications apps;
    CHECK_FALSE(apps.registration_due());
}

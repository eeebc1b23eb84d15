// tests/cat/test_session.cpp — cat::Session driven by scripted card answers and a fake clock;
// every APDU the session produces is checked byte for byte.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cat/session.hpp"

using namespace dmsc::cat;
using namespace std::chrono_literals;

namespace {

Bytes hex(const std::string& text) {
    Bytes out;
    REQUIRE(from_hex(text, out));
    return out;
}

// Proactive commands ('D0') as a card would return them to FETCH.
const char* const kMoreTime = "D009810301020082028182";                       // 6.6.4, number 1
const char* const kPollInterval5s = "D00D81030103008202818284020105";         // 6.6.6, 5 s
const char* const kDisplayText = "D00F8103012180820281028D0404414243";        // no handler for it
const char* const kPollIntervalNoDuration = "D009810301030082028182";         // mandatory '04' missing
const char* const kPollIntervalBadDuration = "D00C810301030082028182840101";  // '84' of 1 byte
const char* const kMoreTimeUnknownCr = "D00C810301020082028182DA0100";        // tag '5A', CR
const char* const kMoreTimeUnknownNoCr = "D00C8103010200820281825A0100";      // tag '5A', no CR
const char* const kBadDeviceIdentities = "D0088103051000820181";              // '82' of 1 byte
const char* const kNoCommandDetails = "D00482028182";

// TERMINAL RESPONSEs (UICC class): command details, device identities 82 -> 81, result.
std::string tr_apdu(const std::string& details, const std::string& result) {
    const std::string body =
        "8103" + details + "82028281" + "83" + (result.size() == 2 ? "01" : "02") + result;
    char lc[3];
    std::snprintf(lc, sizeof lc, "%02X", static_cast<unsigned>(body.size() / 2));
    return "80140000" + std::string(lc) + body;
}

SessionConfig uicc_config() {
    SessionConfig c;
    c.class_mode = ClassMode::Uicc;
    c.terminal_profile = Bytes{0xFF, 0xFF};
    c.busy_backoff_initial = 100ms;
    c.busy_backoff_max = 400ms;
    c.pending_timeout = 5000ms;
    c.max_followups = 4;
    return c;
}

template <class T>
std::vector<T> only(const std::vector<SessionEvent>& events) {
    std::vector<T> out;
    for (const auto& e : events) {
        if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
    }
    return out;
}

TerminalResponse ok_response(const ProactiveCommand& cmd) {
    return make_response(cmd.details, GeneralResult::Success);
}

// A session and a scripted card: next() takes the APDU the session wants sent (as hex),
// card() answers it.
struct Rig {
    explicit Rig(SessionConfig config = uicc_config()) : session(std::move(config)) {}

    std::string next() {
        auto apdu = session.next_apdu(now);
        REQUIRE_MESSAGE(apdu.has_value(), "the session has nothing to send");
        return to_hex(apdu->encode());
    }
    bool quiet() { return !session.next_apdu(now).has_value(); }
    void card(const std::string& rapdu) {
        auto r = ResponseApdu::parse(hex(rapdu));
        REQUIRE(r);
        REQUIRE(session.on_response(*r, now));
    }
    std::vector<SessionEvent> events() { return session.take_events(); }
    // Power on and download the profile.
    void ready() {
        session.power_on();
        CHECK(next() == "8010000002FFFF");
        card("9000");
        CHECK(only<ProfileDownloaded>(events()).size() == 1);
    }
    // '91 XX' via a STATUS, then FETCH of `command`.
    void fetch_command(const std::string& command) {
        session.request_status();
        CHECK(next() == "80F2000C");
        char le[3];
        std::snprintf(le, sizeof le, "%02X", static_cast<unsigned>(command.size() / 2));
        card("91" + std::string(le));
        CHECK(next() == "80120000" + std::string(le));
        card(command + "9000");
    }

    Session session;
    TimePoint now{};
};

}  // namespace

TEST_CASE("Session: power-on sends TERMINAL PROFILE first, then the queued ENVELOPE") {
    Rig rig;
    CHECK_FALSE(rig.session.queue_envelope(hex("D600"), 1));  // no card yet
    rig.session.power_on();
    CHECK(rig.session.queue_envelope(hex("D60119"), 7));
    CHECK(rig.next() == "8010000002FFFF");
    CHECK(rig.quiet());  // one APDU at a time
    rig.card("9000");
    auto ev = rig.events();
    REQUIRE(only<ProfileDownloaded>(ev).size() == 1);
    CHECK(only<ProfileDownloaded>(ev)[0].sw == StatusWord{0x90, 0x00});
    CHECK(rig.next() == "80C2000003D6011900");
    rig.card("9000");
    auto done = only<EnvelopeDone>(rig.events());
    REQUIRE(done.size() == 1);
    CHECK(done[0].id == 7);
    CHECK(rig.quiet());
    CHECK_FALSE(rig.session.next_deadline());  // idle: no needless wake-up
}

TEST_CASE("Session: TERMINAL PROFILE answered 91 XX is followed by FETCH with Le XX before ENVELOPEs") {
    Rig rig;
    rig.session.power_on();
    REQUIRE(rig.session.queue_envelope(hex("D600"), 1));
    CHECK(rig.next() == "8010000002FFFF");
    rig.card("910B");
    CHECK(rig.next() == "801200000B");
    rig.session.set_handler(CommandType::MoreTime, ok_response);
    rig.card(std::string(kMoreTime) + "9000");
    CHECK(rig.next() == tr_apdu("010200", "00"));
    rig.card("9000");
    CHECK(rig.next() == "80C2000002D60000");
}

TEST_CASE("Session: a proactive command with a handler gets exactly one TERMINAL RESPONSE") {
    Rig rig;
    rig.ready();
    int calls = 0;
    rig.session.set_handler(CommandType::PollInterval, [&](const ProactiveCommand& cmd) -> HandlerReply {
        ++calls;
        return make_response(cmd.details, GeneralResult::Success);
    });
    rig.fetch_command(kPollInterval5s);
    CHECK(calls == 1);
    CHECK(rig.next() == tr_apdu("010300", "00"));
    CHECK(rig.quiet());
    rig.card("9000");
    auto ev = rig.events();
    auto received = only<ProactiveCommandReceived>(ev);
    REQUIRE(received.size() == 1);
    CHECK(received[0].decoded);
    CHECK(received[0].details.type == 0x03);
    auto sent = only<TerminalResponseSent>(ev);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].general_result == 0x00);
    CHECK(sent[0].sw == StatusWord{0x90, 0x00});
    CHECK(rig.quiet());
}

TEST_CASE("Session: TERMINAL RESPONSE answered 91 XX fetches the next command") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::MoreTime, ok_response);
    rig.fetch_command(kMoreTime);
    CHECK(rig.next() == tr_apdu("010200", "00"));
    rig.card("910F");
    CHECK(rig.next() == "801200000F");
}

TEST_CASE("Session: a command type without a handler is answered 30 beyond terminal capabilities") {
    Rig rig;
    rig.ready();
    rig.fetch_command(kDisplayText);
    CHECK(rig.next() == tr_apdu("012180", "30"));
    rig.card("9000");
    auto sent = only<TerminalResponseSent>(rig.events());
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].general_result == 0x30);
    CHECK(rig.quiet());
}

TEST_CASE("Session: a malformed command body is answered 32 and its handler is not run") {
    Rig rig;
    rig.ready();
    bool ran = false;
    rig.session.set_handler(CommandType::PollInterval, [&](const ProactiveCommand& cmd) -> HandlerReply {
        ran = true;
        return ok_response(cmd);
    });
    rig.fetch_command(kPollIntervalBadDuration);
    CHECK(rig.next() == tr_apdu("010300", "32"));
    CHECK_FALSE(ran);
    auto received = only<ProactiveCommandReceived>(rig.events());
    REQUIRE(received.size() == 1);
    CHECK_FALSE(received[0].decoded);
    REQUIRE(received[0].error);
    CHECK(received[0].error->result == 0x32);
}

TEST_CASE("Session: a command missing a mandatory object is answered 36") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::PollInterval, ok_response);
    rig.fetch_command(kPollIntervalNoDuration);
    CHECK(rig.next() == tr_apdu("010300", "36"));
}

TEST_CASE("Session: an unknown object with comprehension required is answered 32") {
    Rig rig;
    rig.ready();
    bool ran = false;
    rig.session.set_handler(CommandType::MoreTime, [&](const ProactiveCommand& cmd) -> HandlerReply {
        ran = true;
        return ok_response(cmd);
    });
    rig.fetch_command(kMoreTimeUnknownCr);
    CHECK(rig.next() == tr_apdu("010200", "32"));
    CHECK_FALSE(ran);
}

TEST_CASE("Session: an unknown object without CR is ignored and success becomes 01 partial comprehension") {
    Rig rig;
    rig.ready();
    bool ran = false;
    rig.session.set_handler(CommandType::MoreTime, [&](const ProactiveCommand& cmd) -> HandlerReply {
        ran = true;
        return ok_response(cmd);
    });
    rig.fetch_command(kMoreTimeUnknownNoCr);
    CHECK(ran);
    CHECK(rig.next() == tr_apdu("010200", "01"));
}

TEST_CASE("Session: partial comprehension leaves a failure result as it is") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::MoreTime, [](const ProactiveCommand& cmd) -> HandlerReply {
        return make_response(cmd.details, GeneralResult::TerminalCurrentlyUnable, Bytes{0x00});
    });
    rig.fetch_command(kMoreTimeUnknownNoCr);
    CHECK(rig.next() == tr_apdu("010200", "2000"));
}

TEST_CASE(
    "Session: a command whose header does not decode is answered 32 with the details that can be found") {
    Rig rig;
    rig.ready();
    rig.fetch_command(kBadDeviceIdentities);
    CHECK(rig.next() == tr_apdu("051000", "32"));
    rig.card("9000");
    auto received = only<ProactiveCommandReceived>(rig.events());
    REQUIRE(received.size() == 1);
    CHECK_FALSE(received[0].decoded);
    CHECK(received[0].details.number == 0x05);
}

TEST_CASE("Session: a command without command details is still answered once, with details 00 00 00") {
    Rig rig;
    rig.ready();
    rig.fetch_command(kNoCommandDetails);
    CHECK(rig.next() == tr_apdu("000000", "32"));
    rig.card("9000");
    CHECK(rig.quiet());
}

TEST_CASE("Session: command details are salvaged from a 'D0' whose header is broken") {
    auto d = salvage_command_details(hex("D00C8202810181030210001122"));
    REQUIRE(d);
    CHECK(d->number == 0x02);
    CHECK(d->type == 0x10);
    CHECK_FALSE(salvage_command_details(hex("D00482028182")));
    CHECK_FALSE(salvage_command_details(hex("D1038103")));
    CHECK_FALSE(salvage_command_details({}));
    CHECK_FALSE(salvage_command_details(hex("D0")));
}

TEST_CASE("Session: a handler's TERMINAL RESPONSE always echoes the command's details") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::MoreTime, [](const ProactiveCommand&) -> HandlerReply {
        return make_response(CommandDetails{9, 9, 9}, GeneralResult::Success);
    });
    rig.fetch_command(kMoreTime);
    CHECK(rig.next() == tr_apdu("010200", "00"));
}

TEST_CASE(
    "Session: a pending handler holds the loop until complete(), ENVELOPEs wait for the TERMINAL RESPONSE") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::PollInterval,
                            [](const ProactiveCommand&) -> HandlerReply { return Pending{}; });
    rig.fetch_command(kPollInterval5s);
    REQUIRE(rig.session.queue_envelope(hex("D600"), 3));
    rig.session.request_status();
    CHECK(rig.quiet());  // no ENVELOPE, no STATUS while the command awaits its answer
    CHECK(rig.session.awaiting_handler());
    CHECK(rig.session.next_deadline() == rig.now + 5000ms);

    CHECK_FALSE(rig.session.complete(7, make_response(CommandDetails{7, 3, 0}, GeneralResult::Success)));
    CHECK(only<CompletionIgnored>(rig.events()).size() == 1);
    CHECK(rig.quiet());

    rig.now += 1s;
    CHECK(rig.session.complete(1, make_response(CommandDetails{}, GeneralResult::Success)));
    CHECK(rig.next() == tr_apdu("010300", "00"));
    rig.card("9000");
    CHECK(rig.next() == "80C2000002D60000");
    rig.card("9000");
    CHECK(rig.next() == "80F2000C");
}

TEST_CASE("Session: a handler may complete() before it returns Pending") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::MoreTime, [&](const ProactiveCommand& cmd) -> HandlerReply {
        CHECK(rig.session.complete(cmd.details.number, ok_response(cmd)));
        return Pending{};
    });
    rig.fetch_command(kMoreTime);
    CHECK(rig.next() == tr_apdu("010200", "00"));
    CHECK_FALSE(rig.session.awaiting_handler());
}

TEST_CASE("Session: a pending handler that never completes is answered 20 after the time-out") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::MoreTime,
                            [](const ProactiveCommand&) -> HandlerReply { return Pending{}; });
    rig.fetch_command(kMoreTime);
    rig.now += 4999ms;
    rig.session.on_tick(rig.now);
    CHECK(rig.quiet());
    rig.now += 1ms;
    rig.session.on_tick(rig.now);
    CHECK(only<HandlerTimedOut>(rig.events()).size() == 1);
    CHECK(rig.next() == tr_apdu("010200", "2000"));
    CHECK_FALSE(rig.session.complete(1, make_response(CommandDetails{1, 2, 0}, GeneralResult::Success)));
    CHECK(only<CompletionIgnored>(rig.events()).size() == 1);
}

TEST_CASE("Session: ENVELOPE answered 93 00 is retried with back-off and not lost") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D601AA"), 1));
    REQUIRE(rig.session.queue_envelope(hex("D601BB"), 2));
    CHECK(rig.next() == "80C2000003D601AA00");
    rig.card("9300");
    auto busy = only<EnvelopeBusy>(rig.events());
    REQUIRE(busy.size() == 1);
    CHECK(busy[0].id == 1);
    CHECK(busy[0].retry_at == rig.now + 100ms);
    CHECK(rig.session.next_deadline() == rig.now + 100ms);
    CHECK(rig.quiet());  // neither the busy ENVELOPE nor the one behind it

    rig.now += 99ms;
    CHECK(rig.quiet());
    rig.now += 1ms;
    rig.session.on_tick(rig.now);
    CHECK(rig.next() == "80C2000003D601AA00");  // the same ENVELOPE, first in line
    rig.card("9300");
    CHECK(rig.session.next_deadline() == rig.now + 200ms);  // doubled
    rig.now += 200ms;
    CHECK(rig.next() == "80C2000003D601AA00");
    rig.card("9000");
    rig.now += 1ms;
    CHECK(rig.next() == "80C2000003D601BB00");  // order kept
    rig.card("9000");
    auto done = only<EnvelopeDone>(rig.events());
    REQUIRE(done.size() == 2);
    CHECK(done[0].id == 1);
    CHECK(done[1].id == 2);
    CHECK(rig.session.current_backoff() == 100ms);  // reset after success
    CHECK(only<EnvelopeFailed>(rig.events()).empty());
}

TEST_CASE("Session: busy back-off doubles up to its maximum and keeps retrying") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D600"), 1));
    const Milliseconds expected[] = {100ms, 200ms, 400ms, 400ms, 400ms};
    for (auto wait : expected) {
        CHECK(rig.next() == "80C2000002D60000");
        rig.card("9300");
        CHECK(rig.session.next_deadline() == rig.now + wait);
        rig.now += wait;
    }
    CHECK(rig.session.queued_envelopes() == 1);
    CHECK(only<EnvelopeFailed>(rig.events()).empty());
}

TEST_CASE("Session: a proactive command may run while an ENVELOPE is in back-off") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::MoreTime, ok_response);
    REQUIRE(rig.session.queue_envelope(hex("D600"), 1));
    CHECK(rig.next() == "80C2000002D60000");
    rig.card("9300");
    rig.fetch_command(kMoreTime);  // STATUS answered 91 XX during the back-off
    CHECK(rig.next() == tr_apdu("010200", "00"));
    rig.card("9000");
    CHECK(rig.quiet());
    rig.now += 100ms;
    CHECK(rig.next() == "80C2000002D60000");
}

TEST_CASE("Session: ENVELOPEs go out one at a time in the order they were queued") {
    Rig rig;
    rig.ready();
    for (EnvelopeId id = 1; id <= 3; ++id) {
        REQUIRE(rig.session.queue_envelope(Bytes{0xD6, 0x01, static_cast<std::uint8_t>(id)}, id));
    }
    for (int k = 1; k <= 3; ++k) {
        auto apdu = rig.next();
        CHECK(apdu == "80C2000003D6010" + std::to_string(k) + "00");
        CHECK(rig.quiet());
        rig.card("9000");
    }
    auto done = only<EnvelopeDone>(rig.events());
    REQUIRE(done.size() == 3);
    for (std::size_t k = 0; k < 3; ++k) CHECK(done[k].id == k + 1);
}

TEST_CASE("Session: the ENVELOPE queue is bounded and refuses objects over 255 bytes") {
    SessionConfig config = uicc_config();
    config.max_queued_envelopes = 2;
    Rig rig(config);
    rig.ready();
    CHECK(rig.session.queue_envelope(hex("D600"), 1));
    CHECK(rig.session.queue_envelope(hex("D600"), 2));
    CHECK_FALSE(rig.session.queue_envelope(hex("D600"), 3));
    CHECK_FALSE(rig.session.queue_envelope(Bytes(256, 0xD6), 4));
    CHECK_FALSE(rig.session.queue_envelope(Bytes{}, 5));
}

TEST_CASE("Session: ENVELOPE answered 6F 00 is reported failed and the next one goes") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D601AA"), 1));
    REQUIRE(rig.session.queue_envelope(hex("D601BB"), 2));
    CHECK(rig.next() == "80C2000003D601AA00");
    rig.card("6F00");
    auto failed = only<EnvelopeFailed>(rig.events());
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].id == 1);
    CHECK(failed[0].reason == FailReason::CardRejected);
    CHECK(failed[0].sw == StatusWord{0x6F, 0x00});
    CHECK(rig.next() == "80C2000003D601BB00");
    rig.card("6A80");
    CHECK(only<EnvelopeFailed>(rig.events()).size() == 1);
    CHECK(rig.quiet());
}

TEST_CASE("Session: ENVELOPE answered 91 XX is done and its FETCH goes before the next ENVELOPE") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D601AA"), 1));
    REQUIRE(rig.session.queue_envelope(hex("D601BB"), 2));
    CHECK(rig.next() == "80C2000003D601AA00");
    rig.card("9120");
    auto done = only<EnvelopeDone>(rig.events());
    REQUIRE(done.size() == 1);
    CHECK(done[0].sw == StatusWord{0x91, 0x20});
    CHECK(rig.next() == "8012000020");
}

TEST_CASE("Session: ENVELOPE answered 62 F2 fetches with Le 00") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D600"), 1));
    CHECK(rig.next() == "80C2000002D60000");
    rig.card("62F2");
    CHECK(only<EnvelopeDone>(rig.events()).size() == 1);
    CHECK(rig.next() == "8012000000");
}

TEST_CASE("Session: FETCH answered 6C XX is resent with Le XX") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::MoreTime, ok_response);
    rig.session.request_status();
    CHECK(rig.next() == "80F2000C");
    rig.card("9110");
    CHECK(rig.next() == "8012000010");
    rig.card("6C0B");
    CHECK(rig.next() == "801200000B");
    rig.card(std::string(kMoreTime) + "9000");
    CHECK(rig.next() == tr_apdu("010200", "00"));
}

TEST_CASE("Session: a card that keeps answering 6C XX is given up on after the follow-up limit") {
    Rig rig;
    rig.ready();
    rig.session.request_status();
    CHECK(rig.next() == "80F2000C");
    rig.card("9110");
    CHECK(rig.next() == "8012000010");
    for (int k = 0; k < 4; ++k) {
        rig.card("6C10");
        CHECK(rig.next() == "8012000010");
    }
    rig.card("6C10");
    auto errors = only<CardError>(rig.events());
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].ins == Ins::Fetch);
    CHECK(rig.quiet());
}

TEST_CASE("Session: T=0 61 XX is followed by GET RESPONSE with Le XX and the data is concatenated") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D1021234"), 9));
    CHECK(rig.next() == "80C2000004D102123400");
    rig.card("6104");
    CHECK(rig.next() == "00C0000004");
    rig.card("AABB6102");  // partial data and more waiting
    CHECK(rig.next() == "00C0000002");
    rig.card("CCDD9000");
    auto done = only<EnvelopeDone>(rig.events());
    REQUIRE(done.size() == 1);
    CHECK(done[0].id == 9);
    CHECK(done[0].data == hex("AABBCCDD"));
    CHECK(done[0].sw == StatusWord{0x90, 0x00});
}

TEST_CASE("Bounded input: a card chaining 61 00 with 256 bytes each forever: given up after max_followups") {
    // Each '61 XX' answer adds its data to what the ENVELOPE's answer will be; a card that never
    // stops would grow it without end. The follow-up limit (16 by default) bounds it to
    // (max_followups + 1) answers.
    SessionConfig config = uicc_config();
    config.max_followups = 16;
    Rig rig(config);
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D600"), 7));
    CHECK(rig.next() == "80C2000002D60000");
    const std::string chunk = std::string(512, 'A') + "6100";  // 256 bytes + '61 00'
    int get_responses = 0;
    rig.card("6100");
    for (int i = 0; i < 1000; ++i) {
        const auto apdu = rig.session.next_apdu(rig.now);
        if (!apdu) break;
        CHECK(to_hex(apdu->encode()) == "00C0000000");
        ++get_responses;
        rig.card(chunk);
    }
    CHECK(get_responses == 16);
    auto failed = only<EnvelopeFailed>(rig.events());
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].id == 7);
    CHECK(failed[0].reason == FailReason::TooManyFollowups);
}

TEST_CASE("Session: GET RESPONSE ending in 91 XX fetches next") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D600"), 1));
    CHECK(rig.next() == "80C2000002D60000");
    rig.card("6102");
    CHECK(rig.next() == "00C0000002");
    rig.card("0102910B");
    CHECK(only<EnvelopeDone>(rig.events())[0].data == hex("0102"));
    CHECK(rig.next() == "801200000B");
}

TEST_CASE("Session: a 2G SIM is driven with class A0 and 9F XX is read with GET RESPONSE A0") {
    SessionConfig config = uicc_config();
    config.class_mode = ClassMode::Sim;
    Rig rig(config);
    rig.session.set_handler(CommandType::MoreTime, ok_response);
    rig.session.power_on();
    CHECK(rig.next() == "A010000002FFFF");
    rig.card("910B");
    CHECK(rig.next() == "A01200000B");
    rig.card(std::string(kMoreTime) + "9000");
    CHECK(rig.next() == "A0" + tr_apdu("010200", "00").substr(2));
    rig.card("9000");

    REQUIRE(rig.session.queue_envelope(hex("D1021234"), 4));
    CHECK(rig.next() == "A0C2000004D1021234");  // case 3 on a SIM
    rig.card("9F03");
    CHECK(rig.next() == "A0C0000003");
    rig.card("0102039000");
    auto done = only<EnvelopeDone>(rig.events());
    REQUIRE(done.size() == 1);
    CHECK(done[0].data == hex("010203"));

    rig.session.request_status();
    CHECK(rig.next() == "A0F2000016");
    rig.card("6C17");  // length corrected by the card
    CHECK(rig.next() == "A0F2000017");
    rig.card(std::string(46, '0') + "9000");
    CHECK(only<CardError>(rig.events()).empty());
}

TEST_CASE("Session: a FETCH that fails does not wedge the loop") {
    Rig rig;
    rig.ready();
    rig.session.request_status();
    CHECK(rig.next() == "80F2000C");
    rig.card("9110");
    REQUIRE(rig.session.queue_envelope(hex("D600"), 1));
    CHECK(rig.next() == "8012000010");
    rig.card("6F00");
    auto errors = only<CardError>(rig.events());
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].ins == Ins::Fetch);
    CHECK(errors[0].sw == StatusWord{0x6F, 0x00});
    CHECK(rig.next() == "80C2000002D60000");  // the loop goes on, no TERMINAL RESPONSE owed
    rig.card("9000");
    CHECK(rig.quiet());
}

TEST_CASE("Session: a FETCH answered 90 00 without data is reported and nothing is answered") {
    Rig rig;
    rig.ready();
    rig.session.request_status();
    CHECK(rig.next() == "80F2000C");
    rig.card("9110");
    CHECK(rig.next() == "8012000010");
    rig.card("9000");
    CHECK(only<CardError>(rig.events()).size() == 1);
    CHECK(rig.quiet());
}

TEST_CASE("Session: a TERMINAL RESPONSE refused by the card is reported and the loop goes on") {
    Rig rig;
    rig.ready();
    rig.fetch_command(kDisplayText);
    CHECK(rig.next() == tr_apdu("012180", "30"));
    rig.card("6F00");
    auto ev = rig.events();
    CHECK(only<TerminalResponseSent>(ev).size() == 1);
    CHECK(only<CardError>(ev).size() == 1);
    REQUIRE(rig.session.queue_envelope(hex("D600"), 1));
    CHECK(rig.next() == "80C2000002D60000");
}

TEST_CASE("Session: card removal mid-command drops the command and fails the queued ENVELOPEs") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::MoreTime,
                            [](const ProactiveCommand&) -> HandlerReply { return Pending{}; });
    rig.fetch_command(kMoreTime);
    REQUIRE(rig.session.queue_envelope(hex("D601AA"), 1));
    REQUIRE(rig.session.queue_envelope(hex("D601BB"), 2));
    rig.events();

    rig.session.card_removed();
    auto failed = only<EnvelopeFailed>(rig.events());
    REQUIRE(failed.size() == 2);
    CHECK(failed[0].id == 1);
    CHECK(failed[0].reason == FailReason::CardRemoved);
    CHECK(failed[1].id == 2);
    CHECK_FALSE(rig.session.card_present());
    CHECK_FALSE(rig.session.awaiting_handler());
    CHECK(rig.quiet());
    CHECK_FALSE(rig.session.next_deadline());
    CHECK_FALSE(rig.session.complete(1, make_response(CommandDetails{1, 2, 0}, GeneralResult::Success)));
    CHECK_FALSE(rig.session.queue_envelope(hex("D600"), 3));

    rig.session.power_on();  // a new card: the profile again, nothing of the old session
    CHECK(rig.next() == "8010000002FFFF");
}

TEST_CASE("Session: card removal with an APDU outstanding ignores its late answer") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D600"), 1));
    CHECK(rig.next() == "80C2000002D60000");
    rig.session.card_removed();
    auto failed = only<EnvelopeFailed>(rig.events());
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].reason == FailReason::CardRemoved);
    CHECK_FALSE(rig.session.on_response(ResponseApdu{{}, 0x90, 0x00}, rig.now));
    CHECK(only<EnvelopeDone>(rig.events()).empty());
}

TEST_CASE("Session: power-on mid-command resets the session and sends TERMINAL PROFILE again") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D600"), 1));
    CHECK(rig.next() == "80C2000002D60000");
    rig.session.power_on();
    auto failed = only<EnvelopeFailed>(rig.events());
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].reason == FailReason::CardReset);
    CHECK(rig.next() == "8010000002FFFF");
}

TEST_CASE("Session: STATUS polling is sent only when idle and its 91 XX starts a proactive session") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D600"), 1));
    rig.session.request_status();
    CHECK(rig.next() == "80C2000002D60000");  // the queued ENVELOPE first
    rig.card("9000");
    CHECK(rig.next() == "80F2000C");
    rig.card("910B");
    CHECK(rig.next() == "801200000B");
}

TEST_CASE("Session: a failed TERMINAL PROFILE is reported and the loop still runs") {
    Rig rig;
    rig.session.power_on();
    CHECK(rig.next() == "8010000002FFFF");
    rig.card("6D00");
    auto ev = rig.events();
    CHECK(only<ProfileDownloaded>(ev).empty());
    REQUIRE(only<CardError>(ev).size() == 1);
    CHECK(only<CardError>(ev)[0].ins == Ins::TerminalProfile);
    rig.session.request_status();
    CHECK(rig.next() == "80F2000C");
}

TEST_CASE("Session: an answer with no APDU outstanding is ignored") {
    Rig rig;
    CHECK_FALSE(rig.session.on_response(ResponseApdu{{}, 0x91, 0x10}, rig.now));
    rig.ready();
    CHECK_FALSE(rig.session.on_response(ResponseApdu{{}, 0x91, 0x10}, rig.now));
    CHECK(rig.quiet());
}

TEST_CASE("Session: an empty terminal profile skips the profile download") {
    SessionConfig config = uicc_config();
    config.terminal_profile.clear();
    Rig rig(config);
    rig.session.power_on();
    CHECK(rig.quiet());
    rig.session.request_status();
    CHECK(rig.next() == "80F2000C");
}

TEST_CASE("Session: events describe themselves in one line for logs") {
    CHECK(describe(SessionEvent{ProfileDownloaded{{0x90, 0x00}}}) ==
          "TERMINAL PROFILE downloaded (90 00 normal ending)");
    CHECK(describe(SessionEvent{TerminalResponseSent{CommandDetails{1, 0x40, 0x01}, 0x30, {0x91, 0x0B}}}) ==
          "TERMINAL RESPONSE to 01 OPEN CHANNEL (40/01) result 30 (91 0B proactive command pending)");
    CHECK(describe(SessionEvent{EnvelopeFailed{3, FailReason::CardRejected, StatusWord{0x6F, 0x00}}}) ==
          "ENVELOPE #3 failed: card rejected it (6F 00 technical problem)");
    CHECK(describe(SessionEvent{CardError{Ins::Fetch, std::nullopt, "FETCH returned no data"}}) ==
          "FETCH: FETCH returned no data");
    // Every event kind has a line.
    Rig rig;
    rig.ready();
    rig.fetch_command(kBadDeviceIdentities);
    for (const auto& e : rig.events()) CHECK_FALSE(describe(e).empty());
}

// REFRESH with NAA initialisation (TS 102 223 clause 6.4.7; profile download, clause 5).
const char* const kRefreshNaaInit = "D009810301010382028182";  // 6.6.13, qualifier '03'

TEST_CASE("Session: reinitialise() from a handler sends TERMINAL PROFILE again after its TERMINAL RESPONSE") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D601AA"), 5));  // queued before the REFRESH
    rig.session.set_handler(CommandType::Refresh, [&](const ProactiveCommand& cmd) -> HandlerReply {
        CHECK(rig.session.reinitialise());
        return make_response(cmd.details, GeneralResult::Success);
    });
    // The ENVELOPE goes first (it was queued before the STATUS); its answer '91 0B' starts
    // the proactive session with the REFRESH.
    CHECK(rig.next() == "80C2000003D601AA00");
    rig.card("910B");
    CHECK(rig.next() == "801200000B");
    rig.card(std::string(kRefreshNaaInit) + "9000");
    CHECK(rig.session.reinitialising());
    REQUIRE(rig.session.queue_envelope(hex("D601BB"), 6));  // queued during the command
    // The TERMINAL RESPONSE first, then the profile, then the ENVELOPE: nothing failed.
    CHECK(rig.next() == tr_apdu("010103", "00"));
    rig.card("9000");
    CHECK(rig.next() == "8010000002FFFF");
    rig.card("9000");
    auto ev = rig.events();
    CHECK(only<EnvelopeFailed>(ev).empty());
    auto profiles = only<ProfileDownloaded>(ev);
    REQUIRE(profiles.size() == 1);
    CHECK(profiles[0].reinitialisation);
    CHECK(describe(SessionEvent{profiles[0]}).find("again") != std::string::npos);
    CHECK_FALSE(rig.session.reinitialising());
    CHECK(rig.next() == "80C2000003D601BB00");
    rig.card("9000");
    auto done = only<EnvelopeDone>(rig.events());
    REQUIRE(done.size() == 1);
    CHECK(done[0].id == 6);
    CHECK(rig.quiet());
}

TEST_CASE("Session: reinitialise() with a pending handler waits for its completion and TERMINAL RESPONSE") {
    Rig rig;
    rig.ready();
    rig.session.set_handler(CommandType::Refresh, [&](const ProactiveCommand&) -> HandlerReply {
        CHECK(rig.session.reinitialise());
        return Pending{};
    });
    rig.fetch_command(kRefreshNaaInit);
    CHECK(rig.quiet());  // neither the profile nor anything else while the handler is pending
    REQUIRE(rig.session.complete(1, make_response(CommandDetails{1, 1, 3}, GeneralResult::Success)));
    CHECK(rig.next() == tr_apdu("010103", "00"));
    // The card has its next command ready ('91 10'): the profile still goes first, and its own
    // answer says whether to FETCH.
    rig.card("9110");
    CHECK(rig.next() == "8010000002FFFF");
    rig.card("9110");
    CHECK(rig.next() == "8012000010");
}

TEST_CASE("Session: reinitialise() when idle sends the profile at once; a refused one is reported") {
    Rig rig;
    CHECK_FALSE(rig.session.reinitialise());  // no card
    rig.ready();
    CHECK(rig.session.reinitialise());
    CHECK(rig.session.reinitialising());
    CHECK(rig.next() == "8010000002FFFF");
    rig.card("6F00");
    auto ev = rig.events();
    CHECK(only<ProfileDownloaded>(ev).empty());
    CHECK(only<CardError>(ev).size() == 1);
    CHECK(rig.quiet());
    // A power-on in between forgets the request: the profile of the power-on is not "again".
    rig.session.set_handler(CommandType::MoreTime, [&](const ProactiveCommand& cmd) -> HandlerReply {
        rig.session.reinitialise();
        return make_response(cmd.details, GeneralResult::Success);
    });
    rig.fetch_command(kMoreTime);
    rig.session.power_on();
    CHECK_FALSE(rig.session.reinitialising());
    CHECK(rig.next() == "8010000002FFFF");
    rig.card("9000");
    auto again = only<ProfileDownloaded>(rig.events());
    REQUIRE(again.size() == 1);
    CHECK_FALSE(again[0].reinitialisation);
    CHECK(rig.quiet());
}

TEST_CASE("Session: SMS-PP data download answered 9E XX is reported failed with its status word") {
    Rig rig;
    rig.ready();
    REQUIRE(rig.session.queue_envelope(hex("D10682020083020101"), 9));
    CHECK(rig.next() == "80C2000009D1068202008302010100");
    rig.card("9E10");
    auto failed = only<EnvelopeFailed>(rig.events());
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].id == 9);
    CHECK(failed[0].reason == FailReason::CardRejected);
    CHECK(failed[0].sw == StatusWord{0x9E, 0x10});
}

// tests/registry/test_timers.cpp — TIMER MANAGEMENT against the conformance vectors
// (timer_management*, timer_expiration) with a fake clock: start, get current value,
// deactivate, '24' for a timer not running, expiry into Timer expiration ENVELOPEs.
#include <doctest/doctest.h>

#include "cat/envelope.hpp"
#include "registry/timers.hpp"
#include "tests/registry/vectors.hpp"

using namespace dmsc;
using namespace dmsc::registry;
using namespace std::chrono_literals;
using registry_test::at;
using registry_test::by_name;
using registry_test::command;
using registry_test::hex_of;

namespace {

std::string answer(Timers& timers, const char* command_vector, cat::TimePoint now) {
    auto cmd = command(hex_of(by_name(command_vector)));
    return cat::to_hex(
        cat::encode(timers.handle(cmd.details, std::get<cat::TimerManagement>(cmd.body), now)));
}

std::string expected(const char* response_vector) {
    return hex_of(by_name(response_vector));
}

}  // namespace

TEST_CASE(
    "Timer Management 1.1: start 5 min, get current value after 61 s, start 1:30, deactivate after 31 s") {
    Timers timers;
    CHECK(answer(timers, "/teststk/Timer Management 1.1.1", at(0ms)) ==
          expected("/teststk/Timer Management response 1.1.1"));
    CHECK(timers.running(1));
    // 5:00 - 1:01 = 3:59 (rounded down).
    CHECK(answer(timers, "/teststk/Timer Management 1.1.2", at(61'000ms)) ==
          expected("/teststk/Timer Management response 1.1.2"));
    CHECK(answer(timers, "/teststk/Timer Management 1.1.3", at(62'000ms)).substr(0, 24) ==
          "810301270082028281830100");
    // Restarted with 1:30; deactivated 30.5 s later: 59 s left.
    CHECK(answer(timers, "/teststk/Timer Management 1.1.4", at(92'500ms)) ==
          expected("/teststk/Timer Management response 1.1.4"));
    CHECK_FALSE(timers.running(1));
}

TEST_CASE("Timer Management 1.2 / 1.3: timers 2 and 8, hours in BCD") {
    Timers timers;
    CHECK(answer(timers, "/teststk/Timer Management 1.2.1", at(0ms)) ==
          expected("/teststk/Timer Management response 1.2.1"));
    CHECK(answer(timers, "/teststk/Timer Management 1.2.2", at(61'000ms)) ==
          expected("/teststk/Timer Management response 1.2.2"));  // 23:59:59 - 1:01 = 23:58:58
    CHECK(answer(timers, "/teststk/Timer Management 1.3.1", at(0ms)) ==
          expected("/teststk/Timer Management response 1.3.1"));
    CHECK(answer(timers, "/teststk/Timer Management 1.3.2", at(61'000ms)) ==
          expected("/teststk/Timer Management response 1.3.2"));  // 20:00 - 1:01 = 18:59
    CHECK(answer(timers, "/teststk/Timer Management 1.3.3", at(61'000ms)).size() > 0);  // restart 1 h
    CHECK(answer(timers, "/teststk/Timer Management 1.3.4", at(61'000ms + 30'500ms)) ==
          expected("/teststk/Timer Management response 1.3.4"));  // 1:00:00 - 0:30.5 = 59:29
}

TEST_CASE(
    "Timer Management 1.4 / 1.5: get / deactivate a timer that is not running: '24' with the timer id") {
    const char* gets[] = {"1.4.1", "1.4.2", "1.4.3", "1.4.4", "1.4.5", "1.4.6", "1.4.7", "1.4.8"};
    const char* stops[] = {"1.5.1", "1.5.2", "1.5.3", "1.5.4", "1.5.5", "1.5.6", "1.5.7", "1.5.8"};
    Timers timers;
    for (int i = 0; i < 8; ++i) {
        CAPTURE(i);
        CHECK(answer(timers, (std::string("/teststk/Timer Management ") + gets[i]).c_str(), at(0ms)) ==
              expected((std::string("/teststk/Timer Management response ") + gets[i] + "A").c_str()));
        CHECK(answer(timers, (std::string("/teststk/Timer Management ") + stops[i]).c_str(), at(0ms)) ==
              expected((std::string("/teststk/Timer Management response ") + stops[i] + "A").c_str()));
    }
}

TEST_CASE("Timer Management 1.6: all eight timers start") {
    Timers timers;
    const char* starts[] = {"1.6.3", "1.6.4", "1.6.5", "1.6.6", "1.6.7"};
    for (const char* s : starts) {
        CAPTURE(s);
        CHECK(answer(timers, (std::string("/teststk/Timer Management ") + s).c_str(), at(0ms)) ==
              expected((std::string("/teststk/Timer Management response ") + s).c_str()));
    }
    answer(timers, "/teststk/Timer Management 1.6.1", at(0ms));
    answer(timers, "/teststk/Timer Management 1.6.2", at(0ms));
    answer(timers, "/teststk/Timer Management 1.6.8", at(0ms));
    for (std::uint8_t id = 1; id <= 8; ++id) CHECK(timers.running(id));
    CHECK(timers.next_deadline() == at(5'000ms));
}

TEST_CASE("Timer expiration 2.1.1 / 2.2.1: the ENVELOPE carries the time elapsed since start") {
    struct Row {
        const char* cmd;
        const char* env;
        int secs;
    };
    for (const Row& row : {Row{"/teststk/Timer Management 2.1.1", "/teststk/Timer Expiration 2.1.1", 10},
                           Row{"/teststk/Timer Management 2.2.1", "/teststk/Timer Expiration 2.2.1A", 30}}) {
        const char* cmd = row.cmd;
        const char* env = row.env;
        const int secs = row.secs;
        CAPTURE(cmd);
        Timers timers;
        Outbox out;
        answer(timers, cmd, at(0ms));
        REQUIRE(timers.next_deadline() == at(std::chrono::seconds(secs)));
        CHECK(timers.expire(at(std::chrono::seconds(secs) - 1ms), out) == 0);  // not yet
        CHECK(out.empty());
        // The daemon's timer fires a little late: still the start value, rounded down.
        CHECK(timers.expire(at(std::chrono::seconds(secs) + 400ms), out) == 1);
        auto envs = out.take();
        REQUIRE(envs.size() == 1);
        CHECK(envs[0].kind == EnvelopeKind::TimerExpiration);
        CHECK(envs[0].detail == 1);
        CHECK(cat::to_hex(envs[0].ber) == hex_of(by_name(env)));
        CHECK_FALSE(timers.running(1));
        CHECK_FALSE(timers.next_deadline().has_value());
        // Expired: get current value now answers '24'.
        auto get = command("D00C810301270282028182A40101");
        CHECK(timers.handle(get.details, std::get<cat::TimerManagement>(get.body), at(60s)).result.general ==
              0x24);
    }
}

TEST_CASE("Timers: several expiries in one tick, each its own ENVELOPE; late expiry reports elapsed time") {
    Timers timers;
    Outbox out;
    cat::CommandDetails start{1, 0x27, 0x00};
    timers.handle(start, cat::TimerManagement{3, cat::TimerValue{0, 0, 5}}, at(0ms));
    timers.handle(start, cat::TimerManagement{7, cat::TimerValue{0, 0, 2}}, at(0ms));
    CHECK(timers.next_deadline() == at(2'000ms));
    CHECK(timers.expire(at(9'000ms), out) == 2);  // daemon asleep for 9 s
    auto envs = out.take();
    REQUIRE(envs.size() == 2);
    CHECK(envs[0].detail == 3);
    CHECK(cat::to_hex(envs[0].ber) == "D70C82028281A40103A503000090");  // 9 s elapsed
    CHECK(envs[1].detail == 7);
    auto snap = timers.snapshot(at(9'000ms));
    CHECK(snap[2].expiries == 1);
    CHECK_FALSE(snap[2].running);
}

TEST_CASE("Timers: bad identifiers, missing value, RFU action, card reset") {
    Timers timers;
    CHECK(timers.handle({1, 0x27, 0x00}, cat::TimerManagement{9, cat::TimerValue{0, 0, 1}}, at(0ms))
              .result.general == 0x32);
    CHECK(timers.handle({1, 0x27, 0x00}, cat::TimerManagement{0, cat::TimerValue{0, 0, 1}}, at(0ms))
              .result.general == 0x32);
    CHECK(timers.handle({1, 0x27, 0x00}, cat::TimerManagement{1, std::nullopt}, at(0ms)).result.general ==
          0x36);
    CHECK(timers.handle({1, 0x27, 0x03}, cat::TimerManagement{1, std::nullopt}, at(0ms)).result.general ==
          0x30);
    // The decoder itself refuses identifier 9 with '32' (8.37).
    CHECK_FALSE(
        cat::decode_proactive_command(registry_test::hex("D011810301270082028182A40109A503000050")).ok());
    timers.handle({1, 0x27, 0x00}, cat::TimerManagement{1, cat::TimerValue{1, 0, 0}}, at(0ms));
    CHECK(timers.current_value(1, at(1'500ms)) == cat::TimerValue{0, 59, 58});
    timers.clear();
    CHECK_FALSE(timers.next_deadline().has_value());
    CHECK_FALSE(timers.current_value(1, at(2'000ms)).has_value());
}

// tests/registry/test_cadence.cpp — cat::Session and the Registry driven together the way the
// daemon drives them, with a fake clock: the loop jumps straight to the next deadline either
// asks for, so every wake-up is counted and nothing waits on real time. STATUS cadence, POLL
// INTERVAL / POLLING OFF, no wake-up when nothing is due, Timer expiration through '93 00' and
// through a full ENVELOPE queue (never lost).
#include <doctest/doctest.h>

#include <deque>
#include <string>
#include <vector>

#include "cat/envelope.hpp"
#include "cat/session.hpp"
#include "registry/registry.hpp"
#include "tests/registry/vectors.hpp"

using namespace dmsc;
using namespace dmsc::registry;
using namespace std::chrono_literals;
using registry_test::command;

namespace {

// POLL INTERVAL 5 s (6.6.6), POLLING OFF (6.6.8), TIMER MANAGEMENT start timer 1 with 0:00:45
// (6.6.21: '24' timer identifier, '25' timer value in swapped BCD).
constexpr const char* kPollInterval5s = "D00D81030103008202818284020105";
constexpr const char* kPollingOff = "D009810301040082028182";
constexpr const char* kStartTimer1At45s = "D011810301270082028182A40101A503000054";

// The daemon's loop over a Session and a Registry, with a card that answers '90 00' except
// for the answers scripted in `card_answers` (consumed by ENVELOPEs only).
struct Loop {
    cat::Session session;
    Registry registry;
    TimePoint now{};
    std::vector<TimePoint> statuses;       // when each STATUS went out
    std::vector<TimePoint> wakeups;        // each timer wake-up the loop armed and took
    std::vector<cat::Bytes> envelopes;     // ENVELOPE bodies as sent (resends included)
    std::deque<std::string> card_answers;  // for ENVELOPEs: "9300", "9000" ...

    static cat::SessionConfig session_config() {
        cat::SessionConfig c;
        c.terminal_profile = cat::Bytes{0xFF};
        c.busy_backoff_initial = 200ms;
        c.busy_backoff_max = 800ms;
        return c;
    }
    static Registry make_registry() {
        RegistryConfig c;  // no applications: no registration ENVELOPE in the way
        auto r = Registry::create(std::move(c));
        REQUIRE(r.ok());
        return std::move(r).value();
    }
    Loop() : session(session_config()), registry(make_registry()) {
        session.power_on();
        registry.card_session_started(now);
        pump();
    }

    // One daemon pump: registry time, STATUS due, ENVELOPEs handed over, APDUs exchanged.
    void pump() {
        for (int guard = 0; guard < 1000; ++guard) {
            registry.on_tick(now);
            if (registry.status_due(now)) {
                session.request_status();
                registry.mark_polled(now);
            }
            auto out = registry.take_envelopes();
            for (std::size_t i = 0; i < out.size(); ++i) {
                if (session.queue_envelope(out[i].ber, out[i].id)) continue;
                for (std::size_t j = out.size(); j > i; --j) registry.envelope_not_queued(out[j - 1]);
                break;
            }
            auto apdu = session.next_apdu(now);
            if (!apdu) return;
            std::string answer = "9000";
            if (apdu->ins == static_cast<std::uint8_t>(cat::Ins::Status)) statuses.push_back(now);
            if (apdu->ins == static_cast<std::uint8_t>(cat::Ins::Envelope)) {
                envelopes.push_back(apdu->data);
                if (!card_answers.empty()) {
                    answer = card_answers.front();
                    card_answers.pop_front();
                }
            }
            cat::Bytes sw;
            REQUIRE(cat::from_hex(answer, sw));
            session.on_response(*cat::ResponseApdu::parse(sw), now);
            for (const auto& e : session.take_events()) {
                if (const auto* d = std::get_if<cat::EnvelopeDone>(&e))
                    registry.on_envelope_done(d->id, d->sw);
                if (const auto* b = std::get_if<cat::EnvelopeBusy>(&e)) registry.on_envelope_busy(b->id);
            }
        }
        FAIL("the loop did not settle");
    }
    std::optional<TimePoint> next_wakeup() const {
        auto a = session.next_deadline();
        auto b = registry.next_deadline(now);
        if (a && b) return std::min(*a, *b);
        return a ? a : b;
    }
    // Sleeps from deadline to deadline until `until` (or until nothing is due at all).
    void run_until(TimePoint until) {
        while (auto w = next_wakeup()) {
            if (*w > until) break;
            now = *w;
            wakeups.push_back(now);
            session.on_tick(now);
            pump();
        }
        now = std::max(now, until);
    }
    void card_command(const char* hex) {
        auto cmd = command(hex);
        auto out = registry.handle(cmd, now);
        REQUIRE(out);
        REQUIRE(out->response);
        CHECK(out->response->result.general == 0x00);
        pump();
    }
};

}  // namespace

TEST_CASE("Cadence: STATUS every 30 s by default, exactly one wake-up per STATUS") {
    Loop loop;
    const TimePoint start = loop.now;
    loop.run_until(start + 1h);
    REQUIRE(loop.statuses.size() == 120);
    for (std::size_t i = 0; i < loop.statuses.size(); ++i) {
        CHECK(loop.statuses[i] - start == (i + 1) * 30s);
    }
    CHECK(loop.wakeups == loop.statuses);  // no wake-up that did not poll
}

TEST_CASE("Cadence: POLL INTERVAL 5 s takes over from the next STATUS; POLLING OFF arms nothing") {
    Loop loop;
    const TimePoint start = loop.now;
    loop.run_until(start + 40s);  // one default STATUS at 30 s
    REQUIRE(loop.statuses.size() == 1);
    loop.card_command(kPollInterval5s);  // at 40 s
    loop.run_until(start + 60s);
    // 45, 50, 55, 60: one interval after the POLL INTERVAL, then every interval.
    REQUIRE(loop.statuses.size() == 5);
    CHECK(loop.statuses[1] - start == 45s);
    CHECK(loop.statuses[4] - start == 60s);
    loop.card_command(kPollingOff);
    CHECK_FALSE(loop.next_wakeup());  // idle: nothing to wake up for
    const auto wakeups = loop.wakeups.size();
    loop.run_until(start + 24h);
    CHECK(loop.statuses.size() == 5);
    CHECK(loop.wakeups.size() == wakeups);
    loop.card_command(kPollInterval5s);  // polling back on
    loop.run_until(loop.now + 10s);
    CHECK(loop.statuses.size() == 7);
}

TEST_CASE("Cadence: a timer expiry wakes the loop at its deadline, between the STATUS polls") {
    Loop loop;
    const TimePoint start = loop.now;
    loop.run_until(start + 10s);
    loop.card_command(kStartTimer1At45s);  // at 10 s: expires at 55 s
    loop.run_until(start + 90s);
    REQUIRE(loop.envelopes.size() == 1);
    // Timer expiration (7.4): 'D7', device identities terminal → UICC, timer 1, value 0:00:45.
    CHECK(cat::to_hex(loop.envelopes[0]) == "D70C82028281A40101A503000054");
    CHECK(loop.statuses.size() == 3);  // 30, 60, 90
    CHECK(loop.wakeups.size() == 4);   // 30, 55, 60, 90
    CHECK(loop.wakeups[1] - start == 55s);
}

TEST_CASE("Cadence: a Timer expiration answered '93 00' is resent after the back-off, never lost") {
    Loop loop;
    const TimePoint start = loop.now;
    loop.card_answers = {"9300", "9300", "9300", "9000"};
    loop.card_command(kStartTimer1At45s);
    loop.run_until(start + 50s);
    REQUIRE(loop.envelopes.size() == 4);  // the same ENVELOPE each time
    for (const auto& e : loop.envelopes) CHECK(e == loop.envelopes[0]);
    // Sent at 45 s, resent at 45.2, 45.6, 46.4 s (200, 400, 800 ms back-off); the STATUS
    // polls at 30 s keep their own wake-ups.
    std::vector<std::chrono::milliseconds> after_start;
    for (const auto w : loop.wakeups)
        after_start.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(w - start));
    CHECK(after_start == std::vector<std::chrono::milliseconds>{30s, 45s, 45200ms, 45600ms, 46400ms});
    CHECK_FALSE(loop.session.queued_envelopes());
    CHECK(loop.registry.timers_snapshot(loop.now)[0].expiries == 1);
}

TEST_CASE("Cadence: an expiry the session cannot queue (queue full) is kept and sent later") {
    Loop loop;
    loop.card_answers = {"9300"};  // the dummy ENVELOPE below is busy once
    // Fill the session's queue to its limit with other ENVELOPEs.
    std::size_t filler = 0;
    while (loop.session.queue_envelope(cat::Bytes{0xD6, 0x01, 0x04}, 1000 + filler)) ++filler;
    REQUIRE(filler == 64);
    loop.card_command(kStartTimer1At45s);
    loop.now += 45s;  // the expiry is due while the queue is still full
    loop.registry.on_tick(loop.now);
    CHECK(loop.registry.has_envelopes());
    loop.run_until(loop.now + 60s);
    // All 64 fillers went, then the expiry: nothing lost.
    REQUIRE(loop.envelopes.size() == 64 + 1 + 1);  // one filler resent after its '93 00'
    CHECK(loop.envelopes.back()[0] == 0xD7);
    CHECK_FALSE(loop.registry.has_envelopes());
}

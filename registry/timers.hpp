// registry/timers.hpp — the 8 timers of TIMER MANAGEMENT (TS 102 223 clauses 6.4.21 / 6.6.21):
// start, deactivate, get current value, and expiry into Timer expiration ENVELOPEs (clause
// 7.4). Time is passed in; next_deadline() is for the daemon's single timer.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "cat/objects.hpp"
#include "cat/proactive.hpp"
#include "cat/response.hpp"
#include "cat/session.hpp"
#include "registry/outbox.hpp"

namespace dmsc::registry {

inline constexpr std::uint8_t kTimerCount = 8;  // 8.37: timer identifiers '01'..'08'

struct TimerSnapshot {
    std::uint8_t id = 0;
    bool running = false;
    cat::TimerValue started_with;  // the value of the TIMER MANAGEMENT that started it
    cat::TimerValue remaining;     // now (running timers)
    std::uint32_t expiries = 0;    // Timer expiration ENVELOPEs queued since start
};

class Timers {
public:
    // TIMER MANAGEMENT: the whole answer. Start: '00' + timer identifier (a running timer is
    // restarted with the new value). Deactivate / get current value: '00' + timer identifier +
    // the value left; '24' action in contradiction with the current timer state (+ timer
    // identifier) for a timer that is not running. Identifier outside 1..8: '32' (8.37; the
    // decoder already answers those). Qualifier '11' (RFU): '30'.
    cat::TerminalResponse handle(const cat::CommandDetails& details, const cat::TimerManagement& body,
                                 TimePoint now);

    // Every running timer whose deadline is <= now expires: it stops, and its Timer expiration
    // ENVELOPE (timer identifier + the time elapsed since it was started, 7.4) goes to `out`.
    // Returns how many expired.
    std::size_t expire(TimePoint now, Outbox& out);
    std::optional<TimePoint> next_deadline() const;

    // The value left (rounded down to whole seconds), nullopt when not running.
    std::optional<cat::TimerValue> current_value(std::uint8_t id, TimePoint now) const;
    bool running(std::uint8_t id) const;

    // Card session over: every timer stops (they belong to the card's toolkit session).
    void clear();

    std::vector<TimerSnapshot> snapshot(TimePoint now) const;

private:
    struct Timer {
        bool running = false;
        TimePoint started;
        TimePoint deadline;
        cat::TimerValue value;
        std::uint32_t expiries = 0;
    };
    std::array<Timer, kTimerCount> timers_{};
};

// Whole seconds of a duration, saturated at the largest timer value (99:59:59).
cat::TimerValue timer_value_of(std::chrono::steady_clock::duration d);

}  // namespace dmsc::registry

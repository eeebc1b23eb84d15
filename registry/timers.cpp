// registry/timers.cpp — TIMER MANAGEMENT and Timer expiration (TS 102 223 6.4.21, 7.4).
#include "registry/timers.hpp"

#include <chrono>

#include "cat/envelope.hpp"

namespace dmsc::registry {

namespace {

using cat::GeneralResult;
using Action = cat::TimerManagement::Action;

}  // namespace

cat::TimerValue timer_value_of(std::chrono::steady_clock::duration d) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    if (s <= 0) return cat::TimerValue{};
    return cat::TimerValue::from_seconds(s > 0xFFFFFFFF ? 0xFFFFFFFFu : static_cast<std::uint32_t>(s));
}

cat::TerminalResponse Timers::handle(const cat::CommandDetails& details, const cat::TimerManagement& body,
                                     TimePoint now) {
    // 8.37: '01'..'08'. The decoder answers '32' before we get here; kept for direct callers.
    if (body.timer_id < 1 || body.timer_id > kTimerCount) {
        return cat::make_response(details, GeneralResult::CommandDataNotUnderstood);
    }
    Timer& t = timers_[body.timer_id - 1];
    switch (cat::TimerManagement::action(details.qualifier)) {
        case Action::Start: {
            if (!body.value) {  // 6.6.21: the timer value is mandatory to start (decoder: '36')
                return cat::make_response(details, GeneralResult::ErrorRequiredValuesMissing);
            }
            t.running = true;
            t.started = now;
            t.value = *body.value;
            t.deadline = now + std::chrono::seconds(body.value->total_seconds());
            return cat::timer_management_response(details, GeneralResult::Success, body.timer_id,
                                                  std::nullopt);
        }
        case Action::Deactivate:
        case Action::GetCurrentValue: {
            if (!t.running || t.deadline <= now) {
                // Not started, deactivated, or already expired (its ENVELOPE is on its way).
                return cat::timer_management_response(
                    details, GeneralResult::ActionInContradictionWithTimerState, body.timer_id, std::nullopt);
            }
            const cat::TimerValue left = timer_value_of(t.deadline - now);
            if (cat::TimerManagement::action(details.qualifier) == Action::Deactivate) t.running = false;
            return cat::timer_management_response(details, GeneralResult::Success, body.timer_id, left);
        }
        case Action::Reserved:
            break;
    }
    return cat::make_response(details, GeneralResult::BeyondTerminalCapabilities);
}

std::size_t Timers::expire(TimePoint now, Outbox& out) {
    std::size_t n = 0;
    for (std::uint8_t i = 0; i < kTimerCount; ++i) {
        Timer& t = timers_[i];
        if (!t.running || t.deadline > now) continue;
        t.running = false;
        ++t.expiries;
        ++n;
        // 7.4: the timer value is the time elapsed since the timer was started — as close as
        // possible to the value it was started with (Timer expiration 2.1.1: started 10 s,
        // expiry carries 10 s). Rounded down, never below the start value.
        cat::TimerValue elapsed = timer_value_of(now - t.started);
        if (elapsed.total_seconds() < t.value.total_seconds()) elapsed = t.value;
        const auto id = static_cast<std::uint8_t>(i + 1);
        out.push(EnvelopeKind::TimerExpiration, id, cat::timer_expiration(id, elapsed));
    }
    return n;
}

std::optional<TimePoint> Timers::next_deadline() const {
    std::optional<TimePoint> next;
    for (const auto& t : timers_) {
        if (t.running && (!next || t.deadline < *next)) next = t.deadline;
    }
    return next;
}

std::optional<cat::TimerValue> Timers::current_value(std::uint8_t id, TimePoint now) const {
    if (id < 1 || id > kTimerCount) return std::nullopt;
    const Timer& t = timers_[id - 1];
    if (!t.running || t.deadline <= now) return std::nullopt;
    return timer_value_of(t.deadline - now);
}

bool Timers::running(std::uint8_t id) const {
    return id >= 1 && id <= kTimerCount && timers_[id - 1].running;
}

void Timers::clear() {
    for (auto& t : timers_) t.running = false;
}

std::vector<TimerSnapshot> Timers::snapshot(TimePoint now) const {
    std::vector<TimerSnapshot> out;
    for (std::uint8_t i = 0; i < kTimerCount; ++i) {
        const Timer& t = timers_[i];
        TimerSnapshot s;
        s.id = static_cast<std::uint8_t>(i + 1);
        s.running = t.running;
        s.started_with = t.value;
        if (t.running && t.deadline > now) s.remaining = timer_value_of(t.deadline - now);
        s.expiries = t.expiries;
        out.push_back(s);
    }
    return out;
}

}  // namespace dmsc::registry

// registry/polling.hpp — proactive polling policy: POLL INTERVAL (TS 102 223 clauses 6.4.6 /
// 6.6.6) clamped to configured bounds, POLLING OFF (6.4.8 / 6.6.8), and when the next STATUS
// is due. The daemon calls cat::Session::request_status() then and mark_polled().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "cat/objects.hpp"
#include "cat/response.hpp"
#include "cat/session.hpp"
#include "registry/outbox.hpp"

namespace dmsc::registry {

using Milliseconds = std::chrono::milliseconds;

struct PollingConfig {
    // The interval before any POLL INTERVAL and after a card reset (TS 102 221 proactive
    // polling: a STATUS at least every 30 s while idle).
    Milliseconds default_interval{30'000};
    Milliseconds min_interval{1'000};
    Milliseconds max_interval{3'600'000};
    bool default_enabled = true;
};

struct PollingSnapshot {
    bool enabled = false;
    Milliseconds interval{0};                    // used
    std::optional<cat::Duration> requested;      // the card's last POLL INTERVAL
    std::optional<Milliseconds> next_status_in;  // from `now`; 0 = due
    std::uint32_t statuses = 0;                  // mark_polled() calls
};

// The duration object for an interval: the largest unit that codes it exactly in one byte
// (minutes, seconds, tenths), else minutes rounded up (at most 255).
cat::Duration duration_of(Milliseconds interval);

class PollingPolicy {
public:
    explicit PollingPolicy(PollingConfig config = {});

    // POLL INTERVAL: the requested interval clamped to [min, max]; '00' with the duration really
    // used (6.4.6). A zero or unknown-unit duration: '32' command data not understood.
    cat::TerminalResponse poll_interval(const cat::CommandDetails& details, const cat::Duration& requested,
                                        TimePoint now);
    // POLLING OFF: no STATUS timer at all until the next POLL INTERVAL; '00'.
    cat::TerminalResponse polling_off(const cat::CommandDetails& details);

    // A STATUS was sent (or requested) at `now`: the next is one interval later.
    void mark_polled(TimePoint now);
    // When the next STATUS is due; nullopt when polling is off.
    std::optional<TimePoint> next_status_at(TimePoint now) const;
    bool status_due(TimePoint now) const;

    // Card session start: back to the configured default.
    void reset(TimePoint now);

    bool enabled() const { return enabled_; }
    Milliseconds interval() const { return interval_; }
    PollingSnapshot snapshot(TimePoint now) const;

private:
    PollingConfig config_;
    bool enabled_;
    Milliseconds interval_;
    std::optional<cat::Duration> requested_;
    std::optional<TimePoint> anchor_;  // last STATUS, or when the interval was set
    std::uint32_t statuses_ = 0;
};

}  // namespace dmsc::registry

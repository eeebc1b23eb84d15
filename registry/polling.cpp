// registry/polling.cpp — POLL INTERVAL / POLLING OFF and the STATUS cadence.
#include "registry/polling.hpp"

#include <algorithm>

namespace dmsc::registry {

cat::Duration duration_of(Milliseconds interval) {
    const auto ms = std::max<std::int64_t>(interval.count(), 0);
    // 8.8: time unit '00' minutes, '01' seconds, '02' tenths of seconds; interval '01'..'FF'.
    if (ms % 60'000 == 0 && ms / 60'000 >= 1 && ms / 60'000 <= 255) {
        return cat::Duration{0x00, static_cast<std::uint8_t>(ms / 60'000)};
    }
    if (ms % 1'000 == 0 && ms / 1'000 >= 1 && ms / 1'000 <= 255) {
        return cat::Duration{0x01, static_cast<std::uint8_t>(ms / 1'000)};
    }
    if (ms % 100 == 0 && ms / 100 >= 1 && ms / 100 <= 255) {
        return cat::Duration{0x02, static_cast<std::uint8_t>(ms / 100)};
    }
    if (ms < 100) return cat::Duration{0x02, 1};
    if (ms <= 255'000) return cat::Duration{0x01, static_cast<std::uint8_t>((ms + 999) / 1'000)};
    return cat::Duration{0x00,
                         static_cast<std::uint8_t>(std::min<std::int64_t>((ms + 59'999) / 60'000, 255))};
}

PollingPolicy::PollingPolicy(PollingConfig config)
    : config_(config), enabled_(config.default_enabled), interval_(config.default_interval) {
    // A minimum above the maximum would make clamping ill-defined: the maximum wins.
    config_.min_interval = std::min(config_.min_interval, config_.max_interval);
}

cat::TerminalResponse PollingPolicy::poll_interval(const cat::CommandDetails& details,
                                                   const cat::Duration& requested, TimePoint now) {
    const std::uint64_t asked = requested.milliseconds();
    if (requested.interval == 0 || asked == 0) {
        // 8.8: interval '00' is reserved; a unit other than minutes/seconds/tenths is unknown.
        return cat::make_response(details, cat::GeneralResult::CommandDataNotUnderstood);
    }
    const Milliseconds want{static_cast<Milliseconds::rep>(asked)};
    Milliseconds used = std::clamp(want, config_.min_interval, config_.max_interval);
    // 6.4.6: the terminal answers with the interval it will really use. When the requested one
    // is used, the card gets its own duration back (Poll Interval 1.1.1).
    cat::Duration coded = used == want ? requested : duration_of(used);
    used = Milliseconds{static_cast<Milliseconds::rep>(coded.milliseconds())};
    enabled_ = true;
    interval_ = used;
    requested_ = requested;
    anchor_ = now;
    return cat::poll_interval_response(details, coded);
}

cat::TerminalResponse PollingPolicy::polling_off(const cat::CommandDetails& details) {
    enabled_ = false;
    return cat::make_response(details, cat::GeneralResult::Success);
}

void PollingPolicy::mark_polled(TimePoint now) {
    anchor_ = now;
    ++statuses_;
}

std::optional<TimePoint> PollingPolicy::next_status_at(TimePoint now) const {
    if (!enabled_) return std::nullopt;
    return anchor_ ? *anchor_ + interval_ : now + interval_;
}

bool PollingPolicy::status_due(TimePoint now) const {
    auto next = next_status_at(now);
    return next && *next <= now;
}

void PollingPolicy::reset(TimePoint now) {
    enabled_ = config_.default_enabled;
    interval_ = config_.default_interval;
    requested_.reset();
    anchor_ = now;
}

PollingSnapshot PollingPolicy::snapshot(TimePoint now) const {
    PollingSnapshot s;
    s.enabled = enabled_;
    s.interval = interval_;
    s.requested = requested_;
    if (auto next = next_status_at(now)) {
        s.next_status_in =
            *next > now ? std::chrono::duration_cast<Milliseconds>(*next - now) : Milliseconds{0};
    }
    s.statuses = statuses_;
    return s;
}

}  // namespace dmsc::registry

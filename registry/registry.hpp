// registry/registry.hpp — the registry as the daemon wires it: one object per card link that
// answers the proactive commands the registry owns (SET UP EVENT LIST, TIMER MANAGEMENT, POLL
// INTERVAL, POLLING OFF, MORE TIME, PROVIDE LOCAL INFORMATION, REFRESH), takes platform events
// and time, and hands out the ENVELOPEs to queue. Pure: no clock, no I/O (see docs/registry.md).
#pragma once

#include <optional>
#include <vector>

#include "cat/proactive.hpp"
#include "cat/response.hpp"
#include "cat/session.hpp"
#include "registry/applications.hpp"
#include "registry/events.hpp"
#include "registry/expected.hpp"
#include "registry/local_info.hpp"
#include "registry/outbox.hpp"
#include "registry/polling.hpp"
#include "registry/refresh.hpp"
#include "registry/timers.hpp"

namespace dmsc::registry {

struct RegistryConfig {
    std::vector<ApplicationConfig> applications;
    std::vector<cat::EventType> supported_events = default_supported_events();
    PollingConfig polling;
    PlatformInfo platform;  // static values (IMEI ...); dynamic ones follow injected events
};

// What handle() decided for a command.
struct CommandOutcome {
    std::optional<cat::TerminalResponse> response;  // nullopt only for REFRESH UICC reset
    RefreshAction refresh = RefreshAction::None;
};

class Registry {
public:
    // Fails with the first bad application (see validate()).
    static Expected<Registry> create(RegistryConfig config);

    // The command types handle() answers (register a cat::Session handler for each).
    static const std::vector<cat::CommandType>& command_types();

    // A proactive command of one of command_types(); nullopt for any other type. `local_time`
    // is only read for PROVIDE LOCAL INFORMATION date/time/time zone.
    std::optional<CommandOutcome> handle(const cat::ProactiveCommand& cmd, TimePoint now,
                                         const std::optional<cat::DateTimeTimeZone>& local_time = {});

    // ---- card lifecycle ----
    // After Session::power_on() (card inserted, powered, reset): event list and timers gone
    // (they belonged to the previous card session), polling back to default, the Terminal
    // Applications registration queued (TS 102 223 clause 7: after the profile download).
    void card_session_started(TimePoint now);
    // After REFRESH (NAA initialisation) was answered and TERMINAL PROFILE sent again.
    void toolkit_reinitialised();
    // Card removed / link lost: everything cleared, nothing queued.
    void card_removed();
    bool card_present() const { return card_present_; }

    // ---- configuration (SIGHUP) ----
    // Replaces the applications; when the set changed and a card is present, the registration
    // is queued again. Returns whether it changed. On error nothing changes.
    Expected<bool> reload_applications(std::vector<ApplicationConfig> apps);

    // ---- platform events ----
    // Updates the platform info (location, language ...), then the event filter: true when an
    // Event download was queued, false when the card has not registered the event (or there is
    // no card).
    bool inject(const PlatformEvent& event);
    // For bip/: the same filter for Data available / Channel status.
    std::optional<EnvelopeId> data_available(const cat::ChannelStatus& status, std::size_t available);
    std::optional<EnvelopeId> channel_status(const cat::ChannelStatus& status);
    // An Event download the daemon queued for another layer (bip/ builds Data available and
    // Channel status itself): counted in events_snapshot() as sent.
    void event_queued_elsewhere(cat::EventType type) { events_.count_sent(type); }

    // ---- time ----
    // Expires due timers (their ENVELOPEs queued). Call at next_deadline() or any time.
    void on_tick(TimePoint now);
    // The earliest timer expiry or STATUS due; nullopt: nothing timed.
    std::optional<TimePoint> next_deadline(TimePoint now) const;
    // STATUS polling: due now? Then Session::request_status() and mark_polled(now).
    bool status_due(TimePoint now) const { return card_present_ && polling_.status_due(now); }
    void mark_polled(TimePoint now) { polling_.mark_polled(now); }

    // ---- ENVELOPEs ----
    // Everything queued since the last call, in order: pass each to
    // Session::queue_envelope(e.ber, e.id). If the session refuses one, give it back with
    // envelope_not_queued() (it goes first next time) — a timer expiry is never dropped.
    std::vector<OutgoingEnvelope> take_envelopes() { return outbox_.take(); }
    void envelope_not_queued(OutgoingEnvelope envelope);
    bool has_envelopes() const { return !outbox_.empty(); }
    // ENVELOPEs waiting in the outbox, and those dropped because it was full (Outbox::kMaxQueued).
    std::size_t envelopes_waiting() const { return outbox_.size(); }
    std::uint64_t envelopes_dropped() const { return outbox_.dropped(); }
    // The session's events for ids with is_registry_envelope(id); false for other ids.
    bool on_envelope_done(EnvelopeId id, cat::StatusWord sw);
    bool on_envelope_busy(EnvelopeId id);
    bool on_envelope_failed(EnvelopeId id, cat::FailReason reason, std::optional<cat::StatusWord> sw);

    // ---- lookups and snapshots ----
    const TerminalApplications& applications() const { return apps_; }
    const ApplicationConfig* find_registered_port(std::uint16_t port) const {
        return apps_.find_registered(port);
    }
    const EventRegistry& events() const { return events_; }
    const Timers& timers() const { return timers_; }
    const PollingPolicy& polling() const { return polling_; }
    const PlatformInfo& platform() const { return platform_; }
    PlatformInfo& platform() { return platform_; }

    ApplicationsSnapshot apps_snapshot() const { return apps_.snapshot(); }
    EventsSnapshot events_snapshot() const { return events_.snapshot(); }
    std::vector<TimerSnapshot> timers_snapshot(TimePoint now) const { return timers_.snapshot(now); }
    PollingSnapshot polling_snapshot(TimePoint now) const { return polling_.snapshot(now); }

private:
    explicit Registry(RegistryConfig config);
    void queue_registration_if_due();

    TerminalApplications apps_;
    EventRegistry events_;
    Timers timers_;
    PollingPolicy polling_;
    PlatformInfo platform_;
    Outbox outbox_;
    bool card_present_ = false;
};

}  // namespace dmsc::registry

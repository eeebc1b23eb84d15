// registry/registry.cpp — the registry's parts behind one object for the daemon.
#include "registry/registry.hpp"

#include <utility>

namespace dmsc::registry {

using cat::CommandType;

Registry::Registry(RegistryConfig config)
    : events_(std::move(config.supported_events)),
      polling_(config.polling),
      platform_(std::move(config.platform)) {}

Expected<Registry> Registry::create(RegistryConfig config) {
    auto apps = std::move(config.applications);
    Registry r(std::move(config));
    auto ok = r.apps_.configure(std::move(apps));
    if (!ok) return Failure{ok.error()};
    return r;
}

const std::vector<cat::CommandType>& Registry::command_types() {
    static const std::vector<CommandType> kTypes{
        CommandType::Refresh,         CommandType::MoreTime,       CommandType::PollInterval,
        CommandType::PollingOff,      CommandType::SetUpEventList, CommandType::ProvideLocalInformation,
        CommandType::TimerManagement,
    };
    return kTypes;
}

std::optional<CommandOutcome> Registry::handle(const cat::ProactiveCommand& cmd, TimePoint now,
                                               const std::optional<cat::DateTimeTimeZone>& local_time) {
    const auto& d = cmd.details;
    if (const auto* b = std::get_if<cat::SetUpEventList>(&cmd.body)) {
        return CommandOutcome{events_.set_up_event_list(d, *b)};
    }
    if (const auto* b = std::get_if<cat::TimerManagement>(&cmd.body)) {
        timers_.expire(now, outbox_);  // a timer due now has expired: '24', and its ENVELOPE goes
        return CommandOutcome{timers_.handle(d, *b, now)};
    }
    if (const auto* b = std::get_if<cat::PollInterval>(&cmd.body)) {
        return CommandOutcome{polling_.poll_interval(d, b->interval, now)};
    }
    if (std::holds_alternative<cat::PollingOff>(cmd.body)) return CommandOutcome{polling_.polling_off(d)};
    // 6.4.4 MORE TIME: nothing to do but answer '00'.
    if (std::holds_alternative<cat::MoreTime>(cmd.body)) {
        return CommandOutcome{cat::make_response(d, cat::GeneralResult::Success)};
    }
    if (std::holds_alternative<cat::ProvideLocalInformation>(cmd.body)) {
        return CommandOutcome{provide_local_information(d, platform_, local_time)};
    }
    if (std::holds_alternative<cat::Refresh>(cmd.body)) {
        auto decision = decide_refresh(d);
        return CommandOutcome{std::move(decision.response), decision.action};
    }
    return std::nullopt;
}

void Registry::queue_registration_if_due() {
    if (card_present_ && apps_.registration_due()) apps_.send_registration(outbox_);
}

void Registry::card_session_started(TimePoint now) {
    outbox_.clear();
    apps_.card_session_ended();
    events_.clear();
    timers_.clear();
    polling_.reset(now);
    card_present_ = true;
    queue_registration_if_due();
}

void Registry::toolkit_reinitialised() {
    // Drop queued registration ENVELOPEs of the earlier round; the card gets the set again.
    apps_.card_session_ended();
    queue_registration_if_due();
}

void Registry::card_removed() {
    outbox_.clear();
    apps_.card_session_ended();
    events_.clear();
    timers_.clear();
    card_present_ = false;
}

Expected<bool> Registry::reload_applications(std::vector<ApplicationConfig> apps) {
    auto changed = apps_.configure(std::move(apps));
    if (!changed) return changed;
    if (*changed) queue_registration_if_due();
    return changed;
}

bool Registry::inject(const PlatformEvent& event) {
    apply_event(platform_, event);
    if (!card_present_) return false;
    return events_.offer(event, outbox_).has_value();
}

std::optional<EnvelopeId> Registry::data_available(const cat::ChannelStatus& status, std::size_t available) {
    if (!card_present_) return std::nullopt;
    return events_.offer_data_available(status, available, outbox_);
}

std::optional<EnvelopeId> Registry::channel_status(const cat::ChannelStatus& status) {
    if (!card_present_) return std::nullopt;
    return events_.offer_channel_status(status, outbox_);
}

void Registry::on_tick(TimePoint now) {
    timers_.expire(now, outbox_);
}

std::optional<TimePoint> Registry::next_deadline(TimePoint now) const {
    std::optional<TimePoint> next = timers_.next_deadline();
    if (card_present_) {
        if (auto status = polling_.next_status_at(now); status && (!next || *status < *next)) next = status;
    }
    return next;
}

void Registry::envelope_not_queued(OutgoingEnvelope envelope) {
    if (!card_present_) return;  // the card session is over; its ENVELOPEs with it
    outbox_.push_front(std::move(envelope));
}

bool Registry::on_envelope_done(EnvelopeId id, cat::StatusWord sw) {
    if (!is_registry_envelope(id)) return false;
    apps_.on_envelope_done(id, sw);
    return true;
}

bool Registry::on_envelope_busy(EnvelopeId id) {
    if (!is_registry_envelope(id)) return false;
    apps_.on_envelope_busy(id);
    return true;
}

bool Registry::on_envelope_failed(EnvelopeId id, cat::FailReason reason, std::optional<cat::StatusWord> sw) {
    if (!is_registry_envelope(id)) return false;
    apps_.on_envelope_failed(id, reason, sw);
    return true;
}

}  // namespace dmsc::registry

// registry/outbox.cpp — the registry's queue of ENVELOPEs for the daemon to hand to cat::Session.
#include "registry/outbox.hpp"

#include <utility>

namespace dmsc::registry {

std::string_view name_of(EnvelopeKind kind) {
    switch (kind) {
        case EnvelopeKind::TerminalApplications:
            return "terminal applications";
        case EnvelopeKind::EventDownload:
            return "event download";
        case EnvelopeKind::TimerExpiration:
            return "timer expiration";
    }
    return "unknown";
}

EnvelopeId Outbox::push(EnvelopeKind kind, std::uint8_t detail, const cat::Envelope& envelope) {
    if (queue_.size() >= kMaxQueued && kind != EnvelopeKind::TerminalApplications) {
        ++dropped_;
        return 0;
    }
    const EnvelopeId id = next_++;
    queue_.push_back(OutgoingEnvelope{id, kind, detail, cat::encode(envelope)});
    return id;
}

void Outbox::push_front(OutgoingEnvelope envelope) {
    queue_.push_front(std::move(envelope));
}

std::vector<OutgoingEnvelope> Outbox::take() {
    std::vector<OutgoingEnvelope> out(std::make_move_iterator(queue_.begin()),
                                      std::make_move_iterator(queue_.end()));
    queue_.clear();
    return out;
}

}  // namespace dmsc::registry

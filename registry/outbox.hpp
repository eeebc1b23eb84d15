// registry/outbox.hpp — the ENVELOPEs the registry wants sent (Terminal Applications, event
// downloads, timer expirations), in order, each with an id the daemon passes to
// cat::Session::queue_envelope() so the session's EnvelopeDone/Busy/Failed come back here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/envelope.hpp"
#include "cat/session.hpp"

namespace dmsc::registry {

using cat::EnvelopeId;
using TimePoint = cat::TimePoint;  // steady_clock; always passed in, never read here

enum class EnvelopeKind : std::uint8_t { TerminalApplications, EventDownload, TimerExpiration };
std::string_view name_of(EnvelopeKind kind);

struct OutgoingEnvelope {
    EnvelopeId id = 0;
    EnvelopeKind kind = EnvelopeKind::EventDownload;
    std::uint8_t detail = 0;  // event type (EventDownload), timer id (TimerExpiration), batch index
    cat::Bytes ber;           // the whole BER-TLV, the ENVELOPE APDU body
};

// Ids the registry hands out carry 'RG' in their top 16 bits, so the daemon can route the
// session's ENVELOPE events (bip/ and others pick their own ranges).
inline constexpr EnvelopeId kRegistryEnvelopeIdBase = EnvelopeId{0x5247} << 48;
inline bool is_registry_envelope(EnvelopeId id) {
    return (id >> 48) == 0x5247;
}

class Outbox {
public:
    // At most this many wait here (the session's own queue is full behind a card that keeps
    // answering '93 00', and events or timer expiries keep coming). Past it an Event download
    // or a Timer expiration is dropped and counted (dropped()); the Terminal Applications
    // registration is always kept.
    static constexpr std::size_t kMaxQueued = 256;

    // The id of the queued ENVELOPE, or 0 when it was dropped (the outbox is full).
    EnvelopeId push(EnvelopeKind kind, std::uint8_t detail, const cat::Envelope& envelope);
    // Puts back an ENVELOPE the session would not queue (queue full), ahead of the others.
    void push_front(OutgoingEnvelope envelope);
    std::vector<OutgoingEnvelope> take();
    void clear() { queue_.clear(); }

    bool empty() const { return queue_.empty(); }
    std::size_t size() const { return queue_.size(); }
    std::uint64_t dropped() const { return dropped_; }
    const std::deque<OutgoingEnvelope>& queued() const { return queue_; }

private:
    EnvelopeId next_ = kRegistryEnvelopeIdBase + 1;
    std::deque<OutgoingEnvelope> queue_;
    std::uint64_t dropped_ = 0;
};

}  // namespace dmsc::registry

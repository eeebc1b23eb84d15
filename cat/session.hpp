// cat/session.hpp — cat::Session, the sans-I/O proactive loop: TERMINAL PROFILE, FETCH,
// TERMINAL RESPONSE, queued ENVELOPEs and the status-word rules, driven by inputs and
// returning the next APDU to send plus events (see docs/session.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cat/apdu.hpp"
#include "cat/bytes.hpp"
#include "cat/codes.hpp"
#include "cat/objects.hpp"
#include "cat/proactive.hpp"
#include "cat/response.hpp"

namespace dmsc::cat {

using SessionClock = std::chrono::steady_clock;
using TimePoint = SessionClock::time_point;  // always passed in, never read here
using Milliseconds = std::chrono::milliseconds;

// Chosen by the owner when it queues an ENVELOPE, handed back in EnvelopeDone/EnvelopeFailed.
using EnvelopeId = std::uint64_t;

struct SessionConfig {
    ClassMode class_mode = ClassMode::Uicc;
    Bytes terminal_profile;  // built by cat/profile; empty = no TERMINAL PROFILE is sent
    // '93 00' on an ENVELOPE: first retry after `busy_backoff_initial`, doubling up to the max.
    Milliseconds busy_backoff_initial{200};
    Milliseconds busy_backoff_max{10'000};
    // A handler that answered "pending" and never completes would hold the card in its
    // proactive session: after this the session answers '20' itself (0 = wait forever).
    Milliseconds pending_timeout{60'000};
    std::size_t max_queued_envelopes = 64;
    // '61 XX' / '9F XX' / '6C XX' follow-ups per command before the session gives up on it.
    std::size_t max_followups = 16;
};

// What a handler answers: the TERMINAL RESPONSE now, or "pending" and Session::complete()
// later (OPEN CHANNEL with immediate link waits for its socket).
struct Pending {};
using HandlerReply = std::variant<TerminalResponse, Pending>;
using Handler = std::function<HandlerReply(const ProactiveCommand&)>;

struct StatusWord {
    std::uint8_t sw1 = 0;
    std::uint8_t sw2 = 0;
    SwKind kind() const { return classify_sw(sw1, sw2); }
    bool operator==(const StatusWord&) const = default;
};

// Events, in the order they happened, for the owner to log, count and react to.
struct ProfileDownloaded {
    StatusWord sw;
    bool reinitialisation = false;  // sent again by reinitialise(), not after a power-on
};
struct ProactiveCommandReceived {
    CommandDetails details;  // as recovered when the command did not decode
    Bytes ber;               // the 'D0' object as fetched
    bool decoded = false;    // false: answered with `error.result` (or '32' for the header)
    std::optional<Error> error;
};
struct TerminalResponseSent {
    CommandDetails details;
    std::uint8_t general_result = 0;
    StatusWord sw;  // the card's answer to the TERMINAL RESPONSE
};
struct EnvelopeDone {
    EnvelopeId id = 0;
    StatusWord sw;  // '90 00', '91 XX' or a '62'/'63' warning
    Bytes data;     // response data (after any GET RESPONSE), usually empty
};
// '93 00': the ENVELOPE stays at the head of the queue and is resent at `retry_at`.
struct EnvelopeBusy {
    EnvelopeId id = 0;
    TimePoint retry_at;
};
enum class FailReason : std::uint8_t { CardRejected, CardRemoved, CardReset, TooManyFollowups };
std::string_view name_of(FailReason reason);
struct EnvelopeFailed {
    EnvelopeId id = 0;
    FailReason reason = FailReason::CardRejected;
    std::optional<StatusWord> sw;  // for CardRejected / TooManyFollowups
};
// A command the session sent was refused or failed ('6F XX', errors, an empty FETCH...).
// The loop goes on; the owner logs it and may count it.
struct CardError {
    Ins ins = Ins::Fetch;
    std::optional<StatusWord> sw;
    std::string what;
};
// A pending handler did not complete within `pending_timeout`: '20' was answered for it.
struct HandlerTimedOut {
    CommandDetails details;
};
// complete() for a command that is not awaiting its answer (late, or a wrong number).
struct CompletionIgnored {
    std::uint8_t command_number = 0;
};

using SessionEvent =
    std::variant<ProfileDownloaded, ProactiveCommandReceived, TerminalResponseSent, EnvelopeDone,
                 EnvelopeBusy, EnvelopeFailed, CardError, HandlerTimedOut, CompletionIgnored>;

// One line for logs: "proactive command 01 OPEN CHANNEL (40/01) decoded",
// "ENVELOPE #3 busy (93 00), retry in 200 ms" ...
std::string describe(const SessionEvent& event);

// One Session per card. Driving it:
//   after each input (power_on, on_response, queue_envelope, complete, request_status, on_tick)
//   call next_apdu(now); send what it returns and feed the answer to on_response(); when it
//   returns nothing, arm a timer for next_deadline() (if any) and call on_tick() then.
// Only one APDU is ever outstanding (the card is strictly sequential).
class Session {
public:
    explicit Session(SessionConfig config);

    void set_handler(CommandType type, Handler handler);
    void clear_handler(CommandType type);

    // Card powered or reset: state cleared (queued ENVELOPEs fail with CardReset: they belong
    // to the previous card session), TERMINAL PROFILE goes first (TS 102 223 clause 5: profile download).
    void power_on();
    // Card gone: everything outstanding is dropped, queued ENVELOPEs fail with CardRemoved.
    void card_removed();
    // The toolkit is initialised again without a reset (REFRESH with NAA initialisation, TS
    // 102 223 clause 6.4.7: the profile download is part of the initialisation, clause 5):
    // TERMINAL PROFILE goes again right after the TERMINAL RESPONSE of the proactive command
    // in progress (at once when there is none). Nothing else is dropped: queued ENVELOPEs stay
    // queued and go after the profile, in order; a pending handler still answers. Called
    // from the REFRESH handler itself. False (nothing done) without a card or a profile.
    bool reinitialise();

    // The answer to the APDU last returned by next_apdu(). Ignored (false) when none is
    // outstanding.
    bool on_response(const ResponseApdu& response, TimePoint now);
    // Queues an ENVELOPE ('D6' event download, 'DC' Terminal Applications ...). False when no
    // card is powered, the queue is full or the object does not fit a short APDU.
    bool queue_envelope(Bytes ber, EnvelopeId id);
    // A handler that answered Pending delivers its TERMINAL RESPONSE. False (and an event)
    // when that command is not awaiting an answer.
    bool complete(std::uint8_t command_number, TerminalResponse response);
    // Send a STATUS when the card is idle (POLL INTERVAL, TS 102 223 clause 6.4.6); a '91 XX'
    // answer starts a proactive session like any other.
    void request_status();
    // Timers: pending-handler time-outs. Back-off is checked by next_apdu(now) itself.
    void on_tick(TimePoint now);

    std::optional<CommandApdu> next_apdu(TimePoint now);
    // When on_tick()/next_apdu() must run again without any other input; nullopt when only an
    // input can move the session (idle, or an APDU outstanding).
    std::optional<TimePoint> next_deadline() const;
    std::vector<SessionEvent> take_events();

    // Introspection for the debug socket and tests.
    bool card_present() const { return card_present_; }
    bool apdu_outstanding() const { return exchange_ && exchange_->in_flight; }
    bool awaiting_handler() const { return awaiting_.has_value(); }
    std::size_t queued_envelopes() const { return envelopes_.size(); }
    Milliseconds current_backoff() const { return backoff_; }
    // reinitialise() was called and its TERMINAL PROFILE is not sent yet.
    bool reinitialising() const { return reinit_after_response_ || (profile_due_ && profile_again_); }

private:
    enum class Purpose : std::uint8_t { Profile, Fetch, TerminalResponse, Envelope, Status };

    // One command and its follow-ups ('6C' resend, '61'/'9F' GET RESPONSE chain).
    struct Exchange {
        Purpose purpose = Purpose::Status;
        CommandApdu next;  // the APDU to hand out (or handed out, when in_flight)
        bool in_flight = false;
        Bytes collected;  // response data gathered over GET RESPONSEs
        std::size_t followups = 0;
        EnvelopeId envelope_id = 0;
        CommandDetails details;  // TERMINAL RESPONSE: the command it answers
        std::uint8_t general_result = 0;
        bool reinitialisation = false;  // Profile: sent by reinitialise()
    };
    struct Awaiting {
        CommandDetails details;
        bool partial_comprehension = false;
        std::optional<TimePoint> deadline;
    };
    struct QueuedEnvelope {
        EnvelopeId id = 0;
        Bytes ber;
    };

    // Constructs the event in place (GCC 12 at -O2 warns maybe-uninitialized on moving a
    // temporary variant into the vector).
    template <class T>
    void emit(T event) {
        events_.emplace_back(std::in_place_type<T>, std::move(event));
    }
    void reset(FailReason reason);
    void start(Purpose purpose, CommandApdu apdu);
    void finish(Exchange ex, const StatusWord& sw, Bytes data, TimePoint now);
    void handle_proactive(const Bytes& ber, TimePoint now);
    void answer(const CommandDetails& details, TerminalResponse tr, bool partial_comprehension);

    SessionConfig config_;
    std::map<std::uint8_t, Handler> handlers_;
    std::vector<SessionEvent> events_;

    bool card_present_ = false;
    bool profile_due_ = false;
    bool profile_again_ = false;          // the profile due is a re-initialisation
    bool reinit_after_response_ = false;  // profile due once the current TR is sent
    bool status_due_ = false;
    std::optional<std::uint16_t> fetch_due_;        // Le for the FETCH to send next
    std::optional<TerminalResponse> response_due_;  // TERMINAL RESPONSE to send next
    std::optional<Awaiting> awaiting_;              // a handler answered Pending
    std::optional<Exchange> exchange_;
    std::deque<QueuedEnvelope> envelopes_;
    std::optional<TimePoint> busy_until_;
    Milliseconds backoff_;
};

// Fallback when a fetched object's header does not decode: the command details found by a
// lenient scan of the 'D0' value (nullopt when there are none). Exposed for tests.
std::optional<CommandDetails> salvage_command_details(ByteView ber);

}  // namespace dmsc::cat

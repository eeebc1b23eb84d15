// cat/session.cpp — the proactive-loop state machine: which APDU goes next, and what each
// status word means for it (TS 102 221 clauses 7.3.1, 10.2.1, 11.2; TS 102 223 clauses 5, 6).
#include "cat/session.hpp"

#include <algorithm>
#include <utility>

#include "cat/tlv.hpp"

namespace dmsc::cat {

namespace {

constexpr std::size_t kMaxEnvelopeSize = 255;  // one short APDU (Lc)
constexpr std::uint8_t kCommandDetailsTag = static_cast<std::uint8_t>(Tag::CommandDetails);

}  // namespace

std::string_view name_of(FailReason reason) {
    switch (reason) {
        case FailReason::CardRejected:
            return "card rejected it";
        case FailReason::CardRemoved:
            return "card removed";
        case FailReason::CardReset:
            return "card reset";
        case FailReason::TooManyFollowups:
            return "too many GET RESPONSE / Le retries";
    }
    return "";
}

namespace {

std::string hex2(std::uint8_t v) {
    return to_hex(ByteView(&v, 1));
}

std::string sw_text(const StatusWord& sw) {
    return describe_sw(sw.sw1, sw.sw2);
}

std::string command_text(const CommandDetails& d) {
    std::string name(name_of(static_cast<CommandType>(d.type)));
    if (name.empty()) name = "type " + hex2(d.type);
    return hex2(d.number) + " " + name + " (" + hex2(d.type) + "/" + hex2(d.qualifier) + ")";
}

struct Describer {
    std::string operator()(const ProfileDownloaded& e) const {
        return std::string(e.reinitialisation ? "TERMINAL PROFILE downloaded again (toolkit re-initialised, "
                                              : "TERMINAL PROFILE downloaded (") +
               sw_text(e.sw) + ")";
    }
    std::string operator()(const ProactiveCommandReceived& e) const {
        std::string out = "proactive command " + command_text(e.details);
        if (e.decoded) return out + " decoded";
        return out + " not understood: " + (e.error ? e.error->describe() : std::string("?"));
    }
    std::string operator()(const TerminalResponseSent& e) const {
        return "TERMINAL RESPONSE to " + command_text(e.details) + " result " + hex2(e.general_result) +
               " (" + sw_text(e.sw) + ")";
    }
    std::string operator()(const EnvelopeDone& e) const {
        return "ENVELOPE #" + std::to_string(e.id) + " done (" + sw_text(e.sw) + ")" +
               (e.data.empty() ? "" : ", data " + to_hex(e.data));
    }
    std::string operator()(const EnvelopeBusy& e) const {
        return "ENVELOPE #" + std::to_string(e.id) + " busy (93 00), resent later";
    }
    std::string operator()(const EnvelopeFailed& e) const {
        return "ENVELOPE #" + std::to_string(e.id) + " failed: " + std::string(name_of(e.reason)) +
               (e.sw ? " (" + sw_text(*e.sw) + ")" : "");
    }
    std::string operator()(const CardError& e) const {
        return std::string(name_of(e.ins)) + ": " + e.what + (e.sw ? " (" + sw_text(*e.sw) + ")" : "");
    }
    std::string operator()(const HandlerTimedOut& e) const {
        return "handler for " + command_text(e.details) + " timed out, answered 20";
    }
    std::string operator()(const CompletionIgnored& e) const {
        return "completion for command " + hex2(e.command_number) + " ignored: not awaiting one";
    }
};

}  // namespace

std::string describe(const SessionEvent& event) {
    return std::visit(Describer{}, event);
}

std::optional<CommandDetails> salvage_command_details(ByteView ber) {
    ByteReader r(ber);
    if (r.u8() != static_cast<std::uint8_t>(BerTag::ProactiveCommand) || !r.ok()) return std::nullopt;
    std::size_t length = 0;
    if (!read_length(r, length)) return std::nullopt;
    ByteReader body(r.take(std::min(length, r.remaining())), r.offset());
    // Walk the TLVs for as long as they parse; the first well-formed command details win.
    while (!body.empty()) {
        auto tlv = parse_ctlv(body);
        if (!tlv) break;
        if (tlv->is(kCommandDetailsTag) && tlv->value.size() == 3) {
            CommandDetails d;
            d.number = tlv->value[0];
            d.type = tlv->value[1];
            d.qualifier = tlv->value[2];
            return d;
        }
    }
    return std::nullopt;
}

Session::Session(SessionConfig config) : config_(std::move(config)), backoff_(config_.busy_backoff_initial) {}

void Session::set_handler(CommandType type, Handler handler) {
    handlers_[static_cast<std::uint8_t>(type)] = std::move(handler);
}

void Session::clear_handler(CommandType type) {
    handlers_.erase(static_cast<std::uint8_t>(type));
}

void Session::reset(FailReason reason) {
    // An ENVELOPE on its way is still at the head of the queue: it fails with the rest.
    for (const auto& e : envelopes_) emit(EnvelopeFailed{e.id, reason, std::nullopt});
    envelopes_.clear();
    exchange_.reset();
    fetch_due_.reset();
    response_due_.reset();
    awaiting_.reset();
    busy_until_.reset();
    backoff_ = config_.busy_backoff_initial;
    profile_due_ = false;
    profile_again_ = false;
    reinit_after_response_ = false;
    status_due_ = false;
}

void Session::power_on() {
    reset(FailReason::CardReset);
    card_present_ = true;
    profile_due_ = !config_.terminal_profile.empty();
}

void Session::card_removed() {
    reset(FailReason::CardRemoved);
    card_present_ = false;
}

bool Session::reinitialise() {
    if (!card_present_ || config_.terminal_profile.empty()) return false;
    // A proactive command in progress (fetched, its handler pending, its TERMINAL RESPONSE due
    // or on its way) is answered first: the card ends that proactive session, then the
    // terminal initialises the toolkit again.
    const bool in_command =
        awaiting_ || response_due_ || (exchange_ && exchange_->purpose == Purpose::TerminalResponse);
    if (in_command) {
        reinit_after_response_ = true;
    } else if (!profile_due_) {
        profile_due_ = true;
        profile_again_ = true;
    }
    return true;
}

bool Session::queue_envelope(Bytes ber, EnvelopeId id) {
    if (!card_present_ || ber.empty() || ber.size() > kMaxEnvelopeSize) return false;
    if (envelopes_.size() >= config_.max_queued_envelopes) return false;
    envelopes_.push_back(QueuedEnvelope{id, std::move(ber)});
    return true;
}

void Session::request_status() {
    if (card_present_) status_due_ = true;
}

void Session::start(Purpose purpose, CommandApdu apdu) {
    Exchange ex;
    ex.purpose = purpose;
    ex.next = std::move(apdu);
    exchange_ = std::move(ex);
}

std::optional<CommandApdu> Session::next_apdu(TimePoint now) {
    if (!card_present_) return std::nullopt;
    if (!exchange_) {
        // Priority: the profile first after a reset; then the proactive session (FETCH, its
        // TERMINAL RESPONSE, or waiting for a handler: nothing else may go in between); then
        // ENVELOPEs in order; then a polling STATUS.
        if (profile_due_) {
            profile_due_ = false;
            // The card tells in its answer to the profile whether a command is pending ('91
            // XX'); a FETCH owed from before would only duplicate that.
            fetch_due_.reset();
            start(Purpose::Profile, terminal_profile(config_.class_mode, config_.terminal_profile));
            exchange_->reinitialisation = std::exchange(profile_again_, false);
        } else if (fetch_due_) {
            const std::uint16_t le = *fetch_due_;
            fetch_due_.reset();
            start(Purpose::Fetch, fetch(config_.class_mode, le));
        } else if (response_due_) {
            const Bytes body = encode(*response_due_);
            start(Purpose::TerminalResponse, terminal_response(config_.class_mode, body));
            exchange_->details = response_due_->details;
            exchange_->general_result = response_due_->result.general;
            response_due_.reset();
        } else if (awaiting_) {
            return std::nullopt;
        } else if (!envelopes_.empty() && (!busy_until_ || now >= *busy_until_)) {
            busy_until_.reset();
            start(Purpose::Envelope, envelope(config_.class_mode, envelopes_.front().ber));
            exchange_->envelope_id = envelopes_.front().id;
        } else if (status_due_) {
            status_due_ = false;
            start(Purpose::Status, status(config_.class_mode));
        } else {
            return std::nullopt;
        }
    }
    if (exchange_->in_flight) return std::nullopt;
    exchange_->in_flight = true;
    return exchange_->next;
}

bool Session::on_response(const ResponseApdu& response, TimePoint now) {
    if (!card_present_ || !exchange_ || !exchange_->in_flight) return false;
    Exchange& ex = *exchange_;
    ex.in_flight = false;
    const StatusWord sw{response.sw1, response.sw2};
    const SwKind kind = sw.kind();

    const bool followup =
        kind == SwKind::WrongLe || kind == SwKind::ResponseAvailable || kind == SwKind::SimResponseAvailable;
    if (followup) {
        if (++ex.followups > config_.max_followups) {
            Exchange done = std::move(ex);
            exchange_.reset();
            if (done.purpose == Purpose::Envelope) {
                emit(EnvelopeFailed{done.envelope_id, FailReason::TooManyFollowups, sw});
                envelopes_.pop_front();
            } else {
                emit(CardError{static_cast<Ins>(done.next.ins), sw, "too many follow-ups"});
            }
            return true;
        }
        if (kind == SwKind::WrongLe) {
            // TS 102 221 clause 7.3.1 (T=0 procedure bytes) / ISO/IEC 7816-3: resend the same
            // command with Le = XX ('00' = 256). Data already gathered stays.
            ex.next.le = response.sw2 == 0 ? 256 : response.sw2;
        } else {
            // '61 XX' (T=0) or '9F XX' (2G SIM): XX bytes wait for GET RESPONSE; a chain of
            // them is concatenated.
            ex.collected.insert(ex.collected.end(), response.data.begin(), response.data.end());
            ex.next = get_response(config_.class_mode, response.sw2 == 0 ? 256 : response.sw2);
        }
        return true;
    }

    Bytes data = std::move(ex.collected);
    data.insert(data.end(), response.data.begin(), response.data.end());
    Exchange done = std::move(ex);
    exchange_.reset();
    finish(std::move(done), sw, std::move(data), now);
    return true;
}

void Session::finish(Exchange ex, const StatusWord& sw, Bytes data, TimePoint now) {
    const SwKind kind = sw.kind();
    // TS 102 221 clause 10.2.1.1: '91 XX' after any command: FETCH with Le = XX before
    // anything else. For '62 F2' / '63 F2' the length is unknown: Le '00', which the card
    // corrects with '6C XX' if it must.
    if (kind == SwKind::ProactivePending) fetch_due_ = sw.sw2 == 0 ? 256 : sw.sw2;
    if (kind == SwKind::WarningProactivePending) fetch_due_ = 256;

    switch (ex.purpose) {
        case Purpose::Profile:
            if (sw_performed(kind)) {
                emit(ProfileDownloaded{sw, ex.reinitialisation});
            } else {
                emit(CardError{Ins::TerminalProfile, sw, "TERMINAL PROFILE refused"});
            }
            break;
        case Purpose::Fetch:
            if (!sw_performed(kind)) {
                // Nothing was fetched, so nothing needs answering: the loop goes on.
                emit(CardError{Ins::Fetch, sw, "FETCH failed"});
            } else if (data.empty()) {
                emit(CardError{Ins::Fetch, sw, "FETCH returned no data"});
            } else {
                handle_proactive(data, now);
            }
            break;
        case Purpose::TerminalResponse:
            emit(TerminalResponseSent{ex.details, ex.general_result, sw});
            if (reinit_after_response_) {  // reinitialise() during this command
                reinit_after_response_ = false;
                profile_due_ = true;
                profile_again_ = true;
            }
            if (!sw_performed(kind)) {
                emit(CardError{Ins::TerminalResponse, sw, "TERMINAL RESPONSE refused"});
            }
            break;
        case Purpose::Envelope:
            if (kind == SwKind::ToolkitBusy) {
                // TS 102 221 clause 10.2.1.2: '93 00' toolkit busy — the same ENVELOPE stays at
                // the head of the queue (order kept) and is resent after a growing back-off.
                busy_until_ = now + backoff_;
                emit(EnvelopeBusy{ex.envelope_id, *busy_until_});
                backoff_ = std::min(backoff_ * 2, config_.busy_backoff_max);
                break;
            }
            envelopes_.pop_front();
            backoff_ = config_.busy_backoff_initial;
            if (sw_performed(kind)) {
                emit(EnvelopeDone{ex.envelope_id, sw, std::move(data)});
            } else {
                emit(EnvelopeFailed{ex.envelope_id, FailReason::CardRejected, sw});
            }
            break;
        case Purpose::Status:
            if (!sw_performed(kind)) emit(CardError{Ins::Status, sw, "STATUS failed"});
            break;
    }
}

void Session::handle_proactive(const Bytes& ber, TimePoint now) {
    auto cmd = decode_proactive_command(ber);
    if (cmd) {
        emit(ProactiveCommandReceived{cmd->details, ber, true, std::nullopt});
        const auto it = handlers_.find(cmd->details.type);
        if (it == handlers_.end() || !it->second) {
            // TS 102 223 clause 6.8 / 8.12: a command type the gateway does not perform.
            answer(cmd->details, make_response(cmd->details, GeneralResult::BeyondTerminalCapabilities),
                   false);
            return;
        }
        Awaiting waiting{cmd->details, cmd->partial_comprehension, std::nullopt};
        if (config_.pending_timeout.count() > 0) waiting.deadline = now + config_.pending_timeout;
        awaiting_ = waiting;
        // The handler may call complete() itself before returning Pending; a reply that
        // arrives when the command no longer awaits one is dropped.
        HandlerReply reply = it->second(*cmd);
        if (auto* tr = std::get_if<TerminalResponse>(&reply)) {
            if (awaiting_ && awaiting_->details == waiting.details) {
                awaiting_.reset();
                answer(waiting.details, std::move(*tr), waiting.partial_comprehension);
            }
        }
        return;
    }

    // The command did not decode: it is still answered exactly once (TS 102 223 clause 6.10),
    // with the result its error maps to ('32' / '36' / '31'...) and the command details from
    // the separately decoded header. When even the header does not decode, the details found
    // by a lenient scan are echoed (or '00 00 00' when none exist) with '32' command data not
    // understood: the card gets its TERMINAL RESPONSE and its proactive session can end.
    const Error& error = cmd.error();
    CommandDetails details{0, 0, 0};
    std::uint8_t general = error.result;
    if (auto header = decode_command_header(ber)) {
        details = header->details;
    } else {
        general = static_cast<std::uint8_t>(GeneralResult::CommandDataNotUnderstood);
        if (auto salvaged = salvage_command_details(ber)) details = *salvaged;
    }
    emit(ProactiveCommandReceived{details, ber, false, error});
    answer(details, make_response(details, static_cast<GeneralResult>(general)), false);
}

void Session::answer(const CommandDetails& details, TerminalResponse tr, bool partial_comprehension) {
    // TS 102 223 clause 6.8: the TERMINAL RESPONSE echoes the command details.
    tr.details = details;
    // TS 102 223 clause 6.10: an unknown object without CR was ignored, so "performed
    // successfully" becomes '01' performed with partial comprehension.
    if (partial_comprehension && tr.result.general == static_cast<std::uint8_t>(GeneralResult::Success)) {
        tr.result.general = static_cast<std::uint8_t>(GeneralResult::PartialComprehension);
    }
    response_due_ = std::move(tr);
}

bool Session::complete(std::uint8_t command_number, TerminalResponse response) {
    if (!awaiting_ || awaiting_->details.number != command_number) {
        emit(CompletionIgnored{command_number});
        return false;
    }
    const Awaiting waiting = *awaiting_;
    awaiting_.reset();
    answer(waiting.details, std::move(response), waiting.partial_comprehension);
    return true;
}

void Session::on_tick(TimePoint now) {
    if (awaiting_ && awaiting_->deadline && now >= *awaiting_->deadline) {
        const CommandDetails details = awaiting_->details;
        awaiting_.reset();
        emit(HandlerTimedOut{details});
        // TS 102 223 clause 8.12.2: '20' terminal currently unable, '00' no specific cause.
        answer(details, make_response(details, GeneralResult::TerminalCurrentlyUnable, Bytes{0x00}), false);
    }
}

std::optional<TimePoint> Session::next_deadline() const {
    if (!card_present_ || exchange_) return std::nullopt;
    std::optional<TimePoint> deadline;
    if (awaiting_ && awaiting_->deadline) deadline = awaiting_->deadline;
    // The back-off only matters when nothing else is due (next_apdu() sends that at once).
    const bool other_work = profile_due_ || fetch_due_ || response_due_ || awaiting_;
    if (!other_work && !envelopes_.empty() && busy_until_) {
        if (!deadline || *busy_until_ < *deadline) deadline = busy_until_;
    }
    return deadline;
}

std::vector<SessionEvent> Session::take_events() {
    return std::exchange(events_, {});
}

}  // namespace dmsc::cat

// gateway/sim/card.cpp — the simulated UICC's APDU handling (TS 102 221 clauses 10.2 and 11.2),
// proactive command building from scenario steps (TS 102 223 clause 6.6) and the checks of
// the TERMINAL RESPONSEs and ENVELOPEs it receives.
#include "gateway/sim/card.hpp"

#include <algorithm>
#include <sstream>
#include <utility>

#include "cat/apdu.hpp"
#include "cat/codes.hpp"
#include "cat/envelope.hpp"
#include "cat/proactive.hpp"
#include "cat/response.hpp"
#include "cat/text.hpp"
#include "cat/tlv.hpp"

namespace dmsc::gateway::sim {
namespace {

constexpr std::uint16_t kOk = 0x9000;
constexpr std::uint16_t kWrongLength = 0x6700;  // ISO/IEC 7816-4: wrong length
constexpr std::uint16_t kConditionsNotSatisfied = 0x6985;
constexpr std::uint16_t kIncorrectData = 0x6A80;  // incorrect parameters in the data field
constexpr std::uint16_t kInsNotSupported = 0x6D00;
constexpr std::uint16_t kClassNotSupported = 0x6E00;
constexpr std::uint16_t kToolkitBusy = 0x9300;  // TS 102 221 10.2.1.2

constexpr std::uint8_t kUicc = 0x81;
constexpr std::uint8_t kTerminal = 0x82;

std::uint8_t u8(cat::Tag t) {
    return static_cast<std::uint8_t>(t);
}

std::string hex_byte(std::uint8_t b) {
    return cat::to_hex(cat::Bytes{b});
}

std::string command_name(std::uint8_t type) {
    auto n = cat::name_of(static_cast<cat::CommandType>(type));
    return n.empty() ? "command type '" + hex_byte(type) + "'" : std::string(n);
}

std::string result_text(const cat::ResultInfo& r) {
    std::string s = hex_byte(r.general);
    if (!r.additional.empty()) s += " " + cat::to_hex(r.additional);
    auto n = cat::name_of(static_cast<cat::GeneralResult>(r.general));
    if (!n.empty()) s += " (" + std::string(n) + ")";
    return s;
}

// A proactive command: 'D0', command details (CR), device identities (CR) UICC → `destination`,
// then `body` (TS 102 223 clause 6.6, objects in the order of each command's clause).
cat::Bytes proactive(std::uint8_t number, cat::CommandType type, std::uint8_t qualifier,
                     std::uint8_t destination, const cat::Bytes& body,
                     const std::optional<std::string>& alpha) {
    cat::ByteWriter w;
    cat::write_ctlv(w, u8(cat::Tag::CommandDetails), true,
                    cat::CommandDetails{number, static_cast<std::uint8_t>(type), qualifier}.encode());
    cat::write_ctlv(w, u8(cat::Tag::DeviceIdentities), true,
                    cat::DeviceIdentities{kUicc, destination}.encode());
    if (alpha) {
        cat::Bytes text;
        (void)cat::utf8_to_gsm7_unpacked(*alpha, text);  // checked when parsing the scenario
        cat::write_ctlv(w, u8(cat::Tag::AlphaIdentifier), true, text);
    }
    w.bytes(body);
    return cat::encode_ber_tlv(static_cast<std::uint8_t>(cat::BerTag::ProactiveCommand), w.data());
}

cat::Bytes tlv(cat::Tag tag, bool cr, cat::ByteView value) {
    cat::ByteWriter w;
    cat::write_ctlv(w, u8(tag), cr, value);
    return w.take();
}

cat::Bytes u16_bytes(std::uint16_t v) {
    return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v & 0xFF)};
}

}  // namespace

// A short C-APDU as it came (ISO/IEC 7816-3 clause 12.1): cases 1-4 told apart by length.
struct Card::Apdu {
    std::uint8_t cla = 0;
    std::uint8_t ins = 0;
    std::uint8_t p1 = 0;
    std::uint8_t p2 = 0;
    cat::ByteView data;
    std::optional<std::uint16_t> le;  // 1..256
    bool has_data = false;
};

std::string Verdict::describe() const {
    std::ostringstream os;
    os << (passed ? "PASS" : "FAIL") << ": " << steps_done << "/" << steps_total << " steps, "
       << runs_completed << (runs_completed == 1 ? " run" : " runs") << " completed, " << failures.size()
       << (failures.size() == 1 ? " failure" : " failures");
    for (const auto& f : failures) os << "\n  " << f;
    if (!passed && failures.empty() && runs_completed == 0)
        os << "\n  the scenario did not reach its last step";
    return os.str();
}

Card::Card(Scenario scenario) : scenario_(std::move(scenario)) {
    atr_ = scenario_.card.atr.empty() ? kDefaultAtr : scenario_.card.atr;
    if (scenario_.scws.enabled) scws_ = std::make_unique<Scws>(scenario_.scws);
}

Card::~Card() = default;

void Card::absorb_scws_log() {
    if (!scws_) return;
    for (auto& [failed, text] : scws_->take_log()) {
        if (failed) {
            fail(std::move(text));
        } else {
            note(std::move(text));
        }
    }
}

cat::Bytes Card::power_on(cat::TimePoint now) {
    powered_ = true;
    restart_run(now);
    note("power on, ATR " + cat::to_hex(atr_) + " (" + std::string(protocol()) + ")");
    return atr_;
}

void Card::power_off() {
    if (powered_) note("power off");
    powered_ = false;
    pending_.reset();
    scenario_next_.reset();
    outstanding_.reset();
    get_response_.clear();
    if (scws_) scws_->reset();
}

void Card::restart_run(cat::TimePoint now) {
    profile_.clear();
    profile_seen_ = false;
    apps_complete_ = false;
    apps_.clear();
    events_.clear();
    busy_left_ = scenario_.card.envelope_busy;
    get_response_.clear();
    last_channel_.reset();
    number_ = 0;
    pending_.reset();
    scenario_next_.reset();
    outstanding_.reset();
    if (scws_) scws_->reset();
    commands_.clear();
    command_index_ = 0;
    received_.clear();
    cursor_ = 0;
    passes_ = 0;
    arm_current(now);
}

Verdict Card::verdict() const {
    Verdict v;
    v.runs_completed = runs_completed_;
    v.steps_total = scenario_.steps.size();
    v.steps_done = cursor_;
    v.failures = failures_;
    v.passed = failures_.empty() && runs_completed_ > 0;
    return v;
}

void Card::note(std::string text) {
    log_.push_back({apdus_, std::move(text)});
}

void Card::fail(std::string text) {
    note("FAILED: " + text);
    failures_.push_back(std::move(text));
}

std::uint8_t Card::next_number() {
    // TS 102 223 clause 8.6: the command number, '01'..'FE'.
    number_ = static_cast<std::uint8_t>(number_ % 0xFE + 1);
    return number_;
}

// ---------------------------------------------------------------------------------------------
// Scenario progress

void Card::arm_current(cat::TimePoint now) {
    state_ = StepState::Waiting;
    commands_.clear();
    open_listeners_.clear();
    scenario_next_.reset();
    command_index_ = 0;
    step_received_.clear();
    awaiting_data_ = false;
    if (cursor_ >= scenario_.steps.size()) return;
    const Trigger& t = scenario_.steps[cursor_].trigger;
    // "response" is met the moment the step becomes current; "profile" and
    // "terminal-applications" are remembered for the card session, so one that came before
    // the step was reached still counts.
    if (t.kind == TriggerKind::Response || (t.kind == TriggerKind::Profile && profile_seen_) ||
        (t.kind == TriggerKind::TerminalApplications && apps_complete_)) {
        state_ = StepState::Due;
        due_at_ = now + t.delay;
        if (t.kind == TriggerKind::TerminalApplications)
            check_application_expectation(scenario_.steps[cursor_]);
    }
}

void Card::condition(TriggerKind kind, std::uint8_t code, cat::TimePoint now) {
    if (cursor_ >= scenario_.steps.size() || state_ != StepState::Waiting) return;
    const Step& step = scenario_.steps[cursor_];
    if (step.trigger.kind == TriggerKind::Envelope && kind != TriggerKind::Profile &&
        kind != TriggerKind::Status && kind != TriggerKind::Response) {
        // Any ENVELOPE (Event download, Timer expiration, Terminal Applications ...).
    } else if (step.trigger.kind != kind ||
               ((kind == TriggerKind::Event || kind == TriggerKind::Timer) && step.trigger.code != code)) {
        return;
    }
    state_ = StepState::Due;
    due_at_ = now + step.trigger.delay;
    if (step.trigger.kind == TriggerKind::TerminalApplications) check_application_expectation(step);
}

void Card::check_application_expectation(const Step& step) {
    if (!step.expect_application) return;
    const auto& e = *step.expect_application;
    for (const auto& app : apps_) {
        if (e.port && app.port != *e.port) continue;
        if (e.type && app.application_type != *e.type) continue;
        if (e.name) {
            std::string name = app.dcs == 0x08 ? std::string() : cat::gsm7_unpacked_to_utf8(app.name);
            if (name != *e.name) continue;
        }
        return;
    }
    std::string want;
    if (e.port) want += " port " + std::to_string(*e.port);
    if (e.type) want += " type '" + hex_byte(*e.type) + "'";
    if (e.name) want += " name \"" + *e.name + "\"";
    std::string got;
    for (const auto& app : apps_) {
        got += (got.empty() ? "" : ", ") + std::string("port ") + std::to_string(app.port) + " type '" +
               hex_byte(app.application_type) + "'";
    }
    fail(step.label + ": no registered application with" + want +
         " (registered: " + (got.empty() ? "none" : got) + ")");
}

void Card::tick(cat::TimePoint now) {
    // At most one proactive command at a time (TS 102 223 clause 6.2).
    if (pending_ || outstanding_) return;
    if (cursor_ < scenario_.steps.size() && state_ == StepState::Due && now >= due_at_) {
        fire(now);
        if (pending_ || outstanding_) return;  // fire() of a waiting step may tick() itself
    }
    // The scenario's step and the SCWS take turns, one command each.
    auto take_scenario = [&] {
        pending_ = std::move(scenario_next_);
        scenario_next_.reset();
        pending_owner_ = last_owner_ = Owner::Scenario;
    };
    if (scenario_next_ && (!scws_ || last_owner_ == Owner::Scws)) {
        take_scenario();
        return;
    }
    if (scws_) {
        if (auto c = scws_->next_command()) {
            const auto channel_dev = static_cast<std::uint8_t>(0x20 + c->channel);
            pending_ = proactive(next_number(), c->type, c->qualifier, channel_dev, c->body, std::nullopt);
            pending_owner_ = last_owner_ = Owner::Scws;
            absorb_scws_log();
            return;
        }
        absorb_scws_log();
    }
    if (scenario_next_) take_scenario();
}

void Card::fire(cat::TimePoint now) {
    const Step& step = scenario_.steps[cursor_];
    note(step.label + ": triggered (" + step.trigger.text + ")");
    if (step.command.kind == CommandKind::None) {
        step_done(now);
        tick(now);
        return;
    }
    state_ = StepState::Issued;
    commands_ = render(step);
    command_index_ = 0;
    if (commands_.empty()) {  // scws_open while the SCWS already listens (a repeated pass)
        note(step.label + ": the SCWS already has its channels");
        step_done(now);
        tick(now);
        return;
    }
    scenario_next_ = commands_.front();
}

void Card::step_done(cat::TimePoint now) {
    ++cursor_;
    if (cursor_ >= scenario_.steps.size()) {
        ++runs_completed_;
        note("scenario \"" + scenario_.name + "\" complete");
        // [scenario] repeat: start over at step 1 within the same card session.
        if (++passes_ < scenario_.repeat) cursor_ = 0;
    }
    arm_current(now);
}

std::vector<cat::Bytes> Card::render(const Step& step) {
    using cat::CommandType;
    using cat::Tag;
    const CommandSpec& c = step.command;
    auto q = [&](std::uint8_t dflt) { return c.qualifier.value_or(dflt); };
    auto num = [&] { return c.number.value_or(next_number()); };
    const std::uint8_t channel = c.channel.value_or(last_channel_.value_or(1));
    const auto channel_dev = static_cast<std::uint8_t>(0x20 + channel);
    cat::Bytes body;
    auto add = [&](Tag tag, bool cr, cat::ByteView value) {
        auto t = tlv(tag, cr, value);
        body.insert(body.end(), t.begin(), t.end());
    };
    switch (c.kind) {
        case CommandKind::None:
            return {};
        case CommandKind::Raw:
            return {c.raw};
        case CommandKind::SetUpEventList:
            // 6.6.16: event list '99' (CR set, as in TS 102 384).
            add(Tag::EventList, true, c.events);
            return {proactive(num(), CommandType::SetUpEventList, q(0), kTerminal, body, c.alpha)};
        case CommandKind::PollInterval:
            add(Tag::Duration, true, c.duration.encode());
            return {proactive(num(), CommandType::PollInterval, q(0), kTerminal, body, c.alpha)};
        case CommandKind::TimerManagement:
            add(Tag::TimerIdentifier, true, cat::Bytes{c.timer_id});
            if (c.timer_value && c.timer_action == cat::TimerManagement::Action::Start) {
                add(Tag::TimerValue, true, c.timer_value->encode());
            }
            return {proactive(num(), CommandType::TimerManagement,
                              q(static_cast<std::uint8_t>(c.timer_action)), kTerminal, body, c.alpha)};
        case CommandKind::MoreTime:
            return {proactive(num(), CommandType::MoreTime, q(0), kTerminal, body, c.alpha)};
        case CommandKind::PollingOff:
            return {proactive(num(), CommandType::PollingOff, q(0), kTerminal, body, c.alpha)};
        case CommandKind::OpenChannel: {
            const OpenChannelSpec& o = c.open;
            std::uint16_t port = o.port.value_or(0);
            if (o.mode == ChannelMode::TerminalServer && !o.port) {
                auto it = std::find_if(
                    apps_.begin(), apps_.end(),
                    [&](const cat::RegistryApplicationData& a) { return a.application_type == o.app_type; });
                if (it == apps_.end()) {
                    fail(step.label + ": port = \"registered\" but no application of type '" +
                         hex_byte(o.app_type) + "' is registered; OPEN CHANNEL sent with port 0");
                } else {
                    port = it->port;
                }
            }
            std::uint8_t protocol = 0;
            switch (o.mode) {
                case ChannelMode::TerminalServer:  // 8.59: '04' UDP / '05' TCP, local connection
                    protocol = static_cast<std::uint8_t>(o.tcp ? cat::TransportProtocol::TcpClientLocal
                                                               : cat::TransportProtocol::UdpClientLocal);
                    break;
                case ChannelMode::UiccServer:
                    protocol = static_cast<std::uint8_t>(cat::TransportProtocol::TcpUiccServer);
                    break;
                case ChannelMode::Client:
                    protocol = static_cast<std::uint8_t>(o.tcp ? cat::TransportProtocol::TcpClientRemote
                                                               : cat::TransportProtocol::UdpClientRemote);
                    break;
            }
            // 6.6.27.4 (default bearer): bearer description '03', buffer size, transport level,
            // data destination address; 6.6.27.5/.7 (server modes): buffer size, transport level.
            // Objects without CR, as in the TS 102 384 OPEN CHANNEL vectors.
            if (o.mode == ChannelMode::Client) {
                add(Tag::BearerDescription, false,
                    cat::BearerDescription{static_cast<std::uint8_t>(cat::BearerType::Default), {}}.encode());
            }
            add(Tag::BufferSize, false, u16_bytes(o.buffer_size));
            add(Tag::UiccTerminalInterfaceTransportLevel, false,
                cat::TransportLevel{protocol, port}.encode());
            if (o.destination) add(Tag::OtherAddress, false, o.destination->encode());
            // Qualifier: immediate link for the client modes; '00' in UICC server mode.
            const std::uint8_t dflt = o.mode == ChannelMode::UiccServer ? 0x00 : 0x01;
            return {proactive(num(), CommandType::OpenChannel, q(dflt), kTerminal, body, c.alpha)};
        }
        case CommandKind::SendData: {
            // 6.6.30: a command travels in one FETCH (at most 256 bytes), so long data goes in
            // several SEND DATA "store in Tx buffer" and a last one "send immediately".
            std::vector<cat::Bytes> out;
            for (std::size_t off = 0; off < c.data.size(); off += c.chunk) {
                const std::size_t n = std::min(c.chunk, c.data.size() - off);
                const bool last = off + n >= c.data.size();
                body.clear();
                add(Tag::ChannelData, true, cat::ByteView(c.data).subspan(off, n));
                const std::uint8_t qual = last && c.immediate ? 0x01 : 0x00;
                out.push_back(proactive(off == 0 ? num() : next_number(), CommandType::SendData,
                                        c.qualifier.value_or(qual), channel_dev, body, c.alpha));
            }
            return out;
        }
        case CommandKind::ReceiveData:
            add(Tag::ChannelDataLength, true, cat::Bytes{c.length});
            return {proactive(num(), CommandType::ReceiveData, q(0), channel_dev, body, c.alpha)};
        case CommandKind::CloseChannel:
            return {proactive(num(), CommandType::CloseChannel, q(0), channel_dev, body, c.alpha)};
        case CommandKind::GetChannelStatus:
            return {proactive(num(), CommandType::GetChannelStatus, q(0), kTerminal, body, c.alpha)};
        case CommandKind::Refresh:
            if (!c.files.empty()) {
                cat::Bytes list{static_cast<std::uint8_t>(c.files.size())};  // 8.18
                for (const auto& f : c.files) list.insert(list.end(), f.begin(), f.end());
                add(Tag::FileList, true, list);
            }
            return {proactive(num(), CommandType::Refresh, q(0x04), kTerminal, body, c.alpha)};
        case CommandKind::ProvideLocalInfo:
            return {proactive(num(), CommandType::ProvideLocalInformation, q(0), kTerminal, body, c.alpha)};
        case CommandKind::ScwsOpen: {
            // 6.4.27.5: OPEN CHANNEL, TCP UICC server mode ('03'), one per concurrent client.
            std::vector<cat::Bytes> out;
            if (!scws_ || scws_->channels() > 0) return out;
            open_listeners_ = scws_->listeners();
            for (const auto& l : open_listeners_) {
                body.clear();
                add(Tag::BufferSize, false, u16_bytes(scws_->settings().buffer_size));
                add(Tag::UiccTerminalInterfaceTransportLevel, false,
                    cat::TransportLevel{static_cast<std::uint8_t>(cat::TransportProtocol::TcpUiccServer),
                                        l.port}
                        .encode());
                out.push_back(proactive(out.empty() ? num() : next_number(), CommandType::OpenChannel,
                                        q(0x00), kTerminal, body, c.alpha));
            }
            return out;
        }
    }
    return {};
}

void Card::check_response(const Step& step, const cat::TerminalResponse& tr, const Outstanding& out) {
    const std::string what = step.label + ": " + command_name(out.type);
    // TS 102 223 clause 6.8: the command details are the command's own; terminal → UICC.
    if (!(tr.details == out.details)) {
        fail(what + ": TERMINAL RESPONSE command details " + cat::to_hex(tr.details.encode()) +
             ", expected " + cat::to_hex(out.details.encode()));
    }
    if (tr.devices.source != kTerminal || tr.devices.destination != kUicc) {
        fail(what + ": device identities " + cat::to_hex(tr.devices.encode()) + ", expected 82 81");
    }
    const Expectation& e = step.expect;
    if (!e.results.empty() &&
        std::find(e.results.begin(), e.results.end(), tr.result.general) == e.results.end()) {
        std::string want;
        for (auto r : e.results) want += (want.empty() ? "" : " or ") + hex_byte(r);
        fail(what + " answered " + result_text(tr.result) + ", expected " + want);
    }
    if (e.additional && tr.result.additional != *e.additional) {
        fail(what + ": additional information '" + cat::to_hex(tr.result.additional) + "', expected '" +
             cat::to_hex(*e.additional) + "'");
    }
    for (const auto& want : e.objects) {
        const bool found = std::any_of(tr.data.begin(), tr.data.end(), [&](const cat::Ctlv& t) {
            return t.tag == want.tag && t.long_tag == want.long_tag && t.value == want.value;
        });
        if (!found) {
            fail(what + ": no object tag '" + hex_byte(static_cast<std::uint8_t>(want.tag)) + "' value " +
                 cat::to_hex(want.value) + " in the TERMINAL RESPONSE");
        }
    }
    if (e.buffer_size) {
        const cat::Ctlv* b = tr.find(cat::Tag::BufferSize);
        if (!b || b->value != u16_bytes(*e.buffer_size)) {
            fail(what + ": buffer size " + (b ? cat::to_hex(b->value) : std::string("absent")) +
                 ", expected " + std::to_string(*e.buffer_size));
        }
    }
    if (e.channel_data && step.command.total == 0) {
        const cat::Ctlv* d = tr.find(cat::Tag::ChannelData);
        if (!d || d->value != *e.channel_data) {
            fail(what + ": channel data " + (d ? cat::to_hex(d->value) : std::string("absent")) +
                 ", expected " + cat::to_hex(*e.channel_data));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// APDUs

cat::Bytes Card::process(cat::ByteView command, cat::TimePoint now) {
    ++apdus_;
    std::uint16_t sw = kOk;
    cat::Bytes data;
    if (!powered_) {
        // A link never sends to an unpowered card; answer like a mute card would be reported.
        note("APDU while powered off: " + cat::to_hex(command));
        return {0x6F, 0x00};
    }
    Apdu a;
    if (command.size() < 4) {
        sw = kWrongLength;
    } else {
        a.cla = command[0];
        a.ins = command[1];
        a.p1 = command[2];
        a.p2 = command[3];
        bool ok = true;
        if (command.size() == 5) {
            a.le = command[4] == 0 ? 256 : command[4];
        } else if (command.size() > 5) {
            const std::size_t lc = command[4];
            if (lc == 0 || (command.size() != 5 + lc && command.size() != 6 + lc)) {
                ok = false;
            } else {
                a.data = command.subspan(5, lc);
                a.has_data = true;
                if (command.size() == 6 + lc) a.le = command[5 + lc] == 0 ? 256 : command[5 + lc];
            }
        }
        if (!ok) {
            sw = kWrongLength;
        } else if (a.ins != static_cast<std::uint8_t>(cat::Ins::GetResponse)) {
            get_response_.clear();  // ISO/IEC 7816-3 12.2.2: only the next command may fetch it
            data = dispatch(a, now, sw);
        } else {
            data = dispatch(a, now, sw);
        }
    }
    // T=0: response data of a case 4 command waits for GET RESPONSE (TS 102 221 7.3.1.1.4).
    if (scenario_.card.t0 && a.has_data && !data.empty() && sw == kOk) {
        get_response_ = std::move(data);
        data.clear();
        sw = static_cast<std::uint16_t>(0x6100 | (get_response_.size() >= 256 ? 0 : get_response_.size()));
    }
    tick(now);
    // TS 102 221 10.2.1.1 / 7.4.2.2: '91 XX' instead of '90 00' while a command is pending.
    if (sw == kOk && pending_) sw = static_cast<std::uint16_t>(0x9100 | (pending_->size() & 0xFF));
    data.push_back(static_cast<std::uint8_t>(sw >> 8));
    data.push_back(static_cast<std::uint8_t>(sw & 0xFF));
    return data;
}

cat::Bytes Card::dispatch(const Apdu& a, cat::TimePoint now, std::uint16_t& sw) {
    // TS 102 221 10.1.1: CAT commands are class '80'; GET RESPONSE is '00'. A 2G SIM's 'A0'
    // is not this card's class.
    const bool cat_class = (a.cla & 0xF0) == 0x80;
    const bool iso_class = (a.cla & 0xF0) == 0x00;
    switch (static_cast<cat::Ins>(a.ins)) {
        case cat::Ins::TerminalProfile:
            if (!cat_class) break;
            return on_terminal_profile(a, now, sw);
        case cat::Ins::Fetch:
            if (!cat_class) break;
            return on_fetch(a, sw);
        case cat::Ins::TerminalResponse:
            if (!cat_class) break;
            return on_terminal_response(a, now, sw);
        case cat::Ins::Envelope:
            if (!cat_class) break;
            return on_envelope(a, now, sw);
        case cat::Ins::Status:
            if (!cat_class) break;
            return on_status(a, now, sw);
        case cat::Ins::GetResponse:
            if (!iso_class) break;
            return on_get_response(a, sw);
        default:
            if (cat_class || iso_class) {
                sw = kInsNotSupported;
                return {};
            }
    }
    sw = kClassNotSupported;
    return {};
}

cat::Bytes Card::on_terminal_profile(const Apdu& a, cat::TimePoint now, std::uint16_t& sw) {
    if (!a.has_data) {
        sw = kWrongLength;
        return {};
    }
    if (profile_seen_) {
        // A second profile download: the terminal starts over (TS 102 223 clause 5.1).
        note("TERMINAL PROFILE again: the scenario starts over");
        restart_run(now);
    }
    profile_.assign(a.data.begin(), a.data.end());
    profile_seen_ = true;
    note("TERMINAL PROFILE " + cat::to_hex(profile_));
    for (const auto& r : scenario_.profile_requires) {
        const bool set = profile_.size() >= r.byte && (profile_[r.byte - 1] & (1u << (r.bit - 1))) != 0;
        if (!set) {
            fail("TERMINAL PROFILE lacks \"" + r.text + "\" (byte " + std::to_string(r.byte) + " bit " +
                 std::to_string(r.bit) + ")");
        }
    }
    condition(TriggerKind::Profile, 0, now);
    sw = kOk;
    return {};
}

cat::Bytes Card::on_fetch(const Apdu& a, std::uint16_t& sw) {
    if (!pending_) {
        note("FETCH with no proactive command pending");
        sw = kConditionsNotSatisfied;
        return {};
    }
    // TS 102 221 11.2.3: Le is the length announced in '91 XX'; otherwise '6C XX'.
    const std::size_t size = pending_->size();
    if (!a.le || *a.le != size) {
        sw = static_cast<std::uint16_t>(0x6C00 | (size & 0xFF));
        return {};
    }
    cat::Bytes cmd = std::move(*pending_);
    pending_.reset();
    auto header = cat::decode_command_header(cmd);
    Outstanding out;
    if (header) {
        out.details = header->details;
        out.type = header->details.type;
    } else {
        out.details = cat::salvage_command_details(cmd).value_or(cat::CommandDetails{0, 0, 0});
        out.type = out.details.type;
    }
    out.owner = pending_owner_;
    outstanding_ = out;
    // The SCWS's RECEIVE/SEND DATA would flood the log: its own notes say what it does.
    if (out.owner == Owner::Scenario) {
        note("FETCH: " + command_name(out.type) + " (" + cat::to_hex(out.details.encode()) + ") " +
             cat::to_hex(cmd));
    }
    sw = kOk;
    return cmd;
}

cat::Bytes Card::on_terminal_response(const Apdu& a, cat::TimePoint now, std::uint16_t& sw) {
    if (!outstanding_) {
        fail("TERMINAL RESPONSE with no proactive command outstanding: " + cat::to_hex(a.data));
        sw = kConditionsNotSatisfied;
        return {};
    }
    const Outstanding out = *outstanding_;
    outstanding_.reset();
    if (out.owner == Owner::Scws) {
        scws_response(cat::Bytes(a.data.begin(), a.data.end()), out);
        sw = kOk;
        return {};
    }
    const Step& step = scenario_.steps[cursor_];
    auto tr = cat::decode_terminal_response(a.data);
    if (!tr) {
        fail(step.label + ": " + command_name(out.type) + ": TERMINAL RESPONSE does not decode (" +
             tr.error().describe() + "): " + cat::to_hex(a.data));
        sw = kIncorrectData;
    } else {
        note("TERMINAL RESPONSE to " + command_name(out.type) + ": " + result_text(tr->result) +
             (tr->data.empty() ? "" : " " + cat::to_hex(cat::encode_ctlvs(tr->data))));
        check_response(step, *tr, out);
        if (step.command.kind == CommandKind::ScwsOpen && scws_ && command_index_ < open_listeners_.size()) {
            scws_->on_opened(open_listeners_[command_index_], &*tr);
            absorb_scws_log();
        }
        // The channel later send/receive/close steps use by default (not the SCWS's own).
        if (out.type == static_cast<std::uint8_t>(cat::CommandType::OpenChannel) &&
            step.command.kind != CommandKind::ScwsOpen && tr->result.general < 0x10) {
            if (const cat::Ctlv* cs = tr->find(cat::Tag::ChannelStatus)) {
                auto status = cat::ChannelStatus::decode(cs->value);
                if (status && status->channel_id != 0) last_channel_ = status->channel_id;
            }
        }
        sw = kOk;
        if (out.type == static_cast<std::uint8_t>(cat::CommandType::ReceiveData) && receive_more(step, *tr)) {
            return {};
        }
    }
    if (!tr && step.command.kind == CommandKind::ScwsOpen && scws_ &&
        command_index_ < open_listeners_.size()) {
        scws_->on_opened(open_listeners_[command_index_], nullptr);
        absorb_scws_log();
    }
    // The step goes on whatever the answer was (the verdict carries the failure).
    if (++command_index_ < commands_.size()) {
        scenario_next_ = commands_[command_index_];
    } else {
        step_done(now);
    }
    return {};
}

void Card::scws_response(const cat::Bytes& data, const Outstanding& out) {
    auto tr = cat::decode_terminal_response(data);
    if (!tr) {
        note("SCWS: TERMINAL RESPONSE to " + command_name(out.type) + " does not decode (" +
             tr.error().describe() + "): " + cat::to_hex(data));
        scws_->on_response(nullptr);
    } else {
        if (!(tr->details == out.details)) {
            fail("SCWS: " + command_name(out.type) + ": TERMINAL RESPONSE command details " +
                 cat::to_hex(tr->details.encode()) + ", expected " + cat::to_hex(out.details.encode()));
        }
        if (tr->result.general >= 0x10 ||
            out.type == static_cast<std::uint8_t>(cat::CommandType::CloseChannel)) {
            note("SCWS: TERMINAL RESPONSE to " + command_name(out.type) + ": " + result_text(tr->result));
        }
        scws_->on_response(&*tr);
    }
    absorb_scws_log();
}

cat::Bytes Card::channel_data_received(std::uint8_t channel) const {
    auto it = received_.find(channel);
    return it == received_.end() ? cat::Bytes{} : it->second;
}

// RECEIVE DATA answered: records the channel data; with `total`, asks again while the Rx
// buffer has more (channel data length > 0) or waits for Data available. True: step goes on.
bool Card::receive_more(const Step& step, const cat::TerminalResponse& tr) {
    const std::uint8_t channel = step.command.channel.value_or(last_channel_.value_or(1));
    if (const cat::Ctlv* d = tr.find(cat::Tag::ChannelData)) {
        auto& all = received_[channel];
        all.insert(all.end(), d->value.begin(), d->value.end());
        step_received_.insert(step_received_.end(), d->value.begin(), d->value.end());
    }
    const std::size_t total = step.command.total;
    if (total == 0) return false;
    if (step_received_.size() < total) {
        const cat::Ctlv* left = tr.find(cat::Tag::ChannelDataLength);
        if (left && !left->value.empty() && left->value[0] > 0) {
            commands_ = render(step);
            command_index_ = 0;
            scenario_next_ = commands_.front();
        } else {
            awaiting_data_ = true;  // on_envelope: the next Data available continues the step
        }
        return true;
    }
    note(step.label + ": received " + std::to_string(step_received_.size()) + " bytes on channel " +
         std::to_string(channel));
    if (step_received_.size() > total) {
        fail(step.label + ": received " + std::to_string(step_received_.size()) + " bytes, expected " +
             std::to_string(total));
    }
    if (step.expect.channel_data && step_received_ != *step.expect.channel_data) {
        fail(step.label + ": channel data " + cat::to_hex(step_received_) + ", expected " +
             cat::to_hex(*step.expect.channel_data));
    }
    return false;
}

cat::Bytes Card::on_envelope(const Apdu& a, cat::TimePoint now, std::uint16_t& sw) {
    if (!a.has_data) {
        sw = kWrongLength;
        return {};
    }
    if (outstanding_ || busy_left_ > 0) {
        // TS 102 221 10.2.1.2: '93 00' while the toolkit is busy with a proactive command.
        if (!outstanding_) --busy_left_;
        note("ENVELOPE answered 93 00 (toolkit busy)");
        sw = kToolkitBusy;
        return {};
    }
    auto env = cat::decode_envelope(a.data);
    if (!env) {
        fail("ENVELOPE does not decode (" + env.error().describe() + "): " + cat::to_hex(a.data));
        sw = kIncorrectData;
        return {};
    }
    sw = kOk;
    switch (static_cast<cat::BerTag>(env->tag)) {
        case cat::BerTag::TerminalApplication: {
            // TS 102 223 clause 7.x (class "k"): one Registry application data ('71', 8.71) each.
            bool last = false;
            for (const auto& t : env->tlvs) {
                if (t.is(u8(cat::Tag::LastEnvelope))) last = true;
                if (!t.is(u8(cat::Tag::RegistryApplicationData))) continue;
                auto app = cat::RegistryApplicationData::decode(t.value, t.offset);
                if (!app) {
                    fail("ENVELOPE (Terminal Applications): " + app.error().describe());
                    continue;
                }
                note("registered application: port " + std::to_string(app->port) + ", type '" +
                     hex_byte(app->application_type) + "', name " +
                     (app->dcs == 0x08 ? cat::to_hex(app->name)
                                       : "\"" + cat::gsm7_unpacked_to_utf8(app->name) + "\""));
                apps_.push_back(*app);
            }
            if (last) {
                apps_complete_ = true;
                condition(TriggerKind::TerminalApplications, 0, now);
            }
            condition(TriggerKind::Envelope, 0, now);
            break;
        }
        case cat::BerTag::EventDownload: {
            auto ev = env->event();
            if (!ev) {
                fail("ENVELOPE (Event download) without an event list: " + cat::to_hex(a.data));
                break;
            }
            events_.push_back(*ev);
            if (scws_ && (*ev == static_cast<std::uint8_t>(cat::EventType::DataAvailable) ||
                          *ev == static_cast<std::uint8_t>(cat::EventType::ChannelStatus))) {
                const cat::Ctlv* cs = env->find(cat::Tag::ChannelStatus);
                std::optional<cat::ChannelStatus> status;
                if (cs) {
                    if (auto d = cat::ChannelStatus::decode(cs->value)) status = *d;
                }
                if (status && scws_->owns(status->channel_id)) {
                    // The SCWS's own channel: its business, not a scenario trigger.
                    if (*ev == static_cast<std::uint8_t>(cat::EventType::ChannelStatus))
                        note("event download: " + event_name(*ev) + " " + cat::to_hex(a.data));
                    scws_->on_event(*env);
                    absorb_scws_log();
                    break;
                }
            }
            note("event download: " + event_name(*ev) + " " + cat::to_hex(a.data));
            if (awaiting_data_ && *ev == static_cast<std::uint8_t>(cat::EventType::DataAvailable)) {
                awaiting_data_ = false;
                commands_ = render(scenario_.steps[cursor_]);
                command_index_ = 0;
                scenario_next_ = commands_.front();
            }
            condition(TriggerKind::Event, *ev, now);
            break;
        }
        case cat::BerTag::TimerExpiration: {
            const cat::Ctlv* id = env->find(cat::Tag::TimerIdentifier);
            const std::uint8_t timer = id && id->value.size() == 1 ? id->value[0] : 0;
            note("timer expiration: timer " + std::to_string(timer));
            condition(TriggerKind::Timer, timer, now);
            break;
        }
        default:
            note("ENVELOPE '" + hex_byte(env->tag) + "': " + cat::to_hex(a.data));
            condition(TriggerKind::Envelope, 0, now);
            break;
    }
    return {};
}

cat::Bytes Card::on_status(const Apdu& a, cat::TimePoint now, std::uint16_t& sw) {
    condition(TriggerKind::Status, 0, now);
    sw = kOk;
    // TS 102 221 11.1.2: P2 '0C' no data returned; otherwise the FCP of the current
    // application: a minimal template (file descriptor '78 21' = DF, file id '7FFF').
    if (a.p2 == 0x0C) return {};
    cat::Bytes fcp{0x62, 0x08, 0x82, 0x02, 0x78, 0x21, 0x83, 0x02, 0x7F, 0xFF};
    if (a.le && *a.le < fcp.size()) {
        sw = static_cast<std::uint16_t>(0x6C00 | fcp.size());
        return {};
    }
    return fcp;
}

cat::Bytes Card::on_get_response(const Apdu& a, std::uint16_t& sw) {
    if (get_response_.empty()) {
        sw = kConditionsNotSatisfied;
        return {};
    }
    const std::size_t n = std::min<std::size_t>(a.le.value_or(256), get_response_.size());
    cat::Bytes out(get_response_.begin(), get_response_.begin() + static_cast<std::ptrdiff_t>(n));
    get_response_.erase(get_response_.begin(), get_response_.begin() + static_cast<std::ptrdiff_t>(n));
    sw = get_response_.empty()
             ? kOk
             : static_cast<std::uint16_t>(0x6100 | (get_response_.size() >= 256 ? 0 : get_response_.size()));
    return out;
}

}  // namespace dmsc::gateway::sim

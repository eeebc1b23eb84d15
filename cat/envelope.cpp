// cat/envelope.cpp — ENVELOPE objects (TS 102 223 clause 7): the builders of the event
// downloads, timer expiration, Terminal Applications and SMS-PP download the gateway sends, the
// encoder, and a decoder for traces, dmsc-ctl and the simulated card.
#include "cat/envelope.hpp"

#include <string>
#include <utility>

#include "cat/response.hpp"  // channel_data_length_byte

namespace dmsc::cat {

namespace {

constexpr std::uint8_t kDataNotUnderstood = 0x32;      // clause 8.12: '32'
constexpr std::uint8_t kRequiredValuesMissing = 0x36;  // clause 8.12: '36'
constexpr std::size_t kMaxApdu = 255;                  // Lc of the ENVELOPE APDU (TS 102 221)

constexpr std::uint8_t kUicc = static_cast<std::uint8_t>(DeviceId::Uicc);
constexpr std::uint8_t kTerminal = static_cast<std::uint8_t>(DeviceId::Terminal);
constexpr std::uint8_t kNetwork = static_cast<std::uint8_t>(DeviceId::Network);
constexpr std::uint8_t kDisplay = static_cast<std::uint8_t>(DeviceId::Display);

std::uint8_t u8(Tag t) {
    return static_cast<std::uint8_t>(t);
}

// CR flags of ENVELOPE objects (clause 7, the tables of 7.1, 7.4, 7.5.x): the objects every
// instance carries (event list, device identities, transaction identifier, location status,
// channel status, timer identifier and value, SMS TPDU ...) are sent with CR set; the objects
// that may be absent (address and subaddress of an MT call, cause of a call disconnected,
// location information, SMS-PP service centre address, Terminal Applications' registry
// application data and last envelope) without. This gives the bytes of the conformance vectors
// (TS 102 384 / TS 31.124, event list '99', device identities '82', 'B8', 'B7', '9C', '06',
// '1A', '13' ...), including those oFono corrected to follow clause 7.5.
Ctlv object(Tag tag, bool cr, Bytes value) {
    Ctlv c;
    c.tag = u8(tag);
    c.cr = cr;
    c.value = std::move(value);
    return c;
}

Ctlv devices_object(std::uint8_t source) {
    return object(Tag::DeviceIdentities, true, Bytes{source, kUicc});
}

std::size_t value_offset(const Ctlv& t) {
    return t.offset + (t.long_tag ? 3 : 1) + length_size(t.value.size());
}

std::size_t ctlv_size(std::size_t value_length) {
    return 1 + length_size(value_length) + value_length;
}

}  // namespace

const Ctlv* Envelope::find(Tag t) const {
    return dmsc::cat::find(tlvs, u8(t));
}

std::optional<DeviceIdentities> Envelope::devices() const {
    const Ctlv* d = find(Tag::DeviceIdentities);
    if (d == nullptr) return std::nullopt;
    auto r = DeviceIdentities::decode(d->value, value_offset(*d));
    if (!r) return std::nullopt;
    return r.value();
}

std::optional<std::uint8_t> Envelope::event() const {
    if (tag != static_cast<std::uint8_t>(BerTag::EventDownload)) return std::nullopt;
    const Ctlv* e = find(Tag::EventList);
    if (e == nullptr || e->value.empty()) return std::nullopt;
    return e->value.front();
}

Bytes encode(const Envelope& env) {
    return encode_ber_tlv(env.tag, encode_ctlvs(env.tlvs));
}

Result<Envelope> decode_envelope(ByteView ber) {
    auto outer = parse_ber_tlv(ber);
    if (!outer) return outer.error();
    const BerTlv& b = outer.value();
    // Clause 9.1: ENVELOPE templates are 'D1'..'DE' ('D8' intra-UICC, never sent by a terminal).
    if (b.tag < static_cast<std::uint8_t>(BerTag::SmsPpDownload) ||
        b.tag > static_cast<std::uint8_t>(BerTag::EnvelopeContainer)) {
        return make_error(kDataNotUnderstood, 0, b.tag, "not an ENVELOPE template (expected 'D1'..'DE')");
    }
    if (b.size != ber.size()) {
        return make_error(kDataNotUnderstood, b.size, b.tag,
                          std::to_string(ber.size() - b.size) + " bytes after the ENVELOPE object");
    }
    auto tlvs = parse_ctlvs(b.value, b.value_offset);
    if (!tlvs) return tlvs.error();

    Envelope env;
    env.tag = b.tag;
    env.tlvs = std::move(tlvs).value();
    // Clause 7: every ENVELOPE names its source and destination devices.
    const Ctlv* d = env.find(Tag::DeviceIdentities);
    if (d == nullptr) {
        return make_error(kRequiredValuesMissing, b.value_offset, u8(Tag::DeviceIdentities),
                          "device identities missing (TS 102 223 clause 7)");
    }
    auto devs = DeviceIdentities::decode(d->value, value_offset(*d));
    if (!devs) return devs.error();
    // Clause 7.5: an event download names its event in an event list of one event.
    if (env.tag == static_cast<std::uint8_t>(BerTag::EventDownload)) {
        const Ctlv* e = env.find(Tag::EventList);
        if (e == nullptr) {
            return make_error(kRequiredValuesMissing, b.value_offset, u8(Tag::EventList),
                              "event list missing in event download (TS 102 223 clause 7.5)");
        }
        if (e->value.size() != 1) {
            return make_error(kDataNotUnderstood, value_offset(*e), u8(Tag::EventList),
                              "event download carries " + std::to_string(e->value.size()) +
                                  " events, expected exactly one (TS 102 223 clause 7.5)");
        }
    }
    return env;
}

Fields describe(const Envelope& env) {
    Fields out;
    std::string title(name_of(static_cast<BerTag>(env.tag)));
    out.push_back(Field{"envelope", title.empty() ? std::string("unknown template") : title});
    if (auto e = env.event()) {
        std::string ev(name_of(static_cast<EventType>(*e)));
        out.push_back(Field{"event", ev.empty() ? std::to_string(*e) : ev});
    }
    for (const auto& t : env.tlvs) {
        std::string name(t.long_tag ? std::string_view{} : name_of(static_cast<Tag>(t.tag)));
        if (name.empty()) name = "tag " + std::to_string(t.tag);
        out.push_back(Field{name + ".cr", t.cr});
        for (auto& f : describe_object(t.tag, t.value)) out.push_back(Field{name + "." + f.name, f.value});
    }
    return out;
}

// Clause 7.5: event list (one event), device identities (source -> UICC), the event's objects.
Envelope event_download(EventType event, std::uint8_t source, std::vector<Ctlv> objects) {
    Envelope env;
    env.tag = static_cast<std::uint8_t>(BerTag::EventDownload);
    env.tlvs.reserve(objects.size() + 2);
    env.tlvs.push_back(object(Tag::EventList, true, Bytes{static_cast<std::uint8_t>(event)}));
    env.tlvs.push_back(devices_object(source));
    for (auto& o : objects) env.tlvs.push_back(std::move(o));
    return env;
}

// Clause 7.5.1: MT call comes from the network; address and subaddress are optional.
Envelope mt_call_event(std::uint8_t transaction_id, std::optional<Bytes> address,
                       std::optional<Bytes> subaddress) {
    std::vector<Ctlv> o;
    o.push_back(object(Tag::TransactionIdentifier, true, Bytes{transaction_id}));
    if (address) o.push_back(object(Tag::Address, false, std::move(*address)));
    if (subaddress) o.push_back(object(Tag::Subaddress, false, std::move(*subaddress)));
    return event_download(EventType::MtCall, kNetwork, std::move(o));
}

// Clause 7.5.2: source = terminal when the call is connected at the near end (the user
// answered an MT call), network when at the far end (an MO call was answered).
Envelope call_connected_event(std::uint8_t transaction_id, bool near_end) {
    return event_download(EventType::CallConnected, near_end ? kTerminal : kNetwork,
                          {object(Tag::TransactionIdentifier, true, Bytes{transaction_id})});
}

// Clause 7.5.3: source = terminal for a near-end disconnection, network for the far end; the
// cause is optional, and present but empty for a radio link failure.
Envelope call_disconnected_event(Bytes transaction_ids, bool near_end, std::optional<Bytes> cause) {
    std::vector<Ctlv> o;
    o.push_back(object(Tag::TransactionIdentifier, true, std::move(transaction_ids)));
    if (cause) o.push_back(object(Tag::Cause, false, std::move(*cause)));
    return event_download(EventType::CallDisconnected, near_end ? kTerminal : kNetwork, std::move(o));
}

// Clause 7.5.4: location status, and the location information in normal service.
Envelope location_status_event(std::uint8_t status, std::optional<LocationInformation> location) {
    std::vector<Ctlv> o;
    o.push_back(object(Tag::LocationStatus, true, Bytes{status}));
    if (location) o.push_back(object(Tag::LocationInformation, false, location->encode()));
    return event_download(EventType::LocationStatus, kTerminal, std::move(o));
}

// Clause 7.5.5.
Envelope user_activity_event() {
    return event_download(EventType::UserActivity, kTerminal, {});
}

// Clause 7.5.6: the source is the display.
Envelope idle_screen_available_event() {
    return event_download(EventType::IdleScreenAvailable, kDisplay, {});
}

// Clause 7.5.8: language as two ISO 639 letters coded in the GSM alphabet (= ASCII here).
Envelope language_selection_event(const std::string& language) {
    return event_download(EventType::LanguageSelection, kTerminal,
                          {object(Tag::Language, true, Bytes(language.begin(), language.end()))});
}

// Clause 7.5.9.
Envelope browser_termination_event(std::uint8_t cause) {
    return event_download(EventType::BrowserTermination, kTerminal,
                          {object(Tag::BrowserTerminationCause, true, Bytes{cause})});
}

// Clause 7.5.10: channel status + channel data length ('FF' = more than 255 bytes available).
Envelope data_available_event(const ChannelStatus& status, std::size_t available) {
    return event_download(EventType::DataAvailable, kTerminal,
                          {object(Tag::ChannelStatus, true, status.encode()),
                           object(Tag::ChannelDataLength, true, Bytes{channel_data_length_byte(available)})});
}

// Clause 7.5.11.
Envelope channel_status_event(const ChannelStatus& status) {
    return event_download(EventType::ChannelStatus, kTerminal,
                          {object(Tag::ChannelStatus, true, status.encode())});
}

// Clause 7.5.12.
Envelope access_technology_change_event(std::uint8_t technology) {
    return event_download(EventType::AccessTechnologyChange, kTerminal,
                          {object(Tag::AccessTechnology, true, Bytes{technology})});
}

// Clause 7.5.15.
Envelope network_search_mode_change_event(std::uint8_t mode) {
    return event_download(EventType::NetworkSearchModeChange, kTerminal,
                          {object(Tag::NetworkSearchMode, true, Bytes{mode})});
}

// Clause 7.5.14.
Envelope local_connection_event(Bytes service_record) {
    return event_download(EventType::LocalConnection, kTerminal,
                          {object(Tag::ServiceRecord, true, std::move(service_record))});
}

// Clause 7.4: device identities (terminal -> UICC), timer identifier, timer value.
Envelope timer_expiration(std::uint8_t timer_id, const TimerValue& value) {
    Envelope env;
    env.tag = static_cast<std::uint8_t>(BerTag::TimerExpiration);
    env.tlvs.push_back(devices_object(kTerminal));
    env.tlvs.push_back(object(Tag::TimerIdentifier, true, Bytes{timer_id}));
    env.tlvs.push_back(object(Tag::TimerValue, true, value.encode()));
    return env;
}

// ENVELOPE (Terminal Applications), class "k": 'DC', device identities (terminal -> UICC),
// one registry application data ('71', clause 8.71 of the header) per application.
//
// Which ENVELOPE carries "last envelope" ('70', length 0): the last of the list, and only that
// one — also when the whole list fits in one ENVELOPE, since that ENVELOPE is then the last.
// The UICC replaces its list when it sees '70', so every list ends with it; an empty list is
// one ENVELOPE with device identities and '70 00'. Each ENVELOPE stays within one APDU
// (Lc <= 255 for the whole 'DC' object); applications are never split across ENVELOPEs and
// keep their order. An application too large for an APDU on its own goes alone into one
// ENVELOPE (the registry rejects such names before they get here).
std::vector<Envelope> terminal_applications(const std::vector<RegistryApplicationData>& apps) {
    const auto new_envelope = [] {
        Envelope e;
        e.tag = static_cast<std::uint8_t>(BerTag::TerminalApplication);
        e.tlvs.push_back(devices_object(kTerminal));
        return e;
    };
    const std::size_t last_size = ctlv_size(0);  // '70 00'
    std::vector<Envelope> out;
    Envelope cur = new_envelope();
    std::size_t value_len = ctlv_size(2);  // device identities
    bool has_app = false;
    for (const auto& app : apps) {
        Bytes v = app.encode();
        const std::size_t add = ctlv_size(v.size());
        // Room for this application and, should it be the last, for '70 00'.
        const std::size_t needed = value_len + add + last_size;
        if (has_app && 1 + length_size(needed) + needed > kMaxApdu) {
            out.push_back(std::move(cur));
            cur = new_envelope();
            value_len = ctlv_size(2);
        }
        cur.tlvs.push_back(object(Tag::RegistryApplicationData, false, std::move(v)));
        value_len += add;
        has_app = true;
    }
    cur.tlvs.push_back(object(Tag::LastEnvelope, false, {}));
    out.push_back(std::move(cur));
    return out;
}

// Clause 7.1 (TS 31.111 7.1.1): device identities (network -> UICC), the service centre
// address (optional, left out when empty) and the SMS-DELIVER TPDU.
Envelope sms_pp_download(Bytes address, Bytes tpdu) {
    Envelope env;
    env.tag = static_cast<std::uint8_t>(BerTag::SmsPpDownload);
    env.tlvs.push_back(devices_object(kNetwork));
    if (!address.empty()) env.tlvs.push_back(object(Tag::Address, false, std::move(address)));
    env.tlvs.push_back(object(Tag::SmsTpdu, true, std::move(tpdu)));
    return env;
}

}  // namespace dmsc::cat

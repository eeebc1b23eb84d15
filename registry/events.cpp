// registry/events.cpp — SET UP EVENT LIST, platform events (typed, parsed with key-naming
// errors) and the registration filter in front of the Event download ENVELOPEs.
#include "registry/events.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace dmsc::registry {

namespace {

using cat::EventType;

std::uint8_t code(EventType e) {
    return static_cast<std::uint8_t>(e);
}

// 8.61 access technology (TS 102 223); the names dmsc-ctl accepts.
struct TechName {
    std::uint8_t code;
    std::string_view name;
};
constexpr std::array kTechnologies{
    TechName{0x00, "gsm"},         TechName{0x01, "tia-eia-553"},   TechName{0x02, "tia-eia-136-c"},
    TechName{0x03, "utran"},       TechName{0x04, "tetra"},         TechName{0x05, "tia-eia-95-b"},
    TechName{0x06, "cdma2000-1x"}, TechName{0x07, "cdma2000-hrpd"}, TechName{0x08, "e-utran"},
};

// Decimal or 0x-hex, at most `max`.
std::optional<std::uint64_t> parse_number(std::string_view s, std::uint64_t max) {
    if (s.empty()) return std::nullopt;
    unsigned base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    std::uint64_t v = 0;
    for (char c : s) {
        unsigned d = 0;
        if (c >= '0' && c <= '9') {
            d = static_cast<unsigned>(c - '0');
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            d = static_cast<unsigned>(c - 'a' + 10);
        } else if (base == 16 && c >= 'A' && c <= 'F') {
            d = static_cast<unsigned>(c - 'A' + 10);
        } else {
            return std::nullopt;
        }
        v = v * base + d;
        if (v > max) return std::nullopt;
    }
    return v;
}

std::string normalise(std::string_view name) {
    std::string out(name);
    for (char& c : out) {
        if (c == '_') c = '-';
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// Reads the keys of one event; remembers which were used so unknown keys are reported.
class Args {
public:
    Args(std::string event, const EventArguments& args) : event_(std::move(event)), args_(args) {}

    const std::string* get(const std::string& key) {
        used_.push_back(key);
        auto it = args_.find(key);
        return it == args_.end() ? nullptr : &it->second;
    }
    Failure error(const std::string& key, const std::string& what) const {
        return fail(event_ + ": key \"" + key + "\": " + what);
    }
    Failure missing(const std::string& key, const std::string& what) const {
        return fail(event_ + ": key \"" + key + "\" is missing; " + what);
    }
    // After every get(): the first key the event does not know, if any.
    std::optional<Failure> unknown() const {
        for (const auto& [k, v] : args_) {
            if (std::find(used_.begin(), used_.end(), k) == used_.end()) {
                std::string known;
                for (const auto& u : used_) known += (known.empty() ? "" : ", ") + u;
                return fail(event_ + ": unknown key \"" + k + "\"" +
                            (known.empty() ? " (this event takes no keys)" : " (keys: " + known + ")"));
            }
        }
        return std::nullopt;
    }

    Expected<std::uint64_t> number(const std::string& key, std::uint64_t max, bool required,
                                   std::uint64_t fallback = 0) {
        const std::string* v = get(key);
        if (v == nullptr) {
            if (required) return missing(key, "give a number 0.." + std::to_string(max));
            return fallback;
        }
        auto n = parse_number(*v, max);
        if (!n) return error(key, "\"" + *v + "\" is not a number 0.." + std::to_string(max));
        return *n;
    }
    Expected<std::optional<cat::Bytes>> hex(const std::string& key) {
        const std::string* v = get(key);
        if (v == nullptr) return std::optional<cat::Bytes>{};
        cat::Bytes b;
        if (!cat::from_hex(*v, b)) return error(key, "\"" + *v + "\" is not hex bytes (e.g. 8190)");
        return std::optional<cat::Bytes>{std::move(b)};
    }
    Expected<bool> side(const std::string& key) {
        const std::string* v = get(key);
        if (v == nullptr || *v == "near") return true;
        if (*v == "far") return false;
        return error(key, "\"" + *v + "\" is neither near nor far");
    }

private:
    std::string event_;
    const EventArguments& args_;
    std::vector<std::string> used_;
};

bool digits(const std::string& s, std::size_t min, std::size_t max) {
    return s.size() >= min && s.size() <= max &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <class T>
Expected<PlatformEvent> finish(Args& a, T event) {
    if (auto u = a.unknown()) return *u;
    return PlatformEvent{std::move(event)};
}

Expected<PlatformEvent> parse_location(Args& a) {
    LocationStatus ev;
    const std::string* state = a.get("state");
    if (state == nullptr) return a.missing("state", "give normal, limited or no-service");
    const std::string st = normalise(*state);
    if (st == "normal") {
        ev.state = ServiceState::Normal;
    } else if (st == "limited") {
        ev.state = ServiceState::Limited;
    } else if (st == "no-service" || st == "none") {
        ev.state = ServiceState::NoService;
    } else {
        return a.error("state", "\"" + *state + "\" is not normal, limited or no-service");
    }
    const std::string* mcc = a.get("mcc");
    const std::string* mnc = a.get("mnc");
    const std::string* lac = a.get("lac");
    const std::string* tac = a.get("tac");
    const std::string* cell = a.get("cell_id");
    const std::string* rnc = a.get("rnc_id");
    const std::string* eci = a.get("eci");
    const bool any = mcc || mnc || lac || tac || cell || rnc || eci;
    if (ev.state != ServiceState::Normal) {
        // 7.5.4: the location information goes with normal service only.
        if (any) {
            const char* key = mcc    ? "mcc"
                              : mnc  ? "mnc"
                              : lac  ? "lac"
                              : tac  ? "tac"
                              : cell ? "cell_id"
                              : rnc  ? "rnc_id"
                                     : "eci";
            return a.error(key,
                           "location information is only sent in normal service (TS 102 223 clause "
                           "7.5.4); leave it out for state " +
                               *state);
        }
        return finish(a, std::move(ev));
    }
    const std::string need =
        "normal service needs mcc, mnc, lac (or tac) and cell_id (or eci) (TS 102 223 clause 7.5.4)";
    if (!mcc) return a.missing("mcc", need);
    if (!mnc) return a.missing("mnc", need);
    if (!lac && !tac) return a.missing("lac", need);
    if (lac && tac) return a.error("tac", "give lac (GERAN/UTRAN) or tac (E-UTRAN), not both");
    if (!cell && !eci) return a.missing("cell_id", need);
    if (cell && eci) return a.error("eci", "give cell_id (GERAN/UTRAN) or eci (E-UTRAN), not both");
    if (rnc && !cell) return a.error("rnc_id", "the extended cell identity goes with cell_id");
    if (!digits(*mcc, 3, 3)) return a.error("mcc", "\"" + *mcc + "\" is not 3 decimal digits");
    if (!digits(*mnc, 2, 3)) return a.error("mnc", "\"" + *mnc + "\" is not 2 or 3 decimal digits");
    const std::string area_key = lac ? "lac" : "tac";
    const std::string& area = lac ? *lac : *tac;
    auto l = parse_number(area, 0xFFFF);
    if (!l) return a.error(area_key, "\"" + area + "\" is not a number 0..65535");
    cat::LocationInformation li;
    li.mcc = *mcc;
    li.mnc = *mnc;
    li.lac = static_cast<std::uint16_t>(*l);
    // 8.19 (TS 31.111): cell identity 2 bytes; with the extended cell id (RNC-id) 2 more bytes;
    // the 28-bit E-UTRAN cell identity in 4 bytes, its last nibble 'F'.
    if (cell) {
        auto c = parse_number(*cell, 0xFFFF);
        if (!c)
            return a.error("cell_id", "\"" + *cell + "\" is not a number 0..65535 (16-bit cell identity)");
        li.cell_id = static_cast<std::uint32_t>(*c);
        li.cell_id_size = 2;
        if (rnc) {
            auto r = parse_number(*rnc, 0xFFFF);
            if (!r)
                return a.error("rnc_id",
                               "\"" + *rnc + "\" is not a number 0..65535 (extended cell identity)");
            li.cell_id = (static_cast<std::uint32_t>(*c) << 16) | static_cast<std::uint32_t>(*r);
            li.cell_id_size = 4;
        }
    } else {
        auto e = parse_number(*eci, 0x0FFFFFFF);
        if (!e)
            return a.error("eci",
                           "\"" + *eci + "\" is not a number 0..268435455 (28-bit E-UTRAN cell identity)");
        li.cell_id = (static_cast<std::uint32_t>(*e) << 4) | 0x0F;
        li.cell_id_size = 4;
    }
    ev.location = std::move(li);
    return finish(a, std::move(ev));
}

}  // namespace

std::string_view name_of(ServiceState state) {
    switch (state) {
        case ServiceState::Normal:
            return "normal";
        case ServiceState::Limited:
            return "limited";
        case ServiceState::NoService:
            return "no-service";
    }
    return "unknown";
}

std::optional<std::uint8_t> access_technology_code(std::string_view text) {
    const std::string n = normalise(text);
    for (const auto& t : kTechnologies) {
        if (t.name == n) return t.code;
    }
    if (n == "lte" || n == "eutran") return 0x08;
    if (n == "umts" || n == "wcdma") return 0x03;
    if (auto v = parse_number(n, 0xFF)) return static_cast<std::uint8_t>(*v);
    return std::nullopt;
}

std::string access_technology_name(std::uint8_t c) {
    for (const auto& t : kTechnologies) {
        if (t.code == c) return std::string(t.name);
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", c);
    return buf;
}

std::vector<std::string> platform_event_names() {
    return {"mt-call",           "call-connected",      "call-disconnected", "location-status",
            "user-activity",     "idle-screen",         "language",          "browser-termination",
            "access-technology", "network-search-mode", "network-rejection"};
}

Expected<PlatformEvent> parse_platform_event(std::string_view name, const EventArguments& args) {
    const std::string n = normalise(name);
    Args a(n, args);
    if (n == "mt-call") {
        MtCall ev;
        auto t = a.number("transaction_id", 0xFF, true);
        if (!t) return Failure{t.error()};
        ev.transaction_id = static_cast<std::uint8_t>(*t);
        auto ad = a.hex("address");
        if (!ad) return Failure{ad.error()};
        auto sub = a.hex("subaddress");
        if (!sub) return Failure{sub.error()};
        ev.address = std::move(*ad);
        ev.subaddress = std::move(*sub);
        return finish(a, std::move(ev));
    }
    if (n == "call-connected") {
        CallConnected ev;
        auto t = a.number("transaction_id", 0xFF, true);
        if (!t) return Failure{t.error()};
        auto s = a.side("side");
        if (!s) return Failure{s.error()};
        ev.transaction_id = static_cast<std::uint8_t>(*t);
        ev.near_end = *s;
        return finish(a, std::move(ev));
    }
    if (n == "call-disconnected") {
        CallDisconnected ev;
        const std::string* ids = a.get("transaction_id");
        if (ids == nullptr)
            return a.missing("transaction_id", "give one or more numbers 0..255, comma-separated");
        std::string_view rest(*ids);
        while (true) {
            const auto comma = rest.find(',');
            auto v = parse_number(rest.substr(0, comma), 0xFF);
            if (!v) return a.error("transaction_id", "\"" + *ids + "\" is not a list of numbers 0..255");
            ev.transaction_ids.push_back(static_cast<std::uint8_t>(*v));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        auto s = a.side("side");
        if (!s) return Failure{s.error()};
        ev.near_end = *s;
        auto c = a.hex("cause");
        if (!c) return Failure{c.error()};
        ev.cause = std::move(*c);
        return finish(a, std::move(ev));
    }
    if (n == "location-status" || n == "location") return parse_location(a);
    if (n == "user-activity") return finish(a, UserActivity{});
    if (n == "idle-screen" || n == "idle-screen-available") return finish(a, IdleScreenAvailable{});
    if (n == "language" || n == "language-selection") {
        const std::string* l = a.get("language");
        if (l == nullptr) return a.missing("language", "give two ISO 639 letters, e.g. en");
        std::string lang = normalise(*l);
        if (lang.size() != 2 ||
            !std::all_of(lang.begin(), lang.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
            return a.error("language", "\"" + *l + "\" is not two ISO 639 letters (e.g. en, de)");
        }
        return finish(a, LanguageSelection{std::move(lang)});
    }
    if (n == "browser-termination") {
        const std::string* c = a.get("cause");
        BrowserTermination ev;
        if (c == nullptr) return a.missing("cause", "give user or error");
        if (*c == "user") {
            ev.cause = 0x00;
        } else if (*c == "error") {
            ev.cause = 0x01;
        } else if (auto v = parse_number(*c, 0xFF)) {
            ev.cause = static_cast<std::uint8_t>(*v);
        } else {
            return a.error("cause", "\"" + *c + "\" is not user, error or a number 0..255");
        }
        return finish(a, ev);
    }
    if (n == "access-technology" || n == "access-technology-change") {
        const std::string* t = a.get("technology");
        if (t == nullptr)
            return a.missing("technology", "give a name (gsm, utran, e-utran ...) or a code 0..255");
        auto c = access_technology_code(*t);
        if (!c) {
            return a.error("technology", "\"" + *t +
                                             "\" is not an access technology (gsm, utran, e-utran, "
                                             "cdma2000-1x ... or a code of TS 102 223 clause 8.61)");
        }
        return finish(a, AccessTechnologyChange{*c});
    }
    if (n == "network-rejection") {
        NetworkRejection ev;
        const std::string need =
            "give mcc, mnc and lac (with rac for a routing area) or tac (TS 31.111 7.5.2)";
        const std::string* mcc = a.get("mcc");
        const std::string* mnc = a.get("mnc");
        const std::string* lac = a.get("lac");
        const std::string* rac = a.get("rac");
        const std::string* tac = a.get("tac");
        if (!mcc) return a.missing("mcc", need);
        if (!mnc) return a.missing("mnc", need);
        if (!lac && !tac) return a.missing("tac", need);
        if (lac && tac)
            return a.error("tac", "give lac (location/routing area) or tac (tracking area), not both");
        if (rac && !lac) return a.error("rac", "a routing area is lac + rac");
        if (!digits(*mcc, 3, 3)) return a.error("mcc", "\"" + *mcc + "\" is not 3 decimal digits");
        if (!digits(*mnc, 2, 3)) return a.error("mnc", "\"" + *mnc + "\" is not 2 or 3 decimal digits");
        const std::string area_key = lac ? "lac" : "tac";
        auto area = a.number(area_key, 0xFFFF, true);
        if (!area) return Failure{area.error()};
        ev.id.mcc = *mcc;
        ev.id.mnc = *mnc;
        ev.id.lac = static_cast<std::uint16_t>(*area);
        ev.area = tac ? NetworkRejection::Area::TrackingArea
                      : (rac ? NetworkRejection::Area::RoutingArea : NetworkRejection::Area::Location);
        if (rac) {
            auto r = a.number("rac", 0xFF, true);
            if (!r) return Failure{r.error()};
            ev.rac = static_cast<std::uint8_t>(*r);
        }
        const std::string* t = a.get("technology");
        if (t == nullptr)
            return a.missing("technology", "give a name (gsm, utran, e-utran ...) or a code 0..255");
        auto tc = access_technology_code(*t);
        if (!tc)
            return a.error("technology",
                           "\"" + *t + "\" is not an access technology (TS 102 223 clause 8.61)");
        ev.technology = *tc;
        auto type = a.number("type", 0xFF, true);
        if (!type) return Failure{type.error()};
        ev.update_attach_type = static_cast<std::uint8_t>(*type);
        auto cause = a.number("cause", 0xFF, true);
        if (!cause) return Failure{cause.error()};
        ev.cause = static_cast<std::uint8_t>(*cause);
        return finish(a, std::move(ev));
    }
    if (n == "network-search-mode" || n == "network-search-mode-change") {
        const std::string* m = a.get("mode");
        if (m == nullptr) return a.missing("mode", "give manual or automatic");
        NetworkSearchModeChange ev;
        if (*m == "manual") {
            ev.mode = 0x00;
        } else if (*m == "automatic") {
            ev.mode = 0x01;
        } else if (auto v = parse_number(*m, 0xFF)) {
            ev.mode = static_cast<std::uint8_t>(*v);
        } else {
            return a.error("mode", "\"" + *m + "\" is not manual, automatic or a number");
        }
        return finish(a, ev);
    }
    std::string names;
    for (const auto& s : platform_event_names()) names += (names.empty() ? "" : ", ") + s;
    return fail("unknown event \"" + std::string(name) + "\"; events: " + names);
}

cat::EventType event_type(const PlatformEvent& event) {
    struct V {
        EventType operator()(const MtCall&) const { return EventType::MtCall; }
        EventType operator()(const CallConnected&) const { return EventType::CallConnected; }
        EventType operator()(const CallDisconnected&) const { return EventType::CallDisconnected; }
        EventType operator()(const LocationStatus&) const { return EventType::LocationStatus; }
        EventType operator()(const UserActivity&) const { return EventType::UserActivity; }
        EventType operator()(const IdleScreenAvailable&) const { return EventType::IdleScreenAvailable; }
        EventType operator()(const LanguageSelection&) const { return EventType::LanguageSelection; }
        EventType operator()(const BrowserTermination&) const { return EventType::BrowserTermination; }
        EventType operator()(const AccessTechnologyChange&) const {
            return EventType::AccessTechnologyChange;
        }
        EventType operator()(const NetworkSearchModeChange&) const {
            return EventType::NetworkSearchModeChange;
        }
        EventType operator()(const NetworkRejection&) const { return EventType::NetworkRejection; }
    };
    return std::visit(V{}, event);
}

cat::Envelope to_envelope(const PlatformEvent& event) {
    struct V {
        cat::Envelope operator()(const MtCall& e) const {
            return cat::mt_call_event(e.transaction_id, e.address, e.subaddress);
        }
        cat::Envelope operator()(const CallConnected& e) const {
            return cat::call_connected_event(e.transaction_id, e.near_end);
        }
        cat::Envelope operator()(const CallDisconnected& e) const {
            return cat::call_disconnected_event(e.transaction_ids, e.near_end, e.cause);
        }
        cat::Envelope operator()(const LocationStatus& e) const {
            return cat::location_status_event(static_cast<std::uint8_t>(e.state), e.location);
        }
        cat::Envelope operator()(const UserActivity&) const { return cat::user_activity_event(); }
        cat::Envelope operator()(const IdleScreenAvailable&) const {
            return cat::idle_screen_available_event();
        }
        cat::Envelope operator()(const LanguageSelection& e) const {
            return cat::language_selection_event(e.language);
        }
        cat::Envelope operator()(const BrowserTermination& e) const {
            return cat::browser_termination_event(e.cause);
        }
        cat::Envelope operator()(const NetworkRejection& e) const {
            // TS 31.111 7.5.2.2: from the network; the area identification (comprehension not
            // required, as the location information of 7.5.4), access technology, update /
            // attach type and rejection cause code (comprehension required).
            constexpr std::uint8_t kNetwork = 0x83;
            cat::Bytes area = e.id.encode();
            cat::Tag tag = cat::Tag::TrackingAreaIdentification;
            if (e.area == NetworkRejection::Area::Location) tag = cat::Tag::LocationInformation;
            if (e.area == NetworkRejection::Area::RoutingArea) {
                tag = cat::Tag::RoutingAreaInformation;
                area.push_back(e.rac);
            }
            auto ctlv = [](cat::Tag t, bool cr, cat::Bytes v) {
                cat::Ctlv o;
                o.tag = static_cast<std::uint8_t>(t);
                o.cr = cr;
                o.value = std::move(v);
                return o;
            };
            return cat::event_download(
                EventType::NetworkRejection, kNetwork,
                {ctlv(tag, false, std::move(area)), ctlv(cat::Tag::AccessTechnology, true, {e.technology}),
                 ctlv(cat::Tag::UpdateAttachType, true, {e.update_attach_type}),
                 ctlv(cat::Tag::RejectionCauseCode, true, {e.cause})});
        }
        cat::Envelope operator()(const AccessTechnologyChange& e) const {
            return cat::access_technology_change_event(e.technology);
        }
        cat::Envelope operator()(const NetworkSearchModeChange& e) const {
            return cat::network_search_mode_change_event(e.mode);
        }
    };
    return std::visit(V{}, event);
}

std::vector<cat::EventType> default_supported_events() {
    return {EventType::MtCall,
            EventType::CallConnected,
            EventType::CallDisconnected,
            EventType::LocationStatus,
            EventType::UserActivity,
            EventType::IdleScreenAvailable,
            EventType::LanguageSelection,
            EventType::BrowserTermination,
            EventType::DataAvailable,
            EventType::ChannelStatus,
            EventType::AccessTechnologyChange,
            EventType::NetworkSearchModeChange,
            EventType::NetworkRejection};
}

EventRegistry::EventRegistry(std::vector<cat::EventType> supported) {
    for (auto e : supported) {
        if (!is_supported(e)) supported_.push_back(code(e));
    }
}

bool EventRegistry::is_supported(cat::EventType event) const {
    return std::find(supported_.begin(), supported_.end(), code(event)) != supported_.end();
}

bool EventRegistry::is_registered(cat::EventType event) const {
    return std::find(list_.begin(), list_.end(), code(event)) != list_.end();
}

// TS 102 223 clause 6.4.16: the list given replaces any earlier one; an empty list removes the
// current one. "Command beyond terminal's capabilities" when the terminal cannot accept the list
// (we read: any event in it the terminal cannot report) — the current list is then left as it
// was, since the new one was not accepted.
cat::TerminalResponse EventRegistry::set_up_event_list(const cat::CommandDetails& details,
                                                       const cat::SetUpEventList& body) {
    for (auto e : body.events) {
        if (!is_supported(static_cast<EventType>(e))) {
            ++refused_;
            return cat::make_response(details, cat::GeneralResult::BeyondTerminalCapabilities);
        }
    }
    list_.clear();
    for (auto e : body.events) {
        if (std::find(list_.begin(), list_.end(), e) == list_.end()) list_.push_back(e);
    }
    ++lists_;
    return cat::make_response(details, cat::GeneralResult::Success);
}

bool EventRegistry::filter(cat::EventType type) {
    if (is_registered(type)) return true;
    ++filtered_[code(type)];
    return false;
}

std::optional<EnvelopeId> EventRegistry::offer_envelope(cat::EventType type, const cat::Envelope& env,
                                                        Outbox& out) {
    const EnvelopeId id = out.push(EnvelopeKind::EventDownload, code(type), env);
    if (id == 0) return std::nullopt;  // the outbox is full (counted there)
    ++sent_[code(type)];
    // 7.5.5 / 7.5.6: user activity and idle screen available are reported once; the terminal
    // then removes the event from the current list.
    if (type == EventType::UserActivity || type == EventType::IdleScreenAvailable) {
        list_.erase(std::remove(list_.begin(), list_.end(), code(type)), list_.end());
    }
    return id;
}

std::optional<EnvelopeId> EventRegistry::offer(const PlatformEvent& event, Outbox& out) {
    const EventType type = event_type(event);
    if (!filter(type)) return std::nullopt;
    return offer_envelope(type, to_envelope(event), out);
}

std::optional<EnvelopeId> EventRegistry::offer_data_available(const cat::ChannelStatus& status,
                                                              std::size_t available, Outbox& out) {
    if (!filter(EventType::DataAvailable)) return std::nullopt;
    return offer_envelope(EventType::DataAvailable, cat::data_available_event(status, available), out);
}

std::optional<EnvelopeId> EventRegistry::offer_channel_status(const cat::ChannelStatus& status, Outbox& out) {
    if (!filter(EventType::ChannelStatus)) return std::nullopt;
    return offer_envelope(EventType::ChannelStatus, cat::channel_status_event(status), out);
}

EventsSnapshot EventRegistry::snapshot() const {
    EventsSnapshot s;
    for (auto c : supported_) {
        EventsSnapshot::Entry e;
        e.code = c;
        e.name = std::string(cat::name_of(static_cast<EventType>(c)));
        e.registered = std::find(list_.begin(), list_.end(), c) != list_.end();
        if (auto it = sent_.find(c); it != sent_.end()) e.sent = it->second;
        if (auto it = filtered_.find(c); it != filtered_.end()) e.filtered = it->second;
        s.supported.push_back(std::move(e));
    }
    s.registered = list_;
    s.set_up_event_lists = lists_;
    s.refused_lists = refused_;
    return s;
}

}  // namespace dmsc::registry

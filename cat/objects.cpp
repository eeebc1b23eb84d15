// cat/objects.cpp — decode, encode and describe the simple data objects of TS 102 223 clause 8.
#include "cat/objects.hpp"

#include <algorithm>
#include <cstdio>

#include "cat/text.hpp"

namespace dmsc::cat {

namespace {

constexpr std::uint8_t kDataNotUnderstood = 0x32;

Error bad(std::size_t offset, Tag tag, const std::string& what) {
    return make_error(kDataNotUnderstood, offset, static_cast<std::uint16_t>(tag),
                      std::string(name_of(tag)) + ": " + what);
}

Error too_short(std::size_t offset, Tag tag, std::size_t got, std::size_t want) {
    return bad(offset, tag, "length " + std::to_string(got) + ", expected at least " + std::to_string(want));
}

std::string hex2(std::uint8_t v) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02X", static_cast<unsigned>(v));
    return buf;
}

std::string two_digits(unsigned v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02u", v % 100);
    return buf;
}

// Swapped-nibble BCD (TS 102 223 8.38 / 8.39, as TS 23.040 9.2.3.11): the low nibble is the
// tens digit. Returns false for a nibble above 9.
bool swapped_bcd(std::uint8_t b, std::uint8_t& out) {
    const std::uint8_t tens = b & 0x0F;
    const std::uint8_t units = static_cast<std::uint8_t>(b >> 4);
    if (tens > 9 || units > 9) return false;
    out = static_cast<std::uint8_t>(tens * 10 + units);
    return true;
}

std::uint8_t to_swapped_bcd(std::uint8_t v) {
    v = static_cast<std::uint8_t>(v % 100);
    return static_cast<std::uint8_t>(((v % 10) << 4) | (v / 10));
}

char bcd_char(std::uint8_t nibble) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    return kDigits[nibble & 0x0F];
}

// Digit or hex letter back to a nibble; 'F' and anything else unknown -> 0x0F.
std::uint8_t char_nibble(char c) {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    return 0x0F;
}

Field f(std::string name, std::int64_t v) {
    return Field{std::move(name), FieldValue{v}};
}
Field f(std::string name, std::string v) {
    return Field{std::move(name), FieldValue{std::move(v)}};
}
Field fb(std::string name, bool v) {
    return Field{std::move(name), FieldValue{v}};
}

std::string hex_of(ByteView v) {
    return to_hex(v);
}

std::string event_names(ByteView events) {
    std::string s;
    for (auto e : events) {
        if (!s.empty()) s += ", ";
        auto n = name_of(static_cast<EventType>(e));
        s += n.empty() ? ("'" + hex2(e) + "'") : std::string(n);
    }
    return s;
}

template <class T>
Fields describe_or_error(ByteView value) {
    auto r = T::decode(value, 0);
    if (!r) return {f("error", r.error().describe())};
    return r->describe();
}

}  // namespace

std::string field_to_string(const FieldValue& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    return std::get<std::string>(v);
}

// ---- 8.6 command details -------------------------------------------------------------------

Result<CommandDetails> CommandDetails::decode(ByteView v, std::size_t offset) {
    if (v.size() < 3) return too_short(offset, Tag::CommandDetails, v.size(), 3);
    return CommandDetails{v[0], v[1], v[2]};
}

Bytes CommandDetails::encode() const {
    return {number, type, qualifier};
}

Fields CommandDetails::describe() const {
    Fields out{f("command number", number), f("command type", type)};
    auto n = name_of(static_cast<CommandType>(type));
    if (!n.empty()) out.push_back(f("command", std::string(n)));
    out.push_back(f("qualifier", qualifier));
    return out;
}

// ---- 8.7 device identities -----------------------------------------------------------------

Result<DeviceIdentities> DeviceIdentities::decode(ByteView v, std::size_t offset) {
    if (v.size() < 2) return too_short(offset, Tag::DeviceIdentities, v.size(), 2);
    return DeviceIdentities{v[0], v[1]};
}

Bytes DeviceIdentities::encode() const {
    return {source, destination};
}

Fields DeviceIdentities::describe() const {
    return {f("source", device_name(source)), f("destination", device_name(destination))};
}

// ---- 8.12 result ---------------------------------------------------------------------------

Result<ResultInfo> ResultInfo::decode(ByteView v, std::size_t offset) {
    if (v.empty()) return too_short(offset, Tag::Result, 0, 1);
    return ResultInfo{v[0], Bytes(v.begin() + 1, v.end())};
}

Bytes ResultInfo::encode() const {
    Bytes out{general};
    out.insert(out.end(), additional.begin(), additional.end());
    return out;
}

Fields ResultInfo::describe() const {
    Fields out{f("general result", general)};
    auto n = name_of(static_cast<GeneralResult>(general));
    if (!n.empty()) out.push_back(f("result", std::string(n)));
    if (!additional.empty()) {
        out.push_back(f("additional information", hex_of(additional)));
        // 8.12.11: the first additional byte of a BIP error is the cause.
        if (general == static_cast<std::uint8_t>(GeneralResult::BearerIndependentProtocolError)) {
            auto c = name_of(static_cast<BipCause>(additional[0]));
            if (!c.empty()) out.push_back(f("cause", std::string(c)));
        }
    }
    return out;
}

// ---- 8.8 duration --------------------------------------------------------------------------

Result<Duration> Duration::decode(ByteView v, std::size_t offset) {
    if (v.size() < 2) return too_short(offset, Tag::Duration, v.size(), 2);
    if (v[0] > 0x02) return bad(offset, Tag::Duration, "reserved time unit '" + hex2(v[0]) + "'");
    return Duration{v[0], v[1]};
}

Bytes Duration::encode() const {
    return {unit, interval};
}

std::uint64_t Duration::milliseconds() const {
    switch (unit) {
        case 0x00:
            return std::uint64_t{interval} * 60000;  // minutes
        case 0x01:
            return std::uint64_t{interval} * 1000;  // seconds
        case 0x02:
            return std::uint64_t{interval} * 100;  // tenths of seconds
        default:
            return 0;
    }
}

Fields Duration::describe() const {
    static constexpr const char* kUnits[] = {"minutes", "seconds", "tenths of seconds"};
    return {f("time unit", unit <= 2 ? std::string(kUnits[unit]) : "'" + hex2(unit) + "'"),
            f("time interval", interval), f("milliseconds", static_cast<std::int64_t>(milliseconds()))};
}

// ---- 8.38 timer value ----------------------------------------------------------------------

Result<TimerValue> TimerValue::decode(ByteView v, std::size_t offset) {
    if (v.size() < 3) return too_short(offset, Tag::TimerValue, v.size(), 3);
    TimerValue t;
    if (!swapped_bcd(v[0], t.hours) || !swapped_bcd(v[1], t.minutes) || !swapped_bcd(v[2], t.seconds)) {
        return bad(offset, Tag::TimerValue, "not BCD: " + hex_of(v.first(3)));
    }
    return t;
}

Bytes TimerValue::encode() const {
    return {to_swapped_bcd(hours), to_swapped_bcd(minutes), to_swapped_bcd(seconds)};
}

std::uint32_t TimerValue::total_seconds() const {
    return std::uint32_t{hours} * 3600 + std::uint32_t{minutes} * 60 + seconds;
}

TimerValue TimerValue::from_seconds(std::uint32_t s) {
    constexpr std::uint32_t kMax = 99 * 3600 + 59 * 60 + 59;
    s = std::min(s, kMax);
    return TimerValue{static_cast<std::uint8_t>(s / 3600), static_cast<std::uint8_t>(s / 60 % 60),
                      static_cast<std::uint8_t>(s % 60)};
}

std::string timer_value_to_string(const TimerValue& t) {
    return two_digits(t.hours) + ":" + two_digits(t.minutes) + ":" + two_digits(t.seconds);
}

Fields TimerValue::describe() const {
    return {f("timer value", timer_value_to_string(*this)),
            f("seconds", static_cast<std::int64_t>(total_seconds()))};
}

// ---- 8.52 bearer description ---------------------------------------------------------------

Result<BearerDescription> BearerDescription::decode(ByteView v, std::size_t offset) {
    if (v.empty()) return too_short(offset, Tag::BearerDescription, 0, 1);
    return BearerDescription{v[0], Bytes(v.begin() + 1, v.end())};
}

Bytes BearerDescription::encode() const {
    Bytes out{type};
    out.insert(out.end(), parameters.begin(), parameters.end());
    return out;
}

Fields BearerDescription::describe() const {
    Fields out{f("bearer type", type)};
    auto n = name_of(static_cast<BearerType>(type));
    if (!n.empty()) out.push_back(f("bearer", std::string(n)));
    // 8.52.2: GPRS / UTRAN packet service parameters, as TS 24.008 QoS release 97.
    if (type == static_cast<std::uint8_t>(BearerType::Gprs) && parameters.size() >= 6) {
        out.push_back(f("precedence class", parameters[0]));
        out.push_back(f("delay class", parameters[1]));
        out.push_back(f("reliability class", parameters[2]));
        out.push_back(f("peak throughput class", parameters[3]));
        out.push_back(f("mean throughput class", parameters[4]));
        out.push_back(f("packet data protocol type", parameters[5]));
    } else if (!parameters.empty()) {
        out.push_back(f("bearer parameters", hex_of(parameters)));
    }
    return out;
}

// ---- 8.56 channel status -------------------------------------------------------------------

ChannelStatus ChannelStatus::client(std::uint8_t id, bool established, std::uint8_t further) {
    return ChannelStatus{static_cast<std::uint8_t>(id & 0x07),
                         static_cast<std::uint8_t>(established ? 0x80 : 0x00), further};
}

ChannelStatus ChannelStatus::server(std::uint8_t id, TcpState state, std::uint8_t further) {
    return ChannelStatus{static_cast<std::uint8_t>(id & 0x07),
                         static_cast<std::uint8_t>((static_cast<std::uint8_t>(state) & 0x03) << 6), further};
}

Result<ChannelStatus> ChannelStatus::decode(ByteView v, std::size_t offset) {
    if (v.size() < 2) return too_short(offset, Tag::ChannelStatus, v.size(), 2);
    return ChannelStatus{static_cast<std::uint8_t>(v[0] & 0x07), static_cast<std::uint8_t>(v[0] & 0xF8),
                         v[1]};
}

Bytes ChannelStatus::encode() const {
    return {static_cast<std::uint8_t>((channel_id & 0x07) | (state_bits & 0xF8)), further_info};
}

Fields ChannelStatus::describe() const {
    static constexpr const char* kTcp[] = {"CLOSED", "LISTEN", "ESTABLISHED", "reserved"};
    Fields out{f("channel id", channel_id), fb("link established", link_established()),
               f("tcp state", std::string(kTcp[static_cast<unsigned>(tcp_state()) & 3]))};
    std::string further;
    switch (further_info) {  // 8.56 byte 2
        case 0x00:
            further = "no further info";
            break;
        case 0x05:
            further = "link dropped";
            break;
        default:
            further = "'" + hex2(further_info) + "'";
            break;
    }
    out.push_back(f("further info", further));
    return out;
}

// ---- 8.59 UICC/terminal interface transport level ------------------------------------------

Result<TransportLevel> TransportLevel::decode(ByteView v, std::size_t offset) {
    if (v.size() < 3) {
        return too_short(offset, Tag::UiccTerminalInterfaceTransportLevel, v.size(), 3);
    }
    return TransportLevel{v[0], static_cast<std::uint16_t>((v[1] << 8) | v[2])};
}

Bytes TransportLevel::encode() const {
    return {protocol, static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port & 0xFF)};
}

Fields TransportLevel::describe() const {
    Fields out{f("transport protocol", protocol)};
    auto n = name_of(static_cast<TransportProtocol>(protocol));
    if (!n.empty()) out.push_back(f("protocol", std::string(n)));
    out.push_back(f("port", port));
    return out;
}

// ---- 8.58 other address --------------------------------------------------------------------

Result<OtherAddress> OtherAddress::decode(ByteView v, std::size_t offset) {
    (void)offset;  // every length is valid: empty = dynamic address, odd sizes shown as hex
    OtherAddress a;
    if (v.empty()) return a;
    a.type = v[0];
    a.address.assign(v.begin() + 1, v.end());
    return a;
}

Bytes OtherAddress::encode() const {
    Bytes out;
    if (!type) return out;
    out.push_back(*type);
    out.insert(out.end(), address.begin(), address.end());
    return out;
}

std::string OtherAddress::to_string() const {
    if (!type) return "";
    if (*type == static_cast<std::uint8_t>(AddressType::Ipv4) && address.size() == 4) {
        return std::to_string(address[0]) + "." + std::to_string(address[1]) + "." +
               std::to_string(address[2]) + "." + std::to_string(address[3]);
    }
    if (*type == static_cast<std::uint8_t>(AddressType::Ipv6) && address.size() == 16) {
        // RFC 5952 text form: the longest run (>= 2) of zero groups becomes "::".
        std::uint16_t g[8];
        for (int i = 0; i < 8; ++i)
            g[i] = static_cast<std::uint16_t>((address[2 * i] << 8) | address[2 * i + 1]);
        int best = -1, best_len = 0;
        for (int i = 0; i < 8;) {
            if (g[i] != 0) {
                ++i;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) ++j;
            if (j - i > best_len && j - i >= 2) {
                best = i;
                best_len = j - i;
            }
            i = j;
        }
        std::string s;
        char buf[8];
        for (int i = 0; i < 8; ++i) {
            if (i == best) {
                s += "::";
                i += best_len - 1;
                continue;
            }
            if (!s.empty() && s.back() != ':') s += ":";
            std::snprintf(buf, sizeof buf, "%x", static_cast<unsigned>(g[i]));
            s += buf;
        }
        return s;
    }
    return to_hex(address);
}

Fields OtherAddress::describe() const {
    if (!type) return {f("address", std::string("dynamic"))};
    std::string t = *type == 0x21 ? "IPv4" : *type == 0x57 ? "IPv6" : "'" + hex2(*type) + "'";
    return {f("address type", t), f("address", to_string())};
}

// ---- 8.19 location information -------------------------------------------------------------

Result<LocationInformation> LocationInformation::decode(ByteView v, std::size_t offset) {
    if (v.size() < 5) return too_short(offset, Tag::LocationInformation, v.size(), 5);
    LocationInformation li;
    // TS 24.008 10.5.1.3: MCC2 MCC1 | MNC3 MCC3 | MNC2 MNC1 (MNC3 'F' for a 2-digit MNC).
    li.mcc = {bcd_char(v[0]), bcd_char(v[0] >> 4), bcd_char(v[1])};
    li.mnc = {bcd_char(v[2]), bcd_char(v[2] >> 4)};
    if ((v[1] >> 4) != 0x0F) li.mnc.push_back(bcd_char(v[1] >> 4));
    li.lac = static_cast<std::uint16_t>((v[3] << 8) | v[4]);
    if (v.size() >= 9) {
        // 8.19: extended (UTRAN) or E-UTRAN cell identity, 4 bytes as read.
        li.cell_id =
            (std::uint32_t{v[5]} << 24) | (std::uint32_t{v[6]} << 16) | (std::uint32_t{v[7]} << 8) | v[8];
        li.cell_id_size = 4;
    } else if (v.size() >= 7) {
        li.cell_id = static_cast<std::uint32_t>((v[5] << 8) | v[6]);
        li.cell_id_size = 2;
    }
    return li;
}

Bytes LocationInformation::encode() const {
    auto d = [](const std::string& s, std::size_t i) -> std::uint8_t {
        return i < s.size() ? char_nibble(s[i]) : 0x0F;
    };
    Bytes out;
    out.push_back(static_cast<std::uint8_t>((d(mcc, 1) << 4) | d(mcc, 0)));
    out.push_back(static_cast<std::uint8_t>((d(mnc, 2) << 4) | d(mcc, 2)));
    out.push_back(static_cast<std::uint8_t>((d(mnc, 1) << 4) | d(mnc, 0)));
    out.push_back(static_cast<std::uint8_t>(lac >> 8));
    out.push_back(static_cast<std::uint8_t>(lac & 0xFF));
    if (cell_id) {
        if (cell_id_size == 4) {
            out.push_back(static_cast<std::uint8_t>(*cell_id >> 24));
            out.push_back(static_cast<std::uint8_t>(*cell_id >> 16));
        }
        out.push_back(static_cast<std::uint8_t>(*cell_id >> 8));
        out.push_back(static_cast<std::uint8_t>(*cell_id & 0xFF));
    }
    return out;
}

Fields LocationInformation::describe() const {
    Fields out{f("mcc", mcc), f("mnc", mnc), f("lac", lac)};
    if (cell_id) out.push_back(f("cell id", static_cast<std::int64_t>(*cell_id)));
    return out;
}

// ---- 8.39 date-time and time zone ----------------------------------------------------------

Result<DateTimeTimeZone> DateTimeTimeZone::decode(ByteView v, std::size_t offset) {
    if (v.size() < 7) return too_short(offset, Tag::DateTimeAndTimeZone, v.size(), 7);
    DateTimeTimeZone t;
    std::uint8_t* fields[] = {&t.year, &t.month, &t.day, &t.hour, &t.minute, &t.second};
    for (std::size_t i = 0; i < 6; ++i) {
        if (!swapped_bcd(v[i], *fields[i])) {
            return bad(offset, Tag::DateTimeAndTimeZone, "not BCD: " + hex_of(v.first(7)));
        }
    }
    t.time_zone = v[6];
    return t;
}

Bytes DateTimeTimeZone::encode() const {
    return {to_swapped_bcd(year),
            to_swapped_bcd(month),
            to_swapped_bcd(day),
            to_swapped_bcd(hour),
            to_swapped_bcd(minute),
            to_swapped_bcd(second),
            time_zone};
}

Fields DateTimeTimeZone::describe() const {
    Fields out{f("date", "20" + two_digits(year) + "-" + two_digits(month) + "-" + two_digits(day)),
               f("time", two_digits(hour) + ":" + two_digits(minute) + ":" + two_digits(second))};
    if (time_zone == 0xFF) {
        out.push_back(f("time zone", std::string("unknown")));
    } else {
        // TS 23.040 9.2.3.11: quarters of an hour, swapped BCD, bit 4 of the first octet = sign.
        const int quarters = (time_zone & 0x07) * 10 + (time_zone >> 4);
        const bool negative = (time_zone & 0x08) != 0;
        out.push_back(f("time zone quarters", negative ? -quarters : quarters));
    }
    return out;
}

// ---- 8.71 registry application data --------------------------------------------------------

Result<RegistryApplicationData> RegistryApplicationData::decode(ByteView v, std::size_t offset) {
    if (v.size() < 4) return too_short(offset, Tag::RegistryApplicationData, v.size(), 4);
    RegistryApplicationData r;
    r.port = static_cast<std::uint16_t>((v[0] << 8) | v[1]);
    r.dcs = v[2];
    r.application_type = v[3];
    r.name.assign(v.begin() + 4, v.end());
    return r;
}

Bytes RegistryApplicationData::encode() const {
    Bytes out{static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port & 0xFF), dcs,
              application_type};
    out.insert(out.end(), name.begin(), name.end());
    return out;
}

Fields RegistryApplicationData::describe() const {
    Fields out{f("port", port), f("dcs", dcs), f("application type", application_type)};
    std::string text;
    if (decode_text(dcs, name, text)) {
        out.push_back(f("name", text));
    } else {
        out.push_back(f("name hex", hex_of(name)));
    }
    return out;
}

// ---- 8.15 text string ----------------------------------------------------------------------

Result<TextString> TextString::decode(ByteView v, std::size_t offset) {
    TextString t;
    if (v.empty()) return t;  // null text string
    t.dcs = v[0];
    t.data.assign(v.begin() + 1, v.end());
    std::string ignored;
    if (!decode_text(*t.dcs, t.data, ignored)) {
        return bad(offset, Tag::TextString, "unsupported data coding scheme '" + hex2(*t.dcs) + "'");
    }
    return t;
}

Bytes TextString::encode() const {
    Bytes out;
    if (!dcs) return out;
    out.push_back(*dcs);
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

std::optional<std::string> TextString::text() const {
    if (!dcs) return std::nullopt;
    std::string s;
    if (!decode_text(*dcs, data, s)) return std::nullopt;
    return s;
}

Fields TextString::describe() const {
    if (!dcs) return {f("text", std::string()), fb("null", true)};
    Fields out{f("dcs", *dcs)};
    if (auto t = text()) {
        out.push_back(f("text", *t));
    } else {
        out.push_back(f("text hex", hex_of(data)));
    }
    return out;
}

// ---- helpers -------------------------------------------------------------------------------

Result<std::uint8_t> decode_u8(ByteView v, std::uint16_t tag, std::size_t offset) {
    if (v.empty()) {
        return make_error(kDataNotUnderstood, offset, tag,
                          std::string(name_of(static_cast<Tag>(tag))) + ": empty, expected 1 byte");
    }
    return v[0];
}

Result<std::uint16_t> decode_u16(ByteView v, std::uint16_t tag, std::size_t offset) {
    if (v.size() < 2) {
        return make_error(kDataNotUnderstood, offset, tag,
                          std::string(name_of(static_cast<Tag>(tag))) + ": length " +
                              std::to_string(v.size()) + ", expected 2 bytes");
    }
    return static_cast<std::uint16_t>((v[0] << 8) | v[1]);
}

bool decode_network_access_name(ByteView v, std::string& out) {
    // 8.70 -> TS 23.003 9.1: length-prefixed labels, shown joined with '.'.
    out.clear();
    ByteReader r(v);
    while (!r.empty()) {
        const std::uint8_t n = r.u8();
        auto label = r.take(n);
        if (!r.ok()) return false;
        if (!out.empty()) out.push_back('.');
        out.append(label.begin(), label.end());
    }
    return true;
}

Bytes encode_network_access_name(std::string_view apn) {
    Bytes out;
    std::size_t start = 0;
    while (start <= apn.size()) {
        std::size_t dot = apn.find('.', start);
        if (dot == std::string_view::npos) dot = apn.size();
        const auto label = apn.substr(start, std::min<std::size_t>(dot - start, 63));
        out.push_back(static_cast<std::uint8_t>(label.size()));
        out.insert(out.end(), label.begin(), label.end());
        start = dot + 1;
    }
    return out;
}

std::string decode_bcd_digits(ByteView v) {
    // TS 102 223 8.1 / TS 31.102 EF_ADN: low nibble first; 'A' '*', 'B' '#', 'C' pause
    // (shown 'c' like the conformance vectors), 'D' wild, 'E' expansion, 'F' filler.
    static constexpr char kDigits[] = "0123456789*#cde";
    std::string s;
    for (auto b : v) {
        for (std::uint8_t n : {static_cast<std::uint8_t>(b & 0x0F), static_cast<std::uint8_t>(b >> 4)}) {
            if (n == 0x0F) continue;
            s.push_back(kDigits[n]);
        }
    }
    return s;
}

std::string decode_identity_digits(ByteView v) {
    // TS 24.008 10.5.1.4 mobile identity (IMEI / IMEISV): first octet = digit 1 + odd/even +
    // type of identity, then two digits per octet, low nibble first, 'F' filler.
    std::string s;
    if (v.empty()) return s;
    if ((v[0] >> 4) != 0x0F) s.push_back(bcd_char(v[0] >> 4));
    for (std::size_t i = 1; i < v.size(); ++i) {
        if ((v[i] & 0x0F) != 0x0F) s.push_back(bcd_char(v[i]));
        if ((v[i] >> 4) != 0x0F) s.push_back(bcd_char(v[i] >> 4));
    }
    return s;
}

Result<std::vector<Bytes>> decode_file_list(ByteView v, std::size_t offset) {
    // 8.18: number of files, then the full paths concatenated, each starting with '3F00'.
    if (v.empty()) return too_short(offset, Tag::FileList, 0, 1);
    std::vector<Bytes> files;
    const std::uint8_t count = v[0];
    auto rest = v.subspan(1);
    if (rest.size() % 2 != 0) return bad(offset, Tag::FileList, "odd number of path bytes");
    for (std::size_t i = 0; i < rest.size(); i += 2) {
        const bool mf = rest[i] == 0x3F && rest[i + 1] == 0x00;
        if (mf || files.empty()) {
            if (!mf) return bad(offset, Tag::FileList, "path does not start with '3F00'");
            files.emplace_back();
        }
        files.back().push_back(rest[i]);
        files.back().push_back(rest[i + 1]);
    }
    if (files.size() != count) {
        return bad(offset, Tag::FileList,
                   "announces " + std::to_string(count) + " files, holds " + std::to_string(files.size()));
    }
    return files;
}

Fields describe_object(std::uint16_t tag, ByteView value) {
    if (tag > 0x7F) return {};  // three-byte tags: none the gateway meets
    const auto t = static_cast<Tag>(tag);
    auto u8_field = [&](const char* name) -> Fields {
        auto r = decode_u8(value, tag, 0);
        if (!r) return {f("error", r.error().describe())};
        return {f(name, *r)};
    };
    switch (t) {
        case Tag::CommandDetails:
            return describe_or_error<CommandDetails>(value);
        case Tag::DeviceIdentities:
            return describe_or_error<DeviceIdentities>(value);
        case Tag::Result:
            return describe_or_error<ResultInfo>(value);
        case Tag::Duration:
            return describe_or_error<Duration>(value);
        case Tag::AlphaIdentifier:
            return {f("alpha identifier", decode_alpha(value))};
        case Tag::DefaultText:
            return describe_or_error<TextString>(value);
        case Tag::Address:
        case Tag::Subaddress:
            if (t == Tag::Subaddress) return {f("subaddress", hex_of(value))};
            if (value.empty()) return {f("number", std::string())};
            return {f("ton npi", value[0]), f("number", decode_bcd_digits(value.subspan(1)))};
        case Tag::SsString:
            if (value.empty()) return {f("ss string", std::string())};
            return {f("ton npi", value[0]), f("ss string", decode_bcd_digits(value.subspan(1)))};
        case Tag::UssdString:
        case Tag::TextString: {
            if (t == Tag::TextString) return describe_or_error<TextString>(value);
            if (value.empty()) return {f("error", std::string("USSD string: empty"))};
            std::string s;
            if (!decode_text(value[0], value.subspan(1), s)) return {f("ussd hex", hex_of(value))};
            return {f("dcs", value[0]), f("ussd string", s)};
        }
        case Tag::SmsTpdu:
        case Tag::CdmaSmsTpdu:
            return {f("tpdu", hex_of(value)), f("length", static_cast<std::int64_t>(value.size()))};
        case Tag::Item:
            if (value.empty()) return {f("item", std::string("none"))};
            return {f("item identifier", value[0]), f("text", decode_alpha(value.subspan(1)))};
        case Tag::ItemIdentifier:
            return u8_field("item identifier");
        case Tag::ResponseLength:
            if (value.size() < 2) return {f("error", std::string("response length: expected 2 bytes"))};
            return {f("minimum", value[0]), f("maximum", value[1])};
        case Tag::FileList: {
            auto r = decode_file_list(value, 0);
            if (!r) return {f("error", r.error().describe())};
            std::string s;
            for (const auto& p : *r) s += (s.empty() ? "" : " ") + to_hex(p);
            return {f("file count", static_cast<std::int64_t>(r->size())), f("files", s)};
        }
        case Tag::LocationInformation:
            return describe_or_error<LocationInformation>(value);
        case Tag::Imei:
            return {f("imei", decode_identity_digits(value))};
        case Tag::Imeisv:
            return {f("imeisv", decode_identity_digits(value))};
        case Tag::HelpRequest:
            return {fb("help request", true)};
        case Tag::NetworkMeasurementResults:
            return {f("network measurement results", hex_of(value))};
        case Tag::ItemsNextActionIndicator:
            return {f("next actions", hex_of(value))};
        case Tag::EventList:
            return {f("events", event_names(value)), f("event codes", hex_of(value))};
        case Tag::Cause:
            return {f("cause", hex_of(value))};
        case Tag::LocationStatus: {
            auto r = decode_u8(value, tag, 0);
            if (!r) return {f("error", r.error().describe())};
            static constexpr const char* kStatus[] = {"normal service", "limited service", "no service"};
            return {f("location status", *r <= 2 ? std::string(kStatus[*r]) : "'" + hex2(*r) + "'")};
        }
        case Tag::TransactionIdentifier:
            return {f("transaction identifiers", hex_of(value))};
        case Tag::IconIdentifier:
            if (value.size() < 2) return {f("error", std::string("icon identifier: expected 2 bytes"))};
            return {fb("self-explanatory", (value[0] & 0x01) == 0), f("icon record", value[1])};
        case Tag::ItemIconIdentifierList:
            if (value.empty()) return {f("error", std::string("item icon identifier list: empty"))};
            return {fb("self-explanatory", (value[0] & 0x01) == 0),
                    f("icon records", hex_of(value.subspan(1)))};
        case Tag::CardReaderStatus:
            return u8_field("card reader status");
        case Tag::CardAtr:
            return {f("atr", hex_of(value))};
        case Tag::CApdu:
            return {f("c-apdu", hex_of(value))};
        case Tag::RApdu:
            return {f("r-apdu", hex_of(value))};
        case Tag::TimerIdentifier:
            return u8_field("timer id");
        case Tag::TimerValue:
            return describe_or_error<TimerValue>(value);
        case Tag::DateTimeAndTimeZone:
            return describe_or_error<DateTimeTimeZone>(value);
        case Tag::AtCommand:
        case Tag::AtResponse:
            return {f(t == Tag::AtCommand ? "at command" : "at response", gsm7_unpacked_to_utf8(value))};
        case Tag::ImmediateResponse:
            return {fb("immediate response", true)};
        case Tag::DtmfString:
            return {f("dtmf", decode_bcd_digits(value))};
        case Tag::Language:
            return {f("language", gsm7_unpacked_to_utf8(value))};
        case Tag::TimingAdvance:
            return {f("timing advance", hex_of(value))};
        case Tag::AidIdentifier:
            return {f("aid", hex_of(value))};
        case Tag::BrowserIdentity:
            return u8_field("browser identity");
        case Tag::Url:
            return {f("url", gsm7_unpacked_to_utf8(value))};
        case Tag::Bearer:
            return {f("bearers", hex_of(value))};
        case Tag::ProvisioningReferenceFile:
            return {f("provisioning file", hex_of(value))};
        case Tag::BrowserTerminationCause:
            return u8_field("browser termination cause");
        case Tag::BearerDescription:
            return describe_or_error<BearerDescription>(value);
        case Tag::ChannelData:
            return {f("channel data", hex_of(value)), f("length", static_cast<std::int64_t>(value.size()))};
        case Tag::ChannelDataLength: {
            auto r = decode_u8(value, tag, 0);
            if (!r) return {f("error", r.error().describe())};
            Fields out{f("channel data length", *r)};
            if (*r == 0xFF) out.push_back(fb("more than 255", true));  // 8.54
            return out;
        }
        case Tag::ChannelStatus:
            return describe_or_error<ChannelStatus>(value);
        case Tag::BufferSize: {
            auto r = decode_u16(value, tag, 0);
            if (!r) return {f("error", r.error().describe())};
            return {f("buffer size", *r)};
        }
        case Tag::CardReaderIdentifier:
            return {f("card reader identifier", hex_of(value))};
        case Tag::FileUpdateInformation:
            return {f("file update information", hex_of(value))};
        case Tag::UiccTerminalInterfaceTransportLevel:
            return describe_or_error<TransportLevel>(value);
        case Tag::OtherAddress:
            return describe_or_error<OtherAddress>(value);
        case Tag::AccessTechnology:
            return {f("access technology", hex_of(value))};
        case Tag::Esn:
            return {f("esn", hex_of(value))};
        case Tag::NetworkAccessName: {
            std::string s;
            if (!decode_network_access_name(value, s))
                return {f("error", "network access name: bad label lengths " + hex_of(value))};
            return {f("network access name", s)};
        }
        case Tag::RemoteEntityAddress:
            return {f("remote entity address", hex_of(value))};
        case Tag::TextAttribute:
        case Tag::ItemTextAttributeList:
            return {f("text attribute", hex_of(value))};
        case Tag::NetworkSearchMode:
            return u8_field("network search mode");
        case Tag::BatteryState:
            return u8_field("battery state");
        case Tag::BrowsingStatus:
            return {f("browsing status", hex_of(value))};
        case Tag::FrameIdentifier:
            return u8_field("frame id");
        case Tag::FrameLayout:
            return {f("frame layout", hex_of(value))};
        case Tag::FramesInformation:
            return {f("frames information", hex_of(value))};
        case Tag::MeidIdentifier:
            return {f("meid", hex_of(value))};
        case Tag::LastEnvelope:
            return {fb("last envelope", true)};
        case Tag::RegistryApplicationData:
            return describe_or_error<RegistryApplicationData>(value);
        case Tag::ActivateDescriptor:
            return u8_field("activate descriptor");
        case Tag::PlmnList:
            return {f("plmn list", hex_of(value))};
        case Tag::RoutingAreaInformation:
            return {f("routing area information", hex_of(value))};
        case Tag::TrackingAreaIdentification:
            return {f("tracking area identification", hex_of(value))};
        case Tag::RejectionCauseCode:
            return u8_field("rejection cause code");
        case Tag::UpdateAttachType:
            return u8_field("update/attach type");
        case Tag::CsgId:
            return {f("csg id", hex_of(value))};
        case Tag::HnbName:
            return {f("hnb name", hex_of(value))};
        case Tag::CapabilityConfigurationParameters:
            return {f("capability configuration parameters", hex_of(value))};
        case Tag::CellBroadcastPage:
            return {f("cell broadcast page", hex_of(value))};
        case Tag::Tone:
            return u8_field("tone");
        case Tag::BcchChannelList:
            return {f("bcch channel list", hex_of(value))};
        case Tag::CallControlRequestedAction:
            return {f("call control requested action", hex_of(value))};
        case Tag::BcRepeatIndicator:
            return u8_field("bc repeat indicator");
        case Tag::PdpContextActivationParameter:
            return {f("pdp context activation parameters", hex_of(value))};
        case Tag::EpsPdnConnectionActivationParameters:
            return {f("eps pdn connection activation parameters", hex_of(value))};
        default:
            return {};
    }
}

}  // namespace dmsc::cat

// tests/cat/test_envelope_vectors.cpp — ENVELOPE against the conformance vectors: decode to
// `expect`, build every event download / timer expiration / SMS-PP download with the builders
// byte for byte, round-trip the others; Terminal Applications; truncation sweeps.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../support/vectors.hpp"
#include "cat/bytes.hpp"
#include "cat/envelope.hpp"
#include "cat/objects.hpp"
#include "cat/text.hpp"

using namespace dmsc::cat;
using nlohmann::json;

namespace {

using dmsc::test::hex;
using dmsc::test::num;
using dmsc::test::symbols;

json load(const char* file) {
    return dmsc::test::load_vectors(file);
}

std::uint8_t byte(const json& v) {
    return static_cast<std::uint8_t>(num(v));
}
bool flag(const json& o, const char* k) {
    return o.contains(k) && num(o.at(k)) != 0;
}

ChannelStatus channel_status(const json& ch) {
    Bytes w;
    if (ch.contains("wire")) {
        w = hex(ch.at("wire").get<std::string>());
    } else {  // oFono's internal enum, see tests/vectors/README.md
        const auto id = static_cast<std::uint8_t>(ch.at("id").get<int>());
        const auto s = ch.at("status").get<std::string>();
        if (s == "STK_CHANNEL_PACKET_DATA_SERVICE_ACTIVATED")
            w = {static_cast<std::uint8_t>(0x80 | id), 0};
        else if (s == "STK_CHANNEL_TCP_IN_LISTEN_STATE")
            w = {static_cast<std::uint8_t>(0x40 | id), 0};
        else if (s == "STK_CHANNEL_LINK_DROPPED")
            w = {id, 0x05};
        else
            w = {id, 0};
    }
    return ChannelStatus{static_cast<std::uint8_t>(w[0] & 0x07), static_cast<std::uint8_t>(w[0] & 0xF8),
                         w[1]};
}

// Address (TS 102 223 8.1): TON/NPI then the digits in swapped-nibble BCD, 'F' filler.
Bytes bcd_digits(const std::string& digits) {
    Bytes out;
    for (std::size_t i = 0; i < digits.size(); i += 2) {
        const auto lo = static_cast<std::uint8_t>(digits[i] - '0');
        const std::uint8_t hi = i + 1 < digits.size() ? static_cast<std::uint8_t>(digits[i + 1] - '0') : 0x0F;
        out.push_back(static_cast<std::uint8_t>(lo | (hi << 4)));
    }
    return out;
}

Bytes address(const json& a) {
    Bytes out{byte(a.at("ton_npi"))};
    const Bytes d = bcd_digits(a.at("number").get<std::string>());
    out.insert(out.end(), d.begin(), d.end());
    return out;
}

std::uint8_t swapped(int v) {
    return static_cast<std::uint8_t>((v % 10) << 4 | (v / 10));
}

// SMS-DELIVER TPDU (TS 23.040 9.2.2.1) from the fields the vectors give.
Bytes sms_deliver(const json& m) {
    Bytes t;
    t.push_back(
        static_cast<std::uint8_t>(0x04 | (flag(m, "udhi") ? 0x40 : 0x00)));  // MTI deliver, no more msgs
    const auto& oa = m.at("oaddr");
    const auto oa_digits = oa.at("address").get<std::string>();
    t.push_back(static_cast<std::uint8_t>(oa_digits.size()));
    t.push_back(
        static_cast<std::uint8_t>(0x80 | (num(oa.at("number_type")) << 4) | num(oa.at("numbering_plan"))));
    const Bytes d = bcd_digits(oa_digits);
    t.insert(t.end(), d.begin(), d.end());
    t.push_back(byte(m.at("pid")));
    t.push_back(byte(m.at("dcs")));
    const auto& s = m.at("scts");
    for (const char* k : {"year", "month", "day", "hour", "minute", "second"})
        t.push_back(swapped(s.value(k, 0)));
    t.push_back(swapped(s.value("timezone", 0)));
    t.push_back(byte(m.at("udl")));
    // User data: hex (resolved file), a byte array, or the 8-bit text itself (symbolic file).
    Bytes ud;
    const auto& u = m.at("ud");
    if (u.is_array()) {
        for (const auto& x : u) ud.push_back(byte(x));
    } else if (!from_hex(u.get<std::string>(), ud)) {
        const auto text = u.get<std::string>();
        ud.assign(text.begin(), text.end());
    }
    t.insert(t.end(), ud.begin(), ud.end());
    return t;
}

LocationInformation location(const json& l) {
    LocationInformation li;
    li.mcc = l.at("mcc").get<std::string>();
    li.mnc = l.at("mnc").get<std::string>();
    li.lac = static_cast<std::uint16_t>(l.at("lac_tac").get<int>());
    if (flag(l, "has_eutran_ci")) {
        li.cell_id = (static_cast<std::uint32_t>(l.at("eutran_ci").get<int>()) << 4) | 0x0F;
        li.cell_id_size = 4;
    } else if (flag(l, "has_ext_ci")) {
        li.cell_id = (static_cast<std::uint32_t>(l.at("ci").get<int>()) << 16) |
                     static_cast<std::uint32_t>(l.at("ext_ci").get<int>());
        li.cell_id_size = 4;
    } else if (flag(l, "has_ci")) {
        li.cell_id = static_cast<std::uint32_t>(l.at("ci").get<int>());
    }
    return li;
}

Ctlv ctlv(Tag t, bool cr, Bytes v) {
    Ctlv c;
    c.tag = static_cast<std::uint8_t>(t);
    c.cr = cr;
    c.value = std::move(v);
    return c;
}

struct EnvVector {
    std::string name;
    Bytes bytes;
    std::uint8_t tag = 0;
    std::uint8_t src = 0;
    std::uint8_t dst = 0;
    json body;  // event_download / timer_expiration / sms_pp_download / ...
};

std::vector<EnvVector> env_vectors() {
    std::vector<EnvVector> out;
    for (const auto& v : load("resolved_vectors.json")) {
        if (v.at("kind") != "envelope") continue;
        const auto& e = v.at("expect");
        EnvVector x{v.at("name"),
                    hex(v.at("hex")),
                    byte(e.at("envelope_tag")),
                    byte(e.at("source_device")),
                    byte(e.at("destination_device")),
                    e};
        out.push_back(std::move(x));
    }
    for (const auto& v : load("cat_conformance_vectors.json")) {
        if (v.at("kind") != "envelope") continue;
        const auto& e = v.at("expect").at("envelope");
        EnvVector x{v.at("name"),      hex(v.at("hex")),  byte(e.at("type")),
                    byte(e.at("src")), byte(e.at("dst")), e};
        out.push_back(std::move(x));
    }
    return out;
}

// Builds what the gateway sends with the builders; nullopt for templates it does not send.
std::optional<Envelope> build(const EnvVector& v) {
    const json& b = v.body;
    if (v.tag == 0xD7) {
        const auto& te = b.at("timer_expiration");
        const auto& val = te.at("value");
        return timer_expiration(byte(te.at("id")),
                                TimerValue{static_cast<std::uint8_t>(val.value("hour", 0)),
                                           static_cast<std::uint8_t>(val.value("minute", 0)),
                                           static_cast<std::uint8_t>(val.value("second", 0))});
    }
    if (v.tag == 0xD1) {
        const auto& s = b.at("sms_pp_download");
        return sms_pp_download(address(s.at("address")), sms_deliver(s.at("message")));
    }
    if (v.tag != 0xD6) return std::nullopt;
    const auto& ed = b.at("event_download");
    const bool near_end = v.src == 0x82;
    switch (static_cast<EventType>(byte(ed.at("type")))) {
        case EventType::MtCall: {
            const auto& m = ed.at("mt_call");
            std::optional<Bytes> addr;
            if (m.contains("caller_address")) addr = address(m.at("caller_address"));
            return mt_call_event(byte(m.at("transaction_id")), addr);
        }
        case EventType::CallConnected:
            return call_connected_event(byte(ed.at("call_connected").at("transaction_id")), near_end);
        case EventType::CallDisconnected: {
            const auto& c = ed.at("call_disconnected");
            const auto& l = c.at("transaction_ids").at("list");
            Bytes ids;
            if (l.is_string())
                ids = hex(l.get<std::string>());
            else
                for (const auto& i : l) ids.push_back(byte(i));
            std::optional<Bytes> cause;
            if (c.contains("cause") && flag(c.at("cause"), "has_cause")) {
                cause = c.at("cause").contains("cause") ? hex(c.at("cause").at("cause")) : Bytes{};
            }
            return call_disconnected_event(ids, near_end, cause);
        }
        case EventType::LocationStatus: {
            const auto& l = ed.at("location_status");
            std::optional<LocationInformation> info;
            if (l.contains("info")) info = location(l.at("info"));
            return location_status_event(byte(l.at("state")), info);
        }
        case EventType::UserActivity:
            return user_activity_event();
        case EventType::IdleScreenAvailable:
            return idle_screen_available_event();
        case EventType::CardReaderStatus: {  // clause 8.33: bits 1-3 id, 4-8 flags
            const auto& c = ed.at("card_reader_status");
            const auto s = static_cast<std::uint8_t>(
                num(c.at("id")) | flag(c, "removable") << 3 | flag(c, "present") << 4 |
                flag(c, "id1_size") << 5 | flag(c, "card_present") << 6 | flag(c, "card_powered") << 7);
            return event_download(EventType::CardReaderStatus, v.src,
                                  {ctlv(Tag::CardReaderStatus, true, {s})});
        }
        case EventType::LanguageSelection:
            return language_selection_event(ed.at("language_selection").get<std::string>());
        case EventType::BrowserTermination:
            return browser_termination_event(byte(ed.at("browser_termination").at("cause")));
        case EventType::DataAvailable: {
            const auto& d = ed.at("data_available");
            return data_available_event(channel_status(d.at("channel")),
                                        d.at("channel_data_len").get<std::size_t>());
        }
        case EventType::ChannelStatus:
            return channel_status_event(channel_status(ed.at("channel_status").at("channel")));
        case EventType::NetworkRejection: {  // TS 31.111 7.5.2: TAI, access technology, update type, cause
            const auto& n = ed.at("network_rejection");
            LocationInformation plmn;
            plmn.mcc = n.at("tai").at("mcc").get<std::string>();
            plmn.mnc = n.at("tai").at("mnc").get<std::string>();
            plmn.lac = static_cast<std::uint16_t>(n.at("tai").at("tac").get<int>());
            Bytes tai = plmn.encode();  // MCC/MNC + TAC, no cell id
            return event_download(EventType::NetworkRejection, v.src,
                                  {ctlv(Tag::TrackingAreaIdentification, false, tai),
                                   ctlv(Tag::AccessTechnology, true, {byte(n.at("access_tech"))}),
                                   ctlv(Tag::UpdateAttachType, true, {byte(n.at("update_attach"))}),
                                   ctlv(Tag::RejectionCauseCode, true, {byte(n.at("cause"))})});
        }
        default:
            return std::nullopt;
    }
}

std::vector<RegistryApplicationData> all_apps(const std::vector<Envelope>& envs) {
    std::vector<RegistryApplicationData> out;
    for (const auto& e : envs) {
        auto dec = decode_envelope(encode(e));
        REQUIRE_MESSAGE(dec.ok(), dec.error().describe());
        for (const auto& t : dec->tlvs) {
            if (!t.is(static_cast<std::uint8_t>(Tag::RegistryApplicationData))) continue;
            auto app = RegistryApplicationData::decode(t.value, t.offset);
            REQUIRE_MESSAGE(app.ok(), app.error().describe());
            out.push_back(app.value());
        }
    }
    return out;
}

RegistryApplicationData gsm_app(std::uint16_t port, const std::string& name) {
    RegistryApplicationData a;
    a.port = port;
    a.dcs = 0x04;
    a.application_type = 0x07;
    REQUIRE(utf8_to_gsm7_unpacked(name, a.name));
    return a;
}

}  // namespace

TEST_CASE("ENVELOPE vectors: decode to expect, the gateway's envelopes built byte for byte") {
    const auto vectors = env_vectors();
    CHECK(vectors.size() == 43 + 34);
    int built = 0;
    int round_tripped = 0;
    for (const auto& v : vectors) {
        CAPTURE(v.name);
        auto dec = decode_envelope(v.bytes);
        REQUIRE_MESSAGE(dec.ok(), v.name << ": " << dec.error().describe());
        const Envelope& env = dec.value();
        CHECK_MESSAGE(env.tag == v.tag, v.name);
        REQUIRE_MESSAGE(env.devices().has_value(), v.name);
        CHECK_MESSAGE(env.devices()->source == v.src, v.name);
        CHECK_MESSAGE(env.devices()->destination == v.dst, v.name);
        if (v.tag == 0xD6) CHECK_MESSAGE(env.event() == byte(v.body.at("event_download").at("type")), v.name);
        CHECK_MESSAGE(!describe(env).empty(), v.name);
        CHECK_MESSAGE(to_hex(encode(env)) == to_hex(v.bytes), v.name << " re-encoded");

        if (auto b = build(v)) {
            // Decoding gives the objects built from the expect fields (CR aside) ...
            REQUIRE_MESSAGE(b->tlvs.size() == env.tlvs.size(), v.name);
            for (std::size_t i = 0; i < env.tlvs.size(); ++i) {
                CHECK_MESSAGE(env.tlvs[i].tag == b->tlvs[i].tag, v.name << " object " << i);
                CHECK_MESSAGE(env.tlvs[i].value == b->tlvs[i].value, v.name << " object " << i);
            }
            // ... and the builders give the vector's bytes, CR flags included.
            CHECK_MESSAGE(to_hex(encode(*b)) == to_hex(v.bytes), v.name << " built by the builders");
            ++built;
        } else {
            // Menu selection, call control, MO SMS control, cell broadcast: not sent by the
            // gateway; a generic build of the decoded objects must give the same bytes.
            Envelope g;
            g.tag = env.tag;
            g.tlvs = env.tlvs;
            CHECK_MESSAGE(to_hex(encode(g)) == to_hex(v.bytes), v.name << " generic build");
            ++round_tripped;
        }
    }
    MESSAGE("built by the builders: " << built << ", generic round trips: " << round_tripped);
    CHECK(built == 43 + 18);
}

TEST_CASE("ENVELOPE truncation sweep: every prefix of every vector fails cleanly with an offset") {
    for (const auto& v : env_vectors()) {
        for (std::size_t n = 0; n < v.bytes.size(); ++n) {
            const Bytes prefix(v.bytes.begin(), v.bytes.begin() + static_cast<std::ptrdiff_t>(n));
            auto r = decode_envelope(prefix);
            REQUIRE_FALSE_MESSAGE(r.ok(), v.name << " len " << n);  // the BER length no longer fits
            CHECK_MESSAGE(r.error().offset <= n, v.name << " len " << n << ": " << r.error().describe());
        }
        // A trailing byte is refused too, and named.
        Bytes longer = v.bytes;
        longer.push_back(0x00);
        auto r = decode_envelope(longer);
        REQUIRE_FALSE_MESSAGE(r.ok(), v.name);
        CHECK(r.error().offset == v.bytes.size());
    }
}

TEST_CASE("ENVELOPE decode errors: not a template, no device identities, no event") {
    auto r = decode_envelope(hex("D0038202828100"));
    CHECK_FALSE(r.ok());
    r = decode_envelope(hex("D603990104"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().tag == 0x02);
    CHECK(r.error().result == 0x36);
    r = decode_envelope(hex("D60482028281"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().tag == 0x19);
}

TEST_CASE("Data available: channel data length 'FF' above 255") {
    const auto e = data_available_event(ChannelStatus{1, 0x80, 0}, 1400);
    CHECK(to_hex(encode(e)) == "D60E99010982028281B8028100B701FF");
    CHECK(to_hex(encode(data_available_event(ChannelStatus{2, 0x80, 0}, 16))) ==
          "D60E99010982028281B8028200B70110");
}

TEST_CASE("Terminal Applications: one application, GSM name, last envelope") {
    const auto envs = terminal_applications({gsm_app(44444, "DMClient")});
    REQUIRE(envs.size() == 1);
    CHECK(to_hex(encode(envs[0])) ==
          "DC14"
          "82028281"
          "710C"
          "AD9C"
          "04"
          "07"
          "444D436C69656E74"
          "7000");
    CHECK(all_apps(envs) == std::vector<RegistryApplicationData>{gsm_app(44444, "DMClient")});
    CHECK(envs[0].find(Tag::LastEnvelope) != nullptr);
}

TEST_CASE("Terminal Applications: several applications in one envelope, UCS2 name") {
    RegistryApplicationData ucs2;
    ucs2.port = 8080;
    ucs2.dcs = 0x08;
    ucs2.application_type = 0x07;
    REQUIRE(utf8_to_ucs2("Gerät", ucs2.name));
    const std::vector<RegistryApplicationData> apps{gsm_app(1, "A"), ucs2, gsm_app(65535, "Zz")};
    const auto envs = terminal_applications(apps);
    REQUIRE(envs.size() == 1);
    CHECK(all_apps(envs) == apps);
    const Bytes enc = encode(envs[0]);
    CHECK(to_hex(enc).find("710E1F90080700470065007200E40074") != std::string::npos);
    CHECK(to_hex(enc).substr(to_hex(enc).size() - 4) == "7000");
    std::string name;
    REQUIRE(decode_text(0x08, all_apps(envs)[1].name, name));
    CHECK(name == "Gerät");
}

TEST_CASE("Terminal Applications: no application is one envelope with only '70 00'") {
    const auto envs = terminal_applications({});
    REQUIRE(envs.size() == 1);
    CHECK(to_hex(encode(envs[0])) == "DC06820282817000");
}

TEST_CASE("Terminal Applications: split over several envelopes, each within one APDU") {
    std::vector<RegistryApplicationData> apps;
    for (int i = 0; i < 30; ++i) {
        apps.push_back(
            gsm_app(static_cast<std::uint16_t>(40000 + i), "DM client number " + std::to_string(i)));
    }
    const auto envs = terminal_applications(apps);
    REQUIRE(envs.size() > 1);
    for (std::size_t i = 0; i < envs.size(); ++i) {
        const Bytes enc = encode(envs[i]);
        CHECK_MESSAGE(enc.size() <= 255, "envelope " << i << " is " << enc.size() << " bytes");
        CHECK(enc[0] == 0xDC);
        REQUIRE(envs[i].devices().has_value());
        CHECK(envs[i].devices()->source == 0x82);
        CHECK(envs[i].devices()->destination == 0x81);
        // Only the last envelope says it is the last.
        CHECK((envs[i].find(Tag::LastEnvelope) != nullptr) == (i + 1 == envs.size()));
        CHECK(envs[i].tlvs.front().is(0x02));
    }
    CHECK(all_apps(envs) == apps);  // every application once, in order
    // Filled: the first envelope has no room left for the first application of the second.
    const std::size_t first = encode(envs[0]).size();
    const std::size_t next_app = 2 + envs[1].tlvs[1].value.size();
    CHECK(first + next_app > 255 - 2);
}

// gateway/sim/scenario.cpp — parses scenario TOML (toml++) into steps, with errors naming
// file:line:key, and builds the DM Package#0 payloads. Format: docs/simulated-card.md.
#include "gateway/sim/scenario.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "cat/codes.hpp"
#include "cat/profile.hpp"
#include "cat/text.hpp"
#include "gateway/package0_check.hpp"

namespace dmsc::gateway::sim {
namespace {

// The built-in scenario; tests check it equals gateway/sim/scenarios/default.toml.
constexpr std::string_view kDefaultScenario =
    R"toml(# default.toml — the built-in DM_SC Server scenario (seed 000 section 7.1, off-line trigger):
# register for data available + channel status, wait for the DM Client's registration, then
# deliver a DM Package#0 over a Terminal Server Mode TCP channel to the registered port.
[scenario]
name = "default"
description = "Off-line trigger: Package#0 to the registered DM Client port over BIP"

[card]
protocol = "T=1"

[profile]
require = ["SET UP EVENT LIST", "OPEN CHANNEL", "CLOSE CHANNEL", "SEND DATA",
           "byte 17 bit 4", "TERMINAL APPLICATIONS"]

[[step]]
name = "register events"
on = "profile"
command = "set_up_event_list"
events = ["data-available", "channel-status"]
expect_result = "00"

[[step]]
name = "open channel to the registered DM Client"
on = "terminal-applications"
expect_application = { type = 0x07, port = 1100 }
command = "open_channel"
mode = "terminal-server"
transport = "tcp"
port = "registered"
buffer_size = 1400
expect_result = "00"

[[step]]
name = "send Package#0"
on = "response"
command = "send_data"
payload = "dm12-package0"
server_id = "DMSC-Server"
session_id = 1
expect_result = "00"

[[step]]
name = "close channel"
on = "response"
command = "close_channel"
expect_result = "00"
)toml";

class Parser {
public:
    explicit Parser(std::string source) : source_(std::move(source)) {}

    [[noreturn]] void fail(const toml::source_region& where, const std::string& key,
                           const std::string& what) const {
        std::ostringstream os;
        os << source_;
        if (where.begin.line > 0) os << ':' << where.begin.line;
        os << ": ";
        if (!key.empty()) os << key << ": ";
        os << what;
        throw ScenarioError(os.str());
    }
    [[noreturn]] void fail(const toml::node& n, const std::string& key, const std::string& what) const {
        fail(n.source(), key, what);
    }

    void check_keys(const toml::table& t, const std::string& prefix,
                    const std::set<std::string_view>& allowed) const {
        for (auto&& [k, v] : t) {
            if (!allowed.contains(k.str())) {
                fail(k.source(), prefix + std::string(k.str()), "unknown key (see docs/simulated-card.md)");
            }
        }
    }

    std::string get_string(const toml::node& n, const std::string& key) const {
        if (auto s = n.as_string()) return s->get();
        fail(n, key, "expected a string");
    }
    std::int64_t get_int(const toml::node& n, const std::string& key, std::int64_t lo,
                         std::int64_t hi) const {
        auto i = n.as_integer();
        if (!i) fail(n, key, "expected an integer");
        const std::int64_t v = i->get();
        if (v < lo || v > hi) {
            fail(n, key,
                 "out of range: " + std::to_string(v) + " (expected " + std::to_string(lo) + ".." +
                     std::to_string(hi) + ")");
        }
        return v;
    }
    bool get_bool(const toml::node& n, const std::string& key) const {
        if (auto b = n.as_boolean()) return b->get();
        fail(n, key, "expected true or false");
    }
    cat::Bytes get_hex(const toml::node& n, const std::string& key, std::size_t min_len = 0,
                       std::size_t max_len = 65535) const {
        cat::Bytes out;
        if (!cat::from_hex(get_string(n, key), out))
            fail(n, key, "expected hex bytes (\"01 02\" or \"0102\")");
        if (out.size() < min_len || out.size() > max_len) {
            fail(n, key,
                 "expected " + std::to_string(min_len) + ".." + std::to_string(max_len) + " bytes, got " +
                     std::to_string(out.size()));
        }
        return out;
    }
    std::uint8_t get_hex_byte(const toml::node& n, const std::string& key) const {
        // "00" or an integer 0..255.
        if (n.is_integer()) return static_cast<std::uint8_t>(get_int(n, key, 0, 255));
        return get_hex(n, key, 1, 1)[0];
    }

    const std::string& source() const { return source_; }

private:
    std::string source_;
};

std::string normalize(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '_' || c == '-') c = ' ';
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

// Named single bits of the TERMINAL PROFILE, from cat::describe_terminal_profile of a profile
// with only that bit set ("byte 12 bit 1: OPEN CHANNEL" → "open channel" = (12, 1)).
struct NamedBit {
    std::uint8_t byte;
    std::uint8_t bit;
    std::string name;
};
const std::vector<NamedBit>& profile_bit_names() {
    static const std::vector<NamedBit> names = [] {
        std::vector<NamedBit> out;
        for (std::uint8_t byte = 1; byte <= 40; ++byte) {
            for (std::uint8_t bit = 1; bit <= 8; ++bit) {
                cat::Bytes p(byte, 0);
                p[byte - 1] = static_cast<std::uint8_t>(1u << (bit - 1));
                for (const auto& line : cat::describe_terminal_profile(p)) {
                    const std::string prefix =
                        "byte " + std::to_string(byte) + " bit " + std::to_string(bit) + ": ";
                    if (line.rfind(prefix, 0) == 0)
                        out.push_back({byte, bit, normalize(line.substr(prefix.size()))});
                }
            }
        }
        return out;
    }();
    return names;
}

[[noreturn]] void fail_requirement(const Parser& p, const toml::node& n, const std::string& key,
                                   const std::string& text) {
    p.fail(n, key,
           "\"" + text +
               "\" is neither \"byte N bit B\" (N 1..255, B 1..8) nor a TERMINAL PROFILE feature "
               "name as `dmsc-ctl profile` prints it (e.g. \"OPEN CHANNEL\", \"data available\")");
}

ProfileRequirement parse_requirement(const Parser& p, const toml::node& n, const std::string& key) {
    const std::string text = p.get_string(n, key);
    ProfileRequirement r;
    r.text = text;
    unsigned byte = 0;
    unsigned bit = 0;
    char extra = 0;
    if (std::sscanf(text.c_str(), "byte %u bit %u%c", &byte, &bit, &extra) == 2) {
        if (byte < 1 || byte > 255 || bit < 1 || bit > 8) fail_requirement(p, n, key, text);
        r.byte = static_cast<std::uint8_t>(byte);
        r.bit = static_cast<std::uint8_t>(bit);
        return r;
    }
    const std::string want = normalize(text);
    for (const auto& nb : profile_bit_names()) {
        if (nb.name == want || nb.name == "event: " + want) {
            r.byte = nb.byte;
            r.bit = nb.bit;
            return r;
        }
    }
    fail_requirement(p, n, key, text);
}

Trigger parse_trigger(const Parser& p, const toml::node& n, const std::string& key) {
    const std::string text = p.get_string(n, key);
    Trigger t;
    t.text = text;
    if (text == "profile") {
        t.kind = TriggerKind::Profile;
    } else if (text == "terminal-applications") {
        t.kind = TriggerKind::TerminalApplications;
    } else if (text == "response") {
        t.kind = TriggerKind::Response;
    } else if (text == "status") {
        t.kind = TriggerKind::Status;
    } else if (text == "envelope") {
        t.kind = TriggerKind::Envelope;
    } else if (text.rfind("event:", 0) == 0) {
        t.kind = TriggerKind::Event;
        auto code = event_code(text.substr(6));
        if (!code) {
            p.fail(n, key,
                   "unknown event \"" + text.substr(6) +
                       "\" (a TS 102 223 clause 8.25 name such as data-available, channel-status, "
                       "location-status, or two hex digits)");
        }
        t.code = *code;
    } else if (text.rfind("timer:", 0) == 0) {
        t.kind = TriggerKind::Timer;
        const std::string id = text.substr(6);
        if (id.size() != 1 || id[0] < '1' || id[0] > '8')
            p.fail(n, key, "timer id must be 1..8 (TS 102 223 8.37)");
        t.code = static_cast<std::uint8_t>(id[0] - '0');
    } else {
        p.fail(n, key,
               "unknown trigger \"" + text +
                   "\" (profile, terminal-applications, response, status, envelope, event:NAME, timer:N)");
    }
    return t;
}

std::optional<cat::OtherAddress> parse_address(std::string_view s) {
    // IPv4 dotted quad only, or IPv6 in full/compressed form.
    cat::OtherAddress a;
    if (s.find(':') == std::string_view::npos) {
        unsigned b[4];
        char extra = 0;
        const std::string str(s);
        if (std::sscanf(str.c_str(), "%u.%u.%u.%u%c", &b[0], &b[1], &b[2], &b[3], &extra) != 4)
            return std::nullopt;
        a.type = static_cast<std::uint8_t>(cat::AddressType::Ipv4);
        for (unsigned v : b) {
            if (v > 255) return std::nullopt;
            a.address.push_back(static_cast<std::uint8_t>(v));
        }
        return a;
    }
    // IPv6: groups of up to 4 hex digits, at most one "::".
    std::vector<std::uint16_t> head, tail;
    bool seen_gap = false;
    std::size_t i = 0;
    const std::string str(s);
    if (str.rfind("::", 0) == 0) {
        seen_gap = true;
        i = 2;
    }
    while (i < str.size()) {
        std::size_t j = i;
        unsigned v = 0;
        while (j < str.size() && std::isxdigit(static_cast<unsigned char>(str[j])) && j - i < 4) {
            v = v * 16 + static_cast<unsigned>(std::stoi(std::string(1, str[j]), nullptr, 16));
            ++j;
        }
        if (j == i) return std::nullopt;
        (seen_gap ? tail : head).push_back(static_cast<std::uint16_t>(v));
        if (j == str.size()) break;
        if (str[j] != ':') return std::nullopt;
        if (j + 1 < str.size() && str[j + 1] == ':') {
            if (seen_gap) return std::nullopt;
            seen_gap = true;
            i = j + 2;
        } else {
            i = j + 1;
        }
    }
    const std::size_t groups = head.size() + tail.size();
    if (groups > 8 || (!seen_gap && groups != 8)) return std::nullopt;
    std::vector<std::uint16_t> all = head;
    all.resize(8 - tail.size(), 0);
    all.insert(all.end(), tail.begin(), tail.end());
    a.type = static_cast<std::uint8_t>(cat::AddressType::Ipv6);
    for (auto g : all) {
        a.address.push_back(static_cast<std::uint8_t>(g >> 8));
        a.address.push_back(static_cast<std::uint8_t>(g & 0xFF));
    }
    return a;
}

const std::set<std::string_view> kStepKeys = {"name",
                                              "on",
                                              "delay_ms",
                                              "command",
                                              "qualifier",
                                              "number",
                                              "alpha",
                                              "hex",
                                              "events",
                                              "seconds",
                                              "tenths",
                                              "minutes",
                                              "timer",
                                              "action",
                                              "mode",
                                              "transport",
                                              "port",
                                              "app_type",
                                              "buffer_size",
                                              "address",
                                              "channel",
                                              "data",
                                              "payload",
                                              "chunk",
                                              "immediate",
                                              "server_id",
                                              "session_id",
                                              "ui_mode",
                                              "initiator",
                                              "digest",
                                              "vendor",
                                              "preferred_con_type",
                                              "notification_id",
                                              "sha256_digest",
                                              "timestamp",
                                              "req_mos",
                                              "secret",
                                              "nonce",
                                              "auth_data",
                                              "length",
                                              "total",
                                              "files",
                                              "info",
                                              "expect_result",
                                              "expect_additional",
                                              "expect_objects",
                                              "expect_buffer_size",
                                              "expect_channel_data",
                                              "expect_application"};

struct NamedValue {
    std::string_view name;
    std::uint8_t value;
};
// TS 102 223 clause 6.4.13 REFRESH qualifier.
constexpr std::array kRefreshModes{
    NamedValue{"naa-init-full-file-change", 0x00},
    NamedValue{"file-change", 0x01},
    NamedValue{"naa-init-file-change", 0x02},
    NamedValue{"naa-init", 0x03},
    NamedValue{"uicc-reset", 0x04},
    NamedValue{"naa-application-reset", 0x05},
    NamedValue{"naa-session-reset", 0x06},
};
// TS 102 223 clause 6.4.15 PROVIDE LOCAL INFORMATION qualifier.
constexpr std::array kLocalInfo{
    NamedValue{"location", 0x00},          NamedValue{"imei", 0x01},     NamedValue{"nmr", 0x02},
    NamedValue{"date-time", 0x03},         NamedValue{"language", 0x04}, NamedValue{"timing-advance", 0x05},
    NamedValue{"access-technology", 0x06}, NamedValue{"esn", 0x07},      NamedValue{"imeisv", 0x08},
    NamedValue{"search-mode", 0x09},       NamedValue{"battery", 0x0A},
};

template <std::size_t N>
std::uint8_t lookup(const Parser& p, const toml::node& n, const std::string& key,
                    const std::array<NamedValue, N>& table) {
    const std::string s = p.get_string(n, key);
    std::string all;
    for (const auto& nv : table) {
        if (nv.name == s) return nv.value;
        all += (all.empty() ? "" : ", ") + std::string(nv.name);
    }
    p.fail(n, key, "unknown value \"" + s + "\" (one of: " + all + ")");
}

CommandKind parse_command_kind(const Parser& p, const toml::node& n, const std::string& key) {
    const std::string s = p.get_string(n, key);
    static constexpr std::array kNames{CommandKind::Raw,
                                       CommandKind::SetUpEventList,
                                       CommandKind::PollInterval,
                                       CommandKind::TimerManagement,
                                       CommandKind::MoreTime,
                                       CommandKind::PollingOff,
                                       CommandKind::OpenChannel,
                                       CommandKind::SendData,
                                       CommandKind::ReceiveData,
                                       CommandKind::CloseChannel,
                                       CommandKind::GetChannelStatus,
                                       CommandKind::Refresh,
                                       CommandKind::ProvideLocalInfo,
                                       CommandKind::ScwsOpen};
    std::string all;
    for (auto k : kNames) {
        if (name_of(k) == s) return k;
        all += (all.empty() ? "" : ", ") + std::string(name_of(k));
    }
    p.fail(n, key, "unknown command \"" + s + "\" (one of: " + all + ")");
}

cat::Bytes parse_payload(const Parser& p, const toml::table& t, const std::string& prefix) {
    const toml::node& pn = *t.get("payload");
    const std::string kind = p.get_string(pn, prefix + "payload");
    auto key = [&](const char* k) { return prefix + k; };
    if (kind == "dm12-package0") {
        Dm12Package0 pkg;
        if (auto n = t.get("server_id")) pkg.server_id = p.get_string(*n, key("server_id"));
        if (pkg.server_id.size() > 255) p.fail(*t.get("server_id"), key("server_id"), "at most 255 bytes");
        if (auto n = t.get("session_id"))
            pkg.session_id = static_cast<std::uint16_t>(p.get_int(*n, key("session_id"), 0, 65535));
        if (auto n = t.get("ui_mode"))
            pkg.ui_mode = static_cast<std::uint8_t>(p.get_int(*n, key("ui_mode"), 0, 3));
        if (auto n = t.get("initiator"))
            pkg.initiator = static_cast<std::uint8_t>(p.get_int(*n, key("initiator"), 0, 1));
        if (auto n = t.get("digest")) pkg.digest = p.get_hex(*n, key("digest"), 16, 16);
        if (auto n = t.get("vendor")) pkg.vendor = p.get_hex(*n, key("vendor"));
        if (auto n = t.get("secret")) {
            // The server signs its notification (docs/package0.md): MD5 digest over the trigger.
            if (t.get("digest")) p.fail(*n, key("secret"), "give either digest or secret, not both");
            std::string nonce;
            if (auto nn = t.get("nonce")) nonce = p.get_string(*nn, key("nonce"));
            const cat::Bytes unsigned_bytes = encode(pkg);
            const std::string secret = p.get_string(*n, key("secret"));
            pkg.digest =
                dm12_digest(pkg.server_id, secret,
                            cat::ByteView(reinterpret_cast<const std::uint8_t*>(nonce.data()), nonce.size()),
                            cat::ByteView(unsigned_bytes).subspan(16));
        }
        return encode(pkg);
    }
    if (kind == "dm20-package0") {
        Dm20Package0 pkg;
        if (auto n = t.get("server_id")) pkg.server_id = p.get_string(*n, key("server_id"));
        if (pkg.server_id && pkg.server_id->size() > 4095)
            p.fail(*t.get("server_id"), key("server_id"), "too long");
        if (auto n = t.get("preferred_con_type")) {
            auto arr = n->as_array();
            if (!arr) p.fail(*n, key("preferred_con_type"), "expected an array of integers 0..255");
            for (const auto& e : *arr) {
                pkg.preferred_con_types.push_back(
                    static_cast<std::uint8_t>(p.get_int(e, key("preferred_con_type"), 0, 255)));
            }
        }
        if (auto n = t.get("notification_id")) {
            pkg.notification_id =
                static_cast<std::uint32_t>(p.get_int(*n, key("notification_id"), 0, 0xFFFFFFFF));
        }
        if (auto n = t.get("sha256_digest")) pkg.sha256_digest = p.get_hex(*n, key("sha256_digest"), 32, 32);
        if (auto n = t.get("timestamp")) pkg.timestamp = p.get_hex(*n, key("timestamp"), 1, 64);
        if (auto n = t.get("req_mos")) pkg.req_mos = p.get_bool(*n, key("req_mos"));
        if (auto n = t.get("secret")) {
            // Seed 004 5.2.1.2: SHA-256 over secret | notification with a zero digest | auth-data.
            if (t.get("sha256_digest"))
                p.fail(*n, key("secret"), "give either sha256_digest or secret, not both");
            const std::string secret = p.get_string(*n, key("secret"));
            std::string auth_data;
            if (auto a = t.get("auth_data")) auth_data = p.get_string(*a, key("auth_data"));
            pkg.sha256_digest = cat::Bytes(32, 0);
            const cat::Bytes zero = encode(pkg);
            auto bytes = [](const std::string& v) {
                return cat::ByteView(reinterpret_cast<const std::uint8_t*>(v.data()), v.size());
            };
            pkg.sha256_digest = dm20_digest(bytes(secret), zero, bytes(auth_data));
        }
        return encode(pkg);
    }
    p.fail(pn, prefix + "payload",
           "unknown payload \"" + kind + "\" (dm12-package0 or dm20-package0; or give `data` as hex)");
}

void parse_command(const Parser& p, const toml::table& t, const std::string& prefix, Step& step) {
    auto key = [&](const char* k) { return prefix + k; };
    CommandSpec& c = step.command;
    const toml::node* cmd_node = t.get("command");
    if (!cmd_node) return;
    c.kind = parse_command_kind(p, *cmd_node, key("command"));
    if (auto n = t.get("qualifier"))
        c.qualifier = static_cast<std::uint8_t>(p.get_int(*n, key("qualifier"), 0, 255));
    if (auto n = t.get("number")) c.number = static_cast<std::uint8_t>(p.get_int(*n, key("number"), 1, 254));
    if (auto n = t.get("alpha")) {
        cat::Bytes unused;
        c.alpha = p.get_string(*n, key("alpha"));
        if (!cat::utf8_to_gsm7_unpacked(*c.alpha, unused)) {
            p.fail(*n, key("alpha"), "not representable in the GSM default alphabet (TS 23.038)");
        }
    }
    if (auto n = t.get("channel")) c.channel = static_cast<std::uint8_t>(p.get_int(*n, key("channel"), 1, 7));
    auto require = [&](const char* k) -> const toml::node& {
        const toml::node* n = t.get(k);
        if (!n)
            p.fail(t.source(), key(k),
                   std::string("missing, required by command = \"") + std::string(name_of(c.kind)) + "\"");
        return *n;
    };
    switch (c.kind) {
        case CommandKind::None:
            break;
        case CommandKind::Raw: {
            const toml::node& n = require("hex");
            c.raw = p.get_hex(n, key("hex"), 2, 256);  // FETCH Le at most 256 ('91 00')
            auto hdr = cat::decode_command_header(c.raw);
            if (!hdr) {
                // Deliberately broken commands are allowed, but the outer 'D0' must be there.
                if (c.raw[0] != 0xD0)
                    p.fail(n, key("hex"), "a proactive command starts with 'D0' (TS 102 223 9.2)");
            }
            break;
        }
        case CommandKind::SetUpEventList: {
            const toml::node& n = require("events");
            auto arr = n.as_array();
            if (!arr) p.fail(n, key("events"), "expected an array of event names (or [] to remove all)");
            for (const auto& e : *arr) {
                if (e.is_integer()) {
                    c.events.push_back(static_cast<std::uint8_t>(p.get_int(e, key("events"), 0, 255)));
                    continue;
                }
                const std::string name = p.get_string(e, key("events"));
                auto code = event_code(name);
                if (!code)
                    p.fail(e, key("events"),
                           "unknown event \"" + name + "\" (e.g. data-available, channel-status)");
                c.events.push_back(*code);
            }
            break;
        }
        case CommandKind::PollInterval: {
            int given = 0;
            if (auto n = t.get("seconds")) {
                c.duration = {0x01, static_cast<std::uint8_t>(p.get_int(*n, key("seconds"), 1, 255))};
                ++given;
            }
            if (auto n = t.get("tenths")) {
                c.duration = {0x02, static_cast<std::uint8_t>(p.get_int(*n, key("tenths"), 1, 255))};
                ++given;
            }
            if (auto n = t.get("minutes")) {
                c.duration = {0x00, static_cast<std::uint8_t>(p.get_int(*n, key("minutes"), 1, 255))};
                ++given;
            }
            if (given != 1)
                p.fail(t.source(), key("seconds"),
                       "poll_interval needs exactly one of seconds, tenths, minutes");
            break;
        }
        case CommandKind::TimerManagement: {
            if (auto n = t.get("timer"))
                c.timer_id = static_cast<std::uint8_t>(p.get_int(*n, key("timer"), 1, 8));
            if (auto n = t.get("action")) {
                const std::string a = p.get_string(*n, key("action"));
                if (a == "start")
                    c.timer_action = cat::TimerManagement::Action::Start;
                else if (a == "deactivate")
                    c.timer_action = cat::TimerManagement::Action::Deactivate;
                else if (a == "get")
                    c.timer_action = cat::TimerManagement::Action::GetCurrentValue;
                else
                    p.fail(*n, key("action"), "expected start, deactivate or get");
            }
            if (auto n = t.get("seconds")) {
                c.timer_value = cat::TimerValue::from_seconds(
                    static_cast<std::uint32_t>(p.get_int(*n, key("seconds"), 0, 359999)));
            }
            if (c.timer_action == cat::TimerManagement::Action::Start && !c.timer_value) {
                p.fail(t.source(), key("seconds"),
                       "missing: starting a timer needs its value (TS 102 223 6.6.21)");
            }
            break;
        }
        case CommandKind::OpenChannel: {
            OpenChannelSpec& o = c.open;
            if (auto n = t.get("mode")) {
                const std::string m = p.get_string(*n, key("mode"));
                if (m == "terminal-server")
                    o.mode = ChannelMode::TerminalServer;
                else if (m == "uicc-server")
                    o.mode = ChannelMode::UiccServer;
                else if (m == "client")
                    o.mode = ChannelMode::Client;
                else
                    p.fail(*n, key("mode"), "expected terminal-server, uicc-server or client");
            }
            if (auto n = t.get("transport")) {
                const std::string tr = p.get_string(*n, key("transport"));
                if (tr != "tcp" && tr != "udp") p.fail(*n, key("transport"), "expected tcp or udp");
                o.tcp = tr == "tcp";
                if (!o.tcp && o.mode == ChannelMode::UiccServer) {
                    p.fail(*n, key("transport"), "UICC server mode is TCP only (TS 102 223 8.59: '03')");
                }
            }
            if (auto n = t.get("port")) {
                if (n->is_string()) {
                    if (p.get_string(*n, key("port")) != "registered")
                        p.fail(*n, key("port"), "expected 1..65535 or \"registered\"");
                    if (o.mode != ChannelMode::TerminalServer) {
                        p.fail(*n, key("port"), "\"registered\" only applies to mode = \"terminal-server\"");
                    }
                } else {
                    o.port = static_cast<std::uint16_t>(p.get_int(*n, key("port"), 1, 65535));
                }
            } else if (o.mode != ChannelMode::TerminalServer) {
                p.fail(t.source(), key("port"), "missing: required for this mode");
            }
            if (auto n = t.get("app_type"))
                o.app_type = static_cast<std::uint8_t>(p.get_int(*n, key("app_type"), 0, 255));
            if (auto n = t.get("buffer_size"))
                o.buffer_size = static_cast<std::uint16_t>(p.get_int(*n, key("buffer_size"), 1, 65535));
            if (auto n = t.get("address")) {
                if (o.mode != ChannelMode::Client) p.fail(*n, key("address"), "only for mode = \"client\"");
                auto a = parse_address(p.get_string(*n, key("address")));
                if (!a) p.fail(*n, key("address"), "expected an IPv4 or IPv6 address");
                o.destination = *a;
            } else if (o.mode == ChannelMode::Client) {
                p.fail(t.source(), key("address"), "missing: client mode needs the data destination address");
            }
            break;
        }
        case CommandKind::SendData: {
            const toml::node* d = t.get("data");
            const toml::node* pl = t.get("payload");
            if ((d != nullptr) == (pl != nullptr))
                p.fail(t.source(), key("data"), "send_data needs exactly one of data, payload");
            c.data = d ? p.get_hex(*d, key("data"), 1) : parse_payload(p, t, prefix);
            if (auto n = t.get("chunk"))
                c.chunk = static_cast<std::size_t>(p.get_int(*n, key("chunk"), 1, 240));
            if (auto n = t.get("immediate")) c.immediate = p.get_bool(*n, key("immediate"));
            break;
        }
        case CommandKind::ReceiveData:
            c.length = static_cast<std::uint8_t>(p.get_int(require("length"), key("length"), 1, 255));
            if (auto n = t.get("total"))
                c.total = static_cast<std::size_t>(p.get_int(*n, key("total"), 1, 16 * 1024 * 1024));
            break;
        case CommandKind::Refresh: {
            c.qualifier = c.qualifier.value_or(0x04);
            if (auto n = t.get("mode")) c.qualifier = lookup(p, *n, key("mode"), kRefreshModes);
            if (auto n = t.get("files")) {
                auto arr = n->as_array();
                if (!arr) p.fail(*n, key("files"), "expected an array of hex paths (\"3F007FFF6F07\")");
                for (const auto& e : *arr) {
                    auto f = p.get_hex(e, key("files"), 2, 16);
                    if (f.size() % 2 != 0 || f[0] != 0x3F || f[1] != 0x00) {
                        p.fail(e, key("files"), "a full path: '3F00' then 2-byte file ids (TS 102 223 8.18)");
                    }
                    c.files.push_back(f);
                }
            }
            if ((*c.qualifier == 0x01 || *c.qualifier == 0x02) && c.files.empty()) {
                p.fail(t.source(), key("files"),
                       "missing: this REFRESH mode needs a file list (TS 102 223 6.6.13)");
            }
            break;
        }
        case CommandKind::ProvideLocalInfo:
            c.qualifier = lookup(p, require("info"), key("info"), kLocalInfo);
            break;
        case CommandKind::MoreTime:
        case CommandKind::PollingOff:
        case CommandKind::CloseChannel:
        case CommandKind::GetChannelStatus:
        case CommandKind::ScwsOpen:
            break;
    }
}

void parse_expectations(const Parser& p, const toml::table& t, const std::string& prefix, Step& step) {
    auto key = [&](const char* k) { return prefix + k; };
    Expectation& e = step.expect;
    if (auto n = t.get("expect_result")) {
        if (auto arr = n->as_array()) {
            for (const auto& r : *arr) e.results.push_back(p.get_hex_byte(r, key("expect_result")));
            if (e.results.empty())
                p.fail(*n, key("expect_result"), "an empty list expects nothing; leave the key out");
        } else {
            e.results.push_back(p.get_hex_byte(*n, key("expect_result")));
        }
    }
    if (auto n = t.get("expect_additional")) e.additional = p.get_hex(*n, key("expect_additional"), 0, 255);
    if (auto n = t.get("expect_objects")) {
        auto arr = n->as_array();
        if (!arr) p.fail(*n, key("expect_objects"), "expected an array of hex TLVs (\"B8 02 81 00\")");
        for (const auto& o : *arr) {
            auto bytes = p.get_hex(o, key("expect_objects"), 2, 255);
            auto tlvs = cat::parse_ctlvs(bytes);
            if (!tlvs || tlvs->size() != 1)
                p.fail(o, key("expect_objects"), "each entry must be exactly one COMPREHENSION-TLV");
            e.objects.push_back(tlvs->front());
        }
    }
    if (auto n = t.get("expect_buffer_size")) {
        e.buffer_size = static_cast<std::uint16_t>(p.get_int(*n, key("expect_buffer_size"), 0, 65535));
    }
    if (auto n = t.get("expect_channel_data"))
        e.channel_data = p.get_hex(*n, key("expect_channel_data"), 0, 255);
    if (auto n = t.get("expect_application")) {
        auto at = n->as_table();
        if (!at)
            p.fail(*n, key("expect_application"),
                   "expected a table { port = 1100, type = 7, name = \"...\" }");
        p.check_keys(*at, key("expect_application."), {"port", "type", "name"});
        ApplicationExpectation a;
        if (auto x = at->get("port"))
            a.port = static_cast<std::uint16_t>(p.get_int(*x, key("expect_application.port"), 0, 65535));
        if (auto x = at->get("type"))
            a.type = static_cast<std::uint8_t>(p.get_int(*x, key("expect_application.type"), 0, 255));
        if (auto x = at->get("name")) a.name = p.get_string(*x, key("expect_application.name"));
        step.expect_application = a;
    }
}

void parse_scws(const Parser& p, const toml::node& n, ScwsSettings& w) {
    auto t = n.as_table();
    if (!t) p.fail(n, "scws", "expected a table [scws]");
    p.check_keys(*t, "scws.",
                 {"http_port", "https_port", "http_channels", "https_channels", "buffer_size", "psk_identity",
                  "psk_key", "max_body"});
    w.enabled = true;
    if (auto x = t->get("http_port"))
        w.http_port = static_cast<std::uint16_t>(p.get_int(*x, "scws.http_port", 0, 65535));
    if (auto x = t->get("https_port"))
        w.https_port = static_cast<std::uint16_t>(p.get_int(*x, "scws.https_port", 0, 65535));
    if (auto x = t->get("http_channels"))
        w.http_channels = static_cast<std::size_t>(p.get_int(*x, "scws.http_channels", 0, 7));
    if (auto x = t->get("https_channels"))
        w.https_channels = static_cast<std::size_t>(p.get_int(*x, "scws.https_channels", 0, 7));
    if (w.http_port == 0) w.http_channels = 0;
    if (w.https_port == 0) w.https_channels = 0;
    if (w.http_port != 0 && w.http_port == w.https_port) {
        p.fail(*t->get("https_port"), "scws.https_port", "must differ from scws.http_port");
    }
    if (w.http_channels + w.https_channels == 0) {
        p.fail(n, "scws.http_channels", "no channel to open: give a port and at least one channel");
    }
    if (w.http_channels + w.https_channels > 7) {
        p.fail(n, "scws.https_channels",
               "http_channels + https_channels = " + std::to_string(w.http_channels + w.https_channels) +
                   ": a card has at most 7 channels (TS 102 223 8.7)");
    }
    if (auto x = t->get("buffer_size"))
        w.buffer_size = static_cast<std::uint16_t>(p.get_int(*x, "scws.buffer_size", 256, 65535));
    if (auto x = t->get("psk_identity")) {
        w.psk_identity = p.get_string(*x, "scws.psk_identity");
        if (w.psk_identity.empty() || w.psk_identity.size() > 128)
            p.fail(*x, "scws.psk_identity", "expected 1..128 characters (RFC 4279 allows up to 128)");
    }
    if (auto x = t->get("psk_key")) w.psk_key = p.get_hex(*x, "scws.psk_key", 16, 64);
    if (w.psk_key.empty()) {
        (void)cat::from_hex("0123456789ABCDEF0123456789ABCDEF", w.psk_key);
    }
    if (auto x = t->get("max_body"))
        w.max_body = static_cast<std::size_t>(p.get_int(*x, "scws.max_body", 0, 64 << 20));
}

// The SCWS hears about clients only through Event download: some step must register both.
void check_scws_events(const Parser& p, const toml::table& root, const Scenario& s) {
    bool data = false;
    bool status = false;
    for (const auto& step : s.steps) {
        if (step.command.kind != CommandKind::SetUpEventList) continue;
        for (auto e : step.command.events) {
            data = data || e == static_cast<std::uint8_t>(cat::EventType::DataAvailable);
            status = status || e == static_cast<std::uint8_t>(cat::EventType::ChannelStatus);
        }
    }
    if (!data || !status) {
        p.fail(*root.get("scws"), "scws",
               "the SCWS learns of clients and their data by Event download: a set_up_event_list step "
               "must register data-available and channel-status");
    }
}

Scenario parse_table(const Parser& p, const toml::table& root) {
    p.check_keys(root, "", {"scenario", "card", "profile", "scws", "dm_server", "step"});
    Scenario s;
    s.source = p.source();
    s.name = p.source();
    if (auto n = root.get("scenario")) {
        auto t = n->as_table();
        if (!t) p.fail(*n, "scenario", "expected a table [scenario]");
        p.check_keys(*t, "scenario.", {"name", "description", "repeat"});
        if (auto x = t->get("name")) s.name = p.get_string(*x, "scenario.name");
        if (auto x = t->get("repeat"))
            s.repeat = static_cast<std::size_t>(p.get_int(*x, "scenario.repeat", 1, 10'000'000));
        if (auto x = t->get("description")) (void)p.get_string(*x, "scenario.description");
    }
    if (auto n = root.get("card")) {
        auto t = n->as_table();
        if (!t) p.fail(*n, "card", "expected a table [card]");
        p.check_keys(*t, "card.", {"atr", "protocol", "envelope_busy"});
        if (auto x = t->get("atr"))
            s.card.atr = p.get_hex(*x, "card.atr", 2, 33);  // ISO/IEC 7816-3: at most 33 bytes
        if (auto x = t->get("protocol")) {
            const std::string proto = p.get_string(*x, "card.protocol");
            if (proto != "T=0" && proto != "T=1") p.fail(*x, "card.protocol", "expected \"T=0\" or \"T=1\"");
            s.card.t0 = proto == "T=0";
        }
        if (auto x = t->get("envelope_busy")) {
            s.card.envelope_busy = static_cast<std::size_t>(p.get_int(*x, "card.envelope_busy", 0, 1000));
        }
    }
    if (auto n = root.get("profile")) {
        auto t = n->as_table();
        if (!t) p.fail(*n, "profile", "expected a table [profile]");
        p.check_keys(*t, "profile.", {"require"});
        if (auto x = t->get("require")) {
            auto arr = x->as_array();
            if (!arr) p.fail(*x, "profile.require", "expected an array of strings");
            for (const auto& e : *arr)
                s.profile_requires.push_back(parse_requirement(p, e, "profile.require"));
        }
    }
    if (auto n = root.get("scws")) parse_scws(p, *n, s.scws);
    if (auto n = root.get("dm_server")) {
        // The DM_SC Server's DM 2.0 session on the SCWS (gateway/sim/dm_server, docs/dm-demo.md).
        auto t = n->as_table();
        if (!t) p.fail(*n, "dm_server", "expected a table [dm_server]");
        if (!s.scws.enabled) p.fail(*n, "dm_server", "needs a [scws] table (the session runs on the SCWS)");
        p.check_keys(*t, "dm_server.", {"path", "notification_id", "get"});
        DmServerSettings d;
        if (auto x = t->get("path")) {
            d.path = p.get_string(*x, "dm_server.path");
            if (d.path.empty() || d.path[0] != '/')
                p.fail(*x, "dm_server.path", "expected an absolute path, e.g. \"/OMA/DM\"");
        }
        if (auto x = t->get("notification_id")) {
            d.expect_notification_id =
                static_cast<std::uint32_t>(p.get_int(*x, "dm_server.notification_id", 0, 0xFFFFFFFF));
        }
        if (auto x = t->get("get")) {
            auto arr = x->as_array();
            if (!arr) p.fail(*x, "dm_server.get", "expected an array of ClientURIs");
            d.get_uris.clear();
            for (const auto& e : *arr) d.get_uris.push_back(p.get_string(e, "dm_server.get"));
        }
        s.dm_server = std::move(d);
    }
    const toml::node* steps = root.get("step");
    if (!steps) p.fail(root.source(), "step", "missing: a scenario needs at least one [[step]]");
    auto arr = steps->as_array();
    if (!arr || arr->empty()) p.fail(*steps, "step", "expected [[step]] tables");
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::node& sn = *arr->get(i);
        const std::string prefix = "step[" + std::to_string(i + 1) + "].";
        auto t = sn.as_table();
        if (!t) p.fail(sn, "step[" + std::to_string(i + 1) + "]", "expected a table");
        p.check_keys(*t, prefix, kStepKeys);
        Step step;
        step.index = i;
        step.line = t->source().begin.line;
        step.label =
            "step " + std::to_string(i + 1) + " (" + p.source() + ":" + std::to_string(step.line) + ")";
        if (auto x = t->get("name"))
            step.label = "step " + std::to_string(i + 1) + " \"" + p.get_string(*x, prefix + "name") + "\"";
        const toml::node* on = t->get("on");
        if (!on) p.fail(t->source(), prefix + "on", "missing: every step needs a trigger");
        step.trigger = parse_trigger(p, *on, prefix + "on");
        if (auto x = t->get("delay_ms"))
            step.trigger.delay = cat::Milliseconds(p.get_int(*x, prefix + "delay_ms", 0, 86'400'000));
        if (step.trigger.kind == TriggerKind::Response &&
            (i == 0 || s.steps.back().command.kind == CommandKind::None)) {
            p.fail(*on, prefix + "on", "\"response\" needs a previous step that sends a command");
        }
        parse_command(p, *t, prefix, step);
        parse_expectations(p, *t, prefix, step);
        if (step.command.kind == CommandKind::None && !step.expect.empty()) {
            p.fail(t->source(), prefix + "expect_result",
                   "expectations on a TERMINAL RESPONSE need a command");
        }
        if (step.expect_application && step.trigger.kind != TriggerKind::TerminalApplications) {
            p.fail(*t->get("expect_application"), prefix + "expect_application",
                   "only for on = \"terminal-applications\"");
        }
        if (step.command.kind == CommandKind::ScwsOpen && !s.scws.enabled) {
            p.fail(*t->get("command"), prefix + "command", "\"scws_open\" needs a [scws] table");
        }
        s.steps.push_back(std::move(step));
    }
    if (s.scws.enabled) check_scws_events(p, root, s);
    return s;
}

}  // namespace

std::string_view name_of(CommandKind kind) {
    switch (kind) {
        case CommandKind::None:
            return "none";
        case CommandKind::Raw:
            return "raw";
        case CommandKind::SetUpEventList:
            return "set_up_event_list";
        case CommandKind::PollInterval:
            return "poll_interval";
        case CommandKind::TimerManagement:
            return "timer_management";
        case CommandKind::MoreTime:
            return "more_time";
        case CommandKind::PollingOff:
            return "polling_off";
        case CommandKind::OpenChannel:
            return "open_channel";
        case CommandKind::SendData:
            return "send_data";
        case CommandKind::ReceiveData:
            return "receive_data";
        case CommandKind::CloseChannel:
            return "close_channel";
        case CommandKind::GetChannelStatus:
            return "get_channel_status";
        case CommandKind::Refresh:
            return "refresh";
        case CommandKind::ProvideLocalInfo:
            return "provide_local_info";
        case CommandKind::ScwsOpen:
            return "scws_open";
    }
    return "";
}

std::string event_name(std::uint8_t code) {
    std::string n(cat::name_of(static_cast<cat::EventType>(code)));
    if (n.empty()) return cat::to_hex(cat::Bytes{code});
    std::string out;
    for (char ch : n)
        out.push_back(ch == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    return out;
}

std::optional<std::uint8_t> event_code(std::string_view name) {
    for (unsigned c = 0; c <= 0x1C; ++c) {
        if (event_name(static_cast<std::uint8_t>(c)) == name) return static_cast<std::uint8_t>(c);
    }
    cat::Bytes b;
    if (name.size() == 2 && cat::from_hex(name, b) && b.size() == 1) return b[0];
    return std::nullopt;
}

Scenario parse_scenario(std::string_view text, const std::string& source) {
    Parser p(source);
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        p.fail(e.source(), "", "TOML syntax: " + std::string(e.description()));
    }
    return parse_table(p, root);
}

Scenario load_scenario_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ScenarioError(path + ": cannot open the scenario file");
    std::ostringstream os;
    os << in.rdbuf();
    // Messages name the file as given, so an editor can jump to it.
    return parse_scenario(os.str(), path);
}

std::string_view default_scenario_text() {
    return kDefaultScenario;
}

Scenario default_scenario() {
    return parse_scenario(kDefaultScenario, "default.toml (built in)");
}

// TS 102 221 clause 6.3 / ISO/IEC 7816-3 clause 8.2: TS, T0 (TA1 TD1, 7 historical bytes),
// TA1, TD1 (TD2, T=0), TD2 (TA3 TB3 TD3, T=1), TA3 IFSC, TB3 BWI/CWI, TD3 (TA4, T=15), TA4,
// historical bytes (category '80', card service data, card capabilities), TCK.
const cat::Bytes kDefaultAtr = [] {
    cat::Bytes atr{0x3B, 0x97, 0x96, 0x80, 0xB1, 0xFE, 0x45, 0x1F,
                   0xC7, 0x80, 0x31, 0xE0, 0x73, 0xFE, 0x21, 0x1B};
    std::uint8_t tck = 0;
    for (std::size_t i = 1; i < atr.size(); ++i) tck ^= atr[i];  // ISO/IEC 7816-3 8.2.5: T0..last
    atr.push_back(tck);
    return atr;
}();

cat::Bytes encode(const Dm12Package0& p) {
    cat::ByteWriter w;
    w.bytes(p.digest);
    // Trigger header: version (10) | ui-mode (2) | initiator (1) | future use (27) = 40 bits.
    const std::uint16_t v = static_cast<std::uint16_t>(p.version & 0x3FF);
    w.u8(static_cast<std::uint8_t>(v >> 2));
    w.u8(static_cast<std::uint8_t>(((v & 0x03) << 6) | ((p.ui_mode & 0x03) << 4) |
                                   ((p.initiator & 0x01) << 3)));
    w.u8(0);
    w.u8(0);
    w.u8(0);
    w.u16be(p.session_id);
    const std::size_t n = std::min<std::size_t>(p.server_id.size(), 255);
    w.u8(static_cast<std::uint8_t>(n));
    w.bytes(cat::ByteView(reinterpret_cast<const std::uint8_t*>(p.server_id.data()), n));
    w.bytes(p.vendor);
    return w.take();
}

cat::Bytes encode(const Dm20Package0& p) {
    struct Option {
        std::uint8_t number;
        cat::Bytes value;
    };
    std::vector<Option> options;
    if (p.server_id) options.push_back({1, cat::Bytes(p.server_id->begin(), p.server_id->end())});
    if (!p.preferred_con_types.empty()) options.push_back({2, p.preferred_con_types});
    if (p.notification_id) {
        // Seed 004 5.2.1.2: "The length of this Option MUST be 2 bytes"; larger ids (only for
        // testing a receiver) take 4.
        cat::Bytes v;
        const std::uint32_t id = *p.notification_id;
        const int n = id <= 0xFFFF ? 2 : 4;
        for (int i = n - 1; i >= 0; --i) v.push_back(static_cast<std::uint8_t>((id >> (8 * i)) & 0xFF));
        options.push_back({3, v});
    }
    if (p.sha256_digest) options.push_back({4, *p.sha256_digest});
    if (p.timestamp) options.push_back({5, *p.timestamp});
    if (p.req_mos) options.push_back({6, {}});
    cat::ByteWriter w;
    const auto oc = static_cast<std::uint8_t>(options.size());
    // 7.1.1.1: VER (4 bits) = 2, OC (5 bits), reserved (7 bits) = 0.
    w.u8(static_cast<std::uint8_t>((0x02 << 4) | (oc >> 1)));
    w.u8(static_cast<std::uint8_t>((oc & 0x01) << 7));
    std::uint8_t previous = 0;
    for (const auto& o : options) {
        // 7.1.1.2: option delta (4 bits), option length (12 bits), value.
        const auto delta = static_cast<std::uint8_t>(o.number - previous);
        const auto len = static_cast<std::uint16_t>(std::min<std::size_t>(o.value.size(), 0xFFF));
        w.u8(static_cast<std::uint8_t>((delta << 4) | (len >> 8)));
        w.u8(static_cast<std::uint8_t>(len & 0xFF));
        w.bytes(cat::ByteView(o.value).first(len));
        previous = o.number;
    }
    return w.take();
}

}  // namespace dmsc::gateway::sim

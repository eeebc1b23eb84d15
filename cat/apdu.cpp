// cat/apdu.cpp — short APDU encoding/parsing, CAT command builders and status-word rules.
#include "cat/apdu.hpp"

#include <cstdio>

namespace dmsc::cat {

namespace {

constexpr std::size_t kMaxShortLc = 255;
constexpr std::uint16_t kMaxShortLe = 256;

std::uint8_t le_byte(std::uint16_t le) {
    return static_cast<std::uint8_t>(le == kMaxShortLe ? 0 : le);
}

CommandApdu make(ClassMode mode, Ins ins, std::uint8_t p1, std::uint8_t p2, ByteView data,
                 std::optional<std::uint16_t> le) {
    CommandApdu a;
    a.cla = cat_class(mode);
    a.ins = static_cast<std::uint8_t>(ins);
    a.p1 = p1;
    a.p2 = p2;
    a.data.assign(data.begin(), data.end());
    a.le = le;
    return a;
}

}  // namespace

std::string_view name_of(Ins ins) {
    switch (ins) {
        case Ins::TerminalProfile:
            return "TERMINAL PROFILE";
        case Ins::Fetch:
            return "FETCH";
        case Ins::TerminalResponse:
            return "TERMINAL RESPONSE";
        case Ins::GetResponse:
            return "GET RESPONSE";
        case Ins::Envelope:
            return "ENVELOPE";
        case Ins::Status:
            return "STATUS";
    }
    return "";
}

Bytes CommandApdu::encode() const {
    if (data.size() > kMaxShortLc) return {};
    if (le && (*le == 0 || *le > kMaxShortLe)) return {};
    Bytes out{cla, ins, p1, p2};
    if (!data.empty()) {
        out.push_back(static_cast<std::uint8_t>(data.size()));
        out.insert(out.end(), data.begin(), data.end());
    }
    if (le) out.push_back(le_byte(*le));
    return out;
}

std::optional<ResponseApdu> ResponseApdu::parse(ByteView bytes) {
    if (bytes.size() < 2) return std::nullopt;
    ResponseApdu r;
    r.data.assign(bytes.begin(), bytes.end() - 2);
    r.sw1 = bytes[bytes.size() - 2];
    r.sw2 = bytes[bytes.size() - 1];
    return r;
}

Bytes ResponseApdu::encode() const {
    Bytes out = data;
    out.push_back(sw1);
    out.push_back(sw2);
    return out;
}

std::uint8_t cat_class(ClassMode mode) {
    return mode == ClassMode::Sim ? 0xA0 : 0x80;
}

CommandApdu terminal_profile(ClassMode mode, ByteView profile) {
    return make(mode, Ins::TerminalProfile, 0x00, 0x00, profile, std::nullopt);
}

CommandApdu fetch(ClassMode mode, std::uint16_t le) {
    return make(mode, Ins::Fetch, 0x00, 0x00, {}, le == 0 ? kMaxShortLe : le);
}

CommandApdu terminal_response(ClassMode mode, ByteView response) {
    return make(mode, Ins::TerminalResponse, 0x00, 0x00, response, std::nullopt);
}

CommandApdu envelope(ClassMode mode, ByteView ber) {
    const std::optional<std::uint16_t> le =
        mode == ClassMode::Uicc ? std::optional<std::uint16_t>(kMaxShortLe) : std::nullopt;
    return make(mode, Ins::Envelope, 0x00, 0x00, ber, le);
}

CommandApdu status(ClassMode mode) {
    if (mode == ClassMode::Sim) return make(mode, Ins::Status, 0x00, 0x00, {}, kSimStatusLength);
    // TS 102 221 clause 11.1.2: P1 '00' no indication, P2 '0C' no data returned.
    return make(mode, Ins::Status, 0x00, 0x0C, {}, std::nullopt);
}

CommandApdu get_response(ClassMode mode, std::uint16_t le) {
    CommandApdu a = make(mode, Ins::GetResponse, 0x00, 0x00, {}, le == 0 ? kMaxShortLe : le);
    a.cla = mode == ClassMode::Sim ? 0xA0 : 0x00;
    return a;
}

SwKind classify_sw(std::uint8_t sw1, std::uint8_t sw2) {
    switch (sw1) {
        case 0x90:
            return sw2 == 0x00 ? SwKind::Ok : SwKind::Error;
        case 0x91:
            return SwKind::ProactivePending;
        case 0x93:
            return sw2 == 0x00 ? SwKind::ToolkitBusy : SwKind::Error;
        case 0x61:
            return SwKind::ResponseAvailable;
        case 0x6C:
            return SwKind::WrongLe;
        case 0x9F:
            return SwKind::SimResponseAvailable;
        case 0x9E:
            return SwKind::SimDataDownloadError;
        case 0x62:
        case 0x63:
            // TS 102 221 clause 10.2.1.3: '62 F2' more data available and proactive command
            // pending, '63 F2' more data expected and proactive command pending.
            return sw2 == 0xF2 ? SwKind::WarningProactivePending : SwKind::Warning;
        case 0x6F:
            return SwKind::TechnicalProblem;
        default:
            return SwKind::Error;
    }
}

std::string_view name_of(SwKind kind) {
    switch (kind) {
        case SwKind::Ok:
            return "normal ending";
        case SwKind::ProactivePending:
            return "proactive command pending";
        case SwKind::ToolkitBusy:
            return "toolkit busy";
        case SwKind::ResponseAvailable:
            return "response bytes available";
        case SwKind::WrongLe:
            return "wrong length Le";
        case SwKind::SimResponseAvailable:
            return "SIM response bytes available";
        case SwKind::SimDataDownloadError:
            return "SIM data download error";
        case SwKind::Warning:
            return "warning";
        case SwKind::WarningProactivePending:
            return "warning, proactive command pending";
        case SwKind::TechnicalProblem:
            return "technical problem";
        case SwKind::Error:
            return "error";
    }
    return "";
}

bool sw_performed(SwKind kind) {
    return kind == SwKind::Ok || kind == SwKind::ProactivePending || kind == SwKind::Warning ||
           kind == SwKind::WarningProactivePending;
}

bool sw_proactive_pending(SwKind kind) {
    return kind == SwKind::ProactivePending || kind == SwKind::WarningProactivePending;
}

std::string describe_sw(std::uint8_t sw1, std::uint8_t sw2) {
    char head[8];
    std::snprintf(head, sizeof head, "%02X %02X ", sw1, sw2);
    std::string out = head;
    out += name_of(classify_sw(sw1, sw2));
    return out;
}

}  // namespace dmsc::cat

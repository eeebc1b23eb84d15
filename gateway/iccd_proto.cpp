// gateway/iccd_proto.cpp — CCID bulk and ICCD control messages, descriptor matching (see
// iccd_proto.hpp). Pure: no libusb.
#include "gateway/iccd_proto.hpp"

#include <cstdio>

namespace dmsc::gateway::iccd {

namespace {

Bytes header(std::uint8_t type, std::size_t length, std::uint8_t slot, std::uint8_t seq, std::uint8_t p1,
             std::uint8_t p2, std::uint8_t p3) {
    const auto n = static_cast<std::uint32_t>(length);
    return {type,
            static_cast<std::uint8_t>(n),
            static_cast<std::uint8_t>(n >> 8),
            static_cast<std::uint8_t>(n >> 16),
            static_cast<std::uint8_t>(n >> 24),
            slot,
            seq,
            p1,
            p2,
            p3};
}

std::string hex2(std::uint8_t v) {
    char b[8];
    std::snprintf(b, sizeof b, "%02X", v);
    return b;
}

bool all_of(const std::string& s, const char* set) {
    return !s.empty() && s.find_first_not_of(set) == std::string::npos;
}

}  // namespace

Bytes ccid_power_on(std::uint8_t slot, std::uint8_t seq, Voltage voltage) {
    return header(kPcToRdrIccPowerOn, 0, slot, seq, static_cast<std::uint8_t>(voltage), 0, 0);
}
Bytes ccid_power_off(std::uint8_t slot, std::uint8_t seq) {
    return header(kPcToRdrIccPowerOff, 0, slot, seq, 0, 0, 0);
}
Bytes ccid_get_slot_status(std::uint8_t slot, std::uint8_t seq) {
    return header(kPcToRdrGetSlotStatus, 0, slot, seq, 0, 0, 0);
}
Bytes ccid_xfr_block(std::uint8_t slot, std::uint8_t seq, ByteView apdu, std::uint8_t bwi,
                     std::uint16_t level) {
    Bytes out = header(kPcToRdrXfrBlock, apdu.size(), slot, seq, bwi, static_cast<std::uint8_t>(level),
                       static_cast<std::uint8_t>(level >> 8));
    out.insert(out.end(), apdu.begin(), apdu.end());
    return out;
}

std::size_t ccid_message_length(ByteView h) {
    if (h.size() < kCcidHeader) return 0;
    const std::uint32_t n = static_cast<std::uint32_t>(h[1]) | (static_cast<std::uint32_t>(h[2]) << 8) |
                            (static_cast<std::uint32_t>(h[3]) << 16) |
                            (static_cast<std::uint32_t>(h[4]) << 24);
    return kCcidHeader + n;
}

std::optional<CcidReply> parse_ccid_reply(ByteView b, std::string& why, std::size_t max_data) {
    if (b.size() < kCcidHeader) {
        why = "CCID reply of " + std::to_string(b.size()) + " bytes is shorter than the 10-byte header";
        return std::nullopt;
    }
    const std::size_t total = ccid_message_length(b);
    if (total - kCcidHeader > max_data) {
        why = "CCID reply dwLength " + std::to_string(total - kCcidHeader) + " is larger than " +
              std::to_string(max_data);
        return std::nullopt;
    }
    if (b.size() != total) {
        why = "CCID reply dwLength " + std::to_string(total - kCcidHeader) + " but " +
              std::to_string(b.size() - kCcidHeader) + " data bytes arrived";
        return std::nullopt;
    }
    CcidReply r;
    r.type = b[0];
    r.slot = b[5];
    r.seq = b[6];
    r.status = b[7];
    r.error = b[8];
    r.param = b[9];
    r.data.assign(b.begin() + kCcidHeader, b.end());
    return r;
}

std::string ccid_error_name(std::uint8_t e) {
    const char* n = nullptr;
    switch (e) {
        case 0xFF:
            n = "CMD_ABORTED";
            break;
        case 0xFE:
            n = "ICC_MUTE";
            break;
        case 0xFD:
            n = "XFR_PARITY_ERROR";
            break;
        case 0xFC:
            n = "XFR_OVERRUN";
            break;
        case 0xFB:
            n = "HW_ERROR";
            break;
        case 0xF8:
            n = "BAD_ATR_TS";
            break;
        case 0xF7:
            n = "BAD_ATR_TCK";
            break;
        case 0xF6:
            n = "ICC_PROTOCOL_NOT_SUPPORTED";
            break;
        case 0xF5:
            n = "ICC_CLASS_NOT_SUPPORTED";
            break;
        case 0xF4:
            n = "PROCEDURE_BYTE_CONFLICT";
            break;
        case 0xF3:
            n = "DEACTIVATED_PROTOCOL";
            break;
        case 0xF2:
            n = "BUSY_WITH_AUTO_SEQUENCE";
            break;
        case 0xE0:
            n = "CMD_SLOT_BUSY";
            break;
        case 0x00:
            n = "command not supported";
            break;
        default:
            break;
    }
    return n ? std::string(n) + " (" + hex2(e) + ")" : "error 0x" + hex2(e);
}

CcidStep ccid_step(const CcidReply& r, std::uint8_t want_type, std::uint8_t slot, std::uint8_t seq) {
    if (r.seq != seq || r.slot != slot)
        return {CcidStep::Fail, "reply for slot " + std::to_string(r.slot) + " seq " + std::to_string(r.seq) +
                                    ", expected slot " + std::to_string(slot) + " seq " +
                                    std::to_string(seq)};
    if (r.type != want_type)
        return {CcidStep::Fail, "reply type " + hex2(r.type) + ", expected " + hex2(want_type)};
    switch (r.command()) {
        case CommandStatus::TimeExtension:
            return {CcidStep::Wait, {}};
        case CommandStatus::Failed:
            if (r.icc() == IccStatus::Absent || r.error == 0xFE)
                return {CcidStep::CardAbsent, "no card in the slot (" + ccid_error_name(r.error) + ")"};
            return {CcidStep::Fail, "command failed: " + ccid_error_name(r.error)};
        case CommandStatus::Reserved:
            return {CcidStep::Fail, "reserved bmCommandStatus 3 (bStatus " + hex2(r.status) + ")"};
        case CommandStatus::Ok:
            break;
    }
    if (r.icc() == IccStatus::Absent && want_type == kRdrToPcDataBlock)
        return {CcidStep::CardAbsent, "no card in the slot"};
    return {CcidStep::Done, {}};
}

ControlRequest iccd_power_on(IccdVersion v, std::uint16_t interface) {
    if (v == IccdVersion::A)
        return {kReqTypeIn, kIccPowerOn, 0, interface, 33, {}};  // the ATR (at most 33 bytes)
    return {kReqTypeOut, kIccPowerOn, 1, interface, 0, {}};
}
ControlRequest iccd_power_off(std::uint16_t interface) {
    return {kReqTypeOut, kIccPowerOff, 0, interface, 0, {}};
}
ControlRequest iccd_xfr_block(std::uint16_t interface, ByteView apdu, std::uint16_t level) {
    return {kReqTypeOut,
            kXfrBlock,
            level,
            interface,
            static_cast<std::uint16_t>(apdu.size()),
            Bytes(apdu.begin(), apdu.end())};
}
ControlRequest iccd_data_block(std::uint16_t interface, std::uint16_t max_length) {
    return {kReqTypeIn, kDataBlock, 0, interface, max_length, {}};
}
ControlRequest iccd_status(IccdVersion v, std::uint16_t interface) {
    if (v == IccdVersion::A) return {kReqTypeIn, kGetIccStatus, 0, interface, 1, {}};
    return {kReqTypeIn, kSlotStatus, 0, interface, 3, {}};
}

IccdAStatus parse_iccd_a_status(std::uint8_t s) {
    if (s == 0x80) return IccdAStatus::Absent;
    if (s & 0x40) return IccdAStatus::Busy;
    return IccdAStatus::Ready;
}

std::optional<DataBlockB> parse_data_block_b(ByteView b, std::string& why) {
    if (b.empty()) {
        why = "empty DATA_BLOCK (no bResponseType)";
        return std::nullopt;
    }
    DataBlockB d;
    switch (b[0]) {
        case 0x00:
        case 0x01:
        case 0x02:
        case 0x03:
        case 0x10:
            d.kind = static_cast<DataBlockB::Kind>(b[0]);
            d.data.assign(b.begin() + 1, b.end());
            return d;
        case 0x40:
            if (b.size() < 3) break;
            d.kind = DataBlockB::Status;
            d.status = b[1];
            d.error = b[2];
            return d;
        case 0x80:
            if (b.size() < 3) break;
            d.kind = DataBlockB::Polling;
            d.delay_10ms = static_cast<std::uint16_t>(b[1] | (b[2] << 8));
            return d;
        default:
            why = "DATA_BLOCK bResponseType " + hex2(b[0]) + " is not defined";
            return std::nullopt;
    }
    why = "DATA_BLOCK bResponseType " + hex2(b[0]) + " needs 3 bytes, got " + std::to_string(b.size());
    return std::nullopt;
}

std::optional<IccStatus> parse_iccd_b_slot_status(ByteView b, std::string& why) {
    if (b.size() < 2) {
        why = "SLOT_STATUS of " + std::to_string(b.size()) +
              " bytes (expected bMessageType, bStatus[, bClockStatus])";
        return std::nullopt;
    }
    return static_cast<IccStatus>(b[1] & 0x03);
}

const char* name_of(CardInterfaceKind k) {
    switch (k) {
        case CardInterfaceKind::CcidBulk:
            return "ccid";
        case CardInterfaceKind::IccdA:
            return "iccd-a";
        case CardInterfaceKind::IccdB:
            return "iccd-b";
    }
    return "";
}

std::optional<CardInterface> find_card_interface(const std::vector<InterfaceInfo>& interfaces,
                                                 std::string& why) {
    why = "no smart card class (0x0B) interface";
    for (const auto& i : interfaces) {
        if (i.cls != 0x0B) continue;
        CardInterface c;
        c.number = i.number;
        c.alternate = i.alternate;
        for (const auto& e : i.endpoints) {
            const unsigned type = e.attributes & 0x03U;
            const bool in = (e.address & 0x80U) != 0;
            if (type == 2 && in && !c.bulk_in) c.bulk_in = e.address;
            if (type == 2 && !in && !c.bulk_out) c.bulk_out = e.address;
            if (type == 3 && in && !c.interrupt_in) c.interrupt_in = e.address;
        }
        switch (i.protocol) {
            case 0:
                if (!c.bulk_in || !c.bulk_out) {
                    why = "interface " + std::to_string(i.number) + " (CCID) lacks a bulk IN/OUT pair";
                    continue;
                }
                c.kind = CardInterfaceKind::CcidBulk;
                return c;
            case 1:
                c.kind = CardInterfaceKind::IccdA;
                return c;
            case 2:
                c.kind = CardInterfaceKind::IccdB;
                return c;
            default:
                why = "interface " + std::to_string(i.number) + ": smart card protocol " +
                      std::to_string(i.protocol) + " is not CCID (0), ICCD A (1) or ICCD B (2)";
                continue;
        }
    }
    return std::nullopt;
}

std::optional<EemInterface> find_eem_interface(const std::vector<InterfaceInfo>& interfaces) {
    for (const auto& i : interfaces) {
        if (i.cls != 0x02 || i.subclass != 0x0C || i.protocol != 0x07) continue;
        EemInterface e;
        e.number = i.number;
        e.alternate = i.alternate;
        for (const auto& ep : i.endpoints) {
            if ((ep.attributes & 0x03U) != 2) continue;
            if (ep.address & 0x80U) {
                if (!e.bulk_in) e.bulk_in = ep.address;
            } else if (!e.bulk_out) {
                e.bulk_out = ep.address;
            }
        }
        if (e.bulk_in && e.bulk_out) return e;
    }
    return std::nullopt;
}

bool DeviceSelector::matches(std::uint16_t v, std::uint16_t p, std::uint8_t b, std::uint8_t a) const {
    switch (kind) {
        case Any:
            return true;
        case VidPid:
            return v == vid && p == pid;
        case BusAddress:
            return b == bus && a == address;
    }
    return false;
}

std::optional<DeviceSelector> parse_device_selector(const std::string& text, std::string& why) {
    DeviceSelector s;
    if (text.empty()) return s;
    const auto colon = text.find(':');
    const std::string a = text.substr(0, colon);
    const std::string b = colon == std::string::npos ? std::string() : text.substr(colon + 1);
    if (a.size() == 4 && b.size() == 4 && all_of(a, "0123456789abcdefABCDEF") &&
        all_of(b, "0123456789abcdefABCDEF")) {
        s.kind = DeviceSelector::VidPid;
        s.vid = static_cast<std::uint16_t>(std::stoul(a, nullptr, 16));
        s.pid = static_cast<std::uint16_t>(std::stoul(b, nullptr, 16));
        return s;
    }
    if (a.size() >= 1 && a.size() <= 3 && b.size() >= 1 && b.size() <= 3 && all_of(a, "0123456789") &&
        all_of(b, "0123456789") && std::stoul(a) <= 255 && std::stoul(b) <= 255) {
        s.kind = DeviceSelector::BusAddress;
        s.bus = static_cast<std::uint8_t>(std::stoul(a));
        s.address = static_cast<std::uint8_t>(std::stoul(b));
        return s;
    }
    why = "\"" + text + "\" is neither VID:PID (4 hex digits each) nor BUS:ADDR (decimal)";
    return std::nullopt;
}

}  // namespace dmsc::gateway::iccd

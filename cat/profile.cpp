// cat/profile.cpp — TERMINAL PROFILE (TS 102 223 clause 5.2): built from what the gateway
// implements, and turned back into named features for dmsc-ctl.
#include "cat/profile.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace dmsc::cat {

namespace {

// TS 102 223 clause 5.2 "Structure and coding of TERMINAL PROFILE": the bits this codec knows
// by name (byte 1-based, bit 1 = least significant). Bytes that carry numbers rather than
// flags (11 soft keys, 13 bits 6-8 channels, 14/15 screen size, 24 frames) are handled apart
// in describe_terminal_profile. Positions cross-checked against public decoders (Wireshark
// packet-gsm_sim.c, several TERMINAL PROFILE parsers) — see the report in docs if in doubt.
//
// | byte | class / content                         | bits named here                      |
// |------|-----------------------------------------|--------------------------------------|
// | 1    | download                                | 1 profile download, 4 menu selection, 6 timer
// expiration, 8 call control by NAA | | 2    | other                                   | 1 command result, 6
// UCS2 entry, 7 UCS2 display | | 3    | proactive UICC                          | 1-8 DISPLAY TEXT .. REFRESH
// | | 4    | proactive UICC                          | 1 SELECT ITEM, 5 SET UP CALL, 6 SET UP MENU, 7 PLI
// (location, IMEI), 8 PLI (NMR) | | 5    | event driven information                | 1 SET UP EVENT LIST, 2-8
// events      | | 6    | event driven information extensions     | 1-8 events                           | | 7
// | multiple card (class "a")               | 1-5                                  | | 8    | proactive UICC
// | 1-2 TIMER MANAGEMENT, 3 PLI (date-time), 4 binary GET INKEY, 5 SET UP IDLE MODE TEXT, 6 RUN AT COMMAND |
// | 9    | proactive UICC                          | 2 SEND DTMF, 4 PLI (language), 5 PLI (timing advance), 6
// LANGUAGE NOTIFICATION, 7 LAUNCH BROWSER, 8 PLI (access technology) | | 10   | soft keys (class "d") | 1-2 |
// | 12   | BIP commands (class "e")                | 1-8 OPEN CHANNEL .. DECLARE SERVICE  |
// | 13   | BIP bearers (class "e")                 | 1-5 bearers; bits 6-8 number of channels |
// | 16   | screen effects                          | 1-4                                  |
// | 17   | BIP transport interfaces                | 1-6 (4-6 class "k" Terminal Server Mode / direct
// channel) | | 18   | misc                                    | 3 USB bearer (class "e"), 5 PLI (ESN), 7 PLI
// (IMEISV), 8 PLI (search mode) | | 21   | extended LAUNCH BROWSER (class "ac")    | 1-4 | | 22   | misc | 2
// PLI (battery state)                | | 25   | event driven information extensions     | 1, 3, 4, 5, 6, 8 |
// | 26   | event driven information extensions     | 1 CSG cell selection, 2 contactless state request |
// | 30   | class "k"                               | 3 TERMINAL APPLICATIONS              |
// | 31   | class "k"                               | 3 confirmation parameters for OPEN CHANNEL in Terminal
// Server Mode | | 32   | class "k"                               | 4 launch parameters for OPEN CHANNEL in
// Terminal Server Mode, 5 direct channel in Terminal Server Mode |
struct BitName {
    std::uint8_t byte;
    std::uint8_t bit;
    std::string_view name;
};

constexpr std::array kBitNames{
    BitName{1, 1, "profile download"},
    BitName{1, 4, "menu selection"},
    BitName{1, 6, "timer expiration"},
    BitName{1, 8, "call control by NAA"},
    BitName{2, 1, "command result"},
    BitName{2, 6, "UCS2 entry"},
    BitName{2, 7, "UCS2 display"},
    BitName{3, 1, "DISPLAY TEXT"},
    BitName{3, 2, "GET INKEY"},
    BitName{3, 3, "GET INPUT"},
    BitName{3, 4, "MORE TIME"},
    BitName{3, 5, "PLAY TONE"},
    BitName{3, 6, "POLL INTERVAL"},
    BitName{3, 7, "POLLING OFF"},
    BitName{3, 8, "REFRESH"},
    BitName{4, 1, "SELECT ITEM"},
    BitName{4, 5, "SET UP CALL"},
    BitName{4, 6, "SET UP MENU"},
    BitName{4, 7, "PROVIDE LOCAL INFORMATION (MCC, MNC, LAC, cell id, IMEI)"},
    BitName{4, 8, "PROVIDE LOCAL INFORMATION (NMR)"},
    BitName{5, 1, "SET UP EVENT LIST"},
    BitName{5, 2, "event: MT call"},
    BitName{5, 3, "event: call connected"},
    BitName{5, 4, "event: call disconnected"},
    BitName{5, 5, "event: location status"},
    BitName{5, 6, "event: user activity"},
    BitName{5, 7, "event: idle screen available"},
    BitName{5, 8, "event: card reader status"},
    BitName{6, 1, "event: language selection"},
    BitName{6, 2, "event: browser termination"},
    BitName{6, 3, "event: data available"},
    BitName{6, 4, "event: channel status"},
    BitName{6, 5, "event: access technology change"},
    BitName{6, 6, "event: display parameters changed"},
    BitName{6, 7, "event: local connection"},
    BitName{6, 8, "event: network search mode change"},
    BitName{7, 1, "POWER ON CARD"},
    BitName{7, 2, "POWER OFF CARD"},
    BitName{7, 3, "PERFORM CARD APDU"},
    BitName{7, 4, "GET READER STATUS (card reader status)"},
    BitName{7, 5, "GET READER STATUS (card reader identifier)"},
    BitName{8, 1, "TIMER MANAGEMENT (start, stop)"},
    BitName{8, 2, "TIMER MANAGEMENT (get current value)"},
    BitName{8, 3, "PROVIDE LOCAL INFORMATION (date, time and time zone)"},
    BitName{8, 4, "binary choice in GET INKEY"},
    BitName{8, 5, "SET UP IDLE MODE TEXT"},
    BitName{8, 6, "RUN AT COMMAND"},
    BitName{9, 2, "SEND DTMF"},
    BitName{9, 4, "PROVIDE LOCAL INFORMATION (language)"},
    BitName{9, 5, "PROVIDE LOCAL INFORMATION (timing advance)"},
    BitName{9, 6, "LANGUAGE NOTIFICATION"},
    BitName{9, 7, "LAUNCH BROWSER"},
    BitName{9, 8, "PROVIDE LOCAL INFORMATION (access technology)"},
    BitName{10, 1, "soft keys for SELECT ITEM"},
    BitName{10, 2, "soft keys for SET UP MENU"},
    BitName{12, 1, "OPEN CHANNEL"},
    BitName{12, 2, "CLOSE CHANNEL"},
    BitName{12, 3, "RECEIVE DATA"},
    BitName{12, 4, "SEND DATA"},
    BitName{12, 5, "GET CHANNEL STATUS"},
    BitName{12, 6, "SERVICE SEARCH"},
    BitName{12, 7, "GET SERVICE INFORMATION"},
    BitName{12, 8, "DECLARE SERVICE"},
    BitName{13, 1, "CSD bearer"},
    BitName{13, 2, "GPRS bearer"},
    BitName{13, 3, "Bluetooth bearer"},
    BitName{13, 4, "IrDA bearer"},
    BitName{13, 5, "RS232 bearer"},
    BitName{16, 1, "display can be resized"},
    BitName{16, 2, "text wrapping"},
    BitName{16, 3, "text scrolling"},
    BitName{16, 4, "text attributes"},
    BitName{17, 1, "TCP, UICC in client mode, remote connection"},
    BitName{17, 2, "UDP, UICC in client mode, remote connection"},
    BitName{17, 3, "TCP, UICC in server mode"},
    BitName{17, 4, "TCP, UICC in client mode, local connection (Terminal Server Mode)"},
    BitName{17, 5, "UDP, UICC in client mode, local connection (Terminal Server Mode)"},
    BitName{17, 6, "direct communication channel"},
    BitName{18, 1, "DISPLAY TEXT (variable time out)"},
    BitName{18, 3, "USB bearer"},
    BitName{18, 4, "GET INKEY (variable time out)"},
    BitName{18, 5, "PROVIDE LOCAL INFORMATION (ESN)"},
    BitName{18, 7, "PROVIDE LOCAL INFORMATION (IMEISV)"},
    BitName{18, 8, "PROVIDE LOCAL INFORMATION (search mode change)"},
    BitName{21, 1, "LAUNCH BROWSER: WML"},
    BitName{21, 2, "LAUNCH BROWSER: XHTML"},
    BitName{21, 3, "LAUNCH BROWSER: HTML"},
    BitName{21, 4, "LAUNCH BROWSER: CHTML"},
    BitName{22, 2, "PROVIDE LOCAL INFORMATION (battery state)"},
    BitName{25, 1, "event: browsing status"},
    BitName{25, 3, "event: frames information change"},
    BitName{25, 4, "event: I-WLAN access status"},
    BitName{25, 5, "event: network rejection"},
    BitName{25, 6, "event: HCI connectivity"},
    BitName{25, 8, "multiple access technologies in access technology change / PROVIDE LOCAL INFORMATION"},
    BitName{26, 1, "event: CSG cell selection"},
    BitName{26, 2, "event: contactless state request"},
    BitName{30, 3, "TERMINAL APPLICATIONS"},
    BitName{31, 3, "confirmation parameters for OPEN CHANNEL in Terminal Server Mode"},
    BitName{32, 4, "launch parameters for OPEN CHANNEL in Terminal Server Mode"},
    BitName{32, 5, "direct channel in Terminal Server Mode"},
};

// Events and their bits (clause 5.2 bytes 5, 6, 25, 26). Events not listed have no bit this
// codec is sure of, so build_terminal_profile does not announce them.
struct EventBit {
    EventType event;
    std::uint8_t byte;
    std::uint8_t bit;
};

constexpr std::array kEventBits{
    EventBit{EventType::MtCall, 5, 2},
    EventBit{EventType::CallConnected, 5, 3},
    EventBit{EventType::CallDisconnected, 5, 4},
    EventBit{EventType::LocationStatus, 5, 5},
    EventBit{EventType::UserActivity, 5, 6},
    EventBit{EventType::IdleScreenAvailable, 5, 7},
    EventBit{EventType::CardReaderStatus, 5, 8},
    EventBit{EventType::LanguageSelection, 6, 1},
    EventBit{EventType::BrowserTermination, 6, 2},
    EventBit{EventType::DataAvailable, 6, 3},
    EventBit{EventType::ChannelStatus, 6, 4},
    EventBit{EventType::AccessTechnologyChange, 6, 5},
    EventBit{EventType::DisplayParametersChanged, 6, 6},
    EventBit{EventType::LocalConnection, 6, 7},
    EventBit{EventType::NetworkSearchModeChange, 6, 8},
    EventBit{EventType::BrowsingStatus, 25, 1},
    EventBit{EventType::FramesInformationChange, 25, 3},
    EventBit{EventType::IWlanAccessStatus, 25, 4},
    EventBit{EventType::NetworkRejection, 25, 5},
    EventBit{EventType::HciConnectivity, 25, 6},
    EventBit{EventType::AccessTechnologyChangeMultiple, 25, 8},
    EventBit{EventType::CsgCellSelection, 26, 1},
    EventBit{EventType::ContactlessStateRequest, 26, 2},
};

constexpr std::uint8_t kChannelsByte = 13;  // bits 6-8: number of channels (clause 5.2)
constexpr std::uint8_t kChannelsShift = 5;
constexpr std::uint8_t kMaxChannels = 7;

void set_bit(Bytes& p, std::uint8_t byte, std::uint8_t bit) {
    if (p.size() < byte) p.resize(byte, 0x00);
    p[byte - 1] = static_cast<std::uint8_t>(p[byte - 1] | (1u << (bit - 1)));
}

std::string_view bit_name(std::uint8_t byte, std::uint8_t bit) {
    for (const auto& b : kBitNames) {
        if (b.byte == byte && b.bit == bit) return b.name;
    }
    return {};
}

std::string bit_label(std::size_t byte, unsigned bit) {
    return "byte " + std::to_string(byte) + " bit " + std::to_string(bit);
}

}  // namespace

bool event_profile_bit(EventType event, std::uint8_t& byte, std::uint8_t& bit) {
    for (const auto& e : kEventBits) {
        if (e.event == event) {
            byte = e.byte;
            bit = e.bit;
            return true;
        }
    }
    return false;
}

Bytes build_terminal_profile(const TerminalFeatures& f) {
    Bytes p;
    // Byte 1: download.
    if (f.profile_download) set_bit(p, 1, 1);
    if (f.timer_expiration) set_bit(p, 1, 6);
    // Byte 3: proactive UICC.
    if (f.more_time) set_bit(p, 3, 4);
    if (f.poll_interval) set_bit(p, 3, 6);
    if (f.polling_off) set_bit(p, 3, 7);
    if (f.refresh) set_bit(p, 3, 8);
    // Byte 4 bit 7: PROVIDE LOCAL INFORMATION (MCC, MNC, LAC, cell id and IMEI).
    if (f.provide_local_info_location) set_bit(p, 4, 7);
    // Bytes 5-6, 25-26: SET UP EVENT LIST and the events.
    if (f.set_up_event_list) set_bit(p, 5, 1);
    for (EventType e : f.events) {
        std::uint8_t byte = 0;
        std::uint8_t bit = 0;
        if (event_profile_bit(e, byte, bit)) set_bit(p, byte, bit);
    }
    // Byte 8: TIMER MANAGEMENT, PROVIDE LOCAL INFORMATION (date, time and time zone).
    if (f.timer_management) set_bit(p, 8, 1);
    if (f.timer_get_current_value) set_bit(p, 8, 2);
    if (f.provide_local_info_date_time) set_bit(p, 8, 3);
    // Byte 9: PROVIDE LOCAL INFORMATION (language) bit 4, (access technology) bit 8.
    if (f.provide_local_info_language) set_bit(p, 9, 4);
    if (f.provide_local_info_access_technology) set_bit(p, 9, 8);
    // Byte 12: class "e" commands the gateway implements (OPEN/CLOSE CHANNEL, RECEIVE/SEND
    // DATA, GET CHANNEL STATUS); SERVICE SEARCH & co. are not implemented, so not announced.
    if (f.bip) {
        for (std::uint8_t bit = 1; bit <= 5; ++bit) set_bit(p, 12, bit);
    }
    // Byte 13: bearers, and bits 6-8 the number of channels (only meaningful with class "e").
    if (f.gprs_bearer) set_bit(p, 13, 2);
    if (f.bip && f.channels > 0) {
        const std::uint8_t n = f.channels > kMaxChannels ? kMaxChannels : f.channels;
        if (p.size() < kChannelsByte) p.resize(kChannelsByte, 0x00);
        p[kChannelsByte - 1] = static_cast<std::uint8_t>(p[kChannelsByte - 1] | (n << kChannelsShift));
    }
    // Byte 17: transport interfaces.
    if (f.tcp_client_remote) set_bit(p, 17, 1);
    if (f.udp_client_remote) set_bit(p, 17, 2);
    if (f.tcp_uicc_server_mode) set_bit(p, 17, 3);
    if (f.tcp_client_local) set_bit(p, 17, 4);
    if (f.udp_client_local) set_bit(p, 17, 5);
    // Byte 18 bit 3: USB bearer (TS 102 600 EEM).
    if (f.usb_bearer) set_bit(p, 18, 3);
    // Byte 30 bit 3: ENVELOPE (Terminal Applications), class "k".
    if (f.terminal_applications) set_bit(p, 30, 3);
    // f.default_bearer: clause 5.2 has no bit for the default bearer; nothing to set.

    // Length: up to the last non-zero byte, at least one byte.
    while (p.size() > 1 && p.back() == 0x00) p.pop_back();
    if (p.empty()) p.push_back(0x00);
    return p;
}

std::vector<std::string> describe_terminal_profile(ByteView profile) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < profile.size(); ++i) {
        const std::size_t byte = i + 1;
        const std::uint8_t v = profile[i];
        if (v == 0) continue;
        switch (byte) {
            case 11:  // clause 5.2: maximum number of soft keys, a number
                out.push_back("byte 11: maximum number of soft keys = " + std::to_string(v));
                continue;
            case 14:  // bits 1-5 characters down the display, 6 no display, 7 no keypad, 8 sizing
                if ((v & 0x1F) != 0) {
                    out.push_back("byte 14 bits 1-5: characters down the display = " +
                                  std::to_string(v & 0x1F));
                }
                if ((v & 0x20) != 0) out.push_back("byte 14 bit 6: no display");
                if ((v & 0x40) != 0) out.push_back("byte 14 bit 7: no keypad");
                if ((v & 0x80) != 0) out.push_back("byte 14 bit 8: screen sizing parameters");
                continue;
            case 15:  // bits 1-7 characters across the display, 8 variable size fonts
                if ((v & 0x7F) != 0) {
                    out.push_back("byte 15 bits 1-7: characters across the display = " +
                                  std::to_string(v & 0x7F));
                }
                if ((v & 0x80) != 0) out.push_back("byte 15 bit 8: variable size fonts");
                continue;
            case 24:  // class "i": maximum number of frames
                out.push_back("byte 24: maximum number of frames = " + std::to_string(v));
                continue;
            default:
                break;
        }
        for (unsigned bit = 1; bit <= 8; ++bit) {
            if (byte == kChannelsByte && bit > kChannelsShift) break;  // the channel count below
            if ((v & (1u << (bit - 1))) == 0) continue;
            const auto name = bit_name(static_cast<std::uint8_t>(byte), static_cast<std::uint8_t>(bit));
            out.push_back(name.empty() ? bit_label(byte, bit)
                                       : bit_label(byte, bit) + ": " + std::string(name));
        }
        if (byte == kChannelsByte && (v >> kChannelsShift) != 0) {
            out.push_back("byte 13 bits 6-8: number of channels = " + std::to_string(v >> kChannelsShift));
        }
    }
    return out;
}

}  // namespace dmsc::cat

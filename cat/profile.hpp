// cat/profile.hpp — TERMINAL PROFILE (TS 102 223 clause 5.2): built bit by bit from what the
// gateway really implements, never a hard-coded blob; and decoded back into named features.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "cat/bytes.hpp"
#include "cat/codes.hpp"

namespace dmsc::cat {

struct TerminalFeatures {
    // Proactive UICC
    bool profile_download = true;
    bool more_time = true;
    bool poll_interval = true;
    bool polling_off = true;
    bool refresh = true;
    bool provide_local_info_location = false;           // byte 4 bit 7 (MCC, MNC, LAC, cell id, IMEI)
    bool provide_local_info_date_time = false;          // byte 8 bit 3
    bool provide_local_info_language = false;           // byte 9 bit 4
    bool provide_local_info_access_technology = false;  // byte 9 bit 8
    bool set_up_event_list = true;
    std::set<EventType> events;  // events the terminal can report (bytes 5, 6, 25, 26)
    bool timer_management = false;
    bool timer_get_current_value = false;
    bool timer_expiration = false;
    // Class "e" BIP
    bool bip = true;
    std::uint8_t channels = 7;  // 0..7
    bool tcp_uicc_server_mode = true;
    bool tcp_client_remote = false;
    bool udp_client_remote = false;
    bool gprs_bearer = false;
    bool default_bearer = false;  // no bit of its own in clause 5.2: announces nothing
    bool usb_bearer = false;      // byte 18 bit 3 (EEM, TS 102 600)
    // Class "k"
    bool tcp_client_local = true;  // Terminal Server Mode over TCP
    bool udp_client_local = true;  // Terminal Server Mode over UDP
    bool terminal_applications = true;
};

// Sets exactly the bits of the features that are true; length = up to the last non-zero
// byte, at least 1. Events without a bit in clause 5.2 (see profile.cpp) are not announced.
Bytes build_terminal_profile(const TerminalFeatures& f);
// Where an event's bit sits (byte 1-based, bit 1 = LSB); false when clause 5.2 has none here.
bool event_profile_bit(EventType event, std::uint8_t& byte, std::uint8_t& bit);
// Named features a profile announces ("byte 12 bit 1: OPEN CHANNEL" ...), for dmsc-ctl.
std::vector<std::string> describe_terminal_profile(ByteView profile);

}  // namespace dmsc::cat

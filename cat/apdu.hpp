// cat/apdu.hpp — short command/response APDUs, the builders for the CAT commands of
// TS 102 221 clause 11 (and their 2G SIM forms, TS 51.011), and the status-word classifier.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cat/bytes.hpp"

namespace dmsc::cat {

// Which class byte the card speaks: a UICC ('80' for the CAT commands, '00' for GET RESPONSE,
// TS 102 221 clause 10.1.1) or a 2G SIM ('A0' for everything, TS 51.011 clause 9.2).
enum class ClassMode : std::uint8_t { Uicc, Sim };

// INS codes the session sends (TS 102 221 clause 10.1.2).
enum class Ins : std::uint8_t {
    TerminalProfile = 0x10,
    Fetch = 0x12,
    TerminalResponse = 0x14,
    GetResponse = 0xC0,
    Envelope = 0xC2,
    Status = 0xF2,
};
std::string_view name_of(Ins ins);  // "FETCH"; "" for other codes

// A short command APDU (ISO/IEC 7816-3 clause 12.1): case 1 (header only), case 2 (Le),
// case 3 (Lc + data), case 4 (Lc + data + Le). Le '00' on the wire means 256.
struct CommandApdu {
    std::uint8_t cla = 0;
    std::uint8_t ins = 0;
    std::uint8_t p1 = 0;
    std::uint8_t p2 = 0;
    Bytes data;                       // at most 255 bytes (short Lc)
    std::optional<std::uint16_t> le;  // 1..256; nullopt = no Le field

    // Header, [Lc data], [Le]. Returns an empty vector when the APDU cannot be encoded as a
    // short APDU (data over 255 bytes, Le over 256).
    Bytes encode() const;
    bool operator==(const CommandApdu&) const = default;
};

// A response APDU: response data followed by SW1 SW2.
struct ResponseApdu {
    Bytes data;
    std::uint8_t sw1 = 0;
    std::uint8_t sw2 = 0;

    std::uint16_t sw() const { return static_cast<std::uint16_t>((sw1 << 8) | sw2); }
    // Splits the last two bytes off as SW1 SW2; nullopt when fewer than two bytes arrived.
    static std::optional<ResponseApdu> parse(ByteView bytes);
    Bytes encode() const;  // data + SW1 SW2 (the simulated card uses it)
    bool operator==(const ResponseApdu&) const = default;
};

// Builders. `le` 256 is written as '00'.
std::uint8_t cat_class(ClassMode mode);  // '80' UICC, 'A0' SIM
// TS 102 221 clause 11.2.1: P1 = P2 = '00', Lc = profile length.
CommandApdu terminal_profile(ClassMode mode, ByteView profile);
// TS 102 221 clause 11.2.3: Le = XX of the preceding '91 XX'.
CommandApdu fetch(ClassMode mode, std::uint16_t le);
// TS 102 221 clause 11.2.4.
CommandApdu terminal_response(ClassMode mode, ByteView response);
// TS 102 221 clause 11.2.2: case 4 on a UICC (the card may return data, e.g. SMS-PP), Le '00'.
// A 2G SIM is addressed with case 3 and announces data with '9F XX' (TS 51.011 clause 9.2.16).
CommandApdu envelope(ClassMode mode, ByteView ber);
// Presence/proactive polling STATUS.
// UICC (TS 102 221 clause 11.1.2): P1 '00' "no indication", P2 '0C' "no data returned", no Le
// (case 1; a T=0 link writes P3 = '00').
// SIM (TS 51.011 clause 9.2.1): P1 = P2 = '00' and P3 = the length of the DF response; 22 bytes
// is its mandatory part, the SIM corrects a wrong length with '67 XX' / the card with '6C XX'.
CommandApdu status(ClassMode mode);
inline constexpr std::uint16_t kSimStatusLength = 0x16;
// TS 102 221 clause 10.1.1 / 7.3.1: GET RESPONSE is an inter-industry command, class '00' on a
// UICC; 'A0' on a 2G SIM (TS 51.011 clause 9.2.18).
CommandApdu get_response(ClassMode mode, std::uint16_t le);

// What a status word tells the session (TS 102 221 clause 10.2.1; '9F'/'9E' from TS 51.011
// clause 9.4.1).
enum class SwKind : std::uint8_t {
    Ok,                       // '90 00'
    ProactivePending,         // '91 XX': normal ending, proactive command of XX bytes pending
    ToolkitBusy,              // '93 00': SIM Application Toolkit busy, resend later
    ResponseAvailable,        // '61 XX': T=0, XX response bytes wait for GET RESPONSE
    WrongLe,                  // '6C XX': resend the same command with Le = XX
    SimResponseAvailable,     // '9F XX': 2G SIM, XX bytes wait for GET RESPONSE (class 'A0')
    SimDataDownloadError,     // '9E XX': 2G SIM, data download error, XX bytes of error data
    Warning,                  // '62 XX' / '63 XX': performed with a warning
    WarningProactivePending,  // '62 F2' / '63 F2': warning, and a proactive command is pending
    TechnicalProblem,         // '6F XX'
    Error,                    // every other status word
};
SwKind classify_sw(std::uint8_t sw1, std::uint8_t sw2);
std::string_view name_of(SwKind kind);

// Whether the command was performed (possibly with a warning): the data it returned count.
bool sw_performed(SwKind kind);
// '91 XX' or a '62 F2'/'63 F2' warning: the terminal must FETCH before anything else.
bool sw_proactive_pending(SwKind kind);

// "91 0F proactive command pending", "6A 82 error" — for logs.
std::string describe_sw(std::uint8_t sw1, std::uint8_t sw2);

}  // namespace dmsc::cat
